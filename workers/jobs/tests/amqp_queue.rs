//! AmqpQueue against the real RabbitMQ (`FAZHI_TEST_AMQP_URL`, default
//! amqp://guest:guest@127.0.0.1:5672/%2f). Each test declares its own topology under a random
//! prefix and deletes it at the end. A missing broker fails the tests loudly.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{AmqpQueue, JobQueue, QueueError};
use futures::FutureExt;

fn url() -> String {
    std::env::var("FAZHI_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

async fn connect(prefix: &str, limit: u32) -> AmqpQueue {
    AmqpQueue::connect(&url(), prefix, limit)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ must be running at {} for these tests: {e}", url()))
}

/// Runs `body` on a fresh topology, then deletes it even if `body` panicked.
async fn with_queue<F, Fut>(limit: u32, body: F)
where
    F: FnOnce(AmqpQueue) -> Fut,
    Fut: Future<Output = ()>,
{
    let prefix = format!("{}.", common::unique("fazhi-test"));
    let q = connect(&prefix, limit).await;
    let r = std::panic::AssertUnwindSafe(body(q.clone()))
        .catch_unwind()
        .await;
    // Let dropped consumers cancel before the queues go (else they would re-declare them).
    tokio::time::sleep(Duration::from_millis(300)).await;
    q.delete_topology().await.expect("cleanup");
    if let Err(p) = r {
        std::panic::resume_unwind(p);
    }
}

fn dyn_queue(q: AmqpQueue) -> Arc<dyn JobQueue> {
    Arc::new(q)
}

#[tokio::test]
async fn publish_confirm_consume_ack() {
    with_queue(5, |q| common::queue_publish_consume_ack(dyn_queue(q))).await;
}

#[tokio::test]
async fn retry_increments_delivery_count() {
    with_queue(5, |q| common::queue_retry_counts(dyn_queue(q))).await;
}

#[tokio::test]
async fn delivery_limit_dead_letters() {
    with_queue(2, |q| {
        common::queue_delivery_limit_dead_letters(dyn_queue(q), 2)
    })
    .await;
}

#[tokio::test]
async fn prefetch_bounds_unacked() {
    with_queue(5, |q| common::queue_prefetch_bound(dyn_queue(q))).await;
}

#[tokio::test]
async fn topology_redeclare_is_idempotent_and_unroutable_is_an_error() {
    with_queue(5, |q| async move {
        q.declare_topology().await.unwrap();
        // A second process declaring the same topology.
        let other = connect(&q.topology().prefix, 5).await;
        other.declare_topology().await.unwrap();
        other.ping().await.unwrap();
        assert_eq!(other.depth().await.unwrap(), 0);
        // Different arguments for the same queue are refused, not silently ignored.
        match AmqpQueue::connect(&url(), &q.topology().prefix, 9).await {
            Err(QueueError::Unavailable(_)) => {}
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(_) => panic!("redeclare with another delivery limit accepted"),
        }
        // Queue gone: a mandatory publish comes back as an error, not a silent drop.
        q.delete_topology().await.unwrap();
        let m = common::message_for(&common::job("acme", "", "u1"));
        match q.publish(&m, &[]).await {
            Err(QueueError::Nacked(why)) => assert!(why.contains("unroutable"), "{why}"),
            other => panic!("expected Nacked(unroutable), got {other:?}"),
        }
        q.declare_topology().await.unwrap(); // for with_queue's cleanup
    })
    .await;
}

#[tokio::test]
async fn depth_counts_ready_messages() {
    with_queue(5, |q| async move {
        for i in 0..3 {
            q.publish(
                &common::message_for(&common::job("acme", "", &format!("d{i}"))),
                &[],
            )
            .await
            .unwrap();
        }
        // Quorum queue counters are updated asynchronously.
        let mut depth = 0;
        for _ in 0..20 {
            depth = q.depth().await.unwrap();
            if depth == 3 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(depth, 3);
    })
    .await;
}

#[tokio::test]
async fn consumer_survives_a_forced_connection_close() {
    with_queue(5, |q| async move {
        let queue: Arc<dyn JobQueue> = Arc::new(q.clone());
        let mut c = queue.consume(1).await.unwrap();
        let m1 = common::message_for(&common::job("acme", "", "r1"));
        queue.publish(&m1, &[]).await.unwrap();
        let d = tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(&mut c))
            .await
            .unwrap()
            .unwrap();
        d.acker.ack().await.unwrap();
        // Kill our connections (only ours: the broker is shared) with the management CLI.
        let closed = close_connections_named(&q.topology().prefix);
        assert!(
            closed >= 2,
            "expected publisher + consumer connections, closed {closed}"
        );
        // The stream continues across the reconnect (the publisher reconnects on demand).
        let m2 = common::message_for(&common::job("acme", "", "r2"));
        let mut published = false;
        for _ in 0..50 {
            if queue.publish(&m2, &[]).await.is_ok() {
                published = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(published, "publisher did not reconnect");
        let d = tokio::time::timeout(Duration::from_secs(30), futures::StreamExt::next(&mut c))
            .await
            .expect("no delivery after reconnect")
            .expect("stream ended");
        assert_eq!(d.message.job_id, m2.job_id);
        d.acker.ack().await.unwrap();
    })
    .await;
}

/// Reads how many consumers the broker has on a queue, on a connection of the test's own
/// opened beforehand (so a read takes one round trip).
struct ConsumerCount {
    _conn: lapin::Connection,
    ch: lapin::Channel,
}

impl ConsumerCount {
    async fn open() -> Self {
        let conn = lapin::Connection::connect(&url(), lapin::ConnectionProperties::default())
            .await
            .expect("connect");
        let ch = conn.create_channel().await.expect("channel");
        Self { _conn: conn, ch }
    }

    async fn on(&self, queue: &str) -> u32 {
        self.ch
            .queue_declare(
                queue.into(),
                lapin::options::QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                lapin::types::FieldTable::default(),
            )
            .await
            .expect("passive declare")
            .consumer_count()
    }
}

#[tokio::test]
async fn a_closed_subscription_has_left_the_queue() {
    with_queue(5, |q| async move {
        let topology = q.topology().clone();
        let (jobs_q, dead_q) = (topology.jobs_queue(), topology.dead_letter_queue());
        let queue: Arc<dyn JobQueue> = Arc::new(q);
        let count = ConsumerCount::open().await;
        for _ in 0..5 {
            let jobs = queue.consume(2).await.unwrap();
            let dead = queue.consume_dead_letters().await.unwrap();
            assert_eq!(count.on(&jobs_q).await, 1);
            assert_eq!(count.on(&dead_q).await, 1);
            // Once close returns, the broker gives the old consumer nothing more.
            jobs.close().await;
            assert_eq!(count.on(&jobs_q).await, 0, "jobs consumer still subscribed");
            dead.close().await;
            assert_eq!(
                count.on(&dead_q).await,
                0,
                "dead-letter consumer still subscribed"
            );
        }
        // So a message published now is a first delivery to the next consumer.
        let m = common::message_for(&common::job("acme", "", "after-close"));
        queue.publish(&m, &[]).await.unwrap();
        let mut next = queue.consume(1).await.unwrap();
        let d = tokio::time::timeout(Duration::from_secs(10), futures::StreamExt::next(&mut next))
            .await
            .expect("no delivery")
            .expect("stream ended");
        assert_eq!(d.message.job_id, m.job_id);
        assert_eq!(d.delivery_count, 0);
        assert!(!d.redelivered);
        d.acker.ack().await.unwrap();
        next.close().await;
    })
    .await;
}

fn rabbitmqctl(args: &[&str]) -> String {
    match std::process::Command::new("rabbitmqctl")
        .args(args)
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => panic!(
            "rabbitmqctl {args:?} failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("rabbitmqctl not runnable: {e}"),
    }
}

/// Closes every broker connection whose client-provided name contains `needle`.
fn close_connections_named(needle: &str) -> usize {
    let out = rabbitmqctl(&[
        "list_connections",
        "pid",
        "client_properties",
        "--no-table-headers",
        "--silent",
    ]);
    let mut n = 0;
    for line in out.lines().filter(|l| l.contains(needle)) {
        if let Some(pid) = line.split_whitespace().next() {
            rabbitmqctl(&["close_connection", pid, "test: forced close"]);
            n += 1;
        }
    }
    n
}

#[tokio::test]
async fn dropped_delivery_is_requeued() {
    with_queue(5, |q| {
        common::queue_dropped_delivery_is_requeued(dyn_queue(q))
    })
    .await;
}

#[tokio::test]
async fn ocr_lane_is_its_own_queue() {
    with_queue(5, |q| async move {
        let ocr = q.ocr_lane().await.expect("OCR lane");
        assert_eq!(
            ocr.topology().jobs_queue(),
            format!("{}jobs.ocr", q.topology().prefix)
        );
        common::queue_ocr_lane(dyn_queue(q), dyn_queue(ocr.clone())).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        ocr.delete_queue().await.expect("cleanup");
    })
    .await;
}
