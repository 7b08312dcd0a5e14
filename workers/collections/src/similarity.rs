//! The text side of copied-text detection, pure: sentences with digits masked and boilerplate
//! left out (rules in `checklists/copying.toml`), MinHash with LSH banding to find candidate
//! reports in a large index, and the matched passages as evidence pairs with offsets in both
//! texts.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use fazhi_proto::v1 as wire;
use serde::Deserialize;

/// The rules of `checklists/copying.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub version: String,
    pub min_chars: usize,
    pub common_share: f64,
    pub common_min_reports: u32,
    pub flag_share: f64,
    pub min_shared: usize,
    pub max_reports: usize,
    pub max_pairs: usize,
    pub boilerplate_cues: Vec<String>,
    /// The cues as one automaton: a sentence is searched once, not once per cue.
    #[serde(skip)]
    boilerplate: Option<AhoCorasick>,
}

static RULES: LazyLock<Result<Rules, String>> = LazyLock::new(|| {
    let mut r: Rules = toml::from_str(include_str!("../../engine/checklists/copying.toml"))
        .map_err(|e| format!("checklists/copying.toml: {e}"))?;
    // Asked only whether a sentence holds any cue, which every match kind answers alike.
    // Leftmost-first lets aho-corasick add its SIMD prefilter (Teddy), which it builds for no
    // standard-semantics searcher; without it every byte of every sentence took a step.
    r.boilerplate = Some(
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&r.boilerplate_cues)
            .map_err(|e| format!("checklists/copying.toml: boilerplate_cues: {e}"))?,
    );
    Ok(r)
});

/// The rules, or why they do not load (a build with a broken data file; tests catch it).
pub fn rules() -> Result<&'static Rules, String> {
    RULES.as_ref().map_err(Clone::clone)
}

/// A compared sentence: char offsets into the normalized text, and the hash of its masked form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub start: usize,
    pub end: usize,
    pub hash: u64,
}

fn is_break(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '；' | '\n' | '!' | '?' | ';')
}

/// The sentences worth comparing: long enough, no boilerplate cue; digits masked.
pub fn sentences(text: &str, rules: &Rules) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut open = Open::at(0, 0);
    let mut chars = 0usize;
    for (at, c) in text.char_indices() {
        let i = chars;
        chars += 1;
        if is_break(c) {
            open.close(&mut out, text, i, at, rules);
            open = Open::at(i + 1, at + c.len_utf8());
        } else {
            open.take(c);
        }
    }
    open.close(&mut out, text, chars, text.len(), rules);
    out
}

/// A sentence being read. Its masked form (ideographs, letters and digits, each run of digits
/// one `#`) is hashed as it grows, never built: building it and a copy of the sentence for the
/// boilerplate search was most of this step's time in a worker (perf).
struct Open {
    /// First character, and its byte.
    start: usize,
    from: usize,
    /// FNV-1a of the masked form so far (unmixed), its length in characters, and whether it
    /// ends in `#`.
    hash: u64,
    masked: usize,
    in_digits: bool,
}

impl Open {
    fn at(start: usize, from: usize) -> Self {
        Self {
            start,
            from,
            hash: FNV_OFFSET,
            masked: 0,
            in_digits: false,
        }
    }

    fn take(&mut self, c: char) {
        if is_mark(c) {
            return;
        }
        if is_ideograph(c) || (!c.is_numeric() && c.is_alphanumeric()) {
            self.feed(c);
            self.in_digits = false;
        } else if c.is_numeric() && !self.in_digits {
            self.feed('#');
            self.in_digits = true;
        }
    }

    fn feed(&mut self, c: char) {
        let mut b = [0u8; 4];
        self.hash = fnv_bytes(self.hash, c.encode_utf8(&mut b).as_bytes());
        self.masked += 1;
    }

    /// Ends the sentence at character `end`, byte `to`: kept if long enough and no boilerplate.
    fn close(self, out: &mut Vec<Sentence>, text: &str, end: usize, to: usize, rules: &Rules) {
        if self.masked < rules.min_chars || is_boilerplate(&text[self.from..to], rules) {
            return;
        }
        out.push(Sentence {
            start: self.start,
            end,
            hash: mix(self.hash),
        });
    }
}

/// CJK Unified Ideographs, most of a report's characters: letters, never digits (a test checks
/// it against the Unicode tables), decided without looking them up.
fn is_ideograph(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// General and CJK punctuation (“”—…《》「」、。): neither letters nor digits (a test checks it
/// against the Unicode tables), decided without looking them up. After ideographs they are a
/// report's most common characters, and each took the tables three lookups (perf).
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{2000}'..='\u{206F}'
            | '\u{3000}'..='\u{3004}'
            | '\u{3008}'..='\u{3020}'
            | '\u{3030}'
            | '\u{3036}'..='\u{3037}'
            | '\u{303D}'..='\u{303F}'
    )
}

