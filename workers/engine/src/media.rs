//! The media types the engine reads, in one table: what a client may declare, what a file name
//! suggests, and what the bytes turn out to be. The gateway's validation, the CLI and the decoder
//! all ask this module, so a type accepted at the edge is always one the decoder can read.

/// What the bytes are, by magic numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Html,
    Docx,
    Pdf,
}

/// The OOXML word-processing media type clients declare for DOCX.
pub const DOCX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Declarable media types (lowercase essence) and what they mean; `None` = "sniff the bytes".
/// Scans as images are declared too: the bytes are refused as a scan here ([`unsupported`]) and
/// read by the worker's OCR lane where it runs.
const DECLARED: [(&str, Option<Kind>); 15] = [
    ("application/octet-stream", None),
    ("binary/octet-stream", None),
    ("text/plain", Some(Kind::Text)),
    ("text/markdown", Some(Kind::Text)),
    ("text/x-markdown", Some(Kind::Text)),
    ("text/html", Some(Kind::Html)),
    ("application/xhtml+xml", Some(Kind::Html)),
    (DOCX_TYPE, Some(Kind::Docx)),
    ("application/pdf", Some(Kind::Pdf)),
    ("application/x-pdf", Some(Kind::Pdf)),
    ("image/png", None),
    ("image/jpeg", None),
    ("image/tiff", None),
    ("image/tif", None),
    ("", None),
];

/// File extensions (lowercase, without the dot) and the media type a client should declare.
const EXTENSIONS: [(&str, &str); 14] = [
    ("txt", "text/plain"),
    ("text", "text/plain"),
    ("md", "text/markdown"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("shtml", "text/html"),
    ("xhtml", "application/xhtml+xml"),
    ("docx", DOCX_TYPE),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
];

impl Kind {
    /// The canonical media type recorded in `Assessment.decode`.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Text => "text/plain",
            Self::Html => "text/html",
            Self::Docx => DOCX_TYPE,
            Self::Pdf => "application/pdf",
        }
    }
}

/// Every declarable media type except the empty one, for error messages and API docs.
pub fn supported() -> impl Iterator<Item = &'static str> {
    DECLARED.iter().map(|(m, _)| *m).filter(|m| !m.is_empty())
}

/// `Ok(None)` for "sniff", `Err(())` for a type the engine cannot read. `essence` is lowercase.
#[allow(clippy::result_unit_err)]
pub fn declared_kind(essence: &str) -> Result<Option<Kind>, ()> {
    DECLARED
        .iter()
        .find(|(m, _)| *m == essence)
        .map(|(_, k)| *k)
        .ok_or(())
}

/// Whether a declared media type (with or without parameters) is one the engine reads.
pub fn is_supported(media_type: &str) -> bool {
    declared_kind(&split_media_type(media_type).0).is_ok()
}

/// The media type for a file name's extension; empty (sniff) when unknown.
pub fn for_filename(filename: &str) -> &'static str {
    let ext = extension(filename);
    EXTENSIONS
        .iter()
        .find(|(e, _)| *e == ext)
        .map_or("", |(_, m)| m)
}

/// The lowercased extension of a file name, without the dot; empty when there is none.
pub fn extension(filename: &str) -> String {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("");
    base.rsplit_once('.')
        .map_or("", |(_, e)| e)
        .to_ascii_lowercase()
}

/// Splits `text/html; charset=gbk` into the lowercased essence and the charset parameter.
pub fn split_media_type(mt: &str) -> (String, Option<String>) {
    let mut parts = mt.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let mut cs = None;
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("charset")
        {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if !v.is_empty() {
                cs = Some(v.to_string());
            }
        }
    }
    (essence, cs)
}

/// Sniffs the kind from magic bytes (never fails: anything else is text).
/// Formats recognised by their magic bytes but not read, with what to do instead. Read as text
/// they would give a garbled assessment or a misleading charset error.
pub fn unsupported(content: &[u8]) -> Option<(&'static str, &'static str)> {
    const SAVE_AS: &str = "save it as DOCX or PDF (Word/WPS: 另存为 .docx; or `soffice --headless --convert-to docx FILE`) and submit that";
    const SCAN: &str = "a scan is read only by OCR, which is not enabled here (fazhi serve/worker with FAZHI_OCR=on and Tesseract installed); otherwise submit the report's text, a DOCX, or a PDF with a text layer";
    const OTHER_IMAGE: &str =
        "scans are read as PDF, PNG, JPEG or TIFF; convert the image to one of those";
    let starts = |m: &[u8]| content.starts_with(m);
    if starts(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Some(("an old Word (.doc) or WPS (.wps/.et) file", SAVE_AS));
    }
    if starts(b"{\\rtf") {
        return Some(("an RTF file", SAVE_AS));
    }
    if scanned_image_type(content).is_some() {
        return Some((SCANNED_IMAGE, SCAN));
    }
    if starts(b"GIF87a")
        || starts(b"GIF89a")
        || (starts(b"RIFF") && content.get(8..12) == Some(b"WEBP"))
    {
        return Some(("a GIF or WebP image", OTHER_IMAGE));
    }
    None
}

