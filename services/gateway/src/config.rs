//! Gateway configuration. Plain data with documented defaults; the CLI fills it from flags and
//! `FAZHI_*` env vars, tests build it by hand.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::GatewayError;

/// Per-tenant limits; also the limits of the open-mode tenant `default` and of tenants whose
/// auth-file entry leaves a field out.
///
/// Limits exist to share capacity between tenants; the queue exists to absorb bursts. So by
/// default they are off (0): one platform may queue a province's reports at once. Operators who
/// serve several tenants set them per tenant in the auth file, or as defaults with the flags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TenantLimits {
    /// QUEUED + RUNNING jobs a tenant may have (counted per gateway process, see
    /// [`crate::limits`]); 0 = no cap.
    pub max_in_flight: usize,
    /// Token-bucket refill rate for SubmitReport/SubmitReports items/AssessReport; 0 = no rate
    /// limit.
    pub submit_rate_per_sec: f64,
    /// Bucket size: how many submissions may arrive at once after a quiet period (used when a
    /// rate is set).
    pub submit_burst: f64,
}

impl TenantLimits {
    /// A rate is 0 (off) or positive and finite; with a rate, the burst holds at least one.
    pub fn validate(&self) -> Result<(), String> {
        let rate = self.submit_rate_per_sec;
        let burst_ok = self.submit_burst.is_finite() && self.submit_burst >= 1.0;
        if !rate.is_finite() || rate < 0.0 || (rate > 0.0 && !burst_ok) {
            return Err(
                "submit_rate_per_sec must be ≥ 0 (0 = no limit), and submit_burst ≥ 1 when a \
                 rate is set"
                    .into(),
            );
        }
        Ok(())
    }
}

/// TLS for the gRPC port (tonic with rustls + ring). PEM files.
#[derive(Debug, Clone, PartialEq)]
pub struct TlsConfig {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
    /// When set, clients must present a certificate signed by this CA (mTLS).
    pub client_ca_pem: Option<PathBuf>,
}

/// Everything the gateway needs besides its backends.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    /// gRPC listen address (`FAZHI_GRPC_ADDR`, default `127.0.0.1:50051`; port 0 = any).
    pub grpc_addr: SocketAddr,
    /// HTTP side server for `/metrics`, `/healthz`, `/readyz` (`FAZHI_HTTP_ADDR`, default
    /// `127.0.0.1:9464`); `None` runs no HTTP server.
    pub http_addr: Option<SocketAddr>,
    /// Largest document accepted (bytes); larger → RESOURCE_EXHAUSTED. Default 20 MiB.
    pub max_document_bytes: usize,
    /// gRPC decode limit per message. Must exceed `max_document_bytes` (the request also holds
    /// hints and labels), so oversize documents get our RESOURCE_EXHAUSTED with details rather
    /// than tonic's bare OUT_OF_RANGE. Default: [`decode_limit`] (twice the document limit + 1 MiB).
    pub max_message_bytes: usize,
    /// gRPC encode limit (assessments carry the normalized text). Default 64 MiB.
    pub max_response_bytes: usize,
    /// TOML file of tenants and key hashes; `None` = open mode, everyone is tenant `default`.
    pub auth_file: Option<PathBuf>,
    /// Limits for the open-mode tenant and defaults for auth-file tenants.
    pub default_limits: TenantLimits,
    /// Engine safety limits for the synchronous AssessReport path.
    pub engine_limits: fazhi_engine::Limits,
    /// Wall-clock bound of one synchronous assessment.
    pub assess_timeout: Duration,
    /// Synchronous assessments running at once (each holds a blocking thread).
    pub assess_concurrency: usize,
    /// Bound on each job-store call; past it the rpc answers UNAVAILABLE instead of hanging.
    pub store_timeout: Duration,
    /// Bound on one publish including the broker's confirm.
    pub publish_timeout: Duration,
    /// How often the health task pings the store and the queue.
    pub health_interval: Duration,
    /// WatchJob re-reads the job this often in case a change notification was lost.
    pub watch_poll_interval: Duration,
    /// Time allowed for in-flight rpcs to finish after shutdown is requested.
    pub shutdown_grace: Duration,
    pub tls: Option<TlsConfig>,
    /// Webhook allowlist, open-mode secret and default URL, retry policy.
    pub webhooks: crate::webhook::WebhookConfig,
    /// The browser workbench on the public port: on or off, who may frame it.
    pub workbench: fazhi_workbench::WorkbenchConfig,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        let max_document_bytes = 20 * 1024 * 1024;
        Self {
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            http_addr: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            max_document_bytes,
            max_message_bytes: decode_limit(max_document_bytes),
            max_response_bytes: 64 * 1024 * 1024,
            auth_file: None,
            default_limits: TenantLimits::default(),
            engine_limits: fazhi_engine::Limits::default(),
            assess_timeout: Duration::from_secs(30),
            assess_concurrency: 2,
            store_timeout: Duration::from_secs(2),
            publish_timeout: Duration::from_secs(5),
            health_interval: Duration::from_secs(3),
            watch_poll_interval: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
            tls: None,
            webhooks: crate::webhook::WebhookConfig::default(),
            workbench: fazhi_workbench::WorkbenchConfig::default(),
        }
    }
}

/// Room for everything in a request besides the document bytes.
pub const MESSAGE_SLACK: usize = 1024 * 1024;

/// The transport's decode limit for a document limit: twice the document plus the request's
/// other fields, so a document anywhere near the limit reaches validation and is refused with
/// RESOURCE_EXHAUSTED `DOCUMENT_TOO_LARGE` rather than cut off by the transport (OUT_OF_RANGE,
/// which only messages over twice the limit still get).
pub fn decode_limit(max_document_bytes: usize) -> usize {
    max_document_bytes
        .saturating_mul(2)
        .saturating_add(MESSAGE_SLACK)
}

impl GatewayConfig {
    /// Sets the document limit and keeps the decode limit above it.
    pub fn with_max_document_bytes(mut self, n: usize) -> Self {
        self.max_document_bytes = n;
        self.max_message_bytes = decode_limit(n);
        self
    }

    /// Rejects settings that would make the service misbehave rather than fail fast.
    pub fn validate(&self) -> Result<(), GatewayError> {
        if self.max_message_bytes <= self.max_document_bytes {
            return Err(GatewayError::Config(format!(
                "max_message_bytes ({}) must exceed max_document_bytes ({})",
                self.max_message_bytes, self.max_document_bytes
            )));
        }
        if self.assess_concurrency == 0 {
            return Err(GatewayError::Config(
                "assess_concurrency must be ≥ 1".into(),
            ));
        }
        self.default_limits
            .validate()
            .map_err(GatewayError::Config)?;
        if self.webhooks.secret.as_ref().is_some_and(|s| s.len() < 16) {
            return Err(GatewayError::Config(
                "webhook secret must be at least 16 characters".into(),
            ));
        }
        if let Some(url) = &self.webhooks.default_url {
            self.webhooks
                .allow
                .check_url(url)
                .map_err(|e| GatewayError::Config(format!("default notify_url: {e}")))?;
        }
        Ok(())
    }
}
