//! The protobuf wire format, read and written field by field: the store rewrites an assessment's
//! bytes (text apart, quotes elided) without depending on the crate that defines the message.

use super::StoredResultError;

/// One field: number, the byte range of the whole field, and the payload of a length-delimited
/// one.
pub(super) struct Field {
    pub number: u64,
    pub start: usize,
    pub end: usize,
    pub payload: Option<(usize, usize)>,
    /// The value of a varint field.
    pub varint: Option<u64>,
}

pub(super) fn varint(b: &[u8], at: &mut usize) -> Result<u64, StoredResultError> {
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

/// The fields of one message, in the order they are written; an error ends the walk.
pub(super) fn fields(b: &[u8]) -> impl Iterator<Item = Result<Field, StoredResultError>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= b.len() {
            return None;
        }
        let start = at;
        let field = (|| {
            let key = varint(b, &mut at)?;
            let mut payload = None;
            let mut value = None;
            match key & 7 {
                0 => value = Some(varint(b, &mut at)?),
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
                varint: value,
            })
        })();
        if field.is_err() {
            at = b.len();
        }
        Some(field)
    })
}

pub(super) fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field as prost writes it.
pub(super) fn put_bytes(out: &mut Vec<u8>, number: u64, payload: &[u8]) {
    push_varint(out, (number << 3) | 2);
    push_varint(out, payload.len() as u64);
    out.extend_from_slice(payload);
}

/// The message with one length-delimited field added where prost writes it: before the first
/// field of a higher number (prost writes fields in number order), so the bytes are prost's.
/// Appended to `out`.
pub(super) fn insert(
    out: &mut Vec<u8>,
    b: &[u8],
    number: u64,
    payload: &[u8],
) -> Result<(), StoredResultError> {
    let mut placed = false;
    for f in fields(b) {
        let f = f?;
        if !placed && f.number > number {
            put_bytes(out, number, payload);
            placed = true;
        }
        out.extend_from_slice(&b[f.start..f.end]);
    }
    if !placed {
        put_bytes(out, number, payload);
    }
    Ok(())
}
