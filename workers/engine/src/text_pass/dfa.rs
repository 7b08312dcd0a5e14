//! The pass's DFA, laid out to stay in a core's L2 cache, and its search in interleaved
//! stretches.
//!
//! aho-corasick's own DFA for a checklist with the cues is ≈ 3.3 MB: 32-bit transitions and rows
//! padded to a power of two. This table is read from that DFA once, which is then dropped: one
//! class per byte that occurs in a pattern and one for all others, unpadded rows, and 16-bit
//! state numbers while the states fit, ≈ 1.1 MB. Match states are numbered first, so "is this a
//! match" is one comparison.
//!
//! Each byte's step waits on the load of the previous step, so a text is read as [`LANES`]
//! stretches stepped in turn, whose loads overlap; each starts the longest pattern's length
//! early, which gives it the same matches a single pass finds there.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, StartKind};

/// Stretches of a text stepped in turn.
const LANES: usize = 4;

/// A text shorter than this per stretch is one stretch: the warm-up would be a large share.
const MIN_LANE_BYTES: usize = 512;

/// A state number: 16 bits while the states fit, else 32.
pub(super) trait StateNo: Copy {
    fn new(n: usize) -> Option<Self>;
    fn get(self) -> usize;
}

impl StateNo for u16 {
    fn new(n: usize) -> Option<Self> {
        u16::try_from(n).ok()
    }
    #[inline(always)]
    fn get(self) -> usize {
        usize::from(self)
    }
}

impl StateNo for u32 {
    fn new(n: usize) -> Option<Self> {
        u32::try_from(n).ok()
    }
    #[inline(always)]
    fn get(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone)]
pub(super) struct Dfa<S> {
    /// Byte → its class (a column of `next`).
    classes: [u8; 256],
    columns: usize,
    /// Row-major: `next[state * columns + class]`.
    next: Vec<S>,
    start: S,
    /// States below this number are match states.
    matching: usize,
    /// Match state `s`'s patterns are `patterns[ends[s]..ends[s + 1]]`.
    ends: Vec<usize>,
    patterns: Vec<usize>,
    /// Pattern → its length in bytes.
    lens: Vec<usize>,
    longest: usize,
}

/// The DFA in the narrowest state numbers that hold it.
#[derive(Debug, Clone)]
pub(super) enum AnyDfa {
    Narrow(Dfa<u16>),
    Wide(Dfa<u32>),
}

impl AnyDfa {
    /// Standard match kind over non-empty `patterns`: every occurrence of every pattern.
    pub(super) fn build(patterns: &[String]) -> Result<AnyDfa, String> {
        let layout = Layout::new(patterns)?;
        match Dfa::<u16>::from_layout(&layout, patterns) {
            Some(d) => Ok(AnyDfa::Narrow(d)),
            None => Dfa::<u32>::from_layout(&layout, patterns)
                .map(AnyDfa::Wide)
                .ok_or_else(|| "the phrase automaton has too many states".to_string()),
        }
    }

    /// Calls `found(start, end, pattern)` once for every occurrence of every pattern in `hay`,
    /// in no particular order.
    pub(super) fn overlapping(&self, hay: &[u8], found: impl FnMut(usize, usize, usize)) {
        match self {
            AnyDfa::Narrow(d) => d.overlapping(hay, found),
            AnyDfa::Wide(d) => d.overlapping(hay, found),
        }
    }
}

/// aho-corasick's DFA read breadth-first into rows of this table's columns, before numbering.
struct Layout {
    classes: [u8; 256],
    columns: usize,
    /// Per state, breadth-first from the start: is it a match state, and its patterns.
    matches: Vec<Option<Vec<usize>>>,
    /// Row-major transitions, by breadth-first index.
    rows: Vec<u32>,
}

