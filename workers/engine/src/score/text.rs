//! The scorer's view of a parsed document: sentences with their context flags, 《》 spans, the
//! byte → char offset map, and per-sentence concreteness. Everything here is derived from
//! [`ParsedDoc`] only, so the scorer does not depend on parser details beyond the model contract.

use std::ops::Range;
use std::sync::LazyLock;

use crate::char_steps::{self, is_continuation};
use crate::checklist::Checklist;
use crate::model::ParsedDoc;
use crate::rules::Rules;
use crate::text_pass::Cue;
use crate::wire;

use super::context::CueHits;

/// Where a sentence sits with respect to the 督察规定 parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    /// Title, metadata block, addressee.
    Meta,
    /// Reported work: everything outside shortcomings / next-year parts.
    Achievements,
    Shortcomings,
    NextYear,
}

#[derive(Debug, Clone)]
pub(crate) struct Sent {
    /// Trimmed byte span in the text.
    pub span: Range<usize>,
    pub section: Option<usize>,
    pub heading: bool,
    /// First sentence of its line (paragraph).
    pub para_start: bool,
    pub region: Region,
    /// Contains a plan / future marker.
    pub plan: bool,
    /// Has a figure, a dated event, a document number or a named local instrument.
    pub concrete: bool,
    /// Not concrete and made of template phrases.
    pub boiler: bool,
}

/// Byte offset → char offset, with a checkpoint every [`CharMap::STEP`] bytes (small for huge
/// texts; a lookup scans at most one step).
pub(crate) struct CharMap<'a> {
    text: &'a str,
    /// (byte, char) at char boundaries, ascending.
    marks: Vec<(usize, u32)>,
}

impl<'a> CharMap<'a> {
    const STEP: usize = 128;

    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut marks = Vec::with_capacity(bytes.len() / Self::STEP + 1);
        marks.push((0usize, 0u32));
        let (mut from, mut chars) = (0usize, 0u32);
        // Each mark is the first char start at least STEP bytes after the one before; the chars
        // between are counted a step at a time (a branch-free count the compiler vectorizes).
        let mut at = Self::STEP;
        while at < bytes.len() {
            while at < bytes.len() && is_continuation(bytes[at]) {
                at += 1;
            }
            if at >= bytes.len() {
                break;
            }
            chars = chars.wrapping_add(char_starts(&bytes[from..at]));
            marks.push((at, chars));
            from = at;
            at += Self::STEP;
        }
        Self { text, marks }
    }

    pub fn at(&self, byte: usize) -> i32 {
        let byte = byte.min(self.text.len());
        let i = self
            .marks
            .partition_point(|m| m.0 <= byte)
            .saturating_sub(1);
        let (b0, c0) = self.marks.get(i).copied().unwrap_or((0, 0));
        // Chars starting in b0..byte = bytes there that are not UTF-8 continuation bytes.
        let extra = char_starts(self.text.as_bytes().get(b0..byte).unwrap_or(&[]));
        c0.wrapping_add(extra) as i32
    }
}

/// How many chars start in `bytes`: the bytes that are not UTF-8 continuation bytes.
fn char_starts(bytes: &[u8]) -> u32 {
    bytes.iter().map(|&b| u32::from(!is_continuation(b))).sum()
}

/// The document view shared by the scoring steps.
pub(crate) struct View<'a> {
    pub doc: &'a ParsedDoc,
    pub text: &'a str,
    pub sents: Vec<Sent>,
    /// Sorted, non-overlapping 《…》 spans (including the brackets).
    pub quotes: Vec<Range<usize>>,
    /// Per quote: (cited — right after 贯彻/落实/根据…, produced — right after 印发/出台/制定…);
    /// a title directly following another (《甲》《乙》, 《甲》、《乙》) shares its flags.
    pub quote_kind: Vec<(bool, bool)>,
    pub cues: CueHits,
    /// The checklist's phrase and exclusion hits from the same pass as the cues, unsorted, for
    /// [`super::coverage`].
    pub phrase_hits: Vec<(usize, usize, usize, usize, usize)>,
    pub exclusion_hits: Vec<(usize, usize, usize, usize)>,
    pub chars: CharMap<'a>,
    /// Starts of figures that make a sentence concrete, ascending.
    fig_starts: Vec<usize>,
    /// Byte offset where the body starts (after title/metadata/addressee).
    pub body_start: usize,
    pub year: Option<i32>,
}

