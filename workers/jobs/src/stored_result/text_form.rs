//! The form a normalized text is compressed in. A report is mostly CJK ideographs: three bytes
//! each in UTF-8, two in GB18030. zstd finds the same matches in fewer bytes, and its literals
//! cost less: a stored text is 17 % smaller (the seeds, `scripts/redis-bytes-per-job`; figures
//! in the README), for ≈ 20 µs more packing per result (encoding costs more than compressing
//! fewer bytes saves).
//!
//! GB18030 (WHATWG, as `encoding_rs` implements it) has a code for every Unicode scalar value but
//! U+E5E5, and decodes the code it writes for a character to that character, except for 18
//! private-use ones between U+E78D and U+E864 (GB18030-2022 moved their codes). A text with any
//! character of U+E000–U+EFFF (private use only: one test byte, 0xEE, finds them) is kept in
//! UTF-8, and every other text round-trips exactly (a test checks each character). Stored texts
//! depend on the mapping: a test pins it, as the dictionary files are pinned.

use encoding_rs::GB18030;

use super::StoredResultError;

/// A text's first stored byte: the form of the compressed bytes after it.
pub(super) const IN_GB18030: u8 = b'g';
pub(super) const IN_UTF8: u8 = b'u';

/// The UTF-8 lead byte of U+E000–U+EFFF.
const PRIVATE_USE_LEAD: u8 = 0xEE;

/// The text in GB18030, or `None` when it is not UTF-8 or holds a character that would not come
/// back as itself.
pub(super) fn to_gb18030(text: &[u8]) -> Option<Vec<u8>> {
    if memchr::memchr(PRIVATE_USE_LEAD, text).is_some() {
        return None;
    }
    let s = std::str::from_utf8(text).ok()?;
    let (bytes, _, unmappable) = GB18030.encode(s);
    (!unmappable).then(|| bytes.into_owned())
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
