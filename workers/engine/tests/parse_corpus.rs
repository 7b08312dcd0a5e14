//! Every corpus file parses, and metadata accuracy meets its targets.

use fazhi_engine::eval::{LabelledDoc, parse_labels};
use fazhi_engine::{Hints, Limits, Submission};
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
        let base = path.parent().map(PathBuf::from).unwrap_or_default();
        for label in parse_labels(&text).expect("labels parse") {
            // Labels name files relative to the corpus root.
            let p = dir.join(&label.file);
            let p = if p.exists() {
                p
            } else {
                base.join(&label.file)
            };
            let content = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            out.push(LabelledDoc { label, content });
        }
    }
    out
}

#[test]
fn every_corpus_file_parses() {
    if corpus::shared_corpus("parse_corpus::every_corpus_file_parses").is_none() {
        return;
    }
    let dir = corpus_dir();
    let mut n = 0;
    for sub in ["seeds", "synthetic"] {
        for entry in std::fs::read_dir(dir.join(sub)).expect("corpus dir") {
            let path = entry.expect("entry").path();
            if path.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            let bytes = std::fs::read(&path).expect("read");
            let hints = Hints::default();
            let sub = Submission {
                content: &bytes,
                media_type: "",
                filename: path.to_str().unwrap_or(""),
                charset: "",
                hints: &hints,
                checklist_id: None,
            };
            let doc = fazhi_engine::parse(&sub, &Limits::default())
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(!doc.sections.is_empty(), "{}: no sections", path.display());
            assert!(
                doc.sentences.len() > 20,
                "{}: few sentences",
                path.display()
            );
            for s in &doc.sections {
                assert!(
                    doc.text.is_char_boundary(s.span.start)
                        && doc.text.is_char_boundary(s.span.end)
                );
            }
            n += 1;
        }
    }
    assert!(n >= 20, "only {n} corpus files");
}

#[test]
fn metadata_accuracy_meets_targets() {
    if corpus::shared_corpus("parse_corpus::metadata_accuracy_meets_targets").is_none() {
        return;
    }
    let docs = labelled();
    assert!(docs.len() >= 20);
    let acc = fazhi_engine::eval::metadata::evaluate(&docs);
    println!("{acc}");
    assert!(acc.meets_targets(), "{acc}");
}
