//! Findings from one table (`checklists/findings.toml`): the scorer decides when a finding
//! applies and supplies the values; the table holds its severity, message template and the rule
//! it cites, so wording and severity change in data, not in code.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::wire;

/// Every code the scorer raises, with the placeholders it supplies. The table must hold exactly
/// these codes, each template using exactly these placeholders (checked at load).
pub(crate) const RAISED: &[(&str, &[&str])] = &[
    ("NOT_A_REPORT", &["reason"]),
    (
        "LOW_TEXT_QUALITY",
        &["quality", "broken", "split", "replacement", "source"],
    ),
    ("TEXT_FROM_OCR", &["pages", "pages_total", "confidence"]),
    ("CHECKLIST_YEAR_MISMATCH", &["year", "checklist"]),
    (
        "CHECKLIST_PERIOD_ENDED",
        &["year", "checklist", "last_year"],
    ),
    ("YEAR_UNKNOWN", &[]),
    ("HINT_DISAGREES", &["field", "hint", "document"]),
    ("MISSING_PART_MEASURES", &[]),
    ("SHORTCOMINGS_HOLLOW", &[]),
    ("MISSING_PART_SHORTCOMINGS", &[]),
    ("ACHIEVEMENTS_ONLY", &[]),
    ("SHORTCOMINGS_WITHOUT_CAUSES", &[]),
    ("MISSING_PART_FIRST_RESPONSIBLE", &[]),
    ("FIRST_RESPONSIBLE_IN_PASSING", &[]),
    ("MISSING_PART_NEXT_YEAR", &[]),
    ("NEXT_YEAR_THIN", &[]),
    ("AREA_ABSENT", &["area_no", "area_title"]),
    ("AREA_MENTIONED_ONLY", &["area_no", "area_title"]),
    ("LOW_CONCRETENESS", &["percent"]),
    ("LATE", &["published", "deadline", "days"]),
    ("UNDATED", &[]),
    // Raised across reports (fazhi-collections' copied-text check), with the same table.
    ("COPIED_TEXT", &["issuer", "year", "percent"]),
    ("COPIED_FROM_PREVIOUS_YEAR", &["year", "percent"]),
];

/// A finding from the table, for checks that run outside one assessment (copied text).
pub fn finding(
    code: &str,
    args: &[(&str, String)],
    evidence: Vec<wire::Evidence>,
) -> wire::Finding {
    let mut f = Findings::default();
    f.raise(code, args, evidence);
    f.0.pop().unwrap_or_default()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    #[allow(dead_code)]
    version: String,
    finding: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    code: String,
    severity: String,
    rule: String,
    message: String,
}

static TABLE: LazyLock<Result<Vec<(Entry, wire::Severity)>, String>> =
    LazyLock::new(|| load(include_str!("../../checklists/findings.toml")));

fn load(text: &str) -> Result<Vec<(Entry, wire::Severity)>, String> {
    let table: Table = toml::from_str(text).map_err(|e| format!("findings.toml: {e}"))?;
    let mut out = Vec::new();
    for e in table.finding {
        let sev = match e.severity.as_str() {
            "ERROR" => wire::Severity::Error,
            "WARNING" => wire::Severity::Warning,
            "INFO" => wire::Severity::Info,
            other => {
                return Err(format!(
                    "findings.toml: {}: unknown severity {other:?}",
                    e.code
                ));
            }
        };
        if out.iter().any(|(x, _): &(Entry, _)| x.code == e.code) {
            return Err(format!("findings.toml: {} listed twice", e.code));
        }
        let Some((_, args)) = RAISED.iter().find(|(c, _)| *c == e.code) else {
            return Err(format!(
                "findings.toml: {} is never raised by the scorer",
                e.code
            ));
        };
        let mut used = placeholders(&e.message);
        used.sort_unstable();
        let mut want: Vec<&str> = args.to_vec();
        want.sort_unstable();
        if used != want {
            return Err(format!(
                "findings.toml: {}: the message uses {used:?}, the scorer supplies {want:?}",
                e.code
            ));
        }
        out.push((e, sev));
    }
    if let Some((code, _)) = RAISED
        .iter()
        .find(|(c, _)| !out.iter().any(|(e, _)| e.code == *c))
    {
        return Err(format!("findings.toml: no entry for {code}"));
    }
    Ok(out)
}

