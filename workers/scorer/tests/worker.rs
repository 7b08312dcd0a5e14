//! The worker loop over the in-memory queue and store (same semantics as RabbitMQ/Redis):
//! a real corpus report to SUCCEEDED through the real engine, and each failure path with a
//! substitute engine.

use std::collections::BTreeMap;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use fazhi_jobs::{
    CreateOutcome, JobMessage, JobQueue, JobRecord, JobState, JobStore, MemoryQueue, MemoryStore,
    Page, StoreError, Transition, now_ms,
};
use fazhi_scorer::{Engine, EngineFailure, EngineOutput, WorkerConfig};
use futures::StreamExt;
use futures::stream::BoxStream;
use prost::Message;
use sha2::Digest;
use tokio_util::sync::CancellationToken;

#[cfg(feature = "engine")]
#[path = "../../../tests/support/corpus.rs"]
mod corpus;

fn job_and_message(content: &[u8], media_type: &str) -> (JobRecord, JobMessage) {
    let sha = hex::encode(sha2::Sha256::digest(content));
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let rk = format!("{sha}//test-engine");
    let rec = JobRecord {
        id: id.clone(),
        tenant: "acme".into(),
        state: JobState::Queued,
        create_time_ms: now,
        update_time_ms: now,
        attempts: 0,
        error_code: String::new(),
        error_message: String::new(),
        content_sha256: sha.clone(),
        result_key: rk.clone(),
        checklist_id: String::new(),
        deduplicated: false,
        request_id: String::new(),
        labels: BTreeMap::new(),
        webhook: None,
        batch_id: String::new(),
        progress: None,
    };
    let msg = JobMessage {
        job_id: id,
        tenant: "acme".into(),
        content: content.to_vec(),
        media_type: media_type.into(),
        filename: "report.txt".into(),
        charset: String::new(),
        checklist_id: String::new(),
        content_sha256: sha,
        result_key: rk,
        create_time_ms: now,
        hints: Vec::new(),
        request_id: String::new(),
        labels: BTreeMap::new(),
        trace_context: BTreeMap::new(),
        notify_url: String::new(),
        batch_id: String::new(),
    };
    (rec, msg)
}

struct Harness {
    store: Arc<MemoryStore>,
    queue: Arc<MemoryQueue>,
    shutdown: CancellationToken,
    worker: tokio::task::JoinHandle<Result<(), fazhi_scorer::ScorerError>>,
}

fn test_config(engine: Arc<dyn Engine>) -> WorkerConfig {
    let mut cfg = WorkerConfig::with_engine(engine);
    cfg.job_timeout = Duration::from_secs(20);
    cfg.store_retry_backoff = Duration::from_millis(20);
    cfg.reconcile = None;
    cfg
}

fn start(cfg: WorkerConfig, delivery_limit: u32) -> Harness {
    start_with_store(cfg, delivery_limit, Arc::new(MemoryStore::default()), None)
}

fn start_with_store(
    cfg: WorkerConfig,
    delivery_limit: u32,
    store: Arc<MemoryStore>,
    facade: Option<Arc<dyn JobStore>>,
) -> Harness {
    let queue = Arc::new(MemoryQueue::new(delivery_limit));
    let shutdown = CancellationToken::new();
    let worker = tokio::spawn(fazhi_scorer::run(
        facade.unwrap_or_else(|| store.clone()),
        queue.clone(),
        cfg,
        shutdown.clone(),
    ));
    Harness {
        store,
        queue,
        shutdown,
        worker,
    }
}

impl Harness {
    async fn submit(&self, rec: &JobRecord, msg: &JobMessage) {
        assert!(matches!(
            self.store.create(rec).await.unwrap(),
            CreateOutcome::Created
        ));
        self.queue.publish(msg, &[]).await.unwrap();
    }

