//! Closing consumers on the real RabbitMQ (`FAZHI_TEST_AMQP_URL`, default
//! amqp://guest:guest@127.0.0.1:5672/%2f) logs no error. A channel handle dropped while its
//! channel is open makes lapin close the channel in the background; when that close meets the
//! closing connection, lapin logged "Connection error … invalid channel state: Closing" on
//! every worker shutdown although nothing had failed. Its own test binary: it installs the
//! process's global subscriber, as lapin logs from its own tasks.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fazhi_jobs::{AmqpQueue, JobQueue};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// Counts lapin's errors and the consumer connections fazhi has closed.
#[derive(Clone, Default)]
struct Tally {
    lapin_errors: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
}

impl<S: Subscriber> Layer<S> for Tally {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let m = event.metadata();
        if m.target().starts_with("lapin") && *m.level() == Level::ERROR {
            self.lapin_errors.fetch_add(1, Ordering::SeqCst);
        }
        if m.fields().field("consumer_closed").is_some() {
            self.closed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[tokio::test]
async fn closing_consumers_logs_no_broker_error() {
    let tally = Tally::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tally.clone()))
        .expect("the only subscriber of this test binary");
    let url = std::env::var("FAZHI_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let prefix = format!("{}.", common::unique("fazhi-test"));
    let q = AmqpQueue::connect(&url, &prefix, 5)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ must be running at {url} for these tests: {e}"));
    let queue: Arc<dyn JobQueue> = Arc::new(q.clone());
    for _ in 0..3 {
        let jobs = queue.consume(2).await.expect("consume");
        let dead = queue
            .consume_dead_letters()
            .await
            .expect("consume dead letters");
        jobs.close().await;
        dead.close().await;
    }
    // Each closed consumer's connection is closed in the background: wait for all six.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tally.closed.load(Ordering::SeqCst) < 6 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    q.delete_topology().await.expect("cleanup");
    assert_eq!(
        tally.closed.load(Ordering::SeqCst),
        6,
        "consumer connections closed"
    );
    assert_eq!(
        tally.lapin_errors.load(Ordering::SeqCst),
        0,
        "lapin logged errors while consumers closed"
    );
}
