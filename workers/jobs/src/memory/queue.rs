//! In-process [`JobQueue`] for the embedded default, with broker semantics: delivery counts and
//! a delivery limit, a dead-letter stream, a prefetch bound.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::model::JobMessage;
use crate::queue::{Acker, DeadLetter, Delivery, JobQueue, QueueError, Subscription};

/// In-process job queue with broker-like delivery semantics: a message given back with
/// `retry` (or dropped unsettled, as on a lost channel) is redelivered with its delivery count
/// bumped until the count exceeds `delivery_limit`, then it goes to the dead-letter stream.
#[derive(Clone)]
pub struct MemoryQueue {
    inner: Arc<QueueInner>,
}

struct Envelope {
    msg: JobMessage,
    trace: Vec<(String, String)>,
    delivery_count: u32,
    redelivered: bool,
}

struct QueueInner {
    delivery_limit: u32,
    ready_tx: mpsc::UnboundedSender<Envelope>,
    ready_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Envelope>>,
    /// Shared with the OCR lane: one dead-letter stream per deployment, as on the broker.
    dead_tx: mpsc::UnboundedSender<(JobMessage, String)>,
    dead_rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(JobMessage, String)>>>,
    /// Ready + unacknowledged.
    depth: AtomicU64,
}

impl QueueInner {
    fn requeue(&self, mut env: Envelope) {
        env.delivery_count += 1;
        env.redelivered = true;
        if env.delivery_count > self.delivery_limit {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            let _ = self.dead_tx.send((env.msg, "delivery_limit".into()));
        } else {
            let _ = self.ready_tx.send(env);
        }
    }
}

impl MemoryQueue {
    /// `delivery_limit`: failed deliveries allowed before dead-lettering (as `x-delivery-limit`).
    pub fn new(delivery_limit: u32) -> Self {
        let (dead_tx, dead_rx) = mpsc::unbounded_channel();
        Self::with_dead_letters(
            delivery_limit,
            dead_tx,
            Arc::new(tokio::sync::Mutex::new(dead_rx)),
        )
    }

    fn with_dead_letters(
        delivery_limit: u32,
        dead_tx: mpsc::UnboundedSender<(JobMessage, String)>,
        dead_rx: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<(JobMessage, String)>>>,
    ) -> Self {
        let (ready_tx, ready_rx) = mpsc::unbounded_channel();
        Self {
            inner: Arc::new(QueueInner {
                delivery_limit,
                ready_tx,
                ready_rx: tokio::sync::Mutex::new(ready_rx),
                dead_tx,
                dead_rx,
                depth: AtomicU64::new(0),
            }),
        }
    }

    /// A second queue for the OCR lane, dead-lettering into this queue's dead-letter stream.
    pub fn ocr_lane(&self) -> Self {
        Self::with_dead_letters(
            self.inner.delivery_limit,
            self.inner.dead_tx.clone(),
            self.inner.dead_rx.clone(),
        )
    }
}

impl Default for MemoryQueue {
    fn default() -> Self {
        Self::new(crate::DEFAULT_DELIVERY_LIMIT)
    }
}

struct MemAcker {
    inner: Arc<QueueInner>,
    env: Mutex<Option<Envelope>>,
    /// The consumer's prefetch slot, freed as soon as the delivery is settled.
    permit: Mutex<Option<OwnedSemaphorePermit>>,
}

impl MemAcker {
    fn take(&self) -> Result<Envelope, QueueError> {
        let env = self
            .env
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| QueueError::Unavailable("delivery already settled".into()))?;
        self.permit.lock().unwrap_or_else(|e| e.into_inner()).take();
        Ok(env)
    }
}

#[async_trait]
impl Acker for MemAcker {
    async fn ack(&self) -> Result<(), QueueError> {
        self.take()?;
        self.inner.depth.fetch_sub(1, Ordering::Relaxed);
        Ok(())
    }
    async fn retry(&self) -> Result<(), QueueError> {
        let env = self.take()?;
        self.inner.requeue(env);
        Ok(())
    }
    async fn reject(&self) -> Result<(), QueueError> {
        let env = self.take()?;
        self.inner.depth.fetch_sub(1, Ordering::Relaxed);
        let _ = self.inner.dead_tx.send((env.msg, "rejected".into()));
        Ok(())
    }
}

