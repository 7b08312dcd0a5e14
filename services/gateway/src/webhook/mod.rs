//! Webhooks: when a job with a `notify_url` ends, its terminal Job is POSTed as JSON, signed
//! with the tenant's secret ([`sign`]), to a receiver the operator allowed ([`allow`]), and
//! retried with exponential backoff for a configurable period. The delivery lives in the job
//! record and the store's due index (entered atomically with the terminal transition), so a
//! restart of any process loses nothing; each gateway runs the [`crate::notify`] loop that
//! claims due deliveries with a lease. Delivery is at least once: receivers deduplicate by the stable
//! `X-Fazhi-Delivery` id.

pub mod allow;
pub mod send;
pub mod sign;

use std::time::Duration;

pub use allow::Allowlist;

/// Webhook settings of a gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Receivers that may be called (`--webhook-allow`); empty = webhooks off.
    pub allow: Allowlist,
    /// Signing secret of the open-mode tenant (`--webhook-secret`); auth-file tenants carry
    /// their own `webhook_secret`.
    pub secret: Option<String>,
    /// Default notify_url of the open-mode tenant (`--notify-url`).
    pub default_url: Option<String>,
    /// Delay before the second attempt; doubles per attempt up to `max_delay` (±20 % jitter).
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// How long after the job ended attempts continue before the delivery is FAILED.
    pub retry_for: Duration,
    /// Bound on one attempt (connect, TLS, request, status).
    pub attempt_timeout: Duration,
    /// How often the loop looks for due deliveries.
    pub poll_interval: Duration,
    /// Deliveries in flight at once per gateway.
    pub concurrency: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow: Allowlist::default(),
            secret: None,
            default_url: None,
            initial_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(600),
            retry_for: Duration::from_secs(24 * 3600),
            attempt_timeout: Duration::from_secs(10),
            poll_interval: Duration::from_secs(1),
            concurrency: 8,
        }
    }
}

/// A tenant's webhook settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantWebhook {
    /// HMAC key of its deliveries; without one the tenant cannot use webhooks.
    pub secret: Option<String>,
    /// notify_url used when a submission names none.
    pub default_url: Option<String>,
}

/// The stable id of a job's delivery (header `X-Fazhi-Delivery`).
pub fn delivery_id(job_id: &str) -> String {
    format!("dlv_{job_id}")
}
