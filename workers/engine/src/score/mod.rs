//! Every scoring rule, in one place (with the checklist data in `checklists/`).
//!
//! How an assessment is made:
//! 1. **Checklist**: the client's, else by report year (document, then hints): ≤ 2020 →
//!    `gangyao-2015-2020`, else `gangyao-2021-2025`.
//! 2. **Regions** ([`parts`]): headings are classified into the 督察规定 第二十五条 parts (parser
//!    sections first, then short heading-like lines, then passages such as “虽然…但仍存在…不足” and
//!    “下一步，…”). Text under shortcomings or next-year parts is not achievement; the title and
//!    metadata block are not either.
//! 3. **Coverage** ([`coverage`]): every checklist phrase is matched anywhere (Aho-Corasick,
//!    overlapping); a hit is SUBSTANTIVE evidence only in a concrete, non-negated, non-plan
//!    achievement sentence outside 《》; otherwise it only makes its item MENTIONED.
//! 4. **Concreteness**: share of body sentences with a count, rate, date, document number or named
//!    local instrument; boilerplate = no concrete content and ≥ 2 template phrases.
//! 5. **Metrics** from the parser's figures (first non-planned occurrence in achievements);
//!    **timeliness** from the published date vs 次年3月31日.
//! 6. **Score** = parts + coverage + concreteness + timeliness (weights in
//!    `checklists/report-rules.toml`), grade from bands in the same file. Not-a-report documents
//!    get score 0, grade "N/A", all parts absent and no areas.
//!
//! Findings (code → severity): NOT_A_REPORT (ERROR); MISSING_PART_MEASURES (ERROR);
//! MISSING_PART_SHORTCOMINGS, MISSING_PART_FIRST_RESPONSIBLE, MISSING_PART_NEXT_YEAR (WARNING);
//! ACHIEVEMENTS_ONLY (WARNING, no shortcomings part at all); SHORTCOMINGS_HOLLOW (WARNING, a
//! shortcomings heading whose body names no problem); SHORTCOMINGS_WITHOUT_CAUSES (WARNING);
//! FIRST_RESPONSIBLE_IN_PASSING (INFO, no dedicated heading); NEXT_YEAR_THIN (INFO);
//! AREA_ABSENT (WARNING, one per area); AREA_MENTIONED_ONLY (INFO, one per area); LATE (WARNING);
//! UNDATED (INFO, no published date); YEAR_UNKNOWN (WARNING); LOW_CONCRETENESS (WARNING);
//! CHECKLIST_YEAR_MISMATCH (INFO, client-chosen checklist does not cover the report year).

mod context;
mod coverage;
mod parts;
mod text;
mod timeliness;

use crate::checklist::{self, Checklist, Rules};
use crate::model::{DocKind, ParsedDoc};
use crate::{EngineError, Hints, wire};

use coverage::Status;
use parts::{FIRST_RESPONSIBLE, MEASURES, NEXT_YEAR, OTHER, PART_IDS, SHORTCOMINGS};
use text::{Region, View};

pub(crate) use coverage::round1;

