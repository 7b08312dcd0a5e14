//! Batches end to end (real RabbitMQ + Redis, and embedded): the example reports and edited
//! copies submitted into one batch; its counts follow every job; the summary ranks by score
//! within level and its statistics equal a recomputation from the individual assessments; the
//! export is a workbook.

use std::collections::HashMap;
use std::time::Duration;

use fazhi_tests::{Harness, Mode, sample_reports, submission, watch_until_done, wire};
use futures::StreamExt;
use wire::{
    CreateBatchRequest, GetAssessmentRequest, GetBatchRequest, GetBatchSummaryRequest, JobState,
};

const JOB_LIMIT: Duration = Duration::from_secs(120);

async fn batch_flow(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    h.start_workers(2);
    let mut client = h.client().await;
    let batch = client
        .create_batch(CreateBatchRequest {
            display_name: "示例批次".into(),
            labels: [("province".to_string(), "demo".to_string())].into(),
            checklist_id: String::new(),
        })
        .await
        .expect("CreateBatch")
        .into_inner();
    assert_eq!(batch.total, 0);

    let mut jobs = Vec::new();
    for (i, path) in sample_reports().iter().enumerate() {
        let mut req = submission(path, &format!("\n{}-{i}", h.prefix), "");
        req.batch_id = batch.id.clone();
        jobs.push(
            client
                .submit_report(req)
                .await
                .expect("submit")
                .into_inner(),
        );
        // An edited copy: the first half of a text report (parts and areas lost, lower score).
        if path.extension().is_some_and(|e| e == "txt") {
            let text = std::fs::read_to_string(path).expect("read");
            let half: String = text.chars().take(text.chars().count() / 2).collect();
            let mut req = submission(path, "", "");
            if let Some(d) = req.document.as_mut() {
                d.content = format!("{half}\n{}-edited-{i}", h.prefix).into_bytes();
            }
            req.batch_id = batch.id.clone();
            jobs.push(
                client
                    .submit_report(req)
                    .await
                    .expect("submit edited")
                    .into_inner(),
            );
        }
    }
    let mut done = Vec::new();
    for j in jobs {
        done.push(watch_until_done(&mut client, j, JOB_LIMIT).await);
    }
    let succeeded: Vec<&wire::Job> = done
        .iter()
        .filter(|j| j.state() == JobState::Succeeded)
        .collect();
    assert!(succeeded.len() >= 6, "{done:?}");

    let got = client
        .get_batch(GetBatchRequest {
            id: batch.id.clone(),
        })
        .await
        .expect("GetBatch")
        .into_inner();
    assert_eq!(got.total as usize, done.len());
    let counts = got.counts.expect("counts");
    assert_eq!(counts.succeeded as usize, succeeded.len());
    assert_eq!(
        (counts.queued, counts.running),
        (0, 0),
        "every job counted once, in its final state"
    );

    let mut assessments: HashMap<String, wire::Assessment> = HashMap::new();
    for j in &succeeded {
        let a = client
            .get_assessment(GetAssessmentRequest {
                job_id: j.id.clone(),
            })
            .await
            .expect("GetAssessment")
            .into_inner();
        assessments.insert(j.id.clone(), a);
    }
    let summary = client
        .get_batch_summary(GetBatchSummaryRequest {
            batch_id: batch.id.clone(),
            order_by: String::new(),
            level: String::new(),
        })
        .await
        .expect("GetBatchSummary")
        .into_inner();
    assert_eq!(summary.rows.len(), succeeded.len());
    for r in &summary.rows {
        let a = &assessments[&r.job_id];
        assert_eq!(r.score, a.score);
        assert_eq!(r.grade, a.grade);
        let report = a.report.clone().unwrap_or_default();
        assert_eq!(r.issuer, report.issuer);
        let graded = |kind: &str, grade: &str| kind == "report" && grade != "N/A";
        if graded(&report.kind, &a.grade) {
            // Rank = 1 + the graded reports of the same level that scored higher.
            let higher = summary
                .rows
                .iter()
                .filter(|o| o.level == r.level && graded(&o.kind, &o.grade) && o.score > r.score)
                .count();
            assert_eq!(r.rank as usize, higher + 1, "{r:?}");
        } else {
            assert_eq!(r.rank, 0, "not ranked: {r:?}");
        }
    }
    // Within each level, rows come best first.
    for pair in summary.rows.windows(2) {
        if pair[0].level == pair[1].level && pair[0].rank > 0 && pair[1].rank > 0 {
            assert!(pair[0].score >= pair[1].score);
        }
    }

    // Statistics equal a recomputation from the assessments (graded reports; a report whose
    // text was not read cleanly is counted apart).
    let is_report = |a: &&wire::Assessment| a.report.as_ref().is_some_and(|r| r.kind == "report");
    let reports: Vec<&wire::Assessment> = assessments
        .values()
        .filter(|a| is_report(a) && a.grade != "N/A")
        .collect();
    let ungraded = assessments
        .values()
        .filter(|a| is_report(a) && a.grade == "N/A")
        .count();
    let st = summary.statistics.expect("statistics");
    assert_eq!(st.count as usize, reports.len());
    assert_eq!(st.ungraded as usize, ungraded);
    let mean = reports.iter().map(|a| a.score).sum::<f64>() / reports.len() as f64;
    assert!(
        (st.mean_score - mean).abs() < 1e-9,
        "{} vs {mean}",
        st.mean_score
    );
    let mut scores: Vec<f64> = reports.iter().map(|a| a.score).collect();
    scores.sort_by(f64::total_cmp);
    let n = scores.len();
    let median = if n % 2 == 1 {
        scores[n / 2]
    } else {
        (scores[n / 2 - 1] + scores[n / 2]) / 2.0
    };
    assert!((st.median_score - median).abs() < 1e-9);
    let status = |a: &&wire::Assessment| a.timeliness.as_ref().map(|t| t.status());
    let on_time = reports
        .iter()
        .filter(|a| status(a) == Some(wire::TimelinessStatus::OnTime))
        .count();
    let late = reports
        .iter()
        .filter(|a| status(a) == Some(wire::TimelinessStatus::Late))
        .count();
    assert_eq!(st.dated as usize, on_time + late);
    assert_eq!(st.late.len(), late);
    if on_time + late > 0 {
        assert!((st.on_time_rate - on_time as f64 / (on_time + late) as f64).abs() < 1e-9);
    }
    let measures = reports
        .iter()
        .filter(|a| {
            a.required_parts
                .iter()
                .any(|p| p.id == "measures" && p.present)
        })
        .count();
    assert!((st.part_presence["measures"] - measures as f64 / n as f64).abs() < 1e-9);
    let grades: usize = st.grades.iter().map(|g| g.count as usize).sum();
    assert_eq!(grades, n);

    // The export: a workbook, streamed.
    let mut stream = client
        .export_batch(wire::ExportBatchRequest {
            batch_id: batch.id.clone(),
            format: wire::ExportFormat::Xlsx as i32,
            ..Default::default()
        })
        .await
        .expect("ExportBatch")
        .into_inner();
    let mut bytes = Vec::new();
    let mut first = None;
    while let Some(c) = stream.next().await {
        let c = c.expect("chunk");
        if first.is_none() {
            first = Some(c.media_type.clone());
        }
        bytes.extend(c.data);
    }
    assert!(first.is_some_and(|m| m.contains("spreadsheetml")));
    assert!(bytes.starts_with(b"PK"));

    // Unknown batches are NOT_FOUND, for reads and submissions alike.
    let err = client
        .get_batch(GetBatchRequest { id: "nope".into() })
        .await
        .expect_err("unknown");
    assert_eq!(err.code(), tonic::Code::NotFound);
    let mut req = submission(&sample_reports()[0], "\nx", "");
    req.batch_id = "nope".into();
    let err = client.submit_report(req).await.expect_err("unknown batch");
    assert_eq!(err.code(), tonic::Code::NotFound);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_summary_and_export_real() {
    batch_flow(Mode::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_summary_and_export_embedded() {
    batch_flow(Mode::Embedded).await;
}

/// Last year's report and this year's (same issuer, new figures, one part dropped): the
/// comparison shows the score delta, the lost part and each metric's old and new value; the
/// issuer's history lists both by year.
async fn year_over_year(mode: Mode) {
    let mut h = Harness::new(mode).await;
    h.start_gateway().await;
    h.start_workers(1);
    let mut client = h.client().await;
    let path = fazhi_tests::examples_dir().join("2024-county-wangchuan.txt");
    let text = std::fs::read_to_string(&path).expect("read");
    // This year's: the figures move, the year moves, the shortcomings part is gone.
    let start = text.find("二、存在的不足和原因").expect("part two");
    let end = text.find("三、党政主要负责人").expect("part three");
    let next = format!("{}{}", &text[..start], &text[end..])
        .replace("2025", "2026")
        .replace("2024", "2025")
        .replace("出庭应诉率100%", "出庭应诉率96.5%");
    let issuer = "望川县人民政府".to_string();
    let mut ids = Vec::new();
    for (content, tag) in [(text.clone(), "base"), (next, "next")] {
        let mut req = submission(&path, "", "");
        if let Some(d) = req.document.as_mut() {
            d.content = format!("{content}\n{}-{tag}", h.prefix).into_bytes();
        }
        let job = client
            .submit_report(req)
            .await
            .expect("submit")
            .into_inner();
        let done = watch_until_done(&mut client, job, JOB_LIMIT).await;
        assert_eq!(done.state(), JobState::Succeeded);
        ids.push(done.id);
    }
    let c = client
        .compare_assessments(wire::CompareAssessmentsRequest {
            base_job_id: ids[0].clone(),
            job_id: ids[1].clone(),
        })
        .await
        .expect("CompareAssessments")
        .into_inner();
    assert_eq!((c.base_year, c.year), (2024, 2025));
    assert!(c.comparable, "{c:?}");
    assert_eq!(c.parts_lost, vec!["shortcomings".to_string()]);
    assert!((c.score_delta - ((c.score - c.base_score) * 10.0).round() / 10.0).abs() < 1e-9);
    assert!(c.score < c.base_score);
    let rate = c
        .metrics
        .iter()
        .find(|m| m.id == "admin_litigation_appearance_rate")
        .expect("the appearance rate in both");
    assert_eq!((rate.base_value, rate.value), (100.0, 96.5));
    assert!(rate.has_base && rate.has_value);

    let history = client
        .get_issuer_history(wire::GetIssuerHistoryRequest { issuer })
        .await
        .expect("GetIssuerHistory")
        .into_inner();
    let years: Vec<(i32, &str)> = history
        .reports
        .iter()
        .map(|r| (r.year, r.job_id.as_str()))
        .collect();
    assert_eq!(
        years,
        vec![(2024, ids[0].as_str()), (2025, ids[1].as_str())]
    );

    let err = client
        .compare_assessments(wire::CompareAssessmentsRequest {
            base_job_id: "nope".into(),
            job_id: ids[1].clone(),
        })
        .await
        .expect_err("unknown base");
    assert_eq!(err.code(), tonic::Code::NotFound);
    h.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_over_year_real() {
    year_over_year(Mode::Real).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_over_year_embedded() {
    year_over_year(Mode::Embedded).await;
}
