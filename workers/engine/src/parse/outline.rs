//! Headings (一、 / (一) / 1. / (1) / 第一部分 and short unnumbered lines) → a section tree.

use crate::lines::{heading_marker, lines};
use crate::model::Section;

/// Ends of a heading title inside a line that continues with body text.
fn title_end(rest: &str) -> usize {
    for (i, c) in rest.char_indices() {
        if matches!(c, '。' | ';' | '；' | '!' | '?' | '！' | '？') {
            return i;
        }
        if c == ':' && i > 0 {
            return i;
        }
    }
    rest.len()
}

fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '。' | ';' | '；' | ':' | ',' | '、' | '!' | '?' | '！' | '？' | '”' | '"' | ')'
    )
}

/// A heading naming one of the report's parts (`[outline] part_title_words`): ranks unnumbered
/// headings.
pub fn is_part_title(t: &str) -> bool {
    crate::wording::wording()
        .is_ok_and(|w| crate::wording::contains_any(t, &w.outline.part_title_words))
}

/// Builds the section list in document order; parents precede children.
pub fn outline(text: &str) -> Vec<Section> {
    let all: Vec<(usize, &str)> = lines(text).collect();
    struct Raw {
        level: u8,
        numbering: String,
        title: String,
        heading: std::ops::Range<usize>,
        unnumbered: bool,
    }
    let mut raws: Vec<Raw> = Vec::new();
    let mut last_numbered_level: Option<u8> = None;
    let n_lines = all.len();
    for (idx, &(start, line)) in all.iter().enumerate() {
        if let Some((level, numbering)) = heading_marker(line) {
            let rest = &line[numbering.len()..];
            let trimmed = rest.trim_start();
            let lead = rest.len() - trimmed.len();
            // "一是" style enumerations are never headings.
            if trimmed.is_empty() || trimmed.starts_with('是') {
                continue;
            }
            let te = title_end(trimmed);
            let title = trimmed[..te].trim_end();
            if title.is_empty() {
                continue;
            }
            let hs = start;
            let he = start + numbering.len() + lead + title.len();
            last_numbered_level = Some(level);
            raws.push(Raw {
                level,
                numbering: numbering.to_string(),
                title: title.to_string(),
                heading: hs..he,
                unnumbered: false,
            });
            continue;
        }
        // Unnumbered heading: short, no terminal punctuation, followed by a body paragraph.
        let n = line.chars().count();
        if idx == 0 || !(4..=40).contains(&n) {
            continue;
        }
        if line.chars().last().is_some_and(is_terminal) || line.contains('。') {
            continue;
        }
        if not_heading(line) || looks_like_date(line) {
            continue;
        }
        let next = all.get(idx + 1).map(|x| x.1).unwrap_or("");
        let next_is_body = next.chars().count() >= 40 || next.contains('。');
        if !next_is_body || idx + 1 >= n_lines {
            continue;
        }
        // Lines ending a paragraph that merely lack a full stop are rare; an addressee or a
        // signature is followed by a date or by nothing, so they fail `next_is_body`.
        // 0 = before any numbered heading; resolved below.
        let level = last_numbered_level.unwrap_or_default();
        raws.push(Raw {
            level,
            numbering: String::new(),
            title: line.to_string(),
            heading: start..start + line.len(),
            unnumbered: true,
        });
    }
    // Unnumbered headings before any numbered one: part titles are level 1, the rest level 2
    // when part titles exist, else level 1.
    let has_part = raws
        .iter()
        .any(|r| r.unnumbered && r.level == 0 && is_part_title(&r.title));
    for r in raws.iter_mut() {
        if r.level == 0 {
            r.level = if has_part && !is_part_title(&r.title) {
                2
            } else {
                1
            };
        }
    }
    let end = text.len();
    // Span ends: the next heading of the same or a higher level (monotonic stack, linear).
    let mut span_ends = vec![end; raws.len()];
    let mut pending: Vec<usize> = Vec::new();
    for (i, r) in raws.iter().enumerate() {
        while let Some(&p) = pending.last() {
            if raws[p].level >= r.level {
                span_ends[p] = r.heading.start;
                pending.pop();
            } else {
                break;
            }
        }
        pending.push(i);
    }
    let mut out: Vec<Section> = Vec::with_capacity(raws.len());
    let mut stack: Vec<usize> = Vec::new();
    for (r, span_end) in raws.into_iter().zip(span_ends) {
        while let Some(&top) = stack.last() {
            if out[top].level >= r.level {
                stack.pop();
            } else {
                break;
            }
        }
        let parent = stack.last().copied();
        out.push(Section {
            level: r.level,
            span: r.heading.start..span_end,
            numbering: r.numbering,
            title: r.title,
            heading: r.heading,
            parent,
            unnumbered: r.unnumbered,
        });
        stack.push(out.len() - 1);
    }
    out
}

