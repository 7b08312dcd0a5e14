//! Arbitrary Tesseract output (TSV rows) through the OCR text rebuilder, and the rebuilt text
//! through the engine as a scan: must never panic, and the confidence stays within 0..1.
#![no_main]

use fazhi_engine::{Hints, Limits, ScanText, Submission};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let tsv = String::from_utf8_lossy(data);
    let page = fazhi_ocr::tsv::parse(&tsv);
    let (text, confidence) = fazhi_ocr::layout::text(&[page.clone(), page]);
    assert!((0.0..=1.0).contains(&confidence));
    let hints = Hints::default();
    let sub = Submission {
        content: b"%PDF-1.4",
        media_type: "",
        filename: "",
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    let scan = ScanText {
        text: &text,
        pages: 2,
        pages_total: 2,
        mean_confidence: confidence,
    };
    let _ = fazhi_engine::assess_scan(&sub, &scan, &Limits::default());
});
