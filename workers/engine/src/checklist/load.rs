//! Checklist files to compiled checklists: TOML parsing, validation, and errors that name the
//! file, the line and the field, so an operator who adds a 纲要 or a local guide through the
//! checklist directory can fix a mistake without reading code.

use serde::Deserialize;

use crate::data_error::{DataError as ChecklistError, parse_error};
use crate::rules::Rules;
use crate::text_pass::{Matcher, Target};

use super::{Area, Checklist, Deadline, Item, Phrase, STRONG, WEAK};
use crate::model::Level;
use crate::normalize::width_variants;

// ───────────────────────────── raw TOML ─────────────────────────────

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChecklist {
    id: String,
    title: String,
    version: String,
    first_year: i32,
    last_year: i32,
    #[serde(default)]
    source: String,
    /// Chosen by report year when a request names no checklist (a 纲要); `false` for a local
    /// guide that applies only when named.
    #[serde(default = "yes")]
    by_year: bool,
    #[serde(default)]
    borrow_from: Option<String>,
    /// Publication deadlines (a guide's local rules); none: the 督察规定 default.
    #[serde(default)]
    deadline: Vec<RawDeadline>,
    areas: Vec<RawArea>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadline {
    #[serde(default)]
    levels: Vec<String>,
    /// "MM-DD": public before this day of the year after the report year.
    before: String,
    rule: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    id: String,
    title: String,
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    items: Vec<RawItem>,
    #[serde(default)]
    borrow: Vec<String>,
    #[serde(default)]
    extra: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: String,
    title: String,
    #[serde(default = "one")]
    weight: f64,
    #[serde(default)]
    strong: Vec<String>,
    #[serde(default)]
    weak: Vec<String>,
    #[serde(default)]
    cond: Vec<RawCond>,
    #[serde(default)]
    exclude: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCond {
    p: String,
    w: f64,
    #[serde(default)]
    with: Vec<String>,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

/// A validation failure before it is placed in its file: the field, and a value that finds
/// the line (an area's or item's id).
struct Problem {
    field: &'static str,
    near: String,
    message: String,
}

fn problem(field: &'static str, near: &str, message: impl Into<String>) -> Problem {
    Problem {
        field,
        near: near.to_string(),
        message: message.into(),
    }
}

/// Compiles `files` (name, TOML text) — the built-in ones first, then the directory's — into
/// checklists. A file may borrow items from any other by id; ids must be unique.
pub fn load(files: &[(String, String)], rules: &Rules) -> Result<Vec<Checklist>, ChecklistError> {
    let mut raws = Vec::new();
    for (name, text) in files {
        let raw: RawChecklist = toml::from_str(text).map_err(|e| parse_error(name, text, &e))?;
        raws.push((name, text, raw));
    }
    let all: Vec<&RawChecklist> = raws.iter().map(|(_, _, r)| r).collect();
    let mut out: Vec<Checklist> = Vec::new();
    for (name, text, raw) in &raws {
        if let Some(first) = out.iter().position(|c| c.id == raw.id) {
            return Err(placed(
                name,
                text,
                problem(
                    "id",
                    &raw.id,
                    format!(
                        "checklist id {} is already loaded from {}",
                        raw.id, raws[first].0
                    ),
                ),
            ));
        }
        out.push(build(raw, &all, rules).map_err(|p| placed(name, text, p))?);
    }
    Ok(out)
}

/// A validation problem placed at the first line naming its id (`id = "…"`), else line 1.
fn placed(file: &str, text: &str, p: Problem) -> ChecklistError {
    let needle = format!("\"{}\"", p.near);
    let line = text
        .lines()
        .position(|l| !p.near.is_empty() && l.contains(&needle))
        .map_or(1, |i| i + 1);
    ChecklistError {
        file: file.to_string(),
        line,
        field: p.field.to_string(),
        message: p.message,
    }
}

/// A deadline rule checked: a real day, known levels, a rule to cite.
fn deadline(raw: &RawDeadline) -> Result<Deadline, Problem> {
    let (month, day) = raw
        .before
        .split_once('-')
        .and_then(|(m, d)| Some((m.parse::<u32>().ok()?, d.parse::<u32>().ok()?)))
        .filter(|&(m, d)| (1..=12).contains(&m) && d >= 1 && d <= days_in_month(m))
        .ok_or_else(|| {
            problem(
                "deadline.before",
                &raw.before,
                format!("before {:?} is not a day of the year as MM-DD", raw.before),
            )
        })?;
    let mut levels = Vec::new();
    for l in &raw.levels {
        levels.push(Level::from_name(l).ok_or_else(|| {
            problem(
                "deadline.levels",
                l,
                format!("unknown level {l:?} (province, city, county, district, zone, township, street, department)"),
            )
        })?);
    }
    if raw.rule.trim().is_empty() {
        return Err(problem(
            "deadline.rule",
            &raw.before,
            "a deadline needs the rule it cites",
        ));
    }
    Ok(Deadline {
        levels,
        month,
        day,
        rule: raw.rule.clone(),
    })
}

/// Days in a month of a leap year (a 29 February deadline is taken as the month's last day).
fn days_in_month(m: u32) -> u32 {
    match m {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn build(raw: &RawChecklist, all: &[&RawChecklist], rules: &Rules) -> Result<Checklist, Problem> {
    if raw.first_year > raw.last_year {
        return Err(problem(
            "first_year",
            &raw.id,
            format!(
                "first_year {} is after last_year {}",
                raw.first_year, raw.last_year
            ),
        ));
    }
    let donor = match &raw.borrow_from {
        Some(id) => Some(
            all.iter()
                .find(|r| &r.id == id && r.borrow_from.is_none())
                .ok_or_else(|| {
                    problem(
                        "borrow_from",
                        id,
                        format!("no checklist {id} to borrow from"),
                    )
                })?,
        ),
        None => None,
    };
    let mut areas = Vec::new();
    for ra in &raw.areas {
        let mut items: Vec<RawItem> = ra.items.clone();
        for id in &ra.borrow {
            let d = donor.ok_or_else(|| {
                problem(
                    "areas.borrow",
                    &ra.id,
                    "borrow needs borrow_from at the top of the file",
                )
            })?;
            let it = d
                .areas
                .iter()
                .flat_map(|a| a.items.iter())
                .find(|i| &i.id == id)
                .ok_or_else(|| {
                    problem(
                        "areas.borrow",
                        &ra.id,
                        format!("item {id} is not in {}", d.id),
                    )
                })?;
            items.push(it.clone());
        }
        match items.first_mut() {
            Some(first) => first.strong.extend(ra.extra.iter().cloned()),
            None => {
                return Err(problem(
                    "areas.items",
                    &ra.id,
                    format!("area {} has no items", ra.id),
                ));
            }
        }
        let mut built = Vec::new();
        for ri in items {
            let mut phrases = Vec::new();
            for s in &ri.strong {
                phrases.push(Phrase {
                    text: s.clone(),
                    weight: STRONG,
                    with: Vec::new(),
                });
            }
            for s in &ri.weak {
                phrases.push(Phrase {
                    text: s.clone(),
                    weight: WEAK,
                    with: Vec::new(),
                });
            }
            for c in &ri.cond {
                phrases.push(Phrase {
                    text: c.p.clone(),
                    weight: c.w,
                    with: c.with.clone(),
                });
            }
            if phrases.is_empty() {
                return Err(problem(
                    "areas.items.strong",
                    &ri.id,
                    format!("item {} has no phrases (strong, weak or cond)", ri.id),
                ));
            }
            if let Some(bad) = phrases
                .iter()
                .find(|p| p.text.trim().is_empty() || !(p.weight.is_finite() && p.weight > 0.0))
            {
                return Err(problem(
                    "areas.items.cond",
                    &ri.id,
                    format!(
                        "item {} has an empty or unweighted phrase {:?}",
                        ri.id, bad.text
                    ),
                ));
            }
            if !(ri.weight.is_finite() && ri.weight > 0.0) {
                return Err(problem(
                    "areas.items.weight",
                    &ri.id,
                    format!("item {} weight must be positive", ri.id),
                ));
            }
            built.push(Item {
                id: ri.id.clone(),
                title: ri.title.clone(),
                weight: ri.weight,
                phrases,
                exclude: ri.exclude.clone(),
            });
        }
        if !(ra.weight.is_finite() && ra.weight > 0.0) {
            return Err(problem(
                "areas.weight",
                &ra.id,
                format!("area {} weight must be positive", ra.id),
            ));
        }
        areas.push(Area {
            id: ra.id.clone(),
            title: ra.title.clone(),
            weight: ra.weight,
            items: built,
        });
    }
    if areas.is_empty() {
        return Err(problem(
            "areas",
            &raw.id,
            "a checklist needs at least one area",
        ));
    }
    for (i, a) in areas.iter().enumerate() {
        if areas[..i].iter().any(|b| b.id == a.id) {
            return Err(problem(
                "areas.id",
                &a.id,
                format!("duplicate area {}", a.id),
            ));
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for item in areas.iter().flat_map(|a| a.items.iter()) {
        if seen.contains(&item.id.as_str()) {
            return Err(problem(
                "areas.items.id",
                &item.id,
                format!("duplicate item {}", item.id),
            ));
        }
        seen.push(&item.id);
    }
    let matcher = compile(&areas, rules).map_err(|e| problem("areas.items", &raw.id, e))?;
    Ok(Checklist {
        id: raw.id.clone(),
        title: raw.title.clone(),
        version: raw.version.clone(),
        first_year: raw.first_year,
        last_year: raw.last_year,
        by_year: raw.by_year,
        deadlines: raw
            .deadline
            .iter()
            .map(deadline)
            .collect::<Result<_, _>>()?,
        source: raw.source.clone(),
        areas,
        matcher,
    })
}

/// The checklist's phrases and exclusions, in their width variants, with the rules' context cues
/// in one automaton ([`crate::text_pass`]).
fn compile(areas: &[Area], rules: &Rules) -> Result<Matcher, String> {
    let mut patterns: Vec<(String, Target)> = Vec::new();
    for (ai, a) in areas.iter().enumerate() {
        for (ii, it) in a.items.iter().enumerate() {
            for (pi, p) in it.phrases.iter().enumerate() {
                let t = Target::Phrase {
                    area: ai,
                    item: ii,
                    phrase: pi,
                };
                patterns.extend(width_variants(&p.text).into_iter().map(|v| (v, t)));
            }
            for e in &it.exclude {
                let t = Target::Exclude { area: ai, item: ii };
                patterns.extend(width_variants(e).into_iter().map(|v| (v, t)));
            }
        }
    }
    Matcher::build(patterns, rules)
}
