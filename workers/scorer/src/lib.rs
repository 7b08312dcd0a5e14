//! fazhi-scorer: the worker loop. Takes jobs from a [`JobQueue`], runs the engine off the
//! async runtime, stores the result in the [`JobStore`], and only then acks.
//!
//! Reliability rules implemented here (`docs/ARCHITECTURE.md`, "Reliability rules"):
//! - at-least-once: a delivery is acked only after its outcome is stored; every redelivery of
//!   a job that is already terminal (or CANCELLED) is acked as a no-op;
//! - a job whose record the store lost is recreated from the self-contained message;
//! - same content + checklist + engine → cached result: completed without running the engine;
//! - the engine runs on the blocking pool, at most [`WorkerConfig::engine_slots`] runs at once
//!   (prefetched jobs wait for a slot), under `catch_unwind` and a per-job timeout; a panic
//!   or timeout gives the message back (`retry`), which counts toward the broker's delivery
//!   limit, after which the dead-letter consumer marks the job FAILED (`DEAD_LETTERED`);
//! - a document the engine rejects is FAILED at once with the engine's error code;
//! - while the store is unreachable the delivery is held (not acked, not counted) and retried
//!   in place with backoff, up to [`WorkerConfig::store_outage_limit`], then given back;
//! - graceful shutdown: stop taking deliveries, let in-flight jobs finish within
//!   [`WorkerConfig::shutdown_grace`], then abandon the rest (the broker redelivers them);
//! - scans go to the OCR lane: a text-lane worker that finds a scan (image-only PDF, PNG, JPEG,
//!   TIFF) publishes it to [`WorkerConfig::ocr_lane`] (confirmed) and only then acks; the job
//!   stays RUNNING with progress `ocr 0/0` until an OCR-lane worker ([`Lane::Ocr`], its own
//!   slots and timeout) recognises it page by page, recording `ocr done/total` on the job.
//!
//! Metrics (recorder installed by the binary): `fazhi_jobs_succeeded_total`,
//! `fazhi_jobs_failed_total{reason}`, `fazhi_jobs_retried_total{reason}`,
//! `fazhi_engine_duration_seconds`, `fazhi_job_latency_seconds` (submit → done),
//! `fazhi_jobs_in_flight`; the queue and store count their own reconnects.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fazhi_jobs::{
    Completion, DeadLetter, Delivery, JobMessage, JobQueue, JobRecord, JobState, JobStore,
    Progress, QueueError, StoreError, Subscription, Transition, now_ms,
};
use futures::StreamExt;
use prost::Message;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// What the worker runs for each job. The real implementation is [`FazhiEngine`]; tests
/// substitute engines that panic or hang to exercise the failure paths.
pub trait Engine: Send + Sync + 'static {
    /// Assesses one job. Called on a blocking thread; may panic (contained by the caller).
    fn assess(&self, msg: &JobMessage) -> Result<EngineOutput, EngineFailure>;

    /// Assesses a scan by OCR, calling `progress(done, total)` as pages are recognised.
    /// Called on a blocking thread by OCR-lane workers only.
    fn assess_scan(
        &self,
        msg: &JobMessage,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<EngineOutput, EngineFailure> {
        let _ = (msg, progress);
        Err(EngineFailure {
            code: "OCR_UNAVAILABLE".into(),
            message: "this engine has no OCR".into(),
            scan: true,
            retry: false,
        })
    }
}

/// A successful assessment.
#[derive(Debug, Clone)]
pub struct EngineOutput {
    /// Encoded `fazhi.v1.Assessment`.
    pub assessment: Vec<u8>,
    /// The checklist actually used (chosen by report year when the job named none).
    pub checklist_id: String,
    /// The same assessment unencoded, when the engine has it: the copied-text check and the
    /// summary rows need it, and decoding it again costs more than keeping it.
    pub decoded: Option<Box<fazhi_proto::v1::Assessment>>,
}

/// The engine refused the document; the job fails for good with this code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct EngineFailure {
    /// Stable UPPER_SNAKE code (`EngineError::code()`).
    pub code: String,
    pub message: String,
    /// The document is a scan: OCR could read it (`EngineError::is_scan`).
    pub scan: bool,
    /// Worth another attempt (an OCR tool timed out or failed): the job keeps this code as its
    /// last error and the delivery is given back; past the delivery limit it fails with it.
    pub retry: bool,
}