impl<'a> View<'a> {
    pub fn new(doc: &'a ParsedDoc, cl: &Checklist, rules: &Rules, year: Option<i32>) -> Self {
        let text = doc.text.as_str();
        let quotes = quote_spans(text);
        let quote_kind = quote_kinds(text, &quotes, rules);
        let found = cl.matcher.find(text);
        let cues = CueHits::new(found.cues, text, year);
        let mut sents = sentences(doc);
        let body_start = body_start(text, &sents, doc, rules);
        let mut v = View {
            doc,
            text,
            sents: Vec::new(),
            quotes,
            quote_kind,
            cues,
            phrase_hits: found.phrases,
            exclusion_hits: found.exclusions,
            chars: CharMap::new(text),
            fig_starts: Vec::new(),
            body_start,
            year,
        };
        v.fig_starts = concrete_figures(doc, &v, rules);
        for s in &mut sents {
            s.region = if s.span.start < body_start {
                Region::Meta
            } else {
                Region::Achievements
            };
            s.plan = v.cues.plan_in(s.span.clone());
            s.concrete = v.is_concrete(s, rules);
            s.boiler = !s.concrete
                && v.cues.count(Cue::Boiler, s.span.clone()) >= rules.boilerplate.min_hits;
        }
        v.sents = sents;
        v
    }

    pub fn slice(&self, r: &Range<usize>) -> &'a str {
        self.text.get(r.clone()).unwrap_or("")
    }

    pub fn in_quote(&self, at: usize) -> bool {
        self.quote_at(at).is_some()
    }

    fn quote_at(&self, at: usize) -> Option<usize> {
        let i = self.quotes.partition_point(|q| q.end <= at);
        self.quotes
            .get(i)
            .filter(|q| q.start <= at && at < q.end)
            .map(|_| i)
    }

    /// Inside a 《…》 that the report says it issued (印发/出台/制定 …《…》).
    pub fn in_produced_quote(&self, at: usize) -> bool {
        self.quote_at(at)
            .and_then(|i| self.quote_kind.get(i))
            .is_some_and(|k| k.1)
    }

    /// Index of the sentence containing byte `at`.
    pub fn sent_at(&self, at: usize) -> Option<usize> {
        let i = self.sents.partition_point(|s| s.span.end <= at);
        self.sents
            .get(i)
            .filter(|s| s.span.start <= at && at < s.span.end)
            .map(|_| i)
    }

    /// Clause (between ，；：。 etc.) of the sentence around byte `at`.
    pub fn clause(&self, sent: &Sent, at: usize) -> Range<usize> {
        let s = self.slice(&sent.span);
        let rel = at.saturating_sub(sent.span.start).min(s.len());
        let is_delim = |c: char| CLAUSE_DELIMS.contains(&c);
        let start = s
            .get(..rel)
            .and_then(|h| char_steps::rfind(h, &CLAUSE_DELIM_STEPS, |_, c| is_delim(c)))
            .map(|(i, c)| i + c.len_utf8())
            .unwrap_or(0);
        let end = s
            .get(rel..)
            .and_then(|t| char_steps::find(t, &CLAUSE_DELIM_STEPS, is_delim))
            .map(|(i, _)| rel + i)
            .unwrap_or(s.len());
        sent.span.start + start..sent.span.start + end
    }

    /// Section path like "一、工作成效 / （三）持续深化…".
    /// Wire evidence for a byte range: the quote and its char offsets in the normalized text.
    pub fn evidence(&self, r: Range<usize>, section: Option<usize>) -> wire::Evidence {
        wire::Evidence {
            quote: self.slice(&r).to_string(),
            start: self.chars.at(r.start),
            end: self.chars.at(r.end),
            section: self.section_path(section),
        }
    }

    pub fn section_path(&self, idx: Option<usize>) -> String {
        let Some(i) = idx.filter(|i| *i < self.doc.sections.len()) else {
            return String::new();
        };
        // At most 17 levels, held on the stack: a path is built for every piece of evidence.
        let mut parts: [Option<&crate::model::Section>; 17] = [None; 17];
        let mut n = 0;
        let mut cur = Some(i);
        while let Some(c) = cur
            && n < parts.len()
        {
            let Some(sec) = self.doc.sections.get(c) else {
                break;
            };
            parts[n] = Some(sec);
            n += 1;
            cur = sec.parent.filter(|p| *p < c);
        }
        let parts = parts[..n].iter().flatten();
        // Built in one buffer (no per-part format! and join).
        let mut out = String::with_capacity(
            parts
                .clone()
                .map(|p| p.numbering.len() + p.title.len() + 3)
                .sum(),
        );
        for (k, sec) in parts.rev().enumerate() {
            if k > 0 {
                out.push_str(" / ");
            }
            out.push_str(&sec.numbering);
            out.push_str(&sec.title);
        }
        out
    }

    fn is_concrete(&self, s: &Sent, rules: &Rules) -> bool {
        let st = self.slice(&s.span);
        if has_count_digits_or_bracket(st) {
            return true;
        }
        let fi = self.fig_starts.partition_point(|f| *f < s.span.start);
        if self.fig_starts.get(fi).is_some_and(|f| *f < s.span.end) {
            return true;
        }
        // Issued a document of the year by name without 《》 ("制定了2023年…目录").
        if let Some(y) = self.year {
            let mut ends = self.cues.produce_ends(s.span.clone()).peekable();
            // Format the year only for sentences that have a produce verb at all.
            if ends.peek().is_some() {
                let named = format!("{y}年");
                let hit = ends.any(|e| {
                    self.text
                        .get(e..s.span.end)
                        .unwrap_or("")
                        .trim_start_matches('了')
                        .starts_with(&named)
                });
                if hit {
                    return true;
                }
            }
        }
        // Named local instrument, not merely cited.
        let qi = self.quotes.partition_point(|q| q.end <= s.span.start);
        for (k, q) in self.quotes[qi..]
            .iter()
            .enumerate()
            .take_while(|(_, q)| q.start < s.span.end)
        {
            let (cited, produced) = self
                .quote_kind
                .get(qi + k)
                .copied()
                .unwrap_or((false, false));
            if produced || (!cited && is_local_title(self.slice(q), rules)) {
                return true;
            }
        }
        false
    }
}

