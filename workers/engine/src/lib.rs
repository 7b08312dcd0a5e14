//! fazhi's assessment engine: pure (no I/O, no clocks, no randomness), so the same bytes,
//! checklist and engine version always give the same assessment.
//!
//! Layout, in data-flow order:
//! - [`input`]: the wire request → engine input and its cache key; [`media`]: the media-type table.
//! - [`decode`]: bytes → text blocks (media-type sniffing, charsets, HTML/DOCX/PDF), with limits.
//! - [`normalize`]: width folding with an offset map; [`junk`]: page-furniture removal.
//! - [`parse`]: metadata, outline, sentences, figures, report kind → [`model::ParsedDoc`].
//! - [`checklist`]: the 纲要 checklists; [`rules`]: the 督察规定 rules shared by all of them;
//!   both loaded from `checklists/*.toml`.
//! - `text_pass`: the one automaton pass over a text (checklist phrases and context cues).
//! - [`score`]: every scoring rule, in one place → wire `Assessment`.
//! - [`render`]: the Chinese text scorecard; [`eval`]: accuracy against labelled corpora.

mod char_steps;
pub mod checklist;
pub mod data_error;
pub mod decode;
pub mod error;
pub mod eval;
pub mod input;
pub mod junk;
pub mod lines;
pub mod media;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod render;
pub mod rules;
pub mod score;
mod text_pass;
pub mod wording;

pub use error::EngineError;
pub use fazhi_proto::v1 as wire;

/// Bumped whenever a change can alter an assessment; part of the result-cache key.
pub const ENGINE_VERSION: &str = concat!("fazhi-engine/", env!("CARGO_PKG_VERSION"), "+r5");

/// Safety limits for hostile input.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest input accepted, in bytes.
    pub max_input_bytes: usize,
    /// Largest decoded text, in bytes (after charset decoding / extraction).
    pub max_decoded_bytes: usize,
    /// Largest total uncompressed size of the DOCX parts read (zip-bomb guard).
    pub max_docx_uncompressed_bytes: u64,
    /// Largest HTML element nesting depth accepted.
    pub max_html_depth: usize,
    /// PDF objects/pages processed at most.
    pub max_pdf_pages: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_input_bytes: 20 * 1024 * 1024,
            max_decoded_bytes: 16 * 1024 * 1024,
            max_docx_uncompressed_bytes: 64 * 1024 * 1024,
            max_html_depth: 512,
            max_pdf_pages: 2000,
        }
    }
}

/// Hints a client may send with a report (all optional; built by [`input::Input`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    pub issuer: Option<String>,
    pub region_code: Option<String>,
    pub year: Option<i32>,
    /// YYYY-MM-DD.
    pub published_date: Option<String>,
    pub source_url: Option<String>,
}

/// One document to assess.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub content: &'a [u8],
    /// Empty → sniffed.
    pub media_type: &'a str,
    pub filename: &'a str,
    /// Declared charset; empty → detected.
    pub charset: &'a str,
    pub hints: &'a Hints,
    /// `None` → chosen by report year.
    pub checklist_id: Option<&'a str>,
}

/// Decodes and parses a document without scoring it.
pub fn parse(sub: &Submission<'_>, limits: &Limits) -> Result<model::ParsedDoc, EngineError> {
    parse::parse_document(
        sub.content,
        sub.media_type,
        sub.filename,
        sub.charset,
        limits,
    )
}

/// Full assessment: decode → parse → score against the chosen checklist.
pub fn assess(sub: &Submission<'_>, limits: &Limits) -> Result<wire::Assessment, EngineError> {
    let content_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(sub.content));
    assess_hashed(sub, &content_sha256, limits)
}

/// [`assess`] for a caller that already holds the content's SHA-256 (lowercase hex), as a job
/// does from the gateway that accepted its bytes: hashing them again is ≈ 1 % of the engine.
pub fn assess_hashed(
    sub: &Submission<'_>,
    content_sha256: &str,
    limits: &Limits,
) -> Result<wire::Assessment, EngineError> {
    if let Some(id) = sub.checklist_id {
        checklist::get(id).ok_or_else(|| EngineError::UnknownChecklist(id.to_string()))?;
    }
    let doc = parse(sub, limits)?;
    score::score(&doc, sub.hints, sub.checklist_id, content_sha256, None)
}

/// A scan's text as OCR read it (the recogniser lives outside the engine, which does no I/O).
#[derive(Debug, Clone, Copy)]
pub struct ScanText<'a> {
    pub text: &'a str,
    /// Pages recognised, and pages in the document (more when the page limit cut it short).
    pub pages: u32,
    pub pages_total: u32,
    /// Mean word confidence, 0..1.
    pub mean_confidence: f64,
}

/// Assesses a scan from its recognised text; `sub` holds the scanned bytes (for the content hash
/// and the media type recorded) and the hints and checklist. The assessment says the text came
/// from OCR and how confident it was; low confidence withholds the grade as for any unreadable
/// text.
pub fn assess_scan(
    sub: &Submission<'_>,
    scan: &ScanText<'_>,
    limits: &Limits,
) -> Result<wire::Assessment, EngineError> {
    if let Some(id) = sub.checklist_id {
        checklist::get(id).ok_or_else(|| EngineError::UnknownChecklist(id.to_string()))?;
    }
    if scan.text.len() > limits.max_decoded_bytes {
        return Err(EngineError::TooLarge {
            size: scan.text.len(),
            limit: limits.max_decoded_bytes,
        });
    }
    crate::wording::wording().map_err(EngineError::Internal)?;
    // Straight to parsing: a photo or a chart recognised as no text at all is still assessed
    // (not a report, LOW_TEXT_QUALITY), never refused as an empty document.
    let folded = normalize::fold_text(scan.text, false);
    let mut doc = parse::parse_text(&folded, model::DecodeInfo::default());
    doc.decode.media_type = media::scanned_image_type(sub.content)
        .unwrap_or(media::Kind::Pdf.media_type())
        .to_string();
    doc.decode.media_type_sniffed = true;
    doc.decode.encoding = "utf-8".into();
    doc.decode.encoding_source = "ocr".into();
    let content_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(sub.content));
    score::score(
        &doc,
        sub.hints,
        sub.checklist_id,
        &content_sha256,
        Some(scan),
    )
}
