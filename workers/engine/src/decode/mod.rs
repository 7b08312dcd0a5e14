//! Bytes → text lines: media-type sniffing, charsets, HTML/DOCX/PDF extraction, with limits.

mod charset;
mod docx;
mod html;
mod pdf;
mod pdf_layout;

pub use charset::decode_text;

use crate::EngineError;
use crate::Limits;
use crate::media::{self, Kind, sniff, split_media_type};
use crate::model::DecodeInfo;

/// Decoded document text, before normalization.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    /// Text with `\n` between blocks; metadata found outside an HTML body comes first.
    pub text: String,
    /// Which media type and charset were used, and why (for audit).
    pub info: DecodeInfo,
    /// True for PDF text layers, where line breaks inside paragraphs are wraps.
    pub join_wraps: bool,
}

/// Decodes bytes into text. `charset` and a `charset=` media-type parameter override detection.
pub fn decode(
    content: &[u8],
    media_type: &str,
    filename: &str,
    charset: &str,
    limits: &Limits,
) -> Result<Decoded, EngineError> {
    if content.is_empty() {
        return Err(EngineError::Empty);
    }
    if content.len() > limits.max_input_bytes {
        return Err(EngineError::TooLarge {
            size: content.len(),
            limit: limits.max_input_bytes,
        });
    }
    if let Some((format, advice)) = media::unsupported(content) {
        return Err(EngineError::UnsupportedFormat { format, advice });
    }
    let (essence, mt_charset) = split_media_type(media_type);
    let declared = media::declared_kind(&essence)
        .map_err(|()| EngineError::UnsupportedMediaType(essence.clone()))?;
    // A real image was refused as a scan above; anything else declared as one is mislabelled.
    if essence.starts_with("image/") {
        return Err(EngineError::MediaTypeMismatch {
            declared: essence,
            detail: "no PNG, JPEG or TIFF signature".into(),
        });
    }
    let sniffed = sniff(content);
    let kind = match declared {
        None => {
            // Fall back on the file name only to pick HTML over text.
            let lower = filename.to_ascii_lowercase();
            if sniffed == Kind::Text && (lower.ends_with(".html") || lower.ends_with(".htm")) {
                Kind::Html
            } else {
                sniffed
            }
        }
        Some(d) => check_declared(d, sniffed, &essence)?,
    };
    let declared_charset = if !charset.trim().is_empty() {
        Some(charset.trim().to_string())
    } else {
        mt_charset
    };
    let mut info = DecodeInfo {
        media_type: kind.media_type().to_string(),
        media_type_sniffed: declared.is_none(),
        ..Default::default()
    };
    let (text, join_wraps) = match kind {
        Kind::Text | Kind::Html => {
            // C0 control bytes (NUL, BEL, …) outside UTF-16 mean binary data, not text.
            let nuls = control_bytes(content);
            let utf16 = declared_charset
                .as_deref()
                .is_some_and(|c| c.to_ascii_lowercase().contains("utf-16"));
            if !utf16
                && encoding_rs::Encoding::for_bom(content).is_none()
                && nuls * 20 > content.len()
            {
                return Err(EngineError::Garbage {
                    bad: nuls,
                    total: content.len(),
                });
            }
            let (text, enc, src) =
                decode_text(content, declared_charset.as_deref(), kind == Kind::Html)?;
            info.encoding = enc;
            info.encoding_source = src;
            check_decoded_size(&text, limits)?;
            if kind == Kind::Html {
                (html::extract(&text, limits)?, false)
            } else {
                (text, false)
            }
        }
        Kind::Docx => {
            info.encoding = "utf-8".into();
            info.encoding_source = "docx".into();
            (docx::extract(content, limits)?, false)
        }
        Kind::Pdf => {
            info.encoding = "pdf".into();
            info.encoding_source = "pdf text layer".into();
            (pdf::extract(content, limits)?, true)
        }
    };
    check_decoded_size(&text, limits)?;
    charset::check_garbage(&text)?;
    if !text.chars().any(crate::normalize::is_cjk) {
        return Err(EngineError::NoChineseText);
    }
    Ok(Decoded {
        text,
        info,
        join_wraps,
    })
}

/// C0 control bytes (NUL, BEL, …) other than tab, newline, form feed, carriage return and escape.
/// Counted in runs of at most 255 into a byte, which the compiler reads 16 bytes a step; a count
/// into a `usize` per byte read one.
fn control_bytes(content: &[u8]) -> usize {
    content
        .chunks(255)
        .map(|run| {
            let n: u8 = run
                .iter()
                .map(|&b| {
                    u8::from(
                        b < 0x20
                            && b != b'\t'
                            && b != b'\n'
                            && b != b'\r'
                            && b != 0x0c
                            && b != 0x1b,
                    )
                })
                .fold(0u8, u8::wrapping_add);
            usize::from(n)
        })
        .sum()
}

fn check_declared(declared: Kind, sniffed: Kind, essence: &str) -> Result<Kind, EngineError> {
    let mismatch = |detail: &str| EngineError::MediaTypeMismatch {
        declared: essence.to_string(),
        detail: detail.to_string(),
    };
    match (declared, sniffed) {
        (Kind::Pdf, Kind::Pdf) | (Kind::Docx, Kind::Docx) => Ok(declared),
        (Kind::Pdf, _) => Err(mismatch("no %PDF- header")),
        (Kind::Docx, _) => Err(mismatch("not a zip (OOXML) container")),
        (_, Kind::Pdf) => Err(mismatch("content is a PDF")),
        (_, Kind::Docx) => Err(mismatch("content is a zip/DOCX container")),
        // A page declared as text/plain but full of markup is still read as HTML.
        (Kind::Text, Kind::Html) => Ok(Kind::Html),
        (Kind::Html, Kind::Text) => Ok(Kind::Text),
        _ => Ok(declared),
    }
}

fn check_decoded_size(text: &str, limits: &Limits) -> Result<(), EngineError> {
    if text.len() > limits.max_decoded_bytes {
        return Err(EngineError::TooLarge {
            size: text.len(),
            limit: limits.max_decoded_bytes,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The counting in runs counts what a byte-by-byte filter counts, across run ends.
        #[test]
        fn control_bytes_are_counted_as_one_by_one(
            bytes in proptest::collection::vec(prop_oneof![0u8..0x20, any::<u8>()], 0..2000)
        ) {
            let want = bytes
                .iter()
                .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
                .count();
            prop_assert_eq!(control_bytes(&bytes), want);
        }
    }

    #[test]
    fn mismatch_and_unknown() {
        let l = Limits::default();
        let e = decode(b"hello", "application/pdf", "", "", &l).err();
        assert_eq!(e.map(|e| e.code()), Some("MEDIA_TYPE_MISMATCH"));
        let e = decode(b"hello", "image/gif", "", "", &l).err();
        assert_eq!(e.map(|e| e.code()), Some("UNSUPPORTED_MEDIA_TYPE"));
        let e = decode(b"hello", "image/png", "", "", &l).err();
        assert_eq!(e.map(|e| e.code()), Some("MEDIA_TYPE_MISMATCH"));
        let e = decode(b"\x89PNG\r\n\x1a\n...", "image/png", "", "", &l).err();
        assert!(e.is_some_and(|e| e.is_scan()));
        let e = decode(b"%PDF-1.4\n", "", "", "", &l).err();
        assert!(
            e.is_some_and(|e| !e.is_scan()),
            "a broken PDF is not a scan"
        );
        let e = decode(b"", "", "", "", &l).err();
        assert_eq!(e.map(|e| e.code()), Some("EMPTY_DOCUMENT"));
    }
}
