//! The title: a heading line, a 标题 metadata entry, or the opening sentence; and the issuer
//! named at its head.

use super::issuer::words;
use super::published::date_only;
use crate::model::{RemovedLine, Section};

pub(super) fn titleish(l: &str) -> bool {
    let n = l.chars().count();
    (6..=90).contains(&n)
        && !l.contains('。')
        && crate::wording::contains_any(l, &words().title_genre_words)
}

pub(super) fn find_title(
    body: &[&str],
    removed: &[RemovedLine],
    _sections: &[Section],
) -> Option<(String, bool)> {
    // The first title-like line among the first few, joining a title split over two lines.
    for (i, l) in body.iter().take(4).enumerate() {
        let l = l.trim();
        if addressee(l).is_some() {
            break;
        }
        if titleish(l) && crate::lines::heading_marker(l).is_none() {
            if i > 0 {
                let prev = body[i - 1].trim();
                let pn = prev.chars().count();
                if (2..=30).contains(&pn)
                    && !prev.contains('。')
                    && !titleish(prev)
                    && date_only(prev).is_none()
                {
                    return Some((format!("{prev} {l}"), false));
                }
            }
            if let Some(next) = body.get(i + 1) {
                let next = next.trim();
                let nn = next.chars().count();
                if !crate::wording::contains_any(l, &words().title_complete_words)
                    && (2..=40).contains(&nn)
                    && titleish(next)
                {
                    return Some((format!("{l}{next}"), false));
                }
            }
            return Some((l.to_string(), false));
        }
    }
    // A 标题 entry in a metadata block.
    for r in removed {
        let t = r.text.trim();
        for key in &words().title_labels {
            if let Some(rest) = t.strip_prefix(key.as_str()) {
                let rest = rest.trim_start_matches([':', ' ']).trim();
                let v = rest.split("  ").next().unwrap_or(rest);
                let v = words()
                    .title_field_ends
                    .iter()
                    .fold(v, |v, end| v.split(end.as_str()).next().unwrap_or(v))
                    .trim();
                if !v.is_empty() {
                    return Some((v.to_string(), false));
                }
            }
        }
    }
    // Inferred from the opening sentence.
    let first = body.iter().find(|l| !l.trim().is_empty())?;
    let end = first.find(['。', ';', '!', '?']).unwrap_or(first.len());
    let t: String = first[..end].chars().take(60).collect();
    (!t.is_empty()).then_some((t, true))
}

/// A short line ending in ":" that names a body: whom the report is addressed to.
pub(super) fn addressee(l: &str) -> Option<String> {
    let s = l.trim().strip_suffix(':')?;
    let n = s.chars().count();
    if !(2..=60).contains(&n) || s.contains('。') {
        return None;
    }
    crate::wording::contains_any(s, &words().addressee_words).then(|| s.to_string())
}
