//! Figures: numbers with units (971件, 97%, 1.2万余场, 二十余, 近3000), tied to the API's metric ids by
//! their left context. Years, dates, document and article numbers are not figures.

use crate::model::{Figure, Section, Sentence};
use regex::Regex;
use std::sync::LazyLock;

static FIG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?P<pre>将近|近|约|超过|逾|多达|共计)?
        (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇两一二三四五六七八九十百千]+)
        \ ?
        (?P<scale>万|亿|千)?
        (?:
          (?P<approx>余|多)(?P<unit>个百分点|个工作日|平方公里|人次|件次|场次|户次|家次|批次|%|‰|件|次|人|名|项|个|家|份|部|起|场|卷|本|条|元|户|期|批|套|台|所|处|宗|篇|天|小时)?
        | (?P<unit2>个百分点|个工作日|平方公里|人次|件次|场次|户次|家次|批次|%|‰|件|次|人|名|项|个|家|份|部|起|场|卷|本|条|元|户|期|批|套|台|所|处|宗|篇|天|小时)
        )
        (?P<post>以上|左右)?",
    )
    .unwrap_or_else(|_| unreachable!())
});

static PLAN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"下一步|力争|计划(?:在|于|到|年内|年底)|目标(?:是|为)|确保|拟|争取|将(?:继续|进一步|持续|全面|加快|推动|着力|深入|不断|加强|扎实|努力|重点|力争|逐步|于)|到20\d\d年|年底前|预计",
    )
    .unwrap_or_else(|_| unreachable!())
});

static NEXT_YEAR_SECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"下一步|下步|下一年度|20\d\d年(?:度)?(?:主要)?(?:工作)?(?:安排|打算|计划|思路|重点|要点)|工作(?:安排|打算|思路|计划)|努力方向")
        .unwrap_or_else(|_| unreachable!())
});

static MEDIATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^协])调解|调处|化解").unwrap_or_else(|_| unreachable!()));

/// Extracts figures in document order.
pub fn extract(
    text: &str,
    sentences: &[Sentence],
    sections: &[Section],
    _year: Option<i32>,
) -> Vec<Figure> {
    let next_year_sections: Vec<bool> = sections
        .iter()
        .map(|s| NEXT_YEAR_SECTION.is_match(&s.title))
        .collect();
    let in_next_year = |idx: Option<usize>| {
        let mut cur = idx;
        while let Some(i) = cur {
            if next_year_sections[i] {
                return true;
            }
            cur = sections[i].parent;
        }
        false
    };
    let mut out = Vec::new();
    // One pass over the whole text (per-sentence regex calls cost more than the matching).
    for c in FIG.captures_iter(text) {
        let Some(m0) = c.get(0) else { continue };
        let Some(num0) = c.name("num") else { continue };
        let si = sentences.partition_point(|s| s.span.start <= m0.start());
        let Some(si) = si.checked_sub(1) else {
            continue;
        };
        let s = &sentences[si];
        if m0.end() > s.span.end {
            continue;
        }
        let st = &text[s.span.clone()];
        let section_planned = in_next_year(s.section);
        let base = s.span.start;
        // Offsets relative to the sentence.
        let m = (m0.start() - base)..(m0.end() - base);
        let num = (num0.start() - base)..(num0.end() - base);
        {
            let unit = c
                .name("unit")
                .or_else(|| c.name("unit2"))
                .map(|u| u.as_str())
                .unwrap_or("");
            let pre = c.name("pre").map(|u| u.as_str()).unwrap_or("");
            let approx_suffix = c.name("approx").is_some();
            let post = c.name("post").is_some();
            let scale = c.name("scale").map(|u| u.as_str()).unwrap_or("");
            let num_s = &st[num.clone()];
            let is_cn = !num_s.starts_with(|ch: char| ch.is_ascii_digit());
            let before = &st[..num.start];
            let after = &st[m.end..];
            // Not figures: 第二十四条, 〔2024〕, years, dates, "一是", bare numbers.
            if before.ends_with('第')
                || before.ends_with('〔')
                || before.ends_with('[')
                || before.ends_with("星期")
            {
                continue;
            }
            if after.starts_with('年') && unit.is_empty() && scale.is_empty() {
                continue;
            }
            if unit.is_empty() && !approx_suffix && pre.is_empty() {
                continue;
            }
            if is_cn && (after.starts_with('是') || after.starts_with('、')) {
                continue;
            }
            let Some(mut value) = parse_num(num_s) else {
                continue;
            };
            value *= match scale {
                "万" => 1e4,
                "亿" => 1e8,
                "千" => 1e3,
                _ => 1.0,
            };
            let (start, end) = (base + m.start, base + m.end);
            let raw = text[start..end].to_string();
            let unit_s = unit.to_string();
            let approximate = !pre.is_empty() && pre != "共计" || approx_suffix || post;
            let near = window_before(st, num.start, 240);
            let clause = left_clause(near);
            let wide = wide_clause(near);
            let right = right_clause(after);
            let comparative = [
                "低于",
                "高于",
                "不足",
                "不到",
                "未达到",
                "未达",
                "少于",
                "超出",
            ]
            .iter()
            .any(|k| clause.ends_with(k) || before.ends_with(k));
            let metric = if comparative || (is_cn && !approx_suffix) {
                None
            } else {
                bind_metric(
                    &Ctx {
                        clause,
                        wide,
                        right,
                        sentence: around(st, num.start, m.end, 300),
                    },
                    &unit_s,
                )
            };
            out.push(Figure {
                value,
                unit: unit_s,
                raw,
                span: start..end,
                metric,
                approximate,
                // A plan cue before the figure (力争…95%), not a purpose clause after it.
                planned: section_planned || PLAN.is_match(window_before(st, m.start, 150)),
                sentence: si,
            });
        }
    }
    out
}

