//! Report metadata: title, issuer and level, year reported on, publication date, document
//! number and addressee. General rules only; the harness runs on reports we have not seen.

use super::dates::{ISO_DATE, parse_date_anywhere};
use crate::lines::lines;
use crate::model::{Date, DateSource, Level, Metadata, RemovedLine, Section};
use crate::wording::MetaWords;
use regex::Regex;
use std::sync::LazyLock;

static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(20\d\d|19\d\d)年").unwrap_or_else(|_| unreachable!()));
static DOC_NO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}]{1,10}[〔\[【(]((?:19|20)\d\d)[〕\]】)]\s*\d{1,4}\s*号")
        .unwrap_or_else(|_| unreachable!())
});
/// One place-name token: a name ending in an administrative unit.
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^\s\p{P}\d委政府局办会党中共人民在的和与及对把将为了关于年月日是以了]{1,10}?(?:自治区|自治區|自治州|街道|省|市|县|縣|旗|盟|区|區|镇|鎮|乡|鄉)")
        .unwrap_or_else(|_| unreachable!())
});

/// The wording of metadata (`[meta]` in `checklists/parse-rules.toml`); empty lists when the
/// data failed to load, which the parser reports as an error before it gets here.
fn words() -> &'static MetaWords {
    static EMPTY: LazyLock<MetaWords> = LazyLock::new(|| MetaWords {
        org_suffixes: Vec::new(),
        addressee_words: Vec::new(),
        title_labels: Vec::new(),
        title_issuer_ends: Vec::new(),
    });
    crate::wording::wording().map_or(&EMPTY, |w| &w.meta)
}

fn is_org_suffix(s: &str) -> bool {
    words().org_suffixes.iter().any(|x| s.ends_with(x.as_str()))
}

/// A line that is nothing but a date (a signature date).
fn date_only(line: &str) -> Option<Date> {
    let l = line.trim();
    if l.chars().count() > 20 {
        return None;
    }
    let d = parse_date_anywhere(l)?;
    let rest: String = l
        .chars()
        .filter(|c| !c.is_ascii_digit() && !"年月日-/.〇○零一二三四五六七八九十 ".contains(*c))
        .collect();
    rest.is_empty().then_some(d)
}

/// Extracts metadata from the body, the removed furniture and the outline.
pub fn extract(text: &str, removed: &[RemovedLine], sections: &[Section]) -> Metadata {
    extract_full(text, removed, sections).0
}

/// As [`extract`], also saying whether the title was inferred from the opening sentence (so
/// genre rules must not read it as a headline).
pub fn extract_full(text: &str, removed: &[RemovedLine], sections: &[Section]) -> (Metadata, bool) {
    let body_lines: Vec<&str> = lines(text).map(|x| x.1).collect();
    let (title, inferred) = match find_title(&body_lines, removed, sections) {
        Some((t, inferred)) => (Some(t), inferred),
        None => (None, false),
    };
    let published_date = find_published(&body_lines, removed);
    let signature = find_signature(&body_lines);
    let issuer = find_issuer(
        title.as_deref(),
        removed,
        signature.as_ref().map(|s| s.0.as_str()),
        text,
    );
    let level = issuer.as_deref().and_then(level_of);
    let year = find_year(title.as_deref(), text, published_date.map(|d| d.0));
    let document_number = find_doc_no(removed, &body_lines);
    let addressee = body_lines.iter().take(8).find_map(|l| addressee(l));
    let meta = Metadata {
        title,
        issuer,
        level,
        year,
        published_date,
        document_number,
        addressee,
    };
    (meta, inferred)
}

fn addressee(l: &str) -> Option<String> {
    let s = l.trim().strip_suffix(':')?;
    let n = s.chars().count();
    if !(2..=60).contains(&n) || s.contains('。') {
        return None;
    }
    crate::wording::contains_any(s, &words().addressee_words).then(|| s.to_string())
}

