//! [`RedisStore`]: job state, request-id claims and assessments in Redis (7.0 or newer).
//!
//! Keys (all under a configurable prefix `{p}`, default `fazhi:`):
//! - `{p}job:{id}` — hash, one field per [`JobRecord`] field; TTL `job_ttl`, refreshed on
//!   every change.
//! - `{p}req:{tenant}:{request_id}` — `"{job_id}|{content_sha256}"`, claimed with the job in
//!   one Lua script (NX semantics), same TTL. A claim whose job expired is taken over.
//! - `{p}tenant:{tenant}:jobs` — sorted set of job ids by create time (for `list`); members
//!   older than twice the job TTL are pruned on create, members whose hash is gone are
//!   removed when `list` meets them.
//! - `{p}queued` — sorted set of QUEUED job ids by update time (for the orphan reconciler).
//! - `{p}msg:{id}` — encoded [`JobMessage`] of a non-terminal job, deleted when it finishes.
//! - `{p}result:{key}` — the assessment without its normalized text, zstd-compressed
//!   ([`crate::stored_result`]); TTL `result_ttl`.
//! - `{p}text:v3:{sha256}` — a normalized text (in GB18030 where it round-trips), zstd-compressed
//!   with the store's dictionary, once however many results read it; TTL `result_ttl`, renewed by
//!   every result written with it. (`{p}text:v2:{sha256}` and `{p}text:{sha256}`: the same for
//!   results of the earlier formats, read until they expire.)
//! - channel `{p}events:{id}` — every new version of the job, published by the same script
//!   that wrote it (netstring-encoded field list).
//!
//! Every state change is one Lua script (compare state, write, bump update time, EXPIRE,
//! index upkeep, PUBLISH), so concurrent workers and gateways cannot interleave half-writes.
//! Scripts name some keys they derive from the prefix instead of receiving them in `KEYS`;
//! fine on a single node, not cluster-safe.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use prost::Message;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Value};
use sha2::{Digest, Sha256};

mod codec;
mod hub;
mod script_args;
mod scripts;
mod sketch;

use codec::{
    batch_fields, batch_from_fields, fields_of, flat_bytes, record_fields, record_from_fields,
};
use hub::Hub;
use script_args::ScriptArgs;
use scripts::Scripts;

use crate::batch::{BatchPage, BatchRecord};
use crate::model::{JobMessage, JobRecord, JobState, Progress, Webhook, now_ms};
use crate::page_token::{self, Cursor};
use crate::store::{
    Completion, CreateOutcome, JobStore, Page, SIMILAR_BUCKET_CAP, SimilarityEntry, StoreError,
    Transition,
};
use crate::stored_result::{self, pack_row, unpack_rows};
use crate::watch::watch_stream;
use crate::{StoreTtls, clamp_page_size};

/// Connection and key-space settings for [`RedisStore::connect`].
#[derive(Debug, Clone)]
pub struct RedisStoreConfig {
    /// `redis://host:port/db`.
    pub url: String,
    /// Prepended to every key and channel; lets several deployments (or test runs) share one
    /// Redis.
    pub prefix: String,
    pub ttls: StoreTtls,
    /// Per connection attempt. Explicit, because a hung connect must turn into UNAVAILABLE.
    pub connection_timeout: Duration,
    /// Per command. Explicit, so a stalled Redis surfaces as an error instead of a hang.
    pub response_timeout: Duration,
    /// Background reconnect attempts of the connection manager (exponential backoff) before a
    /// command fails; later commands start a new round.
    pub reconnect_retries: usize,
    /// Cap of the reconnect backoff.
    pub reconnect_max_delay: Duration,
}

impl RedisStoreConfig {
    /// Defaults: prefix `fazhi:`, 7-day jobs, 30-day results, 1 s connect, 2 s response.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "fazhi:".into(),
            ttls: StoreTtls::default(),
            connection_timeout: Duration::from_secs(1),
            response_timeout: Duration::from_secs(2),
            reconnect_retries: 6,
            reconnect_max_delay: Duration::from_secs(5),
        }
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    pub fn with_ttls(mut self, ttls: StoreTtls) -> Self {
        self.ttls = ttls;
        self
    }
}

/// Redis-backed [`JobStore`]. Cheap to clone (one shared multiplexed connection).
#[derive(Clone)]
pub struct RedisStore {
    con: ConnectionManager,
    client: redis::Client,
    cfg: Arc<RedisStoreConfig>,
    scripts: Arc<Scripts>,
    hub: Arc<Hub>,
}

/// LSH buckets live in 2¹⁶ hashes per tenant (the top 16 bits of a band key pick the hash, the
/// low 32 bits are the field): at 100,000 reports × 24 bands that is ~37 small fields per hash,
/// which Redis keeps as a compact listpack — about 12 bytes per bucket entry instead of ~100 in
/// a sorted set. Past ~350,000 reports per tenant the hashes outgrow the listpack limit (128
/// fields by default) and cost more per entry, but stay correct.
const BAND_SHARD_BITS: u32 = 16;

fn band_shard_field(k: u64) -> (u64, u64) {
    (k >> (64 - BAND_SHARD_BITS), k & 0xFFFF_FFFF)
}

