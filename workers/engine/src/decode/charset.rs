//! Charset choice (BOM → declared → HTML meta → valid UTF-8 → chardetng) with a recovery path
//! when a declared charset is evidently wrong.

use crate::EngineError;
use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_8};

/// Share of U+FFFD above which a declared charset is taken to be wrong.
const WRONG_CHARSET_RATIO: f64 = 0.005;
/// Share of U+FFFD / control characters above which the text is garbage.
const GARBAGE_RATIO: f64 = 0.10;

/// Decodes `bytes` and says which encoding was used and why.
pub fn decode_text(
    bytes: &[u8],
    declared: Option<&str>,
    is_html: bool,
) -> Result<(String, String, String), EngineError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let (cow, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return Ok((cow.into_owned(), name(enc), "bom".into()));
    }
    // encoding_rs validates runs of three-byte characters (CJK) faster than `str::from_utf8`.
    let valid = UTF_8.decode_without_bom_handling_and_without_replacement(bytes);
    let utf8_ok = valid.is_some();
    if let Some(label) = declared {
        let enc = Encoding::for_label(label.trim().as_bytes())
            .ok_or_else(|| EngineError::UnknownCharset(label.to_string()))?;
        return with_label(bytes, enc, utf8_ok, "declared");
    }
    if is_html
        && let Some(label) = meta_charset(&bytes[..bytes.len().min(1024)])
        && let Some(enc) = Encoding::for_label(label.as_bytes())
    {
        return with_label(bytes, enc, utf8_ok, "html meta");
    }
    if let Some(text) = valid.as_deref() {
        // Already validated: no second UTF-8 pass.
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        return Ok((text.to_owned(), "utf-8".into(), "valid utf-8".into()));
    }
    let (text, enc) = detect(bytes);
    Ok((text, name(enc), "detected".into()))
}

fn with_label(
    bytes: &[u8],
    enc: &'static Encoding,
    utf8_ok: bool,
    source: &str,
) -> Result<(String, String, String), EngineError> {
    // A UTF-16 label without a BOM: encoding_rs would decode it as UTF-16LE; keep that.
    if enc == UTF_8 {
        if utf8_ok {
            return Ok((utf8(bytes), "utf-8".into(), source.into()));
        }
        return recover(bytes, "utf-8", source);
    }
    if utf8_ok && !bytes.is_ascii() && enc != encoding_rs::UTF_16LE && enc != encoding_rs::UTF_16BE
    {
        // Non-ASCII text that is valid UTF-8 is practically never GBK/Big5: the label is wrong.
        return Ok((
            utf8(bytes),
            "utf-8".into(),
            format!("valid utf-8 (ignored {source} {})", name(enc)),
        ));
    }
    let (cow, _, _) = enc.decode(bytes);
    if bad_ratio(&cow) <= WRONG_CHARSET_RATIO {
        return Ok((cow.into_owned(), name(enc), source.into()));
    }
    recover(bytes, &name(enc), source)
}

/// The declared charset produced a replacement-character flood: detect instead, or fail.
fn recover(
    bytes: &[u8],
    label: &str,
    source: &str,
) -> Result<(String, String, String), EngineError> {
    let (text, enc) = detect(bytes);
    let ratio = bad_ratio(&text);
    if ratio <= WRONG_CHARSET_RATIO && text.chars().any(crate::normalize::is_cjk) {
        return Ok((
            text,
            name(enc),
            format!("detected ({source} {label} did not decode)"),
        ));
    }
    Err(EngineError::InvalidEncoding {
        charset: label.to_string(),
        detail: format!(
            "{:.1}% replacement characters, and detection found no better charset",
            ratio * 100.0
        ),
    })
}

fn detect(bytes: &[u8]) -> (String, &'static Encoding) {
    let mut det = EncodingDetector::new(Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(None, Utf8Detection::Allow);
    // Chinese reports come in UTF-8 or a CJK legacy encoding. A single-byte guess means the
    // bytes are not Chinese text: decode as UTF-8 so the replacement flood shows it.
    let cjk = [
        encoding_rs::GBK,
        encoding_rs::GB18030,
        encoding_rs::BIG5,
        encoding_rs::UTF_8,
        encoding_rs::SHIFT_JIS,
        encoding_rs::EUC_JP,
        encoding_rs::EUC_KR,
    ];
    let enc = if cjk.contains(&enc) { enc } else { UTF_8 };
    let (cow, _, _) = enc.decode(bytes);
    (cow.into_owned(), enc)
}

fn utf8(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)).into_owned()
}

