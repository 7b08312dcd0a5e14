//! The gateway end to end over a real socket: server on 127.0.0.1:0 with the in-memory store
//! and queue, a tonic client, no worker (so jobs stay QUEUED unless a test moves them through
//! the store, playing the worker).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fazhi_gateway::{Gateway, GatewayConfig, TenantLimits, key_digest};
use fazhi_jobs::{
    DeadLetter, Delivery, JobMessage, JobQueue, JobState, JobStore, MemoryQueue, MemoryStore,
    QueueError, Subscription, Transition,
};
use fazhi_proto::v1 as wire;
use fazhi_proto::v1::report_service_client::ReportServiceClient;
use futures::StreamExt;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

/// A Chinese report-shaped text the engine can read.
const REPORT: &str = "某市人民政府关于2023年度法治政府建设情况的报告\n\
一、主要举措和成效\n（一）深化行政执法体制改革。全年开展行政执法案卷评查120卷，持证执法人员1200名。\n\
（二）推进依法科学民主决策。重大行政决策合法性审查率100%。\n\
二、存在的不足和原因\n基层执法力量不足。\n\
三、党政主要负责人履行推进法治建设第一责任人职责情况\n市委书记、市长带头学法。\n\
四、下一年度工作安排\n继续推进法治政府建设。\n";

const KEY_A: &str = "key-of-tenant-a";
const KEY_B: &str = "key-of-tenant-b";

/// A queue whose publishes fail while `fail` is set.
#[derive(Clone)]
struct FlakyQueue {
    inner: MemoryQueue,
    fail: Arc<AtomicBool>,
}

#[async_trait]
impl JobQueue for FlakyQueue {
    async fn publish(&self, msg: &JobMessage, tc: &[(String, String)]) -> Result<(), QueueError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(QueueError::Unavailable("broker down (test)".into()));
        }
        self.inner.publish(msg, tc).await
    }
    async fn consume(&self, prefetch: u16) -> Result<Subscription<Delivery>, QueueError> {
        self.inner.consume(prefetch).await
    }
    async fn consume_dead_letters(&self) -> Result<Subscription<DeadLetter>, QueueError> {
        self.inner.consume_dead_letters().await
    }
    async fn depth(&self) -> Result<u64, QueueError> {
        self.inner.depth().await
    }
    async fn ping(&self) -> Result<(), QueueError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(QueueError::Unavailable("broker down (test)".into()));
        }
        self.inner.ping().await
    }
}

/// A store that never answers while `hang` is set (a partitioned Redis).
#[derive(Clone)]
struct HangingStore {
    inner: MemoryStore,
    hang: Arc<AtomicBool>,
}

impl HangingStore {
    async fn gate(&self) {
        if self.hang.load(Ordering::SeqCst) {
            futures::future::pending::<()>().await;
        }
    }
}

