//! `fazhi.v1.ReportService` over a [`JobStore`], a [`JobQueue`] and the engine.
//!
//! Handlers are thin: authenticate (the tenant comes from [`AuthInterceptor`] via the request
//! extensions), validate, call the backends with bounded timeouts, convert. Every error goes
//! through [`ApiError`] → `Status` in [`crate::error`].
//!
//! Behaviour worth knowing (also in the crate docs):
//! - **SubmitReports** answers one Job per request, in order. The first request that fails
//!   (invalid, over a limit, backend down) ends the response stream with that request's
//!   status; the Jobs sent before it stand, nothing after it is read. Resending from the failed
//!   item is safe when items carry `request_id`s.
//! - **CancelJob** cancels QUEUED jobs (compare-and-set, so a worker that has just claimed
//!   the job wins). RUNNING jobs are not interrupted: FAILED_PRECONDITION with reason
//!   `JOB_RUNNING` (the worker holds no cancellation hook and the result will be cached
//!   anyway). Terminal jobs: FAILED_PRECONDITION `JOB_TERMINAL`.
//! - **request_id** retry after a PUBLISH_FAILED answer re-queues the same job rather than
//!   returning the failure forever (AIP-155: a retry gets the response of the first
//!   *successful* request).
//!
//! [`AuthInterceptor`]: crate::auth::AuthInterceptor

use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{
    CreateOutcome, JobMessage, JobQueue, JobRecord, JobState, JobStore, StoreError, Transition,
    now_ms,
};
use fazhi_proto::v1 as wire;
use futures::{Stream, StreamExt};
use prost::Message as _;
use tokio::sync::{Semaphore, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, field::Empty};

use crate::auth::{Authenticator, Tenant};
use crate::config::GatewayConfig;
use crate::convert::{
    decode_page_token, encode_page_token, job_to_wire, new_job_id, outgoing_trace, state_from_wire,
};
use crate::error::ApiError;
use crate::validate::{ValidRequest, validate};

const ERROR_PUBLISH_FAILED: &str = "PUBLISH_FAILED";

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The `ReportService` implementation. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct ReportApi {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn JobStore>,
    queue: Arc<dyn JobQueue>,
    auth: Arc<Authenticator>,
    cfg: GatewayConfig,
    /// Bounds the blocking threads used by AssessReport.
    assess_slots: Arc<Semaphore>,
    /// Ends streams (WatchJob, SubmitReports) when the server shuts down.
    shutdown: CancellationToken,
}

impl ReportApi {
    pub fn new(
        cfg: GatewayConfig,
        store: Arc<dyn JobStore>,
        queue: Arc<dyn JobQueue>,
        auth: Arc<Authenticator>,
        shutdown: CancellationToken,
    ) -> Self {
        let slots = cfg.assess_concurrency.max(1);
        Self {
            inner: Arc::new(Inner {
                store,
                queue,
                auth,
                cfg,
                assess_slots: Arc::new(Semaphore::new(slots)),
                shutdown,
            }),
        }
    }

    /// The tenant the interceptor attached, or (when the service is mounted without the
    /// interceptor) one authenticated here, so the service is never accidentally open.
    fn tenant<T>(&self, req: &Request<T>) -> Result<Tenant, ApiError> {
        match req.extensions().get::<Tenant>() {
            Some(t) => Ok(t.clone()),
            None => self.inner.auth.authenticate(req.metadata()),
        }
    }
}

/// The rpc span; `otel.*` fields name it as gRPC tooling does in exported traces.
fn span(rpc: &'static str, tenant: &str) -> tracing::Span {
    tracing::info_span!(
        "rpc",
        otel.name = %format_args!("fazhi.v1.ReportService/{rpc}"),
        otel.kind = "server",
        rpc,
        tenant,
        job_id = Empty,
        content_sha256 = Empty,
        trace_id = Empty
    )
}

/// The client's W3C trace context (`traceparent`, `tracestate`) from the request metadata.
fn incoming_trace<T>(req: &Request<T>) -> Vec<(String, String)> {
    fazhi_jobs::trace::KEYS
        .iter()
        .filter_map(|k| {
            let v = req.metadata().get(*k)?.to_str().ok()?;
            Some(((*k).to_string(), v.to_string()))
        })
        .collect()
}

impl Inner {
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

