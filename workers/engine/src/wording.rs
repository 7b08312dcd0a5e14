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
    pub figures: FigureWords,
    pub meta: MetaWords,
    pub kind: KindWords,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureWords {
    /// Regex: plan or target markers before a figure.
    pub plan: String,
    /// Regex tried at each plan match: a cue that describes a thing, not a plan.
    pub plan_not: String,
    /// 「A、B分别为N1、N2」: the word that pairs a list of things with a list of numbers.
    pub respectively: String,
    /// Words that alone before a number leave its subject to the clause before.
    pub inherit_words: Vec<String>,
    /// Regex: section titles whose figures are plans.
    pub next_year_heading: String,
    pub comparative: Vec<String>,
    /// Regex on the text right before a number: the earlier value of a comparison (由…的).
    pub earlier_value: String,
    /// Regex on the clause before a number: a change, not a level (同比增长…).
    pub change_amount: String,
    /// Chinese numerals below this are words (一件事, 三项制度), not quantities.
    pub chinese_numeral_min: f64,
    /// Classifiers that need a noun after them (个): the figure counts that noun.
    pub classifier_units: Vec<String>,
    /// Metric id → words one of which the figure's own clause must hold before it may take its
    /// subject from earlier in the sentence (审查率 after 合法性审查213件).
    pub cue: std::collections::BTreeMap<String, Vec<String>>,
    pub bind: BindWords,
}

/// The words of the metric-binding rules (`[figures.bind]`), one field a condition.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindWords {
    pub mediation: String,
    pub appearance_rate: Vec<String>,
    pub appearance_rate_all: Vec<String>,
    pub mediation_rate: Vec<String>,
    pub mediation_word: String,
    pub legality_rate: Vec<String>,
    pub legality_rate_all: Vec<String>,
    pub legality_rate_not: Vec<String>,
    pub online_rate: Vec<String>,
    pub online_rate_channel: Vec<String>,
    pub online_rate_ratio: Vec<String>,
    pub count_units: Vec<String>,
    pub case_units: Vec<String>,
    pub concluded: Vec<String>,
    pub subset: Vec<String>,
    pub reconsideration: Vec<String>,
    pub reconsideration_not: Vec<String>,
    pub litigation: Vec<String>,
    pub litigation_pairs: Vec<Vec<String>>,
    pub litigation_not: Vec<String>,
    pub legal_aid: Vec<String>,
    pub legal_aid_not: Vec<String>,
    pub filing_units: Vec<String>,
    pub filing: Vec<String>,
    pub normative_document: String,
    pub normative_not: Vec<String>,
    pub legality_units: Vec<String>,
    pub legality_word: String,
    pub legality_review: Vec<String>,
    pub legality_review_right: Vec<String>,
    pub review_verbs: Vec<String>,
    pub legality_objects: Vec<String>,
    pub review_contract_verb: String,
    pub contracts: Vec<String>,
    pub legal_adviser: String,
    pub drafting: String,
    pub legality_not: Vec<String>,
    pub mediation_units: Vec<String>,
    pub dispute_words: Vec<String>,
    pub mediation_not: Vec<String>,
    pub staff_units: Vec<String>,
    pub certified: Vec<String>,
    pub enforcement_staff: String,
    pub certified_sentence: String,
    pub certified_not: Vec<String>,
    pub file_units: Vec<String>,
    pub case_review: Vec<String>,
    pub case_file_heads: Vec<String>,
    pub event_units: Vec<String>,
    pub popularization: Vec<String>,
    pub lecture: String,
    pub lecture_sentence: Vec<String>,
    pub popularization_not: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlineWords {
    pub part_title_words: Vec<String>,
    pub not_heading_words: Vec<String>,
    pub not_heading_prefixes: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetaWords {
    pub org_suffixes: Vec<String>,
    /// A place's own government body, as a suffix to its name (棣华街道 → 棣华街道办事处).
    pub place_bodies: Vec<String>,
    /// Short forms of body names and their full forms (["管委会", "管理委员会"]).
    pub short_forms: Vec<[String; 2]>,
    pub addressee_words: Vec<String>,
    pub title_labels: Vec<String>,
    pub title_issuer_ends: Vec<String>,
    pub title_genre_words: Vec<String>,
    pub title_complete_words: Vec<String>,
    pub title_field_ends: Vec<String>,
    pub published_labels: Vec<String>,
    pub not_published_prefixes: Vec<String>,
    pub block_date_label: String,
    pub source_label: String,
    pub issuer_label: String,
    pub party_prefix: String,
    pub department_suffixes: Vec<String>,
    pub committee_suffix: String,
    pub not_department_committees: Vec<String>,
    pub street_words: Vec<String>,
    pub zone_words: Vec<String>,
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
    pub min_chinese_chars: usize,
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
    pub regulation_titles: Vec<String>,
    pub announcement_titles: Vec<String>,
    pub report_word: String,
    pub news_titles: Vec<String>,
    pub notice: String,
}

static WORDING: LazyLock<Result<Wording, String>> = LazyLock::new(|| {
    let w: Wording = toml::from_str(include_str!("../checklists/parse-rules.toml"))
        .map_err(|e| format!("parse-rules.toml: {e}"))?;
    for (field, pattern) in [
        ("figures.plan", &w.figures.plan),
        ("figures.next_year_heading", &w.figures.next_year_heading),
        ("figures.bind.mediation", &w.figures.bind.mediation),
    ] {
        regex::Regex::new(pattern).map_err(|e| format!("parse-rules.toml: {field}: {e}"))?;
    }
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
    words.iter().any(|w| starts_with(s, w))
}

/// `s.starts_with(w)`, the first two bytes compared in line before the library's compare: most
/// lines a word list is tried on share no first character with most of its words, and a call per
/// word had been the junk filter's largest cost after its searches (callgrind).
#[inline]
pub fn starts_with(s: &str, w: &str) -> bool {
    let (s, w) = (s.as_bytes(), w.as_bytes());
    s.len() >= w.len() && s.iter().zip(w).take(2).all(|(a, b)| a == b) && s.starts_with(w)
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

    proptest::proptest! {
        /// The compare in line answers as the library's `starts_with`: shared first bytes, words
        /// longer than the text, empty ones.
        #[test]
        fn starts_with_answers_as_std(
            s in "[来源文号a]{0,4}",
            w in "[来源文号a]{0,3}",
        ) {
            proptest::prop_assert_eq!(starts_with(&s, &w), s.starts_with(w.as_str()));
        }
    }
}
