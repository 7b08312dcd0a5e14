//! In-process [`JobStore`] for the embedded single-process default (`fazhi serve` with no broker
//! or cache), and its queue twin in [`queue`]. Same semantics as the Redis and RabbitMQ
//! implementations — CAS transitions, per-tenant request-id claims, lazily honoured TTLs, watch
//! streams; delivery counts with a delivery limit, a dead-letter stream and a prefetch bound —
//! so the gateway and scorer run the same code paths in both modes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::batch::{BatchCounts, BatchPage, BatchRecord};
use crate::model::{DeliveryState, JobMessage, JobRecord, JobState, Progress, Webhook, now_ms};
use crate::page_token::{self, Cursor};
use crate::store::{CreateOutcome, JobStore, Page, SIMILAR_BUCKET_CAP, StoreError, Transition};
use crate::{StoreTtls, clamp_page_size};

mod queue;

pub use queue::MemoryQueue;

/// Job store held in process memory; everything is lost on exit, which is what the embedded
/// default promises (and the message is self-contained anyway).
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Mutex<StoreInner>>,
    ttls: StoreTtls,
}

struct Expiring<T> {
    value: T,
    expires: Instant,
}

#[derive(Default)]
struct StoreInner {
    jobs: HashMap<String, Expiring<JobRecord>>,
    /// (tenant, request id) → (job id, content hash).
    requests: HashMap<(String, String), Expiring<(String, String)>>,
    /// Packed as in Redis ([`crate::stored_result`]): compressed, each normalized text once.
    results: HashMap<String, Expiring<Vec<u8>>>,
    texts: HashMap<String, Expiring<Vec<u8>>>,
    messages: HashMap<String, JobMessage>,
    watchers: HashMap<String, broadcast::Sender<JobRecord>>,
    /// Job id → Unix ms its webhook is due (or its claim lease ends).
    webhooks: HashMap<String, i64>,
    /// Batch id → the batch, its job ids and its summary rows (kept for the process's life).
    batches: HashMap<String, MemBatch>,
    /// (tenant, issuer) → job id → summary row.
    issuers: HashMap<(String, String), HashMap<String, Vec<u8>>>,
    /// Tenant → its copied-text index.
    similarity: HashMap<String, MemSimilarity>,
    /// Job id → its assessment overlay (similar reports).
    overlays: HashMap<String, Vec<u8>>,
    /// Creates so far; every 1024th sweeps expired entries.
    creates: u64,
}

#[derive(Default)]
struct MemSimilarity {
    /// Band key → entry numbers, newest last, at most [`SIMILAR_BUCKET_CAP`].
    bands: HashMap<u64, Vec<u64>>,
    /// Entry n is `docs[n - 1]`.
    docs: Vec<Vec<u8>>,
    /// Job id → its entry (a redelivered job is indexed once).
    entries: HashMap<String, u64>,
    /// Exact sentence frequencies (the Redis store keeps a sketch).
    freq: HashMap<u64, u32>,
    reports: u64,
}

struct MemBatch {
    rec: BatchRecord,
    jobs: Vec<String>,
    rows: HashMap<String, Vec<u8>>,
}

impl StoreInner {
    /// Moves a batch job from one state's count to another (or into the batch when `from` is
    /// `None`), as the Redis scripts do in the same step as the job's change.
    fn count_in_batch(
        &mut self,
        batch_id: &str,
        job_id: &str,
        from: Option<JobState>,
        to: JobState,
    ) {
        if batch_id.is_empty() {
            return;
        }
        let Some(b) = self.batches.get_mut(batch_id) else {
            return;
        };
        match from {
            Some(f) => {
                let c = b.rec.counts.get_mut(f);
                *c = c.saturating_sub(1);
            }
            None => {
                b.rec.total += 1;
                b.jobs.push(job_id.to_string());
            }
        }
        *b.rec.counts.get_mut(to) += 1;
    }

    fn job(&mut self, id: &str, now: Instant) -> Option<&mut JobRecord> {
        if self.jobs.get(id).is_some_and(|e| e.expires <= now) {
            self.jobs.remove(id);
            self.messages.remove(id);
        }
        self.jobs.get_mut(id).map(|e| &mut e.value)
    }

    fn publish(&mut self, rec: &JobRecord) {
        if let Some(tx) = self.watchers.get(&rec.id) {
            let _ = tx.send(rec.clone());
            if rec.state.is_terminal() || tx.receiver_count() == 0 {
                self.watchers.remove(&rec.id);
            }
        }
    }

