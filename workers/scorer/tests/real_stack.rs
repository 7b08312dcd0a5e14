//! The worker over the real RabbitMQ and Redis (random prefixes, cleaned up afterwards; a
//! missing server fails loudly): a corpus report through the real engine to SUCCEEDED, and a
//! crashing engine dead-lettered by the broker's delivery limit to FAILED.
#![cfg(feature = "engine")]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{
    AmqpQueue, JobMessage, JobQueue, JobRecord, JobState, JobStore, RedisStore, RedisStoreConfig,
    now_ms,
};
use fazhi_scorer::{Engine, EngineFailure, EngineOutput, WorkerConfig};
use futures::FutureExt;
use sha2::Digest;
use tokio_util::sync::CancellationToken;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

fn amqp_url() -> String {
    std::env::var("FAZHI_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}
fn redis_url() -> String {
    std::env::var("FAZHI_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

fn job(content: &[u8]) -> (JobRecord, JobMessage) {
    let sha = hex::encode(sha2::Sha256::digest(content));
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let rk = format!("{sha}//real-stack");
    let rec = JobRecord {
        id: id.clone(),
        tenant: "acme".into(),
        state: JobState::Queued,
        create_time_ms: now,
        update_time_ms: now,
        attempts: 0,
        error_code: String::new(),
        error_message: String::new(),
        content_sha256: sha.clone(),
        result_key: rk.clone(),
        checklist_id: String::new(),
        deduplicated: false,
        request_id: format!("req-{id}"),
        labels: BTreeMap::new(),
        webhook: None,
        batch_id: String::new(),
        progress: None,
    };
    let msg = JobMessage {
        job_id: id,
        tenant: "acme".into(),
        content: content.to_vec(),
        media_type: "text/plain".into(),
        filename: "report.txt".into(),
        content_sha256: sha,
        result_key: rk,
        create_time_ms: now,
        request_id: rec.request_id.clone(),
        ..Default::default()
    };
    (rec, msg)
}

struct Crash;
impl Engine for Crash {
    fn assess(&self, _: &JobMessage) -> Result<EngineOutput, EngineFailure> {
        panic!("engine bug")
    }
}

async fn wait_terminal(store: &RedisStore, id: &str) -> JobRecord {
    for _ in 0..600 {
        if let Some(j) = store.get_any(id).await.unwrap()
            && j.state.is_terminal()
        {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_stack_success_and_dead_letter() {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
    let store = RedisStore::connect(
        RedisStoreConfig::new(redis_url()).with_prefix(format!("tfazhi-scorer-{tag}:")),
    )
    .await
    .unwrap_or_else(|e| panic!("Redis must be running at {}: {e}", redis_url()));
    let queue = AmqpQueue::connect(&amqp_url(), &format!("tfazhi-scorer-{tag}."), 1)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ must be running at {}: {e}", amqp_url()));
    // The crash half on queues of its own: the first worker's consumer is cancelled at the
    // broker only after `run` returns, and a message it took meanwhile would come back with one
    // delivery counted (RabbitMQ 3.x quorum queues count every return).
    let crash_queue = AmqpQueue::connect(&amqp_url(), &format!("tfazhi-scorer-{tag}-crash."), 1)
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ must be running at {}: {e}", amqp_url()));

    let body = async {
        // 1. An example report through the real engine.
        let files = corpus::text_reports();
        let content = std::fs::read(files.last().expect("no example reports")).unwrap();
        let (rec, msg) = job(&content);
        store.create_with_message(&rec, &msg).await.unwrap();
        queue.publish(&msg, &[]).await.unwrap();

        let shutdown = CancellationToken::new();
        let cfg = WorkerConfig {
            reconcile: None,
            ..WorkerConfig::default()
        };
        let worker = tokio::spawn(fazhi_scorer::run(
            Arc::new(store.clone()),
            Arc::new(queue.clone()),
            cfg,
            shutdown.clone(),
        ));
        let done = wait_terminal(&store, &rec.id).await;
        assert_eq!(
            done.state,
            JobState::Succeeded,
            "{} {}",
            done.error_code,
            done.error_message
        );
        assert!(store.get_result(&rec.result_key).await.unwrap().is_some());
        assert_eq!(store.pending_message(&rec.id).await.unwrap(), None);
        shutdown.cancel();
        worker.await.unwrap().unwrap();

        // 2. A crashing engine: retried by the broker up to the limit, then dead-lettered.
        let (rec, msg) = job(b"crash me");
        store.create(&rec).await.unwrap();
        crash_queue.publish(&msg, &[]).await.unwrap();
        let shutdown = CancellationToken::new();
        let cfg = WorkerConfig {
            reconcile: None,
            ..WorkerConfig::with_engine(Arc::new(Crash))
        };
        let worker = tokio::spawn(fazhi_scorer::run(
            Arc::new(store.clone()),
            Arc::new(crash_queue.clone()),
            cfg,
            shutdown.clone(),
        ));
        let done = wait_terminal(&store, &rec.id).await;
        assert_eq!(done.state, JobState::Failed);
        assert_eq!(done.error_code, "DEAD_LETTERED");
        assert!(
            done.error_message.contains("delivery_limit"),
            "{}",
            done.error_message
        );
        assert_eq!(done.attempts, 2, "first delivery + 1 redelivery (limit 1)");
        shutdown.cancel();
        worker.await.unwrap().unwrap();
    };
    let r = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    queue.delete_topology().await.expect("broker cleanup");
    crash_queue.delete_topology().await.expect("broker cleanup");
    store.purge_prefix().await.expect("redis cleanup");
    if let Err(p) = r {
        std::panic::resume_unwind(p);
    }
}
