//! HTML → lines: the article body of a government CMS page plus the metadata around it.

use crate::EngineError;
use crate::Limits;
use crate::normalize::is_cjk;
use ego_tree::NodeRef;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

/// Body containers used by Chinese government CMSs (TRS and others), most specific first.
const CONTAINERS: &[&str] = &[
    "div.TRS_Editor",
    ".trs_editor_view",
    "#zoom",
    "#Zoom",
    ".zfxxgk_zw_content",
    ".article-content",
    ".detail-content",
    "#printArea",
    ".bt_content",
    "#content",
    "article",
    ".content",
];

const SKIP: &[&str] = &[
    "script", "style", "noscript", "nav", "header", "footer", "iframe", "form", "select", "button",
    "template", "svg", "head", "object", "embed",
];

const BLOCK: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "tr",
    "table",
    "section",
    "article",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "dt",
    "dd",
    "dl",
    "center",
    "br",
    "hr",
    "tbody",
    "thead",
    "main",
    "aside",
    "figure",
    "figcaption",
    "caption",
    "address",
];

/// Elements html5ever closes implicitly; they do not count towards nesting depth.
const AUTO_CLOSED: &[&str] = &[
    "p", "li", "td", "th", "tr", "option", "dt", "dd", "br", "img", "hr", "meta", "link", "input",
    "area", "base", "col", "embed", "param", "source", "track", "wbr", "tbody", "thead",
    "colgroup",
];

/// Class/id words that mark page furniture.
const FURNITURE: &[&str] = &[
    "nav",
    "menu",
    "breadcrumb",
    "crumb",
    "share",
    "footer",
    "header",
    "bread",
    "sidebar",
    "toolbar",
];

/// Extracts the article text, with the page title and metadata lines outside the body first.
pub fn extract(src: &str, limits: &Limits) -> Result<String, EngineError> {
    check_depth(src, limits.max_html_depth)?;
    let doc = Html::parse_document(src);
    let mut out = String::new();
    // <title> and meta tags (PubDate etc.), for metadata extraction.
    if let Ok(sel) = Selector::parse("meta") {
        for m in doc.select(&sel) {
            let name = m.value().attr("name").unwrap_or("").to_ascii_lowercase();
            let content = m.value().attr("content").unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let label = match name.as_str() {
                "pubdate" | "publishdate" | "firstpublishedtime" | "publish_date" | "pubtime" => {
                    "发布日期"
                }
                "contentsource" | "source" => "来源",
                _ => continue,
            };
            out.push_str(&format!("{label}:{content}\n"));
        }
    }
    let body = find_body(&doc);
    let body_id = body.map(|b| b.id());
    // Title and metadata lines outside the chosen body.
    if let Some(b) = body {
        let mut outside = String::new();
        let root = doc.root_element();
        walk(*root, &mut outside, body_id, false);
        let mut title_found = false;
        for line in outside.lines() {
            let l = line.trim();
            let n = l.chars().count();
            if n == 0 || n > 200 {
                continue;
            }
            let metaish = [
                "发布",
                "日期",
                "时间",
                "来源",
                "索引号",
                "文号",
                "发布机构",
                "生成日期",
                "索 引 号",
            ]
            .iter()
            .any(|k| l.contains(k));
            let titleish = !title_found
                && (l.contains("报告") || l.contains("方案") || l.contains("要点"))
                && (8..=80).contains(&n);
            if titleish {
                title_found = true;
                out.push_str(l);
                out.push('\n');
            } else if metaish
                && (l.chars().any(|c| c.is_ascii_digit())
                    || l.starts_with("来源")
                    || l.starts_with("发布机构"))
            {
                out.push_str(l);
                out.push('\n');
            }
        }
        if !title_found && let Some(t) = title_text(&doc) {
            out.push_str(&t);
            out.push('\n');
        }
        walk(*b, &mut out, None, true);
    } else {
        if let Some(t) = title_text(&doc) {
            out.push_str(&t);
            out.push('\n');
        }
        walk(*doc.root_element(), &mut out, None, true);
    }
    Ok(tidy(&out))
}