/// The clause before the number (after the last , ; 、 or :), at most 40 bytes of context.
fn left_clause(before: &str) -> &str {
    let cut = before
        .rfind([',', ';', '、', ':', '。', '(', '，', '；'])
        .map(|p| p + before[p..].chars().next().map(char::len_utf8).unwrap_or(1))
        .unwrap_or(0);
    &before[cut..]
}

/// The sentence around a figure, at most `max` bytes each side.
fn around(st: &str, start: usize, end: usize, max: usize) -> &str {
    let mut a = start.saturating_sub(max);
    while !st.is_char_boundary(a) {
        a += 1;
    }
    let mut b = (end + max).min(st.len());
    while !st.is_char_boundary(b) {
        b -= 1;
    }
    &st[a..b]
}

/// At most `max` bytes of `st` before `at` (on a char boundary), so per-figure context checks
/// stay constant-time even in a megabyte-long sentence.
fn window_before(st: &str, at: usize, max: usize) -> &str {
    let mut from = at.saturating_sub(max);
    while !st.is_char_boundary(from) {
        from += 1;
    }
    &st[from..at]
}

/// The clause before the number, keeping 、-separated lists together.
fn wide_clause(before: &str) -> &str {
    let cut = before
        .rfind([',', ';', ':', '。', '，', '；'])
        .map(|p| p + before[p..].chars().next().map(char::len_utf8).unwrap_or(1))
        .unwrap_or(0);
    &before[cut..]
}

/// The rest of the clause after the figure.
fn right_clause(after: &str) -> &str {
    let mut lim = after.len().min(120);
    while !after.is_char_boundary(lim) {
        lim -= 1;
    }
    let after = &after[..lim];
    let end = after
        .find([',', ';', ':', '。', '，', '；'])
        .unwrap_or(after.len());
    &after[..end]
}

/// Where a figure sits: its clause (split at 、 too), the wider clause, what follows, the sentence.
struct Ctx<'a> {
    clause: &'a str,
    wide: &'a str,
    right: &'a str,
    sentence: &'a str,
}

fn parse_num(s: &str) -> Option<f64> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return s.replace(',', "").parse().ok();
    }
    parse_cn(s)
}

/// Chinese numerals up to 9999 (十, 二十, 三百六十, 两千).
fn parse_cn(s: &str) -> Option<f64> {
    let mut total = 0u64;
    let mut cur = 0u64;
    let mut any = false;
    for c in s.chars() {
        let d = match c {
            '零' | '〇' => Some(0),
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        };
        if let Some(d) = d {
            cur = cur * 10 + d;
            any = true;
            continue;
        }
        let mult = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => return None,
        };
        total += cur.max(1) * mult;
        cur = 0;
        any = true;
    }
    any.then_some((total + cur) as f64)
}

