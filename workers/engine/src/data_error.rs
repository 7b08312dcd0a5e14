//! An operator's data file (a checklist, the report rules) that failed to load, named by file,
//! line and field so it can be fixed without reading code.

/// A data file that failed to load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct DataError {
    pub file: String,
    /// 1-based line of the offending field (or of the table that lacks it).
    pub line: usize,
    /// The TOML key at fault, e.g. `first_year`, `areas.items.strong`, `id`.
    pub field: String,
    pub message: String,
}

pub(crate) fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// A TOML or schema error with its line; the field from serde's message (`missing field
/// \`x\``) or from the key on that line.
pub(crate) fn parse_error(file: &str, text: &str, e: &toml::de::Error) -> DataError {
    let line = e.span().map_or(1, |s| line_of(text, s.start));
    let message = e.message().to_string();
    let quoted = message
        .split('`')
        .nth(1)
        .filter(|_| message.contains("field") || message.contains("key"))
        .map(str::to_string);
    let on_line = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty());
    DataError {
        file: file.to_string(),
        line,
        field: quoted.or(on_line).unwrap_or_else(|| "(file)".to_string()),
        message,
    }
}
