//! How an assessment is kept by a store: its normalized text apart (once per text, however many
//! jobs, hints or checklists read it), both parts zstd-compressed. The normalized text is most of
//! an assessment's bytes; evidence quotes repeat it.
//!
//! Stored value, written now: `FZR4`, the text's id (64 hex digits: SHA-256 of the text), one flag
//! byte (`q`: quotes at their offsets, headings and section paths were left out, see [`quotes`];
//! `-`: none was), then the zstd
//! frame of the assessment without its text, compressed with [`dictionary::TITLES`] and the text
//! (UTF-8) as dictionary. Its text value, under the name `v3:{id}`: one byte for the text's form
//! ([`text_form`]: `g` GB18030, `u` UTF-8), then the zstd frame of the text in that form,
//! compressed with the 纲要 and the checklists' words in the same form as dictionary.
//!
//! Still read: `FZR3`, the same but only quotes were left out (a reader of `FZR3` alone would take
//! an `FZR4` value for one and give back an outline without its titles, so `FZR4` has its own
//! magic). `FZR2`, as `FZR3` but for its text (name `v2:{id}`): the UTF-8 text's frame alone.
//! `FZR1` + id + the frame of the rest with the text alone as dictionary, its text (name `{id}`)
//! compressed without one. A value without a magic is an assessment stored whole. No protobuf
//! message begins with `F` (0x46 would be field 8 of wire type 6, which does not exist), so none
//! of them can be confused. Each format names its texts apart, so a reader that knows only the
//! older ones never meets a text it cannot read.

mod dictionary;
mod fields;
mod quotes;
mod row;
mod text_cache;
mod text_form;

pub use row::{pack_row, unpack_row, unpack_rows};

use std::cell::RefCell;

use sha2::{Digest, Sha256};

use dictionary::LEVEL;
use fields::fields;
use quotes::{CharText, Mode};

const V1: &[u8; 4] = b"FZR1";
const V2: &[u8; 4] = b"FZR2";
const V3: &[u8; 4] = b"FZR3";
const V4: &[u8; 4] = b"FZR4";
const ID_LEN: usize = 64;
/// `Assessment.normalized_text` (field 13, length-delimited).
const TEXT_FIELD: u64 = 13;
/// Where the flag byte is, after the magic and the id.
pub const FLAG_AT: usize = 4 + ID_LEN;
/// The flag of a value whose quotes were left out.
pub const ELIDED: u8 = b'q';
const KEPT: u8 = b'-';

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
    /// `FZR4` + text id + flag + compressed rest.
    pub result: Vec<u8>,
    /// The name under which `text` is stored (what [`text_name`] gives for `result`).
    pub text_name: String,
    /// The text's form and the compressed text.
    pub text: Vec<u8>,
}

/// Splits an encoded assessment, leaves out the quotes the text holds, compresses both parts.
pub fn pack(assessment: &[u8]) -> Result<Packed, StoredResultError> {
    let (rest, text) = split(assessment)?;
    let id = text_id(text);
    let text_id = hex::encode(id);
    // Kept only if reading it back gives these bytes (it does for everything prost writes); a
    // message not shaped as the schema says is stored with its quotes.
    let elided = CharText::new(text).and_then(|t| {
        let elided = quotes::rewrite(&rest, &quotes::ASSESSMENT, &t, Mode::Elide).ok()?;
        let back = quotes::rewrite(&elided, &quotes::ASSESSMENT, &t, Mode::Restore).ok()?;
        (back == rest && elided.len() < rest.len()).then_some(elided)
    });
    let (flag, body) = match &elided {
        Some(e) => (ELIDED, e),
        None => (KEPT, &rest),
    };
    let mut result = Vec::with_capacity(body.len() / 3 + V4.len() + ID_LEN + 17);
    result.extend_from_slice(V4);
    result.extend_from_slice(text_id.as_bytes());
    result.push(flag);
    let joined = dictionary::for_result_then(text, body);
    result.extend_from_slice(&compress_joined(&joined, joined.len() - body.len())?);
    let stored_text = text_cache::stored_form(&id, || stored_text(text))?;
    Ok(Packed {
        result,
        text_name: format!("v3:{text_id}"),
        text: stored_text,
    })
}

