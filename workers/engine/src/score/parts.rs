//! The 督察规定 第二十五条 parts: headings first (parser sections, then short heading-like lines the
//! parser may have missed), passages second. Also decides each sentence's [`Region`]: text under
//! shortcomings or next-year parts is not achievement.

use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::rules::Rules;

use super::text::{Region, Sent, View};
use crate::text_pass::Cue;

pub(crate) const MEASURES: u8 = 1;
pub(crate) const SHORTCOMINGS: u8 = 2;
pub(crate) const FIRST_RESPONSIBLE: u8 = 4;
pub(crate) const NEXT_YEAR: u8 = 8;
pub(crate) const OTHER: u8 = 16;

/// Heading-like lines considered at most (hostile input with thousands of them).
const MAX_LINE_MARKERS: usize = 64;

pub(crate) const PART_IDS: [(&str, u8); 5] = [
    ("measures", MEASURES),
    ("shortcomings", SHORTCOMINGS),
    ("first_responsible", FIRST_RESPONSIBLE),
    ("next_year", NEXT_YEAR),
    ("other", OTHER),
];

/// A heading or passage that opens a part.
#[derive(Debug, Clone)]
pub(crate) struct Marker {
    pub parts: u8,
    /// The heading line (or the passage's first sentence).
    pub head: Range<usize>,
    /// Text the part governs (heading included).
    pub region: Range<usize>,
    /// For merged shortcomings + next-year parts: where the plan begins.
    pub split: Option<usize>,
    pub by_heading: bool,
    pub section: Option<usize>,
}

/// Result for one required part.
#[derive(Debug, Clone, Default)]
pub(crate) struct PartFinding {
    pub present: bool,
    pub by_heading: bool,
    /// Byte span of the evidence (heading or passage sentence) and its section.
    pub evidence: Vec<(Range<usize>, Option<usize>)>,
    /// Body sentence indices (no headings).
    pub body: Vec<usize>,
    /// Heading present but body hollow (shortcomings only).
    pub hollow: bool,
    /// Causes stated (shortcomings only).
    pub causes: bool,
}

pub(crate) struct Parts {
    pub markers: Vec<Marker>,
    pub found: [PartFinding; 5],
}

impl Parts {
    pub fn get(&self, flag: u8) -> &PartFinding {
        let i = PART_IDS.iter().position(|(_, f)| *f == flag).unwrap_or(0);
        &self.found[i]
    }
}

/// Heading cues of every part in one automaton: pattern → part flag (FILL = the rules'
/// `remedy_heading` words such as 补齐短板, which cancel SHORTCOMINGS).
const FILL: u8 = 128;

static HEADING_CUES: LazyLock<Option<(AhoCorasick, Vec<u8>)>> = LazyLock::new(|| {
    let rules = crate::rules::rules().ok()?;
    let mut pats: Vec<String> = Vec::new();
    let mut flags: Vec<u8> = Vec::new();
    let mut add = |p: &str, f: u8| {
        for v in crate::normalize::width_variants(p) {
            match pats.iter().position(|x| *x == v) {
                Some(i) => flags[i] |= f,
                None => {
                    pats.push(v);
                    flags.push(f);
                }
            }
        }
    };
    for (id, f) in PART_IDS {
        if let Some(p) = rules.part(id) {
            for h in &p.heading {
                add(h, f);
            }
        }
    }
    for h in &rules.passages.remedy_heading {
        add(h, FILL);
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&pats)
        .ok()?;
    Some((ac, flags))
});

/// Classifies a heading's text into part flags.
pub(crate) fn classify(title: &str, year: Option<i32>) -> u8 {
    let mut found = 0u8;
    if let Some((ac, flags)) = HEADING_CUES.as_ref() {
        for m in ac.find_overlapping_iter(title) {
            found |= flags.get(m.pattern().as_usize()).copied().unwrap_or(0);
        }
    }
    if found & OTHER != 0 {
        return OTHER;
    }
    if found & FIRST_RESPONSIBLE != 0 {
        return FIRST_RESPONSIBLE;
    }
    let mut f = 0;
    if found & SHORTCOMINGS != 0 && found & FILL == 0 {
        f |= SHORTCOMINGS;
    }
    // Formatting the year only for a title with a digit in it (few are).
    let next_year_by_year = year.is_some_and(|y| {
        if !title.bytes().any(|b| b.is_ascii_digit()) {
            return false;
        }
        let p = format!("{}年", y + 1);
        title.contains(&p) && !title.contains(&format!("{p}度报告"))
    });
    if found & NEXT_YEAR != 0 || next_year_by_year {
        f |= NEXT_YEAR;
    }
    if f == 0 && found & MEASURES != 0 {
        f = MEASURES;
    }
    f
}

