//! The rules shared by every checklist, as data (`checklists/report-rules.toml`): the 督察规定
//! parts and their heading cues, passage cues, context triggers (negation, plan, citation, local
//! titles and their false friends), boilerplate, metric choice, score weights, grade bands and
//! timeliness. Loaded and validated once; a broken file is an error, never a panic.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::data_error::{DataError, parse_error};

const RULES_TOML: &str = include_str!("../checklists/report-rules.toml");

/// The name of the file that, in the checklist directory, replaces the built-in rules.
pub const FILE_NAME: &str = "report-rules.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    pub version: String,
    pub parts: Vec<PartRule>,
    pub passages: PassageRules,
    pub context: ContextRules,
    pub boilerplate: BoilerplateRules,
    pub score: ScoreRules,
    pub grades: Vec<Grade>,
    pub timeliness: TimelinessRules,
    pub text_quality: TextQualityRules,
    pub metrics: std::collections::BTreeMap<String, String>,
    pub metric_choice: MetricChoiceRules,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartRule {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub heading: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassageRules {
    pub remedy_heading: Vec<String>,
    pub shortcomings_lead: Vec<String>,
    pub shortcomings_nouns: Vec<String>,
    pub shortcomings_window: usize,
    pub next_year_lead: Vec<String>,
    pub first_responsible: Vec<String>,
    pub shortcomings_min_deficits: usize,
    pub causes: Vec<String>,
    pub next_year_min_sentences: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextRules {
    pub law_title_endings: Vec<String>,
    pub not_law_title_endings: Vec<String>,
    pub title_joiners: Vec<String>,
    pub local_title_false_friends: Vec<String>,
    pub event_units: Vec<String>,
    pub metadata_labels: Vec<String>,
    pub negation: Vec<String>,
    pub pseudo_negation: Vec<String>,
    pub plan: Vec<String>,
    pub pseudo_plan: Vec<String>,
    pub cite: Vec<String>,
    pub local_title: Vec<String>,
    pub produce: Vec<String>,
    pub national_title: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoilerplateRules {
    pub phrases: Vec<String>,
    pub min_hits: usize,
    pub low_ratio: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRules {
    pub coverage_max: f64,
    pub concreteness_max: f64,
    pub timeliness_max: f64,
    pub concreteness_full_ratio: f64,
    pub late_grace_days: i64,
    pub late_partial: f64,
    pub unknown_share: f64,
    pub shortcomings_without_causes: f64,
    pub first_responsible_in_passing: f64,
    pub next_year_thin: f64,
    pub mentioned: f64,
    pub substantive_base: f64,
    pub substantive_step: f64,
    pub area_best: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grade {
    pub grade: String,
    pub min: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricChoiceRules {
    /// Words of sentences that sum several years; a count is taken from them only as a last resort.
    pub cumulative: Vec<String>,
    /// Words before a cumulative word that keep the sum within the year (全年累计).
    pub annual: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextQualityRules {
    pub broken_limit: f64,
    pub split_limit: f64,
    pub replacement_limit: f64,
    pub min_score: f64,
    pub min_lines: usize,
    pub line_ends: String,
    pub ocr_min_confidence: f64,
    pub source_text: String,
    pub source_ocr: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimelinessRules {
    pub ducha_from_year: i32,
    pub rule_publication: String,
    pub rule_department: String,
    pub rule_2015: String,
}

impl Rules {
    pub fn part(&self, id: &str) -> Option<&PartRule> {
        self.parts.iter().find(|p| p.id == id)
    }

    /// Grade for a score (bands in data, highest `min` first).
    pub fn grade(&self, score: f64) -> String {
        let mut bands: Vec<&Grade> = self.grades.iter().collect();
        bands.sort_by(|a, b| b.min.total_cmp(&a.min));
        bands
            .iter()
            .find(|g| score >= g.min)
            .map(|g| g.grade.clone())
            .unwrap_or_else(|| "D".to_string())
    }

    fn validate(&self) -> Result<(), String> {
        for want in [
            "measures",
            "shortcomings",
            "first_responsible",
            "next_year",
            "other",
        ] {
            let p = self
                .part(want)
                .ok_or_else(|| format!("rules: part {want} missing"))?;
            if p.heading.is_empty() || p.weight < 0.0 {
                return Err(format!("rules: part {want} has no heading cues"));
            }
        }
        if self.grades.is_empty() || !self.grades.iter().any(|g| g.min <= 0.0) {
            return Err("rules: grade bands must cover 0".into());
        }
        let s = &self.score;
        for (name, v) in [
            ("coverage_max", s.coverage_max),
            ("concreteness_max", s.concreteness_max),
            ("timeliness_max", s.timeliness_max),
            ("concreteness_full_ratio", s.concreteness_full_ratio),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("rules: score.{name} must be positive"));
            }
        }
        // An empty phrase would be found everywhere, and its search would never move on.
        if self.passages.first_responsible.iter().any(String::is_empty) {
            return Err("rules: passages.first_responsible holds an empty phrase".into());
        }
        if self.context.negation.is_empty() || self.context.plan.is_empty() {
            return Err("rules: empty trigger lists".into());
        }
        Ok(())
    }
}

// ───────────────────────────── loading ─────────────────────────────

static RULES: OnceLock<Result<Rules, String>> = OnceLock::new();

/// Parses and validates a rules file; a validation error names the file at line 1.
pub fn parse(file: &str, text: &str) -> Result<Rules, DataError> {
    let r: Rules = toml::from_str(text).map_err(|e| parse_error(file, text, &e))?;
    r.validate().map_err(|message| DataError {
        file: file.to_string(),
        line: 1,
        field: "(file)".to_string(),
        message,
    })?;
    Ok(r)
}

/// Why [`install`] could not take a rules file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Invalid(#[from] DataError),
    #[error("the report rules were already in use before the checklist directory was installed")]
    AlreadyInUse,
}

/// Makes an operator's rules file (from the checklist directory) the process's rules — once,
/// before anything is scored.
pub fn install(file: &str, text: &str) -> Result<(), InstallError> {
    let r = parse(file, text)?;
    RULES.set(Ok(r)).map_err(|_| InstallError::AlreadyInUse)
}

/// The shared report rules, or why they failed to load.
pub fn rules() -> Result<&'static Rules, String> {
    RULES
        .get_or_init(|| parse(FILE_NAME, RULES_TOML).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_rules_parse_and_validate() {
        assert!(rules().is_ok(), "{:?}", rules().err());
    }

    #[test]
    fn an_empty_first_responsible_phrase_is_refused() {
        let text = RULES_TOML.replacen(
            r#"first_responsible = ["第一责任人"]"#,
            r#"first_responsible = ["第一责任人", ""]"#,
            1,
        );
        assert_ne!(
            text, RULES_TOML,
            "the embedded rules name the phrase as the test expects"
        );
        let err = parse(FILE_NAME, &text).expect_err("an empty phrase");
        assert!(err.to_string().contains("first_responsible"), "{err}");
    }

    #[test]
    fn grades_from_bands() {
        let r = rules().expect("rules");
        assert_eq!(r.grade(90.0), "A");
        assert_eq!(r.grade(70.0), "B");
        assert_eq!(r.grade(60.0), "C");
        assert_eq!(r.grade(10.0), "D");
    }
}
