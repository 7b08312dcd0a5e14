//! Why a document could not be assessed. Each variant has a stable code used in job failure
//! reasons and gRPC error details.

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("document is empty")]
    Empty,
    #[error("document is {size} bytes, over the {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("content is not {declared}: {detail}")]
    MediaTypeMismatch { declared: String, detail: String },
    #[error("unknown charset {0:?}")]
    UnknownCharset(String),
    #[error("text is not valid {charset}: {detail}")]
    InvalidEncoding { charset: String, detail: String },
    #[error(
        "decoded text is mostly replacement characters ({bad} of {total}); wrong charset or binary data"
    )]
    Garbage { bad: usize, total: usize },
    #[error("broken DOCX: {0}")]
    Docx(String),
    #[error("DOCX expands beyond {limit} bytes (zip bomb guard)")]
    DecompressionLimit { limit: u64 },
    #[error("broken PDF: {0}")]
    Pdf(String),
    #[error(
        "PDF has no extractable text layer (image-only, e.g. a scan); it is read only by OCR, which is not enabled here"
    )]
    PdfNoText,
    #[error("PDF is encrypted with a password to open it; submit an unprotected copy")]
    PdfEncrypted,
    #[error("HTML nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("document contains no Chinese text")]
    NoChineseText,
    #[error("{format} is not read: {advice}")]
    UnsupportedFormat {
        format: &'static str,
        advice: &'static str,
    },
    #[error("unknown checklist {0:?}")]
    UnknownChecklist(String),
    #[error("internal engine error: {0}")]
    Internal(String),
}

impl EngineError {
    /// Stable, machine-readable reason code (UPPER_SNAKE).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "EMPTY_DOCUMENT",
            Self::TooLarge { .. } => "DOCUMENT_TOO_LARGE",
            Self::UnsupportedMediaType(_) => "UNSUPPORTED_MEDIA_TYPE",
            Self::MediaTypeMismatch { .. } => "MEDIA_TYPE_MISMATCH",
            Self::UnknownCharset(_) => "UNKNOWN_CHARSET",
            Self::InvalidEncoding { .. } => "INVALID_ENCODING",
            Self::Garbage { .. } => "GARBAGE_TEXT",
            Self::Docx(_) => "BROKEN_DOCX",
            Self::DecompressionLimit { .. } => "DECOMPRESSION_LIMIT",
            Self::Pdf(_) => "BROKEN_PDF",
            // Same code as before the two were told apart: clients rely on it.
            Self::PdfNoText | Self::PdfEncrypted => "PDF_NO_TEXT",
            Self::TooDeep(_) => "HTML_TOO_DEEP",
            Self::NoChineseText => "NO_CHINESE_TEXT",
            Self::UnsupportedFormat { .. } => "UNSUPPORTED_FORMAT",
            Self::UnknownChecklist(_) => "UNKNOWN_CHECKLIST",
            Self::Internal(_) => "ENGINE_INTERNAL",
        }
    }

    /// A scan: an image-only PDF or a PNG/JPEG/TIFF image, which OCR can read where it runs.
    pub fn is_scan(&self) -> bool {
        match self {
            Self::PdfNoText => true,
            Self::UnsupportedFormat { format, .. } => *format == crate::media::SCANNED_IMAGE,
            _ => false,
        }
    }

    /// True when the client's input is at fault (as opposed to an engine bug).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Self::Internal(_))
    }
}