/// The format named by [`unsupported`] for PNG, JPEG and TIFF: scans the OCR lane reads.
pub const SCANNED_IMAGE: &str = "a scanned image (PNG, JPEG or TIFF)";

/// The media type of a PNG, JPEG or TIFF page, by magic bytes.
pub fn scanned_image_type(content: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| content.starts_with(m);
    if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xFF\xD8\xFF") {
        Some("image/jpeg")
    } else if starts(b"II*\x00") || starts(b"MM\x00*") {
        Some("image/tiff")
    } else {
        None
    }
}

pub fn sniff(content: &[u8]) -> Kind {
    let head = &content[..content.len().min(1024)];
    if find(head, b"%PDF-").is_some() {
        return Kind::Pdf;
    }
    if content.starts_with(b"PK\x03\x04") {
        return Kind::Docx;
    }
    if looks_html(head) {
        return Kind::Html;
    }
    Kind::Text
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

fn looks_html(head: &[u8]) -> bool {
    // Every marker starts with '<': plain text (the common case) needs no further scan.
    if !head.contains(&b'<') {
        return false;
    }
    // UTF-16 pages: look at every other byte too.
    let narrowed: Vec<u8> = if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        head.iter().copied().filter(|&b| b != 0).collect()
    } else {
        head.to_vec()
    };
    let lower = narrowed.to_ascii_lowercase();
    [
        &b"<!doctype html"[..],
        b"<html",
        b"<head",
        b"<body",
        b"<meta ",
        b"<div",
        b"<p>",
        b"<p ",
        b"<title",
        b"<table",
        b"<span",
        b"<br",
    ]
    .iter()
    .any(|m| find(&lower, m).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_params() {
        assert_eq!(
            split_media_type("Text/HTML; charset=\"GBK\""),
            ("text/html".to_string(), Some("GBK".to_string()))
        );
    }

    #[test]
    fn unsupported_formats_by_magic() {
        assert!(unsupported(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest").is_some());
        assert_eq!(
            unsupported(b"\x89PNG\r\n\x1a\n....").map(|u| u.0),
            Some(SCANNED_IMAGE)
        );
        assert_ne!(unsupported(b"GIF89a..").map(|u| u.0), Some(SCANNED_IMAGE));
        assert!(unsupported(b"\xFF\xD8\xFF\xE0").is_some());
        assert!(unsupported(b"II*\x00").is_some());
        assert!(unsupported(b"RIFF\x00\x00\x00\x00WEBPVP8").is_some());
        assert!(unsupported(b"{\\rtf1\\ansi").is_some());
        assert!(unsupported("法治政府建设年度报告".as_bytes()).is_none());
        assert!(unsupported(b"%PDF-1.7").is_none());
        assert!(unsupported(b"PK\x03\x04").is_none());
    }

    #[test]
    fn sniffing() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Kind::Pdf);
        assert_eq!(sniff(b"PK\x03\x04rest"), Kind::Docx);
        assert_eq!(sniff(b"<!DOCTYPE html><html>"), Kind::Html);
        assert_eq!(sniff("法治政府".as_bytes()), Kind::Text);
    }

    #[test]
    fn declarable_types() {
        assert!(is_supported(""));
        assert!(is_supported("text/plain; charset=gbk"));
        assert!(is_supported("Application/PDF"));
        assert!(is_supported("text/markdown"));
        assert!(is_supported("image/png"));
        assert!(!is_supported("image/gif"));
        assert_eq!(declared_kind("application/x-pdf"), Ok(Some(Kind::Pdf)));
        assert_eq!(declared_kind("image/jpeg"), Ok(None));
        assert_eq!(declared_kind("image/gif"), Err(()));
        assert!(supported().all(is_supported));
    }

    #[test]
    fn extensions() {
        assert_eq!(for_filename("a.HTM"), "text/html");
        assert_eq!(for_filename("dir.v2/a.pdf"), "application/pdf");
        assert_eq!(for_filename("报告.docx"), DOCX_TYPE);
        assert_eq!(for_filename("a.txt"), "text/plain");
        assert_eq!(for_filename("a"), "");
        assert_eq!(for_filename(".pdf"), "application/pdf");
        assert_eq!(extension("x/Y.Html"), "html");
        assert_eq!(extension("x.d/y"), "");
        // Every extension maps to a declarable type.
        assert!(EXTENSIONS.iter().all(|(_, m)| is_supported(m)));
    }
}
