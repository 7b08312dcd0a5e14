//! 纲要 coverage: every phrase of the checklist is matched anywhere in the text (work reported
//! under another area's heading still counts for the item it belongs to); each hit is then judged
//! by its sentence's context.
//!
//! A hit makes its item SUBSTANTIVE when all hold: the phrase is strong (weight ≥ 1) and its `with`
//! condition is met; the sentence is in the achievements region, is not a heading, is concrete and
//! is not a plan; the hit is not inside 《》; no negation trigger shares its clause. Any other hit
//! (plans, shortcomings, headings, slogans, titles, negated or generic sentences) makes it
//! MENTIONED. No hit at all → ABSENT.

use std::ops::Range;

use crate::checklist::Checklist;
use crate::rules::Rules;

use super::text::{Region, View};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Absent,
    Mentioned,
    Substantive,
}

#[derive(Debug, Clone)]
pub(crate) struct ItemCov {
    pub status: Status,
    pub score: f64,
    /// Evidence sentence indices, substantive ones first.
    pub evidence: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct AreaCov {
    pub status: Status,
    pub score: f64,
    pub items: Vec<ItemCov>,
}

pub(crate) struct Coverage {
    pub areas: Vec<AreaCov>,
    /// (sentence, area, item, hit start) for every substantive hit, sorted — for figure linking.
    pub links: Vec<(usize, usize, usize, usize)>,
}

/// The clause last found around a hit. Hits come in text order and several phrases often hit
/// one clause; a later hit inside it has the same clause (no delimiter lies between its start and
/// the hit, and its end is the first one after both), so it is not searched for again. A clause
/// lies within its sentence, so a hit inside it is in the same sentence.
#[derive(Default)]
struct LastClause(Range<usize>);

impl LastClause {
    /// The clause around byte `at` of sentence `si`.
    fn around(&mut self, v: &View<'_>, si: usize, at: usize) -> Range<usize> {
        if !self.0.contains(&at) {
            self.0 = v.clause(&v.sents[si], at);
        }
        self.0.clone()
    }
}

/// Takes the phrase hits the view's pass over the text found (coverage is their only reader).
pub(crate) fn assess(v: &mut View<'_>, cl: &Checklist, rules: &Rules) -> Coverage {
    let mut hits = std::mem::take(&mut v.phrase_hits);
    let mut excl = std::mem::take(&mut v.exclusion_hits);
    let v = &*v;
    hits.sort_unstable();
    // Exclusion spans sorted by start; an exclusion is a short string, so only those starting
    // shortly before a hit can contain it.
    excl.sort_unstable_by_key(|e| (e.2, e.3, e.0, e.1));
    const MAX_EXCL: usize = 96;

    let n_items: Vec<usize> = cl.areas.iter().map(|a| a.items.len()).collect();
    // Per item: (sentence, hit count) in document order.
    let mut subst: Vec<Vec<Vec<(usize, usize)>>> =
        n_items.iter().map(|n| vec![Vec::new(); *n]).collect();
    let mut mention: Vec<Vec<Vec<(usize, usize)>>> = subst.clone();
    let mut any: Vec<Vec<bool>> = n_items.iter().map(|n| vec![false; *n]).collect();
    let mut links = Vec::new();
    let mut clauses = LastClause::default();

    for &(start, end, ai, ii, pi) in &hits {
        let hi = excl.partition_point(|e| e.2 <= start);
        let lo = excl.partition_point(|e| e.2 + MAX_EXCL < start);
        if excl[lo..hi]
            .iter()
            .any(|&(ea, ei, es, ee)| ea == ai && ei == ii && es <= start && end <= ee)
        {
            continue;
        }
        let Some(phrase) = cl
            .areas
            .get(ai)
            .and_then(|a| a.items.get(ii))
            .and_then(|i| i.phrases.get(pi))
        else {
            continue;
        };
        let si = v.sent_at(start);
        let Some(si) = si else {
            // Outside any sentence (e.g. a heading the parser kept out of sentences): a mention.
            if phrase.with.is_empty() {
                any[ai][ii] = true;
            }
            continue;
        };
        let s = &v.sents[si];
        let st = v.slice(&s.span);
        if !phrase.with.is_empty() && !phrase.with.iter().any(|w| st.contains(w.as_str())) {
            continue;
        }
        any[ai][ii] = true;
        let substantive = phrase.is_strong()
            && s.region == Region::Achievements
            && !s.heading
            && s.concrete
            && !s.plan
            && (!v.in_quote(start) || v.in_produced_quote(start))
            && !v.cues.negated(clauses.around(v, si, start), start..end);
        let list = if substantive {
            links.push((si, ai, ii, start));
            &mut subst[ai][ii]
        } else {
            &mut mention[ai][ii]
        };
        // Hits come in text order, so sentence indices only grow: a repeat of `si` can only be
        // the last entry (a linear scan here was quadratic on a phrase repeated in every sentence).
        match list.last_mut() {
            Some(e) if e.0 == si => e.1 += 1,
            _ => list.push((si, 1)),
        }
    }
    links.sort_unstable();

    let sr = &rules.score;
    let mut areas = Vec::new();
    for (ai, a) in cl.areas.iter().enumerate() {
        let mut items = Vec::new();
        for ii in 0..a.items.len() {
            let s = &subst[ai][ii];
            let (status, score) = if !s.is_empty() {
                let extra = (s.len() - 1) as f64;
                (
                    Status::Substantive,
                    (sr.substantive_base + sr.substantive_step * extra).min(1.0),
                )
            } else if any[ai][ii] {
                (Status::Mentioned, sr.mentioned)
            } else {
                (Status::Absent, 0.0)
            };
            // Evidence: the sentences with most hits first (ties in document order).
            let best = |list: &[(usize, usize)], n: usize| -> Vec<usize> {
                let mut l = list.to_vec();
                l.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                l.into_iter().take(n).map(|x| x.0).collect()
            };
            let mut evidence = best(s, 3);
            if evidence.is_empty() {
                evidence = best(&mention[ai][ii], 2);
            }
            items.push(ItemCov {
                status,
                score,
                evidence,
            });
        }
        let status = items
            .iter()
            .map(|i| i.status)
            .max()
            .unwrap_or(Status::Absent);
        let wsum: f64 = a.items.iter().map(|i| i.weight).sum();
        let mean = if wsum > 0.0 {
            a.items
                .iter()
                .zip(&items)
                .map(|(d, r)| d.weight * r.score)
                .sum::<f64>()
                / wsum
        } else {
            0.0
        };
        let best = items.iter().map(|i| i.score).fold(0.0, f64::max);
        let score = 100.0 * (sr.area_best * best + (1.0 - sr.area_best) * mean);
        areas.push(AreaCov {
            status,
            score: round1(score),
            items,
        });
    }
    Coverage { areas, links }
}

pub(crate) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Reusing the last clause gives, for hits in text order, what finding each hit's
        /// clause afresh gives: across delimiters, at them, and across sentences.
        #[test]
        fn the_last_clause_is_the_clause_found_afresh(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec!["依法", "行政", "，", "；", "：", "。", "审查", "12件", "\n"]),
                1..40,
            ),
        ) {
            let text: String = pieces.concat();
            let doc = super::super::testdoc::from_text(&text, Some(2024));
            let rules = crate::rules::rules().map_err(TestCaseError::fail)?;
            let cl = crate::checklist::for_year(Some(2024));
            let v = View::new(&doc, cl, rules, Some(2024));
            let mut last = LastClause::default();
            for (si, s) in v.sents.iter().enumerate() {
                for at in s.span.clone().filter(|&i| text.is_char_boundary(i)) {
                    prop_assert_eq!(last.around(&v, si, at), v.clause(s, at));
                }
            }
        }
    }
}
