//! Bulk intake on the default settings: one tenant queues 10,000 reports at once (no tenant
//! limits unless the operator sets them), every one is accepted, and every one completes.
//! Real RabbitMQ + Redis and embedded.

use std::time::Duration;

use fazhi_gateway::GatewayConfig;
use fazhi_tests::{Harness, Mode, wire};
use wire::{Document, JobState, ListJobsRequest, SubmitReportRequest};

const REPORTS: usize = 10_000;

/// A short report; `n` makes each one distinct (no deduplication).
fn report(n: usize) -> SubmitReportRequest {
    let text = format!(
        "某县2024年法治政府建设年度报告\n\
         一、主要举措和成效\n全年办理行政复议案件{n}件，培训执法人员360人次。\n\
         二、存在的不足和原因\n基层执法力量不足。\n\
         三、党政主要负责人履行推进法治建设第一责任人职责情况\n主要负责同志专题研究法治政府建设4次。\n\
         四、2025年工作安排\n推进行政复议规范化建设。\n"
    );
    SubmitReportRequest {
        document: Some(Document {
            content: text.into_bytes(),
            media_type: "text/plain".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

async fn ten_thousand(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway_with(GatewayConfig {
        grpc_addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        http_addr: None,
        ..GatewayConfig::default()
    })
    .await;
    h.start_workers(2);
    let mut client = h.client().await;

    let mut stream = client
        .submit_reports(futures::stream::iter((0..REPORTS).map(report)))
        .await
        .expect("SubmitReports")
        .into_inner();
    let mut accepted = 0;
    while let Some(job) = stream.message().await.expect("every report accepted") {
        assert!(!job.id.is_empty());
        accepted += 1;
    }
    assert_eq!(accepted, REPORTS);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    loop {
        let mut done = 0;
        let mut failed = 0;
        let mut token = String::new();
        loop {
            let page = client
                .list_jobs(ListJobsRequest {
                    page_size: 500,
                    page_token: token.clone(),
                    state: 0,
                })
                .await
                .expect("ListJobs")
                .into_inner();
            for j in &page.jobs {
                match j.state() {
                    JobState::Succeeded => done += 1,
                    JobState::Failed | JobState::Cancelled => failed += 1,
                    _ => {}
                }
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(failed, 0, "no job may fail");
        if done == REPORTS {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{done} of {REPORTS} done after 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_reports_real() {
    ten_thousand(Mode::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_reports_embedded() {
    ten_thousand(Mode::Embedded).await;
}
