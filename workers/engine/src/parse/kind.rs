//! Is this a 法治政府建设 annual report, or a plan, news item, interpretation or other report?

use crate::model::{DocKind, Metadata, NotReportReason, Section};

/// Classifies from the title first, then genre cues in the text.
pub fn classify(
    text: &str,
    meta: &Metadata,
    sections: &[Section],
    title_inferred: bool,
) -> DocKind {
    let title = if title_inferred {
        ""
    } else {
        meta.title.as_deref().unwrap_or("")
    };
    if let Some(r) = from_title(title) {
        return DocKind::NotReport(r);
    }
    // News: reporter/editor bylines near the top, or a headline about a meeting.
    let head: String = text.chars().take(600).collect();
    if head.contains("记者") || head.contains("通讯员") || head.contains("讯(") {
        return DocKind::NotReport(NotReportReason::News);
    }
    // A plan without any past-year structure: every top heading is a task, no 成效 anywhere.
    let has_result = sections.iter().any(|s| {
        [
            "成效",
            "举措",
            "做法",
            "工作情况",
            "开展情况",
            "主要工作",
            "进展",
        ]
        .iter()
        .any(|k| s.title.contains(k))
    }) || text.contains("报告如下")
        || text.contains("汇报如下");
    if !has_result
        && (text.contains("牵头单位") || text.contains("责任单位"))
        && !text.contains("取得")
    {
        return DocKind::NotReport(NotReportReason::Plan);
    }
    DocKind::Report
}

fn from_title(title: &str) -> Option<NotReportReason> {
    if title.is_empty() {
        return None;
    }
    // "关于印发《…》的通知": judge by what is being issued.
    let inner = match (title.find('《'), title.rfind('》')) {
        (Some(a), Some(b)) if b > a && (title.contains("印发") || title.contains("通知")) => {
            &title[a..b]
        }
        _ => title,
    };
    if inner.contains("解读") || title.contains("解读") || title.contains("图解") {
        return Some(NotReportReason::Interpretation);
    }
    if inner.contains("信息公开") || inner.contains("政务公开") {
        return Some(NotReportReason::OtherAnnualReport);
    }
    let about_rule_of_law = ["法治", "依法行政", "依法治"]
        .iter()
        .any(|k| inner.contains(k));
    let reportish =
        ["报告", "总结", "情况"].iter().any(|k| inner.contains(k)) && !inner.contains("报告会");
    if inner.contains("要点") || inner.contains("工作计划") || inner.contains("任务清单")
    {
        return Some(NotReportReason::Plan);
    }
    if inner.contains("实施方案")
        || inner.contains("规划")
        || (inner.contains("方案") && !reportish)
    {
        return Some(NotReportReason::ImplementationPlan);
    }
    if !reportish
        && [
            "会议",
            "召开",
            "举行",
            "部署",
            "座谈",
            "调研",
            "培训班",
            "开幕",
            "启动",
            "开展",
        ]
        .iter()
        .any(|k| title.contains(k))
    {
        return Some(NotReportReason::News);
    }
    if reportish && inner.contains("报告") && !about_rule_of_law {
        return Some(NotReportReason::OtherAnnualReport);
    }
    if inner.contains("通知") && !reportish {
        return Some(NotReportReason::Other);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles() {
        assert_eq!(
            from_title("青岑县人民政府办公室关于印发《青岑县2024年法治政府建设工作要点》的通知"),
            Some(NotReportReason::Plan)
        );
        assert_eq!(
            from_title(
                "中共汀阳市委 汀阳市人民政府印发《汀阳市法治政府建设实施方案(2021—2025年)》的通知"
            ),
            Some(NotReportReason::ImplementationPlan)
        );
        assert_eq!(
            from_title("县委全面依法治县委员会第七次会议召开 部署2024年法治岚溪建设重点工作"),
            Some(NotReportReason::News)
        );
        assert_eq!(
            from_title("鹤汀市沁湖区人民政府2023年政府信息公开工作年度报告"),
            Some(NotReportReason::OtherAnnualReport)
        );
        assert_eq!(
            from_title("图解:某县2023年法治政府建设年度报告"),
            Some(NotReportReason::Interpretation)
        );
        assert_eq!(
            from_title("罗源县人民政府关于2023年法治政府建设工作情况的报告"),
            None
        );
        assert_eq!(from_title("枣阳市2020年法治政府建设工作报告"), None);
        assert_eq!(from_title("2023年度法治政府建设情况的報告"), None);
    }
}
