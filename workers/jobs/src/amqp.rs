//! [`AmqpQueue`]: the job queue on RabbitMQ (3.10 or newer), topology from [`crate::topology`].
//!
//! - Publishing: one dedicated connection and confirm-mode channel, shared by all publishers;
//!   every publish is persistent (`delivery_mode` 2), `mandatory`, and awaits its own
//!   confirm, so `publish` returns `Ok` only once the broker has the message. An unroutable
//!   message (queue missing) is an error, not a silent drop. A broken publish connection is
//!   replaced on the next call.
//! - Consuming: each `consume` / `consume_dead_letters` call owns a separate connection (so
//!   publisher flow control cannot stall consumer acks) with a per-consumer prefetch
//!   (`basic_qos`, global = false). A supervisor task reconnects with exponential backoff
//!   whenever the connection or channel dies, re-declares the topology and resumes consuming:
//!   **the returned stream is continuous across reconnects and only ends when dropped**.
//!   Deliveries received before a reconnect can no longer be acked (their acker errors with
//!   `Unavailable`); the broker redelivers them, so handlers must be idempotent.
//! - Dropping a consume stream cancels the consumer but keeps its channel open until every
//!   outstanding [`Delivery`] acker is dropped, so in-flight jobs can still ack during a
//!   graceful shutdown. [`Subscription::close`] returns once the broker has confirmed the
//!   cancel (`basic.cancel-ok`), so nothing published later is handed to this consumer.
//!
//! lapin's experimental auto-recovery is deliberately not used: our supervisor is simpler to
//! reason about, and recovery semantics (acks on pre-recovery channels fail) are the same.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    BasicRejectOptions, ConfirmSelectOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties};
use prost::Message;
use tokio::sync::{mpsc, oneshot};

use crate::model::JobMessage;
use crate::queue::{Acker, DeadLetter, Delivery, JobQueue, QueueError, Subscription};
use crate::topology::Topology;

/// Timeouts and backoff of [`AmqpQueue`].
#[derive(Debug, Clone)]
pub struct AmqpConfig {
    /// Connect + open channel + declare topology.
    pub connect_timeout: Duration,
    /// Waiting for one publisher confirm.
    pub confirm_timeout: Duration,
    /// First and largest pause between reconnect attempts of a consumer.
    pub min_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for AmqpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            confirm_timeout: Duration::from_secs(10),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// RabbitMQ-backed [`JobQueue`]. Cheap to clone.
#[derive(Clone)]
pub struct AmqpQueue {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    topology: Topology,
    cfg: AmqpConfig,
    publisher: tokio::sync::Mutex<Option<PubConn>>,
}

struct PubConn {
    conn: Connection,
    ch: Channel,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> QueueError {
    QueueError::Unavailable(format!("{what}: {e}"))
}

/// Frame size proposed to the broker when the URL names none (`?frame_max=`). lapin keeps 32
/// frames of read and of write buffer per connection, zero-filled, so RabbitMQ's default
/// 128 KiB frames cost 8 MiB resident per connection, about 40 MiB of an idle worker's five
/// connections. At 32 KiB a 20 KB report still travels in one frame; a large PDF in more.
pub const FRAME_MAX: u32 = 32 * 1024;

/// The broker URL, with [`FRAME_MAX`] unless it names a frame size itself.
fn broker_uri(url: &str) -> Result<lapin::uri::AMQPUri, QueueError> {
    let mut uri: lapin::uri::AMQPUri = url
        .parse()
        .map_err(|e: String| unavailable("broker url", e))?;
    uri.query.frame_max.get_or_insert(FRAME_MAX);
    Ok(uri)
}

impl AmqpQueue {
    /// Connects the publishing side and declares the topology; fails if the broker is
    /// unreachable or the existing queues were declared with different arguments.
    pub async fn connect(url: &str, prefix: &str, delivery_limit: u32) -> Result<Self, QueueError> {
        Self::connect_with(
            url,
            Topology::new(prefix, delivery_limit),
            AmqpConfig::default(),
        )
        .await
    }

    pub async fn connect_with(
        url: &str,
        topology: Topology,
        cfg: AmqpConfig,
    ) -> Result<Self, QueueError> {
        let q = Self {
            inner: Arc::new(Inner {
                url: url.to_string(),
                topology,
                cfg,
                publisher: tokio::sync::Mutex::new(None),
            }),
        };
        q.publish_channel().await?;
        Ok(q)
    }

    pub fn topology(&self) -> &Topology {
        &self.inner.topology
    }