    async fn wait_terminal(&self, id: &str) -> JobRecord {
        for _ in 0..400 {
            if let Some(j) = self.store.get_any(id).await.unwrap()
                && j.state.is_terminal()
            {
                return j;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }

    async fn wait_drained(&self) {
        for _ in 0..200 {
            if self.queue.depth().await.unwrap() == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("queue not drained (a delivery was never settled)");
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.worker)
            .await
            .expect("worker did not stop")
            .expect("worker panicked")
            .expect("worker failed");
    }
}

struct FixedEngine {
    calls: AtomicUsize,
    result: Result<(), EngineFailure>,
}

impl Engine for FixedEngine {
    fn assess(&self, msg: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.result.clone()?;
        let a = fazhi_proto::v1::Assessment {
            content_sha256: msg.content_sha256.clone(),
            checklist_id: "gangyao-2021-2025".into(),
            ..Default::default()
        };
        // Encoded only: the worker decodes it for the copied-text check.
        Ok(EngineOutput {
            assessment: a.encode_to_vec(),
            checklist_id: "gangyao-2021-2025".into(),
            decoded: None,
        })
    }
}

fn ok_engine() -> Arc<FixedEngine> {
    Arc::new(FixedEngine {
        calls: AtomicUsize::new(0),
        result: Ok(()),
    })
}

struct PanicEngine(AtomicUsize);
impl Engine for PanicEngine {
    fn assess(&self, _: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("engine bug")
    }
}

struct SlowEngine(Duration);
impl Engine for SlowEngine {
    fn assess(&self, msg: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        std::thread::sleep(self.0);
        ok_engine().assess(msg)
    }
}

#[cfg(feature = "engine")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_report_succeeds_with_the_real_engine() {
    let files = corpus::text_reports();
    let path = files.first().expect("no example report in text form");
    let content = std::fs::read(path).unwrap();
    let h = start(
        test_config(Arc::new(fazhi_scorer::FazhiEngine::default())),
        5,
    );
    let (rec, msg) = job_and_message(&content, "text/plain");
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(
        done.state,
        JobState::Succeeded,
        "{}: {} {}",
        path.display(),
        done.error_code,
        done.error_message
    );
    assert_eq!(done.attempts, 1);
    assert!(!done.checklist_id.is_empty(), "checklist used is recorded");
    let bytes = h
        .store
        .get_result(&rec.result_key)
        .await
        .unwrap()
        .expect("result stored");
    let a = fazhi_proto::v1::Assessment::decode(bytes.as_slice()).unwrap();
    assert_eq!(a.content_sha256, rec.content_sha256);
    assert_eq!(a.checklist_id, done.checklist_id);
    h.wait_drained().await;
    assert_eq!(h.store.pending_message(&rec.id).await.unwrap(), None);
    h.stop().await;
}

#[tokio::test]
async fn redelivery_of_a_finished_job_is_a_no_op() {
    let engine = ok_engine();
    let h = start(test_config(engine.clone()), 5);
    let (rec, msg) = job_and_message(b"x", "text/plain");
    h.submit(&rec, &msg).await;
    h.wait_terminal(&rec.id).await;
    h.wait_drained().await;
    let before = h.store.get_any(&rec.id).await.unwrap().unwrap();
    h.queue.publish(&msg, &[]).await.unwrap(); // duplicate (e.g. reconciler or lost ack)
    h.wait_drained().await;
    assert_eq!(
        engine.calls.load(Ordering::SeqCst),
        1,
        "engine not run again"
    );
    assert_eq!(h.store.get_any(&rec.id).await.unwrap().unwrap(), before);
    // Cancelled jobs are skipped too.
    let (rec2, msg2) = job_and_message(b"y", "text/plain");
    h.store.create(&rec2).await.unwrap();
    h.store
        .transition(
            &rec2.id,
            Transition {
                from: &[JobState::Queued],
                to: JobState::Cancelled,
                error_code: None,
                error_message: None,
                bump_attempts: false,
                checklist_id: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    h.queue.publish(&msg2, &[]).await.unwrap();
    h.wait_drained().await;
    assert_eq!(engine.calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        h.store.get_any(&rec2.id).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    h.stop().await;
}

#[tokio::test]
async fn a_job_the_store_lost_is_recreated_from_its_message() {
    let h = start(test_config(ok_engine()), 5);
    let (rec, msg) = job_and_message(b"lost", "text/plain");
    h.queue.publish(&msg, &[]).await.unwrap(); // no store record
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.tenant, "acme");
    assert_eq!(done.create_time_ms, msg.create_time_ms);
    h.stop().await;
}

#[tokio::test]
async fn cached_result_completes_without_the_engine() {
    let engine = Arc::new(PanicEngine(AtomicUsize::new(0)));
    let h = start(test_config(engine.clone()), 5);
    let (rec, msg) = job_and_message(b"cached", "text/plain");
    // An earlier job with the same content stored the result.
    let (earlier, _) = job_and_message(b"cached", "text/plain");
    h.store.create(&earlier).await.unwrap();
    let a = fazhi_proto::v1::Assessment {
        checklist_id: "gangyao-2015-2020".into(),
        ..Default::default()
    };
    h.store
        .complete(
            &earlier.id,
            &rec.result_key,
            &a.encode_to_vec(),
            "gangyao-2015-2020",
        )
        .await
        .unwrap()
        .unwrap();
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.checklist_id, "gangyao-2015-2020");
    assert_eq!(engine.0.load(Ordering::SeqCst), 0);
    h.stop().await;
}

/// An engine that always fails with `code`.
fn failing(code: &str, message: &str, scan: bool, retry: bool) -> Arc<FixedEngine> {
    Arc::new(FixedEngine {
        calls: AtomicUsize::new(0),
        result: Err(EngineFailure {
            code: code.into(),
            message: message.into(),
            scan,
            retry,
        }),
    })
}

#[tokio::test]
async fn a_rejected_document_fails_with_the_engine_code() {
    let engine = failing(
        "NO_CHINESE_TEXT",
        "document contains no Chinese text",
        false,
        false,
    );
    let h = start(test_config(engine.clone()), 5);
    let (rec, msg) = job_and_message(b"hello", "text/plain");
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.error_code, "NO_CHINESE_TEXT");
    h.wait_drained().await;
    assert_eq!(
        engine.calls.load(Ordering::SeqCst),
        1,
        "no retry for bad input"
    );
    h.stop().await;
}

#[tokio::test]
async fn engine_panics_retry_then_dead_letter_to_failed() {
    let engine = Arc::new(PanicEngine(AtomicUsize::new(0)));
    let h = start(test_config(engine.clone()), 2);
    let (rec, msg) = job_and_message(b"boom", "text/plain");
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.error_code, "DEAD_LETTERED");
    assert!(
        done.error_message.contains("delivery_limit"),
        "{}",
        done.error_message
    );
    assert_eq!(
        engine.0.load(Ordering::SeqCst),
        3,
        "first delivery + 2 redeliveries"
    );
    assert_eq!(done.attempts, 3);
    h.stop().await;
}

