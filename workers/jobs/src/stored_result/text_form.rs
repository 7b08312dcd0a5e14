//! The form a normalized text is compressed in. A report is mostly CJK ideographs: three bytes
//! each in UTF-8, two in GB18030. zstd finds the same matches in fewer bytes, and its literals
//! cost less: a stored text is 17 % smaller (the seeds, `scripts/redis-bytes-per-job`; figures
//! in the README). Encoding through `encoding_rs` cost ≈ 20 µs more packing per result than
//! compressing fewer bytes saved; with the table of two-byte codes below it costs ≈ 23 µs less
//! than it did (`stored_results` bench).
//!
//! GB18030 (WHATWG, as `encoding_rs` implements it) has a code for every Unicode scalar value but
//! U+E5E5, and decodes the code it writes for a character to that character, except for 18
//! private-use ones between U+E78D and U+E864 (GB18030-2022 moved their codes). A text with any
//! character of U+E000–U+EFFF (private use only: one test byte, 0xEE, finds them) is kept in
//! UTF-8, and every other text round-trips exactly (a test checks each character). Stored texts
//! depend on the mapping: a test pins it, as the dictionary files are pinned.

use std::sync::LazyLock;

use encoding_rs::GB18030;

use super::StoredResultError;

/// A text's first stored byte: the form of the compressed bytes after it.
pub(super) const IN_GB18030: u8 = b'g';
pub(super) const IN_UTF8: u8 = b'u';

/// The UTF-8 lead byte of U+E000–U+EFFF.
const PRIVATE_USE_LEAD: u8 = 0xEE;

/// The two-byte code of each character of the Basic Multilingual Plane that has one (0 for the
/// others: ASCII, four-byte codes, none), read once from `encoding_rs`'s encoder. Its encoder
/// finds an ideograph's code by ranges and index searches, ≈ 10 % of packing a result (perf on
/// the `stored_results` bench); this is one load a character. 128 KB.
static TWO_BYTE: LazyLock<Box<[u16]>> = LazyLock::new(|| {
    let mut table = vec![0u16; 0x10000].into_boxed_slice();
    let mut buf = [0u8; 4];
    for c in '\u{80}'..='\u{FFFF}' {
        let (bytes, _, unmappable) = GB18030.encode(c.encode_utf8(&mut buf));
        if let (false, [lead, trail]) = (unmappable, &bytes[..]) {
            table[c as usize] = u16::from_be_bytes([*lead, *trail]);
        }
    }
    table
});

/// The text in GB18030, or `None` when it is not UTF-8 or holds a character that would not come
/// back as itself.
pub(super) fn to_gb18030(text: &[u8]) -> Option<Vec<u8>> {
    if memchr::memchr(PRIVATE_USE_LEAD, text).is_some() {
        return None;
    }
    let s = std::str::from_utf8(text).ok()?;
    let table = &**TWO_BYTE;
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let code = table.get(c as usize).copied().unwrap_or(0);
        if c.is_ascii() {
            out.push(c as u8);
        } else if code != 0 {
            out.extend_from_slice(&code.to_be_bytes());
        } else {
            // Four-byte codes (and the one character without a code) as the encoder writes them.
            let (bytes, _, unmappable) = GB18030.encode(c.encode_utf8(&mut buf));
            if unmappable {
                return None;
            }
            out.extend_from_slice(&bytes);
        }
    }
    Some(out)
}

/// The UTF-8 text a [`to_gb18030`] form came from.
pub(super) fn from_gb18030(form: &[u8]) -> Result<Vec<u8>, StoredResultError> {
    GB18030
        .decode_without_bom_handling_and_without_replacement(form)
        .map(|s| s.into_owned().into_bytes())
        .ok_or(StoredResultError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn scalars() -> impl Iterator<Item = char> {
        (0..=0x10FFFFu32).filter_map(char::from_u32)
    }

    /// Every character taken comes back as itself, so a text (a sequence of whole codes, each
    /// decoded from its own first byte) does; only U+E5E5 and U+E000–U+EFFF are refused.
    #[test]
    fn every_character_taken_comes_back_and_only_private_use_is_refused() {
        let mut buf = [0u8; 4];
        let mut refused = Vec::new();
        for c in scalars() {
            let s = c.encode_utf8(&mut buf);
            match to_gb18030(s.as_bytes()) {
                Some(form) => {
                    assert_eq!(
                        from_gb18030(&form).ok().as_deref(),
                        Some(s.as_bytes()),
                        "{c:?}"
                    )
                }
                None => refused.push(c),
            }
        }
        assert_eq!(refused, ('\u{E000}'..='\u{EFFF}').collect::<Vec<_>>());
    }

    /// Stored texts were encoded with this mapping: a change (a new `encoding_rs` with another
    /// GB18030 table) would make them read back as other characters. Such a change needs a new
    /// stored format.
    #[test]
    fn the_mapping_is_the_pinned_one() {
        let mut all = Vec::new();
        let mut buf = [0u8; 4];
        for c in scalars().filter(|c| !('\u{E000}'..='\u{EFFF}').contains(c)) {
            all.extend(to_gb18030(c.encode_utf8(&mut buf).as_bytes()).unwrap_or_default());
        }
        assert_eq!(
            hex::encode(Sha256::digest(&all)),
            "920c82f84321070a64001dcda16ad645284ed253fbb9349802dcaa4400b499cb"
        );
    }

    /// The table and the fallback write what `encoding_rs` writes for every character, alone and
    /// in a text.
    #[test]
    fn every_character_is_encoded_as_encoding_rs_encodes_it() {
        let mut text = String::new();
        for c in scalars().filter(|c| !('\u{E000}'..='\u{EFFF}').contains(c)) {
            let one = c.to_string();
            let (bytes, _, unmappable) = GB18030.encode(&one);
            assert_eq!(
                to_gb18030(one.as_bytes()),
                (!unmappable).then(|| bytes.into_owned()),
                "{c:?}"
            );
            if !unmappable {
                text.push(c);
            }
        }
        assert_eq!(
            to_gb18030(text.as_bytes()),
            Some(GB18030.encode(&text).0.into_owned())
        );
    }

    #[test]
    fn ideographs_take_two_bytes_and_ascii_one() {
        let form = to_gb18030("法治政府2024".as_bytes()).expect("encodes");
        assert_eq!(form.len(), 4 * 2 + 4);
        assert_eq!(
            from_gb18030(&form).expect("decodes"),
            "法治政府2024".as_bytes()
        );
        assert!(to_gb18030("a\u{E5E5}".as_bytes()).is_none());
        assert!(to_gb18030("a\u{E78D}".as_bytes()).is_none());
        assert!(to_gb18030(&[0xff]).is_none());
    }
}
