//! The recogniser with the real tools (Debian's tesseract-ocr, tesseract-ocr-chi-sim,
//! poppler-utils; `.ci/run` installs them): its limits hold — pages, time, pixels — and what it
//! reads of a real page is Chinese text with a confidence.

use std::path::PathBuf;
use std::time::Duration;

use fazhi_ocr::{OcrConfig, OcrError, ScanKind, recognise};

fn example_pdf() -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/reports/2025-zone-beilu.pdf");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn tools_present() {
    fazhi_ocr::check(&OcrConfig::default())
        .expect("tesseract with chi_sim and poppler-utils must be installed for these tests");
}

#[test]
fn a_page_limit_reads_the_first_pages_and_counts_the_rest() {
    tools_present();
    let cfg = OcrConfig {
        max_pages: 1,
        ..OcrConfig::default()
    };
    let mut seen = Vec::new();
    let r = recognise(&example_pdf(), ScanKind::Pdf, &cfg, &mut |d, t| {
        seen.push((d, t))
    })
    .expect("recognised");
    assert_eq!((r.pages, r.pages_total), (1, 2));
    assert_eq!(seen, vec![(0, 1), (1, 1)]);
}

#[test]
fn a_rendered_page_reads_as_chinese_text_with_its_confidence() {
    tools_present();
    // The example PDF's first page is blank (Writer's HTML import); its report is on page 2.
    let r = recognise(
        &example_pdf(),
        ScanKind::Pdf,
        &OcrConfig::default(),
        &mut |_, _| {},
    )
    .expect("recognised");
    let cjk = r
        .text
        .chars()
        .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        .count();
    assert!(cjk > 200, "{cjk} Chinese characters: {}", r.text);
    assert!(r.text.contains("法治"), "{}", r.text);
    assert!(r.mean_confidence > 0.7, "{}", r.mean_confidence);
}

#[test]
fn a_page_over_its_time_is_a_timeout_worth_retrying() {
    tools_present();
    let cfg = OcrConfig {
        page_timeout: Duration::from_millis(1),
        ..OcrConfig::default()
    };
    let e = recognise(&example_pdf(), ScanKind::Pdf, &cfg, &mut |_, _| {}).expect_err("timeout");
    assert!(matches!(e, OcrError::Timeout { .. }), "{e}");
    assert_eq!(e.code(), "OCR_TIMEOUT");
    assert!(e.is_transient());
}

#[test]
fn an_image_over_the_pixel_limit_is_refused_before_decoding() {
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(100, 100)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let cfg = OcrConfig {
        max_pixels: 1_000,
        ..OcrConfig::default()
    };
    let e = recognise(&png, ScanKind::Png, &cfg, &mut |_, _| {}).expect_err("too large");
    assert!(
        matches!(e, OcrError::TooLarge { pixels: 10_000, .. }),
        "{e}"
    );
    assert!(!e.is_transient());
}

#[test]
fn bytes_that_are_no_image_are_refused_not_read() {
    let e = recognise(
        b"\x89PNG\r\n\x1a\nnot really",
        ScanKind::Png,
        &OcrConfig::default(),
        &mut |_, _| {},
    )
    .expect_err("unreadable");
    assert_eq!(e.code(), "IMAGE_UNREADABLE");
}

#[test]
fn a_missing_tool_says_which() {
    let cfg = OcrConfig {
        tesseract: "/nonexistent/tesseract".into(),
        ..OcrConfig::default()
    };
    let e = fazhi_ocr::check(&cfg).expect_err("missing");
    assert_eq!(e.code(), "OCR_UNAVAILABLE");
    assert!(e.to_string().contains("/nonexistent/tesseract"), "{e}");
}
