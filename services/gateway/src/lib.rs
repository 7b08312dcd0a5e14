//! fazhi's gRPC front: validation, tenants and API keys, idempotency and deduplication,
//! enqueueing with publisher confirms, job status, results, and the synchronous path.
//!
//! The gateway holds no state of its own beyond per-process admission counters; jobs and
//! results live behind [`fazhi_jobs::JobStore`], work goes out through
//! [`fazhi_jobs::JobQueue`], and the synchronous AssessReport runs [`fazhi_engine`] on a
//! bounded blocking pool.
//!
//! Layout:
//! - [`config`]: [`GatewayConfig`] and its defaults.
//! - [`auth`]: API keys → tenants (auth file of key hashes), the interceptor.
//! - [`limits`]: per-tenant token bucket and in-flight cap.
//! - [`validate`]: request validation and the result-cache key.
//! - [`core`]: the service core every transport shares (admission, publish, reads, assess).
//! - [`service`]: the gRPC `ReportService` adapter over the core.
//! - [`rest`]: the same service over HTTP/JSON (the proto's `google.api.http` rules), SSE watch,
//!   multipart upload and `/openapi.json`, on the same port (routed by content type).
//! - [`error`]: [`ApiError`] and the single mapping to `tonic::Status`.
//! - [`convert`]: wire conversions, job ids, page tokens, traceparent.
//! - [`server`]: listeners, health, reflection, shutdown.
//! - [`ops`]: the ops HTTP port (`/metrics`, `/healthz`, `/readyz`) the gateway and the worker share.
//! - [`telemetry`]: the gRPC metrics tower layer.
//! - [`webhook`]: webhook settings, allowlist, signature and sender; [`notify`]: the durable
//!   delivery loop each gateway runs.
//!
//! Behaviour clients can rely on (the contracts are in `docs/ARCHITECTURE.md`):
//! - **Errors** carry exactly one `google.rpc.ErrorInfo` (domain `fazhi.v1`, UPPER_SNAKE
//!   reason), a `BadRequest` for field problems, `RetryInfo` for limits. Backend trouble
//!   (store/queue down or slower than `store_timeout`/`publish_timeout`) is UNAVAILABLE.
//! - **Submit**: validated → SHA-256 → result key (see `fazhi_engine::input::Input::cache_key`) → cache hit
//!   gives a job born SUCCEEDED with `deduplicated = true`; otherwise the job is recorded
//!   QUEUED (with its message, for the orphan reconciler), published with confirm, and only
//!   then answered. A failed publish marks the job FAILED/`PUBLISH_FAILED` → UNAVAILABLE;
//!   retrying with the same `request_id` re-queues that same job.
//! - **request_id** is per tenant: same id + same request → same job; same id + different
//!   content (or options that change the result) → ALREADY_EXISTS `REQUEST_ID_REUSED`.
//! - **SubmitReports**: one Job per request in order; the first failing item ends the stream
//!   with its status (earlier Jobs stand, later items are not read).
//! - **CancelJob**: QUEUED → CANCELLED; RUNNING → FAILED_PRECONDITION `JOB_RUNNING`;
//!   terminal → FAILED_PRECONDITION `JOB_TERMINAL`.
//! - **WatchJob**: the current version first, then each change; ends after a terminal state,
//!   on shutdown (UNAVAILABLE `SHUTTING_DOWN`) or when the client leaves.
//! - **ListJobs**: newest first, `page_size` 0 → 50, capped at 500; page tokens are bound to
//!   the tenant and the state filter (a mismatch is INVALID_ARGUMENT `INVALID_PAGE_TOKEN`).
//! - **Tenants**: another tenant's job is NOT_FOUND on every rpc. Rate and in-flight limits
//!   are per gateway process ([`limits`]).
//! - **HTTP/JSON**: the same rpcs on the same port for non-gRPC content types ([`rest`]); the
//!   same errors as `google.rpc.Status` JSON with the HTTP status of
//!   [`error::ErrorReply::http_status`].
//! - **Webhooks**: a job with a notify_url is POSTed, signed, once it ends — at least once,
//!   retried with backoff, only to allowed hosts ([`webhook`], [`notify`]).
//! - **Batches**: counts follow each job's state in the store's own atomic step; summaries read
//!   one summary row per assessed job ([`core`]).
//! - **Tracing**: each rpc has a span with `tenant`, `job_id`, `content_sha256`, `trace_id`;
//!   the rpc span is the child of the client's W3C trace context, and the published message
//!   carries the span's own context so the worker's job span continues the trace
//!   ([`convert::outgoing_trace`]; a hand-built `traceparent` when OpenTelemetry is off).
//!
//! Running it:
//! ```no_run
//! # async fn run(store: std::sync::Arc<dyn fazhi_jobs::JobStore>,
//! #              queue: std::sync::Arc<dyn fazhi_jobs::JobQueue>)
//! #              -> Result<(), fazhi_gateway::GatewayError> {
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! let cfg = fazhi_gateway::GatewayConfig::default();
//! fazhi_gateway::serve(cfg, store, queue, None, shutdown).await
//! # }
//! ```

pub mod auth;
pub mod config;
pub mod convert;
pub mod core;
pub mod error;
pub mod limits;
pub mod notify;
pub mod ops;
pub mod rest;
pub mod server;
pub mod service;
pub mod telemetry;
pub mod validate;
pub mod webhook;

pub use auth::{Authenticator, DEFAULT_TENANT, key_digest};
pub use config::{GatewayConfig, TenantLimits, TlsConfig};
pub use core::ReportCore;
pub use error::{ApiError, DOMAIN, GatewayError};
pub use server::{BoundGateway, Gateway, LATENCY_BUCKETS, SERVICE_NAME, serve};
pub use service::ReportApi;
pub use tonic_health::server::HealthReporter;
