//! Copied text across a tenant's reports: each newly assessed report is compared with the
//! tenant's index (MinHash/LSH candidates, then exact sentence overlap with boilerplate left
//! out, see [`crate::similarity`]) and then added to it. What it finds is the job's assessment
//! overlay — similar reports with evidence pairs, and the findings `COPIED_FROM_PREVIOUS_YEAR`
//! (same issuer, earlier year) and `COPIED_TEXT` (another issuer) — kept per job, never in the
//! content-addressed cache, so no tenant learns of another's documents.

use std::collections::HashSet;

use fazhi_jobs::{JobRecord, JobStore, SimilarityEntry, StoreError, stored_result};
use fazhi_proto::v1 as wire;
use prost::Message as _;

use crate::similarity;

/// Candidates verified per report (most shared bands first).
const MAX_CANDIDATES: usize = 20;

/// What the index keeps per report: what a listing needs, and the report's sentences as
/// 32-bit hashes (enough to verify a candidate; the passages are recomputed from both texts).
/// Kept small — it is most of the index's memory per report.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SimDoc {
    #[prost(string, tag = "1")]
    pub job_id: String,
    #[prost(string, tag = "2")]
    pub issuer: String,
    #[prost(int32, tag = "3")]
    pub year: i32,
    #[prost(string, tag = "4")]
    pub title: String,
    /// Where the other report's text is, for evidence offsets: its result key. Written by entries
    /// made before `text_id`, which replaced it (a key is ≈ 110 bytes, the id 32); still read.
    #[prost(string, tag = "5")]
    pub result_key: String,
    /// A hash of the content's SHA-256: enough to recognise the same document again.
    #[prost(fixed64, tag = "8")]
    pub content_tag: u64,
    /// [`similarity::short`] of each compared sentence's hash.
    #[prost(fixed32, repeated, tag = "9")]
    pub hashes: Vec<u32>,
    /// The report's normalized text's id in the store ([`fazhi_jobs::stored_result::text_id`]):
    /// passages read that text alone.
    #[prost(bytes = "vec", tag = "10")]
    pub text_id: Vec<u8>,
}

fn content_tag(content_sha256: &str) -> u64 {
    similarity::fnv1a(content_sha256.as_bytes())
}

/// What the comparison of a job's report found (`overlay`, when anything), and its index entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub overlay: Option<wire::Assessment>,
    pub entry: SimilarityEntry,
}

/// Compares `a` (the assessment of `job`) with the tenant's index and prepares its entry,
/// writing nothing: the worker stores the entry with the job's result in one step
/// ([`JobStore::finish`]). `None` for not-reports, which are neither compared nor indexed.
pub async fn check_for_job(
    store: &dyn JobStore,
    job: &JobRecord,
    a: &wire::Assessment,
) -> Result<Option<Checked>, StoreError> {
    let Some(c) = compare(store, &job.tenant, &job.id, &job.content_sha256, a).await? else {
        return Ok(None);
    };
    let doc = SimDoc {
        job_id: job.id.clone(),
        issuer: c.report.issuer.clone(),
        year: c.report.year,
        title: c.report.title.clone(),
        result_key: String::new(),
        content_tag: content_tag(&job.content_sha256),
        hashes: c.hashes.iter().map(|h| similarity::short(*h)).collect(),
        text_id: stored_result::text_id(a.normalized_text.as_bytes()).to_vec(),
    };
    Ok(Some(Checked {
        overlay: c.overlay,
        entry: SimilarityEntry {
            tenant: job.tenant.clone(),
            band_keys: c.bands,
            doc: doc.encode_to_vec(),
            hashes: c.hashes,
        },
    }))
}

/// [`check_for_job`], then the entry indexed at once (for a job born SUCCEEDED, which has no
/// completion to ride on). Returns the overlay when something was found.
pub async fn check_and_index(
    store: &dyn JobStore,
    job: &JobRecord,
    a: &wire::Assessment,
) -> Result<Option<wire::Assessment>, StoreError> {
    let Some(c) = check_for_job(store, job, a).await? else {
        return Ok(None);
    };
    let e = &c.entry;
    store
        .index_similarity(&e.tenant, &job.id, &e.band_keys, &e.doc, &e.hashes)
        .await?;
    Ok(c.overlay)
}

/// The same comparison for a report assessed without a job (the synchronous `AssessReport`):
/// it is compared with the tenant's index but not added to it — there is no job to point to.
pub async fn check(
    store: &dyn JobStore,
    tenant: &str,
    content_sha256: &str,
    a: &wire::Assessment,
) -> Result<Option<wire::Assessment>, StoreError> {
    Ok(compare(store, tenant, "", content_sha256, a)
        .await?
        .and_then(|c| c.overlay))
}

/// What a comparison found, and what indexing the report needs.
struct Compared {
    overlay: Option<wire::Assessment>,
    report: wire::ReportInfo,
    hashes: Vec<u64>,
    bands: Vec<u64>,
}