/// Entry numbers packed in a bucket value (4 bytes each, little-endian).
fn bucket_entries(v: &[u8]) -> impl Iterator<Item = u64> + '_ {
    v.chunks_exact(4)
        .map(|c| u64::from(u32::from_le_bytes([c[0], c[1], c[2], c[3]])))
}

fn map_err(e: redis::RedisError) -> StoreError {
    match e.kind() {
        redis::ErrorKind::Parse | redis::ErrorKind::UnexpectedReturnType => {
            StoreError::Corrupt(e.to_string())
        }
        _ => {
            if e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() {
                metrics::counter!("fazhi_cache_reconnects_total").increment(1);
            }
            StoreError::Unavailable(e.to_string())
        }
    }
}

fn secs(d: Duration) -> u64 {
    d.as_secs().max(1)
}

impl RedisStore {
    /// Connects (failing fast if Redis is unreachable) and loads nothing else: scripts are
    /// loaded on first use.
    pub async fn connect(cfg: RedisStoreConfig) -> Result<Self, StoreError> {
        let client = redis::Client::open(cfg.url.as_str())
            .map_err(|e| StoreError::Unavailable(format!("bad redis url: {e}")))?;
        let mcfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(cfg.connection_timeout))
            .set_response_timeout(Some(cfg.response_timeout))
            .set_number_of_retries(cfg.reconnect_retries)
            .set_max_delay(cfg.reconnect_max_delay);
        let con = tokio::time::timeout(
            cfg.connection_timeout + cfg.response_timeout,
            client.get_connection_manager_with_config(mcfg),
        )
        .await
        .map_err(|_| StoreError::Unavailable("redis connect timed out".into()))?
        .map_err(map_err)?;
        let hub = Arc::new(Hub::new());
        Ok(Self {
            con,
            client,
            cfg: Arc::new(cfg),
            scripts: Arc::new(Scripts::load()),
            hub,
        })
    }

    pub fn config(&self) -> &RedisStoreConfig {
        &self.cfg
    }

    fn key(&self, parts: &[&str]) -> String {
        let mut k = self.cfg.prefix.clone();
        k.push_str(&parts.concat());
        k
    }
    fn job_key(&self, id: &str) -> String {
        self.key(&["job:", id])
    }
    fn msg_key(&self, id: &str) -> String {
        self.key(&["msg:", id])
    }
    fn queued_key(&self) -> String {
        self.key(&["queued"])
    }
    fn tenant_key(&self, tenant: &str) -> String {
        self.key(&["tenant:", tenant, ":jobs"])
    }
    fn batch_key(&self, id: &str) -> String {
        self.key(&["batch:", id])
    }
    fn tenant_batches_key(&self, tenant: &str) -> String {
        self.key(&["tenant:", tenant, ":batches"])
    }
    /// Issuer names are free text: the key holds the trimmed name in URL-safe base64.
    fn issuer_key(&self, tenant: &str, issuer: &str) -> String {
        let name = URL_SAFE_NO_PAD.encode(issuer.trim());
        self.key(&["tenant:", tenant, ":issuer:", &name])
    }
    fn band_shard_key(&self, tenant: &str, shard: u64) -> String {
        self.key(&["tenant:", tenant, ":bands:", &shard.to_string()])
    }
    /// Index documents are one key each (`…:simdoc:{entry}`), so each expires with its TTL.
    fn simdoc_prefix(&self, tenant: &str) -> String {
        self.key(&["tenant:", tenant, ":simdoc:"])
    }
    fn webhooks_key(&self) -> String {
        self.key(&["webhooks"])
    }
    /// A result is kept under its cache key's SHA-256 (43 characters of base64url): a cache key is
    /// ≈ 110 characters, and a key's name is stored with it (−80 bytes a job, `MEMORY USAGE`).
    fn result_key(&self, rk: &str) -> String {
        self.key(&["result:h:", &URL_SAFE_NO_PAD.encode(Sha256::digest(rk))])
    }
    /// Where results written before [`Self::result_key`] are, still read: under the cache key
    /// itself. It begins with a hex content hash, so it never begins with `h:`.
    fn legacy_result_key(&self, rk: &str) -> String {
        self.key(&["result:", rk])
    }
    fn text_key(&self, text_name: &str) -> String {
        self.key(&["text:", text_name])
    }
    fn events_channel(&self, id: &str) -> String {
        self.key(&["events:", id])
    }

    /// One page of the keys under the prefix: the next cursor (0 after the last page) and the
    /// keys.
    async fn scan_prefix(
        &self,
        con: &mut ConnectionManager,
        cursor: u64,
    ) -> Result<(u64, Vec<String>), StoreError> {
        redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{}*", self.cfg.prefix))
            .arg("COUNT")
            .arg(500)
            .query_async(con)
            .await
            .map_err(map_err)
    }

    /// Deletes every key under the prefix (test teardown, or wiping a deployment). Returns
    /// how many keys were deleted.
    pub async fn purge_prefix(&self) -> Result<u64, StoreError> {
        let mut con = self.con.clone();
        let mut cursor: u64 = 0;
        let mut deleted = 0u64;
        loop {
            let (next, keys) = self.scan_prefix(&mut con, cursor).await?;
            if !keys.is_empty() {
                let n: u64 = con.del(&keys).await.map_err(map_err)?;
                deleted += n;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }

    /// Keys under the prefix that would never expire, but for the queued set (emptied as jobs
    /// leave QUEUED, and swept by the reconciler): every other key fazhi writes has a time to
    /// live, so any found here is a leak (tests and ops).
    pub async fn keys_without_ttl(&self) -> Result<Vec<String>, StoreError> {
        let mut con = self.con.clone();
        let queued = self.queued_key();
        let mut cursor: u64 = 0;
        let mut out = Vec::new();
        loop {
            let (next, keys) = self.scan_prefix(&mut con, cursor).await?;
            if !keys.is_empty() {
                let mut pipe = redis::pipe();
                for k in &keys {
                    pipe.ttl(k);
                }
                let ttls: Vec<i64> = pipe.query_async(&mut con).await.map_err(map_err)?;
                out.extend(
                    keys.into_iter()
                        .zip(ttls)
                        .filter(|(k, t)| *t == -1 && *k != queued)
                        .map(|(k, _)| k),
                );
            }
            if next == 0 {
                return Ok(out);
            }
            cursor = next;
        }
    }

    /// Remaining TTL of a job hash in seconds (-2 missing, -1 no TTL); for tests and ops.
    pub async fn job_ttl_secs(&self, id: &str) -> Result<i64, StoreError> {
        let mut con = self.con.clone();
        con.ttl(self.job_key(id)).await.map_err(map_err)
    }

    /// Remaining TTL of a cached result in seconds (-2 missing, -1 no TTL).
    pub async fn result_ttl_secs(&self, result_key: &str) -> Result<i64, StoreError> {
        let mut con = self.con.clone();
        let ttl: i64 = con
            .ttl(self.result_key(result_key))
            .await
            .map_err(map_err)?;
        if ttl != -2 {
            return Ok(ttl);
        }
        con.ttl(self.legacy_result_key(result_key))
            .await
            .map_err(map_err)
    }

    /// One retry after a short pause for idempotent reads: the connection manager returns the
    /// error of the command that hit a broken connection, and reconnects behind it.
    async fn read<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: Fn(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = Result<T, StoreError>>,
    {
        match f(self.con.clone()).await {
            Err(StoreError::Unavailable(_)) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                f(self.con.clone()).await
            }
            other => other,
        }
    }

    async fn hgetall(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        let key = self.job_key(id);
        self.read(|mut con| {
            let key = key.clone();
            async move {
                let flat: Vec<Vec<u8>> = con.hgetall(&key).await.map_err(map_err)?;
                if flat.is_empty() {
                    return Ok(None);
                }
                record_from_fields(&fields_of(flat)).map(Some)
            }
        })
        .await
    }

    async fn hgetall_many(&self, ids: &[String]) -> Result<Vec<Option<JobRecord>>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for id in ids {
            pipe.hgetall(self.job_key(id));
        }
        let rows: Vec<Vec<Vec<u8>>> = self
            .read(|mut con| {
                let pipe = pipe.clone();
                async move { pipe.query_async(&mut con).await.map_err(map_err) }
            })
            .await?;
        rows.into_iter()
            .map(|flat| {
                if flat.is_empty() {
                    Ok(None)
                } else {
                    record_from_fields(&fields_of(flat)).map(Some)
                }
            })
            .collect()
    }

    /// Members of an index sorted set with score ≤ `max` (a number or `+inf`), highest first.
    async fn newest_first(
        &self,
        idx: &str,
        max: &str,
        offset: usize,
        count: usize,
    ) -> Result<Vec<(String, f64)>, StoreError> {
        self.read(|mut con| async move {
            redis::cmd("ZREVRANGEBYSCORE")
                .arg(idx)
                .arg(max)
                .arg("-inf")
                .arg("WITHSCORES")
                .arg("LIMIT")
                .arg(offset)
                .arg(count)
                .query_async(&mut con)
                .await
                .map_err(map_err)
        })
        .await
    }

    /// One hash field written, the hash kept as long as results (rows of batches and issuers).
    async fn hset_kept(&self, key: &str, field: &str, value: &[u8]) -> Result<(), StoreError> {
        let ttl = secs(self.cfg.ttls.result_ttl) as i64;
        let mut pipe = redis::pipe();
        pipe.atomic()
            .hset(key, field, value)
            .ignore()
            .expire(key, ttl)
            .ignore();
        let mut con = self.con.clone();
        pipe.query_async::<()>(&mut con).await.map_err(map_err)
    }

    /// Every field of a hash, as (field, value) pairs.
    async fn hash_pairs(&self, key: String) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let m: HashMap<String, Vec<u8>> = self
            .read(|mut con| {
                let key = key.clone();
                async move { con.hgetall(&key).await.map_err(map_err) }
            })
            .await?;
        Ok(m.into_iter().collect())
    }

    /// A hash of summary rows, each as it was given to be kept.
    async fn rows(&self, key: String) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(unpack_rows(self.hash_pairs(key).await?))
    }

    async fn do_create(
        &self,
        job: &JobRecord,
        msg: Option<&JobMessage>,
    ) -> Result<CreateOutcome, StoreError> {
        let ttl = secs(self.cfg.ttls.job_ttl);
        let has_req = !job.request_id.is_empty();
        let req_key = if has_req {
            self.key(&["req:", &job.tenant, ":", &job.request_id])
        } else {
            self.key(&["req:-"])
        };
        let prune_before =
            now_ms() - 2 * i64::try_from(self.cfg.ttls.job_ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let mut inv = self.scripts.create.prepare_invoke();
        inv.key(self.job_key(&job.id))
            .key(&req_key)
            .key(self.tenant_key(&job.tenant))
            .key(self.queued_key())
            .key(self.msg_key(&job.id))
            .arg(self.key(&["job:"]))
            .arg(ttl)
            .arg(if has_req { "1" } else { "0" })
            .arg(format!("{}|{}", job.id, job.content_sha256))
            .arg(&job.id)
            .arg(job.create_time_ms)
            .arg(job.update_time_ms)
            .arg(job.state.as_str())
            .arg(prune_before)
            .arg(msg.map(|m| m.encode_to_vec()).unwrap_or_default())
            .arg(if job.state.is_terminal() { "1" } else { "0" })
            .arg(if job.webhook.is_some() {
                self.webhooks_key()
            } else {
                String::new()
            })
            .arg(if job.batch_id.is_empty() {
                String::new()
            } else {
                self.batch_key(&job.batch_id)
            });
        for (k, v) in record_fields(job) {
            inv.arg(k).arg(v);
        }
        let mut con = self.con.clone();
        let v: Value = inv.invoke_async(&mut con).await.map_err(map_err)?;
        let Value::Array(items) = v else {
            return Err(StoreError::Corrupt(format!("create returned {v:?}")));
        };
        let mut it = items.into_iter();
        let tag = it
            .next()
            .map(|t| redis::from_redis_value::<String>(t).unwrap_or_default())
            .unwrap_or_default();
        match tag.as_str() {
            "created" => Ok(CreateOutcome::Created),
            "existing" => {
                let flat = flat_bytes(it.next().unwrap_or(Value::Nil))?;
                Ok(CreateOutcome::Existing(record_from_fields(&fields_of(
                    flat,
                ))?))
            }
            other => Err(StoreError::Corrupt(format!(
                "create returned tag {other:?}"
            ))),
        }
    }

    /// transition.lua's keys and arguments; with `result`, the terminal step's result too.
    fn transition_args(
        &self,
        id: &str,
        t: &Transition,
        result: Option<(&str, &[u8])>,
    ) -> ScriptArgs {
        let from = format!(
            ",{},",
            t.from
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let flag = |b: bool| if b { "1" } else { "0" };
        let mut a = ScriptArgs::default();
        a.key(self.job_key(id))
            .key(self.queued_key())
            .key(self.msg_key(id));
        // An assessment that cannot be split (never one the engine wrote) is kept whole.
        let packed = result.and_then(|(_, b)| stored_result::pack(b).ok());
        if let Some((rk, _)) = result {
            a.key(self.result_key(rk));
            if let Some(p) = &packed {
                a.key(self.text_key(&p.text_name));
            }
        }
        a.arg(from)
            .arg(t.to.as_str())
            .arg(now_ms())
            .arg(secs(self.cfg.ttls.job_ttl))
            .arg(flag(t.error_code.is_some()))
            .arg(t.error_code.as_deref().unwrap_or(""))
            .arg(flag(t.error_message.is_some()))
            .arg(t.error_message.as_deref().unwrap_or(""))
            .arg(flag(t.bump_attempts))
            .arg(flag(t.checklist_id.is_some()))
            .arg(t.checklist_id.as_deref().unwrap_or(""))
            .arg(self.events_channel(id))
            .arg(id)
            .arg(flag(t.to.is_terminal()))
            .arg(secs(self.cfg.ttls.result_ttl))
            .arg(match (&packed, result) {
                (Some(p), _) => p.result.as_slice(),
                (None, Some((_, b))) => b,
                (None, None) => b"",
            })
            .arg(self.webhooks_key())
            .arg(self.key(&["batch:"]))
            .arg(packed.as_ref().map_or(&b""[..], |p| p.text.as_slice()));
        a
    }

    async fn do_transition(
        &self,
        id: &str,
        t: &Transition,
        result: Option<(&str, &[u8])>,
    ) -> Result<Option<JobRecord>, StoreError> {
        let args = self.transition_args(id, t, result);
        let mut con = self.con.clone();
        let v: Value = args
            .invocation(&self.scripts.transition)
            .invoke_async(&mut con)
            .await
            .map_err(map_err)?;
        record_of(v)
    }

    /// index_similarity.lua's keys and arguments.
    fn index_args(&self, job_id: &str, e: EntryRef<'_>) -> ScriptArgs {
        let tenant = e.tenant;
        let mut a = ScriptArgs::default();
        a.key(self.job_key(job_id))
            .key(self.key(&["tenant:", tenant, ":simcount"]))
            .arg(secs(self.cfg.ttls.result_ttl))
            .arg(self.simdoc_prefix(tenant))
            .arg(e.doc)
            .arg(SIMILAR_BUCKET_CAP)
            .arg(e.band_keys.len());
        for k in e.band_keys {
            let (shard, field) = band_shard_field(*k);
            a.key(self.band_shard_key(tenant, shard)).arg(field);
        }
        a
    }

    /// Counts a newly indexed report's sentences in its tenant's sketch ([`sketch`]).
    async fn count_sentences(&self, tenant: &str, hashes: &[u64]) -> Result<(), StoreError> {
        let key = self.key(&["tenant:", tenant, ":sketch"]);
        let ttl = i64::try_from(secs(self.cfg.ttls.result_ttl)).unwrap_or(i64::MAX);
        let mut pipe = redis::pipe();
        sketch::count(&mut pipe, &key, hashes, ttl);
        let mut con = self.con.clone();
        pipe.query_async::<()>(&mut con).await.map_err(map_err)
    }
}

/// An index entry's parts, borrowed from a [`SimilarityEntry`] or from `index_similarity`'s
/// arguments.
#[derive(Clone, Copy)]
struct EntryRef<'a> {
    tenant: &'a str,
    band_keys: &'a [u64],
    doc: &'a [u8],
}

