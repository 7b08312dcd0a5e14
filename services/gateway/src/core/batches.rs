//! Batches: create, read, list, and the summary and export of their assessed reports. Each
//! assessed job of a batch has a summary row in the store (written by the worker, or here for
//! jobs born from the cache); a succeeded job whose row is missing — its worker died between
//! completing and writing the row — gets it rebuilt from its assessment when summarised.

use std::collections::{BTreeMap, HashMap, HashSet};

use fazhi_collections::{Order, Titles};
use fazhi_jobs::{BatchRecord, JobState, now_ms};
use fazhi_proto::v1 as wire;
use prost::Message as _;

use super::ReportCore;
use crate::auth::Tenant;
use crate::convert::{batch_to_wire, decode_batch_page_token, encode_batch_page_token, new_job_id};
use crate::error::ApiError;

/// Most labels and longest texts a batch takes.
const MAX_LABELS: usize = 64;
const MAX_TEXT: usize = 256;

impl ReportCore {
    pub async fn create_batch(
        &self,
        tenant: &Tenant,
        req: wire::CreateBatchRequest,
    ) -> Result<wire::Batch, ApiError> {
        let name = req.display_name.trim().to_string();
        if name.chars().count() > MAX_TEXT || name.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "INVALID_DISPLAY_NAME",
                "display_name",
                format!("at most {MAX_TEXT} characters, no control characters"),
            ));
        }
        if req.labels.len() > MAX_LABELS
            || req
                .labels
                .iter()
                .any(|(k, v)| k.is_empty() || k.len() > MAX_TEXT || v.len() > MAX_TEXT)
        {
            return Err(ApiError::invalid(
                "INVALID_LABELS",
                "labels",
                format!(
                    "at most {MAX_LABELS} labels, keys non-empty, keys and values ≤ {MAX_TEXT} bytes"
                ),
            ));
        }
        let checklist_id = tenant.0.checklist_for(&req.checklist_id);
        if !checklist_id.is_empty() && fazhi_engine::checklist::get(&checklist_id).is_none() {
            return Err(ApiError::invalid(
                "UNKNOWN_CHECKLIST",
                "checklist_id",
                format!("no checklist {checklist_id:?} (see ListChecklists)"),
            ));
        }
        let rec = BatchRecord {
            id: new_job_id(),
            tenant: tenant.name().to_string(),
            display_name: name,
            create_time_ms: now_ms(),
            labels: req.labels.into_iter().collect(),
            checklist_id,
            total: 0,
            counts: Default::default(),
        };
        self.store(self.store.create_batch(&rec)).await?;
        tracing::info!(batch_id = %rec.id, "batch created");
        Ok(batch_to_wire(&rec))
    }

    pub async fn batch(&self, tenant: &Tenant, id: &str) -> Result<BatchRecord, ApiError> {
        if id.is_empty() || id.len() > 128 {
            return Err(ApiError::BatchNotFound(id.chars().take(128).collect()));
        }
        self.store(self.store.get_batch(tenant.name(), id))
            .await?
            .ok_or_else(|| ApiError::BatchNotFound(id.to_string()))
    }

    pub async fn list_batches(
        &self,
        tenant: &Tenant,
        req: wire::ListBatchesRequest,
    ) -> Result<wire::ListBatchesResponse, ApiError> {
        let page_size = super::page_size(req.page_size)?;
        let inner = decode_batch_page_token(&req.page_token, tenant.name())?;
        let page = self
            .store(self.store.list_batches(tenant.name(), page_size, &inner))
            .await?;
        Ok(wire::ListBatchesResponse {
            batches: page.batches.iter().map(batch_to_wire).collect(),
            next_page_token: page
                .next_page_token
                .filter(|t| !t.is_empty())
                .map(|t| encode_batch_page_token(tenant.name(), &t))
                .unwrap_or_default(),
        })
    }

    /// Ranking and statistics of the batch's assessed reports.
    pub async fn batch_summary(
        &self,
        tenant: &Tenant,
        batch_id: &str,
        order_by: &str,
        level: &str,
    ) -> Result<wire::BatchSummary, ApiError> {
        let order = Order::parse(order_by)
            .map_err(|why| ApiError::invalid("INVALID_ORDER_BY", "order_by", why))?;
        let batch = self.batch(tenant, batch_id).await?;
        let rows = self.batch_rows(&batch).await?;
        Ok(fazhi_collections::summarize(
            batch_to_wire(&batch),
            rows,
            order,
            level.trim(),
        ))
    }

    /// The summary as a CSV or XLSX file: (bytes, media type, file name).
    pub async fn export_batch(
        &self,
        tenant: &Tenant,
        req: &wire::ExportBatchRequest,
    ) -> Result<(Vec<u8>, &'static str, String), ApiError> {
        let summary = self
            .batch_summary(tenant, &req.batch_id, &req.order_by, &req.level)
            .await?;
        let titles = titles_for(&summary.rows);
        match wire::ExportFormat::try_from(req.format) {
            Ok(wire::ExportFormat::Csv) => Ok((
                fazhi_collections::csv(&summary, &titles),
                "text/csv; charset=utf-8",
                format!("fazhi-batch-{}.csv", req.batch_id),
            )),
            Ok(wire::ExportFormat::Xlsx | wire::ExportFormat::Unspecified) => {
                let bytes =
                    tokio::task::spawn_blocking(move || fazhi_collections::xlsx(&summary, &titles))
                        .await
                        .map_err(|e| ApiError::Internal(format!("export task: {e}")))?
                        .map_err(|e| ApiError::Internal(e.to_string()))?;
                Ok((
                    bytes,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    format!("fazhi-batch-{}.xlsx", req.batch_id),
                ))
            }
            Err(_) => Err(ApiError::invalid(
                "INVALID_FORMAT",
                "format",
                "format must be CSV or XLSX",
            )),
        }
    }

    /// Every summary row of the batch, rebuilding the rows of succeeded jobs that have none.
    async fn batch_rows(&self, batch: &BatchRecord) -> Result<Vec<wire::BatchRow>, ApiError> {
        let stored = self.store(self.store.batch_rows(&batch.id)).await?;
        let mut rows = Vec::with_capacity(stored.len());
        let mut have: HashSet<String> = HashSet::with_capacity(stored.len());
        for (job_id, bytes) in stored {
            match wire::BatchRow::decode(bytes.as_slice()) {
                Ok(r) => {
                    have.insert(job_id);
                    rows.push(r);
                }
                Err(e) => tracing::warn!(%job_id, error = %e, "unreadable batch row; rebuilding"),
            }
        }
        if have.len() < batch.counts.succeeded as usize {
            let ids = self.store(self.store.batch_job_ids(&batch.id)).await?;
            for id in ids.into_iter().filter(|id| !have.contains(id)) {
                let Some(job) = self.store(self.store.get(&batch.tenant, &id)).await? else {
                    continue;
                };
                if job.state != JobState::Succeeded {
                    continue;
                }
                let Some(bytes) = self.store(self.store.get_result(&job.result_key)).await? else {
                    continue;
                };
                let Ok(a) = wire::Assessment::decode(bytes.as_slice()) else {
                    continue;
                };
                let row = fazhi_collections::row(&job.id, &a);
                self.store(
                    self.store
                        .put_batch_row(&batch.id, &job.id, &row.encode_to_vec()),
                )
                .await?;
                tracing::info!(job_id = %job.id, "batch row rebuilt from the assessment");
                rows.push(row);
            }
        }
        Ok(rows)
    }

    /// Records the summary row of a job born SUCCEEDED from the cache (its batch, its issuer).
    pub(super) async fn put_rows(&self, rec: &fazhi_jobs::JobRecord, a: &wire::Assessment) {
        let row = fazhi_collections::row(&rec.id, a);
        let issuer = row.issuer.trim().to_string();
        let bytes = row.encode_to_vec();
        if !rec.batch_id.is_empty()
            && let Err(e) = self
                .store(self.store.put_batch_row(&rec.batch_id, &rec.id, &bytes))
                .await
        {
            // Rebuilt at the next summary.
            tracing::warn!(error = %e, "cannot store the batch row");
        }
        if !issuer.is_empty()
            && fazhi_collections::summary::is_report(&row)
            && let Err(e) = self
                .store(
                    self.store
                        .put_issuer_row(&rec.tenant, &issuer, &rec.id, &bytes),
                )
                .await
        {
            tracing::warn!(error = %e, "cannot store the issuer row");
        }
    }

    /// The copied-text check of a job born SUCCEEDED from the cache (the same content may be
    /// another issuer's report, or last year's).
    pub(super) async fn check_copying(&self, rec: &fazhi_jobs::JobRecord, a: &wire::Assessment) {
        let found = tokio::time::timeout(
            self.cfg.store_timeout * 4,
            fazhi_collections::copying::check_and_index(self.store.as_ref(), rec, a),
        )
        .await;
        match found {
            Ok(Ok(Some(overlay))) => {
                if let Err(e) = self
                    .store(self.store.put_overlay(&rec.id, &overlay.encode_to_vec()))
                    .await
                {
                    tracing::warn!(error = %e, "cannot store the similar reports");
                }
            }
            Ok(Ok(None)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "copied-text check failed"),
            Err(_) => tracing::warn!("copied-text check timed out"),
        }
    }

    /// What changed from the base report to this one; both must be the tenant's and assessed.
    pub async fn compare(
        &self,
        tenant: &Tenant,
        base_job_id: &str,
        job_id: &str,
    ) -> Result<wire::AssessmentComparison, ApiError> {
        if base_job_id.trim().is_empty() {
            return Err(ApiError::invalid(
                "MISSING_BASE_JOB",
                "base_job_id",
                "name the earlier report's job in base_job_id",
            ));
        }
        let base = self.assessment(tenant, base_job_id).await?;
        let current = self.assessment(tenant, job_id).await?;
        Ok(fazhi_collections::compare(
            base_job_id,
            &base,
            job_id,
            &current,
        ))
    }

    /// The tenant's assessed reports of one issuer, oldest year first.
    pub async fn issuer_history(
        &self,
        tenant: &Tenant,
        issuer: &str,
    ) -> Result<wire::IssuerHistory, ApiError> {
        let issuer = issuer.trim();
        if issuer.is_empty() || issuer.chars().count() > MAX_TEXT {
            return Err(ApiError::invalid(
                "INVALID_ISSUER",
                "issuer",
                format!("an issuer name of 1 to {MAX_TEXT} characters"),
            ));
        }
        let stored = self
            .store(self.store.issuer_rows(tenant.name(), issuer))
            .await?;
        let mut reports: Vec<wire::BatchRow> = stored
            .into_iter()
            .filter_map(|(_, b)| wire::BatchRow::decode(b.as_slice()).ok())
            .collect();
        // Rows of jobs that expired meanwhile are dropped from the answer.
        let mut live = Vec::with_capacity(reports.len());
        for r in reports.drain(..) {
            if self
                .store(self.store.get(tenant.name(), &r.job_id))
                .await?
                .is_some()
            {
                live.push(r);
            }
        }
        live.sort_by(|a, b| {
            (a.year, &a.published_date, &a.job_id).cmp(&(b.year, &b.published_date, &b.job_id))
        });
        Ok(wire::IssuerHistory {
            issuer: issuer.to_string(),
            reports: live,
        })
    }
}

/// Column titles from the checklist most rows were assessed against.
fn titles_for(rows: &[wire::BatchRow]) -> Titles {
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in rows {
        *votes.entry(r.checklist_id.as_str()).or_default() += 1;
    }
    let by_id: HashMap<&str, &fazhi_engine::checklist::Checklist> = fazhi_engine::checklist::all()
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let best = votes
        .iter()
        .max_by_key(|(_, n)| **n)
        .and_then(|(id, _)| by_id.get(id).copied())
        .or_else(|| fazhi_engine::checklist::all().last());
    best.map(|c| Titles::of(&fazhi_engine::checklist::to_wire(c)))
        .unwrap_or_default()
}
