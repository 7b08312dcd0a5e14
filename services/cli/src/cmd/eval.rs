//! `fazhi eval`: engine accuracy against the labelled corpus.

use std::{path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::Args;
use fazhi_engine::eval::{LabelledDoc, evaluate, parse_labels};

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(flatten)]
    pub checklists: crate::cmd::checklists::ChecklistDirArgs,
    /// Labelled reports: reads DIR/labels.toml and DIR/synthetic/labels.toml (file paths in the
    /// labels are relative to DIR). The examples ship with the project; point it at a larger
    /// labelled corpus to measure there.
    #[arg(
        value_name = "DIR",
        env = "FAZHI_EVAL_DIR",
        default_value = "examples/reports"
    )]
    pub dir: PathBuf,
    /// Print the table but exit 0 even when a target is missed.
    #[arg(long, env = "FAZHI_EVAL_NO_FAIL")]
    pub no_fail: bool,
    /// Print a JSON summary instead of the table.
    #[arg(long, env = "FAZHI_JSON")]
    pub json: bool,
}

pub fn run(args: &EvalArgs) -> anyhow::Result<ExitCode> {
    let mut docs = Vec::new();
    let mut files_read = 0usize;
    for labels_path in [
        args.dir.join("labels.toml"),
        args.dir.join("synthetic").join("labels.toml"),
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
            let path = args.dir.join(&label.file);
            let content = std::fs::read(&path)
                .with_context(|| format!("cannot read labelled file {}", path.display()))?;
            docs.push(LabelledDoc { label, content });
        }
    }
    if files_read == 0 {
        anyhow::bail!(
            "no labels.toml in {} nor in {}/synthetic",
            args.dir.display(),
            args.dir.display()
        );
    }
    let report = evaluate(&docs);
    let ok = report.meets_targets();
    if args.json {
        let summary = serde_json::json!({
            "documents": docs.len(),
            "meets_targets": ok,
            "table": report.to_string(),
        });
        println!("{summary}");
    } else {
        println!("{report}");
        println!(
            "{} documents; targets {}",
            docs.len(),
            if ok { "met" } else { "NOT met" }
        );
    }
    if ok || args.no_fail {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("fazhi eval: accuracy targets not met");
        Ok(ExitCode::FAILURE)
    }
}