#[tokio::test]
async fn engine_timeouts_retry_then_dead_letter() {
    let mut cfg = test_config(Arc::new(SlowEngine(Duration::from_millis(400))));
    cfg.job_timeout = Duration::from_millis(50);
    let h = start(cfg, 1);
    let (rec, msg) = job_and_message(b"slow", "text/plain");
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.error_code, "DEAD_LETTERED");
    assert_eq!(done.attempts, 2);
    h.stop().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_jobs_finish() {
    let h = start(
        test_config(Arc::new(SlowEngine(Duration::from_millis(300)))),
        5,
    );
    let (rec, msg) = job_and_message(b"drain", "text/plain");
    h.submit(&rec, &msg).await;
    for _ in 0..100 {
        if h.store.get_any(&rec.id).await.unwrap().unwrap().state == JobState::Running {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let store = h.store.clone();
    let queue = h.queue.clone();
    h.stop().await; // returns only after the drain
    assert_eq!(
        store.get_any(&rec.id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
    assert_eq!(queue.depth().await.unwrap(), 0, "acked before exit");
}

/// Fails the first `fail` calls of every method with `Unavailable`, like a Redis restart.
struct FlakyStore {
    inner: Arc<MemoryStore>,
    fail: AtomicUsize,
}

impl FlakyStore {
    fn check(&self) -> Result<(), StoreError> {
        let left = self.fail.load(Ordering::SeqCst);
        if left > 0 {
            self.fail.store(left - 1, Ordering::SeqCst);
            return Err(StoreError::Unavailable("redis restarting".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl JobStore for FlakyStore {
    async fn create(&self, job: &JobRecord) -> Result<CreateOutcome, StoreError> {
        self.check()?;
        self.inner.create(job).await
    }
    async fn get(&self, tenant: &str, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.check()?;
        self.inner.get(tenant, id).await
    }
    async fn get_any(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        self.check()?;
        self.inner.get_any(id).await
    }
    async fn transition(&self, id: &str, t: Transition) -> Result<Option<JobRecord>, StoreError> {
        self.check()?;
        self.inner.transition(id, t).await
    }
    async fn set_progress(&self, id: &str, p: &fazhi_jobs::Progress) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.set_progress(id, p).await
    }
    async fn complete(
        &self,
        id: &str,
        rk: &str,
        a: &[u8],
        c: &str,
    ) -> Result<Option<JobRecord>, StoreError> {
        self.check()?;
        self.inner.complete(id, rk, a, c).await
    }
    async fn list(
        &self,
        t: &str,
        s: Option<JobState>,
        n: usize,
        p: &str,
    ) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.list(t, s, n, p).await
    }
    async fn get_result(&self, rk: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.check()?;
        self.inner.get_result(rk).await
    }
    async fn get_text(&self, id: &[u8; 32]) -> Result<Option<Vec<u8>>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.get_text(id).await
    }
    async fn put_result(&self, rk: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_result(rk, bytes).await
    }
    async fn create_batch(
        &self,
        b: &fazhi_jobs::BatchRecord,
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.create_batch(b).await
    }
    async fn get_batch(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<fazhi_jobs::BatchRecord>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.get_batch(tenant, id).await
    }
    async fn list_batches(
        &self,
        tenant: &str,
        n: usize,
        tok: &str,
    ) -> Result<fazhi_jobs::BatchPage, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.list_batches(tenant, n, tok).await
    }
    async fn batch_job_ids(&self, id: &str) -> Result<Vec<String>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.batch_job_ids(id).await
    }
    async fn put_batch_row(
        &self,
        b: &str,
        j: &str,
        row: &[u8],
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.put_batch_row(b, j, row).await
    }
    async fn batch_rows(&self, b: &str) -> Result<Vec<(String, Vec<u8>)>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.batch_rows(b).await
    }
    async fn put_issuer_row(
        &self,
        t: &str,
        i: &str,
        j: &str,
        row: &[u8],
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.put_issuer_row(t, i, j, row).await
    }
    async fn issuer_rows(
        &self,
        t: &str,
        i: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.issuer_rows(t, i).await
    }
    async fn similar_candidates(
        &self,
        t: &str,
        k: &[u64],
    ) -> Result<Vec<(u64, u32)>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.similar_candidates(t, k).await
    }
    async fn similarity_docs(
        &self,
        t: &str,
        ids: &[u64],
    ) -> Result<Vec<Option<Vec<u8>>>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.similarity_docs(t, ids).await
    }
    async fn sentence_frequencies(
        &self,
        t: &str,
        h: &[u64],
    ) -> Result<(Vec<u32>, u64), fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.sentence_frequencies(t, h).await
    }
    async fn index_similarity(
        &self,
        t: &str,
        j: &str,
        k: &[u64],
        d: &[u8],
        h: &[u64],
    ) -> Result<u64, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.index_similarity(t, j, k, d, h).await
    }
    async fn put_overlay(&self, j: &str, o: &[u8]) -> Result<(), fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.put_overlay(j, o).await
    }
    async fn overlay(&self, j: &str) -> Result<Option<Vec<u8>>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.overlay(j).await
    }
    async fn claim_webhooks(
        &self,
        now_ms: i64,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.claim_webhooks(now_ms, lease, limit).await
    }
    async fn record_webhook(
        &self,
        id: &str,
        w: &fazhi_jobs::Webhook,
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.check()?;
        self.inner.record_webhook(id, w).await
    }
    async fn watch(&self, id: &str) -> Result<BoxStream<'static, JobRecord>, StoreError> {
        self.inner.watch(id).await
    }
    async fn stale_queued(&self, d: Duration, n: usize) -> Result<Vec<JobRecord>, StoreError> {
        self.check()?;
        self.inner.stale_queued(d, n).await
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.check()
    }
}