fn titleish(l: &str) -> bool {
    let n = l.chars().count();
    (6..=90).contains(&n)
        && !l.contains('。')
        && [
            "报告", "方案", "要点", "通知", "计划", "规划", "解读", "会议", "情况", "总结", "意见",
            "召开", "工作",
        ]
        .iter()
        .any(|k| l.contains(k))
}

fn find_title(
    body: &[&str],
    removed: &[RemovedLine],
    _sections: &[Section],
) -> Option<(String, bool)> {
    // The first title-like line among the first few, joining a title split over two lines.
    for (i, l) in body.iter().take(4).enumerate() {
        let l = l.trim();
        if addressee(l).is_some() {
            break;
        }
        if titleish(l) && crate::lines::heading_marker(l).is_none() {
            if i > 0 {
                let prev = body[i - 1].trim();
                let pn = prev.chars().count();
                if (2..=30).contains(&pn)
                    && !prev.contains('。')
                    && !titleish(prev)
                    && date_only(prev).is_none()
                {
                    return Some((format!("{prev} {l}"), false));
                }
            }
            if let Some(next) = body.get(i + 1) {
                let next = next.trim();
                let nn = next.chars().count();
                if !l.contains("报告")
                    && !l.contains("方案")
                    && !l.contains("要点")
                    && (2..=40).contains(&nn)
                    && titleish(next)
                {
                    return Some((format!("{l}{next}"), false));
                }
            }
            return Some((l.to_string(), false));
        }
    }
    // A 标题 entry in a metadata block.
    for r in removed {
        let t = r.text.trim();
        for key in &words().title_labels {
            if let Some(rest) = t.strip_prefix(key.as_str()) {
                let rest = rest.trim_start_matches([':', ' ']).trim();
                let v = rest.split("  ").next().unwrap_or(rest);
                let v = v.split(" 有效性").next().unwrap_or(v).trim();
                if !v.is_empty() {
                    return Some((v.to_string(), false));
                }
            }
        }
    }
    // Inferred from the opening sentence.
    let first = body.iter().find(|l| !l.trim().is_empty())?;
    let end = first.find(['。', ';', '!', '?']).unwrap_or(first.len());
    let t: String = first[..end].chars().take(60).collect();
    (!t.is_empty()).then_some((t, true))
}

fn find_published(body: &[&str], removed: &[RemovedLine]) -> Option<(Date, DateSource)> {
    let all = removed
        .iter()
        .map(|r| r.text.as_str())
        .chain(body.iter().take(12).copied());
    let mut block = None;
    for l in all {
        for key in [
            "发布时间",
            "发布日期",
            "日期:",
            "日期 ",
            "发文日期",
            "公开日期",
            "时间:",
        ] {
            if let Some(p) = l.find(key) {
                // 生成日期 / 成文日期 are not publication lines.
                let before = &l[..p];
                if before.ends_with("生成") || before.ends_with("成文") {
                    continue;
                }
                if let Some(d) = parse_date_anywhere(&l[p..]) {
                    return Some((d, DateSource::PublishedLine));
                }
            }
        }
        // A news header line that opens with the date: "2024-03-22 18:36 来源:…".
        if l.contains("来源")
            && let Some(d) = ISO_DATE
                .find(l)
                .filter(|m| m.start() == 0)
                .and_then(|m| parse_date_anywhere(m.as_str()))
        {
            return Some((d, DateSource::PublishedLine));
        }
        if block.is_none()
            && let Some(p) = l.find("生成日期")
            && let Some(d) = parse_date_anywhere(&l[p..])
        {
            block = Some(d);
        }
    }
    if let Some(d) = block {
        return Some((d, DateSource::MetadataBlock));
    }
    find_signature(body)
        .and_then(|s| s.1)
        .map(|d| (d, DateSource::Signature))
}