impl Layout {
    fn new(patterns: &[String]) -> Result<Layout, String> {
        // Read from aho-corasick's DFA, whose steps are table lookups. Read from its NFA, whose
        // steps follow failure links, start-up took 370 M instructions more than with the two
        // automata before; this way 77 M more (callgrind). No prefilter: the start state then
        // stays an ordinary one.
        let dfa = aho_corasick::dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(patterns)
            .map_err(|e| e.to_string())?;
        let mut used = [false; 256];
        for b in patterns.iter().flat_map(|p| p.bytes()) {
            used[usize::from(b)] = true;
        }
        // Class 0 holds every byte no pattern has (if there is one); the others one byte each.
        let mut classes = [0u8; 256];
        let mut members = Vec::new();
        if let Some(other) = (0..=255u8).find(|b| !used[usize::from(*b)]) {
            members.push(other);
        }
        for b in 0..=255u8 {
            if used[usize::from(b)] {
                classes[usize::from(b)] = u8::try_from(members.len()).map_err(|e| e.to_string())?;
                members.push(b);
            }
        }
        let start = dfa.start_state(Anchored::No).map_err(|e| e.to_string())?;
        // aho-corasick's state id → breadth-first index. Its ids are row offsets, dense enough
        // for a vector (3.3 MB at most for a 3.3 MB DFA, dropped with it).
        let mut index: Vec<u32> = Vec::new();
        let mut number = |sid: StateID, states: &mut Vec<StateID>| -> Result<u32, String> {
            let at = sid.as_usize();
            if index.len() <= at {
                index.resize(at + 1, u32::MAX);
            }
            if index[at] == u32::MAX {
                index[at] = u32::try_from(states.len()).map_err(|e| e.to_string())?;
                states.push(sid);
            }
            Ok(index[at])
        };
        let mut states = Vec::new();
        number(start, &mut states)?;
        let mut rows = Vec::new();
        let mut i = 0;
        while let Some(&s) = states.get(i) {
            for &b in &members {
                let t = dfa.next_state(Anchored::No, s, b);
                rows.push(number(t, &mut states)?);
            }
            i += 1;
        }
        let matches = states
            .iter()
            .map(|&s| {
                dfa.is_match(s).then(|| {
                    (0..dfa.match_len(s))
                        .map(|i| dfa.match_pattern(s, i).as_usize())
                        .collect()
                })
            })
            .collect();
        Ok(Layout {
            classes,
            columns: members.len(),
            matches,
            rows,
        })
    }
}

impl<S: StateNo> Dfa<S> {
    /// `None` when the states do not fit in `S`.
    fn from_layout(l: &Layout, patterns: &[String]) -> Option<Dfa<S>> {
        // Match states first, each group in breadth-first order (shallow states, the ones a text
        // visits most, stay close together).
        let (matching, rest): (Vec<usize>, Vec<usize>) =
            (0..l.matches.len()).partition(|&k| l.matches[k].is_some());
        let order: Vec<usize> = matching.iter().chain(&rest).copied().collect();
        let mut renumber = vec![0usize; order.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new;
        }
        S::new(order.len().checked_sub(1)?)?;
        let mut next = Vec::with_capacity(l.rows.len());
        for &old in &order {
            let row = l.rows.get(old * l.columns..(old + 1) * l.columns)?;
            for &t in row {
                next.push(S::new(*renumber.get(usize::try_from(t).ok()?)?)?);
            }
        }
        let mut ends = vec![0];
        let mut found = Vec::new();
        for &old in &matching {
            found.extend(l.matches[old].iter().flatten());
            ends.push(found.len());
        }
        let lens: Vec<usize> = patterns.iter().map(|p| p.len()).collect();
        Some(Dfa {
            classes: l.classes,
            columns: l.columns,
            next,
            start: S::new(renumber[0])?,
            matching: matching.len(),
            ends,
            patterns: found,
            longest: lens.iter().copied().max().unwrap_or(0),
            lens,
        })
    }

    fn overlapping(&self, hay: &[u8], found: impl FnMut(usize, usize, usize)) {
        if hay.len() >= LANES * MIN_LANE_BYTES {
            self.stretches::<LANES>(hay, found)
        } else {
            self.stretches::<1>(hay, found)
        }
    }

    #[inline(always)]
    fn step(&self, s: S, b: u8) -> S {
        let at = s.get() * self.columns + usize::from(self.classes[usize::from(b)]);
        // In range by construction: every state has a full row.
        self.next.get(at).copied().unwrap_or(self.start)
    }

    /// Out of line: a match is rare next to a step, and inlined into the steps it made the
    /// loop over the stretches longer (criterion `corpus_mix` −0.9 %).
    #[inline(never)]
    fn emit(&self, s: S, end: usize, found: &mut impl FnMut(usize, usize, usize)) {
        // In range by construction: a match state has its two ends.
        let (Some(&from), Some(&to)) = (self.ends.get(s.get()), self.ends.get(s.get() + 1)) else {
            return;
        };
        for &p in self.patterns.get(from..to).unwrap_or_default() {
            let len = self.lens.get(p).copied().unwrap_or(0);
            found(end - len, end, p);
        }
    }

