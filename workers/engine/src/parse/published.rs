//! The publication date (发布日期 lines, metadata blocks, the dated signature) and the signature.

use super::dates::{ISO_DATE, parse_date_anywhere};
use super::issuer::{is_org_line, words};
use crate::model::{Date, DateSource, RemovedLine};
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// The publication labels' searchers, built once: `str::find` prepared its searcher on every
/// call, for every label on every line it reads (1 % of the engine's instructions, callgrind).
static LABELS: LazyLock<Vec<(&'static str, Finder<'static>)>> = LazyLock::new(|| {
    words()
        .published_labels
        .iter()
        .map(|k| (k.as_str(), Finder::new(k.as_bytes())))
        .collect()
});

/// A line that is nothing but a date (a signature date).
pub(super) fn date_only(line: &str) -> Option<Date> {
    let l = line.trim();
    // More than 20 characters: counted no further than the 21st (body lines are long).
    if l.chars().nth(20).is_some() {
        return None;
    }
    let d = parse_date_anywhere(l)?;
    let rest: String = l
        .chars()
        .filter(|c| !c.is_ascii_digit() && !"年月日-/.〇○零一二三四五六七八九十 ".contains(*c))
        .collect();
    rest.is_empty().then_some(d)
}

/// A line that is a date with an optional clock time ("2025-03-24 10:18", "2025年3月24日 10:18:05").
fn date_time_only(line: &str) -> Option<Date> {
    let l = line.trim();
    let date = match l.rsplit_once(' ') {
        Some((date, time))
            if time.split(':').count() >= 2
                && time.split(':').all(|t| {
                    (1..=2).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit())
                }) =>
        {
            date
        }
        _ => l,
    };
    date_only(date)
}

pub(super) fn find_published(body: &[&str], removed: &[RemovedLine]) -> Option<(Date, DateSource)> {
    let all = removed
        .iter()
        .map(|r| r.text.as_str())
        .chain(body.iter().take(12).copied());
    let mut block = None;
    // A label whose date the page set on the next line ("发布时间：" / "2025-03-24 10:18").
    let mut dangling = false;
    for l in all {
        let w = words();
        for (key, finder) in LABELS.iter() {
            if let Some(p) = finder.find(l.as_bytes()) {
                // 生成日期 / 成文日期 are not publication lines.
                let before = &l[..p];
                if w.not_published_prefixes
                    .iter()
                    .any(|x| before.ends_with(x.as_str()))
                {
                    continue;
                }
                if let Some(d) = parse_date_anywhere(&l[p..]) {
                    return Some((d, DateSource::PublishedLine));
                }
                let after = l[p + key.len()..]
                    .trim_matches(|c: char| c == ':' || c == '：' || c.is_whitespace());
                dangling |= after.is_empty();
            }
        }
        // A news header line that opens with the date: "2024-03-22 18:36 来源:…".
        if l.contains(w.source_label.as_str())
            && let Some(d) = ISO_DATE
                .find(l)
                .filter(|m| m.start() == 0)
                .and_then(|m| parse_date_anywhere(m.as_str()))
        {
            return Some((d, DateSource::PublishedLine));
        }
        if block.is_none()
            && let Some(p) = l.find(w.block_date_label.as_str())
            && let Some(d) = parse_date_anywhere(&l[p..])
        {
            block = Some(d);
        }
    }
    // The date line stands at the top of the text (the label line itself was often removed as
    // page furniture), never as far down as a signature.
    if dangling && let Some(d) = body.iter().take(3).find_map(|l| date_time_only(l)) {
        return Some((d, DateSource::PublishedLine));
    }
    if let Some(d) = block {
        return Some((d, DateSource::MetadataBlock));
    }
    find_signature(body)
        .and_then(|s| s.1)
        .map(|d| (d, DateSource::Signature))
}

/// The signature: org lines right before the last date-only line (or ending the body).
pub(super) fn find_signature(body: &[&str]) -> Option<(String, Option<Date>)> {
    let idx = body.iter().rposition(|l| date_only(l).is_some());
    let (end, date) = match idx {
        Some(i) => (i, date_only(body[i])),
        None => (body.len(), None),
    };
    let mut orgs: Vec<&str> = Vec::new();
    let mut j = end;
    while j > 0 && orgs.len() < 3 {
        let l = body[j - 1].trim();
        if is_org_line(l) {
            orgs.push(l);
            j -= 1;
        } else {
            break;
        }
    }
    orgs.reverse();
    if orgs.is_empty() {
        return date
            .map(|d| (String::new(), Some(d)))
            .filter(|_| idx.is_some_and(|i| i + 6 >= body.len()));
    }
    // Multiple orgs on one line separated by spaces also count as joint issuers.
    let joined: Vec<String> = orgs
        .iter()
        .flat_map(|l| l.split(' ').filter(|s| !s.is_empty()).map(str::to_string))
        .collect();
    Some((joined.join("、"), date))
}
