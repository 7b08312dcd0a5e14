//! The year a report is about: from the title, the body's opening, or the publication date.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Date;

pub(super) static YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(20\d\d|19\d\d)年").unwrap_or_else(|_| unreachable!()));

pub(super) static YEAR_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d\d)\s*(?:年)?\s*[—–\-~～至到]\s*((?:19|20)\d\d)\s*年")
        .unwrap_or_else(|_| unreachable!())
});

pub(super) fn find_year(title: Option<&str>, text: &str, published: Option<Date>) -> Option<i32> {
    // A multi-year plan (实施方案（2021—2025年）): the year it was issued.
    if let Some(t) = title
        && let Some(c) = YEAR_RANGE.captures(t)
        && let (Ok(a), Ok(b)) = (c[1].parse::<i32>(), c[2].parse::<i32>())
    {
        return Some(match published {
            Some(d) if (a - 1..=b).contains(&d.year) => d.year,
            _ => a,
        });
    }
    if let Some(t) = title
        && let Some(c) = YEAR.captures(t)
        && let Ok(y) = c[1].parse::<i32>()
    {
        return Some(y);
    }
    // "2023年，…" opening, or "2023年度" early in the text.
    for l in text.lines().take(6) {
        let l = l.trim();
        if let Some(c) = YEAR.captures(l)
            && c.get(0).is_some_and(|m| m.start() == 0)
            && let Ok(y) = c[1].parse::<i32>()
        {
            return Some(y);
        }
    }
    // The year mentioned most often outside 《》 and dates.
    let mut counts: std::collections::BTreeMap<i32, usize> = Default::default();
    for c in YEAR.captures_iter(text) {
        if let Ok(y) = c[1].parse::<i32>() {
            *counts.entry(y).or_default() += 1;
        }
    }
    let best = counts
        .iter()
        .max_by_key(|(y, n)| (**n, **y))
        .map(|(y, _)| *y);
    best.or(published.map(|d| d.year - 1))
}
