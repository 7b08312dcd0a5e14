//! Shared helpers for the end-to-end tests.
//!
//! A [`Harness`] runs the real gateway and scorer libraries in-process on `127.0.0.1:0`, on
//! either the in-memory backends ([`Mode::Embedded`], what `fazhi serve` uses by default) or the
//! real RabbitMQ and Redis ([`Mode::Real`]) under a per-run unique prefix for every queue,
//! exchange and key, which it deletes afterwards (also when a test panics). A missing broker or
//! Redis fails the test with a message saying what to start; it is never skipped.
//!
//! Environment:
//! - `FAZHI_TEST_AMQP_URL` (default `amqp://guest:guest@127.0.0.1:5672/%2f`),
//! - `FAZHI_TEST_REDIS_URL` (default `redis://127.0.0.1:6379/0`),
//! - `FAZHI_CORPUS` (default `<repo>/../shared/corpus`): only for accuracy tests ([`corpus`]);
//!   the pipeline tests use the example reports in `examples/reports/`.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use fazhi_gateway::{Gateway, GatewayConfig, TenantLimits};
use fazhi_jobs::{
    AmqpQueue, JobQueue, JobStore, MemoryQueue, MemoryStore, RedisStore, RedisStoreConfig,
};
use fazhi_proto::v1::{
    Document, GetJobRequest, Job, JobState, SubmitReportRequest,
    report_service_client::ReportServiceClient,
};
use fazhi_scorer::WorkerConfig;
use futures::StreamExt;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::{
    Request,
    metadata::AsciiMetadataValue,
    service::{Interceptor, interceptor::InterceptedService},
    transport::Channel,
};

pub use fazhi_proto::v1 as wire;

pub mod corpus;
pub mod procs;

pub use corpus::{examples_and_sets, examples_dir, sample_reports, shared_corpus, text_reports};

/// The engine's assessment of a document file as a submission without hints would get it.
pub fn assess_file(path: &Path) -> Option<wire::Assessment> {
    let content = std::fs::read(path).ok()?;
    let name = path.file_name()?.to_str()?;
    assess_bytes(&content, "", name)
}

