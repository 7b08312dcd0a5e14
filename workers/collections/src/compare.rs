//! Year over year: what changed between a base report and a later one — score, required parts,
//! areas that became (or stopped being) substantive, each metric's old and new value, findings
//! new and resolved. Areas are compared only under the same checklist (numbering differs).

use std::collections::{BTreeMap, BTreeSet};

use fazhi_proto::v1 as wire;

pub fn compare(
    base_job_id: &str,
    base: &wire::Assessment,
    job_id: &str,
    current: &wire::Assessment,
) -> wire::AssessmentComparison {
    let report = |a: &wire::Assessment| a.report.clone().unwrap_or_default();
    let (br, cr) = (report(base), report(current));
    let comparable = base.checklist_id == current.checklist_id;
    let present = |a: &wire::Assessment| -> BTreeSet<String> {
        a.required_parts
            .iter()
            .filter(|p| p.present)
            .map(|p| p.id.clone())
            .collect()
    };
    let (bp, cp) = (present(base), present(current));
    let codes = |a: &wire::Assessment| -> BTreeSet<String> {
        a.findings.iter().map(|f| f.code.clone()).collect()
    };
    let (bf, cf) = (codes(base), codes(current));

    let (mut newly, mut dropped) = (Vec::new(), Vec::new());
    if comparable {
        let base_areas: BTreeMap<&str, wire::Coverage> = base
            .areas
            .iter()
            .map(|a| (a.id.as_str(), a.status()))
            .collect();
        for a in &current.areas {
            let was = base_areas
                .get(a.id.as_str())
                .copied()
                .unwrap_or(wire::Coverage::Absent);
            let change = wire::AreaChange {
                id: a.id.clone(),
                title: a.title.clone(),
                base: was as i32,
                current: a.status,
            };
            match (
                was == wire::Coverage::Substantive,
                a.status() == wire::Coverage::Substantive,
            ) {
                (false, true) => newly.push(change),
                (true, false) => dropped.push(change),
                _ => {}
            }
        }
    }

    let mut metrics: Vec<wire::MetricChange> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for (m, is_base) in base
        .metrics
        .iter()
        .map(|m| (m, true))
        .chain(current.metrics.iter().map(|m| (m, false)))
    {
        let i = *index.entry(m.id.clone()).or_insert_with(|| {
            metrics.push(wire::MetricChange {
                id: m.id.clone(),
                name: m.name.clone(),
                unit: m.unit.clone(),
                ..Default::default()
            });
            metrics.len() - 1
        });
        let c = &mut metrics[i];
        // The first value a report gives for a metric is the one its assessment leads with.
        if is_base && !c.has_base {
            c.base_value = m.value;
            c.has_base = true;
        } else if !is_base && !c.has_value {
            c.value = m.value;
            c.has_value = true;
        }
    }

    wire::AssessmentComparison {
        base_job_id: base_job_id.to_string(),
        job_id: job_id.to_string(),
        base_issuer: br.issuer,
        issuer: cr.issuer,
        base_year: br.year,
        year: cr.year,
        base_score: base.score,
        score: current.score,
        score_delta: ((current.score - base.score) * 10.0).round() / 10.0,
        parts_gained: cp.difference(&bp).cloned().collect(),
        parts_lost: bp.difference(&cp).cloned().collect(),
        areas_newly_substantive: newly,
        areas_dropped: dropped,
        metrics,
        findings_new: cf.difference(&bf).cloned().collect(),
        findings_resolved: bf.difference(&cf).cloned().collect(),
        base_checklist_id: base.checklist_id.clone(),
        checklist_id: current.checklist_id.clone(),
        comparable,
        note: if comparable {
            String::new()
        } else {
            format!(
                "judged by different checklists ({} and {}): areas are not compared",
                base.checklist_id, current.checklist_id
            )
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(
        year: i32,
        score: f64,
        parts: &[&str],
        area3: wire::Coverage,
        rate: f64,
        codes: &[&str],
    ) -> wire::Assessment {
        wire::Assessment {
            checklist_id: "gangyao-2021-2025".into(),
            score,
            report: Some(wire::ReportInfo {
                issuer: "某县人民政府".into(),
                year,
                ..Default::default()
            }),
            required_parts: parts
                .iter()
                .map(|p| wire::PartResult {
                    id: (*p).into(),
                    present: true,
                    ..Default::default()
                })
                .collect(),
            areas: vec![wire::AreaResult {
                id: "3".into(),
                status: area3 as i32,
                ..Default::default()
            }],
            metrics: vec![wire::Metric {
                id: "admin_litigation_appearance_rate".into(),
                name: "出庭应诉率".into(),
                value: rate,
                unit: "%".into(),
                ..Default::default()
            }],
            findings: codes
                .iter()
                .map(|c| wire::Finding {
                    code: (*c).into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn year_over_year() {
        let base = a(
            2023,
            70.04,
            &["measures"],
            wire::Coverage::Mentioned,
            85.0,
            &["PART_MISSING"],
        );
        let cur = a(
            2024,
            82.5,
            &["measures", "shortcomings"],
            wire::Coverage::Substantive,
            100.0,
            &["AREA_ABSENT"],
        );
        let c = compare("b", &base, "c", &cur);
        assert!(c.comparable);
        assert_eq!(c.score_delta, 12.5);
        assert_eq!(c.parts_gained, vec!["shortcomings"]);
        assert!(c.parts_lost.is_empty());
        assert_eq!(c.areas_newly_substantive.len(), 1);
        assert_eq!(c.metrics.len(), 1);
        assert_eq!((c.metrics[0].base_value, c.metrics[0].value), (85.0, 100.0));
        assert_eq!(c.findings_new, vec!["AREA_ABSENT"]);
        assert_eq!(c.findings_resolved, vec!["PART_MISSING"]);
        let mut other = cur.clone();
        other.checklist_id = "gangyao-2015-2020".into();
        let c = compare("b", &base, "c", &other);
        assert!(!c.comparable);
        assert!(c.areas_newly_substantive.is_empty());
        assert!(c.note.contains("different checklists"));
    }
}
