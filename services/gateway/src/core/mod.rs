//! The service core: what every rpc does, independent of the transport. Methods take the
//! tenant and the request as plain messages and answer `Result<_, ApiError>`; the gRPC adapter
//! ([`crate::service`]) and any other face map those to their own wire and status codes, so
//! validation, errors and behaviour are shared.
//!
//! - [`submit`]: admission (validation, limits, request-id claims, dedup), replay, publish.
//! - [`assess`]: the synchronous path with its bounded blocking pool and the result cache.
//! - [`batches`]: batches, their summaries (ranking, statistics) and exports.
//! - this module: reads (get, list, cancel, assessment, watch, checklists).

mod assess;
mod batches;
mod submit;

use std::sync::Arc;

use fazhi_jobs::{JobQueue, JobRecord, JobState, JobStore, StoreError, Transition};
use fazhi_proto::v1 as wire;
use futures::StreamExt;
use futures::stream::BoxStream;
use prost::Message as _;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::auth::{Authenticator, Tenant};
use crate::config::GatewayConfig;
use crate::convert::{decode_page_token, encode_page_token, job_to_wire, state_from_wire};
use crate::error::ApiError;

/// The service, transport-neutral. Cheap to share (`Arc`).
pub struct ReportCore {
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    auth: Arc<Authenticator>,
    cfg: GatewayConfig,
    /// Bounds the blocking threads used by AssessReport.
    assess_slots: Arc<Semaphore>,
    /// Ends streams (WatchJob, SubmitReports) when the server shuts down.
    shutdown: CancellationToken,
}

impl ReportCore {
    pub fn new(
        cfg: GatewayConfig,
        store: Arc<dyn JobStore>,
        queue: Arc<dyn JobQueue>,
        auth: Arc<Authenticator>,
        shutdown: CancellationToken,
    ) -> Self {
        let slots = cfg.assess_concurrency.max(1);
        Self {
            store,
            queue,
            auth,
            cfg,
            assess_slots: Arc::new(Semaphore::new(slots)),
            shutdown,
        }
    }

    /// The settings every transport shares (limits, timeouts).
    pub fn config(&self) -> &GatewayConfig {
        &self.cfg
    }

    /// The authenticator transports use to turn credentials into a tenant.
    pub fn auth(&self) -> &Authenticator {
        &self.auth
    }

    /// Ends long-lived streams (WatchJob, bulk intake) when the server shuts down.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// The notify_url of a submission: the one given, else the tenant's default; checked
    /// against the allowlist and the tenant's secret so a job never carries a webhook that
    /// could not be delivered.
    pub fn webhook_url(
        &self,
        tenant: &Tenant,
        requested: &str,
    ) -> Result<Option<String>, ApiError> {
        let url = match requested.trim() {
            "" => match &tenant.0.webhook.default_url {
                Some(u) => u.clone(),
                None => return Ok(None),
            },
            u => u.to_string(),
        };
        self.cfg
            .webhooks
            .allow
            .check_url(&url)
            .map_err(|why| ApiError::WebhookNotAllowed(url.clone(), why))?;
        if tenant.0.webhook.secret.is_none() {
            return Err(ApiError::WebhookNotAllowed(
                url,
                "the tenant has no webhook secret configured".into(),
            ));
        }
        Ok(Some(url))
    }

    /// The checklists the engine knows.
    pub fn checklists(&self) -> wire::ListChecklistsResponse {
        let checklists = fazhi_engine::checklist::all()
            .iter()
            .map(fazhi_engine::checklist::to_wire)
            .collect();
        wire::ListChecklistsResponse { checklists }
    }

