//! `fazhi serve | gateway | worker`: the server processes.
//!
//! - `serve`: gateway and `--workers` in-process scorer loops in one process; in-memory queue and
//!   store unless both `--amqp-url` and `--redis-url` are set.
//! - `gateway` / `worker`: the two halves, on RabbitMQ and Redis only.
//!
//! All three stop gracefully on SIGTERM / SIGINT: one [`CancellationToken`] reaches the gateway
//! (health → NOT_SERVING, then drain) and every worker (stop consuming, finish in-flight jobs
//! within the grace period). A second signal exits at once.

mod args;
mod backends;
mod defaults;
mod signals;
mod supervise;

pub use args::*;

use std::{process::ExitCode, time::Duration};

use anyhow::{Context, bail};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::telemetry;
use backends::*;
use signals::*;
use supervise::*;

pub async fn serve(a: ServeArgs) -> anyhow::Result<ExitCode> {
    if a.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = telemetry::install_metrics(shutdown.clone())?;
    let backends = connect_backends(&a.backend, Role::Serve, &shutdown).await?;
    let mut tasks = JoinSet::new();
    let bound = bind_gateway(&a.gateway, &a.process, &backends, metrics).await?;
    tracing::info!(
        grpc = %bound.grpc_addr(),
        http = ?bound.http_addr(),
        backends = backends.kind,
        workers = a.workers,
        "fazhi serve: gateway and workers running"
    );
    {
        let shutdown = shutdown.clone();
        tasks.spawn(async move { ("gateway", gateway_result(bound.run(shutdown).await)) });
    }
    let ocr = a.worker.ocr.resolve()?;
    spawn_workers(
        &mut tasks, &backends, &a.worker, &a.process, a.workers, ocr, &shutdown,
    );
    spawn_depth_gauge(backends.queue.clone(), shutdown.clone());
    Ok(supervise(tasks, shutdown).await)
}

pub async fn gateway(a: GatewayArgs) -> anyhow::Result<ExitCode> {
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = telemetry::install_metrics(shutdown.clone())?;
    let backends = connect_backends(&a.backend, Role::Gateway, &shutdown).await?;
    let bound = bind_gateway(&a.gateway, &a.process, &backends, metrics).await?;
    tracing::info!(grpc = %bound.grpc_addr(), http = ?bound.http_addr(), "fazhi gateway running");
    let mut tasks = JoinSet::new();
    {
        let shutdown = shutdown.clone();
        tasks.spawn(async move { ("gateway", gateway_result(bound.run(shutdown).await)) });
    }
    spawn_depth_gauge(backends.queue.clone(), shutdown.clone());
    Ok(supervise(tasks, shutdown).await)
}

pub async fn worker(a: WorkerArgs) -> anyhow::Result<ExitCode> {
    if a.workers == 0 {
        bail!("--workers must be at least 1");
    }
    let shutdown = CancellationToken::new();
    spawn_signal_handler(shutdown.clone());
    let metrics = telemetry::install_metrics(shutdown.clone())?;
    let backends = connect_backends(&a.backend, Role::Worker, &shutdown).await?;
    let mut tasks = JoinSet::new();
    if let Some(addr) = a.process.http_addr.0 {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot bind the HTTP port {addr}"))?;
        let http_addr = listener.local_addr()?;
        let state = fazhi_gateway::ops::OpsState {
            store: backends.store.clone(),
            queue: backends.queue.clone(),
            metrics: Some(metrics),
            timeout: Duration::from_secs(2),
        };
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let r = fazhi_gateway::ops::serve_ops(listener, state, shutdown)
                .await
                .context("worker HTTP server failed");
            ("http", r)
        });
        tracing::info!(http = %http_addr, "worker HTTP side port listening");
    }
    tracing::info!(
        workers = a.workers,
        prefetch = a.worker.prefetch,
        "fazhi worker running"
    );
    let ocr = a.worker.ocr.resolve()?;
    spawn_workers(
        &mut tasks, &backends, &a.worker, &a.process, a.workers, ocr, &shutdown,
    );
    spawn_depth_gauge(backends.queue.clone(), shutdown.clone());
    Ok(supervise(tasks, shutdown).await)
}
