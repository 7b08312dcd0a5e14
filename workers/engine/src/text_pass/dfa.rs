//! The pass's DFA, laid out to stay near the core, and its search in interleaved stretches.
//!
//! aho-corasick's own DFA for a checklist with the cues is ≈ 3.3 MB: 32-bit transitions and rows
//! padded to a power of two. This table is read from that DFA once, which is then dropped.
//!
//! A text is UTF-8 and every pattern starts on a character, so a state is either between
//! characters (what it has read ends a character) or inside one. Between characters the next
//! byte is ASCII or a lead byte; inside one it is a continuation byte. The two kinds of state get
//! rows of their own columns, about half as wide as rows of every byte a pattern has: one column
//! per such byte, and one for the bytes no pattern has (by how long a character they begin, so
//! that the search knows whether it stands inside one). State numbers are 16 bits while the
//! states fit. Match states are numbered first, so "is this a match" is one comparison. A byte
//! says which kind of row the current state has, so a step is still one multiply, add and load:
//! `next[state * width(byte) + offset(byte)]`.
//!
//! Each byte's step waits on the load of the previous step, so a text is read as [`LANES`]
//! stretches stepped in turn, whose loads overlap; each starts at a character at least the
//! longest pattern's length early, which gives it the same matches a single pass finds there.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, StartKind};

/// Stretches of a text stepped in turn.
const LANES: usize = 4;

/// A text shorter than this per stretch is one stretch: the warm-up would be a large share.
const MIN_LANE_BYTES: usize = 512;

/// A state number: 16 bits while the states fit, else 32.
pub(super) trait StateNo: Copy {
    fn new(n: usize) -> Option<Self>;
    fn get(self) -> u32;
}

impl StateNo for u16 {
    fn new(n: usize) -> Option<Self> {
        u16::try_from(n).ok()
    }
    #[inline(always)]
    fn get(self) -> u32 {
        u32::from(self)
    }
}

impl StateNo for u32 {
    fn new(n: usize) -> Option<Self> {
        u32::try_from(n).ok()
    }
    #[inline(always)]
    fn get(self) -> u32 {
        self
    }
}

/// How a byte steps: to `next[state * width + offset]`, in wrapping 32-bit arithmetic. A
/// continuation byte's offset takes away where the numbers of the states inside a character
/// begin, so their rows start where the rows between characters end.
#[derive(Debug, Clone, Copy, Default)]
struct Column {
    width: u32,
    offset: u32,
}