#[tokio::test]
async fn store_outage_holds_the_job_without_burning_deliveries() {
    let engine = ok_engine();
    let mem = Arc::new(MemoryStore::default());
    let flaky = Arc::new(FlakyStore {
        inner: mem.clone(),
        fail: AtomicUsize::new(0),
    });
    let h = start_with_store(test_config(engine.clone()), 1, mem, Some(flaky.clone()));
    let (rec, msg) = job_and_message(b"outage", "text/plain");
    h.store.create(&rec).await.unwrap();
    flaky.fail.store(5, Ordering::SeqCst);
    h.queue.publish(&msg, &[]).await.unwrap();
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.error_code);
    assert_eq!(done.attempts, 1, "held in place, not redelivered");
    h.wait_drained().await;
    h.stop().await;
}

/// Counts engine runs in progress and the most seen at once.
struct GaugedEngine {
    now: AtomicUsize,
    peak: AtomicUsize,
}

impl Engine for GaugedEngine {
    fn assess(&self, msg: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(n, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(30));
        self.now.fetch_sub(1, Ordering::SeqCst);
        ok_engine().assess(msg)
    }
}

/// Prefetch fills the pipeline, but engine runs never exceed the process's engine slots.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_runs_are_bounded_by_engine_slots() {
    for slots in [1usize, 3] {
        let engine = Arc::new(GaugedEngine {
            now: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
        });
        let mut cfg = test_config(engine.clone());
        cfg.prefetch = 8;
        cfg.engine_slots = Arc::new(tokio::sync::Semaphore::new(slots));
        let h = start(cfg, 5);
        let mut ids = Vec::new();
        for i in 0..12 {
            let (rec, msg) =
                job_and_message(format!("report {slots} {i}").as_bytes(), "text/plain");
            h.submit(&rec, &msg).await;
            ids.push(rec.id);
        }
        for id in &ids {
            assert_eq!(h.wait_terminal(id).await.state, JobState::Succeeded);
        }
        assert_eq!(
            engine.peak.load(Ordering::SeqCst),
            slots,
            "with {slots} slot(s) and prefetch 8, exactly {slots} run(s) at once"
        );
        h.shutdown.cancel();
        let _ = h.worker.await;
    }
}

