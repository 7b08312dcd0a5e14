//! Figures: numbers with units (971件, 97%, 1.2万余场, 二十余, 近3000), tied to the API's metric ids by
//! their left context. Years, dates, document and article numbers are not figures.

use super::figure_binding::{Binder, Place, ReadSentence};
use super::figure_match;
use super::word_bits::Bits;
use crate::char_steps;
use crate::model::{Figure, Section, Sentence};
use crate::wording::FigureWords;
use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The figure wording (`[figures]` in `checklists/parse-rules.toml`) with its patterns compiled.
struct Words {
    w: &'static FigureWords,
    plan: Regex,
    /// The plan pattern asserts nothing about what surrounds a match (no `^`, `$`, `\b`): then a
    /// piece of a sentence holds a match only where the whole sentence does.
    plan_free: bool,
    plan_not: Regex,
    next_year_heading: Regex,
    earlier_value: Regex,
    change_amount: Regex,
    binder: Binder,
}

static WORDS: LazyLock<Result<Words, String>> = LazyLock::new(|| {
    let w = &crate::wording::wording()?.figures;
    let re = |field: &str, p: &str| Regex::new(p).map_err(|e| format!("figures.{field}: {e}"));
    Ok(Words {
        w,
        plan: re("plan", &w.plan)?,
        plan_free: asserts_nothing(&w.plan),
        plan_not: re("plan_not", &w.plan_not)?,
        next_year_heading: re("next_year_heading", &w.next_year_heading)?,
        earlier_value: re("earlier_value", &w.earlier_value)?,
        change_amount: re("change_amount", &w.change_amount)?,
        binder: Binder::new(w)?,
    })
});

/// True when `pattern` has no look-around assertion (`^`, `$`, `\b` and the like).
fn asserts_nothing(pattern: &str) -> bool {
    regex_syntax::parse(pattern).is_ok_and(|h| h.properties().look_set().is_empty())
}

/// Why the figure wording failed to compile, if it did (the parser reports it).
pub fn load_error() -> Option<String> {
    WORDS.as_ref().err().cloned()
}

