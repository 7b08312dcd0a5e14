//! The fresh evaluation set (`tests/fresh/`): documents in styles the tuning corpus lacks,
//! labelled before the engine ever read them. It is measured, never tuned on, so this test holds
//! the set itself to its promise — enough reports and look-alikes, every file labelled with a
//! reason and readable by the engine — and prints the accuracy table (`fazhi eval tests/fresh`
//! prints the same) without a threshold: the figures are reported in the README, and a change
//! that improves the tuning corpus while this table drops is overfitting.

use std::collections::BTreeSet;

use fazhi_engine::eval::{LabelledDoc, evaluate, parse_labels};
use fazhi_engine::{Hints, Limits, Submission, assess};

fn dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fresh")
}

#[test]
fn the_fresh_set_is_whole_and_every_document_is_judged() {
    let text = std::fs::read_to_string(dir().join("labels.toml")).expect("tests/fresh/labels.toml");
    let labels = parse_labels(&text).expect("labels parse");
    let reports = labels.iter().filter(|l| l.kind == "report").count();
    let others = labels.iter().filter(|l| l.kind == "not_report").count();
    assert!(
        reports >= 15 && others >= 6,
        "{reports} reports, {others} non-reports"
    );
    // Every file on disk is labelled once, and every label says why.
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .expect("tests/fresh")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") || n.ends_with(".html"))
        .collect();
    let listed: BTreeSet<String> = labels.iter().map(|l| l.file.clone()).collect();
    assert_eq!(listed.len(), labels.len(), "a file labelled twice");
    assert_eq!(on_disk, listed);
    assert!(
        labels.iter().all(|l| l.notes.chars().count() > 80),
        "every label explains itself"
    );
    // Levels of every kind of body, several formats.
    let levels: BTreeSet<&str> = labels.iter().map(|l| l.level.as_str()).collect();
    for level in [
        "province",
        "city",
        "county",
        "district",
        "zone",
        "township",
        "street",
        "department",
    ] {
        assert!(levels.contains(level), "no {level} document");
    }
    assert!(listed.iter().any(|f| f.ends_with(".html")));

    let docs: Vec<LabelledDoc> = labels
        .into_iter()
        .map(|label| {
            let content = std::fs::read(dir().join(&label.file)).expect("labelled file");
            LabelledDoc { label, content }
        })
        .collect();
    for d in &docs {
        let hints = Hints::default();
        let sub = Submission {
            content: &d.content,
            media_type: "",
            filename: &d.label.file,
            charset: "",
            hints: &hints,
            checklist_id: None,
        };
        let a =
            assess(&sub, &Limits::default()).unwrap_or_else(|e| panic!("{}: {e}", d.label.file));
        assert!(!a.normalized_text.is_empty(), "{}", d.label.file);
    }
    println!("{}", evaluate(&docs));
}