/// Scores a parsed document against a checklist (the named one, else the one for its year).
pub fn score(
    doc: &ParsedDoc,
    hints: &Hints,
    checklist_id: Option<&str>,
    content_sha256: &str,
) -> Result<wire::Assessment, EngineError> {
    let rules = checklist::rules().map_err(EngineError::Internal)?;
    if let Some(e) = checklist::load_error() {
        return Err(EngineError::Internal(e));
    }
    let year = doc.meta.year.or(hints.year.filter(|y| *y > 0));
    let cl: &Checklist = match checklist_id {
        Some(id) => checklist::get(id).ok_or_else(|| EngineError::UnknownChecklist(id.into()))?,
        None => checklist::for_year(year),
    };
    let mut v = View::new(doc, rules, year);
    let is_report = doc.kind == DocKind::Report;
    let parts = parts::detect(&mut v, rules);
    let mut findings: Vec<wire::Finding> = Vec::new();

    let outline = outline(&v, rules);
    let report = report_info(doc, hints, year, &v, outline);
    let tl = timeliness::assess(doc, hints, year, rules);
    let figures_base = &doc.figures;

    let mut a = wire::Assessment {
        content_sha256: content_sha256.to_string(),
        checklist_id: cl.id.clone(),
        engine_version: crate::ENGINE_VERSION.to_string(),
        report: Some(report),
        checklist_version: format!("{}+{}", cl.version, rules.version),
        normalized_text: doc.text.clone(),
        removed_lines: doc.removed.iter().map(|r| r.text.clone()).collect(),
        decode: Some(wire::DecodeInfo {
            media_type: doc.decode.media_type.clone(),
            encoding: doc.decode.encoding.clone(),
            encoding_source: doc.decode.encoding_source.clone(),
            media_type_sniffed: doc.decode.media_type_sniffed,
        }),
        timeliness: Some(tl.wire.clone()),
        ..Default::default()
    };

    if !is_report {
        a.score = 0.0;
        a.grade = "N/A".into();
        a.required_parts = rules
            .parts
            .iter()
            .map(|p| wire::PartResult {
                id: p.id.clone(),
                title: p.title.clone(),
                present: false,
                evidence: Vec::new(),
                detected_by: String::new(),
            })
            .collect();
        let reason = match doc.kind {
            DocKind::NotReport(r) => r.as_str(),
            DocKind::Report => "",
        };
        findings.push(finding(
            "NOT_A_REPORT",
            wire::Severity::Error,
            format!("不是法治政府建设年度报告（{reason}），不按纲要评分"),
            Vec::new(),
        ));
        a.figures = figures(&v, figures_base, None, cl);
        a.concreteness = Some(concreteness(&v).0);
        a.breakdown = Some(wire::ScoreBreakdown::default());
        a.findings = findings;
        return Ok(a);
    }

    if let (Some(_), Some(y)) = (checklist_id, year)
        && (y < cl.first_year || y > cl.last_year)
    {
        findings.push(finding(
            "CHECKLIST_YEAR_MISMATCH",
            wire::Severity::Info,
            format!("报告年度 {y} 不在所选清单 {} 的适用年度内", cl.id),
            Vec::new(),
        ));
    }
    if year.is_none() {
        findings.push(finding(
            "YEAR_UNKNOWN",
            wire::Severity::Warning,
            "未能确定报告年度，按最新纲要评分，时效无法判断".into(),
            Vec::new(),
        ));
    }

    // Required parts.
    let sr = &rules.score;
    let mut parts_pts = 0.0;
    let mut parts_max = 0.0;
    for (k, (id, flag)) in PART_IDS.iter().enumerate() {
        let Some(rule) = rules.part(id) else { continue };
        let pf = &parts.found[k];
        let ev: Vec<wire::Evidence> = pf
            .evidence
            .iter()
            .take(2)
            .map(|(r, sec)| evidence(&v, r.clone(), *sec))
            .collect();
        parts_max += rule.weight;
        let mut credit = if pf.present { 1.0 } else { 0.0 };
        match *flag {
            MEASURES if !pf.present => findings.push(finding(
                "MISSING_PART_MEASURES",
                wire::Severity::Error,
                "未报告上一年度推进法治政府建设的主要举措和成效".into(),
                Vec::new(),
            )),
            SHORTCOMINGS => {
                if !pf.present {
                    let hollow = parts.get(SHORTCOMINGS).hollow;
                    if hollow {
                        let hev: Vec<wire::Evidence> = parts
                            .markers
                            .iter()
                            .filter(|m| m.parts & SHORTCOMINGS != 0)
                            .take(1)
                            .map(|m| evidence(&v, m.head.clone(), m.section))
                            .collect();
                        findings.push(finding(
                            "SHORTCOMINGS_HOLLOW",
                            wire::Severity::Warning,
                            "“存在的不足”标题下没有具体问题，按缺失处理".into(),
                            hev,
                        ));
                    }
                    findings.push(finding(
                        "MISSING_PART_SHORTCOMINGS",
                        wire::Severity::Warning,
                        "缺少“存在的不足和原因”部分".into(),
                        Vec::new(),
                    ));
                    if parts.get(MEASURES).present && !hollow {
                        findings.push(finding(
                            "ACHIEVEMENTS_ONLY",
                            wire::Severity::Warning,
                            "报告只讲成绩，未查摆问题和不足".into(),
                            Vec::new(),
                        ));
                    }
                } else if !pf.causes {
                    credit = sr.shortcomings_without_causes;
                    findings.push(finding(
                        "SHORTCOMINGS_WITHOUT_CAUSES",
                        wire::Severity::Warning,
                        "列出了问题，但未分析原因（第二十五条要求“不足和原因”）".into(),
                        ev.clone(),
                    ));
                }
            }
            FIRST_RESPONSIBLE => {
                if !pf.present {
                    findings.push(finding(
                        "MISSING_PART_FIRST_RESPONSIBLE",
                        wire::Severity::Warning,
                        "缺少党政主要负责人履行推进法治建设第一责任人职责情况".into(),
                        Vec::new(),
                    ));
                } else if !pf.by_heading {
                    credit = sr.first_responsible_in_passing;
                    findings.push(finding(
                        "FIRST_RESPONSIBLE_IN_PASSING",
                        wire::Severity::Info,
                        "第一责任人职责情况只在正文中顺带提及，没有专门部分".into(),
                        ev.clone(),
                    ));
                }
            }
            NEXT_YEAR => {
                if !pf.present {
                    findings.push(finding(
                        "MISSING_PART_NEXT_YEAR",
                        wire::Severity::Warning,
                        "缺少下一年度推进法治政府建设的主要安排".into(),
                        Vec::new(),
                    ));
                } else if thin_plan(&v, &pf.body, rules) {
                    credit = sr.next_year_thin;
                    findings.push(finding(
                        "NEXT_YEAR_THIN",
                        wire::Severity::Info,
                        "下一年度安排过于笼统，缺少具体任务".into(),
                        ev.clone(),
                    ));
                }
            }
            OTHER => {}
            _ => {}
        }
        parts_pts += rule.weight * credit;
        a.required_parts.push(wire::PartResult {
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

    // Coverage.
    let cov = coverage::assess(&v, cl, rules);
    let mut cov_num = 0.0;
    let mut cov_den = 0.0;
    for (area, ac) in cl.areas.iter().zip(&cov.areas) {
        cov_num += area.weight * ac.score / 100.0;
        cov_den += area.weight;
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
                        evidence(&v, s.span.clone(), s.section)
                    })
                    .collect(),
            })
            .collect();
        match ac.status {
            Status::Absent => findings.push(finding(
                "AREA_ABSENT",
                wire::Severity::Warning,
                format!(
                    "纲要第{}部分“{}”在报告中完全没有涉及",
                    cn_num(&area.id),
                    area.title
                ),
                Vec::new(),
            )),
            Status::Mentioned => findings.push(finding(
                "AREA_MENTIONED_ONLY",
                wire::Severity::Info,
                format!(
                    "纲要第{}部分“{}”只在计划、问题、口号或否定表述中提及，没有具体工作",
                    cn_num(&area.id),
                    area.title
                ),
                Vec::new(),
            )),
            Status::Substantive => {}
        }
        a.areas.push(wire::AreaResult {
            id: area.id.clone(),
            title: area.title.clone(),
            score: ac.score,
            status: status_wire(ac.status),
            items,
        });
    }

    // Concreteness.
    let (conc, ratio) = concreteness(&v);
    if conc.sentences > 0 && ratio < rules.boilerplate.low_ratio {
        findings.push(finding(
            "LOW_CONCRETENESS",
            wire::Severity::Warning,
            format!(
                "具体内容（数字、文件、日期）的句子只占 {:.0}%",
                ratio * 100.0
            ),
            Vec::new(),
        ));
    }

    // Timeliness findings.
    let tl_status = tl.wire.status;
    let tl_pts = if tl_status == wire::TimelinessStatus::OnTime as i32 {
        sr.timeliness_max
    } else if tl_status == wire::TimelinessStatus::Late as i32 {
        findings.push(finding(
            "LATE",
            wire::Severity::Warning,
            format!(
                "{} 公开，晚于 {}（逾期 {} 天）",
                tl.wire.published_date, tl.wire.deadline, tl.days_late
            ),
            Vec::new(),
        ));
        if tl.days_late <= sr.late_grace_days {
            sr.timeliness_max * sr.late_partial
        } else {
            0.0
        }
    } else {
        findings.push(finding(
            "UNDATED",
            wire::Severity::Info,
            "文中没有公开日期，无法判断是否按时公开".into(),
            Vec::new(),
        ));
        sr.timeliness_max * sr.unknown_share
    };

    let coverage_pts = if cov_den > 0.0 {
        sr.coverage_max * cov_num / cov_den
    } else {
        0.0
    };
    let conc_pts = sr.concreteness_max * (ratio / sr.concreteness_full_ratio).min(1.0);
    let penalties = 0.0;
    let total = (parts_pts + coverage_pts + conc_pts + tl_pts - penalties).clamp(0.0, 100.0);
    let max = parts_max + sr.coverage_max + sr.concreteness_max + sr.timeliness_max;
    let scaled = if max > 0.0 { 100.0 * total / max } else { 0.0 };
    a.score = round1(scaled);
    a.grade = rules.grade(a.score);
    a.breakdown = Some(wire::ScoreBreakdown {
        parts: round1(parts_pts),
        parts_max,
        coverage: round1(coverage_pts),
        coverage_max: sr.coverage_max,
        concreteness: round1(conc_pts),
        concreteness_max: sr.concreteness_max,
        timeliness: round1(tl_pts),
        timeliness_max: sr.timeliness_max,
        penalties,
    });
    a.metrics = metrics(&v, rules);
    a.figures = figures(&v, figures_base, Some(&cov), cl);
    a.concreteness = Some(conc);
    a.findings = findings;
    Ok(a)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn status_wire(s: Status) -> i32 {
    match s {
        Status::Absent => wire::Coverage::Absent as i32,
        Status::Mentioned => wire::Coverage::Mentioned as i32,
        Status::Substantive => wire::Coverage::Substantive as i32,
    }
}

