//! fazhi-ocr: reads scanned reports. Government sites publish many reports as scans of the
//! signed and sealed paper (image-only PDFs, or the pages as images); this crate turns one into
//! text the engine can judge, with the mean recognition confidence so the engine can say how
//! far to trust it.
//!
//! The work is done by Debian's tools, run as child processes with their own time limits:
//! `pdfinfo`/`pdftoppm` (poppler-utils) render PDF pages at [`OcrConfig::dpi`], and `tesseract`
//! with the simplified-Chinese model (`tesseract-ocr-chi-sim`) recognises each page. Before
//! recognition the red seal is filtered out by colour ([`seal`]); after it, Tesseract's words
//! are put back into lines and wrapped lines rejoined into paragraphs ([`layout`]).
//!
//! This crate does I/O (temporary files, child processes); the engine stays pure.

pub mod layout;
mod run;
pub mod seal;
pub mod tsv;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What kind of scan the bytes are, by magic numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    Pdf,
    Png,
    Jpeg,
    Tiff,
}

impl ScanKind {
    /// `None` for anything OCR does not read (text, DOCX, GIF …).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        let starts = |m: &[u8]| bytes.starts_with(m);
        if bytes[..bytes.len().min(1024)]
            .windows(5)
            .any(|w| w == b"%PDF-")
        {
            Some(Self::Pdf)
        } else if starts(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if starts(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else if starts(b"II*\x00") || starts(b"MM\x00*") {
            Some(Self::Tiff)
        } else {
            None
        }
    }
}

/// Where the tools are and the limits of one document.
#[derive(Debug, Clone)]
pub struct OcrConfig {
    pub tesseract: PathBuf,
    pub pdftoppm: PathBuf,
    pub pdfinfo: PathBuf,
    /// Tesseract model(s), e.g. `chi_sim` or `chi_sim+eng`.
    pub language: String,
    /// Rendering resolution of PDF pages; Tesseract reads CJK reliably from 200 dpi on.
    pub dpi: u32,
    /// Pages recognised at most; later pages are left out (and counted as left out).
    pub max_pages: u32,
    /// Wall-clock limit per page, for rendering and for recognition each.
    pub page_timeout: Duration,
    /// Largest page image read, in pixels (a page bomb or a giant photo stops here).
    pub max_pixels: u64,
}

impl Default for OcrConfig {
    fn default() -> Self {
        Self {
            tesseract: "tesseract".into(),
            pdftoppm: "pdftoppm".into(),
            pdfinfo: "pdfinfo".into(),
            language: "chi_sim".into(),
            dpi: 200,
            max_pages: 40,
            page_timeout: Duration::from_secs(60),
            max_pixels: 40_000_000,
        }
    }
}

/// The text of a scan and how it was read.
#[derive(Debug, Clone, PartialEq)]
pub struct Recognised {
    pub text: String,
    /// Pages recognised.
    pub pages: u32,
    /// Pages in the document (more than `pages` when `max_pages` cut it short).
    pub pages_total: u32,
    /// Mean word confidence weighted by characters, 0..1 (0 when nothing was recognised).
    pub mean_confidence: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum OcrError {
    #[error("OCR tool {tool} cannot run: {detail}")]
    ToolMissing { tool: String, detail: String },
    #[error("{tool} failed: {detail}")]
    ToolFailed { tool: String, detail: String },
    #[error("{tool} took longer than {limit:?} on page {page}")]
    Timeout {
        tool: String,
        page: u32,
        limit: Duration,
    },
    #[error("page image unreadable: {0}")]
    Image(String),
    #[error("page {page} is {pixels} pixels, over the {limit}-pixel limit")]
    TooLarge { page: u32, pixels: u64, limit: u64 },
    #[error("temporary files: {0}")]
    Io(#[from] std::io::Error),
}

impl OcrError {
    /// Whether another attempt (maybe on another worker) could succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Timeout { .. } | Self::ToolFailed { .. } | Self::ToolMissing { .. } | Self::Io(_)
        )
    }

    /// Stable code for job failures.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ToolMissing { .. } => "OCR_UNAVAILABLE",
            Self::Timeout { .. } => "OCR_TIMEOUT",
            Self::TooLarge { .. } => "DOCUMENT_TOO_LARGE",
            Self::Image(_) => "IMAGE_UNREADABLE",
            Self::ToolFailed { .. } | Self::Io(_) => "OCR_FAILED",
        }
    }
}

/// Checks that Tesseract runs and has the configured model, so a worker can refuse to start
/// an OCR lane it could not serve.
pub fn check(cfg: &OcrConfig) -> Result<(), OcrError> {
    let out = run::output(&cfg.tesseract, &["--list-langs"], Duration::from_secs(20))?;
    let langs = String::from_utf8_lossy(&out);
    for want in cfg.language.split('+') {
        if !langs.lines().any(|l| l.trim() == want) {
            return Err(OcrError::ToolMissing {
                tool: cfg.tesseract.display().to_string(),
                detail: format!("model {want} not installed (Debian: tesseract-ocr-chi-sim)"),
            });
        }
    }
    run::output(&cfg.pdftoppm, &["-v"], Duration::from_secs(20))?;
    Ok(())
}

