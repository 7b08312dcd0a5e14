//! Figure → metric binding measured against the labelled metrics of the corpus.

use fazhi_engine::eval::parse_labels;
use fazhi_engine::{Hints, Limits, Submission};
use std::path::PathBuf;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

fn corpus_dir() -> PathBuf {
    corpus::corpus_path()
}

/// Share of labelled metrics found as a done (not planned) figure with that id and value, and
/// share of bound (non-planned) figures that match a label. Printed; floors catch regressions.
#[test]
fn metric_binding_recall_and_precision() {
    if corpus::shared_corpus("parse_figures::metric_binding_recall_and_precision").is_none() {
        return;
    }
    let dir = corpus_dir();
    let (mut want, mut found, mut bound, mut right) = (0usize, 0usize, 0usize, 0usize);
    let mut report = String::new();
    for labels in ["labels.toml", "synthetic/labels.toml"] {
        let text = std::fs::read_to_string(dir.join(labels)).expect("labels");
        for label in parse_labels(&text).expect("parse") {
            let bytes = std::fs::read(dir.join(&label.file)).expect("file");
            let hints = Hints::default();
            let sub = Submission {
                content: &bytes,
                media_type: "",
                filename: &label.file,
                charset: "",
                hints: &hints,
                checklist_id: None,
            };
            let doc = fazhi_engine::parse(&sub, &Limits::default()).expect("parse");
            if label.kind != "report" {
                continue;
            }
            for m in &label.metrics {
                want += 1;
                let hit = doc.figures.iter().any(|f| {
                    !f.planned
                        && f.metric == Some(m.id.as_str())
                        && (f.value - m.value).abs() < 1e-6
                });
                if hit {
                    found += 1;
                } else {
                    let cands: Vec<String> = doc
                        .figures
                        .iter()
                        .filter(|f| f.metric == Some(m.id.as_str()))
                        .map(|f| {
                            format!(
                                "{}{}",
                                &doc.text[f.span.clone()],
                                if f.planned { "(plan)" } else { "" }
                            )
                        })
                        .collect();
                    report.push_str(&format!(
                        "  missed {} {}={} bound:{cands:?}\n",
                        label.file, m.id, m.value
                    ));
                }
            }
            for f in doc
                .figures
                .iter()
                .filter(|f| !f.planned && f.metric.is_some())
            {
                bound += 1;
                if label
                    .metrics
                    .iter()
                    .any(|m| Some(m.id.as_str()) == f.metric && (f.value - m.value).abs() < 1e-6)
                {
                    right += 1;
                } else {
                    let s = &doc.sentences[f.sentence];
                    let ctx: String = doc.text[s.span.clone()].chars().take(60).collect();
                    report.push_str(&format!(
                        "  extra {} {:?} {} in {ctx}\n",
                        label.file,
                        f.metric,
                        &doc.text[f.span.clone()]
                    ));
                }
            }
        }
    }
    let recall = found as f64 / want.max(1) as f64;
    let precision = right as f64 / bound.max(1) as f64;
    println!(
        "metric recall {found}/{want} = {:.1}%, precision {right}/{bound} = {:.1}%\n{report}",
        recall * 100.0,
        precision * 100.0
    );
    assert!(recall >= 0.9, "recall {recall}");
    assert!(precision >= 0.85, "precision {precision}");
}