/// Cited / produced flags of each 《…》 (see [`View::quote_kind`]).
fn quote_kinds(text: &str, quotes: &[Range<usize>], rules: &Rules) -> Vec<(bool, bool)> {
    let mut out: Vec<(bool, bool)> = Vec::with_capacity(quotes.len());
    for (i, q) in quotes.iter().enumerate() {
        if i > 0 {
            let gap = text.get(quotes[i - 1].end..q.start).unwrap_or("x").trim();
            if gap.is_empty() || rules.context.title_joiners.iter().any(|j| j == gap) {
                let prev = out[i - 1];
                out.push(prev);
                continue;
            }
        }
        let before = text.get(..q.start).unwrap_or("");
        let tail: String = {
            let cs: Vec<char> = before.chars().rev().take(5).collect();
            cs.into_iter().rev().collect()
        };
        let tail = tail.trim_end_matches(['了', ' ']);
        let cited = rules
            .context
            .cite
            .iter()
            .any(|c| tail.ends_with(c.as_str()));
        let title = text.get(q.clone()).unwrap_or("");
        let ends = |xs: &[String]| xs.iter().any(|x| title.ends_with(x.as_str()));
        let law =
            ends(&rules.context.law_title_endings) && !ends(&rules.context.not_law_title_endings);
        let national = law
            || rules
                .context
                .national_title
                .iter()
                .any(|n| title.contains(n.as_str()));
        let produced = !cited
            && !national
            && rules
                .context
                .produce
                .iter()
                .any(|c| tail.ends_with(c.as_str()));
        out.push((cited, produced));
    }
    out
}

/// Figures that make a sentence concrete: digits always; Chinese numerals only as counts of
/// events or people (两期, 三次, 五名) — 四个意识, 三项制度, 一件事 are slogans, not counts.
fn concrete_figures(doc: &ParsedDoc, v: &View<'_>, rules: &Rules) -> Vec<usize> {
    let mut out: Vec<usize> = doc
        .figures
        .iter()
        .filter(|f| {
            let digits = doc
                .text
                .get(f.span.clone())
                .unwrap_or("")
                .chars()
                .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
            let event_unit = rules.context.event_units.iter().any(|u| *u == f.unit);
            !f.unit.is_empty()
                && f.unit != "年"
                && (digits || (event_unit && f.value >= 2.0))
                && !v.in_quote(f.span.start)
        })
        .map(|f| f.span.start)
        .collect();
    out.sort_unstable();
    out
}

