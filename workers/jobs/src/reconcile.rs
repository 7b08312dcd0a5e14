//! Orphan reconciliation: the gateway writes a job QUEUED before publishing it, so a crash (or a
//! broker outage) between the two leaves a QUEUED job that no message will ever run. The store
//! keeps the encoded message of every non-terminal job
//! ([`JobStore::create_with_message`]), so such jobs can be re-published. A duplicate message
//! (the original did arrive, the job is merely slow to start) is harmless: workers treat a
//! delivery for a job that is no longer QUEUED as a no-op.

use std::time::Duration;

use crate::model::JobState;
use crate::queue::JobQueue;
use crate::store::{JobStore, StoreError, Transition};

/// What one reconciliation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Messages re-published.
    pub republished: usize,
    /// Stale QUEUED jobs with no kept message (created with plain `create`): left alone, since
    /// their message may still be waiting in a long broker backlog.
    pub unrecoverable: usize,
    /// Re-publish attempts that failed (broker down); retried on the next pass.
    pub publish_errors: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Re-publishes up to `limit` QUEUED jobs not updated for `older_than`. Each re-published job
/// gets its update time bumped (a QUEUED→QUEUED transition) so it is not re-published again
/// on the next pass unless it stays stuck for another `older_than`. Pick `older_than` well
/// above the expected queue wait: under a backlog longer than that, jobs are published twice
/// (harmless, but extra load).
pub async fn reconcile_orphans(
    store: &dyn JobStore,
    queue: &dyn JobQueue,
    older_than: Duration,
    limit: usize,
) -> Result<ReconcileReport, ReconcileError> {
    let mut report = ReconcileReport::default();
    for job in store.stale_queued(older_than, limit).await? {
        match store.pending_message(&job.id).await? {
            Some(msg) => {
                // The submission's trace context goes back into the headers: same trace.
                let trace: Vec<(String, String)> = msg.trace_context.clone().into_iter().collect();
                if let Err(err) = queue.publish(&msg, &trace).await {
                    tracing::warn!(job_id = %job.id, %err, "re-publish of orphaned job failed");
                    report.publish_errors += 1;
                    continue;
                }
                let bumped = store
                    .transition(
                        &job.id,
                        Transition {
                            from: &[JobState::Queued],
                            to: JobState::Queued,
                            error_code: None,
                            error_message: None,
                            bump_attempts: false,
                            checklist_id: None,
                        },
                    )
                    .await?;
                if bumped.is_some() {
                    tracing::info!(job_id = %job.id, "re-published orphaned job");
                    metrics::counter!("fazhi_jobs_republished_total").increment(1);
                    report.republished += 1;
                }
            }
            None => {
                tracing::warn!(job_id = %job.id, "stale QUEUED job has no kept message; cannot re-publish");
                report.unrecoverable += 1;
            }
        }
    }
    Ok(report)
}
