//! Decoded text → [`ParsedDoc`]: normalize, drop furniture, then outline, sentences, figures,
//! metadata and report kind.

pub mod dates;
mod docno;
mod figure_binding;
mod figure_match;
pub mod figures;
mod issuer;
pub(crate) use issuer::level_of;
pub mod kind;
pub mod meta;
pub mod outline;
mod published;
pub mod sentences;
mod table;
mod title;
mod word_bits;
mod year;

use crate::model::ParsedDoc;
use crate::{EngineError, Limits};

/// Decodes and parses one document.
pub fn parse_document(
    content: &[u8],
    media_type: &str,
    filename: &str,
    charset: &str,
    limits: &Limits,
) -> Result<ParsedDoc, EngineError> {
    crate::wording::wording().map_err(EngineError::Internal)?;
    if let Some(e) = figures::load_error() {
        return Err(EngineError::Internal(e));
    }
    let decoded = crate::decode::decode(content, media_type, filename, charset, limits)?;
    // Only the folded text is used here: skip building the offset map.
    let folded = crate::normalize::fold_text(&decoded.text, decoded.join_wraps);
    drop(decoded.text);
    Ok(parse_text(&folded, decoded.info))
}

/// Parses already-normalized text (the body plus furniture lines).
pub fn parse_text(folded: &str, info: crate::model::DecodeInfo) -> ParsedDoc {
    let cleaned = crate::junk::clean(folded);
    let text = cleaned.body;
    let sections = outline::outline(&text);
    let sentences = sentences::split(&text, &sections);
    let (meta, title_inferred) = meta::extract_full(&text, &cleaned.removed, &sections);
    let figures = figures::extract(&text, &sentences, &sections, meta.year);
    let kind = kind::classify(&text, &meta, &sections, title_inferred);
    ParsedDoc {
        text,
        kind,
        meta,
        sections,
        sentences,
        figures,
        removed: cleaned.removed,
        decode: info,
    }
}
