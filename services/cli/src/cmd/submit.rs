//! `fazhi submit`: the gRPC client — submit reports, optionally wait for their assessments.

use std::{path::PathBuf, process::ExitCode, time::Duration};

use anyhow::{Context, bail};
use clap::Args;
use fazhi_proto::v1::{GetAssessmentRequest, GetJobRequest, Job, JobState};
use futures::StreamExt;
use tonic::Request;

use super::{HintArgs, parse_duration};
use crate::client::{self, Client};

/// Where the server is and who we are.
#[derive(Debug, Clone, Args)]
pub struct ConnArgs {
    /// gRPC server address (`host:port` or `http://host:port`).
    #[arg(long, env = "FAZHI_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// API key, sent as `authorization: Bearer KEY`; unset = none (open gateway).
    #[arg(
        long,
        env = "FAZHI_API_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub api_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// Report files, or directories whose report files are all submitted: .html/.htm, .docx,
    /// .pdf, .txt by extension; anything else is sniffed.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Wait for each job to finish (WatchJob), then print its assessment.
    #[arg(long, env = "FAZHI_WAIT")]
    pub wait: bool,
    /// Give up waiting for a job after this long.
    #[arg(long, env = "FAZHI_WAIT_TIMEOUT", default_value = "5m", value_parser = parse_duration)]
    pub wait_timeout: Duration,
    /// Checklist to assess against; default: by report year.
    #[arg(long, env = "FAZHI_CHECKLIST", value_name = "ID")]
    pub checklist: Option<String>,
    /// Idempotency key (≤ 64 printable ASCII); with several files, `-1`, `-2` … are appended.
    #[arg(long, env = "FAZHI_REQUEST_ID", value_name = "ID")]
    pub request_id: Option<String>,
    /// Job label, repeatable or comma-separated.
    #[arg(long = "label", env = "FAZHI_LABELS", value_name = "KEY=VALUE", value_delimiter = ',', value_parser = parse_label)]
    pub labels: Vec<(String, String)>,
    /// Webhook: the server POSTs each job here when it ends (the host must be on the server's
    /// --webhook-allow list).
    #[arg(long, env = "FAZHI_SUBMIT_NOTIFY_URL", value_name = "URL")]
    pub notify_url: Option<String>,
    /// Submit into this batch (from `fazhi batch create`).
    #[arg(long, env = "FAZHI_BATCH", value_name = "ID")]
    pub batch: Option<String>,
    /// Print jobs and assessments as proto3 JSON, one per line.
    #[arg(long, env = "FAZHI_JSON")]
    pub json: bool,
    #[command(flatten)]
    pub hints: HintArgs,
}

pub(crate) fn parse_label(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("bad label {s:?}: expected KEY=VALUE"))
}

