//! End-to-end: the real gateway and scorer, over gRPC, on RabbitMQ + Redis (`real_*`) and on the
//! in-memory backends of the embedded mode (`embedded_*`). Same scenarios, same assertions.

use std::{collections::HashMap, time::Duration};

use fazhi_tests::{
    Harness, Key, Mode, poll_job, sample_reports, submission, text_reports, watch_until_done, wire,
};
use tonic::Code;
use wire::{
    CancelJobRequest, Document, GetAssessmentRequest, GetJobRequest, JobState,
    ListChecklistsRequest, ListJobsRequest, SubmitReportRequest,
};

const JOB_LIMIT: Duration = Duration::from_secs(90);

macro_rules! both_modes {
    ($($name:ident),* $(,)?) => {
        mod real {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(fazhi_tests::Mode::Real).await
                }
            )*
        }
        mod embedded {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(fazhi_tests::Mode::Embedded).await
                }
            )*
        }
    };
}

both_modes!(
    seeds_are_assessed,
    request_id_is_idempotent,
    queued_job_cancelled_stays_cancelled,
    list_jobs_pages,
    bad_requests_get_precise_codes,
    tenants_are_isolated,
);

/// Checklist id → number of scored areas, as the server reports them.
async fn area_counts(client: &mut fazhi_tests::Client) -> HashMap<String, usize> {
    client
        .list_checklists(ListChecklistsRequest {})
        .await
        .expect("ListChecklists")
        .into_inner()
        .checklists
        .into_iter()
        .map(|c| (c.id, c.areas.len()))
        .collect()
}

/// Every example report (text, GBK HTML, DOCX, PDF, a non-report) goes through queue and workers to SUCCEEDED with complete assessments; a
/// resubmission is answered from the result cache.
async fn seeds_are_assessed(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    h.start_workers(2);
    let mut client = h.client().await;
    let areas = area_counts(&mut client).await;
    assert_eq!(areas.get("gangyao-2021-2025"), Some(&9), "{areas:?}");
    assert_eq!(areas.get("gangyao-2015-2020"), Some(&8), "{areas:?}");

    let mut jobs = Vec::new();
    for path in sample_reports() {
        let job = client
            .submit_report(submission(&path, "", ""))
            .await
            .expect("SubmitReport")
            .into_inner();
        assert!(!job.id.is_empty());
        assert_eq!(job.state(), JobState::Queued, "{}: {job:?}", path.display());
        assert!(!job.deduplicated);
        assert_eq!(job.content_sha256.len(), 64);
        assert_eq!(job.labels.get("suite").map(String::as_str), Some("e2e"));
        jobs.push((path, job));
    }

    let mut first = None;
    for (path, job) in &jobs {
        let done = watch_until_done(&mut client, job.clone(), JOB_LIMIT).await;
        assert_eq!(
            done.state(),
            JobState::Succeeded,
            "{}: {} {}",
            path.display(),
            done.error_code,
            done.error_message
        );
        assert!(done.attempts >= 1, "{done:?}");
        let a = client
            .get_assessment(GetAssessmentRequest {
                job_id: done.id.clone(),
            })
            .await
            .expect("GetAssessment")
            .into_inner();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let want_checklist = if name.starts_with("2020") {
            "gangyao-2015-2020"
        } else {
            "gangyao-2021-2025"
        };
        assert_eq!(a.checklist_id, want_checklist, "{name}");
        assert_eq!(a.content_sha256, job.content_sha256, "{name}");
        assert!(!a.required_parts.is_empty(), "{name}");
        // The examples name their one non-report `YEAR-plan-…`.
        if name.contains("-plan-") {
            assert_eq!(
                a.report.as_ref().map(|r| r.kind.as_str()),
                Some("not_report"),
                "{name}"
            );
            assert_eq!(a.grade, "N/A", "{name}");
            assert!(a.areas.is_empty(), "{name}");
            continue;
        }
        assert_eq!(a.areas.len(), areas[want_checklist], "{name}: area count");
        let want_ids: Vec<String> = (2..2 + areas[want_checklist])
            .map(|i| i.to_string())
            .collect();
        let got_ids: Vec<String> = a.areas.iter().map(|x| x.id.clone()).collect();
        assert_eq!(got_ids, want_ids, "{name}");
        assert!(
            (0.0..=100.0).contains(&a.score),
            "{name}: score {}",
            a.score
        );
        assert!(
            ["A", "B", "C", "D"].contains(&a.grade.as_str()),
            "{name}: grade {}",
            a.grade
        );
        assert_eq!(
            a.report.as_ref().map(|r| r.kind.as_str()),
            Some("report"),
            "{name}"
        );
        assert!(!a.engine_version.is_empty());
        if !done.checklist_id.is_empty() {
            assert_eq!(done.checklist_id, want_checklist);
        }
        if first.is_none() {
            first = Some((path.clone(), a));
        }
    }

    // Same bytes again: SUCCEEDED at once, deduplicated, same assessment.
    let (path, original) = first.expect("at least one report");
    let again = client
        .submit_report(submission(&path, "", ""))
        .await
        .expect("SubmitReport (again)")
        .into_inner();
    assert!(again.deduplicated, "{again:?}");
    assert_eq!(again.state(), JobState::Succeeded);
    assert_ne!(
        again.id, jobs[0].1.id,
        "a deduplicated submission is a job of its own"
    );
    let cached = client
        .get_assessment(GetAssessmentRequest {
            job_id: again.id.clone(),
        })
        .await
        .expect("GetAssessment (cached)")
        .into_inner();
    assert_eq!(cached.content_sha256, original.content_sha256);
    assert_eq!(cached.score, original.score);

    // The synchronous path gives the same verdict for the same bytes.
    let sync = client
        .assess_report(submission(&path, "", ""))
        .await
        .expect("AssessReport")
        .into_inner();
    assert_eq!(sync.score, original.score);
    assert_eq!(sync.areas.len(), original.areas.len());
    h.shutdown().await;
}

