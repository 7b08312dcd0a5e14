//! Every figure the parser found, on the wire, tied to the checklist item its sentence covers.

use super::coverage;
use super::text::View;
use crate::checklist::Checklist;
use crate::wire;

pub(crate) fn figures(
    v: &View<'_>,
    figs: &[crate::model::Figure],
    cov: Option<&coverage::Coverage>,
    cl: &Checklist,
) -> Vec<wire::Figure> {
    figs.iter()
        .map(|f| {
            let item_id = cov
                .and_then(|c| {
                    let si = v.sent_at(f.span.start)?;
                    let lo = c.links.partition_point(|l| l.0 < si);
                    let hi = lo + c.links[lo..].partition_point(|l| l.0 == si);
                    let same = &c.links[lo..hi];
                    // The nearest hit before the figure, else the first in the sentence.
                    let pick = same
                        .iter()
                        .rev()
                        .find(|l| l.3 <= f.span.start)
                        .or_else(|| same.first())?;
                    cl.areas
                        .get(pick.1)
                        .and_then(|a| a.items.get(pick.2))
                        .map(|i| i.id.clone())
                })
                .unwrap_or_default();
            wire::Figure {
                value: f.value,
                unit: f.unit.to_string(),
                raw: v.slice(&f.span).to_string(),
                start: v.chars.at(f.span.start),
                end: v.chars.at(f.span.end),
                metric_id: f.metric.unwrap_or("").to_string(),
                approximate: f.approximate,
                planned: f.planned,
                item_id,
            }
        })
        .collect()
}