#[async_trait]
impl JobStore for HangingStore {
    async fn create(
        &self,
        job: &fazhi_jobs::JobRecord,
    ) -> Result<fazhi_jobs::CreateOutcome, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.create(job).await
    }
    async fn create_with_message(
        &self,
        job: &fazhi_jobs::JobRecord,
        msg: &JobMessage,
    ) -> Result<fazhi_jobs::CreateOutcome, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.create_with_message(job, msg).await
    }
    async fn get(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.get(tenant, id).await
    }
    async fn get_any(
        &self,
        id: &str,
    ) -> Result<Option<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.get_any(id).await
    }
    async fn transition(
        &self,
        id: &str,
        t: Transition,
    ) -> Result<Option<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.transition(id, t).await
    }
    async fn set_progress(
        &self,
        id: &str,
        p: &fazhi_jobs::Progress,
    ) -> Result<bool, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.set_progress(id, p).await
    }
    async fn complete(
        &self,
        id: &str,
        key: &str,
        a: &[u8],
        c: &str,
    ) -> Result<Option<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.complete(id, key, a, c).await
    }
    async fn list(
        &self,
        tenant: &str,
        state: Option<JobState>,
        n: usize,
        tok: &str,
    ) -> Result<fazhi_jobs::Page, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.list(tenant, state, n, tok).await
    }
    async fn get_result(&self, key: &str) -> Result<Option<Vec<u8>>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.get_result(key).await
    }
    async fn get_text(&self, id: &[u8; 32]) -> Result<Option<Vec<u8>>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.get_text(id).await
    }
    async fn put_result(&self, key: &str, bytes: &[u8]) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.put_result(key, bytes).await
    }
    async fn create_batch(
        &self,
        b: &fazhi_jobs::BatchRecord,
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.create_batch(b).await
    }
    async fn get_batch(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<fazhi_jobs::BatchRecord>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.get_batch(tenant, id).await
    }
    async fn list_batches(
        &self,
        tenant: &str,
        n: usize,
        tok: &str,
    ) -> Result<fazhi_jobs::BatchPage, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.list_batches(tenant, n, tok).await
    }
    async fn batch_job_ids(&self, id: &str) -> Result<Vec<String>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.batch_job_ids(id).await
    }
    async fn put_batch_row(
        &self,
        b: &str,
        j: &str,
        row: &[u8],
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.put_batch_row(b, j, row).await
    }
    async fn batch_rows(&self, b: &str) -> Result<Vec<(String, Vec<u8>)>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.batch_rows(b).await
    }
    async fn put_issuer_row(
        &self,
        t: &str,
        i: &str,
        j: &str,
        row: &[u8],
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.put_issuer_row(t, i, j, row).await
    }
    async fn issuer_rows(
        &self,
        t: &str,
        i: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.issuer_rows(t, i).await
    }
    async fn similar_candidates(
        &self,
        t: &str,
        k: &[u64],
    ) -> Result<Vec<(u64, u32)>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.similar_candidates(t, k).await
    }
    async fn similarity_docs(
        &self,
        t: &str,
        ids: &[u64],
    ) -> Result<Vec<Option<Vec<u8>>>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.similarity_docs(t, ids).await
    }
    async fn sentence_frequencies(
        &self,
        t: &str,
        h: &[u64],
    ) -> Result<(Vec<u32>, u64), fazhi_jobs::StoreError> {
        self.gate().await;
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
        self.gate().await;
        self.inner.index_similarity(t, j, k, d, h).await
    }
    async fn put_overlay(&self, j: &str, o: &[u8]) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.put_overlay(j, o).await
    }
    async fn overlay(&self, j: &str) -> Result<Option<Vec<u8>>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.overlay(j).await
    }
    async fn claim_webhooks(
        &self,
        now_ms: i64,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.claim_webhooks(now_ms, lease, limit).await
    }
    async fn record_webhook(
        &self,
        id: &str,
        w: &fazhi_jobs::Webhook,
    ) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.record_webhook(id, w).await
    }
    async fn watch(
        &self,
        id: &str,
    ) -> Result<futures::stream::BoxStream<'static, fazhi_jobs::JobRecord>, fazhi_jobs::StoreError>
    {
        self.gate().await;
        self.inner.watch(id).await
    }
    async fn stale_queued(
        &self,
        older_than: Duration,
        limit: usize,
    ) -> Result<Vec<fazhi_jobs::JobRecord>, fazhi_jobs::StoreError> {
        self.inner.stale_queued(older_than, limit).await
    }
    async fn ping(&self) -> Result<(), fazhi_jobs::StoreError> {
        self.gate().await;
        self.inner.ping().await
    }
}

struct TestApp {
    addr: std::net::SocketAddr,
    http: std::net::SocketAddr,
    store: MemoryStore,
    queue_fail: Arc<AtomicBool>,
    store_hang: Arc<AtomicBool>,
    shutdown: CancellationToken,
    server: tokio::task::JoinHandle<Result<(), fazhi_gateway::GatewayError>>,
    _dir: Option<TempDir>,
}

