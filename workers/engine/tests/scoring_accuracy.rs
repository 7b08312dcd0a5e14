//! Scoring accuracy over both labelled corpora (seeds + synthetic): required parts 100 %,
//! area F1 ≥ 0.95. Prints the table.

use fazhi_engine::eval::{LabelledDoc, parse_labels, scoring};
use std::path::PathBuf;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

fn corpus_dir() -> PathBuf {
    corpus::corpus_path()
}

fn labelled() -> Vec<LabelledDoc> {
    let dir = corpus_dir();
    let mut out = Vec::new();
    for labels in ["labels.toml", "synthetic/labels.toml"] {
        let path = dir.join(labels);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for label in parse_labels(&text).expect("labels parse") {
            let p = dir.join(&label.file);
            let content = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push(LabelledDoc { label, content });
        }
    }
    out
}

#[test]
fn scoring_meets_targets_on_labelled_corpus() {
    if corpus::shared_corpus("scoring_accuracy::scoring_meets_targets_on_labelled_corpus").is_none()
    {
        return;
    }
    let docs = labelled();
    assert!(
        docs.len() >= 23,
        "corpus incomplete: {} documents",
        docs.len()
    );
    let acc = scoring::evaluate(&docs);
    println!("{acc}");
    assert_eq!(acc.docs, docs.len());
    assert!(
        acc.meets_targets(),
        "scoring targets missed (parts {:.3}, area F1 {:.3})\n{acc}",
        acc.parts_accuracy(),
        acc.area_f1()
    );
}
