//! PDF → text via lopdf's text layer, laid out by position ([`super::pdf_layout`]); a page whose
//! runs cannot be read falls back to lopdf's stream-order text. lopdf may panic on hostile
//! files, so every call runs inside `catch_unwind`; pages beyond `Limits::max_pdf_pages` are
//! ignored.

use super::pdf_layout;
use crate::EngineError;
use crate::Limits;
use crate::normalize::is_cjk;

/// Per-page cap on decompressed content streams.
const MAX_PAGE_STREAM: usize = 32 * 1024 * 1024;

/// Extracts the text layer; `PdfEncrypted` when it needs a password, `PdfNoText` when image-only.
pub fn extract(content: &[u8], limits: &Limits) -> Result<String, EngineError> {
    let max_pages = limits.max_pdf_pages;
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(content, max_pages)));
    match res {
        Ok(r) => r,
        Err(_) => Err(EngineError::Pdf("PDF reader failed on this file".into())),
    }
}

fn run(content: &[u8], max_pages: usize) -> Result<String, EngineError> {
    let doc = match lopdf::Document::load_mem(content) {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            if msg.to_ascii_lowercase().contains("encrypt")
                || msg.to_ascii_lowercase().contains("decrypt")
            {
                return Err(EngineError::PdfEncrypted);
            }
            return Err(EngineError::Pdf(msg));
        }
    };
    // A PDF protected only against copying or printing opens with the empty password (lopdf
    // decrypts it on load); one still encrypted here needs a password to open.
    if doc.is_encrypted() {
        return Err(EngineError::PdfEncrypted);
    }
    let pages: Vec<u32> = doc.get_pages().keys().copied().take(max_pages).collect();
    if pages.is_empty() {
        return Err(EngineError::Pdf("no pages".into()));
    }
    let ids = doc.get_pages();
    let laid: Option<Vec<Vec<pdf_layout::Line>>> = pages
        .iter()
        .map(|p| {
            let id = ids.get(p).copied()?;
            pdf_layout::page_runs(&doc, id, MAX_PAGE_STREAM)
                .ok()
                .map(pdf_layout::page_lines)
        })
        .collect();
    let text = match laid {
        Some(mut laid) => {
            pdf_layout::drop_furniture(&mut laid);
            pdf_layout::text(&laid)
        }
        None => stream_order(&doc, &pages),
    };
    // A scan may carry a stamped header or page number as text; a text layer worth reading has
    // far more than a line's worth of Chinese per page.
    let cjk = text.chars().filter(|&c| is_cjk(c)).count();
    if cjk < (20 * pages.len()).max(10) {
        return Err(EngineError::PdfNoText);
    }
    Ok(text)
}

/// lopdf's own text, in content-stream order. A page whose content cannot be read contributes
/// no text (image-only pages often lack font resources).
fn stream_order(doc: &lopdf::Document, pages: &[u32]) -> String {
    let mut text = String::new();
    for p in pages {
        let chunks = doc.extract_text_chunks_with_limit(&[*p], MAX_PAGE_STREAM);
        for c in chunks.into_iter().flatten() {
            text.push_str(&c);
        }
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}