/// The engine's assessment of bytes as a submission carries them; `None` where the engine refuses.
pub fn assess_bytes(content: &[u8], media_type: &str, filename: &str) -> Option<wire::Assessment> {
    let hints = fazhi_engine::Hints::default();
    let sub = fazhi_engine::Submission {
        content,
        media_type,
        filename,
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    fazhi_engine::assess(&sub, &fazhi_engine::Limits::default()).ok()
}

/// Delivery limit used by the tests' topology.
pub const DELIVERY_LIMIT: u32 = 3;

pub fn amqp_url() -> String {
    std::env::var("FAZHI_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

pub fn redis_url() -> String {
    std::env::var("FAZHI_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/0".into())
}

/// A unique prefix for one harness: `fazhi-test-<12 hex>`.
pub fn unique_prefix() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("fazhi-test-{}", &id[..12])
}

/// A submission of `path`'s bytes (optionally with `suffix` appended to make it unique).
pub fn submission(path: &Path, suffix: &str, request_id: &str) -> SubmitReportRequest {
    let mut content =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    content.extend_from_slice(suffix.as_bytes());
    SubmitReportRequest {
        request_id: request_id.to_string(),
        document: Some(Document {
            content,
            media_type: fazhi_engine::media::for_filename(&path.to_string_lossy()).into(),
            filename: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            charset: String::new(),
        }),
        hints: None,
        checklist_id: String::new(),
        labels: [("suite".to_string(), "e2e".to_string())].into(),
        notify_url: String::new(),
        batch_id: String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// In-memory store and queue (the `fazhi serve` default).
    Embedded,
    /// RabbitMQ + Redis on loopback, under a unique prefix.
    Real,
}

/// Adds `authorization: Bearer KEY` when a key is set.
#[derive(Clone, Default)]
pub struct Key(Option<AsciiMetadataValue>);

impl Key {
    pub fn bearer(key: &str) -> Self {
        Self(Some(
            AsciiMetadataValue::try_from(format!("Bearer {key}")).expect("ascii key"),
        ))
    }
}

impl Interceptor for Key {
    fn call(&mut self, mut req: Request<()>) -> Result<Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

pub type Client = ReportServiceClient<InterceptedService<Channel, Key>>;

/// Names of the real resources to delete at the end.
#[derive(Clone)]
struct RealResources {
    amqp_url: String,
    redis_url: String,
    queue_prefix: String,
    redis_prefix: String,
}

impl RealResources {
    async fn cleanup(&self) {
        match AmqpQueue::connect(&self.amqp_url, &self.queue_prefix, DELIVERY_LIMIT).await {
            Ok(q) => {
                // The OCR lane's queue first (declaring it again is harmless if it was unused).
                match q.ocr_lane().await {
                    Ok(ocr) => {
                        if let Err(e) = ocr.delete_queue().await {
                            eprintln!("cleanup: cannot delete the OCR lane queue: {e}");
                        }
                    }
                    Err(e) => eprintln!("cleanup: cannot reach the OCR lane: {e}"),
                }
                if let Err(e) = q.delete_topology().await {
                    eprintln!("cleanup: cannot delete queues {}*: {e}", self.queue_prefix);
                }
            }
            Err(e) => eprintln!("cleanup: cannot connect to RabbitMQ: {e}"),
        }
        let cfg =
            RedisStoreConfig::new(self.redis_url.clone()).with_prefix(self.redis_prefix.clone());
        match RedisStore::connect(cfg).await {
            Ok(s) => {
                if let Err(e) = s.purge_prefix().await {
                    eprintln!(
                        "cleanup: cannot purge Redis keys {}*: {e}",
                        self.redis_prefix
                    );
                }
            }
            Err(e) => eprintln!("cleanup: cannot connect to Redis: {e}"),
        }
    }
}

/// Deletes the RabbitMQ queues and exchange under `queue_prefix` and the Redis keys under
/// `redis_prefix` (for tests that run the `fazhi` binary on the real backends).
pub async fn purge_real(queue_prefix: &str, redis_prefix: &str) {
    RealResources {
        amqp_url: amqp_url(),
        redis_url: redis_url(),
        queue_prefix: queue_prefix.to_string(),
        redis_prefix: redis_prefix.to_string(),
    }
    .cleanup()
    .await
}

/// A running gateway (and workers) over one set of backends.
pub struct Harness {
    pub mode: Mode,
    pub store: Arc<dyn JobStore>,
    pub queue: Arc<dyn JobQueue>,
    pub prefix: String,
    real: Option<RealResources>,
    gateway: Option<(SocketAddr, CancellationToken, JoinHandle<()>)>,
    workers: Vec<(CancellationToken, JoinHandle<()>)>,
    cleaned: bool,
}

impl Harness {
    /// Connects the backends. In [`Mode::Real`] a missing RabbitMQ or Redis panics with a
    /// message naming the URL (the tests need them; they are never skipped).
    pub async fn new(mode: Mode) -> Self {
        let prefix = unique_prefix();
        match mode {
            Mode::Embedded => Self {
                mode,
                store: Arc::new(MemoryStore::default()),
                queue: Arc::new(MemoryQueue::new(DELIVERY_LIMIT)),
                prefix,
                real: None,
                gateway: None,
                workers: Vec::new(),
                cleaned: true,
            },
            Mode::Real => {
                let real = RealResources {
                    amqp_url: amqp_url(),
                    redis_url: redis_url(),
                    queue_prefix: format!("{prefix}."),
                    redis_prefix: format!("{prefix}:"),
                };
                let store = RedisStore::connect(
                    RedisStoreConfig::new(real.redis_url.clone()).with_prefix(real.redis_prefix.clone()),
                )
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "Redis is required at {} (FAZHI_TEST_REDIS_URL): {e}. Start redis-server (.ci/run does).",
                        real.redis_url
                    )
                });
                let queue = AmqpQueue::connect(&real.amqp_url, &real.queue_prefix, DELIVERY_LIMIT)
                    .await
                    .unwrap_or_else(|e| {
                        panic!(
                            "RabbitMQ is required at {} (FAZHI_TEST_AMQP_URL): {e}. Start rabbitmq-server (.ci/run does).",
                            real.amqp_url
                        )
                    });
                Self {
                    mode,
                    store: Arc::new(store),
                    queue: Arc::new(queue),
                    prefix,
                    real: Some(real),
                    gateway: None,
                    workers: Vec::new(),
                    cleaned: false,
                }
            }
        }
    }

    /// The gateway config the tests use: loopback port 0, no HTTP port, generous tenant limits.
    pub fn gateway_config() -> GatewayConfig {
        GatewayConfig {
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            http_addr: None,
            default_limits: TenantLimits {
                max_in_flight: 10_000,
                submit_rate_per_sec: 10_000.0,
                submit_burst: 10_000.0,
            },
            shutdown_grace: Duration::from_secs(5),
            ..GatewayConfig::default()
        }
    }

    /// Starts the gateway with `cfg` (see [`Harness::gateway_config`]); returns its address.
    pub async fn start_gateway_with(&mut self, cfg: GatewayConfig) -> SocketAddr {
        assert!(self.gateway.is_none(), "gateway already running");
        let gw = Gateway::new(cfg, self.store.clone(), self.queue.clone()).expect("gateway config");
        let bound = gw.bind().await.expect("bind gateway on 127.0.0.1:0");
        let addr = bound.grpc_addr();
        let token = CancellationToken::new();
        let t = token.clone();
        let handle = tokio::spawn(async move {
            if let Err(e) = bound.run(t).await {
                eprintln!("gateway stopped with error: {e}");
            }
        });
        self.gateway = Some((addr, token, handle));
        addr
    }

    /// A gateway config with an auth file of two tenants, `alpha` (key `alpha-key`) and
    /// `beta` (key `beta-key`).
    pub fn two_tenant_config(&self) -> GatewayConfig {
        let dir = std::env::temp_dir().join(format!("{}-auth", self.prefix));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let auth = dir.join("auth.toml");
        std::fs::write(
            &auth,
            format!(
                "[[tenant]]\nname = \"alpha\"\nkey_sha256 = [\"{}\"]\n\n[[tenant]]\nname = \"beta\"\nkey_sha256 = [\"{}\"]\n",
                fazhi_gateway::key_digest("alpha-key"),
                fazhi_gateway::key_digest("beta-key"),
            ),
        )
        .expect("write auth file");
        let mut cfg = Self::gateway_config();
        cfg.auth_file = Some(auth);
        cfg
    }

    /// Stops the gateway (as a restart would), leaving workers and backends running.
    pub async fn stop_gateway(&mut self) {
        if let Some((_, t, h)) = self.gateway.take() {
            t.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }

    pub async fn start_gateway(&mut self) -> SocketAddr {
        self.start_gateway_with(Self::gateway_config()).await
    }

    /// Starts `n` worker loops (the first consumes dead letters).
    pub fn start_workers(&mut self, n: usize) {
        for i in 0..n {
            let cfg = WorkerConfig {
                reconcile: None,
                dead_letters: i == 0 && self.workers.is_empty(),
                shutdown_grace: Duration::from_secs(5),
                job_timeout: Duration::from_secs(30),
                ..WorkerConfig::default()
            };
            let token = CancellationToken::new();
            let (store, queue, t) = (self.store.clone(), self.queue.clone(), token.clone());
            let handle = tokio::spawn(async move {
                if let Err(e) = fazhi_scorer::run(store, queue, cfg, t).await {
                    eprintln!("worker stopped with error: {e}");
                }
            });
            self.workers.push((token, handle));
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.gateway.as_ref().expect("gateway not started").0
    }

    pub async fn client(&self) -> Client {
        self.client_with(Key::default()).await
    }

    pub async fn client_with(&self, key: Key) -> Client {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr()))
            .expect("endpoint")
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("connect to the test gateway");
        ReportServiceClient::with_interceptor(channel, key)
            .max_decoding_message_size(64 * 1024 * 1024)
    }

    /// Stops workers and gateway, then deletes the run's queues and keys.
    pub async fn shutdown(mut self) {
        self.stop_tasks().await;
        if let Some(real) = self.real.clone() {
            real.cleanup().await;
        }
        self.cleaned = true;
    }

    async fn stop_tasks(&mut self) {
        for (t, _) in &self.workers {
            t.cancel();
        }
        for (_, h) in self.workers.drain(..) {
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
        if let Some((_, t, h)) = self.gateway.take() {
            t.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(10), h).await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        for (t, h) in &self.workers {
            t.cancel();
            h.abort();
        }
        if let Some((_, t, h)) = &self.gateway {
            t.cancel();
            h.abort();
        }
        if self.cleaned {
            return;
        }
        // A test panicked before `shutdown`: clean up on fresh connections in a thread of its
        // own (this runtime may be the one that is unwinding).
        if let Some(real) = self.real.clone() {
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(real.cleanup());
                }
            })
            .join();
        }
    }
}