impl EngineFailure {
    #[cfg(feature = "engine")]
    fn of(e: &fazhi_engine::EngineError) -> Self {
        Self {
            code: e.code().to_string(),
            message: e.to_string(),
            scan: e.is_scan(),
            retry: false,
        }
    }
}

/// The real engine, `fazhi_engine::assess`, with its input limits, and OCR where configured.
#[cfg(feature = "engine")]
#[derive(Debug, Clone, Default)]
pub struct FazhiEngine {
    pub limits: fazhi_engine::Limits,
    /// The recogniser's tools and limits; `None`: scans fail with the engine's own code.
    pub ocr: Option<fazhi_ocr::OcrConfig>,
}

#[cfg(feature = "engine")]
impl FazhiEngine {
    fn input(msg: &JobMessage) -> Result<fazhi_engine::input::Input, EngineFailure> {
        let wire_hints = if msg.hints.is_empty() {
            fazhi_proto::v1::ReportHints::default()
        } else {
            fazhi_proto::v1::ReportHints::decode(msg.hints.as_slice()).map_err(|e| {
                EngineFailure {
                    code: "INVALID_HINTS".into(),
                    message: format!("hints do not decode: {e}"),
                    scan: false,
                    retry: false,
                }
            })?
        };
        fazhi_engine::input::Input::from_parts(
            &msg.media_type,
            &msg.filename,
            &msg.charset,
            &wire_hints,
            &msg.checklist_id,
        )
        .map_err(|violations| EngineFailure {
            code: violations
                .first()
                .map_or("INVALID_INPUT", |v| v.reason)
                .to_string(),
            message: violations
                .iter()
                .map(|v| format!("{}: {}", v.field, v.description))
                .collect::<Vec<_>>()
                .join("; "),
            scan: false,
            retry: false,
        })
    }

    /// The engine on a job's bytes, with the SHA-256 the gateway took of those bytes when it
    /// accepted the job (it names the job's cached result, so it is already trusted); a
    /// message without one is hashed here.
    fn assess_text(
        &self,
        sub: &fazhi_engine::Submission<'_>,
        msg: &JobMessage,
    ) -> Result<EngineOutput, EngineFailure> {
        let hash = &msg.content_sha256;
        let known =
            hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if known {
            fazhi_engine::assess_hashed(sub, hash, &self.limits)
        } else {
            fazhi_engine::assess(sub, &self.limits)
        }
        .map(EngineOutput::of)
        .map_err(|e| EngineFailure::of(&e))
    }
}

#[cfg(feature = "engine")]
impl Engine for FazhiEngine {
    fn assess(&self, msg: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        let input = Self::input(msg)?;
        let sub = input.submission(&msg.content);
        self.assess_text(&sub, msg)
    }

    fn assess_scan(
        &self,
        msg: &JobMessage,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<EngineOutput, EngineFailure> {
        let Some(cfg) = &self.ocr else {
            return Err(EngineFailure {
                code: "OCR_UNAVAILABLE".into(),
                message: "OCR is not enabled on this worker".into(),
                scan: true,
                retry: false,
            });
        };
        let input = Self::input(msg)?;
        let sub = input.submission(&msg.content);
        let Some(kind) = fazhi_ocr::ScanKind::sniff(&msg.content) else {
            return self.assess_text(&sub, msg);
        };
        let read =
            fazhi_ocr::recognise(&msg.content, kind, cfg, progress).map_err(|e| EngineFailure {
                code: e.code().to_string(),
                message: e.to_string(),
                scan: true,
                retry: e.is_transient(),
            })?;
        tracing::info!(
            pages = read.pages,
            pages_total = read.pages_total,
            confidence = read.mean_confidence,
            chars = read.text.chars().count(),
            "scan recognised"
        );
        let scan = fazhi_engine::ScanText {
            text: &read.text,
            pages: read.pages,
            pages_total: read.pages_total,
            mean_confidence: read.mean_confidence,
        };
        fazhi_engine::assess_scan(&sub, &scan, &self.limits)
            .map(EngineOutput::of)
            .map_err(|e| EngineFailure::of(&e))
    }
}

#[cfg(feature = "engine")]
impl EngineOutput {
    fn of(a: fazhi_proto::v1::Assessment) -> Self {
        Self {
            checklist_id: a.checklist_id.clone(),
            assessment: a.encode_to_vec(),
            decoded: Some(Box::new(a)),
        }
    }
}

/// Which queue a worker loop serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    /// Submitted documents; scans are forwarded to the OCR lane when there is one.
    Text,
    /// Scans only, through [`Engine::assess_scan`].
    Ocr,
}

