//! `fazhi serve | gateway | worker`: the server processes.
//!
//! - `serve`: gateway and `--workers` in-process scorer loops in one process; in-memory queue and
//!   store unless both `--amqp-url` and `--redis-url` are set.
//! - `gateway` / `worker`: the two halves, on RabbitMQ and Redis only.
//!
//! All three stop gracefully on SIGTERM / SIGINT: one [`CancellationToken`] reaches the gateway
//! (health → NOT_SERVING, then drain) and every worker (stop consuming, finish in-flight jobs
//! within the grace period). A second signal exits at once.

use std::{
    net::{SocketAddr, ToSocketAddrs},
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
    time::Duration,
};

use anyhow::{Context, bail};
use clap::Args;
use fazhi_gateway::{Gateway, GatewayConfig, GatewayError, TenantLimits, TlsConfig};
use fazhi_jobs::{
    AmqpQueue, DEFAULT_DELIVERY_LIMIT, JobQueue, JobStore, MemoryQueue, MemoryStore, RedisStore,
    RedisStoreConfig, StoreTtls,
};
use fazhi_scorer::{ReconcileConfig, WorkerConfig};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::parse_duration;
use crate::telemetry;

// ---------------------------------------------------------------- flags

/// Where jobs and results live. Both URLs set → RabbitMQ + Redis; neither → in memory
/// (`serve` only).
#[derive(Debug, Clone, Args)]
pub struct BackendArgs {
    /// RabbitMQ URL, e.g. amqp://guest:guest@127.0.0.1:5672/%2f.
    #[arg(
        long,
        env = "FAZHI_AMQP_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub amqp_url: Option<String>,
    /// Redis URL, e.g. redis://127.0.0.1:6379/0.
    #[arg(
        long,
        env = "FAZHI_REDIS_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub redis_url: Option<String>,
    /// Prefix of the RabbitMQ queue and exchange names ({prefix}jobs, {prefix}dlx,
    /// {prefix}jobs.dead).
    #[arg(long, env = "FAZHI_QUEUE_PREFIX", default_value = "fazhi.")]
    pub queue_prefix: String,
    /// Prefix of every Redis key and channel.
    #[arg(long, env = "FAZHI_REDIS_PREFIX", default_value = "fazhi:")]
    pub redis_prefix: String,
    /// Failed deliveries before a job is dead-lettered (x-delivery-limit; must match the
    /// existing queue).
    #[arg(long, env = "FAZHI_DELIVERY_LIMIT", default_value_t = DEFAULT_DELIVERY_LIMIT)]
    pub delivery_limit: u32,
    /// How long job records are kept after their last update.
    #[arg(long, env = "FAZHI_JOB_TTL", default_value = "7d", value_parser = parse_duration)]
    pub job_ttl: Duration,
    /// How long assessments (content-addressed, shared) are kept.
    #[arg(long, env = "FAZHI_RESULT_TTL", default_value = "30d", value_parser = parse_duration)]
    pub result_ttl: Duration,
    /// How long to keep retrying the first connection to RabbitMQ and Redis at startup.
    #[arg(long, env = "FAZHI_CONNECT_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
}

