//! Arbitrary bytes (with each declared media type) through decode → parse: must never panic,
//! and every offset must land on a char boundary of the text.
#![no_main]

use fazhi_engine::{Hints, Limits, Submission};
use libfuzzer_sys::fuzz_target;

const TYPES: [&str; 5] = [
    "",
    "text/plain",
    "text/html",
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
];

fuzz_target!(|data: &[u8]| {
    let (selector, content) = match data.split_first() {
        Some((s, rest)) => (*s as usize, rest),
        None => (0, data),
    };
    let hints = Hints::default();
    let sub = Submission {
        content,
        media_type: TYPES[selector % TYPES.len()],
        filename: "",
        charset: "",
        hints: &hints,
        checklist_id: None,
    };
    let limits = Limits {
        max_input_bytes: 1 << 20,
        ..Limits::default()
    };
    if let Ok(doc) = fazhi_engine::parse(&sub, &limits) {
        let t = &doc.text;
        for s in &doc.sections {
            assert!(t.is_char_boundary(s.span.start) && t.is_char_boundary(s.span.end));
        }
        for s in &doc.sentences {
            assert!(t.is_char_boundary(s.span.start) && t.is_char_boundary(s.span.end));
        }
        for f in &doc.figures {
            assert!(t.is_char_boundary(f.span.start) && t.is_char_boundary(f.span.end));
        }
    }
});