fn strip_numbering(line: &str) -> &str {
    let t = line.trim();
    let t = t.trim_start_matches(|c: char| {
        "一二三四五六七八九十0123456789０１２３４５６７８９、.．()（）第部分 ".contains(c)
    });
    t.trim()
}

pub(crate) fn detect(v: &mut View<'_>, rules: &Rules) -> Parts {
    let text = v.text;
    let mut markers: Vec<Marker> = Vec::new();

    // 1. Parser sections.
    for (i, s) in v.doc.sections.iter().enumerate() {
        if markers.len() >= MAX_LINE_MARKERS {
            break;
        }
        let f = classify(&s.title, v.year);
        if f == 0 {
            continue;
        }
        markers.push(Marker {
            parts: f,
            head: s.heading.clone(),
            region: s.span.start..s.span.end.max(s.heading.end),
            split: None,
            by_heading: true,
            section: Some(i),
        });
    }

    // 2. Heading-like lines the parser did not make sections (short, no sentence stop inside).
    let mut line_markers: Vec<Marker> = Vec::new();
    let mut heading_spans: Vec<(usize, usize)> = v
        .doc
        .sections
        .iter()
        .map(|s| (s.heading.start, s.heading.end))
        .collect();
    heading_spans.sort_unstable();
    for (start, line) in crate::lines::lines(text) {
        if line_markers.len() >= MAX_LINE_MARKERS {
            break;
        }
        // Past the line's end and its '\n'.
        let pos = (start + line.len() + 1).min(text.len());
        let l = line.trim();
        if l.is_empty() || start < v.body_start {
            continue;
        }
        // Over 160 bytes is over 40 characters: such a line (most of a report) is not counted.
        if l.len() > 4 * 40 {
            continue;
        }
        let n = l.chars().count();
        let body = l.trim_end_matches(['。', '：', ':']);
        if n > 40 || body.contains('。') || body.contains('，') && n > 24 {
            continue;
        }
        let hi = heading_spans.partition_point(|h| h.0 < pos);
        let covered = heading_spans[..hi]
            .iter()
            .rev()
            .take(4)
            .any(|h| start < h.1);
        if covered {
            continue;
        }
        let f = classify(strip_numbering(body), v.year);
        if f == 0 || f == MEASURES {
            continue;
        }
        let lead = line.len() - line.trim_start().len();
        let head = start + lead..start + lead + l.len();
        line_markers.push(Marker {
            parts: f,
            head: head.clone(),
            region: head.start..text.len(),
            split: None,
            by_heading: true,
            section: v.doc.section_at(head.start),
        });
    }
    // A line marker governs up to the next part heading or top-level section.
    let tops: Vec<usize> = v
        .doc
        .sections
        .iter()
        .filter(|s| s.level <= 1)
        .map(|s| s.heading.start)
        .chain(markers.iter().map(|m| m.head.start))
        .chain(line_markers.iter().map(|m| m.head.start))
        .collect();
    for m in &mut line_markers {
        let end = tops
            .iter()
            .filter(|t| **t > m.head.start)
            .min()
            .copied()
            .unwrap_or(text.len());
        m.region.end = end;
    }
    markers.extend(line_markers);
    markers.sort_by_key(|m| (m.head.start, m.region.end));

    // Merged shortcomings + next year: split at the first plan lead.
    for m in &mut markers {
        if m.parts & SHORTCOMINGS != 0 && m.parts & NEXT_YEAR != 0 {
            m.split = v
                .sents
                .iter()
                .filter(|s| {
                    !s.heading && m.region.start <= s.span.start && s.span.start < m.region.end
                })
                .find(|s| starts_with_any(v.slice(&s.span), &rules.passages.next_year_lead))
                .map(|s| s.span.start);
        }
    }

    assign_regions(v, &markers);

    // 3. Passages when no heading holds the part.
    let body_len = text.len().saturating_sub(v.body_start);
    let tail_from = v.body_start + body_len * 45 / 100;
    let next_heading_after = |at: usize| {
        v.doc
            .sections
            .iter()
            .map(|s| s.heading.start)
            .filter(|h| *h > at)
            .min()
            .unwrap_or(text.len())
    };
    let has_heading = |f: u8| markers.iter().any(|m| m.parts & f != 0);
    let mut passages: Vec<Marker> = Vec::new();
    if !has_heading(NEXT_YEAR) {
        let lead = v.sents.iter().find(|s| {
            !s.heading
                && s.span.start >= tail_from
                && s.region == Region::Achievements
                && next_year_opening(v.slice(&s.span), rules, v.year)
        });
        if let Some(s) = lead {
            passages.push(Marker {
                parts: NEXT_YEAR,
                head: s.span.clone(),
                region: s.span.start..next_heading_after(s.span.start),
                split: None,
                by_heading: false,
                section: s.section,
            });
        }
    }
    if !has_heading(SHORTCOMINGS) {
        let lead = v.sents.iter().find(|s| {
            let t = v.slice(&s.span);
            !s.heading
                && s.span.start >= tail_from
                && s.region == Region::Achievements
                && (s.para_start || t.contains('虽'))
                && admits_problems(t, rules)
        });
        if let Some(s) = lead {
            let mut end = next_heading_after(s.span.start);
            if let Some(n) = passages.first().filter(|n| n.head.start > s.span.start) {
                end = end.min(n.head.start);
            }
            passages.push(Marker {
                parts: SHORTCOMINGS,
                head: s.span.clone(),
                region: s.span.start..end,
                split: None,
                by_heading: false,
                section: s.section,
            });
        }
    }
    if !passages.is_empty() {
        markers.extend(passages);
        markers.sort_by_key(|m| (m.head.start, m.region.end));
        assign_regions(v, &markers);
    }

    // 4. Part findings.
    let mut found: [PartFinding; 5] = Default::default();
    for (k, (_, flag)) in PART_IDS.iter().enumerate() {
        let ms: Vec<&Marker> = markers.iter().filter(|m| m.parts & flag != 0).collect();
        let mut pf = PartFinding::default();
        for m in &ms {
            let body: Vec<usize> = v
                .sents
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    !s.heading
                        && m.region.start <= s.span.start
                        && s.span.start < m.region.end
                        && !(m.by_heading && s.span.start < m.head.end)
                        && match (*flag, m.split) {
                            (SHORTCOMINGS, Some(sp)) => s.span.start < sp,
                            (NEXT_YEAR, Some(sp)) => s.span.start >= sp,
                            _ => true,
                        }
                })
                .map(|(i, _)| i)
                .collect();
            if *flag == SHORTCOMINGS {
                let deficits: usize = body
                    .iter()
                    .map(|i| v.cues.count(Cue::Negation, v.sents[*i].span.clone()))
                    .sum();
                let causes = body
                    .iter()
                    .any(|i| v.cues.count(Cue::Cause, v.sents[*i].span.clone()) > 0);
                if deficits < rules.passages.shortcomings_min_deficits {
                    pf.hollow = true;
                    continue;
                }
                pf.causes |= causes;
            }
            pf.present = true;
            pf.by_heading |= m.by_heading;
            pf.evidence.push((m.head.clone(), m.section));
            pf.body.extend(body);
        }
        if pf.present {
            pf.hollow = false;
        }
        found[k] = pf;
    }

    // first_responsible by passage: an achievement sentence naming the duty outside 《》.
    let fr = PART_IDS
        .iter()
        .position(|(_, f)| *f == FIRST_RESPONSIBLE)
        .unwrap_or(2);
    if !found[fr].present {
        let hit = first_responsible_passage(v, &rules.passages.first_responsible);
        if let Some(s) = hit {
            found[fr] = PartFinding {
                present: true,
                by_heading: false,
                evidence: vec![(s.span.clone(), s.section)],
                ..Default::default()
            };
        }
    }

    // measures by passage: the report reports concrete work.
    let me = 0;
    if !found[me].present {
        let concrete: Vec<usize> = v
            .sents
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.region == Region::Achievements && !s.heading && s.concrete && !s.plan
            })
            .map(|(i, _)| i)
            .collect();
        if concrete.len() >= 3 {
            found[me] = PartFinding {
                present: true,
                by_heading: false,
                evidence: vec![(
                    v.sents[concrete[0]].span.clone(),
                    v.sents[concrete[0]].section,
                )],
                body: concrete,
                ..Default::default()
            };
        }
    }

    Parts { markers, found }
}