/// Settings every server process has.
#[derive(Debug, Clone, Args)]
pub struct ProcessArgs {
    /// HTTP side port for /metrics, /healthz, /readyz; `off` for none.
    #[arg(long, env = "FAZHI_HTTP_ADDR", default_value = "127.0.0.1:9464", value_parser = parse_opt_addr)]
    pub http_addr: OptAddr,
    /// Time allowed for in-flight calls and jobs to finish after SIGTERM/SIGINT.
    #[arg(long, env = "FAZHI_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

/// The gRPC front.
#[derive(Debug, Clone, Args)]
pub struct GatewayOpts {
    /// gRPC listen address (port 0 picks a free port).
    #[arg(long, env = "FAZHI_GRPC_ADDR", default_value = "127.0.0.1:50051", value_parser = parse_addr)]
    pub grpc_addr: SocketAddr,
    /// TOML file of tenants and SHA-256 hashes of their API keys; unset = open, every caller is
    /// tenant "default".
    #[arg(long, env = "FAZHI_AUTH_FILE", value_name = "FILE")]
    pub auth_file: Option<PathBuf>,
    /// Largest document accepted, in bytes (larger → RESOURCE_EXHAUSTED).
    #[arg(long, env = "FAZHI_MAX_DOCUMENT_BYTES", default_value_t = GatewayConfig::default().max_document_bytes)]
    pub max_document_bytes: usize,
    /// Per tenant: QUEUED + RUNNING jobs at most (per gateway process).
    #[arg(long, env = "FAZHI_MAX_IN_FLIGHT", default_value_t = TenantLimits::default().max_in_flight)]
    pub max_in_flight: usize,
    /// Per tenant: sustained submissions per second (token bucket).
    #[arg(long, env = "FAZHI_SUBMIT_RATE", default_value_t = TenantLimits::default().submit_rate_per_sec)]
    pub submit_rate: f64,
    /// Per tenant: submissions allowed in one burst.
    #[arg(long, env = "FAZHI_SUBMIT_BURST", default_value_t = TenantLimits::default().submit_burst)]
    pub submit_burst: f64,
    /// Wall-clock limit of one synchronous AssessReport.
    #[arg(long, env = "FAZHI_ASSESS_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub assess_timeout: Duration,
    /// Synchronous AssessReport calls running at once.
    #[arg(long, env = "FAZHI_ASSESS_CONCURRENCY", default_value_t = GatewayConfig::default().assess_concurrency)]
    pub assess_concurrency: usize,
    /// Bound on each job-store call (past it: UNAVAILABLE).
    #[arg(long, env = "FAZHI_STORE_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub store_timeout: Duration,
    /// Bound on one publish including the broker's confirm.
    #[arg(long, env = "FAZHI_PUBLISH_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub publish_timeout: Duration,
    /// PEM certificate chain for TLS on the gRPC port (with --tls-key).
    #[arg(
        long,
        env = "FAZHI_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for TLS on the gRPC port (with --tls-cert).
    #[arg(
        long,
        env = "FAZHI_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: clients must present a certificate it signed (mTLS).
    #[arg(
        long,
        env = "FAZHI_TLS_CLIENT_CA",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_client_ca: Option<PathBuf>,
}

/// The scorer loops.
#[derive(Debug, Clone, Args)]
pub struct WorkerOpts {
    /// Jobs each worker loop runs at once (unacknowledged deliveries).
    #[arg(long, env = "FAZHI_PREFETCH", default_value_t = 4)]
    pub prefetch: u16,
    /// Engine runs at once in this process, shared by its loops; 0 = one per CPU core.
    /// Prefetched jobs beyond it wait in memory as encoded messages, not as running threads.
    #[arg(long, env = "FAZHI_ENGINE_THREADS", default_value_t = 0)]
    pub engine_threads: usize,
    /// Wall-clock limit of one engine run; past it the job is retried, then dead-lettered.
    #[arg(long, env = "FAZHI_JOB_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub job_timeout: Duration,
    /// How long a delivery is held while the store is unreachable before it is given back.
    #[arg(long, env = "FAZHI_STORE_OUTAGE_LIMIT", default_value = "300s", value_parser = parse_duration)]
    pub store_outage_limit: Duration,
    /// Don't consume the dead-letter queue here (some other worker marks dead jobs FAILED).
    #[arg(long, env = "FAZHI_NO_DEAD_LETTERS")]
    pub no_dead_letters: bool,
    /// How often to re-publish orphaned QUEUED jobs; 0 = never.
    #[arg(long, env = "FAZHI_RECONCILE_EVERY", default_value = "60s", value_parser = parse_duration)]
    pub reconcile_every: Duration,
    /// Only jobs QUEUED and untouched this long count as orphaned.
    #[arg(long, env = "FAZHI_RECONCILE_OLDER_THAN", default_value = "600s", value_parser = parse_duration)]
    pub reconcile_older_than: Duration,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub gateway: GatewayOpts,
    #[command(flatten)]
    pub worker: WorkerOpts,
    #[command(flatten)]
    pub process: ProcessArgs,
    /// In-process worker loops.
    #[arg(long, env = "FAZHI_WORKERS", default_value_t = 2)]
    pub workers: usize,
}

#[derive(Debug, Args)]
pub struct GatewayArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub gateway: GatewayOpts,
    #[command(flatten)]
    pub process: ProcessArgs,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub worker: WorkerOpts,
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Worker loops in this process (each with its own consumer).
    #[arg(long, env = "FAZHI_WORKERS", default_value_t = 1)]
    pub workers: usize,
}