/// The same request_id returns the same job; bulk intake answers one job per request, in order.
async fn request_id_is_idempotent(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    let mut client = h.client().await;
    let seed = &text_reports()[1];
    let rid = format!("rid-{}", h.prefix);
    let a = client
        .submit_report(submission(seed, "\nA", &rid))
        .await
        .expect("first")
        .into_inner();
    let b = client
        .submit_report(submission(seed, "\nA", &rid))
        .await
        .expect("second")
        .into_inner();
    assert_eq!(a.id, b.id);
    // A different request id for the same bytes is a new job.
    let c = client
        .submit_report(submission(seed, "\nA", &format!("{rid}-other")))
        .await
        .expect("third")
        .into_inner();
    assert_ne!(a.id, c.id);

    let reqs: Vec<SubmitReportRequest> = (0..3)
        .map(|i| submission(seed, &format!("\nbulk {i}"), &format!("{rid}-bulk-{i}")))
        .collect();
    let mut stream = client
        .submit_reports(futures::stream::iter(reqs))
        .await
        .expect("SubmitReports")
        .into_inner();
    let mut ids = Vec::new();
    while let Some(job) = stream.message().await.expect("SubmitReports item") {
        ids.push(job.id);
    }
    assert_eq!(ids.len(), 3);
    // Replaying the first bulk request id returns the same job.
    let again = client
        .submit_report(submission(seed, "\nbulk 0", &format!("{rid}-bulk-0")))
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(again.id, ids[0]);
    h.shutdown().await;
}

