//! Unit tests of the scoring rules on hand-written documents (parsed by [`super::testdoc`]).

use super::testdoc::from_text;
use super::*;

fn assess(text: &str, year: i32) -> wire::Assessment {
    let doc = from_text(text, Some(year));
    match score(&doc, &Hints::default(), None, "x", None) {
        Ok(a) => a,
        Err(e) => panic!("score failed: {e}"),
    }
}

fn part(a: &wire::Assessment, id: &str) -> bool {
    a.required_parts.iter().any(|p| p.id == id && p.present)
}

fn area(a: &wire::Assessment, id: &str) -> i32 {
    a.areas
        .iter()
        .find(|x| x.id == id)
        .map(|x| x.status)
        .unwrap_or(0)
}

const S: i32 = wire::Coverage::Substantive as i32;
const M: i32 = wire::Coverage::Mentioned as i32;
const A: i32 = wire::Coverage::Absent as i32;

const BASE: &str = "某县人民政府关于2023年度法治政府建设情况的报告\n\
2023年，县政府深入学习贯彻习近平法治思想，全面推进依法行政，现将有关情况报告如下。\n\
一、主要举措和成效\n\
（一）深化“放管服”改革。全年取消行政许可事项11项，推行“一件事一次办”集成服务26项。\n\
（二）严格规范公正文明执法。组织行政执法案卷评查，评查案卷186卷。\n\
（三）化解矛盾纠纷。全县调解组织调处矛盾纠纷2675件，调解成功率97.2%。\n\
二、党政主要负责人履行推进法治建设第一责任人职责情况\n\
县长主持召开县政府常务会议4次研究法治政府建设，年底组织10个单位主要负责人述法。\n";

#[test]
fn parts_from_headings_and_achievements_only() {
    let a = assess(
        &format!("{BASE}三、2024年工作安排\n一是深化改革。二是规范执法。三是加强学法。\n"),
        2023,
    );
    assert!(part(&a, "measures"));
    assert!(part(&a, "first_responsible"));
    assert!(part(&a, "next_year"));
    assert!(!part(&a, "shortcomings"));
    assert!(a.findings.iter().any(|f| f.code == "ACHIEVEMENTS_ONLY"));
    assert_eq!(area(&a, "2"), S);
    assert_eq!(area(&a, "7"), S);
    assert_eq!(area(&a, "6"), A);
}

#[test]
fn merged_heading_gives_both_parts_and_plans_do_not_count() {
    let a = assess(
        &format!(
            "{BASE}三、存在的问题及下步打算\n行政复议委员会尚未建立，规范性文件清理不够及时，原因是审核力量不足。\n\
             下一步，一是组建行政复议委员会；二是开展规范性文件全面清理；三是做好突发事件应急演练。\n"
        ),
        2023,
    );
    assert!(part(&a, "shortcomings"));
    assert!(part(&a, "next_year"));
    // 规范性文件 only in problems and plans → mentioned; 突发事件 only in plans → mentioned.
    assert_eq!(area(&a, "3"), M);
    assert_eq!(area(&a, "6"), M);
    assert!(
        !a.findings
            .iter()
            .any(|f| f.code == "SHORTCOMINGS_WITHOUT_CAUSES")
    );
}

#[test]
fn hollow_shortcomings_heading_is_not_present() {
    let a = assess(
        &format!(
            "{BASE}三、存在的不足\n对照上级要求，我县法治政府建设工作还存在一定差距，需要在今后工作中进一步加强。\n\
             四、2024年工作安排\n一是深化改革。二是规范执法。三是加强学法。\n"
        ),
        2023,
    );
    assert!(!part(&a, "shortcomings"));
    assert!(a.findings.iter().any(|f| f.code == "SHORTCOMINGS_HOLLOW"));
}

