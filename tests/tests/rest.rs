//! The HTTP/JSON face as an integrator meets it, with curl: upload a report as multipart, follow
//! the Server-Sent Events to SUCCEEDED, fetch the assessment, and get the same bytes
//! `fazhi score --format json` prints. Real RabbitMQ + Redis (`real`) and embedded (`embedded`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fazhi_tests::procs::fazhi_bin;
use fazhi_tests::{Harness, Mode, examples_dir, wire};

async fn curl(args: Vec<String>) -> (i32, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new("curl")
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("curl is required (apt-get install curl): {e}"));
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    })
    .await
    .expect("curl task")
}

fn cli_json(path: &Path) -> String {
    let out = Command::new(fazhi_bin())
        .args(["score", "--format", "json"])
        .arg(path)
        .output()
        .expect("run fazhi score");
    assert!(out.status.success(), "fazhi score failed");
    String::from_utf8(out.stdout).expect("utf-8")
}

async fn upload_watch_assess(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    h.start_workers(1);
    let base = format!("http://{}", h.addr());
    for name in [
        "2024-street-chaoyin.html",
        "2023-department-nanyu-sifa.docx",
    ] {
        let file = examples_dir().join(name);
        let (rc, out) = curl(vec![
            "-sS".into(),
            "--fail-with-body".into(),
            "-F".into(),
            format!("file=@{}", file.display()),
            "-F".into(),
            "labels.suite=rest".into(),
            format!("{base}/v1/jobs:upload"),
        ])
        .await;
        assert_eq!(rc, 0, "upload failed: {out}");
        let job: wire::Job = serde_json::from_str(&out).expect("Job JSON");
        assert_eq!(job.labels.get("suite").map(String::as_str), Some("rest"));

        let (rc, sse) = curl(vec![
            "-sS".into(),
            "-N".into(),
            "--max-time".into(),
            "90".into(),
            format!("{base}/v1/jobs/{}:watch", job.id),
        ])
        .await;
        assert_eq!(rc, 0, "SSE stream did not end by itself: {sse}");
        let events: Vec<wire::Job> = sse
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .map(|d| serde_json::from_str(d).expect("event data is a Job"))
            .collect();
        assert!(sse.contains("event: job"), "{sse}");
        let last = events.last().expect("at least one event");
        assert_eq!(last.state(), wire::JobState::Succeeded, "{sse}");
        assert!(events.iter().all(|j| j.id == job.id));

        let (rc, assessment) = curl(vec![
            "-sS".into(),
            "--fail-with-body".into(),
            format!("{base}/v1/jobs/{}/assessment", job.id),
        ])
        .await;
        assert_eq!(rc, 0, "{assessment}");
        assert_eq!(
            assessment,
            cli_json(&file),
            "{name}: REST assessment differs from fazhi score --format json"
        );
    }

    // An unknown job over SSE is an ordinary 404 with a google.rpc.Status body.
    let (_, body) = curl(vec![
        "-sS".into(),
        "-w".into(),
        "\n%{http_code}".into(),
        format!("{base}/v1/jobs/nope:watch"),
    ])
    .await;
    assert!(body.ends_with("\n404"), "{body}");
    let status: serde_json::Value =
        serde_json::from_str(body.trim_end_matches("404").trim()).expect("Status JSON");
    assert_eq!(status["code"], 5);
    assert_eq!(status["details"][0]["reason"], "JOB_NOT_FOUND");

    // gRPC keeps working on the same port.
    let mut client = h.client().await;
    let list = client
        .list_checklists(wire::ListChecklistsRequest {})
        .await
        .expect("gRPC on the shared port")
        .into_inner();
    assert!(!list.checklists.is_empty());
    tokio::time::timeout(Duration::from_secs(30), h.shutdown())
        .await
        .expect("shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_upload_watch_assess_real() {
    upload_watch_assess(Mode::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_upload_watch_assess_embedded() {
    upload_watch_assess(Mode::Embedded).await;
}

/// The workbench on the same public port as the API, as a browser fetches it with curl: the
/// page with its security policy, its script gzip-compressed and cached by content hash, and a
/// revalidation answered 304.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workbench_page_and_assets_from_the_gateway() {
    let mut h = Harness::new(Mode::Embedded).await;
    h.start_gateway().await;
    let base = format!("http://{}", h.addr());
    let (rc, out) = curl(vec!["-sS".into(), "-i".into(), format!("{base}/")]).await;
    assert_eq!(rc, 0, "{out}");
    let (head, page) = out.split_once("\r\n\r\n").expect("headers and body");
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(
        head.contains(&format!(
            "content-security-policy: {}",
            fazhi_workbench::content_security_policy(&[]).to_ascii_lowercase()
        )),
        "{head}"
    );
    assert!(head.contains("x-content-type-options: nosniff"), "{head}");
    let script = page
        .split("src=\"./")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page names its script");
    assert!(
        script.starts_with("assets/") && script.ends_with(".js"),
        "{script}"
    );

    let (rc, out) = curl(vec![
        "-sS".into(),
        "-D".into(),
        "-".into(),
        "-o".into(),
        "/dev/null".into(),
        "-H".into(),
        "Accept-Encoding: gzip".into(),
        format!("{base}/{script}"),
    ])
    .await;
    assert_eq!(rc, 0, "{out}");
    let head = out.to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    assert!(head.contains("immutable"), "{head}");
    let etag = out
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .expect("an ETag")
        .trim()
        .to_string();
    let (rc, out) = curl(vec![
        "-sS".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        "-H".into(),
        format!("If-None-Match: {etag}"),
        format!("{base}/{script}"),
    ])
    .await;
    assert_eq!((rc, out.as_str()), (0, "304"));
    // The API's own 404 still answers paths that are neither.
    let (_, out) = curl(vec![
        "-sS".into(),
        "-o".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code}".into(),
        format!("{base}/assets/missing.js"),
    ])
    .await;
    assert_eq!(out, "404");
    tokio::time::timeout(Duration::from_secs(30), h.shutdown())
        .await
        .expect("shutdown");
}