/// The signature: org lines right before the last date-only line (or ending the body).
fn find_signature(body: &[&str]) -> Option<(String, Option<Date>)> {
    let idx = body.iter().rposition(|l| date_only(l).is_some());
    let (end, date) = match idx {
        Some(i) => (i, date_only(body[i])),
        None => (body.len(), None),
    };
    let mut orgs: Vec<&str> = Vec::new();
    let mut j = end;
    while j > 0 && orgs.len() < 3 {
        let l = body[j - 1].trim();
        if is_org_line(l) {
            orgs.push(l);
            j -= 1;
        } else {
            break;
        }
    }
    orgs.reverse();
    if orgs.is_empty() {
        return date
            .map(|d| (String::new(), Some(d)))
            .filter(|_| idx.is_some_and(|i| i + 6 >= body.len()));
    }
    // Multiple orgs on one line separated by spaces also count as joint issuers.
    let joined: Vec<String> = orgs
        .iter()
        .flat_map(|l| l.split(' ').filter(|s| !s.is_empty()).map(str::to_string))
        .collect();
    Some((joined.join("、"), date))
}

fn is_org_line(l: &str) -> bool {
    let n = l.chars().count();
    (3..=40).contains(&n)
        && !l.chars().any(|c| "。,;:、!?()《》“”".contains(c))
        && l.split(' ')
            .filter(|s| !s.is_empty())
            .all(|p| is_org_suffix(p) || place_chain(p).1 == p.len())
}

/// Consecutive place tokens at the start of `s`: (tokens, bytes consumed).
fn place_chain(s: &str) -> (Vec<&str>, usize) {
    let mut pos = 0;
    let mut toks = Vec::new();
    let s2 = s.strip_prefix("中共").unwrap_or(s);
    let off = s.len() - s2.len();
    while let Some(m) = PLACE.find(&s2[pos..]) {
        if m.as_str().chars().count() < 2 {
            break;
        }
        toks.push(&s2[pos..pos + m.end()]);
        pos += m.end();
    }
    (toks, if pos == 0 { 0 } else { off + pos })
}

/// The issuer named at the head of the title, e.g. 澄溪县人民政府关于… → 澄溪县人民政府; a bare
/// place (赣州蓉江新区2023年度…) is returned as is. `None` when the title opens otherwise.
fn title_prefix(original: &str) -> Option<String> {
    // Work on a simplified copy (same byte offsets) so traditional titles parse too.
    let simplified = simp(original);
    let title = simplified.as_str();
    let mut cut = title.len();
    for k in &words().title_issuer_ends {
        if let Some(p) = title.find(k.as_str()) {
            cut = cut.min(p);
        }
    }
    if let Some(m) = YEAR.find(title) {
        cut = cut.min(m.start());
    }
    let p = title[..cut].trim();
    if p.is_empty() || p.contains(' ') || p.contains('《') || p.chars().count() > 40 {
        return None;
    }
    let (toks, used) = place_chain(p);
    if toks.is_empty() {
        return None;
    }
    let rest = &p[used..];
    if rest.is_empty() || is_org_suffix(rest) {
        let start = p.as_ptr() as usize - title.as_ptr() as usize;
        original.get(start..start + p.len()).map(str::to_string)
    } else {
        None
    }
}

fn is_org(s: &str) -> bool {
    let s = simp(s);
    is_org_suffix(&s)
}

