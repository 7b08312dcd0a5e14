//! Which words of a fixed set a piece of text holds, as bits, from one automaton pass.
//!
//! Figure binding asks dozens of "does this clause hold one of these words" questions per
//! figure, over several scopes of one sentence. The sentence is scanned once for where each word
//! occurs ([`Occurrences`]); a scope's words are those occurring inside it, and each question
//! is a mask test, where it was a substring search per word (≈ 2,000 a report).

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use std::collections::HashMap;

/// Distinct words a set holds at most.
pub(crate) const CAPACITY: usize = 256;

/// A subset of a [`WordBits`] set: the words a text holds, or the words of one list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Bits([u64; CAPACITY / 64]);

impl Bits {
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    /// True when the text holds any word of `list`.
    pub fn any(&self, list: &Bits) -> bool {
        self.0.iter().zip(&list.0).any(|(t, l)| t & l != 0)
    }

    /// True when the text holds every word of `list` (an empty list holds).
    pub fn all(&self, list: &Bits) -> bool {
        self.0.iter().zip(&list.0).all(|(t, l)| t & l == *l)
    }

    pub fn union(mut self, other: Bits) -> Bits {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }
}

/// Where the words of a set occur in one text: (start, end, word), every occurrence, by end.
#[derive(Debug, Clone, Default)]
pub(crate) struct Occurrences {
    at: Vec<(usize, usize, usize)>,
    /// Empty words, which every range holds.
    always: Bits,
}

impl Occurrences {
    /// The words wholly inside `range` of the text: the words that slice holds.
    /// Only the occurrences ending inside the range are visited, so a bounded range costs the
    /// same in a megabyte-long sentence.
    pub fn within(&self, range: std::ops::Range<usize>) -> Bits {
        let mut bits = self.always;
        let first = self.at.partition_point(|o| o.1 <= range.start);
        for &(s, e, id) in &self.at[first..] {
            if e > range.end {
                break;
            }
            if s >= range.start {
                bits.set(id);
            }
        }
        bits
    }
}

pub(crate) struct WordBits {
    dfa: DFA,
    start: StateID,
    ids: HashMap<String, usize>,
}

impl WordBits {
    /// The set of `words` (repeats count once); an error past [`CAPACITY`] distinct words.
    pub fn new<'a>(words: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut ids = HashMap::new();
        let mut list: Vec<&str> = Vec::new();
        for w in words {
            if !ids.contains_key(w) {
                ids.insert(w.to_string(), list.len());
                list.push(w);
            }
        }
        if list.len() > CAPACITY {
            return Err(format!(
                "{} distinct binding words, more than the {CAPACITY} a word set holds",
                list.len()
            ));
        }
        // Standard semantics: every occurrence of every word is seen, as `contains` would.
        let dfa = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&list)
            .map_err(|e| e.to_string())?;
        let start = dfa.start_state(Anchored::No).map_err(|e| e.to_string())?;
        Ok(Self { dfa, start, ids })
    }

    /// The bits of `words`; `None` when one was not given to [`WordBits::new`].
    pub fn mask<S: AsRef<str>>(&self, words: &[S]) -> Option<Bits> {
        let mut b = Bits::default();
        for w in words {
            b.set(*self.ids.get(w.as_ref())?);
        }
        Some(b)
    }

    /// Every occurrence of every word in `text`, in one pass.
    pub fn occurrences(&self, text: &str) -> Occurrences {
        let mut occ = Occurrences::default();
        self.collect(self.start, &mut occ.always);
        let mut sid = self.start;
        for (i, &byte) in text.as_bytes().iter().enumerate() {
            sid = self.dfa.next_state(Anchored::No, sid, byte);
            if self.dfa.is_match(sid) {
                for k in 0..self.dfa.match_len(sid) {
                    let pid = self.dfa.match_pattern(sid, k);
                    let len = self.dfa.pattern_len(pid);
                    if len > 0 {
                        occ.at.push((i + 1 - len, i + 1, pid.as_usize()));
                    }
                }
            }
        }
        occ
    }

    fn collect(&self, sid: StateID, bits: &mut Bits) {
        if self.dfa.is_match(sid) {
            for i in 0..self.dfa.match_len(sid) {
                bits.set(self.dfa.match_pattern(sid, i).as_usize());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn whole(set: &WordBits, text: &str) -> Bits {
        set.occurrences(text).within(0..text.len())
    }

    #[test]
    fn bits_answer_as_contains_does() {
        let set = WordBits::new(["合法性审查", "审查", "率", "规范性文件"]).expect("set");
        let b = whole(&set, "开展合法性审查|审查率100%");
        let m = |ws: &[&str]| set.mask(ws).expect("known words");
        assert!(b.any(&m(&["率"])));
        assert!(b.all(&m(&["合法性审查", "率"])));
        assert!(!b.any(&m(&["规范性文件"])));
        assert!(!b.all(&m(&["审查", "规范性文件"])));
        assert!(b.all(&m(&[])));
        assert!(set.mask(&["未知"]).is_none());
    }

    #[test]
    fn a_range_holds_the_words_wholly_inside_it() {
        let set = WordBits::new(["审查", "合法性审查", "率"]).expect("set");
        let text = "合法性审查率";
        let occ = set.occurrences(text);
        let m = |w: &str| set.mask(&[w]).expect("mask");
        let r = occ.within(0..text.len());
        assert!(r.all(&m("合法性审查")) && r.all(&m("率")));
        let tail = occ.within("合法性".len()..text.len());
        assert!(tail.any(&m("审查")) && !tail.any(&m("合法性审查")));
        assert_eq!(occ.within(3..3), Bits::default());
        assert_eq!(r.union(tail), r);
    }

    #[test]
    fn an_empty_word_is_in_every_range() {
        let set = WordBits::new(["", "率"]).expect("set");
        let empty = set.mask(&[""]).expect("mask");
        assert!(set.occurrences("审查").within(3..3).all(&empty));
        assert!(set.occurrences("").within(0..0).all(&empty));
    }

    #[test]
    fn too_many_words_is_an_error() {
        let words: Vec<String> = (0..=CAPACITY).map(|i| format!("w{i}")).collect();
        assert!(WordBits::new(words.iter().map(String::as_str)).is_err());
        assert!(WordBits::new(words[..CAPACITY].iter().map(String::as_str)).is_ok());
    }

    proptest! {
        /// Against `str::contains`, word by word, on any range of texts built from the words'
        /// own characters.
        #[test]
        fn same_as_contains(
            text in "[审查合法性率文件调解 ,|]{0,40}",
            a in 0usize..=120,
            b in 0usize..=120,
        ) {
            let words = ["审查", "合法性审查", "率", "文件", "调解", "查合", "|"];
            let set = WordBits::new(words).expect("set");
            let floor = |i: usize| (0..=i.min(text.len())).rev().find(|&k| text.is_char_boundary(k)).unwrap_or(0);
            let (a, b) = (floor(a.min(b)), floor(a.max(b)));
            let inside = set.occurrences(&text).within(a..b);
            for w in words {
                let m = set.mask(&[w]).expect("mask");
                prop_assert_eq!(inside.any(&m), text[a..b].contains(w), "{} in {}..{}", w, a, b);
            }
        }
    }
}