/// Periodic re-publishing of QUEUED jobs whose message may never have reached the broker.
#[derive(Debug, Clone)]
pub struct ReconcileConfig {
    pub every: Duration,
    /// Only jobs QUEUED and untouched for this long; keep it well above the normal queue wait.
    pub older_than: Duration,
    pub batch: usize,
}

impl Default for ReconcileConfig {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(60),
            older_than: Duration::from_secs(600),
            batch: 100,
        }
    }
}

/// Worker settings; the CLI builds one from flags / `FAZHI_*` env vars.
#[derive(Clone)]
pub struct WorkerConfig {
    /// Unique per process (shows in logs and spans), so a dead worker cannot hide behind a
    /// live one with the same name.
    pub worker_id: String,
    /// Unacknowledged deliveries at a time = jobs run concurrently by this worker.
    pub prefetch: u16,
    /// Wall-clock limit of one engine run; past it the job is given back for another attempt.
    /// (The blocking thread cannot be killed and finishes on its own; the engine's input
    /// limits keep that bounded.)
    pub job_timeout: Duration,
    /// First pause while the store is unreachable (doubles up to 10 s).
    pub store_retry_backoff: Duration,
    /// How long a delivery is held while the store is unreachable before it is given back.
    pub store_outage_limit: Duration,
    /// How long in-flight jobs may run on after shutdown is requested.
    pub shutdown_grace: Duration,
    /// Run the dead-letter consumer (marks dead-lettered jobs FAILED). One per deployment is
    /// enough, more are harmless.
    pub dead_letters: bool,
    /// `None` disables the orphan reconciler in this process.
    pub reconcile: Option<ReconcileConfig>,
    pub engine: Arc<dyn Engine>,
    /// Engine runs allowed at once; share one semaphore between the loops of a process.
    /// The engine is CPU-bound, so more runs than cores only add threads and memory.
    /// An OCR-lane loop gets its own (OCR slots), so scans never take the text jobs' cores.
    pub engine_slots: Arc<Semaphore>,
    /// The queue this loop serves.
    pub lane: Lane,
    /// Text lane: where scans are forwarded. `None`: a scan fails with the engine's code
    /// (PDF_NO_TEXT, UNSUPPORTED_FORMAT) saying OCR is not enabled.
    pub ocr_lane: Option<Arc<dyn JobQueue>>,
}

impl WorkerConfig {
    /// Defaults around `engine`: prefetch 8, 60 s job timeout, 30 s shutdown grace, dead-letter
    /// consumer and reconciler on, one engine slot per core. Prefetch 8, because with 4 the
    /// engine slots wait on the store calls around each job (README, Benchmarks: 394 against
    /// 469 completed/s), while 8 documents of the 20 MiB limit still fit in memory.
    pub fn with_engine(engine: Arc<dyn Engine>) -> Self {
        Self {
            worker_id: new_worker_id(),
            prefetch: 8,
            job_timeout: Duration::from_secs(60),
            store_retry_backoff: Duration::from_millis(500),
            store_outage_limit: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(30),
            dead_letters: true,
            reconcile: Some(ReconcileConfig::default()),
            engine,
            engine_slots: Arc::new(Semaphore::new(default_engine_slots())),
            lane: Lane::Text,
            ocr_lane: None,
        }
    }
}

#[cfg(feature = "engine")]
impl Default for WorkerConfig {
    /// [`WorkerConfig::with_engine`] around [`FazhiEngine`] with default limits.
    fn default() -> Self {
        Self::with_engine(Arc::new(FazhiEngine::default()))
    }
}

/// One engine run per available core.
pub fn default_engine_slots() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// `w-{pid}-{random}`: unique per process even across restarts with recycled pids.
pub fn new_worker_id() -> String {
    let r = uuid::Uuid::new_v4().simple().to_string();
    format!("w-{}-{}", std::process::id(), &r[..8])
}

#[derive(Debug, thiserror::Error)]
pub enum ScorerError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The delivery stream ended although it is documented as continuous.
    #[error("delivery stream ended unexpectedly")]
    StreamEnded,
}

struct Worker {
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    cfg: WorkerConfig,
    shutdown: CancellationToken,
}

