//! A platform's issuer, year and published date against what a report says (the county example
//! says 望川县人民政府, 2024, published 2025-02-26): hints win, each value says where it came from,
//! and a contradiction is a HINT_DISAGREES finding quoting the report.

use fazhi_engine::{Hints, Limits, Submission, assess, wire};

const REPORT: &str = include_str!("../../../examples/reports/2024-county-wangchuan.txt");

fn with(hints: Hints) -> wire::Assessment {
    let sub = Submission {
        content: REPORT.as_bytes(),
        media_type: "text/plain",
        filename: "r.txt",
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    assess(&sub, &Limits::default()).expect("assess")
}

fn disagreements(a: &wire::Assessment) -> Vec<&wire::Finding> {
    a.findings
        .iter()
        .filter(|f| f.code == "HINT_DISAGREES")
        .collect()
}

#[test]
fn without_hints_every_value_is_the_documents() {
    let a = with(Hints::default());
    let r = a.report.as_ref().expect("report");
    assert_eq!(
        (
            r.issuer_source.as_str(),
            r.year_source.as_str(),
            r.published_date_source.as_str()
        ),
        ("document", "document", "document")
    );
    assert!(disagreements(&a).is_empty());
}

#[test]
fn agreeing_hints_raise_nothing() {
    let a = with(Hints {
        issuer: Some("望川县政府".into()),
        year: Some(2024),
        published_date: Some("2025-02-26".into()),
        ..Default::default()
    });
    let r = a.report.as_ref().expect("report");
    assert_eq!(r.issuer, "望川县政府");
    assert_eq!(
        (
            r.issuer_source.as_str(),
            r.year_source.as_str(),
            r.published_date_source.as_str()
        ),
        ("hints", "hints", "hints")
    );
    assert!(disagreements(&a).is_empty(), "{:?}", disagreements(&a));
}

#[test]
fn contradicting_hints_win_and_the_report_is_quoted() {
    let a = with(Hints {
        issuer: Some("潮音街道办事处".into()),
        year: Some(2023),
        published_date: Some("2024-05-06".into()),
        ..Default::default()
    });
    let r = a.report.as_ref().expect("report");
    assert_eq!(
        (r.issuer.as_str(), r.level.as_str()),
        ("潮音街道办事处", "street")
    );
    assert_eq!((r.year, r.published_date.as_str()), (2023, "2024-05-06"));
    // The platform's date and year drive the deadline: 2023 → 2024-03-31, published after it.
    let t = a.timeliness.as_ref().expect("timeliness");
    assert_eq!(
        (t.deadline.as_str(), t.date_source.as_str()),
        ("2024-03-31", "hints")
    );
    assert_eq!(t.status, wire::TimelinessStatus::Late as i32);

    let found = disagreements(&a);
    assert_eq!(found.len(), 3, "{found:?}");
    for (f, hint, doc) in [
        (found[0], "潮音街道办事处", "望川县人民政府"),
        (found[1], "2023", "2024"),
        (found[2], "2024-05-06", "2025-02-26"),
    ] {
        assert!(
            f.message.contains(hint) && f.message.contains(doc),
            "{}",
            f.message
        );
        assert_eq!(f.severity, wire::Severity::Warning as i32);
        let e = f.evidence.first().expect("the report's own words");
        let text: Vec<char> = a.normalized_text.chars().collect();
        let quoted: String = text[e.start as usize..e.end as usize].iter().collect();
        assert_eq!(quoted, e.quote);
        let said = if doc.contains('-') {
            "2025年2月26日"
        } else {
            doc
        };
        assert!(e.quote.contains(said), "{doc}: {}", e.quote);
    }
}