/// A directory removed on drop (no tempfile dependency needed for one file).
struct TempDir(std::path::PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Opts {
    auth: bool,
    limits: TenantLimits,
    max_document_bytes: usize,
}

impl Default for Opts {
    fn default() -> Self {
        Self {
            auth: false,
            limits: TenantLimits::default(),
            max_document_bytes: 20 * 1024 * 1024,
        }
    }
}

async fn spawn_app(opts: Opts) -> TestApp {
    let store = MemoryStore::default();
    let store_hang = Arc::new(AtomicBool::new(false));
    let queue_fail = Arc::new(AtomicBool::new(false));
    let hanging = HangingStore {
        inner: store.clone(),
        hang: store_hang.clone(),
    };
    let queue = FlakyQueue {
        inner: MemoryQueue::default(),
        fail: queue_fail.clone(),
    };
    let mut cfg = GatewayConfig::default().with_max_document_bytes(opts.max_document_bytes);
    cfg.grpc_addr = "127.0.0.1:0".parse().expect("addr");
    cfg.http_addr = Some("127.0.0.1:0".parse().expect("addr"));
    cfg.default_limits = opts.limits;
    cfg.store_timeout = Duration::from_millis(300);
    cfg.publish_timeout = Duration::from_millis(300);
    cfg.health_interval = Duration::from_millis(100);
    cfg.watch_poll_interval = Duration::from_millis(200);
    cfg.shutdown_grace = Duration::from_secs(2);
    let mut dir = None;
    if opts.auth {
        let path = std::env::temp_dir().join(format!("fazhi-gw-test-{:x}", rand_u64()));
        std::fs::create_dir_all(&path).expect("tmp");
        let file = path.join("auth.toml");
        std::fs::write(
            &file,
            format!(
                "[[tenant]]\nname = \"a\"\nkey_sha256 = [\"{}\"]\n\n[[tenant]]\nname = \"b\"\nkey_sha256 = [\"{}\"]\n",
                key_digest(KEY_A),
                key_digest(KEY_B)
            ),
        )
        .expect("write auth");
        cfg.auth_file = Some(file);
        dir = Some(TempDir(path));
    }
    let gw = Gateway::new(cfg, Arc::new(hanging), Arc::new(queue))
        .expect("gateway")
        .with_metrics(metrics_handle());
    let bound = gw.bind().await.expect("bind");
    let addr = bound.grpc_addr();
    let http = bound.http_addr().expect("http addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(bound.run(shutdown.clone()));
    TestApp {
        addr,
        http,
        store,
        queue_fail,
        store_hang,
        shutdown,
        server,
        _dir: dir,
    }
}

/// The process-wide recorder (one per test binary), so `/metrics` shows real counters.
fn metrics_handle() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "fazhi_grpc_request_duration_seconds".into(),
                    ),
                    fazhi_gateway::LATENCY_BUCKETS,
                )
                .expect("buckets")
                .install_recorder()
                .expect("recorder")
        })
        .clone()
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

impl TestApp {
    async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.addr))
            .expect("uri")
            .connect()
            .await
            .expect("connect")
    }

    async fn client(&self) -> ReportServiceClient<Channel> {
        ReportServiceClient::new(self.channel().await)
    }

    async fn stop(self) {
        self.shutdown.cancel();
        let r = tokio::time::timeout(Duration::from_secs(5), self.server)
            .await
            .expect("server stops in time")
            .expect("join");
        assert!(r.is_ok(), "server ended with {r:?}");
    }
}

fn with_key<T>(msg: T, key: Option<&str>) -> Request<T> {
    let mut r = Request::new(msg);
    if let Some(k) = key {
        r.metadata_mut().insert(
            "authorization",
            format!("Bearer {k}").parse().expect("ascii"),
        );
    }
    r.set_timeout(Duration::from_secs(10));
    r
}

