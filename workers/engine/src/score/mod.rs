//! Every scoring rule, in one place (with the checklist data in `checklists/`).
//!
//! How an assessment is made:
//! 1. **Checklist**: the client's, else by report year (hints, then document — [`known`]): ≤ 2020 →
//!    `gangyao-2015-2020`, else `gangyao-2021-2025`; a year after the latest checklist's period is
//!    judged by the latest with a CHECKLIST_PERIOD_ENDED finding.
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
//! 7. **Text quality** ([`quality`]): text not read cleanly (lines broken mid-sentence, lone
//!    figures, replacement characters) gets LOW_TEXT_QUALITY, score 0 and grade "N/A".
//!
//! Findings: `checklists/findings.toml` holds every code with its severity, message template and
//! the rule it cites ([`findings`]); the modules below only decide when one applies.
//!
//! One module a concern: [`required`] (parts → points and findings), [`areas`] (coverage →
//! points and findings), [`concreteness`], [`timeliness`], [`metrics`], [`figures`], [`report`]
//! (what the document is, its outline); [`parts`], [`coverage`], [`context`] and [`text`] are
//! the detection underneath.

mod areas;
mod concreteness;
mod context;
mod coverage;
mod figures;
pub mod findings;
mod known;
mod metrics;
mod parts;
mod quality;
mod report;
mod required;
mod text;
mod timeliness;

use crate::checklist::{self, Checklist};
use crate::model::{DocKind, ParsedDoc};
use crate::{EngineError, Hints, wire};

use findings::Findings;
use text::View;

pub(crate) use areas::cn_num;
pub(crate) use coverage::round1;

/// Scores a parsed document against a checklist (the named one, else the one for its year).
pub fn score(
    doc: &ParsedDoc,
    hints: &Hints,
    checklist_id: Option<&str>,
    content_sha256: &str,
    scan: Option<&crate::ScanText<'_>>,
) -> Result<wire::Assessment, EngineError> {
    let rules = crate::rules::rules().map_err(EngineError::Internal)?;
    if let Some(e) = checklist::load_error().or_else(findings::load_error) {
        return Err(EngineError::Internal(e));
    }
    // The platform's issuer, year and published date win over what the document says.
    let known = known::resolve(doc, hints);
    let year = known.year;
    let cl: &Checklist = match checklist_id {
        Some(id) => checklist::get(id).ok_or_else(|| EngineError::UnknownChecklist(id.into()))?,
        None => checklist::for_year(year),
    };
    let mut v = View::new(doc, cl, rules, year);
    let parts = parts::detect(&mut v, rules);
    let mut out = Findings::default();
    let tl = timeliness::assess(&known, rules, cl);
    let (conc, ratio) = concreteness::measure(&v);
    let quality = quality::measure(&v, &rules.text_quality, scan, &mut out);
    let mut a = wire::Assessment {
        content_sha256: content_sha256.to_string(),
        checklist_id: cl.id.clone(),
        engine_version: crate::ENGINE_VERSION.to_string(),
        report: Some(report::report_info(doc, &known, &v, report::outline(&v))),
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
        text_quality: Some(quality),
        ..Default::default()
    };

    known::disagreements(doc, hints, &v, &mut out);
    if let DocKind::NotReport(reason) = doc.kind {
        out.raise(
            "NOT_A_REPORT",
            &[("reason", reason.as_str().into())],
            Vec::new(),
        );
        a.grade = "N/A".into();
        a.required_parts = required::none(rules);
        a.figures = figures::figures(&v, &doc.figures, None, cl);
        a.concreteness = Some(conc);
        a.breakdown = Some(wire::ScoreBreakdown::default());
        a.findings = out.into_vec();
        return Ok(a);
    }

    if let (Some(_), Some(y)) = (checklist_id, year)
        && (y < cl.first_year || y > cl.last_year)
    {
        let args = [("year", y.to_string()), ("checklist", cl.id.clone())];
        out.raise("CHECKLIST_YEAR_MISMATCH", &args, Vec::new());
    }
    // No 纲要 covers the year yet (reports on 2026 are due before the next one is published):
    // judged by the latest, and said so.
    if checklist_id.is_none()
        && let Some(y) = year
        && y > cl.last_year
    {
        let args = [
            ("year", y.to_string()),
            ("checklist", cl.id.clone()),
            ("last_year", cl.last_year.to_string()),
        ];
        out.raise("CHECKLIST_PERIOD_ENDED", &args, Vec::new());
    }
    if year.is_none() {
        out.raise("YEAR_UNKNOWN", &[], Vec::new());
    }
    let req = required::assess(&v, &parts, rules, &mut out);
    let cov = coverage::assess(&mut v, cl, rules);
    let areas = areas::assess(&v, &cov, cl, rules, &mut out);
    let conc_pts = concreteness::points(&conc, ratio, rules, &mut out);
    let tl_pts = timeliness::points(&tl, rules, &mut out);

    let sr = &rules.score;
    let penalties = 0.0;
    let total = (req.points + areas.points + conc_pts + tl_pts - penalties).clamp(0.0, 100.0);
    let max = req.max + sr.coverage_max + sr.concreteness_max + sr.timeliness_max;
    a.score = round1(if max > 0.0 { 100.0 * total / max } else { 0.0 });
    a.grade = rules.grade(a.score);
    // Text not read cleanly is not graded (LOW_TEXT_QUALITY is raised); the breakdown below
    // still shows what it would have scored.
    if quality.low {
        a.score = 0.0;
        a.grade = "N/A".into();
    }
    a.breakdown = Some(wire::ScoreBreakdown {
        parts: round1(req.points),
        parts_max: req.max,
        coverage: round1(areas.points),
        coverage_max: sr.coverage_max,
        concreteness: round1(conc_pts),
        concreteness_max: sr.concreteness_max,
        timeliness: round1(tl_pts),
        timeliness_max: sr.timeliness_max,
        penalties,
    });
    a.required_parts = req.results;
    a.areas = areas.results;
    a.metrics = metrics::metrics(&v, rules);
    a.figures = figures::figures(&v, &doc.figures, Some(&cov), cl);
    a.concreteness = Some(conc);
    a.findings = out.into_vec();
    Ok(a)
}

#[cfg(test)]
pub(crate) mod testdoc;

#[cfg(test)]
mod tests;