/// An optional listen address (`off` = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptAddr(pub Option<SocketAddr>);

fn parse_opt_addr(s: &str) -> Result<OptAddr, String> {
    match s.trim() {
        "" | "off" | "none" | "disabled" => Ok(OptAddr(None)),
        s => parse_addr(s).map(|a| OptAddr(Some(a))),
    }
}

/// `ip:port` or `host:port` (resolved once, first address).
fn parse_addr(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse() {
        return Ok(a);
    }
    s.to_socket_addrs()
        .map_err(|e| format!("bad address {s:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{s:?} resolves to no address"))
}

impl GatewayOpts {
    fn config(&self, process: &ProcessArgs) -> GatewayConfig {
        let base = GatewayConfig::default().with_max_document_bytes(self.max_document_bytes);
        GatewayConfig {
            grpc_addr: self.grpc_addr,
            http_addr: process.http_addr.0,
            auth_file: self.auth_file.clone(),
            default_limits: TenantLimits {
                max_in_flight: self.max_in_flight,
                submit_rate_per_sec: self.submit_rate,
                submit_burst: self.submit_burst,
            },
            engine_limits: fazhi_engine::Limits {
                max_input_bytes: self.max_document_bytes,
                ..fazhi_engine::Limits::default()
            },
            assess_timeout: self.assess_timeout,
            assess_concurrency: self.assess_concurrency,
            store_timeout: self.store_timeout,
            publish_timeout: self.publish_timeout,
            shutdown_grace: process.shutdown_grace,
            tls: match (&self.tls_cert, &self.tls_key) {
                (Some(cert), Some(key)) => Some(TlsConfig {
                    cert_pem: cert.clone(),
                    key_pem: key.clone(),
                    client_ca_pem: self.tls_client_ca.clone(),
                }),
                _ => None,
            },
            ..base
        }
    }
}

impl WorkerOpts {
    /// `primary`: the one loop per process that also consumes dead letters and reconciles.
    fn config(&self, process: &ProcessArgs, primary: bool, slots: &Arc<Semaphore>) -> WorkerConfig {
        WorkerConfig {
            prefetch: self.prefetch.max(1),
            engine_slots: slots.clone(),
            job_timeout: self.job_timeout,
            store_outage_limit: self.store_outage_limit,
            shutdown_grace: process.shutdown_grace,
            dead_letters: primary && !self.no_dead_letters,
            reconcile: (primary && !self.reconcile_every.is_zero()).then(|| ReconcileConfig {
                every: self.reconcile_every,
                older_than: self.reconcile_older_than,
                ..ReconcileConfig::default()
            }),
            ..WorkerConfig::default()
        }
    }
}

// ---------------------------------------------------------------- commands