/// Runs the worker until `shutdown` is cancelled (then drains, see the crate docs).
pub async fn run(
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    cfg: WorkerConfig,
    shutdown: CancellationToken,
) -> Result<(), ScorerError> {
    let mut deliveries = queue.consume(cfg.prefetch).await?;
    let dead = if cfg.dead_letters {
        Some(queue.consume_dead_letters().await?)
    } else {
        None
    };
    tracing::info!(
        worker_id = %cfg.worker_id,
        prefetch = cfg.prefetch,
        lane = ?cfg.lane,
        ocr_lane = cfg.ocr_lane.is_some(),
        "worker started"
    );
    let grace = cfg.shutdown_grace;
    // Our own child token: stopping (also on error) must not cancel the caller's token.
    let stop = shutdown.child_token();
    let w = Arc::new(Worker {
        store,
        queue,
        cfg,
        shutdown: stop.clone(),
    });
    let mut background = JoinSet::new();
    if let Some(dead) = dead {
        background.spawn(dead_letter_loop(w.clone(), dead));
    }
    if let Some(rc) = w.cfg.reconcile.clone() {
        background.spawn(reconcile_loop(w.clone(), rc));
    }

    let mut jobs = JoinSet::new();
    let result = loop {
        tokio::select! {
            biased;
            _ = stop.cancelled() => break Ok(()),
            Some(done) = jobs.join_next(), if !jobs.is_empty() => {
                if let Err(e) = done && e.is_panic() {
                    tracing::error!("job task panicked: {e}");
                }
            }
            d = deliveries.next() => match d {
                Some(d) => {
                    jobs.spawn(handle(w.clone(), d));
                }
                None => break Err(ScorerError::StreamEnded),
            },
        }
    };
    // Stop taking deliveries: once this returns the broker hands this worker nothing more
    // (unsettled deliveries stay ackable). Merely dropping the stream would leave the
    // consumer subscribed for a moment, and a message it took then would come back with a
    // delivery counted against its limit.
    deliveries.close().await;
    stop.cancel();
    let drained =
        tokio::time::timeout(grace, async { while jobs.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            left = jobs.len(),
            "shutdown grace over; abandoning in-flight jobs (the broker redelivers them)"
        );
        jobs.abort_all();
        while jobs.join_next().await.is_some() {}
    }
    // The dead-letter loop closes its own consumer once `stop` is cancelled; give it the
    // time to, then stop what is left.
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while background.join_next().await.is_some() {}
    })
    .await;
    background.abort_all();
    while background.join_next().await.is_some() {}
    tracing::info!(worker_id = %w.cfg.worker_id, "worker stopped");
    result
}

/// Decrements the in-flight gauge however the job task ends (including abort).
struct InFlight;
impl InFlight {
    fn new() -> Self {
        metrics::gauge!("fazhi_jobs_in_flight").increment(1.0);
        Self
    }
}
impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("fazhi_jobs_in_flight").decrement(1.0);
    }
}

