//! A local guide's deadline rules: a report judged by the guide is timed by the guide's rule for
//! its issuer's level and cites it; the same report judged by the 纲要 keeps the 督察规定 rule.

use fazhi_engine::{Hints, Limits, Submission, assess, checklist, wire};

const GUIDE: &str = include_str!("../../../examples/checklists/guide-2024.toml");
const REPORT: &str = include_str!("../../../examples/reports/2024-county-wangchuan.txt");

fn judged(checklist_id: Option<&str>, issuer: &str, published: &str) -> wire::Timeliness {
    checklist::install(&[("guide.toml".to_string(), GUIDE.to_string())]).ok();
    let hints = Hints {
        issuer: Some(issuer.into()),
        published_date: Some(published.into()),
        ..Default::default()
    };
    let sub = Submission {
        content: REPORT.as_bytes(),
        media_type: "text/plain",
        filename: "r.txt",
        charset: "",
        hints: &hints,
        checklist_id,
    };
    assess(&sub, &Limits::default())
        .expect("assess")
        .timeliness
        .expect("timeliness")
}

#[test]
fn a_department_under_the_guide_is_due_by_the_end_of_february() {
    let t = judged(Some("guide-2024"), "望川县司法局", "2025-03-15");
    assert_eq!(t.deadline, "2025-02-28");
    assert_eq!(t.status, wire::TimelinessStatus::Late as i32);
    assert!(t.rule.starts_with("某市指引：市直部门"), "{}", t.rule);
    assert!(t.rule.contains("2025-02-28"), "{}", t.rule);
}

#[test]
fn other_levels_under_the_guide_take_its_rule_for_every_level() {
    let t = judged(Some("guide-2024"), "望川县人民政府", "2025-03-15");
    assert_eq!(t.deadline, "2025-03-31");
    assert_eq!(t.status, wire::TimelinessStatus::OnTime as i32);
    assert!(t.rule.starts_with("某市指引：各区"), "{}", t.rule);
}

#[test]
fn the_gangyao_keeps_the_ducha_rule() {
    let t = judged(None, "望川县司法局", "2025-03-15");
    assert_eq!(t.deadline, "2025-03-31");
    assert_eq!(t.status, wire::TimelinessStatus::OnTime as i32);
    assert!(t.rule.starts_with("督察规定第二十四条"), "{}", t.rule);
}