    /// A store call bounded by `store_timeout`, so an unreachable store answers UNAVAILABLE.
    async fn store<T>(
        &self,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, ApiError> {
        match tokio::time::timeout(self.cfg.store_timeout, fut).await {
            Ok(r) => r.map_err(ApiError::from),
            Err(_) => Err(ApiError::BackendTimeout("job store")),
        }
    }

    pub async fn get(&self, tenant: &Tenant, id: &str) -> Result<JobRecord, ApiError> {
        if id.is_empty() || id.len() > 128 {
            return Err(ApiError::JobNotFound(id.chars().take(128).collect()));
        }
        self.store(self.store.get(tenant.name(), id))
            .await?
            .ok_or_else(|| ApiError::JobNotFound(id.to_string()))
    }

    pub async fn list(
        &self,
        tenant: &Tenant,
        req: wire::ListJobsRequest,
    ) -> Result<wire::ListJobsResponse, ApiError> {
        let state = state_from_wire(req.state)?;
        let page_size = page_size(req.page_size)?;
        let inner_token = decode_page_token(&req.page_token, tenant.name(), state)?;
        let page = self
            .store(
                self.store
                    .list(tenant.name(), state, page_size, &inner_token),
            )
            .await?;
        Ok(wire::ListJobsResponse {
            jobs: page.jobs.iter().map(job_to_wire).collect(),
            next_page_token: page
                .next_page_token
                .filter(|t| !t.is_empty())
                .map(|t| encode_page_token(tenant.name(), state, &t))
                .unwrap_or_default(),
        })
    }

    pub async fn cancel(&self, tenant: &Tenant, id: &str) -> Result<wire::Job, ApiError> {
        let current = self.get(tenant, id).await?;
        let cancelled = self
            .store(self.store.transition(
                &current.id,
                Transition {
                    from: &[JobState::Queued],
                    to: JobState::Cancelled,
                    error_code: Some("CANCELLED".into()),
                    error_message: Some("cancelled by the client".into()),
                    bump_attempts: false,
                    checklist_id: None,
                },
            ))
            .await?;
        if let Some(rec) = cancelled {
            tenant.0.untrack(&rec.id);
            metrics::counter!("fazhi_jobs_cancelled_total").increment(1);
            tracing::info!("job cancelled");
            return Ok(job_to_wire(&rec));
        }
        // Lost the CAS: re-read to say why.
        let now = self.get(tenant, id).await?;
        let (reason, message) = if now.state.is_terminal() {
            (
                "JOB_TERMINAL",
                format!("job {} is already {}", now.id, now.state.as_str()),
            )
        } else {
            (
                "JOB_RUNNING",
                format!(
                    "job {} is RUNNING and cannot be cancelled; it will finish",
                    now.id
                ),
            )
        };
        Err(ApiError::FailedPrecondition {
            reason,
            message,
            job_id: now.id.clone(),
            state: now.state.as_str(),
        })
    }

    pub async fn assessment(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<wire::Assessment, ApiError> {
        let job = self.get(tenant, id).await?;
        if job.state != JobState::Succeeded {
            return Err(ApiError::FailedPrecondition {
                reason: "JOB_NOT_SUCCEEDED",
                message: format!(
                    "job {} is {}; an assessment exists only for SUCCEEDED jobs",
                    job.id,
                    job.state.as_str()
                ),
                job_id: job.id.clone(),
                state: job.state.as_str(),
            });
        }
        let bytes = self
            .store(self.store.get_result(&job.result_key))
            .await?
            .ok_or_else(|| ApiError::ResultExpired(job.id.clone()))?;
        let mut a = wire::Assessment::decode(bytes.as_slice())
            .map_err(|e| ApiError::Store(StoreError::Corrupt(format!("assessment: {e}"))))?;
        // The job's own part (similar reports, their findings) appended to the shared result.
        if let Some(overlay) = self.store(self.store.overlay(&job.id)).await? {
            a.merge(overlay.as_slice())
                .map_err(|e| ApiError::Store(StoreError::Corrupt(format!("overlay: {e}"))))?;
        }
        Ok(a)
    }

    /// Streams the job now and at every change until it is terminal.
    ///
    /// The tenant check reads the job first; then `store.watch` subscribes and yields the
    /// version current at subscription, so no change falls in between. A periodic re-read
    /// covers a lost notification (e.g. a Redis pub/sub reconnect). The stream also ends on
    /// server shutdown and when the client goes away.
    pub async fn watch(
        &self,
        tenant: &Tenant,
        id: &str,
    ) -> Result<BoxStream<'static, Result<wire::Job, ApiError>>, ApiError> {
        let first = self.get(tenant, id).await?;
        let job_id = first.id.clone();
        let mut updates = self.store(self.store.watch(&first.id)).await?;
        let (tx, rx) = mpsc::channel::<Result<wire::Job, ApiError>>(16);
        let store = self.store.clone();
        let tenant_name = tenant.name().to_string();
        let poll = self.cfg.watch_poll_interval;
        let store_timeout = self.cfg.store_timeout;
        let shutdown = self.shutdown.clone();
        let span = tracing::Span::current();
        tokio::spawn(
            async move {
                let mut last: Option<JobRecord> = None;
                let mut pending = Some(first);
                let mut ticker = tokio::time::interval(poll);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                ticker.tick().await;
                let mut stream_open = true;
                loop {
                    let next = match pending.take() {
                        Some(r) => Some(r),
                        None => tokio::select! {
                            _ = shutdown.cancelled() => {
                                let _ = tx.send(Err(ApiError::ShuttingDown)).await;
                                return;
                            }
                            _ = tx.closed() => return,
                            r = updates.next(), if stream_open => {
                                if r.is_none() { stream_open = false; }
                                r
                            }
                            _ = ticker.tick() => {
                                match tokio::time::timeout(store_timeout, store.get(&tenant_name, &job_id)).await {
                                    Ok(Ok(Some(r))) => Some(r),
                                    Ok(Ok(None)) => return, // expired or gone
                                    _ => None,
                                }
                            }
                        },
                    };
                    let Some(rec) = next else { continue };
                    if last.as_ref().is_some_and(|l| !is_newer(&rec, l)) {
                        continue;
                    }
                    let terminal = rec.state.is_terminal();
                    if tx.send(Ok(job_to_wire(&rec))).await.is_err() {
                        return;
                    }
                    last = Some(rec);
                    if terminal {
                        return;
                    }
                }
            }
            .instrument(span),
        );
        Ok(ReceiverStream::new(rx).boxed())
    }
}

/// A request's page size: 0 → the default, capped at the maximum; negative is refused.
pub(crate) fn page_size(n: i32) -> Result<usize, ApiError> {
    if n < 0 {
        return Err(ApiError::invalid(
            "INVALID_PAGE_SIZE",
            "page_size",
            "page_size must not be negative",
        ));
    }
    Ok(fazhi_jobs::clamp_page_size(
        usize::try_from(n).unwrap_or(usize::MAX),
    ))
}

/// Versions only move forward: newer update time, or the same millisecond with a different
/// state or attempt count.
fn is_newer(next: &JobRecord, last: &JobRecord) -> bool {
    next.update_time_ms > last.update_time_ms
        || (next.update_time_ms == last.update_time_ms
            && (next.state != last.state || next.attempts != last.attempts))
}