    async fn job_for(&self, tenant: &Tenant, id: &str) -> Result<JobRecord, ApiError> {
        if id.is_empty() || id.len() > 128 {
            return Err(ApiError::JobNotFound(id.chars().take(128).collect()));
        }
        self.store(self.store.get(tenant.name(), id))
            .await?
            .ok_or_else(|| ApiError::JobNotFound(id.to_string()))
    }

    // === submit ===

    async fn submit(
        &self,
        tenant: &Tenant,
        req: wire::SubmitReportRequest,
        incoming_trace: &[(String, String)],
    ) -> Result<wire::Job, ApiError> {
        let v = validate(req, self.cfg.max_document_bytes)?;
        let span = tracing::Span::current();
        span.record("content_sha256", v.content_sha256.as_str());
        tenant
            .0
            .try_acquire()
            .map_err(|retry_after| ApiError::RateLimited {
                tenant: tenant.name().to_string(),
                retry_after,
            })?;

        let now = now_ms();
        let mut rec = JobRecord {
            id: new_job_id(),
            tenant: tenant.name().to_string(),
            state: JobState::Queued,
            create_time_ms: now,
            update_time_ms: now,
            attempts: 0,
            error_code: String::new(),
            error_message: String::new(),
            content_sha256: v.content_sha256.clone(),
            result_key: v.result_key.clone(),
            checklist_id: v.checklist_id.clone(),
            deduplicated: false,
            request_id: v.request_id.clone(),
            labels: v.labels.clone(),
        };
        span.record("job_id", rec.id.as_str());
        let (trace_id, trace_ctx) = outgoing_trace(&span, incoming_trace);
        span.record("trace_id", trace_id.as_str());

        // Cache hit: the job is born SUCCEEDED, nothing is queued.
        if let Some(bytes) = self.store(self.store.get_result(&v.result_key)).await? {
            match wire::Assessment::decode(bytes.as_slice()) {
                Ok(a) => {
                    rec.state = JobState::Succeeded;
                    rec.deduplicated = true;
                    if !a.checklist_id.is_empty() {
                        rec.checklist_id = a.checklist_id;
                    }
                    return match self.store(self.store.create(&rec)).await? {
                        CreateOutcome::Created => {
                            metrics::counter!("fazhi_cache_hits_total").increment(1);
                            metrics::counter!("fazhi_jobs_deduplicated_total").increment(1);
                            tracing::info!("deduplicated from the result cache");
                            Ok(job_to_wire(&rec))
                        }
                        CreateOutcome::Existing(old) => {
                            self.replay(tenant, old, &v, &trace_ctx).await
                        }
                    };
                }
                Err(e) => tracing::warn!(error = %e, "cached assessment unreadable; re-queueing"),
            }
        }

        let store = self.store.clone();
        let tenant_name = tenant.name().to_string();
        let timeout = self.cfg.store_timeout;
        let has_room = tenant
            .0
            .has_capacity(move |id| {
                let store = store.clone();
                let tenant_name = tenant_name.clone();
                async move {
                    match tokio::time::timeout(timeout, store.get(&tenant_name, &id)).await {
                        Ok(Ok(Some(r))) => r.state.is_terminal(),
                        Ok(Ok(None)) => true,
                        // Unknown: keep counting it rather than admit past the cap.
                        _ => false,
                    }
                }
            })
            .await;
        if !has_room {
            return Err(ApiError::TooManyInFlight {
                tenant: tenant.name().to_string(),
                limit: tenant.0.limits.max_in_flight,
                retry_after: Duration::from_secs(1),
            });
        }

        let msg = job_message(&rec, &v, &trace_ctx);
        match self
            .store(self.store.create_with_message(&rec, &msg))
            .await?
        {
            CreateOutcome::Existing(old) => return self.replay(tenant, old, &v, &trace_ctx).await,
            CreateOutcome::Created => {}
        }
        self.publish(&rec.id, &msg, &trace_ctx).await?;
        tenant.0.track(&rec.id);
        metrics::counter!("fazhi_jobs_submitted_total").increment(1);
        tracing::info!("job queued");
        Ok(job_to_wire(&rec))
    }

