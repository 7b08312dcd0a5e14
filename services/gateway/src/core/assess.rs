//! The synchronous path: a cached result if there is one, else the engine on a bounded
//! blocking pool with a timeout, panics contained; the result is cached for later submissions,
//! then the tenant's similar reports are added (never to the shared cache).

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use fazhi_proto::v1 as wire;
use prost::Message as _;

use super::ReportCore;
use crate::auth::Tenant;
use crate::error::ApiError;
use crate::validate::{ValidRequest, validate};

impl ReportCore {
    pub async fn assess(
        &self,
        tenant: &Tenant,
        mut req: wire::SubmitReportRequest,
    ) -> Result<wire::Assessment, ApiError> {
        req.checklist_id = tenant.0.checklist_for(&req.checklist_id);
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
                    return Ok(self.with_similar(tenant, &v, a).await);
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
                fazhi_engine::assess_hashed(&job.submission(), &job.content_sha256, &limits)
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
        Ok(self.with_similar(tenant, &v, assessment).await)
    }

    /// The tenant's similar reports added to a synchronous assessment (compared with the index,
    /// not added to it: there is no job to point to). Best effort, as the cache is: a store
    /// that is down or slow costs the listing, not the assessment.
    async fn with_similar(
        &self,
        tenant: &Tenant,
        v: &ValidRequest,
        mut a: wire::Assessment,
    ) -> wire::Assessment {
        let found = tokio::time::timeout(
            self.cfg.store_timeout * 4,
            fazhi_collections::copying::check(
                self.store.as_ref(),
                tenant.name(),
                &v.content_sha256,
                &a,
            ),
        )
        .await;
        match found {
            Ok(Ok(Some(overlay))) => {
                a.similar_reports.extend(overlay.similar_reports);
                a.findings.extend(overlay.findings);
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "copied-text check failed"),
            Err(_) => tracing::warn!("copied-text check timed out"),
        }
        a
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
}
