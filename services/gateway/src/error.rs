//! Errors, and the **one** place where they become gRPC statuses.
//!
//! Handlers return [`ApiError`]; `impl From<ApiError> for tonic::Status` is the only code that
//! picks status codes and builds the `google.rpc` details (AIP-193): every status carries exactly
//! one `ErrorInfo` with domain [`DOMAIN`] and an UPPER_SNAKE reason, plus `BadRequest` for field
//! violations and `RetryInfo` for limits. Keeping this in one place is what lets clients rely on
//! the reasons.

use std::collections::HashMap;
use std::time::Duration;

use fazhi_engine::EngineError;
use fazhi_jobs::{QueueError, StoreError};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// `ErrorInfo.domain` of every error this service returns.
pub const DOMAIN: &str = "fazhi.v1";

/// One offending request field (`BadRequest.FieldViolation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Proto field path, e.g. `document.content`.
    pub field: String,
    pub description: String,
}

/// Why an rpc failed. Variants name the situation, not the status code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input; `reason` is the ErrorInfo reason of the first violation.
    #[error("invalid request: {}", describe(.violations))]
    InvalidArgument {
        reason: &'static str,
        violations: Vec<FieldViolation>,
    },
    /// The document is larger than the configured limit.
    #[error("document is {size} bytes, over the {limit}-byte limit")]
    DocumentTooLarge { size: usize, limit: usize },
    #[error("missing or unknown API key")]
    Unauthenticated,
    /// Unknown job, or another tenant's (indistinguishable on purpose).
    #[error("job {0:?} not found")]
    JobNotFound(String),
    /// The job succeeded but its assessment is no longer in the result cache.
    #[error("assessment for job {0:?} is no longer stored")]
    ResultExpired(String),
    /// The job's state forbids the operation (cancel a finished job, fetch an unfinished result).
    #[error("{message}")]
    FailedPrecondition {
        reason: &'static str,
        message: String,
        job_id: String,
        state: &'static str,
    },
    #[error("request_id {0:?} was already used for a different request")]
    RequestIdReused(String),
    /// Token bucket empty.
    #[error("submission rate limit of tenant {tenant:?} exceeded")]
    RateLimited {
        tenant: String,
        retry_after: Duration,
    },
    /// Too many QUEUED/RUNNING jobs for the tenant.
    #[error("tenant {tenant:?} has {limit} jobs in flight, the most allowed")]
    TooManyInFlight {
        tenant: String,
        limit: usize,
        retry_after: Duration,
    },
    /// All synchronous assessment slots are busy.
    #[error("synchronous assessment capacity exhausted")]
    AssessBusy { retry_after: Duration },
    #[error("invalid page_token")]
    InvalidPageToken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The job was recorded but could not be published; it is marked FAILED.
    #[error("job {job_id} could not be queued: {source}")]
    PublishFailed { job_id: String, source: QueueError },
    /// A backend call did not answer within its bounded timeout.
    #[error("{0} did not answer in time")]
    BackendTimeout(&'static str),
    /// The engine rejected the document.
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("assessment did not finish within {0:?}")]
    EngineTimeout(Duration),
    #[error("assessment crashed")]
    EnginePanic,
    /// The server is shutting down.
    #[error("server is shutting down")]
    ShuttingDown,
    #[error("internal error: {0}")]
    Internal(String),
    /// Unknown batch, or another tenant's.
    #[error("batch {0:?} not found")]
    BatchNotFound(String),
    /// No HTTP route has this path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// The path exists but not with this HTTP method.
    #[error("{method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },
    /// The notify_url's host is not on the operator's allowlist (or no webhooks are allowed).
    #[error("notify_url {0:?} is not allowed: {1}")]
    WebhookNotAllowed(String, String),
}

