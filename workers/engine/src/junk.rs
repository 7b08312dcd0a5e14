//! Page furniture removal: breadcrumbs, widgets, footers, metadata blocks. Removed lines are kept
//! (with a kind) because some carry the publication date or the issuer. The words each kind is
//! recognised by are `[junk]` in `checklists/parse-rules.toml`; the line-length bounds are here.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::model::RemovedLine;
use crate::wording::{JunkWords, contains_any, starts_any, wording};

/// The `[junk]` words looked for anywhere in a line, compiled once: a substring search per
/// word and line was most of the classification's cost. `None` (the words did not compile)
/// falls back to those searches, with the same answers.
struct Searchers {
    qrcode: AhoCorasick,
    footer: AhoCorasick,
    /// `来源:` and `来源 `, built once rather than per line.
    source_colon: String,
    source_space: String,
    /// The first characters of the prefix words, sorted: a line opening with none of them (most
    /// lines) is tried against no prefix list. `None` when a prefix word is empty.
    prefix_firsts: Option<Vec<char>>,
    /// The same for the widget tokens, which a widget line opens with.
    widget_firsts: Option<Vec<char>>,
}

impl Searchers {
    fn new(w: &JunkWords) -> Option<Self> {
        Some(Self {
            qrcode: any_of(&w.qrcode_words)?,
            footer: any_of(&w.footer_words)?,
            source_colon: format!("{}:", w.source_label),
            source_space: format!("{} ", w.source_label),
            prefix_firsts: first_chars(prefix_lists(w).into_iter().flatten()),
            widget_firsts: first_chars(&w.widget_tokens),
        })
    }
}

/// Whether `line` may open with one of the words whose first characters are `firsts`.
fn may_open(firsts: Option<&[char]>, line: &str) -> bool {
    match (firsts, line.chars().next()) {
        (None, _) => true,
        (Some(firsts), Some(c)) => firsts.binary_search(&c).is_ok(),
        (Some(_), None) => false,
    }
}

/// Every list [`classify_with`] tries as line prefixes.
fn prefix_lists(w: &JunkWords) -> [&[String]; 6] {
    [
        &w.breadcrumb_prefixes,
        &w.qrcode_prefixes,
        &w.related_prefixes,
        &w.keyword_prefixes,
        &w.attachment_prefixes,
        &w.metadata_prefixes,
    ]
}

fn first_chars<'w>(words: impl IntoIterator<Item = &'w String>) -> Option<Vec<char>> {
    let mut firsts = words
        .into_iter()
        .map(|w| w.chars().next())
        .collect::<Option<Vec<char>>>()?;
    firsts.sort_unstable();
    firsts.dedup();
    Some(firsts)
}

/// A searcher asked only whether a line holds any of `words`, which every match kind answers
/// alike. Leftmost-first lets aho-corasick add its SIMD prefilter (Teddy), which it builds for
/// no standard-semantics searcher; without it every byte of every line took a step.
fn any_of(words: &[String]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(words)
        .ok()
}

static SEARCHERS: LazyLock<Option<Searchers>> =
    LazyLock::new(|| Searchers::new(&wording().ok()?.junk));

/// The body text (kept lines, trimmed, joined by `\n`) and the removed lines.
#[derive(Debug, Clone, Default)]
pub struct Cleaned {
    pub body: String,
    pub removed: Vec<RemovedLine>,
}

/// Classifies one line; `None` keeps it (also when the wording data failed to load, which the
/// parser reports as an error before it gets here).
pub fn classify(line: &str) -> Option<&'static str> {
    let w = &wording().ok()?.junk;
    classify_with(line, w, SEARCHERS.as_ref())
}

