//! Every document fazhi is measured on, assessed and compared with the output recorded for it
//! (`tests/recorded/outputs.tsv`): speed work must not change a verdict, a quote or an offset.
//! A line per document holds the digest of the whole encoded assessment and one short digest per
//! top-level field, so a change names the fields it touched.
//!
//! - `FAZHI_RECORD_OUTPUTS=1` rewrites the file (only for an intended change, named in the commit);
//! - `FAZHI_DUMP_OUTPUTS=DIR` also writes each assessment as JSON into DIR, to diff two trees.
//!
//! The tuning corpus (`FAZHI_CORPUS`, default `../shared/corpus`) is checked when present; the
//! sets inside the repository always are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fazhi_engine::{Hints, Limits, Submission, assess};
use prost::Message;
use sha2::{Digest, Sha256};

const RECORD: &str = "tests/recorded/outputs.tsv";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn corpus() -> PathBuf {
    std::env::var_os("FAZHI_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/corpus"))
}

/// (name in the record, path) of every document of a set, sorted.
fn documents(root: &Path, prefix: &str) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let ext = p.extension().and_then(|x| x.to_str()).unwrap_or("");
            if ["txt", "html", "docx", "pdf"].contains(&ext) {
                let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy();
                out.push((format!("{prefix}/{rel}"), p.clone()));
            }
        }
    }
    out.sort();
    out
}

fn short(bytes: &[u8], n: usize) -> String {
    hex::encode(&Sha256::digest(bytes)[..n])
}

/// The record line of one document: whole digest, then `field:digest` per top-level field.
fn line(name: &str, path: &Path, dump: Option<&Path>) -> String {
    let content = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let hints = Hints::default();
    let filename = path.file_name().and_then(|x| x.to_str()).unwrap_or("");
    let sub = Submission {
        content: &content,
        media_type: "",
        filename,
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    let limits = Limits::default();
    let (whole, fields) = match assess(&sub, &limits) {
        Ok(a) => {
            let json = serde_json::to_value(&a).expect("assessment as JSON");
            if let Some(dir) = dump {
                let file = dir.join(name.replace('/', "__") + ".json");
                let pretty = serde_json::to_string_pretty(&json).expect("JSON text");
                std::fs::write(&file, pretty).expect("dump written");
            }
            let fields: BTreeMap<String, String> = match json {
                serde_json::Value::Object(m) => m
                    .into_iter()
                    .map(|(k, v)| (k, short(v.to_string().as_bytes(), 4)))
                    .collect(),
                _ => BTreeMap::new(),
            };
            (short(&a.encode_to_vec(), 16), fields)
        }
        Err(e) => (format!("error:{}", e.code()), BTreeMap::new()),
    };
    let mut s = format!("{name}\t{whole}");
    for (k, v) in fields {
        s.push_str(&format!("\t{k}:{v}"));
    }
    s
}

#[test]
fn assessments_match_the_recorded_outputs() {
    let mut docs = Vec::new();
    let corpus_present = corpus().join("labels.toml").is_file();
    if corpus_present {
        docs.extend(documents(&corpus(), "corpus"));
    } else {
        eprintln!("tuning corpus absent: checking the repository's sets only");
    }
    for set in ["fresh", "holdout", "blind", "sealed"] {
        docs.extend(documents(&repo().join("tests").join(set), set));
    }
    docs.extend(documents(&repo().join("examples/reports"), "examples"));
    assert!(docs.len() >= 60, "only {} documents found", docs.len());

    let dump = std::env::var_os("FAZHI_DUMP_OUTPUTS").map(PathBuf::from);
    if let Some(d) = &dump {
        std::fs::create_dir_all(d).expect("dump directory");
    }
    let lines: Vec<String> = docs
        .iter()
        .map(|(name, path)| line(name, path, dump.as_deref()))
        .collect();

    let record = repo().join(RECORD);
    if std::env::var_os("FAZHI_RECORD_OUTPUTS").is_some() {
        let mut text = String::from(
            "# fazhi's recorded outputs: document, digest of the encoded assessment, field:digest…\n\
             # rewritten by FAZHI_RECORD_OUTPUTS=1 cargo test -p fazhi-engine --test recorded_outputs\n",
        );
        for l in &lines {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(&record, text).expect("record written");
        return;
    }
    let recorded_text = std::fs::read_to_string(&record).expect("tests/recorded/outputs.tsv");
    let recorded: BTreeMap<&str, &str> = recorded_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split_once('\t'))
        .collect();
    let mut changed = Vec::new();
    for l in &lines {
        let (name, rest) = l.split_once('\t').expect("line has a name");
        match recorded.get(name) {
            None => changed.push(format!("{name}: not recorded")),
            Some(old) if *old != rest => {
                let before: BTreeMap<&str, &str> = old
                    .split('\t')
                    .skip(1)
                    .filter_map(|f| f.split_once(':'))
                    .collect();
                let fields: Vec<&str> = rest
                    .split('\t')
                    .skip(1)
                    .filter_map(|f| f.split_once(':'))
                    .filter(|(k, v)| before.get(k) != Some(v))
                    .map(|(k, _)| k)
                    .collect();
                changed.push(format!("{name}: changed {fields:?}"));
            }
            Some(_) => {}
        }
    }
    // A recorded set document that no longer exists is a lost document, not a pass.
    for name in recorded.keys() {
        let in_corpus = name.starts_with("corpus/");
        if (corpus_present || !in_corpus)
            && !lines.iter().any(|l| l.starts_with(&format!("{name}\t")))
        {
            changed.push(format!("{name}: recorded but missing"));
        }
    }
    assert!(
        changed.is_empty(),
        "{} of {} outputs differ from {RECORD}:\n{}",
        changed.len(),
        lines.len(),
        changed.join("\n")
    );
}