fn name(enc: &'static Encoding) -> String {
    enc.name().to_ascii_lowercase()
}

/// U+FFFD and stray control characters per non-whitespace character.
fn bad_ratio(text: &str) -> f64 {
    let (bad, total) = bad_counts(text);
    if total == 0 {
        0.0
    } else {
        bad as f64 / total as f64
    }
}

fn bad_counts(text: &str) -> (usize, usize) {
    // The same counts as iterating chars (ASCII whitespace and U+3000 skipped; U+FFFD and the
    // control characters C0, DEL and C1 other than ESC bad), taken from bytes: the single-byte
    // tests are one loop the compiler vectorizes, the three sequences are found by `memchr`.
    let b = text.as_bytes();
    let (mut starts, mut blank, mut control) = (0usize, 0usize, 0usize);
    // 64 bytes at a time into byte-sized counts (they cannot pass 64), branch-free.
    let mut chunks = b.chunks_exact(64);
    for chunk in &mut chunks {
        let (s, w, k) = single_bytes(chunk);
        starts += usize::from(s);
        blank += usize::from(w);
        control += usize::from(k);
    }
    for &c in chunks.remainder() {
        let (s, w, k) = single_bytes(&[c]);
        starts += usize::from(s);
        blank += usize::from(w);
        control += usize::from(k);
    }
    let ideographic_space = memchr::memmem::find_iter(b, "\u{3000}".as_bytes()).count();
    let replacement = memchr::memmem::find_iter(b, "\u{FFFD}".as_bytes()).count();
    // C1 controls are C2 80..C2 9F.
    let c1 = memchr::memchr_iter(0xC2, b)
        .filter(|&i| b.get(i + 1).is_some_and(|x| *x < 0xA0))
        .count();
    (
        control + replacement + c1,
        starts - blank - ideographic_space,
    )
}

/// In at most 255 bytes: (characters starting, ASCII whitespace, control characters other
/// than whitespace and ESC).
#[inline(always)]
fn single_bytes(bytes: &[u8]) -> (u8, u8, u8) {
    let (mut starts, mut blank, mut control) = (0u8, 0u8, 0u8);
    for &c in bytes {
        // ' ', \t, \n, \x0C, \r (not \x0B), written with compares so the loop vectorizes.
        let ws = (c == b' ') | ((c.wrapping_sub(b'\t') < 5) & (c != 0x0B));
        starts = starts.wrapping_add(u8::from((c as i8) >= -0x40));
        blank = blank.wrapping_add(u8::from(ws));
        control = control.wrapping_add(u8::from((((c < 0x20) & (c != 0x1B)) | (c == 0x7F)) & !ws));
    }
    (starts, blank, control)
}

/// Fails with `Garbage` when the text is mostly replacement or control characters.
pub fn check_garbage(text: &str) -> Result<(), EngineError> {
    let (bad, total) = bad_counts(text);
    if total > 0 && bad as f64 / total as f64 > GARBAGE_RATIO {
        return Err(EngineError::Garbage { bad, total });
    }
    Ok(())
}

