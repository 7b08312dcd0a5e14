//! A batch's ranking and statistics, as third-party evaluators publish them: reports ranked by
//! score within their level (province, city, county …), mean and median score, grade
//! distribution, on-time rate and the late list, presence rate of each required part,
//! substantive rate of each 纲要 area, and the commonest findings.

use std::collections::BTreeMap;

use fazhi_proto::v1 as wire;

/// Row order of a summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    /// By level (province first), then rank within the level.
    Score,
    Issuer,
    PublishedDate,
}

impl Order {
    /// `""`/`score`, `issuer`, `published_date`.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "" | "score" => Ok(Self::Score),
            "issuer" => Ok(Self::Issuer),
            "published_date" | "publishedDate" => Ok(Self::PublishedDate),
            other => Err(format!(
                "order_by {other:?}: use score, issuer or published_date"
            )),
        }
    }
}

/// How many findings the statistics list.
const TOP_FINDINGS: usize = 20;

/// Levels from the top of government down; unknown levels sort last.
const LEVELS: &[&str] = &[
    "province",
    "city",
    "county",
    "district",
    "zone",
    "township",
    "street",
    "department",
];

fn level_order(level: &str) -> usize {
    LEVELS
        .iter()
        .position(|l| *l == level)
        .unwrap_or(LEVELS.len())
}

/// The key of an area in [`wire::BatchStatistics::area_substantive`]: `checklist_id:area_id`.
pub fn area_key(checklist_id: &str, area_id: &str) -> String {
    format!("{checklist_id}:{area_id}")
}

pub fn is_report(r: &wire::BatchRow) -> bool {
    r.kind != "not_report"
}

/// A report with a grade: ranked and counted. A report whose text was not read cleanly has
/// grade "N/A" (LOW_TEXT_QUALITY) and would otherwise rank last with a score it never earned.
pub fn is_graded(r: &wire::BatchRow) -> bool {
    is_report(r) && r.grade != "N/A"
}

/// Ranks, orders and counts `rows` (one per assessed job of `batch`), keeping only `level`
/// when it is not empty.
pub fn summarize(
    batch: wire::Batch,
    rows: Vec<wire::BatchRow>,
    order: Order,
    level: &str,
) -> wire::BatchSummary {
    let mut rows: Vec<wire::BatchRow> = rows
        .into_iter()
        .filter(|r| level.is_empty() || r.level == level)
        .collect();
    rank_within_levels(&mut rows);
    match order {
        Order::Score => rows.sort_by(|a, b| {
            (level_order(&a.level), &a.level, rank_key(a), &a.job_id).cmp(&(
                level_order(&b.level),
                &b.level,
                rank_key(b),
                &b.job_id,
            ))
        }),
        Order::Issuer => rows.sort_by(|a, b| (&a.issuer, &a.job_id).cmp(&(&b.issuer, &b.job_id))),
        Order::PublishedDate => {
            rows.sort_by(|a, b| (&a.published_date, &a.job_id).cmp(&(&b.published_date, &b.job_id)))
        }
    }
    let statistics = statistics(&rows);
    wire::BatchSummary {
        batch: Some(batch),
        rows,
        statistics: Some(statistics),
    }
}

/// Unranked rows (not reports, ungraded reports) after every ranked one.
fn rank_key(r: &wire::BatchRow) -> i32 {
    if r.rank == 0 { i32::MAX } else { r.rank }
}

/// Competition ranking ("1, 2, 2, 4") by score within each level; rows not graded stay 0.
fn rank_within_levels(rows: &mut [wire::BatchRow]) {
    let mut by_level: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if is_graded(r) {
            by_level.entry(r.level.clone()).or_default().push(i);
        }
    }
    for idx in by_level.values_mut() {
        idx.sort_by(|&a, &b| rows[b].score.total_cmp(&rows[a].score));
        let mut rank = 0;
        let mut last: Option<f64> = None;
        for (pos, &i) in idx.iter().enumerate() {
            if last != Some(rows[i].score) {
                rank = i32::try_from(pos + 1).unwrap_or(i32::MAX);
                last = Some(rows[i].score);
            }
            rows[i].rank = rank;
        }
    }
}