    /// A request id this tenant used before: the same request gets the same job; a different
    /// one is refused. A job whose publish failed is re-queued, so retrying works.
    async fn replay(
        &self,
        tenant: &Tenant,
        old: JobRecord,
        v: &ValidRequest,
        trace_ctx: &[(String, String)],
    ) -> Result<wire::Job, ApiError> {
        tracing::Span::current().record("job_id", old.id.as_str());
        if old.content_sha256 != v.content_sha256 || old.result_key != v.result_key {
            return Err(ApiError::RequestIdReused(v.request_id.clone()));
        }
        if old.state == JobState::Failed && old.error_code == ERROR_PUBLISH_FAILED {
            let requeued = self
                .store(self.store.transition(
                    &old.id,
                    Transition {
                        from: &[JobState::Failed],
                        to: JobState::Queued,
                        error_code: Some(String::new()),
                        error_message: Some(String::new()),
                        bump_attempts: false,
                        checklist_id: None,
                    },
                ))
                .await?;
            if let Some(rec) = requeued {
                let msg = job_message(&rec, v, trace_ctx);
                self.publish(&rec.id, &msg, trace_ctx).await?;
                tenant.0.track(&rec.id);
                metrics::counter!("fazhi_jobs_submitted_total").increment(1);
                tracing::info!("job re-queued after an earlier publish failure");
                return Ok(job_to_wire(&rec));
            }
        }
        tracing::info!("request_id replay");
        Ok(job_to_wire(&old))
    }

