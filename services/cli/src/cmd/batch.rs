//! `fazhi batch`: create a batch, read it, list them, print its summary, export it to a file.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use fazhi_proto::v1 as wire;
use futures::StreamExt as _;

use crate::client;
use crate::cmd::submit::{ConnArgs, parse_label};

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(subcommand)]
    pub action: Action,
}

#[derive(Debug, Subcommand)]
pub enum Action {
    /// Create a batch; prints it (JSON). Submit into it with `fazhi submit --batch ID`.
    Create {
        /// What the batch is, e.g. "某省2024年度县级报告".
        #[arg(long)]
        name: String,
        #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
        labels: Vec<(String, String)>,
        /// Checklist for submissions that name none.
        #[arg(long, value_name = "ID")]
        checklist: Option<String>,
    },
    /// A batch with its counts by state (JSON).
    Get { id: String },
    /// Batches, newest first (JSON, one per line).
    List,
    /// Ranking and statistics (JSON).
    Summary {
        id: String,
        /// score (default), issuer or published_date.
        #[arg(long, default_value = "score")]
        order_by: String,
        /// Only this level (province, city, county, …).
        #[arg(long, default_value = "")]
        level: String,
    },
    /// The summary as a spreadsheet or CSV file.
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = FileFormat::Xlsx)]
        format: FileFormat,
        /// Output file.
        #[arg(short, long)]
        output: PathBuf,
        #[arg(long, default_value = "score")]
        order_by: String,
        #[arg(long, default_value = "")]
        level: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Xlsx,
    Csv,
}

pub async fn run(args: &BatchArgs) -> anyhow::Result<ExitCode> {
    let mut c = client::connect(&args.conn.server, args.conn.api_key.as_deref()).await?;
    let mut out = std::io::stdout().lock();
    match &args.action {
        Action::Create {
            name,
            labels,
            checklist,
        } => {
            let b = c
                .create_batch(wire::CreateBatchRequest {
                    display_name: name.clone(),
                    labels: labels.iter().cloned().collect(),
                    checklist_id: checklist.clone().unwrap_or_default(),
                })
                .await
                .context("CreateBatch")?
                .into_inner();
            writeln!(out, "{}", serde_json::to_string(&b)?)?;
        }
        Action::Get { id } => {
            let b = c
                .get_batch(wire::GetBatchRequest { id: id.clone() })
                .await
                .context("GetBatch")?
                .into_inner();
            writeln!(out, "{}", serde_json::to_string(&b)?)?;
        }
        Action::List => {
            let mut token = String::new();
            loop {
                let page = c
                    .list_batches(wire::ListBatchesRequest {
                        page_size: 500,
                        page_token: token,
                    })
                    .await
                    .context("ListBatches")?
                    .into_inner();
                for b in &page.batches {
                    writeln!(out, "{}", serde_json::to_string(b)?)?;
                }
                if page.next_page_token.is_empty() {
                    break;
                }
                token = page.next_page_token;
            }
        }
        Action::Summary {
            id,
            order_by,
            level,
        } => {
            let s = c
                .get_batch_summary(wire::GetBatchSummaryRequest {
                    batch_id: id.clone(),
                    order_by: order_by.clone(),
                    level: level.clone(),
                })
                .await
                .context("GetBatchSummary")?
                .into_inner();
            writeln!(out, "{}", serde_json::to_string(&s)?)?;
        }
        Action::Export {
            id,
            format,
            output,
            order_by,
            level,
        } => {
            let mut stream = c
                .export_batch(wire::ExportBatchRequest {
                    batch_id: id.clone(),
                    format: match format {
                        FileFormat::Xlsx => wire::ExportFormat::Xlsx,
                        FileFormat::Csv => wire::ExportFormat::Csv,
                    } as i32,
                    order_by: order_by.clone(),
                    level: level.clone(),
                })
                .await
                .context("ExportBatch")?
                .into_inner();
            let mut bytes = Vec::new();
            while let Some(chunk) = stream.next().await {
                bytes.extend(chunk.context("ExportBatch stream")?.data);
            }
            std::fs::write(output, &bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            eprintln!("wrote {} ({} bytes)", output.display(), bytes.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
