//! How an assessment is kept by a store: its normalized text apart (once per text, however many
//! jobs, hints or checklists read it), both parts zstd-compressed. The normalized text is most of
//! an assessment's bytes; evidence quotes repeat it and compress to back-references.
//!
//! Stored value: `FZR1`, the text's id (64 hex digits: SHA-256 of the text), then the zstd frame
//! of the assessment without its text, compressed with the text as its dictionary (evidence
//! quotes are pieces of the text: apart from it they would cost as much as the text itself).
//! Text value: the zstd frame of the text. A value without the magic is an assessment stored
//! whole before this format and is read as it is; no protobuf message begins with `F` (0x46
//! would be field 8 of wire type 6, which does not exist), so the two cannot be confused.

use std::cell::RefCell;

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 4] = b"FZR1";
const ID_LEN: usize = 64;
/// `Assessment.normalized_text` (field 13, length-delimited).
const TEXT_FIELD: u64 = 13;
/// zstd's default level: ≈ 300 MB/s here, within a few per cent of level 9's size on reports.
const LEVEL: i32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum StoredResultError {
    #[error("stored result truncated or not an assessment")]
    Malformed,
    #[error("stored result does not decompress: {0}")]
    Zstd(#[from] std::io::Error),
    #[error("stored result names text {0} that is gone")]
    TextMissing(String),
}

/// An assessment split for storing.
pub struct Packed {
    /// `FZR1` + text id + compressed rest.
    pub result: Vec<u8>,
    /// The text id (hex) under which `text` is stored.
    pub text_id: String,
    /// The compressed text.
    pub text: Vec<u8>,
}

/// Splits an encoded assessment and compresses both parts.
pub fn pack(assessment: &[u8]) -> Result<Packed, StoredResultError> {
    let (rest, text) = split(assessment)?;
    let text_id = hex::encode(Sha256::digest(text));
    let mut result = Vec::with_capacity(rest.len() / 3 + MAGIC.len() + ID_LEN + 16);
    result.extend_from_slice(MAGIC);
    result.extend_from_slice(text_id.as_bytes());
    result.extend_from_slice(&compress(&rest, text)?);
    Ok(Packed {
        result,
        text_id,
        text: compress(text, &[])?,
    })
}

thread_local! {
    /// One compression context per thread, reused: a new one per call allocated and cleared
    /// megabytes of tables, 8 % of a worker's CPU under load (perf).
    static CCTX: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

fn compress(data: &[u8], dictionary: &[u8]) -> std::io::Result<Vec<u8>> {
    CCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cx = match slot.as_mut() {
            Some(cx) => cx,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL)?),
        };
        cx.set_dictionary(LEVEL, dictionary)?;
        cx.compress(data)
    })
}

/// The text id a stored value needs, or `None` for a value stored whole.
pub fn text_id(stored: &[u8]) -> Option<&str> {
    let id = stored.strip_prefix(MAGIC)?.get(..ID_LEN)?;
    std::str::from_utf8(id).ok()
}

/// The encoded assessment, byte for byte as it was packed, from a stored value and its text.
pub fn unpack(stored: Vec<u8>, text: Option<&[u8]>) -> Result<Vec<u8>, StoredResultError> {
    let Some(id) = text_id(&stored) else {
        return Ok(stored);
    };
    let text = text.ok_or_else(|| StoredResultError::TextMissing(id.to_string()))?;
    let body = &stored[MAGIC.len() + ID_LEN..];
    let text = decompress(text, &[])?;
    let rest = decompress(body, &text)?;
    join(&rest, &text)
}

fn decompress(frame: &[u8], dictionary: &[u8]) -> Result<Vec<u8>, StoredResultError> {
    let mut out = Vec::new();
    let mut d = zstd::stream::read::Decoder::with_dictionary(frame, dictionary)?;
    std::io::copy(&mut d, &mut out)?;
    Ok(out)
}

/// One top-level protobuf field: number, and the byte range of the whole field.
struct Field {
    number: u64,
    start: usize,
    end: usize,
    /// The payload of a length-delimited field.
    payload: Option<(usize, usize)>,
}

fn varint(b: &[u8], at: &mut usize) -> Result<u64, StoredResultError> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at).ok_or(StoredResultError::Malformed)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(StoredResultError::Malformed)
}

fn fields(b: &[u8]) -> impl Iterator<Item = Result<Field, StoredResultError>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= b.len() {
            return None;
        }
        let start = at;
        let field = (|| {
            let key = varint(b, &mut at)?;
            let mut payload = None;
            match key & 7 {
                0 => {
                    varint(b, &mut at)?;
                }
                1 => at += 8,
                2 => {
                    let len = usize::try_from(varint(b, &mut at)?)
                        .map_err(|_| StoredResultError::Malformed)?;
                    payload = Some((at, at.saturating_add(len)));
                    at = at.saturating_add(len);
                }
                5 => at += 4,
                _ => return Err(StoredResultError::Malformed),
            }
            if at > b.len() {
                return Err(StoredResultError::Malformed);
            }
            Ok(Field {
                number: key >> 3,
                start,
                end: at,
                payload,
            })
        })();
        if field.is_err() {
            at = b.len();
        }
        Some(field)
    })
}

