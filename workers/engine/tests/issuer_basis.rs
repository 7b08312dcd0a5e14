//! Where the issuer was read, with the line that says so: a clerk checks the name against its
//! source in seconds.

use fazhi_engine::{Hints, Limits, Submission, assess, wire};

fn report(text: &str, media_type: &str, hints: Hints) -> (wire::ReportInfo, String) {
    let sub = Submission {
        content: text.as_bytes(),
        media_type,
        filename: "",
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    let a = assess(&sub, &Limits::default()).expect("assess");
    (a.report.expect("report"), a.normalized_text)
}

fn quoted(text: &str, e: &wire::Evidence) -> String {
    text.chars()
        .skip(e.start as usize)
        .take((e.end - e.start) as usize)
        .collect()
}

const BODY: &str = "一、主要举措和成效\n全年开展合法性审查53件，调解矛盾纠纷312件。\n二、存在的不足和原因\n基层力量不足，原因是编制少。\n三、下一年度工作安排\n下一步将加强执法监督。\n";

#[test]
fn from_the_title() {
    let text = format!("望川县司法局2024年度法治政府建设情况报告\n{BODY}");
    let (r, norm) = report(&text, "text/plain", Hints::default());
    assert_eq!(
        (r.issuer.as_str(), r.issuer_basis.as_str()),
        ("望川县司法局", "title")
    );
    let e = r.issuer_evidence.expect("evidence");
    assert_eq!(e.quote, "望川县司法局2024年度法治政府建设情况报告");
    assert_eq!(quoted(&norm, &e), e.quote);
}

#[test]
fn from_the_signature_when_there_is_no_title() {
    let text = format!("{BODY}\n望川县棣华街道办事处\n2025年3月1日\n");
    let (r, norm) = report(&text, "text/plain", Hints::default());
    assert_eq!(
        (r.issuer.as_str(), r.issuer_basis.as_str()),
        ("望川县棣华街道办事处", "signature")
    );
    let e = r.issuer_evidence.expect("evidence");
    assert_eq!(quoted(&norm, &e), "望川县棣华街道办事处");
}

#[test]
fn from_a_published_by_field_quoted_without_offsets() {
    let html = format!(
        "<html><body><div class=\"meta\"><p>发布机构：望川县应急管理局</p></div><div class=\"content\"><p>2024年，我局认真贯彻法治政府建设要求。</p>{}</div></body></html>",
        BODY.lines()
            .map(|l| format!("<p>{l}</p>"))
            .collect::<String>()
    );
    let (r, _) = report(&html, "text/html", Hints::default());
    assert_eq!(
        (r.issuer.as_str(), r.issuer_basis.as_str()),
        ("望川县应急管理局", "published_by")
    );
    let e = r.issuer_evidence.expect("evidence");
    assert!(e.quote.contains("望川县应急管理局"), "{e:?}");
    assert_eq!((e.start, e.end), (0, 0));
}

#[test]
fn hints_say_so() {
    let text = format!("望川县司法局2024年度法治政府建设情况报告\n{BODY}");
    let hints = Hints {
        issuer: Some("望川县司法局".into()),
        ..Default::default()
    };
    let (r, _) = report(&text, "text/plain", hints);
    assert_eq!(r.issuer_basis, "hints");
    assert!(r.issuer_evidence.is_none());
}
