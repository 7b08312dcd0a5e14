//! The sets written for fazhi by writers who never read the engine, each labelled before the
//! engine read it (`tests/fresh`, `tests/holdout`, `tests/blind`, `tests/sealed`; see
//! `tests/fresh/README.md`). Each was measured once untouched and its figure is in the README.
//! Work on the figure grammar then looked at the misses of the first three, so these tests hold
//! them to the targets as regression guards; the sealed set is only measured, never tuned on.
//! Every set must stay whole: every file labelled once with a reason, every file assessable.

use std::collections::BTreeSet;

use fazhi_engine::eval::{EvalReport, LabelledDoc, evaluate, parse_labels};
use fazhi_engine::{Hints, Limits, Submission, assess};

fn dir(set: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests")
        .join(set)
}

/// Loads a set, checks it is whole and every document is judged, and measures it.
fn measured(set: &str, min_reports: usize, min_others: usize) -> EvalReport {
    let text = std::fs::read_to_string(dir(set).join("labels.toml"))
        .unwrap_or_else(|e| panic!("tests/{set}/labels.toml: {e}"));
    let labels = parse_labels(&text).expect("labels parse");
    let reports = labels.iter().filter(|l| l.kind == "report").count();
    let others = labels.iter().filter(|l| l.kind == "not_report").count();
    assert!(
        reports >= min_reports && others >= min_others,
        "{set}: {reports} reports, {others} non-reports"
    );
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir(set))
        .expect("set directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt") || n.ends_with(".html"))
        .collect();
    let listed: BTreeSet<String> = labels.iter().map(|l| l.file.clone()).collect();
    assert_eq!(listed.len(), labels.len(), "{set}: a file labelled twice");
    assert_eq!(on_disk, listed, "{set}: files and labels differ");
    assert!(
        labels.iter().all(|l| l.notes.chars().count() > 80),
        "{set}: every label explains itself"
    );
    let docs: Vec<LabelledDoc> = labels
        .into_iter()
        .map(|label| {
            let content = std::fs::read(dir(set).join(&label.file)).expect("labelled file");
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
    let report = evaluate(&docs);
    println!("== tests/{set} ==\n{report}");
    report
}

#[test]
fn the_fresh_set_meets_every_target() {
    let r = measured("fresh", 15, 6);
    assert!(r.meets_targets(), "{r}");
}

#[test]
fn the_holdout_set_meets_the_scoring_targets() {
    // Metadata misses one published date: the set labels a signing date as no publication date,
    // where the engine reads the 落款 date as one (with its source); see the README.
    let r = measured("holdout", 10, 2);
    assert!(r.scoring.meets_targets(), "{r}");
}

#[test]
fn the_blind_set_meets_the_scoring_targets() {
    let r = measured("blind", 6, 1);
    assert!(r.scoring.meets_targets(), "{r}");
}

#[test]
fn the_sealed_set_is_whole_and_judged() {
    measured("sealed", 6, 1);
}

#[test]
fn every_kind_of_body_is_in_the_sets() {
    let mut levels = BTreeSet::new();
    for set in ["fresh", "holdout", "blind"] {
        let text = std::fs::read_to_string(dir(set).join("labels.toml")).expect("labels");
        for l in parse_labels(&text).expect("labels parse") {
            levels.insert(l.level);
        }
    }
    for level in fazhi_engine::model::Level::ALL {
        assert!(
            levels.contains(level.as_str()),
            "no {} document",
            level.as_str()
        );
    }
}
