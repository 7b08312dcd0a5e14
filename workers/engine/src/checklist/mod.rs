//! The 纲要 checklists, as data (the rules shared by all checklists are [`crate::rules`]).
//!
//! The built-in checklists are TOML files in `checklists/` embedded at build time and listed in
//! [`EMBEDDED`]. An operator adds more without a rebuild (a new 纲要, a local guide) through a
//! checklist directory: the binary reads its files at start and hands them to [`install`] before
//! anything is scored; a file that does not validate stops start-up with its file, line and field
//! ([`ChecklistError`]). The default checklist for a report year is chosen among the `by_year`
//! ones from their `first_year`/`last_year`; a guide with `by_year = false` applies only when
//! named. A checklist may `borrow` items from another by id (the 2015—2020 纲要 is built from the
//! matching 2021 items). Phrases are matched in their width variants after the same folding as the
//! document text ([`crate::normalize::fold_str`]).
//!
//! - [`load`]: parsing, validation and compiling one set of files.

mod load;

use std::sync::{LazyLock, OnceLock};

use sha2::{Digest, Sha256};

pub use crate::data_error::DataError as ChecklistError;

use crate::text_pass::Matcher;
use crate::wire;

/// The embedded checklist files, in the order [`all`] lists them.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "gangyao-2021-2025.toml",
        include_str!("../../checklists/gangyao-2021-2025.toml"),
    ),
    (
        "gangyao-2015-2020.toml",
        include_str!("../../checklists/gangyao-2015-2020.toml"),
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

/// A publication deadline a checklist sets: reports of `levels` (empty: every level) are public
/// before `month`-`day` of the year after the report year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub levels: Vec<crate::model::Level>,
    pub month: u32,
    pub day: u32,
    pub rule: String,
}

impl Checklist {
    /// The deadline rule for an issuer level: one naming the level, else one for every level.
    pub fn deadline_for(&self, level: Option<crate::model::Level>) -> Option<&Deadline> {
        let named = level.and_then(|l| self.deadlines.iter().find(|d| d.levels.contains(&l)));
        named.or_else(|| self.deadlines.iter().find(|d| d.levels.is_empty()))
    }
}

/// A compiled checklist.
#[derive(Debug, Clone)]
pub struct Checklist {
    pub id: String,
    pub title: String,
    pub version: String,
    pub first_year: i32,
    pub last_year: i32,
    /// Chosen by report year when no checklist is named (false: a guide used only when named).
    pub by_year: bool,
    /// Publication deadlines this checklist sets, first match by level; empty: the default rule.
    pub deadlines: Vec<Deadline>,
    pub source: String,
    pub areas: Vec<Area>,
    /// Its phrases with the report rules' context cues: the one pass over a text.
    pub(crate) matcher: Matcher,
}

// ───────────────────────────── the loaded set ─────────────────────────────

struct Loaded {
    list: Result<Vec<Checklist>, String>,
    /// Empty for the built-in set; else 12 hex of the added files, part of every cache key.
    fingerprint: String,
}

static CHECKLISTS: OnceLock<Loaded> = OnceLock::new();

fn embedded_files() -> Vec<(String, String)> {
    EMBEDDED
        .iter()
        .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
        .collect()
}

fn loaded() -> &'static Loaded {
    CHECKLISTS.get_or_init(|| Loaded {
        list: crate::rules::rules()
            .and_then(|r| load::load(&embedded_files(), r).map_err(|e| e.to_string())),
        fingerprint: String::new(),
    })
}

/// Why [`install`] could not take a set of files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Invalid(#[from] ChecklistError),
    #[error("checklists were already in use before the checklist directory was installed")]
    AlreadyInUse,
    /// The checklists' automaton holds the report rules' cues, so they must load first.
    #[error("the report rules did not load: {0}")]
    Rules(String),
}