/// A job cancelled while QUEUED stays CANCELLED when a worker later takes its message.
async fn queued_job_cancelled_stays_cancelled(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    let mut client = h.client().await;
    let seeds = sample_reports();
    let job = client
        .submit_report(submission(&seeds[2], "", ""))
        .await
        .expect("submit")
        .into_inner();
    assert_eq!(job.state(), JobState::Queued);
    let cancelled = client
        .cancel_job(CancelJobRequest { id: job.id.clone() })
        .await
        .expect("CancelJob")
        .into_inner();
    assert_eq!(cancelled.state(), JobState::Cancelled);
    let again = client
        .cancel_job(CancelJobRequest { id: job.id.clone() })
        .await
        .expect_err("cancelling a CANCELLED job");
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");

    // Now a worker comes up and drains the queue, the cancelled job's message first.
    h.start_workers(1);
    let sentinel = client
        .submit_report(submission(&seeds[3], "", ""))
        .await
        .expect("submit sentinel")
        .into_inner();
    let done = watch_until_done(&mut client, sentinel, JOB_LIMIT).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while h.queue.depth().await.expect("queue depth") > 0 {
        assert!(tokio::time::Instant::now() < deadline, "queue not drained");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = client
        .get_job(GetJobRequest { id: job.id.clone() })
        .await
        .expect("GetJob")
        .into_inner();
    assert_eq!(after.state(), JobState::Cancelled, "{after:?}");
    let err = client
        .get_assessment(GetAssessmentRequest {
            job_id: job.id.clone(),
        })
        .await
        .expect_err("no assessment for a cancelled job");
    assert_eq!(err.code(), Code::FailedPrecondition);

    // A finished job cannot be cancelled.
    let err = client
        .cancel_job(CancelJobRequest {
            id: done.id.clone(),
        })
        .await
        .expect_err("cancelling a SUCCEEDED job");
    assert_eq!(err.code(), Code::FailedPrecondition);
    h.shutdown().await;
}

/// ListJobs: newest first, pages of page_size, every job exactly once, state filter.
async fn list_jobs_pages(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    let mut client = h.client().await;
    let seed = &text_reports()[0];
    let mut submitted = Vec::new();
    for i in 0..7 {
        let job = client
            .submit_report(submission(seed, &format!("\npage {i}"), ""))
            .await
            .expect("submit")
            .into_inner();
        submitted.push(job.id);
        // Distinct creation times keep "newest first" unambiguous.
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut sizes = Vec::new();
    for _ in 0..20 {
        let page = client
            .list_jobs(ListJobsRequest {
                page_size: 3,
                page_token: token.clone(),
                state: 0,
            })
            .await
            .expect("ListJobs")
            .into_inner();
        sizes.push(page.jobs.len());
        seen.extend(page.jobs.into_iter().map(|j| j.id));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert!(sizes.iter().all(|&n| n <= 3), "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 7, "{sizes:?}");
    let mut newest_first = submitted.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);

    let queued = client
        .list_jobs(ListJobsRequest {
            page_size: 100,
            page_token: String::new(),
            state: JobState::Queued as i32,
        })
        .await
        .expect("ListJobs QUEUED")
        .into_inner();
    assert_eq!(queued.jobs.len(), 7);
    assert!(queued.next_page_token.is_empty());
    let succeeded = client
        .list_jobs(ListJobsRequest {
            page_size: 100,
            page_token: String::new(),
            state: JobState::Succeeded as i32,
        })
        .await
        .expect("ListJobs SUCCEEDED")
        .into_inner();
    assert!(succeeded.jobs.is_empty());

    let err = client
        .list_jobs(ListJobsRequest {
            page_size: 3,
            page_token: "not-a-token".into(),
            state: 0,
        })
        .await
        .expect_err("bad page token");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    let err = client
        .list_jobs(ListJobsRequest {
            page_size: -1,
            page_token: String::new(),
            state: 0,
        })
        .await
        .expect_err("negative page size");
    assert_eq!(err.code(), Code::InvalidArgument, "{err:?}");
    h.shutdown().await;
}

/// Bad input gets the precise status code, with details.
async fn bad_requests_get_precise_codes(mode: Mode) {
    let mut h = Harness::new(mode).await;
    let mut cfg = Harness::gateway_config();
    cfg = cfg.with_max_document_bytes(64 * 1024);
    h.start_gateway_with(cfg).await;
    let mut client = h.client().await;
    let seed = &text_reports()[0];

    let doc = |content: Vec<u8>, media: &str| SubmitReportRequest {
        document: Some(Document {
            content,
            media_type: media.into(),
            filename: "x.txt".into(),
            charset: String::new(),
        }),
        ..Default::default()
    };
    let cases: Vec<(&str, SubmitReportRequest, Code)> = vec![
        (
            "missing document",
            SubmitReportRequest::default(),
            Code::InvalidArgument,
        ),
        (
            "empty content",
            doc(Vec::new(), "text/plain"),
            Code::InvalidArgument,
        ),
        (
            "bad media type",
            doc(b"abc".to_vec(), "image/gif"),
            Code::InvalidArgument,
        ),
        (
            "too large",
            doc(vec![b'a'; 100 * 1024], "text/plain"),
            Code::ResourceExhausted,
        ),
        (
            "unknown checklist",
            SubmitReportRequest {
                checklist_id: "gangyao-1999".into(),
                ..submission(seed, "", "")
            },
            Code::InvalidArgument,
        ),
        (
            "request id too long",
            submission(seed, "", &"r".repeat(65)),
            Code::InvalidArgument,
        ),
        (
            "bad published date",
            SubmitReportRequest {
                hints: Some(wire::ReportHints {
                    published_date: "2024-13-45".into(),
                    ..Default::default()
                }),
                ..submission(seed, "", "")
            },
            Code::InvalidArgument,
        ),
    ];
    for (what, req, code) in cases {
        let err = client.submit_report(req.clone()).await.expect_err(what);
        assert_eq!(err.code(), code, "SubmitReport {what}: {err:?}");
        assert!(
            !err.details().is_empty(),
            "{what}: no google.rpc.Status details"
        );
        let err = client.assess_report(req).await.expect_err(what);
        assert_eq!(err.code(), code, "AssessReport {what}: {err:?}");
    }

    let err = client
        .get_job(GetJobRequest {
            id: "no-such-job".into(),
        })
        .await
        .expect_err("unknown job");
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .get_assessment(GetAssessmentRequest {
            job_id: "no-such-job".into(),
        })
        .await
        .expect_err("unknown job");
    assert_eq!(err.code(), Code::NotFound);
    let err = client
        .cancel_job(CancelJobRequest {
            id: "no-such-job".into(),
        })
        .await
        .expect_err("unknown job");
    assert_eq!(err.code(), Code::NotFound);
    let mut watch = client
        .watch_job(GetJobRequest {
            id: "no-such-job".into(),
        })
        .await;
    if let Ok(stream) = &mut watch {
        let first = stream.get_mut().message().await;
        let err = first.expect_err("WatchJob of an unknown job");
        assert_eq!(err.code(), Code::NotFound);
    } else if let Err(err) = watch {
        assert_eq!(err.code(), Code::NotFound);
    }
    h.shutdown().await;
}

/// With an auth file: no or a wrong key → UNAUTHENTICATED; another tenant's job is NOT_FOUND
/// and absent from its list; assessments are shared by content.
async fn tenants_are_isolated(mode: Mode) {
    let mut h = Harness::new(mode).await;
    let cfg = h.two_tenant_config();
    let auth_dir = cfg
        .auth_file
        .as_ref()
        .and_then(|p| p.parent())
        .map(std::path::Path::to_path_buf);
    h.start_gateway_with(cfg).await;
    h.start_workers(1);
    let seed = &sample_reports()[4];

    let mut anon = h.client().await;
    let err = anon
        .submit_report(submission(seed, "", ""))
        .await
        .expect_err("no key");
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut wrong = h.client_with(Key::bearer("nope")).await;
    let err = wrong
        .list_jobs(ListJobsRequest::default())
        .await
        .expect_err("wrong key");
    assert_eq!(err.code(), Code::Unauthenticated);

    let mut alpha = h.client_with(Key::bearer("alpha-key")).await;
    let mut beta = h.client_with(Key::bearer("beta-key")).await;
    let job = alpha
        .submit_report(submission(seed, "", "shared-rid"))
        .await
        .expect("alpha submits")
        .into_inner();
    let done = watch_until_done(&mut alpha, job.clone(), JOB_LIMIT).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");

    let err = beta
        .get_job(GetJobRequest { id: job.id.clone() })
        .await
        .expect_err("beta reads alpha's job");
    assert_eq!(err.code(), Code::NotFound);
    let err = beta
        .get_assessment(GetAssessmentRequest {
            job_id: job.id.clone(),
        })
        .await
        .expect_err("beta reads alpha's assessment by job");
    assert_eq!(err.code(), Code::NotFound);
    let err = beta
        .cancel_job(CancelJobRequest { id: job.id.clone() })
        .await
        .expect_err("beta cancels alpha's job");
    assert_eq!(err.code(), Code::NotFound);
    let listed = beta
        .list_jobs(ListJobsRequest::default())
        .await
        .expect("beta lists")
        .into_inner();
    assert!(listed.jobs.is_empty(), "{listed:?}");

    // Same request id, other tenant: its own job. Same bytes: served from the shared cache.
    let b = beta
        .submit_report(submission(seed, "", "shared-rid"))
        .await
        .expect("beta submits")
        .into_inner();
    assert_ne!(b.id, job.id);
    assert!(b.deduplicated, "{b:?}");
    let b_done = poll_job(&mut beta, &b.id, JOB_LIMIT, fazhi_tests::is_done).await;
    assert_eq!(b_done.state(), JobState::Succeeded);
    h.shutdown().await;
    if let Some(dir) = auth_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}
