//! The flags of `serve`, `gateway` and `worker`, and their conversion to the libraries' configs.

use super::defaults::D;
use std::{
    net::{SocketAddr, ToSocketAddrs},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use clap::Args;
use fazhi_gateway::webhook::{Allowlist, WebhookConfig};
use fazhi_gateway::{GatewayConfig, TenantLimits, TlsConfig};
use fazhi_jobs::DEFAULT_DELIVERY_LIMIT;
use fazhi_scorer::{ReconcileConfig, WorkerConfig};
use tokio::sync::Semaphore;

use crate::cmd::parse_duration;

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
    #[arg(long, env = "FAZHI_REDIS_PREFIX", default_value = D.redis_prefix.as_str())]
    pub redis_prefix: String,
    /// Failed deliveries before a job is dead-lettered (x-delivery-limit; must match the
    /// existing queue).
    #[arg(long, env = "FAZHI_DELIVERY_LIMIT", default_value_t = DEFAULT_DELIVERY_LIMIT)]
    pub delivery_limit: u32,
    /// How long job records are kept after their last update.
    #[arg(long, env = "FAZHI_JOB_TTL", default_value = D.job_ttl.as_str(), value_parser = parse_duration)]
    pub job_ttl: Duration,
    /// How long assessments (content-addressed, shared) are kept.
    #[arg(long, env = "FAZHI_RESULT_TTL", default_value = D.result_ttl.as_str(), value_parser = parse_duration)]
    pub result_ttl: Duration,
    /// How long to keep retrying the first connection to RabbitMQ and Redis at startup.
    #[arg(long, env = "FAZHI_CONNECT_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
}

/// Settings every server process has.
#[derive(Debug, Clone, Args)]
pub struct ProcessArgs {
    /// HTTP side port for /metrics, /healthz, /readyz; `off` for none.
    #[arg(long, env = "FAZHI_HTTP_ADDR", default_value = D.http_addr.as_str(), value_parser = parse_opt_addr)]
    pub http_addr: OptAddr,
    /// Time allowed for in-flight calls and jobs to finish after SIGTERM/SIGINT.
    #[arg(long, env = "FAZHI_SHUTDOWN_GRACE", default_value = D.shutdown_grace.as_str(), value_parser = parse_duration)]
    pub shutdown_grace: Duration,
}

