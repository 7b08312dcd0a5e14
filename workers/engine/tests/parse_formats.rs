//! Each format and encoding round-tripped from an example report gives the same metadata and outline.

use fazhi_engine::model::ParsedDoc;
use fazhi_engine::{Hints, Limits, Submission};
use std::io::Write;

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

/// A county report from the project's examples, as plain UTF-8 text.
fn seed_text() -> String {
    std::fs::read_to_string(corpus::examples_dir().join("2024-county-wangchuan.txt"))
        .expect("example")
}

fn parse(bytes: &[u8], media_type: &str, charset: &str) -> ParsedDoc {
    try_parse(bytes, media_type, charset).unwrap_or_else(|e| panic!("{media_type}: {e}"))
}

fn try_parse(
    bytes: &[u8],
    media_type: &str,
    charset: &str,
) -> Result<ParsedDoc, fazhi_engine::EngineError> {
    let hints = Hints::default();
    let sub = Submission {
        content: bytes,
        media_type,
        filename: "",
        charset,
        hints: &hints,
        checklist_id: None,
    };
    fazhi_engine::parse(&sub, &Limits::default())
}

fn key(doc: &ParsedDoc) -> (Option<i32>, Option<String>, Option<&str>, Option<String>) {
    (
        doc.meta.year,
        doc.meta.issuer.clone(),
        doc.meta.level.map(|l| l.as_str()),
        doc.meta.published_date.map(|d| d.0.to_string()),
    )
}

fn titles(doc: &ParsedDoc) -> Vec<String> {
    doc.sections.iter().map(|s| s.title.clone()).collect()
}

fn reference() -> ParsedDoc {
    let doc = parse(seed_text().as_bytes(), "text/plain", "");
    assert_eq!(
        key(&doc),
        (
            Some(2024),
            Some("望川县人民政府".to_string()),
            Some("county"),
            Some("2025-02-26".to_string())
        )
    );
    assert!(titles(&doc).len() >= 5);
    doc
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A CMS-style page: breadcrumb, title and date outside the TRS_Editor body, footer after.
fn html_page(charset: &str) -> String {
    let text = seed_text();
    let lines: Vec<&str> = text.lines().collect();
    let mut s = format!(
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset={charset}\"><title>{}_赣州市人民政府</title></head><body>\n",
        escape(lines[1])
    );
    s.push_str("<div class=\"nav\"><a href=\"/\">首页</a> <a>政务公开</a></div>\n");
    s.push_str(&format!(
        "<div class=\"breadcrumb\">{}</div>\n",
        escape(lines[0])
    ));
    s.push_str(&format!(
        "<h1 class=\"title\">{}</h1>\n<div class=\"info\">{}</div>\n",
        escape(lines[1]),
        escape(lines[2])
    ));
    s.push_str("<div class=\"TRS_Editor\">\n");
    for l in &lines[3..] {
        if !l.trim().is_empty() {
            s.push_str(&format!(
                "<p style=\"text-indent:2em\">{}</p>\n",
                escape(l.trim())
            ));
        }
    }
    s.push_str("</div><script>var a='法治';</script><div class=\"footer\">主办单位:赣州市人民政府办公室 网站标识码:3607000001</div></body></html>");
    s
}

#[test]
fn gbk_html_page() {
    let r = reference();
    let page = html_page("gbk");
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&page);
    assert!(!unmappable);
    // Declared by the meta tag only.
    let doc = parse(&bytes, "", "");
    assert_eq!(doc.decode.media_type, "text/html");
    assert_eq!(doc.decode.encoding, "gbk");
    assert_eq!(key(&doc), key(&r));
    assert_eq!(titles(&doc), titles(&r));
    assert!(!doc.text.contains("var a"));
    // Declared through the media type parameter.
    let doc = parse(&bytes, "text/html; charset=GB2312", "");
    assert_eq!(key(&doc), key(&r));
}

#[test]
fn gbk_plain_text_detected() {
    let r = reference();
    let text = seed_text();
    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
    let doc = parse(&bytes, "", "");
    assert_eq!(doc.decode.encoding, "gbk");
    assert_eq!(doc.decode.encoding_source, "detected");
    assert_eq!(key(&doc), key(&r));
    assert_eq!(titles(&doc), titles(&r));
}

#[test]
fn big5_html_page() {
    let r = reference();
    // Characters Big5 lacks become numeric references, which the HTML parser resolves.
    let page = html_page("big5");
    let (bytes, _, _) = encoding_rs::BIG5.encode(&page);
    let doc = parse(&bytes, "text/html", "");
    assert_eq!(doc.decode.encoding, "big5");
    assert_eq!(key(&doc), key(&r));
    assert_eq!(titles(&doc), titles(&r));
}

