//! Connecting the store and the queue a process runs on: memory, or RabbitMQ and Redis with retries.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, bail};
use fazhi_jobs::{
    AmqpQueue, JobQueue, JobStore, MemoryQueue, MemoryStore, RedisStore, RedisStoreConfig,
    StoreTtls,
};
use tokio_util::sync::CancellationToken;

use super::args::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
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

pub(super) struct Backends {
    pub(super) store: Arc<dyn JobStore>,
    pub(super) queue: Arc<dyn JobQueue>,
    /// The OCR lane (scans forwarded by the text loops).
    pub(super) ocr_queue: Arc<dyn JobQueue>,
    pub(super) kind: &'static str,
}

pub(super) fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(super) async fn connect_backends(
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
            let ocr_queue = queue.ocr_lane().await?;
            tracing::info!(
                queue_prefix = %b.queue_prefix,
                redis_prefix = %b.redis_prefix,
                "connected to RabbitMQ and Redis"
            );
            Ok(Backends {
                store: Arc::new(store),
                queue: Arc::new(queue),
                ocr_queue: Arc::new(ocr_queue),
                kind: "rabbitmq+redis",
            })
        }
        (None, None) if role == Role::Serve => {
            tracing::info!(
                "no FAZHI_AMQP_URL / FAZHI_REDIS_URL: in-memory queue and store (jobs do not survive a restart)"
            );
            let queue = MemoryQueue::new(b.delivery_limit);
            Ok(Backends {
                store: Arc::new(MemoryStore::new(ttls)),
                ocr_queue: Arc::new(queue.ocr_lane()),
                queue: Arc::new(queue),
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
pub(super) async fn retry_connect<T, E, F, Fut>(
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
