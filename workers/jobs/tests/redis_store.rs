//! RedisStore against the real Redis (`FAZHI_TEST_REDIS_URL`, default 127.0.0.1:6379). Each test
//! uses its own random key prefix and deletes its keys at the end. A missing server fails the
//! tests loudly: they never skip.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{JobStore, MemoryQueue, RedisStore, RedisStoreConfig, StoreTtls};
use futures::FutureExt;

fn url() -> String {
    std::env::var("FAZHI_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into())
}

async fn connect(ttls: StoreTtls) -> RedisStore {
    let cfg = RedisStoreConfig::new(url())
        .with_prefix(format!("{}:", common::unique("fazhi-test")))
        .with_ttls(ttls);
    RedisStore::connect(cfg)
        .await
        .unwrap_or_else(|e| panic!("Redis must be running at {} for these tests: {e}", url()))
}

/// Runs `body`, then deletes the prefix's keys even if `body` panicked.
async fn with_store<F, Fut>(ttls: StoreTtls, body: F)
where
    F: FnOnce(RedisStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let s = connect(ttls).await;
    let r = std::panic::AssertUnwindSafe(body(s.clone()))
        .catch_unwind()
        .await;
    s.purge_prefix().await.expect("cleanup");
    if let Err(p) = r {
        std::panic::resume_unwind(p);
    }
    assert_eq!(
        s.purge_prefix().await.unwrap(),
        0,
        "no key left under the test prefix"
    );
}

fn dyn_store(s: RedisStore) -> Arc<dyn JobStore> {
    Arc::new(s)
}

#[tokio::test]
async fn create_get_scoping() {
    with_store(StoreTtls::default(), |s| {
        common::store_create_get_scoping(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn idempotent_claim() {
    with_store(StoreTtls::default(), |s| {
        common::store_idempotent_claim(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn cas_transitions() {
    with_store(StoreTtls::default(), |s| {
        common::store_cas_transitions(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn complete() {
    with_store(StoreTtls::default(), |s| {
        common::store_complete(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn list_paging() {
    with_store(StoreTtls::default(), |s| {
        common::store_list_paging(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn malformed_page_token() {
    with_store(StoreTtls::default(), |s| {
        common::store_malformed_page_token(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn watch() {
    with_store(StoreTtls::default(), |s| common::store_watch(dyn_store(s))).await;
}
#[tokio::test]
async fn stale_queued() {
    with_store(StoreTtls::default(), |s| {
        common::store_stale_queued(dyn_store(s))
    })
    .await;
}
#[tokio::test]
async fn pending_message_and_reconcile() {
    with_store(StoreTtls::default(), |s| {
        common::store_pending_message_and_reconcile(dyn_store(s), Arc::new(MemoryQueue::new(5)))
    })
    .await;
}

#[tokio::test]
async fn ttls_are_set() {
    let ttls = StoreTtls {
        job_ttl: Duration::from_secs(1000),
        result_ttl: Duration::from_secs(5000),
    };
    with_store(ttls, |s| async move {
        let j = common::job("acme", "req-ttl", "ttl");
        s.create_with_message(&j, &common::message_for(&j))
            .await
            .unwrap();
        let ttl = s.job_ttl_secs(&j.id).await.unwrap();
        assert!((990..=1000).contains(&ttl), "job ttl {ttl}");
        s.complete(&j.id, &j.result_key, b"r", "c")
            .await
            .unwrap()
            .unwrap();
        let ttl = s.result_ttl_secs(&j.result_key).await.unwrap();
        assert!((4990..=5000).contains(&ttl), "result ttl {ttl}");
        let ttl = s.job_ttl_secs(&j.id).await.unwrap();
        assert!(
            (990..=1000).contains(&ttl),
            "job ttl refreshed on change: {ttl}"
        );
    })
    .await;
}

#[tokio::test]
async fn expired_job_releases_its_request_id() {
    let ttls = StoreTtls {
        job_ttl: Duration::from_secs(1),
        result_ttl: Duration::from_secs(1),
    };
    with_store(ttls, |s| async move {
        let j = common::job("acme", "req-exp", "e");
        s.create(&j).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        assert_eq!(s.get_any(&j.id).await.unwrap(), None, "expired by Redis");
        let again = common::job("acme", "req-exp", "e2");
        assert!(matches!(
            s.create(&again).await.unwrap(),
            fazhi_jobs::CreateOutcome::Created
        ));
    })
    .await;
}

#[tokio::test]
async fn unreachable_redis_is_unavailable_not_a_hang() {
    let mut cfg = RedisStoreConfig::new("redis://127.0.0.1:1/");
    cfg.connection_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    match RedisStore::connect(cfg).await {
        Err(fazhi_jobs::StoreError::Unavailable(_)) => {}
        Err(e) => panic!("expected Unavailable, got {e:?}"),
        Ok(_) => panic!("connected to a closed port"),
    }
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn webhooks() {
    with_store(StoreTtls::default(), |s| {
        common::store_webhooks(dyn_store(s))
    })
    .await;
}

#[tokio::test]
async fn batches() {
    with_store(StoreTtls::default(), |s| {
        common::store_batches(dyn_store(s))
    })
    .await;
}

#[tokio::test]
async fn similarity_index() {
    with_store(StoreTtls::default(), |s| {
        common::store_similarity(dyn_store(s))
    })
    .await;
}

#[tokio::test]
async fn progress() {
    with_store(StoreTtls::default(), |s| {
        common::store_progress(dyn_store(s))
    })
    .await;
}