fn classify_with(line: &str, w: &JunkWords, searchers: Option<&Searchers>) -> Option<&'static str> {
    let l = line.trim();
    if l.is_empty() {
        return None;
    }
    // Every test below asks for at most 200 characters: counted no further than 201. A line of
    // over 804 bytes has over 201 (a character is at most 4 bytes); a shorter one is counted by
    // std's bulk count, which reads words where `take` decoded character by character (most of
    // this function's time by perf).
    let n = if l.len() > 201 * 4 {
        201
    } else {
        l.chars().count().min(201)
    };
    if l.chars()
        .all(|c| c == '|' || c == ' ' || c == '-' || c == '—' || c == '_' || c == '=')
    {
        return Some("furniture");
    }
    let prefix_first = searchers.is_none_or(|f| may_open(f.prefix_firsts.as_deref(), l));
    let opens = |words: &[String]| prefix_first && starts_any(l, words);
    if n <= 200
        && (opens(&w.breadcrumb_prefixes)
            || (l.starts_with(w.breadcrumb_home.as_str())
                && (l.contains('>') || l.contains('»') || l.contains('〉'))))
    {
        return Some("breadcrumb");
    }
    let qrcode_word = || match searchers {
        Some(f) => f.qrcode.is_match(l),
        None => contains_any(l, &w.qrcode_words),
    };
    if n <= 60 && (opens(&w.qrcode_prefixes) || qrcode_word()) {
        return Some("qrcode");
    }
    if n <= 40 && opens(&w.related_prefixes) {
        return Some("related");
    }
    if n <= 80 && opens(&w.keyword_prefixes) {
        return Some("keywords");
    }
    if n <= 40 && (opens(&w.attachment_prefixes) || w.attachment_lines.iter().any(|a| a == l)) {
        return Some("attachment");
    }
    let footer_word = || match searchers {
        Some(f) => f.footer.is_match(l),
        None => contains_any(l, &w.footer_words),
    };
    if n <= 200 && footer_word() {
        return Some("footer");
    }
    if n <= 160 && opens(&w.metadata_prefixes) {
        return Some("metadata");
    }
    // A line made only of widget tokens (字体:[大 中 小] 打印 关闭).
    if n <= 60
        && searchers.is_none_or(|f| may_open(f.widget_firsts.as_deref(), l))
        && is_widget_line(l, &w.widget_tokens)
    {
        return Some("widget");
    }
    // A news/metadata header line: date + source label on one line.
    let src = w.source_label.as_str();
    let source_label = || match searchers {
        Some(f) => l.contains(f.source_colon.as_str()) || l.contains(f.source_space.as_str()),
        None => l.contains(&format!("{src}:")) || l.contains(&format!("{src} ")),
    };
    if n <= 120 && source_label() && has_date(l) && !l.contains('。') {
        return Some("metadata");
    }
    if n <= 30 && l.starts_with(src) && !l.contains('。') {
        return Some("metadata");
    }
    None
}

fn has_date(l: &str) -> bool {
    let b = l.as_bytes();
    b.windows(5)
        .any(|w| w[..4].iter().all(u8::is_ascii_digit) && (w[4] == b'-' || w[4] == b'/'))
        || l.contains("年") && l.contains("月") && l.contains("日")
}

fn is_widget_line(l: &str, tokens: &[String]) -> bool {
    let mut rest = l;
    let mut saw_key = false;
    while !rest.is_empty() {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        // Longest token first.
        let tok = tokens
            .iter()
            .filter(|t| crate::wording::starts_with(rest, t))
            .max_by_key(|t| t.len());
        match tok {
            Some(t) => {
                if t.chars().count() >= 2 {
                    saw_key = true;
                }
                rest = &rest[t.len()..];
            }
            None => return false,
        }
    }
    saw_key
}