#[test]
fn big5_traditional_text() {
    let t = "羅源縣人民政府關於2023年法治政府建設工作情況的報告\n\
福州市人民政府:\n\
2023年，羅源縣依法行政和法治政府建設工作以實施《法治政府建設實施綱要》為主線，全面深化依法行政，現將有關情況報告如下：\n\
一、堅持和加強黨的領導，提升法治政府建設水平\n\
（一）加強黨對法治政府建設的領導。縣委、縣政府始終堅持高位推進法治羅源建設，將法治建設工作作為重要舉措。\n\
二、存在的不足\n\
部分單位法治意識不強，執法人員素質有待提高，行政執法規範化水平需要進一步提升，今後將繼續加強。\n\
三、下一步工作安排\n\
全面推進依法行政，加強行政執法隊伍建設，深化普法宣傳教育，推動法治政府建設再上新台階。\n\
羅源縣人民政府\n\
2023年12月28日\n";
    let (bytes, _, unmappable) = encoding_rs::BIG5.encode(t);
    assert!(!unmappable);
    let doc = parse(&bytes, "", "");
    assert_eq!(doc.decode.encoding, "big5");
    assert_eq!(doc.meta.year, Some(2023));
    assert_eq!(doc.meta.level.map(|l| l.as_str()), Some("county"));
    assert_eq!(
        doc.meta.published_date.map(|d| d.0.to_string()).as_deref(),
        Some("2023-12-28")
    );
    let levels: Vec<u8> = doc.sections.iter().map(|s| s.level).collect();
    assert_eq!(levels, [1, 2, 1, 1]);
}

#[test]
fn utf16_bom() {
    let r = reference();
    let text = seed_text();
    for le in [true, false] {
        let mut bytes = if le {
            vec![0xFF, 0xFE]
        } else {
            vec![0xFE, 0xFF]
        };
        for u in text.encode_utf16() {
            let b = if le { u.to_le_bytes() } else { u.to_be_bytes() };
            bytes.extend_from_slice(&b);
        }
        let doc = parse(&bytes, "", "");
        assert_eq!(doc.decode.encoding_source, "bom");
        assert_eq!(key(&doc), key(&r));
        assert_eq!(titles(&doc), titles(&r));
    }
}

#[test]
fn utf8_bom_and_crlf() {
    let r = reference();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(seed_text().replace('\n', "\r\n").as_bytes());
    let doc = parse(&bytes, "text/plain; charset=utf-8", "");
    assert_eq!(key(&doc), key(&r));
    assert_eq!(titles(&doc), titles(&r));
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Builds a DOCX whose 一、/（一） headings are Word auto-numbering, not text.
pub fn build_docx(text: &str) -> Vec<u8> {
    let mut body = String::new();
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let cn = "一二三四五六七八九十";
        let (num, rest) = if let Some(p) = l
            .find('、')
            .filter(|&p| p > 0 && l[..p].chars().all(|c| cn.contains(c)))
        {
            (Some(0), &l[p + '、'.len_utf8()..])
        } else if (l.starts_with('(') || l.starts_with('（'))
            && let Some(p) = l.find([')', '）'])
            && l[l.chars().next().map(char::len_utf8).unwrap_or(1)..p]
                .chars()
                .all(|c| cn.contains(c))
        {
            let close = l[p..].chars().next().map(char::len_utf8).unwrap_or(1);
            (Some(1), &l[p + close..])
        } else {
            (None, l)
        };
        body.push_str("<w:p>");
        if let Some(lvl) = num {
            body.push_str(&format!(
                "<w:pPr><w:pStyle w:val=\"ListParagraph\"/><w:numPr><w:ilvl w:val=\"{lvl}\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr>"
            ));
        }
        // Split the text over two runs, one inside a hyperlink, to exercise run handling.
        let mid = rest
            .char_indices()
            .nth(rest.chars().count() / 2)
            .map(|x| x.0)
            .unwrap_or(0);
        body.push_str(&format!(
            "<w:r><w:rPr><w:rFonts w:hint=\"eastAsia\"/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r><w:hyperlink r:id=\"rId9\"><w:r><w:t>{}</w:t></w:r></w:hyperlink>",
            xml_escape(&rest[..mid]),
            xml_escape(&rest[mid..])
        ));
        body.push_str("</w:p>\n");
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><w:body>{body}<w:sectPr/></w:body></w:document>"
    );
    let numbering = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:numbering xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
<w:abstractNum w:abstractNumId=\"0\"><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/><w:numFmt w:val=\"chineseCounting\"/><w:lvlText w:val=\"%1、\"/></w:lvl>\
<w:lvl w:ilvl=\"1\"><w:start w:val=\"1\"/><w:numFmt w:val=\"chineseCounting\"/><w:lvlText w:val=\"（%2）\"/></w:lvl></w:abstractNum>\
<w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num></w:numbering>";
    let content_types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>";
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in [
            ("[Content_Types].xml", content_types),
            ("word/numbering.xml", numbering),
            ("word/document.xml", document.as_str()),
        ] {
            zip.start_file(name, opts).expect("start");
            zip.write_all(data.as_bytes()).expect("write");
        }
        zip.finish().expect("finish");
    }
    buf.into_inner()
}

