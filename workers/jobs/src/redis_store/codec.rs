//! Job records as Redis hash fields and as the netstring events published on change.

use std::collections::{BTreeMap, HashMap};

use prost::Message;
use redis::Value;

use crate::batch::{BatchCounts, BatchRecord};
use crate::model::{DeliveryState, JobRecord, JobState, Progress, Webhook};
use crate::store::StoreError;

/// Labels travel inside the job hash as one prost-encoded field.
#[derive(Clone, PartialEq, prost::Message)]
struct Labels {
    #[prost(btree_map = "string, string", tag = "1")]
    labels: BTreeMap<String, String>,
}

pub(super) fn fields_of(flat: Vec<Vec<u8>>) -> HashMap<String, Vec<u8>> {
    let mut m = HashMap::with_capacity(flat.len() / 2);
    let mut it = flat.into_iter();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        m.insert(String::from_utf8_lossy(&k).into_owned(), v);
    }
    m
}

pub(super) fn record_from_fields(m: &HashMap<String, Vec<u8>>) -> Result<JobRecord, StoreError> {
    let s = |k: &str| -> String {
        m.get(k)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let int = |k: &str| -> Result<i64, StoreError> {
        let v = s(k);
        if v.is_empty() {
            return Ok(0);
        }
        v.parse::<i64>()
            .map_err(|_| StoreError::Corrupt(format!("field {k}={v:?}")))
    };
    let state_s = s("state");
    let state = JobState::parse(&state_s)
        .ok_or_else(|| StoreError::Corrupt(format!("state {state_s:?}")))?;
    let labels = match m.get("lab") {
        Some(b) if !b.is_empty() => {
            Labels::decode(b.as_slice())
                .map_err(|e| StoreError::Corrupt(format!("labels: {e}")))?
                .labels
        }
        _ => BTreeMap::new(),
    };
    let url = s("nu");
    let webhook = if url.is_empty() {
        None
    } else {
        let ws = s("ws");
        Some(Webhook {
            url,
            state: DeliveryState::parse(&ws)
                .ok_or_else(|| StoreError::Corrupt(format!("webhook state {ws:?}")))?,
            attempts: u32::try_from(int("wa")?).unwrap_or(0),
            last_attempt_ms: int("wt")?,
            next_attempt_ms: int("wn")?,
            last_error: s("we"),
        })
    };
    Ok(JobRecord {
        id: s("id"),
        tenant: s("tenant"),
        state,
        create_time_ms: int("ct")?,
        update_time_ms: int("ut")?,
        attempts: u32::try_from(int("att")?).unwrap_or(0),
        error_code: s("ec"),
        error_message: s("em"),
        content_sha256: s("sha"),
        result_key: result_key_of(&s("rk"), &s("sha")),
        checklist_id: s("cl"),
        deduplicated: s("dd") == "1",
        request_id: s("rid"),
        labels,
        webhook,
        batch_id: s("bid"),
        progress: Progress::decode(&s("pg")),
    })
}

pub(super) fn record_fields(r: &JobRecord) -> Vec<(&'static str, Vec<u8>)> {
    let mut fields = vec![
        ("id", r.id.clone().into_bytes()),
        ("tenant", r.tenant.clone().into_bytes()),
        ("state", r.state.as_str().as_bytes().to_vec()),
        ("ct", r.create_time_ms.to_string().into_bytes()),
        ("ut", r.update_time_ms.to_string().into_bytes()),
        ("att", r.attempts.to_string().into_bytes()),
        ("ec", r.error_code.clone().into_bytes()),
        ("em", r.error_message.clone().into_bytes()),
        ("sha", r.content_sha256.clone().into_bytes()),
        (
            "rk",
            stored_result_key(&r.result_key, &r.content_sha256).into_bytes(),
        ),
        ("cl", r.checklist_id.clone().into_bytes()),
        (
            "dd",
            if r.deduplicated {
                b"1".to_vec()
            } else {
                b"0".to_vec()
            },
        ),
        ("rid", r.request_id.clone().into_bytes()),
        (
            "lab",
            Labels {
                labels: r.labels.clone(),
            }
            .encode_to_vec(),
        ),
    ];
    if let Some(w) = &r.webhook {
        fields.extend(webhook_fields(w));
    }
    if !r.batch_id.is_empty() {
        fields.push(("bid", r.batch_id.clone().into_bytes()));
    }
    if let Some(p) = &r.progress {
        fields.push(("pg", p.encode().into_bytes()));
    }
    fields
}

/// A result key begins with the content hash the hash already holds (`sha`); kept without it
/// (`:` and the rest), every field stays within Redis's 64-byte listpack limit and the job hash
/// takes ≈ 0.4 KB instead of ≈ 1.2 KB as a full hashtable. Keys written whole still read.
fn stored_result_key(rk: &str, sha: &str) -> String {
    match rk.strip_prefix(sha) {
        Some(rest) if !sha.is_empty() && rest.starts_with(':') => rest.to_string(),
        _ => rk.to_string(),
    }
}

fn result_key_of(stored: &str, sha: &str) -> String {
    if stored.starts_with(':') {
        format!("{sha}{stored}")
    } else {
        stored.to_string()
    }
}

/// The webhook's fields of the job hash (`nu` URL, `ws` state, `wa` attempts, `wt` last and
/// `wn` next attempt ms, `we` last error).
pub(super) fn webhook_fields(w: &Webhook) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("nu", w.url.clone().into_bytes()),
        ("ws", w.state.as_str().as_bytes().to_vec()),
        ("wa", w.attempts.to_string().into_bytes()),
        ("wt", w.last_attempt_ms.to_string().into_bytes()),
        ("wn", w.next_attempt_ms.to_string().into_bytes()),
        ("we", w.last_error.clone().into_bytes()),
    ]
}