fn starts_with_any(t: &str, leads: &[String]) -> bool {
    let t = t.trim_start_matches(|c: char| {
        c.is_whitespace() || "一二三四五六七八九十、.．()（）0123456789".contains(c)
    });
    leads.iter().any(|l| t.starts_with(l.as_str()))
}

fn next_year_opening(t: &str, rules: &Rules, year: Option<i32>) -> bool {
    if starts_with_any(t, &rules.passages.next_year_lead) {
        return true;
    }
    year.is_some_and(|y| {
        if !t.starts_with(|c: char| c.is_ascii_digit() || c == '-') {
            return false;
        }
        let p = format!("{}年", y + 1);
        t.starts_with(&p)
            && t[p.len()..]
                .chars()
                .next()
                .is_some_and(|c| "，,是将我要".contains(c))
    })
}

fn admits_problems(t: &str, rules: &Rules) -> bool {
    let p = &rules.passages;
    for lead in &p.shortcomings_lead {
        let mut from = 0;
        while let Some(i) = t.get(from..).and_then(|x| x.find(lead.as_str())) {
            let after = from + i + lead.len();
            let window: String = t
                .get(after..)
                .unwrap_or("")
                .chars()
                .take(p.shortcomings_window)
                .collect();
            if p.shortcomings_nouns
                .iter()
                .any(|n| window.contains(n.as_str()))
            {
                return true;
            }
            from = after;
        }
    }
    false
}