    /// Drops expired entries; called on writes so memory does not grow without bound.
    fn sweep(&mut self, now: Instant) {
        let before = self.jobs.len();
        self.jobs.retain(|_, e| e.expires > now);
        if self.jobs.len() != before {
            let jobs = &self.jobs;
            self.messages.retain(|id, _| jobs.contains_key(id));
        }
        let jobs = &self.jobs;
        self.webhooks.retain(|id, _| jobs.contains_key(id));
        self.requests.retain(|_, e| e.expires > now);
        self.results.retain(|_, e| e.expires > now);
        self.texts.retain(|_, e| e.expires > now);
        self.watchers.retain(|_, tx| tx.receiver_count() > 0);
    }
}

impl MemoryStore {
    pub fn new(ttls: StoreTtls) -> Self {
        Self {
            inner: Arc::new(Mutex::new(StoreInner::default())),
            ttls,
        }
    }

    fn lock(&self) -> MutexGuard<'_, StoreInner> {
        // A panic while holding the lock cannot leave a half-written record (every mutation is
        // a single insert/assign), so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn do_create(&self, job: &JobRecord, msg: Option<&JobMessage>) -> CreateOutcome {
        let now = Instant::now();
        let mut g = self.lock();
        g.creates += 1;
        if g.creates.is_multiple_of(1024) {
            g.sweep(now);
        }
        let req_key = (job.tenant.clone(), job.request_id.clone());
        if !job.request_id.is_empty() {
            let claimed = g
                .requests
                .get(&req_key)
                .filter(|e| e.expires > now)
                .map(|e| e.value.0.clone());
            if let Some(existing_id) = claimed
                && let Some(existing) = g.job(&existing_id, now)
            {
                return CreateOutcome::Existing(existing.clone());
            }
        }
        if let Some(existing) = g.job(&job.id, now) {
            return CreateOutcome::Existing(existing.clone());
        }
        let expires = now + self.ttls.job_ttl;
        if !job.request_id.is_empty() {
            g.requests.insert(
                req_key,
                Expiring {
                    value: (job.id.clone(), job.content_sha256.clone()),
                    expires,
                },
            );
        }
        if let Some(m) = msg
            && !job.state.is_terminal()
        {
            g.messages.insert(job.id.clone(), m.clone());
        }
        g.count_in_batch(&job.batch_id, &job.id, None, job.state);
        let mut job = job.clone();
        if job.state.is_terminal()
            && let Some(w) = &mut job.webhook
        {
            w.next_attempt_ms = job.update_time_ms;
            g.webhooks.insert(job.id.clone(), job.update_time_ms);
        }
        g.jobs.insert(
            job.id.clone(),
            Expiring {
                value: job,
                expires,
            },
        );
        CreateOutcome::Created
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new(StoreTtls::default())
    }
}

#[async_trait]
impl JobStore for MemoryStore {
    async fn create(&self, job: &JobRecord) -> Result<CreateOutcome, StoreError> {
        Ok(self.do_create(job, None))
    }

    async fn create_with_message(
        &self,
        job: &JobRecord,
        msg: &JobMessage,
    ) -> Result<CreateOutcome, StoreError> {
        Ok(self.do_create(job, Some(msg)))
    }

    async fn pending_message(&self, id: &str) -> Result<Option<JobMessage>, StoreError> {
        let mut g = self.lock();
        if g.job(id, Instant::now()).is_none() {
            return Ok(None);
        }
        Ok(g.messages.get(id).cloned())
    }

    async fn get(&self, tenant: &str, id: &str) -> Result<Option<JobRecord>, StoreError> {
        Ok(self
            .lock()
            .job(id, Instant::now())
            .filter(|r| r.tenant == tenant)
            .cloned())
    }

    async fn get_any(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        Ok(self.lock().job(id, Instant::now()).cloned())
    }

