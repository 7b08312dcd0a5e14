//! The one automaton pass over a normalized text: a checklist's phrases and exclusions and the
//! report rules' context cues (negation, plan, boilerplate, cause and produce words, with their
//! pseudo-triggers) are one Aho-Corasick DFA per checklist, so scoring reads the text once for
//! all of them. Two passes, one per automaton, had been 18 % of the engine's time (`perf`), most
//! of it waiting on loads from a DFA larger than the cache (`perf annotate`).
//!
//! - [`dfa`]: the DFA's compact table and its search in interleaved stretches.

mod dfa;

use dfa::AnyDfa;

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

/// Standard match kind: every occurrence of every pattern, nested ones too.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    dfa: Option<AnyDfa>,
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
        let dfa = AnyDfa::build(&strings)?;
        Ok(Matcher {
            dfa: Some(dfa),
            targets,
        })
    }

    /// Every hit in `text`, by kind, in no particular order (the readers sort them).
    pub(crate) fn find(&self, text: &str) -> Hits {
        let Some(dfa) = self.dfa.as_ref() else {
            return Hits::default();
        };
        // Sized for the reports read so far (a phrase hit every 35–90 bytes, a cue every
        // 150–720), so the lists are seldom copied into larger ones as they fill.
        let mut hits = Hits {
            phrases: Vec::with_capacity(text.len() / 32),
            exclusions: Vec::new(),
            cues: Vec::with_capacity(text.len() / 128),
        };
        dfa.overlapping(text, |start, end, pattern| {
            for t in self.targets.get(pattern).into_iter().flatten() {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_built_in_checklists_get_the_compact_table() {
        for cl in crate::checklist::all() {
            assert!(
                matches!(cl.matcher.dfa, Some(AnyDfa::Narrow(_))),
                "{}",
                cl.id
            );
        }
    }
}
