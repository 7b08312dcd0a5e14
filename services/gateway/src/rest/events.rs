//! `GET /v1/jobs/{id}:watch`: WatchJob as Server-Sent Events for clients that cannot stream
//! gRPC. One `job` event per version (data: the Job as JSON, id: its update time), then the
//! stream ends after a terminal state; an `error` event (data: google.rpc.Status JSON) ends it
//! on shutdown. Comments keep idle connections alive through proxies.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tracing::Instrument;

use super::{error_response, span, tenant};
use crate::core::ReportCore;

pub(super) async fn watch(core: Arc<ReportCore>, headers: HeaderMap, id: String) -> Response {
    let started = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("WatchJob", tenant.name(), &headers);
        span.record("job_id", id.as_str());
        core.watch(&tenant, &id).instrument(span).await
    };
    let stream = match started.await {
        Ok(s) => s,
        Err(e) => return error_response(&e),
    };
    let events = stream.map(|item| {
        let event = match item {
            Ok(job) => {
                let version = job
                    .update_time
                    .as_ref()
                    .map(|t| t.seconds * 1000 + i64::from(t.nanos / 1_000_000))
                    .unwrap_or_default();
                match serde_json::to_string(&job) {
                    Ok(data) => Event::default()
                        .event("job")
                        .id(version.to_string())
                        .data(data),
                    Err(e) => Event::default().event("error").data(e.to_string()),
                }
            }
            Err(e) => Event::default()
                .event("error")
                .data(e.reply().to_json().to_string()),
        };
        Ok::<_, Infallible>(event)
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}