    /// Stretch `k` of `N` reports the matches that end after `after[k]` and at or before
    /// `stop[k]`. It starts stepping `longest` bytes before `after[k]`, from the start state: a
    /// match ending in its part is at most that long, so the stretch has read all of it, and the
    /// DFA's state after any read is the longest suffix of it that begins a pattern, so every
    /// pattern ending there that fits in what the stretch read is among the state's matches.
    /// `N` is a constant, so the turn over the stretches is unrolled.
    fn stretches<const N: usize>(&self, hay: &[u8], mut found: impl FnMut(usize, usize, usize)) {
        let mut sid = [self.start; N];
        let after: [usize; N] = std::array::from_fn(|k| hay.len() * k / N);
        let stop: [usize; N] = std::array::from_fn(|k| hay.len() * (k + 1) / N);
        let at: [usize; N] = std::array::from_fn(|k| after[k].saturating_sub(self.longest));
        // Stepped in turn while every stretch has bytes left; then each finishes alone.
        let common = (0..N).map(|k| stop[k] - at[k]).min().unwrap_or(0);
        for step in 0..common {
            for k in 0..N {
                let i = at[k] + step;
                let Some(&b) = hay.get(i) else { continue };
                let s = self.step(sid[k], b);
                sid[k] = s;
                if s.get() < self.matching && i >= after[k] {
                    self.emit(s, i + 1, &mut found);
                }
            }
        }
        for k in 0..N {
            let mut s = sid[k];
            for (i, &b) in hay.iter().enumerate().take(stop[k]).skip(at[k] + common) {
                s = self.step(s, b);
                if s.get() < self.matching && i >= after[k] {
                    self.emit(s, i + 1, &mut found);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// (start, end, pattern) of every match, sorted.
    fn by_stretches<S: StateNo, const N: usize>(dfa: &Dfa<S>, text: &str) -> Vec<[usize; 3]> {
        let mut out = Vec::new();
        dfa.stretches::<N>(text.as_bytes(), |start, end, p| out.push([start, end, p]));
        out.sort_unstable();
        out
    }

    fn word() -> impl Strategy<Value = String> {
        proptest::collection::vec(select(vec!['法', '治', '政', '府', 'a', '1', '。']), 1..6)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        /// Either width of state number, with any number of stretches, finds exactly what the
        /// crate's own overlapping search finds: matches on both sides of every stretch's start,
        /// nested and repeated ones, bytes no pattern has.
        #[test]
        fn stretches_find_what_one_pass_finds(
            patterns in proptest::collection::vec(word(), 1..12),
            text in proptest::collection::vec(select(vec!['法', '治', '政', '府', 'a', '1', '。', '的', 'z']), 0..400)
                .prop_map(|cs| cs.into_iter().collect::<String>()),
        ) {
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut want: Vec<[usize; 3]> = ac
                .find_overlapping_iter(&text)
                .map(|m| [m.start(), m.end(), m.pattern().as_usize()])
                .collect();
            want.sort_unstable();
            let layout = Layout::new(&patterns).map_err(TestCaseError::fail)?;
            let narrow = Dfa::<u16>::from_layout(&layout, &patterns).ok_or_else(|| TestCaseError::fail("u16"))?;
            let wide = Dfa::<u32>::from_layout(&layout, &patterns).ok_or_else(|| TestCaseError::fail("u32"))?;
            prop_assert_eq!(&by_stretches::<_, 1>(&narrow, &text), &want);
            prop_assert_eq!(&by_stretches::<_, 2>(&narrow, &text), &want);
            prop_assert_eq!(&by_stretches::<_, 3>(&narrow, &text), &want);
            prop_assert_eq!(&by_stretches::<_, LANES>(&narrow, &text), &want);
            prop_assert_eq!(&by_stretches::<_, LANES>(&wide, &text), &want);
        }
    }

    #[test]
    fn a_table_too_big_for_narrow_numbers_is_built_wide() {
        // Over 80,000 states: the last two bytes of each word are its own.
        let patterns: Vec<String> = (0..40_000).map(|i| format!("{i:06}x")).collect();
        let dfa = AnyDfa::build(&patterns).expect("builds");
        assert!(matches!(dfa, AnyDfa::Wide(_)));
        let mut hits = Vec::new();
        dfa.overlapping(b"..012345x..", |start, end, p| hits.push((start, end, p)));
        assert_eq!(hits, vec![(2, 9, 12345)]);
    }
}
