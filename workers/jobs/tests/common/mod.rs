//! Behavioural tests shared by every [`JobStore`] / [`JobQueue`] implementation: the memory
//! ones must behave like the real ones, so both run the same functions.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use fazhi_jobs::{
    BatchCounts, BatchRecord, Completion, CreateOutcome, DeliveryState, JobMessage, JobQueue,
    JobRecord, JobState, JobStore, SimilarityEntry, StoreError, Transition, Webhook, now_ms,
};
use futures::StreamExt;

pub fn unique(tag: &str) -> String {
    format!(
        "t{}-{}",
        tag,
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

pub fn job(tenant: &str, request_id: &str, sha: &str) -> JobRecord {
    let now = now_ms();
    JobRecord {
        id: uuid::Uuid::new_v4().simple().to_string(),
        tenant: tenant.into(),
        state: JobState::Queued,
        create_time_ms: now,
        update_time_ms: now,
        attempts: 0,
        error_code: String::new(),
        error_message: String::new(),
        content_sha256: sha.into(),
        result_key: format!("{sha}/gangyao-2021-2025/test"),
        checklist_id: String::new(),
        deduplicated: false,
        request_id: request_id.into(),
        labels: BTreeMap::from([("source".to_string(), "test:1".to_string())]),
        webhook: None,
        batch_id: String::new(),
        progress: None,
    }
}

/// A client's cancel of a QUEUED job.
pub fn cancel() -> Transition {
    Transition {
        from: &[JobState::Queued],
        to: JobState::Cancelled,
        error_code: Some("CANCELLED".into()),
        error_message: None,
        bump_attempts: false,
        checklist_id: None,
    }
}

pub fn message_for(j: &JobRecord) -> JobMessage {
    JobMessage {
        job_id: j.id.clone(),
        tenant: j.tenant.clone(),
        content: "法治政府建设年度报告".as_bytes().to_vec(),
        media_type: "text/plain".into(),
        filename: "r.txt".into(),
        charset: String::new(),
        checklist_id: j.checklist_id.clone(),
        content_sha256: j.content_sha256.clone(),
        result_key: j.result_key.clone(),
        create_time_ms: j.create_time_ms,
        hints: Vec::new(),
        request_id: j.request_id.clone(),
        labels: j.labels.clone(),
        trace_context: BTreeMap::from([(
            "traceparent".to_string(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_string(),
        )]),
        notify_url: String::new(),
        batch_id: String::new(),
    }
}

fn t(from: &'static [JobState], to: JobState) -> Transition {
    Transition {
        from,
        to,
        error_code: None,
        error_message: None,
        bump_attempts: false,
        checklist_id: None,
    }
}

// === store behaviour ===

pub async fn store_create_get_scoping(s: Arc<dyn JobStore>) {
    let j = job("acme", "", "aa");
    assert!(matches!(
        s.create(&j).await.unwrap(),
        CreateOutcome::Created
    ));
    assert_eq!(s.get("acme", &j.id).await.unwrap().as_ref(), Some(&j));
    assert_eq!(s.get("other", &j.id).await.unwrap(), None, "tenant scoping");
    assert_eq!(s.get_any(&j.id).await.unwrap().as_ref(), Some(&j));
    assert_eq!(s.get_any("nope").await.unwrap(), None);
    // Same id again: the stored one wins.
    let mut again = j.clone();
    again.content_sha256 = "zz".into();
    match s.create(&again).await.unwrap() {
        CreateOutcome::Existing(e) => assert_eq!(e, j),
        other => panic!("expected Existing, got {other:?}"),
    }
    s.ping().await.unwrap();
}

pub async fn store_idempotent_claim(s: Arc<dyn JobStore>) {
    let a = job("acme", "req-1", "sha-a");
    assert!(matches!(
        s.create(&a).await.unwrap(),
        CreateOutcome::Created
    ));
    // Same request id, same content: the first job.
    let b = job("acme", "req-1", "sha-a");
    match s.create(&b).await.unwrap() {
        CreateOutcome::Existing(e) => assert_eq!(e.id, a.id),
        other => panic!("expected Existing, got {other:?}"),
    }
    assert_eq!(
        s.get_any(&b.id).await.unwrap(),
        None,
        "second job not written"
    );
    // Same request id, different content: still the first job, whose hash differs (the
    // gateway turns that into INVALID_ARGUMENT).
    let c = job("acme", "req-1", "sha-c");
    match s.create(&c).await.unwrap() {
        CreateOutcome::Existing(e) => {
            assert_eq!(e.id, a.id);
            assert_eq!(e.content_sha256, "sha-a");
            assert_ne!(e.content_sha256, c.content_sha256);
        }
        other => panic!("expected Existing, got {other:?}"),
    }
    // Request ids are per tenant.
    let d = job("other", "req-1", "sha-a");
    assert!(matches!(
        s.create(&d).await.unwrap(),
        CreateOutcome::Created
    ));
}

pub async fn store_cas_transitions(s: Arc<dyn JobStore>) {
    let j = job("acme", "", "s1");
    s.create(&j).await.unwrap();
    let mut run = t(&[JobState::Queued], JobState::Running);
    run.bump_attempts = true;
    let r = s.transition(&j.id, run.clone()).await.unwrap().unwrap();
    assert_eq!(r.state, JobState::Running);
    assert_eq!(r.attempts, 1);
    assert!(r.update_time_ms >= j.update_time_ms);
    // Not in `from` any more: refused, nothing changes.
    assert_eq!(s.transition(&j.id, run).await.unwrap(), None);
    let mut fail = t(&[JobState::Running], JobState::Failed);
    fail.error_code = Some("BROKEN_PDF".into());
    fail.error_message = Some("bad xref".into());
    let f = s.transition(&j.id, fail).await.unwrap().unwrap();
    assert_eq!(
        (f.state, f.error_code.as_str(), f.attempts),
        (JobState::Failed, "BROKEN_PDF", 1)
    );
    // Terminal stays terminal.
    assert_eq!(
        s.transition(
            &j.id,
            t(&[JobState::Queued, JobState::Running], JobState::Cancelled)
        )
        .await
        .unwrap(),
        None
    );
    assert_eq!(
        s.get_any(&j.id).await.unwrap().unwrap().state,
        JobState::Failed
    );
    assert_eq!(
        s.transition("missing", t(&[JobState::Queued], JobState::Running))
            .await
            .unwrap(),
        None
    );
}

pub async fn store_complete(s: Arc<dyn JobStore>) {
    let j = job("acme", "", "s2");
    s.create(&j).await.unwrap();
    assert_eq!(s.get_result(&j.result_key).await.unwrap(), None);
    let done = s
        .complete(
            &j.id,
            &j.result_key,
            b"\x01\x02assessment",
            "gangyao-2021-2025",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.checklist_id, "gangyao-2021-2025");
    assert_eq!(
        s.get_result(&j.result_key).await.unwrap().as_deref(),
        Some(&b"\x01\x02assessment"[..])
    );
    // A second completion (redelivery) is refused.
    assert_eq!(
        s.complete(&j.id, &j.result_key, b"x", "c").await.unwrap(),
        None
    );
    assert_eq!(
        s.get_any(&j.id).await.unwrap().unwrap().checklist_id,
        "gangyao-2021-2025"
    );
}

pub async fn store_list_paging(s: Arc<dyn JobStore>) {
    let tenant = unique("list");
    let base = now_ms() - 100_000;
    let mut ids = Vec::new();
    for i in 0..7i64 {
        let mut j = job(&tenant, "", &format!("l{i}"));
        // Two jobs share a create time to exercise the tie-break.
        j.create_time_ms = base + if i == 3 { 2 } else { i };
        s.create(&j).await.unwrap();
        ids.push((j.create_time_ms, j.id.clone()));
    }
    ids.sort();
    ids.reverse();
    let expected: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let p = s.list(&tenant, None, 3, &token).await.unwrap();
        assert!(p.jobs.len() <= 3);
        seen.extend(p.jobs.iter().map(|j| j.id.clone()));
        pages += 1;
        match p.next_page_token {
            Some(t) => token = t,
            None => break,
        }
        assert!(pages < 10, "paging does not terminate");
    }
    assert_eq!(seen, expected, "newest first, every job once");
    assert_eq!(pages, 3);
    // State filter.
    for id in &expected[..2] {
        s.transition(id, t(&[JobState::Queued], JobState::Running))
            .await
            .unwrap()
            .unwrap();
    }
    let running = s
        .list(&tenant, Some(JobState::Running), 10, "")
        .await
        .unwrap();
    assert_eq!(
        running
            .jobs
            .iter()
            .map(|j| j.id.clone())
            .collect::<Vec<_>>(),
        expected[..2].to_vec()
    );
    assert_eq!(running.next_page_token, None);
    assert!(
        s.list("nobody-here", None, 10, "")
            .await
            .unwrap()
            .jobs
            .is_empty()
    );
}

pub async fn store_malformed_page_token(s: Arc<dyn JobStore>) {
    for bad in ["%%%", "bm90LWEtdG9rZW4", "djE6eDp5"] {
        match s.list("acme", None, 10, bad).await {
            Err(StoreError::InvalidPageToken(_)) => {}
            other => panic!("{bad}: expected InvalidPageToken, got {other:?}"),
        }
    }
}

pub async fn store_watch(s: Arc<dyn JobStore>) {
    assert!(s.watch("missing").await.unwrap().next().await.is_none());
    let j = job("acme", "", "w1");
    s.create(&j).await.unwrap();
    let mut w = s.watch(&j.id).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), w.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.state, JobState::Queued, "current version first");
    let s2 = s.clone();
    let id = j.id.clone();
    let writer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        s2.transition(&id, t(&[JobState::Queued], JobState::Running))
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        s2.complete(&id, "rk-w1", b"a", "c").await.unwrap().unwrap();
    });
    let rest: Vec<JobState> =
        tokio::time::timeout(Duration::from_secs(5), w.map(|r| r.state).collect())
            .await
            .expect("watch stream must end after the terminal version");
    writer.await.unwrap();
    assert_eq!(rest, vec![JobState::Running, JobState::Succeeded]);
    // Watching a finished job: its final version, then the end.
    let all: Vec<JobRecord> = s.watch(&j.id).await.unwrap().collect().await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].state, JobState::Succeeded);
}

