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
//! - `{p}result:{key}` — encoded assessment; TTL `result_ttl`.
//! - channel `{p}events:{id}` — every new version of the job, published by the same script
//!   that wrote it (netstring-encoded field list).
//!
//! Every state change is one Lua script (compare state, write, bump update time, EXPIRE,
//! index upkeep, PUBLISH), so concurrent workers and gateways cannot interleave half-writes.
//! Scripts name some keys they derive from the prefix instead of receiving them in `KEYS`;
//! fine on a single node, not cluster-safe.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::{self, BoxStream};
use prost::Message;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubSink};
use redis::{AsyncCommands, Script, Value};
use tokio::sync::broadcast;

use crate::memory::watch_stream;
use crate::model::{JobMessage, JobRecord, JobState, now_ms};
use crate::page_token::{self, Cursor};
use crate::store::{CreateOutcome, JobStore, Page, StoreError, Transition};
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

struct Scripts {
    create: Script,
    transition: Script,
}

/// Labels travel inside the job hash as one prost-encoded field.
#[derive(Clone, PartialEq, prost::Message)]
struct Labels {
    #[prost(btree_map = "string, string", tag = "1")]
    labels: BTreeMap<String, String>,
}

const ENC_LUA: &str = r#"
local function enc(t)
  local out = {}
  for i = 1, #t do
    local s = t[i]
    out[#out + 1] = #s .. ':' .. s
  end
  return table.concat(out)
end
"#;

/// KEYS: job, req, tenant index, queued set, msg.
/// ARGV: job key prefix, ttl s, has_req, req value, id, create ms, update ms, state,
/// prune-before ms, msg bytes ("" = none), terminal, then field/value pairs.
const CREATE_LUA: &str = r#"
if ARGV[3] == '1' then
  local v = redis.call('GET', KEYS[2])
  if v then
    local sep = string.find(v, '|', 1, true)
    local eid = v
    if sep then eid = string.sub(v, 1, sep - 1) end
    local ekey = ARGV[1] .. eid
    if redis.call('EXISTS', ekey) == 1 then
      return {'existing', redis.call('HGETALL', ekey)}
    end
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'existing', redis.call('HGETALL', KEYS[1])}
end
local ttl = tonumber(ARGV[2])
local fields = {}
for i = 12, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ttl)
if ARGV[3] == '1' then redis.call('SET', KEYS[2], ARGV[4], 'EX', ttl) end
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[9])
redis.call('EXPIRE', KEYS[3], ttl * 2)
if ARGV[8] == 'QUEUED' then redis.call('ZADD', KEYS[4], ARGV[7], ARGV[5]) end
if ARGV[10] ~= '' and ARGV[11] ~= '1' then redis.call('SET', KEYS[5], ARGV[10], 'EX', ttl) end
return {'created'}
"#;

/// KEYS: job, queued set, msg[, result].
/// ARGV: ",FROM1,FROM2,", to, now ms, ttl s, set_ec, ec, set_em, em, bump, set_cl, cl,
/// channel, id, terminal, result ttl s, result bytes.
const TRANSITION_LUA: &str = r#"
if #KEYS >= 4 then redis.call('SET', KEYS[4], ARGV[16], 'EX', tonumber(ARGV[15])) end
local st = redis.call('HGET', KEYS[1], 'state')
if not st then return false end
if not string.find(ARGV[1], ',' .. st .. ',', 1, true) then return false end
local ut = redis.call('HGET', KEYS[1], 'ut') or '0'
local now = ARGV[3]
if tonumber(now) < tonumber(ut) then now = ut end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'ut', now)
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'ec', ARGV[6]) end
if ARGV[7] == '1' then redis.call('HSET', KEYS[1], 'em', ARGV[8]) end
if ARGV[9] == '1' then redis.call('HINCRBY', KEYS[1], 'att', 1) end
if ARGV[10] == '1' then redis.call('HSET', KEYS[1], 'cl', ARGV[11]) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
if ARGV[2] == 'QUEUED' then
  redis.call('ZADD', KEYS[2], now, ARGV[13])
else
  redis.call('ZREM', KEYS[2], ARGV[13])
end
if ARGV[14] == '1' then redis.call('DEL', KEYS[3]) end
local flat = redis.call('HGETALL', KEYS[1])
redis.call('PUBLISH', ARGV[12], enc(flat))
return flat
"#;

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

fn fields_of(flat: Vec<Vec<u8>>) -> HashMap<String, Vec<u8>> {
    let mut m = HashMap::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        m.insert(String::from_utf8_lossy(&k).into_owned(), v);
    }
    m
}

