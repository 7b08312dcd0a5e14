//! The store's compression dictionary: words reports share, known before any is stored. A
//! report's text is a few thousand characters, too short for zstd to learn its words from itself;
//! the 纲要 it reports against and the checklists' titles, phrases and messages are where most of
//! its repeated wording comes from (texts −20 % on the seeds and the test sets).
//!
//! The files are frozen: every `FZR2` and `FZR3` value was compressed against these exact bytes,
//! and a test pins them. A better dictionary is a new format with its own magic, the old one kept
//! for reading.

use std::sync::LazyLock;

use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// The official text of the 法治政府建设实施纲要（2021—2025年）.
const GANGYAO: &[u8] = include_bytes!("../../dictionary/gangyao-2021-2025.txt");
/// The checklists' quoted strings when the format was made (`scripts/store-dictionary-vocabulary`):
/// titles, names, ids, codes and messages, which results repeat …
pub(super) const TITLES: &[u8] = include_bytes!("../../dictionary/titles.txt");
/// … and every other one (phrases), which texts are written in.
const PHRASES: &[u8] = include_bytes!("../../dictionary/phrases.txt");

/// zstd's default level: level 9 saves 9 % more of a text at 3.5 times the time, and workers are
/// CPU-bound.
pub(super) const LEVEL: i32 = 3;

/// For texts: the 纲要, the phrases, the titles (what is nearest costs least to refer to).
fn for_texts() -> Vec<u8> {
    [GANGYAO, PHRASES, TITLES].concat()
}

/// Prepared once per process: the 55 KB are the same for every text, so their tables are built
/// once, not per call.
pub(super) static TEXT_ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(&for_texts(), LEVEL));
pub(super) static TEXT_DECODER: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(&for_texts()));

/// For texts in GB18030 ([`super::text_form`]): the same words in the same form. The files are
/// all characters GB18030 encodes (a test checks it).
fn for_gb18030_texts() -> Vec<u8> {
    let utf8 = for_texts();
    super::text_form::to_gb18030(&utf8).unwrap_or(utf8)
}

/// Level 4 for GB18030 texts: its shorter minimum match (4 bytes, two ideographs) finds what
/// level 3's 5 bytes miss there; 9–10 % smaller than level 3 at about the same time (measured on
/// the seeds and test sets; in UTF-8 level 4 gains under 1 %).
const GB18030_LEVEL: i32 = 4;

pub(super) static GB18030_TEXT_ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(&for_gb18030_texts(), GB18030_LEVEL));
pub(super) static GB18030_TEXT_DECODER: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(&for_gb18030_texts()));

/// For summary rows ([`super::row`]): the titles alone, which hold the ids, status names and
/// codes a row repeats.
pub(super) static ROW_ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(TITLES, LEVEL));
pub(super) static ROW_DECODER: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(TITLES));

/// For the rest of a result: the titles (areas, items, parts, finding messages), then the text
/// its quotes and figures come from. Not the phrases: this dictionary is loaded per result, and
/// its 17 KB more took 28 % of packing (perf) to save 4 % of a result.
pub(super) fn for_result(text: &[u8]) -> Vec<u8> {
    [TITLES, text].concat()
}

/// [`for_result`] with the rest of the result after it, in one buffer to compress.
pub(super) fn for_result_then(text: &[u8], rest: &[u8]) -> Vec<u8> {
    [TITLES, text, rest].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Stored values depend on these bytes: an edit would make every one of them unreadable.
    #[test]
    fn the_dictionary_files_are_the_frozen_ones() {
        assert_eq!(
            hex::encode(Sha256::digest(GANGYAO)),
            "0c6e2e6ffa8202455894dc0e358c40d4e5b5ed31a9ef9fa8269fbbfbfa32bc11"
        );
        assert_eq!(
            hex::encode(Sha256::digest(PHRASES)),
            "9cf6e75f2527289ae1d2e1e81498337e7fda6158f6eb0ec190c4622e3ae8db7c"
        );
        assert_eq!(
            hex::encode(Sha256::digest(TITLES)),
            "62317a8332c4f06173410c5970b39f5c953f5c0fd90c3a54ab5937992bf6f753"
        );
    }

    #[test]
    fn the_dictionary_is_all_gb18030() {
        let gb = super::super::text_form::to_gb18030(&for_texts()).expect("every character");
        assert!(
            gb.len() < for_texts().len() * 3 / 4,
            "ideographs in two bytes"
        );
    }
}