fn find_issuer(
    title: Option<&str>,
    removed: &[RemovedLine],
    signature: Option<&str>,
    text: &str,
) -> Option<String> {
    // 1. 发布机构 in a metadata block.
    for r in removed {
        if let Some(p) = r.text.find("发布机构") {
            let rest = r.text[p + "发布机构".len()..].trim_start_matches([':', ' ']);
            let v: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            if v.chars().count() >= 3 {
                return Some(v);
            }
        }
    }
    let t = title.and_then(title_prefix);
    let sig = signature.filter(|s| !s.is_empty());
    // 2. An organisation named by the title.
    if let Some(t) = &t
        && is_org(t)
        && place_chain(t).1 < t.len()
    {
        return Some(t.clone());
    }
    // 3. The signature, completed with the title's place when it repeats only its tail.
    if let Some(s) = sig {
        if let Some(t) = &t {
            let (toks, _) = place_chain(t);
            if let Some(last) = toks.last()
                && s.starts_with(last)
                && !s.contains(t.as_str())
            {
                let head = &t[..t.len() - last.len()];
                return Some(format!("{head}{s}"));
            }
        }
        return Some(s.to_string());
    }
    // 4. The place the title names.
    if let Some(t) = t {
        return Some(t);
    }
    // 5. A 来源 line.
    for r in removed {
        if let Some(p) = r.text.find("来源") {
            let rest = r.text[p + "来源".len()..].trim_start_matches([':', ' ']);
            let v: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            if v.chars().count() >= 3 && (is_org(&v) || place_chain(&v).1 > 0) {
                return Some(v);
            }
        }
    }
    // 6. The place the opening sentence is about, in its longest form in the text.
    opening_place(text)
}

fn opening_place(text: &str) -> Option<String> {
    let first = text.lines().next()?;
    let sentence = first.split('。').next().unwrap_or(first);
    // Try each clause start.
    let mut place: Option<&str> = None;
    for clause in sentence.split([',', ';', ':']).take(8) {
        let (toks, used) = place_chain(clause.trim());
        if !toks.is_empty() && used > 0 {
            place = toks.last().copied();
            break;
        }
        // "近年来,石峰区认真…": the token may follow a leading phrase.
        for (i, _) in clause.char_indices().take(6) {
            let (toks, _) = place_chain(&clause[i..]);
            if let Some(t) = toks.first()
                && t.chars().count() >= 3
            {
                place = Some(t);
                break;
            }
        }
        if place.is_some() {
            break;
        }
    }
    let place = place?;
    // Longest "X市石峰区" form anywhere in the text: a place chain ending right before `place`.
    let mut best: Option<&str> = None;
    for (at, _) in text.match_indices(place) {
        let head = &text[..at];
        if !(head.ends_with('市') || head.ends_with('省')) {
            continue;
        }
        // Up to 8 characters back.
        let starts: Vec<usize> = head.char_indices().rev().take(8).map(|(i, _)| i).collect();
        for st in starts.into_iter().rev() {
            let cand = &text[st..at + place.len()];
            if place_chain(cand).1 == cand.len() {
                if best.is_none_or(|b| cand.len() > b.len()) {
                    best = Some(cand);
                }
                break;
            }
        }
    }
    Some(best.unwrap_or(place).to_string())
}

/// Traditional → simplified for the characters that decide levels (same UTF-8 length).
fn simp(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '縣' => '县',
            '區' => '区',
            '鄉' => '乡',
            '鎮' => '镇',
            '開' => '开',
            '發' => '发',
            '辦' => '办',
            '處' => '处',
            '會' => '会',
            '員' => '员',
            '廳' => '厅',
            '經' => '经',
            '範' => '范',
            '試' => '试',
            '驗' => '验',
            '園' => '园',
            '設' => '设',
            '關' => '关',
            '於' => '于',
            '報' => '报',
            '黨' => '党',
            '產' => '产',
            '業' => '业',
            '術' => '术',
            _ => c,
        })
        .collect()
}