/// The assessment without its text field, and the text.
fn split(b: &[u8]) -> Result<(Vec<u8>, &[u8]), StoredResultError> {
    let mut rest = Vec::with_capacity(b.len());
    let mut text: &[u8] = &[];
    for f in fields(b) {
        let f = f?;
        match (f.number, f.payload) {
            (TEXT_FIELD, Some((s, e))) => text = &b[s..e],
            _ => rest.extend_from_slice(&b[f.start..f.end]),
        }
    }
    Ok((rest, text))
}

/// Puts the text back where prost writes it (fields in number order), so the bytes are those
/// that were packed. An empty text was never written (proto3 default) and stays out.
fn join(rest: &[u8], text: &[u8]) -> Result<Vec<u8>, StoredResultError> {
    let mut out = Vec::with_capacity(rest.len() + text.len() + 8);
    let mut placed = text.is_empty();
    for f in fields(rest) {
        let f = f?;
        if !placed && f.number > TEXT_FIELD {
            put_text(&mut out, text);
            placed = true;
        }
        out.extend_from_slice(&rest[f.start..f.end]);
    }
    if !placed {
        put_text(&mut out, text);
    }
    Ok(out)
}

fn put_text(out: &mut Vec<u8>, text: &[u8]) {
    let mut v = (TEXT_FIELD << 3) | 2;
    push_varint(out, &mut v);
    let mut len = text.len() as u64;
    push_varint(out, &mut len);
    out.extend_from_slice(text);
}

fn push_varint(out: &mut Vec<u8>, v: &mut u64) {
    while *v >= 0x80 {
        out.push((*v as u8) | 0x80);
        *v >>= 7;
    }
    out.push(*v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A message shaped like an assessment: strings and messages around field 13.
    fn encoded(fields: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, payload) in fields {
            let mut key = (n << 3) | 2;
            push_varint(&mut out, &mut key);
            let mut len = payload.len() as u64;
            push_varint(&mut out, &mut len);
            out.extend_from_slice(payload);
        }
        out
    }

    #[test]
    fn round_trip_is_byte_exact_and_text_is_apart() {
        let text = "一、2024年法治政府建设主要举措和成效。"
            .repeat(40)
            .into_bytes();
        // Evidence quoting the text (field 8) compresses against it.
        let quotes = "2024年法治政府建设主要举措和成效".repeat(30).into_bytes();
        let b = encoded(&[
            (1, b"sha".to_vec()),
            (4, b"report".to_vec()),
            (8, quotes.clone()),
            (13, text.clone()),
            (14, b"breakdown".to_vec()),
            (20, b"q".to_vec()),
        ]);
        let p = pack(&b).expect("packs");
        assert_eq!(text_id(&p.result), Some(p.text_id.as_str()));
        assert!(p.text.len() < text.len() / 4, "text compressed");
        assert!(
            !p.result.windows(6).any(|w| w == &text[..6]),
            "text not in the result"
        );
        assert_eq!(unpack(p.result.clone(), Some(&p.text)).expect("unpacks"), b);
        assert!(matches!(
            unpack(p.result, None),
            Err(StoredResultError::TextMissing(_))
        ));
    }

    #[test]
    fn values_stored_whole_read_as_they_are() {
        let b = encoded(&[(1, b"sha".to_vec()), (13, b"text".to_vec())]);
        assert_eq!(text_id(&b), None);
        assert_eq!(unpack(b.clone(), None).expect("whole"), b);
    }

    #[test]
    fn an_empty_text_stays_out() {
        let b = encoded(&[(1, b"sha".to_vec()), (14, b"x".to_vec())]);
        let p = pack(&b).expect("packs");
        assert_eq!(unpack(p.result, Some(&p.text)).expect("unpacks"), b);
    }

    #[test]
    fn truncated_input_is_an_error() {
        let b = encoded(&[(1, b"sha".to_vec()), (13, b"text".to_vec())]);
        assert!(pack(&b[..b.len() - 2]).is_err());
    }

    proptest! {
        #[test]
        fn any_field_order_round_trips(
            numbers in proptest::collection::btree_set(1u64..30, 0..8),
            text in ".{0,300}",
        ) {
            let mut fs: Vec<(u64, Vec<u8>)> = numbers
                .into_iter()
                .filter(|n| *n != TEXT_FIELD)
                .map(|n| (n, n.to_string().into_bytes()))
                .collect();
            if !text.is_empty() {
                fs.push((TEXT_FIELD, text.into_bytes()));
            }
            fs.sort_by_key(|f| f.0);
            let b = encoded(&fs);
            let p = pack(&b).expect("packs");
            prop_assert_eq!(unpack(p.result, Some(&p.text)).expect("unpacks"), b);
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = pack(&bytes);
            let _ = unpack(bytes, Some(b"x"));
        }
    }
}
