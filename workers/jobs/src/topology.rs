//! The RabbitMQ topology, in one place, declared idempotently by every gateway and worker at
//! startup and after every reconnect:
//!
//! ```text
//! publish ── default exchange, routing key {prefix}jobs ──▶ {prefix}jobs
//!              quorum, durable, x-delivery-limit = N, x-dead-letter-exchange = {prefix}dlx
//!                   │ rejected without requeue, or returned more than N times
//!                   ▼
//!              {prefix}dlx (direct, durable) ── key {prefix}jobs.dead ──▶ {prefix}jobs.dead
//!                                                                   (quorum, durable)
//!
//! {prefix}jobs.ocr — the OCR lane: scans a worker found in {prefix}jobs, forwarded here so
//!              their minutes of recognition never hold the text jobs' prefetch or cores;
//!              same arguments, same dead-letter exchange and queue.
//! ```
//!
//! Everything is declared with explicit arguments (not policies) because the local broker is
//! RabbitMQ 3.10, which has no default delivery limit; the same arguments behave the same on
//! 4.x. Redeclaring with different arguments fails with PRECONDITION_FAILED, so changing the
//! delivery limit of an existing deployment needs a new prefix or a queue migration.

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Channel, ExchangeKind};

/// Names and arguments of the job queue, its dead-letter exchange and dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Prepended to every name (default `fazhi.`); tests use a unique one per run.
    pub prefix: String,
    /// Failed deliveries allowed before the broker dead-letters a message.
    pub delivery_limit: u32,
    /// The OCR lane: the work queue is `{prefix}jobs.ocr` instead of `{prefix}jobs`.
    pub ocr: bool,
}

impl Topology {
    pub fn new(prefix: impl Into<String>, delivery_limit: u32) -> Self {
        Self {
            prefix: prefix.into(),
            delivery_limit,
            ocr: false,
        }
    }

    /// The same deployment's OCR lane.
    pub fn ocr_lane(&self) -> Self {
        Self {
            ocr: true,
            ..self.clone()
        }
    }

    /// The work queue; also the routing key on the default exchange.
    pub fn jobs_queue(&self) -> String {
        if self.ocr {
            format!("{}jobs.ocr", self.prefix)
        } else {
            format!("{}jobs", self.prefix)
        }
    }
    pub fn dead_letter_exchange(&self) -> String {
        format!("{}dlx", self.prefix)
    }
    /// The dead-letter queue; also its binding key on the DLX.
    pub fn dead_letter_queue(&self) -> String {
        format!("{}jobs.dead", self.prefix)
    }
    /// Whether this is the OCR lane (named so in broker connection names).
    pub fn is_ocr_lane(&self) -> bool {
        self.ocr
    }

    fn quorum_args() -> FieldTable {
        let mut t = FieldTable::default();
        t.insert(
            ShortString::from("x-queue-type"),
            AMQPValue::LongString(LongString::from("quorum")),
        );
        t
    }

    fn jobs_args(&self) -> FieldTable {
        let mut t = Self::quorum_args();
        t.insert(
            "x-delivery-limit".into(),
            AMQPValue::LongLongInt(i64::from(self.delivery_limit)),
        );
        t.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString(self.dead_letter_exchange().into()),
        );
        t.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(self.dead_letter_queue().into()),
        );
        t
    }

    /// Declares (or confirms) everything. Idempotent.
    pub async fn declare(&self, ch: &Channel) -> Result<(), lapin::Error> {
        ch.exchange_declare(
            self.dead_letter_exchange().into(),
            ExchangeKind::Direct,
            ExchangeDeclareOptions {
                durable: true,
                ..ExchangeDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
        ch.queue_declare(
            self.dead_letter_queue().into(),
            QueueDeclareOptions::durable(),
            Self::quorum_args(),
        )
        .await?;
        ch.queue_bind(
            self.dead_letter_queue().into(),
            self.dead_letter_exchange().into(),
            self.dead_letter_queue().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
        ch.queue_declare(
            self.jobs_queue().into(),
            QueueDeclareOptions::durable(),
            self.jobs_args(),
        )
        .await?;
        Ok(())
    }

    /// Deletes the queues and the exchange (test teardown). Messages in them are lost.
    pub async fn delete(&self, ch: &Channel) -> Result<(), lapin::Error> {
        ch.queue_delete(self.jobs_queue().into(), QueueDeleteOptions::default())
            .await?;
        ch.queue_delete(
            self.dead_letter_queue().into(),
            QueueDeleteOptions::default(),
        )
        .await?;
        ch.exchange_delete(
            self.dead_letter_exchange().into(),
            ExchangeDeleteOptions::default(),
        )
        .await?;
        Ok(())
    }
}