/// What to do with the delivery.
enum Settle {
    Ack,
    /// Give it back (counts toward the delivery limit).
    Retry(&'static str),
}

async fn handle(w: Arc<Worker>, d: Delivery) {
    let _in_flight = InFlight::new();
    // The gateway's W3C trace context: the job span continues its trace (exported with
    // OpenTelemetry on), and its trace id on the span joins both halves' log lines.
    let trace_id = fazhi_jobs::trace::trace_id(&d.trace_context).unwrap_or("");
    let span = tracing::info_span!(
        "job",
        otel.name = "score job",
        otel.kind = "consumer",
        job_id = %d.message.job_id,
        content_sha256 = %d.message.content_sha256,
        trace_id = %trace_id,
        delivery_count = d.delivery_count,
        worker_id = %w.cfg.worker_id,
    );
    fazhi_jobs::trace::set_parent(&span, &d.trace_context);
    async {
        let mut backoff = w.cfg.store_retry_backoff;
        let outage_started = Instant::now();
        let settle = loop {
            match process(&w, &d).await {
                Ok(s) => break s,
                Err(e) => {
                    // Store unreachable: hold the delivery (not counted by the broker).
                    if outage_started.elapsed() >= w.cfg.store_outage_limit
                        || w.shutdown.is_cancelled()
                    {
                        tracing::warn!(error = %e, "store unavailable; giving the job back");
                        break Settle::Retry("store_unavailable");
                    }
                    tracing::warn!(error = %e, ?backoff, "store unavailable; holding the job");
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = w.shutdown.cancelled() => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        };
        let r = match settle {
            Settle::Ack => d.acker.ack().await,
            Settle::Retry(reason) => {
                metrics::counter!("fazhi_jobs_retried_total", "reason" => reason).increment(1);
                d.acker.retry().await
            }
        };
        if let Err(e) = r {
            // The broker redelivers it; the redelivery is a no-op if the outcome was stored.
            tracing::warn!(error = %e, "could not settle delivery");
        }
    }
    .instrument(span)
    .await
}

fn record_from_message(msg: &JobMessage, state: JobState) -> JobRecord {
    JobRecord {
        id: msg.job_id.clone(),
        tenant: msg.tenant.clone(),
        state,
        create_time_ms: msg.create_time_ms,
        update_time_ms: now_ms(),
        attempts: 0,
        error_code: String::new(),
        error_message: String::new(),
        content_sha256: msg.content_sha256.clone(),
        result_key: msg.result_key.clone(),
        checklist_id: msg.checklist_id.clone(),
        deduplicated: false,
        request_id: msg.request_id.clone(),
        labels: msg.labels.clone(),
        webhook: (!msg.notify_url.is_empty())
            .then(|| fazhi_jobs::Webhook::pending(msg.notify_url.clone())),
        batch_id: msg.batch_id.clone(),
        progress: None,
    }
}

/// A job's success: its report compared with the tenant's earlier ones for copied text (reads
/// only), then everything the success writes — index entry, overlay (the per-job part, so a
/// client that sees SUCCEEDED also sees what was found), result, state, summary rows — in one
/// store step. `checklist_id` `None` takes the assessment's own (a cached result); `decoded`
/// `None` decodes `assessment`.
async fn succeed(
    store: &dyn JobStore,
    job: &JobRecord,
    result_key: &str,
    assessment: &[u8],
    decoded: Option<Box<fazhi_proto::v1::Assessment>>,
    checklist_id: Option<&str>,
) -> Result<Option<JobRecord>, StoreError> {
    let decoded = decoded.or_else(|| match fazhi_proto::v1::Assessment::decode(assessment) {
        Ok(a) => Some(Box::new(a)),
        Err(e) => {
            tracing::warn!(error = %e, "assessment unreadable; no copied-text check");
            None
        }
    });
    let checked = match &decoded {
        Some(a) => match fazhi_collections::copying::check_for_job(store, job, a).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "copied-text check failed; assessment kept without it");
                None
            }
        },
        None => None,
    };
    let overlay = checked.as_ref().and_then(|c| c.overlay.as_ref()).map(|o| {
        tracing::info!(similar = o.similar_reports.len(), "similar reports found");
        o.encode_to_vec()
    });
    let checklist_id = match (checklist_id, &decoded) {
        (Some(c), _) => c.to_string(),
        (None, Some(a)) => a.checklist_id.clone(),
        (None, None) => job.checklist_id.clone(),
    };
    let row = decoded.as_ref().map(|a| fazhi_collections::row(&job.id, a));
    let issuer = row.as_ref().map_or("", |r| r.issuer.trim());
    let indexed = row
        .as_ref()
        .is_some_and(|r| !issuer.is_empty() && fazhi_collections::summary::is_report(r));
    let row_bytes = row
        .as_ref()
        .filter(|_| indexed || !job.batch_id.is_empty())
        .map(|r| r.encode_to_vec());
    let c = Completion {
        result_key,
        assessment,
        checklist_id: &checklist_id,
        index: checked.as_ref().map(|c| &c.entry),
        overlay: overlay.as_deref(),
        batch_row: row_bytes
            .as_deref()
            .filter(|_| !job.batch_id.is_empty())
            .map(|r| (job.batch_id.as_str(), r)),
        issuer_row: row_bytes
            .as_deref()
            .filter(|_| indexed)
            .map(|r| (job.tenant.as_str(), issuer, r)),
    };
    store.finish(&job.id, c).await
}

fn observe_done(rec: &JobRecord) {
    let secs = (now_ms() - rec.create_time_ms).max(0) as f64 / 1000.0;
    metrics::histogram!("fazhi_job_latency_seconds").record(secs);
}

