//! Figures: numbers with units (971件, 97%, 1.2万余场, 二十余, 近3000), tied to the API's metric ids by
//! their left context. Years, dates, document and article numbers are not figures.

use crate::model::{Figure, Section, Sentence};
use crate::wording::{BindWords, FigureWords};
use aho_corasick::AhoCorasick;
use regex::Regex;
use std::sync::LazyLock;

static FIG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        百分之(?P<pnum>[零〇一二三四五六七八九十百]+(?:点[零〇一二三四五六七八九]+)?)
        |
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

/// The figure wording (`[figures]` in `checklists/parse-rules.toml`) with its patterns compiled;
/// `None` when the data failed to load, which the parser reports before it gets here.
struct Words {
    w: &'static FigureWords,
    plan: Regex,
    plan_not: Regex,
    next_year_heading: Regex,
    mediation: Regex,
    earlier_value: Regex,
    change_amount: Regex,
    /// `inherit_words`, longest first (共计 before 共 and 计).
    counting: Vec<&'static str>,
    /// Every word some binding needs ([`binding_triggers`]): a sentence (with its heading)
    /// holding none of them binds no figure, so its figures skip the scopes.
    triggers: Option<AhoCorasick>,
}

static WORDS: LazyLock<Option<Words>> = LazyLock::new(|| {
    let w = &crate::wording::wording().ok()?.figures;
    Some(Words {
        w,
        plan: Regex::new(&w.plan).ok()?,
        plan_not: Regex::new(&w.plan_not).ok()?,
        next_year_heading: Regex::new(&w.next_year_heading).ok()?,
        mediation: Regex::new(&w.bind.mediation).ok()?,
        earlier_value: Regex::new(&w.earlier_value).ok()?,
        change_amount: Regex::new(&w.change_amount).ok()?,
        counting: {
            let mut c: Vec<&'static str> = w.inherit_words.iter().map(String::as_str).collect();
            c.sort_by_key(|w| std::cmp::Reverse(w.len()));
            c
        },
        triggers: binding_triggers(&w.bind).and_then(|t| AhoCorasick::new(t).ok()),
    })
});