/// Deadline of every unary call.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(args: &SubmitArgs) -> anyhow::Result<ExitCode> {
    let mut files = Vec::new();
    for p in &args.files {
        if p.is_dir() {
            files.extend(client::report_files(p)?);
        } else {
            files.push(p.clone());
        }
    }
    let mut client = client::connect(&args.conn.server, args.conn.api_key.as_deref()).await?;
    let many = files.len() > 1;
    // Progress on stderr for a batch (indicatif draws only on a terminal); results on stdout.
    let bar = if many {
        indicatif::ProgressBar::new(files.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{pos}/{len} [{bar:40}] {per_sec} {eta} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = Summary::default();
    for (i, path) in files.iter().enumerate() {
        let request_id = match &args.request_id {
            Some(id) if many => format!("{id}-{}", i + 1),
            Some(id) => id.clone(),
            None => String::new(),
        };
        match submit_one(&mut client, args, path, request_id, &bar).await {
            Ok(outcome) => summary.add(&outcome),
            Err(e) => {
                summary.failed += 1;
                bar.suspend(|| eprintln!("fazhi submit: {}: {e:#}", path.display()));
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if many {
        eprintln!(
            "fazhi submit: {} file(s): {} accepted ({} answered from the cache), {} failed; \
             {} throttled wait(s)",
            files.len(),
            summary.accepted,
            summary.deduplicated,
            summary.failed,
            summary.throttled
        );
    }
    if summary.failed > 0 {
        if !many {
            eprintln!(
                "fazhi submit: {} of {} file(s) failed",
                summary.failed,
                files.len()
            );
        }
        Ok(ExitCode::FAILURE)
    } else {
        Ok(ExitCode::SUCCESS)
    }
}

/// What one submission came to.
struct Outcome {
    deduplicated: bool,
    throttled: u32,
}

/// Counts over a batch, for the closing line.
#[derive(Default)]
struct Summary {
    accepted: usize,
    deduplicated: usize,
    failed: usize,
    throttled: u64,
}

impl Summary {
    fn add(&mut self, o: &Outcome) {
        self.accepted += 1;
        self.deduplicated += usize::from(o.deduplicated);
        self.throttled += u64::from(o.throttled);
    }
}

async fn submit_one(
    client: &mut Client,
    args: &SubmitArgs,
    path: &std::path::Path,
    request_id: String,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<Outcome> {
    let content = std::fs::read(path).context("cannot read file")?;
    let mut msg = client::submit_request(path, content, request_id, args.checklist.as_deref());
    msg.hints = args.hints.to_wire();
    msg.labels = args.labels.iter().cloned().collect();
    msg.notify_url = args.notify_url.clone().unwrap_or_default();
    msg.batch_id = args.batch.clone().unwrap_or_default();
    // A shared service may limit a tenant's rate: wait as the server asks, then resend.
    let (result, throttled) = client::with_retry(|| {
        let mut req = Request::new(msg.clone());
        req.set_timeout(CALL_TIMEOUT);
        let mut c = client.clone();
        async move { c.submit_report(req).await }
    })
    .await;
    let job = result.map_err(status_error)?.into_inner();
    let outcome = Outcome {
        deduplicated: job.deduplicated,
        throttled,
    };
    bar.suspend(|| print_job(args.json, path, &job))?;
    if !args.wait {
        return Ok(outcome);
    }
    let first_state = job.state;
    let job = tokio::time::timeout(args.wait_timeout, wait_done(client, job))
        .await
        .map_err(|_| anyhow::anyhow!("still not done after {:?}", args.wait_timeout))??;
    if !args.json && job.state != first_state {
        bar.suspend(|| print_job(false, path, &job))?;
    }
    match job.state() {
        JobState::Succeeded => {
            let mut req = Request::new(GetAssessmentRequest {
                job_id: job.id.clone(),
            });
            req.set_timeout(CALL_TIMEOUT);
            let assessment = client
                .get_assessment(req)
                .await
                .map_err(status_error)?
                .into_inner();
            let text = if args.json {
                serde_json::to_string(&assessment)?
            } else {
                fazhi_engine::render::scorecard(&assessment)
            };
            bar.suspend(|| println!("{text}"));
            Ok(outcome)
        }
        state => bail!(
            "job {} ended {}: {} {}",
            job.id,
            state.as_str_name(),
            job.error_code,
            job.error_message
        ),
    }
}

fn print_job(json: bool, path: &std::path::Path, job: &Job) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(job)?);
    } else {
        println!(
            "{}: job {} {}{}{}",
            path.display(),
            job.id,
            job.state().as_str_name(),
            if job.deduplicated {
                " (deduplicated)"
            } else {
                ""
            },
            if job.error_message.is_empty() {
                String::new()
            } else {
                format!(" — {} {}", job.error_code, job.error_message)
            }
        );
    }
    Ok(())
}

fn is_done(job: &Job) -> bool {
    matches!(
        job.state(),
        JobState::Succeeded | JobState::Failed | JobState::Cancelled
    )
}

/// Follows the job with WatchJob until it is done; falls back to polling GetJob if the stream
/// ends early (e.g. the gateway restarted).
pub async fn wait_done(client: &mut Client, job: Job) -> anyhow::Result<Job> {
    if is_done(&job) {
        return Ok(job);
    }
    let mut last = job;
    if let Ok(resp) = client
        .watch_job(GetJobRequest {
            id: last.id.clone(),
        })
        .await
    {
        let mut stream = resp.into_inner();
        while let Some(item) = stream.next().await {
            match item {
                Ok(j) => {
                    let done = is_done(&j);
                    last = j;
                    if done {
                        return Ok(last);
                    }
                }
                Err(_) => break,
            }
        }
    }
    loop {
        let mut req = Request::new(GetJobRequest {
            id: last.id.clone(),
        });
        req.set_timeout(CALL_TIMEOUT);
        last = client
            .get_job(req)
            .await
            .map_err(status_error)?
            .into_inner();
        if is_done(&last) {
            return Ok(last);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A readable error from a gRPC status.
pub fn status_error(s: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", s.code(), s.message())
}