pub async fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    if a.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = telemetry::install_metrics(shutdown.clone())?;
    let backends = connect_backends(&a.backend, Role::Serve, &shutdown).await?;
    let mut tasks = JoinSet::new();
    let bound = bind_gateway(&a.gateway, &a.process, &backends, metrics).await?;
    tracing::info!(
        grpc = %bound.grpc_addr(),
        http = ?bound.http_addr(),
        backends = backends.kind,
        workers = a.workers,
        "fazhi serve: gateway and workers running"
    );
    {
        let shutdown = shutdown.clone();
        tasks.spawn(async move { ("gateway", gateway_result(bound.run(shutdown).await)) });
    }
    spawn_workers(
        &mut tasks, &backends, &a.worker, &a.process, a.workers, &shutdown,
    );
    spawn_depth_gauge(backends.queue.clone(), shutdown.clone());
    Ok(supervise(tasks, shutdown).await)
}

pub async fn gateway(a: GatewayArgs) -> anyhow::Result<ExitCode> {
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = telemetry::install_metrics(shutdown.clone())?;
    let backends = connect_backends(&a.backend, Role::Gateway, &shutdown).await?;
    let bound = bind_gateway(&a.gateway, &a.process, &backends, metrics).await?;
    tracing::info!(grpc = %bound.grpc_addr(), http = ?bound.http_addr(), "fazhi gateway running");
    let mut tasks = JoinSet::new();
    {
        let shutdown = shutdown.clone();
        tasks.spawn(async move { ("gateway", gateway_result(bound.run(shutdown).await)) });
    }
    spawn_depth_gauge(backends.queue.clone(), shutdown.clone());
    Ok(supervise(tasks, shutdown).await)
}

pub async fn worker(a: WorkerArgs) -> anyhow::Result<ExitCode> {
    if a.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = telemetry::install_metrics(shutdown.clone())?;
    let backends = connect_backends(&a.backend, Role::Worker, &shutdown).await?;
    let mut tasks = JoinSet::new();
    if let Some(addr) = a.process.http_addr.0 {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot bind the HTTP port {addr}"))?;
        let http_addr = listener.local_addr()?;
        let state = fazhi_gateway::ops::OpsState {
            store: backends.store.clone(),
            queue: backends.queue.clone(),
            metrics: Some(metrics),
            timeout: Duration::from_secs(2),
        };
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let r = fazhi_gateway::ops::serve_ops(listener, state, shutdown)
                .await
                .context("worker HTTP server failed");
            ("http", r)
        });
        tracing::info!(http = %http_addr, "worker HTTP side port listening");
    }
    tracing::info!(
        workers = a.workers,
        prefetch = a.worker.prefetch,
        "fazhi worker running"
    );
    spawn_workers(
        &mut tasks, &backends, &a.worker, &a.process, a.workers, &shutdown,
    );
    spawn_depth_gauge(backends.queue.clone(), shutdown.clone());
    Ok(supervise(tasks, shutdown).await)
}

// ---------------------------------------------------------------- wiring

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Serve,
    Gateway,
    Worker,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Serve => "serve",
            Role::Gateway => "gateway",
            Role::Worker => "worker",
        }
    }
}

