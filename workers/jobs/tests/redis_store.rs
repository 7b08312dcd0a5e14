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
    with_store(StoreTtls::default(), |s| async move {
        common::store_similarity(dyn_store(s.clone())).await;
        // Buckets made and buckets appended to, documents, counts and the sketch all expire.
        assert_eq!(s.keys_without_ttl().await.unwrap(), Vec::<String>::new());
    })
    .await;
}

#[tokio::test]
async fn finish_in_one_step() {
    with_store(StoreTtls::default(), |s| async move {
        common::store_finish(dyn_store(s.clone())).await;
        assert_eq!(s.keys_without_ttl().await.unwrap(), Vec::<String>::new());
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

/// A connection of its own, to read and write keys as they are.
async fn raw_connection() -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(url()).unwrap();
    client.get_multiplexed_async_connection().await.unwrap()
}

/// The keys matching `pattern`.
async fn keys(con: &mut redis::aio::MultiplexedConnection, pattern: String) -> Vec<String> {
    redis::cmd("KEYS")
        .arg(pattern)
        .query_async(con)
        .await
        .unwrap()
}

/// Summary rows are kept compressed (`FR` + a zstd frame) and come back as given; a row kept
/// before rows were compressed is read as it is.
#[tokio::test]
async fn issuer_rows_are_compressed_and_old_ones_still_read() {
    with_store(StoreTtls::default(), |s| async move {
        let row = "小王庄镇2023年法治政府建设情况报告 township measures shortcomings SUBSTANTIVE"
            .repeat(4)
            .into_bytes();
        s.put_issuer_row("acme", "小王庄镇", "job-1", &row)
            .await
            .unwrap();
        let prefix = s.config().prefix.clone();
        let mut con = raw_connection().await;
        let keys = keys(&mut con, format!("{prefix}tenant:acme:issuer:*")).await;
        assert_eq!(keys.len(), 1, "{keys:?}");
        let stored: Vec<u8> = redis::cmd("HGET")
            .arg(&keys[0])
            .arg("job-1")
            .query_async(&mut con)
            .await
            .unwrap();
        assert!(stored.starts_with(b"FR"), "compressed row");
        assert!(
            stored.len() < row.len() / 2,
            "{} of {}",
            stored.len(),
            row.len()
        );
        let old = b"\x0a\x05job-0".to_vec();
        let _: () = redis::cmd("HSET")
            .arg(&keys[0])
            .arg("job-0")
            .arg(&old)
            .query_async(&mut con)
            .await
            .unwrap();
        let mut rows = s.issuer_rows("acme", "小王庄镇").await.unwrap();
        rows.sort();
        assert_eq!(
            rows,
            vec![("job-0".to_string(), old), ("job-1".to_string(), row)]
        );
    })
    .await;
}

/// An assessment-shaped message: content hash (1), normalized text (13), breakdown (14).
fn assessment(sha: &str, text: &str, tail: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, v) in [(0x0a_u8, sha), (0x6a, text), (0x72, tail)] {
        out.push(key);
        let mut len = v.len();
        while len >= 0x80 {
            out.push((len as u8) | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend_from_slice(v.as_bytes());
    }
    out
}

fn text_sha(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// A stored text and result written as an earlier version of fazhi wrote them.
async fn put_raw(
    con: &mut redis::aio::MultiplexedConnection,
    text: (String, Vec<u8>),
    result: (String, Vec<u8>),
) {
    let _: () = redis::pipe()
        .set(text.0, text.1)
        .ignore()
        .set(result.0, result.1)
        .ignore()
        .query_async(con)
        .await
        .unwrap();
}

#[tokio::test]
async fn results_are_compressed_and_share_their_text() {
    with_store(StoreTtls::default(), |s| async move {
        let text = "一、主要举措和成效。全年办理行政复议案件63件，行政诉讼案件41件。".repeat(60);
        let a = assessment("aaa", &text, "breakdown one");
        let b = assessment("bbb", &text, "breakdown two");
        let (ja, jb) = (
            common::job("acme", "req-a", "aaa"),
            common::job("acme", "req-b", "bbb"),
        );
        for (j, bytes) in [(&ja, &a), (&jb, &b)] {
            s.create_with_message(j, &common::message_for(j))
                .await
                .unwrap();
            s.complete(&j.id, &j.result_key, bytes, "c")
                .await
                .unwrap()
                .expect("completed");
        }
        // Read back byte for byte, through the worker's and the gateway's call.
        assert_eq!(s.get_result(&ja.result_key).await.unwrap(), Some(a.clone()));
        assert_eq!(s.get_result(&jb.result_key).await.unwrap(), Some(b));
        // Stored: one text for both results, both parts far smaller than the text.
        let prefix = s.config().prefix.clone();
        let mut con = raw_connection().await;
        let texts = keys(&mut con, format!("{prefix}text:*")).await;
        assert_eq!(texts.len(), 1, "one text for two results: {texts:?}");
        // Under the cache key's hash, not the (long) cache key itself.
        let named = {
            use base64::Engine as _;
            use sha2::Digest;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sha2::Sha256::digest(ja.result_key.as_bytes()))
        };
        let stored: Vec<u8> = redis::cmd("GET")
            .arg(format!("{prefix}result:h:{named}"))
            .query_async(&mut con)
            .await
            .unwrap();
        assert!(stored.starts_with(b"FZR4"), "packed result");
        let results = keys(&mut con, format!("{prefix}result:*")).await;
        assert_eq!(results.len(), 2, "{results:?}");
        assert!(
            results
                .iter()
                .all(|k| k.starts_with(&format!("{prefix}result:h:")))
        );
        assert!(texts[0].ends_with(&format!("text:v3:{}", &text_sha(&text))));
        let text_len: usize = redis::cmd("STRLEN")
            .arg(&texts[0])
            .query_async(&mut con)
            .await
            .unwrap();
        assert!(
            stored.len() < 200 && text_len < text.len() / 4,
            "{} {text_len}",
            stored.len()
        );
        // The text gone (never before its results, but say it happened): a cache miss, not junk.
        let _: () = redis::cmd("DEL")
            .arg(&texts[0])
            .query_async(&mut con)
            .await
            .unwrap();
        assert_eq!(s.get_result(&ja.result_key).await.unwrap(), None);
        // put_result (the gateway's AssessReport cache) packs the same way.
        s.put_result("direct", &a).await.unwrap();
        assert_eq!(s.get_result("direct").await.unwrap(), Some(a.clone()));
        // A result of the first format (`FZR1`, its text under `text:{sha256}` compressed without
        // a dictionary) is still read.
        let id = text_sha(&text);
        let mut rest = vec![0x0a, 3];
        rest.extend_from_slice(b"aaa");
        rest.extend_from_slice(&[0x72, 13]);
        rest.extend_from_slice(b"breakdown one");
        let mut v1 = b"FZR1".to_vec();
        v1.extend_from_slice(id.as_bytes());
        v1.extend_from_slice(
            &zstd::bulk::Compressor::with_dictionary(3, text.as_bytes())
                .and_then(|mut c| c.compress(&rest))
                .unwrap(),
        );
        let text_v1 = zstd::bulk::compress(text.as_bytes(), 3).unwrap();
        put_raw(
            &mut con,
            (format!("{prefix}text:{id}"), text_v1),
            (format!("{prefix}result:first-format"), v1),
        )
        .await;
        // Results written before were kept under the cache key itself: still read (this one was
        // written without a TTL: -1; none at all: -2).
        assert_eq!(s.get_result("first-format").await.unwrap(), Some(a.clone()));
        assert_eq!(s.result_ttl_secs("first-format").await.unwrap(), -1);
        assert_eq!(s.result_ttl_secs("no-such-result").await.unwrap(), -2);
        // And one of the second (`FZR2`, flag byte; its UTF-8 text under `text:v2:{sha256}`),
        // each part compressed against the store's frozen dictionary files.
        let titles: &[u8] = include_bytes!("../dictionary/titles.txt");
        let texts_dict = [
            &include_bytes!("../dictionary/gangyao-2021-2025.txt")[..],
            include_bytes!("../dictionary/phrases.txt"),
            titles,
        ]
        .concat();
        let mut v2 = b"FZR2".to_vec();
        v2.extend_from_slice(id.as_bytes());
        v2.push(b'-');
        v2.extend_from_slice(
            &zstd::bulk::Compressor::with_dictionary(3, &[titles, text.as_bytes()].concat())
                .and_then(|mut c| c.compress(&rest))
                .unwrap(),
        );
        let text_v2 = zstd::bulk::Compressor::with_dictionary(3, &texts_dict)
            .and_then(|mut c| c.compress(text.as_bytes()))
            .unwrap();
        put_raw(
            &mut con,
            (format!("{prefix}text:v2:{id}"), text_v2),
            (format!("{prefix}result:second-format"), v2),
        )
        .await;
        assert_eq!(s.get_result("second-format").await.unwrap(), Some(a));
    })
    .await;
}

/// The extras of a success (index entry, rows) that Redis refuses cost a warning, not the job:
/// the result is stored and the job reads SUCCEEDED, with its overlay.
#[tokio::test]
async fn a_refused_extra_does_not_stop_the_success() {
    with_store(StoreTtls::default(), |s| async move {
        let prefix = s.config().prefix.clone();
        let mut con = raw_connection().await;
        let tenant = common::unique("ten");
        let mut j = common::job(&tenant, "", "extra");
        j.batch_id = "b-broken".into();
        s.create(&j).await.unwrap();
        // Wrong types: INCR of the index count and HSET of the batch rows both fail.
        let _: () = redis::cmd("HSET")
            .arg(format!("{prefix}tenant:{tenant}:simcount"))
            .arg("x")
            .arg("1")
            .query_async(&mut con)
            .await
            .unwrap();
        let _: () = redis::cmd("SET")
            .arg(format!("{prefix}batch:b-broken:rows"))
            .arg("not a hash")
            .query_async(&mut con)
            .await
            .unwrap();
        let entry = fazhi_jobs::SimilarityEntry {
            tenant: tenant.clone(),
            band_keys: vec![5],
            doc: b"doc".to_vec(),
            hashes: vec![1],
        };
        let c = fazhi_jobs::Completion {
            result_key: &j.result_key,
            assessment: b"assessment",
            checklist_id: "c",
            index: Some(&entry),
            overlay: Some(b"overlay"),
            batch_row: Some(("b-broken", b"row")),
            issuer_row: None,
        };
        let done = s.finish(&j.id, c).await.unwrap().expect("applied");
        assert_eq!(done.state, fazhi_jobs::JobState::Succeeded);
        assert_eq!(
            s.get_result(&j.result_key).await.unwrap().as_deref(),
            Some(&b"assessment"[..])
        );
        assert_eq!(
            s.overlay(&j.id).await.unwrap().as_deref(),
            Some(&b"overlay"[..])
        );
        assert!(
            s.similar_candidates(&tenant, &[5])
                .await
                .unwrap()
                .is_empty(),
            "the refused entry was not half-written"
        );
    })
    .await;
}
