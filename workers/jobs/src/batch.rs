//! Batches: a tenant's collection of jobs judged together. The store keeps each batch's counts by
//! state in the same atomic step as every job's state change (a job is counted once, in its
//! current state, whatever the redeliveries), and a compact summary row per assessed job so a
//! batch of 10,000 is summarised without reading 10,000 assessments.

use std::collections::BTreeMap;

use crate::model::JobState;

/// Jobs of a batch by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub queued: u32,
    pub running: u32,
    pub succeeded: u32,
    pub failed: u32,
    pub cancelled: u32,
}

impl BatchCounts {
    pub fn get_mut(&mut self, s: JobState) -> &mut u32 {
        match s {
            JobState::Queued => &mut self.queued,
            JobState::Running => &mut self.running,
            JobState::Succeeded => &mut self.succeeded,
            JobState::Failed => &mut self.failed,
            JobState::Cancelled => &mut self.cancelled,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchRecord {
    /// Unguessable, like job ids.
    pub id: String,
    pub tenant: String,
    pub display_name: String,
    pub create_time_ms: i64,
    pub labels: BTreeMap<String, String>,
    /// Checklist for submissions that name none ("" = by report year).
    pub checklist_id: String,
    /// Jobs submitted into the batch.
    pub total: u32,
    pub counts: BatchCounts,
}

/// A page of batches, newest first.
#[derive(Debug, Clone)]
pub struct BatchPage {
    pub batches: Vec<BatchRecord>,
    pub next_page_token: Option<String>,
}
