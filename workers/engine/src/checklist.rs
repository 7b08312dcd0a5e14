//! The 纲要 checklists, as data (the rules shared by all checklists are [`crate::rules`]).
//!
//! Every checklist is a TOML file in `checklists/` embedded at build time and listed in
//! [`EMBEDDED`]; adding a new 纲要 means adding a file and a line there, nothing else (the default
//! checklist for a report year is chosen from each file's `first_year`/`last_year`). A checklist may
//! `borrow` items from another one by id (the 2015—2020 纲要 is built from the matching 2021 items).
//! Phrases are matched in their width variants after the same folding as the document text
//! ([`crate::normalize::fold_str`]).
//!
//! Files are parsed and validated once ([`std::sync::LazyLock`]); a broken file never panics at run
//! time: [`get`] returns `None`, [`all`] an empty slice and scoring an `Internal` error. The unit
//! tests below make sure that never ships.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Deserialize;

use crate::wire;

/// The embedded checklist files, in the order [`all`] lists them.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "gangyao-2021-2025.toml",
        include_str!("../checklists/gangyao-2021-2025.toml"),
    ),
    (
        "gangyao-2015-2020.toml",
        include_str!("../checklists/gangyao-2015-2020.toml"),
    ),
];

/// Weight given to `strong` phrases; phrases at or above it can make an item SUBSTANTIVE.
pub const STRONG: f64 = 1.0;
/// Weight given to `weak` phrases (mention only).
pub const WEAK: f64 = 0.4;

/// One match phrase of an item.
#[derive(Debug, Clone)]
pub struct Phrase {
    pub text: String,
    pub weight: f64,
    /// The hit counts only if the sentence also contains one of these (empty → always).
    pub with: Vec<String>,
}

impl Phrase {
    /// True for phrases that can make an item SUBSTANTIVE.
    pub fn is_strong(&self) -> bool {
        self.weight >= STRONG
    }
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub phrases: Vec<Phrase>,
    /// Longer strings whose occurrences cancel this item's hits inside them.
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Area {
    pub id: String,
    pub title: String,
    pub weight: f64,
    pub items: Vec<Item>,
}

/// A compiled checklist.
#[derive(Debug, Clone)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    pub version: String,
    pub first_year: i32,
    pub last_year: i32,
    pub source: String,
    pub areas: Vec<Area>,
    pub(crate) matcher: Matcher,
}

/// What one automaton pattern means.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target {
    /// Phrase `phrase` of item (`area`, `item`).
    Phrase {
        area: usize,
        item: usize,
        phrase: usize,
    },
    /// Exclusion span for item (`area`, `item`).
    Exclude { area: usize, item: usize },
}

/// One Aho-Corasick automaton over every phrase of a checklist (Standard kind, so overlapping
/// search finds nested phrases too).
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub(crate) ac: Option<AhoCorasick>,
    /// Pattern id → targets (one string may serve several items).
    pub(crate) targets: Vec<Vec<Target>>,
}

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
    #[serde(default)]
    borrow_from: Option<String>,
    areas: Vec<RawArea>,
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

// ───────────────────────────── loading ─────────────────────────────

static CHECKLISTS: LazyLock<Result<Vec<Checklist>, String>> = LazyLock::new(load_all);

static FALLBACK: LazyLock<Checklist> = LazyLock::new(|| Checklist {
    id: String::new(),
    title: String::new(),
    version: String::new(),
    first_year: 0,
    last_year: 0,
    source: String::new(),
    areas: Vec::new(),
    matcher: Matcher {
        ac: None,
        targets: Vec::new(),
    },
});

/// Why the embedded checklists failed to load, if they did.
pub fn load_error() -> Option<String> {
    CHECKLISTS.as_ref().err().cloned()
}

/// Every embedded checklist (empty if the data failed validation, which the tests rule out).
pub fn all() -> &'static [Checklist] {
    match CHECKLISTS.as_ref() {
        Ok(v) => v,
        Err(_) => &[],
    }
}

/// The checklist with this id.
pub fn get(id: &str) -> Option<&'static Checklist> {
    all().iter().find(|c| c.id == id)
}

/// The default checklist for a report year: the one whose `first_year..=last_year` holds it; years
/// before every range get the earliest, later years and unknown years the latest.
pub fn for_year(year: Option<i32>) -> &'static Checklist {
    let list = all();
    let latest = list.iter().max_by_key(|c| c.last_year);
    let pick = match year {
        Some(y) => list
            .iter()
            .find(|c| c.first_year <= y && y <= c.last_year)
            .or_else(|| {
                let earliest = list.iter().min_by_key(|c| c.first_year);
                match earliest {
                    Some(e) if y < e.first_year => Some(e),
                    _ => latest,
                }
            }),
        None => latest,
    };
    pick.unwrap_or(&FALLBACK)
}