pub fn is_done(job: &Job) -> bool {
    matches!(
        job.state(),
        JobState::Succeeded | JobState::Failed | JobState::Cancelled
    )
}

/// Follows the job with WatchJob until it is done (panics after `limit`).
pub async fn watch_until_done(client: &mut Client, job: Job, limit: Duration) -> Job {
    if is_done(&job) {
        return job;
    }
    let id = job.id.clone();
    let fut = async {
        let mut stream = client
            .watch_job(GetJobRequest { id: id.clone() })
            .await
            .expect("WatchJob")
            .into_inner();
        let mut last = job;
        let mut states = vec![last.state()];
        while let Some(item) = stream.next().await {
            let j = item.expect("WatchJob item");
            assert_eq!(j.id, id);
            states.push(j.state());
            last = j;
            if is_done(&last) {
                break;
            }
        }
        assert!(
            is_done(&last),
            "WatchJob ended before the job was done: {states:?}"
        );
        last
    };
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| panic!("job {id} not done within {limit:?}"))
}

/// Polls GetJob until `pred` holds (panics after `limit`).
pub async fn poll_job(
    client: &mut Client,
    id: &str,
    limit: Duration,
    pred: impl Fn(&Job) -> bool,
) -> Job {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let job = client
            .get_job(GetJobRequest { id: id.to_string() })
            .await
            .expect("GetJob")
            .into_inner();
        if pred(&job) {
            return job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {id} did not reach the expected state within {limit:?}: {job:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