/// Removes furniture lines. Also drops a line that repeats an earlier line near the top
/// (the title printed twice), and the short link titles after a 相关阅读 header.
pub fn clean(text: &str) -> Cleaned {
    let mut out = Cleaned::default();
    let mut kept: Vec<&str> = Vec::new();
    let mut in_related = false;
    let mut seen = 0usize;
    // Split by the vector search of `crate::lines`; a line's trim drops a '\r' as `lines()` did.
    for (_, raw) in crate::lines::lines(text) {
        let line = raw.trim().trim_end_matches(['|', ' ']).trim();
        if line.is_empty() {
            in_related = false;
            continue;
        }
        seen += 1;
        if let Some(kind) = classify(line) {
            in_related = kind == "related";
            out.removed.push(RemovedLine {
                text: line.to_string(),
                kind,
            });
            continue;
        }
        if in_related && line.chars().nth(60).is_none() && !line.contains('。') {
            out.removed.push(RemovedLine {
                text: line.to_string(),
                kind: "related",
            });
            continue;
        }
        in_related = false;
        if seen < 12
            && line.chars().nth(80).is_none()
            && crate::lines::heading_marker(line).is_none()
            && kept.contains(&line)
        {
            out.removed.push(RemovedLine {
                text: line.to_string(),
                kind: "duplicate",
            });
            continue;
        }
        kept.push(line);
    }
    let mut body = String::with_capacity(text.len());
    for (i, l) in kept.iter().enumerate() {
        if i > 0 {
            body.push('\n');
        }
        body.push_str(l);
    }
    out.body = body;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Option<&'static str> {
        classify(&crate::normalize::fold_str(s))
    }

    #[test]
    fn compiled_searches_answer_as_the_word_by_word_ones() {
        let w = &wording().expect("wording").junk;
        let searchers = SEARCHERS.as_ref().expect("the [junk] words compile");
        let mut lines: Vec<String> = Vec::new();
        for word in w
            .qrcode_words
            .iter()
            .chain(&w.footer_words)
            .chain(std::iter::once(&w.source_label))
        {
            for (before, after) in [
                ("", ""),
                ("本站", ":"),
                ("2024-03-01 ", " 市司法局"),
                ("", "。"),
            ] {
                lines.push(format!("{before}{word}{after}"));
                lines.push(format!("{before}{word}{after}{}", "依法行政".repeat(40)));
            }
        }
        for word in prefix_lists(w)
            .into_iter()
            .flatten()
            .chain(&w.widget_tokens)
        {
            lines.push(word.clone());
            lines.push(format!("{word}:首页"));
            lines.push(format!(" {word}"));
            lines.push(format!("{word}{}", "依法行政".repeat(12)));
        }
        lines.push("发布时间:2024-03-01 来源:市司法局".into());
        lines.push("一、主要举措和成效".into());
        assert!(lines.len() > 100);
        let mut classified = 0;
        for l in &lines {
            let l = crate::normalize::fold_str(l);
            let fast = classify_with(&l, w, Some(searchers));
            assert_eq!(fast, classify_with(&l, w, None), "{l}");
            classified += usize::from(fast.is_some());
        }
        assert!(classified > 40, "only {classified} lines classified");
    }

    #[test]
    fn breadcrumbs() {
        assert_eq!(k("当前位置: 首页>蓉江资讯>通知公告"), Some("breadcrumb"));
        assert_eq!(k("当前所在位置:首页  >  政府信息公开"), Some("breadcrumb"));
        assert_eq!(k("首页 > 新闻中心 > 岚溪要闻"), Some("breadcrumb"));
    }

    #[test]
    fn widgets() {
        assert_eq!(k("字体：[大 中 小]　打印　关闭"), Some("widget"));
        assert_eq!(k("【关闭窗口】【打印本页】"), Some("widget"));
        assert_eq!(k("分享到:"), Some("widget"));
        assert_eq!(k("关闭"), Some("widget"));
        assert_eq!(k("我要写信"), Some("widget"));
        assert_eq!(k("返回顶部"), Some("widget"));
    }

    #[test]
    fn qrcode_related_keywords_counter() {
        assert_eq!(k("扫一扫在手机打开当前页"), Some("qrcode"));
        assert_eq!(k("相关文章"), Some("related"));
        assert_eq!(k("文章关键词:"), Some("keywords"));
        assert_eq!(k("附件下载:"), Some("attachment"));
        assert_eq!(k("访问量:"), Some("metadata"));
    }

    #[test]
    fn footers() {
        assert_eq!(k("主办单位:天津市滨海新区人民政府办公室"), Some("footer"));
        assert_eq!(k("网站标识码:1201160001"), Some("footer"));
        assert_eq!(
            k("澜ICP备05012345号-1　　澜公网安备99070202000123号"),
            Some("footer")
        );
    }

    #[test]
    fn metadata_blocks() {
        assert_eq!(
            k("索 引 号 FZ11100-2300-2024-00001 文号 罗政综〔2024〕2号"),
            Some("metadata")
        );
        assert_eq!(
            k("发布机构：鹤汀市沁湖区人民政府    生成日期：2023-03-28"),
            Some("metadata")
        );
        assert_eq!(k("发布时间:2024-01-09 16:09"), Some("metadata"));
        assert_eq!(
            k("日期:2021-01-11 17:07     来源:中共枣阳市委"),
            Some("metadata")
        );
        assert_eq!(
            k("2024-03-22 18:36　　来源：岚溪县融媒体中心　　记者 林晓岚"),
            Some("metadata")
        );
        assert_eq!(k("| | | |"), Some("furniture"));
    }

    #[test]
    fn body_lines_kept() {
        assert_eq!(k("一、主要举措和成效"), None);
        assert_eq!(
            k("2023年,罗源县依法行政和法治政府建设工作以实施《纲要》为主线。"),
            None
        );
        assert_eq!(k("罗源县人民政府"), None);
        assert_eq!(k("2023年12月28日"), None);
        assert_eq!(k("福州市人民政府:"), None);
        assert_eq!(k("小一些"), None);
    }

    #[test]
    fn clean_keeps_removed_and_dedups_title() {
        let t =
            "标题\n发布日期:2026-03-23\n标题\n正文。\n相关阅读\n某某会议召开(2024-01-16)\n\n结尾。";
        let c = clean(t);
        assert_eq!(c.body, "标题\n正文。\n结尾。");
        assert_eq!(c.removed.len(), 4);
        assert_eq!(c.removed[0].kind, "metadata");
    }
}
