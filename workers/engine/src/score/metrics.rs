//! Metrics from the parser's figures, one value per metric id, with the quoted sentence.

use super::text::{Region, View};
use crate::rules::Rules;
use crate::wire;

/// Metrics from the parser's figures: reported as done (not planned, in achievements). When a
/// metric has several candidates, a count takes the largest one outside cumulative sentences
/// (累计, 近年来, but not 全年累计 — the year's headline total is larger than its sub-activities and breakdowns); a
/// rate takes the first.
pub(crate) fn metrics(v: &View<'_>, rules: &Rules) -> Vec<wire::Metric> {
    let mut ids: Vec<&'static str> = Vec::new();
    let mut cands: Vec<Vec<(&crate::model::Figure, usize)>> = Vec::new();
    for f in &v.doc.figures {
        let Some(id) = f.metric else { continue };
        if f.planned {
            continue;
        }
        let Some(si) = v.sent_at(f.span.start) else {
            continue;
        };
        let s = &v.sents[si];
        if s.region != Region::Achievements || s.plan {
            continue;
        }
        match ids.iter().position(|x| *x == id) {
            Some(i) => cands[i].push((f, si)),
            None => {
                ids.push(id);
                cands.push(vec![(f, si)]);
            }
        }
    }
    let cumulative = &rules.metric_choice.cumulative;
    let annual = &rules.metric_choice.annual;
    let mut out = Vec::new();
    for (id, cs) in ids.iter().zip(&cands) {
        let is_rate = cs.first().is_some_and(|(f, _)| f.unit.contains('%'));
        let pick = if is_rate {
            cs.first()
        } else {
            let fresh: Vec<&(&crate::model::Figure, usize)> = cs
                .iter()
                .filter(|(_, si)| {
                    let t = v.slice(&v.sents[*si].span);
                    !cumulative.iter().any(|c| {
                        t.match_indices(c.as_str())
                            .any(|(at, _)| !annual.iter().any(|a| t[..at].ends_with(a.as_str())))
                    })
                })
                .collect();
            let pool: Vec<&(&crate::model::Figure, usize)> = if fresh.is_empty() {
                cs.iter().collect()
            } else {
                fresh
            };
            pool.into_iter().fold(
                None::<&(&crate::model::Figure, usize)>,
                |best, c| match best {
                    Some(b) if b.0.value >= c.0.value => Some(b),
                    _ => Some(c),
                },
            )
        };
        let Some((f, si)) = pick else { continue };
        let s = &v.sents[*si];
        out.push(wire::Metric {
            id: id.to_string(),
            name: rules
                .metrics
                .get(*id)
                .cloned()
                .unwrap_or_else(|| id.to_string()),
            value: f.value,
            unit: f.unit.to_string(),
            quote: v.slice(&s.span).to_string(),
            start: v.chars.at(s.span.start),
            end: v.chars.at(s.span.end),
        });
    }
    out
}