/// The gRPC front.
#[derive(Debug, Clone, Args)]
pub struct GatewayOpts {
    /// gRPC listen address (port 0 picks a free port).
    #[arg(long, env = "FAZHI_GRPC_ADDR", default_value = D.grpc_addr.as_str(), value_parser = parse_addr)]
    pub grpc_addr: SocketAddr,
    /// TOML file of tenants and SHA-256 hashes of their API keys; unset = open, every caller is
    /// tenant "default".
    #[arg(long, env = "FAZHI_AUTH_FILE", value_name = "FILE")]
    pub auth_file: Option<PathBuf>,
    /// Largest document accepted, in bytes (larger → RESOURCE_EXHAUSTED).
    #[arg(long, env = "FAZHI_MAX_DOCUMENT_BYTES", default_value_t = GatewayConfig::default().max_document_bytes)]
    pub max_document_bytes: usize,
    /// Per tenant: QUEUED + RUNNING jobs at most (per gateway process); 0 = no cap. Off by
    /// default so one platform can queue a whole province at once; when several tenants share
    /// the service, set limits per tenant in the auth file (or defaults here), e.g.
    /// `--max-in-flight 1000 --submit-rate 200 --submit-burst 400`.
    #[arg(long, env = "FAZHI_MAX_IN_FLIGHT", default_value_t = TenantLimits::default().max_in_flight)]
    pub max_in_flight: usize,
    /// Per tenant: sustained submissions per second (token bucket); 0 = no rate limit (default).
    #[arg(long, env = "FAZHI_SUBMIT_RATE", default_value_t = TenantLimits::default().submit_rate_per_sec)]
    pub submit_rate: f64,
    /// Per tenant: submissions allowed in one burst.
    #[arg(long, env = "FAZHI_SUBMIT_BURST", default_value_t = TenantLimits::default().submit_burst)]
    pub submit_burst: f64,
    /// Wall-clock limit of one synchronous AssessReport.
    #[arg(long, env = "FAZHI_ASSESS_TIMEOUT", default_value = D.assess_timeout.as_str(), value_parser = parse_duration)]
    pub assess_timeout: Duration,
    /// Synchronous AssessReport calls running at once.
    #[arg(long, env = "FAZHI_ASSESS_CONCURRENCY", default_value_t = GatewayConfig::default().assess_concurrency)]
    pub assess_concurrency: usize,
    /// Bound on each job-store call (past it: UNAVAILABLE).
    #[arg(long, env = "FAZHI_STORE_TIMEOUT", default_value = D.store_timeout.as_str(), value_parser = parse_duration)]
    pub store_timeout: Duration,
    /// Bound on one publish including the broker's confirm.
    #[arg(long, env = "FAZHI_PUBLISH_TIMEOUT", default_value = D.publish_timeout.as_str(), value_parser = parse_duration)]
    pub publish_timeout: Duration,
    /// Webhook receivers that may be called: comma-separated `host`, `host:port` or
    /// `*.domain[:port]` patterns, e.g. `127.0.0.1:8080,*.example.gov.cn`. Empty (default) =
    /// webhooks off. A name may resolve only to public addresses or to IPs listed here;
    /// redirects are not followed.
    #[arg(long, env = "FAZHI_WEBHOOK_ALLOW", default_value = "", value_parser = parse_allow)]
    pub webhook_allow: Allowlist,
    /// HMAC-SHA256 secret signing webhooks of the open-mode tenant (auth-file tenants set
    /// `webhook_secret`); at least 16 characters.
    #[arg(long, env = "FAZHI_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Default notify_url of the open-mode tenant (auth-file tenants set `notify_url`).
    #[arg(long, env = "FAZHI_NOTIFY_URL")]
    pub notify_url: Option<String>,
    /// Delay before the second webhook attempt; doubles per attempt up to 10 minutes.
    #[arg(long, env = "FAZHI_WEBHOOK_INITIAL_DELAY", default_value = D.webhook_initial_delay.as_str(), value_parser = parse_duration)]
    pub webhook_initial_delay: Duration,
    /// How long after a job ends its webhook is retried before it is marked FAILED.
    #[arg(long, env = "FAZHI_WEBHOOK_RETRY_FOR", default_value = D.webhook_retry_for.as_str(), value_parser = parse_duration)]
    pub webhook_retry_for: Duration,
    /// Bound on one webhook attempt.
    #[arg(long, env = "FAZHI_WEBHOOK_TIMEOUT", default_value = D.webhook_timeout.as_str(), value_parser = parse_duration)]
    pub webhook_timeout: Duration,
    /// Serve the browser workbench at `/` on the public port (on | off).
    #[arg(long, env = "FAZHI_WORKBENCH", default_value = "on", value_parser = parse_on_off)]
    pub workbench: bool,
    /// Platforms that embed the workbench in a frame beside their own pages: origins
    /// (`https://platform.example.gov.cn`), space or comma separated; empty = none.
    #[arg(long, env = "FAZHI_WORKBENCH_FRAME_ANCESTORS", default_value = "", value_parser = parse_frame_ancestors)]
    pub workbench_frame_ancestors: FrameAncestors,
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
    #[arg(long, env = "FAZHI_PREFETCH", default_value_t = D.prefetch)]
    pub prefetch: u16,
    /// Engine runs at once in this process, shared by its loops; 0 = one per CPU core.
    /// Prefetched jobs beyond it wait in memory as encoded messages, not as running threads.
    #[arg(long, env = "FAZHI_ENGINE_THREADS", default_value_t = 0)]
    pub engine_threads: usize,
    /// Wall-clock limit of one engine run; past it the job is retried, then dead-lettered.
    #[arg(long, env = "FAZHI_JOB_TIMEOUT", default_value = D.job_timeout.as_str(), value_parser = parse_duration)]
    pub job_timeout: Duration,
    /// How long a delivery is held while the store is unreachable before it is given back.
    #[arg(long, env = "FAZHI_STORE_OUTAGE_LIMIT", default_value = D.store_outage_limit.as_str(), value_parser = parse_duration)]
    pub store_outage_limit: Duration,
    /// Don't consume the dead-letter queue here (some other worker marks dead jobs FAILED).
    #[arg(long, env = "FAZHI_NO_DEAD_LETTERS")]
    pub no_dead_letters: bool,
    /// How often to re-publish orphaned QUEUED jobs; 0 = never.
    #[arg(long, env = "FAZHI_RECONCILE_EVERY", default_value = D.reconcile_every.as_str(), value_parser = parse_duration)]
    pub reconcile_every: Duration,
    /// Only jobs QUEUED and untouched this long count as orphaned.
    #[arg(long, env = "FAZHI_RECONCILE_OLDER_THAN", default_value = D.reconcile_older_than.as_str(), value_parser = parse_duration)]
    pub reconcile_older_than: Duration,
    #[command(flatten)]
    pub ocr: OcrOpts,
}

