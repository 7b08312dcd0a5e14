//! Context cues (C5/C7): negation and deficit triggers, plan markers, boilerplate, cause markers —
//! from `report-rules.toml`, found in the text's one automaton pass ([`crate::text_pass`]).
//! Pseudo-triggers (未来, 不断, 不动产, 拟作出 …) mask the triggers they contain.

use std::ops::Range;

use crate::text_pass::Cue;

/// Cue hits over the whole text, sorted by start, pseudo-masked triggers removed.
pub(crate) struct CueHits {
    hits: Vec<(usize, usize, Cue)>,
}

impl CueHits {
    /// From the raw cue hits of the text's one pass ([`crate::text_pass`]).
    pub fn new(mut raw: Vec<(usize, usize, Cue)>, text: &str, year: Option<i32>) -> Self {
        // The year after the report year is a plan marker ("2024年" in a 2023 report), unless it
        // starts a date ("2024年1月").
        if let Some(y) = year {
            let pat = format!("{}年", y + 1);
            // memmem's vector search, leftmost and non-overlapping as `str::find` from each
            // end was, where that built a searcher per step (callgrind).
            for at in memchr::memmem::find_iter(text.as_bytes(), pat.as_bytes()) {
                let end = at + pat.len();
                let next = text.get(end..).and_then(|t| t.chars().next());
                let date = next
                    .is_some_and(|c| c.is_ascii_digit() || "一二三四五六七八九十元春".contains(c));
                let prev_ok = text
                    .get(..at)
                    .and_then(|h| h.chars().next_back())
                    .is_none_or(|c| !c.is_ascii_digit());
                if !date && prev_ok {
                    raw.push((at, end, Cue::Plan));
                }
            }
        }
        raw.sort_unstable();
        let masks = |cue: Cue| -> Vec<Range<usize>> {
            raw.iter()
                .filter(|h| h.2 == cue)
                .map(|h| h.0..h.1)
                .collect()
        };
        let neg_masks = masks(Cue::PseudoNegation);
        let plan_masks = masks(Cue::PseudoPlan);
        // Masks are short strings sorted by start: only those starting up to MAX_MASK bytes
        // before a hit can contain it.
        const MAX_MASK: usize = 64;
        let inside = |ms: &[Range<usize>], s: usize, e: usize| {
            let hi = ms.partition_point(|m| m.start <= s);
            let lo = ms.partition_point(|m| m.start + MAX_MASK < s);
            ms[lo..hi].iter().any(|m| m.start <= s && e <= m.end)
        };
        let hits = raw
            .iter()
            .filter(|h| match h.2 {
                Cue::Negation => !inside(&neg_masks, h.0, h.1),
                Cue::Plan => !inside(&plan_masks, h.0, h.1),
                Cue::PseudoNegation | Cue::PseudoPlan => false,
                _ => true,
            })
            .copied()
            .collect();
        CueHits { hits }
    }

    fn in_range(&self, r: Range<usize>) -> impl Iterator<Item = &(usize, usize, Cue)> {
        let i = self.hits.partition_point(|h| h.0 < r.start);
        self.hits[i..].iter().take_while(move |h| h.0 < r.end)
    }

    pub fn count(&self, cue: Cue, r: Range<usize>) -> usize {
        let end = r.end;
        self.in_range(r)
            .filter(|h| h.2 == cue && h.1 <= end)
            .count()
    }

    /// End offsets of produce verbs in `r`.
    pub fn produce_ends(&self, r: Range<usize>) -> impl Iterator<Item = usize> + '_ {
        let end = r.end;
        self.in_range(r)
            .filter(move |h| h.2 == Cue::Produce && h.1 <= end)
            .map(|h| h.1)
    }

    pub fn plan_in(&self, r: Range<usize>) -> bool {
        self.count(Cue::Plan, r) > 0
    }

    /// A negation trigger in `clause` that is not part of the phrase hit `hit`.
    pub fn negated(&self, clause: Range<usize>, hit: Range<usize>) -> bool {
        let end = clause.end;
        self.in_range(clause)
            .any(|h| h.2 == Cue::Negation && h.1 <= end && !(hit.start <= h.0 && h.1 <= hit.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(t: &str) -> CueHits {
        let found = crate::checklist::for_year(Some(2023)).matcher.find(t);
        CueHits::new(found.cues, t, Some(2023))
    }

    #[test]
    fn negation_and_pseudo_negation() {
        let t = "区内尚未建立行政复议委员会";
        assert!(hits(t).negated(0..t.len(), 0..0));
        for t in ["未来五年", "不断完善不动产登记", "未经合法性审查不得提交"]
        {
            assert!(!hits(t).negated(0..t.len(), 0..0), "{t}");
        }
    }

    #[test]
    fn plan_markers() {
        assert!(hits("下一步，我们将继续推进").plan_in(0..30));
        assert!(hits("2024年将全面推行").plan_in(0..30));
        assert!(!hits("2024年1月召开会议").plan_in(0..30));
        assert!(!hits("对拟作出的重大执法决定进行法制审核").plan_in(0..60));
        assert!(!hits("积极争取上级资金200万元").plan_in(0..60));
        assert!(!hits("将以案释法贯穿执法全过程").plan_in(0..60));
    }
}