impl<'a> From<&'a SimilarityEntry> for EntryRef<'a> {
    fn from(e: &'a SimilarityEntry) -> Self {
        Self {
            tenant: &e.tenant,
            band_keys: &e.band_keys,
            doc: &e.doc,
        }
    }
}

/// A transition script's answer: the job's fields, or nothing when refused.
fn record_of(v: Value) -> Result<Option<JobRecord>, StoreError> {
    match v {
        Value::Nil | Value::Boolean(false) => Ok(None),
        Value::Int(0) => Ok(None),
        other => {
            let flat = flat_bytes(other)?;
            record_from_fields(&fields_of(flat)).map(Some)
        }
    }
}

#[async_trait]
impl JobStore for RedisStore {
    async fn create(&self, job: &JobRecord) -> Result<CreateOutcome, StoreError> {
        self.do_create(job, None).await
    }

    async fn create_with_message(
        &self,
        job: &JobRecord,
        msg: &JobMessage,
    ) -> Result<CreateOutcome, StoreError> {
        self.do_create(job, Some(msg)).await
    }

    async fn pending_message(&self, id: &str) -> Result<Option<JobMessage>, StoreError> {
        let key = self.msg_key(id);
        let bytes: Option<Vec<u8>> = self
            .read(|mut con| {
                let key = key.clone();
                async move { con.get(&key).await.map_err(map_err) }
            })
            .await?;
        bytes
            .map(|b| {
                JobMessage::decode(b.as_slice()).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .transpose()
    }

    async fn get(&self, tenant: &str, id: &str) -> Result<Option<JobRecord>, StoreError> {
        Ok(self.hgetall(id).await?.filter(|r| r.tenant == tenant))
    }

    async fn get_any(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.hgetall(id).await
    }

    async fn transition(&self, id: &str, t: Transition) -> Result<Option<JobRecord>, StoreError> {
        self.do_transition(id, &t, None).await
    }

    async fn set_progress(&self, id: &str, progress: &Progress) -> Result<bool, StoreError> {
        let mut con = self.con.clone();
        let set: i64 = self
            .scripts
            .progress
            .key(self.job_key(id))
            .arg(progress.encode())
            .arg(self.events_channel(id))
            .arg(now_ms())
            .invoke_async(&mut con)
            .await
            .map_err(map_err)?;
        Ok(set == 1)
    }

    async fn complete(
        &self,
        id: &str,
        result_key: &str,
        assessment: &[u8],
        checklist_id: &str,
    ) -> Result<Option<JobRecord>, StoreError> {
        let t = Transition::succeeded(checklist_id);
        self.do_transition(id, &t, Some((result_key, assessment)))
            .await
    }

    async fn finish(&self, id: &str, c: Completion<'_>) -> Result<Option<JobRecord>, StoreError> {
        let t = Transition::succeeded(c.checklist_id);
        let transition = self.transition_args(id, &t, Some((c.result_key, c.assessment)));
        let index = c
            .index
            .map(|e| self.index_args(id, e.into()))
            .unwrap_or_default();
        let mut rows: Vec<(String, Vec<u8>)> = Vec::new();
        if let Some((batch, row)) = c.batch_row {
            rows.push((format!("{}:rows", self.batch_key(batch)), pack_row(row)));
        }
        if let Some((tenant, issuer, row)) = c.issuer_row {
            rows.push((self.issuer_key(tenant, issuer), pack_row(row)));
        }
        let mut a = ScriptArgs::default();
        a.arg(transition.keys.len())
            .arg(transition.args.len())
            .arg(index.keys.len())
            .arg(index.args.len())
            .arg(
                c.overlay
                    .map_or(String::new(), |_| self.key(&["similar:", id])),
            )
            .arg(secs(self.cfg.ttls.job_ttl))
            .arg(c.overlay.unwrap_or_default())
            .arg(secs(self.cfg.ttls.result_ttl))
            .arg(rows.len());
        a.append(transition).append(index);
        for (key, row) in rows {
            a.arg(key).arg(id).arg(row);
        }
        let mut con = self.con.clone();
        let (record, warnings, made): (Value, Vec<String>, u8) = a
            .invocation(&self.scripts.finish)
            .invoke_async(&mut con)
            .await
            .map_err(map_err)?;
        if let Some(e) = c.index.filter(|_| made == 1)
            && let Err(err) = self.count_sentences(&e.tenant, &e.hashes).await
        {
            tracing::warn!(error = %err, "the report's sentences not counted for copied text");
        }
        for w in &warnings {
            tracing::warn!(warning = %w, "part of the job's success not stored");
        }
        record_of(record)
    }

    async fn list(
        &self,
        tenant: &str,
        state: Option<JobState>,
        page_size: usize,
        page_token: &str,
    ) -> Result<Page, StoreError> {
        const MAX_SCANNED: usize = 10_000;
        let cursor = page_token::decode(page_token)?;
        let page_size = clamp_page_size(page_size);
        let idx = self.tenant_key(tenant);
        let max = cursor
            .as_ref()
            .map(|c| c.create_time_ms.to_string())
            .unwrap_or_else(|| "+inf".into());
        let batch = (page_size * 2).clamp(16, 500);
        let mut offset = 0usize;
        let mut out: Vec<JobRecord> = Vec::new();
        let mut last_scanned: Option<Cursor> = None;
        let mut exhausted = false;
        let mut gone: Vec<String> = Vec::new();
        'scan: loop {
            let items = self.newest_first(&idx, &max, offset, batch).await?;
            let n = items.len();
            offset += n;
            let candidates: Vec<(String, i64)> = items
                .into_iter()
                .map(|(id, score)| (id, score as i64))
                .filter(|(id, t)| {
                    cursor
                        .as_ref()
                        .is_none_or(|c| page_token::is_after(c, *t, id))
                })
                .collect();
            let ids: Vec<String> = candidates.iter().map(|(id, _)| id.clone()).collect();
            let recs = self.hgetall_many(&ids).await?;
            for ((id, t), rec) in candidates.into_iter().zip(recs) {
                last_scanned = Some(Cursor {
                    create_time_ms: t,
                    id: id.clone(),
                });
                match rec {
                    None => gone.push(id),
                    Some(r) if r.tenant != tenant => {}
                    Some(r) => {
                        if state.is_none_or(|s| r.state == s) {
                            out.push(r);
                            if out.len() > page_size {
                                break 'scan;
                            }
                        }
                    }
                }
            }
            if n < batch {
                exhausted = true;
                break;
            }
            if offset >= MAX_SCANNED {
                break;
            }
        }
        if !gone.is_empty() {
            let mut con = self.con.clone();
            let _: Result<i64, _> = con.zrem(&idx, &gone).await;
        }
        let next_page_token = if out.len() > page_size {
            out.truncate(page_size);
            out.last().map(|r| {
                page_token::encode(&Cursor {
                    create_time_ms: r.create_time_ms,
                    id: r.id.clone(),
                })
            })
        } else if exhausted {
            None
        } else {
            // Scan budget spent on filtered-out jobs: a short page, resumable where it stopped.
            last_scanned.as_ref().map(page_token::encode)
        };
        Ok(Page {
            jobs: out,
            next_page_token,
        })
    }

    async fn put_result(&self, result_key: &str, assessment: &[u8]) -> Result<(), StoreError> {
        let key = self.result_key(result_key);
        let ttl = secs(self.cfg.ttls.result_ttl);
        let mut con = self.con.clone();
        let Ok(p) = stored_result::pack(assessment) else {
            return con
                .set_ex::<_, _, ()>(&key, assessment, ttl)
                .await
                .map_err(map_err);
        };
        // Text first: a result is never readable before the text it names.
        redis::pipe()
            .atomic()
            .set_ex(self.text_key(&p.text_name), p.text, ttl)
            .ignore()
            .set_ex(&key, p.result, ttl)
            .ignore()
            .query_async::<()>(&mut con)
            .await
            .map_err(map_err)
    }

    async fn get_result(&self, result_key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.result_key(result_key);
        let legacy = self.legacy_result_key(result_key);
        let text_prefix = self.key(&["text:"]);
        let parts: Option<Vec<Vec<u8>>> = self
            .read(|mut con| {
                let mut inv = self.scripts.read_result.prepare_invoke();
                inv.key(&key).key(&legacy).arg(&text_prefix);
                async move { inv.invoke_async(&mut con).await.map_err(map_err) }
            })
            .await?;
        let Some(mut parts) = parts else {
            return Ok(None);
        };
        let text = (parts.len() > 1).then(|| parts.swap_remove(1));
        let Some(stored) = parts.pop() else {
            return Ok(None);
        };
        match stored_result::unpack(stored, text.as_deref()) {
            Ok(b) => Ok(Some(b)),
            // The text outlives its results (every write renews it); gone, the result is too.
            Err(stored_result::StoredResultError::TextMissing(_)) => Ok(None),
            Err(e) => Err(StoreError::Corrupt(e.to_string())),
        }
    }

    async fn get_text(&self, text_id: &[u8; 32]) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.text_key(&stored_result::text_name_of(text_id));
        let stored: Option<Vec<u8>> = self
            .read(|mut con| {
                let key = key.clone();
                async move { con.get(key).await.map_err(map_err) }
            })
            .await?;
        stored
            .map(|s| stored_result::unpack_text(&s))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn watch(&self, id: &str) -> Result<BoxStream<'static, JobRecord>, StoreError> {
        let channel = self.events_channel(id);
        let rx = self.hub.subscribe(self, id, &channel).await?;
        // Re-read after the subscription is live: a change between a caller's `get` and now
        // is in `current`, every later one arrives on `rx`.
        let Some(current) = self.get_any(id).await? else {
            return Ok(stream::empty().boxed());
        };
        let store = self.clone();
        let id = id.to_string();
        Ok(watch_stream(current, rx, move || {
            let store = store.clone();
            let id = id.clone();
            async move { store.get_any(&id).await.ok().flatten() }
        }))
    }