fn is_boilerplate(raw: &str, rules: &Rules) -> bool {
    match &rules.boilerplate {
        Some(ac) => ac.is_match(raw),
        None => rules
            .boilerplate_cues
            .iter()
            .any(|c| raw.contains(c.as_str())),
    }
}

/// FNV-1a 64, mixed: stable across processes and versions (stored in the index).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    mix(fnv_bytes(FNV_OFFSET, bytes))
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

fn fnv_bytes(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The 32 bits of a sentence hash the index keeps: between two reports of a few hundred
/// sentences a false match is about one in 10⁵ comparisons, and it takes `min_shared` of them
/// to flag anything.
pub fn short(h: u64) -> u32 {
    (h >> 32) as u32
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// LSH bands: 24 bands of 2 MinHash values. Two reports sharing a fraction J of their sentence
/// sets become candidates with probability 1 − (1 − J²)²⁴: 0.99 at J = 0.4, 0.62 at J = 0.2.
pub const BANDS: usize = 24;
const ROWS: usize = 2;

/// The band keys of a sentence set (empty set → none).
pub fn band_keys(hashes: &[u64]) -> Vec<u64> {
    if hashes.is_empty() {
        return Vec::new();
    }
    let mut mins = [u64::MAX; BANDS * ROWS];
    for &h in hashes {
        for (i, m) in mins.iter_mut().enumerate() {
            let v = mix(h ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i as u64 + 1)));
            if v < *m {
                *m = v;
            }
        }
    }
    (0..BANDS)
        .map(|b| {
            let mut k = mix(b as u64 + 0x5bd1_e995);
            for r in 0..ROWS {
                k = mix(k ^ mins[b * ROWS + r]);
            }
            k
        })
        .collect()
}

/// How much of `new` (its compared sentences, less the common ones) is found in `other`.
pub struct Overlap {
    /// Indexes into `new` of the shared sentences.
    pub shared: Vec<usize>,
    /// Sentences of `new` that counted.
    pub counted: usize,
}

impl Overlap {
    pub fn share(&self) -> f64 {
        if self.counted == 0 {
            0.0
        } else {
            self.shared.len() as f64 / self.counted as f64
        }
    }
}

/// `other` holds the other report's [`short`] hashes.
pub fn overlap(new: &[Sentence], other: &HashSet<u32>, common: &HashSet<u64>) -> Overlap {
    let mut seen = HashSet::new();
    let mut shared = Vec::new();
    let mut counted = 0;
    for (i, s) in new.iter().enumerate() {
        if common.contains(&s.hash) || !seen.insert(s.hash) {
            continue;
        }
        counted += 1;
        if other.contains(&short(s.hash)) {
            shared.push(i);
        }
    }
    Overlap { shared, counted }
}