/// Extracts figures in document order.
pub fn extract(
    text: &str,
    sentences: &[Sentence],
    sections: &[Section],
    year: Option<i32>,
) -> Vec<Figure> {
    let Some(words) = WORDS.as_ref() else {
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
    // (sentence, whether it may bind): figures come in text order, so one check per sentence.
    let mut may_bind: Option<(usize, bool)> = None;
    // One pass over the whole text (per-sentence regex calls cost more than the matching).
    for c in FIG.captures_iter(text) {
        let Some(m0) = c.get(0) else { continue };
        let Some(num0) = c.name("num").or_else(|| c.name("pnum")) else {
            continue;
        };
        // 百分之九十八点六: a rate in words.
        let in_words_pct = c.name("pnum").is_some();
        if tables.on_row(m0.start()) {
            continue;
        }
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
            let unit = if in_words_pct {
                "%"
            } else {
                c.name("unit")
                    .or_else(|| c.name("unit2"))
                    .map(|u| u.as_str())
                    .unwrap_or("")
            };
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
            let comparative = words
                .w
                .comparative
                .iter()
                .any(|k| clause.ends_with(k.as_str()) || before.ends_with(k.as_str()))
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
            let binds = match may_bind {
                Some((i, b)) if i == si => b,
                _ => {
                    let b = words
                        .triggers
                        .as_ref()
                        .is_none_or(|t| t.is_match(st) || t.is_match(topic));
                    may_bind = Some((si, b));
                    b
                }
            };
            let metric = if comparative || is_word || !binds {
                None
            } else {
                let near = Clauses {
                    clause,
                    wide,
                    right,
                };
                bind_in_scopes(words, st, topic, num.start..m.end, &near, &unit_s)
                    .filter(|id| !counts_other_noun(words, &unit_s, right, id))
            };
            out.push(Figure {
                value,
                unit: unit_s,
                raw,
                span: start..end,
                metric,
                approximate,
                // A plan cue before the figure (力争…95%), not a purpose clause after it.
                planned: section_planned || is_plan(words, window_before(st, m.start, 150)),
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
        let ctx = Ctx {
            clause: label,
            wide: label,
            right: "",
            sentence: label,
        };
        out.push(Figure {
            value: cell.value,
            unit: cell.unit.clone(),
            raw: text[cell.span.clone()].to_string(),
            span: cell.span.clone(),
            metric: bind_metric(words, &ctx, &cell.unit),
            approximate: cell.approximate,
            planned: in_next_year(sentences[si].section),
            sentence: si,
        });
    }
    out.sort_by_key(|f| f.span.start);
    out
}

/// 「A、B分别为N1、N2」: the i-th number after 分别 counts the i-th thing listed before it.
fn respectively<'a>(words: &Words, wide: &'a str) -> Option<&'a str> {
    let at = wide.rfind(words.w.respectively.as_str())?;
    let (things, numbers) = (&wide[..at], &wide[at..]);
    let i = numbers.matches('、').count();
    let items: Vec<&str> = things.split(['、', '和', '及']).collect();
    if items.len() < 2 {
        return None;
    }
    items.get(i).copied()
}

/// The words of which every binding in [`bind_metric`] needs one in its clause, sentence or
/// heading (the conjunct that names the thing counted); keep in step with its shape. `None`
/// when a rule could bind without a word (an empty `_all` list: `all` of nothing holds).
fn binding_triggers(b: &BindWords) -> Option<Vec<&str>> {
    let all_lists = [&b.appearance_rate_all, &b.legality_rate_all];
    if all_lists.iter().any(|l| l.is_empty()) || b.litigation_pairs.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut t: Vec<&str> = Vec::new();
    for list in [
        &b.appearance_rate,
        &b.appearance_rate_all,
        &b.mediation_rate,
        &b.legality_rate,
        &b.legality_rate_all,
        &b.online_rate,
        &b.online_rate_channel,
        &b.reconsideration,
        &b.litigation,
        &b.legal_aid,
        &b.filing,
        &b.legality_review,
        &b.legality_review_right,
        &b.review_verbs,
        &b.dispute_words,
        &b.certified,
        &b.case_review,
        &b.popularization,
    ] {
        t.extend(list.iter().map(String::as_str));
    }
    t.extend(b.litigation_pairs.iter().flatten().map(String::as_str));
    t.extend([
        b.normative_document.as_str(),
        b.legal_adviser.as_str(),
        b.review_contract_verb.as_str(),
        b.enforcement_staff.as_str(),
        b.lecture.as_str(),
    ]);
    // An empty word is in every text: no sentence could be ruled out.
    if t.iter().any(|w| w.is_empty()) {
        return None;
    }
    Some(t)
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

/// True when a clause holds nothing before its number but counting words (共计, 达到, 为).
fn only_counting(words: &Words, wide: &str) -> bool {
    let mut rest = wide.trim().to_string();
    for w in &words.counting {
        rest = rest.replace(w, "");
    }
    rest.trim_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation())
        .is_empty()
}

/// Binds a figure reading outwards: its clause; then the clause across 、 lists with what follows
/// the number (「调解涉企合同、劳动报酬等矛盾纠纷173件」, 「58卷行政处罚案卷逐卷评查」); then the
/// sentence before it, when its own clause only counts or names the metric short
/// (「…合法性审查213件，审查率100%」). The section heading is the sentence's topic throughout.
fn bind_in_scopes(
    words: &Words,
    st: &str,
    topic: &str,
    at: std::ops::Range<usize>,
    near: &Clauses<'_>,
    unit: &str,
) -> Option<&'static str> {
    let Clauses {
        clause,
        wide,
        right,
    } = *near;
    // The sentence, with its section's heading: a heading often names the topic its sentences
    // only count (「(三)发挥合法性审查作用」 over 「全年共审查…事项158件」).
    let sentence = &format!("{topic}|{}", around(st, at.start, at.end, 300));
    if let Some(thing) = respectively(words, wide) {
        let ctx = Ctx {
            clause: thing,
            wide: thing,
            right: "",
            sentence,
        };
        return bind_metric(words, &ctx, unit);
    }
    let narrow = Ctx {
        clause,
        wide,
        right,
        sentence,
    };
    if let Some(m) = bind_metric(words, &narrow, unit) {
        return Some(m);
    }
    let own = format!("{wide}|{right}");
    let around_it = Ctx {
        clause: &own,
        wide: &own,
        right,
        sentence,
    };
    if let Some(m) = bind_metric(words, &around_it, unit) {
        return Some(m);
    }
    if words
        .w
        .bind
        .subset
        .iter()
        .any(|k| wide.starts_with(k.as_str()))
    {
        return None;
    }
    let earlier = format!("{}|{right}", window_before(st, at.start, 240));
    let from_sentence = Ctx {
        clause: &earlier,
        wide: &earlier,
        right,
        sentence,
    };
    let m = bind_metric(words, &from_sentence, unit)?;
    if only_counting(words, wide) {
        return Some(m);
    }
    let cues = words.w.cue.get(m)?;
    cues.iter().any(|c| own.contains(c.as_str())).then_some(m)
}

