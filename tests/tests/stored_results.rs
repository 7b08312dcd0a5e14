//! Stored results of real assessments: every example report and every report of the test sets,
//! assessed by the engine and packed as the stores pack them, comes back byte for byte, with the
//! quotes its evidence and figures take from the text, the outline headings that open the text
//! and the section paths of its evidence left out of the stored value.

use fazhi_engine::wire;
use fazhi_jobs::stored_result::{ELIDED, FLAG_AT, kept, pack, text_name, unpack};
use prost::Message;

/// The assessment with every quote that is its text at its offsets emptied, with its end (stored
/// as a length) and a figure's unit that ends it (stored as its length) too, by the generated
/// types: what the store's field-by-field elision must amount to.
fn without_quotes(a: &wire::Assessment) -> (wire::Assessment, usize) {
    let chars: Vec<char> = a.normalized_text.chars().collect();
    let mut n = 0;
    let mut clear = |quote: &mut String, start: i32, end: &mut i32| -> bool {
        let (Ok(s), Ok(e)) = (usize::try_from(start), usize::try_from(*end)) else {
            return false;
        };
        let at = s <= e && e <= chars.len() && chars[s..e].iter().copied().eq(quote.chars());
        if at && !quote.is_empty() {
            n += 1;
            quote.clear();
            *end = 0;
        }
        at
    };
    let mut a = a.clone();
    let evidence = a
        .required_parts
        .iter_mut()
        .flat_map(|p| &mut p.evidence)
        .chain(
            a.areas
                .iter_mut()
                .flat_map(|x| &mut x.items)
                .flat_map(|i| &mut i.evidence),
        )
        .chain(a.findings.iter_mut().flat_map(|f| &mut f.evidence))
        .chain(
            a.report
                .iter_mut()
                .filter_map(|r| r.issuer_evidence.as_mut()),
        );
    for e in evidence {
        clear(&mut e.quote, e.start, &mut e.end);
    }
    for m in &mut a.metrics {
        clear(&mut m.quote, m.start, &mut m.end);
    }
    for f in &mut a.figures {
        let raw = f.raw.clone();
        if clear(&mut f.raw, f.start, &mut f.end) && !raw.is_empty() && raw.ends_with(&f.unit) {
            f.unit.clear();
        }
    }
    (a, n)
}

/// The assessment with every outline heading that opens the text at its node's start emptied, and
/// every evidence section path that is an outline node's: what the store leaves out besides the
/// quotes. Counts both.
fn without_headings_and_paths(a: &wire::Assessment) -> (wire::Assessment, usize, usize) {
    let chars: Vec<char> = a.normalized_text.chars().collect();
    fn walk(
        nodes: &mut [wire::OutlineNode],
        parent: &str,
        chars: &[char],
        paths: &mut Vec<String>,
        n: &mut usize,
    ) {
        for node in nodes {
            let heading = format!("{}{}", node.numbering, node.title);
            let path = if parent.is_empty() {
                heading.clone()
            } else {
                format!("{parent} / {heading}")
            };
            paths.push(path.clone());
            let at = usize::try_from(node.start).unwrap_or(usize::MAX);
            let len = heading.chars().count();
            if len > 0
                && chars.len() >= len
                && at <= chars.len() - len
                && chars[at..at + len].iter().copied().eq(heading.chars())
            {
                node.numbering.clear();
                node.title.clear();
                *n += 1;
            }
            walk(&mut node.children, &path, chars, paths, n);
        }
    }
    let mut a = a.clone();
    let (mut paths, mut headings, mut sections) = (Vec::new(), 0, 0);
    if let Some(r) = a.report.as_mut() {
        walk(&mut r.outline, "", &chars, &mut paths, &mut headings);
    }
    let evidence = a
        .report
        .iter_mut()
        .filter_map(|r| r.issuer_evidence.as_mut())
        .chain(a.required_parts.iter_mut().flat_map(|p| &mut p.evidence))
        .chain(
            a.areas
                .iter_mut()
                .flat_map(|x| &mut x.items)
                .flat_map(|i| &mut i.evidence),
        )
        .chain(a.findings.iter_mut().flat_map(|f| &mut f.evidence));
    for e in evidence {
        if !e.section.is_empty() && paths.contains(&e.section) {
            e.section.clear();
            sections += 1;
        }
    }
    (a, headings, sections)
}

#[test]
fn real_assessments_come_back_byte_for_byte_without_their_quotes() {
    let paths = fazhi_tests::examples_and_sets();
    assert!(paths.len() > 40, "{} documents", paths.len());
    let (mut encoded, mut stored, mut elided) = (0, 0, 0);
    let (mut headings, mut sections) = (0, 0);
    for path in &paths {
        let name = path.to_string_lossy();
        let a = fazhi_tests::assess_file(path).expect("assessed");
        let bytes = a.encode_to_vec();
        let p = pack(&bytes).expect("packs");
        assert_eq!(text_name(&p.result), Some(p.text_name.clone()), "{name}");
        assert_eq!(
            p.text.first(),
            Some(&b'g'),
            "{name}: text stored in GB18030"
        );
        // Left out exactly where the generated types say the quotes, headings and paths are: what
        // the store keeps, decoded (the stand-ins are fields the decoder skips), is the assessment
        // with those emptied, and without its text.
        let (cleared, n) = without_quotes(&a);
        let (mut cleared, h, s) = without_headings_and_paths(&cleared);
        if n + h + s > 0 {
            assert_eq!(p.result[FLAG_AT], ELIDED, "{name}: quotes left out");
            cleared.normalized_text.clear();
            let kept = kept(&p.result, &p.text).expect("opens").expect("packed");
            assert_eq!(
                wire::Assessment::decode(kept.as_slice()).expect("decodes"),
                cleared,
                "{name}"
            );
        }
        elided += n;
        headings += h;
        sections += s;
        assert_eq!(
            unpack(p.result.clone(), Some(&p.text)).expect("unpacks"),
            bytes,
            "{name}"
        );
        encoded += bytes.len();
        stored += p.result.len() + p.text.len();
    }
    assert!(elided > 1000, "{elided} quotes left out");
    assert!(headings > 500, "{headings} headings left out");
    assert!(
        sections > 1000,
        "{sections} section paths left out ({headings} headings)"
    );
    // Text and result together, compressed against the store's dictionary: these reports give
    // ≈ 0.24 of the encoded size; 0.3 leaves room for reports unlike them.
    assert!(
        stored * 10 < encoded * 3,
        "stored {stored} of {encoded} encoded bytes"
    );
}
