//! Answers of the HTTP face: proto3 JSON bodies, and errors as `google.rpc.Status` JSON with
//! the status of [`crate::error::ErrorReply::http_status`] and `Retry-After` for limits.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// A message as one line of proto3 JSON, the same bytes `fazhi score --format json` prints.
pub fn json_response<T: Serialize>(msg: &T) -> Response {
    match serde_json::to_string(msg) {
        Ok(mut line) => {
            line.push('\n');
            ([(header::CONTENT_TYPE, "application/json")], line).into_response()
        }
        Err(e) => error_response(&ApiError::Internal(format!("encoding JSON: {e}"))),
    }
}

pub fn error_response(err: &ApiError) -> Response {
    let reply = err.reply();
    let mut body = reply.to_json().to_string();
    body.push('\n');
    let mut resp = (
        reply.http_status(),
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response();
    if let Some(delay) = reply.retry_after {
        // Whole seconds, rounded up, never 0: clients sleep at least this long.
        let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
        if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    resp
}

pub(super) fn respond<T: Serialize>(r: Result<T, ApiError>) -> Response {
    match r {
        Ok(msg) => json_response(&msg),
        Err(e) => error_response(&e),
    }
}