/// `<meta charset=gbk>` or `content="text/html; charset=gb2312"` in the first 1024 bytes.
fn meta_charset(head: &[u8]) -> Option<String> {
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].windows(8).position(|w| w == b"charset=") {
        let start = from + pos + 8;
        let rest = &lower[start..];
        let rest = rest
            .strip_prefix(b"\"")
            .or_else(|| rest.strip_prefix(b"'"))
            .unwrap_or(rest);
        let label: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .collect();
        // Only inside a <meta …> tag.
        let tag_start = lower[..start].iter().rposition(|&b| b == b'<');
        if let Some(ts) = tag_start
            && lower[ts..].starts_with(b"<meta")
            && !label.is_empty()
        {
            return String::from_utf8(label).ok();
        }
        from = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "罗源县人民政府关于2023年法治政府建设工作情况的报告。全面推进依法行政，加快建设法治政府。";

    #[test]
    fn gbk_detected_and_declared() {
        let (bytes, _, _) = encoding_rs::GBK.encode(SAMPLE);
        let (t, e, s) = decode_text(&bytes, None, false).unwrap_or_default();
        assert_eq!(t, SAMPLE);
        assert_eq!(e, "gbk");
        assert_eq!(s, "detected");
        let (t, _, s) = decode_text(&bytes, Some("gb2312"), false).unwrap_or_default();
        assert_eq!(t, SAMPLE);
        assert_eq!(s, "declared");
    }

    #[test]
    fn big5_detected() {
        let trad = "羅源縣人民政府關於2023年法治政府建設工作情況的報告。全面推進依法行政，加快建設法治政府。";
        let (bytes, _, _) = encoding_rs::BIG5.encode(trad);
        let (t, e, _) = decode_text(&bytes, None, false).unwrap_or_default();
        assert_eq!(e, "big5");
        assert_eq!(t, trad);
    }

    #[test]
    fn meta_charset_found() {
        let head = br#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>"#;
        assert_eq!(meta_charset(head).as_deref(), Some("gb2312"));
        assert_eq!(
            meta_charset(b"<meta charset='utf-8'>").as_deref(),
            Some("utf-8")
        );
    }

    #[test]
    fn wrong_declared_charset_recovers() {
        // UTF-8 bytes declared as GBK.
        let (_, _, s) = decode_text(SAMPLE.as_bytes(), Some("gbk"), false).unwrap_or_default();
        assert!(s.contains("ignored"), "{s}");
        // GBK bytes declared as UTF-8.
        let (bytes, _, _) = encoding_rs::GBK.encode(SAMPLE);
        let (t, _, s) = decode_text(&bytes, Some("utf-8"), false).unwrap_or_default();
        assert_eq!(t, SAMPLE);
        assert!(s.starts_with("detected"), "{s}");
    }

    #[test]
    fn unknown_label() {
        let e = decode_text(b"abc", Some("x-klingon"), false).err();
        assert_eq!(e.map(|e| e.code()), Some("UNKNOWN_CHARSET"));
    }

    #[test]
    fn garbage() {
        let s: String = std::iter::repeat_n('\u{FFFD}', 50).collect();
        assert!(check_garbage(&s).is_err());
        assert!(check_garbage("法治\u{FFFD}政府建设工作报告").is_ok());
    }

    fn reference_counts(text: &str) -> (usize, usize) {
        let mut bad = 0usize;
        let mut total = 0usize;
        for c in text.chars() {
            if c.is_ascii_whitespace() || c == '\u{3000}' {
                continue;
            }
            total += 1;
            if c == '\u{FFFD}' || (c.is_control() && c != '\u{1b}') {
                bad += 1;
            }
        }
        (bad, total)
    }

    proptest::proptest! {
        #[test]
        fn bad_counts_are_what_a_char_scan_counts(chars in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec![
                    '\u{3000}', '\u{FFFD}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}', '\u{a0}',
                    '\t', '\n', '\r', ' ', '\u{c}', '\u{0}', '法', '。', 'a', '😀', '\u{2028}',
                ]),
                proptest::prelude::any::<char>(),
            ],
            0..40,
        )) {
            let text: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(bad_counts(&text), reference_counts(&text));
        }
    }

    #[test]
    fn bad_counts_matches_char_scan() {
        let samples = [
            "",
            "abc def\t\n\r\x0c",
            "法治\u{3000}政府\u{FFFD}建设\u{1b}\u{7f}\u{0}\u{85}\u{9f}\u{a0}\u{a1}é😀\u{2028}\u{feff}",
            "\u{80}\u{3001}\u{3000}\u{3000}x\u{10FFFF}",
        ];
        for t in samples {
            assert_eq!(bad_counts(t), reference_counts(t), "{t:?}");
        }
        let all: String = (0u32..=0x10FFFF).filter_map(char::from_u32).collect();
        assert_eq!(bad_counts(&all), reference_counts(&all));
    }
}
