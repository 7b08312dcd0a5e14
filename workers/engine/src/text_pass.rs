//! The one automaton pass over a normalized text: a checklist's phrases and exclusions and the
//! report rules' context cues (negation, plan, boilerplate, cause and produce words, with their
//! pseudo-triggers) are one Aho-Corasick DFA per checklist, so scoring reads the text once for
//! all of them. Two passes, one per automaton, had been 18 % of the engine's time (`perf`).
//!
//! The DFA is ≈ 3.3 MB, more than a core's L2 cache, and each byte's step waits on the load of
//! the previous one (`perf annotate`: 80 % of the pass on that load). So the text is read as
//! [`LANES`] stretches stepped in turn, whose loads overlap; each stretch starts the longest
//! pattern's length early, which gives it the same matches a single pass finds there.

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, PatternID, StartKind};

use crate::rules::Rules;

/// Which context-cue list of `report-rules.toml` a pattern comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Cue {
    Negation,
    PseudoNegation,
    Plan,
    PseudoPlan,
    Boiler,
    Cause,
    /// A verb that issues a document (印发, 出台 …).
    Produce,
}

/// What one automaton pattern means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// Phrase `phrase` of checklist item (`area`, `item`).
    Phrase {
        area: usize,
        item: usize,
        phrase: usize,
    },
    /// Exclusion span for checklist item (`area`, `item`).
    Exclude { area: usize, item: usize },
    /// A context cue.
    Cue(Cue),
}

/// Stretches of a text stepped in turn.
const LANES: usize = 4;

/// A text shorter than this is one stretch: the warm-up would be a large share of it.
const MIN_LANE_BYTES: usize = 512;

/// Standard match kind: every occurrence of every pattern, nested ones too.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    dfa: Option<DFA>,
    /// Pattern id → targets (one string may serve several items and cues).
    targets: Vec<Vec<Target>>,
}

impl Matcher {
    pub(crate) const EMPTY: Matcher = Matcher {
        dfa: None,
        targets: Vec::new(),
    };

    /// The automaton over `patterns` (each already in the width variants it is matched in) and
    /// every context cue of `rules`, in their width variants.
    pub(crate) fn build(
        patterns: impl IntoIterator<Item = (String, Target)>,
        rules: &Rules,
    ) -> Result<Matcher, String> {
        let mut strings: Vec<String> = Vec::new();
        let mut targets: Vec<Vec<Target>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut add = |s: String, t: Target| match index.get(&s) {
            Some(&i) => {
                if !targets[i].contains(&t) {
                    targets[i].push(t);
                }
            }
            None => {
                index.insert(s.clone(), strings.len());
                strings.push(s);
                targets.push(vec![t]);
            }
        };
        // An empty pattern would match at every offset; no list means one.
        for (s, t) in patterns {
            if !s.is_empty() {
                add(s, t);
            }
        }
        let cues: [(&[String], Cue); 7] = [
            (&rules.context.negation, Cue::Negation),
            (&rules.context.pseudo_negation, Cue::PseudoNegation),
            (&rules.context.plan, Cue::Plan),
            (&rules.context.pseudo_plan, Cue::PseudoPlan),
            (&rules.boilerplate.phrases, Cue::Boiler),
            (&rules.passages.causes, Cue::Cause),
            (&rules.context.produce, Cue::Produce),
        ];
        for (list, cue) in cues {
            for p in list {
                for v in crate::normalize::width_variants(p) {
                    if !v.is_empty() {
                        add(v, Target::Cue(cue));
                    }
                }
            }
        }
        // No prefilter: with CJK patterns every lead byte starts one, and without it the start
        // state is not special, which the stepping below relies on.
        let dfa = aho_corasick::dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(&strings)
            .map_err(|e| e.to_string())?;
        Ok(Matcher {
            dfa: Some(dfa),
            targets,
        })
    }

    /// Every hit in `text`, by kind, in no particular order (the readers sort them).
    pub(crate) fn find(&self, text: &str) -> Hits {
        let mut hits = Hits::default();
        let Some(dfa) = self.dfa.as_ref() else {
            return hits;
        };
        overlapping(dfa, text.as_bytes(), |end, pid| {
            let start = end - dfa.pattern_len(pid);
            for t in self.targets.get(pid.as_usize()).into_iter().flatten() {
                match *t {
                    Target::Phrase { area, item, phrase } => {
                        hits.phrases.push((start, end, area, item, phrase))
                    }
                    Target::Exclude { area, item } => {
                        hits.exclusions.push((area, item, start, end))
                    }
                    Target::Cue(c) => hits.cues.push((start, end, c)),
                }
            }
        });
        hits
    }
}

/// Calls `found(end, pattern)` once for every occurrence of every pattern in `hay`.
///
/// Stretch `k` reports the matches that end in `bounds[k]..bounds[k + 1]` (exclusive start,
/// inclusive end). It starts stepping `max_pattern_len` bytes before its first end, from the
/// start state: a match ending there is at most that long, so the stretch has read all of it,
/// and the DFA's state after any read is the longest suffix of it that begins a pattern, so every
/// pattern that ends there and fits in what the stretch read is among the state's matches.
fn overlapping(dfa: &DFA, hay: &[u8], found: impl FnMut(usize, PatternID)) {
    if hay.len() >= LANES * MIN_LANE_BYTES {
        stretches::<LANES>(dfa, hay, found)
    } else {
        stretches::<1>(dfa, hay, found)
    }
}