/// `None` when the report is not compared at all (a not-report, or rules that do not load).
async fn compare(
    store: &dyn JobStore,
    tenant: &str,
    self_id: &str,
    content_sha256: &str,
    a: &wire::Assessment,
) -> Result<Option<Compared>, StoreError> {
    let rules = match similarity::rules() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "copied-text rules do not load; check skipped");
            return Ok(None);
        }
    };
    let report = a.report.clone().unwrap_or_default();
    if report.kind == "not_report" {
        return Ok(None);
    }
    let sents = similarity::sentences(&a.normalized_text, rules);
    let mut hashes: Vec<u64> = sents.iter().map(|s| s.hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let (freq, reports) = store.sentence_frequencies(tenant, &hashes).await?;
    let common_at = u32::try_from(
        ((rules.common_share * reports as f64).ceil() as u64)
            .max(u64::from(rules.common_min_reports)),
    )
    .unwrap_or(u32::MAX);
    let common: HashSet<u64> = hashes
        .iter()
        .zip(&freq)
        .filter(|(_, f)| **f >= common_at)
        .map(|(h, _)| *h)
        .collect();
    // Bands over the distinctive sentences only: reports that share nothing but common text
    // never meet in a bucket (and a template used by thousands does not make every bucket huge).
    let distinctive: Vec<u64> = hashes
        .iter()
        .copied()
        .filter(|h| !common.contains(h))
        .collect();
    let bands = similarity::band_keys(&distinctive);

    let mut candidates = store.similar_candidates(tenant, &bands).await?;
    // Most bands shared first; among equals the newer entry (a higher number).
    candidates.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| y.0.cmp(&x.0)));
    // One more than verified, in case one is this job's own entry (a redelivery).
    candidates.truncate(MAX_CANDIDATES + 1);
    let entries: Vec<u64> = candidates.into_iter().map(|(n, _)| n).collect();
    let docs = store.similarity_docs(tenant, &entries).await?;

    let mut found: Vec<(SimDoc, similarity::Overlap)> = Vec::new();
    for doc in docs.into_iter().flatten() {
        let Ok(doc) = SimDoc::decode(doc.as_slice()) else {
            continue;
        };
        // This job itself (indexed before a redelivery), the same document again, or the
        // same issuer's same year (a resubmission or a revision), is not copying.
        if doc.job_id == self_id
            || doc.content_tag == content_tag(content_sha256)
            || (same_issuer(&doc.issuer, &report.issuer) && doc.year == report.year)
        {
            continue;
        }
        let other: HashSet<u32> = doc.hashes.iter().copied().collect();
        let ov = similarity::overlap(&sents, &other, &common);
        if ov.shared.len() >= rules.min_shared && ov.share() >= rules.flag_share {
            found.push((doc, ov));
        }
    }
    found.sort_by(|x, y| y.1.share().total_cmp(&x.1.share()));
    found.truncate(rules.max_reports);

    let mut overlay = wire::Assessment::default();
    for (doc, ov) in &found {
        let passages = match other_text(store, doc).await? {
            Some(other) => {
                similarity::passages(&a.normalized_text, &sents, &ov.shared, &other, rules)
            }
            None => Vec::new(),
        };
        overlay.similar_reports.push(wire::SimilarReport {
            job_id: doc.job_id.clone(),
            issuer: doc.issuer.clone(),
            year: doc.year,
            title: doc.title.clone(),
            share: (ov.share() * 1000.0).round() / 1000.0,
            shared_sentences: i32::try_from(ov.shared.len()).unwrap_or(i32::MAX),
            same_issuer: same_issuer(&doc.issuer, &report.issuer),
            passages,
        });
    }
    findings(&mut overlay, &report);
    Ok(Some(Compared {
        overlay: (!overlay.similar_reports.is_empty()).then_some(overlay),
        report,
        hashes,
        bands,
    }))
}

/// An indexed report's normalized text: by its id, or from its whole assessment for an entry
/// made before ids were kept. `None` when it is gone (passages are then left out).
async fn other_text(store: &dyn JobStore, doc: &SimDoc) -> Result<Option<String>, StoreError> {
    if let Ok(id) = <[u8; 32]>::try_from(doc.text_id.as_slice()) {
        let text = store.get_text(&id).await?;
        return Ok(text.and_then(|t| String::from_utf8(t).ok()));
    }
    Ok(match store.get_result(&doc.result_key).await? {
        Some(bytes) => wire::Assessment::decode(bytes.as_slice())
            .ok()
            .map(|a| a.normalized_text),
        None => None,
    })
}

fn same_issuer(a: &str, b: &str) -> bool {
    !a.trim().is_empty() && a.trim() == b.trim()
}

fn findings(overlay: &mut wire::Assessment, report: &wire::ReportInfo) {
    let percent = |s: f64| format!("{:.0}", s * 100.0);
    let evidence = |r: &wire::SimilarReport| -> Vec<wire::Evidence> {
        r.passages
            .iter()
            .filter_map(|p| p.passage.clone())
            .take(3)
            .collect()
    };
    if let Some(prev) = overlay
        .similar_reports
        .iter()
        .find(|r| r.same_issuer && r.year > 0 && r.year < report.year)
    {
        let f = fazhi_engine::score::findings::finding(
            "COPIED_FROM_PREVIOUS_YEAR",
            &[
                ("year", prev.year.to_string()),
                ("percent", percent(prev.share)),
            ],
            evidence(prev),
        );
        overlay.findings.push(f);
    }
    if let Some(other) = overlay.similar_reports.iter().find(|r| !r.same_issuer) {
        let f = fazhi_engine::score::findings::finding(
            "COPIED_TEXT",
            &[
                (
                    "issuer",
                    if other.issuer.is_empty() {
                        "另一机关".into()
                    } else {
                        other.issuer.clone()
                    },
                ),
                ("year", other.year.to_string()),
                ("percent", percent(other.share)),
            ],
            evidence(other),
        );
        overlay.findings.push(f);
    }
}
