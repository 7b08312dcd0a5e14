//! Stored results of real assessments: every example report and every report of the test sets,
//! assessed by the engine and packed as the stores pack them, comes back byte for byte, with the
//! quotes its evidence and figures take from the text left out of the stored value.

use fazhi_engine::wire;
use fazhi_jobs::stored_result::{ELIDED, FLAG_AT, pack, text_name, unpack};
use prost::Message;

/// The assessment with every quote that is its text at its offsets emptied, by the generated
/// types: what the store's field-by-field elision must amount to.
fn without_quotes(a: &wire::Assessment) -> (wire::Assessment, usize) {
    let chars: Vec<char> = a.normalized_text.chars().collect();
    let mut n = 0;
    let mut clear = |quote: &mut String, start: i32, end: i32| {
        let (Ok(s), Ok(e)) = (usize::try_from(start), usize::try_from(end)) else {
            return;
        };
        if s <= e && e <= chars.len() && chars[s..e].iter().copied().eq(quote.chars()) {
            n += usize::from(!quote.is_empty());
            quote.clear();
        }
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
        clear(&mut e.quote, e.start, e.end);
    }
    for m in &mut a.metrics {
        clear(&mut m.quote, m.start, m.end);
    }
    for f in &mut a.figures {
        clear(&mut f.raw, f.start, f.end);
    }
    (a, n)
}

#[test]
fn real_assessments_come_back_byte_for_byte_without_their_quotes() {
    let paths = fazhi_tests::examples_and_sets();
    assert!(paths.len() > 40, "{} documents", paths.len());
    let (mut encoded, mut stored, mut elided) = (0, 0, 0);
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
        // Left out exactly where the generated types say the quotes are: the stored frame is the
        // one of the assessment with those quotes emptied.
        let (cleared, n) = without_quotes(&a);
        if n > 0 {
            assert_eq!(p.result[FLAG_AT], ELIDED, "{name}: quotes left out");
            let q = pack(&cleared.encode_to_vec()).expect("packs");
            assert!(p.result[FLAG_AT + 1..] == q.result[FLAG_AT + 1..], "{name}");
        }
        elided += n;
        assert_eq!(
            unpack(p.result.clone(), Some(&p.text)).expect("unpacks"),
            bytes,
            "{name}"
        );
        encoded += bytes.len();
        stored += p.result.len() + p.text.len();
    }
    assert!(elided > 1000, "{elided} quotes left out");
    // Text and result together, compressed against the store's dictionary: these reports give
    // ≈ 0.24 of the encoded size; 0.3 leaves room for reports unlike them.
    assert!(
        stored * 10 < encoded * 3,
        "stored {stored} of {encoded} encoded bytes"
    );
}
