//! The webhook delivery loop: claim due deliveries from the store, POST each terminal Job signed
//! with its tenant's secret, record the outcome with the next attempt time (exponential backoff
//! with jitter) or a final state. Kept apart from [`crate::webhook`] (allowlist, signature,
//! sender), which the tenant and config types use, so neither imports the other's users.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fazhi_jobs::{DeliveryState, JobRecord, JobStore, Webhook, now_ms};
use futures::StreamExt;
use rand::Rng;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::auth::Authenticator;
use crate::convert::job_to_wire;
use crate::webhook::send::{SendError, Sender};
use crate::webhook::{WebhookConfig, delivery_id, sign};

/// Claimed deliveries per pass.
const BATCH: usize = 64;

pub struct Deliverer {
    store: Arc<dyn JobStore>,
    auth: Arc<Authenticator>,
    cfg: WebhookConfig,
    sender: Sender,
}

impl Deliverer {
    pub fn new(
        store: Arc<dyn JobStore>,
        auth: Arc<Authenticator>,
        cfg: WebhookConfig,
    ) -> Result<Self, String> {
        let sender = Sender::new(cfg.attempt_timeout)?;
        Ok(Self {
            store,
            auth,
            cfg,
            sender,
        })
    }

    /// Runs until `shutdown`; attempts in progress finish first (each is time-bounded).
    pub async fn run(self, shutdown: CancellationToken) {
        let mut ticker = tokio::time::interval(self.cfg.poll_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            // Keep claiming while full batches come back, so a backlog drains quickly.
            loop {
                let lease = self.cfg.attempt_timeout + Duration::from_secs(5);
                let due = match self.store.claim_webhooks(now_ms(), lease, BATCH).await {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim webhook deliveries");
                        break;
                    }
                };
                let n = due.len();
                futures::stream::iter(due)
                    .for_each_concurrent(self.cfg.concurrency.max(1), |job| self.deliver(job))
                    .await;
                if n < BATCH || shutdown.is_cancelled() {
                    break;
                }
            }
        }
    }

    async fn deliver(&self, job: JobRecord) {
        let Some(mut w) = job.webhook.clone() else {
            return;
        };
        let span = tracing::info_span!(
            "webhook",
            job_id = %job.id,
            tenant = %job.tenant,
            attempt = w.attempts + 1
        );
        async {
            let outcome = self.attempt(&job, &w).await;
            let now = now_ms();
            w.attempts += 1;
            w.last_attempt_ms = now;
            match outcome {
                Ok(status) => {
                    w.state = DeliveryState::Delivered;
                    w.next_attempt_ms = 0;
                    w.last_error.clear();
                    tracing::info!(status, "webhook delivered");
                }
                Err(e) => {
                    let next = now.saturating_add(millis(self.backoff(w.attempts)));
                    let give_up_at = job
                        .update_time_ms
                        .saturating_add(millis(self.cfg.retry_for));
                    w.last_error = e.message.clone();
                    if e.is_final || next > give_up_at {
                        w.state = DeliveryState::Failed;
                        w.next_attempt_ms = 0;
                        tracing::warn!(error = %e.message, "webhook delivery failed for good");
                    } else {
                        w.state = DeliveryState::Pending;
                        w.next_attempt_ms = next;
                        tracing::info!(error = %e.message, retry_in_ms = next - now, "webhook attempt failed");
                    }
                }
            }
            metrics::counter!("fazhi_webhook_attempts_total", "outcome" => w.state.as_str())
                .increment(1);
            if let Err(e) = self.store.record_webhook(&job.id, &w).await {
                // The claim lease runs out and the delivery is retried: at least once.
                tracing::warn!(error = %e, "cannot record the webhook outcome");
            }
        }
        .instrument(span)
        .await
    }

    async fn attempt(&self, job: &JobRecord, w: &Webhook) -> Result<u16, SendError> {
        let secret = self
            .auth
            .tenant_named(&job.tenant)
            .and_then(|t| t.0.webhook.secret.clone())
            .ok_or_else(|| SendError {
                message: "the tenant has no webhook secret".into(),
                is_final: true,
            })?;
        // The Job as clients see it, without the delivery bookkeeping (the same on every attempt).
        let mut wire = job_to_wire(job);
        wire.webhook = None;
        let body = serde_json::to_vec(&wire).map_err(|e| SendError {
            message: format!("encoding the job: {e}"),
            is_final: true,
        })?;
        let ts = now_ms() / 1000;
        let signature = sign::signature(secret.as_bytes(), ts, &body).map_err(|e| SendError {
            message: format!("signing: {e}"),
            is_final: true,
        })?;
        let headers = [
            (sign::SIGNATURE_HEADER, signature),
            ("x-fazhi-delivery", delivery_id(&job.id)),
            ("x-fazhi-event", "job.finished".to_string()),
            ("x-fazhi-attempt", (w.attempts + 1).to_string()),
        ];
        self.sender
            .post(&self.cfg.allow, &w.url, &headers, Bytes::from(body))
            .await
    }

    /// Delay after `attempts` failed attempts: initial × 2^(n−1), capped, ±20 % jitter.
    fn backoff(&self, attempts: u32) -> Duration {
        let exp = attempts.saturating_sub(1).min(20);
        let base = self
            .cfg
            .initial_delay
            .saturating_mul(1u32 << exp)
            .min(self.cfg.max_delay);
        base.mul_f64(rand::rng().random_range(0.8..1.2))
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
