//! The in-memory store and queue, run through the same behavioural tests as Redis/RabbitMQ.

mod common;

use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{JobStore, MemoryQueue, MemoryStore, StoreTtls};

fn store() -> Arc<dyn JobStore> {
    Arc::new(MemoryStore::default())
}

#[tokio::test]
async fn create_get_scoping() {
    common::store_create_get_scoping(store()).await;
}
#[tokio::test]
async fn idempotent_claim() {
    common::store_idempotent_claim(store()).await;
}
#[tokio::test]
async fn cas_transitions() {
    common::store_cas_transitions(store()).await;
}
#[tokio::test]
async fn complete() {
    common::store_complete(store()).await;
}
#[tokio::test]
async fn list_paging() {
    common::store_list_paging(store()).await;
}
#[tokio::test]
async fn malformed_page_token() {
    common::store_malformed_page_token(store()).await;
}
#[tokio::test]
async fn watch() {
    common::store_watch(store()).await;
}
#[tokio::test]
async fn stale_queued() {
    common::store_stale_queued(store()).await;
}
#[tokio::test]
async fn pending_message_and_reconcile() {
    common::store_pending_message_and_reconcile(store(), Arc::new(MemoryQueue::new(5))).await;
}

#[tokio::test(start_paused = true)]
async fn ttls_expire_lazily() {
    let s = MemoryStore::new(StoreTtls {
        job_ttl: Duration::from_secs(10),
        result_ttl: Duration::from_secs(20),
    });
    let j = common::job("acme", "req-ttl", "x");
    s.create(&j).await.unwrap();
    s.complete(&j.id, &j.result_key, b"r", "c")
        .await
        .unwrap()
        .unwrap();
    tokio::time::advance(Duration::from_secs(11)).await;
    assert_eq!(s.get_any(&j.id).await.unwrap(), None, "job expired");
    assert!(
        s.get_result(&j.result_key).await.unwrap().is_some(),
        "result lives longer"
    );
    // The request-id claim expired with the job: the id can be used again.
    let again = common::job("acme", "req-ttl", "y");
    assert!(matches!(
        s.create(&again).await.unwrap(),
        fazhi_jobs::CreateOutcome::Created
    ));
    tokio::time::advance(Duration::from_secs(10)).await;
    assert_eq!(
        s.get_result(&j.result_key).await.unwrap(),
        None,
        "result expired"
    );
}

#[tokio::test]
async fn queue_publish_consume_ack() {
    common::queue_publish_consume_ack(Arc::new(MemoryQueue::new(5))).await;
}
#[tokio::test]
async fn queue_retry_counts() {
    common::queue_retry_counts(Arc::new(MemoryQueue::new(5))).await;
}
#[tokio::test]
async fn queue_delivery_limit_dead_letters() {
    common::queue_delivery_limit_dead_letters(Arc::new(MemoryQueue::new(2)), 2).await;
}
#[tokio::test]
async fn queue_prefetch_bound() {
    common::queue_prefetch_bound(Arc::new(MemoryQueue::new(5))).await;
}
#[tokio::test]
async fn queue_dropped_delivery_is_requeued() {
    common::queue_dropped_delivery_is_requeued(Arc::new(MemoryQueue::new(5))).await;
}

#[tokio::test]
async fn webhooks() {
    common::store_webhooks(store()).await;
}

#[tokio::test]
async fn batches() {
    common::store_batches(store()).await;
}

#[tokio::test]
async fn similarity_index() {
    common::store_similarity(store()).await;
}

#[tokio::test]
async fn finish_in_one_step() {
    common::store_finish(store()).await;
}

#[tokio::test]
async fn progress() {
    common::store_progress(store()).await;
}

#[tokio::test]
async fn ocr_lane() {
    let q = MemoryQueue::new(5);
    common::queue_ocr_lane(Arc::new(q.clone()), Arc::new(q.ocr_lane())).await;
}
