//! Collections at scale, through the real Redis (figures go to the README):
//! - a batch of 10,000 assessed reports (summary rows of the example reports' real assessments,
//!   under 10,000 issuers): GetBatchSummary latency (p50/p99 of 100 calls) and the XLSX export
//!   time, through the service core as the rpcs run it;
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

/// Summary rows as the scorer writes them: from the engine's assessments of the example
/// reports (every format), each reused under many issuers.
fn real_rows() -> Vec<wire::BatchRow> {
    let rows: Vec<wire::BatchRow> = fazhi_tests::corpus::sample_reports()
        .iter()
        .filter_map(|path| {
            let a = fazhi_tests::assess_file(path)?;
            Some(fazhi_collections::row::row("", &a))
        })
        .collect();
    assert!(rows.len() >= 4, "the example reports assess");
    rows
}

fn row(real: &[wire::BatchRow], i: usize) -> wire::BatchRow {
    let mut r = real[i % real.len()].clone();
    r.job_id = format!("job{i:08}");
    r.issuer = format!("{}{i}", r.issuer);
    r.title = format!("{}（{i}）", r.title);
    r
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
    let real = real_rows();
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
            progress: None,
        };
        job.content_sha256 = format!("{i:064}");
        store.create(&job).await.expect("job");
        store
            .put_batch_row(&batch.id, &job.id, &row(&real, i).encode_to_vec())
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
    // 120 compared sentences per report (the corpus reports have 64–123), a fifth of them
    // shared widely (boilerplate-like); ids, keys and titles as long as real ones.
    const SENTENCES: u64 = 120;
    const COMMON: usize = 24;
    let doc_hashes = |i: usize| -> Vec<u64> {
        (0..SENTENCES)
            .map(|k| {
                let v = if (k as usize) < COMMON {
                    k
                } else {
                    (i as u64) << 8 | k
                };
                fazhi_collections::similarity::fnv1a(&v.to_le_bytes())
            })
            .collect()
    };
    let job_id = |i: usize| {
        format!(
            "{:032x}",
            (i as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c)
        )
    };
    let t = Instant::now();
    for i in 0..indexed {
        let hashes = doc_hashes(i);
        let doc = SimDoc {
            job_id: job_id(i),
            issuer: format!("某某市某某县{i}人民政府"),
            year: 2024,
            title: format!("某某市某某县{i}人民政府关于2024年度法治政府建设情况的报告"),
            result_key: String::new(),
            text_id: fazhi_jobs::stored_result::text_id(&i.to_le_bytes()).to_vec(),
            content_tag: fazhi_collections::similarity::fnv1a(&i.to_le_bytes()),
            hashes: hashes
                .iter()
                .map(|h| fazhi_collections::similarity::short(*h))
                .collect(),
        };
        store
            .index_similarity(
                "default",
                &doc.job_id,
                &band_keys(&hashes[COMMON..]),
                &doc.encode_to_vec(),
                &hashes,
            )
            .await
            .expect("index");
    }
    let after = used_memory(&url).await;
    println!(
        "indexed {indexed} reports ({SENTENCES} sentences each) in {:?}; Redis memory {:.0} bytes per indexed report",
        t.elapsed(),
        (after.saturating_sub(before)) as f64 / indexed as f64
    );
    let mut times = Vec::new();
    let mut missed = 0;
    for i in 0..200 {
        // A new report copying two thirds of an indexed one.
        let source = i * 37 % indexed;
        let mut hashes = doc_hashes(source);
        hashes.truncate(80);
        hashes.extend((0..40u64).map(|k| {
            fazhi_collections::similarity::fnv1a(&(u64::MAX - k - i as u64 * 100).to_le_bytes())
        }));
        let t = Instant::now();
        // As the check does: bands over the distinctive sentences (the shared ones are common
        // in the index by now), then the candidates' documents, decoded.
        let bands = band_keys(&hashes[COMMON..]);
        let _ = store
            .sentence_frequencies("default", &hashes)
            .await
            .expect("freq");
        let mut c = store
            .similar_candidates("default", &bands)
            .await
            .expect("candidates");
        c.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| y.0.cmp(&x.0)));
        c.truncate(21);
        let entries: Vec<u64> = c.into_iter().map(|(n, _)| n).collect();
        let docs: Vec<SimDoc> = store
            .similarity_docs("default", &entries)
            .await
            .expect("docs")
            .into_iter()
            .flatten()
            .filter_map(|d| SimDoc::decode(d.as_slice()).ok())
            .collect();
        times.push(t.elapsed());
        if !docs.iter().any(|d| d.job_id == job_id(source)) {
            if missed == 0 {
                eprintln!(
                    "first miss: {} candidates, {} documents",
                    entries.len(),
                    docs.len()
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
