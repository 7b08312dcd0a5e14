//! Hostile inputs: each gets its error code or a documented recovery, never a panic.

use fazhi_engine::model::ParsedDoc;
use fazhi_engine::{EngineError, Hints, Limits, Submission};
use std::io::Write;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

#[path = "../../../tests/support/corpus.rs"]
mod corpus;

fn seed() -> String {
    std::fs::read_to_string(corpus::examples_dir().join("2024-county-wangchuan.txt"))
        .expect("example")
}

fn run(
    bytes: &[u8],
    media_type: &str,
    charset: &str,
    limits: &Limits,
) -> Result<ParsedDoc, EngineError> {
    let hints = Hints::default();
    let sub = Submission {
        content: bytes,
        media_type,
        filename: "",
        charset,
        hints: &hints,
        checklist_id: None,
    };
    fazhi_engine::parse(&sub, limits)
}

fn code(r: Result<ParsedDoc, EngineError>) -> &'static str {
    match r {
        Ok(_) => "OK",
        Err(e) => e.code(),
    }
}

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in parts {
            zip.start_file(*name, opts).expect("start");
            zip.write_all(data).expect("write");
        }
        zip.finish().expect("finish");
    }
    buf.into_inner()
}

fn docx_of(text: &str) -> Vec<u8> {
    let body: String = text
        .lines()
        .map(|l| {
            format!(
                "<w:p><w:r><w:t>{}</w:t></w:r></w:p>",
                l.replace('&', "&amp;").replace('<', "&lt;")
            )
        })
        .collect();
    let doc = format!("<w:document xmlns:w=\"w\"><w:body>{body}</w:body></w:document>");
    zip_of(&[("word/document.xml", doc.as_bytes())])
}

#[test]
fn truncated_docx() {
    let bytes = docx_of(&seed());
    assert_eq!(code(run(&bytes, DOCX, "", &Limits::default())), "OK");
    let cut = &bytes[..bytes.len() / 2];
    assert_eq!(code(run(cut, DOCX, "", &Limits::default())), "BROKEN_DOCX");
}

#[test]
fn docx_without_document_part() {
    let bytes = zip_of(&[("hello.txt", "法治".as_bytes())]);
    assert_eq!(code(run(&bytes, "", "", &Limits::default())), "BROKEN_DOCX");
}

#[test]
fn zip_bomb_docx() {
    // 8 MB of one repeated paragraph compresses to a few KB.
    let para = "<w:p><w:r><w:t>法治政府建设</w:t></w:r></w:p>".repeat(8 * 1024 * 1024 / 44);
    let doc = format!("<w:document><w:body>{para}</w:body></w:document>");
    let bytes = zip_of(&[("word/document.xml", doc.as_bytes())]);
    assert!(bytes.len() < 200_000);
    let limits = Limits {
        max_docx_uncompressed_bytes: 1024 * 1024,
        ..Limits::default()
    };
    assert_eq!(code(run(&bytes, DOCX, "", &limits)), "DECOMPRESSION_LIMIT");
}

fn pdf_with(content: &[u8], encrypt: bool) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let cid = doc.add_object(Stream::new(dictionary! {}, content.to_vec()));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => cid,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    if encrypt {
        let enc = doc.add_object(dictionary! {
            "Filter" => "Standard", "V" => 2, "R" => 3, "Length" => 128, "P" => -44,
            "O" => Object::String(vec![7u8; 32], lopdf::StringFormat::Hexadecimal),
            "U" => Object::String(vec![9u8; 32], lopdf::StringFormat::Hexadecimal),
        });
        doc.trailer.set("Encrypt", enc);
        doc.trailer.set(
            "ID",
            vec![
                Object::String(vec![1u8; 16], lopdf::StringFormat::Hexadecimal),
                Object::String(vec![1u8; 16], lopdf::StringFormat::Hexadecimal),
            ],
        );
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("save");
    out
}

#[test]
fn image_only_pdf() {
    // A page that only paints an image XObject: no text layer.
    let bytes = pdf_with(b"q 595 0 0 842 0 0 cm /Im1 Do Q", false);
    assert_eq!(
        code(run(&bytes, "application/pdf", "", &Limits::default())),
        "PDF_NO_TEXT"
    );
}

#[test]
fn encrypted_pdf() {
    // Recovery documented: an encrypted PDF whose password we do not have has no usable text.
    let bytes = pdf_with(b"BT /F1 12 Tf (x) Tj ET", true);
    let err = run(&bytes, "application/pdf", "", &Limits::default()).expect_err("refused");
    assert_eq!(err.code(), "PDF_NO_TEXT");
    assert!(err.to_string().contains("password"), "{err}");
}

#[test]
fn malformed_pdf() {
    let bytes = b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF garbage \x00\xff";
    assert_eq!(
        code(run(bytes, "application/pdf", "", &Limits::default())),
        "BROKEN_PDF"
    );
    assert_eq!(
        code(run(b"%PDF-", "", "", &Limits::default())),
        "BROKEN_PDF"
    );
}

