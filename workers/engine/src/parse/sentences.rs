//! Sentence splitting on 。！？； and line ends, and before inline 一是/二是 enumerators.

use crate::lines::CN_DIGITS;
use crate::model::{Section, Sentence};

/// Splits `text` into sentences and assigns each its innermost section.
pub fn split(text: &str, sections: &[Section]) -> Vec<Sentence> {
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    let mut start = 0usize;
    let mut prev: Option<char> = None;
    let mut iter = text.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        match c {
            '\n' => {
                push(text, &mut spans, start, i);
                start = i + 1;
            }
            '。' | '！' | '？' | '；' | ';' | '!' | '?' => {
                // Keep closing quotes/brackets with the sentence.
                let mut end = i + c.len_utf8();
                while let Some(&(j, n)) = iter.peek() {
                    if matches!(n, '”' | '’' | '」' | '』' | ')' | '）' | '"') {
                        end = j + n.len_utf8();
                        iter.next();
                    } else {
                        break;
                    }
                }
                push(text, &mut spans, start, end);
                start = end;
            }
            // Split before "二是" when it follows a clause boundary.
            '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
                if i > start
                    && matches!(prev, Some(',' | '，' | ':' | '：' | '、'))
                    && is_enumerator(&text[i..]) =>
            {
                push(text, &mut spans, start, i);
                start = i;
            }
            _ => {}
        }
        prev = Some(c);
    }
    push(text, &mut spans, start, text.len());

    // Innermost section by sweeping sections in order.
    let heading_starts: std::collections::HashSet<usize> =
        sections.iter().map(|s| s.heading.start).collect();
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let section = innermost(sections, span.start);
        let is_heading = heading_starts.contains(&span.start);
        out.push(Sentence {
            span,
            section,
            is_heading,
        });
    }
    out
}

fn innermost(sections: &[Section], at: usize) -> Option<usize> {
    // Sections are in document order; the last one starting at or before `at` whose span
    // contains it, walking up through parents.
    let idx = sections.partition_point(|s| s.heading.start <= at);
    let mut cur = idx.checked_sub(1)?;
    loop {
        if sections[cur].span.contains(&at) {
            return Some(cur);
        }
        cur = sections[cur].parent?;
    }
}

/// "一是", "十二是" at the start of `s`.
fn is_enumerator(s: &str) -> bool {
    let n: usize = s
        .chars()
        .take(7)
        .take_while(|&c| CN_DIGITS.contains(c))
        .map(char::len_utf8)
        .sum();
    n > 0 && n <= 6 && s[n..].starts_with('是')
}

fn push(text: &str, spans: &mut Vec<std::ops::Range<usize>>, start: usize, end: usize) {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    let (a, b) = (start + lead, end - trail);
    if a < b {
        spans.push(a..b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_punct_lines_and_enumerators() {
        let t = "主要表现在:一是决策不规范,二是执法不严;三是普法不足。\n下一步打算\n“好”。结尾";
        let s = split(t, &[]);
        let got: Vec<&str> = s.iter().map(|x| &t[x.span.clone()]).collect();
        assert_eq!(
            got,
            [
                "主要表现在:",
                "一是决策不规范,",
                "二是执法不严;",
                "三是普法不足。",
                "下一步打算",
                "“好”。",
                "结尾"
            ]
        );
    }

    #[test]
    fn no_split_inside_words() {
        let t = "统一是基础。";
        assert_eq!(split(t, &[]).len(), 1);
    }
}