#[derive(Debug, Clone)]
pub(super) struct Dfa<S> {
    columns: [Column; 256],
    next: Vec<S>,
    start: S,
    /// States below this number are match states.
    matching: u32,
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
    pub(super) fn overlapping(&self, hay: &str, found: impl FnMut(usize, usize, usize)) {
        match self {
            AnyDfa::Narrow(d) => d.overlapping(hay, found),
            AnyDfa::Wide(d) => d.overlapping(hay, found),
        }
    }
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Bytes of the current character still to come after reading `b`, with `left` to come before
/// it: 0 between characters.
fn still_to_come(left: u8, b: u8) -> u8 {
    if left > 0 {
        return left - 1;
    }
    match b {
        0xC0..=0xDF => 1,
        0xE0..=0xEF => 2,
        0xF0..=0xFF => 3,
        _ => 0,
    }
}

/// One state of the table: an aho-corasick state and how many bytes of a character are still
/// to come there. Every state but the start has one such count; the start, where a character
/// that begins no pattern leaves the search, has up to four.
struct Node {
    sid: StateID,
    left: u8,
    /// Where its row starts in [`Layout::rows`].
    row_at: usize,
}

/// aho-corasick's DFA read breadth-first into the nodes' rows, before numbering.
struct Layout {
    /// Byte → its column among the rows of its kind.
    classes: [u8; 256],
    /// One byte of each column, of the rows between characters and the rows inside one.
    between: Vec<u8>,
    inside: Vec<u8>,
    nodes: Vec<Node>,
    /// The nodes' rows one after another, by the breadth-first indices of the nodes they step
    /// to: a row between characters has a column per byte of `between`, one inside a character
    /// a column per byte of `inside`.
    rows: Vec<u32>,
    /// Per node, its patterns if it is a match state.
    matches: Vec<Option<Vec<usize>>>,
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
        // A byte a pattern has is a column of its own. The others step to the start whatever
        // the state, so they share a column: continuation bytes one, the rest one per length
        // of the character they begin.
        let mut classes = [0u8; 256];
        let (mut between, mut inside) = (Vec::new(), Vec::new());
        let mut shared: [Option<u8>; 5] = [None; 5];
        for b in 0..=255u8 {
            let cont = is_continuation(b);
            let members = if cont { &mut inside } else { &mut between };
            let kind = (!used[usize::from(b)]).then(|| {
                if cont {
                    4
                } else {
                    usize::from(still_to_come(0, b))
                }
            });
            classes[usize::from(b)] = match kind.and_then(|k| shared[k]) {
                Some(c) => c,
                None => {
                    let c = u8::try_from(members.len()).map_err(|e| e.to_string())?;
                    members.push(b);
                    if let Some(k) = kind {
                        shared[k] = Some(c);
                    }
                    c
                }
            };
        }
        let start = dfa.start_state(Anchored::No).map_err(|e| e.to_string())?;
        // aho-corasick's state id → the breadth-first index of its first node; its ids are row
        // offsets, dense enough for a vector (3.3 MB at most for a 3.3 MB DFA, dropped with it).
        // A state with a second count of bytes to come has the others in a list: only the start
        // has any (three at most), and it is most steps' target, so the list is short and hot.
        let mut first: Vec<u32> = Vec::new();
        let mut others: Vec<(usize, u8, u32)> = Vec::new();
        let mut number = |sid: StateID, left: u8, nodes: &mut Vec<Node>| -> Result<u32, String> {
            let at = sid.as_usize();
            if first.len() <= at {
                first.resize(at + 1, u32::MAX);
            }
            let seen = first[at];
            let known = match usize::try_from(seen).ok().and_then(|n| nodes.get(n)) {
                None => None,
                Some(n) if n.left == left => Some(seen),
                Some(_) => others
                    .iter()
                    .find(|&&(s, l, _)| s == at && l == left)
                    .map(|&(_, _, n)| n),
            };
            if let Some(n) = known {
                return Ok(n);
            }
            let n = u32::try_from(nodes.len()).map_err(|e| e.to_string())?;
            if seen == u32::MAX {
                first[at] = n;
            } else {
                others.push((at, left, n));
            }
            nodes.push(Node {
                sid,
                left,
                row_at: 0,
            });
            Ok(n)
        };
        let mut nodes = Vec::new();
        let mut rows = Vec::new();
        number(start, 0, &mut nodes)?;
        let mut i = 0;
        while let Some(&Node { sid, left, .. }) = nodes.get(i) {
            nodes[i].row_at = rows.len();
            let members = if left == 0 { &between } else { &inside };
            for &b in members {
                let t = dfa.next_state(Anchored::No, sid, b);
                rows.push(number(t, still_to_come(left, b), &mut nodes)?);
            }
            i += 1;
        }
        let mut matches = Vec::with_capacity(nodes.len());
        for n in &nodes {
            if !dfa.is_match(n.sid) {
                matches.push(None);
            } else if n.left > 0 {
                // A pattern is UTF-8, so it ends at the end of a character.
                return Err("a phrase ends inside a character".to_string());
            } else {
                matches.push(Some(
                    (0..dfa.match_len(n.sid))
                        .map(|i| dfa.match_pattern(n.sid, i).as_usize())
                        .collect(),
                ));
            }
        }
        Ok(Layout {
            classes,
            between,
            inside,
            nodes,
            rows,
            matches,
        })
    }
}

impl<S: StateNo> Dfa<S> {
    /// `None` when the states do not fit in `S`.
    fn from_layout(l: &Layout, patterns: &[String]) -> Option<Dfa<S>> {
        // Match states first, then the other states between characters, then those inside one;
        // each group in breadth-first order (shallow states, the ones a text visits most, stay
        // close together).
        let all = 0..l.nodes.len();
        let matching: Vec<usize> = all.clone().filter(|&k| l.matches[k].is_some()).collect();
        let between: Vec<usize> = all
            .clone()
            .filter(|&k| l.matches[k].is_none() && l.nodes[k].left == 0)
            .collect();
        let inside: Vec<usize> = all.filter(|&k| l.nodes[k].left > 0).collect();
        let order: Vec<usize> = matching
            .iter()
            .chain(&between)
            .chain(&inside)
            .copied()
            .collect();
        let mut renumber = vec![0usize; order.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new;
        }
        S::new(order.len().checked_sub(1)?)?;
        let mut next = Vec::with_capacity(l.rows.len());
        for &old in &order {
            let node = &l.nodes[old];
            let width = if node.left == 0 {
                l.between.len()
            } else {
                l.inside.len()
            };
            for &t in l.rows.get(node.row_at..node.row_at + width)? {
                next.push(S::new(*renumber.get(usize::try_from(t).ok()?)?)?);
            }
        }
        // A step's arithmetic is 32-bit.
        u32::try_from(next.len()).ok()?;
        let first_inside = u32::try_from(matching.len() + between.len()).ok()?;
        let (wide_between, wide_inside) = (
            u32::try_from(l.between.len()).ok()?,
            u32::try_from(l.inside.len()).ok()?,
        );
        let rows_between = first_inside.checked_mul(wide_between)?;
        let mut columns = [Column::default(); 256];
        for b in 0..=255u8 {
            let class = u32::from(l.classes[usize::from(b)]);
            columns[usize::from(b)] = if is_continuation(b) {
                Column {
                    width: wide_inside,
                    offset: rows_between
                        .checked_add(class)?
                        .wrapping_sub(first_inside.wrapping_mul(wide_inside)),
                }
            } else {
                Column {
                    width: wide_between,
                    offset: class,
                }
            };
        }
        let mut ends = vec![0];
        let mut found = Vec::new();
        for &old in &matching {
            found.extend(l.matches[old].iter().flatten());
            ends.push(found.len());
        }
        let lens: Vec<usize> = patterns.iter().map(|p| p.len()).collect();
        Some(Dfa {
            columns,
            next,
            start: S::new(renumber[0])?,
            matching: u32::try_from(matching.len()).ok()?,
            ends,
            patterns: found,
            longest: lens.iter().copied().max().unwrap_or(0),
            lens,
        })
    }

