//! Accuracy against labelled corpora (`shared/corpus/labels.toml` schema, see its LABELS.md).
//! Pure: callers read the files and pass the bytes in.

pub mod metadata;
pub mod scoring;

use serde::Deserialize;

/// One `[[report]]` table of a labels file.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub file: String,
    pub kind: String,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub issuer: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub published_date: String,
    #[serde(default)]
    pub checklist: String,
    #[serde(default)]
    pub parts: Parts,
    #[serde(default)]
    pub substantive_areas: Vec<u32>,
    #[serde(default)]
    pub absent_areas: Vec<u32>,
    #[serde(default)]
    pub metrics: Vec<LabelMetric>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Parts {
    #[serde(default)]
    pub measures: bool,
    #[serde(default)]
    pub shortcomings: bool,
    #[serde(default)]
    pub first_responsible: bool,
    #[serde(default)]
    pub next_year: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LabelMetric {
    pub id: String,
    pub value: f64,
}

#[derive(Debug, Deserialize)]
struct LabelFile {
    #[serde(default)]
    report: Vec<Label>,
}

#[derive(Debug, thiserror::Error)]
#[error("bad labels file: {0}")]
pub struct LabelsError(String);

/// Parses a labels file.
pub fn parse_labels(toml_text: &str) -> Result<Vec<Label>, LabelsError> {
    toml::from_str::<LabelFile>(toml_text)
        .map(|f| f.report)
        .map_err(|e| LabelsError(e.to_string()))
}

/// A labelled document with its bytes, read by the caller.
#[derive(Debug, Clone)]
pub struct LabelledDoc {
    pub label: Label,
    pub content: Vec<u8>,
}

/// Everything the harness measures.
#[derive(Debug, Clone)]
pub struct EvalReport {
    pub metadata: metadata::MetadataAccuracy,
    pub scoring: scoring::ScoringAccuracy,
}

impl EvalReport {
    /// True when every target of the parsing and scoring issues is met.
    pub fn meets_targets(&self) -> bool {
        self.metadata.meets_targets() && self.scoring.meets_targets()
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.metadata)?;
        write!(f, "{}", self.scoring)
    }
}

/// Parses and scores every document and compares with its label.
pub fn evaluate(docs: &[LabelledDoc]) -> EvalReport {
    EvalReport {
        metadata: metadata::evaluate(docs),
        scoring: scoring::evaluate(docs),
    }
}
