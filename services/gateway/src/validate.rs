//! Request validation: the request's own fields here, the document, hints and checklist through
//! the engine's one conversion ([`fazhi_engine::input::Input`]), which also gives the cache key.
//!
//! Validation collects every field violation into one `BadRequest`, except the size limit,
//! which is its own status code (RESOURCE_EXHAUSTED) and is checked first so a huge document
//! is rejected without more work.

use std::collections::HashMap;

use fazhi_engine::input::Input;
use fazhi_proto::v1::SubmitReportRequest;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, FieldViolation};

pub const MAX_REQUEST_ID_LEN: usize = 64;
pub const MAX_LABELS: usize = 32;
pub const MAX_LABEL_KEY_LEN: usize = 63;
pub const MAX_LABEL_VALUE_LEN: usize = 256;

/// A request that passed validation, with the document owned and hashed.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub request_id: String,
    /// The document's bytes.
    pub content: Vec<u8>,
    /// The engine input the queued and the synchronous path both assess.
    pub input: Input,
    pub labels: std::collections::BTreeMap<String, String>,
    /// Lowercase hex SHA-256 of `document.content`.
    pub content_sha256: String,
    /// [`Input::cache_key`].
    pub result_key: String,
}

impl ValidRequest {
    /// The engine's view of this request.
    pub fn submission(&self) -> fazhi_engine::Submission<'_> {
        self.input.submission(&self.content)
    }
}

/// Checks a submission against the limits and the contract; hashes it when valid.
pub fn validate(
    req: SubmitReportRequest,
    max_document_bytes: usize,
) -> Result<ValidRequest, ApiError> {
    let mut v: Vec<(&'static str, FieldViolation)> = Vec::new();
    let mut bad = |reason: &'static str, field: String, description: String| {
        v.push((reason, FieldViolation { field, description }));
    };

    let document = match req.document {
        Some(d) => d,
        None => {
            return Err(ApiError::invalid(
                "MISSING_DOCUMENT",
                "document",
                "a document is required",
            ));
        }
    };
    if document.content.len() > max_document_bytes {
        return Err(ApiError::DocumentTooLarge {
            size: document.content.len(),
            limit: max_document_bytes,
        });
    }
    if document.content.is_empty() {
        bad(
            "EMPTY_DOCUMENT",
            "document.content".into(),
            "document content must not be empty".into(),
        );
    }
    let input = match Input::from_wire(&document, req.hints.as_ref(), &req.checklist_id) {
        Ok(i) => Some(i),
        Err(violations) => {
            for f in violations {
                bad(f.reason, f.field.into(), f.description);
            }
            None
        }
    };
    if req.request_id.len() > MAX_REQUEST_ID_LEN
        || !req.request_id.bytes().all(|b| (0x20..=0x7e).contains(&b))
    {
        bad(
            "INVALID_REQUEST_ID",
            "request_id".into(),
            format!("request_id must be at most {MAX_REQUEST_ID_LEN} printable ASCII characters"),
        );
    }
    if req.labels.len() > MAX_LABELS {
        bad(
            "INVALID_LABELS",
            "labels".into(),
            format!("at most {MAX_LABELS} labels"),
        );
    }
    for (k, val) in sorted(&req.labels) {
        let key_ok = !k.is_empty()
            && k.len() <= MAX_LABEL_KEY_LEN
            && k.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        if !key_ok || val.len() > MAX_LABEL_VALUE_LEN {
            bad(
                "INVALID_LABELS",
                format!("labels[{}]", truncate(k, 64)),
                format!(
                    "label keys are 1..{MAX_LABEL_KEY_LEN} of [A-Za-z0-9-_./], values at most \
                     {MAX_LABEL_VALUE_LEN} bytes"
                ),
            );
        }
    }

    if let Some((reason, _)) = v.first() {
        let reason = *reason;
        return Err(ApiError::InvalidArgument {
            reason,
            violations: v.into_iter().map(|(_, f)| f).collect(),
        });
    }

    let Some(input) = input else {
        return Err(ApiError::Internal(
            "input rejected without a violation".into(),
        ));
    };
    let content_sha256 = hex::encode(Sha256::digest(&document.content));
    let result_key = input.cache_key(&content_sha256);
    Ok(ValidRequest {
        request_id: req.request_id,
        content: document.content,
        input,
        labels: req.labels.into_iter().collect(),
        content_sha256,
        result_key,
    })
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Labels in key order, so violation lists are deterministic.
fn sorted(m: &HashMap<String, String>) -> Vec<(&String, &String)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use fazhi_proto::v1::{Document, ReportHints};

    fn req(content: &[u8]) -> SubmitReportRequest {
        SubmitReportRequest {
            document: Some(Document {
                content: content.to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn reason(e: ApiError) -> &'static str {
        e.code_and_reason().1
    }

    #[test]
    fn violations() {
        let e = validate(req(b""), 10).expect_err("empty");
        assert_eq!(reason(e), "EMPTY_DOCUMENT");
        let e = validate(req(b"0123456789x"), 10).expect_err("big");
        assert_eq!(reason(e), "DOCUMENT_TOO_LARGE");
        let mut r = req(b"x");
        r.checklist_id = "nope".into();
        assert_eq!(
            reason(validate(r, 10).expect_err("cl")),
            "UNKNOWN_CHECKLIST"
        );
        let mut r = req(b"x");
        r.request_id = "é".into();
        assert_eq!(
            reason(validate(r, 10).expect_err("rid")),
            "INVALID_REQUEST_ID"
        );
        let ok = validate(req(b"abc"), 10).expect("ok");
        assert_eq!(
            ok.content_sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(
            ok.result_key
                .starts_with(&format!("{}:auto:", ok.content_sha256))
        );
    }

    #[test]
    fn padded_hints_reach_the_engine_trimmed() {
        let mut r = req(b"x");
        r.hints = Some(ReportHints {
            issuer: " 某县人民政府\u{3000}".into(),
            published_date: "2024-03-01 ".into(),
            ..Default::default()
        });
        r.checklist_id = " gangyao-2021-2025".into();
        let v = validate(r, 10).expect("valid");
        let hints = v.input.wire_hints();
        assert_eq!(hints.issuer, "某县人民政府");
        assert_eq!(hints.published_date, "2024-03-01");
        assert_eq!(v.input.checklist_id.as_deref(), Some("gangyao-2021-2025"));
        assert_eq!(v.input.hints.issuer.as_deref(), Some("某县人民政府"));
        assert_eq!(v.result_key, v.input.cache_key(&v.content_sha256));
    }
}