fn finding(
    code: &str,
    sev: wire::Severity,
    message: String,
    evidence: Vec<wire::Evidence>,
) -> wire::Finding {
    wire::Finding {
        code: code.to_string(),
        severity: sev as i32,
        message,
        evidence,
    }
}

fn evidence(v: &View<'_>, r: std::ops::Range<usize>, section: Option<usize>) -> wire::Evidence {
    wire::Evidence {
        quote: v.slice(&r).to_string(),
        start: v.chars.at(r.start),
        end: v.chars.at(r.end),
        section: v.section_path(section),
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

fn concreteness(v: &View<'_>) -> (wire::Concreteness, f64) {
    let mut n = 0;
    let mut c = 0;
    let mut b = 0;
    for s in &v.sents {
        if s.heading || s.region == Region::Meta || v.slice(&s.span).chars().count() < 8 {
            continue;
        }
        n += 1;
        if s.concrete {
            c += 1;
        }
        if s.boiler {
            b += 1;
        }
    }
    let ratio = if n > 0 { c as f64 / n as f64 } else { 0.0 };
    (
        wire::Concreteness {
            sentences: n,
            concrete_sentences: c,
            ratio: round3(ratio),
            boilerplate_sentences: b,
        },
        ratio,
    )
}

/// Metrics from the parser's figures: reported as done (not planned, in achievements). When a
/// metric has several candidates, a count takes the largest one outside cumulative sentences
/// (累计, 近年来 — the year's headline total is larger than its sub-activities and breakdowns); a
/// rate takes the first.
fn metrics(v: &View<'_>, rules: &Rules) -> Vec<wire::Metric> {
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
    let cumulative = ["累计", "近年来", "五年来", "历年"];
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
                    !cumulative.iter().any(|c| t.contains(c))
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
            unit: f.unit.clone(),
            quote: v.slice(&s.span).to_string(),
            start: v.chars.at(s.span.start),
            end: v.chars.at(s.span.end),
        });
    }
    out
}

