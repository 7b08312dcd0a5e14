//! PDF text by layout. Office suites write a PDF text layer as many small positioned runs — a
//! run per font change (digits and Latin are set in another font), a run per wrapped line —
//! and a reader that emits runs in stream order cuts 「2022年」 into 「2022」 + 「年」 on separate
//! lines. Here every run keeps its position: runs on one baseline become one line in x order,
//! lines become paragraphs again where a full line wraps into the next (same size, same left
//! edge, one line-gap down, no sentence end), and page numbers and running headers or footers
//! (the first or last line of a page, repeated or shaped like 「— 1 —」「第1页 共5页」) are left
//! out. Upright text only; two-column pages come out row by row.

use std::collections::{BTreeMap, HashMap};

use lopdf::content::Content;
use lopdf::{Document, Encoding, Object, ObjectId};

/// Runs kept per page: a real page has a few thousand; a hostile stream stops here.
const MAX_RUNS: usize = 100_000;
/// A move of at least this many ems inside a TJ string is a blank between words (a space is
/// 0.25–0.6 em; kerning and CJK justification move far less).
const TJ_BLANK_EM: f64 = 0.25;

/// A shown string where it stands: user-space start, estimated end, baseline, font size.
#[derive(Debug, Clone)]
pub(super) struct Run {
    pub x: f64,
    pub end: f64,
    pub y: f64,
    pub size: f64,
    pub text: String,
}

/// A line of a page: runs on one baseline, in x order.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub x: f64,
    pub end: f64,
    pub y: f64,
    pub size: f64,
    pub text: String,
    /// 0 on a page set in one column (or spanning both); 1 and 2 for the left and right column.
    pub column: u8,
}

/// Lines of a page in reading order. A page set in two columns — a vertical strip that no line
/// of text crosses, with prose on both sides — is read left column, then right; lines spanning
/// the strip (a title, a page number) stay above or below the columns.
pub(super) fn page_lines(runs: Vec<Run>) -> Vec<Line> {
    let Some(g) = gutter(&runs) else {
        return lines(runs);
    };
    let (mut left, mut right, mut span) = (Vec::new(), Vec::new(), Vec::new());
    for r in runs {
        if r.end <= g {
            left.push(r);
        } else if r.x >= g {
            right.push(r);
        } else {
            span.push(r);
        }
    }
    let top = left
        .iter()
        .chain(&right)
        .map(|r| r.y)
        .fold(f64::NEG_INFINITY, f64::max);
    let (head, foot): (Vec<Run>, Vec<Run>) = span.into_iter().partition(|r| r.y >= top);
    let column = |runs: Vec<Run>, n: u8| {
        let mut ls = lines(runs);
        for l in &mut ls {
            l.column = n;
        }
        ls
    };
    let mut out = lines(head);
    out.extend(column(left, 1));
    out.extend(column(right, 2));
    out.extend(lines(foot));
    out
}

/// The x of the strip between two columns, if the page has one: searched in the middle third
/// of the text's width, crossed by at most a tenth of the baselines (a spanning title), with at
/// least six baselines of prose (six characters or more a baseline on average) on each side.
fn gutter(runs: &[Run]) -> Option<f64> {
    if runs.len() < 12 {
        return None;
    }
    let lo = runs.iter().map(|r| r.x).fold(f64::INFINITY, f64::min);
    let hi = runs.iter().map(|r| r.end).fold(f64::NEG_INFINITY, f64::max);
    if !(hi - lo).is_finite() || hi - lo <= 0.0 {
        return None;
    }
    // Each baseline as spans of ink (runs closer than an em merged).
    let mut sorted: Vec<&Run> = runs.iter().collect();
    sorted.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut baselines: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last_y = f64::NAN;
    for r in sorted {
        if (last_y - r.y).abs() > 0.4 * r.size || baselines.is_empty() {
            baselines.push(Vec::new());
            last_y = r.y;
        }
        if let Some(spans) = baselines.last_mut() {
            match spans.last_mut() {
                Some(s) if r.x - s.1 < r.size => s.1 = s.1.max(r.end),
                _ => spans.push((r.x, r.end)),
            }
        }
    }
    let crossing = |g: f64| {
        baselines
            .iter()
            .filter(|spans| spans.iter().any(|(a, b)| *a < g && g < *b))
            .count()
    };
    let g = (33..=67)
        .map(|pct| lo + (hi - lo) * f64::from(pct) / 100.0)
        .min_by_key(|g| crossing(*g))?;
    if crossing(g) * 10 > baselines.len() {
        return None;
    }
    let prose = |side: &dyn Fn(&Run) -> bool| {
        let rs: Vec<&Run> = runs.iter().filter(|r| side(r)).collect();
        let mut ys: Vec<i64> = rs.iter().map(|r| r.y.round() as i64).collect();
        ys.sort_unstable();
        ys.dedup();
        let chars: usize = rs.iter().map(|r| r.text.trim().chars().count()).sum();
        ys.len() >= 6 && chars >= 6 * ys.len()
    };
    (prose(&|r: &Run| r.end <= g) && prose(&|r: &Run| r.x >= g)).then_some(g)
}

