//! Who issued the report and at what level: organisation names, place chains, the signature,
//! the title and the opening sentence (traditional characters folded for the level words).

use super::year::YEAR;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{IssuerBasis, Level, RemovedLine};
use crate::wording::MetaWords;

/// The wording of metadata (`[meta]` in `checklists/parse-rules.toml`); empty lists when the
/// data failed to load, which the parser reports as an error before it gets here.
pub(super) fn words() -> &'static MetaWords {
    static EMPTY: LazyLock<MetaWords> = LazyLock::new(MetaWords::default);
    crate::wording::wording().map_or(&EMPTY, |w| &w.meta)
}

pub(super) fn is_org_suffix(s: &str) -> bool {
    words().org_suffixes.iter().any(|x| s.ends_with(x.as_str()))
}

pub(super) fn is_org_line(l: &str) -> bool {
    let n = l.chars().count();
    (3..=40).contains(&n)
        && !l.chars().any(|c| "。,;:、!?()《》“”".contains(c))
        && l.split(' ')
            .filter(|s| !s.is_empty())
            .all(|p| is_org_suffix(p) || place_chain(p).1 == p.len())
}

/// Consecutive place tokens at the start of `s`: (tokens, bytes consumed).
pub(super) fn place_chain(s: &str) -> (Vec<&str>, usize) {
    let mut pos = 0;
    let mut toks = Vec::new();
    let s2 = s.strip_prefix(words().party_prefix.as_str()).unwrap_or(s);
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

pub(super) fn is_org(s: &str) -> bool {
    let s = simp(s);
    is_org_suffix(&s)
}

pub(super) fn find_issuer(
    title: Option<&str>,
    removed: &[RemovedLine],
    signature: Option<&str>,
    text: &str,
) -> Option<(String, IssuerBasis)> {
    use IssuerBasis::*;
    // 1. 发布机构 in a metadata block.
    for r in removed {
        let label = words().issuer_label.as_str();
        if let Some(p) = r.text.find(label) {
            let rest = r.text[p + label.len()..].trim_start_matches([':', ' ']);
            let v: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            if v.chars().count() >= 3 {
                return Some((v, PublishedBy));
            }
        }
    }
    let t = title.and_then(title_prefix);
    let sig = signature.filter(|s| !s.is_empty());
    // 2. An organisation named by the title — in the signature's fuller form when the signature
    //    names the same body (苇亭区司法局 → 楮川市苇亭区司法局, 开发区管委会 → 开发区管理委员会).
    if let Some(t) = &t
        && is_org(t)
        && place_chain(t).1 < t.len()
    {
        if let Some(s) = sig
            && fuller_name_of(s, t)
        {
            return Some((s.to_string(), Signature));
        }
        return Some((t.clone(), Title));
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
                return Some((format!("{head}{s}"), Signature));
            }
        }
        return Some((s.to_string(), Signature));
    }
    // 4. The place the title names, as the body the text names it by (棣华街道 → 棣华街道办事处).
    if let Some(t) = t {
        return Some((body_of_place(&t, text).unwrap_or(t), Title));
    }
    // 5. A 来源 line.
    for r in removed {
        let label = words().source_label.as_str();
        if let Some(p) = r.text.find(label) {
            let rest = r.text[p + label.len()..].trim_start_matches([':', ' ']);
            let v: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
            if v.chars().count() >= 3 && (is_org(&v) || place_chain(&v).1 > 0) {
                return Some((v, SourceLine));
            }
        }
    }
    // 6. The place the opening sentence is about, in its longest form in the text.
    opening_place(text).map(|p| (body_of_place(&p, text).unwrap_or(p), Opening))
}

/// True when `full` names the body `short` names, at greater length: the same name with its
/// parent places before it, or with a short form (`[meta] short_forms`) written out.
fn fuller_name_of(full: &str, short: &str) -> bool {
    if full.chars().count() <= short.chars().count() {
        return false;
    }
    let written_out = words()
        .short_forms
        .iter()
        .fold(short.to_string(), |t, [s, long]| {
            if t.ends_with(s.as_str()) && !t.ends_with(long.as_str()) {
                format!("{}{long}", &t[..t.len() - s.len()])
            } else {
                t
            }
        });
    full.ends_with(short) || full.ends_with(&written_out)
}

/// The place's government body as the text names it: the place followed at once by one of
/// `place_bodies` (人民政府, 街道办事处, 管理委员会…), the first such naming in the text.
fn body_of_place(place: &str, text: &str) -> Option<String> {
    if place.is_empty() || is_org(place) {
        return None;
    }
    text.match_indices(place).find_map(|(at, _)| {
        let rest = &text[at + place.len()..];
        words()
            .place_bodies
            .iter()
            .find(|b| rest.starts_with(b.as_str()))
            .map(|b| format!("{place}{b}"))
    })
}

pub(super) fn opening_place(text: &str) -> Option<String> {
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
pub(super) fn simp(s: &str) -> String {
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
    let w = words();
    let committee = name.ends_with(w.committee_suffix.as_str())
        && !crate::wording::contains_any(name, &w.not_department_committees);
    if w.department_suffixes
        .iter()
        .any(|s| name.ends_with(s.as_str()))
        || committee
    {
        return Some(Level::Department);
    }
    if crate::wording::contains_any(name, &w.street_words) {
        return Some(Level::Street);
    }
    let (toks, _) = place_chain(name);
    if let Some(last) = toks.last()
        && (last.ends_with('镇') || last.ends_with('乡'))
    {
        return Some(Level::Township);
    }
    if crate::wording::contains_any(name, &w.zone_words) {
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

/// One place-name token: a name ending in an administrative unit.
pub(super) static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[^\s\p{P}\d委政府局办会党中共人民在的和与及对把将为了关于年月日是以了]{1,10}?(?:自治区|自治區|自治州|街道|省|市|县|縣|旗|盟|区|區|镇|鎮|乡|鄉)")
        .unwrap_or_else(|_| unreachable!())
});

/// The issuer named at the head of the title, e.g. 澄溪县人民政府关于… → 澄溪县人民政府; a bare
/// place (赣州蓉江新区2023年度…) is returned as is. `None` when the title opens otherwise.
pub(super) fn title_prefix(original: &str) -> Option<String> {
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