fn is_local_title(title: &str, rules: &Rules) -> bool {
    if rules
        .context
        .national_title
        .iter()
        .any(|n| title.contains(n.as_str()))
    {
        return false;
    }
    let chars: Vec<char> = title.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        let s = c.to_string();
        if !rules.context.local_title.iter().any(|m| m.starts_with(&s)) {
            continue;
        }
        for m in &rules.context.local_title {
            let mc: Vec<char> = m.chars().collect();
            if chars.get(i..i + mc.len()) == Some(&mc[..]) {
                // 市场 / 区域 / 地区 are not places.
                let false_friend = rules.context.local_title_false_friends.iter().any(|f| {
                    let fc: Vec<char> = f.chars().collect();
                    (0..fc.len()).any(|k| {
                        fc.get(k..k + mc.len()) == Some(&mc[..])
                            && i >= k
                            && chars.get(i - k..i - k + fc.len()) == Some(&fc[..])
                    })
                });
                if !false_friend {
                    return true;
                }
            }
        }
    }
    false
}

/// Where [`has_count_digits_or_bracket`] looks for digits: ASCII digits and full-width ones.
/// Not 〔, whose first byte starts every CJK mark (。、《》): it is looked for on its own.
static COUNT_DIGIT_STEPS: [u8; 256] = char_steps::steps_for(&[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '０', '１', '２', '３', '４', '５', '６',
    '７', '８', '９',
]);

/// What ends a clause for [`View::clause`].
const CLAUSE_DELIMS: [char; 11] = ['，', ',', '；', ';', '：', ':', '。', '！', '？', '!', '?'];
static CLAUSE_DELIM_STEPS: [u8; 256] = char_steps::steps_for(&CLAUSE_DELIMS);

/// Built once, as [`OPEN_MARK`].
static YEAR_BRACKET: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new("〔".as_bytes()));

/// True when the text has a digit run that is a count, amount, rate or date (not a bare year, an
/// enumerator or a year range), or a 〔 (the year bracket of a document number, 〔2024〕). The
/// 〔 is found by `memmem`; the digit scan then stops only at ASCII digits and full-width ０-９
/// (EF BC 90..99), where stopping at 〔 as well made it stop at every CJK mark.
fn has_count_digits_or_bracket(s: &str) -> bool {
    YEAR_BRACKET.find(s.as_bytes()).is_some() || count_digits_in(s, &COUNT_DIGIT_STEPS)
}

/// [`has_count_digits_or_bracket`] looking at the characters `steps` stops at (all of them
/// where every entry is 0).
fn count_digits_in(s: &str, steps: &[u8; 256]) -> bool {
    let b = s.as_bytes();
    // (byte start, byte end, value so far capped, digit count) of each run.
    let digit_at = |i: usize| -> Option<(usize, u32)> {
        match b.get(i)? {
            c @ b'0'..=b'9' => Some((1, u32::from(c - b'0'))),
            0xEF if b.get(i + 1) == Some(&0xBC) => match b.get(i + 2) {
                Some(c @ 0x90..=0x99) => Some((3, u32::from(c - 0x90))),
                _ => None,
            },
            _ => None,
        }
    };
    let mut marks = char_steps::stops(s, steps);
    while let Some((start, c)) = marks.next() {
        if c == '〔' {
            return true;
        }
        if digit_at(start).is_none() {
            continue;
        }
        let mut i = start;
        let mut len = 0u32;
        let mut value = 0u32;
        while let Some((w, d)) = digit_at(i) {
            value = value.saturating_mul(10).saturating_add(d);
            len += 1;
            i += w;
        }
        marks.resume_at(i);
        let next = s.get(i..).and_then(|t| t.chars().next());
        let prev = s.get(..start).and_then(|h| h.chars().next_back());
        // Enumerator at the start: "1." "（2）".
        let lead = s.get(..start).is_some_and(|h| {
            h.chars()
                .all(|c| matches!(c, '(' | '（' | ' ' | '\u{3000}'))
        });
        if lead && matches!(next, Some('.' | '．' | '、' | ')' | '）')) {
            continue;
        }
        if len == 4 {
            let yearish = (1949..=2099).contains(&value);
            let year_ctx = matches!(
                next,
                Some('年' | '—' | '-' | '－' | '～' | '~' | '至' | '/' | '–' | '）' | ')')
            ) || matches!(prev, Some('—' | '-' | '－' | '～' | '~' | '至' | '–'));
            if yearish && year_ctx {
                continue;
            }
        }
        return true;
    }
    false
}

