//! Where a figure stands in the text and what its parts are (number, unit, scale, approximation
//! words). The pattern's lazy DFAs find each match in one linear pass; its parts are then read by
//! hand from the matched span. Asking the regex for capture groups ran a backtracker over every
//! match, which cost more than finding all of them.

use regex::Regex;
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
    .unwrap_or_else(|_| unreachable!())
});

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
    pub unit: &'t str,
    /// 以上 or 左右 after the unit.
    pub post: bool,
}

/// Figures in text order, as the pattern's leftmost-first matches.
pub(super) fn find_iter(text: &str) -> impl Iterator<Item = FigureMatch<'_>> {
    FIG.find_iter(text)
        .filter_map(|m| read(text, m.range()).or_else(|| by_captures(text, m.start())))
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

/// A number in digits is made of `\d`, thousands commas and a decimal point; none of the
/// characters that may follow it in a match (space, scale, 余/多, units) is any of those.
fn is_digit_part(c: char) -> bool {
    c.is_ascii_digit() || c == ',' || c == '.' || (!c.is_ascii() && c.is_numeric())
}

fn prefix_len(s: &str, part: impl Fn(char) -> bool) -> usize {
    s.find(|c: char| !part(c)).unwrap_or(s.len())
}

/// The parts of a span the pattern matched, read the way its leftmost-first alternation reads
/// them: each optional part is taken when present (the pattern's greedy choice always leads to a
/// match when any choice does), and the first listed unit that fits wins. `None` if the reading
/// does not end where the match does, which the property test below says never happens.
fn read(text: &str, span: Range<usize>) -> Option<FigureMatch<'_>> {
    let s = &text[span.clone()];
    let base = span.start;
    let mut fig = FigureMatch {
        span: span.clone(),
        num: base..base,
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
        let at = base + PERCENT_IN_WORDS.len();
        fig.num = at..at + n;
        fig.in_words_pct = true;
        return (fig.num.end == span.end).then_some(fig);
    }
    fig.pre = PRE
        .iter()
        .find(|p| s.starts_with(*p))
        .copied()
        .unwrap_or("");
    let mut at = fig.pre.len();
    let n = if s[at..].starts_with(is_cn_numeral) {
        prefix_len(&s[at..], is_cn_numeral)
    } else {
        prefix_len(&s[at..], is_digit_part)
    };
    fig.num = base + at..base + at + n;
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
    let unit_at = |at: usize| UNITS.iter().find(|u| s[at..].starts_with(*u)).copied();
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
    (at == s.len()).then_some(fig)
}

/// The parts as the regex's capture groups give them: the slow path, kept so that a span the
/// hand reading could not follow is still read exactly.
fn by_captures(text: &str, start: usize) -> Option<FigureMatch<'_>> {
    let c = FIG.captures_at(text, start)?;
    let group = |name: &str| c.name(name);
    let in_words_pct = group("pnum").is_some();
    let num = group("num").or_else(|| group("pnum"))?.range();
    Some(FigureMatch {
        span: c.get(0)?.range(),
        num,
        in_words_pct,
        pre: group("pre").map_or("", |m| m.as_str()),
        scale: group("scale").map_or("", |m| m.as_str()),
        approx: group("approx").is_some(),
        unit: group("unit")
            .or_else(|| group("unit2"))
            .map_or("", |m| m.as_str()),
        post: group("post").is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every match read by hand, and by the capture groups.
    fn both(text: &str) -> (Vec<Option<FigureMatch<'_>>>, Vec<Option<FigureMatch<'_>>>) {
        FIG.find_iter(text)
            .map(|m| (read(text, m.range()), by_captures(text, m.start())))
            .unzip()
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

    /// Pieces that make and break figures: numerals, digits of three scripts, separators, every
    /// unit, scale, approximation and range word, and words that are none of them.
    fn piece() -> impl Strategy<Value = &'static str> {
        const OTHER: [&str; 40] = [
            "百分之",
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
        fn hand_reading_matches_the_capture_groups(parts in proptest::collection::vec(piece(), 0..24)) {
            let text = parts.concat();
            let (hand, caps) = both(&text);
            prop_assert!(hand.iter().all(Option::is_some), "{text:?}: {hand:?}");
            prop_assert_eq!(hand, caps, "{:?}", text);
        }
    }
}
