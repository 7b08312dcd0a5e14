//! Where job state and assessments live: Redis in production, memory in the embedded default.

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::batch::{BatchPage, BatchRecord};
use crate::model::{JobMessage, JobRecord, JobState, Progress, Webhook};

/// Entries one copied-text bucket keeps (the newest). 16 four-byte entry numbers are 64 bytes,
/// the largest value Redis keeps in a compact (listpack) hash by default: the index stays
/// small, and a passage shared by more reports than this is nearly boilerplate anyway.
pub const SIMILAR_BUCKET_CAP: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The backing service is unreachable or timed out; callers answer UNAVAILABLE / retry.
    #[error("job store unavailable: {0}")]
    Unavailable(String),
    /// Stored data could not be read back (corrupt or from an incompatible version).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A `list` page token that this store did not issue (or that was tampered with); callers
    /// answer INVALID_ARGUMENT.
    #[error("invalid page token: {0}")]
    InvalidPageToken(String),
}

/// Outcome of recording a job under an idempotency key.
#[derive(Debug, Clone)]
// Boxing `Existing` would change the contract the gateway matches on; the size is harmless.
#[allow(clippy::large_enum_variant)]
pub enum CreateOutcome {
    Created,
    /// The request id was already used by this tenant: the earlier job.
    Existing(JobRecord),
}

/// A state change, applied only if the job is currently in one of `from`.
#[derive(Debug, Clone)]
pub struct Transition {
    pub from: &'static [JobState],
    pub to: JobState,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// Increment `attempts` (a worker started a delivery).
    pub bump_attempts: bool,
    /// Set the checklist actually used.
    pub checklist_id: Option<String>,
}

impl Transition {
    /// The step to SUCCEEDED, from QUEUED (a cached result) or RUNNING.
    pub fn succeeded(checklist_id: &str) -> Self {
        Self {
            from: &[JobState::Queued, JobState::Running],
            to: JobState::Succeeded,
            // A failed earlier attempt's reason does not stay on a job that succeeded.
            error_code: Some(String::new()),
            error_message: Some(String::new()),
            bump_attempts: false,
            checklist_id: Some(checklist_id.to_string()),
        }
    }
}

/// A report's entry in its tenant's copied-text index (see [`JobStore::index_similarity`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimilarityEntry {
    pub tenant: String,
    pub band_keys: Vec<u64>,
    /// The encoded index document (what a later report's comparison reads back).
    pub doc: Vec<u8>,
    pub hashes: Vec<u64>,
}

/// Everything a job's success writes, for [`JobStore::finish`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Completion<'a> {
    pub result_key: &'a str,
    pub assessment: &'a [u8],
    pub checklist_id: &'a str,
    /// Indexed even when the transition is refused (a job cancelled meanwhile): the report
    /// was assessed, and a redelivery finds the entry it already has.
    pub index: Option<&'a SimilarityEntry>,
    /// The job's overlay, stored before the job reads SUCCEEDED.
    pub overlay: Option<&'a [u8]>,
    /// (batch id, encoded row), kept only when the job succeeded here.
    pub batch_row: Option<(&'a str, &'a [u8])>,
    /// (tenant, issuer, encoded row), likewise.
    pub issuer_row: Option<(&'a str, &'a str, &'a [u8])>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub jobs: Vec<JobRecord>,
    pub next_page_token: Option<String>,
}