    async fn transition(&self, id: &str, t: Transition) -> Result<Option<JobRecord>, StoreError> {
        let now = Instant::now();
        let mut g = self.lock();
        let Some(rec) = g.job(id, now) else {
            return Ok(None);
        };
        if !t.from.contains(&rec.state) {
            return Ok(None);
        }
        let moved = (rec.batch_id.clone(), rec.state);
        rec.state = t.to;
        rec.update_time_ms = now_ms().max(rec.update_time_ms);
        if let Some(c) = t.error_code {
            rec.error_code = c;
        }
        if let Some(m) = t.error_message {
            rec.error_message = m;
        }
        if t.bump_attempts {
            rec.attempts += 1;
        }
        if let Some(c) = t.checklist_id {
            rec.checklist_id = c;
        }
        let mut due = None;
        if rec.state.is_terminal()
            && let Some(w) = &mut rec.webhook
            && w.state == DeliveryState::Pending
        {
            w.next_attempt_ms = rec.update_time_ms;
            due = Some(rec.update_time_ms);
        }
        let rec = rec.clone();
        g.count_in_batch(&moved.0, &rec.id, Some(moved.1), rec.state);
        if let Some(at) = due {
            g.webhooks.insert(rec.id.clone(), at);
        }
        if let Some(e) = g.jobs.get_mut(id) {
            e.expires = now + self.ttls.job_ttl;
        }
        if rec.state.is_terminal() {
            g.messages.remove(id);
        }
        g.publish(&rec);
        Ok(Some(rec))
    }

    async fn set_progress(&self, id: &str, progress: &Progress) -> Result<bool, StoreError> {
        let now = Instant::now();
        let mut g = self.lock();
        let Some(rec) = g.job(id, now) else {
            return Ok(false);
        };
        if rec.state != JobState::Running {
            return Ok(false);
        }
        rec.progress = Some(progress.clone());
        rec.update_time_ms = now_ms().max(rec.update_time_ms);
        let rec = rec.clone();
        g.publish(&rec);
        Ok(true)
    }

    async fn complete(
        &self,
        id: &str,
        result_key: &str,
        assessment: &[u8],
        checklist_id: &str,
    ) -> Result<Option<JobRecord>, StoreError> {
        self.put_result(result_key, assessment).await?;
        self.transition(id, Transition::succeeded(checklist_id))
            .await
    }

    async fn list(
        &self,
        tenant: &str,
        state: Option<JobState>,
        page_size: usize,
        page_token: &str,
    ) -> Result<Page, StoreError> {
        let cursor = page_token::decode(page_token)?;
        let page_size = clamp_page_size(page_size);
        let now = Instant::now();
        let g = self.lock();
        let mut jobs: Vec<&JobRecord> = g
            .jobs
            .values()
            .filter(|e| e.expires > now)
            .map(|e| &e.value)
            .filter(|r| r.tenant == tenant && state.is_none_or(|s| r.state == s))
            .filter(|r| {
                cursor
                    .as_ref()
                    .is_none_or(|c| page_token::is_after(c, r.create_time_ms, &r.id))
            })
            .collect();
        jobs.sort_by(|a, b| {
            (b.create_time_ms, b.id.as_str()).cmp(&(a.create_time_ms, a.id.as_str()))
        });
        let more = jobs.len() > page_size;
        jobs.truncate(page_size);
        let next_page_token = match (more, jobs.last()) {
            (true, Some(last)) => Some(page_token::encode(&Cursor {
                create_time_ms: last.create_time_ms,
                id: last.id.clone(),
            })),
            _ => None,
        };
        Ok(Page {
            jobs: jobs.into_iter().cloned().collect(),
            next_page_token,
        })
    }

    async fn put_result(&self, result_key: &str, assessment: &[u8]) -> Result<(), StoreError> {
        let expires = Instant::now() + self.ttls.result_ttl;
        // Compressed before the lock is taken; one that cannot be split is kept whole.
        let packed = crate::stored_result::pack(assessment).ok();
        let mut g = self.lock();
        let value = match packed {
            Some(p) => {
                g.texts.insert(
                    p.text_name,
                    Expiring {
                        value: p.text,
                        expires,
                    },
                );
                p.result
            }
            None => assessment.to_vec(),
        };
        g.results
            .insert(result_key.to_string(), Expiring { value, expires });
        Ok(())
    }

    async fn get_result(&self, result_key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let now = Instant::now();
        let (stored, text) = {
            let g = self.lock();
            let Some(stored) = g.results.get(result_key).filter(|e| e.expires > now) else {
                return Ok(None);
            };
            let text = crate::stored_result::text_name(&stored.value)
                .and_then(|name| g.texts.get(&name))
                .filter(|e| e.expires > now)
                .map(|e| e.value.clone());
            (stored.value.clone(), text)
        };
        match crate::stored_result::unpack(stored, text.as_deref()) {
            Ok(b) => Ok(Some(b)),
            Err(crate::stored_result::StoredResultError::TextMissing(_)) => Ok(None),
            Err(e) => Err(StoreError::Corrupt(e.to_string())),
        }
    }

