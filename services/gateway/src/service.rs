//! `fazhi.v1.ReportService` over gRPC: a thin adapter over the [`ReportCore`]. Each handler takes
//! the tenant (from [`AuthInterceptor`] via the request extensions), opens the rpc span with the
//! client's trace context, calls the core and maps [`ApiError`] → `Status` ([`crate::error`]).
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

use std::pin::Pin;
use std::sync::Arc;

use fazhi_jobs::{JobQueue, JobStore};
use fazhi_proto::v1 as wire;
use futures::{Stream, StreamExt};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, field::Empty};

use crate::auth::{Authenticator, Tenant};
use crate::config::GatewayConfig;
use crate::convert::job_to_wire;
use crate::core::ReportCore;
use crate::error::ApiError;

/// Bytes per ExportBatch message, well under the default 4 MiB client limit.
const EXPORT_CHUNK: usize = 256 * 1024;

type BoxStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The `ReportService` gRPC adapter over the [`ReportCore`]. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct ReportApi {
    core: Arc<ReportCore>,
}

impl ReportApi {
    pub fn new(
        cfg: GatewayConfig,
        store: Arc<dyn JobStore>,
        queue: Arc<dyn JobQueue>,
        auth: Arc<Authenticator>,
        shutdown: CancellationToken,
    ) -> Self {
        Self::over(Arc::new(ReportCore::new(cfg, store, queue, auth, shutdown)))
    }

    /// The adapter over an existing core (shared with other transports).
    pub fn over(core: Arc<ReportCore>) -> Self {
        Self { core }
    }

    /// The tenant the interceptor attached, or (when the service is mounted without the
    /// interceptor) one authenticated here, so the service is never accidentally open.
    fn tenant<T>(&self, req: &Request<T>) -> Result<Tenant, ApiError> {
        match req.extensions().get::<Tenant>() {
            Some(t) => Ok(t.clone()),
            None => self.core.auth().authenticate(req.metadata()),
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
            .core
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
        let core = self.core.clone();
        let (tx, rx) = mpsc::channel::<Result<wire::Job, Status>>(16);
        let span = span("SubmitReports", tenant.name());
        fazhi_jobs::trace::set_parent(&span, &trace);
        tokio::spawn(
            async move {
                loop {
                    let item = tokio::select! {
                        _ = core.shutdown().cancelled() => {
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
                    let r = core
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
        let rec = self.core.get(&tenant, &id).instrument(span).await?;
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
        let stream = self.core.watch(&tenant, &id).instrument(span).await?;
        Ok(Response::new(Box::pin(
            stream.map(|r| r.map_err(Status::from)),
        )))
    }

    async fn list_jobs(
        &self,
        request: Request<wire::ListJobsRequest>,
    ) -> Result<Response<wire::ListJobsResponse>, Status> {
        let tenant = self.tenant(&request)?;
        let span = span("ListJobs", tenant.name());
        let resp = self
            .core
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
        let job = self.core.cancel(&tenant, &id).instrument(span).await?;
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
        let a = self.core.assessment(&tenant, &id).instrument(span).await?;
        Ok(Response::new(a))
    }

    async fn assess_report(
        &self,
        request: Request<wire::SubmitReportRequest>,
    ) -> Result<Response<wire::Assessment>, Status> {
        let tenant = self.tenant(&request)?;
        let span = span("AssessReport", tenant.name());
        let a = self
            .core
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
        Ok(Response::new(self.core.checklists()))
    }

    async fn create_batch(
        &self,
        request: Request<wire::CreateBatchRequest>,
    ) -> Result<Response<wire::Batch>, Status> {
        let tenant = self.tenant(&request)?;
        let span = span("CreateBatch", tenant.name());
        let b = self
            .core
            .create_batch(&tenant, request.into_inner())
            .instrument(span)
            .await?;
        Ok(Response::new(b))
    }

    async fn get_batch(
        &self,
        request: Request<wire::GetBatchRequest>,
    ) -> Result<Response<wire::Batch>, Status> {
        let tenant = self.tenant(&request)?;
        let id = request.into_inner().id;
        let span = span("GetBatch", tenant.name());
        let b = self.core.batch(&tenant, &id).instrument(span).await?;
        Ok(Response::new(crate::convert::batch_to_wire(&b)))
    }

    async fn list_batches(
        &self,
        request: Request<wire::ListBatchesRequest>,
    ) -> Result<Response<wire::ListBatchesResponse>, Status> {
        let tenant = self.tenant(&request)?;
        let span = span("ListBatches", tenant.name());
        let r = self
            .core
            .list_batches(&tenant, request.into_inner())
            .instrument(span)
            .await?;
        Ok(Response::new(r))
    }

    async fn get_batch_summary(
        &self,
        request: Request<wire::GetBatchSummaryRequest>,
    ) -> Result<Response<wire::BatchSummary>, Status> {
        let tenant = self.tenant(&request)?;
        let req = request.into_inner();
        let span = span("GetBatchSummary", tenant.name());
        let s = self
            .core
            .batch_summary(&tenant, &req.batch_id, &req.order_by, &req.level)
            .instrument(span)
            .await?;
        Ok(Response::new(s))
    }

    type ExportBatchStream = BoxStream<wire::ExportChunk>;

    async fn export_batch(
        &self,
        request: Request<wire::ExportBatchRequest>,
    ) -> Result<Response<Self::ExportBatchStream>, Status> {
        let tenant = self.tenant(&request)?;
        let req = request.into_inner();
        let span = span("ExportBatch", tenant.name());
        let (bytes, media_type, filename) = self
            .core
            .export_batch(&tenant, &req)
            .instrument(span)
            .await?;
        let mut chunks: Vec<Result<wire::ExportChunk, Status>> = bytes
            .chunks(EXPORT_CHUNK)
            .map(|c| {
                Ok(wire::ExportChunk {
                    data: c.to_vec(),
                    ..Default::default()
                })
            })
            .collect();
        if chunks.is_empty() {
            chunks.push(Ok(wire::ExportChunk::default()));
        }
        if let Some(Ok(first)) = chunks.first_mut() {
            first.media_type = media_type.to_string();
            first.filename = filename;
        }
        Ok(Response::new(Box::pin(futures::stream::iter(chunks))))
    }

    async fn compare_assessments(
        &self,
        request: Request<wire::CompareAssessmentsRequest>,
    ) -> Result<Response<wire::AssessmentComparison>, Status> {
        let tenant = self.tenant(&request)?;
        let req = request.into_inner();
        let span = span("CompareAssessments", tenant.name());
        span.record("job_id", req.job_id.as_str());
        let c = self
            .core
            .compare(&tenant, &req.base_job_id, &req.job_id)
            .instrument(span)
            .await?;
        Ok(Response::new(c))
    }

    async fn get_issuer_history(
        &self,
        request: Request<wire::GetIssuerHistoryRequest>,
    ) -> Result<Response<wire::IssuerHistory>, Status> {
        let tenant = self.tenant(&request)?;
        let issuer = request.into_inner().issuer;
        let span = span("GetIssuerHistory", tenant.name());
        let h = self
            .core
            .issuer_history(&tenant, &issuer)
            .instrument(span)
            .await?;
        Ok(Response::new(h))
    }
}