/// Scans (image-only PDFs, PNG, JPEG, TIFF) through Tesseract on their own lane.
#[derive(Debug, Clone, Args)]
pub struct OcrOpts {
    /// `auto`: OCR when Tesseract with the model is installed (else scans fail with
    /// PDF_NO_TEXT / UNSUPPORTED_FORMAT); `on`: refuse to start without it; `off`.
    #[arg(long = "ocr", env = "FAZHI_OCR", default_value = "auto", value_parser = ["auto", "on", "off"])]
    pub mode: String,
    /// Scans recognised at once in this process (each uses one core), apart from the engine
    /// threads, so scans never hold up text jobs.
    #[arg(long, env = "FAZHI_OCR_SLOTS", default_value_t = 1)]
    pub ocr_slots: u16,
    /// Pages recognised at most per document (the rest is left out and said so).
    #[arg(long, env = "FAZHI_OCR_MAX_PAGES", default_value_t = fazhi_ocr::OcrConfig::default().max_pages)]
    pub ocr_max_pages: u32,
    /// Rendering resolution of PDF pages (Tesseract wants ≥ 200 for Chinese).
    #[arg(long, env = "FAZHI_OCR_DPI", default_value_t = fazhi_ocr::OcrConfig::default().dpi, value_parser = clap::value_parser!(u32).range(150..=600))]
    pub ocr_dpi: u32,
    /// Limit for rendering or recognising one page.
    #[arg(long, env = "FAZHI_OCR_PAGE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub ocr_page_timeout: Duration,
    /// Limit for one whole scan; past it the job is retried, then dead-lettered.
    #[arg(long, env = "FAZHI_OCR_JOB_TIMEOUT", default_value = "20m", value_parser = parse_duration)]
    pub ocr_job_timeout: Duration,
    /// Tesseract model(s).
    #[arg(long, env = "FAZHI_OCR_LANG", default_value = "chi_sim")]
    pub ocr_lang: String,
    /// The tesseract executable.
    #[arg(long, env = "FAZHI_TESSERACT", default_value = "tesseract")]
    pub tesseract: String,
}

