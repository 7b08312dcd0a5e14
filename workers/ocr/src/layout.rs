//! Tesseract's lines back into the report's paragraphs. A scanned page wraps every paragraph
//! at the margin; left as lines, the text breaks sentences apart and the engine would lose
//! figures and phrases across the breaks. A line that runs to the page's right text edge
//! continues on the next one, unless the next opens a paragraph (the 公文 first-line indent,
//! or a wider gap above it than between the lines of a paragraph). The title at the head of the
//! document, set larger than the body and wrapped onto a second line, is one title again. Page
//! numbers (「— 1 —」「- 2 -」「第1页 共5页」) are dropped. Words are joined without spaces
//! except between two Latin letters or digits, or across a gap as wide as a character (fields
//! set apart on one line, as 「发布机构 某县人民政府  生成日期 2024-01-08」).

use crate::tsv::{Line, Page};

/// A line reaching within this many line heights of the right edge is full.
const FULL: f64 = 1.5;
/// A line starting this many line heights right of the left edge opens a paragraph.
const INDENT: f64 = 1.0;
/// A gap above a line this many line heights wider than the usual one opens a paragraph.
const PARAGRAPH_GAP: f64 = 0.5;
/// A gap between two words this many line heights wide separates them with a space.
const WORD_GAP: f64 = 0.8;
/// Lines this many times the body's median line height are display type (a title).
const DISPLAY: f64 = 1.15;
/// The title is looked for among the document's first lines only.
const TITLE_LINES: usize = 3;

/// The pages' text and the mean word confidence (0..1, weighted by characters).
pub fn text(pages: &[Page]) -> (String, f64) {
    let mut out = String::new();
    let (mut weighted, mut chars) = (0.0f64, 0usize);
    // Whether the previous kept line runs on into the next.
    let mut runs_on = false;
    let mut kept = 0usize;
    for page in pages {
        let body: Vec<&Line> = page.lines.iter().filter(|l| !furniture(l)).collect();
        let edges = Edges::of(&body);
        let mut above: Option<&Line> = None;
        for l in body {
            for w in &l.words {
                let n = w.text.chars().count();
                weighted += f64::from(w.confidence) * n as f64;
                chars += n;
            }
            if !out.is_empty() {
                let apart = above.is_some_and(|a| edges.apart(a, l));
                let title_wraps = kept < TITLE_LINES
                    && above.is_some_and(|a| {
                        edges.display(a) && edges.display(l) && !ends_sentence(&out)
                    });
                if (runs_on && !edges.indented(l) || title_wraps) && !apart {
                    // Joined across the wrap; a space only between two Latin words.
                    if needs_space(out.chars().last(), first_char(l)) {
                        out.push(' ');
                    }
                } else {
                    out.push('\n');
                }
            }
            push_line(&mut out, l);
            runs_on = edges.full(l);
            above = Some(l);
            kept += 1;
        }
    }
    let mean = if chars == 0 {
        0.0
    } else {
        weighted / chars as f64 / 100.0
    };
    (out, mean.clamp(0.0, 1.0))
}

struct Edges {
    left: i64,
    right: i64,
    height: f64,
    /// The median gap between a line and the next.
    gap: f64,
}

impl Edges {
    /// The body's left and right text edges (10th and 90th percentiles, so a stray mark or a
    /// seal's remains do not move them) and the median line height.
    fn of(lines: &[&Line]) -> Self {
        let pick = |mut v: Vec<i64>, q: usize| {
            v.sort_unstable();
            v.get(v.len().saturating_sub(1) * q / 10)
                .copied()
                .unwrap_or(0)
        };
        Self {
            left: pick(lines.iter().map(|l| l.left).collect(), 1),
            right: pick(lines.iter().map(|l| l.right).collect(), 9),
            height: pick(lines.iter().map(|l| l.height()).collect(), 5).max(1) as f64,
            gap: pick(
                lines
                    .windows(2)
                    .map(|w| w[1].top - w[0].bottom)
                    .filter(|g| *g >= 0)
                    .collect(),
                5,
            ) as f64,
        }
    }
    fn display(&self, l: &Line) -> bool {
        l.height() as f64 >= DISPLAY * self.height
    }
    fn apart(&self, above: &Line, l: &Line) -> bool {
        (l.top - above.bottom) as f64 > self.gap + PARAGRAPH_GAP * self.height
    }
    fn full(&self, l: &Line) -> bool {
        (self.right - l.right) as f64 <= FULL * self.height
    }
    fn indented(&self, l: &Line) -> bool {
        (l.left - self.left) as f64 >= INDENT * self.height
    }
}

fn ends_sentence(out: &str) -> bool {
    out.trim_end()
        .ends_with(['。', '！', '？', '；', '：', '.', '!', '?', ';', ':'])
}

fn first_char(l: &Line) -> Option<char> {
    l.words.first().and_then(|w| w.text.chars().next())
}

fn needs_space(a: Option<char>, b: Option<char>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
}