fn submission(text: &str) -> wire::SubmitReportRequest {
    wire::SubmitReportRequest {
        document: Some(wire::Document {
            content: text.as_bytes().to_vec(),
            media_type: "text/plain; charset=utf-8".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn assert_reason(s: &Status, code: Code, reason: &str) {
    assert_eq!(s.code(), code, "{s:?}");
    let info = s.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.domain, "fazhi.v1");
    assert_eq!(info.reason, reason, "{s:?}");
}

fn field_violations(s: &Status) -> Vec<String> {
    s.get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn validation_errors_have_codes_and_field_details() {
    let app = spawn_app(Opts {
        max_document_bytes: 1024,
        ..Default::default()
    })
    .await;
    let mut c = app.client().await;

    let s = c
        .submit_report(with_key(submission(""), None))
        .await
        .expect_err("empty");
    assert_reason(&s, Code::InvalidArgument, "EMPTY_DOCUMENT");
    assert_eq!(field_violations(&s), vec!["document.content"]);

    let s = c
        .submit_report(with_key(wire::SubmitReportRequest::default(), None))
        .await
        .expect_err("no document");
    assert_reason(&s, Code::InvalidArgument, "MISSING_DOCUMENT");

    let big = "报".repeat(400); // 1200 bytes
    let s = c
        .submit_report(with_key(submission(&big), None))
        .await
        .expect_err("oversize");
    assert_reason(&s, Code::ResourceExhausted, "DOCUMENT_TOO_LARGE");

    let mut r = submission(REPORT);
    if let Some(d) = r.document.as_mut() {
        d.media_type = "image/gif".into();
    }
    let s = c.submit_report(with_key(r, None)).await.expect_err("media");
    assert_reason(&s, Code::InvalidArgument, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(field_violations(&s), vec!["document.media_type"]);

    let mut r = submission(REPORT);
    r.checklist_id = "gangyao-1999".into();
    let s = c
        .submit_report(with_key(r, None))
        .await
        .expect_err("checklist");
    assert_reason(&s, Code::InvalidArgument, "UNKNOWN_CHECKLIST");

    let mut r = submission(REPORT);
    r.hints = Some(wire::ReportHints {
        published_date: "2024-02-30".into(),
        ..Default::default()
    });
    let s = c.submit_report(with_key(r, None)).await.expect_err("date");
    assert_reason(&s, Code::InvalidArgument, "INVALID_DATE");
    assert_eq!(field_violations(&s), vec!["hints.published_date"]);

    // The synchronous path validates the same way.
    let s = c
        .assess_report(with_key(submission(""), None))
        .await
        .expect_err("empty");
    assert_reason(&s, Code::InvalidArgument, "EMPTY_DOCUMENT");

    // Valid: accepted and QUEUED, with a named checklist and a good date.
    let mut r = submission(REPORT);
    r.checklist_id = "gangyao-2021-2025".into();
    r.hints = Some(wire::ReportHints {
        published_date: "2024-03-01".into(),
        year: 2023,
        ..Default::default()
    });
    let job = c
        .submit_report(with_key(r, None))
        .await
        .expect("ok")
        .into_inner();
    assert_eq!(job.state, wire::JobState::Queued as i32);
    assert_eq!(job.id.len(), 32);
    assert_eq!(job.content_sha256.len(), 64);
    app.stop().await;
}

#[tokio::test]
async fn tenants_are_isolated_and_keys_required() {
    let app = spawn_app(Opts {
        auth: true,
        ..Default::default()
    })
    .await;
    let mut c = app.client().await;

    let s = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect_err("no key");
    assert_reason(&s, Code::Unauthenticated, "API_KEY_INVALID");
    let s = c
        .list_jobs(with_key(wire::ListJobsRequest::default(), Some("wrong")))
        .await
        .expect_err("bad key");
    assert_eq!(s.code(), Code::Unauthenticated);

    let job = c
        .submit_report(with_key(submission(REPORT), Some(KEY_A)))
        .await
        .expect("a submits")
        .into_inner();
    let get = |k| with_key(wire::GetJobRequest { id: job.id.clone() }, Some(k));

    assert_eq!(
        c.get_job(get(KEY_A))
            .await
            .expect("own job")
            .into_inner()
            .id,
        job.id
    );
    let nf = |s: Status| assert_reason(&s, Code::NotFound, "JOB_NOT_FOUND");
    nf(c.get_job(get(KEY_B)).await.expect_err("b get"));
    nf(c.watch_job(get(KEY_B)).await.expect_err("b watch"));
    nf(c.cancel_job(with_key(
        wire::CancelJobRequest { id: job.id.clone() },
        Some(KEY_B),
    ))
    .await
    .expect_err("b cancel"));
    nf(c.get_assessment(with_key(
        wire::GetAssessmentRequest {
            job_id: job.id.clone(),
        },
        Some(KEY_B),
    ))
    .await
    .expect_err("b assessment"));
    let b_list = c
        .list_jobs(with_key(wire::ListJobsRequest::default(), Some(KEY_B)))
        .await
        .expect("b list")
        .into_inner();
    assert!(b_list.jobs.is_empty());

    // A's job is still QUEUED: B's cancel did nothing.
    let still = c.get_job(get(KEY_A)).await.expect("a").into_inner();
    assert_eq!(still.state, wire::JobState::Queued as i32);
    app.stop().await;
}

#[tokio::test]
async fn request_id_is_idempotent_per_tenant() {
    let app = spawn_app(Opts::default()).await;
    // gzip both ways: the server accepts and sends it.
    let mut c = app
        .client()
        .await
        .send_compressed(tonic::codec::CompressionEncoding::Gzip)
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip);
    let mut r = submission(REPORT);
    r.request_id = "9b2c4a5e-0000-4000-8000-000000000001".into();
    let first = c
        .submit_report(with_key(r.clone(), None))
        .await
        .expect("first")
        .into_inner();
    let again = c
        .submit_report(with_key(r.clone(), None))
        .await
        .expect("again")
        .into_inner();
    assert_eq!(first.id, again.id);

    let mut other = submission(&format!("{REPORT}（修订）"));
    other.request_id = r.request_id.clone();
    let s = c
        .submit_report(with_key(other, None))
        .await
        .expect_err("reuse");
    assert_reason(&s, Code::AlreadyExists, "REQUEST_ID_REUSED");

    let list = c
        .list_jobs(with_key(wire::ListJobsRequest::default(), None))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.jobs.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn rate_limit_answers_resource_exhausted_with_retry_info() {
    let app = spawn_app(Opts {
        limits: TenantLimits {
            max_in_flight: 100,
            submit_rate_per_sec: 0.5,
            submit_burst: 2.0,
        },
        ..Default::default()
    })
    .await;
    let mut c = app.client().await;
    for i in 0..2 {
        c.submit_report(with_key(submission(&format!("{REPORT}{i}")), None))
            .await
            .expect("within burst");
    }
    let s = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect_err("limited");
    assert_reason(&s, Code::ResourceExhausted, "RATE_LIMITED");
    let retry = s.get_details_retry_info().expect("RetryInfo");
    let delay = retry.retry_delay.expect("delay");
    assert!(delay > Duration::ZERO && delay <= Duration::from_secs(2));
    app.stop().await;
}

#[tokio::test]
async fn in_flight_cap_answers_resource_exhausted() {
    let app = spawn_app(Opts {
        limits: TenantLimits {
            max_in_flight: 2,
            submit_rate_per_sec: 100.0,
            submit_burst: 100.0,
        },
        ..Default::default()
    })
    .await;
    let mut c = app.client().await;
    let mut ids = Vec::new();
    for i in 0..2 {
        ids.push(
            c.submit_report(with_key(submission(&format!("{REPORT}{i}")), None))
                .await
                .expect("under cap")
                .into_inner()
                .id,
        );
    }
    let s = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect_err("cap");
    assert_reason(&s, Code::ResourceExhausted, "TOO_MANY_IN_FLIGHT");
    assert!(s.get_details_retry_info().is_some());
    // Cancelling one frees a slot.
    c.cancel_job(with_key(
        wire::CancelJobRequest { id: ids[0].clone() },
        None,
    ))
    .await
    .expect("cancel");
    c.submit_report(with_key(submission(REPORT), None))
        .await
        .expect("slot freed");
    app.stop().await;
}

#[tokio::test]
async fn list_jobs_pages_and_filters() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            c.submit_report(with_key(submission(&format!("{REPORT}{i}")), None))
                .await
                .expect("submit")
                .into_inner()
                .id,
        );
        // Distinct create times keep the expected order unambiguous.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let resp = c
            .list_jobs(with_key(
                wire::ListJobsRequest {
                    page_size: 2,
                    page_token: token.clone(),
                    state: 0,
                },
                None,
            ))
            .await
            .expect("page")
            .into_inner();
        pages += 1;
        assert!(resp.jobs.len() <= 2);
        seen.extend(resp.jobs.into_iter().map(|j| j.id));
        if resp.next_page_token.is_empty() {
            break;
        }
        token = resp.next_page_token;
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    ids.reverse(); // newest first
    assert_eq!(seen, ids);

    // State filter.
    c.cancel_job(with_key(
        wire::CancelJobRequest { id: ids[0].clone() },
        None,
    ))
    .await
    .expect("cancel");
    let cancelled = c
        .list_jobs(with_key(
            wire::ListJobsRequest {
                page_size: 0,
                page_token: String::new(),
                state: wire::JobState::Cancelled as i32,
            },
            None,
        ))
        .await
        .expect("filter")
        .into_inner();
    assert_eq!(cancelled.jobs.len(), 1);
    assert_eq!(cancelled.jobs[0].id, ids[0]);

    // Garbage and mismatched tokens are INVALID_ARGUMENT.
    let s = c
        .list_jobs(with_key(
            wire::ListJobsRequest {
                page_size: 2,
                page_token: "not-a-token".into(),
                state: 0,
            },
            None,
        ))
        .await
        .expect_err("bad token");
    assert_reason(&s, Code::InvalidArgument, "INVALID_PAGE_TOKEN");
    let first = c
        .list_jobs(with_key(
            wire::ListJobsRequest {
                page_size: 1,
                ..Default::default()
            },
            None,
        ))
        .await
        .expect("first")
        .into_inner();
    let s = c
        .list_jobs(with_key(
            wire::ListJobsRequest {
                page_size: 1,
                page_token: first.next_page_token,
                state: wire::JobState::Queued as i32,
            },
            None,
        ))
        .await
        .expect_err("token for another filter");
    assert_eq!(s.code(), Code::InvalidArgument);
    app.stop().await;
}

#[tokio::test]
async fn cancel_job_queued_then_terminal() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let job = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect("submit")
        .into_inner();
    let cancel = || with_key(wire::CancelJobRequest { id: job.id.clone() }, None);
    let done = c.cancel_job(cancel()).await.expect("cancel").into_inner();
    assert_eq!(done.state, wire::JobState::Cancelled as i32);
    let s = c.cancel_job(cancel()).await.expect_err("again");
    assert_reason(&s, Code::FailedPrecondition, "JOB_TERMINAL");

    // RUNNING jobs are not interrupted.
    let job2 = c
        .submit_report(with_key(submission(&format!("{REPORT}2")), None))
        .await
        .expect("submit")
        .into_inner();
    app.store
        .transition(
            &job2.id,
            Transition {
                from: &[JobState::Queued],
                to: JobState::Running,
                error_code: None,
                error_message: None,
                bump_attempts: true,
                checklist_id: None,
            },
        )
        .await
        .expect("store")
        .expect("running");
    let s = c
        .cancel_job(with_key(
            wire::CancelJobRequest {
                id: job2.id.clone(),
            },
            None,
        ))
        .await
        .expect_err("running");
    assert_reason(&s, Code::FailedPrecondition, "JOB_RUNNING");
    let s = c
        .get_assessment(with_key(
            wire::GetAssessmentRequest { job_id: job2.id },
            None,
        ))
        .await
        .expect_err("not done");
    assert_reason(&s, Code::FailedPrecondition, "JOB_NOT_SUCCEEDED");
    let s = c
        .get_job(with_key(wire::GetJobRequest { id: "nope".into() }, None))
        .await
        .expect_err("unknown");
    assert_eq!(s.code(), Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn watch_job_streams_every_change_until_terminal() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let job = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect("submit")
        .into_inner();
    let mut stream = c
        .watch_job(with_key(wire::GetJobRequest { id: job.id.clone() }, None))
        .await
        .expect("watch")
        .into_inner();
    let first = stream.message().await.expect("msg").expect("first");
    assert_eq!(first.state, wire::JobState::Queued as i32);

    // Play the worker.
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.store
        .transition(
            &job.id,
            Transition {
                from: &[JobState::Queued],
                to: JobState::Running,
                error_code: None,
                error_message: None,
                bump_attempts: true,
                checklist_id: None,
            },
        )
        .await
        .expect("store")
        .expect("running");
    let a = wire::Assessment {
        content_sha256: job.content_sha256.clone(),
        checklist_id: "gangyao-2021-2025".into(),
        score: 77.0,
        ..Default::default()
    };
    let rec = app
        .store
        .get_any(&job.id)
        .await
        .expect("store")
        .expect("job");
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.store
        .complete(
            &job.id,
            &rec.result_key,
            &prost::Message::encode_to_vec(&a),
            "gangyao-2021-2025",
        )
        .await
        .expect("store")
        .expect("done");

    let mut states = Vec::new();
    while let Some(j) = tokio::time::timeout(Duration::from_secs(5), stream.message())
        .await
        .expect("no hang")
        .expect("ok")
    {
        states.push(j.state);
    }
    assert_eq!(
        states,
        vec![
            wire::JobState::Running as i32,
            wire::JobState::Succeeded as i32
        ]
    );

    // The result is now served, and identical content is deduplicated from the cache.
    let got = c
        .get_assessment(with_key(
            wire::GetAssessmentRequest {
                job_id: job.id.clone(),
            },
            None,
        ))
        .await
        .expect("assessment")
        .into_inner();
    assert_eq!(got.score, 77.0);
    let dup = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect("dup")
        .into_inner();
    assert_ne!(dup.id, job.id);
    assert!(dup.deduplicated);
    assert_eq!(dup.state, wire::JobState::Succeeded as i32);
    assert_eq!(dup.checklist_id, "gangyao-2021-2025");
    let got = c
        .get_assessment(with_key(
            wire::GetAssessmentRequest { job_id: dup.id },
            None,
        ))
        .await
        .expect("dup assessment")
        .into_inner();
    assert_eq!(got.score, 77.0);

    // Watching a finished job gives its state once and ends.
    let mut stream = c
        .watch_job(with_key(wire::GetJobRequest { id: job.id.clone() }, None))
        .await
        .expect("watch")
        .into_inner();
    let only = stream.message().await.expect("ok").expect("one");
    assert_eq!(only.state, wire::JobState::Succeeded as i32);
    assert!(stream.message().await.expect("ok").is_none());
    app.stop().await;
}

#[tokio::test]
async fn submit_reports_streams_jobs_in_order_and_stops_at_first_error() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let reqs = vec![
        submission(&format!("{REPORT}a")),
        submission(&format!("{REPORT}b")),
        submission(""),
        submission(&format!("{REPORT}c")),
    ];
    let expected: Vec<String> = reqs[..2]
        .iter()
        .map(|r| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(
                &r.document.as_ref().expect("doc").content,
            ))
        })
        .collect();
    let mut out = c
        .submit_reports(with_key(futures::stream::iter(reqs), None))
        .await
        .expect("stream")
        .into_inner();
    let mut hashes = Vec::new();
    let err = loop {
        match out.message().await {
            Ok(Some(j)) => hashes.push(j.content_sha256),
            Ok(None) => panic!("stream ended without the error"),
            Err(s) => break s,
        }
    };
    assert_eq!(hashes, expected);
    assert_reason(&err, Code::InvalidArgument, "EMPTY_DOCUMENT");
    let list = c
        .list_jobs(with_key(wire::ListJobsRequest::default(), None))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.jobs.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn publish_failure_marks_job_failed_and_request_id_retry_requeues() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    app.queue_fail.store(true, Ordering::SeqCst);
    let mut r = submission(REPORT);
    r.request_id = "retry-me".into();
    let s = c
        .submit_report(with_key(r.clone(), None))
        .await
        .expect_err("broker down");
    assert_reason(&s, Code::Unavailable, "PUBLISH_FAILED");
    let list = c
        .list_jobs(with_key(wire::ListJobsRequest::default(), None))
        .await
        .expect("list")
        .into_inner();
    assert_eq!(list.jobs.len(), 1);
    assert_eq!(list.jobs[0].state, wire::JobState::Failed as i32);
    assert_eq!(list.jobs[0].error_code, "PUBLISH_FAILED");

    app.queue_fail.store(false, Ordering::SeqCst);
    let job = c
        .submit_report(with_key(r, None))
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(job.id, list.jobs[0].id);
    assert_eq!(job.state, wire::JobState::Queued as i32);
    app.stop().await;
}

