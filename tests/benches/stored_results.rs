//! Packing and unpacking stored results (figures go to the README): the engine's assessments of
//! the example reports and the test sets, packed as a store packs them on success and unpacked as
//! it reads them, and what each part of a result costs stored (printed first). Packing is
//! measured with every text new and with every text packed before (its stored form kept).
//! `cargo bench -p fazhi-tests --bench stored_results`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fazhi_jobs::stored_result::{forget_stored_texts, pack, unpack};
use fazhi_tests::wire;
use prost::Message;

fn assessments() -> Vec<wire::Assessment> {
    fazhi_tests::examples_and_sets()
        .iter()
        .filter_map(|p| fazhi_tests::assess_file(p))
        .collect()
}

/// How one part of an assessment is left out, to see what it costs stored.
type Strip = fn(&mut wire::Assessment);

/// Where a stored result's bytes go: each part's share, as the bytes packing saves without it
/// (the text's share is the stored text itself).
fn bytes_by_part(all: &[wire::Assessment]) {
    let stored = |a: &wire::Assessment| pack(&a.encode_to_vec()).map_or(0, |p| p.result.len());
    let n = all.len().max(1);
    let whole: usize = all.iter().map(stored).sum();
    eprintln!(
        "result without its text: {} bytes each; without …",
        whole / n
    );
    let parts: [(&str, Strip); 10] = [
        ("areas (items, statuses, evidence)", |a| a.areas.clear()),
        ("  of which item evidence", |a| {
            a.areas
                .iter_mut()
                .flat_map(|r| &mut r.items)
                .for_each(|i| i.evidence.clear())
        }),
        ("  of which area and item titles", |a| {
            for r in &mut a.areas {
                r.title.clear();
                r.items.iter_mut().for_each(|i| i.title.clear());
            }
        }),
        ("figures", |a| a.figures.clear()),
        ("report (title, issuer, outline…)", |a| a.report = None),
        ("  of which the outline", |a| {
            if let Some(r) = a.report.as_mut() {
                r.outline.clear()
            }
        }),
        ("metrics", |a| a.metrics.clear()),
        ("required parts", |a| a.required_parts.clear()),
        ("findings", |a| a.findings.clear()),
        ("removed lines", |a| a.removed_lines.clear()),
    ];
    for (name, strip) in parts {
        let without: usize = all
            .iter()
            .map(|a| {
                let mut b = a.clone();
                strip(&mut b);
                stored(&b)
            })
            .sum();
        eprintln!("  {name:36} −{} bytes", whole.saturating_sub(without) / n);
    }
}

fn stored_results(c: &mut Criterion) {
    let all = assessments();
    bytes_by_part(&all);
    let docs: Vec<Vec<u8>> = all.iter().map(Message::encode_to_vec).collect();
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
    // Every text new, as when every report differs …
    g.bench_function("pack", |b| {
        b.iter(|| {
            forget_stored_texts();
            docs.iter().filter_map(|d| pack(d).ok()).count()
        })
    });
    // … and every text packed before, as when the same reports come back.
    g.bench_function("pack_known_texts", |b| {
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