fn figures(
    v: &View<'_>,
    figs: &[crate::model::Figure],
    cov: Option<&coverage::Coverage>,
    cl: &Checklist,
) -> Vec<wire::Figure> {
    figs.iter()
        .map(|f| {
            let item_id = cov
                .and_then(|c| {
                    let si = v.sent_at(f.span.start)?;
                    let lo = c.links.partition_point(|l| l.0 < si);
                    let same: Vec<&(usize, usize, usize, usize)> =
                        c.links[lo..].iter().take_while(|l| l.0 == si).collect();
                    // The nearest hit before the figure, else the first in the sentence.
                    let pick = same
                        .iter()
                        .rev()
                        .find(|l| l.3 <= f.span.start)
                        .or_else(|| same.first())?;
                    cl.areas
                        .get(pick.1)
                        .and_then(|a| a.items.get(pick.2))
                        .map(|i| i.id.clone())
                })
                .unwrap_or_default();
            wire::Figure {
                value: f.value,
                unit: f.unit.clone(),
                raw: f.raw.clone(),
                start: v.chars.at(f.span.start),
                end: v.chars.at(f.span.end),
                metric_id: f.metric.unwrap_or("").to_string(),
                approximate: f.approximate,
                planned: f.planned,
                item_id,
            }
        })
        .collect()
}