/// A text's stored value: its form's byte, then the form compressed.
fn stored_text(text: &[u8]) -> std::io::Result<Vec<u8>> {
    Ok(match text_form::to_gb18030(text) {
        Some(gb) => [
            &[text_form::IN_GB18030][..],
            &compress(&gb, Dict::Gb18030Texts)?,
        ]
        .concat(),
        None => [&[text_form::IN_UTF8][..], &compress(text, Dict::Texts)?].concat(),
    })
}

/// Forgets the stored texts [`pack`] keeps for texts that come back, so the next packing of any
/// text compresses it (for benchmarks of packing new texts).
pub fn forget_stored_texts() {
    text_cache::forms().clear();
}

/// The id a normalized text is stored under: SHA-256 of its UTF-8 bytes. Whoever holds it can
/// read the text alone ([`text_name_of`], [`unpack_text`]) without the result that wrote it.
pub fn text_id(text: &[u8]) -> [u8; 32] {
    Sha256::digest(text).into()
}

/// The name under which the text of id `id` is stored now.
pub fn text_name_of(id: &[u8; 32]) -> String {
    format!("v3:{}", hex::encode(id))
}

/// The UTF-8 text from a value stored under a [`text_name_of`] name.
pub fn unpack_text(stored: &[u8]) -> Result<Vec<u8>, StoredResultError> {
    match stored.split_first() {
        Some((&text_form::IN_GB18030, t)) => {
            text_form::from_gb18030(&decompress(t, Dict::Gb18030Texts)?)
        }
        Some((&text_form::IN_UTF8, t)) => decompress(t, Dict::Texts),
        _ => Err(StoredResultError::Malformed),
    }
}

enum Dict<'a> {
    Raw(&'a [u8]),
    Texts,
    Gb18030Texts,
    Rows,
}

thread_local! {
    /// One compression context per thread, reused: a new one per call allocated and cleared
    /// megabytes of tables, 8 % of a worker's CPU under load (perf).
    static CCTX: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

fn compress(data: &[u8], dict: Dict<'_>) -> std::io::Result<Vec<u8>> {
    CCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cx = match slot.as_mut() {
            Some(cx) => cx,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL)?),
        };
        match dict {
            Dict::Raw(d) => {
                let joined = [d, data].concat();
                joined_in(cx, &joined, d.len())
            }
            // A prepared dictionary carries its level (zstd compresses at the level it was
            // prepared for), so texts of each form get theirs.
            Dict::Texts => {
                cx.set_prepared_dictionary(&dictionary::TEXT_ENCODER)?;
                cx.compress(data)
            }
            Dict::Gb18030Texts => {
                cx.set_prepared_dictionary(&dictionary::GB18030_TEXT_ENCODER)?;
                cx.compress(data)
            }
            Dict::Rows => {
                cx.set_prepared_dictionary(&dictionary::ROW_ENCODER)?;
                cx.compress(data)
            }
        }
    })
}

/// Compresses `joined[at..]` against `joined[..at]` as a raw dictionary.
fn compress_joined(joined: &[u8], at: usize) -> std::io::Result<Vec<u8>> {
    CCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cx = match slot.as_mut() {
            Some(cx) => cx,
            None => slot.insert(zstd::bulk::Compressor::new(LEVEL)?),
        };
        joined_in(cx, joined, at)
    })
}

/// The one-shot call loads the dictionary into the context's own tables; setting it on the
/// context built a dictionary object per call (packing −17 %, stored bytes +1 %). Dictionary
/// and data are one buffer: zstd then reads the dictionary as the start of the data's window,
/// where a dictionary elsewhere in memory took its slower search across two segments (perf:
/// compressing the rest of a result took as long as compressing its three times longer text).
fn joined_in(
    cx: &mut zstd::bulk::Compressor<'static>,
    joined: &[u8],
    at: usize,
) -> std::io::Result<Vec<u8>> {
    let (dict, data) = joined
        .split_at_checked(at)
        .ok_or_else(|| std::io::Error::other("dictionary longer than its buffer"))?;
    let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(data.len()));
    cx.context_mut()
        .compress_using_dict(&mut out, data, dict, LEVEL)
        .map_err(|code| std::io::Error::other(zstd::zstd_safe::get_error_name(code).to_string()))?;
    Ok(out)
}

