//! Copied text across a tenant's reports (real RabbitMQ + Redis, and embedded): a county report
//! rebuilt from 60 % of another county's sentences is flagged COPIED_TEXT naming it, with
//! evidence pairs whose offsets hold the same sentence in both texts; last year's report
//! resubmitted with new figures is flagged COPIED_FROM_PREVIOUS_YEAR; two independent reports
//! that share only slogans are not flagged; the synchronous AssessReport lists the same; another
//! tenant sees none of it. Index entries of either form (the other text by id, or by result key
//! as written before) give the same passages, on both stores.

use std::time::Duration;

use fazhi_collections::copying::{SimDoc, check_for_job};
use fazhi_jobs::JobRecord;
use fazhi_tests::{Harness, Key, Mode, examples_dir, watch_until_done, wire};
use prost::Message as _;
use wire::{Document, GetAssessmentRequest, JobState, SubmitReportRequest};

const JOB_LIMIT: Duration = Duration::from_secs(120);
const SLOGANS: &str = "深入学习贯彻习近平法治思想，坚决捍卫两个确立、做到两个维护。\
全面贯彻落实党的二十大精神，推动法治政府建设实施纲要落地见效。\
坚持以人民为中心的发展思想，服务保障高质量发展。\n";

fn text_request(text: String, media_type: &str) -> SubmitReportRequest {
    SubmitReportRequest {
        document: Some(Document {
            content: text.into_bytes(),
            media_type: media_type.into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn read(name: &str) -> String {
    std::fs::read_to_string(examples_dir().join(name)).expect("example report")
}

/// Another county's report: every heading kept, 3 of each 5 sentences taken from `base`, the
/// others from `pool`, and the county renamed.
fn rebuilt(base: &str, pool: &str) -> String {
    let mut own = pool
        .split('。')
        .map(str::trim)
        .filter(|s| s.chars().count() > 20 && !s.contains(['\n', '<', '>']))
        .cycle();
    let mut out = String::new();
    let mut n = 0usize;
    for line in base.lines() {
        if !line.contains('。') {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        for s in line.split('。').filter(|s| !s.trim().is_empty()) {
            if n % 5 < 3 {
                out.push_str(s);
            } else {
                out.push_str(own.next().unwrap_or("临江县推进各项工作"));
            }
            out.push('。');
            n += 1;
        }
        out.push('\n');
    }
    out.replace("望川", "临江")
}

/// [`rebuilt`] from `base` and a report used nowhere else in these tests (the other 40 %).
fn copied_from(base: &str) -> String {
    let pool = std::fs::read_to_string(examples_dir().join("src/2025-zone-beilu.html"))
        .expect("html source")
        .replace("<p>", "。")
        .replace("</p>", "。");
    rebuilt(base, &pool)
}

async fn assessed(client: &mut fazhi_tests::Client, req: SubmitReportRequest) -> wire::Assessment {
    let job = client
        .submit_report(req)
        .await
        .expect("submit")
        .into_inner();
    let done = watch_until_done(client, job, JOB_LIMIT).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");
    client
        .get_assessment(GetAssessmentRequest { job_id: done.id })
        .await
        .expect("GetAssessment")
        .into_inner()
}

fn codes(a: &wire::Assessment) -> Vec<&str> {
    a.findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| c.starts_with("COPIED"))
        .collect()
}

fn chars(s: &str, start: i32, end: i32) -> String {
    s.chars()
        .skip(start as usize)
        .take((end - start) as usize)
        .collect()
}

async fn copying(mode: Mode) {
    let mut h = Harness::new(mode).await;
    let cfg = h.two_tenant_config();
    h.start_gateway_with(cfg).await;
    h.start_workers(1);
    let mut alpha = h.client_with(Key::bearer("alpha-key")).await;
    let mut beta = h.client_with(Key::bearer("beta-key")).await;
    let tag = format!("\n{}\n", h.prefix);

    let base_text = read("2024-county-wangchuan.txt");
    let base = assessed(
        &mut alpha,
        text_request(format!("{base_text}{tag}"), "text/plain"),
    )
    .await;
    assert!(codes(&base).is_empty() && base.similar_reports.is_empty());
    let base_job = {
        let jobs = alpha
            .list_jobs(wire::ListJobsRequest::default())
            .await
            .expect("ListJobs")
            .into_inner()
            .jobs;
        jobs[0].id.clone()
    };

    // 60 % of the county's sentences in another county's report.
    let copy = copied_from(&base_text);
    let a = assessed(
        &mut alpha,
        text_request(format!("{copy}{tag}"), "text/plain"),
    )
    .await;
    assert_eq!(codes(&a), vec!["COPIED_TEXT"], "{:?}", a.findings);
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "COPIED_TEXT")
        .expect("finding");
    assert!(f.message.contains("望川县人民政府"), "{}", f.message);
    let similar = &a.similar_reports[0];
    assert_eq!(similar.job_id, base_job);
    assert!(!similar.same_issuer);
    assert!(
        similar.share >= 0.3 && similar.share <= 0.9,
        "{}",
        similar.share
    );
    assert!(!similar.passages.is_empty());
    for p in &similar.passages {
        let (mine, theirs) = (
            p.passage.as_ref().expect("passage"),
            p.other.as_ref().expect("other"),
        );
        assert_eq!(chars(&a.normalized_text, mine.start, mine.end), mine.quote);
        assert_eq!(
            chars(&base.normalized_text, theirs.start, theirs.end),
            theirs.quote
        );
    }

    // The synchronous path lists the same similar report (the copy itself, same content, is
    // not copying); another tenant's synchronous call sees nothing.
    let sync = alpha
        .assess_report(text_request(format!("{copy}{tag}"), "text/plain"))
        .await
        .expect("AssessReport")
        .into_inner();
    assert_eq!(codes(&sync), vec!["COPIED_TEXT"], "{:?}", sync.findings);
    assert_eq!(
        sync.similar_reports
            .iter()
            .map(|r| r.job_id.as_str())
            .collect::<Vec<_>>(),
        vec![base_job.as_str()]
    );
    let other = beta
        .assess_report(text_request(format!("{copy}{tag}"), "text/plain"))
        .await
        .expect("AssessReport")
        .into_inner();
    assert!(other.similar_reports.is_empty() && codes(&other).is_empty());

    // Last year's report again, with this year's date and new figures.
    let next = base_text
        .replace("2025", "2026")
        .replace("2024", "2025")
        .replace("157件", "171件")
        .replace("98.4%", "98.9%")
        .replace("612件", "655件");
    let b = assessed(
        &mut alpha,
        text_request(format!("{next}{tag}"), "text/plain"),
    )
    .await;
    assert!(
        codes(&b).contains(&"COPIED_FROM_PREVIOUS_YEAR"),
        "{:?}",
        b.findings
    );
    assert!(
        b.similar_reports
            .iter()
            .any(|r| r.job_id == base_job && r.same_issuer && r.year == 2024)
    );

    // Two independent reports sharing only slogans.
    let city = format!("{}\n{SLOGANS}{tag}", read("2020-city-nanyu.txt"));
    let c = assessed(&mut alpha, text_request(city, "text/plain")).await;
    let dept = std::fs::read_to_string(examples_dir().join("src/2023-department-nanyu-sifa.html"))
        .expect("html source")
        .replace(
            "</body>",
            &format!("<p>{SLOGANS}</p><p>{}</p></body>", h.prefix),
        );
    let d = assessed(&mut alpha, text_request(dept, "text/html")).await;
    assert!(codes(&c).is_empty(), "{:?}", c.findings);
    assert!(codes(&d).is_empty(), "{:?}", d.findings);

    // Another tenant's index is its own: the same copy, submitted by beta, matches nothing.
    let e = assessed(
        &mut beta,
        text_request(format!("{copy}{tag}"), "text/plain"),
    )
    .await;
    assert!(
        e.similar_reports.is_empty() && codes(&e).is_empty(),
        "{:?}",
        e.similar_reports
    );
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_text_real() {
    copying(Mode::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copied_text_embedded() {
    copying(Mode::Embedded).await;
}

/// The engine's assessment of a plain text, and a job that holds it, as the worker has them.
fn assessed_job(tenant: &str, text: &str, result_key: &str) -> (JobRecord, wire::Assessment) {
    let a = fazhi_tests::assess_bytes(text.as_bytes(), "text/plain", "").expect("assessed");
    let job = JobRecord {
        id: uuid::Uuid::new_v4().simple().to_string(),
        tenant: tenant.into(),
        state: fazhi_jobs::JobState::Succeeded,
        create_time_ms: 0,
        update_time_ms: 0,
        attempts: 1,
        error_code: String::new(),
        error_message: String::new(),
        content_sha256: a.content_sha256.clone(),
        result_key: result_key.into(),
        checklist_id: a.checklist_id.clone(),
        deduplicated: false,
        request_id: String::new(),
        labels: Default::default(),
        webhook: None,
        batch_id: String::new(),
        progress: None,
    };
    (job, a)
}

/// An index entry names the other report's text by its id, and passages are read from that text
/// alone; an entry written before it did (its result key instead) still gives the same passages.
async fn entries_old_and_new(mode: Mode) {
    let h = Harness::new(mode).await;
    let store = h.store.as_ref();
    let tenant = "alpha";
    let base_text = read("2024-county-wangchuan.txt");
    let (base_job, base) = assessed_job(tenant, &base_text, "base-result");
    store
        .put_result(&base_job.result_key, &base.encode_to_vec())
        .await
        .expect("result stored");
    let entry = check_for_job(store, &base_job, &base)
        .await
        .expect("checked")
        .expect("a report is indexed")
        .entry;
    let new_doc = SimDoc::decode(entry.doc.as_slice()).expect("doc");
    assert_eq!(
        new_doc.text_id,
        fazhi_jobs::stored_result::text_id(base.normalized_text.as_bytes()).to_vec()
    );
    assert!(new_doc.result_key.is_empty(), "{}", new_doc.result_key);
    let old_doc = SimDoc {
        text_id: Vec::new(),
        result_key: base_job.result_key.clone(),
        ..new_doc.clone()
    };

    let copy_text = copied_from(&base_text);
    let mut passages = Vec::new();
    for doc in [&old_doc, &new_doc] {
        // Each form as the only entry of its own tenant.
        let tenant = format!("{tenant}-{}", doc.result_key.is_empty());
        store
            .index_similarity(
                &tenant,
                &base_job.id,
                &entry.band_keys,
                &doc.encode_to_vec(),
                &entry.hashes,
            )
            .await
            .expect("indexed");
        let (job, copy) = assessed_job(&tenant, &copy_text, "copy-result");
        let overlay = check_for_job(store, &job, &copy)
            .await
            .expect("checked")
            .and_then(|c| c.overlay)
            .expect("the copy is found");
        let similar = &overlay.similar_reports[0];
        assert_eq!(similar.job_id, base_job.id);
        assert!(!similar.passages.is_empty());
        for p in &similar.passages {
            let theirs = p.other.as_ref().expect("other");
            assert_eq!(
                chars(&base.normalized_text, theirs.start, theirs.end),
                theirs.quote
            );
        }
        passages.push(similar.passages.clone());
    }
    assert_eq!(passages[0], passages[1]);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_entries_old_and_new_real() {
    entries_old_and_new(Mode::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn index_entries_old_and_new_embedded() {
    entries_old_and_new(Mode::Embedded).await;
}
