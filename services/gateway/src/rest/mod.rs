//! `fazhi.v1.ReportService` over HTTP/JSON: a thin adapter over the [`ReportCore`], serving
//! the paths of the proto's `google.api.http` rules on the public port beside gRPC (the
//! server routes by content type). Bodies and answers are the proto3 JSON mapping (pbjson),
//! byte for byte what `fazhi score --format json` prints; errors are `google.rpc.Status` as
//! JSON with the same reasons and details as gRPC ([`crate::error::ErrorReply`]).
//!
//! - [`reply`]: JSON answers, error bodies with their HTTP status and `Retry-After`.
//! - [`upload`]: `POST /v1/jobs:upload`, multipart/form-data.
//! - [`events`]: `GET /v1/jobs/{id}:watch` as Server-Sent Events.
//! - [`batches`]: batches, their summaries and exports.
//!
//! `GET /openapi.json` serves the OpenAPI 3.1 document generated from the same proto, and `/`
//! the browser workbench ([`fazhi_workbench`]) that calls this face.

mod batches;
mod events;
mod reply;
mod upload;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use fazhi_proto::v1 as wire;
use tracing::{Instrument, field::Empty};

use crate::auth::Tenant;
use crate::convert::job_to_wire;
use crate::core::ReportCore;
use crate::error::ApiError;

pub use reply::{error_response, json_response};

type Shared = Arc<ReportCore>;

/// The HTTP face's router. Bodies up to the gRPC decode limit are read; anything larger is a
/// document over the limit (413 `DOCUMENT_TOO_LARGE`), as on the gRPC face.
pub fn router(core: Arc<ReportCore>) -> Router {
    let body_limit = core.config().max_message_bytes;
    Router::new()
        .route("/v1/jobs", post(submit).get(list))
        .route("/v1/jobs:upload", post(upload::upload))
        .route("/v1/jobs/{name}", get(get_job_or_watch).post(cancel))
        .route("/v1/jobs/{id}/assessment", get(assessment))
        .route("/v1/reports:assess", post(assess))
        .route("/v1/checklists", get(checklists))
        .route("/v1/batches", post(batches::create).get(batches::list))
        .route("/v1/batches/{name}", get(batches::get_or_export))
        .route("/v1/batches/{id}/summary", get(batches::summary))
        .route("/v1/issuers/{issuer}/history", get(batches::issuer_history))
        .route("/openapi.json", get(openapi))
        .merge(fazhi_workbench::router(&core.config().workbench))
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(observe))
        .with_state(core)
}

