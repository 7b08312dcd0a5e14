//! The copied-text step's reading of a report (figures go to the README): its compared sentences
//! and their hashes, on the normalized texts of the engine's assessments of the example reports
//! and the test sets (the `stored_results` bench's 57).
//! `cargo bench -p fazhi-tests --bench copied_text`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fazhi_collections::similarity;
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let texts: Vec<String> = fazhi_tests::examples_and_sets()
        .iter()
        .filter_map(|p| fazhi_tests::assess_file(p))
        .map(|a| a.normalized_text)
        .collect();
    assert!(texts.len() >= 40, "the example reports and sets assess");
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
