//! Stored values as a store reads them back, whatever their bytes: a result in the current format
//! whose rest (what is left of an assessment without its text, stand-ins and all) is any bytes,
//! put back against any text, with either flag; a text value; a summary row. Values come from
//! Redis, which another client can write: reading must never panic, and a rest kept whole comes
//! back with its text joined to it.
#![no_main]

use fazhi_jobs::stored_result::{ELIDED, text_id, unpack, unpack_row, unpack_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, data)) = data.split_first() else {
        return;
    };
    if selector % 4 == 0 {
        let _ = unpack(data.to_vec(), Some(b"u"));
        let _ = unpack_text(data);
        let _ = unpack_row(data.to_vec());
        return;
    }
    // Two bytes (little-endian) say how much of the rest is the text.
    let Some((cut, data)) = data.split_first_chunk::<2>() else {
        return;
    };
    let (text, rest) = data.split_at(usize::from(u16::from_le_bytes(*cut)).min(data.len()));
    let text = String::from_utf8_lossy(text).into_owned();
    let elided = selector % 4 != 1;
    // Frames written without a dictionary read back with any: the fuzzer's bytes reach the
    // reader as they are, not as zstd would have matched them.
    let (Ok(rest_frame), Ok(text_frame)) = (
        zstd::bulk::compress(rest, 1),
        zstd::bulk::compress(text.as_bytes(), 1),
    ) else {
        return;
    };
    let mut stored = b"FZR4".to_vec();
    stored.extend_from_slice(hex::encode(text_id(text.as_bytes())).as_bytes());
    stored.push(if elided { ELIDED } else { b'-' });
    stored.extend_from_slice(&rest_frame);
    let text_value = [&b"u"[..], &text_frame].concat();
    assert_eq!(unpack_text(&text_value).ok().as_deref(), Some(text.as_bytes()));
    if let Ok(back) = unpack(stored, Some(&text_value))
        && !elided
    {
        assert!(back.len() >= rest.len() + text.len(), "kept rest joined to its text");
    }
});
