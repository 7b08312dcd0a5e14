//! Sentence splitting on 。！？； and line ends, and before inline 一是/二是 enumerators.

use std::ops::Range;

use crate::lines::is_cn_digit;
use crate::model::{Section, Sentence};

/// Splits `text` into sentences and assigns each its innermost section.
pub fn split(text: &str, sections: &[Section]) -> Vec<Sentence> {
    let spans = spans(text);
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let section = innermost(sections, span.start);
        // Sections are in document order (outline builds them line by line), so a heading
        // starting here is found by a binary search.
        let is_heading = sections
            .binary_search_by_key(&span.start, |s| s.heading.start)
            .is_ok();
        out.push(Sentence {
            span,
            section,
            is_heading,
        });
    }
    out
}

/// Where [`spans`] decodes: the ends of sentences and the clause marks an enumerator may follow.
static STEPS: [u8; 256] = crate::char_steps::steps_for(&[
    '\n', '。', '！', '？', '；', ';', '!', '?', ',', '，', ':', '：', '、',
]);

/// Sentence spans: split at line ends and at 。！？； (with the closing quotes after them), and
/// before an enumerator (二是) that follows a clause mark.
fn spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut start = 0usize;
    let mut marks = crate::char_steps::stops(text, &STEPS);
    while let Some((i, c)) = marks.next() {
        let next = i + c.len_utf8();
        match c {
            '\n' => {
                push(text, &mut spans, start, i);
                start = next;
            }
            '。' | '！' | '？' | '；' | ';' | '!' | '?' => {
                // Keep closing quotes/brackets with the sentence.
                let mut end = next;
                while let Some(n) = text[end..]
                    .chars()
                    .next()
                    .filter(|n| matches!(n, '”' | '’' | '」' | '』' | ')' | '）' | '"'))
                {
                    end += n.len_utf8();
                }
                push(text, &mut spans, start, end);
                start = end;
                marks.resume_at(end);
            }
            ',' | '，' | ':' | '：' | '、' if is_enumerator(&text[next..]) => {
                push(text, &mut spans, start, next);
                start = next;
            }
            _ => {}
        }
    }
    push(text, &mut spans, start, text.len());
    spans
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
        .take_while(|&c| is_cn_digit(c))
        .map(char::len_utf8)
        .sum();
    n > 0 && n <= 6 && s[n..].starts_with('是')
}

fn push(text: &str, spans: &mut Vec<Range<usize>>, start: usize, end: usize) {
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

    /// The splitter as it was written char by char, before it stepped by first bytes.
    fn reference(text: &str) -> Vec<Range<usize>> {
        let mut spans = Vec::new();
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
        spans
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        #[test]
        fn stepping_splits_as_the_char_scan(parts in proptest::collection::vec(
            proptest::sample::select(vec![
                "\n", "\r", " ", "\u{3000}", "。", "！", "？", "；", ";", "!", "?", "”", "’", "」",
                "』", ")", "）", "\"", ",", "，", ":", "：", "、", "一", "二", "十", "是", "一是",
                "十二是", "统一是", "法治", "a", "é", "😀", "\u{FEFF}",
            ]),
            0..40,
        )) {
            let text = parts.concat();
            proptest::prop_assert_eq!(spans(&text), reference(&text), "{:?}", text);
        }
    }

    #[test]
    fn no_split_inside_words() {
        let t = "统一是基础。";
        assert_eq!(split(t, &[]).len(), 1);
    }
}