/// The name of the text a stored value needs (the store keeps texts by it), or `None` for a value
/// stored whole.
pub fn text_name(stored: &[u8]) -> Option<String> {
    let (version, id) = header(stored)?;
    Some(if version == V1 {
        id.to_string()
    } else if version == V2 {
        format!("v2:{id}")
    } else {
        format!("v3:{id}")
    })
}

fn header(stored: &[u8]) -> Option<(&[u8; 4], &str)> {
    let version = [V1, V2, V3, V4]
        .into_iter()
        .find(|v| stored.starts_with(*v))?;
    let id = stored.get(4..4 + ID_LEN)?;
    Some((version, std::str::from_utf8(id).ok()?))
}

/// The encoded assessment, byte for byte as it was packed, from a stored value and its text.
pub fn unpack(stored: Vec<u8>, text: Option<&[u8]>) -> Result<Vec<u8>, StoredResultError> {
    let Some(Opened { flag, rest, text }) = open(&stored, text)? else {
        return Ok(stored);
    };
    let rest = match flag {
        ELIDED => {
            let t = CharText::new(&text).ok_or(StoredResultError::Malformed)?;
            quotes::rewrite(&rest, &quotes::ASSESSMENT, &t, Mode::Restore)?
        }
        KEPT => rest,
        _ => return Err(StoredResultError::Malformed),
    };
    join(&rest, &text)
}

/// The assessment as the store keeps it: without its text, and with what was left out still out
/// (a decoder skips the stand-ins, which are fields no `fazhi.v1` message has). For checking what
/// is left out against the generated types; `None` for a value stored whole.
pub fn kept(stored: &[u8], text: &[u8]) -> Result<Option<Vec<u8>>, StoredResultError> {
    Ok(open(stored, Some(text))?.map(|o| o.rest))
}

/// A stored value read up to putting back what was left out.
struct Opened {
    flag: u8,
    /// The assessment without its text, decompressed.
    rest: Vec<u8>,
    text: Vec<u8>,
}

/// `None` for a value stored whole.
fn open(stored: &[u8], text: Option<&[u8]>) -> Result<Option<Opened>, StoredResultError> {
    let Some((version, id)) = header(stored) else {
        return Ok(None);
    };
    let text = text.ok_or_else(|| StoredResultError::TextMissing(id.to_string()))?;
    let body = &stored[4 + ID_LEN..];
    if version == V1 {
        let text = decompress(text, Dict::Raw(&[]))?;
        let rest = decompress(body, Dict::Raw(&text))?;
        return Ok(Some(Opened {
            flag: KEPT,
            rest,
            text,
        }));
    }
    let (&flag, frame) = body.split_first().ok_or(StoredResultError::Malformed)?;
    let text = if version == V2 {
        decompress(text, Dict::Texts)?
    } else {
        unpack_text(text)?
    };
    let rest = decompress(frame, Dict::Raw(&dictionary::for_result(&text)))?;
    Ok(Some(Opened { flag, rest, text }))
}

