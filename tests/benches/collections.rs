//! Collections at scale, through the real Redis (figures go to the README):
//! - a batch of 10,000 assessed reports: GetBatchSummary latency (p50/p99 of 100 calls) and the
//!   XLSX export time, through the service core as the rpcs run it;
//! - copied text with 100,000 reports indexed: lookup time per new report (candidates, documents
//!   and sentence frequencies, as the check reads them) and Redis memory per indexed report.
//!
//! `cargo bench -p fazhi-tests --bench collections` (needs Redis on 127.0.0.1:6379; keys live
//! under a unique prefix and are deleted at the end). `FAZHI_BENCH_INDEXED` changes 100,000.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fazhi_collections::copying::SimDoc;
use fazhi_collections::similarity::band_keys;
use fazhi_gateway::{Authenticator, GatewayConfig, ReportCore, TenantLimits};
use fazhi_jobs::{
    BatchRecord, JobRecord, JobState, JobStore, MemoryQueue, RedisStore, RedisStoreConfig,
};
use fazhi_proto::v1 as wire;
use prost::Message;
use tokio_util::sync::CancellationToken;

const BATCH: usize = 10_000;

fn row(i: usize) -> wire::BatchRow {
    let level = [
        "province",
        "city",
        "county",
        "district",
        "street",
        "department",
    ][i % 6];
    wire::BatchRow {
        job_id: format!("job{i:08}"),
        title: format!("某县{i}2024年法治政府建设年度报告"),
        issuer: format!("某县{i}人民政府"),
        level: level.into(),
        year: 2024,
        score: 40.0 + (i * 7919 % 600) as f64 / 10.0,
        grade: ["A", "B", "C", "D"][i % 4].into(),
        parts: [
            "measures",
            "shortcomings",
            "first_responsible",
            "next_year",
            "other",
        ]
        .iter()
        .map(|p| (p.to_string(), !i.is_multiple_of(3)))
        .collect(),
        areas: (2..=10)
            .map(|a| {
                (
                    a.to_string(),
                    ["SUBSTANTIVE", "MENTIONED", "ABSENT"][(i + a) % 3].to_string(),
                )
            })
            .collect(),
        timeliness: [1, 2, 3][i % 3],
        published_date: format!("2025-0{}-1{}", 1 + i % 5, i % 10),
        finding_codes: vec!["AREA_ABSENT".into(), format!("CODE_{}", i % 12)],
        warnings: 2,
        kind: "report".into(),
        checklist_id: "gangyao-2021-2025".into(),
        deadline: "2025-03-31".into(),
        ..Default::default()
    }
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn used_memory(url: &str) -> u64 {
    let client = redis::Client::open(url).expect("redis url");
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis");
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut con)
        .await
        .expect("INFO");
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let url = fazhi_tests::redis_url();
    let prefix = format!("{}:", fazhi_tests::unique_prefix());
    let store = RedisStore::connect(RedisStoreConfig::new(url.clone()).with_prefix(prefix.clone()))
        .await
        .expect("Redis is required for this benchmark");
    let store: Arc<dyn JobStore> = Arc::new(store);

    // A batch of 10,000 assessed reports.
    let batch = BatchRecord {
        id: "bench-batch".into(),
        tenant: "default".into(),
        display_name: "bench".into(),
        create_time_ms: fazhi_jobs::now_ms(),
        labels: Default::default(),
        checklist_id: String::new(),
        total: 0,
        counts: Default::default(),
    };
    store.create_batch(&batch).await.expect("batch");
    for i in 0..BATCH {
        let mut job = JobRecord {
            id: format!("job{i:08}"),
            tenant: "default".into(),
            state: JobState::Succeeded,
            create_time_ms: fazhi_jobs::now_ms(),
            update_time_ms: fazhi_jobs::now_ms(),
            attempts: 1,
            error_code: String::new(),
            error_message: String::new(),
            content_sha256: String::new(),
            result_key: String::new(),
            checklist_id: String::new(),
            deduplicated: false,
            request_id: String::new(),
            labels: Default::default(),
            webhook: None,
            batch_id: batch.id.clone(),
        };
        job.content_sha256 = format!("{i:064}");
        store.create(&job).await.expect("job");
        store
            .put_batch_row(&batch.id, &job.id, &row(i).encode_to_vec())
            .await
            .expect("row");
    }
    let core = ReportCore::new(
        GatewayConfig::default(),
        store.clone(),
        Arc::new(MemoryQueue::new(3)),
        Arc::new(Authenticator::open(TenantLimits::default())),
        CancellationToken::new(),
    );
    let tenant = core.auth().authenticate_header(None).expect("open tenant");
    let mut times = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        let s = core
            .batch_summary(&tenant, &batch.id, "", "")
            .await
            .expect("summary");
        assert_eq!(s.rows.len(), BATCH);
        times.push(t.elapsed());
    }
    println!(
        "GetBatchSummary, {BATCH} reports: p50 {:?}, p99 {:?}",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99)
    );
    let t = Instant::now();
    let (bytes, _, _) = core
        .export_batch(
            &tenant,
            &wire::ExportBatchRequest {
                batch_id: batch.id.clone(),
                format: wire::ExportFormat::Xlsx as i32,
                ..Default::default()
            },
        )
        .await
        .expect("export");
    println!(
        "ExportBatch XLSX, {BATCH} reports: {:?} ({} bytes)",
        t.elapsed(),
        bytes.len()
    );

    // The copied-text index.
    let indexed: usize = std::env::var("FAZHI_BENCH_INDEXED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let before = used_memory(&url).await;
    let doc_hashes = |i: usize| -> Vec<u64> {
        // 60 compared sentences per report, a fifth of them shared widely (boilerplate-like).
        (0..60u64)
            .map(|k| {
                let v = if k < 12 { k } else { (i as u64) << 8 | k };
                fazhi_collections::similarity::fnv1a(&v.to_le_bytes())
            })
            .collect()
    };
    let t = Instant::now();
    for i in 0..indexed {
        let hashes = doc_hashes(i);
        let doc = SimDoc {
            job_id: format!("sim{i:08}"),
            issuer: format!("某县{i}人民政府"),
            year: 2024,
            title: format!("某县{i}人民政府2024年法治政府建设年度报告"),
            result_key: format!("{i:064}"),
            content_sha256: format!("{i:064}"),
            hashes: hashes.clone(),
        };
        store
            .index_similarity(
                "default",
                &doc.job_id,
                &band_keys(&hashes[12..]),
                &doc.encode_to_vec(),
                &hashes,
            )
            .await
            .expect("index");
    }
    let after = used_memory(&url).await;
    println!(
        "indexed {indexed} reports in {:?}; Redis memory {:.0} bytes per indexed report",
        t.elapsed(),
        (after.saturating_sub(before)) as f64 / indexed as f64
    );
    let mut times = Vec::new();
    let mut missed = 0;
    for i in 0..200 {
        // A new report copying most of an indexed one.
        let mut hashes = doc_hashes(i * 37 % indexed);
        hashes.truncate(60);
        hashes.truncate(40);
        hashes.extend((0..20u64).map(|k| {
            fazhi_collections::similarity::fnv1a(&(u64::MAX - k - i as u64 * 100).to_le_bytes())
        }));
        let t = Instant::now();
        // As the check does: bands over the distinctive sentences (the 12 shared by every
        // report are common in the index by now).
        let bands = band_keys(&hashes[12..]);
        let _ = store
            .sentence_frequencies("default", &hashes)
            .await
            .expect("freq");
        let mut c = store
            .similar_candidates("default", &bands)
            .await
            .expect("candidates");
        c.sort_by_key(|x| std::cmp::Reverse(x.1));
        c.truncate(20);
        let ids: Vec<String> = c.into_iter().map(|(id, _)| id).collect();
        let docs = store.similarity_docs("default", &ids).await.expect("docs");
        times.push(t.elapsed());
        if !ids.contains(&format!("sim{:08}", i * 37 % indexed)) {
            if missed == 0 {
                eprintln!(
                    "first miss: {} candidates, {} documents",
                    ids.len(),
                    docs.iter().flatten().count()
                );
            }
            missed += 1;
        }
    }
    println!(
        "similarity lookup with {indexed} indexed: p50 {:?}, p99 {:?}; copied report not found {missed}/200",
        pct(&mut times, 0.5),
        pct(&mut times, 0.99)
    );
    if let Ok(s) = RedisStore::connect(RedisStoreConfig::new(url).with_prefix(prefix)).await {
        let _ = s.purge_prefix().await;
    }
}
