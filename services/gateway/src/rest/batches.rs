//! The batch paths: `POST /v1/batches`, `GET /v1/batches`, `GET /v1/batches/{id}`,
//! `GET /v1/batches/{id}/summary?order_by=&level=` and
//! `GET /v1/batches/{id}:export?format=xlsx|csv&order_by=&level=` (the file itself as the body);
//! and the year-over-year views `GET /v1/jobs/{id}:compare?base_job_id=` and
//! `GET /v1/issuers/{issuer}/history`.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use fazhi_proto::v1 as wire;
use tracing::Instrument;

use super::{Shared, json_call, refuse_path, reply, span, tenant};
use crate::convert::batch_to_wire;
use crate::error::ApiError;

pub(super) async fn create(State(core): State<Shared>, headers: HeaderMap, body: Body) -> Response {
    let c = core.clone();
    json_call(
        &core,
        &headers,
        body,
        "CreateBatch",
        move |t, req, _| async move { c.create_batch(&t, req).await },
    )
    .await
}

pub(super) async fn list(
    State(core): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("ListBatches", tenant.name(), &headers);
        let mut req = wire::ListBatchesRequest::default();
        for (k, v) in &q {
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
                other => return Err(unknown(other, "page_size and page_token")),
            }
        }
        core.list_batches(&tenant, req).instrument(span).await
    };
    reply::respond(run.await)
}

fn unknown(name: &str, takes: &str) -> ApiError {
    ApiError::invalid(
        "UNKNOWN_PARAMETER",
        name,
        format!("this path takes {takes}"),
    )
}

/// `order_by` and `level` (and, for export, `format`).
fn options(q: &HashMap<String, String>, export: bool) -> Result<(String, String, i32), ApiError> {
    let (mut order_by, mut level, mut format) = (String::new(), String::new(), 0);
    for (k, v) in q {
        match k.as_str() {
            "order_by" | "orderBy" => order_by = v.clone(),
            "level" => level = v.clone(),
            "format" if export => {
                format = match v.trim().to_ascii_uppercase().as_str() {
                    "" | "XLSX" => wire::ExportFormat::Xlsx as i32,
                    "CSV" => wire::ExportFormat::Csv as i32,
                    _ => {
                        return Err(ApiError::invalid(
                            "INVALID_FORMAT",
                            "format",
                            "format must be csv or xlsx",
                        ));
                    }
                }
            }
            other => {
                return Err(unknown(
                    other,
                    if export {
                        "format, order_by and level"
                    } else {
                        "order_by and level"
                    },
                ));
            }
        }
    }
    Ok((order_by, level, format))
}

/// `GET /v1/batches/{id}` and `GET /v1/batches/{id}:export` share one path segment.
pub(super) async fn get_or_export(
    State(core): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(id) = name.strip_suffix(":export") {
        return export(core, headers, id.to_string(), q).await;
    }
    if name.contains(':') {
        return refuse_path("GET", &format!("/v1/batches/{name}"));
    }
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("GetBatch", tenant.name(), &headers);
        if let Some(k) = q.keys().next() {
            return Err(unknown(k, "no parameters"));
        }
        core.batch(&tenant, &name)
            .instrument(span)
            .await
            .map(|b| batch_to_wire(&b))
    };
    reply::respond(run.await)
}

pub(super) async fn summary(
    State(core): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("GetBatchSummary", tenant.name(), &headers);
        let (order_by, level, _) = options(&q, false)?;
        core.batch_summary(&tenant, &id, &order_by, &level)
            .instrument(span)
            .await
    };
    reply::respond(run.await)
}

async fn export(
    core: Shared,
    headers: HeaderMap,
    id: String,
    q: HashMap<String, String>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("ExportBatch", tenant.name(), &headers);
        let (order_by, level, format) = options(&q, true)?;
        let req = wire::ExportBatchRequest {
            batch_id: id,
            format: if format == 0 {
                wire::ExportFormat::Xlsx as i32
            } else {
                format
            },
            order_by,
            level,
        };
        core.export_batch(&tenant, &req).instrument(span).await
    };
    match run.await {
        Ok((bytes, media_type, filename)) => {
            let mut resp = (
                [(header::CONTENT_TYPE, HeaderValue::from_static(media_type))],
                bytes,
            )
                .into_response();
            // Ids are hex, so the name is plain ASCII.
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
                resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(e) => super::error_response(&e),
    }
}

pub(super) async fn compare(
    core: Shared,
    headers: HeaderMap,
    job_id: String,
    q: HashMap<String, String>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("CompareAssessments", tenant.name(), &headers);
        let mut base = String::new();
        for (k, v) in &q {
            match k.as_str() {
                "base_job_id" | "baseJobId" => base = v.clone(),
                other => return Err(unknown(other, "base_job_id")),
            }
        }
        core.compare(&tenant, &base, &job_id).instrument(span).await
    };
    reply::respond(run.await)
}

pub(super) async fn issuer_history(
    State(core): State<Shared>,
    headers: HeaderMap,
    Path(issuer): Path<String>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, _) = span("GetIssuerHistory", tenant.name(), &headers);
        core.issuer_history(&tenant, &issuer).instrument(span).await
    };
    reply::respond(run.await)
}