fn title_text(doc: &Html) -> Option<String> {
    let sel = Selector::parse("title").ok()?;
    let t: String = doc.select(&sel).next()?.text().collect();
    let t = t.trim();
    // Titles are often "报告名_网站名" or "报告名 - 网站名".
    let t = t
        .split(['_', '|'])
        .next()
        .unwrap_or(t)
        .split(" - ")
        .next()
        .unwrap_or(t)
        .trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn cjk_count(e: ElementRef<'_>) -> usize {
    let mut n = 0;
    for edge in e.traverse() {
        if let Edge::Open(node) = edge
            && let Node::Text(t) = node.value()
        {
            n += t.chars().filter(|&c| is_cjk(c)).count();
        }
    }
    n
}

fn find_body<'a>(doc: &'a Html) -> Option<ElementRef<'a>> {
    for s in CONTAINERS {
        let Ok(sel) = Selector::parse(s) else {
            continue;
        };
        let best = doc
            .select(&sel)
            .map(|e| (cjk_count(e), e))
            .max_by_key(|(n, _)| *n);
        if let Some((n, e)) = best
            && n >= 100
        {
            return Some(e);
        }
    }
    readability(doc)
}

/// CJK-aware readability: credit each paragraph's CJK characters to its parent (and half to
/// the grandparent); the best-scoring container wins.
fn readability(doc: &Html) -> Option<ElementRef<'_>> {
    let mut scores: std::collections::HashMap<ego_tree::NodeId, usize> = Default::default();
    let sel = Selector::parse("p, td, h1, h2, h3, pre, li, div, span, font").ok()?;
    for p in doc.select(&sel) {
        // Direct text only, so nested containers are not counted twice.
        let n: usize = p
            .children()
            .filter_map(|c| {
                c.value()
                    .as_text()
                    .map(|t| t.chars().filter(|&c| is_cjk(c)).count())
            })
            .sum();
        if n < 10 {
            continue;
        }
        if let Some(parent) = p.parent() {
            *scores.entry(parent.id()).or_default() += n * 2;
            if let Some(gp) = parent.parent() {
                *scores.entry(gp.id()).or_default() += n;
            }
        }
    }
    let (id, score) = scores.into_iter().max_by_key(|(id, s)| (*s, *id))?;
    if score < 200 {
        return None;
    }
    doc.tree.get(id).and_then(ElementRef::wrap)
}

fn is_furniture(e: &scraper::node::Element) -> bool {
    if SKIP.contains(&e.name()) {
        return true;
    }
    let mut words = String::new();
    if let Some(c) = e.attr("class") {
        words.push_str(&c.to_ascii_lowercase());
    }
    if let Some(i) = e.id() {
        words.push(' ');
        words.push_str(&i.to_ascii_lowercase());
    }
    if words.is_empty() {
        return false;
    }
    words.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| {
        FURNITURE
            .iter()
            .any(|f| w == *f || (w.starts_with(f) && f.len() >= 4))
    })
}

/// Iterative walk (no recursion, so deep trees cannot overflow the stack). `exclude` skips a
/// subtree (the body, when collecting what surrounds it).
fn walk(
    root: NodeRef<'_, Node>,
    out: &mut String,
    exclude: Option<ego_tree::NodeId>,
    skip_furniture: bool,
) {
    let mut skip_depth = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skip_depth > 0 {
                    if node.value().is_element() {
                        skip_depth += 1;
                    }
                    continue;
                }
                match node.value() {
                    Node::Element(e) => {
                        let skip = if skip_furniture {
                            is_furniture(e)
                        } else {
                            matches!(
                                e.name(),
                                "script" | "style" | "noscript" | "template" | "svg" | "head"
                            )
                        };
                        if Some(node.id()) == exclude || skip {
                            skip_depth = 1;
                            continue;
                        }
                        let name = e.name();
                        if BLOCK.contains(&name) {
                            out.push('\n');
                        } else if name == "td" || name == "th" {
                            out.push('\t');
                        }
                    }
                    Node::Text(t) => push_text(out, t),
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if skip_depth > 0 {
                    if node.value().is_element() {
                        skip_depth -= 1;
                    }
                    continue;
                }
                if let Node::Element(e) = node.value()
                    && BLOCK.contains(&e.name())
                {
                    out.push('\n');
                }
            }
        }
    }
}

