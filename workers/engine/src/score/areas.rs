//! 纲要 areas as scored: each area's status, score and items with evidence, the coverage points,
//! and the findings for areas left out or only named.

use super::coverage::{self, Status};
use super::findings::Findings;
use super::text::View;
use crate::checklist::Checklist;
use crate::rules::Rules;
use crate::wire;

pub(crate) struct Areas {
    pub results: Vec<wire::AreaResult>,
    /// Coverage points out of `rules.score.coverage_max`.
    pub points: f64,
}

pub(crate) fn assess(
    v: &View<'_>,
    cov: &coverage::Coverage,
    cl: &Checklist,
    rules: &Rules,
    out: &mut Findings,
) -> Areas {
    let mut num = 0.0;
    let mut den = 0.0;
    let mut results = Vec::new();
    for (area, ac) in cl.areas.iter().zip(&cov.areas) {
        num += area.weight * ac.score / 100.0;
        den += area.weight;
        let items = area
            .items
            .iter()
            .zip(&ac.items)
            .map(|(it, ic)| wire::ItemResult {
                id: it.id.clone(),
                title: it.title.clone(),
                status: status_wire(ic.status),
                score: round3(ic.score),
                evidence: ic
                    .evidence
                    .iter()
                    .map(|si| {
                        let s = &v.sents[*si];
                        v.evidence(s.span.clone(), s.section)
                    })
                    .collect(),
            })
            .collect();
        let args = || {
            [
                ("area_no", cn_num(&area.id)),
                ("area_title", area.title.clone()),
            ]
        };
        match ac.status {
            Status::Absent => out.raise("AREA_ABSENT", &args(), Vec::new()),
            Status::Mentioned => out.raise("AREA_MENTIONED_ONLY", &args(), Vec::new()),
            Status::Substantive => {}
        }
        results.push(wire::AreaResult {
            id: area.id.clone(),
            title: area.title.clone(),
            score: ac.score,
            status: status_wire(ac.status),
            items,
        });
    }
    let points = if den > 0.0 {
        rules.score.coverage_max * num / den
    } else {
        0.0
    };
    Areas { results, points }
}

pub(crate) fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn status_wire(s: Status) -> i32 {
    match s {
        Status::Absent => wire::Coverage::Absent as i32,
        Status::Mentioned => wire::Coverage::Mentioned as i32,
        Status::Substantive => wire::Coverage::Substantive as i32,
    }
}

/// Area id "10" → "十".
pub(crate) fn cn_num(id: &str) -> String {
    const D: [&str; 11] = [
        "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
    ];
    match id.parse::<usize>() {
        Ok(n) if n <= 10 => D[n].to_string(),
        Ok(n) if n < 20 => format!("十{}", D[n - 10]),
        _ => id.to_string(),
    }
}
