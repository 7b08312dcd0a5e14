//! Full assessment (decode → parse → score) of each seed report (µs per report).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fazhi_engine::{Hints, Limits, Submission};
use std::hint::black_box;
use std::path::PathBuf;

/// The `fazhi` binary's allocator: the engine measured as it runs there.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn corpus_dir() -> PathBuf {
    std::env::var_os("FAZHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"))
}

fn bench(c: &mut Criterion) {
    let dir = corpus_dir().join("seeds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let limits = Limits::default();
    let hints = Hints::default();
    let mut group = c.benchmark_group("assess");
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("seed")
            .to_string();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let sub = Submission {
                    content: black_box(&bytes),
                    media_type: "",
                    filename: "",
                    charset: "",
                    hints: &hints,
                    checklist_id: None,
                };
                black_box(fazhi_engine::assess(&sub, &limits))
            })
        });
    }
    group.finish();

    // Scoring alone, on documents parsed once (the engine's second half).
    let mut group = c.benchmark_group("score");
    for path in &files {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let sub = Submission {
            content: &bytes,
            media_type: "",
            filename: "",
            charset: "",
            hints: &hints,
            checklist_id: None,
        };
        let Ok(doc) = fazhi_engine::parse(&sub, &limits) else {
            continue;
        };
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("seed")
            .to_string();
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(fazhi_engine::score::score(
                    black_box(&doc),
                    &hints,
                    None,
                    "x",
                    None,
                ))
            })
        });
    }
    group.finish();
}

/// The whole corpus mix (seeds + synthetic, 23 files) assessed in a loop: throughput in reports/s.
fn corpus_mix(c: &mut Criterion) {
    let mut files: Vec<PathBuf> = ["seeds", "synthetic"]
        .iter()
        .flat_map(|d| {
            std::fs::read_dir(corpus_dir().join(d))
                .map(|rd| rd.flatten().map(|e| e.path()).collect::<Vec<_>>())
                .unwrap_or_default()
        })
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let docs: Vec<Vec<u8>> = files.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    if docs.is_empty() {
        return;
    }
    let limits = Limits::default();
    let hints = Hints::default();
    let mut group = c.benchmark_group("corpus_mix");
    group.throughput(Throughput::Elements(docs.len() as u64));
    group.bench_function("assess_all", |b| {
        b.iter(|| {
            for bytes in &docs {
                let sub = Submission {
                    content: black_box(bytes),
                    media_type: "",
                    filename: "",
                    charset: "",
                    hints: &hints,
                    checklist_id: None,
                };
                black_box(fazhi_engine::assess(&sub, &limits).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench, corpus_mix);
criterion_main!(benches);