fn describe(v: &[FieldViolation]) -> String {
    v.iter()
        .map(|f| format!("{}: {}", f.field, f.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ApiError {
    /// One violation with its reason.
    pub fn invalid(
        reason: &'static str,
        field: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        Self::InvalidArgument {
            reason,
            violations: vec![FieldViolation {
                field: field.into(),
                description: description.into(),
            }],
        }
    }

    /// The `(code, reason)` pair; split out so tests and metrics can see it without a Status.
    pub fn code_and_reason(&self) -> (Code, &'static str) {
        match self {
            Self::InvalidArgument { reason, .. } => (Code::InvalidArgument, reason),
            Self::DocumentTooLarge { .. } => (Code::ResourceExhausted, "DOCUMENT_TOO_LARGE"),
            Self::Unauthenticated => (Code::Unauthenticated, "API_KEY_INVALID"),
            Self::JobNotFound(_) => (Code::NotFound, "JOB_NOT_FOUND"),
            Self::ResultExpired(_) => (Code::NotFound, "RESULT_EXPIRED"),
            Self::FailedPrecondition { reason, .. } => (Code::FailedPrecondition, reason),
            Self::RequestIdReused(_) => (Code::AlreadyExists, "REQUEST_ID_REUSED"),
            Self::RateLimited { .. } => (Code::ResourceExhausted, "RATE_LIMITED"),
            Self::TooManyInFlight { .. } => (Code::ResourceExhausted, "TOO_MANY_IN_FLIGHT"),
            Self::AssessBusy { .. } => (Code::ResourceExhausted, "ASSESS_CAPACITY_EXHAUSTED"),
            Self::InvalidPageToken => (Code::InvalidArgument, "INVALID_PAGE_TOKEN"),
            Self::Store(StoreError::Unavailable(_)) => (Code::Unavailable, "STORE_UNAVAILABLE"),
            Self::Store(StoreError::Corrupt(_)) => (Code::Internal, "STORE_CORRUPT"),
            Self::Store(StoreError::InvalidPageToken(_)) => {
                (Code::InvalidArgument, "INVALID_PAGE_TOKEN")
            }
            Self::Queue(QueueError::Unavailable(_)) => (Code::Unavailable, "QUEUE_UNAVAILABLE"),
            Self::Queue(QueueError::Nacked(_)) => (Code::Unavailable, "QUEUE_NACKED"),
            Self::Queue(QueueError::Malformed(_)) => (Code::Internal, "QUEUE_MALFORMED"),
            Self::PublishFailed { .. } => (Code::Unavailable, "PUBLISH_FAILED"),
            Self::BackendTimeout(_) => (Code::Unavailable, "BACKEND_TIMEOUT"),
            Self::Engine(e) => match e {
                EngineError::TooLarge { .. } | EngineError::DecompressionLimit { .. } => {
                    (Code::ResourceExhausted, e.code())
                }
                EngineError::Internal(_) => (Code::Internal, e.code()),
                _ => (Code::InvalidArgument, e.code()),
            },
            Self::EngineTimeout(_) => (Code::DeadlineExceeded, "ENGINE_TIMEOUT"),
            Self::EnginePanic => (Code::Internal, "ENGINE_PANIC"),
            Self::ShuttingDown => (Code::Unavailable, "SHUTTING_DOWN"),
            Self::Internal(_) => (Code::Internal, "INTERNAL"),
            Self::NoRoute(_) => (Code::NotFound, "NOT_FOUND"),
            Self::BatchNotFound(_) => (Code::NotFound, "BATCH_NOT_FOUND"),
            Self::MethodNotAllowed { .. } => (Code::Unimplemented, "METHOD_NOT_ALLOWED"),
            Self::WebhookNotAllowed(..) => (Code::InvalidArgument, "WEBHOOK_NOT_ALLOWED"),
        }
    }

    /// `ErrorInfo.metadata`: every dynamic value of the message, lowerCamel keys (AIP-193).
    fn metadata(&self) -> HashMap<String, String> {
        let mut m = HashMap::new();
        let mut put = |k: &str, v: String| {
            m.insert(k.to_string(), v);
        };
        match self {
            Self::InvalidArgument { violations, .. } => {
                if let Some(v) = violations.first() {
                    put("field", v.field.clone());
                }
            }
            Self::DocumentTooLarge { size, limit } => {
                put("size", size.to_string());
                put("limit", limit.to_string());
            }
            Self::JobNotFound(id) | Self::ResultExpired(id) => put("jobId", id.clone()),
            Self::FailedPrecondition { job_id, state, .. } => {
                put("jobId", job_id.clone());
                put("state", (*state).to_string());
            }
            Self::RequestIdReused(id) => put("requestId", id.clone()),
            Self::RateLimited { tenant, .. } => put("tenant", tenant.clone()),
            Self::TooManyInFlight { tenant, limit, .. } => {
                put("tenant", tenant.clone());
                put("limit", limit.to_string());
            }
            Self::PublishFailed { job_id, .. } => put("jobId", job_id.clone()),
            Self::BackendTimeout(what) => put("backend", (*what).to_string()),
            Self::NoRoute(path) => put("path", path.clone()),
            Self::BatchNotFound(id) => put("batchId", id.clone()),
            Self::MethodNotAllowed { method, path } => {
                put("method", method.clone());
                put("path", path.clone());
            }
            Self::WebhookNotAllowed(url, _) => put("notifyUrl", url.clone()),
            _ => {}
        }
        m
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. }
            | Self::TooManyInFlight { retry_after, .. }
            | Self::AssessBusy { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

/// What both faces send for an error: the gRPC code, the ErrorInfo reason and metadata, the
/// message (backend detail withheld), field violations and a retry delay.
#[derive(Debug, Clone)]
pub struct ErrorReply {
    pub code: Code,
    pub reason: &'static str,
    pub message: String,
    pub metadata: HashMap<String, String>,
    pub violations: Vec<FieldViolation>,
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// The one rendering of an error, shared by the gRPC status and the HTTP JSON body.
    pub fn reply(&self) -> ErrorReply {
        let (code, reason) = self.code_and_reason();
        // Internal details (backend messages) are logged, not sent: they may name hosts.
        let message = match code {
            Code::Internal | Code::Unavailable => {
                tracing::warn!(error = %self, reason, "request failed");
                match self {
                    ApiError::PublishFailed { job_id, .. } => {
                        format!("job {job_id} could not be queued; it was marked FAILED, retry")
                    }
                    ApiError::Engine(_) | ApiError::EnginePanic | ApiError::ShuttingDown => {
                        self.to_string()
                    }
                    _ => format!("{reason}: temporarily unavailable, retry with backoff"),
                }
            }
            _ => self.to_string(),
        };
        let mut violations = Vec::new();
        if let ApiError::InvalidArgument { violations: v, .. } = self {
            violations.extend(v.iter().cloned());
        }
        if let ApiError::DocumentTooLarge { .. } = self {
            violations.push(FieldViolation {
                field: "document.content".into(),
                description: self.to_string(),
            });
        }
        ErrorReply {
            code,
            reason,
            message,
            metadata: self.metadata(),
            violations,
            retry_after: self.retry_after(),
        }
    }
}

impl ErrorReply {
    /// The HTTP status of the usual gRPC mapping, with 413 for documents over the size limit,
    /// 412 for a job in the wrong state and 405 for a method a path does not take.
    pub fn http_status(&self) -> http::StatusCode {
        use http::StatusCode as H;
        match (self.code, self.reason) {
            (_, "DOCUMENT_TOO_LARGE" | "DECOMPRESSION_LIMIT") => H::PAYLOAD_TOO_LARGE,
            (_, "METHOD_NOT_ALLOWED") => H::METHOD_NOT_ALLOWED,
            (Code::Ok, _) => H::OK,
            (Code::InvalidArgument | Code::OutOfRange, _) => H::BAD_REQUEST,
            (Code::Unauthenticated, _) => H::UNAUTHORIZED,
            (Code::PermissionDenied, _) => H::FORBIDDEN,
            (Code::NotFound, _) => H::NOT_FOUND,
            (Code::AlreadyExists | Code::Aborted, _) => H::CONFLICT,
            (Code::FailedPrecondition, _) => H::PRECONDITION_FAILED,
            (Code::ResourceExhausted, _) => H::TOO_MANY_REQUESTS,
            (Code::Cancelled, _) => H::from_u16(499).unwrap_or(H::BAD_REQUEST),
            (Code::Unimplemented, _) => H::NOT_IMPLEMENTED,
            (Code::Unavailable, _) => H::SERVICE_UNAVAILABLE,
            (Code::DeadlineExceeded, _) => H::GATEWAY_TIMEOUT,
            (Code::Unknown | Code::Internal | Code::DataLoss, _) => H::INTERNAL_SERVER_ERROR,
        }
    }

    /// `google.rpc.Status` in its JSON mapping, details as `Any` with `@type`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let mut details = vec![json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": self.reason,
            "domain": DOMAIN,
            "metadata": self.metadata,
        })];
        if !self.violations.is_empty() {
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": self.violations.iter().map(|v| json!({
                    "field": v.field,
                    "description": v.description,
                })).collect::<Vec<_>>(),
            }));
        }
        if let Some(d) = self.retry_after {
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                "retryDelay": format!("{}.{:03}s", d.as_secs(), d.subsec_millis()),
            }));
        }
        json!({"code": self.code as i32, "message": self.message, "details": details})
    }
}