    /// Publishes with confirm; on failure marks the job FAILED (PUBLISH_FAILED) so it cannot
    /// linger QUEUED without a message, and answers UNAVAILABLE.
    async fn publish(
        &self,
        id: &str,
        msg: &JobMessage,
        trace: &[(String, String)],
    ) -> Result<(), ApiError> {
        let err =
            match tokio::time::timeout(self.cfg.publish_timeout, self.queue.publish(msg, trace))
                .await
            {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(e)) => e,
                Err(_) => fazhi_jobs::QueueError::Unavailable("publish confirm timed out".into()),
            };
        let marked = self
            .store(
                self.store.transition(
                    id,
                    Transition {
                        from: &[JobState::Queued],
                        to: JobState::Failed,
                        error_code: Some(ERROR_PUBLISH_FAILED.into()),
                        error_message: Some(
                            "the job could not be queued; submit again (same request_id is fine)"
                                .into(),
                        ),
                        bump_attempts: false,
                        checklist_id: None,
                    },
                ),
            )
            .await;
        if let Err(e) = marked {
            // The job stays QUEUED with its message kept; the reconciler re-publishes it.
            tracing::error!(error = %e, "could not mark unpublished job FAILED");
        }
        Err(ApiError::PublishFailed {
            job_id: id.to_string(),
            source: err,
        })
    }

    // === assess ===

    async fn assess(
        &self,
        tenant: &Tenant,
        req: wire::SubmitReportRequest,
    ) -> Result<wire::Assessment, ApiError> {
        let v = validate(req, self.cfg.max_document_bytes)?;
        tracing::Span::current().record("content_sha256", v.content_sha256.as_str());
        tenant
            .0
            .try_acquire()
            .map_err(|retry_after| ApiError::RateLimited {
                tenant: tenant.name().to_string(),
                retry_after,
            })?;
        // The cache is an optimisation here: if the store is down we still assess.
        match self.store(self.store.get_result(&v.result_key)).await {
            Ok(Some(bytes)) => match wire::Assessment::decode(bytes.as_slice()) {
                Ok(a) => {
                    metrics::counter!("fazhi_cache_hits_total").increment(1);
                    return Ok(a);
                }
                Err(e) => tracing::warn!(error = %e, "cached assessment unreadable"),
            },
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "result cache unavailable; assessing anyway"),
        }

        let permit = tokio::time::timeout(
            Duration::from_millis(250),
            self.assess_slots.clone().acquire_owned(),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or(ApiError::AssessBusy {
            retry_after: Duration::from_secs(1),
        })?;
        let limits = self.cfg.engine_limits.clone();
        let job = v.clone();
        // The permit moves into the blocking task: a timed-out assessment keeps its slot until
        // it really ends, so runaway inputs cannot pile up unbounded threads.
        let task = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                fazhi_engine::assess(&job.submission(), &limits)
            }))
        });
        let assessment = match tokio::time::timeout(self.cfg.assess_timeout, task).await {
            Err(_) => return Err(ApiError::EngineTimeout(self.cfg.assess_timeout)),
            Ok(Err(_)) | Ok(Ok(Err(_))) => {
                tracing::error!("engine panicked");
                return Err(ApiError::EnginePanic);
            }
            Ok(Ok(Ok(r))) => r?,
        };
        self.cache_assessment(&v, &assessment);
        Ok(assessment)
    }

    /// Stores a synchronous result in the cache in the background; a failure only costs a
    /// later cache miss.
    fn cache_assessment(&self, v: &ValidRequest, a: &wire::Assessment) {
        let store = self.store.clone();
        let timeout = self.cfg.store_timeout;
        let bytes = a.encode_to_vec();
        let key = v.result_key.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(timeout, store.put_result(&key, &bytes)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "caching synchronous assessment failed"),
                Err(_) => tracing::warn!("caching synchronous assessment timed out"),
            }
        });
    }

    // === jobs ===

    async fn list(
        &self,
        tenant: &Tenant,
        req: wire::ListJobsRequest,
    ) -> Result<wire::ListJobsResponse, ApiError> {
        let state = state_from_wire(req.state)?;
        let page_size = match req.page_size {
            n if n < 0 => {
                return Err(ApiError::invalid(
                    "INVALID_PAGE_SIZE",
                    "page_size",
                    "page_size must not be negative",
                ));
            }
            n => fazhi_jobs::clamp_page_size(usize::try_from(n).unwrap_or(usize::MAX)),
        };
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

    async fn cancel(&self, tenant: &Tenant, id: &str) -> Result<wire::Job, ApiError> {
        let current = self.job_for(tenant, id).await?;
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
        let now = self.job_for(tenant, id).await?;
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

    async fn assessment(&self, tenant: &Tenant, id: &str) -> Result<wire::Assessment, ApiError> {
        let job = self.job_for(tenant, id).await?;
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
        wire::Assessment::decode(bytes.as_slice())
            .map_err(|e| ApiError::Store(StoreError::Corrupt(format!("assessment: {e}"))))
    }

    /// Streams the job now and at every change until it is terminal.
    ///
    /// The tenant check reads the job first; then `store.watch` subscribes and yields the
    /// version current at subscription, so no change falls in between. A periodic re-read
    /// covers a lost notification (e.g. a Redis pub/sub reconnect). The stream also ends on
    /// server shutdown and when the client goes away.
    async fn watch(&self, tenant: &Tenant, id: &str) -> Result<BoxStream<wire::Job>, ApiError> {
        let first = self.job_for(tenant, id).await?;
        let job_id = first.id.clone();
        let mut updates = self.store(self.store.watch(&first.id)).await?;
        let (tx, rx) = mpsc::channel::<Result<wire::Job, Status>>(16);
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
                                let _ = tx.send(Err(ApiError::ShuttingDown.into())).await;
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
        Ok(Box::pin(ReceiverStream::new(rx)))
    }
}

/// Versions only move forward: newer update time, or the same millisecond with a different
/// state or attempt count.
fn is_newer(next: &JobRecord, last: &JobRecord) -> bool {
    next.update_time_ms > last.update_time_ms
        || (next.update_time_ms == last.update_time_ms
            && (next.state != last.state || next.attempts != last.attempts))
}

fn job_message(rec: &JobRecord, v: &ValidRequest, trace_ctx: &[(String, String)]) -> JobMessage {
    JobMessage {
        job_id: rec.id.clone(),
        tenant: rec.tenant.clone(),
        content: v.document.content.clone(),
        media_type: v.document.media_type.clone(),
        filename: v.document.filename.clone(),
        charset: v.document.charset.clone(),
        checklist_id: v.checklist_id.clone(),
        content_sha256: v.content_sha256.clone(),
        result_key: v.result_key.clone(),
        create_time_ms: rec.create_time_ms,
        hints: v.hints.encode_to_vec(),
        request_id: v.request_id.clone(),
        labels: v.labels.clone(),
        trace_context: trace_ctx.iter().cloned().collect(),
    }
}

#[tonic::async_trait]
impl wire::report_service_server::ReportService for ReportApi {
    async fn submit_report(
        &self,
        request: Request<wire::SubmitReportRequest>,
    ) -> Result<Response<wire::Job>, Status> {
        let tenant = self.tenant(&request)?;
        let trace = incoming_trace(&request);
        let span = span("SubmitReport", tenant.name());
        fazhi_jobs::trace::set_parent(&span, &trace);
        let job = self
            .inner
            .submit(&tenant, request.into_inner(), &trace)
            .instrument(span)
            .await?;
        Ok(Response::new(job))
    }

    type SubmitReportsStream = BoxStream<wire::Job>;

    async fn submit_reports(
        &self,
        request: Request<Streaming<wire::SubmitReportRequest>>,
    ) -> Result<Response<Self::SubmitReportsStream>, Status> {
        let tenant = self.tenant(&request)?;
        let trace = incoming_trace(&request);
        let mut inbound = request.into_inner();
        let inner = self.inner.clone();
        let (tx, rx) = mpsc::channel::<Result<wire::Job, Status>>(16);
        let span = span("SubmitReports", tenant.name());
        fazhi_jobs::trace::set_parent(&span, &trace);
        tokio::spawn(
            async move {
                loop {
                    let item = tokio::select! {
                        _ = inner.shutdown.cancelled() => {
                            let _ = tx.send(Err(ApiError::ShuttingDown.into())).await;
                            return;
                        }
                        _ = tx.closed() => return,
                        item = inbound.message() => item,
                    };
                    let req = match item {
                        Ok(Some(req)) => req,
                        Ok(None) => return,
                        Err(status) => {
                            tracing::debug!(%status, "inbound stream ended with an error");
                            return;
                        }
                    };
                    let item_span = tracing::info_span!(
                        "item",
                        job_id = Empty,
                        content_sha256 = Empty,
                        trace_id = Empty
                    );
                    let r = inner
                        .submit(&tenant, req, &trace)
                        .instrument(item_span)
                        .await;
                    let failed = r.is_err();
                    if tx.send(r.map_err(Status::from)).await.is_err() || failed {
                        return;
                    }
                }
            }
            .instrument(span),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn get_job(
        &self,
        request: Request<wire::GetJobRequest>,
    ) -> Result<Response<wire::Job>, Status> {
        let tenant = self.tenant(&request)?;
        let id = request.into_inner().id;
        let span = span("GetJob", tenant.name());
        span.record("job_id", id.as_str());
        let rec = self.inner.job_for(&tenant, &id).instrument(span).await?;
        Ok(Response::new(job_to_wire(&rec)))
    }

    type WatchJobStream = BoxStream<wire::Job>;

    async fn watch_job(
        &self,
        request: Request<wire::GetJobRequest>,
    ) -> Result<Response<Self::WatchJobStream>, Status> {
        let tenant = self.tenant(&request)?;
        let id = request.into_inner().id;
        let span = span("WatchJob", tenant.name());
        span.record("job_id", id.as_str());
        let stream = self.inner.watch(&tenant, &id).instrument(span).await?;
        Ok(Response::new(stream))
    }

    async fn list_jobs(
        &self,
        request: Request<wire::ListJobsRequest>,
    ) -> Result<Response<wire::ListJobsResponse>, Status> {
        let tenant = self.tenant(&request)?;
        let span = span("ListJobs", tenant.name());
        let resp = self
            .inner
            .list(&tenant, request.into_inner())
            .instrument(span)
            .await?;
        Ok(Response::new(resp))
    }

    async fn cancel_job(
        &self,
        request: Request<wire::CancelJobRequest>,
    ) -> Result<Response<wire::Job>, Status> {
        let tenant = self.tenant(&request)?;
        let id = request.into_inner().id;
        let span = span("CancelJob", tenant.name());
        span.record("job_id", id.as_str());
        let job = self.inner.cancel(&tenant, &id).instrument(span).await?;
        Ok(Response::new(job))
    }

    async fn get_assessment(
        &self,
        request: Request<wire::GetAssessmentRequest>,
    ) -> Result<Response<wire::Assessment>, Status> {
        let tenant = self.tenant(&request)?;
        let id = request.into_inner().job_id;
        let span = span("GetAssessment", tenant.name());
        span.record("job_id", id.as_str());
        let a = self.inner.assessment(&tenant, &id).instrument(span).await?;
        Ok(Response::new(a))
    }

    async fn assess_report(
        &self,
        request: Request<wire::SubmitReportRequest>,
    ) -> Result<Response<wire::Assessment>, Status> {
        let tenant = self.tenant(&request)?;
        let span = span("AssessReport", tenant.name());
        let a = self
            .inner
            .assess(&tenant, request.into_inner())
            .instrument(span)
            .await?;
        Ok(Response::new(a))
    }

    async fn list_checklists(
        &self,
        request: Request<wire::ListChecklistsRequest>,
    ) -> Result<Response<wire::ListChecklistsResponse>, Status> {
        self.tenant(&request)?;
        let checklists = fazhi_engine::checklist::all()
            .iter()
            .map(fazhi_engine::checklist::to_wire)
            .collect();
        Ok(Response::new(wire::ListChecklistsResponse { checklists }))
    }
}