fn push_text(out: &mut String, t: &str) {
    let mut last_space = out.ends_with([' ', '\n', '\t']);
    for c in t.chars() {
        if c.is_whitespace() && c != '\u{3000}' {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
}

/// Trims lines and drops empty ones.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let l = line.trim_matches(|c: char| c == ' ' || c == '\t');
        if !l.is_empty() {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

/// Rough nesting depth from a linear tag scan, so hostile nesting is refused before the tree
/// builder (whose scope checks are linear in depth) gets it.
fn check_depth(src: &str, max: usize) -> Result<(), EngineError> {
    let b = src.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        let close = b.get(i + 1) == Some(&b'/');
        let start = if close { i + 2 } else { i + 1 };
        let mut j = start;
        while j < b.len() && b[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == start {
            i += 1;
            continue;
        }
        let name = src[start..j].to_ascii_lowercase();
        // Find the tag end to see if it self-closes.
        let end = b[j..].iter().position(|&c| c == b'>').map(|p| j + p);
        let self_closing = end.is_some_and(|e| e > 0 && b[e - 1] == b'/');
        if name == "script" || name == "style" {
            // Skip raw text.
            if !close {
                let needle = format!("</{name}");
                let rest = src[j..].to_ascii_lowercase();
                i = rest.find(&needle).map(|p| j + p).unwrap_or(b.len());
                continue;
            }
        } else if !AUTO_CLOSED.contains(&name.as_str()) && !self_closing {
            if close {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                if depth > max {
                    return Err(EngineError::TooDeep(max));
                }
            }
        }
        i = end.map(|e| e + 1).unwrap_or(b.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trs_container_and_metadata() {
        let page = r#"<html><head><title>某县2023年法治政府建设工作报告_某县人民政府</title>
<meta name="PubDate" content="2024-01-31 10:13"></head><body>
<div class="nav">首页 政务公开</div><div class="breadcrumb">当前位置：首页>通知公告</div>
<h1>某县2023年法治政府建设工作报告</h1><div class="info">发布日期：2024-01-31 来源：县司法局</div>
<div class="TRS_Editor"><p>2023年，某县深入学习贯彻习近平法治思想，扎实推进法治政府建设，取得明显成效。现将有关情况报告如下。</p>
<p>一、主要举措和成效</p><p>（一）依法全面履行政府职能。全年取消行政许可事项11项，承接下放事项17项，优化营商环境。</p>
<script>var x = "法治";</script></div><div class="footer">主办单位：某县人民政府办公室</div></body></html>"#;
        let t = extract(page, &Limits::default()).unwrap_or_default();
        assert!(t.contains("发布日期:2024-01-31 10:13"), "{t}");
        assert!(t.contains("某县2023年法治政府建设工作报告\n"), "{t}");
        assert!(t.contains("\n一、主要举措和成效\n"), "{t}");
        assert!(!t.contains("var x"), "{t}");
        assert!(!t.contains("主办单位"), "{t}");
        assert!(!t.contains("首页 政务公开"), "{t}");
    }

    #[test]
    fn deep_nesting_refused() {
        let s = "<div>".repeat(100_000) + "法治" + &"</div>".repeat(100_000);
        let e = extract(&s, &Limits::default()).err();
        assert_eq!(e.map(|e| e.code()), Some("HTML_TOO_DEEP"));
    }

    #[test]
    fn many_unclosed_paragraphs_ok() {
        let s = "<p>法治政府建设".repeat(5000);
        assert!(extract(&s, &Limits::default()).is_ok());
    }
}
