//! `fazhi`: the one binary — serve | gateway | worker | score | eval | submit | load | probe.
//!
//! Every flag has a `FAZHI_*` environment twin, and an optional TOML file (`--config FILE` /
//! `FAZHI_CONFIG`) supplies defaults: flags > environment > file > built-in defaults.

mod allocator;
mod client;
mod cmd;
mod config;
mod telemetry;

use std::{ffi::OsString, path::PathBuf, process::ExitCode};

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::telemetry::LogFormat;

/// Assesses annual reports on rule-of-law government building (法治政府建设年度报告).
#[derive(Debug, Parser)]
#[command(
    name = "fazhi",
    version,
    propagate_version = true,
    max_term_width = 100
)]
struct Cli {
    /// TOML config file; keys are the FAZHI_* env names without the prefix, lowercased
    /// (e.g. `grpc_addr = "0.0.0.0:50051"`). Flags and env vars override it.
    #[arg(long, env = "FAZHI_CONFIG", global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log format.
    #[arg(
        long,
        env = "FAZHI_LOG_FORMAT",
        global = true,
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax, e.g. `info,fazhi_gateway=debug`); unset → RUST_LOG,
    /// else `info` for servers and `warn` for client commands.
    #[arg(long = "log", env = "FAZHI_LOG", global = true, value_name = "FILTER")]
    log: Option<String>,
    /// OpenTelemetry OTLP/gRPC collector to export spans to (e.g. `http://127.0.0.1:4317`);
    /// unset → `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_EXPORTER_OTLP_ENDPOINT`, else no
    /// export. Servers only; the W3C trace context is propagated either way.
    #[arg(long, env = "FAZHI_OTLP_ENDPOINT", global = true, value_name = "URL")]
    otlp_endpoint: Option<String>,
    /// `service.name` of exported spans; unset → `OTEL_SERVICE_NAME`, else `fazhi-<command>`.
    #[arg(
        long,
        env = "FAZHI_OTLP_SERVICE_NAME",
        global = true,
        value_name = "NAME"
    )]
    otlp_service_name: Option<String>,
    /// Fraction of new traces sampled (0.0–1.0); a client's sampled flag is always followed.
    #[arg(
        long,
        env = "FAZHI_OTLP_SAMPLE_RATIO",
        global = true,
        default_value_t = 1.0,
        value_name = "RATIO",
        value_parser = telemetry::parse_ratio
    )]
    otlp_sample_ratio: f64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
// Parsed once at startup and moved into its command: the size difference costs nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// All in one: gateway and in-process workers. In-memory queue and store unless both
    /// --amqp-url and --redis-url are set, then RabbitMQ and Redis.
    Serve(cmd::serve::ServeArgs),
    /// The gRPC front only (needs RabbitMQ and Redis).
    Gateway(cmd::serve::GatewayArgs),
    /// A scoring worker only (needs RabbitMQ and Redis).
    Worker(cmd::serve::WorkerArgs),
    /// Assess files offline, no server.
    Score(cmd::score::ScoreArgs),
    /// Measure the engine's accuracy against a labelled corpus.
    Eval(cmd::eval::EvalArgs),
    /// Submit reports to a server (gRPC client); --wait prints the assessments.
    Submit(cmd::submit::SubmitArgs),
    /// Batches: create, get, list, summary (ranking and statistics), export to XLSX or CSV.
    Batch(cmd::batch::BatchArgs),
    /// Load generator over gRPC (loopback only, bounded in time and count).
    Load(cmd::load::LoadArgs),
    /// Exit 0 if an HTTP health endpoint answers 2xx (container healthchecks without curl).
    Probe(cmd::probe::ProbeArgs),
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fazhi: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn real_main() -> anyhow::Result<ExitCode> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let mut command = Cli::command();
    if let Some(path) = config::locate(&args) {
        let values = config::load(&path)?;
        command = config::apply(command, &values)?;
    }
    let matches = command.get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };

    let role = match cli.command {
        Command::Serve(_) => Some("serve"),
        Command::Gateway(_) => Some("gateway"),
        Command::Worker(_) => Some("worker"),
        _ => None,
    };
    // The OpenTelemetry standard variables are honoured too, so a collector injected by the
    // platform (e.g. an operator setting OTEL_EXPORTER_OTLP_ENDPOINT) just works.
    let endpoint = cli.otlp_endpoint.clone().or_else(|| {
        [
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_ENDPOINT",
        ]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    });
    let otlp = match (endpoint, role) {
        (Some(endpoint), Some(role)) => Some(telemetry::OtlpConfig {
            endpoint,
            service_name: cli
                .otlp_service_name
                .clone()
                .or_else(|| std::env::var("OTEL_SERVICE_NAME").ok())
                .unwrap_or_else(|| format!("fazhi-{role}")),
            sample_ratio: cli.otlp_sample_ratio,
        }),
        _ => None,
    };
    let tracing_export = telemetry::init_logging(
        cli.log_format,
        cli.log.as_deref(),
        if role.is_some() { "info" } else { "warn" },
        otlp.as_ref(),
    )?;

    let outcome = run(cli.command);
    // Export what the run traced before the process ends.
    if let Some(export) = tracing_export {
        export.shutdown();
    }
    outcome
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    // Checklists from a directory are installed before anything can score.
    let checklists = match &command {
        Command::Score(a) => Some(&a.checklists),
        Command::Eval(a) => Some(&a.checklists),
        Command::Serve(a) => Some(&a.checklists),
        Command::Gateway(a) => Some(&a.checklists),
        Command::Worker(a) => Some(&a.checklists),
        _ => None,
    };
    if let Some(c) = checklists {
        c.install()?;
    }
    match command {
        Command::Score(a) => cmd::score::run(&a),
        Command::Eval(a) => cmd::eval::run(&a),
        Command::Probe(a) => cmd::probe::run(&a),
        Command::Submit(a) => runtime()?.block_on(cmd::submit::run(&a)),
        Command::Load(a) => runtime()?.block_on(cmd::load::run(&a)),
        Command::Batch(a) => runtime()?.block_on(cmd::batch::run(&a)),
        Command::Serve(a) => runtime()?.block_on(cmd::serve::serve(a)),
        Command::Gateway(a) => runtime()?.block_on(cmd::serve::gateway(a)),
        Command::Worker(a) => runtime()?.block_on(cmd::serve::worker(a)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("fazhi")
        .build()
        .context("cannot start the async runtime")
}
