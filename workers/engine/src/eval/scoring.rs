//! Scoring accuracy against labelled corpora: required parts, per-area SUBSTANTIVE detection,
//! absent areas, metric values and report / not-report kind.

use std::fmt;

use super::LabelledDoc;
use crate::{Hints, Limits, Submission, wire};

/// Confusion counts for one area (positive = SUBSTANTIVE).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AreaStats {
    pub id: String,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
}

impl AreaStats {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        f1(self.tp, self.fp, self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn f1(tp: usize, fp: usize, fn_: usize) -> f64 {
    if tp + fp + fn_ == 0 {
        1.0
    } else {
        2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
    }
}

/// Everything the scoring harness measures.
#[derive(Debug, Clone, Default)]
pub struct ScoringAccuracy {
    pub docs: usize,
    /// Required parts (measures, shortcomings, first_responsible, next_year) over all documents.
    pub parts_total: usize,
    pub parts_correct: usize,
    /// Per-area SUBSTANTIVE vs not, over documents labelled `report`, sorted by area number.
    pub areas: Vec<AreaStats>,
    /// Area slots labelled absent, and how many were predicted ABSENT.
    pub absent_labelled: usize,
    pub absent_found: usize,
    /// Areas predicted ABSENT, and how many of them are labelled absent.
    pub absent_predicted: usize,
    pub absent_predicted_right: usize,
    /// Labelled metrics, and how many were found with the same value.
    pub metrics_labelled: usize,
    pub metrics_correct: usize,
    /// Labelled metrics reported with another value (against precision).
    pub metrics_wrong: usize,
    /// Metrics reported that are not labelled (informative: labels list "a few figures").
    pub metrics_unlabelled: usize,
    /// report / not_report decisions.
    pub kind_total: usize,
    pub kind_correct: usize,
    /// Human-readable disagreements.
    pub errors: Vec<String>,
}

impl ScoringAccuracy {
    pub fn parts_accuracy(&self) -> f64 {
        ratio(self.parts_correct, self.parts_total)
    }

    /// Micro-averaged F1 of SUBSTANTIVE over all areas.
    pub fn area_f1(&self) -> f64 {
        let (tp, fp, fn_) = self
            .areas
            .iter()
            .fold((0, 0, 0), |(a, b, c), s| (a + s.tp, b + s.fp, c + s.fn_));
        f1(tp, fp, fn_)
    }

    pub fn metric_accuracy(&self) -> f64 {
        ratio(self.metrics_correct, self.metrics_labelled)
    }

    pub fn kind_accuracy(&self) -> f64 {
        ratio(self.kind_correct, self.kind_total)
    }

    /// Targets of the scoring issue: required parts 100 %, area F1 ≥ 0.95.
    /// Of the labelled metrics the engine gave a value for, the share with the labelled value.
    pub fn metric_precision(&self) -> f64 {
        ratio(
            self.metrics_correct,
            self.metrics_correct + self.metrics_wrong,
        )
    }

    pub fn meets_targets(&self) -> bool {
        self.parts_total > 0
            && self.parts_correct == self.parts_total
            && self.area_f1() >= 0.95
            && self.metric_accuracy() >= 0.95
            && self.metric_precision() >= 0.98
    }
}

impl fmt::Display for ScoringAccuracy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scoring accuracy over {} documents", self.docs)?;
        writeln!(
            f,
            "  required parts        {:>4}/{:<4} {:>6.1}%   (target 100%)",
            self.parts_correct,
            self.parts_total,
            100.0 * self.parts_accuracy()
        )?;
        writeln!(
            f,
            "  report / not_report   {:>4}/{:<4} {:>6.1}%",
            self.kind_correct,
            self.kind_total,
            100.0 * self.kind_accuracy()
        )?;
        writeln!(
            f,
            "  absent areas found    {:>4}/{:<4} {:>6.1}%   (predicted absent: {}/{} right)",
            self.absent_found,
            self.absent_labelled,
            100.0 * ratio(self.absent_found, self.absent_labelled),
            self.absent_predicted_right,
            self.absent_predicted
        )?;
        writeln!(
            f,
            "  metric values         {:>4}/{:<4} {:>6.1}%   (recall, target ≥ 95%; {} unlabelled metrics reported)",
            self.metrics_correct,
            self.metrics_labelled,
            100.0 * self.metric_accuracy(),
            self.metrics_unlabelled
        )?;
        writeln!(
            f,
            "  metric precision      {:>4}/{:<4} {:>6.1}%   (values given right, target ≥ 98%)",
            self.metrics_correct,
            self.metrics_correct + self.metrics_wrong,
            100.0 * self.metric_precision()
        )?;
        writeln!(
            f,
            "  area  SUBSTANTIVE  tp  fp  fn  tn  precision  recall     F1"
        )?;
        for a in &self.areas {
            writeln!(
                f,
                "  {:>4}               {:>3} {:>3} {:>3} {:>3}     {:>6.3}  {:>6.3} {:>6.3}",
                a.id,
                a.tp,
                a.fp,
                a.fn_,
                a.tn,
                a.precision(),
                a.recall(),
                a.f1()
            )?;
        }
        writeln!(
            f,
            "   all (micro)                              F1 {:>6.3}   (target ≥ 0.95)",
            self.area_f1()
        )?;
        for e in &self.errors {
            writeln!(f, "  ! {e}")?;
        }
        Ok(())
    }
}