fn push_line(out: &mut String, l: &Line) {
    let mut last: Option<&crate::tsv::Word> = None;
    for w in &l.words {
        if let Some(prev) = last
            && (needs_space(prev.text.chars().last(), w.text.chars().next())
                || (w.left - prev.right) as f64 >= WORD_GAP * l.height() as f64)
        {
            out.push(' ');
        }
        out.push_str(&w.text);
        last = Some(w);
    }
}

/// A page number alone on its line.
fn furniture(l: &Line) -> bool {
    let s: String = l.words.iter().map(|w| w.text.as_str()).collect();
    let s = s.trim();
    let digits = s.chars().filter(char::is_ascii_digit).count();
    digits > 0
        && s.chars().count() <= 12
        && s.chars().all(|c| {
            c.is_ascii_digit()
                || matches!(c, '-' | '—' | '–' | '－' | '第' | '页' | '共' | '/' | ' ')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsv::Word;

    fn line(left: i64, right: i64, top: i64, text: &str) -> Line {
        Line {
            block: 1,
            paragraph: 1,
            left,
            top,
            right,
            bottom: top + 40,
            words: text
                .split(' ')
                .map(|t| Word {
                    text: t.into(),
                    confidence: 90.0,
                    left: 0,
                    right: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn wrapped_lines_rejoin_and_paragraphs_stay_apart() {
        let page = Page {
            width: 1654,
            height: 2339,
            lines: vec![
                line(600, 1000, 100, "某县2024年法治政府建设情况的报告"),
                line(280, 1400, 200, "一、2024年主要工作"),
                line(280, 1500, 260, "全年审查规范性文件"),
                line(200, 1500, 320, "87件，备案审查率达到"),
                line(200, 900, 380, "100%。"),
                line(280, 1500, 440, "二、存在的不足"),
                line(760, 860, 2200, "— 1 —"),
            ],
        };
        let (text, conf) = text(&[page]);
        assert_eq!(
            text,
            "某县2024年法治政府建设情况的报告\n一、2024年主要工作\n全年审查规范性文件87件，备案审查率达到100%。\n二、存在的不足"
        );
        assert!((conf - 0.9).abs() < 1e-9);
    }

    #[test]
    fn a_wider_gap_opens_a_paragraph_without_indent() {
        let page = Page {
            width: 1654,
            height: 2339,
            lines: vec![
                line(200, 1500, 100, "第一段第一行"),
                line(200, 1500, 160, "第一段第二行到边。"),
                line(200, 1500, 280, "第二段第一行"),
                line(200, 900, 340, "第二段末行。"),
            ],
        };
        assert_eq!(
            text(&[page]).0,
            "第一段第一行第一段第二行到边。\n第二段第一行第二段末行。"
        );
    }

    #[test]
    fn a_wrapped_title_in_display_type_is_one_line() {
        let mut t1 = line(230, 1480, 100, "望川县人民政府关于2024年法治政府建设情");
        let mut t2 = line(700, 1000, 170, "况的报告");
        t1.bottom = t1.top + 60;
        t2.bottom = t2.top + 60;
        let page = Page {
            width: 1654,
            height: 2339,
            lines: vec![
                t1,
                t2,
                line(280, 1500, 280, "正文第一行"),
                line(200, 1500, 340, "正文第二行"),
                line(200, 900, 400, "正文末行。"),
            ],
        };
        assert_eq!(
            text(&[page]).0,
            "望川县人民政府关于2024年法治政府建设情况的报告\n正文第一行正文第二行正文末行。"
        );
    }

    #[test]
    fn latin_words_keep_their_space() {
        let page = Page {
            width: 100,
            height: 100,
            lines: vec![line(0, 100, 0, "GDP 增长 5 %")],
        };
        assert_eq!(text(&[page]).0, "GDP增长5%");
        let page = Page {
            width: 100,
            height: 100,
            lines: vec![line(0, 100, 0, "ISO 9001")],
        };
        assert_eq!(text(&[page]).0, "ISO 9001");
    }

    #[test]
    fn a_wide_gap_keeps_fields_apart() {
        let mut l = line(200, 1500, 100, "发布机构 罗源县人民政府 生成日期");
        let xs = [(200, 400), (420, 760), (900, 1100)];
        for (w, (a, b)) in l.words.iter_mut().zip(xs) {
            (w.left, w.right) = (a, b);
        }
        let page = Page {
            width: 1654,
            height: 2339,
            lines: vec![l],
        };
        assert_eq!(text(&[page]).0, "发布机构罗源县人民政府 生成日期");
    }

    #[test]
    fn page_numbers_are_furniture() {
        for s in ["— 1 —", "- 2 -", "第1页 共5页", "3"] {
            assert!(furniture(&line(0, 10, 0, s)), "{s}");
        }
        for s in ["87件", "2024年", "一、"] {
            assert!(!furniture(&line(0, 10, 0, s)), "{s}");
        }
    }
}
