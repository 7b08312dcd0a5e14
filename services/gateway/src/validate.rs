//! Request validation and the result-cache key.
//!
//! Validation collects every field violation into one `BadRequest`, except the size limit,
//! which is its own status code (RESOURCE_EXHAUSTED) and is checked first so a huge document
//! is rejected without more work.

use std::collections::HashMap;

use fazhi_proto::v1::{Document, ReportHints, SubmitReportRequest};
use sha2::{Digest, Sha256};

use crate::error::{ApiError, FieldViolation};

/// The media types the engine reads (DESIGN.md); empty means "sniff".
pub const MEDIA_TYPES: [&str; 4] = [
    "text/plain",
    "text/html",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/pdf",
];

pub const MAX_REQUEST_ID_LEN: usize = 64;
pub const MAX_LABELS: usize = 32;
pub const MAX_LABEL_KEY_LEN: usize = 63;
pub const MAX_LABEL_VALUE_LEN: usize = 256;

/// A request that passed validation, with the document owned and hashed.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub request_id: String,
    pub document: Document,
    pub hints: ReportHints,
    /// Requested checklist; empty = chosen by report year.
    pub checklist_id: String,
    pub labels: std::collections::BTreeMap<String, String>,
    /// Lowercase hex SHA-256 of `document.content`.
    pub content_sha256: String,
    /// See [`result_key`].
    pub result_key: String,
}

impl ValidRequest {
    /// Engine hints (empty strings and year 0 mean "not given").
    pub fn engine_hints(&self) -> fazhi_engine::Hints {
        let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
        fazhi_engine::Hints {
            issuer: opt(&self.hints.issuer),
            region_code: opt(&self.hints.region_code),
            year: (self.hints.year != 0).then_some(self.hints.year),
            published_date: opt(&self.hints.published_date),
            source_url: opt(&self.hints.source_url),
        }
    }

    pub fn checklist(&self) -> Option<&str> {
        (!self.checklist_id.is_empty()).then_some(self.checklist_id.as_str())
    }
}

/// Checks a submission against the limits and the contract; hashes it when valid.
pub fn validate(
    req: SubmitReportRequest,
    max_document_bytes: usize,
    checklist_exists: impl Fn(&str) -> bool,
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
    if !media_type_ok(&document.media_type) {
        bad(
            "UNSUPPORTED_MEDIA_TYPE",
            "document.media_type".into(),
            format!(
                "media type {:?} is not one of {} (or empty to sniff)",
                truncate(&document.media_type, 100),
                MEDIA_TYPES.join(", ")
            ),
        );
    }
    if document.charset.len() > 40 || !document.charset.bytes().all(is_token_byte) {
        bad(
            "INVALID_CHARSET",
            "document.charset".into(),
            "charset must be a short name such as gbk or utf-8".into(),
        );
    }
    if document.filename.len() > 1024 || document.filename.chars().any(char::is_control) {
        bad(
            "INVALID_FILENAME",
            "document.filename".into(),
            "filename must be at most 1024 bytes without control characters".into(),
        );
    }

    let hints = req.hints.unwrap_or_default();
    if !hints.published_date.is_empty() && !is_iso_date(&hints.published_date) {
        bad(
            "INVALID_DATE",
            "hints.published_date".into(),
            format!(
                "published_date {:?} is not a YYYY-MM-DD date",
                truncate(&hints.published_date, 40)
            ),
        );
    }
    if hints.year != 0 && !(1949..=2200).contains(&hints.year) {
        bad(
            "INVALID_YEAR",
            "hints.year".into(),
            "year must be 0 (unknown) or a calendar year".into(),
        );
    }
    for (field, value, max) in [
        ("hints.issuer", &hints.issuer, 512),
        ("hints.region_code", &hints.region_code, 32),
        ("hints.source_url", &hints.source_url, 4096),
    ] {
        if value.len() > max {
            bad(
                "FIELD_TOO_LONG",
                field.into(),
                format!("at most {max} bytes"),
            );
        }
    }

    if !req.checklist_id.is_empty() && !checklist_exists(&req.checklist_id) {
        bad(
            "UNKNOWN_CHECKLIST",
            "checklist_id".into(),
            format!(
                "unknown checklist {:?}; ListChecklists names the known ones",
                truncate(&req.checklist_id, 64)
            ),
        );
    }
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

    let content_sha256 = hex::encode(Sha256::digest(&document.content));
    let result_key = result_key(&content_sha256, &req.checklist_id, &document, &hints);
    Ok(ValidRequest {
        request_id: req.request_id,
        document,
        hints,
        checklist_id: req.checklist_id,
        labels: req.labels.into_iter().collect(),
        content_sha256,
        result_key,
    })
}