#[test]
fn closing_passage_gives_shortcomings_and_next_year() {
    let a = assess(
        &format!(
            "{BASE}虽然我县法治政府建设取得了明显成效，但仍存在一些差距和不足，主要表现在：一是决策程序执行不够规范；二是执法力量薄弱。下一步，我们将继续深入推进法治政府建设。\n"
        ),
        2023,
    );
    assert!(part(&a, "shortcomings"));
    assert!(part(&a, "next_year"));
    assert!(a.findings.iter().any(|f| f.code == "NEXT_YEAR_THIN"));
}

#[test]
fn negated_work_is_only_mentioned() {
    let a = assess(
        &format!(
            "{BASE}（四）其他。全年未发生以我局为被申请人的行政复议案件，也未发生以我局为被告的行政诉讼案件。\n"
        ),
        2023,
    );
    // 调处矛盾纠纷 keeps area 7 substantive; check item 22 (复议) alone.
    let item22 = a
        .areas
        .iter()
        .flat_map(|x| x.items.iter())
        .find(|i| i.id == "22")
        .map(|i| i.status);
    assert_eq!(item22, Some(M));
}

#[test]
fn pseudo_negation_and_false_friends() {
    let a = assess(
        &format!("{BASE}（四）服务企业。全年受理并协调解决企业诉求41件。\n"),
        2023,
    );
    let item20 = a
        .areas
        .iter()
        .flat_map(|x| x.items.iter())
        .find(|i| i.id == "20")
        .map(|i| i.evidence.iter().any(|e| e.quote.contains("协调解决")));
    assert_eq!(item20, Some(false));
}

#[test]
fn evidence_offsets_are_chars() {
    let a = assess(BASE, 2023);
    let text: Vec<char> = a.normalized_text.chars().collect();
    for ar in &a.areas {
        for it in &ar.items {
            for e in &it.evidence {
                let q: String = text[e.start as usize..e.end as usize].iter().collect();
                assert_eq!(q, e.quote);
            }
        }
    }
}

#[test]
fn deterministic_and_graded() {
    let a = assess(BASE, 2023);
    let b = assess(BASE, 2023);
    assert_eq!(a, b);
    assert!(a.score > 0.0 && a.score <= 100.0);
    assert!(["A", "B", "C", "D"].contains(&a.grade.as_str()));
    assert_eq!(a.areas.len(), 9);
}

#[test]
fn not_a_report_gets_na() {
    let mut doc = from_text(BASE, Some(2023));
    doc.kind = DocKind::NotReport(crate::model::NotReportReason::Plan);
    let a = score(&doc, &Hints::default(), None, "x", None).expect("score");
    assert_eq!(a.grade, "N/A");
    assert_eq!(a.score, 0.0);
    assert!(a.areas.is_empty());
    assert!(a.required_parts.iter().all(|p| !p.present));
    assert!(a.findings.iter().any(|f| f.code == "NOT_A_REPORT"));
}

#[test]
fn year_2020_uses_2015_checklist() {
    let a = assess(BASE, 2020);
    assert_eq!(a.checklist_id, "gangyao-2015-2020");
    assert_eq!(a.areas.len(), 8);
}

#[test]
fn timeliness_from_hints() {
    let doc = from_text(BASE, Some(2023));
    let hints = Hints {
        published_date: Some("2024-04-15".into()),
        ..Default::default()
    };
    let a = score(&doc, &hints, None, "x", None).expect("score");
    let t = a.timeliness.expect("timeliness");
    assert_eq!(t.status, wire::TimelinessStatus::Late as i32);
    assert_eq!(t.deadline, "2024-03-31");
    assert_eq!(t.date_source, "hints");
}

#[test]
fn large_repetitive_input_scores() {
    // Thousands of masks, exclusions, heading-like lines and negations: must stay near-linear.
    let mut t = String::from(BASE);
    for i in 0..20_000 {
        t.push_str("存在的问题\n未来协调解决不动产登记问题，尚未建立行政复议委员会；");
        t.push_str(&format!("调处矛盾纠纷{i}件。\n"));
    }
    let doc = from_text(&t, Some(2023));
    let a = score(&doc, &Hints::default(), None, "x", None).expect("score");
    assert_eq!(a.areas.len(), 9);
    assert!(a.normalized_text.len() > 1_000_000);
}

