//! Job records as Redis hash fields and as the netstring events published on change.

use std::collections::{BTreeMap, HashMap};

use prost::Message;
use redis::Value;

use crate::model::{JobRecord, JobState};
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
        result_key: s("rk"),
        checklist_id: s("cl"),
        deduplicated: s("dd") == "1",
        request_id: s("rid"),
        labels,
    })
}

pub(super) fn record_fields(r: &JobRecord) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("id", r.id.clone().into_bytes()),
        ("tenant", r.tenant.clone().into_bytes()),
        ("state", r.state.as_str().as_bytes().to_vec()),
        ("ct", r.create_time_ms.to_string().into_bytes()),
        ("ut", r.update_time_ms.to_string().into_bytes()),
        ("att", r.attempts.to_string().into_bytes()),
        ("ec", r.error_code.clone().into_bytes()),
        ("em", r.error_message.clone().into_bytes()),
        ("sha", r.content_sha256.clone().into_bytes()),
        ("rk", r.result_key.clone().into_bytes()),
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
}
