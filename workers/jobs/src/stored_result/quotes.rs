//! Evidence quotes are pieces of the normalized text at their own character offsets. Stored, a
//! quote that is exactly `text[start..end]` is left out and put back on reading: even as
//! back-references into the text they were 14 % of a compressed result (corpus, measured).

use super::StoredResultError;
use super::fields::{fields, insert, put_bytes};

/// Where quotes sit in a `fazhi.v1.Assessment` (field numbers of proto/fazhi/v1).
pub(super) enum Node {
    /// Children that hold quotes, by field number; other fields are copied.
    Message(&'static [(u64, &'static Node)]),
    /// A message with a quote (string) and its start and end (int32, characters).
    Quoted { quote: u64, start: u64, end: u64 },
}

/// `Evidence { quote = 1; start = 2; end = 3; }`
const EVIDENCE: Node = Node::Quoted {
    quote: 1,
    start: 2,
    end: 3,
};

pub(super) static ASSESSMENT: Node = Node::Message(&[
    // report.issuer_evidence
    (4, &Node::Message(&[(16, &EVIDENCE)])),
    // required_parts[].evidence
    (7, &Node::Message(&[(4, &EVIDENCE)])),
    // areas[].items[].evidence
    (8, &Node::Message(&[(5, &Node::Message(&[(5, &EVIDENCE)]))])),
    // metrics[]: quote = 5, start = 6, end = 7
    (
        9,
        &Node::Quoted {
            quote: 5,
            start: 6,
            end: 7,
        },
    ),
    // findings[].evidence
    (11, &Node::Message(&[(4, &EVIDENCE)])),
    // figures[]: raw = 3, start = 4, end = 5
    (
        16,
        &Node::Quoted {
            quote: 3,
            start: 4,
            end: 5,
        },
    ),
]);

/// The text by character, for offsets: the byte where each character starts, which is every byte
/// that is not a UTF-8 continuation byte. Packing and unpacking count alike, whatever the bytes.
pub(super) struct CharText<'a> {
    text: &'a [u8],
    starts: Vec<u32>,
}

impl<'a> CharText<'a> {
    /// `None` for a text too long for 32-bit offsets (never one within the engine's limits).
    pub fn new(text: &'a [u8]) -> Option<Self> {
        u32::try_from(text.len()).ok()?;
        let mut starts = Vec::with_capacity(text.len() / 2);
        starts.extend(
            (0u32..)
                .zip(text)
                .filter(|(_, b)| (**b as i8) >= -0x40)
                .map(|(i, _)| i),
        );
        starts.push(text.len() as u32);
        Some(Self { text, starts })
    }

    fn slice(&self, start: u64, end: u64) -> Option<&'a [u8]> {
        let s = *self.starts.get(usize::try_from(start).ok()?)? as usize;
        let e = *self.starts.get(usize::try_from(end).ok()?)? as usize;
        self.text.get(s..e)
    }
}

#[derive(Clone, Copy)]
pub(super) enum Mode {
    Elide,
    Restore,
}

/// The message with its quotes left out (`Elide`) or put back (`Restore`); every other byte
/// as it was.
pub(super) fn rewrite(
    b: &[u8],
    node: &Node,
    text: &CharText<'_>,
    mode: Mode,
) -> Result<Vec<u8>, StoredResultError> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 2);
    rewrite_into(&mut out, b, node, text, mode, &mut Vec::new())?;
    Ok(out)
}

