//! Small codecs at the wire edge: job records → wire jobs, job ids, page tokens, trace context.

use fazhi_jobs::{JobRecord, JobState};
use fazhi_proto::v1 as wire;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A fresh job id: 128 random bits as 32 lowercase hex digits (URL-safe, unguessable).
pub fn new_job_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub fn state_to_wire(s: JobState) -> wire::JobState {
    match s {
        JobState::Queued => wire::JobState::Queued,
        JobState::Running => wire::JobState::Running,
        JobState::Succeeded => wire::JobState::Succeeded,
        JobState::Failed => wire::JobState::Failed,
        JobState::Cancelled => wire::JobState::Cancelled,
    }
}

/// `None` for JOB_STATE_UNSPECIFIED (= no filter) and for unknown numbers.
pub fn state_from_wire(v: i32) -> Result<Option<JobState>, ApiError> {
    match wire::JobState::try_from(v) {
        Ok(wire::JobState::Unspecified) => Ok(None),
        Ok(wire::JobState::Queued) => Ok(Some(JobState::Queued)),
        Ok(wire::JobState::Running) => Ok(Some(JobState::Running)),
        Ok(wire::JobState::Succeeded) => Ok(Some(JobState::Succeeded)),
        Ok(wire::JobState::Failed) => Ok(Some(JobState::Failed)),
        Ok(wire::JobState::Cancelled) => Ok(Some(JobState::Cancelled)),
        Err(_) => Err(ApiError::invalid(
            "INVALID_STATE",
            "state",
            format!("unknown job state {v}"),
        )),
    }
}

pub fn timestamp(ms: i64) -> pbjson_types::Timestamp {
    pbjson_types::Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

pub fn job_to_wire(r: &JobRecord) -> wire::Job {
    wire::Job {
        id: r.id.clone(),
        state: state_to_wire(r.state) as i32,
        create_time: Some(timestamp(r.create_time_ms)),
        update_time: Some(timestamp(r.update_time_ms)),
        attempts: i32::try_from(r.attempts).unwrap_or(i32::MAX),
        error_message: r.error_message.clone(),
        content_sha256: r.content_sha256.clone(),
        deduplicated: r.deduplicated,
        labels: r
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        checklist_id: r.checklist_id.clone(),
        error_code: r.error_code.clone(),
        webhook: r.webhook.as_ref().map(|w| webhook_to_wire(&r.id, w)),
        batch_id: r.batch_id.clone(),
        progress: r.progress.as_ref().map(|p| wire::JobProgress {
            stage: p.stage.clone(),
            done: i32::try_from(p.done).unwrap_or(i32::MAX),
            total: i32::try_from(p.total).unwrap_or(i32::MAX),
        }),
    }
}

pub fn batch_to_wire(b: &fazhi_jobs::BatchRecord) -> wire::Batch {
    let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    wire::Batch {
        id: b.id.clone(),
        display_name: b.display_name.clone(),
        create_time: Some(timestamp(b.create_time_ms)),
        labels: b
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        total: n(b.total),
        counts: Some(wire::BatchCounts {
            queued: n(b.counts.queued),
            running: n(b.counts.running),
            succeeded: n(b.counts.succeeded),
            failed: n(b.counts.failed),
            cancelled: n(b.counts.cancelled),
        }),
        checklist_id: b.checklist_id.clone(),
    }
}

/// ListBatches page tokens: as jobs' ([`encode_page_token`]) with `BATCHES` for the state.
pub fn encode_batch_page_token(tenant: &str, store_token: &str) -> String {
    hex::encode(format!("{}|BATCHES|{}", tenant_tag(tenant), store_token))
}

pub fn decode_batch_page_token(token: &str, tenant: &str) -> Result<String, ApiError> {
    if token.is_empty() {
        return Ok(String::new());
    }
    let bytes = hex::decode(token).map_err(|_| ApiError::InvalidPageToken)?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::InvalidPageToken)?;
    match text.splitn(3, '|').collect::<Vec<_>>()[..] {
        [t, "BATCHES", inner] if t == tenant_tag(tenant) && !inner.is_empty() => {
            Ok(inner.to_string())
        }
        _ => Err(ApiError::InvalidPageToken),
    }
}

fn webhook_to_wire(job_id: &str, w: &fazhi_jobs::Webhook) -> wire::WebhookDelivery {
    let when = |ms: i64| (ms > 0).then(|| timestamp(ms));
    wire::WebhookDelivery {
        url: w.url.clone(),
        delivery_id: crate::webhook::delivery_id(job_id),
        state: match w.state {
            fazhi_jobs::DeliveryState::Pending => wire::DeliveryState::DeliveryPending,
            fazhi_jobs::DeliveryState::Delivered => wire::DeliveryState::Delivered,
            fazhi_jobs::DeliveryState::Failed => wire::DeliveryState::DeliveryFailed,
        } as i32,
        attempts: i32::try_from(w.attempts).unwrap_or(i32::MAX),
        last_attempt_time: when(w.last_attempt_ms),
        next_attempt_time: when(w.next_attempt_ms),
        last_error: w.last_error.clone(),
    }
}

