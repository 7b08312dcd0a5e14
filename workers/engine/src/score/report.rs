//! What the document is (kind, title, issuer, level, year, dates, number) and its outline with
//! each heading's classified part.

use super::known::Known;
use super::parts::{self, PART_IDS};
use super::text::View;
use crate::model::{DocKind, IssuerBasis, ParsedDoc};
use crate::wire;

pub(crate) fn report_info(
    doc: &ParsedDoc,
    known: &Known,
    v: &View<'_>,
    outline: Vec<wire::OutlineNode>,
) -> wire::ReportInfo {
    let m = &doc.meta;
    let (kind, reason) = match doc.kind {
        DocKind::Report => ("report", ""),
        DocKind::NotReport(r) => ("not_report", r.as_str()),
    };
    wire::ReportInfo {
        kind: kind.into(),
        title: m.title.clone().unwrap_or_default(),
        issuer: known.issuer.clone().unwrap_or_default(),
        level: known
            .level
            .map(|l| l.as_str().to_string())
            .unwrap_or_default(),
        year: known.year.unwrap_or(0),
        published_date: known.published.map(|d| d.to_string()).unwrap_or_default(),
        issuer_source: known.issuer_source.into(),
        year_source: known.year_source.into(),
        published_date_source: known.published_source.into(),
        document_number: m.document_number.clone().unwrap_or_default(),
        char_count: v.chars.at(v.text.len()),
        outline,
        addressee: m.addressee.clone().unwrap_or_default(),
        not_report_reason: reason.into(),
        issuer_basis: if known.issuer_source == "hints" {
            "hints".into()
        } else {
            m.issuer_basis
                .map(|b| b.as_str())
                .unwrap_or_default()
                .into()
        },
        issuer_evidence: if known.issuer_source == "hints" {
            None
        } else {
            issuer_evidence(doc, v)
        },
    }
}

/// The line the document's issuer was read from: the title, the 落款 (its last naming), the
/// opening line, or a removed 发布机构/来源 field (quoted without offsets: not in the text).
fn issuer_evidence(doc: &ParsedDoc, v: &View<'_>) -> Option<wire::Evidence> {
    let m = &doc.meta;
    let issuer = m.issuer.as_deref()?;
    let line_at = |at: usize| -> wire::Evidence {
        let start = v.text[..at].rfind('\n').map_or(0, |p| p + 1);
        let end = v.text[at..].find('\n').map_or(v.text.len(), |p| at + p);
        wire::Evidence {
            quote: v.text[start..end].trim().to_string(),
            start: v.chars.at(start),
            end: v.chars.at(end),
            section: String::new(),
        }
    };
    let removed = |label: &str| -> Option<wire::Evidence> {
        let r = doc.removed.iter().find(|r| r.text.contains(label))?;
        Some(wire::Evidence {
            quote: r.text.trim().to_string(),
            ..Default::default()
        })
    };
    let words = &crate::wording::wording().ok()?.meta;
    match m.issuer_basis? {
        IssuerBasis::Title => {
            let title = m.title.as_deref().unwrap_or(issuer);
            let head = title.split(' ').next().unwrap_or(title);
            v.text.find(head).map(line_at)
        }
        IssuerBasis::Signature => v.text.rfind(issuer).map(line_at),
        IssuerBasis::Opening => v.text.find(|c: char| !c.is_whitespace()).map(line_at),
        IssuerBasis::PublishedBy => removed(&words.issuer_label),
        IssuerBasis::SourceLine => removed(&words.source_label),
    }
}

/// The section tree with each node's classified part.
pub(crate) fn outline(v: &View<'_>) -> Vec<wire::OutlineNode> {
    let secs = &v.doc.sections;
    let part_of = |i: usize| -> String {
        let s = &secs[i];
        let f = parts::classify(&s.title, v.year);
        PART_IDS
            .iter()
            .filter(|(_, fl)| f & fl != 0)
            .map(|(id, _)| *id)
            .collect::<Vec<_>>()
            .join(",")
    };
    fn build(
        i: usize,
        v: &View<'_>,
        part_of: &dyn Fn(usize) -> String,
        children: &[Vec<usize>],
        depth: usize,
    ) -> wire::OutlineNode {
        let s = &v.doc.sections[i];
        wire::OutlineNode {
            level: i32::from(s.level),
            numbering: s.numbering.clone(),
            title: s.title.clone(),
            start: v.chars.at(s.span.start),
            end: v.chars.at(s.span.end),
            part: part_of(i),
            children: if depth < 12 {
                children[i]
                    .iter()
                    .map(|c| build(*c, v, part_of, children, depth + 1))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); secs.len()];
    let mut roots = Vec::new();
    for (i, s) in secs.iter().enumerate() {
        match s.parent.filter(|p| *p < i) {
            Some(p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    roots
        .into_iter()
        .map(|r| build(r, v, &part_of, &children, 0))
        .collect()
}