#[tokio::test]
async fn unavailable_store_answers_unavailable_quickly() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    app.store_hang.store(true, Ordering::SeqCst);
    let t = Instant::now();
    let s = c
        .submit_report(with_key(submission(REPORT), None))
        .await
        .expect_err("store down");
    assert_eq!(s.code(), Code::Unavailable);
    let s = c
        .get_job(with_key(wire::GetJobRequest { id: "x".into() }, None))
        .await
        .expect_err("store down");
    assert_eq!(s.code(), Code::Unavailable);
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    app.store_hang.store(false, Ordering::SeqCst);
    app.stop().await;
}

#[tokio::test]
async fn health_reflection_and_http_endpoints() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

    let app = spawn_app(Opts {
        auth: true,
        ..Default::default()
    })
    .await;
    let mut health = HealthClient::new(app.channel().await);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let st = health
            .check(HealthCheckRequest {
                service: "fazhi.v1.ReportService".into(),
            })
            .await
            .expect("health is open without a key")
            .into_inner()
            .status;
        if st == ServingStatus::Serving as i32 {
            break;
        }
        assert!(Instant::now() < deadline, "never SERVING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Broker down → NOT_SERVING, and /readyz says 503.
    app.queue_fail.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let st = health
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("check")
            .into_inner()
            .status;
        if st == ServingStatus::NotServing as i32 {
            break;
        }
        assert!(Instant::now() < deadline, "never NOT_SERVING");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        http_get(app.http, "/readyz")
            .await
            .starts_with("HTTP/1.1 503")
    );
    app.queue_fail.store(false, Ordering::SeqCst);
    assert!(
        http_get(app.http, "/readyz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    assert!(
        http_get(app.http, "/healthz")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let metrics = http_get(app.http, "/metrics").await;
    assert!(metrics.starts_with("HTTP/1.1 200"));
    assert!(
        metrics.contains(
            "fazhi_grpc_requests_total{method=\"grpc.health.v1.Health/Check\",code=\"OK\"}"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("fazhi_grpc_request_duration_seconds_bucket"));

    // Reflection, both versions, lists the API.
    {
        use tonic_reflection::pb::v1::ServerReflectionRequest;
        use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
        let mut r = ServerReflectionClient::new(app.channel().await);
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut resp = r
            .server_reflection_info(futures::stream::iter(vec![req]))
            .await
            .expect("v1")
            .into_inner();
        let msg = resp.next().await.expect("one").expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
            panic!("unexpected {msg:?}");
        };
        let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
        assert!(
            names.contains(&"fazhi.v1.ReportService".to_string()),
            "{names:?}"
        );
        assert!(
            names.contains(&"grpc.health.v1.Health".to_string()),
            "{names:?}"
        );

        // The descriptor of the service resolves (with its imports).
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::FileContainingSymbol(
                "fazhi.v1.ReportService".into(),
            )),
        };
        let mut resp = r
            .server_reflection_info(futures::stream::iter(vec![req]))
            .await
            .expect("v1")
            .into_inner();
        let msg = resp.next().await.expect("one").expect("ok");
        assert!(matches!(
            msg.message_response,
            Some(MessageResponse::FileDescriptorResponse(_))
        ));
    }
    {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let mut r = ServerReflectionClient::new(app.channel().await);
        let req = ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        };
        let mut resp = r
            .server_reflection_info(futures::stream::iter(vec![req]))
            .await
            .expect("v1alpha")
            .into_inner();
        let msg = resp.next().await.expect("one").expect("ok");
        let Some(MessageResponse::ListServicesResponse(list)) = msg.message_response else {
            panic!("unexpected {msg:?}");
        };
        assert!(
            list.service
                .iter()
                .any(|s| s.name == "fazhi.v1.ReportService")
        );
    }

    // Shutdown flips health before draining, and the server stops.
    app.stop().await;
}

