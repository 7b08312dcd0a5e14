//! Text quality: whether the text was read cleanly enough to grade. A PDF text layer cut into
//! fragments keeps every word but loses the sentences — lines wrapped mid-sentence and never
//! rejoined, figures alone on their lines — and a wrong encoding leaves replacement characters.
//! Judged on such text, a report loses its year, figures and areas and still gets a confident
//! grade; below the rule's floor it gets LOW_TEXT_QUALITY and no grade instead. Text read by
//! OCR is judged on the recogniser's mean confidence as well, and says so (TEXT_FROM_OCR).

use super::findings::Findings;
use super::text::View;
use crate::rules::TextQualityRules;
use crate::wire;

/// Sample broken lines quoted as evidence.
const EVIDENCE: usize = 3;

pub(crate) fn measure(
    v: &View<'_>,
    rules: &TextQualityRules,
    scan: Option<&crate::ScanText<'_>>,
    out: &mut Findings,
) -> wire::TextQuality {
    let text = v.text;
    // Sections are in document order: a heading line is found by a binary search.
    let is_heading = |at: usize| {
        v.doc
            .sections
            .binary_search_by_key(&at, |s| s.heading.start)
            .is_ok()
    };
    let lines: Vec<(usize, &str)> = crate::lines::lines(text)
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let mut broken = Vec::new();
    for pair in lines.windows(2) {
        let ((at, line), (_, next)) = (pair[0], pair[1]);
        // The checks that look at a line's last or first characters come first: most lines
        // end a sentence, and the others read whole lines.
        if ends_inside(line, rules)
            && continues(next)
            && !is_heading(at)
            && !table_row(line)
            && !table_row(next)
        {
            broken.push(at..at + line.len());
        }
    }
    let split = lines.iter().filter(|(_, l)| lone_figure(l)).count();
    let (chars, replacement) = char_counts(text);

    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let mut worst = share(replacement, chars) / rules.replacement_limit;
    if lines.len() >= rules.min_lines {
        worst = worst
            .max(share(broken.len(), lines.len() - 1) / rules.broken_limit)
            .max(share(split, lines.len()) / rules.split_limit);
    }
    if let Some(scan) = scan {
        // Linear in the confidence: the floor itself lands exactly on min_score.
        let doubt = (1.0 - scan.mean_confidence) / (1.0 - rules.ocr_min_confidence).max(1e-6);
        worst = worst.max(doubt * (1.0 - rules.min_score));
        out.raise(
            "TEXT_FROM_OCR",
            &[
                ("pages", scan.pages.to_string()),
                ("pages_total", scan.pages_total.to_string()),
                ("confidence", format!("{:.2}", scan.mean_confidence)),
            ],
            Vec::new(),
        );
    }
    let score = (1.0 - worst).clamp(0.0, 1.0);
    let low = score < rules.min_score;
    if low {
        let source = match scan {
            Some(s) => rules
                .source_ocr
                .replace("{confidence}", &format!("{:.2}", s.mean_confidence)),
            None => rules.source_text.clone(),
        };
        out.raise(
            "LOW_TEXT_QUALITY",
            &[
                ("quality", format!("{:.2}", score)),
                ("broken", broken.len().to_string()),
                ("split", split.to_string()),
                ("replacement", replacement.to_string()),
                ("source", source),
            ],
            broken
                .iter()
                .take(EVIDENCE)
                .map(|r| v.evidence(r.clone(), v.doc.section_at(r.start)))
                .collect(),
        );
    }
    wire::TextQuality {
        score: (score * 100.0).round() / 100.0,
        low,
        lines: count(lines.len()),
        broken_lines: count(broken.len()),
        split_figures: count(split),
        replacement_chars: count(replacement),
        chars: count(chars),
        ocr: scan.is_some(),
        ocr_confidence: scan.map_or(0.0, |s| (s.mean_confidence * 100.0).round() / 100.0),
        ocr_pages: scan.map_or(0, |s| i32::try_from(s.pages).unwrap_or(i32::MAX)),
        ocr_pages_total: scan.map_or(0, |s| i32::try_from(s.pages_total).unwrap_or(i32::MAX)),
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The line stops in the middle of a sentence: on a word, a figure or a comma.
fn ends_inside(line: &str, rules: &TextQualityRules) -> bool {
    match line.trim_end().chars().last() {
        Some(c) => {
            !rules.line_ends.contains(c) && (c.is_alphanumeric() || matches!(c, '，' | '、' | ','))
        }
        None => false,
    }
}

/// The next line carries on (a word or figure), rather than opening a numbered item.
fn continues(next: &str) -> bool {
    let t = next.trim_start();
    let Some(first) = t.chars().next() else {
        return false;
    };
    if !first.is_alphanumeric() {
        return false;
    }
    // 一、 二、 … and 1. 1、 2． open an item.
    let lead: String = t.chars().take_while(|c| is_numeral(*c)).collect();
    let after = t[lead.len()..].chars().next();
    !(!lead.is_empty() && lead.chars().count() <= 3 && matches!(after, Some('、' | '.' | '．')))
}

/// Table rows (cells joined by `|` or tabs, as the decoders and plain-text tables write them)
/// end without punctuation by nature.
fn table_row(line: &str) -> bool {
    // ASCII bytes are never part of another character: no need to decode.
    line.bytes().any(|b| b == b'|' || b == b'\t')
}

fn is_numeral(c: char) -> bool {
    c.is_ascii_digit() || "一二三四五六七八九十".contains(c)
}

/// A line holding nothing but a figure: digits with their separators and signs.
fn lone_figure(line: &str) -> bool {
    let t = line.trim();
    // `all` first: it stops at the first word of a text line, where `any` would read it all.
    t.chars()
        .all(|c| c.is_ascii_digit() || ".,%+-—–~/:．，％".contains(c) || c.is_whitespace())
        && t.chars().any(|c| c.is_ascii_digit())
}

/// Non-whitespace and unreadable characters, counted from bytes without decoding: characters
/// are the bytes that start one; the whitespace and unreadable ones are recognised by their
/// first one to three bytes. Each test is a compare on bytes at fixed distances, so the loops
/// vectorize (decoding the punctuation and ASCII between ideographs was most of the step).
fn char_counts(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    // Each byte with the two after it; the last two bytes with zeros after them.
    let main = b.len().saturating_sub(2);
    let (x0, x1, x2) = (
        b.get(..main).unwrap_or_default(),
        b.get(1..main + 1).unwrap_or_default(),
        b.get(2..main + 2).unwrap_or_default(),
    );
    let (mut chars, mut replacement) = (0usize, 0usize);
    // 64 positions at a time into byte-sized counts (they cannot pass 64).
    for ((a, m), z) in x0.chunks(64).zip(x1.chunks(64)).zip(x2.chunks(64)) {
        let (mut starts, mut blank, mut bad) = (0u8, 0u8, 0u8);
        for ((&c0, &c1), &c2) in a.iter().zip(m).zip(z) {
            let (ws, unread) = classify(c0, c1, c2);
            starts = starts.wrapping_add(u8::from((c0 as i8) >= -0x40));
            blank = blank.wrapping_add(u8::from(ws));
            bad = bad.wrapping_add(u8::from(unread));
        }
        chars += usize::from(starts) - usize::from(blank);
        replacement += usize::from(bad);
    }
    for k in main..b.len() {
        let c0 = b[k];
        let c1 = b.get(k + 1).copied().unwrap_or(0);
        let (ws, unread) = classify(c0, c1, 0);
        chars += usize::from((c0 as i8) >= -0x40) - usize::from(ws);
        replacement += usize::from(unread);
    }
    (chars, replacement)
}

/// Whether the character starting with bytes `c0 c1 c2` is whitespace, and whether it is
/// unreadable (U+FFFD, private use, a control character other than \n \t \r); both false for a
/// byte that starts no character. Branch-free.
#[inline(always)]
fn classify(c0: u8, c1: u8, c2: u8) -> (bool, bool) {
    // ASCII: \t..\r and space are whitespace; other C0 controls but \t \n \r, and DEL, unreadable.
    let ascii_ws = (c0.wrapping_sub(0x09) < 5) | (c0 == b' ');
    let ascii_bad = ((c0 < 0x20) & (c0 != b'\t') & (c0 != b'\n') & (c0 != b'\r')) | (c0 == 0x7F);
    // U+0080–U+00BF: U+0085 and U+00A0 are whitespace; U+0080–U+009F (C1) unreadable.
    let c2_lead = c0 == 0xC2;
    let latin_ws = c2_lead & ((c1 == 0x85) | (c1 == 0xA0));
    let latin_bad = c2_lead & (c1 < 0xA0);
    // U+1680; U+2000–U+200A, U+2028, U+2029, U+202F (E2 80 ..); U+205F (E2 81 9F); U+3000.
    let ogham = (c0 == 0xE1) & (c1 == 0x9A) & (c2 == 0x80);
    let e2_80 = (c0 == 0xE2) & (c1 == 0x80);
    let punct_ws = e2_80 & ((c2 <= 0x8A) | (c2 == 0xA8) | (c2 == 0xA9) | (c2 == 0xAF));
    let math_space = (c0 == 0xE2) & (c1 == 0x81) & (c2 == 0x9F);
    let ideographic = (c0 == 0xE3) & (c1 == 0x80) & (c2 == 0x80);
    // U+E000–U+F8FF (private use: EE .., EF 80–A3 ..) and U+FFFD (EF BF BD).
    let private = (c0 == 0xEE) | ((c0 == 0xEF) & (c1 <= 0xA3));
    let fffd = (c0 == 0xEF) & (c1 == 0xBF) & (c2 == 0xBD);
    (
        ascii_ws | latin_ws | ogham | punct_ws | math_space | ideographic,
        ascii_bad | latin_bad | private | fffd,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unreadable, char by char: what [`classify`] recognises from bytes.
    fn unreadable(c: char) -> bool {
        c == '\u{FFFD}'
            || ('\u{E000}'..='\u{F8FF}').contains(&c)
            || (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
    }

    fn rules() -> &'static TextQualityRules {
        &crate::rules::rules().expect("rules").text_quality
    }

    #[test]
    fn a_wrapped_line_is_broken_and_a_sentence_end_or_an_item_is_not() {
        let r = rules();
        assert!(ends_inside("园区企业开办实现", r));
        assert!(ends_inside("全年新增市场主体1380户，", r));
        assert!(!ends_inside("全年新增市场主体1380户。", r));
        assert!(!ends_inside("", r));
        assert!(continues("个工作日办结"));
        assert!(continues("2026年工作安排"), "a year opens no item");
        assert!(!continues("二、存在的不足"));
        assert!(!continues("3.严格规范园区执法"));
        assert!(!continues("（一）持续优化"));
    }

    #[test]
    fn char_counts_match_a_char_by_char_count() {
        fn reference(text: &str) -> (usize, usize) {
            let chars = text.chars().filter(|c| !c.is_whitespace()).count();
            (chars, text.chars().filter(|&c| unreadable(c)).count())
        }
        let all: String = (0u32..=0x10FFFF).filter_map(char::from_u32).collect();
        assert_eq!(char_counts(&all), reference(&all));
        for t in [
            "",
            "法治 政府\u{3000}建设\u{FFFD}\u{E123}\u{7}\n",
            "\u{3FFF}\u{4000}\u{9FFF}\u{A000}",
        ] {
            assert_eq!(char_counts(t), reference(t), "{t:?}");
        }
    }

    #[test]
    fn lone_figures_and_unreadable_characters() {
        assert!(lone_figure("96.7%"));
        assert!(lone_figure(" 1380 "));
        assert!(lone_figure("1."));
        assert!(!lone_figure("2025年3月28日"));
        assert!(!lone_figure("—"));
        assert!(unreadable('\u{FFFD}') && unreadable('\u{E123}') && unreadable('\u{7}'));
        assert!(!unreadable('法') && !unreadable('\n'));
    }
}