    fn overlapping(&self, hay: &str, found: impl FnMut(usize, usize, usize)) {
        if hay.len() >= LANES * MIN_LANE_BYTES {
            self.stretches::<LANES>(hay, found)
        } else {
            self.stretches::<1>(hay, found)
        }
    }

    #[inline(always)]
    fn step(&self, s: S, b: u8) -> S {
        let c = self.columns[usize::from(b)];
        let at = s.get().wrapping_mul(c.width).wrapping_add(c.offset);
        // In range by construction for UTF-8: every state has a full row of its kind.
        self.next.get(at as usize).copied().unwrap_or(self.start)
    }

    /// Out of line: a match is rare next to a step, and inlined into the steps it made the
    /// loop over the stretches longer (criterion `corpus_mix` −0.9 %).
    #[inline(never)]
    fn emit(&self, s: S, end: usize, found: &mut impl FnMut(usize, usize, usize)) {
        let s = s.get() as usize;
        // In range by construction: a match state has its two ends.
        let (Some(&from), Some(&to)) = (self.ends.get(s), self.ends.get(s + 1)) else {
            return;
        };
        for &p in self.patterns.get(from..to).unwrap_or_default() {
            let len = self.lens.get(p).copied().unwrap_or(0);
            found(end - len, end, p);
        }
    }

    /// Stretch `k` of `N` reports the matches that end after `after[k]` and at or before
    /// `stop[k]`. It first reads, from the start state and without reporting, from a character
    /// at least `longest` bytes before `after[k]`: a match ending in its part is at most that
    /// long, so the stretch has read all of it, and the DFA's state after any read is the
    /// longest suffix of it that begins a pattern, so every pattern ending there that fits in
    /// what the stretch read is among the state's matches. Then the stretches are stepped in
    /// turn over the length they all have, where a step need not ask whether its stretch may
    /// report yet, and each finishes alone. `N` is a constant, so the turn over the
    /// stretches is unrolled.
    fn stretches<const N: usize>(&self, hay: &str, mut found: impl FnMut(usize, usize, usize)) {
        let bytes = hay.as_bytes();
        let after: [usize; N] = std::array::from_fn(|k| hay.len() * k / N);
        let stop: [usize; N] = std::array::from_fn(|k| hay.len() * (k + 1) / N);
        let mut sid = [self.start; N];
        for k in 0..N {
            let mut from = after[k].saturating_sub(self.longest);
            while !hay.is_char_boundary(from) {
                from -= 1;
            }
            for &b in bytes.get(from..after[k]).unwrap_or_default() {
                sid[k] = self.step(sid[k], b);
            }
        }
        let common = (0..N).map(|k| stop[k] - after[k]).min().unwrap_or(0);
        let parts: [&[u8]; N] =
            std::array::from_fn(|k| bytes.get(after[k]..after[k] + common).unwrap_or_default());
        for step in 0..common {
            for k in 0..N {
                let Some(&b) = parts[k].get(step) else {
                    continue;
                };
                let s = self.step(sid[k], b);
                sid[k] = s;
                if s.get() < self.matching {
                    self.emit(s, after[k] + step + 1, &mut found);
                }
            }
        }
        for k in 0..N {
            let mut s = sid[k];
            for (i, &b) in bytes
                .iter()
                .enumerate()
                .take(stop[k])
                .skip(after[k] + common)
            {
                s = self.step(s, b);
                if s.get() < self.matching {
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
        dfa.stretches::<N>(text, |start, end, p| out.push([start, end, p]));
        out.sort_unstable();
        out
    }

    fn word() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            select(vec!['法', '治', '政', '府', 'a', '1', '。', 'é', '𠮷']),
            1..6,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        /// Either width of state number, with any number of stretches, finds exactly what the
        /// crate's own overlapping search finds: matches on both sides of every stretch's start,
        /// nested and repeated ones, bytes no pattern has, characters of one to four bytes and
        /// ones that share a pattern's first bytes (河 and 治).
        #[test]
        fn stretches_find_what_one_pass_finds(
            patterns in proptest::collection::vec(word(), 1..12),
            text in proptest::collection::vec(select(vec!['法', '治', '政', '府', 'a', '1', '。', 'é', '𠮷', '的', '河', 'z', 'ü', '😀']), 0..400)
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
        dfa.overlapping("..012345x..", |start, end, p| hits.push((start, end, p)));
        assert_eq!(hits, vec![(2, 9, 12345)]);
    }
}