/// One pass over a delivery. `Err` only when the store is unreachable (caller holds & retries).
async fn process(w: &Worker, d: &Delivery) -> Result<Settle, StoreError> {
    let msg = &d.message;
    let store = &*w.store;
    // RUNNING here means an earlier attempt died mid-job (or is a duplicate): run it again.
    let start = || Transition {
        from: &[JobState::Queued, JobState::Running],
        to: JobState::Running,
        error_code: None,
        error_message: None,
        bump_attempts: true,
        checklist_id: None,
    };
    // The common case in one round trip; only a refused transition reads the record to learn why.
    let job = match store.transition(&msg.job_id, start()).await {
        Ok(Some(j)) => j,
        Ok(None) => match store.get_any(&msg.job_id).await {
            Ok(Some(j)) => {
                tracing::debug!(
                    state = j.state.as_str(),
                    "job already finished or cancelled; delivery ignored"
                );
                return Ok(Settle::Ack);
            }
            Ok(None) => {
                tracing::warn!("job record missing (store lost it); recreating from the message");
                store
                    .create(&record_from_message(msg, JobState::Queued))
                    .await?;
                match store.transition(&msg.job_id, start()).await? {
                    Some(j) => j,
                    None => return Ok(Settle::Ack), // finished or cancelled meanwhile
                }
            }
            Err(StoreError::Corrupt(e)) => {
                tracing::error!(error = %e, "job record unreadable");
                return Ok(Settle::Retry("corrupt_record"));
            }
            Err(e) => return Err(e),
        },
        Err(StoreError::Corrupt(e)) => {
            tracing::error!(error = %e, "job record unreadable");
            return Ok(Settle::Retry("corrupt_record"));
        }
        Err(e) => return Err(e),
    };
    tracing::info!(attempt = job.attempts, "job started");

    if !msg.result_key.is_empty()
        && let Some(cached) = store.get_result(&msg.result_key).await?
    {
        if let Some(done) = succeed(store, &job, &msg.result_key, &cached, None, None).await? {
            tracing::info!("job completed from the result cache");
            metrics::counter!("fazhi_jobs_succeeded_total").increment(1);
            observe_done(&done);
        }
        return Ok(Settle::Ack);
    }

    // One engine run per slot: prefetched jobs wait here, not as extra blocking threads
    // competing for the cores (and each holding a parsed document in memory).
    let Ok(slot) = w.cfg.engine_slots.clone().acquire_owned().await else {
        return Ok(Settle::Retry("engine_slots_closed"));
    };
    let engine = w.cfg.engine.clone();
    let owned = msg.clone();
    let started = Instant::now();
    let lane = w.cfg.lane;
    // OCR pages done, from the blocking thread to the store (latest value wins).
    let (progress_tx, progress_rx) = tokio::sync::watch::channel(None::<(u32, u32)>);
    let progress = (lane == Lane::Ocr).then(|| {
        tokio::spawn(forward_progress(
            w.store.clone(),
            job.id.clone(),
            progress_rx,
        ))
    });
    // A child span on the blocking thread, so traces show engine time apart from store I/O.
    let engine_span = tracing::info_span!("engine", bytes = owned.content.len(), lane = ?lane);
    let run = tokio::task::spawn_blocking(move || {
        let _entered = engine_span.enter();
        // Held until the run really ends, also past a timeout: a runaway keeps its core.
        let _slot = slot;
        std::panic::catch_unwind(AssertUnwindSafe(|| match lane {
            Lane::Text => engine.assess(&owned),
            Lane::Ocr => engine.assess_scan(&owned, &mut |done, total| {
                let _ = progress_tx.send(Some((done, total)));
            }),
        }))
    });
    let outcome = tokio::time::timeout(w.cfg.job_timeout, run).await;
    if let Some(p) = progress {
        // Let the last page count reach the store before the job's final transition.
        let _ = tokio::time::timeout(Duration::from_secs(2), p).await;
    }
    metrics::histogram!("fazhi_engine_duration_seconds", "lane" => lane.as_str())
        .record(started.elapsed().as_secs_f64());
    if let Ok(Ok(Ok(Err(fail)))) = &outcome
        && fail.scan
        && lane == Lane::Text
        && let Some(ocr) = &w.cfg.ocr_lane
    {
        return forward_to_ocr(store, &**ocr, d, &job).await;
    }
    if let Ok(Ok(Ok(Err(fail)))) = &outcome
        && fail.retry
    {
        // Kept on the job (still RUNNING) so a dead-lettered job fails with this reason.
        store
            .transition(
                &job.id,
                failure(fail, &[JobState::Running], JobState::Running),
            )
            .await?;
        tracing::warn!(code = %fail.code, error = %fail.message, "attempt failed; giving the job back");
        return Ok(Settle::Retry("engine_transient"));
    }
    match outcome {
        Ok(Ok(Ok(Ok(mut out)))) => {
            let done = succeed(
                store,
                &job,
                &msg.result_key,
                &out.assessment,
                out.decoded.take(),
                Some(&out.checklist_id),
            )
            .await?;
            match done {
                Some(done) => {
                    tracing::info!(checklist_id = %out.checklist_id, "job succeeded");
                    metrics::counter!("fazhi_jobs_succeeded_total").increment(1);
                    observe_done(&done);
                }
                None => tracing::info!("job finished elsewhere (cancelled?); result cached only"),
            }
            Ok(Settle::Ack)
        }
        Ok(Ok(Ok(Err(fail)))) => {
            let failed = store
                .transition(
                    &job.id,
                    failure(
                        &fail,
                        &[JobState::Queued, JobState::Running],
                        JobState::Failed,
                    ),
                )
                .await?;
            tracing::info!(code = %fail.code, "engine rejected the document");
            if let Some(done) = failed {
                metrics::counter!("fazhi_jobs_failed_total", "reason" => fail.code.clone())
                    .increment(1);
                observe_done(&done);
            }
            Ok(Settle::Ack)
        }
        Ok(Ok(Err(panic))) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(panic = %what, "engine panicked");
            Ok(Settle::Retry("panic"))
        }
        Ok(Err(join)) => {
            tracing::error!(error = %join, "engine task failed");
            Ok(Settle::Retry("panic"))
        }
        Err(_) => {
            tracing::error!(timeout = ?w.cfg.job_timeout, "engine timed out");
            Ok(Settle::Retry("timeout"))
        }
    }
}