/// Compiles `files` (name, TOML text) after the built-in checklists and makes them the
/// process's set — once, before anything is scored. A file named `report-rules.toml` replaces
/// the built-in report rules instead (validated the same way); every file counts in the
/// fingerprint. Returns how many checklists are loaded.
pub fn install(files: &[(String, String)]) -> Result<usize, InstallError> {
    let (rules, checklists) = split_rules(files);
    for (name, text) in rules {
        crate::rules::install(name, text).map_err(|e| match e {
            crate::rules::InstallError::Invalid(e) => InstallError::Invalid(e),
            crate::rules::InstallError::AlreadyInUse => InstallError::AlreadyInUse,
        })?;
    }
    let rules = crate::rules::rules().map_err(InstallError::Rules)?;
    let mut all = embedded_files();
    all.extend(checklists);
    let list = load::load(&all, rules)?;
    let count = list.len();
    let mut d = Sha256::new();
    for (name, text) in files {
        d.update((name.len() as u64).to_le_bytes());
        d.update(name.as_bytes());
        d.update((text.len() as u64).to_le_bytes());
        d.update(text.as_bytes());
    }
    let fingerprint = if files.is_empty() {
        String::new()
    } else {
        hex::encode(d.finalize())[..12].to_string()
    };
    CHECKLISTS
        .set(Loaded {
            list: Ok(list),
            fingerprint,
        })
        .map_err(|_| InstallError::AlreadyInUse)?;
    Ok(count)
}

/// Checks files as [`install`] would, without installing them (`fazhi checklists check`).
pub fn validate(files: &[(String, String)]) -> Result<Vec<Checklist>, ChecklistError> {
    let (rules, checklists) = split_rules(files);
    let mut own = None;
    for (name, text) in rules {
        own = Some(crate::rules::parse(name, text)?);
    }
    let rules = match &own {
        Some(r) => r,
        None => crate::rules::rules().map_err(|message| ChecklistError {
            file: crate::rules::FILE_NAME.to_string(),
            line: 1,
            field: "(file)".to_string(),
            message,
        })?,
    };
    let mut all = embedded_files();
    all.extend(checklists);
    load::load(&all, rules)
}

/// The directory's report-rules file (it replaces the built-in rules), apart from its checklists.
#[allow(clippy::type_complexity)]
fn split_rules(files: &[(String, String)]) -> (Vec<(&str, &str)>, Vec<(String, String)>) {
    let is_rules = |name: &str| {
        std::path::Path::new(name)
            .file_name()
            .is_some_and(|n| n == crate::rules::FILE_NAME)
    };
    let rules = files
        .iter()
        .filter(|(n, _)| is_rules(n))
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    let checklists = files
        .iter()
        .filter(|(n, _)| !is_rules(n))
        .cloned()
        .collect();
    (rules, checklists)
}

/// Identifies the installed set in cache keys: empty for the built-in checklists alone, so a
/// result is reused only under the checklists it was made with.
pub fn fingerprint() -> &'static str {
    &loaded().fingerprint
}

static FALLBACK: LazyLock<Checklist> = LazyLock::new(|| Checklist {
    id: String::new(),
    title: String::new(),
    version: String::new(),
    first_year: 0,
    last_year: 0,
    by_year: true,
    deadlines: Vec::new(),
    source: String::new(),
    areas: Vec::new(),
    matcher: Matcher::EMPTY,
});

/// Why the checklists failed to load, if they did.
pub fn load_error() -> Option<String> {
    loaded().list.as_ref().err().cloned()
}

/// Every loaded checklist (empty if the data failed validation, which the tests rule out for
/// the built-in ones and start-up rules out for a directory).
pub fn all() -> &'static [Checklist] {
    match loaded().list.as_ref() {
        Ok(v) => v,
        Err(_) => &[],
    }
}

/// The checklist with this id.
pub fn get(id: &str) -> Option<&'static Checklist> {
    all().iter().find(|c| c.id == id)
}

