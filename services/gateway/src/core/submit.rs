//! Admission of a submission: validation, tenant limits, request-id claims, dedup against the
//! result cache, the job record, then publishing with confirm before the answer; and the replay
//! of an earlier submission with the same request id.

use fazhi_jobs::{CreateOutcome, JobMessage, JobRecord, JobState, Transition, now_ms};
use std::time::Duration;

use fazhi_proto::v1 as wire;
use prost::Message as _;

use super::ReportCore;
use crate::auth::Tenant;
use crate::convert::{job_to_wire, new_job_id, outgoing_trace};
use crate::error::ApiError;
use crate::validate::{ValidRequest, validate};

const ERROR_PUBLISH_FAILED: &str = "PUBLISH_FAILED";

impl ReportCore {
    pub async fn submit(
        &self,
        tenant: &Tenant,
        req: wire::SubmitReportRequest,
        incoming_trace: &[(String, String)],
    ) -> Result<wire::Job, ApiError> {
        let notify_url = self.webhook_url(tenant, &req.notify_url)?;
        let mut req = req;
        let batch_id = req.batch_id.trim().to_string();
        if !batch_id.is_empty() {
            let batch = self.batch(tenant, &batch_id).await?;
            if req.checklist_id.trim().is_empty() {
                req.checklist_id = batch.checklist_id;
            }
        }
        req.checklist_id = tenant.0.checklist_for(&req.checklist_id);
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
            checklist_id: v.input.checklist_id.clone().unwrap_or_default(),
            deduplicated: false,
            request_id: v.request_id.clone(),
            labels: v.labels.clone(),
            webhook: notify_url.map(fazhi_jobs::Webhook::pending),
            batch_id,
            progress: None,
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
                        rec.checklist_id = a.checklist_id.clone();
                    }
                    return match self.store(self.store.create(&rec)).await? {
                        CreateOutcome::Created => {
                            self.put_rows(&rec, &a).await;
                            self.check_copying(&rec, &a).await;
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
}

fn job_message(rec: &JobRecord, v: &ValidRequest, trace_ctx: &[(String, String)]) -> JobMessage {
    JobMessage {
        job_id: rec.id.clone(),
        tenant: rec.tenant.clone(),
        content: v.content.clone(),
        media_type: v.input.media_type.clone(),
        filename: v.input.filename.clone(),
        charset: v.input.charset.clone(),
        checklist_id: v.input.checklist_id.clone().unwrap_or_default(),
        content_sha256: v.content_sha256.clone(),
        result_key: v.result_key.clone(),
        create_time_ms: rec.create_time_ms,
        hints: v.input.wire_hints().encode_to_vec(),
        request_id: v.request_id.clone(),
        labels: v.labels.clone(),
        trace_context: trace_ctx.iter().cloned().collect(),
        notify_url: rec
            .webhook
            .as_ref()
            .map(|w| w.url.clone())
            .unwrap_or_default(),
        batch_id: rec.batch_id.clone(),
    }
}