/// Evidence pairs for the shared sentences: the passage here and where it stands in the other.
pub fn passages(
    new_text: &str,
    new: &[Sentence],
    shared: &[usize],
    other_text: &str,
    rules: &Rules,
) -> Vec<wire::SimilarPassage> {
    let theirs: HashMap<u64, Sentence> = sentences(other_text, rules)
        .into_iter()
        .map(|s| (s.hash, s))
        .collect();
    let (mine, others): (Vec<char>, Vec<char>) =
        (new_text.chars().collect(), other_text.chars().collect());
    let quote = |chars: &[char], s: &Sentence| {
        chars[s.start.min(chars.len())..s.end.min(chars.len())]
            .iter()
            .collect::<String>()
    };
    let ev = |chars: &[char], s: &Sentence| wire::Evidence {
        quote: quote(chars, s),
        start: i32::try_from(s.start).unwrap_or(i32::MAX),
        end: i32::try_from(s.end).unwrap_or(i32::MAX),
        section: String::new(),
    };
    shared
        .iter()
        .filter_map(|&i| {
            let s = new.get(i)?;
            let o = theirs.get(&s.hash)?;
            Some(wire::SimilarPassage {
                passage: Some(ev(&mine, s)),
                other: Some(ev(&others, o)),
            })
        })
        .take(rules.max_pairs)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ideographs_are_letters_and_never_digits() {
        for c in '\u{4E00}'..='\u{9FFF}' {
            assert!(is_ideograph(c));
            assert!(c.is_alphanumeric() && !c.is_numeric(), "{c:?}");
        }
        assert!(!is_ideograph('〇') && '〇'.is_numeric());
    }

    #[test]
    fn marks_are_neither_letters_nor_digits() {
        let marks: Vec<char> = ('\u{2000}'..='\u{303F}').filter(|&c| is_mark(c)).collect();
        assert!(marks.len() > 130, "{}", marks.len());
        for c in marks {
            assert!(!c.is_alphanumeric() && !c.is_numeric(), "{c:?}");
        }
        // The CJK block's letters and numerals stay with the tables.
        for c in ['々', '〆', '〇', '〡', '〱', '〻', '〼'] {
            assert!(!is_mark(c) && c.is_alphanumeric(), "{c:?}");
        }
        for c in ['“', '”', '—', '…', '《', '》', '「', '」', '、', '。'] {
            assert!(is_mark(c), "{c:?}");
        }
    }

    /// The sentences as they were first defined: the masked form and the sentence built as
    /// strings, then hashed (the index holds hashes made this way).
    fn sentences_by_strings(text: &str, rules: &Rules) -> Vec<Sentence> {
        let mut out = Vec::new();
        let (mut start, mut chars) = (0usize, 0usize);
        let (mut buf, mut raw) = (String::new(), String::new());
        let close = |out: &mut Vec<Sentence>, start, end, buf: &str, raw: &str| {
            if buf.chars().count() >= rules.min_chars && !is_boilerplate(raw, rules) {
                out.push(Sentence {
                    start,
                    end,
                    hash: fnv1a(buf.as_bytes()),
                });
            }
        };
        for c in text.chars() {
            let i = chars;
            chars += 1;
            if is_break(c) {
                close(&mut out, start, i, &buf, &raw);
                buf.clear();
                raw.clear();
                start = i + 1;
                continue;
            }
            raw.push(c);
            if c.is_numeric() {
                if !buf.ends_with('#') {
                    buf.push('#');
                }
            } else if c.is_alphanumeric() {
                buf.push(c);
            }
        }
        close(&mut out, start, chars, &buf, &raw);
        out
    }

    proptest::proptest! {
        /// Digits of every script, letters, ideographs, punctuation, breaks and boilerplate cues
        /// mixed: the same sentences, offsets and hashes as building the strings gives.
        #[test]
        fn hashing_as_it_reads_gives_the_hashes_of_the_built_strings(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    "[一-龥]{1,12}",
                    "[0-9０-９٣〇⅔①.,%，、]{1,5}",
                    "[a-zA-Zａ-ｚé]{1,4}",
                    "[。！？；\n!?;（）“”：#]",
                    proptest::sample::select(vec![
                        "深入学习贯彻习近平法治思想".to_string(),
                        "根据".to_string(),
                        "".to_string(),
                    ]),
                ],
                0..40,
            )
        ) {
            let r = rules().expect("rules");
            let text = parts.concat();
            proptest::prop_assert_eq!(sentences(&text, r), sentences_by_strings(&text, r));
        }
    }

    /// A piece of a sentence for the boilerplate test: ideographs, other characters, a whole
    /// cue, or a run of a cue's characters (heads and tails that almost match).
    fn sentence_piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        let cues = rules().expect("rules").boilerplate_cues.clone();
        let part = (
            proptest::sample::select(cues.clone()),
            0..20usize,
            0..20usize,
        )
            .prop_map(|(cue, from, len)| {
                let chars: Vec<char> = cue.chars().collect();
                let from = from.min(chars.len());
                let to = (from + len).min(chars.len());
                chars[from..to].iter().collect::<String>()
            });
        proptest::prop_oneof![
            "[一-龥]{1,6}",
            "[a-z，、（）0-9]{1,3}",
            proptest::sample::select(cues),
            part,
        ]
    }

    proptest::proptest! {
        /// The automaton calls a sentence boilerplate exactly when a cue is a substring of it.
        #[test]
        fn boilerplate_is_a_cue_anywhere_in_the_sentence(
            parts in proptest::collection::vec(sentence_piece(), 0..12)
        ) {
            let r = rules().expect("rules");
            let text = parts.concat();
            let want = r.boilerplate_cues.iter().any(|c| text.contains(c.as_str()));
            proptest::prop_assert_eq!(is_boilerplate(&text, r), want);
        }
    }

    #[test]
    fn digits_masked_boilerplate_and_short_sentences_left_out() {
        let r = rules().expect("rules");
        let a = sentences(
            "全县办理行政复议案件157件，纠错率11.5%。深入学习贯彻习近平法治思想，推进法治政府建设。好。",
            r,
        );
        let b = sentences("全县办理行政复议案件203件，纠错率9.8%。", r);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].hash, b[0].hash, "figures do not matter");
        assert_eq!((a[0].start, a[0].end), (0, 23));
    }

    #[test]
    fn lsh_finds_a_60_percent_copy_and_not_a_stranger() {
        let base: Vec<u64> = (0..80u64).map(|i| fnv1a(&i.to_le_bytes())).collect();
        let mut copy: Vec<u64> = base[..48].to_vec();
        copy.extend((1000..1032u64).map(|i| fnv1a(&i.to_le_bytes())));
        let stranger: Vec<u64> = (5000..5080u64).map(|i| fnv1a(&i.to_le_bytes())).collect();
        let hits = |a: &[u64], b: &[u64]| {
            band_keys(a)
                .iter()
                .zip(band_keys(b))
                .filter(|(x, y)| *x == y)
                .count()
        };
        assert!(hits(&base, &copy) >= 1);
        assert_eq!(hits(&base, &stranger), 0);
        assert_eq!(hits(&base, &base), BANDS);
    }
}