    /// The OCR lane of the same deployment (its own queue, same broker and settings).
    pub async fn ocr_lane(&self) -> Result<Self, QueueError> {
        Self::connect_with(
            &self.inner.url,
            self.inner.topology.ocr_lane(),
            self.inner.cfg.clone(),
        )
        .await
    }

    /// Deletes the queues and exchange of this topology (test teardown).
    pub async fn delete_topology(&self) -> Result<(), QueueError> {
        let ch = self.publish_channel().await?;
        self.inner
            .topology
            .delete(&ch)
            .await
            .map_err(|e| unavailable("delete topology", e))
    }

    /// Deletes this lane's work queue only (test teardown of an OCR lane; the dead-letter
    /// exchange and queue are the deployment's and go with [`Self::delete_topology`]).
    pub async fn delete_queue(&self) -> Result<(), QueueError> {
        let ch = self.publish_channel().await?;
        ch.queue_delete(
            self.inner.topology.jobs_queue().into(),
            lapin::options::QueueDeleteOptions::default(),
        )
        .await
        .map(|_| ())
        .map_err(|e| unavailable("delete queue", e))
    }

    /// Re-declares the topology on the publishing connection (idempotent).
    pub async fn declare_topology(&self) -> Result<(), QueueError> {
        let ch = self.publish_channel().await?;
        self.inner
            .topology
            .declare(&ch)
            .await
            .map_err(|e| unavailable("declare topology", e))
    }

    async fn publish_channel(&self) -> Result<Channel, QueueError> {
        let mut g = self.inner.publisher.lock().await;
        if let Some(p) = g.as_ref()
            && p.conn.status().connected()
            && p.ch.status().connected()
        {
            return Ok(p.ch.clone());
        }
        if let Some(old) = g.take() {
            metrics::counter!("fazhi_broker_reconnects_total").increment(1);
            let _ = tokio::time::timeout(
                Duration::from_secs(1),
                old.conn.close(200, "reconnecting".into()),
            )
            .await;
        }
        let inner = &self.inner;
        let setup = async {
            let (conn, ch) = open_declared(inner, "fazhi-publisher").await?;
            ch.confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(|e| unavailable("confirm.select", e))?;
            Ok::<_, QueueError>(PubConn { conn, ch })
        };
        let p = tokio::time::timeout(inner.cfg.connect_timeout, setup)
            .await
            .map_err(|_| QueueError::Unavailable("broker connect timed out".into()))??;
        let ch = p.ch.clone();
        *g = Some(p);
        Ok(ch)
    }