/// Extracts figures in document order.
pub fn extract(
    text: &str,
    sentences: &[Sentence],
    sections: &[Section],
    year: Option<i32>,
) -> Vec<Figure> {
    let Ok(words) = WORDS.as_ref() else {
        return Vec::new();
    };
    let next_year_sections: Vec<bool> = sections
        .iter()
        .map(|s| words.next_year_heading.is_match(&s.title))
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
    let tables = super::table::read(text, year);
    // The sentence as the binder read it: figures come in text order, so one read a sentence.
    let mut read: Option<(usize, ReadSentence<'_>)> = None;
    // The words of the last section heading read: a section's sentences come together.
    let mut topic_read: Option<(Option<usize>, Bits)> = None;
    // Whether the sentence holds a plan word at all: where the pattern asserts nothing about a
    // match's surroundings, a window holds a match only where its sentence does, and most
    // sentences hold none, so their figures skip the window's search.
    let mut plan_read: Option<(usize, bool)> = None;
    // One pass over the whole text (per-sentence regex calls cost more than the matching).
    for fm in figure_match::find_iter(text) {
        if tables.on_row(fm.span.start) {
            continue;
        }
        let si = sentences.partition_point(|s| s.span.start <= fm.span.start);
        let Some(si) = si.checked_sub(1) else {
            continue;
        };
        let s = &sentences[si];
        if fm.span.end > s.span.end {
            continue;
        }
        let st = &text[s.span.clone()];
        let section_planned = in_next_year(s.section);
        let base = s.span.start;
        // Offsets relative to the sentence.
        let m = (fm.span.start - base)..(fm.span.end - base);
        let num = (fm.num.start - base)..(fm.num.end - base);
        {
            let unit = if fm.in_words_pct { "%" } else { fm.unit };
            let (pre, scale) = (fm.pre, fm.scale);
            let (approx_suffix, post) = (fm.approx, fm.post);
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
            let approximate = !pre.is_empty() && pre != "共计" || approx_suffix || post;
            let near = window_before(st, num.start, 240);
            let clause = left_clause(near);
            let wide = wide_clause(near);
            let right = right_clause(after);
            // The clause is a tail of `before`: a word ending the clause ends `before` too.
            let comparative = words
                .w
                .comparative
                .iter()
                .any(|k| before.ends_with(k.as_str()))
                || words
                    .earlier_value
                    .is_match(window_before(st, num.start, 40))
                || words.change_amount.is_match(clause)
                || is_range_end(before)
                || is_range_start(after);
            // A small Chinese numeral is a quantity only when its clause ends with it (收到七件，).
            let ends_clause =
                after.is_empty() || after.starts_with([',', ';', ':', '。', '(', '，', '；', '、']);
            let is_word =
                is_cn && !approx_suffix && value < words.w.chinese_numeral_min && !ends_clause;
            let topic = s.section.map_or("", |i| sections[i].title.as_str());
            // The sentence is read for binding only when a figure in it may bind.
            let metric = if comparative || is_word {
                None
            } else {
                let sentence = match read.take() {
                    Some((i, r)) if i == si => r,
                    _ => {
                        let topic_words = match topic_read {
                            Some((section, bits)) if section == s.section => bits,
                            _ => words.binder.topic_words(topic),
                        };
                        topic_read = Some((s.section, topic_words));
                        words.binder.read(st, topic, topic_words)
                    }
                };
                let place = Place {
                    around: around(st, num.start, m.end, 300),
                    before: num.start - near.len()..num.start,
                    clause: num.start - clause.len()..num.start,
                    wide: num.start - wide.len()..num.start,
                    right: m.end..m.end + right.len(),
                };
                let metric = sentence
                    .may_bind
                    .then(|| words.binder.bind(&sentence, &place, unit))
                    .flatten();
                read = Some((si, sentence));
                metric
            };
            out.push(Figure {
                value,
                unit: Cow::Borrowed(unit),
                span: start..end,
                metric,
                approximate,
                // A plan cue before the figure (力争…95%), not a purpose clause after it.
                planned: section_planned || {
                    let may_plan = match plan_read {
                        Some((i, may)) if i == si => may,
                        _ => !words.plan_free || words.plan.is_match(st),
                    };
                    plan_read = Some((si, may_plan));
                    may_plan && is_plan(words, window_before(st, m.start, 150))
                },
                sentence: si,
            });
        }
    }
    for cell in &tables.cells {
        let Some(si) = sentences
            .partition_point(|s| s.span.start <= cell.span.start)
            .checked_sub(1)
        else {
            continue;
        };
        let label = &text[cell.label.clone()];
        out.push(Figure {
            value: cell.value,
            unit: Cow::Owned(cell.unit.clone()),
            span: cell.span.clone(),
            metric: words.binder.bind_label(label, &cell.unit),
            approximate: cell.approximate,
            planned: in_next_year(sentences[si].section),
            sentence: si,
        });
    }
    out.sort_by_key(|f| f.span.start);
    out
}

/// A figure that opens a range (「96.1%—99.4%之间」): a bound, not a value.
fn is_range_start(after: &str) -> bool {
    let rest = after.trim_start_matches(['—', '–', '-', '~', '～', '至', '到']);
    rest.len() < after.len()
        && rest.starts_with(|c: char| c.is_ascii_digit())
        && !after.starts_with("到20")
}

/// A figure that closes a range: right after another number and a dash, 至 or 到.
fn is_range_end(before: &str) -> bool {
    let Some(head) = before.strip_suffix(['—', '–', '-', '~', '～', '至', '到']) else {
        return false;
    };
    head.ends_with(|c: char| c.is_ascii_digit() || c == '%')
}

/// A plan cue before a figure, not one that only describes a thing (拟签订的合同).
fn is_plan(words: &Words, before: &str) -> bool {
    words
        .plan
        .find_iter(before)
        .any(|m| !words.plan_not.is_match(&before[m.start()..]))
}

const CLAUSE_SEPS: [char; 8] = [',', ';', '、', ':', '。', '(', '，', '；'];
static CLAUSE_STEPS: [u8; 256] = char_steps::steps_for(&CLAUSE_SEPS);
/// The clause separators without 、, which joins the items of a list.
const WIDE_CLAUSE_SEPS: [char; 6] = [',', ';', ':', '。', '，', '；'];
static WIDE_CLAUSE_STEPS: [u8; 256] = char_steps::steps_for(&WIDE_CLAUSE_SEPS);

/// The clause before the number (after the last , ; 、 or :), at most 40 bytes of context.
fn left_clause(before: &str) -> &str {
    &before[clause_start(before, &CLAUSE_SEPS, &CLAUSE_STEPS)..]
}

/// Where the clause ending `before` starts: after the last separator, where a comma between
/// digits (1,126) separates thousands, not clauses.
fn clause_start(before: &str, seps: &[char], steps: &[u8; 256]) -> usize {
    let bytes = before.as_bytes();
    char_steps::rfind(before, steps, |i, c| {
        seps.contains(&c)
            && !(c == ','
                && i > 0
                && bytes[i - 1].is_ascii_digit()
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
    })
    .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The sentence around a figure, at most `max` bytes each side.
fn around(st: &str, start: usize, end: usize, max: usize) -> std::ops::Range<usize> {
    let mut a = start.saturating_sub(max);
    while !st.is_char_boundary(a) {
        a += 1;
    }
    let mut b = (end + max).min(st.len());
    while !st.is_char_boundary(b) {
        b -= 1;
    }
    a..b
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
    &before[clause_start(before, &WIDE_CLAUSE_SEPS, &WIDE_CLAUSE_STEPS)..]
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

fn parse_num(s: &str) -> Option<f64> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        // Most numbers have no thousands commas: parsed in place, not copied without them.
        return if s.contains(',') {
            s.replace(',', "").parse().ok()
        } else {
            s.parse().ok()
        };
    }
    parse_cn(s)
}

/// Chinese numerals up to 9999 (十, 二十, 三百六十, 两千), with decimals after 点 (九十八点六).
fn parse_cn(s: &str) -> Option<f64> {
    if let Some((int, frac)) = s.split_once('点') {
        let digits: String = frac
            .chars()
            .map(|c| parse_cn(&c.to_string()).map(|d| char::from(b'0' + d as u8)))
            .collect::<Option<_>>()?;
        return format!("{}.{digits}", parse_cn(int)?).parse().ok();
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn figs(t: &str) -> Vec<Figure> {
        let sents = super::super::sentences::split(t, &[]);
        extract(t, &sents, &[], None)
    }

    /// The sentence-wide test that lets a figure skip its plan search holds only for a pattern
    /// without assertions; the shipped one has none.
    #[test]
    fn only_a_pattern_without_assertions_is_tested_sentence_wide() {
        assert!(asserts_nothing("下一步|力争|到20\\d\\d年"));
        assert!(!asserts_nothing("^拟"));
        assert!(!asserts_nothing("计划$"));
        assert!(!asserts_nothing("(?m)^将"));
        assert!(!asserts_nothing(r"\b计划"));
        let w = WORDS.as_ref().expect("figure wording");
        assert!(w.plan_free, "the shipped plan pattern asserts nothing");
    }

    /// A plan word far before a figure in its sentence, beyond the window, does not plan it; one
    /// inside the window does.
    #[test]
    fn a_plan_word_counts_within_the_window_only() {
        let far = format!("力争{}完成案件94件。", "，".repeat(60));
        let f = figs(&far);
        assert_eq!(f.len(), 1);
        assert!(
            !f[0].planned,
            "力争 is {} bytes before the figure",
            far.find("94").unwrap_or(0)
        );
        let near = figs("全年力争完成案件94件。");
        assert_eq!(near.len(), 1);
        assert!(near[0].planned);
        let none = figs("全年完成案件94件。");
        assert!(!none[0].planned);
    }

    fn one(t: &str) -> (f64, String, bool, Option<&'static str>) {
        let f = figs(t);
        assert_eq!(f.len(), 1, "{t}: {f:?}");
        (
            f[0].value,
            f[0].unit.to_string(),
            f[0].approximate,
            f[0].metric,
        )
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
        assert_eq!(parse_cn("九十八点六"), Some(98.6));
        assert_eq!(parse_cn("百"), Some(100.0));
        assert_eq!(
            one("出庭应诉率百分之九十八点六。"),
            (
                98.6,
                "%".into(),
                false,
                Some("admin_litigation_appearance_rate")
            )
        );
    }

    #[test]
    fn the_grammar_reads_subjects_outwards() {
        // The clause across a 、 list.
        assert_eq!(
            one("全年调处山林权属、宅基地和邻里纠纷60余起。").3,
            Some("mediation_disputes")
        );
        // The subject in the clause before, the own clause only counting or naming it short.
        let f = figs("开展合法性审查213件,提出意见356条,审查率100%。");
        assert_eq!(f[2].metric, Some("legality_review_rate"));
        let f = figs("以我委为被申请人的行政复议案件,全年收到七件,维持五件。");
        assert_eq!(
            (f[0].value, f[0].metric),
            (7.0, Some("admin_reconsideration_cases"))
        );
        assert_eq!(
            f[1].metric, None,
            "维持五件 is a decision, not cases received"
        );
        let f = figs("一审行政诉讼案件较上年增长5.2%,达到3.41万件。");
        assert_eq!(
            (f[0].metric, f[1].value, f[1].metric),
            (None, 34100.0, Some("admin_litigation_cases"))
        );
        // Comparisons: the earlier value and a change are no values; ranges neither.
        let f = figs("网上可办率由2023年的92.3%提高到98.6%。");
        assert_eq!(
            (f[0].metric, f[1].metric),
            (None, Some("online_service_rate"))
        );
        let f = figs("各乡镇调解成功率在96.1%—99.4%之间,平均调解成功率为98.4%。");
        assert_eq!(
            f.iter().map(|x| x.metric.is_some()).collect::<Vec<_>>(),
            vec![false, false, true]
        );
        // 分别: the i-th number counts the i-th thing.
        let f = figs("新收行政复议案件、一审行政诉讼案件分别为1,126件、684件。");
        assert_eq!(
            f.iter().map(|x| (x.value, x.metric)).collect::<Vec<_>>(),
            vec![
                (1126.0, Some("admin_reconsideration_cases")),
                (684.0, Some("admin_litigation_cases"))
            ]
        );
        // A classifier counts the noun after it.
        assert_eq!(one("法律援助工作站延伸至全部17个安置社区。").3, None);
        // … and binds where that noun is one of the metric's things (援助 of legal aid).
        assert_eq!(
            one("办理法律援助案件，共受理17个援助申请。").3,
            Some("legal_aid_cases")
        );
        // 拟 describing a thing is no plan.
        assert!(!figs("对拟签订的合同开展合法性审查53件。")[0].planned);
        assert!(figs("拟于明年开展合法性审查60件。")[0].planned);
    }
}
