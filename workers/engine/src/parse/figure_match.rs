//! Where a figure stands in the text and what its parts are (number, unit, scale, approximation
//! words). The figure pattern (kept as a regex in the tests, the reference this scanner must
//! agree with) is read by hand: a match can only start at a digit, a Chinese numeral, 百分之 or
//! an approximation word, and from there its parts are taken greedily, which is how the
//! pattern's leftmost-first alternation reads them. The regex's two lazy DFAs (forward for the
//! end, reverse for the start) and its prefilter were a tenth of the engine's time (perf).

use std::ops::Range;
use std::sync::LazyLock;

/// Units in the pattern's order of preference: where two start alike, the longer comes first.
const UNITS: [&str; 37] = [
    "个百分点",
    "个工作日",
    "平方公里",
    "人次",
    "件次",
    "场次",
    "户次",
    "家次",
    "批次",
    "%",
    "‰",
    "件",
    "次",
    "人",
    "名",
    "项",
    "个",
    "家",
    "份",
    "部",
    "起",
    "场",
    "卷",
    "本",
    "条",
    "元",
    "户",
    "期",
    "批",
    "套",
    "台",
    "所",
    "处",
    "宗",
    "篇",
    "天",
    "小时",
];

/// Words before a number that make it approximate (共计 is exact, see `figures`).
const PRE: [&str; 7] = ["将近", "近", "约", "超过", "逾", "多达", "共计"];

const PERCENT_IN_WORDS: &str = "百分之";

/// One figure's span and parts; ranges are byte offsets into the text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FigureMatch<'t> {
    pub span: Range<usize>,
    pub num: Range<usize>,
    /// 百分之九十八点六: a rate written in words (its unit is `%`, not in the text).
    pub in_words_pct: bool,
    pub pre: &'t str,
    pub scale: &'t str,
    /// 余 or 多 after the number.
    pub approx: bool,
    /// An entry of the unit list, not a slice of the text: a figure keeps it without a copy.
    pub unit: &'static str,
    /// 以上 or 左右 after the unit.
    pub post: bool,
}

/// Figures in text order, as the pattern's leftmost-first matches.
pub(super) fn find_iter(text: &str) -> impl Iterator<Item = FigureMatch<'_>> {
    Scan { text, at: 0 }
}

struct Scan<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Iterator for Scan<'t> {
    type Item = FigureMatch<'t>;

    fn next(&mut self) -> Option<FigureMatch<'t>> {
        while let Some((i, c)) = next_start(self.text, self.at) {
            if let Some(fig) = match_at(self.text, i) {
                self.at = fig.span.end;
                return Some(fig);
            }
            self.at = resume_after_miss(self.text, i, c);
        }
        self.at = self.text.len();
        None
    }
}

fn is_pnum_digit(c: char) -> bool {
    matches!(
        c,
        '零' | '〇' | '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九'
    )
}

fn is_pnum(c: char) -> bool {
    is_pnum_digit(c) || c == '十' || c == '百'
}

fn is_cn_numeral(c: char) -> bool {
    is_pnum(c) || c == '两' || c == '千'
}

/// The pattern's `\d`: Unicode decimal digits (Nd), as the regex crate's own tables have them.
static DIGITS: LazyLock<Vec<(char, char)>> = LazyLock::new(|| {
    use regex_syntax::hir::{Class, HirKind};
    match regex_syntax::parse(r"\d").map(|h| h.kind().clone()) {
        Ok(HirKind::Class(Class::Unicode(class))) => class
            .ranges()
            .iter()
            .map(|r| (r.start(), r.end()))
            .collect(),
        // Only a regex-syntax without Unicode tables would give anything else.
        _ => vec![('0', '9')],
    }
});

fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    // Below U+10000 a digit is among the few characters that may start a figure.
    if (c as u32) < 0x1_0000 && !may_start(c) {
        return false;
    }
    DIGITS
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                std::cmp::Ordering::Less
            } else if lo > c {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// The characters below U+10000 a figure may start with, as bits: the numerals (百 also starts
/// 百分之), the first characters of the approximation words, and the decimal digits of every
/// script. Most of a report is ideographs of three bytes; each is one bit test.
static STARTS: LazyLock<Box<[u64; 1024]>> = LazyLock::new(|| {
    let mut bits = Box::new([0u64; 1024]);
    let mut set = |c: char| {
        let u = c as usize;
        if u < 0x1_0000 {
            bits[u / 64] |= 1 << (u % 64);
        }
    };
    "零〇两一二三四五六七八九十百千".chars().for_each(&mut set);
    PRE.iter()
        .filter_map(|p| p.chars().next())
        .for_each(&mut set);
    for &(lo, hi) in DIGITS.iter() {
        (lo..=hi).for_each(&mut set);
    }
    bits
});

/// Bit `u` of [`STARTS`].
fn start_bit(starts: &[u64; 1024], u: usize) -> bool {
    starts.get(u / 64).is_some_and(|w| w >> (u % 64) & 1 == 1)
}

fn may_start(c: char) -> bool {
    let u = c as usize;
    if u < 0x1_0000 {
        start_bit(&STARTS, u)
    } else {
        is_digit(c)
    }
}

/// The first character at or after byte `from` that may start a figure, with its offset.
fn next_start(text: &str, from: usize) -> Option<(usize, char)> {
    let b = text.as_bytes();
    let starts = &**STARTS;
    let mut i = from;
    while let Some(&lead) = b.get(i) {
        if lead < 0x80 {
            if lead.is_ascii_digit() {
                return Some((i, char::from(lead)));
            }
            i += 1;
        } else if (0xE0..0xF0).contains(&lead) && i + 2 < b.len() {
            // Three bytes (every ideograph): the code point from the bytes, one bit test.
            let u = usize::from(lead & 0x0F) << 12
                | usize::from(b[i + 1] & 0x3F) << 6
                | usize::from(b[i + 2] & 0x3F);
            if start_bit(starts, u) {
                return char::from_u32(u as u32).map(|c| (i, c));
            }
            i += 3;
        } else if crate::char_steps::is_continuation(lead) {
            i += 1;
        } else {
            let c = text.get(i..).and_then(|t| t.chars().next())?;
            if may_start(c) {
                return Some((i, c));
            }
            i += c.len_utf8();
        }
    }
    None
}

/// Where the scan goes on after no figure starts at `i` (character `c`). Every start inside a
/// run of digits or numerals reaches the same character after the run, so where the run's first
/// start failed the others fail too, with two exceptions the pattern allows: a thousands group
/// may start at any of the last three digits before a comma (1234,567件 holds 234,567件), and 百
/// ending a run of numerals may start 百分之 (三百分之五 holds 百分之五). Passing the rest of
/// the run keeps the scan linear on long runs.
fn resume_after_miss(text: &str, i: usize, c: char) -> usize {
    let next = i + c.len_utf8();
    let rest = &text[i..];
    if is_cn_numeral(c) {
        let mut last = i;
        let mut end = i;
        for (k, d) in rest.char_indices() {
            if !is_cn_numeral(d) {
                break;
            }
            last = i + k;
            end = last + d.len_utf8();
        }
        if last > i && text[last..].starts_with(PERCENT_IN_WORDS) {
            return last;
        }
        return end;
    }
    if is_digit(c) {
        // The run's end, its length, and where its last three digits start.
        let (mut end, mut len, mut last3) = (i, 0usize, [i; 3]);
        for (k, d) in rest.char_indices().take_while(|&(_, d)| is_digit(d)) {
            last3 = [last3[1], last3[2], i + k];
            end = i + k + d.len_utf8();
            len += 1;
        }
        if len > 3 && text[end..].starts_with(',') {
            return last3[0];
        }
        return end;
    }
    next
}

/// The first listed unit `s` starts with. Most places a number ends hold no unit: one search
/// by the next character settles those.
fn unit_at(s: &str) -> Option<&'static str> {
    let first = s.chars().next()?;
    let by_first = &*UNITS_BY_FIRST;
    let k = by_first.binary_search_by_key(&first, |&(c, _)| c).ok()?;
    by_first[k].1.iter().find(|u| s.starts_with(**u)).copied()
}

/// [`UNITS`] by first character, in their order of preference within each.
static UNITS_BY_FIRST: LazyLock<Vec<(char, Vec<&'static str>)>> = LazyLock::new(|| {
    let mut by_first: Vec<(char, Vec<&'static str>)> = Vec::new();
    for u in UNITS {
        let Some(first) = u.chars().next() else {
            continue;
        };
        match by_first.iter_mut().find(|(c, _)| *c == first) {
            Some((_, units)) => units.push(u),
            None => by_first.push((first, vec![u])),
        }
    }
    by_first.sort_by_key(|&(c, _)| c);
    by_first
});

fn prefix_len(s: &str, part: impl Fn(char) -> bool) -> usize {
    s.find(|c: char| !part(c)).unwrap_or(s.len())
}

/// The length of `s`'s leading run of exactly `n` digits, if it has at least `n`.
fn digits(s: &str, n: usize) -> Option<usize> {
    let mut len = 0;
    let mut chars = s.chars();
    for _ in 0..n {
        let c = chars.next().filter(|&c| is_digit(c))?;
        len += c.len_utf8();
    }
    Some(len)
}