/// Administrative level from the issuer's name.
pub fn level_of(issuer: &str) -> Option<Level> {
    let name = issuer.split('、').next_back().unwrap_or(issuer);
    let simplified = simp(name.trim());
    let name = simplified.as_str();
    if (name.ends_with('局') || name.ends_with('厅'))
        || (name.ends_with("委员会") && !name.contains("管理委员会") && !name.contains("依法治"))
    {
        return Some(Level::Department);
    }
    if name.contains("街道") {
        return Some(Level::Street);
    }
    let (toks, _) = place_chain(name);
    if let Some(last) = toks.last()
        && (last.ends_with('镇') || last.ends_with('乡'))
    {
        return Some(Level::Township);
    }
    if [
        "新区",
        "开发区",
        "高新区",
        "经开区",
        "园区",
        "示范区",
        "试验区",
        "管委会",
        "管理委员会",
        "保税区",
        "自贸区",
    ]
    .iter()
    .any(|k| name.contains(k))
    {
        return Some(Level::Zone);
    }
    let last = toks.last()?;
    Some(if last.ends_with("自治区") || last.ends_with('省') {
        Level::Province
    } else if last.ends_with('区') {
        Level::District
    } else if last.ends_with('县') || last.ends_with('旗') {
        Level::County
    } else if last.ends_with('市') || last.ends_with('州') || last.ends_with('盟') {
        Level::City
    } else if last.ends_with('镇') || last.ends_with('乡') {
        Level::Township
    } else {
        return None;
    })
}

static YEAR_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d\d)\s*(?:年)?\s*[—–\-~～至到]\s*((?:19|20)\d\d)\s*年")
        .unwrap_or_else(|_| unreachable!())
});

fn find_year(title: Option<&str>, text: &str, published: Option<Date>) -> Option<i32> {
    // A multi-year plan (实施方案（2021—2025年）): the year it was issued.
    if let Some(t) = title
        && let Some(c) = YEAR_RANGE.captures(t)
        && let (Ok(a), Ok(b)) = (c[1].parse::<i32>(), c[2].parse::<i32>())
    {
        return Some(match published {
            Some(d) if (a - 1..=b).contains(&d.year) => d.year,
            _ => a,
        });
    }
    if let Some(t) = title
        && let Some(c) = YEAR.captures(t)
        && let Ok(y) = c[1].parse::<i32>()
    {
        return Some(y);
    }
    // "2023年，…" opening, or "2023年度" early in the text.
    for l in text.lines().take(6) {
        let l = l.trim();
        if let Some(c) = YEAR.captures(l)
            && c.get(0).is_some_and(|m| m.start() == 0)
            && let Ok(y) = c[1].parse::<i32>()
        {
            return Some(y);
        }
    }
    // The year mentioned most often outside 《》 and dates.
    let mut counts: std::collections::BTreeMap<i32, usize> = Default::default();
    for c in YEAR.captures_iter(text) {
        if let Ok(y) = c[1].parse::<i32>() {
            *counts.entry(y).or_default() += 1;
        }
    }
    let best = counts
        .iter()
        .max_by_key(|(y, n)| (**n, **y))
        .map(|(y, _)| *y);
    best.or(published.map(|d| d.year - 1))
}

