//! `POST /v1/jobs:upload`: SubmitReport as multipart/form-data, for clients that hold a file
//! rather than a JSON document. The part `file` is `document.content` (its filename fills
//! `document.filename`, its Content-Type — or, when generic, the type the file name implies —
//! `document.media_type`, unless given as fields); every
//! other field is named by its proto path: `request_id`, `checklist_id`, `notify_url`, `batch_id`,
//! `document.media_type`, `document.filename`, `document.charset`, `hints.issuer`,
//! `hints.region_code`, `hints.year`, `hints.published_date`, `hints.source_url`, `labels.KEY`.

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use fazhi_proto::v1 as wire;
use tracing::Instrument;

use super::{Shared, reply, span, tenant};
use crate::error::ApiError;

pub(super) async fn upload(
    State(core): State<Shared>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let run = async {
        let tenant = tenant(&core, &headers)?;
        let (span, trace) = span("SubmitReport", tenant.name(), &headers);
        async {
            let multipart = multipart
                .map_err(|e| ApiError::invalid("INVALID_MULTIPART", "body", e.body_text()))?;
            let req = read_form(multipart, core.config().max_document_bytes).await?;
            core.submit(&tenant, req, &trace).await
        }
        .instrument(span)
        .await
    };
    reply::respond(run.await)
}

async fn read_form(
    mut form: Multipart,
    max_document: usize,
) -> Result<wire::SubmitReportRequest, ApiError> {
    let mut req = wire::SubmitReportRequest::default();
    let mut document = wire::Document::default();
    let mut hints = wire::ReportHints::default();
    let (mut has_file, mut has_hints) = (false, false);
    let (mut part_type, mut part_name) = (String::new(), String::new());
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::DocumentTooLarge {
                size: max_document.saturating_add(1),
                limit: max_document,
            }
        } else {
            ApiError::invalid("INVALID_MULTIPART", "body", e.body_text())
        }
    };
    while let Some(field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            if has_file {
                return Err(ApiError::invalid(
                    "INVALID_MULTIPART",
                    "file",
                    "send one part named file",
                ));
            }
            part_type = field.content_type().unwrap_or_default().to_string();
            part_name = field.file_name().unwrap_or_default().to_string();
            document.content = field.bytes().await.map_err(multipart_error)?.to_vec();
            has_file = true;
            continue;
        }
        let value = field.text().await.map_err(multipart_error)?;
        match name.as_str() {
            "request_id" => req.request_id = value,
            "checklist_id" => req.checklist_id = value,
            "notify_url" => req.notify_url = value,
            "batch_id" => req.batch_id = value,
            "document.media_type" => document.media_type = value,
            "document.filename" => document.filename = value,
            "document.charset" => document.charset = value,
            "hints.issuer" => (hints.issuer, has_hints) = (value, true),
            "hints.region_code" => (hints.region_code, has_hints) = (value, true),
            "hints.published_date" => (hints.published_date, has_hints) = (value, true),
            "hints.source_url" => (hints.source_url, has_hints) = (value, true),
            "hints.year" => {
                hints.year = value.trim().parse().map_err(|_| {
                    ApiError::invalid(
                        "INVALID_YEAR",
                        "hints.year",
                        "hints.year must be an integer",
                    )
                })?;
                has_hints = true;
            }
            other => match other.strip_prefix("labels.") {
                Some(key) if !key.is_empty() => {
                    req.labels.insert(key.to_string(), value);
                }
                _ => {
                    return Err(ApiError::invalid(
                        "UNKNOWN_FIELD",
                        other,
                        "not a field of SubmitReportRequest (see /openapi.json)",
                    ));
                }
            },
        }
    }
    if !has_file {
        return Err(ApiError::invalid(
            "EMPTY_DOCUMENT",
            "document.content",
            "the form has no part named file",
        ));
    }
    if document.filename.is_empty() {
        document.filename = part_name;
    }
    // A generic part type (curl and browsers send application/octet-stream for .docx) says
    // nothing: take the type the file name implies, as `fazhi submit` does, else sniff.
    if document.media_type.is_empty() {
        document.media_type = match part_type.as_str() {
            "" | "application/octet-stream" => {
                fazhi_engine::media::for_filename(&document.filename).to_string()
            }
            t => t.to_string(),
        };
    }
    req.document = Some(document);
    if has_hints {
        req.hints = Some(hints);
    }
    Ok(req)
}
