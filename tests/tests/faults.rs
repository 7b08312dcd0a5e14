//! Fault tests: the reliability rules of docs/ARCHITECTURE.md, proven against the REAL `fazhi` binary
//! (`fazhi gateway`, `fazhi worker` as separate OS processes) on the real RabbitMQ and Redis.
//!
//! Every scenario runs under its own queue and Redis prefix, on free loopback ports; a
//! [`Run`] guard ([`fazhi_tests::procs`]) kills its child processes and deletes its queues and
//! keys on drop (also on panic). Scenarios that take the broker or Redis down restore them in a
//! guard of their own. The scenarios share the broker, so they are serialized by [`SERIAL`].

use std::{
    collections::{HashMap, HashSet},
    time::{Duration, Instant},
};

use fazhi_tests::{
    Client,
    procs::{Run, eventually, http_status, redis_cli, redis_count, sh},
    submission, text_reports,
    wire::{
        self, GetAssessmentRequest, GetJobRequest, JobState, ListJobsRequest, SubmitReportRequest,
    },
};
use futures::StreamExt;
use tonic::Code;

/// The scenarios share one broker and one Redis (outages hit everybody): one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---------------------------------------------------------------- outage guards

/// Restarts the RabbitMQ app on drop (also on panic).
struct BrokerOutage;

impl BrokerOutage {
    fn start() -> Self {
        sh("rabbitmqctl", &["-q", "stop_app"]).expect("rabbitmqctl stop_app");
        BrokerOutage
    }
}

impl Drop for BrokerOutage {
    fn drop(&mut self) {
        if let Err(e) = sh("rabbitmqctl", &["-q", "start_app"]) {
            eprintln!("RESTORE FAILED: rabbitmqctl start_app: {e}");
        }
        let _ = sh("rabbitmqctl", &["-q", "await_startup"]);
    }
}

/// Unpauses Redis on drop (also on panic).
struct RedisPause;

impl Drop for RedisPause {
    fn drop(&mut self) {
        let _ = sh(
            "redis-cli",
            &["-h", "127.0.0.1", "-p", "6379", "CLIENT", "UNPAUSE"],
        );
    }
}

// ---------------------------------------------------------------- jobs

/// A unique document: a seed plus one distinguishing line (so the result cache never hits).
fn doc(tag: &str, i: usize) -> SubmitReportRequest {
    let seeds = text_reports();
    let seed = &seeds[i % seeds.len()];
    submission(
        seed,
        &format!("\n附注：故障测试 {tag} 第{i}份。\n"),
        &format!("{tag}-{i}"),
    )
}

/// Submits `reqs` with `conc` calls at once; returns (request id, result) in order.
async fn submit_all(
    client: &Client,
    reqs: Vec<SubmitReportRequest>,
    conc: usize,
) -> Vec<(String, Result<wire::Job, tonic::Status>)> {
    futures::stream::iter(reqs)
        .map(|r| {
            let mut c = client.clone();
            async move {
                let rid = r.request_id.clone();
                (rid, c.submit_report(r).await.map(|r| r.into_inner()))
            }
        })
        .buffered(conc)
        .collect()
        .await
}

fn accepted(results: Vec<(String, Result<wire::Job, tonic::Status>)>) -> Vec<wire::Job> {
    results
        .into_iter()
        .map(|(rid, r)| r.unwrap_or_else(|s| panic!("submit {rid} refused: {s:?}")))
        .collect()
}

async fn count_in_state(client: &Client, state: JobState) -> usize {
    let mut c = client.clone();
    let mut n = 0;
    let mut token = String::new();
    loop {
        let Ok(r) = c
            .list_jobs(ListJobsRequest {
                page_size: 500,
                page_token: token.clone(),
                state: state as i32,
            })
            .await
        else {
            return n;
        };
        let r = r.into_inner();
        n += r.jobs.len();
        if r.next_page_token.is_empty() {
            return n;
        }
        token = r.next_page_token;
    }
}

fn terminal(j: &wire::Job) -> bool {
    matches!(
        j.state(),
        JobState::Succeeded | JobState::Failed | JobState::Cancelled
    )
}