    async fn stale_queued(
        &self,
        older_than: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let cutoff = now_ms() - i64::try_from(older_than.as_millis()).unwrap_or(i64::MAX / 4);
        let key = self.queued_key();
        let ids: Vec<String> = self
            .read(|mut con| {
                let key = key.clone();
                async move {
                    redis::cmd("ZRANGEBYSCORE")
                        .arg(&key)
                        .arg("-inf")
                        .arg(format!("({cutoff}"))
                        .arg("LIMIT")
                        .arg(0)
                        .arg(limit)
                        .query_async(&mut con)
                        .await
                        .map_err(map_err)
                }
            })
            .await?;
        let recs = self.hgetall_many(&ids).await?;
        let mut gone = Vec::new();
        let mut out = Vec::new();
        for (id, rec) in ids.into_iter().zip(recs) {
            match rec {
                Some(r) if r.state == JobState::Queued => out.push(r),
                _ => gone.push(id),
            }
        }
        if !gone.is_empty() {
            let mut con = self.con.clone();
            let _: Result<i64, _> = con.zrem(&key, &gone).await;
        }
        Ok(out)
    }

    async fn claim_webhooks(
        &self,
        now_ms: i64,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let mut inv = self.scripts.claim_webhooks.prepare_invoke();
        inv.key(self.webhooks_key())
            .arg(now_ms)
            .arg(now_ms.saturating_add(lease_ms))
            .arg(limit);
        let mut con = self.con.clone();
        let ids: Vec<String> = inv.invoke_async(&mut con).await.map_err(map_err)?;
        let mut due = Vec::with_capacity(ids.len());
        for (id, rec) in ids.iter().zip(self.hgetall_many(&ids).await?) {
            match rec {
                Some(r) if r.webhook.is_some() => due.push(r),
                // Expired with its job: nothing left to deliver.
                _ => {
                    let _: () = con.zrem(self.webhooks_key(), id).await.map_err(map_err)?;
                }
            }
        }
        Ok(due)
    }