/// Page tokens are opaque to clients: `hex("{tenant digest}|{state}|{store token}")`.
///
/// Wrapping the store's own token lets the gateway reject tokens that are garbage, belong to
/// another tenant, or were issued for another state filter (AIP-158: the other parameters must
/// match across pages) with INVALID_ARGUMENT, whatever the backend's token format is.
pub fn encode_page_token(tenant: &str, state: Option<JobState>, store_token: &str) -> String {
    hex::encode(format!(
        "{}|{}|{}",
        tenant_tag(tenant),
        state.map_or("ALL", JobState::as_str),
        store_token
    ))
}

/// The store token inside a page token; "" for the first page.
pub fn decode_page_token(
    token: &str,
    tenant: &str,
    state: Option<JobState>,
) -> Result<String, ApiError> {
    if token.is_empty() {
        return Ok(String::new());
    }
    let bytes = hex::decode(token).map_err(|_| ApiError::InvalidPageToken)?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::InvalidPageToken)?;
    let mut parts = text.splitn(3, '|');
    let (Some(t), Some(s), Some(inner)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::InvalidPageToken);
    };
    if t != tenant_tag(tenant) || s != state.map_or("ALL", JobState::as_str) || inner.is_empty() {
        return Err(ApiError::InvalidPageToken);
    }
    Ok(inner.to_string())
}

fn tenant_tag(tenant: &str) -> String {
    hex::encode(&Sha256::digest(tenant.as_bytes())[..4])
}

/// The trace context the published message carries, and its trace id for the logs.
///
/// With OpenTelemetry export on, it is the rpc span's own context, so the worker's job span
/// becomes its child in the exported trace. Without it the span has no context, and a
/// hand-built `traceparent` ([`traceparent`]) still lets logs of both halves be joined.
pub fn outgoing_trace(
    span: &tracing::Span,
    incoming: &[(String, String)],
) -> (String, Vec<(String, String)>) {
    let pairs = fazhi_jobs::trace::inject(span);
    if let Some(id) = fazhi_jobs::trace::trace_id(&pairs) {
        return (id.to_string(), pairs);
    }
    let client_tp = incoming
        .iter()
        .find(|(k, _)| k == "traceparent")
        .map(|(_, v)| v.as_str());
    let (id, tp) = traceparent(client_tp);
    (id, vec![("traceparent".to_string(), tp)])
}

/// A W3C `traceparent` built by hand, for when OpenTelemetry is off.
///
/// When the client sent a valid `traceparent` we continue its trace (same trace id, a new
/// parent id, its flags); otherwise we start a new trace with random ids, sampled.
pub fn traceparent(incoming: Option<&str>) -> (String, String) {
    let span_id = format!("{:016x}", rand::random::<u64>() | 1);
    let parsed = incoming.and_then(|tp| {
        let mut it = tp.trim().split('-');
        let (v, t, p, f) = (it.next()?, it.next()?, it.next()?, it.next()?);
        let hex_ok = |s: &str, n: usize| {
            s.len() == n
                && s.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        };
        (v == "00"
            && hex_ok(t, 32)
            && hex_ok(p, 16)
            && hex_ok(f, 2)
            && t.bytes().any(|b| b != b'0'))
        .then(|| (t.to_string(), f.to_string()))
    });
    let (trace_id, flags) =
        parsed.unwrap_or_else(|| (format!("{:032x}", rand::random::<u128>() | 1), "01".into()));
    let tp = format!("00-{trace_id}-{span_id}-{flags}");
    (trace_id, tp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_128_bit_hex() {
        let a = new_job_id();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(a, new_job_id());
    }

    #[test]
    fn page_tokens_round_trip_and_bind_parameters() {
        let t = encode_page_token("a", Some(JobState::Queued), "42");
        assert_eq!(
            decode_page_token(&t, "a", Some(JobState::Queued)).expect("ok"),
            "42"
        );
        assert!(decode_page_token(&t, "b", Some(JobState::Queued)).is_err());
        assert!(decode_page_token(&t, "a", None).is_err());
        assert!(decode_page_token("zz", "a", None).is_err());
        assert_eq!(decode_page_token("", "a", None).expect("first"), "");
    }

    #[test]
    fn traceparent_continues_client_trace() {
        let inc = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let (trace, tp) = traceparent(Some(inc));
        assert_eq!(trace, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(tp.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert!(!tp.contains("00f067aa0ba902b7"));
        let (_, fresh) = traceparent(Some("garbage"));
        assert_eq!(fresh.len(), 55);
    }

    #[test]
    fn timestamps() {
        let t = timestamp(1_700_000_000_123);
        assert_eq!((t.seconds, t.nanos), (1_700_000_000, 123_000_000));
    }
}