/// A report on a year no checklist covers yet is judged by the latest and says so; a client that
/// names a checklist gets the year-mismatch finding instead.
#[test]
fn year_after_the_latest_checklist_is_flagged() {
    let text = BASE.replace("2023", "2026");
    let a = assess(&text, 2026);
    assert_eq!(a.checklist_id, "gangyao-2021-2025");
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "CHECKLIST_PERIOD_ENDED")
        .expect("CHECKLIST_PERIOD_ENDED");
    assert!(
        f.message.contains("2026") && f.message.contains("2025"),
        "{}",
        f.message
    );
    assert!(!f.rule.is_empty());
    let within = assess(BASE, 2023);
    assert!(
        !within
            .findings
            .iter()
            .any(|f| f.code == "CHECKLIST_PERIOD_ENDED")
    );
    let doc = from_text(&text, Some(2026));
    let named = score(
        &doc,
        &Hints::default(),
        Some("gangyao-2021-2025"),
        "x",
        None,
    )
    .expect("score");
    assert!(
        !named
            .findings
            .iter()
            .any(|f| f.code == "CHECKLIST_PERIOD_ENDED")
    );
    assert!(
        named
            .findings
            .iter()
            .any(|f| f.code == "CHECKLIST_YEAR_MISMATCH")
    );
}

/// The same report with its lines cut as a PDF text layer cuts them, and with a wrong encoding:
/// neither is graded; the clean text is.
#[test]
fn garbled_text_is_not_graded() {
    let text = format!(
        "{BASE}三、存在的不足和原因\n执法人员专业结构不合理，原因是招录渠道有限。\n四、2024年工作安排\n一是深化改革。二是规范执法。\n"
    );
    let clean = assess(&text, 2023);
    let q = clean.text_quality.expect("quality");
    assert!(!q.low && clean.grade != "N/A", "{q:?}");
    assert!(!clean.findings.iter().any(|f| f.code == "LOW_TEXT_QUALITY"));

    // Every line wrapped at 12 characters, figures on lines of their own.
    let mut wrapped = String::new();
    for line in text.lines() {
        let mut n = 0;
        for c in line.chars() {
            if c.is_ascii_digit() && n > 0 && !wrapped.ends_with(|p: char| p.is_ascii_digit()) {
                wrapped.push('\n');
                n = 0;
            }
            wrapped.push(c);
            n += 1;
            if n == 12 {
                wrapped.push('\n');
                n = 0;
            }
        }
        wrapped.push('\n');
    }
    let a = assess(&wrapped, 2023);
    let q = a.text_quality.expect("quality");
    assert!(q.low && q.broken_lines > 10, "{q:?}");
    assert_eq!((a.grade.as_str(), a.score), ("N/A", 0.0));
    let f = a
        .findings
        .iter()
        .find(|f| f.code == "LOW_TEXT_QUALITY")
        .expect("finding");
    assert_eq!(f.severity(), wire::Severity::Error);
    assert!(!f.evidence.is_empty());
    for e in &f.evidence {
        let quoted: String = a
            .normalized_text
            .chars()
            .skip(e.start as usize)
            .take((e.end - e.start) as usize)
            .collect();
        assert_eq!(quoted, e.quote);
    }

    // A few replacement characters in every sentence.
    let mangled: String = text
        .chars()
        .enumerate()
        .map(|(i, c)| if i % 20 == 7 { '\u{FFFD}' } else { c })
        .collect();
    let m = assess(&mangled, 2023);
    let q = m.text_quality.expect("quality");
    assert!(q.low && q.replacement_chars > 10, "{q:?}");
    assert_eq!(m.grade, "N/A");
}