/// Counts and times each request by route template (bounded label values).
async fn observe(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!("fazhi_http_requests_total", "route" => route.clone(), "method" => method.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("fazhi_http_request_duration_seconds", "route" => route, "method" => method)
        .record(start.elapsed().as_secs_f64());
    resp
}

/// The request span, named as the rpc it stands for, child of the client's trace context.
fn span(
    rpc: &'static str,
    tenant: &str,
    headers: &HeaderMap,
) -> (tracing::Span, Vec<(String, String)>) {
    let trace: Vec<(String, String)> = fazhi_jobs::trace::KEYS
        .iter()
        .filter_map(|k| {
            let v = headers.get(*k)?.to_str().ok()?;
            Some(((*k).to_string(), v.to_string()))
        })
        .collect();
    let span = tracing::info_span!(
        "rpc",
        otel.name = %format_args!("fazhi.v1.ReportService/{rpc}"),
        otel.kind = "server",
        rpc,
        transport = "http",
        tenant,
        job_id = Empty,
        content_sha256 = Empty,
        trace_id = Empty
    );
    fazhi_jobs::trace::set_parent(&span, &trace);
    (span, trace)
}

fn tenant(core: &ReportCore, headers: &HeaderMap) -> Result<Tenant, ApiError> {
    core.auth().authenticate_header(
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A JSON body in the proto3 JSON mapping (both lowerCamelCase and proto names accepted).
fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::invalid(
            "INVALID_JSON",
            "body",
            "the request body must be a JSON object",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid("INVALID_JSON", "body", format!("not a valid request: {e}")))
}

/// Reads the body up to the limit; past it the document is too large for either face.
async fn read_body(core: &ReportCore, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let limit = core.config().max_message_bytes;
    let too_large = |size: usize| ApiError::DocumentTooLarge {
        size,
        limit: core.config().max_document_bytes,
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && len > limit
    {
        return Err(too_large(len));
    }
    axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large(limit.saturating_add(1)))
}

async fn submit(State(core): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let c = core.clone();
    json_call(
        &core,
        &headers,
        body,
        "SubmitReport",
        move |t, req, trace| async move { c.submit(&t, req, &trace).await },
    )
    .await
}

/// An rpc whose request is the JSON body: tenant, span (child of the client's trace), body read
/// within the limit, parsed, then `call`; its answer or error as the reply.
async fn json_call<Req, Out, F, Fut>(
    core: &ReportCore,
    headers: &HeaderMap,
    body: Body,
    rpc: &'static str,
    call: F,
) -> Response
where
    Req: serde::de::DeserializeOwned,
    Out: serde::Serialize,
    F: FnOnce(Tenant, Req, Vec<(String, String)>) -> Fut,
    Fut: Future<Output = Result<Out, ApiError>>,
{
    let run = async {
        let tenant = tenant(core, headers)?;
        let (span, trace) = span(rpc, tenant.name(), headers);
        async {
            let body = read_body(core, headers, body).await?;
            let req: Req = parse(&body)?;
            call(tenant, req, trace).await
        }
        .instrument(span)
        .await
    };
    reply::respond(run.await)
}

async fn list(
    State(core): State<Shared>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("ListJobs", tenant.name(), &headers);
        let req = list_request(&query)?;
        core.list(&tenant, req).instrument(span).await
    };
    reply::respond(run.await)
}

/// `?page_size=&page_token=&state=` (state by name, e.g. SUCCEEDED, or number).
fn list_request(q: &HashMap<String, String>) -> Result<wire::ListJobsRequest, ApiError> {
    let mut req = wire::ListJobsRequest::default();
    for (k, v) in q {
        match k.as_str() {
            "page_size" | "pageSize" => {
                req.page_size = v.trim().parse().map_err(|_| {
                    ApiError::invalid(
                        "INVALID_PAGE_SIZE",
                        "page_size",
                        "page_size must be an integer",
                    )
                })?;
            }
            "page_token" | "pageToken" => req.page_token = v.clone(),
            "state" => {
                req.state = wire::JobState::from_str_name(v.trim())
                    .map(|s| s as i32)
                    .or_else(|| v.trim().parse::<i32>().ok())
                    .ok_or_else(|| {
                        ApiError::invalid(
                            "INVALID_STATE",
                            "state",
                            format!("unknown job state {v:?}"),
                        )
                    })?;
            }
            other => {
                return Err(ApiError::invalid(
                    "UNKNOWN_PARAMETER",
                    other,
                    "ListJobs takes page_size, page_token and state",
                ));
            }
        }
    }
    Ok(req)
}

/// `GET /v1/jobs/{id}`, `GET /v1/jobs/{id}:watch` and `GET /v1/jobs/{id}:compare` share one
/// path segment.
async fn get_job_or_watch(
    State(core): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(id) = name.strip_suffix(":watch") {
        return events::watch(core, headers, id.to_string()).await;
    }
    if let Some(id) = name.strip_suffix(":compare") {
        return batches::compare(core, headers, id.to_string(), query).await;
    }
    if name.contains(':') {
        return refuse_path("GET", &format!("/v1/jobs/{name}"));
    }
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("GetJob", tenant.name(), &headers);
        span.record("job_id", name.as_str());
        core.get(&tenant, &name)
            .instrument(span)
            .await
            .map(|r| job_to_wire(&r))
    };
    reply::respond(run.await)
}

