//! What the platform knows against what the document says. A platform's issuer, year and
//! published date are its own records (the register of bodies, the page it collected the report
//! from) and win over what the engine reads; every value says where it came from, and where the
//! document states otherwise `HINT_DISAGREES` quotes the document.

use super::findings::Findings;
use super::text::View;
use crate::Hints;
use crate::model::{Date, Level, ParsedDoc};
use crate::parse::level_of;

pub(crate) const HINTS: &str = "hints";
pub(crate) const DOCUMENT: &str = "document";

/// The report's metadata as assessed, with each value's source (`hints`, `document`, or empty).
#[derive(Debug, Clone, Default)]
pub(crate) struct Known {
    pub issuer: Option<String>,
    pub issuer_source: &'static str,
    pub level: Option<Level>,
    pub year: Option<i32>,
    pub year_source: &'static str,
    pub published: Option<Date>,
    pub published_source: &'static str,
}

pub(crate) fn resolve(doc: &ParsedDoc, hints: &Hints) -> Known {
    let m = &doc.meta;
    let hint_issuer = hints.issuer.clone().filter(|s| !s.trim().is_empty());
    let hint_year = hints.year.filter(|y| *y > 0);
    let hint_date = hints.published_date.as_deref().and_then(parse_date);
    let (issuer, issuer_source, level) = match hint_issuer {
        // The platform's name for the body also sets its level, unless the name does not say.
        Some(h) => {
            let level = level_of(&h).or(m.level);
            (Some(h), HINTS, level)
        }
        None => (m.issuer.clone(), source(m.issuer.is_some()), m.level),
    };
    let (year, year_source) = match hint_year {
        Some(y) => (Some(y), HINTS),
        None => (m.year, source(m.year.is_some())),
    };
    let (published, published_source) = match hint_date {
        Some(d) => (Some(d), HINTS),
        None => {
            let d = m.published_date.map(|(d, _)| d);
            (d, source(d.is_some()))
        }
    };
    Known {
        issuer,
        issuer_source,
        level,
        year,
        year_source,
        published,
        published_source,
    }
}

/// A hint's date, YYYY-MM-DD (the input conversion has checked its form).
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    let mut it = s.trim().split('-');
    let year = it.next()?.parse().ok()?;
    let month = it.next()?.parse().ok()?;
    let day = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(Date { year, month, day })
}

fn source(found: bool) -> &'static str {
    if found { DOCUMENT } else { "" }
}

/// `HINT_DISAGREES` for each hint the document contradicts, quoting where the document says so.
pub(crate) fn disagreements(doc: &ParsedDoc, hints: &Hints, v: &View<'_>, out: &mut Findings) {
    let m = &doc.meta;
    if let (Some(hint), Some(found)) = (hints.issuer.as_deref(), m.issuer.as_deref())
        && !same_body(hint, found)
    {
        raise(out, v, "发布机关", hint, found, &[found.to_string()]);
    }
    if let (Some(hint), Some(found)) = (hints.year.filter(|y| *y > 0), m.year)
        && hint != found
    {
        let needles = [format!("{found}年度"), format!("{found}年")];
        raise(
            out,
            v,
            "报告年度",
            &hint.to_string(),
            &found.to_string(),
            &needles,
        );
    }
    let hint_date = hints.published_date.as_deref().and_then(parse_date);
    if let (Some(hint), Some((found, _))) = (hint_date, m.published_date)
        && hint != found
    {
        let (y, mo, d) = (found.year, found.month, found.day);
        let needles = [
            format!("{y}-{mo:02}-{d:02}"),
            format!("{y}年{mo}月{d}日"),
            format!("{y}年{mo:02}月{d:02}日"),
            format!("{y}.{mo}.{d}"),
            format!("{y}/{mo:02}/{d:02}"),
        ];
        raise(
            out,
            v,
            "发布日期",
            &hint.to_string(),
            &found.to_string(),
            &needles,
        );
    }
}

/// Two names of one body: equal once blanks and 人民 are dropped, or one holds the other
/// (望川县政府 / 望川县人民政府; 市司法局 / 南屿市司法局).
fn same_body(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.replace("人民", "")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect()
    };
    let (a, b) = (norm(a), norm(b));
    !a.is_empty() && !b.is_empty() && (a == b || a.contains(&b) || b.contains(&a))
}

fn raise(
    out: &mut Findings,
    v: &View<'_>,
    field: &str,
    hint: &str,
    found: &str,
    needles: &[String],
) {
    // The first place the document states its value (the title, a field, the signature); none
    // when it stood only in page furniture that was removed from the text.
    let evidence = needles
        .iter()
        .filter(|n| !n.is_empty())
        .filter_map(|n| v.text.find(n.as_str()).map(|at| at..at + n.len()))
        .min_by_key(|r| r.start)
        .map(|r| {
            let line_start = v.text[..r.start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = v.text[r.end..]
                .find('\n')
                .map_or(v.text.len(), |i| r.end + i);
            let section = v
                .doc
                .sections
                .iter()
                .rposition(|s| s.span.contains(&r.start));
            v.evidence(line_start..line_end, section)
        });
    out.raise(
        "HINT_DISAGREES",
        &[
            ("field", field.to_string()),
            ("hint", hint.to_string()),
            ("document", found.to_string()),
        ],
        evidence.into_iter().collect(),
    );
}

#[cfg(test)]
mod tests {
    use super::same_body;

    #[test]
    fn names_of_one_body_agree() {
        assert!(same_body("望川县人民政府", "望川县政府"));
        assert!(same_body("南屿市司法局", "市司法局"));
        assert!(same_body(" 望川县人民政府", "望川县人民政府"));
        assert!(!same_body("望川县人民政府", "潮音街道办事处"));
        assert!(!same_body("", "望川县人民政府"));
    }
}
