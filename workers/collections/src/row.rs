//! The summary row of one assessment: the few hundred bytes a ranking needs, kept per job so a
//! batch is summarised without reading its assessments.

use std::collections::BTreeSet;

use fazhi_proto::v1 as wire;

pub fn row(job_id: &str, a: &wire::Assessment) -> wire::BatchRow {
    let report = a.report.clone().unwrap_or_default();
    let timeliness = a.timeliness.clone().unwrap_or_default();
    let mut errors = 0;
    let mut warnings = 0;
    let mut infos = 0;
    let mut codes = BTreeSet::new();
    for f in &a.findings {
        match f.severity() {
            wire::Severity::Error => errors += 1,
            wire::Severity::Warning => warnings += 1,
            _ => infos += 1,
        }
        codes.insert(f.code.clone());
    }
    wire::BatchRow {
        job_id: job_id.to_string(),
        title: report.title,
        issuer: report.issuer,
        level: report.level,
        year: report.year,
        score: a.score,
        grade: a.grade.clone(),
        rank: 0,
        parts: a
            .required_parts
            .iter()
            .map(|p| (p.id.clone(), p.present))
            .collect(),
        areas: a
            .areas
            .iter()
            .map(|ar| (ar.id.clone(), ar.status().as_str_name().to_string()))
            .collect(),
        timeliness: timeliness.status,
        deadline: timeliness.deadline.clone(),
        published_date: if timeliness.published_date.is_empty() {
            report.published_date
        } else {
            timeliness.published_date
        },
        errors,
        warnings,
        infos,
        finding_codes: codes.into_iter().collect(),
        kind: report.kind,
        checklist_id: a.checklist_id.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_counts_findings_and_keeps_statuses() {
        let a = wire::Assessment {
            checklist_id: "c".into(),
            score: 71.5,
            grade: "B".into(),
            report: Some(wire::ReportInfo {
                kind: "report".into(),
                issuer: "某县人民政府".into(),
                level: "county".into(),
                year: 2024,
                published_date: "2025-03-01".into(),
                ..Default::default()
            }),
            required_parts: vec![wire::PartResult {
                id: "measures".into(),
                present: true,
                ..Default::default()
            }],
            areas: vec![wire::AreaResult {
                id: "3".into(),
                status: wire::Coverage::Substantive as i32,
                ..Default::default()
            }],
            findings: vec![
                wire::Finding {
                    code: "AREA_ABSENT".into(),
                    severity: wire::Severity::Warning as i32,
                    ..Default::default()
                },
                wire::Finding {
                    code: "AREA_ABSENT".into(),
                    severity: wire::Severity::Warning as i32,
                    ..Default::default()
                },
                wire::Finding {
                    code: "PART_MISSING".into(),
                    severity: wire::Severity::Error as i32,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let r = row("j1", &a);
        assert_eq!((r.errors, r.warnings, r.infos), (1, 2, 0));
        assert_eq!(r.finding_codes, vec!["AREA_ABSENT", "PART_MISSING"]);
        assert_eq!(r.parts.get("measures"), Some(&true));
        assert_eq!(r.areas.get("3").map(String::as_str), Some("SUBSTANTIVE"));
        assert_eq!(r.published_date, "2025-03-01");
    }
}
