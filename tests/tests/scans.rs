//! A scanned, sealed report end to end through the real `fazhi gateway` and `fazhi worker` on
//! RabbitMQ and Redis (issue: scans through OCR). The scan is made by `scripts/render-scans`
//! (公文 layout, pages rendered at 200 dpi by pdftoppm, tilted, speckled, red seal), so it has no
//! text layer: the text lane forwards it to the OCR lane, the job shows its pages as Tesseract
//! reads them, a text report submitted after it is not held up behind it, and the assessment
//! says the text came from OCR and is judged as the report's text (parts and areas).
//!
//! Needs Debian's tesseract-ocr, tesseract-ocr-chi-sim, poppler-utils and fonts-wqy-zenhei, and
//! reportlab and Pillow (tests/python/requirements.txt); `.ci/run` installs them.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use fazhi_tests::{
    corpus::{examples_dir, repo_root},
    is_done, poll_job,
    procs::Run,
    submission,
    wire::{GetAssessmentRequest, JobState},
};

fn render_scan(report: &PathBuf) -> PathBuf {
    let out = std::env::temp_dir().join(format!("fazhi-scans-{}", fazhi_tests::unique_prefix()));
    let status = Command::new("python3")
        .arg(repo_root().join("scripts/render-scans"))
        .arg(&out)
        .arg(report)
        .status()
        .expect("python3 runs scripts/render-scans");
    assert!(
        status.success(),
        "scripts/render-scans failed (needs reportlab, Pillow, poppler-utils, fonts-wqy-zenhei)"
    );
    let stem = report.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    out.join(format!("{stem}.scan.pdf"))
}

fn present_parts(a: &fazhi_tests::wire::Assessment) -> Vec<String> {
    let mut p: Vec<String> = a
        .required_parts
        .iter()
        .filter(|p| p.present)
        .map(|p| p.id.clone())
        .collect();
    p.sort();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_scan_goes_through_the_ocr_lane_on_rabbitmq_and_redis() {
    let text = examples_dir().join("2024-county-wangchuan.txt");
    let scan = render_scan(&text);
    let mut run = Run::new();
    let gw = run.gateway(&[]).await;
    // One engine thread and one OCR slot: without a lane of its own, the scan would hold the
    // only engine slot and the text report would wait for it.
    run.worker(&["--ocr", "on", "--ocr-slots", "1", "--engine-threads", "1"])
        .await;
    let mut client = run.client(gw).await;

    let scan_job = client
        .submit_report(submission(&scan, "", "scan-1"))
        .await
        .expect("submit scan")
        .into_inner();
    // Once the scan is on the OCR lane, a text report goes straight through.
    poll_job(&mut client, &scan_job.id, Duration::from_secs(60), |j| {
        j.progress.as_ref().is_some_and(|p| p.stage == "ocr")
    })
    .await;
    let other = examples_dir().join("2020-city-nanyu.txt");
    let text_job = client
        .submit_report(submission(&other, "", "text-1"))
        .await
        .expect("submit text")
        .into_inner();
    let text_done = poll_job(&mut client, &text_job.id, Duration::from_secs(60), is_done).await;
    assert_eq!(text_done.state(), JobState::Succeeded, "{text_done:?}");
    let scan_then = poll_job(&mut client, &scan_job.id, Duration::from_secs(5), |_| true).await;
    assert_eq!(
        scan_then.state(),
        JobState::Running,
        "the text report must not wait behind the scan: {scan_then:?}"
    );

    // Pages show on the job as they are read.
    let reading = poll_job(&mut client, &scan_job.id, Duration::from_secs(240), |j| {
        is_done(j)
            || j.progress
                .as_ref()
                .is_some_and(|p| p.total > 0 && p.done > 0)
    })
    .await;
    assert_eq!(reading.state(), JobState::Running, "{reading:?}");
    let done = poll_job(&mut client, &scan_job.id, Duration::from_secs(300), is_done).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");
    let p = done.progress.clone().expect("progress kept");
    assert!(p.total >= 2 && p.done == p.total, "{p:?}");

    let a = client
        .get_assessment(GetAssessmentRequest {
            job_id: done.id.clone(),
        })
        .await
        .expect("assessment")
        .into_inner();
    let q = a.text_quality.expect("text quality");
    assert!(q.ocr && !q.low, "{q:?}");
    assert!(q.ocr_confidence >= 0.8, "{q:?}");
    assert_eq!(q.ocr_pages, p.total);
    assert!(a.findings.iter().any(|f| f.code == "TEXT_FROM_OCR"));
    assert!(a.grade != "N/A" && !a.grade.is_empty(), "{}", a.grade);
    assert_eq!(
        a.decode.as_ref().map(|d| d.encoding_source.as_str()),
        Some("ocr")
    );

    // Judged as its text: the same required parts and 纲要 areas.
    let bytes = std::fs::read(&text).expect("text report");
    let want = fazhi_tests::assess_bytes(&bytes, "text/plain", "").expect("text");
    assert_eq!(present_parts(&a), present_parts(&want));
    let areas = |x: &fazhi_tests::wire::Assessment| {
        x.areas
            .iter()
            .map(|r| (r.id.clone(), r.status))
            .collect::<Vec<_>>()
    };
    assert_eq!(areas(&a), areas(&want));
    let _ = std::fs::remove_dir_all(scan.parent().unwrap_or(&scan));
}