/// The first achievement sentence naming the first-responsible duty outside 《》. The phrases
/// are found in the whole text once, overlapping so that none is missed, and only sentences
/// holding one are read again: a search per sentence and phrase had built a searcher each time
/// (callgrind).
fn first_responsible_passage<'v>(v: &'v View<'_>, phrases: &[String]) -> Option<&'v Sent> {
    let bytes = v.text.as_bytes();
    let mut holding: Vec<usize> = Vec::new();
    for p in phrases.iter().filter(|p| !p.is_empty()) {
        let finder = memchr::memmem::Finder::new(p.as_bytes());
        let mut from = 0;
        while let Some(i) = bytes.get(from..).and_then(|t| finder.find(t)) {
            let at = from + i;
            if let Some(k) = v
                .sent_at(at)
                .filter(|k| v.sents.get(*k).is_some_and(|s| at + p.len() <= s.span.end))
            {
                holding.push(k);
            }
            from = at + 1;
        }
    }
    holding.sort_unstable();
    holding.dedup();
    holding
        .into_iter()
        .filter_map(|k| v.sents.get(k))
        .find(|s| names_first_responsible(v, s, phrases))
}

/// An achievement sentence, not a heading, naming one of `phrases` outside 《》.
fn names_first_responsible(v: &View<'_>, s: &Sent, phrases: &[String]) -> bool {
    s.region == Region::Achievements
        && !s.heading
        && phrases.iter().any(|p| {
            let t = v.slice(&s.span);
            let mut from = 0;
            while let Some(i) = t.get(from..).and_then(|x| x.find(p.as_str())) {
                if !v.in_quote(s.span.start + from + i) {
                    return true;
                }
                from += i + p.len();
            }
            false
        })
}

