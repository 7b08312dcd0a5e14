//! Is this a 法治政府建设 annual report, or a plan, news item, interpretation or other report?
//! The words each decision rests on are `[kind]` in `checklists/parse-rules.toml`.

use crate::model::{DocKind, Metadata, NotReportReason, Section};
use crate::wording::{KindWords, contains_any, wording};

/// Classifies from the title first, then genre cues in the text (a report when the wording
/// data failed to load, which the parser reports as an error before it gets here).
pub fn classify(
    text: &str,
    meta: &Metadata,
    sections: &[Section],
    title_inferred: bool,
) -> DocKind {
    let Ok(w) = wording() else {
        return DocKind::Report;
    };
    let w = &w.kind;
    // Counting stops at the bound: only whether the text reaches it matters.
    if text
        .chars()
        .filter(|c| crate::normalize::is_cjk(*c))
        .take(w.min_chinese_chars)
        .count()
        < w.min_chinese_chars
    {
        return DocKind::NotReport(NotReportReason::Other);
    }
    let title = if title_inferred {
        ""
    } else {
        meta.title.as_deref().unwrap_or("")
    };
    if let Some(r) = from_title(title, w) {
        return DocKind::NotReport(r);
    }
    // News: reporter/editor bylines in the first 600 characters, a borrowed slice (collecting
    // them into a string had been this function's largest cost, by callgrind).
    let head = text
        .char_indices()
        .nth(600)
        .and_then(|(end, _)| text.get(..end))
        .unwrap_or(text);
    if contains_any(head, &w.news_bylines) {
        return DocKind::NotReport(NotReportReason::News);
    }
    // A plan without any past-year structure: every top heading is a task, no 成效 anywhere.
    let has_result = sections
        .iter()
        .any(|s| contains_any(&s.title, &w.result_headings))
        || contains_any(text, &w.result_phrases);
    if !has_result
        && contains_any(text, &w.plan_duty_words)
        && !contains_any(text, &w.achievement_words)
    {
        return DocKind::NotReport(NotReportReason::Plan);
    }
    DocKind::Report
}

fn from_title(title: &str, w: &KindWords) -> Option<NotReportReason> {
    if title.is_empty() {
        return None;
    }
    // "关于印发《…》的通知": judge by what is being issued.
    let inner = match (title.find('《'), title.rfind('》')) {
        (Some(a), Some(b)) if b > a && contains_any(title, &w.issuing_words) => &title[a..b],
        _ => title,
    };
    if contains_any(title, &w.interpretation) {
        return Some(NotReportReason::Interpretation);
    }
    if contains_any(inner, &w.other_disclosure) {
        return Some(NotReportReason::OtherAnnualReport);
    }
    let about_rule_of_law = contains_any(inner, &w.rule_of_law);
    let reportish = contains_any(inner, &w.reportish) && !contains_any(inner, &w.not_reportish);
    if contains_any(inner, &w.plan_titles) {
        return Some(NotReportReason::Plan);
    }
    if contains_any(inner, &w.implementation_titles)
        || (inner.contains(w.scheme.as_str()) && !reportish)
    {
        return Some(NotReportReason::ImplementationPlan);
    }
    if !reportish && contains_any(title, &w.news_titles) {
        return Some(NotReportReason::News);
    }
    if reportish && inner.contains(w.report_word.as_str()) && !about_rule_of_law {
        return Some(NotReportReason::OtherAnnualReport);
    }
    // A notice issuing a document that is no report, rules or an announcement by its title.
    let issues_a_document = inner.len() != title.len();
    if !reportish
        && (inner.contains(w.notice.as_str())
            || issues_a_document
            || contains_any(inner, &w.regulation_titles)
            || contains_any(title, &w.announcement_titles))
    {
        return Some(NotReportReason::Other);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> &'static KindWords {
        &wording().expect("parse-rules.toml").kind
    }

    #[test]
    fn issued_rules_are_not_reports() {
        assert_eq!(
            from_title(
                "望川县人民政府关于印发《望川县人民政府工作规则》的通知",
                words()
            ),
            Some(NotReportReason::Other)
        );
        assert_eq!(
            from_title("望川县行政执法公示办法", words()),
            Some(NotReportReason::Other)
        );
        assert_eq!(
            from_title("望川县人民政府关于公布2024年度行政执法数据的公告", words()),
            Some(NotReportReason::Other)
        );
        assert_eq!(
            from_title(
                "望川县人民政府关于印发《2024年法治政府建设情况报告》的通知",
                words()
            ),
            None
        );
    }

    #[test]
    fn titles() {
        assert_eq!(
            from_title(
                "青岑县人民政府办公室关于印发《青岑县2024年法治政府建设工作要点》的通知",
                words()
            ),
            Some(NotReportReason::Plan)
        );
        assert_eq!(
            from_title(
                "中共汀阳市委 汀阳市人民政府印发《汀阳市法治政府建设实施方案(2021—2025年)》的通知",
                words()
            ),
            Some(NotReportReason::ImplementationPlan)
        );
        assert_eq!(
            from_title(
                "县委全面依法治县委员会第七次会议召开 部署2024年法治岚溪建设重点工作",
                words()
            ),
            Some(NotReportReason::News)
        );
        assert_eq!(
            from_title(
                "鹤汀市沁湖区人民政府2023年政府信息公开工作年度报告",
                words()
            ),
            Some(NotReportReason::OtherAnnualReport)
        );
        assert_eq!(
            from_title("图解:某县2023年法治政府建设年度报告", words()),
            Some(NotReportReason::Interpretation)
        );
        assert_eq!(
            from_title(
                "罗源县人民政府关于2023年法治政府建设工作情况的报告",
                words()
            ),
            None
        );
        assert_eq!(
            from_title("枣阳市2020年法治政府建设工作报告", words()),
            None
        );
        assert_eq!(from_title("2023年度法治政府建设情况的報告", words()), None);
    }
}