/// Recognises a scan. `progress(done, total)` is called before the first page and after each.
pub fn recognise(
    bytes: &[u8],
    kind: ScanKind,
    cfg: &OcrConfig,
    progress: &mut dyn FnMut(u32, u32),
) -> Result<Recognised, OcrError> {
    let dir = tempfile::Builder::new().prefix("fazhi-ocr-").tempdir()?;
    let mut pages = Vec::new();
    let (total, todo) = match kind {
        ScanKind::Pdf => {
            let pdf = dir.path().join("in.pdf");
            std::fs::write(&pdf, bytes)?;
            let total = page_count(cfg, &pdf)?;
            (total, total.min(cfg.max_pages))
        }
        _ => (1, 1),
    };
    progress(0, todo);
    for page in 1..=todo {
        let image = match kind {
            ScanKind::Pdf => render(cfg, &dir.path().join("in.pdf"), page, dir.path())?,
            _ => decode(bytes, cfg, page)?,
        };
        let gray = dir.path().join(format!("p{page}.pgm"));
        seal::to_gray_without_seal(&image)
            .save(&gray)
            .map_err(|e| OcrError::Image(e.to_string()))?;
        drop(image);
        pages.push(recognise_page(cfg, &gray, page)?);
        let _ = std::fs::remove_file(&gray);
        progress(page, todo);
    }
    let (text, mean_confidence) = layout::text(&pages);
    Ok(Recognised {
        text,
        pages: todo,
        pages_total: total,
        mean_confidence,
    })
}

fn page_count(cfg: &OcrConfig, pdf: &Path) -> Result<u32, OcrError> {
    let out = run::output(&cfg.pdfinfo, &[path_arg(pdf)?], cfg.page_timeout)?;
    String::from_utf8_lossy(&out)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:").and_then(|n| n.trim().parse().ok()))
        .ok_or_else(|| OcrError::ToolFailed {
            tool: "pdfinfo".into(),
            detail: "no page count".into(),
        })
}

fn path_arg(p: &Path) -> Result<&str, OcrError> {
    p.to_str()
        .ok_or_else(|| OcrError::Image("temporary path is not UTF-8".into()))
}

/// One page rendered as colour pixels. The render area is capped at twice an A4 page at the
/// configured resolution, so a page with a giant media box cannot exhaust memory.
fn render(
    cfg: &OcrConfig,
    pdf: &Path,
    page: u32,
    dir: &Path,
) -> Result<image::DynamicImage, OcrError> {
    let out = dir.join(format!("r{page}"));
    let (n, dpi) = (page.to_string(), cfg.dpi.to_string());
    let max_w = (cfg.dpi * 827 * 2 / 100).to_string();
    let max_h = (cfg.dpi * 1169 * 2 / 100).to_string();
    run::status(
        &cfg.pdftoppm,
        &[
            "-r",
            &dpi,
            "-f",
            &n,
            "-l",
            &n,
            "-W",
            &max_w,
            "-H",
            &max_h,
            "-singlefile",
            path_arg(pdf)?,
            path_arg(&out)?,
        ],
        cfg.page_timeout,
        page,
    )?;
    let ppm = out.with_extension("ppm");
    let bytes = std::fs::read(&ppm)?;
    let _ = std::fs::remove_file(&ppm);
    decode(&bytes, cfg, page)
}

/// Decodes a page image, its size checked from the header before any pixel is allocated.
fn decode(bytes: &[u8], cfg: &OcrConfig, page: u32) -> Result<image::DynamicImage, OcrError> {
    let unreadable = |e: std::io::Error| OcrError::Image(e.to_string());
    let reader = || image::ImageReader::new(Cursor::new(bytes)).with_guessed_format();
    let (w, h) = reader()
        .map_err(unreadable)?
        .into_dimensions()
        .map_err(|e| OcrError::Image(e.to_string()))?;
    let pixels = u64::from(w) * u64::from(h);
    if pixels > cfg.max_pixels {
        return Err(OcrError::TooLarge {
            page,
            pixels,
            limit: cfg.max_pixels,
        });
    }
    let mut reader = reader().map_err(unreadable)?;
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(cfg.max_pixels.saturating_mul(4));
    reader.limits(limits);
    reader.decode().map_err(|e| OcrError::Image(e.to_string()))
}

fn recognise_page(cfg: &OcrConfig, gray: &Path, page: u32) -> Result<tsv::Page, OcrError> {
    let base = gray.with_extension("");
    let dpi = cfg.dpi.to_string();
    run::status(
        &cfg.tesseract,
        &[
            path_arg(gray)?,
            path_arg(&base)?,
            "-l",
            &cfg.language,
            "--dpi",
            &dpi,
            "--psm",
            "3",
            "tsv",
        ],
        cfg.page_timeout,
        page,
    )?;
    let tsv_path = base.with_extension("tsv");
    let raw = std::fs::read(&tsv_path)?;
    let _ = std::fs::remove_file(&tsv_path);
    Ok(tsv::parse(&String::from_utf8_lossy(&raw)))
}
