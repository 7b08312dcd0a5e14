//! Metadata accuracy (kind, year, issuer, level, published date) against labelled documents.

use super::LabelledDoc;
use crate::model::DocKind;

/// Hits per field, with every miss listed so a regression is easy to read.
#[derive(Debug, Clone, Default)]
pub struct MetadataAccuracy {
    /// Documents evaluated; the per-field counts below are hits out of this.
    pub docs: usize,
    pub kind: usize,
    pub year: usize,
    pub issuer: usize,
    pub level: usize,
    pub published_date: usize,
    /// (file, field, expected, got).
    pub misses: Vec<(String, &'static str, String, String)>,
}

/// Each field must reach this share.
pub const TARGET: f64 = 0.98;

impl MetadataAccuracy {
    fn ratio(&self, hits: usize) -> f64 {
        if self.docs == 0 {
            0.0
        } else {
            hits as f64 / self.docs as f64
        }
    }

    /// (field, accuracy) in table order.
    pub fn fields(&self) -> [(&'static str, f64); 5] {
        [
            ("kind", self.ratio(self.kind)),
            ("year", self.ratio(self.year)),
            ("issuer", self.ratio(self.issuer)),
            ("level", self.ratio(self.level)),
            ("published_date", self.ratio(self.published_date)),
        ]
    }

    /// The parsing issue's acceptance: every field at or above [`TARGET`].
    pub fn meets_targets(&self) -> bool {
        self.docs > 0 && self.fields().iter().all(|(_, a)| *a >= TARGET)
    }
}

impl std::fmt::Display for MetadataAccuracy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "metadata accuracy over {} documents (target ≥ {:.0}%)",
            self.docs,
            TARGET * 100.0
        )?;
        writeln!(f, "{:<16} {:>8} {:>8}", "field", "hits", "acc")?;
        let hits = [
            self.kind,
            self.year,
            self.issuer,
            self.level,
            self.published_date,
        ];
        for ((name, acc), h) in self.fields().iter().zip(hits) {
            writeln!(
                f,
                "{:<16} {:>8} {:>7.1}%",
                name,
                format!("{h}/{}", self.docs),
                acc * 100.0
            )?;
        }
        for (file, field, want, got) in &self.misses {
            writeln!(f, "  miss {file} {field}: want {want:?} got {got:?}")?;
        }
        Ok(())
    }
}

/// Parses every document and compares its metadata with the label.
pub fn evaluate(docs: &[LabelledDoc]) -> MetadataAccuracy {
    let mut acc = MetadataAccuracy::default();
    let limits = crate::Limits::default();
    let hints = crate::Hints::default();
    for d in docs {
        acc.docs += 1;
        let sub = crate::Submission {
            content: &d.content,
            media_type: "",
            filename: &d.label.file,
            charset: "",
            hints: &hints,
            checklist_id: None,
        };
        let l = &d.label;
        let (kind, year, issuer, level, date) = match crate::parse(&sub, &limits) {
            Ok(doc) => (
                match doc.kind {
                    DocKind::Report => "report".to_string(),
                    DocKind::NotReport(_) => "not_report".to_string(),
                },
                doc.meta.year.map(|y| y.to_string()).unwrap_or_default(),
                doc.meta.issuer.clone().unwrap_or_default(),
                doc.meta
                    .level
                    .map(|l| l.as_str().to_string())
                    .unwrap_or_default(),
                doc.meta
                    .published_date
                    .map(|(d, _)| d.to_string())
                    .unwrap_or_default(),
            ),
            Err(e) => {
                let s = format!("error: {}", e.code());
                (s.clone(), s.clone(), s.clone(), s.clone(), s)
            }
        };
        let want_year = l.year.map(|y| y.to_string()).unwrap_or_default();
        let mut check = |field: &'static str, want: &str, got: &str, counter: &mut usize| {
            if want == got {
                *counter += 1;
            } else {
                acc.misses
                    .push((l.file.clone(), field, want.to_string(), got.to_string()));
            }
        };
        let (mut k, mut y, mut i, mut lv, mut pd) = (0, 0, 0, 0, 0);
        check("kind", &l.kind, &kind, &mut k);
        check("year", &want_year, &year, &mut y);
        check("issuer", &l.issuer, &issuer, &mut i);
        check("level", &l.level, &level, &mut lv);
        check("published_date", &l.published_date, &date, &mut pd);
        acc.kind += k;
        acc.year += y;
        acc.issuer += i;
        acc.level += lv;
        acc.published_date += pd;
    }
    acc
}