/// The result-cache key: `{content_sha256}:{checklist|auto}:{ENGINE_VERSION}:{inputs}`.
///
/// The engine is a pure function of the bytes, the checklist, its own version and the inputs
/// that steer decoding and scoring, so those are exactly what the key holds. `inputs` is the
/// first 16 hex digits of a SHA-256 over, length-prefixed: the declared media type (lowercased,
/// spaces removed, parameters kept since `charset=` may steer decoding), the declared charset
/// (lowercased), the filename extension (lowercased; used for sniffing), and every
/// `ReportHints` field (issuer, region_code, year, published_date, source_url). All hints are in
/// because the engine receives all of them (published_date drives timeliness, year the
/// checklist choice, issuer the metadata); a hint that turns out not to matter only costs cache
/// hits, a missing one would serve a wrong result.
pub fn result_key(
    content_sha256: &str,
    checklist_id: &str,
    document: &Document,
    hints: &ReportHints,
) -> String {
    let checklist = if checklist_id.is_empty() {
        "auto"
    } else {
        checklist_id
    };
    let media: String = document
        .media_type
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let ext = document
        .filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let year = hints.year.to_string();
    let mut h = Sha256::new();
    for part in [
        media.as_str(),
        &document.charset.to_ascii_lowercase(),
        &ext,
        &hints.issuer,
        &hints.region_code,
        &year,
        &hints.published_date,
        &hints.source_url,
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    let inputs = hex::encode(h.finalize());
    format!(
        "{content_sha256}:{checklist}:{}:{}",
        fazhi_engine::ENGINE_VERSION,
        &inputs[..16]
    )
}

fn media_type_ok(mt: &str) -> bool {
    let essence = mt.split(';').next().unwrap_or("").trim();
    essence.is_empty() || MEDIA_TYPES.iter().any(|m| m.eq_ignore_ascii_case(essence))
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.:".contains(&b)
}

/// `YYYY-MM-DD` with a real month and day (leap years included).
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let p = s.get(r)?;
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
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
    fn dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2024-13-01"));
        assert!(!is_iso_date("2024-1-01"));
        assert!(!is_iso_date("２０２４-01-01"));
        assert!(!is_iso_date("2024/01/01"));
    }

    #[test]
    fn media_types_allow_params() {
        assert!(media_type_ok(""));
        assert!(media_type_ok("text/plain; charset=gbk"));
        assert!(media_type_ok("Application/PDF"));
        assert!(!media_type_ok("image/png"));
    }

    #[test]
    fn violations() {
        let any = |_: &str| true;
        let e = validate(req(b""), 10, any).expect_err("empty");
        assert_eq!(reason(e), "EMPTY_DOCUMENT");
        let e = validate(req(b"0123456789x"), 10, any).expect_err("big");
        assert_eq!(reason(e), "DOCUMENT_TOO_LARGE");
        let mut r = req(b"x");
        r.checklist_id = "nope".into();
        assert_eq!(
            reason(validate(r, 10, |_| false).expect_err("cl")),
            "UNKNOWN_CHECKLIST"
        );
        let mut r = req(b"x");
        r.request_id = "é".into();
        assert_eq!(
            reason(validate(r, 10, any).expect_err("rid")),
            "INVALID_REQUEST_ID"
        );
        let ok = validate(req(b"abc"), 10, any).expect("ok");
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
    fn result_key_depends_on_hints_and_checklist() {
        let d = Document {
            content: b"x".to_vec(),
            ..Default::default()
        };
        let h = ReportHints::default();
        let base = result_key("h", "", &d, &h);
        assert_eq!(base, result_key("h", "", &d, &h));
        assert_ne!(base, result_key("h", "gangyao-2021-2025", &d, &h));
        let h2 = ReportHints {
            published_date: "2024-03-01".into(),
            ..Default::default()
        };
        assert_ne!(base, result_key("h", "", &d, &h2));
    }
}
