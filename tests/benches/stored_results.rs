//! Packing and unpacking stored results (figures go to the README): the engine's assessments of
//! the example reports and the test sets, packed as a store packs them on success and unpacked as
//! it reads them. `cargo bench -p fazhi-tests --bench stored_results`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fazhi_jobs::stored_result::{pack, unpack};
use prost::Message;

fn assessments() -> Vec<Vec<u8>> {
    fazhi_tests::examples_and_sets()
        .iter()
        .filter_map(|p| Some(fazhi_tests::assess_file(p)?.encode_to_vec()))
        .collect()
}

fn stored_results(c: &mut Criterion) {
    let docs = assessments();
    let packed: Vec<_> = docs.iter().filter_map(|d| pack(d).ok()).collect();
    let stored: usize = packed.iter().map(|p| p.result.len() + p.text.len()).sum();
    let encoded: usize = docs.iter().map(Vec::len).sum();
    eprintln!(
        "{} assessments: {} encoded bytes each, {} stored (result and text)",
        docs.len(),
        encoded / docs.len(),
        stored / docs.len()
    );
    let mut g = c.benchmark_group("stored_results");
    g.throughput(Throughput::Elements(docs.len() as u64));
    g.bench_function("pack", |b| {
        b.iter(|| docs.iter().filter_map(|d| pack(d).ok()).count())
    });
    g.bench_function("unpack", |b| {
        b.iter(|| {
            packed
                .iter()
                .filter_map(|p| unpack(p.result.clone(), Some(&p.text)).ok())
                .count()
        })
    });
    g.finish();
}

criterion_group!(benches, stored_results);
criterion_main!(benches);
