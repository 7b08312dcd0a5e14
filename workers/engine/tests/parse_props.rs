//! Properties: any bytes → no panic; every offset on a char boundary; folding idempotent.

use fazhi_engine::model::ParsedDoc;
use fazhi_engine::normalize::{fold, fold_str};
use fazhi_engine::{Hints, Limits, Submission};
use proptest::prelude::*;

fn parse(bytes: &[u8], media_type: &str) -> Option<ParsedDoc> {
    let hints = Hints::default();
    let sub = Submission {
        content: bytes,
        media_type,
        filename: "",
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    fazhi_engine::parse(&sub, &Limits::default()).ok()
}

fn check_offsets(doc: &ParsedDoc) {
    let t = &doc.text;
    let ok = |r: &std::ops::Range<usize>| {
        r.start <= r.end
            && r.end <= t.len()
            && t.is_char_boundary(r.start)
            && t.is_char_boundary(r.end)
    };
    for s in &doc.sections {
        assert!(ok(&s.heading) && ok(&s.span), "section {s:?}");
        assert!(s.span.start <= s.heading.start && s.heading.end <= s.span.end.max(s.heading.end));
        if let Some(p) = s.parent {
            assert!(p < doc.sections.len());
        }
    }
    for s in &doc.sentences {
        assert!(ok(&s.span), "sentence {s:?}");
        if let Some(i) = s.section {
            assert!(i < doc.sections.len());
        }
    }
    for f in &doc.figures {
        assert!(ok(&f.span), "figure {f:?}");
        assert!(f.sentence < doc.sentences.len());
    }
}

/// Text built from report-like pieces, so the parser's paths are actually exercised.
fn reportish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("一、".to_string()),
        Just("（二）".to_string()),
        Just("(3)".to_string()),
        Just("1.".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("。".to_string()),
        Just("一是".to_string()),
        Just("调解矛盾纠纷".to_string()),
        Just("出庭应诉率".to_string()),
        Just("97%".to_string()),
        Just("1.2万余场".to_string()),
        Just("２０２３年".to_string()),
        Just("发布日期:2024-01-31".to_string()),
        Just("罗源县人民政府".to_string()),
        Just("二〇二四年一月八日".to_string()),
        Just("①".to_string()),
        Just("\u{3000}".to_string()),
        Just("\u{200B}".to_string()),
        Just("⼯作".to_string()),
        "[\\PC]{0,8}",
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        for mt in ["", "text/plain", "text/html", "application/pdf",
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document"] {
            if let Some(doc) = parse(&bytes, mt) {
                check_offsets(&doc);
            }
        }
    }

    #[test]
    fn reportish_text_offsets_on_boundaries(s in reportish()) {
        if let Some(doc) = parse(s.as_bytes(), "") {
            check_offsets(&doc);
        }
        let html = format!("<html><body><div id=\"zoom\"><p>{}</p></div></body></html>", s.replace('\n', "</p><p>"));
        if let Some(doc) = parse(html.as_bytes(), "text/html") {
            check_offsets(&doc);
        }
    }

    #[test]
    fn folding_is_idempotent(s in reportish()) {
        let once = fold_str(&s);
        prop_assert_eq!(fold_str(&once), once.clone());
        let f = fold(&s, false);
        prop_assert_eq!(&f.text, &once);
        // Every folded byte maps to a source char boundary.
        prop_assert_eq!(f.map.len(), f.text.len() + 1);
        for &m in &f.map {
            prop_assert!(s.is_char_boundary(m as usize));
        }
    }
}
