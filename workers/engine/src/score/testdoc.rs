//! A tiny stand-in parser for the scorer's unit tests: numbered headings, sentences, simple
//! figures. It lets the scoring rules be tested on hand-written text without the real parser.

use crate::model::{DecodeInfo, DocKind, Figure, Metadata, ParsedDoc, Section, Sentence};

fn numbering(line: &str) -> Option<(u8, usize)> {
    let cs: Vec<(usize, char)> = line.char_indices().collect();
    let cn = |c: char| "一二三四五六七八九十".contains(c);
    let first = cs.first()?.1;
    if cn(first) {
        let mut i = 0;
        while i < cs.len() && cn(cs[i].1) {
            i += 1;
        }
        if cs.get(i).map(|x| x.1) == Some('、') {
            return Some((1, cs[i].0 + '、'.len_utf8()));
        }
        return None;
    }
    if first == '（' || first == '(' {
        let mut i = 1;
        let mut digits = false;
        while i < cs.len() && (cn(cs[i].1) || cs[i].1.is_ascii_digit()) {
            digits |= cs[i].1.is_ascii_digit();
            i += 1;
        }
        if i > 1 && matches!(cs.get(i).map(|x| x.1), Some('）') | Some(')')) {
            return Some((if digits { 4 } else { 2 }, cs[i].0 + cs[i].1.len_utf8()));
        }
        return None;
    }
    if first.is_ascii_digit() {
        let mut i = 0;
        while i < cs.len() && cs[i].1.is_ascii_digit() {
            i += 1;
        }
        if matches!(cs.get(i).map(|x| x.1), Some('.') | Some('．') | Some('、')) {
            return Some((3, cs[i].0 + cs[i].1.len_utf8()));
        }
    }
    None
}

/// Parses plain text into a [`ParsedDoc`] good enough for scoring tests.
pub(crate) fn from_text(text: &str, year: Option<i32>) -> ParsedDoc {
    let text = text.replace('\r', "");
    let mut sections: Vec<Section> = Vec::new();
    let mut sentences: Vec<Sentence> = Vec::new();
    let mut figures: Vec<Figure> = Vec::new();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        let lstart = pos;
        pos += line.len();
        let lead = line.len() - line.trim_start().len();
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let base = lstart + lead;
        let mut body_from = 0;
        if let Some((level, nlen)) = numbering(l) {
            let rest = &l[nlen..];
            let tlen = rest.find('。').unwrap_or(rest.len());
            let title = &rest[..tlen];
            if title.chars().count() <= 40 {
                let heading = base..base + nlen + tlen;
                sections.push(Section {
                    level,
                    numbering: l[..nlen].to_string(),
                    title: title.to_string(),
                    heading: heading.clone(),
                    span: heading.start..text.len(),
                    parent: None,
                    unnumbered: false,
                });
                sentences.push(Sentence {
                    span: heading.clone(),
                    section: Some(sections.len() - 1),
                    is_heading: true,
                });
                body_from = nlen + tlen;
            }
        }
        let body = &l[body_from..];
        let mut s0 = 0;
        for (i, c) in body.char_indices() {
            if "。！？；".contains(c) {
                let end = i + c.len_utf8();
                if end > s0 {
                    sentences.push(Sentence {
                        span: base + body_from + s0..base + body_from + end,
                        section: None,
                        is_heading: false,
                    });
                }
                s0 = end;
            }
        }
        if s0 < body.len() && !body[s0..].trim().is_empty() {
            sentences.push(Sentence {
                span: base + body_from + s0..base + body_from + body.len(),
                section: None,
                is_heading: false,
            });
        }
    }
    // Spans and parents.
    let n = sections.len();
    for i in 0..n {
        let lv = sections[i].level;
        let end = sections[i + 1..]
            .iter()
            .find(|s| s.level <= lv)
            .map(|s| s.heading.start)
            .unwrap_or(text.len());
        sections[i].span.end = end;
        sections[i].parent = (0..i)
            .rev()
            .find(|j| sections[*j].level < lv && sections[*j].span.end >= end);
    }
    let mut doc = ParsedDoc {
        text: text.clone(),
        kind: DocKind::Report,
        meta: Metadata {
            year,
            ..Default::default()
        },
        sections,
        sentences,
        figures: Vec::new(),
        removed: Vec::new(),
        decode: DecodeInfo::default(),
    };
    let secs: Vec<Option<usize>> = doc
        .sentences
        .iter()
        .map(|s| s.section.or_else(|| doc.section_at(s.span.start)))
        .collect();
    for (s, sec) in doc.sentences.iter_mut().zip(secs) {
        s.section = sec;
    }
    // Figures: digits followed by a unit.
    let units = [
        "件", "次", "人", "场", "%", "项", "个", "名", "卷", "份", "家", "起",
    ];
    let cs: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < cs.len() {
        if !cs[i].1.is_ascii_digit() {
            i += 1;
            continue;
        }
        let st = i;
        while i < cs.len() && (cs[i].1.is_ascii_digit() || cs[i].1 == '.' || cs[i].1 == ',') {
            i += 1;
        }
        let mut j = i;
        if j < cs.len() && "余多".contains(cs[j].1) {
            j += 1;
        }
        if j < cs.len() && units.iter().any(|u| u.starts_with(cs[j].1)) {
            let raw: String = cs[st..i]
                .iter()
                .map(|c| c.1)
                .filter(|c| *c != ',')
                .collect();
            if let Ok(value) = raw.parse::<f64>() {
                let start = cs[st].0;
                let end = cs[j].0 + cs[j].1.len_utf8();
                let sentence = doc
                    .sentences
                    .iter()
                    .position(|s| s.span.contains(&start))
                    .unwrap_or(0);
                figures.push(Figure {
                    value,
                    unit: cs[j].1.to_string().into(),
                    span: start..end,
                    metric: None,
                    approximate: false,
                    planned: false,
                    sentence,
                });
            }
        }
        i = j.max(i);
    }
    doc.figures = figures;
    doc
}