fn area_stats<'a>(v: &'a mut Vec<AreaStats>, id: &str) -> &'a mut AreaStats {
    if let Some(i) = v.iter().position(|a| a.id == id) {
        return &mut v[i];
    }
    v.push(AreaStats {
        id: id.to_string(),
        ..Default::default()
    });
    let last = v.len() - 1;
    &mut v[last]
}

/// Runs the full engine on every labelled document and compares with its label.
pub fn evaluate(docs: &[LabelledDoc]) -> ScoringAccuracy {
    let mut acc = ScoringAccuracy::default();
    let limits = Limits::default();
    for d in docs {
        let l = &d.label;
        acc.docs += 1;
        let hints = Hints::default();
        let sub = Submission {
            content: &d.content,
            media_type: "",
            filename: &l.file,
            charset: "",
            hints: &hints,
            checklist_id: None,
        };
        let want_parts = [
            ("measures", l.parts.measures),
            ("shortcomings", l.parts.shortcomings),
            ("first_responsible", l.parts.first_responsible),
            ("next_year", l.parts.next_year),
        ];
        acc.kind_total += 1;
        let a = match crate::assess(&sub, &limits) {
            Ok(a) => a,
            Err(e) => {
                acc.parts_total += want_parts.len();
                acc.errors.push(format!("{}: assess failed: {e}", l.file));
                continue;
            }
        };
        let kind = a.report.as_ref().map(|r| r.kind.as_str()).unwrap_or("");
        if kind == l.kind {
            acc.kind_correct += 1;
        } else {
            acc.errors
                .push(format!("{}: kind {kind}, label {}", l.file, l.kind));
        }
        for (id, want) in want_parts {
            acc.parts_total += 1;
            let got = a.required_parts.iter().any(|p| p.id == id && p.present);
            if got == want {
                acc.parts_correct += 1;
            } else {
                acc.errors
                    .push(format!("{}: part {id} present={got}, label {want}", l.file));
            }
        }
        if l.kind != "report" {
            continue;
        }
        let area_ids: Vec<u32> = match l.checklist.as_str() {
            "gangyao-2015-2020" => (2..=9).collect(),
            _ => (2..=10).collect(),
        };
        if a.checklist_id != l.checklist && !l.checklist.is_empty() {
            acc.errors.push(format!(
                "{}: checklist {}, label {}",
                l.file, a.checklist_id, l.checklist
            ));
        }
        for n in area_ids {
            let id = n.to_string();
            let got = a
                .areas
                .iter()
                .find(|x| x.id == id && a.checklist_id == l.checklist)
                .map(|x| x.status)
                .unwrap_or(wire::Coverage::Absent as i32);
            let want_s = l.substantive_areas.contains(&n);
            let got_s = got == wire::Coverage::Substantive as i32;
            let st = area_stats(&mut acc.areas, &id);
            match (want_s, got_s) {
                (true, true) => st.tp += 1,
                (false, true) => st.fp += 1,
                (true, false) => st.fn_ += 1,
                (false, false) => st.tn += 1,
            }
            if want_s != got_s {
                acc.errors.push(format!(
                    "{}: area {id} substantive={got_s}, label {want_s}",
                    l.file
                ));
            }
            let want_a = l.absent_areas.contains(&n);
            let got_a = got == wire::Coverage::Absent as i32;
            if want_a {
                acc.absent_labelled += 1;
                if got_a {
                    acc.absent_found += 1;
                }
            }
            if got_a {
                acc.absent_predicted += 1;
                if want_a {
                    acc.absent_predicted_right += 1;
                }
            }
        }
        for m in &l.metrics {
            acc.metrics_labelled += 1;
            let got = a.metrics.iter().find(|x| x.id == m.id).map(|x| x.value);
            match got {
                Some(v) if (v - m.value).abs() <= 1e-6 * m.value.abs().max(1.0) => {
                    acc.metrics_correct += 1
                }
                other => {
                    acc.metrics_wrong += usize::from(other.is_some());
                    acc.errors.push(format!(
                        "{}: metric {} = {:?}, label {}",
                        l.file, m.id, other, m.value
                    ))
                }
            }
        }
        acc.metrics_unlabelled += a
            .metrics
            .iter()
            .filter(|x| !l.metrics.iter().any(|m| m.id == x.id))
            .count();
    }
    acc.areas
        .sort_by_key(|a| a.id.parse::<u32>().unwrap_or(u32::MAX));
    acc
}