#[test]
fn binary_garbage() {
    // Deterministic pseudo-random bytes.
    let mut x: u32 = 12345;
    let bytes: Vec<u8> = (0..100_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    let c = code(run(&bytes, "", "", &Limits::default()));
    assert!(c == "GARBAGE_TEXT", "{c}");
    assert_eq!(
        code(run(&[0xFF; 1000], "text/plain", "", &Limits::default())),
        "GARBAGE_TEXT"
    );
}

#[test]
fn ten_megabytes_on_one_line() {
    // With clause punctuation, and with none at all (one 10 MB sentence full of figures).
    for piece in [
        "法治政府建设取得成效，调解矛盾纠纷971件，",
        "法治政府调解矛盾纠纷971件出庭应诉率100%",
    ] {
        let line = piece.repeat(10 * 1024 * 1024 / piece.len());
        let t = std::time::Instant::now();
        let doc = run(line.as_bytes(), "", "", &Limits::default()).expect("parses");
        // Not a timing assertion (benchmarks measure speed): a bound that only quadratic
        // behaviour can exceed, even in a debug build on a loaded machine.
        assert!(t.elapsed().as_secs() < 90, "{:?}", t.elapsed());
        assert!(doc.figures.len() > 100_000);
    }
}

#[test]
fn many_heading_lines() {
    let text = "一、法治\n(一)政府\n".repeat(200_000);
    let doc = run(text.as_bytes(), "", "", &Limits::default()).expect("parses");
    assert_eq!(doc.sections.len(), 400_000);
}

#[test]
fn deeply_nested_html() {
    let page = format!(
        "<html><body>{}法治政府{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    assert_eq!(
        code(run(page.as_bytes(), "text/html", "", &Limits::default())),
        "HTML_TOO_DEEP"
    );
    // Sniffed too.
    assert_eq!(
        code(run(page.as_bytes(), "", "", &Limits::default())),
        "HTML_TOO_DEEP"
    );
}

#[test]
fn no_chinese_text() {
    assert_eq!(
        code(run(
            b"Annual report on the rule of law.",
            "",
            "",
            &Limits::default()
        )),
        "NO_CHINESE_TEXT"
    );
}

#[test]
fn too_large_and_empty() {
    let limits = Limits {
        max_input_bytes: 100,
        ..Limits::default()
    };
    assert_eq!(
        code(run(seed().as_bytes(), "", "", &limits)),
        "DOCUMENT_TOO_LARGE"
    );
    assert_eq!(code(run(b"", "", "", &Limits::default())), "EMPTY_DOCUMENT");
}

#[test]
fn invalid_utf8_declared_as_utf8() {
    // Recovery: GBK bytes declared UTF-8 are re-detected, and the source says so.
    let s = seed();
    let (gbk, _, _) = encoding_rs::GBK.encode(&s);
    let doc = run(&gbk, "text/plain; charset=utf-8", "", &Limits::default()).expect("recovers");
    assert_eq!(doc.decode.encoding, "gbk");
    assert!(
        doc.decode.encoding_source.starts_with("detected"),
        "{}",
        doc.decode.encoding_source
    );
    assert_eq!(doc.meta.issuer.as_deref(), Some("望川县人民政府"));
    // Mostly-broken bytes with a little Chinese fail clearly.
    let mut bad = "法治".as_bytes().to_vec();
    bad.extend(std::iter::repeat_n(0xC3u8, 5000));
    let c = code(run(&bad, "text/plain", "utf-8", &Limits::default()));
    assert!(c == "INVALID_ENCODING" || c == "GARBAGE_TEXT", "{c}");
}

#[test]
fn wrong_declared_charset() {
    let s = seed();
    // UTF-8 declared as GBK: the label is ignored and recorded.
    let doc = run(s.as_bytes(), "", "gbk", &Limits::default()).expect("recovers");
    assert_eq!(doc.decode.encoding, "utf-8");
    assert!(doc.decode.encoding_source.contains("ignored"));
    // GBK declared as Big5: replacement flood → detection.
    let (gbk, _, _) = encoding_rs::GBK.encode(&s);
    let doc = run(&gbk, "", "big5", &Limits::default()).expect("recovers");
    assert_eq!(doc.decode.encoding, "gbk");
    assert_eq!(doc.meta.issuer.as_deref(), Some("望川县人民政府"));
    // Unknown label.
    assert_eq!(
        code(run(s.as_bytes(), "", "x-klingon", &Limits::default())),
        "UNKNOWN_CHARSET"
    );
}

#[test]
fn media_type_checks() {
    let s = seed();
    assert_eq!(
        code(run(s.as_bytes(), "application/pdf", "", &Limits::default())),
        "MEDIA_TYPE_MISMATCH"
    );
    assert_eq!(
        code(run(s.as_bytes(), DOCX, "", &Limits::default())),
        "MEDIA_TYPE_MISMATCH"
    );
    assert_eq!(
        code(run(s.as_bytes(), "image/png", "", &Limits::default())),
        "MEDIA_TYPE_MISMATCH"
    );
    assert_eq!(
        code(run(s.as_bytes(), "image/gif", "", &Limits::default())),
        "UNSUPPORTED_MEDIA_TYPE"
    );
    let docx = docx_of(&s);
    assert_eq!(
        code(run(&docx, "text/plain", "", &Limits::default())),
        "MEDIA_TYPE_MISMATCH"
    );
}

#[test]
fn old_word_wps_and_images_are_refused_with_what_to_do() {
    // Bytes as the formats begin; read as text they would be garbled or a charset error.
    let mut doc = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    doc.extend((0..4096u32).map(|i| (i * 7 % 251) as u8));
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    let jpeg = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00".to_vec();
    for (bytes, media_type) in [
        (&doc, ""),
        (&doc, "application/octet-stream"),
        (&png, ""),
        (&jpeg, ""),
    ] {
        let err = run(bytes, media_type, "", &Limits::default()).expect_err("refused");
        assert_eq!(err.code(), "UNSUPPORTED_FORMAT");
        assert!(err.to_string().contains("submit"), "{err}");
    }
}