thread_local! {
    /// One decompression context per thread: creating one per call was among unpacking's top
    /// costs (perf).
    static DCTX: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// No stored part is near this: documents are limited to 20 MiB before they are read.
const MAX_PART: u64 = 256 << 20;

fn decompress(frame: &[u8], dict: Dict<'_>) -> Result<Vec<u8>, StoredResultError> {
    // Every frame was written whole, with its size in its header.
    let size = zstd::zstd_safe::get_frame_content_size(frame)
        .ok()
        .flatten()
        .filter(|n| *n <= MAX_PART)
        .ok_or(StoredResultError::Malformed)?;
    DCTX.with(|cell| {
        let mut slot = cell.borrow_mut();
        let dx = match slot.as_mut() {
            Some(dx) => dx,
            None => slot.insert(zstd::bulk::Decompressor::new()?),
        };
        match dict {
            Dict::Raw(d) => dx.set_dictionary(d)?,
            Dict::Texts => dx.set_prepared_dictionary(&dictionary::TEXT_DECODER)?,
            Dict::Gb18030Texts => dx.set_prepared_dictionary(&dictionary::GB18030_TEXT_DECODER)?,
            Dict::Rows => dx.set_prepared_dictionary(&dictionary::ROW_DECODER)?,
        }
        Ok(dx.decompress(frame, size as usize)?)
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
    if text.is_empty() {
        return Ok(rest.to_vec());
    }
    let mut out = Vec::with_capacity(rest.len() + text.len() + 8);
    fields::insert(&mut out, rest, TEXT_FIELD, text)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::fields::put_bytes;
    use super::*;
    use proptest::prelude::*;

    /// A frame compressed with its dictionary in the same buffer reads back with the dictionary
    /// alone, as does one compressed with the dictionary elsewhere in memory (every result
    /// stored before the buffers were joined).
    #[test]
    fn joined_and_separate_dictionaries_read_alike() {
        let text = "法治政府建设年度报告：推进严格规范公正文明执法。".repeat(40);
        let rest = format!("{}件 {}", "行政复议案件", "推进严格规范公正文明执法").repeat(12);
        let joined = dictionary::for_result_then(text.as_bytes(), rest.as_bytes());
        let at = joined.len() - rest.len();
        let frame = compress_joined(&joined, at).expect("compresses");
        let dict = dictionary::for_result(text.as_bytes());
        let back = decompress(&frame, Dict::Raw(&dict)).expect("reads back");
        assert_eq!(back, rest.as_bytes());
        let separate = zstd::bulk::Compressor::with_dictionary(LEVEL, &dict)
            .and_then(|mut c| c.compress(rest.as_bytes()))
            .expect("compresses");
        assert_eq!(
            decompress(&separate, Dict::Raw(&dict)).expect("reads back"),
            back
        );
        // The dictionary is used: without it the frame is larger.
        let alone = zstd::bulk::compress(rest.as_bytes(), LEVEL).expect("compresses");
        assert!(
            frame.len() < alone.len(),
            "{} vs {}",
            frame.len(),
            alone.len()
        );
        assert!(compress_joined(&joined, joined.len() + 1).is_err());
    }

    /// A message shaped like an assessment: strings and messages around field 13.
    fn encoded(fields: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, payload) in fields {
            put_bytes(&mut out, *n, payload);
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
        assert_eq!(text_name(&p.result), Some(p.text_name.clone()));
        assert_eq!(p.result[FLAG_AT], KEPT, "no evidence message to elide from");
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
        assert_eq!(text_name(&b), None);
        assert_eq!(unpack(b.clone(), None).expect("whole"), b);
    }

    /// An assessment for the earlier formats' tests: its text, its bytes, the bytes without the
    /// text, the text's id.
    fn earlier_format_parts() -> (Vec<u8>, Vec<u8>, Vec<u8>, String) {
        let text = "一、2024年法治政府建设主要举措和成效。"
            .repeat(20)
            .into_bytes();
        let b = encoded(&[
            (1, b"sha".to_vec()),
            (13, text.clone()),
            (14, b"x".to_vec()),
        ]);
        let (rest, _) = split(&b).expect("splits");
        let id = hex::encode(Sha256::digest(&text));
        (text, b, rest, id)
    }

    /// Values of the first format (text alone as the result's dictionary, text compressed without
    /// one) are still read, from their own text name.
    #[test]
    fn first_format_values_are_still_read() {
        let (text, b, rest, id) = earlier_format_parts();
        let mut v1 = V1.to_vec();
        v1.extend_from_slice(id.as_bytes());
        v1.extend_from_slice(
            &zstd::bulk::Compressor::with_dictionary(3, &text)
                .and_then(|mut c| c.compress(&rest))
                .expect("compresses"),
        );
        let text_v1 = zstd::bulk::compress(&text, 3).expect("compresses");
        assert_eq!(text_name(&v1), Some(id));
        assert_eq!(unpack(v1, Some(&text_v1)).expect("unpacks"), b);
    }

    /// Values of the second format (`FZR2`: the text's frame in UTF-8, with no form byte) are
    /// still read, from their own text name.
    #[test]
    fn second_format_values_are_still_read() {
        let (text, b, rest, id) = earlier_format_parts();
        let mut v2 = V2.to_vec();
        v2.extend_from_slice(id.as_bytes());
        v2.push(KEPT);
        v2.extend_from_slice(
            &compress(&rest, Dict::Raw(&dictionary::for_result(&text))).expect("compresses"),
        );
        let text_v2 = compress(&text, Dict::Texts).expect("compresses");
        assert_eq!(text_name(&v2), Some(format!("v2:{id}")));
        assert_eq!(unpack(v2, Some(&text_v2)).expect("unpacks"), b);
    }

    /// Another assessment of a text packed before gets the text's stored form kept from then:
    /// the one compressing it now would give, which its own result reads back with.
    #[test]
    fn a_text_packed_again_is_stored_as_compressing_it_gives() {
        let text = "二、2025年推进依法行政的主要举措：行政复议案件办结率100%。"
            .repeat(30)
            .into_bytes();
        let first = encoded(&[(1, b"sha-1".to_vec()), (13, text.clone())]);
        let again = encoded(&[
            (1, b"sha-2".to_vec()),
            (4, b"r".to_vec()),
            (13, text.clone()),
        ]);
        let p1 = pack(&first).expect("packs");
        let p2 = pack(&again).expect("packs");
        let fresh = stored_text(&text).expect("compresses");
        assert_eq!(p1.text, fresh);
        assert_eq!(p2.text, fresh);
        assert_eq!(p2.text_name, p1.text_name);
        assert_eq!(unpack(p2.result, Some(&p2.text)).expect("unpacks"), again);
    }

    /// A text is stored in GB18030; one GB18030 would not give back is kept in UTF-8. Both come
    /// back byte for byte. (How much smaller: `tests/tests/stored_results.rs`, on real reports.)
    #[test]
    fn texts_are_stored_in_gb18030_unless_it_would_change_them() {
        let plain = "一、2024年法治政府建设主要举措和成效：“放管服”改革。".repeat(20);
        for (text, form) in [
            (plain.clone(), text_form::IN_GB18030),
            (format!("{plain}\u{E78D}"), text_form::IN_UTF8),
        ] {
            let b = encoded(&[(1, b"sha".to_vec()), (13, text.clone().into_bytes())]);
            let p = pack(&b).expect("packs");
            assert!(p.result.starts_with(V4));
            assert_eq!(p.text[0], form);
            // Read alone, by the id its name is made of, the text is the same.
            assert_eq!(p.text_name, text_name_of(&text_id(text.as_bytes())));
            assert_eq!(unpack_text(&p.text).expect("text"), text.as_bytes());
            assert_eq!(unpack(p.result, Some(&p.text)).expect("unpacks"), b);
        }
    }

    /// A real-shaped assessment: the quotes of its evidence and figures are left out of the stored
    /// value, which comes back byte for byte.
    #[test]
    fn quotes_at_their_offsets_are_left_out_and_put_back() {
        let text = "一、主要举措。全年办理行政复议案件63件，行政诉讼案件41件。".repeat(30);
        let quote = "全年办理行政复议案件63件";
        let at = 7 + 31 * 3;
        let mut ev = Vec::new();
        put_bytes(&mut ev, 1, quote.as_bytes());
        ev.extend_from_slice(&[2 << 3, at as u8, 3 << 3, (at + quote.chars().count()) as u8]);
        let mut part = Vec::new();
        put_bytes(&mut part, 1, b"measures");
        put_bytes(&mut part, 4, &ev);
        let b = encoded(&[
            (1, b"sha".to_vec()),
            (7, part.clone()),
            (7, part),
            (13, text.into_bytes()),
        ]);
        let p = pack(&b).expect("packs");
        assert_eq!(p.result[FLAG_AT], ELIDED);
        assert_eq!(unpack(p.result, Some(&p.text)).expect("unpacks"), b);
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
            let _ = unpack(bytes.clone(), Some(b"x"));
            let _ = unpack_text(&bytes);
        }
    }
}