/// [`rewrite`] appending to `out`. A nested message is rewritten into a buffer of `spare` (its
/// length goes before it) that is then kept for the next one: an assessment has hundreds of
/// quoted messages, and a buffer each was most of this step's allocations.
fn rewrite_into(
    out: &mut Vec<u8>,
    b: &[u8],
    node: &Node,
    text: &CharText<'_>,
    mode: Mode,
    spare: &mut Vec<Vec<u8>>,
) -> Result<(), StoredResultError> {
    match node {
        Node::Message(children) => {
            for f in fields(b) {
                let f = f?;
                let child = children.iter().find(|c| c.0 == f.number);
                match (child, f.payload) {
                    (Some((_, child)), Some((s, e))) => {
                        let mut inner = spare.pop().unwrap_or_default();
                        inner.clear();
                        rewrite_into(&mut inner, &b[s..e], child, text, mode, spare)?;
                        put_bytes(out, f.number, &inner);
                        spare.push(inner);
                    }
                    _ => out.extend_from_slice(&b[f.start..f.end]),
                }
            }
            Ok(())
        }
        &Node::Quoted { quote, start, end } => {
            // The last occurrence of a field is its value; an absent int is 0.
            let (mut s, mut e, mut quoted) = (Some(0), Some(0), None);
            for f in fields(b) {
                let f = f?;
                match f.number {
                    n if n == start => s = f.varint,
                    n if n == end => e = f.varint,
                    n if n == quote => quoted = Some(f.payload.map(|(s, e)| &b[s..e])),
                    _ => {}
                }
            }
            let at = match (s, e) {
                (Some(s), Some(e)) if s <= e => text.slice(s, e),
                _ => None,
            };
            match (mode, at, quoted) {
                (Mode::Elide, Some(at), Some(Some(q))) if q == at => {
                    for f in fields(b) {
                        let f = f?;
                        if f.number != quote {
                            out.extend_from_slice(&b[f.start..f.end]);
                        }
                    }
                }
                (Mode::Restore, Some(at), None) if !at.is_empty() => insert(out, b, quote, at)?,
                _ => out.extend_from_slice(b),
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fields::push_varint;
    use super::*;
    use proptest::prelude::*;

    fn int(out: &mut Vec<u8>, n: u64, v: u64) {
        if v != 0 {
            push_varint(out, n << 3);
            push_varint(out, v);
        }
    }

    /// An `Evidence` as prost writes it (fields in order, zero and empty ones left out).
    fn evidence(quote: &str, start: u64, end: u64, section: &str) -> Vec<u8> {
        let mut out = Vec::new();
        if !quote.is_empty() {
            put_bytes(&mut out, 1, quote.as_bytes());
        }
        int(&mut out, 2, start);
        int(&mut out, 3, end);
        if !section.is_empty() {
            put_bytes(&mut out, 4, section.as_bytes());
        }
        out
    }

    fn chars(s: &str, a: usize, b: usize) -> String {
        s.chars().skip(a).take(b.saturating_sub(a)).collect()
    }

    proptest! {
        /// Quotes at their offsets go and come back; anything else (another quote, offsets out of
        /// the text, no quote) is left as it is, so restoring gives the bytes that were elided.
        #[test]
        fn quotes_go_and_come_back(
            text in "[一二三a-c，。0-9]{0,40}",
            spans in proptest::collection::vec((0u64..50, 0u64..50, 0u8..4), 0..12),
        ) {
            let mut areas = Vec::new();
            let mut exact = 0;
            for (a, b, how) in spans {
                let (a, b) = (a.min(b), a.max(b));
                let q = match how {
                    0 | 1 => chars(&text, a as usize, b as usize),
                    2 => "另一段".to_string(),
                    _ => String::new(),
                };
                let n = text.chars().count() as u64;
                if how < 2 && b <= n && a < b {
                    exact += 1;
                }
                let mut item = Vec::new();
                put_bytes(&mut item, 1, b"item");
                put_bytes(&mut item, 5, &evidence(&q, a, b, if how == 1 { "一、" } else { "" }));
                let mut area = Vec::new();
                put_bytes(&mut area, 5, &item);
                put_bytes(&mut areas, 8, &area);
            }
            let t = CharText::new(text.as_bytes()).expect("utf-8");
            let elided = rewrite(&areas, &ASSESSMENT, &t, Mode::Elide).expect("elides");
            let restored = rewrite(&elided, &ASSESSMENT, &t, Mode::Restore).expect("restores");
            let no_quote = rewrite(&areas, &ASSESSMENT, &t, Mode::Restore).expect("reads");
            // Restoring gives the original unless an original evidence had no quote at offsets
            // that name some text: the case `pack` checks for and then stores unelided.
            if no_quote == areas {
                prop_assert_eq!(&restored, &areas);
            }
            let saved = areas.len() - elided.len();
            prop_assert_eq!(saved > 0, exact > 0);
        }
    }

    #[test]
    fn figures_and_metrics_keep_their_other_fields_in_order() {
        let text = "全年办理行政复议案件63件。";
        let t = CharText::new(text.as_bytes()).expect("utf-8");
        // Figure { value = 1 (double); unit = 2; raw = 3; start = 4; end = 5; metric_id = 6 }
        let mut fig = Vec::new();
        fig.push(1 << 3 | 1);
        fig.extend_from_slice(&63f64.to_le_bytes());
        put_bytes(&mut fig, 2, "件".as_bytes());
        put_bytes(&mut fig, 3, "63件".as_bytes());
        int(&mut fig, 4, 10);
        int(&mut fig, 5, 13);
        put_bytes(&mut fig, 6, b"reconsideration");
        let mut msg = Vec::new();
        put_bytes(&mut msg, 16, &fig);
        let elided = rewrite(&msg, &ASSESSMENT, &t, Mode::Elide).expect("elides");
        assert_eq!(elided.len(), msg.len() - 2 - "63件".len());
        assert_eq!(
            rewrite(&elided, &ASSESSMENT, &t, Mode::Restore).expect("restores"),
            msg
        );
    }
}
