//! Where test inputs live. Shared by every crate's tests (`#[path]`-included where a crate does
//! not depend on `fazhi-tests`), so the rule is written once:
//!
//! - the example reports in `examples/reports/` ship with the project and are always there;
//! - the shared tuning corpus is `FAZHI_CORPUS` (default `<repo>/../shared/corpus`). A test that
//!   measures accuracy on it fails when `FAZHI_CORPUS` is set and the corpus is missing (CI sets
//!   it), and is skipped — saying so by name on stderr — when it is unset and the default is absent
//!   (a fresh clone with nothing beside it).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root: the nearest ancestor of the crate holding `examples/reports`.
pub fn repo_root() -> PathBuf {
    workspace_root_from_manifest()
}

fn workspace_root_from_manifest() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("examples/reports").is_dir() {
        if !dir.pop() {
            break;
        }
    }
    dir
}

/// `examples/reports/`: the example reports and their labels.
pub fn examples_dir() -> PathBuf {
    repo_root().join("examples/reports")
}

/// Every example report, text formats (.txt, .html) first, then the others, each group by name.
pub fn sample_reports() -> Vec<PathBuf> {
    let dir = examples_dir();
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("example reports not found at {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && !matches!(ext(p).as_str(), "toml" | "md"))
        .collect();
    paths.sort_by_key(|p| (!is_text(p), p.clone()));
    assert!(
        paths.len() >= 4,
        "too few example reports in {}",
        dir.display()
    );
    paths
}

/// The example reports in text formats, whose content may be extended to make it unique.
pub fn text_reports() -> Vec<PathBuf> {
    sample_reports()
        .into_iter()
        .filter(|p| is_text(p))
        .collect()
}

/// The example reports, then the text reports of the held-out sets (`tests/{fresh,holdout,blind,
/// sealed}`), each set by name: real documents of every format that ship with the project.
pub fn examples_and_sets() -> Vec<PathBuf> {
    let mut paths = sample_reports();
    for set in ["fresh", "holdout", "blind", "sealed"] {
        let dir = repo_root().join("tests").join(set);
        let mut more: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("test set not found at {}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_text(p))
            .collect();
        more.sort();
        paths.extend(more);
    }
    paths
}

fn ext(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_text(p: &Path) -> bool {
    matches!(ext(p).as_str(), "txt" | "html" | "htm")
}

/// Where the shared corpus is expected: `FAZHI_CORPUS`, else `<repo>/../shared/corpus`.
pub fn corpus_path() -> PathBuf {
    std::env::var_os("FAZHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/corpus"))
}

/// The shared corpus for the accuracy test `test`, or `None` after printing why it is skipped.
pub fn shared_corpus(test: &str) -> Option<PathBuf> {
    match std::env::var_os("FAZHI_CORPUS") {
        Some(_) => {
            let dir = corpus_path();
            assert!(
                dir.join("labels.toml").is_file(),
                "{test}: FAZHI_CORPUS={} has no labels.toml",
                dir.display()
            );
            Some(dir)
        }
        None => {
            let dir = corpus_path();
            if dir.join("labels.toml").is_file() {
                Some(dir)
            } else {
                // Straight to the process's stderr: the test harness captures `eprintln!`, and a
                // skip must show in the run's output.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: shared corpus not found at {} (set FAZHI_CORPUS)",
                    dir.display()
                );
                None
            }
        }
    }
}