fn record_from_fields(m: &HashMap<String, Vec<u8>>) -> Result<JobRecord, StoreError> {
    let s = |k: &str| -> String {
        m.get(k)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let int = |k: &str| -> Result<i64, StoreError> {
        let v = s(k);
        if v.is_empty() {
            return Ok(0);
        }
        v.parse::<i64>()
            .map_err(|_| StoreError::Corrupt(format!("field {k}={v:?}")))
    };
    let state_s = s("state");
    let state = JobState::parse(&state_s)
        .ok_or_else(|| StoreError::Corrupt(format!("state {state_s:?}")))?;
    let labels = match m.get("lab") {
        Some(b) if !b.is_empty() => {
            Labels::decode(b.as_slice())
                .map_err(|e| StoreError::Corrupt(format!("labels: {e}")))?
                .labels
        }
        _ => BTreeMap::new(),
    };
    Ok(JobRecord {
        id: s("id"),
        tenant: s("tenant"),
        state,
        create_time_ms: int("ct")?,
        update_time_ms: int("ut")?,
        attempts: u32::try_from(int("att")?).unwrap_or(0),
        error_code: s("ec"),
        error_message: s("em"),
        content_sha256: s("sha"),
        result_key: s("rk"),
        checklist_id: s("cl"),
        deduplicated: s("dd") == "1",
        request_id: s("rid"),
        labels,
    })
}

fn record_fields(r: &JobRecord) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("id", r.id.clone().into_bytes()),
        ("tenant", r.tenant.clone().into_bytes()),
        ("state", r.state.as_str().as_bytes().to_vec()),
        ("ct", r.create_time_ms.to_string().into_bytes()),
        ("ut", r.update_time_ms.to_string().into_bytes()),
        ("att", r.attempts.to_string().into_bytes()),
        ("ec", r.error_code.clone().into_bytes()),
        ("em", r.error_message.clone().into_bytes()),
        ("sha", r.content_sha256.clone().into_bytes()),
        ("rk", r.result_key.clone().into_bytes()),
        ("cl", r.checklist_id.clone().into_bytes()),
        (
            "dd",
            if r.deduplicated {
                b"1".to_vec()
            } else {
                b"0".to_vec()
            },
        ),
        ("rid", r.request_id.clone().into_bytes()),
        (
            "lab",
            Labels {
                labels: r.labels.clone(),
            }
            .encode_to_vec(),
        ),
    ]
}

/// Parses the netstring list published on `{p}events:{id}`.
fn decode_event(payload: &[u8]) -> Option<JobRecord> {
    let mut flat = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let colon = rest.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
        let body = rest.get(colon + 1..colon + 1 + len)?;
        flat.push(body.to_vec());
        rest = &rest[colon + 1 + len..];
    }
    record_from_fields(&fields_of(flat)).ok()
}