fn statistics(rows: &[wire::BatchRow]) -> wire::BatchStatistics {
    let reports: Vec<&wire::BatchRow> = rows.iter().filter(|r| is_graded(r)).collect();
    let ungraded = rows
        .iter()
        .filter(|r| is_report(r) && !is_graded(r))
        .count();
    let n = reports.len();
    let mut scores: Vec<f64> = reports.iter().map(|r| r.score).collect();
    scores.sort_by(f64::total_cmp);
    let mean = if n == 0 {
        0.0
    } else {
        scores.iter().sum::<f64>() / n as f64
    };
    let median = match n {
        0 => 0.0,
        _ if n % 2 == 1 => scores[n / 2],
        _ => (scores[n / 2 - 1] + scores[n / 2]) / 2.0,
    };
    let mut grades: BTreeMap<String, i32> = BTreeMap::new();
    let mut parts: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut areas: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut findings: BTreeMap<String, i32> = BTreeMap::new();
    let (mut on_time, mut late_n) = (0u32, 0u32);
    let mut late = Vec::new();
    for r in &reports {
        *grades.entry(r.grade.clone()).or_default() += 1;
        for (id, present) in &r.parts {
            let e = parts.entry(id.clone()).or_default();
            e.1 += 1;
            e.0 += u32::from(*present);
        }
        for (id, status) in &r.areas {
            // Area numbers mean different things in different 纲要: keep them apart.
            let e = areas.entry(area_key(&r.checklist_id, id)).or_default();
            e.1 += 1;
            e.0 += u32::from(status == "SUBSTANTIVE");
        }
        for code in &r.finding_codes {
            *findings.entry(code.clone()).or_default() += 1;
        }
        match r.timeliness() {
            wire::TimelinessStatus::OnTime => on_time += 1,
            wire::TimelinessStatus::Late => {
                late_n += 1;
                late.push(wire::LateReport {
                    job_id: r.job_id.clone(),
                    issuer: r.issuer.clone(),
                    published_date: r.published_date.clone(),
                    deadline: r.deadline.clone(),
                });
            }
            _ => {}
        }
    }
    let rate = |(hit, of): (u32, u32)| {
        if of == 0 {
            0.0
        } else {
            f64::from(hit) / f64::from(of)
        }
    };
    let mut top: Vec<wire::FindingCount> = findings
        .into_iter()
        .map(|(code, reports)| wire::FindingCount { code, reports })
        .collect();
    top.sort_by(|a, b| b.reports.cmp(&a.reports).then_with(|| a.code.cmp(&b.code)));
    top.truncate(TOP_FINDINGS);
    wire::BatchStatistics {
        count: i32::try_from(n).unwrap_or(i32::MAX),
        ungraded: i32::try_from(ungraded).unwrap_or(i32::MAX),
        mean_score: mean,
        median_score: median,
        grades: grades
            .into_iter()
            .map(|(grade, count)| wire::GradeCount { grade, count })
            .collect(),
        on_time_rate: rate((on_time, on_time + late_n)),
        dated: i32::try_from(on_time + late_n).unwrap_or(i32::MAX),
        late,
        part_presence: parts.into_iter().map(|(k, v)| (k, rate(v))).collect(),
        area_substantive: areas.into_iter().map(|(k, v)| (k, rate(v))).collect(),
        top_findings: top,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(
        id: &str,
        level: &str,
        score: f64,
        grade: &str,
        t: wire::TimelinessStatus,
    ) -> wire::BatchRow {
        wire::BatchRow {
            job_id: id.into(),
            level: level.into(),
            score,
            grade: grade.into(),
            kind: "report".into(),
            timeliness: t as i32,
            parts: [("measures".to_string(), score > 60.0)].into(),
            areas: [(
                "3".to_string(),
                if score > 70.0 {
                    "SUBSTANTIVE"
                } else {
                    "MENTIONED"
                }
                .to_string(),
            )]
            .into(),
            checklist_id: "c".into(),
            finding_codes: if score < 70.0 {
                vec!["AREA_ABSENT".into()]
            } else {
                vec![]
            },
            ..Default::default()
        }
    }

    #[test]
    fn ranks_within_level_and_counts() {
        use wire::TimelinessStatus::*;
        let rows = vec![
            r("a", "county", 80.0, "B", OnTime),
            r("b", "county", 90.0, "A", Late),
            r("c", "county", 80.0, "B", OnTime),
            r("d", "city", 50.0, "D", Unknown),
            wire::BatchRow {
                job_id: "e".into(),
                kind: "not_report".into(),
                grade: "N/A".into(),
                ..Default::default()
            },
            // Text not read cleanly: a report, but not graded.
            r("f", "county", 0.0, "N/A", OnTime),
        ];
        let s = summarize(wire::Batch::default(), rows, Order::Score, "");
        let order: Vec<(&str, i32)> = s.rows.iter().map(|r| (r.job_id.as_str(), r.rank)).collect();
        assert_eq!(
            order,
            vec![("d", 1), ("b", 1), ("a", 2), ("c", 2), ("f", 0), ("e", 0)]
        );
        let st = s.statistics.expect("stats");
        assert_eq!((st.count, st.ungraded), (4, 1));
        assert!((st.mean_score - 75.0).abs() < 1e-9);
        assert!((st.median_score - 80.0).abs() < 1e-9);
        assert!((st.on_time_rate - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(st.dated, 3);
        assert_eq!(st.late.len(), 1);
        assert_eq!(st.late[0].job_id, "b");
        assert!((st.part_presence["measures"] - 0.75).abs() < 1e-9);
        assert!((st.area_substantive["c:3"] - 0.75).abs() < 1e-9);
        assert_eq!(st.top_findings[0].code, "AREA_ABSENT");
        assert_eq!(st.top_findings[0].reports, 1);
        let only_city = summarize(wire::Batch::default(), s.rows.clone(), Order::Score, "city");
        assert_eq!(only_city.rows.len(), 1);
        assert!(Order::parse("bogus").is_err());
    }
}