/// [`overlapping`] in `N` stretches (a constant, so the turn over them is unrolled).
fn stretches<const N: usize>(dfa: &DFA, hay: &[u8], mut found: impl FnMut(usize, PatternID)) {
    let Ok(start) = dfa.start_state(Anchored::No) else {
        return;
    };
    let mut sid = [start; N];
    // Per stretch: next byte to read, the end it reports after, the byte after its last.
    let after: [usize; N] = std::array::from_fn(|k| hay.len() * k / N);
    let stop: [usize; N] = std::array::from_fn(|k| hay.len() * (k + 1) / N);
    let at: [usize; N] = std::array::from_fn(|k| after[k].saturating_sub(dfa.max_pattern_len()));
    // Stepped in turn while every stretch has bytes left; then each finishes alone.
    let common = (0..N).map(|k| stop[k] - at[k]).min().unwrap_or(0);
    for step in 0..common {
        for k in 0..N {
            let i = at[k] + step;
            let Some(&b) = hay.get(i) else { continue };
            let s = dfa.next_state(Anchored::No, sid[k], b);
            sid[k] = s;
            if dfa.is_special(s) && dfa.is_match(s) && i >= after[k] {
                emit(dfa, s, i + 1, &mut found);
            }
        }
    }
    for k in 0..N {
        let mut s = sid[k];
        for (i, &b) in hay.iter().enumerate().take(stop[k]).skip(at[k] + common) {
            s = dfa.next_state(Anchored::No, s, b);
            if dfa.is_special(s) && dfa.is_match(s) && i >= after[k] {
                emit(dfa, s, i + 1, &mut found);
            }
        }
    }
}

/// The hits of one pass.
#[derive(Debug, Default)]
pub(crate) struct Hits {
    /// (start, end, area, item, phrase).
    pub phrases: Vec<(usize, usize, usize, usize, usize)>,
    /// (area, item, start, end).
    pub exclusions: Vec<(usize, usize, usize, usize)>,
    /// (start, end, cue).
    pub cues: Vec<(usize, usize, Cue)>,
}

/// Every pattern of match state `sid`, ending at `end`.
#[inline(always)]
fn emit(dfa: &DFA, sid: StateID, end: usize, found: &mut impl FnMut(usize, PatternID)) {
    for i in 0..dfa.match_len(sid) {
        found(end, dfa.match_pattern(sid, i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::AhoCorasick;
    use proptest::prelude::*;
    use proptest::sample::select;

    /// (end, pattern) of every match, sorted.
    fn by_stretches<const N: usize>(dfa: &DFA, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        stretches::<N>(dfa, text.as_bytes(), |end, pid| {
            out.push((end, pid.as_usize()))
        });
        out.sort_unstable();
        out
    }

    fn word() -> impl Strategy<Value = String> {
        proptest::collection::vec(select(vec!['法', '治', '政', '府', 'a', '1', '。']), 1..6)
            .prop_map(|cs| cs.into_iter().collect())
    }

    proptest! {
        /// Any number of stretches finds exactly what the crate's own overlapping search finds,
        /// for matches on both sides of every stretch's start, nested and repeated ones.
        #[test]
        fn stretches_find_what_one_pass_finds(
            patterns in proptest::collection::vec(word(), 1..12),
            text in proptest::collection::vec(select(vec!['法', '治', '政', '府', 'a', '1', '。', '的']), 0..400)
                .prop_map(|cs| cs.into_iter().collect::<String>()),
        ) {
            let dfa = aho_corasick::dfa::Builder::new()
                .match_kind(MatchKind::Standard)
                .start_kind(StartKind::Unanchored)
                .prefilter(false)
                .build(&patterns)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut want: Vec<(usize, usize)> =
                ac.find_overlapping_iter(&text).map(|m| (m.end(), m.pattern().as_usize())).collect();
            want.sort_unstable();
            prop_assert_eq!(&by_stretches::<1>(&dfa, &text), &want);
            prop_assert_eq!(&by_stretches::<2>(&dfa, &text), &want);
            prop_assert_eq!(&by_stretches::<3>(&dfa, &text), &want);
            prop_assert_eq!(&by_stretches::<LANES>(&dfa, &text), &want);
        }
    }

    #[test]
    fn one_pass_finds_phrases_exclusions_and_cues() {
        let rules = crate::rules::rules().expect("rules");
        let cl = crate::checklist::for_year(Some(2023));
        let (ai, ii, item) = cl
            .areas
            .iter()
            .enumerate()
            .flat_map(|(ai, a)| a.items.iter().enumerate().map(move |(ii, it)| (ai, ii, it)))
            .find(|(_, _, it)| !it.exclude.is_empty())
            .expect("an item with an exclusion");
        let neg = &rules.context.negation[0];
        let phrase = &item.phrases[0].text;
        let excl = &item.exclude[0];
        let text = format!("{neg}{phrase}。{excl}");
        let hits = cl.matcher.find(&text);
        let p_at = neg.len();
        let e_at = p_at + phrase.len() + "。".len();
        assert!(
            hits.cues.contains(&(0, neg.len(), Cue::Negation)),
            "{hits:?}"
        );
        assert!(
            hits.phrases
                .contains(&(p_at, p_at + phrase.len(), ai, ii, 0)),
            "{hits:?}"
        );
        assert!(
            hits.exclusions.contains(&(ai, ii, e_at, text.len())),
            "{hits:?}"
        );
    }
}