async fn cancel(
    State(core): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let Some(id) = name.strip_suffix(":cancel") else {
        return refuse_path("POST", &format!("/v1/jobs/{name}"));
    };
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("CancelJob", tenant.name(), &headers);
        span.record("job_id", id);
        core.cancel(&tenant, id).instrument(span).await
    };
    reply::respond(run.await)
}

async fn assessment(
    State(core): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("GetAssessment", tenant.name(), &headers);
        span.record("job_id", id.as_str());
        core.assessment(&tenant, &id).instrument(span).await
    };
    reply::respond(run.await)
}

async fn assess(State(core): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let c = core.clone();
    json_call(
        &core,
        &headers,
        body,
        "AssessReport",
        move |t, req, _| async move { c.assess(&t, req).await },
    )
    .await
}

async fn checklists(State(core): State<Shared>, headers: HeaderMap) -> Response {
    reply::respond(tenant(&core, &headers).map(|_| core.checklists()))
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        fazhi_proto::v1::OPENAPI_JSON,
    )
        .into_response()
}

/// A path the shared `/v1/jobs/{name}` route caught: 405 when another method serves it, else 404.
fn refuse_path(method: &str, path: &str) -> Response {
    if fazhi_proto::v1::HTTP_RULES
        .iter()
        .any(|r| template_matches(r.path, path))
    {
        not_allowed(method, path)
    } else {
        error_response(&ApiError::NoRoute(path.to_string()))
    }
}

async fn no_route(uri: axum::http::Uri) -> Response {
    error_response(&ApiError::NoRoute(uri.path().to_string()))
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> Response {
    not_allowed(method.as_str(), uri.path())
}

/// 405 with an `Allow` header listing the methods the contract's rules give this path.
fn not_allowed(method: &str, path: &str) -> Response {
    let mut allowed: Vec<&str> = fazhi_proto::v1::HTTP_RULES
        .iter()
        .filter(|r| template_matches(r.path, path))
        .map(|r| r.method)
        .collect();
    if allowed.contains(&"GET") {
        allowed.push("HEAD");
    }
    allowed.sort_unstable();
    allowed.dedup();
    let mut resp = error_response(&ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: path.to_string(),
    });
    *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    if let Ok(v) = axum::http::HeaderValue::from_str(&allowed.join(", ")) {
        resp.headers_mut().insert(header::ALLOW, v);
    }
    resp
}

/// `/v1/jobs/{id}:cancel` against a concrete path: a `{var}` stands for one segment up to
/// the template's next literal character.
fn template_matches(template: &str, path: &str) -> bool {
    let (t, p) = (template.as_bytes(), path.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < t.len() {
        if t[i] == b'{' {
            let Some(close) = template[i..].find('}') else {
                return false;
            };
            i += close + 1;
            let stop = t.get(i).copied();
            let start = j;
            while j < p.len() && p[j] != b'/' && Some(p[j]) != stop && p[j] != b':' {
                j += 1;
            }
            if j == start {
                return false;
            }
        } else {
            if p.get(j) != Some(&t[i]) {
                return false;
            }
            i += 1;
            j += 1;
        }
    }
    j == p.len()
}

#[cfg(test)]
mod tests {
    use super::template_matches;

    #[test]
    fn templates_match_one_segment_per_variable() {
        assert!(template_matches(
            "/v1/jobs/{id}:cancel",
            "/v1/jobs/abc:cancel"
        ));
        assert!(!template_matches("/v1/jobs/{id}:cancel", "/v1/jobs/abc"));
        assert!(template_matches("/v1/jobs/{id}", "/v1/jobs/abc"));
        assert!(!template_matches("/v1/jobs/{id}", "/v1/jobs/abc:cancel"));
        assert!(!template_matches("/v1/jobs/{id}", "/v1/jobs/"));
        assert!(template_matches(
            "/v1/jobs/{job_id}/assessment",
            "/v1/jobs/x/assessment"
        ));
        assert!(template_matches("/v1/jobs", "/v1/jobs"));
        assert!(!template_matches("/v1/jobs", "/v1/jobs:upload"));
    }
}