    async fn get_text(&self, text_id: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        let now = Instant::now();
        let stored = {
            let g = self.lock();
            let name = crate::stored_result::text_name_of(text_id);
            let Some(e) = g.texts.get(&name).filter(|e| e.expires > now) else {
                return Ok(None);
            };
            e.value.clone()
        };
        crate::stored_result::unpack_text(&stored)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn watch(&self, id: &str) -> Result<BoxStream<'static, JobRecord>, StoreError> {
        let (rx, current) = {
            let mut g = self.lock();
            let Some(current) = g.job(id, Instant::now()).cloned() else {
                return Ok(stream::empty().boxed());
            };
            let tx = g
                .watchers
                .entry(id.to_string())
                .or_insert_with(|| broadcast::channel(64).0);
            (tx.subscribe(), current)
        };
        Ok(crate::watch::watch_stream(current, rx, {
            let store = self.clone();
            let id = id.to_string();
            move || {
                let store = store.clone();
                let id = id.clone();
                async move { store.get_any(&id).await.ok().flatten() }
            }
        }))
    }

    async fn stale_queued(
        &self,
        older_than: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let cutoff = now_ms() - i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX);
        let now = Instant::now();
        let g = self.lock();
        let mut out: Vec<JobRecord> = g
            .jobs
            .values()
            .filter(|e| e.expires > now)
            .map(|e| &e.value)
            .filter(|r| r.state == JobState::Queued && r.update_time_ms < cutoff)
            .cloned()
            .collect();
        out.sort_by_key(|r| r.update_time_ms);
        out.truncate(limit);
        Ok(out)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn claim_webhooks(
        &self,
        now_ms: i64,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let now = Instant::now();
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let mut g = self.lock();
        let mut ids: Vec<(i64, String)> = g
            .webhooks
            .iter()
            .filter(|(_, at)| **at <= now_ms)
            .map(|(id, at)| (*at, id.clone()))
            .collect();
        ids.sort();
        ids.truncate(limit);
        let mut out = Vec::with_capacity(ids.len());
        for (_, id) in ids {
            match g.job(&id, now).filter(|r| r.webhook.is_some()).cloned() {
                Some(rec) => {
                    g.webhooks.insert(id, now_ms.saturating_add(lease_ms));
                    out.push(rec);
                }
                None => {
                    g.webhooks.remove(&id);
                }
            }
        }
        Ok(out)
    }

    async fn create_batch(&self, b: &BatchRecord) -> Result<(), StoreError> {
        let mut rec = b.clone();
        rec.total = 0;
        rec.counts = BatchCounts::default();
        self.lock().batches.insert(
            b.id.clone(),
            MemBatch {
                rec,
                jobs: Vec::new(),
                rows: HashMap::new(),
            },
        );
        Ok(())
    }

    async fn get_batch(&self, tenant: &str, id: &str) -> Result<Option<BatchRecord>, StoreError> {
        Ok(self
            .lock()
            .batches
            .get(id)
            .map(|b| b.rec.clone())
            .filter(|b| b.tenant == tenant))
    }

    async fn list_batches(
        &self,
        tenant: &str,
        page_size: usize,
        page_token: &str,
    ) -> Result<BatchPage, StoreError> {
        let cursor = page_token::decode(page_token)?;
        let page_size = clamp_page_size(page_size);
        let g = self.lock();
        let mut all: Vec<BatchRecord> = g
            .batches
            .values()
            .map(|b| &b.rec)
            .filter(|b| b.tenant == tenant)
            .filter(|b| {
                cursor
                    .as_ref()
                    .is_none_or(|c| page_token::is_after(c, b.create_time_ms, &b.id))
            })
            .cloned()
            .collect();
        all.sort_by(|a, b| {
            (b.create_time_ms, b.id.as_str()).cmp(&(a.create_time_ms, a.id.as_str()))
        });
        let more = all.len() > page_size;
        all.truncate(page_size);
        let next_page_token = match (more, all.last()) {
            (true, Some(last)) => Some(page_token::encode(&Cursor {
                create_time_ms: last.create_time_ms,
                id: last.id.clone(),
            })),
            _ => None,
        };
        Ok(BatchPage {
            batches: all,
            next_page_token,
        })
    }

