//! The job queue: RabbitMQ in production, memory in the embedded default.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use futures::Stream;
use futures::stream::BoxStream;
use tokio::sync::oneshot;

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
    async fn consume(&self, prefetch: u16) -> Result<Subscription<Delivery>, QueueError>;
    /// Messages dead-lettered after the delivery limit, to be marked FAILED.
    async fn consume_dead_letters(&self) -> Result<Subscription<DeadLetter>, QueueError>;
    /// Ready + unacknowledged messages, for metrics and readiness.
    async fn depth(&self) -> Result<u64, QueueError>;
    async fn ping(&self) -> Result<(), QueueError>;
}

/// A consumer's stream of deliveries. Dropping it stops the consumer eventually; [`close`]
/// waits until the broker has taken the consumer off the queue, so that a message published
/// afterwards goes to another consumer and is not handed to this one only to come back with
/// a delivery counted against its limit.
///
/// [`close`]: Subscription::close
pub struct Subscription<T> {
    items: BoxStream<'static, T>,
    /// Resolves (sender dropped) once the consumer is cancelled at the broker.
    cancelled: Option<oneshot::Receiver<()>>,
}

/// How long [`Subscription::close`] waits for the broker at most.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

impl<T> Subscription<T> {
    /// A subscription with nothing to wait for on close (the memory queue).
    pub fn new(items: BoxStream<'static, T>) -> Self {
        Self {
            items,
            cancelled: None,
        }
    }

    /// A subscription whose consumer is cancelled when `cancelled`'s sender is dropped.
    pub fn with_cancel(items: BoxStream<'static, T>, cancelled: oneshot::Receiver<()>) -> Self {
        Self {
            items,
            cancelled: Some(cancelled),
        }
    }

    /// Stops taking deliveries and returns once the consumer is cancelled (bounded wait).
    /// Deliveries already handed out stay ackable.
    pub async fn close(self) {
        let Self { items, cancelled } = self;
        drop(items);
        if let Some(rx) = cancelled
            && tokio::time::timeout(CLOSE_WAIT, rx).await.is_err()
        {
            tracing::warn!("consumer not cancelled in time; closing anyway");
        }
    }
}

impl<T> Stream for Subscription<T> {
    type Item = T;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.items.as_mut().poll_next(cx)
    }
}