    async fn record_webhook(&self, id: &str, w: &Webhook) -> Result<(), StoreError> {
        let mut inv = self.scripts.record_webhook.prepare_invoke();
        inv.key(self.job_key(id))
            .key(self.webhooks_key())
            .arg(id)
            .arg(w.state.as_str())
            .arg(w.attempts)
            .arg(w.last_attempt_ms)
            .arg(w.next_attempt_ms)
            .arg(&w.last_error);
        let mut con = self.con.clone();
        let _: i64 = inv.invoke_async(&mut con).await.map_err(map_err)?;
        Ok(())
    }

    async fn create_batch(&self, b: &BatchRecord) -> Result<(), StoreError> {
        let key = self.batch_key(&b.id);
        // A batch outlives its jobs' records as long as its results live.
        let ttl = secs(self.cfg.ttls.result_ttl);
        let mut pipe = redis::pipe();
        pipe.atomic();
        let mut hset = redis::cmd("HSET");
        hset.arg(&key);
        for (k, v) in batch_fields(b) {
            hset.arg(k).arg(v);
        }
        pipe.add_command(hset).ignore();
        pipe.expire(&key, ttl as i64).ignore();
        let idx = self.tenant_batches_key(&b.tenant);
        pipe.zadd(&idx, &b.id, b.create_time_ms).ignore();
        pipe.expire(&idx, ttl as i64).ignore();
        let mut con = self.con.clone();
        pipe.query_async::<()>(&mut con).await.map_err(map_err)
    }