struct Backends {
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    kind: &'static str,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

async fn connect_backends(
    b: &BackendArgs,
    role: Role,
    shutdown: &CancellationToken,
) -> anyhow::Result<Backends> {
    let ttls = StoreTtls {
        job_ttl: b.job_ttl,
        result_ttl: b.result_ttl,
    };
    match (nonempty(&b.amqp_url), nonempty(&b.redis_url)) {
        (Some(amqp), Some(redis)) => {
            let redis_cfg = RedisStoreConfig::new(redis)
                .with_prefix(b.redis_prefix.clone())
                .with_ttls(ttls);
            let store = retry_connect("Redis", b.connect_timeout, shutdown, || {
                RedisStore::connect(redis_cfg.clone())
            })
            .await?;
            let queue = retry_connect("RabbitMQ", b.connect_timeout, shutdown, || {
                AmqpQueue::connect(amqp, &b.queue_prefix, b.delivery_limit)
            })
            .await?;
            tracing::info!(
                queue_prefix = %b.queue_prefix,
                redis_prefix = %b.redis_prefix,
                "connected to RabbitMQ and Redis"
            );
            Ok(Backends {
                store: Arc::new(store),
                queue: Arc::new(queue),
                kind: "rabbitmq+redis",
            })
        }
        (None, None) if role == Role::Serve => {
            tracing::info!(
                "no FAZHI_AMQP_URL / FAZHI_REDIS_URL: in-memory queue and store (jobs do not survive a restart)"
            );
            Ok(Backends {
                store: Arc::new(MemoryStore::new(ttls)),
                queue: Arc::new(MemoryQueue::new(b.delivery_limit)),
                kind: "memory",
            })
        }
        (None, None) => bail!(
            "`fazhi {}` needs RabbitMQ and Redis: set FAZHI_AMQP_URL and FAZHI_REDIS_URL \
             (or --amqp-url and --redis-url); `fazhi serve` runs without them, in memory",
            role.name()
        ),
        (Some(_), None) => {
            bail!("FAZHI_AMQP_URL is set but FAZHI_REDIS_URL is not: set both or neither")
        }
        (None, Some(_)) => {
            bail!("FAZHI_REDIS_URL is set but FAZHI_AMQP_URL is not: set both or neither")
        }
    }
}

/// Retries a first connection with backoff until `limit` (brokers often start after us in
/// compose and Kubernetes), or until shutdown.
async fn retry_connect<T, E, F, Fut>(
    what: &str,
    limit: Duration,
    shutdown: &CancellationToken,
    mut connect: F,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    let mut backoff = Duration::from_millis(250);
    loop {
        match connect().await {
            Ok(v) => return Ok(v),
            Err(e) if tokio::time::Instant::now() + backoff < deadline => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot reach {what} yet");
                tokio::select! {
                    _ = shutdown.cancelled() => bail!("shut down while connecting to {what}"),
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("cannot connect to {what} within {limit:?}"));
            }
        }
    }
}

async fn bind_gateway(
    opts: &GatewayOpts,
    process: &ProcessArgs,
    backends: &Backends,
    metrics: PrometheusHandle,
) -> anyhow::Result<fazhi_gateway::BoundGateway> {
    let cfg = opts.config(process);
    let gw = Gateway::new(cfg, backends.store.clone(), backends.queue.clone())
        .context("bad gateway configuration")?
        .with_metrics(metrics);
    if gw.is_open() {
        if opts.grpc_addr.ip().is_loopback() {
            tracing::warn!(
                grpc = %opts.grpc_addr,
                "no auth file: the API is open on loopback, every caller is tenant \"default\""
            );
        } else {
            tracing::warn!(
                grpc = %opts.grpc_addr,
                "no auth file and a non-loopback address: the API is OPEN to anyone who can reach it; set FAZHI_AUTH_FILE"
            );
        }
    }
    gw.bind().await.context("cannot start the gateway")
}

fn gateway_result(r: Result<(), GatewayError>) -> anyhow::Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(GatewayError::ShutdownTimeout(grace)) => {
            tracing::warn!(
                ?grace,
                "gateway calls still open after the grace period were cut"
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

fn spawn_workers(
    tasks: &mut JoinSet<(&'static str, anyhow::Result<()>)>,
    backends: &Backends,
    opts: &WorkerOpts,
    process: &ProcessArgs,
    n: usize,
    shutdown: &CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(match opts.engine_threads {
        0 => fazhi_scorer::default_engine_slots(),
        n => n,
    }));
    for i in 0..n {
        let cfg = opts.config(process, i == 0, &slots);
        let store = backends.store.clone();
        let queue = backends.queue.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let r = fazhi_scorer::run(store, queue, cfg, shutdown).await;
            ("worker", r.map_err(anyhow::Error::from))
        });
    }
}