#[tokio::test]
async fn assess_report_runs_the_engine_and_feeds_the_cache() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let cl = c
        .list_checklists(with_key(wire::ListChecklistsRequest::default(), None))
        .await
        .expect("checklists")
        .into_inner();
    assert!(cl.checklists.iter().any(|c| c.id == "gangyao-2021-2025"));

    let a = c
        .assess_report(with_key(submission(REPORT), None))
        .await
        .expect("assess")
        .into_inner();
    assert_eq!(a.content_sha256.len(), 64);
    assert!(!a.engine_version.is_empty());

    // The result was cached (in the background): a submission of the same bytes and options
    // is deduplicated.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let job = c
            .submit_report(with_key(submission(REPORT), None))
            .await
            .expect("submit")
            .into_inner();
        if job.deduplicated {
            assert_eq!(job.state, wire::JobState::Succeeded as i32);
            let got = c
                .get_assessment(with_key(
                    wire::GetAssessmentRequest { job_id: job.id },
                    None,
                ))
                .await
                .expect("assessment")
                .into_inner();
            assert_eq!(got.content_sha256, a.content_sha256);
            break;
        }
        assert!(Instant::now() < deadline, "never deduplicated");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Engine input errors are INVALID_ARGUMENT with the engine's reason code.
    let s = c
        .assess_report(with_key(
            submission("only ascii text, no report here"),
            None,
        ))
        .await
        .expect_err("not chinese");
    assert_eq!(s.code(), Code::InvalidArgument, "{s:?}");
    app.stop().await;
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    out
}