#[test]
fn docx_with_auto_numbering() {
    let r = reference();
    let bytes = build_docx(&seed_text());
    let doc = parse(
        &bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "",
    );
    assert_eq!(key(&doc), key(&r));
    assert_eq!(titles(&doc), titles(&r));
    let nums: Vec<&str> = doc
        .sections
        .iter()
        .filter(|s| !s.unnumbered)
        .map(|s| s.numbering.as_str())
        .collect();
    assert_eq!(nums.first().copied(), Some("一、"));
    assert!(nums.contains(&"(一)"), "{nums:?}");
    // Sniffed without a media type.
    let doc = parse(&bytes, "", "");
    assert!(doc.decode.media_type_sniffed);
    assert_eq!(key(&doc), key(&r));
}

/// Builds a PDF with a Type0/Identity-H font and a ToUnicode CMap, one text line per line.
pub fn build_pdf(text: &str) -> Vec<u8> {
    use lopdf::content::{Content, Operation};
    use lopdf::{Document, Object, Stream, dictionary};
    let mut cids: Vec<char> = Vec::new();
    let mut cid_of = |c: char| -> u16 {
        if let Some(p) = cids.iter().position(|&x| x == c) {
            (p + 1) as u16
        } else {
            cids.push(c);
            cids.len() as u16
        }
    };
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut encoded_pages: Vec<Vec<Vec<u8>>> = Vec::new();
    for chunk in lines.chunks(40) {
        let mut page = Vec::new();
        for l in chunk {
            let mut bytes = Vec::new();
            for c in l.trim().chars() {
                bytes.extend_from_slice(&cid_of(c).to_be_bytes());
            }
            page.push(bytes);
        }
        encoded_pages.push(page);
    }
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for chunk in cids.chunks(100).enumerate() {
        let (ci, chars) = chunk;
        cmap.push_str(&format!("{} beginbfchar\n", chars.len()));
        for (i, c) in chars.iter().enumerate() {
            let cid = ci * 100 + i + 1;
            let mut units = [0u16; 2];
            let enc = c.encode_utf16(&mut units);
            let hex: String = enc.iter().map(|u| format!("{u:04X}")).collect();
            cmap.push_str(&format!("<{cid:04X}> <{hex}>\n"));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let tounicode = doc.add_object(Stream::new(dictionary! {}, cmap.into_bytes()));
    let descendant = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "CIDFontType2",
        "BaseFont" => "SimSun",
        "CIDSystemInfo" => dictionary! {
            "Registry" => Object::string_literal("Adobe"),
            "Ordering" => Object::string_literal("Identity"),
            "Supplement" => 0,
        },
        "DW" => 1000,
    });
    let font = doc.add_object(dictionary! {
        "Type" => "Font",
        "Subtype" => "Type0",
        "BaseFont" => "SimSun",
        "Encoding" => "Identity-H",
        "DescendantFonts" => vec![descendant.into()],
        "ToUnicode" => tounicode,
    });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let mut kids = Vec::new();
    for page in encoded_pages {
        let mut ops = Vec::new();
        let mut y = 800;
        for bytes in page {
            ops.push(Operation::new("BT", vec![]));
            ops.push(Operation::new("Tf", vec!["F1".into(), 10.into()]));
            ops.push(Operation::new("Td", vec![20.into(), y.into()]));
            ops.push(Operation::new(
                "Tj",
                vec![Object::String(bytes, lopdf::StringFormat::Hexadecimal)],
            ));
            ops.push(Operation::new("ET", vec![]));
            y -= 19;
        }
        let content = Content { operations: ops };
        let cid = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("encode"),
        ));
        let pid = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => cid,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        });
        kids.push(pid.into());
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

#[test]
fn pdf_with_cid_font_text_layer() {
    let r = reference();
    let bytes = build_pdf(&seed_text());
    let doc = parse(&bytes, "application/pdf", "");
    assert_eq!(key(&doc), key(&r));
    assert_eq!(titles(&doc), titles(&r));
    let doc = parse(&bytes, "", "");
    assert_eq!(doc.decode.media_type, "application/pdf");
}