/// A transition that records the engine's failure on the job.
fn failure(fail: &EngineFailure, from: &'static [JobState], to: JobState) -> Transition {
    Transition {
        from,
        to,
        error_code: Some(fail.code.clone()),
        error_message: Some(fail.message.clone()),
        bump_attempts: false,
        checklist_id: None,
    }
}

impl Lane {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Ocr => "ocr",
        }
    }
}

/// Hands a scan to the OCR lane: published (and confirmed) there before this delivery is
/// acked, so it cannot be lost between the lanes. The job stays RUNNING, waiting for OCR.
async fn forward_to_ocr(
    store: &dyn JobStore,
    ocr: &dyn JobQueue,
    d: &Delivery,
    job: &JobRecord,
) -> Result<Settle, StoreError> {
    // Marked waiting first: once published, the OCR lane may already be counting pages.
    let waiting = Progress {
        stage: "ocr".into(),
        done: 0,
        total: 0,
    };
    store.set_progress(&job.id, &waiting).await?;
    if let Err(e) = ocr.publish(&d.message, &d.trace_context).await {
        tracing::warn!(error = %e, "OCR lane unavailable; giving the scan back");
        return Ok(Settle::Retry("ocr_lane_unavailable"));
    }
    tracing::info!("scan forwarded to the OCR lane");
    metrics::counter!("fazhi_scans_forwarded_total").increment(1);
    Ok(Settle::Ack)
}

/// Writes the latest OCR page count to the job until the run ends (the sender is dropped).
async fn forward_progress(
    store: Arc<dyn JobStore>,
    id: String,
    mut rx: tokio::sync::watch::Receiver<Option<(u32, u32)>>,
) {
    while rx.changed().await.is_ok() {
        let Some((done, total)) = *rx.borrow_and_update() else {
            continue;
        };
        let p = Progress {
            stage: "ocr".into(),
            done,
            total,
        };
        if let Err(e) = store.set_progress(&id, &p).await {
            tracing::warn!(error = %e, "cannot record OCR progress");
        }
    }
}

/// Marks each dead-lettered job FAILED (`DEAD_LETTERED`), then acks it.
async fn dead_letter_loop(w: Arc<Worker>, mut dead: Subscription<DeadLetter>) {
    loop {
        let dl = tokio::select! {
            _ = w.shutdown.cancelled() => break,
            dl = dead.next() => match dl {
                Some(dl) => dl,
                None => break,
            },
        };
        let span =
            tracing::info_span!("dead_letter", job_id = %dl.message.job_id, reason = %dl.reason);
        async {
            let mut backoff = w.cfg.store_retry_backoff;
            loop {
                match mark_dead(&*w.store, &dl).await {
                    Ok(()) => {
                        if let Err(e) = dl.acker.ack().await {
                            tracing::warn!(error = %e, "could not ack dead letter");
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "store unavailable; dead letter held");
                        tokio::select! {
                            _ = tokio::time::sleep(backoff) => {}
                            _ = w.shutdown.cancelled() => {
                                let _ = dl.acker.retry().await;
                                return;
                            }
                        }
                        backoff = (backoff * 2).min(Duration::from_secs(10));
                    }
                }
            }
        }
        .instrument(span)
        .await;
    }
    dead.close().await;
}