    async fn get_batch(&self, tenant: &str, id: &str) -> Result<Option<BatchRecord>, StoreError> {
        let key = self.batch_key(id);
        let flat: Vec<Vec<u8>> = self
            .read(|mut con| {
                let key = key.clone();
                async move { con.hgetall(&key).await.map_err(map_err) }
            })
            .await?;
        if flat.is_empty() {
            return Ok(None);
        }
        Ok(Some(batch_from_fields(&fields_of(flat))?).filter(|b| b.tenant == tenant))
    }

    async fn list_batches(
        &self,
        tenant: &str,
        page_size: usize,
        page_token: &str,
    ) -> Result<BatchPage, StoreError> {
        let cursor = page_token::decode(page_token)?;
        let page_size = clamp_page_size(page_size);
        let idx = self.tenant_batches_key(tenant);
        let max = cursor
            .as_ref()
            .map_or_else(|| "+inf".to_string(), |c| c.create_time_ms.to_string());
        let items = self.newest_first(&idx, &max, 0, page_size + 64).await?;
        let mut out = Vec::new();
        for (id, t) in items {
            if cursor
                .as_ref()
                .is_some_and(|c| !page_token::is_after(c, t as i64, &id))
            {
                continue;
            }
            if let Some(b) = self.get_batch(tenant, &id).await? {
                out.push(b);
            }
            if out.len() > page_size {
                break;
            }
        }
        let next_page_token = if out.len() > page_size {
            out.truncate(page_size);
            out.last().map(|b| {
                page_token::encode(&Cursor {
                    create_time_ms: b.create_time_ms,
                    id: b.id.clone(),
                })
            })
        } else {
            None
        };
        Ok(BatchPage {
            batches: out,
            next_page_token,
        })
    }