/// Where [`quote_spans`] looks inside a title.
static QUOTE_STEPS: [u8; 256] = char_steps::steps_for(&['《', '》', '\n']);

/// The searcher for 《, built once: built per call (`memmem::find`), it cost as much as the
/// search, once for every title in a report.
static OPEN_MARK: LazyLock<memchr::memmem::Finder<'static>> =
    LazyLock::new(|| memchr::memmem::Finder::new("《".as_bytes()));

/// 《…》 spans, outermost pairs (nested 《《》》 collapse into the outer span). Outside a title
/// only a 《 matters, and `memmem` finds it: stepping to it stopped at every CJK mark (。、「」),
/// whose first byte it shares.
pub(crate) fn quote_spans(text: &str) -> Vec<Range<usize>> {
    let mut titles = Titles::default();
    let mut marks = char_steps::stops(text, &QUOTE_STEPS);
    let mut from = 0usize;
    loop {
        if titles.depth == 0 {
            let Some(k) = text
                .as_bytes()
                .get(from..)
                .and_then(|rest| OPEN_MARK.find(rest))
            else {
                break;
            };
            marks.resume_at(from + k);
        }
        let Some((i, c)) = marks.next() else {
            break;
        };
        from = i + c.len_utf8();
        titles.read(i, c);
    }
    titles.spans
}

/// 《 and 》 paired as they are read: a 》 with no 《 open is text, a line end closes every 《.
#[derive(Default)]
struct Titles {
    depth: usize,
    open: usize,
    spans: Vec<Range<usize>>,
}

impl Titles {
    fn read(&mut self, i: usize, c: char) {
        match c {
            '《' => {
                if self.depth == 0 {
                    self.open = i;
                }
                self.depth += 1;
            }
            '》' if self.depth > 0 => {
                self.depth -= 1;
                if self.depth == 0 {
                    self.spans.push(self.open..i + '》'.len_utf8());
                }
            }
            '\n' => self.depth = 0,
            _ => {}
        }
    }
}

/// [`quote_spans`] stepping to every character `steps` stops at, with no search in between (all
/// of them where every entry is 0: the property test's reference).
#[cfg(test)]
fn quote_spans_in(text: &str, steps: &[u8; 256]) -> Vec<Range<usize>> {
    let mut titles = Titles::default();
    for (i, c) in char_steps::stops(text, steps) {
        titles.read(i, c);
    }
    titles.spans
}

fn trim_span(text: &str, r: Range<usize>) -> Range<usize> {
    let s = text.get(r.clone()).unwrap_or("");
    let lead = s.len() - s.trim_start().len();
    let t = s.trim();
    r.start + lead..r.start + lead + t.len()
}

/// Sentences from the parser (or split here if it gave none), trimmed and sorted.
fn sentences(doc: &ParsedDoc) -> Vec<Sent> {
    let text = doc.text.as_str();
    let mut raw: Vec<(Range<usize>, Option<usize>, bool)> = doc
        .sentences
        .iter()
        .filter(|s| s.span.start < s.span.end && text.get(s.span.clone()).is_some())
        .map(|s| (s.span.clone(), s.section, s.is_heading))
        .collect();
    if raw.is_empty() {
        raw = split_sentences(text)
            .into_iter()
            .map(|r| (r.clone(), doc.section_at(r.start), false))
            .collect();
    }
    raw.sort_by_key(|(r, _, _)| (r.start, r.end));
    let mut out: Vec<Sent> = Vec::with_capacity(raw.len());
    for (r, section, heading) in raw {
        let span = trim_span(text, r);
        if span.is_empty() {
            continue;
        }
        if out.last().is_some_and(|p| p.span.end > span.start) {
            continue;
        }
        let para_start = text
            .get(..span.start)
            .map(|h| {
                h.chars()
                    .rev()
                    .find(|c| !matches!(c, ' ' | '\t' | '\u{3000}' | '\r'))
                    .is_none_or(|c| c == '\n')
            })
            .unwrap_or(true);
        out.push(Sent {
            span,
            section,
            heading,
            para_start,
            region: Region::Achievements,
            plan: false,
            concrete: false,
            boiler: false,
        });
    }
    out
}