/// Sets each sentence's region from the markers: inside a shortcomings or next-year part → not
/// achievement (the innermost such part wins; a merged part switches to next-year at its split).
fn assign_regions(v: &mut View<'_>, markers: &[Marker]) {
    let body_start = v.body_start;
    for s in &mut v.sents {
        if s.span.start < body_start {
            s.region = Region::Meta;
            continue;
        }
        let m = markers
            .iter()
            .filter(|m| {
                m.parts & (SHORTCOMINGS | NEXT_YEAR) != 0
                    && m.region.start <= s.span.start
                    && s.span.start < m.region.end
            })
            .max_by_key(|m| m.region.start);
        s.region = match m {
            None => Region::Achievements,
            Some(m) => {
                let next = m.parts & NEXT_YEAR != 0;
                let short = m.parts & SHORTCOMINGS != 0;
                match (short, next, m.split) {
                    (true, true, Some(sp)) if s.span.start >= sp => Region::NextYear,
                    (true, _, _) => Region::Shortcomings,
                    _ => Region::NextYear,
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules;

    #[test]
    fn headings_classify() {
        let y = Some(2023);
        assert_eq!(
            classify("存在的问题及下步打算", y),
            SHORTCOMINGS | NEXT_YEAR
        );
        assert_eq!(classify("存在的不足和原因", y), SHORTCOMINGS);
        assert_eq!(classify("2024年工作安排", y), NEXT_YEAR);
        assert_eq!(classify("下一年度主要工作安排", y), NEXT_YEAR);
        assert_eq!(
            classify("履行推进法治建设第一责任人职责情况", y),
            FIRST_RESPONSIBLE
        );
        assert_eq!(classify("主要举措和成效", y), MEASURES);
        assert_eq!(classify("其他需要报告的情况", y), OTHER);
        assert_eq!(classify("推进示范创建，补齐短板", y), 0);
        assert_eq!(classify("健全突发事件应对体系", y), 0);
    }

    /// Every sentence tested, as before the text-wide search chose which.
    fn first_responsible_each_sentence<'v>(
        v: &'v View<'_>,
        phrases: &[String],
    ) -> Option<&'v Sent> {
        v.sents
            .iter()
            .find(|s| names_first_responsible(v, s, phrases))
    }

    proptest::proptest! {
        /// The passage found through the text-wide search is the one a search of every
        /// sentence finds: across sentence ends, in and out of 《》, for phrases that overlap
        /// themselves (任责任 in 任责任责任), each other, a bracket or a sentence end.
        #[test]
        fn the_first_responsible_passage_is_the_one_each_sentence_gives(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "第一责任人", "任", "责任", "《", "》", "。", "\n", "履行", "一、", "，",
                ]),
                1..40,
            ),
            pick in proptest::collection::vec(0usize..5, 1..3),
        ) {
            let text: String = pieces.concat();
            let doc = super::super::testdoc::from_text(&text, Some(2024));
            let rules = rules::rules().map_err(proptest::test_runner::TestCaseError::fail)?;
            let cl = crate::checklist::for_year(Some(2024));
            let v = View::new(&doc, cl, rules, Some(2024));
            let all = ["第一责任人", "任责任", "责任", "任》任", "任。任"];
            let phrases: Vec<String> = pick.iter().map(|&i| all[i].to_string()).collect();
            let want = first_responsible_each_sentence(&v, &phrases).map(|s| s.span.clone());
            let got = first_responsible_passage(&v, &phrases).map(|s| s.span.clone());
            proptest::prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_quoted_first_responsible_names_no_passage() {
        let text = "一、主要举措\n全面落实《党政主要负责人履行推进法治建设第一责任人职责规定》。\n\
                    主要负责人切实履行第一责任人职责，带头学法。\n";
        let doc = super::super::testdoc::from_text(text, Some(2024));
        let r = rules::rules().expect("rules");
        let v = View::new(&doc, crate::checklist::for_year(Some(2024)), r, Some(2024));
        let phrases = vec!["第一责任人".to_string()];
        let s = first_responsible_passage(&v, &phrases).expect("the second sentence");
        assert!(
            v.slice(&s.span).starts_with("主要负责人切实履行"),
            "{}",
            v.slice(&s.span)
        );
    }

    #[test]
    fn problem_passages() {
        let r = rules::rules().expect("rules");
        assert!(admits_problems(
            "虽然取得了明显成效，但仍存在一些差距和不足",
            r
        ));
        assert!(!admits_problems("针对存在问题提出整改意见", r));
    }
}