/// The metric id for a figure, from the clause before it (and the sentence for domain).
fn bind_metric(ctx: &Ctx<'_>, unit: &str) -> Option<&'static str> {
    let clause = ctx.clause;
    let sentence = ctx.sentence;
    let has = |k: &str| clause.contains(k);
    let wide = |k: &str| ctx.wide.contains(k);
    let right = |k: &str| ctx.right.contains(k);
    if unit == "%" {
        if has("出庭应诉率") || has("出庭率") || (has("负责人出庭") && has("率")) {
            return Some("admin_litigation_appearance_rate");
        }
        if (has("调解成功率") || has("成功率") || has("调处成功率"))
            && (MEDIATION.is_match(sentence) || has("调解"))
        {
            return Some("mediation_success_rate");
        }
        if (has("合法性审查率") || has("合法性审核率") || (has("合法性审") && has("率")))
            && !has("法制审核")
            && !has("公平竞争")
        {
            return Some("legality_review_rate");
        }
        if has("网上可办率")
            || has("可网办率")
            || has("网办率")
            || has("网上可办")
            || has("全程网办")
            || ((has("网上办") || has("掌上办")) && (has("比例") || has("率")))
        {
            return Some("online_service_rate");
        }
        return None;
    }
    if unit.is_empty() || unit == "个百分点" {
        return None;
    }
    let count_units = [
        "件", "起", "宗", "个", "份", "项", "人", "名", "卷", "本", "场", "场次", "次", "期",
        "人次", "件次",
    ];
    if !count_units.contains(&unit) {
        return None;
    }
    let case_unit = matches!(unit, "件" | "起" | "宗" | "个" | "件次");
    let concluded = [
        "审结",
        "办结",
        "结案",
        "作出",
        "纠错",
        "维持",
        "撤销",
        "败诉",
        "胜诉",
        "化解率",
        "立案",
    ]
    .iter()
    .any(|k| has(k));
    let subset = ["答复", "第三人", "汇总", "其中"].iter().any(|k| wide(k));
    if case_unit && has("复议") && !concluded && !has("应诉") && !subset {
        return Some("admin_reconsideration_cases");
    }
    if case_unit
        && (has("行政诉讼")
            || has("应诉案件")
            || has("行政应诉")
            || has("一审行政")
            || (has("应诉") && has("案件"))
            || (has("被告") && has("案件")))
        && !concluded
        && !has("出庭")
        && !subset
    {
        return Some("admin_litigation_cases");
    }
    if case_unit && has("法律援助") && !has("任务") {
        return Some("legal_aid_cases");
    }
    let filing = has("备案") || has("报备");
    if matches!(unit, "件" | "份")
        && (filing && (has("规范性文件") || sentence.contains("规范性文件"))
            || (has("规范性文件")
                && !has("审查")
                && !has("审核")
                && !has("清理")
                && (sentence.contains("备案") || sentence.contains("报备"))))
    {
        return Some("normative_documents_filed");
    }
    let legality_object = ["文件", "协议", "合同", "议题", "涉法", "事项"]
        .iter()
        .any(|k| wide(k));
    if (matches!(unit, "件" | "份" | "项") || (unit == "个" && has("合法性")))
        && (has("合法性审查")
            || has("合法性审核")
            || has("审查规范性文件")
            || has("审核规范性文件")
            || right("合法性审查")
            || right("合法性审核")
            || ((wide("审查") || wide("审核")) && legality_object && sentence.contains("合法性"))
            || (wide("审查")
                && (wide("合同") || wide("协议"))
                && sentence.contains("法律顾问")
                && !wide("起草")))
        && !wide("公平竞争")
        && !wide("法制审核")
        && !filing
    {
        return Some("legality_reviews");
    }
    if matches!(unit, "件" | "起" | "宗")
        && MEDIATION.is_match(clause)
        && (has("纠纷") || has("矛盾") || has("案件") || has("调解"))
        && !has("成功")
        && !has("法律援助")
        && !["结案", "复议", "执行", "和解"].iter().any(|k| has(k))
    {
        return Some("mediation_disputes");
    }
    if matches!(unit, "人" | "名")
        && (has("持证") || has("执法证") || (has("执法人员") && sentence.contains("持证")))
        && !has("新考取")
        && !has("新增")
        && !has("培训")
    {
        return Some("certified_enforcement_staff");
    }
    if matches!(unit, "卷" | "件" | "本" | "份" | "宗")
        && (has("评查")
            || ((ctx.right.starts_with("案卷") || ctx.right.starts_with("行政执法案卷"))
                && sentence.contains("评查")))
    {
        return Some("case_files_reviewed");
    }
    if matches!(unit, "场" | "场次" | "次" | "期")
        && (has("普法")
            || has("法治宣传")
            || has("宣传活动")
            || has("法治讲座")
            || has("送法")
            || (has("讲座") && (sentence.contains("宣传") || sentence.contains("普法"))))
        && !has("巡演")
        && !has("法律援助")
    {
        return Some("law_popularization_events");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figs(t: &str) -> Vec<Figure> {
        let sents = super::super::sentences::split(t, &[]);
        extract(t, &sents, &[], None)
    }

    fn one(t: &str) -> (f64, String, bool, Option<&'static str>) {
        let f = figs(t);
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        (f[0].value, f[0].unit.clone(), f[0].approximate, f[0].metric)
    }

    #[test]
    fn number_forms() {
        assert_eq!(
            one("调解矛盾纠纷971件。"),
            (971.0, "件".into(), false, Some("mediation_disputes"))
        );
        assert_eq!(
            one("调解成功率97%。"),
            (97.0, "%".into(), false, Some("mediation_success_rate"))
        );
        assert_eq!(one("培训260余人。"), (260.0, "人".into(), true, None));
        assert_eq!(one("帮代办4000余件。").0, 4000.0);
        assert_eq!(one("覆盖1.2万户。").0, 12000.0);
        assert_eq!(
            one("开展普法活动1.2万余场。"),
            (
                12000.0,
                "场".into(),
                true,
                Some("law_popularization_events")
            )
        );
        assert_eq!(
            one("投入资金2.23亿元。"),
            (2.23e8, "元".into(), false, None)
        );
        assert_eq!(one("培训二十余人。"), (20.0, "人".into(), true, None));
        assert_eq!(one("服务近3000人。"), (3000.0, "人".into(), true, None));
        assert_eq!(
            one("持证执法人员1,208名。"),
            (
                1208.0,
                "名".into(),
                false,
                Some("certified_enforcement_staff")
            )
        );
        assert_eq!(one("好评率99.98%。").0, 99.98);
        assert_eq!(
            one("评查执法案卷2.4万卷。"),
            (24000.0, "卷".into(), false, Some("case_files_reviewed"))
        );
        assert_eq!(
            one("出庭应诉率为 95.2%。").3,
            Some("admin_litigation_appearance_rate")
        );
    }

    #[test]
    fn not_figures() {
        assert!(figs("2023年,全县依法行政。").is_empty());
        assert!(figs("依据罗政综〔2024〕2号文件。").is_empty());
        assert!(figs("2024年1月8日召开会议。").is_empty());
        assert!(figs("依照第二十四条规定。").is_empty());
        assert!(figs("一是抓学习。").is_empty());
    }

    #[test]
    fn traps_and_plans() {
        assert_eq!(one("审结行政复议案件49件。").3, None);
        assert_eq!(
            one("收到行政复议申请67件。").3,
            Some("admin_reconsideration_cases")
        );
        assert_eq!(one("开展公平竞争审查147件。").3, None);
        assert_eq!(one("重大执法决定法制审核率100%。").3, None);
        assert_eq!(one("协调解决企业问题12件。").3, None);
        let f = figs("下一步,力争出庭应诉率达到95%以上。");
        assert!(f[0].planned && f[0].approximate);
        assert_eq!(one("部分单位出庭应诉率低于90%。").3, None);
        assert_eq!(one("参考率、合格率100%。").3, None);
    }

    #[test]
    fn chinese_numbers() {
        assert_eq!(parse_cn("二十"), Some(20.0));
        assert_eq!(parse_cn("十二"), Some(12.0));
        assert_eq!(parse_cn("三百六十"), Some(360.0));
        assert_eq!(parse_cn("两千"), Some(2000.0));
    }
}
