//! The job queue: RabbitMQ in production, memory in the embedded default.

use async_trait::async_trait;
use futures::stream::BoxStream;

use crate::model::JobMessage;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// Broker unreachable, channel closed, or the publish was not confirmed.
    #[error("queue unavailable: {0}")]
    Unavailable(String),
    #[error("publish rejected by broker: {0}")]
    Nacked(String),
    #[error("malformed message: {0}")]
    Malformed(String),
}

/// What a worker does with a delivery once it is handled.
#[async_trait]
pub trait Acker: Send + Sync {
    /// Done (result stored or job failed for good).
    async fn ack(&self) -> Result<(), QueueError>;
    /// Give it back for another attempt (transient failure); counts toward the delivery limit.
    async fn retry(&self) -> Result<(), QueueError>;
    /// Give up: dead-letter it.
    async fn reject(&self) -> Result<(), QueueError>;
}

pub struct Delivery {
    pub message: JobMessage,
    /// How many times the broker delivered this message before (0 on the first delivery).
    pub delivery_count: u32,
    pub redelivered: bool,
    /// W3C trace context from the message headers.
    pub trace_context: Vec<(String, String)>,
    pub acker: Box<dyn Acker>,
}

/// A message that exhausted its delivery limit.
pub struct DeadLetter {
    pub message: JobMessage,
    pub reason: String,
    pub acker: Box<dyn Acker>,
}

#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// Publishes persistently and returns only once the broker confirmed it.
    async fn publish(
        &self,
        msg: &JobMessage,
        trace_context: &[(String, String)],
    ) -> Result<(), QueueError>;
    /// Deliveries for a worker, at most `prefetch` unacknowledged at a time.
    async fn consume(&self, prefetch: u16) -> Result<BoxStream<'static, Delivery>, QueueError>;
    /// Messages dead-lettered after the delivery limit, to be marked FAILED.
    async fn consume_dead_letters(&self) -> Result<BoxStream<'static, DeadLetter>, QueueError>;
    /// Ready + unacknowledged messages, for metrics and readiness.
    async fn depth(&self) -> Result<u64, QueueError>;
    async fn ping(&self) -> Result<(), QueueError>;
}