/// `{name}` placeholders of a template, in order.
fn placeholders(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(a) = rest.find('{') {
        let Some(b) = rest[a..].find('}') else { break };
        out.push(&rest[a + 1..a + b]);
        rest = &rest[a + b + 1..];
    }
    out
}

/// The reason the findings table cannot be used, if any.
pub fn load_error() -> Option<String> {
    TABLE.as_ref().err().cloned()
}

/// The table's rows as (code, severity, rule, message template), for documentation and APIs.
pub fn table() -> Vec<(String, wire::Severity, String, String)> {
    TABLE
        .as_ref()
        .map(|t| {
            t.iter()
                .map(|(e, s)| (e.code.clone(), *s, e.rule.clone(), e.message.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The findings of one assessment, in the order they are raised.
#[derive(Debug, Default)]
pub(crate) struct Findings(Vec<wire::Finding>);

impl Findings {
    /// Raises `code` with its placeholder values and evidence.
    pub fn raise(&mut self, code: &str, args: &[(&str, String)], evidence: Vec<wire::Evidence>) {
        let entry = TABLE
            .as_ref()
            .ok()
            .and_then(|t| t.iter().find(|(e, _)| e.code == code));
        let (severity, rule, message) = match entry {
            Some((e, sev)) => {
                let mut m = e.message.clone();
                for (name, value) in args {
                    m = m.replace(&format!("{{{name}}}"), value);
                }
                (*sev, e.rule.clone(), m)
            }
            // Unreachable once `load_error()` is None (score() checks it first).
            None => (wire::Severity::Warning, String::new(), code.to_string()),
        };
        self.0.push(wire::Finding {
            code: code.to_string(),
            severity: severity as i32,
            message,
            evidence,
            rule,
        });
    }

    pub fn into_vec(self) -> Vec<wire::Finding> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_loads_and_matches_what_the_scorer_raises() {
        assert_eq!(load_error(), None);
        assert_eq!(table().len(), RAISED.len());
    }

    #[test]
    fn mismatched_tables_are_refused() {
        let entry = |code: &str, msg: &str| {
            format!(
                "[[finding]]\ncode = \"{code}\"\nseverity = \"INFO\"\nrule = \"r\"\nmessage = \"{msg}\"\n"
            )
        };
        let all: String = RAISED
            .iter()
            .map(|(c, a)| {
                let msg: String = a.iter().map(|p| format!("{{{p}}}")).collect();
                entry(c, &msg)
            })
            .collect();
        let ok = format!("version = \"t\"\n{all}");
        assert!(load(&ok).is_ok());
        // A placeholder the scorer does not supply.
        let extra = ok.replace("message = \"{reason}\"", "message = \"{reason}{nope}\"");
        assert!(load(&extra).unwrap_err().contains("NOT_A_REPORT"));
        // A code the scorer never raises.
        let unknown = format!("{ok}{}", entry("NO_SUCH_CODE", ""));
        assert!(load(&unknown).unwrap_err().contains("NO_SUCH_CODE"));
        // A raised code missing from the table.
        let missing = ok.replace("code = \"UNDATED\"", "code = \"UNDATED_X\"");
        assert!(load(&missing).is_err());
        // An unknown severity.
        let sev = ok.replacen("severity = \"INFO\"", "severity = \"FATAL\"", 1);
        assert!(load(&sev).unwrap_err().contains("severity"));
    }

    #[test]
    fn placeholders_are_filled() {
        let mut f = Findings::default();
        f.raise(
            "AREA_ABSENT",
            &[
                ("area_no", "六".into()),
                ("area_title", "健全突发事件应对体系".into()),
            ],
            Vec::new(),
        );
        let got = f.into_vec();
        assert_eq!(
            got[0].message,
            "纲要第六部分“健全突发事件应对体系”在报告中完全没有涉及"
        );
        assert_eq!(got[0].severity, wire::Severity::Warning as i32);
        assert!(got[0].rule.contains("纲要"));
    }
}