/// On the default settings one tenant's bulk import is all accepted: 2,000 submissions at once
/// through SubmitReports, far past the old cap of 100 in flight and 50 a second. The queue is
/// what absorbs the burst; no worker runs, so every job stays QUEUED.
#[tokio::test]
async fn default_limits_accept_a_bulk_import() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let n = 2000;
    let reqs: Vec<wire::SubmitReportRequest> = (0..n)
        .map(|i| submission(&format!("{REPORT}{i}")))
        .collect();
    let mut stream = c
        .submit_reports(with_key(futures::stream::iter(reqs), None))
        .await
        .expect("SubmitReports")
        .into_inner();
    let mut accepted = 0;
    while let Some(item) = stream.next().await {
        let job = item.expect("accepted on default limits");
        assert_eq!(job.state(), wire::JobState::Queued);
        accepted += 1;
    }
    assert_eq!(accepted, n);
    app.stop().await;
}

/// A document a little over the default limit (21 MiB against 20 MiB) is refused by validation
/// with DOCUMENT_TOO_LARGE, not cut off by the transport with OUT_OF_RANGE.
#[tokio::test]
async fn document_just_over_the_default_limit_is_document_too_large() {
    let app = spawn_app(Opts::default()).await;
    let mut c = app.client().await;
    let mut r = submission(REPORT);
    if let Some(d) = r.document.as_mut() {
        d.content = vec![b'a'; 21 * 1024 * 1024];
    }
    let s = c
        .submit_report(with_key(r, None))
        .await
        .expect_err("over the limit");
    assert_reason(&s, Code::ResourceExhausted, "DOCUMENT_TOO_LARGE");
    app.stop().await;
}