    async fn batch_job_ids(&self, batch_id: &str) -> Result<Vec<String>, StoreError> {
        let key = format!("{}:jobs", self.batch_key(batch_id));
        self.read(|mut con| {
            let key = key.clone();
            async move { con.smembers(&key).await.map_err(map_err) }
        })
        .await
    }

    async fn put_batch_row(
        &self,
        batch_id: &str,
        job_id: &str,
        row: &[u8],
    ) -> Result<(), StoreError> {
        let key = format!("{}:rows", self.batch_key(batch_id));
        self.hset_kept(&key, job_id, &pack_row(row)).await
    }

    async fn batch_rows(&self, batch_id: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.rows(format!("{}:rows", self.batch_key(batch_id)))
            .await
    }

    async fn put_issuer_row(
        &self,
        tenant: &str,
        issuer: &str,
        job_id: &str,
        row: &[u8],
    ) -> Result<(), StoreError> {
        self.hset_kept(&self.issuer_key(tenant, issuer), job_id, &pack_row(row))
            .await
    }

    async fn issuer_rows(
        &self,
        tenant: &str,
        issuer: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.rows(self.issuer_key(tenant, issuer)).await
    }

    async fn similar_candidates(
        &self,
        tenant: &str,
        band_keys: &[u64],
    ) -> Result<Vec<(u64, u32)>, StoreError> {
        if band_keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for k in band_keys {
            let (shard, field) = band_shard_field(*k);
            pipe.hget(self.band_shard_key(tenant, shard), field);
        }
        let mut con = self.con.clone();
        let buckets: Vec<Option<Vec<u8>>> = pipe.query_async(&mut con).await.map_err(map_err)?;
        let mut hits: HashMap<u64, u32> = HashMap::new();
        for v in buckets.iter().flatten() {
            for n in bucket_entries(v) {
                *hits.entry(n).or_default() += 1;
            }
        }
        Ok(hits.into_iter().collect())
    }