    async fn batch_job_ids(&self, batch_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .lock()
            .batches
            .get(batch_id)
            .map(|b| b.jobs.clone())
            .unwrap_or_default())
    }

    async fn put_batch_row(
        &self,
        batch_id: &str,
        job_id: &str,
        row: &[u8],
    ) -> Result<(), StoreError> {
        let row = crate::stored_result::pack_row(row);
        if let Some(b) = self.lock().batches.get_mut(batch_id) {
            b.rows.insert(job_id.to_string(), row);
        }
        Ok(())
    }

    async fn batch_rows(&self, batch_id: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows: Vec<(String, Vec<u8>)> = self
            .lock()
            .batches
            .get(batch_id)
            .map(|b| b.rows.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        // Decompressed outside the lock.
        Ok(crate::stored_result::unpack_rows(rows))
    }

    async fn put_issuer_row(
        &self,
        tenant: &str,
        issuer: &str,
        job_id: &str,
        row: &[u8],
    ) -> Result<(), StoreError> {
        let row = crate::stored_result::pack_row(row);
        self.lock()
            .issuers
            .entry((tenant.to_string(), issuer.trim().to_string()))
            .or_default()
            .insert(job_id.to_string(), row);
        Ok(())
    }

    async fn issuer_rows(
        &self,
        tenant: &str,
        issuer: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let rows: Vec<(String, Vec<u8>)> = self
            .lock()
            .issuers
            .get(&(tenant.to_string(), issuer.trim().to_string()))
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        // Decompressed outside the lock.
        Ok(crate::stored_result::unpack_rows(rows))
    }

    async fn similar_candidates(
        &self,
        tenant: &str,
        band_keys: &[u64],
    ) -> Result<Vec<(u64, u32)>, StoreError> {
        let g = self.lock();
        let Some(idx) = g.similarity.get(tenant) else {
            return Ok(Vec::new());
        };
        let mut hits: HashMap<u64, u32> = HashMap::new();
        for k in band_keys {
            for n in idx.bands.get(k).into_iter().flatten() {
                *hits.entry(*n).or_default() += 1;
            }
        }
        Ok(hits.into_iter().collect())
    }

    async fn similarity_docs(
        &self,
        tenant: &str,
        entries: &[u64],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        let g = self.lock();
        let idx = g.similarity.get(tenant);
        Ok(entries
            .iter()
            .map(|n| {
                let i = usize::try_from(n.checked_sub(1)?).ok()?;
                idx.and_then(|x| x.docs.get(i).cloned())
            })
            .collect())
    }

    async fn sentence_frequencies(
        &self,
        tenant: &str,
        hashes: &[u64],
    ) -> Result<(Vec<u32>, u64), StoreError> {
        let g = self.lock();
        let Some(idx) = g.similarity.get(tenant) else {
            return Ok((vec![0; hashes.len()], 0));
        };
        Ok((
            hashes
                .iter()
                .map(|h| idx.freq.get(h).copied().unwrap_or(0))
                .collect(),
            idx.reports,
        ))
    }

    async fn index_similarity(
        &self,
        tenant: &str,
        job_id: &str,
        band_keys: &[u64],
        doc: &[u8],
        hashes: &[u64],
    ) -> Result<u64, StoreError> {
        let mut g = self.lock();
        let idx = g.similarity.entry(tenant.to_string()).or_default();
        if let Some(n) = idx.entries.get(job_id) {
            return Ok(*n);
        }
        idx.docs.push(doc.to_vec());
        let n = idx.docs.len() as u64;
        idx.entries.insert(job_id.to_string(), n);
        for k in band_keys {
            let bucket = idx.bands.entry(*k).or_default();
            bucket.push(n);
            if bucket.len() > SIMILAR_BUCKET_CAP {
                bucket.remove(0);
            }
        }
        let mut distinct = hashes.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        for h in distinct {
            *idx.freq.entry(h).or_default() += 1;
        }
        idx.reports += 1;
        Ok(n)
    }

    async fn put_overlay(&self, job_id: &str, overlay: &[u8]) -> Result<(), StoreError> {
        self.lock()
            .overlays
            .insert(job_id.to_string(), overlay.to_vec());
        Ok(())
    }

    async fn overlay(&self, job_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().overlays.get(job_id).cloned())
    }

    async fn record_webhook(&self, id: &str, webhook: &Webhook) -> Result<(), StoreError> {
        let mut g = self.lock();
        let Some(rec) = g.job(id, Instant::now()) else {
            g.webhooks.remove(id);
            return Ok(());
        };
        rec.webhook = Some(webhook.clone());
        if webhook.state.is_final() {
            g.webhooks.remove(id);
        } else {
            g.webhooks.insert(id.to_string(), webhook.next_attempt_ms);
        }
        Ok(())
    }
}
