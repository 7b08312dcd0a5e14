//! decode + parse of each seed report (µs per report).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fazhi_engine::{Hints, Limits, Submission};
use std::hint::black_box;
use std::path::PathBuf;

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
    let mut group = c.benchmark_group("parse");
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
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
                black_box(fazhi_engine::parse(&sub, &limits))
            })
        });
    }
    group.finish();
}

/// The PDF reader by layout on the LibreOffice-exported example (pages per second).
fn pdf(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/reports/2025-zone-beilu.pdf");
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let pages = lopdf::Document::load_mem(&bytes)
        .map(|d| d.get_pages().len() as u64)
        .unwrap_or(1);
    let limits = Limits::default();
    let mut g = c.benchmark_group("pdf");
    g.throughput(Throughput::Elements(pages));
    g.bench_function("decode_by_layout", |b| {
        b.iter(|| fazhi_engine::decode::decode(black_box(&bytes), "", "", "", &limits))
    });
    g.finish();
}

/// Each stage on one seed, to see where the time goes.
fn stages(c: &mut Criterion) {
    use fazhi_engine::parse::{figures, kind, meta, outline, sentences};
    let Ok(bytes) = std::fs::read(corpus_dir().join("seeds/2023-county-luoyuan.txt")) else {
        return;
    };
    let limits = Limits::default();
    let mut g = c.benchmark_group("stage");
    g.bench_function("decode", |b| {
        b.iter(|| fazhi_engine::decode::decode(black_box(&bytes), "", "", "", &limits))
    });
    let Ok(dec) = fazhi_engine::decode::decode(&bytes, "", "", "", &limits) else {
        return;
    };
    g.bench_function("fold", |b| {
        b.iter(|| fazhi_engine::normalize::fold(black_box(&dec.text), false))
    });
    let folded = fazhi_engine::normalize::fold(&dec.text, false);
    g.bench_function("junk", |b| {
        b.iter(|| fazhi_engine::junk::clean(black_box(&folded.text)))
    });
    let cleaned = fazhi_engine::junk::clean(&folded.text);
    let text = &cleaned.body;
    g.bench_function("outline", |b| b.iter(|| outline::outline(black_box(text))));
    let secs = outline::outline(text);
    g.bench_function("sentences", |b| {
        b.iter(|| sentences::split(black_box(text), &secs))
    });
    let sents = sentences::split(text, &secs);
    g.bench_function("meta", |b| {
        b.iter(|| meta::extract(black_box(text), &cleaned.removed, &secs))
    });
    let m = meta::extract(text, &cleaned.removed, &secs);
    g.bench_function("figures", |b| {
        b.iter(|| figures::extract(black_box(text), &sents, &secs, m.year))
    });
    g.bench_function("kind", |b| {
        b.iter(|| kind::classify(black_box(text), &m, &secs, false))
    });
    g.finish();
}

criterion_group!(benches, bench, stages, pdf);
criterion_main!(benches);
