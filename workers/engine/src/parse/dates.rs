//! Dates as reports write them: 2024-01-09, 2024年1月9日, 二〇二四年一月九日; and small Chinese
//! numerals (一..三十一).

use crate::model::Date;
use regex::Regex;
use std::sync::LazyLock;

pub(super) static ISO_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})").unwrap_or_else(|_| unreachable!())
});
static CN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
        .unwrap_or_else(|_| unreachable!())
});
static HAN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")
        .unwrap_or_else(|_| unreachable!())
});

/// Parses a date in any of the forms the reports use.
pub fn parse_date_anywhere(s: &str) -> Option<Date> {
    parse_dates(s).into_iter().next()
}

pub fn parse_dates(s: &str) -> Vec<Date> {
    let mut out: Vec<(usize, Date)> = Vec::new();
    for c in ISO_DATE.captures_iter(s) {
        if let Some(d) = mk(&c[1], &c[2], &c[3]) {
            out.push((c.get(0).map(|m| m.start()).unwrap_or(0), d));
        }
    }
    for c in CN_DATE.captures_iter(s) {
        if let Some(d) = mk(&c[1], &c[2], &c[3]) {
            out.push((c.get(0).map(|m| m.start()).unwrap_or(0), d));
        }
    }
    for c in HAN_DATE.captures_iter(s) {
        let y: String = c[1]
            .chars()
            .filter_map(han_digit)
            .map(|d| char::from(b'0' + d as u8))
            .collect();
        if let (Ok(y), Some(m), Some(d)) = (y.parse::<i32>(), han_small(&c[2]), han_small(&c[3]))
            && valid(y, m, d)
        {
            out.push((
                c.get(0).map(|m| m.start()).unwrap_or(0),
                Date {
                    year: y,
                    month: m,
                    day: d,
                },
            ));
        }
    }
    out.sort_by_key(|x| x.0);
    out.into_iter().map(|x| x.1).collect()
}

fn mk(y: &str, m: &str, d: &str) -> Option<Date> {
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    valid(y, m, d).then_some(Date {
        year: y,
        month: m,
        day: d,
    })
}

fn valid(y: i32, m: u32, d: u32) -> bool {
    (1949..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d)
}

fn han_digit(c: char) -> Option<u32> {
    "〇一二三四五六七八九"
        .chars()
        .position(|x| x == c)
        .map(|p| p as u32)
        .or(match c {
            '○' | '零' | 'O' | 'o' => Some(0),
            _ => None,
        })
}

/// 一..三十一.
pub fn han_small(s: &str) -> Option<u32> {
    let cs: Vec<char> = s.chars().collect();
    match cs.as_slice() {
        [a] if *a == '十' => Some(10),
        [a] => han_digit(*a).filter(|&v| v > 0),
        ['十', b] => han_digit(*b).map(|v| 10 + v),
        [a, '十'] => han_digit(*a).map(|v| v * 10),
        [a, '十', b] => Some(han_digit(*a)? * 10 + han_digit(*b)?),
        _ => None,
    }
}