    async fn similarity_docs(
        &self,
        tenant: &str,
        entries: &[u64],
    ) -> Result<Vec<Option<Vec<u8>>>, StoreError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let prefix = self.simdoc_prefix(tenant);
        let keys: Vec<String> = entries.iter().map(|n| format!("{prefix}{n}")).collect();
        let mut con = self.con.clone();
        redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut con)
            .await
            .map_err(map_err)
    }

    async fn sentence_frequencies(
        &self,
        tenant: &str,
        hashes: &[u64],
    ) -> Result<(Vec<u32>, u64), StoreError> {
        let key = self.key(&["tenant:", tenant, ":sketch"]);
        let count = self.key(&["tenant:", tenant, ":simcount"]);
        // One round trip: the report count and every counter.
        let mut pipe = redis::pipe();
        pipe.get(&count);
        if !hashes.is_empty() {
            pipe.add_command(sketch::read(&key, hashes));
        }
        let mut con = self.con.clone();
        let (n, cells): (Option<u64>, Vec<u32>) = if hashes.is_empty() {
            let (n,): (Option<u64>,) = pipe.query_async(&mut con).await.map_err(map_err)?;
            (n, Vec::new())
        } else {
            pipe.query_async(&mut con).await.map_err(map_err)?
        };
        Ok((sketch::estimates(&cells), n.unwrap_or(0)))
    }

    async fn index_similarity(
        &self,
        tenant: &str,
        job_id: &str,
        band_keys: &[u64],
        doc: &[u8],
        hashes: &[u64],
    ) -> Result<u64, StoreError> {
        let entry = EntryRef {
            tenant,
            band_keys,
            doc,
        };
        let args = self.index_args(job_id, entry);
        let mut con = self.con.clone();
        let (n, made): (u64, u8) = args
            .invocation(&self.scripts.index_similarity)
            .invoke_async(&mut con)
            .await
            .map_err(map_err)?;
        if made == 1 {
            self.count_sentences(tenant, hashes).await?;
        }
        Ok(n)
    }

    async fn put_overlay(&self, job_id: &str, overlay: &[u8]) -> Result<(), StoreError> {
        let key = self.key(&["similar:", job_id]);
        let mut con = self.con.clone();
        con.set_ex::<_, _, ()>(&key, overlay, secs(self.cfg.ttls.job_ttl))
            .await
            .map_err(map_err)
    }

    async fn overlay(&self, job_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.key(&["similar:", job_id]);
        self.read(|mut con| {
            let key = key.clone();
            async move { con.get(&key).await.map_err(map_err) }
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|mut con| async move {
            let _: String = redis::cmd("PING")
                .query_async(&mut con)
                .await
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