/// The title or an attachment line (`[outline]` not-heading words).
fn not_heading(line: &str) -> bool {
    crate::wording::wording().is_ok_and(|w| {
        crate::wording::contains_any(line, &w.outline.not_heading_words)
            || crate::wording::starts_any(line, &w.outline.not_heading_prefixes)
    })
}

fn looks_like_date(line: &str) -> bool {
    super::dates::parse_date_anywhere(line).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(heading_marker("一、工作成效"), Some((1, "一、")));
        assert_eq!(heading_marker("十二、2026年工作安排"), Some((1, "十二、")));
        assert_eq!(heading_marker("(一)加强理论指导"), Some((2, "(一)")));
        assert_eq!(heading_marker("（三）依法决策"), Some((2, "（三）")));
        assert_eq!(heading_marker("1.凝聚了法治共识"), Some((3, "1.")));
        assert_eq!(heading_marker("1、带头学法讲法"), Some((3, "1、")));
        assert_eq!(heading_marker("2．亲自研究"), Some((3, "2．")));
        assert_eq!(heading_marker("(1)优化窗口服务"), Some((4, "(1)")));
        assert_eq!(heading_marker("第一部分 总体情况"), Some((1, "第一部分")));
        assert_eq!(heading_marker("1.2万余场活动"), None);
        assert_eq!(heading_marker("2023年,全县"), None);
        assert_eq!(heading_marker("一是抓学习"), None);
    }

    #[test]
    fn tree_and_spans() {
        let t = "标题报告\n一、工作成效\n(一)学习。正文一。\n1.细项\n正文二。\n(二)履职\n正文三。\n二、存在的问题\n正文四。";
        let s = outline(t);
        let titles: Vec<&str> = s.iter().map(|x| x.title.as_str()).collect();
        assert_eq!(titles, ["工作成效", "学习", "细项", "履职", "存在的问题"]);
        assert_eq!(s[1].parent, Some(0));
        assert_eq!(s[2].parent, Some(1));
        assert_eq!(s[3].parent, Some(0));
        assert_eq!(s[4].parent, None);
        assert_eq!(
            &t[s[0].span.clone()],
            "一、工作成效\n(一)学习。正文一。\n1.细项\n正文二。\n(二)履职\n正文三。\n"
        );
        assert_eq!(&t[s[1].heading.clone()], "(一)学习");
    }

    #[test]
    fn unnumbered_heading_between_numbered() {
        let body = "这是一段很长的正文内容，用来说明工作情况，并且超过四十个字符的长度要求，所以它是正文段落。";
        let t = format!(
            "标题\n一、工作成效\n(一)加强理论指导\n{body}\n积极履行党政主要负责人推进法治建设第一责任人职责\n{body}\n二、存在的问题\n{body}"
        );
        let s = outline(&t);
        let u = s.iter().find(|x| x.unnumbered).map(|x| (x.level, x.parent));
        assert_eq!(u, Some((2, Some(0))));
    }

    #[test]
    fn unnumbered_part_headings_rank_first() {
        let body = "这是一段很长的正文内容，用来说明工作情况，并且超过四十个字符的长度要求，所以它是正文段落。";
        let t = format!(
            "标题\n2023年主要工作举措和成效\n{body}\n学思践悟习近平法治思想\n{body}\n存在的问题和不足\n{body}"
        );
        let s = outline(&t);
        let lv: Vec<u8> = s.iter().map(|x| x.level).collect();
        assert_eq!(lv, [1, 2, 1]);
        assert_eq!(s[1].parent, Some(0));
    }
}