/// `fazhi_queue_depth`: ready + unacknowledged jobs, every 5 s.
fn spawn_depth_gauge(queue: Arc<dyn JobQueue>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Ok(Ok(depth)) = tokio::time::timeout(Duration::from_secs(2), queue.depth()).await
            {
                metrics::gauge!("fazhi_queue_depth").set(depth as f64);
            }
        }
    });
}

/// Waits for every component; the first one to stop (on its own or by error) stops the others.
async fn supervise(
    mut tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
    shutdown: CancellationToken,
) -> ExitCode {
    let mut failed = false;
    while let Some(joined) = tasks.join_next().await {
        let requested = shutdown.is_cancelled();
        match joined {
            Ok((_, Ok(()))) if requested => {}
            Ok((name, Ok(()))) => {
                tracing::error!("{name} stopped on its own; shutting down");
                failed = true;
            }
            Ok((name, Err(e))) => {
                tracing::error!(error = format!("{e:#}"), "{name} failed; shutting down");
                failed = true;
            }
            Err(e) => {
                tracing::error!(error = %e, "a task panicked; shutting down");
                failed = true;
            }
        }
        shutdown.cancel();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        tracing::info!("stopped");
        ExitCode::SUCCESS
    }
}

/// SIGTERM or SIGINT cancels `token`; a second signal exits immediately.
fn spawn_signal_handler(token: CancellationToken) {
    tokio::spawn(async move {
        let first = wait_signal().await;
        tracing::info!(signal = first, "shutting down (send again to exit now)");
        token.cancel();
        let second = wait_signal().await;
        tracing::warn!(signal = second, "second signal: exiting now");
        std::process::exit(130);
    });
}

#[cfg(unix)]
async fn wait_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; only SIGINT stops the server");
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(not(unix))]
async fn wait_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "ctrl-c"
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        gateway: GatewayOpts,
        #[command(flatten)]
        worker: WorkerOpts,
        #[command(flatten)]
        process: ProcessArgs,
    }

    /// The flag defaults shown in --help are the libraries' own defaults.
    #[test]
    fn defaults_match_libraries() {
        let t = T::try_parse_from(["t"]).unwrap();
        let got = t.gateway.config(&t.process);
        let want = GatewayConfig::default();
        assert_eq!(got.grpc_addr, want.grpc_addr);
        assert_eq!(got.http_addr, want.http_addr);
        assert_eq!(got.max_document_bytes, want.max_document_bytes);
        assert_eq!(got.max_message_bytes, want.max_message_bytes);
        assert_eq!(got.default_limits, want.default_limits);
        assert_eq!(got.assess_timeout, want.assess_timeout);
        assert_eq!(got.assess_concurrency, want.assess_concurrency);
        assert_eq!(got.store_timeout, want.store_timeout);
        assert_eq!(got.publish_timeout, want.publish_timeout);
        assert_eq!(got.shutdown_grace, want.shutdown_grace);
        let slots = Arc::new(Semaphore::new(fazhi_scorer::default_engine_slots()));
        let w = t.worker.config(&t.process, true, &slots);
        let d = WorkerConfig::default();
        assert_eq!(w.prefetch, d.prefetch);
        assert_eq!(
            w.engine_slots.available_permits(),
            d.engine_slots.available_permits()
        );
        assert_eq!(w.job_timeout, d.job_timeout);
        assert_eq!(w.store_outage_limit, d.store_outage_limit);
        let (rc, drc) = (w.reconcile.unwrap(), ReconcileConfig::default());
        assert_eq!((rc.every, rc.older_than), (drc.every, drc.older_than));
        assert!(w.dead_letters);
        assert!(!t.worker.config(&t.process, false, &slots).dead_letters);
    }

    #[test]
    fn http_addr_off() {
        assert_eq!(parse_opt_addr("off"), Ok(OptAddr(None)));
        assert!(parse_opt_addr("127.0.0.1:1").unwrap().0.is_some());
    }
}