impl OcrOpts {
    /// The recogniser's settings when OCR is to run here; `None` when it is off (or `auto`
    /// and the tools are missing). Errors only for `on` without the tools.
    pub(super) fn resolve(&self) -> anyhow::Result<Option<fazhi_ocr::OcrConfig>> {
        if self.mode == "off" {
            return Ok(None);
        }
        let cfg = fazhi_ocr::OcrConfig {
            tesseract: self.tesseract.clone().into(),
            language: self.ocr_lang.clone(),
            dpi: self.ocr_dpi,
            max_pages: self.ocr_max_pages.max(1),
            page_timeout: self.ocr_page_timeout,
            ..fazhi_ocr::OcrConfig::default()
        };
        match fazhi_ocr::check(&cfg) {
            Ok(()) => Ok(Some(cfg)),
            Err(e) if self.mode == "on" => {
                Err(anyhow::anyhow!("FAZHI_OCR=on but OCR cannot run: {e}"))
            }
            Err(e) => {
                tracing::warn!(error = %e, "OCR off: scans will fail with PDF_NO_TEXT / UNSUPPORTED_FORMAT (install tesseract-ocr tesseract-ocr-chi-sim poppler-utils)");
                Ok(None)
            }
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub backend: BackendArgs,
    #[command(flatten)]
    pub checklists: crate::cmd::checklists::ChecklistDirArgs,
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
    pub checklists: crate::cmd::checklists::ChecklistDirArgs,
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
    pub checklists: crate::cmd::checklists::ChecklistDirArgs,
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

fn parse_allow(s: &str) -> Result<Allowlist, String> {
    Allowlist::parse(s)
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        other => Err(format!("{other:?}: on or off")),
    }
}

/// Checked origins (a newtype: clap reads a `Vec` as a repeated flag).
#[derive(Debug, Clone, Default)]
pub struct FrameAncestors(pub Vec<String>);

fn parse_frame_ancestors(s: &str) -> Result<FrameAncestors, String> {
    fazhi_workbench::parse_frame_ancestors(s).map(FrameAncestors)
}

impl GatewayOpts {
    pub(super) fn config(&self, process: &ProcessArgs) -> GatewayConfig {
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
            webhooks: WebhookConfig {
                allow: self.webhook_allow.clone(),
                secret: self.webhook_secret.clone().filter(|s| !s.is_empty()),
                default_url: self.notify_url.clone().filter(|s| !s.trim().is_empty()),
                initial_delay: self.webhook_initial_delay,
                retry_for: self.webhook_retry_for,
                attempt_timeout: self.webhook_timeout,
                ..WebhookConfig::default()
            },
            workbench: fazhi_workbench::WorkbenchConfig {
                enabled: self.workbench,
                frame_ancestors: self.workbench_frame_ancestors.0.clone(),
            },
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
    pub(super) fn config(
        &self,
        process: &ProcessArgs,
        primary: bool,
        slots: &Arc<Semaphore>,
    ) -> WorkerConfig {
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

    /// The OCR lane's loop: its own slots and timeout, no dead letters or reconciling (the
    /// text loops do those for the deployment).
    pub(super) fn ocr_config(
        &self,
        process: &ProcessArgs,
        ocr: fazhi_ocr::OcrConfig,
        slots: &Arc<Semaphore>,
    ) -> WorkerConfig {
        let engine = fazhi_scorer::FazhiEngine {
            ocr: Some(ocr),
            ..fazhi_scorer::FazhiEngine::default()
        };
        WorkerConfig {
            prefetch: self.ocr.ocr_slots.max(1),
            engine_slots: slots.clone(),
            job_timeout: self.ocr.ocr_job_timeout,
            store_outage_limit: self.store_outage_limit,
            shutdown_grace: process.shutdown_grace,
            dead_letters: false,
            reconcile: None,
            lane: fazhi_scorer::Lane::Ocr,
            ..WorkerConfig::with_engine(Arc::new(engine))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use clap::Parser;
    use fazhi_gateway::GatewayConfig;
    use fazhi_scorer::{ReconcileConfig, WorkerConfig};
    use tokio::sync::Semaphore;

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