/// A substitute engine for the two lanes: every document is a scan to the text lane, and the
/// OCR lane "recognises" three pages, reporting each, after the test lets it start.
struct ScanEngine {
    text_calls: AtomicUsize,
    scan_calls: AtomicUsize,
    gate: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Engine for ScanEngine {
    fn assess(&self, _msg: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        self.text_calls.fetch_add(1, Ordering::SeqCst);
        Err(EngineFailure {
            code: "PDF_NO_TEXT".into(),
            message: "image-only".into(),
            scan: true,
            retry: false,
        })
    }
    fn assess_scan(
        &self,
        msg: &JobMessage,
        progress: &mut dyn FnMut(u32, u32),
    ) -> Result<EngineOutput, EngineFailure> {
        self.scan_calls.fetch_add(1, Ordering::SeqCst);
        let gate = self.gate.lock().unwrap_or_else(|e| e.into_inner());
        progress(0, 3);
        for page in 1..=3 {
            let _ = gate.recv_timeout(Duration::from_secs(10));
            progress(page, 3);
        }
        let a = fazhi_proto::v1::Assessment {
            content_sha256: msg.content_sha256.clone(),
            checklist_id: "gangyao-2021-2025".into(),
            ..Default::default()
        };
        Ok(EngineOutput {
            assessment: a.encode_to_vec(),
            checklist_id: "gangyao-2021-2025".into(),
            decoded: Some(Box::new(a)),
        })
    }
}

#[tokio::test]
async fn a_scan_goes_to_the_ocr_lane_and_shows_its_pages() {
    let (tx, rx) = std::sync::mpsc::channel();
    let engine = Arc::new(ScanEngine {
        text_calls: AtomicUsize::new(0),
        scan_calls: AtomicUsize::new(0),
        gate: std::sync::Mutex::new(rx),
    });
    let store = Arc::new(MemoryStore::default());
    let text_queue = Arc::new(MemoryQueue::new(5));
    let ocr_queue = Arc::new(text_queue.ocr_lane());
    let shutdown = CancellationToken::new();
    let mut text_cfg = test_config(engine.clone());
    text_cfg.ocr_lane = Some(ocr_queue.clone());
    let mut ocr_cfg = test_config(engine.clone());
    ocr_cfg.lane = fazhi_scorer::Lane::Ocr;
    ocr_cfg.dead_letters = false;
    ocr_cfg.engine_slots = Arc::new(tokio::sync::Semaphore::new(1));
    let text = tokio::spawn(fazhi_scorer::run(
        store.clone(),
        text_queue.clone(),
        text_cfg,
        shutdown.clone(),
    ));
    let ocr = tokio::spawn(fazhi_scorer::run(
        store.clone(),
        ocr_queue.clone(),
        ocr_cfg,
        shutdown.clone(),
    ));
    let (rec, msg) = job_and_message(b"%PDF-1.4 scanned", "application/pdf");
    store.create(&rec).await.unwrap();
    let mut versions = store.watch(&rec.id).await.unwrap();
    text_queue.publish(&msg, &[]).await.unwrap();

    // Every version of the job, releasing the next page each time a page count shows.
    let mut seen = Vec::new();
    while let Ok(Some(j)) = tokio::time::timeout(Duration::from_secs(20), versions.next()).await {
        if let Some(p) = &j.progress
            && seen.last() != Some(&(p.done, p.total))
        {
            assert_eq!(p.stage, "ocr");
            if p.done < p.total || p.total == 0 {
                assert_eq!(j.state, JobState::Running, "{j:?}");
            }
            seen.push((p.done, p.total));
            // Progress is latest-wins: hold each page until its count was seen.
            if p.total > 0 {
                let _ = tx.send(());
            }
        }
    }
    let done = store.get_any(&rec.id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded, "{done:?}");
    assert_eq!(
        seen.first(),
        Some(&(0, 0)),
        "waiting for an OCR slot first: {seen:?}"
    );
    assert!(seen.contains(&(1, 3)) && seen.contains(&(2, 3)), "{seen:?}");
    assert_eq!(done.progress.map(|p| (p.done, p.total)), Some((3, 3)));
    assert_eq!(engine.text_calls.load(Ordering::SeqCst), 1);
    assert_eq!(engine.scan_calls.load(Ordering::SeqCst), 1);
    assert_eq!(text_queue.depth().await.unwrap(), 0);
    assert_eq!(ocr_queue.depth().await.unwrap(), 0);
    shutdown.cancel();
    text.await.unwrap().unwrap();
    ocr.await.unwrap().unwrap();
}

#[tokio::test]
async fn without_an_ocr_lane_a_scan_fails_with_the_engine_code() {
    let (_tx, rx) = std::sync::mpsc::channel();
    let engine = Arc::new(ScanEngine {
        text_calls: AtomicUsize::new(0),
        scan_calls: AtomicUsize::new(0),
        gate: std::sync::Mutex::new(rx),
    });
    let h = start(test_config(engine.clone()), 5);
    let (rec, msg) = job_and_message(b"%PDF-1.4 scanned", "application/pdf");
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(
        (done.state, done.error_code.as_str()),
        (JobState::Failed, "PDF_NO_TEXT")
    );
    assert_eq!(engine.scan_calls.load(Ordering::SeqCst), 0);
    h.stop().await;
}

#[tokio::test]
async fn a_transient_failure_is_retried_then_fails_with_its_reason() {
    let engine = failing(
        "OCR_TIMEOUT",
        "tesseract took longer than 60s on page 3",
        true,
        true,
    );
    let h = start(test_config(engine.clone()), 2);
    let (rec, msg) = job_and_message(b"%PDF-1.4 scan", "application/pdf");
    h.submit(&rec, &msg).await;
    let done = h.wait_terminal(&rec.id).await;
    assert_eq!(done.state, JobState::Failed);
    assert_eq!(done.error_code, "OCR_TIMEOUT", "{done:?}");
    assert!(
        done.error_message.contains("page 3"),
        "{}",
        done.error_message
    );
    assert_eq!(
        engine.calls.load(Ordering::SeqCst),
        3,
        "first try + delivery limit 2"
    );
    h.stop().await;
}
