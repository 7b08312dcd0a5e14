//! The ops HTTP port every fazhi process serves beside its work: `/metrics` (Prometheus text),
//! `/healthz` (the process is alive) and `/readyz` (the store and the queue answer). One router
//! for the gateway and the worker, so probes and dashboards see the same thing everywhere.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use fazhi_jobs::{JobQueue, JobStore};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// What the ops port reports on.
#[derive(Clone)]
pub struct OpsState {
    pub store: Arc<dyn JobStore>,
    pub queue: Arc<dyn JobQueue>,
    /// `None`: no recorder in this process, `/metrics` answers 404.
    pub metrics: Option<PrometheusHandle>,
    /// How long `/readyz` waits for each backend.
    pub timeout: Duration,
}

/// Serves the ops routes on `listener` until `shutdown`.
pub async fn serve_ops(
    listener: TcpListener,
    state: OpsState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready_handler))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

/// Whether both backends answer within `timeout`.
pub async fn backends_ready(
    store: &Arc<dyn JobStore>,
    queue: &Arc<dyn JobQueue>,
    timeout: Duration,
) -> bool {
    let (s, q) = tokio::join!(
        tokio::time::timeout(timeout, store.ping()),
        tokio::time::timeout(timeout, queue.ping())
    );
    matches!(s, Ok(Ok(()))) && matches!(q, Ok(Ok(())))
}

async fn metrics_handler(State(s): State<OpsState>) -> impl IntoResponse {
    match &s.metrics {
        Some(h) => (
            StatusCode::OK,
            [(
                axum::http::header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            h.render(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "metrics recorder not installed\n").into_response(),
    }
}

async fn ready_handler(State(s): State<OpsState>) -> impl IntoResponse {
    if backends_ready(&s.store, &s.queue, s.timeout).await {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "store or queue unreachable\n",
        )
    }
}