    async fn drop_publisher(&self) {
        let mut g = self.inner.publisher.lock().await;
        if let Some(p) = g.take() {
            let _ = tokio::time::timeout(Duration::from_secs(1), p.conn.close(200, "reset".into()))
                .await;
        }
    }
}

// === consuming ===

/// Keeps a consumer connection open while deliveries from it are outstanding.
struct ConnGuard {
    conn: Connection,
}

struct AmqpAcker {
    acker: lapin::Acker,
    settled: std::sync::atomic::AtomicBool,
    _guard: Arc<ConnGuard>,
}

impl AmqpAcker {
    fn mark(&self) {
        self.settled
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Drop for AmqpAcker {
    /// A delivery dropped unsettled (a handler bug or panic) would otherwise hold a prefetch
    /// slot until the connection closes: give it back, as the memory queue does.
    fn drop(&mut self) {
        if self.settled.load(std::sync::atomic::Ordering::Relaxed) || !self.acker.usable() {
            return;
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            let acker = self.acker.clone();
            let guard = self._guard.clone();
            rt.spawn(async move {
                let _ = acker.reject(BasicRejectOptions { requeue: true }).await;
                drop(guard);
            });
        }
    }
}

fn settled(r: Result<bool, lapin::Error>, what: &str) -> Result<(), QueueError> {
    match r {
        Ok(true) => Ok(()),
        Ok(false) => Err(QueueError::Unavailable(format!(
            "{what}: channel closed or delivery already settled; the broker redelivers it"
        ))),
        Err(e) => Err(unavailable(what, e)),
    }
}

#[async_trait]
impl Acker for AmqpAcker {
    async fn ack(&self) -> Result<(), QueueError> {
        self.mark();
        settled(self.acker.ack(BasicAckOptions::default()).await, "ack")
    }
    /// `basic.reject` with requeue: counts toward `x-delivery-limit` on every broker version
    /// (a `basic.nack` would not on 4.3+).
    async fn retry(&self) -> Result<(), QueueError> {
        self.mark();
        settled(
            self.acker
                .reject(BasicRejectOptions { requeue: true })
                .await,
            "reject(requeue)",
        )
    }
    /// `basic.reject` without requeue: straight to the dead-letter exchange.
    async fn reject(&self) -> Result<(), QueueError> {
        self.mark();
        settled(
            self.acker
                .reject(BasicRejectOptions { requeue: false })
                .await,
            "reject",
        )
    }
}

fn header_int(v: &AMQPValue) -> Option<i64> {
    match v {
        AMQPValue::ShortShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortInt(n) => Some(i64::from(*n)),
        AMQPValue::ShortUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

fn header_str(v: &AMQPValue) -> Option<String> {
    match v {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

fn headers(props: &BasicProperties) -> Option<&FieldTable> {
    props.headers().as_ref()
}

/// Previous failed deliveries, from the quorum queue's `x-delivery-count` header.
fn delivery_count(props: &BasicProperties) -> u32 {
    headers(props)
        .and_then(|h| h.inner().get("x-delivery-count"))
        .and_then(header_int)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

fn trace_context(props: &BasicProperties) -> Vec<(String, String)> {
    let Some(h) = headers(props) else {
        return Vec::new();
    };
    ["traceparent", "tracestate"]
        .iter()
        .filter_map(|k| {
            h.inner()
                .get(*k)
                .and_then(header_str)
                .map(|v| ((*k).to_string(), v))
        })
        .collect()
}

/// Why the broker dead-lettered a message: `x-first-death-reason`, else the first `x-death`
/// entry's reason (`delivery_limit`, `rejected`, `expired`, `maxlen`).
fn death_reason(props: &BasicProperties) -> String {
    let Some(h) = headers(props) else {
        return "dead-lettered".into();
    };
    if let Some(r) = h.inner().get("x-first-death-reason").and_then(header_str) {
        return r;
    }
    if let Some(AMQPValue::FieldArray(deaths)) = h.inner().get("x-death")
        && let Some(AMQPValue::FieldTable(first)) = deaths.as_slice().first()
        && let Some(r) = first.inner().get("reason").and_then(header_str)
    {
        return r;
    }
    "dead-lettered".into()
}

#[derive(Clone, Copy)]
enum Kind {
    Jobs,
    DeadLetters,
}

enum Out {
    Delivery(mpsc::Sender<Delivery>),
    Dead(mpsc::Sender<DeadLetter>),
}

impl Out {
    async fn closed(&self) {
        match self {
            Out::Delivery(tx) => tx.closed().await,
            Out::Dead(tx) => tx.closed().await,
        }
    }
    fn is_closed(&self) -> bool {
        match self {
            Out::Delivery(tx) => tx.is_closed(),
            Out::Dead(tx) => tx.is_closed(),
        }
    }
}

struct Session {
    guard: Arc<ConnGuard>,
    ch: Channel,
    consumer: lapin::Consumer,
}

/// A fresh connection (named `{name}:{prefix}` for `rabbitmqctl list_connections`) and channel
/// with the topology declared: every (re)connect re-declares, so a broker that lost its
/// definitions gets them back.
async fn open_declared(inner: &Inner, name: &str) -> Result<(Connection, Channel), QueueError> {
    let conn = Connection::connect_uri(
        broker_uri(&inner.url)?,
        ConnectionProperties::default()
            .with_connection_name(format!("{name}:{}", inner.topology.prefix).into()),
    )
    .await
    .map_err(|e| unavailable("connect", e))?;
    let ch = conn
        .create_channel()
        .await
        .map_err(|e| unavailable("open channel", e))?;
    inner
        .topology
        .declare(&ch)
        .await
        .map_err(|e| unavailable("declare topology", e))?;
    Ok((conn, ch))
}

async fn open_session(inner: &Inner, kind: Kind, prefetch: u16) -> Result<Session, QueueError> {
    let setup = async {
        let name = match kind {
            Kind::Jobs if inner.topology.is_ocr_lane() => "fazhi-ocr-consumer",
            Kind::Jobs => "fazhi-consumer",
            Kind::DeadLetters => "fazhi-dead-letter-consumer",
        };
        let (conn, ch) = open_declared(inner, name).await?;
        ch.basic_qos(prefetch.max(1), BasicQosOptions { global: false })
            .await
            .map_err(|e| unavailable("basic.qos", e))?;
        let queue = match kind {
            Kind::Jobs => inner.topology.jobs_queue(),
            Kind::DeadLetters => inner.topology.dead_letter_queue(),
        };
        let consumer = ch
            .basic_consume(
                queue.into(),
                ShortString::from(""),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| unavailable("basic.consume", e))?;
        Ok::<_, QueueError>(Session {
            guard: Arc::new(ConnGuard { conn }),
            ch,
            consumer,
        })
    };
    tokio::time::timeout(inner.cfg.connect_timeout, setup)
        .await
        .map_err(|_| QueueError::Unavailable("broker connect timed out".into()))?
}

/// Forwards one lapin delivery; `false` when the receiving side is gone.
async fn forward(d: lapin::message::Delivery, guard: &Arc<ConnGuard>, out: &Out) -> bool {
    let msg = match JobMessage::decode(d.data.as_slice()) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, "malformed job message; dead-lettering it");
            let r = match out {
                // Malformed on the work queue: to the DLQ. On the DLQ: drop it for good.
                Out::Delivery(_) => d.acker.reject(BasicRejectOptions { requeue: false }).await,
                Out::Dead(_) => d.acker.ack(BasicAckOptions::default()).await,
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "could not settle malformed message");
            }
            return true;
        }
    };
    let acker = Box::new(AmqpAcker {
        acker: d.acker.clone(),
        settled: std::sync::atomic::AtomicBool::new(false),
        _guard: guard.clone(),
    });
    match out {
        Out::Delivery(tx) => tx
            .send(Delivery {
                message: msg,
                delivery_count: delivery_count(&d.properties),
                redelivered: d.redelivered,
                trace_context: trace_context(&d.properties),
                acker,
            })
            .await
            .is_ok(),
        Out::Dead(tx) => tx
            .send(DeadLetter {
                message: msg,
                reason: death_reason(&d.properties),
                acker,
            })
            .await
            .is_ok(),
    }
}

/// Closes a session once no acker refers to it any more (bounded wait).
async fn retire(s: Session, cancel: bool) {
    if cancel {
        let tag = s.consumer.tag();
        let _ = tokio::time::timeout(
            Duration::from_secs(2),
            s.ch.basic_cancel(tag, BasicCancelOptions::default()),
        )
        .await;
    }
    drop(s.consumer);
    let (guard, ch) = (s.guard, s.ch);
    tokio::spawn(async move {
        // Outstanding deliveries keep their channel until acked (graceful drain), at most 1 h.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3600);
        while Arc::strong_count(&guard) > 1 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The channel is closed before its connection: a channel handle dropped while it is
        // open makes lapin close it in the background, and when that close meets the closing
        // connection lapin logs a connection error although nothing failed.
        let bye = || "consumer closed".into();
        let _ = tokio::time::timeout(Duration::from_secs(2), ch.close(200, bye())).await;
        let _ = tokio::time::timeout(Duration::from_secs(2), guard.conn.close(200, bye())).await;
        tracing::debug!(consumer_closed = true, "consumer connection closed");
    });
}

/// The supervisor: (re)connect, consume, forward; on any failure back off and start over.
/// `_cancelled` is dropped when it returns, after the consumer's cancel: that is what
/// [`Subscription::close`] waits for.
async fn supervise(
    inner: Arc<Inner>,
    kind: Kind,
    prefetch: u16,
    out: Out,
    first: Session,
    _cancelled: oneshot::Sender<()>,
) {
    let mut session = Some(first);
    let mut backoff = inner.cfg.min_backoff;
    loop {
        let s = match session.take() {
            Some(s) => s,
            None => {
                if out.is_closed() {
                    return;
                }
                tokio::select! {
                    _ = out.closed() => return,
                    _ = tokio::time::sleep(backoff) => {}
                }
                backoff = (backoff * 2).min(inner.cfg.max_backoff);
                match open_session(&inner, kind, prefetch).await {
                    Ok(s) => {
                        metrics::counter!("fazhi_broker_reconnects_total").increment(1);
                        tracing::info!("broker consumer reconnected");
                        backoff = inner.cfg.min_backoff;
                        s
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "broker consumer reconnect failed");
                        continue;
                    }
                }
            }
        };
        let mut s = s;
        let mut health = tokio::time::interval(Duration::from_secs(1));
        let stop = loop {
            tokio::select! {
                _ = out.closed() => break true,
                d = s.consumer.next() => match d {
                    Some(Ok(d)) => {
                        if !forward(d, &s.guard, &out).await {
                            break true;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "broker consumer failed; reconnecting");
                        break false;
                    }
                    None => {
                        tracing::warn!("broker cancelled the consumer; reconnecting");
                        break false;
                    }
                },
                _ = health.tick() => {
                    if !s.guard.conn.status().connected() || !s.ch.status().connected() {
                        tracing::warn!("broker connection lost; reconnecting");
                        break false;
                    }
                }
            }
        };
        retire(s, stop).await;
        if stop {
            return;
        }
    }
}

#[async_trait]
impl JobQueue for AmqpQueue {
    async fn publish(
        &self,
        msg: &JobMessage,
        trace_context: &[(String, String)],
    ) -> Result<(), QueueError> {
        let ch = self.publish_channel().await?;
        let mut headers = FieldTable::default();
        for (k, v) in trace_context {
            headers.insert(
                ShortString::from(k.as_str()),
                AMQPValue::LongString(LongString::from(v.as_bytes())),
            );
        }
        let props = BasicProperties::default()
            .with_delivery_mode(2)
            .with_content_type("application/x-protobuf".into())
            .with_message_id(msg.job_id.as_str().into())
            .with_headers(headers);
        let payload = msg.encode_to_vec();
        let confirm = ch
            .basic_publish(
                ShortString::from(""),
                self.inner.topology.jobs_queue().into(),
                BasicPublishOptions {
                    mandatory: true,
                    immediate: false,
                },
                &payload,
                props,
            )
            .await;
        let confirm = match confirm {
            Ok(c) => c,
            Err(e) => {
                self.drop_publisher().await;
                return Err(unavailable("publish", e));
            }
        };
        let confirmation = match tokio::time::timeout(self.inner.cfg.confirm_timeout, confirm).await
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.drop_publisher().await;
                return Err(unavailable("publisher confirm", e));
            }
            Err(_) => {
                self.drop_publisher().await;
                return Err(QueueError::Unavailable(
                    "publisher confirm timed out".into(),
                ));
            }
        };
        match confirmation {
            Confirmation::Ack(None) => Ok(()),
            Confirmation::Ack(Some(ret)) => Err(QueueError::Nacked(format!(
                "unroutable: {} {}",
                ret.reply_code, ret.reply_text
            ))),
            Confirmation::Nack(_) => Err(QueueError::Nacked("broker nacked the publish".into())),
            Confirmation::NotRequested => {
                self.drop_publisher().await;
                Err(QueueError::Unavailable(
                    "publisher confirms not enabled".into(),
                ))
            }
        }
    }

