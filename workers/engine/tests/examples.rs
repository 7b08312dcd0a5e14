//! The example reports that ship with the project (`examples/reports/`), judged against their
//! labels. They are always there, so this runs on a fresh clone with nothing beside it.

use fazhi_engine::eval::{LabelledDoc, evaluate, parse_labels};

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

/// The LibreOffice-exported PDF. Its page holds no title (the HTML source's 16 pt title did not
/// reach the text layer), so its year comes from the first sentence and is misread; everything
/// else is judged as its HTML source is (`office_pdf_is_judged_as_its_html_source`).
const OFFICE_PDF: &str = "2025-zone-beilu.pdf";

fn labelled() -> Vec<LabelledDoc> {
    let dir = corpus::examples_dir();
    let text =
        std::fs::read_to_string(dir.join("labels.toml")).expect("examples/reports/labels.toml");
    parse_labels(&text)
        .expect("labels parse")
        .into_iter()
        .map(|label| {
            let content = std::fs::read(dir.join(&label.file))
                .unwrap_or_else(|e| panic!("{}: {e}", label.file));
            LabelledDoc { label, content }
        })
        .collect()
}

#[test]
fn every_example_is_labelled_and_judged_as_labelled() {
    let docs = labelled();
    // Every report file in the folder has a label, and the set spans the formats users send.
    let on_disk: Vec<String> = corpus::sample_reports()
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let mut labelled_files: Vec<String> = docs.iter().map(|d| d.label.file.clone()).collect();
    labelled_files.sort();
    let mut sorted = on_disk.clone();
    sorted.sort();
    assert_eq!(labelled_files, sorted);
    for ext in ["txt", "html", "docx", "pdf"] {
        assert!(
            on_disk.iter().any(|f| f.ends_with(ext)),
            "no .{ext} example"
        );
    }

    let (pdf, rest): (Vec<LabelledDoc>, Vec<LabelledDoc>) =
        docs.into_iter().partition(|d| d.label.file == OFFICE_PDF);
    let report = evaluate(&rest);
    println!("{report}");
    assert!(
        report.metadata.misses.is_empty(),
        "{:?}",
        report.metadata.misses
    );
    assert!(
        report.scoring.errors.is_empty(),
        "{:?}",
        report.scoring.errors
    );
    assert_eq!(report.scoring.parts_correct, report.scoring.parts_total);
    assert_eq!(
        report.scoring.metrics_correct,
        report.scoring.metrics_labelled
    );
    assert_eq!(report.scoring.kind_correct, report.scoring.kind_total);

    // The office PDF: kind, issuer, level, date and the four required parts are read right.
    let report = evaluate(&pdf);
    assert_eq!(report.scoring.kind_correct, 1);
    assert_eq!(report.scoring.parts_correct, report.scoring.parts_total);
    let misses: Vec<&str> = report.metadata.misses.iter().map(|m| m.1).collect();
    assert_eq!(misses, vec!["year"], "{:?}", report.metadata.misses);
}

fn assess_bytes(content: &[u8], filename: &str) -> fazhi_engine::wire::Assessment {
    let hints = fazhi_engine::Hints::default();
    let sub = fazhi_engine::Submission {
        content,
        media_type: "",
        filename,
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    fazhi_engine::assess(&sub, &fazhi_engine::Limits::default())
        .unwrap_or_else(|e| panic!("{filename}: {e}"))
}

/// What a format must not change: kind, issuer, level, parts, every area's status, metrics.
fn judgement(a: &fazhi_engine::wire::Assessment) -> String {
    let r = a.report.clone().unwrap_or_default();
    let parts: Vec<&str> = a
        .required_parts
        .iter()
        .filter(|p| p.present)
        .map(|p| p.id.as_str())
        .collect();
    let areas: Vec<(String, i32)> = a.areas.iter().map(|x| (x.id.clone(), x.status)).collect();
    let metrics: Vec<(String, f64)> = a.metrics.iter().map(|m| (m.id.clone(), m.value)).collect();
    format!(
        "{} {} {} {parts:?} {areas:?} {metrics:?}",
        r.kind, r.issuer, r.level
    )
}

/// The PDF's text layer, read by position, gives the judgement of the HTML it was made from.
#[test]
fn office_pdf_is_judged_as_its_html_source() {
    let dir = corpus::examples_dir();
    let pdf = std::fs::read(dir.join(OFFICE_PDF)).expect("pdf");
    let html = std::fs::read(dir.join("src/2025-zone-beilu.html")).expect("html source");
    let (p, h) = (
        assess_bytes(&pdf, OFFICE_PDF),
        assess_bytes(&html, "beilu.html"),
    );
    assert_eq!(judgement(&p), judgement(&h));
    let substantive = fazhi_engine::wire::Coverage::Substantive as i32;
    assert!(p.metrics.len() >= 3);
    assert!(p.areas.iter().filter(|a| a.status == substantive).count() >= 7);
    // No figure is cut from its unit and no sentence from its end.
    for figure in ["1380户", "28个工作日", "143件", "96名", "420件", "96.7%"] {
        assert!(p.normalized_text.contains(figure), "{figure}");
    }
    assert!(!p.normalized_text.contains("市场主\n"));
}

/// Clean text in every format is graded; the PDF text layer in stream order (every run on its
/// own line, as a reader that ignores positions gives it) is not.
#[test]
fn text_quality_gates_fragmented_text_only() {
    for d in labelled() {
        let a = assess_bytes(&d.content, &d.label.file);
        let q = a.text_quality.expect("text quality");
        assert!(!q.low, "{}: {q:?}", d.label.file);
        assert!(q.score >= 0.7, "{}: {q:?}", d.label.file);
        assert!(!a.findings.iter().any(|f| f.code == "LOW_TEXT_QUALITY"));
    }
    let pdf = std::fs::read(corpus::examples_dir().join(OFFICE_PDF)).expect("pdf");
    let doc = lopdf::Document::load_mem(&pdf).expect("pdf loads");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let fragmented = doc.extract_text(&pages).expect("stream-order text");
    let a = assess_bytes(fragmented.as_bytes(), "fragmented.txt");
    let q = a.text_quality.expect("text quality");
    assert!(q.low, "{q:?}");
    assert!(a.findings.iter().any(|f| f.code == "LOW_TEXT_QUALITY"));
    assert_eq!((a.grade.as_str(), a.score), ("N/A", 0.0));
    assert!(
        a.breakdown.expect("breakdown").parts > 0.0,
        "what it would score stays"
    );
}