/// The wire form of a checklist, for ListChecklists.
pub fn to_wire(c: &Checklist) -> wire::Checklist {
    let required_parts = crate::rules::rules()
        .map(|r| {
            r.parts
                .iter()
                .map(|p| wire::RequiredPart {
                    id: p.id.clone(),
                    title: p.title.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    wire::Checklist {
        id: c.id.clone(),
        title: c.title.clone(),
        version: c.version.clone(),
        first_year: c.first_year,
        last_year: c.last_year,
        areas: c
            .areas
            .iter()
            .map(|a| wire::ChecklistArea {
                id: a.id.clone(),
                title: a.title.clone(),
                weight: a.weight,
                items: a
                    .items
                    .iter()
                    .map(|i| wire::ChecklistItem {
                        id: i.id.clone(),
                        title: i.title.clone(),
                        weight: i.weight,
                    })
                    .collect(),
            })
            .collect(),
        required_parts,
    }
}

fn load_all() -> Result<Vec<Checklist>, String> {
    let mut raws = Vec::new();
    for (name, text) in EMBEDDED {
        let raw: RawChecklist = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
        raws.push(raw);
    }
    let mut out = Vec::new();
    for raw in &raws {
        out.push(build(raw, &raws)?);
    }
    for (i, c) in out.iter().enumerate() {
        if out[..i].iter().any(|o| o.id == c.id) {
            return Err(format!("duplicate checklist id {}", c.id));
        }
    }
    Ok(out)
}

fn build(raw: &RawChecklist, all: &[RawChecklist]) -> Result<Checklist, String> {
    let ctx = |m: &str| format!("{}: {m}", raw.id);
    if raw.first_year > raw.last_year {
        return Err(ctx("first_year > last_year"));
    }
    let donor = match &raw.borrow_from {
        Some(id) => Some(
            all.iter()
                .find(|r| &r.id == id && r.borrow_from.is_none())
                .ok_or_else(|| ctx(&format!("borrow_from {id} not found")))?,
        ),
        None => None,
    };
    let mut areas = Vec::new();
    for ra in &raw.areas {
        let mut items: Vec<RawItem> = ra.items.clone();
        for id in &ra.borrow {
            let d = donor.ok_or_else(|| ctx("borrow without borrow_from"))?;
            let it = d
                .areas
                .iter()
                .flat_map(|a| a.items.iter())
                .find(|i| &i.id == id)
                .ok_or_else(|| ctx(&format!("borrowed item {id} not found")))?;
            items.push(it.clone());
        }
        if let Some(first) = items.first_mut() {
            first.strong.extend(ra.extra.iter().cloned());
        } else {
            return Err(ctx(&format!("area {} has no items", ra.id)));
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
                return Err(ctx(&format!("item {} has no phrases", ri.id)));
            }
            if phrases
                .iter()
                .any(|p| p.text.trim().is_empty() || !(p.weight.is_finite() && p.weight > 0.0))
            {
                return Err(ctx(&format!(
                    "item {} has an empty or unweighted phrase",
                    ri.id
                )));
            }
            if !(ri.weight.is_finite() && ri.weight > 0.0) {
                return Err(ctx(&format!("item {} weight must be positive", ri.id)));
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
            return Err(ctx(&format!("area {} weight must be positive", ra.id)));
        }
        areas.push(Area {
            id: ra.id.clone(),
            title: ra.title.clone(),
            weight: ra.weight,
            items: built,
        });
    }
    // Unique ids.
    for (i, a) in areas.iter().enumerate() {
        if areas[..i].iter().any(|b| b.id == a.id) {
            return Err(ctx(&format!("duplicate area {}", a.id)));
        }
    }
    let mut item_ids: Vec<&str> = areas
        .iter()
        .flat_map(|a| a.items.iter().map(|i| i.id.as_str()))
        .collect();
    let n = item_ids.len();
    item_ids.sort_unstable();
    item_ids.dedup();
    if item_ids.len() != n {
        return Err(ctx("duplicate item id"));
    }
    let matcher = compile(&areas).map_err(|e| ctx(&e))?;
    Ok(Checklist {
        id: raw.id.clone(),
        title: raw.title.clone(),
        version: raw.version.clone(),
        first_year: raw.first_year,
        last_year: raw.last_year,
        source: raw.source.clone(),
        areas,
        matcher,
    })
}

/// Width variants of a pattern: as written, ASCII folded to full width, full width folded to
/// ASCII — so a phrase matches whether or not the text was width-folded.
pub(crate) fn width_variants(p: &str) -> Vec<String> {
    let to_half = crate::normalize::fold_str(p);
    let to_full: String = p
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let mut v = vec![p.to_string(), to_half, to_full];
    v.sort();
    v.dedup();
    v
}

fn compile(areas: &[Area]) -> Result<Matcher, String> {
    let mut patterns: Vec<String> = Vec::new();
    let mut targets: Vec<Vec<Target>> = Vec::new();
    let mut add = |s: &str, t: Target| {
        for v in width_variants(s) {
            match patterns.iter().position(|p| *p == v) {
                Some(i) => targets[i].push(t),
                None => {
                    patterns.push(v);
                    targets.push(vec![t]);
                }
            }
        }
    };
    for (ai, a) in areas.iter().enumerate() {
        for (ii, it) in a.items.iter().enumerate() {
            for (pi, p) in it.phrases.iter().enumerate() {
                add(
                    &p.text,
                    Target::Phrase {
                        area: ai,
                        item: ii,
                        phrase: pi,
                    },
                );
            }
            for e in &it.exclude {
                add(e, Target::Exclude { area: ai, item: ii });
            }
        }
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .map_err(|e| e.to_string())?;
    Ok(Matcher {
        ac: Some(ac),
        targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_checklist_parses_and_validates() {
        assert_eq!(load_error(), None);
        let all = all();
        assert_eq!(all.len(), EMBEDDED.len());
        for c in all {
            assert!(!c.areas.is_empty());
            for a in &c.areas {
                assert!(a.weight > 0.0);
                for i in &a.items {
                    assert!(i.weight > 0.0, "{} {}", c.id, i.id);
                    assert!(i.phrases.iter().all(|p| p.weight > 0.0));
                }
            }
        }
    }

    #[test]
    fn gangyao_2021_has_areas_2_to_10_and_items_4_to_35() {
        let c = get("gangyao-2021-2025").expect("2021 checklist");
        let areas: Vec<&str> = c.areas.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(areas, ["2", "3", "4", "5", "6", "7", "8", "9", "10"]);
        let mut items: Vec<u32> = c
            .areas
            .iter()
            .flat_map(|a| a.items.iter().map(|i| i.id.parse::<u32>().unwrap_or(0)))
            .collect();
        items.sort_unstable();
        assert_eq!(items, (4..=35).collect::<Vec<u32>>());
        // Sub-items sit in their 纲要 part.
        let part_of = |item: &str| {
            c.areas
                .iter()
                .find(|a| a.items.iter().any(|i| i.id == item))
                .map(|a| a.id.as_str())
        };
        assert_eq!(part_of("15"), Some("5"));
        assert_eq!(part_of("23"), Some("7"));
        assert_eq!(part_of("31"), Some("9"));
        assert_eq!(part_of("35"), Some("10"));
    }

    #[test]
    fn gangyao_2015_has_areas_2_to_9() {
        let c = get("gangyao-2015-2020").expect("2015 checklist");
        let areas: Vec<&str> = c.areas.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(areas, ["2", "3", "4", "5", "6", "7", "8", "9"]);
        assert!(c.areas.iter().all(|a| !a.items.is_empty()));
    }

    #[test]
    fn checklist_chosen_by_year() {
        assert_eq!(for_year(Some(2020)).id, "gangyao-2015-2020");
        assert_eq!(for_year(Some(2016)).id, "gangyao-2015-2020");
        assert_eq!(for_year(Some(2012)).id, "gangyao-2015-2020");
        assert_eq!(for_year(Some(2021)).id, "gangyao-2021-2025");
        assert_eq!(for_year(Some(2025)).id, "gangyao-2021-2025");
        assert_eq!(for_year(Some(2027)).id, "gangyao-2021-2025");
        assert_eq!(for_year(None).id, "gangyao-2021-2025");
        assert!(get("nope").is_none());
    }

    #[test]
    fn wire_form_lists_items_and_parts() {
        let w = to_wire(for_year(Some(2023)));
        assert_eq!(w.areas.len(), 9);
        assert_eq!(w.areas.iter().map(|a| a.items.len()).sum::<usize>(), 32);
        assert_eq!(w.required_parts.len(), 5);
        assert_eq!(w.first_year, 2021);
    }

    #[test]
    fn width_variants_cover_both_forms() {
        let v = width_variants("互联网+监管");
        assert!(v.contains(&"互联网＋监管".to_string()));
        assert!(v.contains(&"互联网+监管".to_string()));
    }
}