fn flat_bytes(v: Value) -> Result<Vec<Vec<u8>>, StoreError> {
    redis::from_redis_value::<Vec<Vec<u8>>>(v).map_err(|e| StoreError::Corrupt(e.to_string()))
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
        let hub = Arc::new(Hub {
            state: Mutex::new(HubState::default()),
        });
        Ok(Self {
            con,
            client,
            cfg: Arc::new(cfg),
            scripts: Arc::new(Scripts {
                create: Script::new(CREATE_LUA),
                transition: Script::new(&format!("{ENC_LUA}{TRANSITION_LUA}")),
            }),
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
    fn result_key(&self, rk: &str) -> String {
        self.key(&["result:", rk])
    }
    fn events_channel(&self, id: &str) -> String {
        self.key(&["events:", id])
    }

    /// Deletes every key under the prefix (test teardown, or wiping a deployment). Returns
    /// how many keys were deleted.
    pub async fn purge_prefix(&self) -> Result<u64, StoreError> {
        let mut con = self.con.clone();
        let pattern = format!("{}*", self.cfg.prefix);
        let mut cursor: u64 = 0;
        let mut deleted = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(500)
                .query_async(&mut con)
                .await
                .map_err(map_err)?;
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

    /// Remaining TTL of a job hash in seconds (-2 missing, -1 no TTL); for tests and ops.
    pub async fn job_ttl_secs(&self, id: &str) -> Result<i64, StoreError> {
        let mut con = self.con.clone();
        con.ttl(self.job_key(id)).await.map_err(map_err)
    }

    /// Remaining TTL of a cached result in seconds (-2 missing, -1 no TTL).
    pub async fn result_ttl_secs(&self, result_key: &str) -> Result<i64, StoreError> {
        let mut con = self.con.clone();
        con.ttl(self.result_key(result_key)).await.map_err(map_err)
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
            .arg(if job.state.is_terminal() { "1" } else { "0" });
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

    async fn do_transition(
        &self,
        id: &str,
        t: &Transition,
        result: Option<(&str, &[u8])>,
    ) -> Result<Option<JobRecord>, StoreError> {
        let from = format!(
            ",{},",
            t.from
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",")
        );
        let flag = |b: bool| if b { "1" } else { "0" };
        let mut inv = self.scripts.transition.prepare_invoke();
        inv.key(self.job_key(id))
            .key(self.queued_key())
            .key(self.msg_key(id));
        if let Some((rk, _)) = result {
            inv.key(self.result_key(rk));
        }
        inv.arg(from)
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
            .arg(result.map(|(_, b)| b).unwrap_or(b""));
        let mut con = self.con.clone();
        let v: Value = inv.invoke_async(&mut con).await.map_err(map_err)?;
        match v {
            Value::Nil => Ok(None),
            Value::Boolean(false) => Ok(None),
            other => {
                let flat = flat_bytes(other)?;
                record_from_fields(&fields_of(flat)).map(Some)
            }
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

    async fn complete(
        &self,
        id: &str,
        result_key: &str,
        assessment: &[u8],
        checklist_id: &str,
    ) -> Result<Option<JobRecord>, StoreError> {
        let t = Transition {
            from: &[JobState::Queued, JobState::Running],
            to: JobState::Succeeded,
            error_code: None,
            error_message: None,
            bump_attempts: false,
            checklist_id: Some(checklist_id.to_string()),
        };
        self.do_transition(id, &t, Some((result_key, assessment)))
            .await
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
            let items: Vec<(String, f64)> = {
                let (idx, max) = (idx.clone(), max.clone());
                self.read(|mut con| {
                    let (idx, max) = (idx.clone(), max.clone());
                    async move {
                        redis::cmd("ZREVRANGEBYSCORE")
                            .arg(&idx)
                            .arg(&max)
                            .arg("-inf")
                            .arg("WITHSCORES")
                            .arg("LIMIT")
                            .arg(offset)
                            .arg(batch)
                            .query_async(&mut con)
                            .await
                            .map_err(map_err)
                    }
                })
                .await?
            };
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
        con.set_ex::<_, _, ()>(&key, assessment, ttl)
            .await
            .map_err(map_err)
    }

    async fn get_result(&self, result_key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = self.result_key(result_key);
        self.read(|mut con| {
            let key = key.clone();
            async move { con.get(&key).await.map_err(map_err) }
        })
        .await
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

// === watch hub ===

/// One pub/sub connection per store, shared by all watch streams: a gateway with thousands of
/// open WatchJob streams holds one extra Redis connection, not thousands. A background task
/// reads the subscription, fans events out per job, re-subscribes after a reconnect (and then
/// re-reads every watched job, since events may have been missed meanwhile).
struct Hub {
    state: Mutex<HubState>,
}

#[derive(Default)]
struct HubState {
    sink: Option<PubSubSink>,
    /// Set while the background task runs.
    running: bool,
    subs: HashMap<String, broadcast::Sender<JobRecord>>,
    connected: Option<tokio::sync::watch::Receiver<bool>>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HubState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn subscribe(
        self: &Arc<Self>,
        store: &RedisStore,
        id: &str,
        channel: &str,
    ) -> Result<broadcast::Receiver<JobRecord>, StoreError> {
        let mut connected = {
            let mut g = self.lock();
            if !g.running {
                g.running = true;
                let (tx, rx) = tokio::sync::watch::channel(false);
                g.connected = Some(rx);
                // The task's store handle gets its own (unused) hub, so it holds no strong
                // reference to this one: dropping the last store stops the task.
                let mut detached = store.clone();
                detached.hub = Arc::new(Hub {
                    state: Mutex::new(HubState::default()),
                });
                tokio::spawn(hub_task(Arc::downgrade(self), detached, tx));
            }
            g.connected
                .clone()
                .ok_or_else(|| StoreError::Unavailable("watch hub not running".into()))?
        };
        let wait = store.cfg.connection_timeout + store.cfg.response_timeout;
        tokio::time::timeout(wait, connected.wait_for(|c| *c))
            .await
            .map_err(|_| StoreError::Unavailable("redis pub/sub connect timed out".into()))?
            .map_err(|_| StoreError::Unavailable("watch hub stopped".into()))?;
        let (rx, sink) = {
            let mut g = self.lock();
            let tx = g
                .subs
                .entry(id.to_string())
                .or_insert_with(|| broadcast::channel(32).0);
            (tx.subscribe(), g.sink.clone())
        };
        let mut sink =
            sink.ok_or_else(|| StoreError::Unavailable("redis pub/sub disconnected".into()))?;
        tokio::time::timeout(store.cfg.response_timeout, sink.subscribe(channel))
            .await
            .map_err(|_| StoreError::Unavailable("redis SUBSCRIBE timed out".into()))?
            .map_err(map_err)?;
        Ok(rx)
    }
}

async fn hub_task(hub: Weak<Hub>, store: RedisStore, connected: tokio::sync::watch::Sender<bool>) {
    let prefix = store.events_channel("");
    let mut backoff = Duration::from_millis(100);
    let mut first = true;
    loop {
        let Some(h) = hub.upgrade() else { return };
        drop(h);
        let pubsub = tokio::time::timeout(
            store.cfg.connection_timeout,
            store.client.get_async_pubsub(),
        )
        .await;
        let pubsub = match pubsub {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "redis pub/sub connect failed");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
            Err(_) => {
                tracing::warn!("redis pub/sub connect timed out");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        let (mut sink, mut msgs) = pubsub.split();
        // Re-subscribe everything watched before the reconnect, then catch up by re-reading.
        let watched: Vec<String> = match hub.upgrade() {
            Some(h) => {
                let mut g = h.lock();
                g.sink = Some(sink.clone());
                g.subs.keys().cloned().collect()
            }
            None => return,
        };
        for id in &watched {
            if let Err(e) = sink.subscribe(store.events_channel(id)).await {
                tracing::warn!(error = %e, "redis re-SUBSCRIBE failed");
            }
        }
        if !first {
            metrics::counter!("fazhi_cache_reconnects_total").increment(1);
            for id in &watched {
                if let Ok(Some(rec)) = store.get_any(id).await {
                    fan_out(&hub, &mut sink, &store, rec).await;
                }
            }
        }
        first = false;
        let _ = connected.send(true);
        let mut sweep = tokio::time::interval(Duration::from_secs(30));
        loop {
            tokio::select! {
                m = msgs.next() => {
                    let Some(m) = m else { break };
                    let channel = m.get_channel_name();
                    if !channel.starts_with(&prefix) {
                        continue;
                    }
                    if let Some(rec) = decode_event(m.get_payload_bytes()) {
                        fan_out(&hub, &mut sink, &store, rec).await;
                    }
                }
                _ = sweep.tick() => {
                    let Some(h) = hub.upgrade() else { return };
                    let idle: Vec<String> = {
                        let mut g = h.lock();
                        let idle: Vec<String> = g.subs.iter()
                            .filter(|(_, tx)| tx.receiver_count() == 0)
                            .map(|(id, _)| id.clone())
                            .collect();
                        for id in &idle { g.subs.remove(id); }
                        idle
                    };
                    for id in idle {
                        let _ = sink.unsubscribe(store.events_channel(&id)).await;
                    }
                }
            }
        }
        tracing::warn!("redis pub/sub connection lost; reconnecting");
        let _ = connected.send(false);
        if let Some(h) = hub.upgrade() {
            h.lock().sink = None;
        }
    }
}

async fn fan_out(hub: &Weak<Hub>, sink: &mut PubSubSink, store: &RedisStore, rec: JobRecord) {
    let Some(h) = hub.upgrade() else { return };
    let done = {
        let mut g = h.lock();
        match g.subs.get(&rec.id) {
            Some(tx) => {
                let _ = tx.send(rec.clone());
                if rec.state.is_terminal() || tx.receiver_count() == 0 {
                    g.subs.remove(&rec.id);
                    true
                } else {
                    false
                }
            }
            None => false,
        }
    };
    if done {
        let _ = sink.unsubscribe(store.events_channel(&rec.id)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_round_trip() {
        let rec = JobRecord {
            id: "j1".into(),
            tenant: "t".into(),
            state: JobState::Running,
            create_time_ms: 1,
            update_time_ms: 2,
            attempts: 3,
            error_code: String::new(),
            error_message: "a:b 5:x".into(),
            content_sha256: "ab".into(),
            result_key: "rk".into(),
            checklist_id: String::new(),
            deduplicated: true,
            request_id: "r".into(),
            labels: BTreeMap::from([("k".into(), "v".into())]),
        };
        let mut payload = Vec::new();
        for (k, v) in record_fields(&rec) {
            payload.extend_from_slice(format!("{}:", k.len()).as_bytes());
            payload.extend_from_slice(k.as_bytes());
            payload.extend_from_slice(format!("{}:", v.len()).as_bytes());
            payload.extend_from_slice(&v);
        }
        assert_eq!(decode_event(&payload), Some(rec));
        assert_eq!(decode_event(b"5:ab"), None);
    }
}
