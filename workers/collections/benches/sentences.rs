//! The copied-text step's reading of a report: its compared sentences and their hashes, on the
//! engine's normalized texts of the example reports and the tuning corpus's seeds (µs per
//! text set). `cargo bench -p fazhi-collections --bench sentences`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fazhi_collections::similarity;
use fazhi_engine::{Hints, Limits, Submission};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn text_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// The normalized text the worker hands the step, as the engine reads each file.
fn normalized(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let hints = Hints::default();
    let sub = Submission {
        content: &bytes,
        media_type: "",
        filename: "",
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    Some(
        fazhi_engine::assess(&sub, &Limits::default())
            .ok()?
            .normalized_text,
    )
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let corpus = std::env::var_os("FAZHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    let mut files = text_files(&root.join("examples/reports"));
    files.extend(text_files(&corpus.join("seeds")));
    let texts: Vec<String> = files.iter().filter_map(|p| normalized(p)).collect();
    assert!(!texts.is_empty(), "no example report assessed");
    let Ok(rules) = similarity::rules() else {
        panic!("the copying rules load");
    };
    let mut group = c.benchmark_group("copied_text");
    group.throughput(Throughput::Bytes(
        texts.iter().map(|t| t.len() as u64).sum(),
    ));
    group.bench_function("sentences", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(similarity::sentences(black_box(t), rules));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