/// Parses the netstring list published on `{p}events:{id}`.
pub(super) fn decode_event(payload: &[u8]) -> Option<JobRecord> {
    let mut flat = Vec::new();
    let mut rest = payload;
    while !rest.is_empty() {
        let colon = rest.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(&rest[..colon]).ok()?.parse().ok()?;
        let body = rest.get(colon + 1..colon + 1 + len)?;
        flat.push(body.to_vec());
        rest = &rest[colon + 1 + len..];
    }
    record_from_fields(&fields_of(flat)).ok()
}

/// A batch hash: `id tenant name ct cl lab total` and one count per state name.
pub(super) fn batch_from_fields(m: &HashMap<String, Vec<u8>>) -> Result<BatchRecord, StoreError> {
    let s = |k: &str| -> String {
        m.get(k)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    };
    let n = |k: &str| -> u32 {
        // Counts are never negative; a transient negative (concurrent repair) reads as 0.
        s(k).parse::<i64>()
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(0)
    };
    let labels = match m.get("lab") {
        Some(b) if !b.is_empty() => {
            Labels::decode(b.as_slice())
                .map_err(|e| StoreError::Corrupt(format!("batch labels: {e}")))?
                .labels
        }
        _ => BTreeMap::new(),
    };
    Ok(BatchRecord {
        id: s("id"),
        tenant: s("tenant"),
        display_name: s("name"),
        create_time_ms: s("ct").parse().unwrap_or(0),
        labels,
        checklist_id: s("cl"),
        total: n("total"),
        counts: BatchCounts {
            queued: n(JobState::Queued.as_str()),
            running: n(JobState::Running.as_str()),
            succeeded: n(JobState::Succeeded.as_str()),
            failed: n(JobState::Failed.as_str()),
            cancelled: n(JobState::Cancelled.as_str()),
        },
    })
}

pub(super) fn batch_fields(b: &BatchRecord) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("id", b.id.clone().into_bytes()),
        ("tenant", b.tenant.clone().into_bytes()),
        ("name", b.display_name.clone().into_bytes()),
        ("ct", b.create_time_ms.to_string().into_bytes()),
        ("cl", b.checklist_id.clone().into_bytes()),
        (
            "lab",
            Labels {
                labels: b.labels.clone(),
            }
            .encode_to_vec(),
        ),
        ("total", b"0".to_vec()),
        ("QUEUED", b"0".to_vec()),
        ("RUNNING", b"0".to_vec()),
        ("SUCCEEDED", b"0".to_vec()),
        ("FAILED", b"0".to_vec()),
        ("CANCELLED", b"0".to_vec()),
    ]
}

pub(super) fn flat_bytes(v: Value) -> Result<Vec<Vec<u8>>, StoreError> {
    redis::from_redis_value::<Vec<Vec<u8>>>(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_round_trip() {
        let rec = JobRecord {
            id: "j1".into(),
            tenant: "t".into(),
            state: JobState::Running,
            create_time_ms: 1,
            update_time_ms: 2,
            attempts: 3,
            error_code: String::new(),
            error_message: "a:b 5:x".into(),
            content_sha256: "ab".into(),
            result_key: "rk".into(),
            checklist_id: String::new(),
            deduplicated: true,
            request_id: "r".into(),
            labels: BTreeMap::from([("k".into(), "v".into())]),
            webhook: Some(Webhook {
                url: "http://127.0.0.1:9/h".into(),
                state: DeliveryState::Pending,
                attempts: 2,
                last_attempt_ms: 5,
                next_attempt_ms: 9,
                last_error: "HTTP 500".into(),
            }),
            batch_id: "b1".into(),
            progress: Some(Progress {
                stage: "ocr".into(),
                done: 2,
                total: 5,
            }),
        };
        let mut payload = Vec::new();
        for (k, v) in record_fields(&rec) {
            payload.extend_from_slice(format!("{}:", k.len()).as_bytes());
            payload.extend_from_slice(k.as_bytes());
            payload.extend_from_slice(format!("{}:", v.len()).as_bytes());
            payload.extend_from_slice(&v);
        }
        assert_eq!(decode_event(&payload), Some(rec));
        assert_eq!(decode_event(b"5:ab"), None);
    }

    #[test]
    fn result_key_kept_without_its_content_hash() {
        let sha = "ab".repeat(32);
        let rk = format!("{sha}:auto:0.1.0+r5:0123456789abcdef");
        let stored = stored_result_key(&rk, &sha);
        assert_eq!(stored, ":auto:0.1.0+r5:0123456789abcdef");
        assert!(stored.len() <= 64, "within the listpack limit");
        assert_eq!(result_key_of(&stored, &sha), rk);
        // Written whole before, or not beginning with the hash: kept and read as it is.
        assert_eq!(result_key_of(&rk, &sha), rk);
        assert_eq!(stored_result_key("other", &sha), "other");
        assert_eq!(stored_result_key(&rk, ""), rk);
    }
}