fn find_doc_no(removed: &[RemovedLine], body: &[&str]) -> Option<String> {
    removed
        .iter()
        .map(|r| r.text.as_str())
        .chain(body.iter().take(10).copied())
        .find_map(|l| {
            DOC_NO
                .find(l)
                .map(|m| m.as_str().trim_start_matches("文号").to_string())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Option<Date> {
        Some(Date {
            year: y,
            month: m,
            day,
        })
    }

    #[test]
    fn date_forms() {
        assert_eq!(
            parse_date_anywhere("发布日期:2024-01-31 10:13:00"),
            d(2024, 1, 31)
        );
        assert_eq!(parse_date_anywhere("2023年12月28日"), d(2023, 12, 28));
        assert_eq!(parse_date_anywhere("2024年1月8日"), d(2024, 1, 8));
        assert_eq!(parse_date_anywhere("二〇二四年一月八日"), d(2024, 1, 8));
        assert_eq!(
            parse_date_anywhere("二〇二一年一月二十九日"),
            d(2021, 1, 29)
        );
        assert_eq!(parse_date_anywhere("二○二六年三月二十日"), d(2026, 3, 20));
        assert_eq!(parse_date_anywhere("2024/3/5"), d(2024, 3, 5));
        assert_eq!(parse_date_anywhere("2023年"), None);
    }

    fn rm(t: &str, kind: &'static str) -> RemovedLine {
        RemovedLine {
            text: t.into(),
            kind,
        }
    }

    #[test]
    fn published_priority() {
        let body = ["某县人民政府", "2023年12月28日"];
        let removed = [
            rm("生成日期 2024-01-08", "metadata"),
            rm("发布时间:2024-01-09 16:09", "metadata"),
        ];
        assert_eq!(
            find_published(&body, &removed),
            Some((
                Date {
                    year: 2024,
                    month: 1,
                    day: 9
                },
                DateSource::PublishedLine
            ))
        );
        assert_eq!(
            find_published(&body, &removed[..1]),
            Some((
                Date {
                    year: 2024,
                    month: 1,
                    day: 8
                },
                DateSource::MetadataBlock
            ))
        );
        assert_eq!(
            find_published(&body, &[]),
            Some((
                Date {
                    year: 2023,
                    month: 12,
                    day: 28
                },
                DateSource::Signature
            ))
        );
    }

    #[test]
    fn levels() {
        assert_eq!(level_of("罗源县人民政府"), Some(Level::County));
        assert_eq!(level_of("鹤汀市沁湖区人民政府"), Some(Level::District));
        assert_eq!(level_of("赣州蓉江新区"), Some(Level::Zone));
        assert_eq!(level_of("小王庄镇"), Some(Level::Township));
        assert_eq!(
            level_of("鹤汀市沁湖区人民政府桂荫街道办事处"),
            Some(Level::Street)
        );
        assert_eq!(level_of("澜江省人民政府"), Some(Level::Province));
        assert_eq!(level_of("岚溪县司法局"), Some(Level::Department));
        assert_eq!(
            level_of("中共枣阳市委全面依法治市委员会办公室"),
            Some(Level::City)
        );
        assert_eq!(level_of("镇江市人民政府"), Some(Level::City));
        assert_eq!(level_of("廣州市天河區人民政府"), Some(Level::District));
        assert_eq!(level_of("羅源縣人民政府"), Some(Level::County));
        assert_eq!(level_of("某某鎮人民政府"), Some(Level::Township));
        assert_eq!(level_of("某某市某某區某某街道辦事處"), Some(Level::Street));
    }

    #[test]
    fn issuer_rules() {
        assert_eq!(
            title_prefix("澄溪县人民政府关于2017年度法治政府建设情况的报告").as_deref(),
            Some("澄溪县人民政府")
        );
        assert_eq!(
            title_prefix("赣州蓉江新区2023年度法治政府建设工作情况报告").as_deref(),
            Some("赣州蓉江新区")
        );
        assert_eq!(
            title_prefix("县委全面依法治县委员会第七次会议召开 部署2024年法治岚溪建设重点工作"),
            None
        );
        let i = find_issuer(
            Some("澄溪县砚溪镇2023年度法治政府建设工作报告"),
            &[],
            Some("砚溪镇人民政府"),
            "",
        );
        assert_eq!(i.as_deref(), Some("澄溪县砚溪镇人民政府"));
        let i = find_issuer(
            Some("枣阳市2020年法治政府建设工作报告"),
            &[],
            Some("中共枣阳市委全面依法治市委员会办公室"),
            "",
        );
        assert_eq!(i.as_deref(), Some("中共枣阳市委全面依法治市委员会办公室"));
    }

    #[test]
    fn doc_number_and_addressee() {
        assert_eq!(
            find_doc_no(&[rm("文号 罗政综〔2024〕2号", "metadata")], &[]).as_deref(),
            Some("罗政综〔2024〕2号")
        );
        assert_eq!(
            addressee("福州市人民政府:").as_deref(),
            Some("福州市人民政府")
        );
    }

    #[test]
    fn signature_joint() {
        let body = ["正文。", "中共汀阳市委", "汀阳市人民政府", "2021年12月24日"];
        assert_eq!(
            find_signature(&body).map(|s| s.0).as_deref(),
            Some("中共汀阳市委、汀阳市人民政府")
        );
    }
}