pub async fn store_stale_queued(s: Arc<dyn JobStore>) {
    let mut old = job("acme", "", "st1");
    old.update_time_ms = now_ms() - 60_000;
    old.create_time_ms = old.update_time_ms;
    let fresh = job("acme", "", "st2");
    s.create(&old).await.unwrap();
    s.create(&fresh).await.unwrap();
    let stale = s.stale_queued(Duration::from_secs(30), 100).await.unwrap();
    let ids: Vec<&str> = stale.iter().map(|j| j.id.as_str()).collect();
    assert!(ids.contains(&old.id.as_str()));
    assert!(!ids.contains(&fresh.id.as_str()));
    s.transition(&old.id, t(&[JobState::Queued], JobState::Running))
        .await
        .unwrap()
        .unwrap();
    let stale = s.stale_queued(Duration::from_secs(30), 100).await.unwrap();
    assert!(stale.iter().all(|j| j.id != old.id), "no longer QUEUED");
}

pub async fn store_pending_message_and_reconcile(s: Arc<dyn JobStore>, q: Arc<dyn JobQueue>) {
    let mut orphan = job("acme", "", "o1");
    orphan.update_time_ms = now_ms() - 120_000;
    let m = message_for(&orphan);
    s.create_with_message(&orphan, &m).await.unwrap();
    assert_eq!(
        s.pending_message(&orphan.id).await.unwrap().as_ref(),
        Some(&m)
    );
    let mut deliveries = q.consume(4).await.unwrap();
    let report = fazhi_jobs::reconcile_orphans(&*s, &*q, Duration::from_secs(60), 100)
        .await
        .unwrap();
    assert_eq!(report.republished, 1);
    let d = tokio::time::timeout(Duration::from_secs(10), deliveries.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.message, m);
    assert_eq!(
        d.trace_context,
        vec![(
            "traceparent".to_string(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_string()
        )],
        "a re-published message continues the submission's trace"
    );
    d.acker.ack().await.unwrap();
    // Bumped: not re-published again on the next pass.
    let again = fazhi_jobs::reconcile_orphans(&*s, &*q, Duration::from_secs(60), 100)
        .await
        .unwrap();
    assert_eq!(again.republished, 0);
    s.complete(&orphan.id, &orphan.result_key, b"a", "c")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        s.pending_message(&orphan.id).await.unwrap(),
        None,
        "dropped once terminal"
    );
}