/// The length of a number in digits at the start of `s`, as the pattern's first alternatives
/// read it: thousands groups (`\d{1,3}(?:,\d{3})+`) when they fit, else a plain run, either
/// with a decimal part. Every shorter reading leaves a digit, comma or point next, which no
/// part after the number starts with, so the longest reading is the only one that can match.
fn digit_number(s: &str) -> usize {
    let lead = prefix_len(s, is_digit);
    let lead_chars = s[..lead].chars().count();
    let mut n = lead;
    if (1..=3).contains(&lead_chars) {
        while let Some(g) = s[n..].strip_prefix(',').and_then(|t| digits(t, 3)) {
            n += 1 + g;
        }
    }
    if let Some(frac) = s[n..].strip_prefix('.') {
        let k = prefix_len(frac, is_digit);
        if k > 0 {
            n += 1 + k;
        }
    }
    n
}

/// The figure starting at byte `start`, read the way the pattern's leftmost-first alternation
/// reads it: each optional part is taken when present (the greedy choice always leads to a match
/// when any choice does), and the first listed unit that fits wins.
fn match_at(text: &str, start: usize) -> Option<FigureMatch<'_>> {
    let s = text.get(start..)?;
    let mut fig = FigureMatch {
        span: start..start,
        num: start..start,
        in_words_pct: false,
        pre: "",
        scale: "",
        approx: false,
        unit: "",
        post: false,
    };
    if let Some(rest) = s
        .strip_prefix(PERCENT_IN_WORDS)
        .filter(|r| r.starts_with(is_pnum))
    {
        let mut n = prefix_len(rest, is_pnum);
        if let Some(frac) = rest[n..].strip_prefix('点') {
            let k = prefix_len(frac, is_pnum_digit);
            if k > 0 {
                n += '点'.len_utf8() + k;
            }
        }
        let at = start + PERCENT_IN_WORDS.len();
        fig.num = at..at + n;
        fig.span = start..at + n;
        fig.in_words_pct = true;
        return Some(fig);
    }
    let first = s.chars().next()?;
    if !is_cn_numeral(first) && !is_digit(first) {
        fig.pre = PRE.iter().find(|p| s.starts_with(*p)).copied()?;
    }
    let mut at = fig.pre.len();
    let n = match s[at..].chars().next() {
        Some(c) if is_cn_numeral(c) => prefix_len(&s[at..], is_cn_numeral),
        Some(c) if is_digit(c) => digit_number(&s[at..]),
        _ => return None,
    };
    fig.num = start + at..start + at + n;
    at += n;
    if s[at..].starts_with(' ') {
        at += 1;
    }
    if let Some(c) = s[at..]
        .chars()
        .next()
        .filter(|c| matches!(c, '万' | '亿' | '千'))
    {
        fig.scale = &s[at..at + c.len_utf8()];
        at += c.len_utf8();
    }
    let unit_at = |at: usize| unit_at(&s[at..]);
    if s[at..].starts_with(['余', '多']) {
        fig.approx = true;
        at += '余'.len_utf8();
        fig.unit = unit_at(at).unwrap_or("");
    } else {
        fig.unit = unit_at(at)?;
    }
    at += fig.unit.len();
    if s[at..].starts_with("以上") || s[at..].starts_with("左右") {
        fig.post = true;
        at += "以上".len();
    }
    fig.span = start..start + at;
    Some(fig)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    /// The figure pattern the scanner reads by hand: its leftmost-first matches and their
    /// capture groups are what the scanner must give.
    static FIG: LazyLock<Regex> = LazyLock::new(|| {
        let units = UNITS.join("|");
        let pre = PRE.join("|");
        Regex::new(&format!(
            r"(?x)
            {PERCENT_IN_WORDS}(?P<pnum>[零〇一二三四五六七八九十百]+(?:点[零〇一二三四五六七八九]+)?)
            |
            (?P<pre>{pre})?
            (?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|[零〇两一二三四五六七八九十百千]+)
            \ ?
            (?P<scale>万|亿|千)?
            (?:
              (?P<approx>余|多)(?P<unit>{units})?
            | (?P<unit2>{units})
            )
            (?P<post>以上|左右)?"
        ))
        .expect("the pattern compiles")
    });

    /// The pattern's matches, read from its capture groups.
    fn by_pattern(text: &str) -> Vec<Option<FigureMatch<'_>>> {
        let mut out = Vec::new();
        let mut at = 0;
        while let Some(c) = FIG.captures_at(text, at) {
            let Some(whole) = c.get(0) else { break };
            at = whole.end();
            let group = |name: &str| c.name(name);
            let num = group("num").or_else(|| group("pnum")).map(|m| m.range());
            out.push(num.map(|num| FigureMatch {
                span: whole.range(),
                num,
                in_words_pct: group("pnum").is_some(),
                pre: group("pre").map_or("", |m| m.as_str()),
                scale: group("scale").map_or("", |m| m.as_str()),
                approx: group("approx").is_some(),
                unit: group("unit").or_else(|| group("unit2")).map_or("", |m| {
                    UNITS
                        .iter()
                        .find(|u| **u == m.as_str())
                        .copied()
                        .expect("the pattern's units are the list's")
                }),
                post: group("post").is_some(),
            }));
        }
        out
    }

    /// The scanner's figures and the pattern's.
    fn both(text: &str) -> (Vec<Option<FigureMatch<'_>>>, Vec<Option<FigureMatch<'_>>>) {
        (find_iter(text).map(Some).collect(), by_pattern(text))
    }

    #[test]
    fn reads_each_part() {
        let t = "约1,208.5 万余人次以上,百分之九十八点六,三千人,近二十个百分点左右,3千件";
        let (hand, _) = both(t);
        let got: Vec<_> = hand
            .iter()
            .flatten()
            .map(|f| (&t[f.num.clone()], f.pre, f.scale, f.approx, f.unit, f.post))
            .collect();
        assert_eq!(
            got,
            vec![
                ("1,208.5", "约", "万", true, "人次", true),
                ("九十八点六", "", "", false, "", false),
                ("三千", "", "", false, "人", false),
                ("二十", "近", "", false, "个百分点", true),
                ("3", "", "千", false, "件", false),
            ]
        );
        assert!(hand[1].as_ref().is_some_and(|f| f.in_words_pct));
    }

    #[test]
    fn a_run_read_from_inside_is_read_as_the_pattern_reads_it() {
        // The pattern finds 234,567件 inside 1234,567件: its thousands group allows 1–3 digits.
        let t = "1234,567件和百分之五和１２件";
        let (hand, caps) = both(t);
        assert_eq!(hand, caps);
        assert_eq!(
            &t[hand[0].as_ref().map_or(0..0, |f| f.span.clone())],
            "234,567件"
        );
        assert!(hand.iter().all(Option::is_some));
    }

    /// Long runs, where the scan passes what cannot start a figure, read as the pattern reads
    /// them.
    #[test]
    fn long_runs_are_read_as_the_pattern_reads_them() {
        for t in [
            "1234567,890件",
            "1234567,89件和12345.6.7件",
            "三四五六七百分之八和三四五百分之件",
            "千百分之零",
            "一二三四五六七八九十百千万余人",
            "１２３４,５６７件",
        ] {
            let (hand, pattern) = both(t);
            assert!(!hand.is_empty(), "{t}");
            assert_eq!(hand, pattern, "{t}");
        }
    }

    /// The repository's reports (examples and test sets, HTML as its bytes): every figure as the
    /// pattern finds it.
    #[test]
    fn real_reports_are_read_as_the_pattern_reads_them() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut read = 0;
        for dir in [
            "examples/reports",
            "tests/fresh",
            "tests/holdout",
            "tests/blind",
            "tests/sealed",
        ] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for path in entries.flatten().map(|e| e.path()) {
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let (hand, pattern) = both(&text);
                assert_eq!(hand, pattern, "{}", path.display());
                read += usize::from(!hand.is_empty());
            }
        }
        assert!(read >= 30, "only {read} reports with figures");
    }

    /// Pieces that make and break figures: numerals, digits of three scripts, separators, every
    /// unit, scale, approximation and range word, and words that are none of them.
    fn piece() -> impl Strategy<Value = &'static str> {
        const OTHER: [&str; 44] = [
            "百分之",
            "𝟓",
            "将",
            "超",
            "共",
            "点",
            "0",
            "1",
            "2",
            "5",
            "9",
            ",",
            ".",
            " ",
            "万",
            "亿",
            "千",
            "零",
            "〇",
            "两",
            "一",
            "二",
            "三",
            "九",
            "十",
            "百",
            "余",
            "多",
            "以上",
            "左右",
            "以",
            "年",
            "第",
            "是",
            "、",
            "x",
            "１",
            "٣",
            "①",
            "分",
            "之",
            "达",
            "工作",
            "平方",
        ];
        let all: Vec<&'static str> = OTHER
            .iter()
            .chain(UNITS.iter())
            .chain(PRE.iter())
            .copied()
            .collect();
        proptest::sample::select(all)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn the_scanner_finds_what_the_pattern_finds(parts in proptest::collection::vec(piece(), 0..32)) {
            let text = parts.concat();
            let (hand, caps) = both(&text);
            prop_assert!(hand.iter().all(Option::is_some), "{text:?}: {hand:?}");
            prop_assert_eq!(hand, caps, "{:?}", text);
        }
    }
}