fn report_info(
    doc: &ParsedDoc,
    hints: &Hints,
    year: Option<i32>,
    v: &View<'_>,
    outline: Vec<wire::OutlineNode>,
) -> wire::ReportInfo {
    let m = &doc.meta;
    let (kind, reason) = match doc.kind {
        DocKind::Report => ("report", ""),
        DocKind::NotReport(r) => ("not_report", r.as_str()),
    };
    wire::ReportInfo {
        kind: kind.into(),
        title: m.title.clone().unwrap_or_default(),
        issuer: m
            .issuer
            .clone()
            .or_else(|| hints.issuer.clone())
            .unwrap_or_default(),
        level: m.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
        year: year.unwrap_or(0),
        published_date: m
            .published_date
            .map(|(d, _)| d.to_string())
            .unwrap_or_default(),
        document_number: m.document_number.clone().unwrap_or_default(),
        char_count: v.chars.at(v.text.len()),
        outline,
        addressee: m.addressee.clone().unwrap_or_default(),
        not_report_reason: reason.into(),
    }
}

/// The section tree with each node's classified part.
fn outline(v: &View<'_>, rules: &Rules) -> Vec<wire::OutlineNode> {
    let secs = &v.doc.sections;
    let part_of = |i: usize| -> String {
        let s = &secs[i];
        let f = parts::classify(&s.title, rules, v.year);
        PART_IDS
            .iter()
            .filter(|(_, fl)| f & fl != 0)
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
            .join(",")
    };
    fn build(
        i: usize,
        v: &View<'_>,
        part_of: &dyn Fn(usize) -> String,
        children: &[Vec<usize>],
        depth: usize,
    ) -> wire::OutlineNode {
        let s = &v.doc.sections[i];
        wire::OutlineNode {
            level: i32::from(s.level),
            numbering: s.numbering.clone(),
            title: s.title.clone(),
            start: v.chars.at(s.span.start),
            end: v.chars.at(s.span.end),
            part: part_of(i),
            children: if depth < 12 {
                children[i]
                    .iter()
                    .map(|c| build(*c, v, part_of, children, depth + 1))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); secs.len()];
    let mut roots = Vec::new();
    for (i, s) in secs.iter().enumerate() {
        match s.parent.filter(|p| *p < i) {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    roots
        .into_iter()
        .map(|r| build(r, v, &part_of, &children, 0))
        .collect()
}

#[cfg(test)]
pub(crate) mod testdoc;

#[cfg(test)]
mod tests;