/// Fallback sentence splitter: 。！？； and line ends.
pub(crate) fn split_sentences(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '。' | '！' | '？' | '；' | ';' | '!' | '?' | '\n') {
            let end = if c == '\n' { i } else { i + c.len_utf8() };
            if end > start {
                out.push(start..end);
            }
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push(start..text.len());
    }
    out
}

/// Where the body starts: the first real paragraph sentence (long, with a comma or a stop), not
/// later than the first section heading.
fn body_start(text: &str, sents: &[Sent], doc: &ParsedDoc, rules: &Rules) -> usize {
    let first_heading = doc.sections.first().map(|s| s.heading.start);
    let meta_words = &rules.context.metadata_labels;
    let found = sents.iter().find(|s| {
        let t = text.get(s.span.clone()).unwrap_or("");
        !s.heading
            && t.chars().count() >= 20
            && (t.contains('，') || t.contains(',') || t.contains('。'))
            && !meta_words.iter().any(|m| t.contains(m.as_str()))
    });
    match (found.map(|s| s.span.start), first_heading) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_that_count() {
        for (text, marked) in [
            ("2023年共组织和指导应急演练73次", true),
            ("2023年，县政府深入推进依法行政", false),
            ("1.凝聚了法治共识", false),
            ("《法治政府建设实施纲要（2021—2025年）》", false),
            ("6月30日召开会议", true),
            ("调解成功率为97 %", true),
            ("印发《实施方案》（望政发〔二〇二三〕）", true),
        ] {
            assert_eq!(has_count_digits_or_bracket(text), marked, "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn stepping_finds_digits_and_brackets_as_decoding_every_character_does(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "0", "1", "9", "2023", "１", "９", "０", "（", "(", " ", "\u{3000}", ".", "．", "、",
                ")", "）", "年", "—", "-", "至", "〔", "〕", "，", "法治", "a", "😀", "\u{FF5E}", "%",
            ]),
            0..24,
        )) {
            let text = parts.concat();
            // Stepping by first bytes answers as decoding every character does.
            proptest::prop_assert_eq!(
                has_count_digits_or_bracket(&text),
                count_digits_in(&text, &[0; 256]),
                "{:?}", text
            );
            if text.contains('〔') {
                proptest::prop_assert!(has_count_digits_or_bracket(&text), "{:?}", text);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn stepping_finds_quotes_as_decoding_every_character_does(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "《", "》", "\n", "〈", "〉", "〔", "。", "法治", "a", "😀", "<", ">", "\u{3000}",
            ]),
            0..24,
        )) {
            let text = parts.concat();
            proptest::prop_assert_eq!(quote_spans(&text), quote_spans_in(&text, &[0; 256]), "{:?}", text);
        }
    }

    #[test]
    fn quotes_pair_up() {
        let t = "印发《关于<甲>的通知》和《乙》。";
        let q = quote_spans(t);
        assert_eq!(q.len(), 2);
        assert_eq!(&t[q[1].clone()], "《乙》");
    }

    #[test]
    fn char_map_counts_chars() {
        let m = CharMap::new("a中b");
        assert_eq!(m.at(0), 0);
        assert_eq!(m.at(1), 1);
        assert_eq!(m.at(4), 2);
        assert_eq!(m.at(5), 3);
    }

    proptest::proptest! {
        #[test]
        fn char_map_agrees_with_counting_chars(chars in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::sample::select(vec!['a', '中', 'ÿ', '😀', '\n', '。', '\u{FFFF}']),
                proptest::prelude::any::<char>(),
            ],
            0..700,
        )) {
            let text: String = chars.into_iter().collect();
            let m = CharMap::new(&text);
            for (byte, _) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
                proptest::prop_assert_eq!(m.at(byte) as usize, text[..byte].chars().count());
            }
        }
    }
}
