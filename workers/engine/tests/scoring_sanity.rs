//! Expectations on the real seed reports, determinism, and the scorecard.

use fazhi_engine::{Hints, Limits, Submission, wire};
use prost::Message;
use std::path::PathBuf;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

fn corpus_dir() -> PathBuf {
    corpus::corpus_path()
}

fn assess_with(file: &str, hints: &Hints, checklist: Option<&str>) -> wire::Assessment {
    let path = corpus_dir().join(file);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let sub = Submission {
        content: &bytes,
        media_type: "",
        filename: file,
        charset: "",
        hints,
        checklist_id: checklist,
    };
    fazhi_engine::assess(&sub, &Limits::default()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn assess(file: &str) -> wire::Assessment {
    assess_with(file, &Hints::default(), None)
}

fn part(a: &wire::Assessment, id: &str) -> bool {
    a.required_parts.iter().any(|p| p.id == id && p.present)
}

fn has(a: &wire::Assessment, code: &str) -> bool {
    a.findings.iter().any(|f| f.code == code)
}

const SUBSTANTIVE: i32 = wire::Coverage::Substantive as i32;

#[test]
fn luoyuan_no_shortcomings_and_all_areas_substantive() {
    if corpus::shared_corpus("scoring_sanity::luoyuan_no_shortcomings_and_all_areas_substantive")
        .is_none()
    {
        return;
    }
    let a = assess("seeds/2023-county-luoyuan.txt");
    assert_eq!(a.checklist_id, "gangyao-2021-2025");
    assert!(!part(&a, "shortcomings"));
    assert!(has(&a, "ACHIEVEMENTS_ONLY") && has(&a, "MISSING_PART_SHORTCOMINGS"));
    assert!(part(&a, "measures") && part(&a, "first_responsible") && part(&a, "next_year"));
    let ids: Vec<&str> = a.areas.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["2", "3", "4", "5", "6", "7", "8", "9", "10"]);
    assert!(
        a.areas.iter().all(|x| x.status == SUBSTANTIVE),
        "{:?}",
        a.areas
            .iter()
            .map(|x| (&x.id, x.status))
            .collect::<Vec<_>>()
    );
    let t = a.timeliness.clone().expect("timeliness");
    assert_eq!(t.status, wire::TimelinessStatus::OnTime as i32);
}

#[test]
fn xiaowangzhuang_has_all_four_main_parts() {
    if corpus::shared_corpus("scoring_sanity::xiaowangzhuang_has_all_four_main_parts").is_none() {
        return;
    }
    let a = assess("seeds/2023-township-tianjin-xiaowangzhuang.txt");
    for p in ["measures", "shortcomings", "first_responsible", "next_year"] {
        assert!(part(&a, p), "{p}");
    }
    assert!(has(&a, "SHORTCOMINGS_WITHOUT_CAUSES"));
}

#[test]
fn zaoyang_judged_by_2015_gangyao_with_closing_paragraph() {
    if corpus::shared_corpus(
        "scoring_sanity::zaoyang_judged_by_2015_gangyao_with_closing_paragraph",
    )
    .is_none()
    {
        return;
    }
    let a = assess("seeds/2020-city-zaoyang.txt");
    assert_eq!(a.checklist_id, "gangyao-2015-2020");
    assert_eq!(a.areas.len(), 8);
    let sc = a
        .required_parts
        .iter()
        .find(|p| p.id == "shortcomings")
        .expect("part");
    assert!(sc.present);
    assert_eq!(sc.detected_by, "passage");
    let ny = a
        .required_parts
        .iter()
        .find(|p| p.id == "next_year")
        .expect("part");
    assert!(ny.present);
    assert_eq!(ny.detected_by, "passage");
    assert!(has(&a, "NEXT_YEAR_THIN"));
}

#[test]
fn rongjiang_on_time_and_merged_heading() {
    if corpus::shared_corpus("scoring_sanity::rongjiang_on_time_and_merged_heading").is_none() {
        return;
    }
    let a = assess("seeds/2023-zone-ganzhou-rongjiang.txt");
    let t = a.timeliness.clone().expect("timeliness");
    assert_eq!(t.published_date, "2024-01-31");
    assert_eq!(t.deadline, "2024-03-31");
    assert_eq!(t.status, wire::TimelinessStatus::OnTime as i32);
    assert_eq!(t.date_source, "document");
    assert!(part(&a, "shortcomings") && part(&a, "next_year"));
    let six = a.areas.iter().find(|x| x.id == "6").expect("area 6");
    assert_eq!(six.status, wire::Coverage::Absent as i32);
    assert!(has(&a, "AREA_ABSENT"));
}

#[test]
fn shifeng_states_no_date() {
    if corpus::shared_corpus("scoring_sanity::shifeng_states_no_date").is_none() {
        return;
    }
    let a = assess("seeds/2023-district-zhuzhou-shifeng.txt");
    let t = a.timeliness.clone().expect("timeliness");
    assert_eq!(t.status, wire::TimelinessStatus::Unknown as i32);
    assert!(has(&a, "UNDATED"));
    assert!(!part(&a, "first_responsible"));
    // With a platform date in the hints, timeliness is judged from it.
    let hints = Hints {
        published_date: Some("2024-03-20".into()),
        ..Default::default()
    };
    let b = assess_with("seeds/2023-district-zhuzhou-shifeng.txt", &hints, None);
    let t = b.timeliness.clone().expect("timeliness");
    assert_eq!(t.status, wire::TimelinessStatus::OnTime as i32);
    assert_eq!(t.date_source, "hints");
}

#[test]
fn late_report_is_flagged() {
    if corpus::shared_corpus("scoring_sanity::late_report_is_flagged").is_none() {
        return;
    }
    let a = assess("synthetic/2023-zone-qingwu.txt");
    let t = a.timeliness.clone().expect("timeliness");
    assert_eq!(t.status, wire::TimelinessStatus::Late as i32);
    assert!(has(&a, "LATE"));
}

#[test]
fn not_a_report_is_not_scored() {
    if corpus::shared_corpus("scoring_sanity::not_a_report_is_not_scored").is_none() {
        return;
    }
    let a = assess("synthetic/neg-gongzuo-yaodian.txt");
    assert_eq!(
        a.report.as_ref().map(|r| r.kind.as_str()),
        Some("not_report")
    );
    assert_eq!(a.grade, "N/A");
    assert_eq!(a.score, 0.0);
    assert!(a.areas.is_empty());
    assert!(has(&a, "NOT_A_REPORT"));
}

#[test]
fn named_checklist_overrides_year() {
    if corpus::shared_corpus("scoring_sanity::named_checklist_overrides_year").is_none() {
        return;
    }
    let a = assess_with(
        "seeds/2020-city-zaoyang.txt",
        &Hints::default(),
        Some("gangyao-2021-2025"),
    );
    assert_eq!(a.checklist_id, "gangyao-2021-2025");
    assert!(has(&a, "CHECKLIST_YEAR_MISMATCH"));
}

#[test]
fn same_bytes_give_byte_identical_assessments() {
    if corpus::shared_corpus("scoring_sanity::same_bytes_give_byte_identical_assessments").is_none()
    {
        return;
    }
    for f in [
        "seeds/2023-county-luoyuan.txt",
        "seeds/2020-city-zaoyang.txt",
        "synthetic/2022-district-qinhu.txt",
        "synthetic/neg-xinwen-huiyi.txt",
    ] {
        let a = assess(f).encode_to_vec();
        let b = assess(f).encode_to_vec();
        assert_eq!(a, b, "{f}");
    }
}

#[test]
fn evidence_offsets_point_into_normalized_text() {
    if corpus::shared_corpus("scoring_sanity::evidence_offsets_point_into_normalized_text")
        .is_none()
    {
        return;
    }
    for f in [
        "seeds/2023-county-luoyuan.txt",
        "synthetic/2021-province-lanjiang.txt",
    ] {
        let a = assess(f);
        let text: Vec<char> = a.normalized_text.chars().collect();
        let check = |e: &wire::Evidence| {
            let q: String = text[e.start as usize..e.end as usize].iter().collect();
            assert_eq!(q, e.quote, "{f}");
        };
        for p in &a.required_parts {
            p.evidence.iter().for_each(check);
        }
        for ar in &a.areas {
            for it in &ar.items {
                it.evidence.iter().for_each(check);
            }
        }
        for m in &a.metrics {
            let q: String = text[m.start as usize..m.end as usize].iter().collect();
            assert_eq!(q, m.quote);
        }
        assert!(a.score > 0.0 && a.score <= 100.0);
        assert!(a.figures.iter().any(|x| !x.item_id.is_empty()));
    }
}

#[test]
fn scorecard_renders() {
    if corpus::shared_corpus("scoring_sanity::scorecard_renders").is_none() {
        return;
    }
    let a = assess("seeds/2023-zone-ganzhou-rongjiang.txt");
    let s = fazhi_engine::render::scorecard(&a);
    println!("{s}");
    assert!(s.contains("总分"));
    assert!(s.contains("必备部分"));
    assert!(s.contains("纲要覆盖"));
    assert!(s.contains("按时公开"));
    let n = fazhi_engine::render::scorecard(&assess("synthetic/neg-xinxi-gongkai-nianbao.txt"));
    assert!(n.contains("不是法治政府建设年度报告"));
}

/// No false alarm: every seed and synthetic report of the shared corpus reads as clean text.
#[test]
fn corpus_text_is_never_low_quality() {
    let mut seen = 0;
    for sub in ["seeds", "synthetic"] {
        let dir = corpus_dir().join(sub);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = format!(
                "{sub}/{}",
                path.file_name().unwrap_or_default().to_string_lossy()
            );
            let a = assess(&name);
            let q = a.text_quality.expect("text quality");
            assert!(!q.low && !has(&a, "LOW_TEXT_QUALITY"), "{name}: {q:?}");
            seen += 1;
        }
    }
    assert!(seen >= 20, "only {seen} corpus files");
}

/// A hash the caller holds is the one reported, and nothing else changes: `assess` is
/// `assess_hashed` with the bytes' own SHA-256.
#[test]
fn a_known_hash_is_reported_and_changes_nothing_else() {
    let file = "seeds/2023-county-luoyuan.txt";
    let bytes = std::fs::read(corpus_dir().join(file)).expect("seed");
    let hints = Hints::default();
    let sub = Submission {
        content: &bytes,
        media_type: "",
        filename: file,
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    let own = fazhi_engine::assess(&sub, &Limits::default()).expect("assessed");
    let given = "ab".repeat(32);
    let mut a = fazhi_engine::assess_hashed(&sub, &given, &Limits::default()).expect("assessed");
    assert_eq!(a.content_sha256, given);
    assert_ne!(own.content_sha256, given);
    a.content_sha256 = own.content_sha256.clone();
    assert_eq!(a.encode_to_vec(), own.encode_to_vec());
    let b = fazhi_engine::assess_hashed(&sub, &own.content_sha256, &Limits::default())
        .expect("assessed");
    assert_eq!(b.encode_to_vec(), own.encode_to_vec());
}
