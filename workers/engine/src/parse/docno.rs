//! The report's own document number (〔2024〕2号) from its metadata or its first lines.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::RemovedLine;

pub(super) fn find_doc_no(removed: &[RemovedLine], body: &[&str]) -> Option<String> {
    removed
        .iter()
        .map(|r| r.text.as_str())
        .chain(body.iter().take(10).copied())
        .find_map(|l| {
            DOC_NO
                .find(l)
                .map(|m| m.as_str().trim_start_matches("文号").to_string())
        })
}

pub(super) static DOC_NO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[\p{Han}]{1,10}[〔\[【(]((?:19|20)\d\d)[〕\]】)]\s*\d{1,4}\s*号")
        .unwrap_or_else(|_| unreachable!())
});
