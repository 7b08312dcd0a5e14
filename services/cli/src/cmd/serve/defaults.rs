//! The flags' defaults, taken from the libraries' own `Default`s and written out the way the
//! flags are parsed, so each default is written once and `--help` shows the real one.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use fazhi_gateway::GatewayConfig;
use fazhi_jobs::{RedisStoreConfig, StoreTtls};
use fazhi_scorer::{ReconcileConfig, WorkerConfig};

pub(super) struct Defaults {
    pub redis_prefix: String,
    pub job_ttl: String,
    pub result_ttl: String,
    pub http_addr: String,
    pub shutdown_grace: String,
    pub grpc_addr: String,
    pub assess_timeout: String,
    pub store_timeout: String,
    pub publish_timeout: String,
    pub prefetch: u16,
    pub job_timeout: String,
    pub store_outage_limit: String,
    pub reconcile_every: String,
    pub reconcile_older_than: String,
    pub webhook_initial_delay: String,
    pub webhook_retry_for: String,
    pub webhook_timeout: String,
}

pub(super) static D: LazyLock<Defaults> = LazyLock::new(|| {
    let g = GatewayConfig::default();
    let w = WorkerConfig::default();
    let r = ReconcileConfig::default();
    let t = StoreTtls::default();
    Defaults {
        redis_prefix: RedisStoreConfig::new(String::new()).prefix,
        job_ttl: duration(t.job_ttl),
        result_ttl: duration(t.result_ttl),
        http_addr: g
            .http_addr
            .as_ref()
            .map_or("off".into(), SocketAddr::to_string),
        shutdown_grace: duration(g.shutdown_grace),
        grpc_addr: g.grpc_addr.to_string(),
        assess_timeout: duration(g.assess_timeout),
        store_timeout: duration(g.store_timeout),
        publish_timeout: duration(g.publish_timeout),
        prefetch: w.prefetch,
        job_timeout: duration(w.job_timeout),
        store_outage_limit: duration(w.store_outage_limit),
        reconcile_every: duration(r.every),
        reconcile_older_than: duration(r.older_than),
        webhook_initial_delay: duration(g.webhooks.initial_delay),
        webhook_retry_for: duration(g.webhooks.retry_for),
        webhook_timeout: duration(g.webhooks.attempt_timeout),
    }
});

/// A duration as `parse_duration` reads it: whole days as `7d`, whole seconds as `30s`, else ms.
fn duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms > 0 && ms.is_multiple_of(86_400_000) {
        format!("{}d", ms / 86_400_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::parse_duration;

    #[test]
    fn durations_read_back() {
        for d in [
            Duration::from_secs(7 * 86_400),
            Duration::from_secs(30),
            Duration::from_millis(1500),
        ] {
            assert_eq!(parse_duration(&duration(d)), Ok(d));
        }
        assert_eq!(duration(Duration::from_secs(7 * 86_400)), "7d");
    }
}