async fn mark_dead(store: &dyn JobStore, dl: &DeadLetter) -> Result<(), StoreError> {
    // A failure recorded by the last attempt (an OCR timeout, say) is the reason; otherwise the
    // attempts crashed or timed out without a word.
    let last = match store.get_any(&dl.message.job_id).await {
        Ok(Some(j)) if !j.state.is_terminal() && !j.error_code.is_empty() => {
            Some((j.error_code, j.error_message))
        }
        Ok(_) | Err(StoreError::Corrupt(_)) => None,
        Err(e) => return Err(e),
    };
    let (code, message) = match last {
        Some((code, msg)) => (
            code,
            format!(
                "gave up after repeated failed attempts; the last: {msg}; broker reason: {}",
                dl.reason
            ),
        ),
        None => (
            "DEAD_LETTERED".to_string(),
            format!(
                "gave up after repeated failed attempts (engine crash or timeout); broker reason: {}",
                dl.reason
            ),
        ),
    };
    let t = Transition {
        from: &[JobState::Queued, JobState::Running],
        to: JobState::Failed,
        error_code: Some(code.clone()),
        error_message: Some(message.clone()),
        bump_attempts: false,
        checklist_id: None,
    };
    match store.transition(&dl.message.job_id, t).await {
        Ok(Some(done)) => {
            tracing::warn!("job dead-lettered; marked FAILED");
            metrics::counter!("fazhi_jobs_failed_total", "reason" => "DEAD_LETTERED").increment(1);
            observe_done(&done);
            Ok(())
        }
        Ok(None) => {
            if store.get_any(&dl.message.job_id).await?.is_none() {
                let mut rec = record_from_message(&dl.message, JobState::Failed);
                rec.error_code = code;
                rec.error_message = message;
                store.create(&rec).await?;
                metrics::counter!("fazhi_jobs_failed_total", "reason" => "DEAD_LETTERED")
                    .increment(1);
            }
            Ok(())
        }
        Err(StoreError::Corrupt(e)) => {
            tracing::error!(error = %e, "dead-lettered job record unreadable; dropping");
            Ok(())
        }
        Err(e) => Err(e),
    }
}

async fn reconcile_loop(w: Arc<Worker>, rc: ReconcileConfig) {
    let mut tick = tokio::time::interval(rc.every);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = w.shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match fazhi_jobs::reconcile_orphans(&*w.store, &*w.queue, rc.older_than, rc.batch).await {
            Ok(r) if r.republished + r.unrecoverable + r.publish_errors > 0 => {
                tracing::info!(?r, "orphan reconciliation");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "orphan reconciliation failed"),
        }
    }
}

#[cfg(all(test, feature = "engine"))]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn reported_hash(msg: &JobMessage) -> String {
        let out = FazhiEngine::default().assess(msg).expect("assessed");
        fazhi_proto::v1::Assessment::decode(out.assessment.as_slice())
            .expect("decodes")
            .content_sha256
    }

    /// The hash the gateway took is reported as the job carries it; a message without one, or
    /// with something that is not a SHA-256, is hashed here.
    #[test]
    fn the_content_hash_is_the_jobs_or_the_bytes_own() {
        let content =
            "某县2024年法治政府建设年度报告\n一、主要举措和成效\n全年办理行政复议案件12件。";
        let own = hex::encode(Sha256::digest(content.as_bytes()));
        let mut msg = JobMessage {
            content: content.as_bytes().to_vec(),
            filename: "report.txt".into(),
            ..Default::default()
        };
        assert_eq!(reported_hash(&msg), own);
        msg.content_sha256 = "cd".repeat(32);
        assert_eq!(reported_hash(&msg), "cd".repeat(32));
        msg.content_sha256 = "CD".repeat(32);
        assert_eq!(reported_hash(&msg), own);
        msg.content_sha256 = "not a hash".into();
        assert_eq!(reported_hash(&msg), own);
    }
}
