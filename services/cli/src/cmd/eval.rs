//! `fazhi eval`: engine accuracy against the labelled corpus.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Args;
use fazhi_engine::eval::{LabelledDoc, evaluate, parse_labels};

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub checklists: crate::cmd::checklists::ChecklistDirArgs,
    /// Labelled sets: each DIR's `labels.toml` and `synthetic/labels.toml` (file paths in the
    /// labels are relative to DIR). Each set is measured and printed on its own, so a tuning set
    /// and a set never tuned on stand side by side (`fazhi eval ../corpus tests/fresh`).
    #[arg(
        value_name = "DIR",
        env = "FAZHI_EVAL_DIR",
        default_value = "examples/reports",
        num_args = 1..
    )]
    pub dirs: Vec<PathBuf>,
    /// Print the table but exit 0 even when a target is missed.
    #[arg(long, env = "FAZHI_EVAL_NO_FAIL")]
    pub no_fail: bool,
    /// Print a JSON summary instead of the table.
    #[arg(long, env = "FAZHI_JSON")]
    pub json: bool,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let mut all_ok = true;
    let mut summaries = Vec::new();
    for (i, dir) in args.dirs.iter().enumerate() {
        let docs = load(dir)?;
        let report = evaluate(&docs);
        let ok = report.meets_targets();
        all_ok &= ok;
        if args.json {
            summaries.push(serde_json::json!({
                "dir": dir.display().to_string(),
                "documents": docs.len(),
                "meets_targets": ok,
                "table": report.to_string(),
            }));
            continue;
        }
        if i > 0 {
            println!();
        }
        if args.dirs.len() > 1 {
            println!("== {} ==", dir.display());
        }
        println!("{report}");
        println!(
            "{} documents; targets {}",
            docs.len(),
            if ok { "met" } else { "NOT met" }
        );
    }
    if args.json {
        // One set keeps the earlier single-object shape; several give an array.
        match summaries.len() {
            1 => println!("{}", summaries[0]),
            _ => println!("{}", serde_json::Value::Array(summaries)),
        }
    }
    if all_ok || args.no_fail {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("fazhi eval: accuracy targets not met");
        Ok(ExitCode::FAILURE)
    }
}

/// The labelled documents of one set.
fn load(dir: &std::path::Path) -> anyhow::Result<Vec<LabelledDoc>> {
    let mut docs = Vec::new();
    let mut files_read = 0usize;
    for labels_path in [
        dir.join("labels.toml"),
        dir.join("synthetic").join("labels.toml"),
    ] {
        if !labels_path.exists() {
            continue;
        }
        files_read += 1;
        let text = std::fs::read_to_string(&labels_path)
            .with_context(|| format!("cannot read {}", labels_path.display()))?;
        let labels =
            parse_labels(&text).with_context(|| format!("in {}", labels_path.display()))?;
        for label in labels {
            let path = dir.join(&label.file);
            let content = std::fs::read(&path)
                .with_context(|| format!("cannot read labelled file {}", path.display()))?;
            docs.push(LabelledDoc { label, content });
        }
    }
    if files_read == 0 {
        anyhow::bail!(
            "no labels.toml in {} nor in {}/synthetic",
            dir.display(),
            dir.display()
        );
    }
    Ok(docs)
}