/// Polls GetJob until every job is terminal; returns the final jobs by id.
async fn wait_all_terminal(
    client: &Client,
    ids: &[String],
    limit: Duration,
) -> HashMap<String, wire::Job> {
    let deadline = Instant::now() + limit;
    let mut done: HashMap<String, wire::Job> = HashMap::new();
    loop {
        let pending: Vec<String> = ids
            .iter()
            .filter(|id| !done.contains_key(*id))
            .cloned()
            .collect();
        if pending.is_empty() {
            return done;
        }
        let fetched: Vec<Option<wire::Job>> = futures::stream::iter(pending.clone())
            .map(|id| {
                let mut c = client.clone();
                async move {
                    c.get_job(GetJobRequest { id })
                        .await
                        .ok()
                        .map(|r| r.into_inner())
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
        for j in fetched.into_iter().flatten() {
            if terminal(&j) {
                done.insert(j.id.clone(), j);
            }
        }
        if done.len() == ids.len() {
            return done;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} jobs not terminal within {limit:?} (e.g. {:?})",
            ids.len() - done.len(),
            ids.len(),
            ids.iter().find(|id| !done.contains_key(*id))
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Every job SUCCEEDED, its assessment is fetchable, and exactly one result is stored per
/// distinct content; nothing is left QUEUED or with a pending message.
async fn assert_all_succeeded(
    run: &Run,
    client: &Client,
    ids: &[String],
    limit: Duration,
) -> HashMap<String, wire::Job> {
    let done = wait_all_terminal(client, ids, limit).await;
    let bad: Vec<_> = done
        .values()
        .filter(|j| j.state() != JobState::Succeeded)
        .take(3)
        .collect();
    assert!(bad.is_empty(), "jobs not SUCCEEDED: {bad:?}");
    let fetched: Vec<(String, Result<wire::Assessment, tonic::Status>)> =
        futures::stream::iter(ids.to_vec())
            .map(|id| {
                let mut c = client.clone();
                async move {
                    let r = c
                        .get_assessment(GetAssessmentRequest { job_id: id.clone() })
                        .await
                        .map(|r| r.into_inner());
                    (id, r)
                }
            })
            .buffer_unordered(32)
            .collect()
            .await;
    for (id, r) in fetched {
        r.unwrap_or_else(|s| panic!("GetAssessment {id}: {s:?}"));
    }
    let contents: HashSet<&str> = done.values().map(|j| j.content_sha256.as_str()).collect();
    assert_eq!(
        contents.len(),
        ids.len(),
        "documents were meant to be distinct"
    );
    let results = redis_count(&format!("{}result:*", run.redis_prefix));
    assert_eq!(
        results,
        contents.len(),
        "exactly one stored result per content"
    );
    assert_eq!(
        redis_count(&format!("{}msg:*", run.redis_prefix)),
        0,
        "pending job messages left for finished jobs"
    );
    done
}

// ---------------------------------------------------------------- scenarios

/// 1. A worker SIGKILLed while it holds unacknowledged deliveries loses nothing: the broker
///    redelivers them to the next worker, every job ends SUCCEEDED exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_sigkill_mid_batch_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let mut run = Run::new();
    let gw = run.gateway(&[]).await;
    let client = run.client(gw).await;
    let n = 500;
    // The jobs belong to a batch, whose counts must come out right across the kill.
    let batch = client
        .clone()
        .create_batch(wire::CreateBatchRequest {
            display_name: "kill".into(),
            ..Default::default()
        })
        .await
        .expect("CreateBatch")
        .into_inner();
    let reqs = (0..n)
        .map(|i| {
            let mut r = doc("kill", i);
            r.batch_id = batch.id.clone();
            r
        })
        .collect();
    let jobs = accepted(submit_all(&client, reqs, 16).await);
    let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();

    let w1 = run.worker(&["--prefetch", "32"]).await;
    // Kill it once it has finished some jobs and holds unacked ones.
    eventually(
        "first worker completes 20 jobs",
        Duration::from_secs(60),
        || {
            let c = client.clone();
            async move { count_in_state(&c, JobState::Succeeded).await >= 20 }
        },
    )
    .await;
    run.kill9(w1);
    let succeeded = count_in_state(&client, JobState::Succeeded).await;
    assert!(
        succeeded < n,
        "the batch finished before the kill ({succeeded}); make it bigger"
    );
    eprintln!("killed worker: {succeeded}/{n} done");

    let _w2 = run.worker(&["--prefetch", "8"]).await;
    let done = assert_all_succeeded(&run, &client, &ids, Duration::from_secs(90)).await;
    // The killed worker had started jobs it never acked: they ran again, once more.
    let rerun = done.values().filter(|j| j.attempts >= 2).count();
    assert!(
        rerun > 0,
        "no job held by the killed worker was redelivered"
    );
    eprintln!("{rerun} jobs held by the killed worker were redelivered and completed");
    // Each job counted once, in its final state, redeliveries or not; one summary row each.
    let got = client
        .clone()
        .get_batch(wire::GetBatchRequest {
            id: batch.id.clone(),
        })
        .await
        .expect("GetBatch")
        .into_inner();
    let counts = got.counts.expect("counts");
    assert_eq!(got.total as usize, n);
    assert_eq!(
        (
            counts.succeeded as usize,
            counts.queued,
            counts.running,
            counts.failed
        ),
        (n, 0, 0, 0)
    );
    let summary = client
        .clone()
        .get_batch_summary(wire::GetBatchSummaryRequest {
            batch_id: batch.id.clone(),
            ..Default::default()
        })
        .await
        .expect("GetBatchSummary")
        .into_inner();
    assert_eq!(summary.rows.len(), n);
}

/// 2. A gateway SIGKILLed while clients submit: every job it answered for completes (jobs
///    recorded but never published are re-published by the orphan reconciler).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_restart_mid_batch_keeps_acknowledged_jobs() {
    let _serial = SERIAL.lock().await;
    let mut run = Run::new();
    let _w = run
        .worker(&[
            "--prefetch",
            "8",
            "--reconcile-every",
            "1s",
            "--reconcile-older-than",
            "3s",
        ])
        .await;
    let gw1 = run.gateway(&[]).await;
    let c1 = run.client(gw1).await;
    let submitting = tokio::spawn({
        let c1 = c1.clone();
        async move { submit_all(&c1, (0..400).map(|i| doc("gwkill", i)).collect(), 8).await }
    });
    eventually("some submissions accepted", Duration::from_secs(30), || {
        let c = c1.clone();
        async move { count_in_state(&c, JobState::Unspecified).await >= 60 }
    })
    .await;
    run.kill9(gw1);
    let results = submitting.await.expect("submit task");
    let mut acked: Vec<String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().map(|j| j.id.clone()))
        .collect();
    let refused = results.len() - acked.len();
    assert!(refused > 0, "the kill should have interrupted the batch");
    eprintln!(
        "gateway killed: {} acknowledged, {refused} cut off",
        acked.len()
    );

    let gw2 = run.gateway(&[]).await;
    let c2 = run.client(gw2).await;
    // Clients retry what was cut off with the same request ids, and go on.
    let retry: Vec<SubmitReportRequest> = (0..400)
        .filter(|i| results[*i].1.is_err())
        .map(|i| doc("gwkill", i))
        .chain((400..450).map(|i| doc("gwkill", i)))
        .collect();
    acked.extend(
        accepted(submit_all(&c2, retry, 8).await)
            .into_iter()
            .map(|j| j.id),
    );
    assert_all_succeeded(&run, &c2, &acked, Duration::from_secs(90)).await;
    assert_eq!(
        redis_cli(&["ZCARD", &format!("{}queued", run.redis_prefix)]).trim(),
        "0",
        "jobs left QUEUED"
    );
}

/// 3. RabbitMQ down: SubmitReport answers UNAVAILABLE promptly, /readyz is 503; back up:
///    the same processes accept and complete work again without a restart, and a request
///    refused during the outage succeeds when retried with its request id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_outage_unavailable_then_recovers() {
    let _serial = SERIAL.lock().await;
    let mut run = Run::new();
    let gw = run.gateway(&[]).await;
    let w = run
        .worker(&[
            "--prefetch",
            "4",
            "--reconcile-every",
            "1s",
            "--reconcile-older-than",
            "3s",
        ])
        .await;
    let client = run.client(gw).await;
    let before =
        accepted(submit_all(&client, (0..10).map(|i| doc("broker", i)).collect(), 4).await);
    let mut ids: Vec<String> = before.iter().map(|j| j.id.clone()).collect();
    wait_all_terminal(&client, &ids, Duration::from_secs(60)).await;

    {
        let _outage = BrokerOutage::start();
        let t0 = Instant::now();
        let r = client.clone().submit_report(doc("broker", 100)).await;
        let took = t0.elapsed();
        let status = r.expect_err("a submission while RabbitMQ is down must not be accepted");
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(took < Duration::from_secs(10), "UNAVAILABLE took {took:?}");
        eprintln!("broker down: UNAVAILABLE after {took:?}");
        let (gh, wh) = (run.http(gw), run.http(w));
        eventually(
            "gateway /readyz 503",
            Duration::from_secs(10),
            || async move { http_status(gh, "/readyz").await == Some(503) },
        )
        .await;
        eventually(
            "worker /readyz 503",
            Duration::from_secs(10),
            || async move { http_status(wh, "/readyz").await == Some(503) },
        )
        .await;
    } // start_app

    let (gh, wh) = (run.http(gw), run.http(w));
    eventually(
        "gateway ready again",
        Duration::from_secs(60),
        || async move { http_status(gh, "/readyz").await == Some(200) },
    )
    .await;
    eventually(
        "worker ready again",
        Duration::from_secs(60),
        || async move { http_status(wh, "/readyz").await == Some(200) },
    )
    .await;
    // The refused request, retried with the same id, and new work: all accepted and done.
    let deadline = Instant::now() + Duration::from_secs(60);
    let retried = loop {
        match client.clone().submit_report(doc("broker", 100)).await {
            Ok(j) => break j.into_inner().id,
            Err(s) => assert!(
                Instant::now() < deadline,
                "submissions not accepted again within 60 s: {s:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    ids.push(retried);
    eprintln!("broker back: submissions accepted again");
    let after =
        accepted(submit_all(&client, (10..30).map(|i| doc("broker", i)).collect(), 4).await);
    ids.extend(after.into_iter().map(|j| j.id));
    assert_all_succeeded(&run, &client, &ids, Duration::from_secs(60)).await;
    assert!(run.try_wait(gw).is_none() && run.try_wait(w).is_none());
}

/// 4. Redis connections killed, then Redis paused for writes: calls answer (OK or
///    UNAVAILABLE) within the store timeout instead of hanging; afterwards work resumes
///    without restarting anything, and nothing is left QUEUED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_outage_recovers() {
    let _serial = SERIAL.lock().await;
    let mut run = Run::new();
    let gw = run.gateway(&[]).await;
    let w = run
        .worker(&[
            "--prefetch",
            "4",
            "--reconcile-every",
            "1s",
            "--reconcile-older-than",
            "3s",
        ])
        .await;
    let client = run.client(gw).await;
    let mut ids: Vec<String> = Vec::new();
    let first = accepted(submit_all(&client, (0..10).map(|i| doc("redis", i)).collect(), 4).await);
    ids.extend(first.into_iter().map(|j| j.id));

    // Every client connection dropped (gateway, worker, their pub/sub).
    redis_cli(&["CLIENT", "KILL", "TYPE", "normal"]);
    redis_cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    let mut ok_after_kill = 0;
    for i in 10..20 {
        let t0 = Instant::now();
        match client.clone().submit_report(doc("redis", i)).await {
            Ok(j) => {
                ok_after_kill += 1;
                ids.push(j.into_inner().id);
            }
            Err(s) => assert_eq!(s.code(), Code::Unavailable, "{s:?}"),
        }
        assert!(t0.elapsed() < Duration::from_secs(6), "submit hung");
    }
    assert!(
        ok_after_kill > 0,
        "no submission succeeded after CLIENT KILL"
    );

    // Writes paused for 4 s: a submission answers within the store timeout (2 s) + slack.
    {
        let _pause = RedisPause;
        redis_cli(&["CLIENT", "PAUSE", "4000", "WRITE"]);
        let t0 = Instant::now();
        let r = client.clone().submit_report(doc("redis", 50)).await;
        let took = t0.elapsed();
        assert!(
            took < Duration::from_secs(4),
            "submit during pause took {took:?}"
        );
        eprintln!(
            "redis paused: submit answered {:?} after {took:?}",
            r.as_ref().map(|_| ()).map_err(|s| s.code())
        );
        match r {
            Ok(j) => ids.push(j.into_inner().id),
            Err(s) => assert_eq!(s.code(), Code::Unavailable, "{s:?}"),
        }
        tokio::time::sleep(Duration::from_millis(3000)).await;
    }

    let more = accepted(submit_all(&client, (20..40).map(|i| doc("redis", i)).collect(), 4).await);
    ids.extend(more.into_iter().map(|j| j.id));
    let done = wait_all_terminal(&client, &ids, Duration::from_secs(60)).await;
    assert!(
        done.values().all(|j| j.state() == JobState::Succeeded),
        "{done:?}"
    );
    // A job recorded during the pause but refused to the client is an orphan: reconciled.
    let queued_key = format!("{}queued", run.redis_prefix);
    eventually("no job left QUEUED", Duration::from_secs(30), || {
        let k = queued_key.clone();
        async move { redis_cli(&["ZCARD", &k]).trim() == "0" }
    })
    .await;
    assert!(run.try_wait(gw).is_none() && run.try_wait(w).is_none());
}

/// 5. Poison documents: one the engine rejects is FAILED with its error code at once; one
///    that always exceeds the job time limit is FAILED (dead-lettered) after the delivery
///    limit; the worker keeps serving good jobs meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_documents_fail_and_worker_keeps_serving() {
    let _serial = SERIAL.lock().await;
    let mut run = Run::new();
    let gw = run.gateway(&[]).await;
    let client = run.client(gw).await;
    let _w = run.worker(&["--prefetch", "4"]).await;

    let garbage = SubmitReportRequest {
        request_id: "poison-pdf".into(),
        document: Some(wire::Document {
            content: b"%PDF-1.7\n\x00\x01 not really a pdf \xff\xfe garbage".to_vec(),
            media_type: "application/pdf".into(),
            filename: "bad.pdf".into(),
            charset: String::new(),
        }),
        ..Default::default()
    };
    let bad = client
        .clone()
        .submit_report(garbage)
        .await
        .expect("garbage pdf accepted for scoring")
        .into_inner();
    let good = accepted(submit_all(&client, (0..10).map(|i| doc("poison", i)).collect(), 4).await);
    let mut ids: Vec<String> = good.iter().map(|j| j.id.clone()).collect();
    ids.push(bad.id.clone());
    let done = wait_all_terminal(&client, &ids, Duration::from_secs(60)).await;
    let b = &done[&bad.id];
    assert_eq!(b.state(), JobState::Failed, "{b:?}");
    assert!(!b.error_code.is_empty(), "FAILED without a reason: {b:?}");
    for id in &ids[..10] {
        assert_eq!(done[id].state(), JobState::Succeeded, "{:?}", done[id]);
    }

    // Time limit: a worker whose every engine run times out → retried up to the delivery
    // limit → dead-lettered → FAILED with a reason, and the process stays up.
    let slow = run
        .worker(&["--prefetch", "2", "--job-timeout", "1ms"])
        .await;
    run.kill9(_w);
    let big = {
        let seed = std::fs::read(&text_reports()[0]).expect("seed");
        let mut content = Vec::new();
        for i in 0..30 {
            content.extend_from_slice(&seed);
            content.extend_from_slice(format!("\n第{i}节\n").as_bytes());
        }
        SubmitReportRequest {
            request_id: "poison-slow".into(),
            document: Some(wire::Document {
                content,
                media_type: "text/plain".into(),
                filename: "big.txt".into(),
                charset: String::new(),
            }),
            ..Default::default()
        }
    };
    let slow_job = client
        .clone()
        .submit_report(big)
        .await
        .expect("big document accepted")
        .into_inner();
    let done = wait_all_terminal(
        &client,
        std::slice::from_ref(&slow_job.id),
        Duration::from_secs(60),
    )
    .await;
    let j = &done[&slow_job.id];
    assert_eq!(j.state(), JobState::Failed, "{j:?}");
    assert!(!j.error_code.is_empty(), "FAILED without a reason: {j:?}");
    eprintln!(
        "timed-out job: {} {} ({})",
        j.error_code, j.error_message, j.attempts
    );
    assert!(run.try_wait(slow).is_none(), "the worker died");
}

/// 6. Rolling restart: SIGTERM a worker mid-batch (it finishes or gives back its in-flight
///    jobs and exits 0), start another; SIGTERM the gateway (it drains and exits 0). Every
///    job completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_rolling_restart_loses_nothing() {
    let _serial = SERIAL.lock().await;
    let mut run = Run::new();
    let gw1 = run.gateway(&[]).await;
    let c1 = run.client(gw1).await;
    let jobs = accepted(submit_all(&c1, (0..150).map(|i| doc("roll", i)).collect(), 16).await);
    let mut ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();

    let w1 = run.worker(&["--prefetch", "16"]).await;
    eventually(
        "first worker completes 10 jobs",
        Duration::from_secs(60),
        || {
            let c = c1.clone();
            async move { count_in_state(&c, JobState::Succeeded).await >= 10 }
        },
    )
    .await;
    run.signal(w1, "TERM");
    let st = run.wait_exit(w1, Duration::from_secs(20)).await;
    assert!(st.success(), "worker exit after SIGTERM: {st}");
    let _w2 = run.worker(&["--prefetch", "8"]).await;

    // Gateway rolling restart: a new one comes up, the old one is told to stop.
    let gw2 = run.gateway(&[]).await;
    let c2 = run.client(gw2).await;
    run.signal(gw1, "TERM");
    let st = run.wait_exit(gw1, Duration::from_secs(20)).await;
    assert!(st.success(), "gateway exit after SIGTERM: {st}");
    let more = accepted(submit_all(&c2, (150..200).map(|i| doc("roll", i)).collect(), 8).await);
    ids.extend(more.into_iter().map(|j| j.id));
    assert_all_succeeded(&run, &c2, &ids, Duration::from_secs(90)).await;
}
