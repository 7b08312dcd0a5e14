//! DOCX → lines: zip (with a decompression budget) + a quick-xml walker over document.xml,
//! resolving Word auto-numbering so headings keep their 一、/（一） prefixes.

use crate::EngineError;
use crate::Limits;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::io::{Cursor, Read};

/// Extracts paragraph text from a DOCX container.
pub fn extract(content: &[u8], limits: &Limits) -> Result<String, EngineError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(content))
        .map_err(|e| EngineError::Docx(format!("not a readable zip: {e}")))?;
    let total = limits.max_docx_uncompressed_bytes;
    let mut budget = total;
    let doc = read_part(&mut zip, "word/document.xml", &mut budget, total)?
        .ok_or_else(|| EngineError::Docx("no word/document.xml".into()))?;
    let numbering = read_part(&mut zip, "word/numbering.xml", &mut budget, total)?
        .map(|x| parse_numbering(&x))
        .unwrap_or_default();
    let styles = read_part(&mut zip, "word/styles.xml", &mut budget, total)?
        .map(|x| parse_styles(&x))
        .unwrap_or_default();
    walk_document(&doc, &numbering, &styles)
}

fn read_part(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
    budget: &mut u64,
    total: u64,
) -> Result<Option<Vec<u8>>, EngineError> {
    let limit = *budget;
    let file = match zip.by_name(name) {
        Ok(f) => f,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(EngineError::Docx(format!("{name}: {e}"))),
    };
    // Declared size first, then the actual bytes read (the header may lie).
    if file.size() > limit {
        return Err(EngineError::DecompressionLimit { limit: total });
    }
    let mut buf = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| EngineError::Docx(format!("{name}: {e}")))?;
    if buf.len() as u64 > limit {
        return Err(EngineError::DecompressionLimit { limit: total });
    }
    *budget -= buf.len() as u64;
    Ok(Some(buf))
}

#[derive(Debug, Clone, Default)]
struct Level {
    fmt: String,
    text: String,
    start: u32,
}

#[derive(Debug, Default)]
struct Numbering {
    /// numId → abstractNumId.
    nums: HashMap<String, String>,
    /// abstractNumId → ilvl → level.
    abstracts: HashMap<String, HashMap<u32, Level>>,
}

fn attr(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == key)
        .map(|a| a.value.to_string())
}

fn parse_numbering(xml: &[u8]) -> Numbering {
    let mut n = Numbering::default();
    let mut r = Reader::from_reader(xml);
    let mut cur_abs: Option<String> = None;
    let mut cur_lvl: Option<u32> = None;
    let mut cur_num: Option<String> = None;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                "w:abstractNum" => cur_abs = attr(&e, "w:abstractNumId"),
                "w:lvl" => {
                    cur_lvl = attr(&e, "w:ilvl").and_then(|v| v.parse().ok());
                    if let (Some(a), Some(l)) = (&cur_abs, cur_lvl) {
                        n.abstracts.entry(a.clone()).or_default().insert(
                            l,
                            Level {
                                start: 1,
                                ..Default::default()
                            },
                        );
                    }
                }
                "w:start" | "w:numFmt" | "w:lvlText" => {
                    if let (Some(a), Some(l)) = (&cur_abs, cur_lvl)
                        && let Some(v) = attr(&e, "w:val")
                        && let Some(lv) = n.abstracts.get_mut(a).and_then(|m| m.get_mut(&l))
                    {
                        match e.name().as_ref() {
                            "w:start" => lv.start = v.parse().unwrap_or(1),
                            "w:numFmt" => lv.fmt = v,
                            _ => lv.text = v,
                        }
                    }
                }
                "w:num" => cur_num = attr(&e, "w:numId"),
                "w:abstractNumId" => {
                    if let (Some(num), Some(v)) = (&cur_num, attr(&e, "w:val")) {
                        n.nums.insert(num.clone(), v);
                    }
                }
                _ => {}
            },
            Ok(Event::End(e)) => match e.name().as_ref() {
                "w:abstractNum" => cur_abs = None,
                "w:lvl" => cur_lvl = None,
                "w:num" => cur_num = None,
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    n
}

