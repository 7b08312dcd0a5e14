//! The opaque `list` page token shared by every store: the (create time, id) of the last job
//! of the previous page, so a page boundary stays stable while new jobs arrive.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::store::StoreError;

/// Version tag inside the token, so a future format can be told apart and rejected cleanly.
const VERSION: &str = "v1";

/// Position after which the next page starts (newest-first order: strictly older, or same
/// time and a smaller id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub create_time_ms: i64,
    pub id: String,
}

pub(crate) fn encode(c: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}:{}:{}", c.create_time_ms, c.id))
}

/// `""` → `None` (first page); anything not produced by [`encode`] → `InvalidPageToken`.
pub(crate) fn decode(token: &str) -> Result<Option<Cursor>, StoreError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = |why: &str| StoreError::InvalidPageToken(why.to_string());
    let raw = URL_SAFE_NO_PAD
        .decode(token.as_bytes())
        .map_err(|_| bad("not base64url"))?;
    let text = String::from_utf8(raw).map_err(|_| bad("not UTF-8"))?;
    let mut parts = text.splitn(3, ':');
    if parts.next() != Some(VERSION) {
        return Err(bad("unknown version"));
    }
    let create_time_ms = parts
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| bad("bad position"))?;
    let id = parts
        .next()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("bad id"))?;
    Ok(Some(Cursor {
        create_time_ms,
        id: id.to_string(),
    }))
}

/// True when (t, id) comes after the cursor in newest-first order.
pub(crate) fn is_after(c: &Cursor, t: i64, id: &str) -> bool {
    t < c.create_time_ms || (t == c.create_time_ms && id < c.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects() {
        let c = Cursor {
            create_time_ms: 1_700_000_000_123,
            id: "abc:def".into(),
        };
        assert_eq!(decode(&encode(&c)).ok().flatten(), Some(c));
        assert!(matches!(decode(""), Ok(None)));
        for bad in [
            "!!!",
            "djI6eDp5",
            &URL_SAFE_NO_PAD.encode("v9:1:a"),
            &URL_SAFE_NO_PAD.encode("v1:1:"),
        ] {
            assert!(
                matches!(decode(bad), Err(StoreError::InvalidPageToken(_))),
                "{bad}"
            );
        }
    }
}