/// The default checklist for a report year, among the `by_year` ones: the one whose
/// `first_year..=last_year` holds it; years before every range get the earliest, later years and
/// unknown years the latest.
pub fn for_year(year: Option<i32>) -> &'static Checklist {
    let list: Vec<&'static Checklist> = all().iter().filter(|c| c.by_year).collect();
    let latest = list.iter().copied().max_by_key(|c| c.last_year);
    let pick = match year {
        Some(y) => list
            .iter()
            .copied()
            .find(|c| c.first_year <= y && y <= c.last_year)
            .or_else(|| {
                let earliest = list.iter().copied().min_by_key(|c| c.first_year);
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
        by_year: c.by_year,
        deadlines: c
            .deadlines
            .iter()
            .map(|d| wire::DeadlineRule {
                levels: d.levels.iter().map(|l| l.as_str().to_string()).collect(),
                before: format!("{:02}-{:02}", d.month, d.day),
                rule: d.rule.clone(),
            })
            .collect(),
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

    fn guide(body: &str) -> Vec<(String, String)> {
        vec![("guide.toml".to_string(), body.to_string())]
    }

    /// The example guide operators copy (`examples/checklists/`), also read by the Python test.
    const GUIDE: &str = include_str!("../../../../examples/checklists/guide-2024.toml");

    #[test]
    fn a_guide_loads_beside_the_built_in_ones_and_is_not_chosen_by_year() {
        let list = validate(&guide(GUIDE)).expect("valid guide");
        assert_eq!(list.len(), EMBEDDED.len() + 1);
        let g = list.iter().find(|c| c.id == "guide-2024").expect("guide");
        assert!(!g.by_year);
        assert_eq!(g.areas[0].items.len(), 2, "borrowed from the 2021 纲要");
        use crate::model::Level;
        let dept = g
            .deadline_for(Some(Level::Department))
            .expect("department rule");
        assert_eq!((dept.month, dept.day), (3, 1));
        let street = g
            .deadline_for(Some(Level::Street))
            .expect("every-level rule");
        assert_eq!((street.month, street.day), (4, 1));
        assert_eq!(to_wire(g).deadlines.len(), 2);
        assert!(
            for_year(Some(2024))
                .deadline_for(Some(Level::Department))
                .is_none()
        );
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let cases = [
            // A missing field: reported at the table that lacks it.
            (GUIDE.replace("first_year = 2024\n", ""), 1, "first_year"),
            // A wrong type on its own line.
            (
                GUIDE.replace("last_year = 2026", "last_year = \"2026\""),
                5,
                "last_year",
            ),
            // An unknown key.
            (
                GUIDE.replace("by_year = false", "by_yaer = false"),
                6,
                "by_yaer",
            ),
            // Validation after parsing, placed at the id it concerns.
            (
                GUIDE.replace("first_year = 2024", "first_year = 2030"),
                1,
                "first_year",
            ),
            (
                GUIDE.replace("strong = [\"年度报告全文\"]", ""),
                18,
                "areas.items.strong",
            ),
            (
                GUIDE.replace("borrow = [\"4\", \"5\"]", "borrow = [\"4\", \"99\"]"),
                10,
                "areas.borrow",
            ),
            (GUIDE.replace("guide-2024", "gangyao-2021-2025"), 1, "id"),
            (
                GUIDE.replace("\"03-01\"", "\"02-30\""),
                26,
                "deadline.before",
            ),
            (
                GUIDE.replace("[\"department\"]", "[\"bureau\"]"),
                25,
                "deadline.levels",
            ),
        ];
        for (text, line, field) in cases {
            let e = validate(&guide(&text)).expect_err("must not validate");
            assert_eq!(
                (e.file.as_str(), e.line, e.field.as_str()),
                ("guide.toml", line, field),
                "{e}"
            );
            assert!(
                e.to_string()
                    .starts_with(&format!("guide.toml:{line}: {field}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn the_built_in_set_has_no_fingerprint() {
        assert_eq!(fingerprint(), "");
    }
}
