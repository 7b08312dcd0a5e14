//! Running the parts of a process: the gateway, the worker loops, the queue-depth gauge, and the
//! supervision that stops everything when one part fails or a signal arrives.

use std::{process::ExitCode, sync::Arc, time::Duration};

use anyhow::Context;
use fazhi_gateway::{Gateway, GatewayError};
use fazhi_jobs::JobQueue;
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::args::*;
use super::backends::*;

pub(super) async fn bind_gateway(
    opts: &GatewayOpts,
    process: &ProcessArgs,
    backends: &Backends,
    metrics: PrometheusHandle,
) -> anyhow::Result<fazhi_gateway::BoundGateway> {
    let cfg = opts.config(process);
    let gw = Gateway::new(cfg, backends.store.clone(), backends.queue.clone())
        .context("bad gateway configuration")?
        .with_metrics(metrics);
    if gw.is_open() {
        if opts.grpc_addr.ip().is_loopback() {
            tracing::warn!(
                grpc = %opts.grpc_addr,
                "no auth file: the API is open on loopback, every caller is tenant \"default\""
            );
        } else {
            tracing::warn!(
                grpc = %opts.grpc_addr,
                "no auth file and a non-loopback address: the API is OPEN to anyone who can reach it; set FAZHI_AUTH_FILE"
            );
        }
    }
    gw.bind().await.context("cannot start the gateway")
}

pub(super) fn gateway_result(r: Result<(), GatewayError>) -> anyhow::Result<()> {
    match r {
        Ok(()) => Ok(()),
        Err(GatewayError::ShutdownTimeout(grace)) => {
            tracing::warn!(
                ?grace,
                "gateway calls still open after the grace period were cut"
            );
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

pub(super) fn spawn_workers(
    tasks: &mut JoinSet<(&'static str, anyhow::Result<()>)>,
    backends: &Backends,
    opts: &WorkerOpts,
    process: &ProcessArgs,
    n: usize,
    ocr: Option<fazhi_ocr::OcrConfig>,
    shutdown: &CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(match opts.engine_threads {
        0 => fazhi_scorer::default_engine_slots(),
        n => n,
    }));
    for i in 0..n {
        let mut cfg = opts.config(process, i == 0, &slots);
        if ocr.is_some() {
            cfg.ocr_lane = Some(backends.ocr_queue.clone());
        }
        let store = backends.store.clone();
        let queue = backends.queue.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let r = fazhi_scorer::run(store, queue, cfg, shutdown).await;
            ("worker", r.map_err(anyhow::Error::from))
        });
    }
    if let Some(ocr) = ocr {
        let ocr_slots = Arc::new(Semaphore::new(usize::from(opts.ocr.ocr_slots.max(1))));
        let cfg = opts.ocr_config(process, ocr, &ocr_slots);
        let store = backends.store.clone();
        let queue = backends.ocr_queue.clone();
        let shutdown = shutdown.clone();
        tracing::info!(slots = opts.ocr.ocr_slots.max(1), "OCR lane running");
        tasks.spawn(async move {
            let r = fazhi_scorer::run(store, queue, cfg, shutdown).await;
            ("ocr worker", r.map_err(anyhow::Error::from))
        });
    }
}

/// `fazhi_queue_depth`: ready + unacknowledged jobs, every 5 s.
pub(super) fn spawn_depth_gauge(queue: Arc<dyn JobQueue>, shutdown: CancellationToken) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Ok(Ok(depth)) = tokio::time::timeout(Duration::from_secs(2), queue.depth()).await
            {
                metrics::gauge!("fazhi_queue_depth").set(depth as f64);
            }
        }
    });
}

/// Waits for every component; the first one to stop (on its own or by error) stops the others.
pub(super) async fn supervise(
    mut tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
    shutdown: CancellationToken,
) -> ExitCode {
    let mut failed = false;
    while let Some(joined) = tasks.join_next().await {
        let requested = shutdown.is_cancelled();
        match joined {
            Ok((_, Ok(()))) if requested => {}
            Ok((name, Ok(()))) => {
                tracing::error!("{name} stopped on its own; shutting down");
                failed = true;
            }
            Ok((name, Err(e))) => {
                tracing::error!(error = format!("{e:#}"), "{name} failed; shutting down");
                failed = true;
            }
            Err(e) => {
                tracing::error!(error = %e, "a task panicked; shutting down");
                failed = true;
            }
        }
        shutdown.cancel();
    }
    if failed {
        ExitCode::FAILURE
    } else {
        tracing::info!("stopped");
        ExitCode::SUCCESS
    }
}