/// styleId → (numId, ilvl) for styles carrying numbering.
fn parse_styles(xml: &[u8]) -> HashMap<String, (String, u32)> {
    let mut out = HashMap::new();
    let mut r = Reader::from_reader(xml);
    let mut cur: Option<String> = None;
    let mut num: Option<String> = None;
    let mut ilvl = 0u32;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.name().as_ref() {
                "w:style" => {
                    cur = attr(&e, "w:styleId");
                    num = None;
                    ilvl = 0;
                }
                "w:numId" => num = attr(&e, "w:val"),
                "w:ilvl" => ilvl = attr(&e, "w:val").and_then(|v| v.parse().ok()).unwrap_or(0),
                _ => {}
            },
            Ok(Event::End(e)) if e.name().as_ref() == "w:style" => {
                if let (Some(c), Some(n)) = (cur.take(), num.take()) {
                    out.insert(c, (n, ilvl));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn chinese_number(n: u32) -> String {
    const D: [char; 10] = ['零', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    match n {
        0..=9 => D[n as usize].to_string(),
        10..=19 => format!(
            "十{}",
            if n == 10 {
                String::new()
            } else {
                D[(n % 10) as usize].to_string()
            }
        ),
        20..=99 => format!(
            "{}十{}",
            D[(n / 10) as usize],
            if n.is_multiple_of(10) {
                String::new()
            } else {
                D[(n % 10) as usize].to_string()
            }
        ),
        _ => n.to_string(),
    }
}

fn format_counter(fmt: &str, n: u32) -> String {
    match fmt {
        "chineseCounting"
        | "chineseCountingThousand"
        | "ideographTraditional"
        | "taiwaneseCounting"
        | "chineseLegalSimplified"
        | "ideographDigital" => chinese_number(n),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            char::from_u32(0x2460 + n - 1)
                .map(String::from)
                .unwrap_or_default()
        }
        "lowerLetter" => char::from_u32('a' as u32 + (n - 1) % 26)
            .map(String::from)
            .unwrap_or_default(),
        "upperLetter" => char::from_u32('A' as u32 + (n - 1) % 26)
            .map(String::from)
            .unwrap_or_default(),
        "bullet" | "none" => String::new(),
        _ => n.to_string(),
    }
}

#[derive(Default)]
struct Para {
    text: String,
    num_id: Option<String>,
    ilvl: Option<u32>,
    style: Option<String>,
}

fn walk_document(
    xml: &[u8],
    numbering: &Numbering,
    styles: &HashMap<String, (String, u32)>,
) -> Result<String, EngineError> {
    let mut r = Reader::from_reader(xml);
    let mut out = String::new();
    let mut para = Para::default();
    let mut in_t = false;
    let mut del_depth = 0usize;
    // Field state stack: true while inside the field code (before `separate`).
    let mut fields: Vec<bool> = Vec::new();
    let mut counters: HashMap<(String, u32), u32> = HashMap::new();
    let mut in_ppr = false;
    // Tables in reading order: a row is one line, its cells joined by " | " (as the other
    // decoders write tables); per nesting level, the open row's cells and the open cell's text.
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut cells: Vec<String> = Vec::new();
    loop {
        let ev = r
            .read_event()
            .map_err(|e| EngineError::Docx(format!("document.xml: {e}")))?;
        let in_code = fields.last().copied().unwrap_or(false);
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(ev, Event::Empty(_));
                match e.name().as_ref() {
                    "w:p" => {
                        para = Para::default();
                        if empty {
                            emit(&mut out, &mut cells, "");
                        }
                    }
                    "w:pPr" => in_ppr = !empty,
                    "w:tr" if !empty => rows.push(Vec::new()),
                    "w:tc" if !empty => cells.push(String::new()),
                    "w:pStyle" if in_ppr => para.style = attr(e, "w:val"),
                    "w:numId" if in_ppr => para.num_id = attr(e, "w:val"),
                    "w:ilvl" if in_ppr => para.ilvl = attr(e, "w:val").and_then(|v| v.parse().ok()),
                    "w:t" if !empty => in_t = true,
                    "w:del" | "w:moveFrom" if !empty => del_depth += 1,
                    "w:tab" if del_depth == 0 && !in_ppr => para.text.push('\t'),
                    "w:br" | "w:cr" if del_depth == 0 => para.text.push('\n'),
                    "w:fldChar" => match attr(e, "w:fldCharType").as_deref() {
                        Some("begin") => fields.push(true),
                        Some("separate") => {
                            if let Some(f) = fields.last_mut() {
                                *f = false;
                            }
                        }
                        Some("end") => {
                            fields.pop();
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
            Event::End(ref e) => match e.name().as_ref() {
                "w:t" => in_t = false,
                "w:pPr" => in_ppr = false,
                "w:del" | "w:moveFrom" => del_depth = del_depth.saturating_sub(1),
                "w:p" => {
                    let prefix = number_prefix(&para, numbering, styles, &mut counters);
                    let body = std::mem::take(&mut para.text);
                    let mut line = String::new();
                    if !prefix.is_empty() && !body.trim_start().starts_with(&prefix) {
                        line.push_str(&prefix);
                    }
                    line.push_str(&body);
                    emit(&mut out, &mut cells, &line);
                }
                "w:tc" => {
                    if let (Some(cell), Some(row)) = (cells.pop(), rows.last_mut()) {
                        row.push(cell.trim().to_string());
                    }
                }
                "w:tr" => {
                    if let Some(row) = rows.pop() {
                        emit(&mut out, &mut cells, &row.join(" | "));
                    }
                }
                _ => {}
            },
            Event::Text(ref t) if in_t && del_depth == 0 && !in_code => {
                para.text.push_str(&t.xml10_content());
            }
            Event::GeneralRef(ref g) if in_t && del_depth == 0 && !in_code => {
                let name = g.xml10_content();
                if let Some(c) = resolve_entity(&name) {
                    para.text.push(c);
                }
            }
            Event::CData(ref c) if in_t && del_depth == 0 && !in_code => {
                para.text.push_str(&c.xml10_content());
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// A finished paragraph or table row: into the open table cell (paragraphs of one cell joined by
/// a space), else a line of the text.
fn emit(out: &mut String, cells: &mut [String], line: &str) {
    match cells.last_mut() {
        Some(cell) => {
            if !cell.is_empty() && !line.trim().is_empty() {
                cell.push(' ');
            }
            cell.push_str(line.trim());
        }
        None => {
            out.push_str(line);
            out.push('\n');
        }
    }
}

fn resolve_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let n = name.strip_prefix('#')?;
            let v = if let Some(h) = n.strip_prefix('x').or_else(|| n.strip_prefix('X')) {
                u32::from_str_radix(h, 16).ok()?
            } else {
                n.parse().ok()?
            };
            char::from_u32(v)
        }
    }
}

fn number_prefix(
    para: &Para,
    numbering: &Numbering,
    styles: &HashMap<String, (String, u32)>,
    counters: &mut HashMap<(String, u32), u32>,
) -> String {
    let (num_id, ilvl) = match (&para.num_id, para.ilvl) {
        (Some(n), l) => (n.clone(), l.unwrap_or(0)),
        (None, _) => match para.style.as_ref().and_then(|s| styles.get(s)) {
            Some((n, l)) => (n.clone(), para.ilvl.unwrap_or(*l)),
            None => return String::new(),
        },
    };
    if num_id == "0" || para.text.trim().is_empty() {
        return String::new();
    }
    let Some(levels) = numbering
        .nums
        .get(&num_id)
        .and_then(|a| numbering.abstracts.get(a))
    else {
        return String::new();
    };
    let Some(level) = levels.get(&ilvl) else {
        return String::new();
    };
    // Bump this level, reset deeper ones.
    let start = level.start;
    let c = counters
        .entry((num_id.clone(), ilvl))
        .or_insert(start.saturating_sub(1));
    *c += 1;
    let cur = *c;
    counters.retain(|(n, l), _| !(n == &num_id && *l > ilvl));
    let mut text = level.text.clone();
    for l in 0..=ilvl {
        let placeholder = format!("%{}", l + 1);
        if !text.contains(&placeholder) {
            continue;
        }
        let v = if l == ilvl {
            cur
        } else {
            counters
                .get(&(num_id.clone(), l))
                .copied()
                .unwrap_or_else(|| levels.get(&l).map(|x| x.start).unwrap_or(1))
        };
        let fmt = levels.get(&l).map(|x| x.fmt.as_str()).unwrap_or("decimal");
        text = text.replace(&placeholder, &format_counter(fmt, v));
    }
    if level.fmt == "bullet" {
        return String::new();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(chinese_number(1), "一");
        assert_eq!(chinese_number(10), "十");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(23), "二十三");
    }

    #[test]
    fn walker_handles_runs_fields_and_revisions() {
        let xml = r#"<w:document><w:body>
<w:p><w:r><w:t>一、主要</w:t></w:r><w:hyperlink><w:r><w:t>举措</w:t></w:r></w:hyperlink></w:p>
<w:p><w:ins><w:r><w:t>保留</w:t></w:r></w:ins><w:del><w:r><w:delText>删除</w:delText><w:t>删</w:t></w:r></w:del></w:p>
<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instText>HYPERLINK "x"</w:instText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>结果&amp;</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p><w:p><w:r><w:t>丙</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:p><w:r><w:t>出庭应诉率</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>96.5%</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl>
<w:sdt><w:sdtContent><w:p><w:r><w:t>控件</w:t><w:tab/><w:t>文本</w:t></w:r></w:p></w:sdtContent></w:sdt>
</w:body></w:document>"#;
        let t = walk_document(xml.as_bytes(), &Numbering::default(), &HashMap::new())
            .unwrap_or_default();
        assert!(t.contains("一、主要举措\n"), "{t}");
        assert!(t.contains("保留\n"), "{t}");
        assert!(!t.contains('删'), "{t}");
        assert!(t.contains("结果&\n") && !t.contains("HYPERLINK"), "{t}");
        // A table row is one line in reading order; a cell's paragraphs and a nested table stay
        // inside their cell.
        assert!(t.contains("甲 | 乙 丙\n"), "{t}");
        assert!(t.contains("\n出庭应诉率 | 96.5% |\n"), "{t}");
        assert!(t.contains("控件\t文本"), "{t}");
    }

    #[test]
    fn auto_numbering_resolved() {
        let numbering = r#"<w:numbering><w:abstractNum w:abstractNumId="0">
<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
</w:abstractNum><w:num w:numId="3"><w:abstractNumId w:val="0"/></w:num></w:numbering>"#;
        let n = parse_numbering(numbering.as_bytes());
        let p = |lvl: u32, t: &str| {
            format!(
                r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="3"/></w:numPr></w:pPr><w:r><w:t>{t}</w:t></w:r></w:p>"#
            )
        };
        let xml = format!(
            "<w:document><w:body>{}{}{}{}</w:body></w:document>",
            p(0, "主要举措"),
            p(1, "依法履职"),
            p(1, "依法决策"),
            p(0, "存在的不足")
        );
        let t = walk_document(xml.as_bytes(), &n, &HashMap::new()).unwrap_or_default();
        assert_eq!(
            t,
            "一、主要举措\n（一）依法履职\n（二）依法决策\n二、存在的不足\n"
        );
    }
}
