//! `fazhi score`: offline assessment, no server.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::ExitCode,
};

use anyhow::Context;
use clap::Args;
use fazhi_engine::Limits;
use fazhi_engine::input::Input;

use super::HintArgs;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The Chinese scorecard for people.
    Text,
    /// One Assessment per line, proto3 JSON mapping (lowerCamelCase).
    Json,
}

#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub checklists: crate::cmd::checklists::ChecklistDirArgs,
    /// Report files: .html/.htm, .docx, .pdf, .txt by extension; anything else is sniffed.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, env = "FAZHI_FORMAT", value_enum, default_value = "text")]
    pub format: Format,
    /// Checklist to assess against (gangyao-2021-2025, gangyao-2015-2020); default: by report year.
    #[arg(long, env = "FAZHI_CHECKLIST", value_name = "ID")]
    pub checklist: Option<String>,
    #[command(flatten)]
    pub hints: HintArgs,
    /// Scans (image-only PDF, PNG, JPEG, TIFF): `auto` reads them by OCR when Tesseract with
    /// the chi_sim model is installed, `off` fails them as the engine alone does.
    #[arg(long = "ocr", env = "FAZHI_OCR", default_value = "auto", value_parser = ["auto", "on", "off"])]
    pub ocr: String,
}

pub fn run(args: &ScoreArgs) -> anyhow::Result<ExitCode> {
    let limits = Limits::default();
    let hints = args.hints.to_wire().unwrap_or_default();
    let checklist = args.checklist.clone().unwrap_or_default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0usize;
    let many = args.files.len() > 1;
    let ocr = (args.ocr != "off").then(fazhi_ocr::OcrConfig::default);
    for path in &args.files {
        match score_one(path, &hints, &checklist, &limits, ocr.as_ref()) {
            Ok(assessment) => match args.format {
                Format::Json => {
                    let line = serde_json::to_string(&assessment)
                        .context("cannot encode the assessment as JSON")?;
                    writeln!(out, "{line}")?;
                }
                Format::Text => {
                    if many {
                        writeln!(out, "==> {} <==", path.display())?;
                    }
                    writeln!(out, "{}", fazhi_engine::render::scorecard(&assessment))?;
                }
            },
            Err(e) => {
                failed += 1;
                eprintln!("fazhi score: {}: {e:#}", path.display());
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        eprintln!(
            "fazhi score: {failed} of {} file(s) failed",
            args.files.len()
        );
        Ok(ExitCode::FAILURE)
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

fn score_one(
    path: &Path,
    hints: &fazhi_engine::wire::ReportHints,
    checklist: &str,
    limits: &Limits,
    ocr: Option<&fazhi_ocr::OcrConfig>,
) -> anyhow::Result<fazhi_engine::wire::Assessment> {
    let content = std::fs::read(path).context("cannot read file")?;
    let document = crate::client::document(path, content);
    let input = Input::from_wire(&document, Some(hints), checklist).map_err(|violations| {
        let lines: Vec<String> = violations
            .iter()
            .map(|v| format!("{} ({}): {}", v.field, v.reason, v.description))
            .collect();
        anyhow::anyhow!("{}", lines.join("; "))
    })?;
    let sub = input.submission(&document.content);
    match fazhi_engine::assess(&sub, limits) {
        Err(e) if e.is_scan() && ocr.is_some() => {
            let (Some(cfg), Some(kind)) = (ocr, fazhi_ocr::ScanKind::sniff(&document.content))
            else {
                return Err(anyhow::anyhow!("{e} ({})", e.code()));
            };
            let read = fazhi_ocr::recognise(&document.content, kind, cfg, &mut |_, _| {})
                .map_err(|o| anyhow::anyhow!("{e} ({}); OCR: {o} ({})", e.code(), o.code()))?;
            let scan = fazhi_engine::ScanText {
                text: &read.text,
                pages: read.pages,
                pages_total: read.pages_total,
                mean_confidence: read.mean_confidence,
            };
            fazhi_engine::assess_scan(&sub, &scan, limits)
                .map_err(|e| anyhow::anyhow!("{e} ({})", e.code()))
        }
        r => r.map_err(|e| anyhow::anyhow!("{e} ({})", e.code())),
    }
}