#[async_trait]
pub trait JobStore: Send + Sync + 'static {
    /// Records a new job (state QUEUED). With `request_id` non-empty, the id is claimed
    /// atomically per tenant: a second call returns the first job.
    async fn create(&self, job: &JobRecord) -> Result<CreateOutcome, StoreError>;
    /// Like [`JobStore::create`], and also keeps `msg` (the self-contained job message) while the
    /// job is not terminal, so the orphan reconciler can re-publish a job whose publish never
    /// reached the broker (crash between the store write and the confirm). Gateways should call
    /// this instead of `create` for QUEUED jobs. The default forgets the message.
    async fn create_with_message(
        &self,
        job: &JobRecord,
        msg: &JobMessage,
    ) -> Result<CreateOutcome, StoreError> {
        let _ = msg;
        self.create(job).await
    }
    /// The message kept by [`JobStore::create_with_message`], while the job is not terminal.
    async fn pending_message(&self, id: &str) -> Result<Option<JobMessage>, StoreError> {
        let _ = id;
        Ok(None)
    }
    /// The job, only if it belongs to `tenant`.
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<JobRecord>, StoreError>;
    /// The job regardless of tenant (workers only).
    async fn get_any(&self, id: &str) -> Result<Option<JobRecord>, StoreError>;
    /// Applies `t` atomically (compare-and-set on state); `Ok(None)` when the job is missing or
    /// not in an allowed `from` state. Publishes the new record to watchers.
    async fn transition(&self, id: &str, t: Transition) -> Result<Option<JobRecord>, StoreError>;
    /// Records how far a RUNNING job has got (OCR pages) and tells watchers; `Ok(false)` when
    /// the job is missing or no longer RUNNING (the progress is then dropped).
    async fn set_progress(&self, id: &str, progress: &Progress) -> Result<bool, StoreError>;
    /// Stores the assessment under `result_key` and marks the job SUCCEEDED in one atomic step.
    async fn complete(
        &self,
        id: &str,
        result_key: &str,
        assessment: &[u8],
        checklist_id: &str,
    ) -> Result<Option<JobRecord>, StoreError>;
    /// A job's success in one step: its index entry and overlay, then [`JobStore::complete`],
    /// then (only if that applied) its summary rows. The extras cost a warning when they fail,
    /// never the job: an index entry, an overlay or a row is worth less than the result. Stores
    /// with round trips override this to pay one; the default makes the calls in turn.
    async fn finish(&self, id: &str, c: Completion<'_>) -> Result<Option<JobRecord>, StoreError> {
        if let Some(e) = c.index
            && let Err(err) = self
                .index_similarity(&e.tenant, id, &e.band_keys, &e.doc, &e.hashes)
                .await
        {
            tracing::warn!(error = %err, "cannot index the report for copied text");
        }
        if let Some(o) = c.overlay
            && let Err(err) = self.put_overlay(id, o).await
        {
            tracing::warn!(error = %err, "cannot store the similar reports");
        }
        let done = self
            .complete(id, c.result_key, c.assessment, c.checklist_id)
            .await?;
        if done.is_some() {
            if let Some((batch, row)) = c.batch_row
                && let Err(err) = self.put_batch_row(batch, id, row).await
            {
                tracing::warn!(error = %err, "cannot store the batch row; rebuilt at the next summary");
            }
            if let Some((tenant, issuer, row)) = c.issuer_row
                && let Err(err) = self.put_issuer_row(tenant, issuer, id, row).await
            {
                tracing::warn!(error = %err, "cannot store the issuer row");
            }
        }
        Ok(done)
    }
    /// Jobs of `tenant`, newest first, optionally filtered by state.
    async fn list(
        &self,
        tenant: &str,
        state: Option<JobState>,
        page_size: usize,
        page_token: &str,
    ) -> Result<Page, StoreError>;
    /// Cached assessment bytes (encoded fazhi.v1.Assessment).
    async fn get_result(&self, result_key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A stored normalized text alone (UTF-8), by [`crate::stored_result::text_id`]: what the
    /// copied-text check needs of another report, without reading its whole assessment.
    async fn get_text(&self, text_id: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Caches an assessment with no job attached (the synchronous AssessReport path), so a later
    /// submission of the same content is answered from the cache.
    async fn put_result(&self, result_key: &str, assessment: &[u8]) -> Result<(), StoreError>;
    /// Every later version of the job (after this call), until it is terminal.
    ///
    /// Implementations first yield the version current once the subscription is live, so that
    /// no change can fall between a caller's `get` and its `watch`; callers that already sent
    /// that version skip it by comparing `update_time_ms`/`state`. An unknown job gives an
    /// empty stream. The stream ends after the first terminal version.
    async fn watch(&self, id: &str) -> Result<BoxStream<'static, JobRecord>, StoreError>;
    /// QUEUED jobs last updated before `older_than` ago (for the orphan reconciler).
    async fn stale_queued(
        &self,
        older_than: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;
    /// Jobs whose webhook is due (ended, next attempt ≤ `now_ms`), at most `limit`, each
    /// claimed for `lease` so another process does not send it meanwhile. A job enters this
    /// index atomically with its terminal transition (or its creation, when born terminal), so
    /// no ending is missed across crashes; a claimed delivery whose sender dies comes back
    /// after the lease.
    async fn claim_webhooks(
        &self,
        now_ms: i64,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, StoreError>;
    /// Records an attempt's outcome: a final state leaves the index, a pending one is due again
    /// at `webhook.next_attempt_ms`. A job that no longer exists just leaves the index.
    async fn record_webhook(&self, id: &str, webhook: &Webhook) -> Result<(), StoreError>;
    /// Records a new, empty batch (counts zero).
    async fn create_batch(&self, batch: &BatchRecord) -> Result<(), StoreError>;
    /// The batch with its current counts, only if it belongs to `tenant`.
    async fn get_batch(&self, tenant: &str, id: &str) -> Result<Option<BatchRecord>, StoreError>;
    /// Batches of `tenant`, newest first.
    async fn list_batches(
        &self,
        tenant: &str,
        page_size: usize,
        page_token: &str,
    ) -> Result<BatchPage, StoreError>;
    /// Ids of every job created in the batch.
    async fn batch_job_ids(&self, batch_id: &str) -> Result<Vec<String>, StoreError>;
    /// Keeps the summary row (an encoded fazhi.v1.BatchRow) of an assessed job of the batch.
    async fn put_batch_row(
        &self,
        batch_id: &str,
        job_id: &str,
        row: &[u8],
    ) -> Result<(), StoreError>;
    /// Every stored row of the batch: (job id, encoded row).
    async fn batch_rows(&self, batch_id: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
    /// Keeps the summary row of a tenant's assessed report under its issuer (issuer history).
    async fn put_issuer_row(
        &self,
        tenant: &str,
        issuer: &str,
        job_id: &str,
        row: &[u8],
    ) -> Result<(), StoreError>;
    /// Entries of `tenant`'s copied-text index sharing at least one LSH band key with these:
    /// (entry number, bands shared). A bucket keeps its newest [`SIMILAR_BUCKET_CAP`] entries.
    async fn similar_candidates(
        &self,
        tenant: &str,
        band_keys: &[u64],
    ) -> Result<Vec<(u64, u32)>, StoreError>;
    /// The stored documents of these index entries (`None` for entries gone with their TTL).
    async fn similarity_docs(
        &self,
        tenant: &str,
        entries: &[u64],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError>;
    /// In how many of the tenant's indexed reports each sentence hash occurs (an upper bound
    /// from a fixed-size sketch), and how many reports are indexed.
    async fn sentence_frequencies(
        &self,
        tenant: &str,
        hashes: &[u64],
    ) -> Result<(Vec<u32>, u64), StoreError>;
    /// Adds a job's report to the tenant's index — its band keys, its document, its sentence
    /// counts — once: a redelivered job keeps its first entry and counts nothing again (a store
    /// may add the counts just after the entry, so a crash between them loses them rather than
    /// counting twice). Returns the entry number.
    async fn index_similarity(
        &self,
        tenant: &str,
        job_id: &str,
        band_keys: &[u64],
        doc: &[u8],
        hashes: &[u64],
    ) -> Result<u64, StoreError>;
    /// The per-job part of an assessment (similar reports and their findings), merged into the
    /// content-addressed assessment when it is read — so the shared cache holds nothing of a
    /// tenant's other documents.
    async fn put_overlay(&self, job_id: &str, overlay: &[u8]) -> Result<(), StoreError>;
    async fn overlay(&self, job_id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every row kept for the tenant's issuer: (job id, encoded row).
    async fn issuer_rows(
        &self,
        tenant: &str,
        issuer: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}