impl Drop for MemAcker {
    /// An unsettled delivery goes back to the queue, like one on a closed AMQP channel.
    fn drop(&mut self) {
        let env = self.env.get_mut().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(env) = env {
            self.inner.requeue(env);
        }
    }
}

struct DeadAcker {
    inner: Arc<QueueInner>,
    item: Mutex<Option<(JobMessage, String)>>,
    settled: AtomicBool,
}

#[async_trait]
impl Acker for DeadAcker {
    async fn ack(&self) -> Result<(), QueueError> {
        self.settled.store(true, Ordering::Relaxed);
        Ok(())
    }
    async fn retry(&self) -> Result<(), QueueError> {
        self.settled.store(true, Ordering::Relaxed);
        let item = self.item.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(item) = item {
            let _ = self.inner.dead_tx.send(item);
        }
        Ok(())
    }
    async fn reject(&self) -> Result<(), QueueError> {
        self.settled.store(true, Ordering::Relaxed);
        Ok(())
    }
}

impl Drop for DeadAcker {
    fn drop(&mut self) {
        if !self.settled.load(Ordering::Relaxed)
            && let Some(item) = self
                .item
                .get_mut()
                .unwrap_or_else(|e| e.into_inner())
                .take()
        {
            let _ = self.inner.dead_tx.send(item);
        }
    }
}

#[async_trait]
impl JobQueue for MemoryQueue {
    async fn publish(
        &self,
        msg: &JobMessage,
        trace_context: &[(String, String)],
    ) -> Result<(), QueueError> {
        self.inner.depth.fetch_add(1, Ordering::Relaxed);
        self.inner
            .ready_tx
            .send(Envelope {
                msg: msg.clone(),
                trace: trace_context.to_vec(),
                delivery_count: 0,
                redelivered: false,
            })
            .map_err(|_| QueueError::Unavailable("queue closed".into()))
    }

    async fn consume(&self, prefetch: u16) -> Result<Subscription<Delivery>, QueueError> {
        let permits = Arc::new(Semaphore::new(usize::from(prefetch.max(1))));
        let inner = self.inner.clone();
        Ok(Subscription::new(
            stream::unfold((inner, permits), |(inner, permits)| async move {
                let permit = permits.clone().acquire_owned().await.ok()?;
                let env = inner.ready_rx.lock().await.recv().await?;
                let delivery = Delivery {
                    message: env.msg.clone(),
                    delivery_count: env.delivery_count,
                    redelivered: env.redelivered,
                    trace_context: env.trace.clone(),
                    acker: Box::new(MemAcker {
                        inner: inner.clone(),
                        env: Mutex::new(Some(env)),
                        permit: Mutex::new(Some(permit)),
                    }),
                };
                Some((delivery, (inner, permits)))
            })
            .boxed(),
        ))
    }

    async fn consume_dead_letters(&self) -> Result<Subscription<DeadLetter>, QueueError> {
        let inner = self.inner.clone();
        Ok(Subscription::new(
            stream::unfold(inner, |inner| async move {
                let (message, reason) = inner.dead_rx.lock().await.recv().await?;
                let dl = DeadLetter {
                    message: message.clone(),
                    reason: reason.clone(),
                    acker: Box::new(DeadAcker {
                        inner: inner.clone(),
                        item: Mutex::new(Some((message, reason))),
                        settled: AtomicBool::new(false),
                    }),
                };
                Some((dl, inner))
            })
            .boxed(),
        ))
    }

    async fn depth(&self) -> Result<u64, QueueError> {
        Ok(self.inner.depth.load(Ordering::Relaxed))
    }

    async fn ping(&self) -> Result<(), QueueError> {
        Ok(())
    }
}
