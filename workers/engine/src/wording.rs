//! The parser's wording (`checklists/parse-rules.toml`): the word lists junk removal, metadata
//! extraction and the document-kind decision use. Below `parse` and `junk` so both read it without reaching into
//! each other. Loaded once; a broken file is an error the parser reports, never a panic.

use std::sync::LazyLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wording {
    pub version: String,
    pub junk: JunkWords,
    pub outline: OutlineWords,
    pub meta: MetaWords,
    pub kind: KindWords,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlineWords {
    pub part_title_words: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaWords {
    pub org_suffixes: Vec<String>,
    pub addressee_words: Vec<String>,
    pub title_labels: Vec<String>,
    pub title_issuer_ends: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JunkWords {
    pub breadcrumb_prefixes: Vec<String>,
    pub breadcrumb_home: String,
    pub qrcode_prefixes: Vec<String>,
    pub qrcode_words: Vec<String>,
    pub related_prefixes: Vec<String>,
    pub keyword_prefixes: Vec<String>,
    pub attachment_prefixes: Vec<String>,
    pub attachment_lines: Vec<String>,
    pub footer_words: Vec<String>,
    pub metadata_prefixes: Vec<String>,
    pub source_label: String,
    pub widget_tokens: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindWords {
    pub news_bylines: Vec<String>,
    pub result_headings: Vec<String>,
    pub result_phrases: Vec<String>,
    pub plan_duty_words: Vec<String>,
    pub achievement_words: Vec<String>,
    pub issuing_words: Vec<String>,
    pub interpretation: Vec<String>,
    pub other_disclosure: Vec<String>,
    pub rule_of_law: Vec<String>,
    pub reportish: Vec<String>,
    pub not_reportish: Vec<String>,
    pub plan_titles: Vec<String>,
    pub implementation_titles: Vec<String>,
    pub scheme: String,
    pub report_word: String,
    pub news_titles: Vec<String>,
    pub notice: String,
}

static WORDING: LazyLock<Result<Wording, String>> = LazyLock::new(|| {
    let w: Wording = toml::from_str(include_str!("../checklists/parse-rules.toml"))
        .map_err(|e| format!("parse-rules.toml: {e}"))?;
    if w.junk.widget_tokens.iter().any(String::is_empty) {
        return Err("parse-rules.toml: junk.widget_tokens holds an empty token".into());
    }
    Ok(w)
});

/// The parser's wording, or why it failed to load.
pub fn wording() -> Result<&'static Wording, String> {
    WORDING.as_ref().map_err(Clone::clone)
}

/// True when `s` holds any of `words`.
pub fn contains_any(s: &str, words: &[String]) -> bool {
    words.iter().any(|w| s.contains(w.as_str()))
}

/// True when `s` starts with any of `words`.
pub fn starts_any(s: &str, words: &[String]) -> bool {
    words.iter().any(|w| s.starts_with(w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_wording_parses() {
        let w = wording().expect("parse-rules.toml");
        assert!(!w.junk.metadata_prefixes.is_empty());
        assert!(!w.kind.plan_titles.is_empty());
    }
}
