//! Concreteness: the share of body sentences with a count, rate, date, document number or named
//! local instrument, and the boilerplate count; its points and the LOW_CONCRETENESS finding.

use super::areas::round3;
use super::findings::Findings;
use super::text::{Region, View};
use crate::rules::Rules;
use crate::wire;

/// The measure and its ratio (unrounded, for points).
pub(crate) fn measure(v: &View<'_>) -> (wire::Concreteness, f64) {
    let mut n = 0;
    let mut c = 0;
    let mut b = 0;
    for s in &v.sents {
        // 32 bytes or more are 8 characters or more: only shorter sentences are counted.
        let short = s.span.len() < 4 * 8 && v.slice(&s.span).chars().count() < 8;
        if s.heading || s.region == Region::Meta || short {
            continue;
        }
        n += 1;
        if s.concrete {
            c += 1;
        }
        if s.boiler {
            b += 1;
        }
    }
    let ratio = if n > 0 { c as f64 / n as f64 } else { 0.0 };
    (
        wire::Concreteness {
            sentences: n,
            concrete_sentences: c,
            ratio: round3(ratio),
            boilerplate_sentences: b,
        },
        ratio,
    )
}

/// Concreteness points, raising LOW_CONCRETENESS below the rule's ratio.
pub(crate) fn points(m: &wire::Concreteness, ratio: f64, rules: &Rules, out: &mut Findings) -> f64 {
    if m.sentences > 0 && ratio < rules.boilerplate.low_ratio {
        out.raise(
            "LOW_CONCRETENESS",
            &[("percent", format!("{:.0}", ratio * 100.0))],
            Vec::new(),
        );
    }
    let sr = &rules.score;
    sr.concreteness_max * (ratio / sr.concreteness_full_ratio).min(1.0)
}