#[derive(Clone, Copy)]
struct M([f64; 6]);

impl M {
    const ID: M = M([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    fn translate(tx: f64, ty: f64) -> M {
        M([1.0, 0.0, 0.0, 1.0, tx, ty])
    }
    /// `self` then `o` (row vectors, as PDF writes them).
    fn then(self, o: M) -> M {
        let [a1, b1, c1, d1, e1, f1] = self.0;
        let [a2, b2, c2, d2, e2, f2] = o.0;
        M([
            a1 * a2 + b1 * c2,
            a1 * b2 + b1 * d2,
            c1 * a2 + d1 * c2,
            c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2,
            e1 * b2 + f1 * d2 + f2,
        ])
    }
}

fn num(o: Option<&Object>) -> f64 {
    o.and_then(|o| o.as_float().ok()).map_or(0.0, f64::from)
}

/// The six operands of `cm` or `Tm`.
fn matrix(o: &[Object]) -> M {
    M(std::array::from_fn(|i| num(o.get(i))))
}

/// Advance of a glyph in ems, without the font's widths: CJK and full-width forms are square,
/// the rest about half (good enough to tell a full line from a short one).
fn em(c: char) -> f64 {
    if c.is_ascii() || ('\u{2000}'..='\u{206F}').contains(&c) {
        0.5
    } else {
        1.0
    }
}

/// The runs of one page, in stream order. `max_stream` bounds the decompressed content.
pub(super) fn page_runs(
    doc: &Document,
    page: ObjectId,
    max_stream: usize,
) -> Result<Vec<Run>, lopdf::Error> {
    let fonts = doc.get_page_fonts(page)?;
    let encodings: BTreeMap<Vec<u8>, Encoding> = fonts
        .into_iter()
        .filter_map(|(name, font)| {
            font.get_font_encoding_with_limit(doc, max_stream)
                .ok()
                .map(|e| (name, e))
        })
        .collect();
    let content = Content::decode(&doc.get_page_content_with_limit(page, max_stream)?)?;

    let mut runs = Vec::new();
    let mut ctm = M::ID;
    let mut stack: Vec<M> = Vec::new();
    let (mut tm, mut tlm) = (M::ID, M::ID);
    let (mut leading, mut size, mut char_space, mut hscale) = (0.0, 0.0, 0.0, 1.0);
    let mut enc: Option<&Encoding> = None;
    for op in &content.operations {
        if runs.len() >= MAX_RUNS {
            break;
        }
        let o = &op.operands;
        match op.operator.as_str() {
            "q" => stack.push(ctm),
            "Q" => ctm = stack.pop().unwrap_or(M::ID),
            "cm" if o.len() == 6 => ctm = matrix(o).then(ctm),
            "BT" => {
                tm = M::ID;
                tlm = M::ID;
            }
            "Tf" => {
                enc = o
                    .first()
                    .and_then(|n| n.as_name().ok())
                    .and_then(|n| encodings.get(n));
                size = num(o.get(1));
            }
            "Tc" => char_space = num(o.first()),
            "Tz" => hscale = num(o.first()) / 100.0,
            "TL" => leading = num(o.first()),
            "Td" | "TD" => {
                let (tx, ty) = (num(o.first()), num(o.get(1)));
                if op.operator == "TD" {
                    leading = -ty;
                }
                tlm = M::translate(tx, ty).then(tlm);
                tm = tlm;
            }
            "Tm" if o.len() == 6 => {
                tlm = matrix(o);
                tm = tlm;
            }
            "T*" => {
                tlm = M::translate(0.0, -leading).then(tlm);
                tm = tlm;
            }
            "Tj" | "TJ" | "'" | "\"" => {
                if matches!(op.operator.as_str(), "'" | "\"") {
                    tlm = M::translate(0.0, -leading).then(tlm);
                    tm = tlm;
                }
                let shown: &[Object] = match op.operator.as_str() {
                    "\"" => o.get(2).map(std::slice::from_ref).unwrap_or_default(),
                    "TJ" => o
                        .first()
                        .and_then(|a| a.as_array().ok())
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                    _ => o.first().map(std::slice::from_ref).unwrap_or_default(),
                };
                let Some(enc) = enc else { continue };
                let mut text = String::new();
                let mut advance = 0.0;
                for item in shown {
                    match item {
                        Object::String(bytes, _) => {
                            let Ok(s) = Document::decode_text(enc, bytes) else {
                                continue;
                            };
                            for c in s.chars() {
                                advance += (em(c) * size + char_space) * hscale;
                            }
                            text.push_str(&s);
                        }
                        Object::Integer(_) | Object::Real(_) => {
                            let shift = num(Some(item)) / 1000.0;
                            advance -= shift * size * hscale;
                            // A blank set as a move inside the string (Writer leaves room for
                            // a space drawn by another font): a word gap, kept as a space.
                            if -shift >= TJ_BLANK_EM
                                && !text.is_empty()
                                && !text.ends_with(char::is_whitespace)
                            {
                                text.push(' ');
                            }
                        }
                        _ => {}
                    }
                }
                let at = tm.then(ctm);
                let [a, b, c, d, x, y] = at.0;
                let (sx, sy) = (a.hypot(b), c.hypot(d));
                tm = M::translate(advance, 0.0).then(tm);
                if text.trim().is_empty() || !x.is_finite() || !y.is_finite() {
                    continue;
                }
                runs.push(Run {
                    x,
                    end: x + advance * sx,
                    y,
                    size: (size * sy).abs().max(1.0),
                    text,
                });
            }
            _ => {}
        }
    }
    Ok(runs)
}

/// Runs on one baseline (within 40 % of the font size) as lines, top to bottom; within a line
/// in x order, a space for a blank about an em wide (or between two Latin words), " | " across
/// a wide gap (table cells).
pub(super) fn lines(mut runs: Vec<Run>) -> Vec<Line> {
    runs.sort_by(|a, b| b.y.total_cmp(&a.y).then(a.x.total_cmp(&b.x)));
    let mut groups: Vec<Vec<Run>> = Vec::new();
    for r in runs {
        match groups.last_mut() {
            Some(g) if (g[0].y - r.y).abs() <= 0.4 * g[0].size.max(r.size) => g.push(r),
            _ => groups.push(vec![r]),
        }
    }
    groups
        .into_iter()
        .map(|mut g| {
            g.sort_by(|a, b| a.x.total_cmp(&b.x));
            let size = g.iter().map(|r| r.size).fold(0.0, f64::max);
            let mut text = String::new();
            let mut end: Option<f64> = None;
            // A run holding blanks has an unreliable estimated end (blank widths vary most).
            let mut blanks = false;
            for r in &g {
                if let Some(e) = end {
                    let gap = r.x - e;
                    let latin = text.ends_with(|c: char| c.is_ascii_alphanumeric())
                        && r.text.starts_with(|c: char| c.is_ascii_alphabetic());
                    if gap > 2.5 * size && !blanks {
                        text.push_str(" | ");
                    } else if gap > 0.9 * size || (latin && gap > 0.15 * size) {
                        text.push(' ');
                    }
                }
                text.push_str(r.text.trim_end_matches('\n'));
                blanks = r.text.trim().contains(char::is_whitespace)
                    || r.text.starts_with(char::is_whitespace);
                end = Some(end.map_or(r.end, |e: f64| e.max(r.end)));
            }
            Line {
                x: g[0].x,
                end: end.unwrap_or(g[0].x),
                y: g[0].y,
                size,
                text: text.trim().to_string(),
                column: 0,
            }
        })
        .filter(|l| !l.text.is_empty())
        .collect()
}

/// 「— 1 —」「- 2 -」「第1页 共5页」「1/5」「3」: a page number and nothing else.
pub(super) fn page_number(text: &str) -> bool {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !t.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let rest = t.trim_matches(|c: char| "-—–－_·•".contains(c));
    let digits_only = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits_only(rest) {
        return true;
    }
    if let Some((a, b)) = rest.split_once('/') {
        return digits_only(a) && digits_only(b);
    }
    // 第1页 / 第1页共5页 / 共5页第1页
    let masked: String = rest
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect::<String>()
        .split('#')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("#");
    matches!(masked.as_str(), "第#页" | "第#页共#页" | "共#页第#页")
}

/// Drops page furniture: the first and last line of each page when it is a page number, or
/// when the same text (digits aside) opens or closes at least half the pages (three or more).
pub(super) fn drop_furniture(pages: &mut [Vec<Line>]) {
    let key = |l: &Line| -> String { l.text.chars().filter(|c| !c.is_ascii_digit()).collect() };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for p in pages.iter() {
        let mut edge: Vec<String> = p.first().map(key).into_iter().collect();
        if p.len() > 1 {
            edge.extend(p.last().map(key));
        }
        edge.dedup();
        for k in edge {
            *seen.entry(k).or_default() += 1;
        }
    }
    let repeated = |l: &Line| {
        pages.len() >= 3
            && seen
                .get(&key(l))
                .is_some_and(|n| *n * 2 >= pages.len() && *n >= 3)
    };
    let furniture: Vec<(bool, bool)> = pages
        .iter()
        .map(|p| {
            let first = p
                .first()
                .is_some_and(|l| page_number(&l.text) || repeated(l));
            let last = p.len() > 1
                && p.last()
                    .is_some_and(|l| page_number(&l.text) || repeated(l));
            (first, last)
        })
        .collect();
    for (p, (first, last)) in pages.iter_mut().zip(furniture) {
        if last {
            p.pop();
        }
        if first && !p.is_empty() {
            p.remove(0);
        }
    }
}

/// Lines this many times the body's size are display type (a title).
const TITLE_SIZE: f64 = 1.15;
/// The title is looked for among the document's first lines only.
const TITLE_LINES: usize = 3;

/// The commonest font size of the document's lines (by characters): the body's.
fn body_size(pages: &[Vec<Line>]) -> f64 {
    let mut by: HashMap<i64, usize> = HashMap::new();
    for l in pages.iter().flatten() {
        *by.entry((l.size * 2.0).round() as i64).or_default() += l.text.chars().count();
    }
    by.into_iter()
        .max_by_key(|(s, n)| (*n, -*s))
        .map_or(f64::INFINITY, |(s, _)| s as f64 / 2.0)
}

/// Sentence ends after which a line break is kept even when the line is full.
const ENDS: &str = "。！？；：!?;:";

/// The text of the pages: a full line runs on into the next when that one has the same size,
/// starts at its column's left edge and stands one line-gap down (or opens the next column or
/// page).
pub(super) fn text(pages: &[Vec<Line>]) -> String {
    let mut out = String::new();
    // The text width is the document's, per column: a last page of short lines has no full
    // line of its own.
    let right: [f64; 3] = std::array::from_fn(|c| {
        let all: Vec<Line> = pages
            .iter()
            .flatten()
            .filter(|l| usize::from(l.column) == c)
            .cloned()
            .collect();
        right_edge(&all)
    });
    let edge = |l: &Line| right[usize::from(l.column).min(2)];
    // The title, set larger than the body at the head of the document, may wrap onto a
    // centred second line: one title again.
    let body = body_size(pages);
    let display = |l: &Line| l.size >= TITLE_SIZE * body;
    let mut seen = 0usize;
    for (pi, p) in pages.iter().enumerate() {
        let gap = typical_gap(p);
        let lefts: [f64; 3] = std::array::from_fn(|c| {
            p.iter()
                .filter(|m| usize::from(m.column) == c)
                .map(|m| m.x)
                .fold(f64::INFINITY, f64::min)
        });
        for (i, l) in p.iter().enumerate() {
            out.push_str(&l.text);
            let left = lefts[usize::from(l.column).min(2)];
            let next = p.get(i + 1);
            let open = !l.text.ends_with(|c: char| ENDS.contains(c));
            seen += 1;
            let joins = match next {
                Some(n)
                    if seen <= TITLE_LINES
                        && display(l)
                        && display(n)
                        && open
                        && (n.size - l.size).abs() <= 0.1 * l.size
                        && (l.y - n.y) <= 2.0 * l.size =>
                {
                    true
                }
                Some(n) if n.column == l.column => {
                    full(l, &n.text, edge(l))
                        && open
                        && (n.size - l.size).abs() <= 0.1 * l.size
                        && n.x <= left + 0.5 * l.size
                        && (l.y - n.y) <= 1.6 * gap
                }
                // The left column's last line runs on into the right column's first.
                Some(n) => l.column == 1 && n.column == 2 && open && full(l, &n.text, edge(l)),
                // The last line of a page runs on into the next page's first.
                None => pages
                    .get(pi + 1)
                    .and_then(|q| q.first())
                    .is_some_and(|n| open && full(l, &n.text, edge(l))),
            };
            if !joins {
                out.push('\n');
            }
        }
    }
    out
}

/// The line was ended by the width: what opens the next line would not have fitted on it. Text
/// breaks between any two Chinese characters, but not inside a figure or a Latin word, and not
/// before closing punctuation — so a ragged line can stop several ems short of the edge.
fn full(l: &Line, next: &str, right: f64) -> bool {
    let mut chars = next.chars().peekable();
    let mut need = 0.0;
    while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || ".,%:/-".contains(*c)) {
        need += em(c);
    }
    if need == 0.0 {
        need = chars.next().map_or(1.0, em);
    }
    if chars
        .peek()
        .is_some_and(|c| "，。、；：！？）》」』”’,.;:!?)".contains(*c))
    {
        need += 1.0;
    }
    l.end + need * l.size >= right - 1.0 * l.size
}

/// Where full lines end: the median end of the long lines (ends are estimated from glyph
/// classes, so the single longest line overshoots). Fewer than three long lines say nothing
/// about the text width: then no line counts as full.
fn right_edge(p: &[Line]) -> f64 {
    let max = p.iter().map(|l| l.end).fold(f64::NEG_INFINITY, f64::max);
    let left = p.iter().map(|l| l.x).fold(f64::INFINITY, f64::min);
    let mut long: Vec<f64> = p
        .iter()
        .map(|l| l.end)
        .filter(|e| *e >= left + 0.8 * (max - left))
        .collect();
    if long.len() < 3 {
        return f64::INFINITY;
    }
    long.sort_by(f64::total_cmp);
    long.get(long.len() / 2).copied().unwrap_or(max)
}

/// The commonest distance between consecutive baselines of the page (its line spacing).
fn typical_gap(p: &[Line]) -> f64 {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    for w in p.windows(2) {
        let d = w[0].y - w[1].y;
        if d > 0.0 {
            *counts.entry((d * 2.0).round() as i64).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(d, n)| (*n, -*d))
        .map_or(f64::INFINITY, |(d, _)| d as f64 / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f64, y: f64, text: &str) -> Run {
        Run {
            x,
            end: x + 12.0 * text.chars().count() as f64,
            y,
            size: 12.0,
            text: text.into(),
        }
    }

    #[test]
    fn two_columns_read_left_then_right_under_a_spanning_title() {
        let mut runs = vec![at(
            150.0,
            800.0,
            "某县关于二〇二四年法治政府建设情况的报告标题",
        )];
        for i in 0..8 {
            let y = 770.0 - 20.0 * f64::from(i);
            runs.push(at(56.0, y, &format!("左栏第{i}行文字内容")));
            runs.push(at(320.0, y, &format!("右栏第{i}行文字内容")));
        }
        runs.push(at(290.0, 60.0, "- 1 -"));
        let ls = page_lines(runs);
        let texts: Vec<&str> = ls.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts.first(),
            Some(&"某县关于二〇二四年法治政府建设情况的报告标题")
        );
        assert_eq!(texts[1], "左栏第0行文字内容");
        assert_eq!(texts[8], "左栏第7行文字内容");
        assert_eq!(texts[9], "右栏第0行文字内容");
        assert_eq!(texts.last(), Some(&"- 1 -"));
        assert_eq!((ls[1].column, ls[9].column, ls[0].column), (1, 2, 0));
    }

    #[test]
    fn a_title_in_display_type_wrapped_onto_a_centred_line_is_one_title() {
        let big = |x: f64, y: f64, t: &str| Line {
            size: 22.0,
            ..line(x, x + 22.0 * t.chars().count() as f64, y, t)
        };
        let mut page = vec![
            big(80.0, 800.0, "望川县人民政府关于2024年法治政府建设情"),
            big(250.0, 770.0, "况的报告"),
        ];
        for i in 0..6 {
            page.push(line(
                56.0,
                500.0,
                730.0 - 20.0 * f64::from(i),
                "正文一行到边",
            ));
        }
        let t = text(&[page]);
        assert!(
            t.starts_with("望川县人民政府关于2024年法治政府建设情况的报告\n"),
            "{t}"
        );
    }

    #[test]
    fn a_table_of_short_cells_is_not_two_columns() {
        let mut runs = Vec::new();
        for i in 0..10 {
            let y = 700.0 - 20.0 * f64::from(i);
            runs.push(at(56.0, y, "案件"));
            runs.push(at(400.0, y, "57件"));
        }
        assert!(gutter(&runs).is_none());
        // One column of prose lines crossing the middle is not two columns either.
        let prose: Vec<Run> = (0..12)
            .map(|i| {
                at(
                    56.0,
                    700.0 - 20.0 * f64::from(i),
                    "全年审核规范性文件二十三件报备率百分之百并开展清理",
                )
            })
            .collect();
        assert!(gutter(&prose).is_none());
    }

    fn line(x: f64, end: f64, y: f64, text: &str) -> Line {
        Line {
            column: 0,
            x,
            end,
            y,
            size: 12.0,
            text: text.into(),
        }
    }

    fn run(x: f64, y: f64, text: &str) -> Run {
        let adv: f64 = text.chars().map(|c| em(c) * 12.0).sum();
        Run {
            x,
            end: x + adv,
            y,
            size: 12.0,
            text: text.into(),
        }
    }

    #[test]
    fn runs_on_a_baseline_make_one_line_in_x_order() {
        let l = lines(vec![
            run(88.0, 800.9, "年是纲要的收官之年。"),
            run(56.8, 800.9, "2025"),
            run(56.8, 784.6, "确定的目标任务"),
        ]);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].text, "2025年是纲要的收官之年。");
        assert_eq!(l[1].text, "确定的目标任务");
        let t = lines(vec![
            run(56.8, 700.0, "行政许可"),
            run(300.0, 700.0, "18642"),
        ]);
        assert_eq!(t[0].text, "行政许可 | 18642");
    }

    #[test]
    fn page_numbers() {
        for s in ["— 1 —", "- 2 -", "第1页 共5页", "第 3 页", "3/12", "7"] {
            assert!(page_number(s), "{s}");
        }
        for s in ["2025年工作安排", "一、主要举措", "—", "第一章"] {
            assert!(!page_number(s), "{s}");
        }
    }

    #[test]
    fn wrapped_lines_rejoin_and_paragraphs_stay() {
        let page = vec![
            line(56.8, 300.0, 760.0, "一、主要举措和成效"),
            line(
                56.8,
                556.0,
                740.0,
                "全年新增市场主体1380户，推行标准地加承诺制改革，工业项目",
            ),
            line(
                56.8,
                556.0,
                724.0,
                "审批时限压缩至28个工作日，群众满意度持续提升，营商环境",
            ),
            line(56.8, 200.0, 708.0, "不断优化。"),
            line(
                56.8,
                556.0,
                692.0,
                "规范重大行政决策，出台程序实施细则，重大行政决策事项全部经过",
            ),
            line(56.8, 400.0, 676.0, "合法性审查。"),
        ];
        let t = text(&[page]);
        assert_eq!(
            t,
            "一、主要举措和成效\n全年新增市场主体1380户，推行标准地加承诺制改革，工业项目审批时限压缩至28个工作日，群众满意度持续提升，营商环境不断优化。\n规范重大行政决策，出台程序实施细则，重大行政决策事项全部经过合法性审查。\n"
        );
    }

    #[test]
    fn page_furniture_is_dropped() {
        let mut pages: Vec<Vec<Line>> = (1..=4)
            .map(|n| {
                vec![
                    line(200.0, 400.0, 810.0, "北麓开发区管理委员会文件"),
                    line(56.8, 556.0, 760.0, &format!("第{n}页正文内容")),
                    line(280.0, 320.0, 40.0, &format!("— {n} —")),
                ]
            })
            .collect();
        drop_furniture(&mut pages);
        for (i, p) in pages.iter().enumerate() {
            assert_eq!(p.len(), 1, "{p:?}");
            assert_eq!(p[0].text, format!("第{}页正文内容", i + 1));
        }
    }
}