impl From<ApiError> for Status {
    fn from(err: ApiError) -> Self {
        let reply = err.reply();
        let mut details = ErrorDetails::new();
        details.set_error_info(reply.reason, DOMAIN, reply.metadata);
        for v in reply.violations {
            details.add_bad_request_violation(v.field, v.description);
        }
        if let Some(delay) = reply.retry_after {
            details.set_retry_info(Some(delay));
        }
        Status::with_error_details(reply.code, reply.message, details)
    }
}

/// Why the gateway could not start or stopped abnormally (not per-request errors).
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("reading {path}: {source}")]
    ReadFile {
        path: String,
        source: std::io::Error,
    },
    #[error("auth file {path}: {message}")]
    AuthFile { path: String, message: String },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
    #[error("reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    #[error("HTTP server: {0}")]
    Http(std::io::Error),
    #[error("graceful shutdown did not finish within {0:?}")]
    ShutdownTimeout(Duration),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_has_exactly_one_error_info_in_our_domain() {
        let errs = [
            ApiError::invalid("EMPTY_DOCUMENT", "document.content", "empty"),
            ApiError::DocumentTooLarge { size: 2, limit: 1 },
            ApiError::Unauthenticated,
            ApiError::JobNotFound("x".into()),
            ApiError::InvalidPageToken,
            ApiError::Store(StoreError::Unavailable("down".into())),
            ApiError::RateLimited {
                tenant: "a".into(),
                retry_after: Duration::from_millis(20),
            },
        ];
        for e in errs {
            let (code, reason) = e.code_and_reason();
            let status = Status::from(e);
            assert_eq!(status.code(), code);
            let info = status.get_details_error_info().expect("error info");
            assert_eq!(info.domain, DOMAIN);
            assert_eq!(info.reason, reason);
            assert!(reason.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
        }
    }

    #[test]
    fn unavailable_maps_and_hides_backend_detail() {
        let s = Status::from(ApiError::from(StoreError::Unavailable(
            "redis://secret-host".into(),
        )));
        assert_eq!(s.code(), Code::Unavailable);
        assert!(!s.message().contains("secret-host"));
        let s = Status::from(ApiError::RateLimited {
            tenant: "t".into(),
            retry_after: Duration::from_secs(1),
        });
        assert_eq!(s.code(), Code::ResourceExhausted);
        assert!(s.get_details_retry_info().is_some());
    }
}
