//! The 督察规定 第二十五条 parts as scored: present or not, with evidence, the credit a flawed part
//! earns, and the findings a missing or flawed part raises.

use super::findings::Findings;
use super::parts::{FIRST_RESPONSIBLE, MEASURES, NEXT_YEAR, PART_IDS, Parts, SHORTCOMINGS};
use super::text::View;
use crate::rules::Rules;
use crate::wire;

pub(crate) struct Required {
    pub results: Vec<wire::PartResult>,
    pub points: f64,
    pub max: f64,
}

/// Every part absent: what a document that is not a report gets.
pub(crate) fn none(rules: &Rules) -> Vec<wire::PartResult> {
    rules
        .parts
        .iter()
        .map(|p| wire::PartResult {
            id: p.id.clone(),
            title: p.title.clone(),
            present: false,
            evidence: Vec::new(),
            detected_by: String::new(),
        })
        .collect()
}

pub(crate) fn assess(v: &View<'_>, parts: &Parts, rules: &Rules, out: &mut Findings) -> Required {
    let sr = &rules.score;
    let mut req = Required {
        results: Vec::new(),
        points: 0.0,
        max: 0.0,
    };
    for (k, (id, flag)) in PART_IDS.iter().enumerate() {
        let Some(rule) = rules.part(id) else { continue };
        let pf = &parts.found[k];
        let ev: Vec<wire::Evidence> = pf
            .evidence
            .iter()
            .take(2)
            .map(|(r, sec)| v.evidence(r.clone(), *sec))
            .collect();
        req.max += rule.weight;
        let mut credit = if pf.present { 1.0 } else { 0.0 };
        match *flag {
            MEASURES if !pf.present => out.raise("MISSING_PART_MEASURES", &[], Vec::new()),
            SHORTCOMINGS if !pf.present => {
                let hollow = parts.get(SHORTCOMINGS).hollow;
                if hollow {
                    let heading: Vec<wire::Evidence> = parts
                        .markers
                        .iter()
                        .filter(|m| m.parts & SHORTCOMINGS != 0)
                        .take(1)
                        .map(|m| v.evidence(m.head.clone(), m.section))
                        .collect();
                    out.raise("SHORTCOMINGS_HOLLOW", &[], heading);
                }
                out.raise("MISSING_PART_SHORTCOMINGS", &[], Vec::new());
                if parts.get(MEASURES).present && !hollow {
                    out.raise("ACHIEVEMENTS_ONLY", &[], Vec::new());
                }
            }
            SHORTCOMINGS if !pf.causes => {
                credit = sr.shortcomings_without_causes;
                out.raise("SHORTCOMINGS_WITHOUT_CAUSES", &[], ev.clone());
            }
            FIRST_RESPONSIBLE if !pf.present => {
                out.raise("MISSING_PART_FIRST_RESPONSIBLE", &[], Vec::new());
            }
            FIRST_RESPONSIBLE if !pf.by_heading => {
                credit = sr.first_responsible_in_passing;
                out.raise("FIRST_RESPONSIBLE_IN_PASSING", &[], ev.clone());
            }
            NEXT_YEAR if !pf.present => out.raise("MISSING_PART_NEXT_YEAR", &[], Vec::new()),
            NEXT_YEAR if thin_plan(v, &pf.body, rules) => {
                credit = sr.next_year_thin;
                out.raise("NEXT_YEAR_THIN", &[], ev.clone());
            }
            _ => {}
        }
        req.points += rule.weight * credit;
        req.results.push(wire::PartResult {
            id: id.to_string(),
            title: rule.title.clone(),
            present: pf.present,
            evidence: ev,
            detected_by: if !pf.present {
                String::new()
            } else if pf.by_heading {
                "heading".into()
            } else {
                "passage".into()
            },
        });
    }
    req
}

/// A next-year part with fewer content sentences (a clause-bearing sentence of ≥ 12 chars; the
/// signature and date lines do not count) than the rule's minimum.
fn thin_plan(v: &View<'_>, body: &[usize], rules: &Rules) -> bool {
    let content = body
        .iter()
        .filter(|i| {
            v.sents.get(**i).is_some_and(|s| {
                let t = v.slice(&s.span);
                t.chars().count() >= 12
                    && (t.contains('，') || t.contains(',') || t.contains('。') || t.contains('；'))
            })
        })
        .count();
    content < rules.passages.next_year_min_sentences
}