// === queue behaviour ===

async fn next<S: futures::Stream + Unpin>(s: &mut S) -> S::Item {
    tokio::time::timeout(Duration::from_secs(15), s.next())
        .await
        .expect("timed out waiting for a delivery")
        .expect("stream ended")
}

pub async fn queue_publish_consume_ack(q: Arc<dyn JobQueue>) {
    q.ping().await.unwrap();
    let j = job("acme", "", "q1");
    let m = message_for(&j);
    let trace = vec![
        (
            "traceparent".to_string(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_string(),
        ),
        ("tracestate".to_string(), "congo=t61rcWkgMzE".to_string()),
    ];
    let mut c = q.consume(2).await.unwrap();
    q.publish(&m, &trace).await.unwrap();
    let d = next(&mut c).await;
    assert_eq!(d.message, m);
    assert_eq!(d.delivery_count, 0);
    assert!(!d.redelivered);
    assert_eq!(d.trace_context, trace);
    d.acker.ack().await.unwrap();
    // Nothing comes back after an ack.
    assert!(
        tokio::time::timeout(Duration::from_millis(500), c.next())
            .await
            .is_err()
    );
    assert_eq!(q.depth().await.unwrap(), 0);
}

pub async fn queue_retry_counts(q: Arc<dyn JobQueue>) {
    let m = message_for(&job("acme", "", "q2"));
    let mut c = q.consume(1).await.unwrap();
    q.publish(&m, &[]).await.unwrap();
    let d = next(&mut c).await;
    assert_eq!(d.delivery_count, 0);
    d.acker.retry().await.unwrap();
    let d = next(&mut c).await;
    assert_eq!(d.message.job_id, m.job_id);
    assert_eq!(d.delivery_count, 1);
    assert!(d.redelivered);
    d.acker.retry().await.unwrap();
    let d = next(&mut c).await;
    assert_eq!(d.delivery_count, 2);
    d.acker.ack().await.unwrap();
}

/// `q` must have been built with `delivery_limit`.
pub async fn queue_delivery_limit_dead_letters(q: Arc<dyn JobQueue>, delivery_limit: u32) {
    let m = message_for(&job("acme", "", "q3"));
    let mut c = q.consume(1).await.unwrap();
    let mut dead = q.consume_dead_letters().await.unwrap();
    q.publish(&m, &[]).await.unwrap();
    let mut deliveries = 0;
    loop {
        tokio::select! {
            d = c.next() => {
                let d = d.expect("stream ended");
                assert_eq!(d.delivery_count, deliveries);
                deliveries += 1;
                assert!(deliveries <= delivery_limit + 1, "not dead-lettered at the limit");
                d.acker.retry().await.unwrap();
            }
            dl = dead.next() => {
                let dl = dl.expect("dead stream ended");
                assert_eq!(dl.message, m);
                assert!(dl.reason.contains("delivery_limit"), "reason {:?}", dl.reason);
                dl.acker.ack().await.unwrap();
                break;
            }
            _ = tokio::time::sleep(Duration::from_secs(15)) => panic!("no dead letter"),
        }
    }
    assert_eq!(
        deliveries,
        delivery_limit + 1,
        "first delivery + `limit` redeliveries"
    );
    // Reject goes straight to the dead-letter stream.
    let m2 = message_for(&job("acme", "", "q4"));
    q.publish(&m2, &[]).await.unwrap();
    let d = next(&mut c).await;
    d.acker.reject().await.unwrap();
    let dl = next(&mut dead).await;
    assert_eq!(dl.message.job_id, m2.job_id);
    assert!(dl.reason.contains("rejected"), "reason {:?}", dl.reason);
    dl.acker.ack().await.unwrap();
}

pub async fn queue_prefetch_bound(q: Arc<dyn JobQueue>) {
    let mut c = q.consume(2).await.unwrap();
    for i in 0..3 {
        q.publish(&message_for(&job("acme", "", &format!("p{i}"))), &[])
            .await
            .unwrap();
    }
    let a = next(&mut c).await;
    let b = next(&mut c).await;
    assert!(
        tokio::time::timeout(Duration::from_millis(700), c.next())
            .await
            .is_err(),
        "a third unacked delivery exceeded prefetch 2"
    );
    a.acker.ack().await.unwrap();
    let third = next(&mut c).await;
    b.acker.ack().await.unwrap();
    third.acker.ack().await.unwrap();
}

/// A delivery dropped without ack/retry/reject (handler bug) goes back to the queue and counts
/// as a failed delivery; it must not hold a prefetch slot forever.
pub async fn queue_dropped_delivery_is_requeued(q: Arc<dyn JobQueue>) {
    let mut c = q.consume(1).await.unwrap();
    let m = message_for(&job("acme", "", "drop1"));
    q.publish(&m, &[]).await.unwrap();
    let d = next(&mut c).await;
    assert_eq!(d.delivery_count, 0);
    drop(d);
    let d = next(&mut c).await;
    assert_eq!(d.message.job_id, m.job_id);
    assert_eq!(d.delivery_count, 1);
    d.acker.ack().await.unwrap();
}

/// Webhook deliveries: due only once the job ended (atomically with the terminal change, or at
/// creation when born terminal), claimed with a lease, re-due at the recorded next attempt,
/// gone from the index once final; jobs without a webhook never appear.
pub async fn store_webhooks(s: Arc<dyn JobStore>) {
    let lease = Duration::from_secs(30);
    let ids = |v: Vec<JobRecord>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let mut j = job("acme", "", "wh1");
    j.webhook = Some(Webhook::pending("http://127.0.0.1:9/hook"));
    let plain = job("acme", "", "wh2");
    s.create(&j).await.unwrap();
    s.create(&plain).await.unwrap();
    let t0 = now_ms();
    assert!(
        s.claim_webhooks(t0 + 1_000, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "a running job's webhook is not due"
    );
    s.complete(&j.id, &j.result_key, b"a", "c").await.unwrap();
    s.complete(&plain.id, &plain.result_key, b"a", "c")
        .await
        .unwrap();
    let now = now_ms();
    let due = s.claim_webhooks(now + 10, lease, 10).await.unwrap();
    assert_eq!(ids(due.clone()), vec![j.id.clone()]);
    assert_eq!(due[0].state, JobState::Succeeded);
    let w = due[0].webhook.clone().unwrap();
    assert_eq!(w.state, DeliveryState::Pending);
    assert!(w.next_attempt_ms >= t0, "due from the moment the job ended");
    assert!(
        s.claim_webhooks(now + 10, lease, 10)
            .await
            .unwrap()
            .is_empty(),
        "claimed: nobody else gets it within the lease"
    );
    assert_eq!(
        ids(s.claim_webhooks(now + 31_000, lease, 10).await.unwrap()),
        vec![j.id.clone()],
        "back after the lease"
    );
    let failed = Webhook {
        attempts: 1,
        last_attempt_ms: now,
        next_attempt_ms: now + 5_000,
        last_error: "HTTP 500".into(),
        ..w.clone()
    };
    s.record_webhook(&j.id, &failed).await.unwrap();
    assert!(
        s.claim_webhooks(now + 1_000, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = s.claim_webhooks(now + 6_000, lease, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].webhook.as_ref(), Some(&failed));
    let delivered = Webhook {
        state: DeliveryState::Delivered,
        attempts: 2,
        next_attempt_ms: 0,
        last_error: String::new(),
        ..failed
    };
    s.record_webhook(&j.id, &delivered).await.unwrap();
    assert!(
        s.claim_webhooks(i64::MAX / 2, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        s.get_any(&j.id).await.unwrap().unwrap().webhook,
        Some(delivered)
    );
    // Born terminal (a cache hit) with a webhook: due at once.
    let mut k = job("acme", "", "wh3");
    k.state = JobState::Succeeded;
    k.webhook = Some(Webhook::pending("http://127.0.0.1:9/hook"));
    s.create(&k).await.unwrap();
    assert_eq!(
        ids(s.claim_webhooks(now_ms() + 10, lease, 10).await.unwrap()),
        vec![k.id.clone()]
    );
    // Recording on a job that is gone only drops it from the index.
    s.record_webhook("no-such-job", &Webhook::pending("http://x/"))
        .await
        .unwrap();
}

fn batch(tenant: &str, t: i64) -> BatchRecord {
    BatchRecord {
        id: unique("batch"),
        tenant: tenant.into(),
        display_name: "某省2024年度县级报告".into(),
        create_time_ms: t,
        labels: BTreeMap::from([("province".to_string(), "demo".to_string())]),
        checklist_id: String::new(),
        total: 0,
        counts: BatchCounts::default(),
    }
}

/// Batches: tenant-scoped, counted once per job in its current state through creation, CAS
/// transitions (a lost CAS counts nothing), and completion; rows kept per job; paged newest first.
pub async fn store_batches(s: Arc<dyn JobStore>) {
    let tenant = unique("ten");
    let b = batch(&tenant, now_ms());
    s.create_batch(&b).await.unwrap();
    assert_eq!(s.get_batch("someone-else", &b.id).await.unwrap(), None);
    let got = s.get_batch(&tenant, &b.id).await.unwrap().unwrap();
    assert_eq!(got.display_name, b.display_name);
    assert_eq!(got.labels, b.labels);
    assert_eq!((got.total, got.counts), (0, BatchCounts::default()));

    let mut jobs = Vec::new();
    for i in 0..3 {
        let mut j = job(&tenant, "", &format!("b{i}"));
        j.batch_id = b.id.clone();
        s.create(&j).await.unwrap();
        jobs.push(j);
    }
    // A repeated create (same id) is not counted again.
    s.create(&jobs[0]).await.unwrap();
    let running = Transition {
        from: &[JobState::Queued],
        to: JobState::Running,
        error_code: None,
        error_message: None,
        bump_attempts: true,
        checklist_id: None,
    };
    s.transition(&jobs[0].id, running.clone())
        .await
        .unwrap()
        .unwrap();
    // The same CAS again loses and counts nothing.
    assert!(s.transition(&jobs[0].id, running).await.unwrap().is_none());
    s.complete(&jobs[0].id, &jobs[0].result_key, b"a", "c")
        .await
        .unwrap();
    s.transition(&jobs[1].id, cancel()).await.unwrap().unwrap();
    let got = s.get_batch(&tenant, &b.id).await.unwrap().unwrap();
    assert_eq!(got.total, 3);
    assert_eq!(
        got.counts,
        BatchCounts {
            queued: 1,
            running: 0,
            succeeded: 1,
            failed: 0,
            cancelled: 1,
        }
    );
    let mut ids = s.batch_job_ids(&b.id).await.unwrap();
    ids.sort();
    let mut want: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
    want.sort();
    assert_eq!(ids, want);

    s.put_batch_row(&b.id, &jobs[0].id, b"row-0").await.unwrap();
    s.put_batch_row(&b.id, &jobs[0].id, b"row-0b")
        .await
        .unwrap();
    assert_eq!(
        s.batch_rows(&b.id).await.unwrap(),
        vec![(jobs[0].id.clone(), b"row-0b".to_vec())]
    );

    // Paging, newest first, tenant-scoped.
    let older = batch(&tenant, b.create_time_ms - 10_000);
    s.create_batch(&older).await.unwrap();
    s.create_batch(&batch(&unique("other"), now_ms()))
        .await
        .unwrap();
    let p1 = s.list_batches(&tenant, 1, "").await.unwrap();
    assert_eq!(p1.batches.len(), 1);
    assert_eq!(p1.batches[0].id, b.id);
    let token = p1.next_page_token.expect("a second page");
    let p2 = s.list_batches(&tenant, 1, &token).await.unwrap();
    assert_eq!(
        p2.batches.iter().map(|b| b.id.clone()).collect::<Vec<_>>(),
        vec![older.id]
    );
    assert!(p2.next_page_token.is_none());
}

/// The copied-text index: entries numbered per tenant, a redelivered job indexed once, buckets
/// keeping their newest entries, documents and sentence counts per tenant only.
pub async fn store_similarity(s: Arc<dyn JobStore>) {
    use fazhi_jobs::SIMILAR_BUCKET_CAP;
    let tenant = unique("sim");
    let other = unique("sim");
    // Band keys spread over shards and fields as real ones are (top and low bits both vary).
    let key = |i: u64| i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i << 7);
    let shared = key(1);
    let mut jobs = Vec::new();
    for i in 0..(SIMILAR_BUCKET_CAP as u64 + 3) {
        let j = job(&tenant, "", &format!("sim{i}"));
        s.create(&j).await.unwrap();
        let n = s
            .index_similarity(
                &tenant,
                &j.id,
                &[shared, key(100 + i)],
                format!("doc{i}").as_bytes(),
                &[7, 7, 100 + i],
            )
            .await
            .unwrap();
        assert_eq!(n, i + 1, "entries are numbered per tenant from 1");
        jobs.push(j);
    }
    // A redelivered job keeps its entry and counts nothing twice.
    let again = s
        .index_similarity(&tenant, &jobs[0].id, &[shared], b"doc0", &[7])
        .await
        .unwrap();
    assert_eq!(again, 1);
    let (freq, reports) = s
        .sentence_frequencies(&tenant, &[7, 100, 999])
        .await
        .unwrap();
    let total = SIMILAR_BUCKET_CAP as u64 + 3;
    assert_eq!(reports, total);
    assert_eq!(freq[0], total as u32, "a sentence counts once per report");
    assert!(freq[1] >= 1 && freq[2] <= 1);

    let mut hits = s
        .similar_candidates(&tenant, &[shared, key(102)])
        .await
        .unwrap();
    hits.sort_unstable();
    // Entries 1–3 left the shared bucket; entry 3 is still found through its own.
    let expected: Vec<(u64, u32)> = (3..=total).map(|n| (n, 1)).collect();
    assert_eq!(
        hits, expected,
        "the shared bucket keeps the newest {SIMILAR_BUCKET_CAP} entries"
    );
    let hits = s.similar_candidates(&tenant, &[key(102)]).await.unwrap();
    assert_eq!(
        hits,
        vec![(3, 1)],
        "an own bucket still finds the old entry"
    );
    let docs = s.similarity_docs(&tenant, &[3, 1, 999]).await.unwrap();
    assert_eq!(
        docs,
        vec![Some(b"doc2".to_vec()), Some(b"doc0".to_vec()), None]
    );

    assert!(
        s.similar_candidates(&other, &[shared])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.similarity_docs(&other, &[1]).await.unwrap(), vec![None]);
    assert_eq!(
        s.sentence_frequencies(&other, &[7]).await.unwrap(),
        (vec![0], 0)
    );
}

/// A job's success in one step: its index entry, overlay, result, state, batch count and rows;
/// a refused transition still indexes the report but keeps no row and leaves the job alone.
pub async fn store_finish(s: Arc<dyn JobStore>) {
    let tenant = unique("fin");
    let b = batch(&tenant, now_ms());
    s.create_batch(&b).await.unwrap();
    let mut j = job(&tenant, "", "fin1");
    j.batch_id = b.id.clone();
    s.create(&j).await.unwrap();
    let entry = SimilarityEntry {
        tenant: tenant.clone(),
        band_keys: vec![0x1234_5678_9abc_def0, 42],
        doc: b"doc-fin1".to_vec(),
        hashes: vec![9, 9, 10],
    };
    let c = Completion {
        result_key: &j.result_key,
        assessment: b"assessment",
        checklist_id: "gangyao-2021-2025",
        index: Some(&entry),
        overlay: Some(b"overlay"),
        batch_row: Some((&b.id, b"batch-row")),
        issuer_row: Some((&tenant, "某县人民政府", b"issuer-row")),
    };
    let done = s.finish(&j.id, c).await.unwrap().expect("applied");
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.checklist_id, "gangyao-2021-2025");
    assert_eq!(
        s.get_result(&j.result_key).await.unwrap().as_deref(),
        Some(&b"assessment"[..])
    );
    assert_eq!(
        s.overlay(&j.id).await.unwrap().as_deref(),
        Some(&b"overlay"[..])
    );
    assert_eq!(
        s.batch_rows(&b.id).await.unwrap(),
        vec![(j.id.clone(), b"batch-row".to_vec())]
    );
    assert_eq!(
        s.issuer_rows(&tenant, "某县人民政府").await.unwrap(),
        vec![(j.id.clone(), b"issuer-row".to_vec())]
    );
    let got = s.get_batch(&tenant, &b.id).await.unwrap().unwrap();
    assert_eq!((got.counts.succeeded, got.counts.queued), (1, 0));
    assert_eq!(
        s.similar_candidates(&tenant, &[42]).await.unwrap(),
        vec![(1, 1)]
    );
    assert_eq!(
        s.similarity_docs(&tenant, &[1]).await.unwrap(),
        vec![Some(b"doc-fin1".to_vec())]
    );
    assert_eq!(
        s.sentence_frequencies(&tenant, &[9, 10, 11]).await.unwrap(),
        (vec![1, 1, 0], 1)
    );

    // The same job again (a redelivery after the step landed): refused, indexed once, no row.
    assert!(s.finish(&j.id, c).await.unwrap().is_none());
    assert_eq!(
        s.sentence_frequencies(&tenant, &[9]).await.unwrap(),
        (vec![1], 1)
    );

    // A cancelled job: its report is indexed, its rows are not kept, its state stays.
    let mut k = job(&tenant, "", "fin2");
    k.batch_id = b.id.clone();
    s.create(&k).await.unwrap();
    s.transition(&k.id, cancel()).await.unwrap().unwrap();
    let other = SimilarityEntry {
        doc: b"doc-fin2".to_vec(),
        ..entry.clone()
    };
    let c2 = Completion {
        result_key: &k.result_key,
        index: Some(&other),
        issuer_row: Some((&tenant, "某县人民政府", b"row-2")),
        batch_row: Some((&b.id, b"row-2")),
        ..c
    };
    assert!(s.finish(&k.id, c2).await.unwrap().is_none());
    assert_eq!(
        s.get_any(&k.id).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(
        s.issuer_rows(&tenant, "某县人民政府").await.unwrap().len(),
        1
    );
    assert_eq!(s.batch_rows(&b.id).await.unwrap().len(), 1);
    assert_eq!(
        s.sentence_frequencies(&tenant, &[9]).await.unwrap(),
        (vec![2], 2)
    );

    // Without extras it is a plain completion.
    let m = job(&tenant, "", "fin3");
    s.create(&m).await.unwrap();
    let plain = Completion {
        result_key: &m.result_key,
        assessment: b"a3",
        checklist_id: "c",
        ..Completion::default()
    };
    let done = s.finish(&m.id, plain).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(s.overlay(&m.id).await.unwrap(), None);
}

/// Progress is recorded only while the job is RUNNING, is seen by `get` and by watchers, and
/// stays on the finished record (where OCR stopped, or that it ended).
pub async fn store_progress(s: Arc<dyn JobStore>) {
    let j = job("acme", "", "pg1");
    s.create(&j).await.unwrap();
    let p = |done, total| fazhi_jobs::Progress {
        stage: "ocr".into(),
        done,
        total,
    };
    assert!(!s.set_progress(&j.id, &p(0, 0)).await.unwrap(), "QUEUED");
    assert!(!s.set_progress("missing", &p(0, 0)).await.unwrap());
    s.transition(&j.id, t(&[JobState::Queued], JobState::Running))
        .await
        .unwrap()
        .unwrap();
    let mut w = s.watch(&j.id).await.unwrap();
    let first = next(&mut w).await;
    assert_eq!(first.progress, None);
    assert!(s.set_progress(&j.id, &p(1, 4)).await.unwrap());
    let seen = next(&mut w).await;
    assert_eq!(seen.progress, Some(p(1, 4)), "watchers see progress");
    assert_eq!(
        s.get("acme", &j.id).await.unwrap().unwrap().progress,
        Some(p(1, 4))
    );
    s.complete(&j.id, "rk-pg1", b"a", "c")
        .await
        .unwrap()
        .unwrap();
    assert!(!s.set_progress(&j.id, &p(2, 4)).await.unwrap(), "finished");
    let done = s.get("acme", &j.id).await.unwrap().unwrap();
    assert_eq!(
        (done.state, done.progress),
        (JobState::Succeeded, Some(p(1, 4)))
    );
}

/// The OCR lane is a queue of its own: what is published there is consumed there only, and
/// dead-letters into the deployment's one dead-letter stream.
pub async fn queue_ocr_lane(text: Arc<dyn JobQueue>, ocr: Arc<dyn JobQueue>) {
    let m = message_for(&job("acme", "", "ocr1"));
    let mut texts = text.consume(1).await.unwrap();
    let mut scans = ocr.consume(1).await.unwrap();
    let mut dead = text.consume_dead_letters().await.unwrap();
    ocr.publish(&m, &[]).await.unwrap();
    let d = next(&mut scans).await;
    assert_eq!(d.message, m);
    assert!(
        tokio::time::timeout(Duration::from_millis(500), texts.next())
            .await
            .is_err(),
        "the text lane must not see the scan"
    );
    d.acker.reject().await.unwrap();
    let dl = next(&mut dead).await;
    assert_eq!(dl.message.job_id, m.job_id);
    dl.acker.ack().await.unwrap();
}
