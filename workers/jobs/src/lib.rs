//! The contract between fazhi's front (gateway) and back (scorer): the job model, the
//! [`JobQueue`] and [`JobStore`] traits, and their implementations.
//!
//! Layout:
//! - [`model`], [`store`], [`queue`]: the contract (types and traits); [`batch`]: batches.
//! - [`memory`]: in-process store and queue for the embedded single-process default.
//! - [`redis_store`]: [`RedisStore`], job state and results in Redis.
//! - [`topology`]: the RabbitMQ topology (queue, dead-letter exchange and queue), in one place.
//! - [`amqp`]: [`AmqpQueue`], the RabbitMQ job queue with confirms and supervised reconnects.
//! - [`reconcile`]: re-publishing QUEUED jobs whose message may never have reached the broker.
//! - [`trace`]: W3C trace context in message headers (OpenTelemetry propagation).

pub mod amqp;
pub mod batch;
pub mod memory;
pub mod model;
mod page_token;
pub mod queue;
pub mod reconcile;
pub mod redis_store;
pub mod store;
pub mod stored_result;
pub mod topology;
pub mod trace;
mod watch;

use std::time::Duration;

pub use amqp::AmqpQueue;
pub use batch::{BatchCounts, BatchPage, BatchRecord};
pub use memory::{MemoryQueue, MemoryStore};
pub use model::{DeliveryState, JobMessage, JobRecord, JobState, Progress, Webhook, now_ms};
pub use queue::{Acker, DeadLetter, Delivery, JobQueue, QueueError, Subscription};
pub use reconcile::reconcile_orphans;
pub use redis_store::{RedisStore, RedisStoreConfig};
pub use store::{
    Completion, CreateOutcome, JobStore, Page, SIMILAR_BUCKET_CAP, SimilarityEntry, StoreError,
    Transition,
};
pub use topology::Topology;

/// Failed deliveries allowed before the broker dead-letters a job (`x-delivery-limit`).
pub const DEFAULT_DELIVERY_LIMIT: u32 = 5;

/// `list` page size used when the caller asks for 0 (the API's ListJobs default).
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest `list` page; larger requests are coerced down (AIP-158). The API's limit: the
/// gateway clamps with [`clamp_page_size`] too.
pub const MAX_PAGE_SIZE: usize = 500;

/// The page size a `list` call uses for a requested size.
pub fn clamp_page_size(n: usize) -> usize {
    if n == 0 {
        DEFAULT_PAGE_SIZE
    } else {
        n.min(MAX_PAGE_SIZE)
    }
}

/// How long stores keep things. Jobs (and request-id claims) expire `job_ttl` after their last
/// update; assessments, being content-addressed and shareable, live longer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreTtls {
    pub job_ttl: Duration,
    pub result_ttl: Duration,
}

impl Default for StoreTtls {
    fn default() -> Self {
        Self {
            job_ttl: Duration::from_secs(7 * 24 * 3600),
            result_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}