/// A classifier followed by a noun counts that noun (「7个安置社区」): the figure reports a metric
/// only when that noun is one of the metric's things.
fn counts_other_noun(words: &Words, unit: &str, right: &str, metric: &str) -> bool {
    let classifier = words.w.classifier_units.iter().any(|u| u == unit);
    if !classifier || !right.starts_with(|c: char| crate::normalize::is_cjk(c)) {
        return false;
    }
    !words
        .w
        .cue
        .get(metric)
        .is_some_and(|cues| cues.iter().any(|c| right.contains(c.as_str())))
}

/// The clause before the number (after the last , ; 、 or :), at most 40 bytes of context.
fn left_clause(before: &str) -> &str {
    &before[clause_start(before, &[',', ';', '、', ':', '。', '(', '，', '；'])..]
}

/// Where the clause ending `before` starts: after the last separator, where a comma between
/// digits (1,126) separates thousands, not clauses.
fn clause_start(before: &str, seps: &[char]) -> usize {
    let bytes = before.as_bytes();
    before
        .char_indices()
        .rev()
        .find(|&(i, c)| {
            seps.contains(&c)
                && !(c == ','
                    && i > 0
                    && bytes[i - 1].is_ascii_digit()
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        })
        .map_or(0, |(i, c)| i + c.len_utf8())
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
    &before[clause_start(before, &[',', ';', ':', '。', '，', '；'])..]
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

/// The text around a figure: its clause (split at 、 too), the clause across lists, what follows.
#[derive(Clone, Copy)]
struct Clauses<'a> {
    clause: &'a str,
    wide: &'a str,
    right: &'a str,
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

/// The metric id for a figure, from the clause before it (and the sentence for domain). The
/// rules' shape is here; every word they test is `[figures.bind]` in the parser's wording.
fn bind_metric(words: &Words, ctx: &Ctx<'_>, unit: &str) -> Option<&'static str> {
    let b: &BindWords = &words.w.bind;
    let clause = ctx.clause;
    let sentence = ctx.sentence;
    let has = |k: &str| clause.contains(k);
    let any = |ks: &[String]| ks.iter().any(|k| clause.contains(k.as_str()));
    let all = |ks: &[String]| ks.iter().all(|k| clause.contains(k.as_str()));
    let wide_any = |ks: &[String]| ks.iter().any(|k| ctx.wide.contains(k.as_str()));
    let wide = |k: &str| ctx.wide.contains(k);
    let right_any = |ks: &[String]| ks.iter().any(|k| ctx.right.contains(k.as_str()));
    let sentence_any = |ks: &[String]| ks.iter().any(|k| sentence.contains(k.as_str()));
    let unit_in = |us: &[String]| us.iter().any(|u| u == unit);
    if unit == "%" {
        if any(&b.appearance_rate) || all(&b.appearance_rate_all) {
            return Some("admin_litigation_appearance_rate");
        }
        if any(&b.mediation_rate) && (words.mediation.is_match(sentence) || has(&b.mediation_word))
        {
            return Some("mediation_success_rate");
        }
        if (any(&b.legality_rate) || all(&b.legality_rate_all)) && !any(&b.legality_rate_not) {
            return Some("legality_review_rate");
        }
        if any(&b.online_rate) || (any(&b.online_rate_channel) && any(&b.online_rate_ratio)) {
            return Some("online_service_rate");
        }
        return None;
    }
    if unit.is_empty() || unit == "个百分点" || !unit_in(&b.count_units) {
        return None;
    }
    let case_unit = unit_in(&b.case_units);
    let concluded = any(&b.concluded);
    let subset = wide_any(&b.subset);
    if case_unit && any(&b.reconsideration) && !concluded && !any(&b.reconsideration_not) && !subset
    {
        return Some("admin_reconsideration_cases");
    }
    if case_unit
        && (any(&b.litigation) || b.litigation_pairs.iter().any(|p| all(p)))
        && !concluded
        && !any(&b.litigation_not)
        && !subset
    {
        return Some("admin_litigation_cases");
    }
    if case_unit && any(&b.legal_aid) && !any(&b.legal_aid_not) {
        return Some("legal_aid_cases");
    }
    let filing = any(&b.filing);
    let normative = b.normative_document.as_str();
    if unit_in(&b.filing_units)
        && (filing && (has(normative) || sentence.contains(normative))
            || (has(normative) && !any(&b.normative_not) && sentence_any(&b.filing)))
    {
        return Some("normative_documents_filed");
    }
    let legality_object = wide_any(&b.legality_objects);
    if (unit_in(&b.legality_units) || (unit == "个" && has(&b.legality_word)))
        && (any(&b.legality_review)
            || right_any(&b.legality_review_right)
            || (wide_any(&b.review_verbs)
                && legality_object
                && sentence.contains(b.legality_word.as_str()))
            || (has(&b.legal_adviser) && any(&b.review_verbs))
            || (wide(&b.review_contract_verb)
                && wide_any(&b.contracts)
                && sentence.contains(b.legal_adviser.as_str())
                && !wide(&b.drafting)))
        && !wide_any(&b.legality_not)
        && !filing
    {
        return Some("legality_reviews");
    }
    if unit_in(&b.mediation_units)
        && words.mediation.is_match(clause)
        && any(&b.dispute_words)
        && !any(&b.mediation_not)
    {
        return Some("mediation_disputes");
    }
    if unit_in(&b.staff_units)
        && (any(&b.certified)
            || (has(&b.enforcement_staff) && sentence.contains(b.certified_sentence.as_str())))
        && !any(&b.certified_not)
    {
        return Some("certified_enforcement_staff");
    }
    if unit_in(&b.file_units)
        && (any(&b.case_review)
            || (b
                .case_file_heads
                .iter()
                .any(|h| ctx.right.starts_with(h.as_str()))
                && sentence_any(&b.case_review)))
    {
        return Some("case_files_reviewed");
    }
    if unit_in(&b.event_units)
        && (any(&b.popularization) || (has(&b.lecture) && sentence_any(&b.lecture_sentence)))
        && !any(&b.popularization_not)
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
        // 拟 describing a thing is no plan.
        assert!(!figs("对拟签订的合同开展合法性审查53件。")[0].planned);
        assert!(figs("拟于明年开展合法性审查60件。")[0].planned);
    }
}