    async fn consume(&self, prefetch: u16) -> Result<Subscription<Delivery>, QueueError> {
        let first = open_session(&self.inner, Kind::Jobs, prefetch).await?;
        let (tx, rx) = mpsc::channel(usize::from(prefetch.max(1)));
        let (cancelled_tx, cancelled_rx) = oneshot::channel();
        tokio::spawn(supervise(
            self.inner.clone(),
            Kind::Jobs,
            prefetch,
            Out::Delivery(tx),
            first,
            cancelled_tx,
        ));
        Ok(Subscription::with_cancel(
            tokio_stream::wrappers::ReceiverStream::new(rx).boxed(),
            cancelled_rx,
        ))
    }

    async fn consume_dead_letters(&self) -> Result<Subscription<DeadLetter>, QueueError> {
        let prefetch = 8;
        let first = open_session(&self.inner, Kind::DeadLetters, prefetch).await?;
        let (tx, rx) = mpsc::channel(usize::from(prefetch));
        let (cancelled_tx, cancelled_rx) = oneshot::channel();
        tokio::spawn(supervise(
            self.inner.clone(),
            Kind::DeadLetters,
            prefetch,
            Out::Dead(tx),
            first,
            cancelled_tx,
        ));
        Ok(Subscription::with_cancel(
            tokio_stream::wrappers::ReceiverStream::new(rx).boxed(),
            cancelled_rx,
        ))
    }

    /// Ready messages of the job queue (passive declare; unacked ones are not counted).
    async fn depth(&self) -> Result<u64, QueueError> {
        let ch = self.publish_channel().await?;
        let q = ch
            .queue_declare(
                self.inner.topology.jobs_queue().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await;
        match q {
            Ok(q) => Ok(u64::from(q.message_count())),
            Err(e) => {
                self.drop_publisher().await;
                Err(unavailable("queue.declare(passive)", e))
            }
        }
    }

    async fn ping(&self) -> Result<(), QueueError> {
        self.publish_channel().await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_uri_proposes_the_small_frame_unless_the_url_names_one() {
        let u = broker_uri("amqp://guest:guest@127.0.0.1:5672/%2f").expect("parses");
        assert_eq!(u.query.frame_max, Some(FRAME_MAX));
        assert_eq!(u.vhost, "/");
        let u =
            broker_uri("amqp://127.0.0.1:5672/%2f?frame_max=131072&heartbeat=30").expect("parses");
        assert_eq!(u.query.frame_max, Some(131_072));
        assert_eq!(u.query.heartbeat, Some(30));
        assert!(matches!(
            broker_uri("http://x"),
            Err(QueueError::Unavailable(_))
        ));
    }
}
