//! One conversion from request to engine input: the synchronous `AssessReport` and the queued
//! `SubmitReport` see whitespace-padded hints the same way, give byte-identical assessments, and
//! share one result-cache entry. Real RabbitMQ + Redis (`real`) and embedded (`embedded`).

use std::time::Duration;

use fazhi_tests::{Harness, Mode, watch_until_done, wire};
use prost::Message;
use wire::{Document, GetAssessmentRequest, JobState, ReportHints, SubmitReportRequest};

const JOB_LIMIT: Duration = Duration::from_secs(90);

/// A short report that states no publication date, so the published_date hint decides
/// timeliness and must reach the engine.
const REPORT: &str = "某县2024年法治政府建设年度报告\n\
一、主要举措和成效\n\
（一）深化行政复议体制改革。全年收到行政复议申请126件，审结118件，纠错率12.5%。\n\
（二）严格规范公正文明执法。开展行政执法案卷评查，评查案卷210卷，培训执法人员360人次。\n\
（三）依法化解矛盾纠纷。全县调解矛盾纠纷2310件，调解成功率98.2%。\n\
二、存在的不足和原因\n\
一是部分单位合法性审核力量不足，原因是法律专业人员偏少；二是基层执法规范化水平仍有差距。\n\
三、党政主要负责人履行推进法治建设第一责任人职责情况\n\
县政府主要负责同志召开常务会议专题研究法治政府建设4次，带头述法。\n\
四、2025年工作安排\n\
一是修订重大行政决策程序规定；二是开展执法人员轮训；三是推进行政复议规范化建设。\n";

fn request(hints: ReportHints, checklist_id: &str, media_type: &str) -> SubmitReportRequest {
    SubmitReportRequest {
        document: Some(Document {
            content: REPORT.as_bytes().to_vec(),
            media_type: media_type.into(),
            filename: "report.TXT".into(),
            charset: String::new(),
        }),
        hints: Some(hints),
        checklist_id: checklist_id.into(),
        ..Default::default()
    }
}

fn padded(issuer: &str, date: &str) -> ReportHints {
    ReportHints {
        issuer: issuer.into(),
        published_date: date.into(),
        year: 2024,
        ..Default::default()
    }
}

/// Queued path first (the engine runs in a worker), then the synchronous path with other padding
/// on a fresh service (the engine runs in the gateway): both give the same bytes, the hint's date
/// decides timeliness, and on the first service the synchronous call and a resubmission are
/// answered from the one cache entry the queued job wrote.
async fn padded_hints_give_identical_assessments(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    h.start_workers(1);
    let mut client = h.client().await;
    let job = client
        .submit_report(request(
            padded("  某县人民政府\u{3000}", " 2025-03-20\n"),
            " gangyao-2021-2025",
            "Text/Plain ; charset=UTF-8",
        ))
        .await
        .expect("SubmitReport")
        .into_inner();
    let done = watch_until_done(&mut client, job, JOB_LIMIT).await;
    assert_eq!(done.state(), JobState::Succeeded, "{done:?}");
    let queued = client
        .get_assessment(GetAssessmentRequest {
            job_id: done.id.clone(),
        })
        .await
        .expect("GetAssessment")
        .into_inner();
    let tl = queued.timeliness.clone().expect("timeliness");
    assert_eq!(tl.published_date, "2025-03-20", "{tl:?}");
    assert_eq!(tl.date_source, "hints", "{tl:?}");
    assert_eq!(queued.checklist_id, "gangyao-2021-2025");

    // Same service, other padding: the synchronous path finds the queued job's result...
    let cached = client
        .assess_report(request(
            padded("某县人民政府", "2025-03-20"),
            "gangyao-2021-2025 ",
            "text/plain;charset=utf-8",
        ))
        .await
        .expect("AssessReport")
        .into_inner();
    assert_eq!(cached.encode_to_vec(), queued.encode_to_vec());
    // ...and a resubmission is deduplicated against it.
    let again = client
        .submit_report(request(
            padded("\t某县人民政府", "2025-03-20 "),
            "gangyao-2021-2025",
            "text/plain; charset=utf-8",
        ))
        .await
        .expect("SubmitReport again")
        .into_inner();
    assert_eq!(again.state(), JobState::Succeeded, "{again:?}");
    assert!(again.deduplicated, "{again:?}");
    h.shutdown().await;

    // A fresh service: the engine runs synchronously in the gateway, with no cache to answer.
    let mut h2 = Harness::new(mode).await;
    h2.start_gateway().await;
    let mut client2 = h2.client().await;
    let direct = client2
        .assess_report(request(
            padded("某县人民政府 ", "\u{3000}2025-03-20"),
            "gangyao-2021-2025",
            "TEXT/PLAIN; charset=\"utf-8\"",
        ))
        .await
        .expect("AssessReport on a fresh service")
        .into_inner();
    assert_eq!(direct.encode_to_vec(), queued.encode_to_vec());
    h2.shutdown().await;
}

mod real {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn padded_hints_give_identical_assessments() {
        super::padded_hints_give_identical_assessments(fazhi_tests::Mode::Real).await
    }
}

mod embedded {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn padded_hints_give_identical_assessments() {
        super::padded_hints_give_identical_assessments(fazhi_tests::Mode::Embedded).await
    }
}
