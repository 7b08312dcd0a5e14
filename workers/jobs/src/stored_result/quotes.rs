//! Evidence quotes, outline headings and section paths are pieces of the normalized text (or of
//! the outline), stored once already. Stored, a quote that is exactly `text[start..end]` is left
//! out, a heading that begins the text at its section's start becomes its two lengths, and a
//! section path that is an outline node's becomes that node's number; all are put back on
//! reading. Even as back-references into the text, quotes were 14 % of a compressed result, and
//! headings and paths another 22 % (corpus, measured).

use super::StoredResultError;
use super::fields::{fields, insert, push_varint, put_bytes};

/// Where quotes sit in a `fazhi.v1.Assessment` (field numbers of proto/fazhi/v1).
pub(super) enum Node {
    /// Children that hold quotes, by field number; other fields are copied.
    Message(&'static [(u64, &'static Node)]),
    /// A message with a quote of the text.
    Quoted(Quote),
    /// An outline node: its numbering and title (strings) open the text at its start (int32,
    /// characters); its children (repeated) are outline nodes too.
    Heading {
        numbering: u64,
        title: u64,
        start: u64,
        children: u64,
    },
}

/// Where a quoted message keeps its quote (string) and its start and end (int32, characters);
/// and, by field number or 0 for none, a unit (string) that may end the quote and the path of the
/// outline section the quote lies in (string).
pub(super) struct Quote {
    quote: u64,
    start: u64,
    end: u64,
    unit: u64,
    section: u64,
}

/// Stand-ins written where what was left out stood, so it goes back to the same place. Their
/// numbers are above every field of the messages they are written in (`Evidence` has 4, `Metric`
/// 7, `Figure` 9, `OutlineNode` 7), so none can be confused with a field of the schema.
const NUMBERING_CHARS: u64 = 14;
const TITLE_CHARS: u64 = 15;
/// The end of a quote left out, as its length in characters.
const SPAN_CHARS: u64 = 14;
const UNIT_CHARS: u64 = 13;
const SECTION_NO: u64 = 15;

/// `Evidence { quote = 1; start = 2; end = 3; section = 4; }`
const EVIDENCE: Node = Node::Quoted(Quote {
    quote: 1,
    start: 2,
    end: 3,
    unit: 0,
    section: 4,
});

/// `OutlineNode { numbering = 2; title = 3; start = 4; children = 7; }`
const OUTLINE_NODE: Node = Node::Heading {
    numbering: 2,
    title: 3,
    start: 4,
    children: 7,
};

pub(super) static ASSESSMENT: Node = Node::Message(&[
    // report.outline, then report.issuer_evidence (fields are written in number order, so the
    // evidence's path is looked up among nodes already read)
    (4, &Node::Message(&[(9, &OUTLINE_NODE), (16, &EVIDENCE)])),
    // required_parts[].evidence
    (7, &Node::Message(&[(4, &EVIDENCE)])),
    // areas[].items[].evidence
    (8, &Node::Message(&[(5, &Node::Message(&[(5, &EVIDENCE)]))])),
    // metrics[]: quote = 5, start = 6, end = 7
    (
        9,
        &Node::Quoted(Quote {
            quote: 5,
            start: 6,
            end: 7,
            unit: 0,
            section: 0,
        }),
    ),
    // findings[].evidence
    (11, &Node::Message(&[(4, &EVIDENCE)])),
    // figures[]: unit = 2, raw = 3, start = 4, end = 5
    (
        16,
        &Node::Quoted(Quote {
            quote: 3,
            start: 4,
            end: 5,
            unit: 2,
            section: 0,
        }),
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

/// The message with its quotes, headings and paths left out (`Elide`) or put back (`Restore`);
/// every other byte as it was.
pub(super) fn rewrite(
    b: &[u8],
    node: &Node,
    text: &CharText<'_>,
    mode: Mode,
) -> Result<Vec<u8>, StoredResultError> {
    let mut out = Vec::with_capacity(b.len() + b.len() / 2);
    let mut walk = Walk {
        text,
        mode,
        spare: Vec::new(),
        paths: Vec::new(),
        open: Vec::new(),
    };
    walk.node(&mut out, b, node)?;
    Ok(out)
}

/// One rewrite's state.
struct Walk<'w, 't> {
    text: &'w CharText<'t>,
    mode: Mode,
    /// Buffers for nested messages (their length goes before them), kept for the next one: an
    /// assessment has hundreds of quoted messages, and a buffer each was most of this step's
    /// allocations.
    spare: Vec<Vec<u8>>,
    /// The section path of every outline node read so far, in the order read (the engine's
    /// "一、… / （三）…"): a path is stored as its number here, the same when packing and
    /// unpacking, since both read the nodes in the same order.
    paths: Vec<Vec<u8>>,
    /// The outline nodes being read, innermost last (numbers into `paths`).
    open: Vec<usize>,
}

impl Walk<'_, '_> {
    /// Rewrites `b` as `node`, appending to `out`.
    fn node(&mut self, out: &mut Vec<u8>, b: &[u8], node: &Node) -> Result<(), StoredResultError> {
        match node {
            Node::Message(children) => {
                for f in fields(b) {
                    let f = f?;
                    match (children.iter().find(|c| c.0 == f.number), f.payload) {
                        (Some((_, child)), Some((s, e))) => {
                            self.nested(out, f.number, &b[s..e], child)?;
                        }
                        _ => out.extend_from_slice(&b[f.start..f.end]),
                    }
                }
                Ok(())
            }
            Node::Quoted(q) => self.quoted(out, b, q),
            &Node::Heading {
                numbering,
                title,
                start,
                children,
            } => self.heading(out, b, [numbering, title, start, children]),
        }
    }

    /// A nested message rewritten into a spare buffer, written as field `number`.
    fn nested(
        &mut self,
        out: &mut Vec<u8>,
        number: u64,
        b: &[u8],
        node: &Node,
    ) -> Result<(), StoredResultError> {
        let mut inner = self.spare.pop().unwrap_or_default();
        inner.clear();
        let done = self.node(&mut inner, b, node);
        if done.is_ok() {
            put_bytes(out, number, &inner);
        }
        self.spare.push(inner);
        done
    }

    fn quoted(&mut self, out: &mut Vec<u8>, b: &[u8], q: &Quote) -> Result<(), StoredResultError> {
        // The last occurrence of a field is its value; an absent int is 0.
        let (mut s, mut e, mut quoted, mut span) = (Some(0), Some(0), None, None);
        for f in fields(b) {
            let f = f?;
            match f.number {
                n if n == q.start => s = f.varint,
                n if n == q.end => e = f.varint,
                n if n == q.quote => quoted = Some(f.payload.map(|(s, e)| &b[s..e])),
                SPAN_CHARS => span = f.varint,
                _ => {}
            }
        }
        if let (Mode::Restore, Some(n)) = (self.mode, span) {
            e = s.and_then(|s| s.checked_add(n));
        }
        let at = match (s, e) {
            (Some(s), Some(e)) if s <= e => self.text.slice(s, e),
            _ => None,
        };
        let drop_quote = matches!(
            (self.mode, at, quoted),
            (Mode::Elide, Some(at), Some(Some(q))) if q == at
        );
        let put_quote = match (self.mode, at, quoted) {
            (Mode::Restore, Some(at), None) if !at.is_empty() => Some(at),
            _ => None,
        };
        let mut body = self.spare.pop().unwrap_or_default();
        body.clear();
        let done = (|| {
            for f in fields(b) {
                let f = f?;
                match (self.mode, f.number, f.payload, f.varint) {
                    (Mode::Elide, n, _, _) if n == q.quote && drop_quote => {}
                    // The end of a quote left out is its length: a small number.
                    (Mode::Elide, n, _, Some(end)) if n == q.end && drop_quote => {
                        let start = s.unwrap_or(0);
                        push_varint(&mut body, SPAN_CHARS << 3);
                        push_varint(&mut body, end.saturating_sub(start));
                    }
                    (Mode::Restore, SPAN_CHARS, _, Some(_)) => {
                        push_varint(&mut body, q.end << 3);
                        push_varint(&mut body, e.ok_or(StoredResultError::Malformed)?);
                    }
                    // A unit that ends the quote left out is its length.
                    (Mode::Elide, n, Some((us, ue)), _) if n == q.unit && q.unit != 0 => {
                        let unit = &b[us..ue];
                        match at.filter(|at| drop_quote && !unit.is_empty() && at.ends_with(unit)) {
                            Some(_) => {
                                push_varint(&mut body, UNIT_CHARS << 3);
                                push_varint(&mut body, char_count(unit));
                            }
                            None => body.extend_from_slice(&b[f.start..f.end]),
                        }
                    }
                    (Mode::Restore, UNIT_CHARS, _, Some(n)) if q.unit != 0 => {
                        let unit = at
                            .and_then(|at| last_chars(at, n))
                            .ok_or(StoredResultError::Malformed)?;
                        put_bytes(&mut body, q.unit, unit);
                    }
                    (Mode::Elide, n, Some((ps, pe)), _) if n == q.section && q.section != 0 => {
                        match self.paths.iter().position(|p| p[..] == b[ps..pe]) {
                            Some(k) => {
                                push_varint(&mut body, SECTION_NO << 3);
                                push_varint(&mut body, k as u64);
                            }
                            None => body.extend_from_slice(&b[f.start..f.end]),
                        }
                    }
                    (Mode::Restore, SECTION_NO, _, Some(k)) if q.section != 0 => {
                        let path = usize::try_from(k)
                            .ok()
                            .and_then(|k| self.paths.get(k))
                            .ok_or(StoredResultError::Malformed)?;
                        put_bytes(&mut body, q.section, path);
                    }
                    _ => body.extend_from_slice(&b[f.start..f.end]),
                }
            }
            match put_quote {
                Some(at) => insert(out, &body, q.quote, at),
                None => {
                    out.extend_from_slice(&body);
                    Ok(())
                }
            }
        })();
        self.spare.push(body);
        done
    }

    fn heading(
        &mut self,
        out: &mut Vec<u8>,
        b: &[u8],
        [numbering, title, start, children]: [u64; 4],
    ) -> Result<(), StoredResultError> {
        let (mut at, mut num, mut tit, mut num_chars, mut tit_chars) =
            (Some(0), None, None, None, None);
        for f in fields(b) {
            let f = f?;
            match f.number {
                n if n == start => at = f.varint,
                n if n == numbering => num = f.payload.map(|(s, e)| &b[s..e]),
                n if n == title => tit = f.payload.map(|(s, e)| &b[s..e]),
                NUMBERING_CHARS => num_chars = f.varint,
                TITLE_CHARS => tit_chars = f.varint,
                _ => {}
            }
        }
        let text = self.text;
        let (num, tit): (&[u8], &[u8]) = match self.mode {
            Mode::Elide => (num.unwrap_or_default(), tit.unwrap_or_default()),
            Mode::Restore => {
                // What the stand-ins name, else the strings as they are.
                let at = at.ok_or(StoredResultError::Malformed)?;
                let n = num_chars.unwrap_or(0);
                let piece = |from: u64, chars: u64| {
                    text.slice(from, from.saturating_add(chars))
                        .ok_or(StoredResultError::Malformed)
                };
                (
                    match num_chars {
                        Some(c) => piece(at, c)?,
                        None => num.unwrap_or_default(),
                    },
                    match tit_chars {
                        Some(c) => piece(at.saturating_add(n), c)?,
                        None => tit.unwrap_or_default(),
                    },
                )
            }
        };
        // Left out only where the text opens with the heading at the node's start.
        let elide = matches!(self.mode, Mode::Elide)
            && !(num.is_empty() && tit.is_empty())
            && at.is_some_and(|at| {
                let n = char_count(num) + char_count(tit);
                text.slice(at, at.saturating_add(n)).is_some_and(|t| {
                    t.len() == num.len() + tit.len()
                        && t[..num.len()] == *num
                        && t[num.len()..] == *tit
                })
            });
        let mut path = match self.open.last().and_then(|&p| self.paths.get(p)) {
            Some(parent) => [parent.as_slice(), " / ".as_bytes()].concat(),
            None => Vec::new(),
        };
        path.extend_from_slice(num);
        path.extend_from_slice(tit);
        self.open.push(self.paths.len());
        self.paths.push(path);
        let done = (|| {
            for f in fields(b) {
                let f = f?;
                match (f.number, f.payload) {
                    (n, Some((s, e))) if n == children => {
                        self.nested(out, children, &b[s..e], &OUTLINE_NODE)?
                    }
                    (n, Some(_)) if n == numbering && elide => {
                        push_varint(out, NUMBERING_CHARS << 3);
                        push_varint(out, char_count(num));
                    }
                    (n, Some(_)) if n == title && elide => {
                        push_varint(out, TITLE_CHARS << 3);
                        push_varint(out, char_count(tit));
                    }
                    (NUMBERING_CHARS, None) if matches!(self.mode, Mode::Restore) => {
                        put_bytes(out, numbering, num)
                    }
                    (TITLE_CHARS, None) if matches!(self.mode, Mode::Restore) => {
                        put_bytes(out, title, tit)
                    }
                    _ => out.extend_from_slice(&b[f.start..f.end]),
                }
            }
            Ok(())
        })();
        self.open.pop();
        done
    }
}

/// The last `n` characters of `b` (counted as [`char_count`] does).
fn last_chars(b: &[u8], n: u64) -> Option<&[u8]> {
    if n == 0 {
        return Some(&b[b.len()..]);
    }
    let mut seen = 0;
    for (i, byte) in b.iter().enumerate().rev() {
        if (*byte as i8) >= -0x40 {
            seen += 1;
            if seen == n {
                return Some(&b[i..]);
            }
        }
    }
    None
}

/// Characters as [`CharText`] counts them: every byte that is not a UTF-8 continuation byte.
fn char_count(b: &[u8]) -> u64 {
    b.iter().filter(|b| (**b as i8) >= -0x40).count() as u64
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
        // The unit that ends the quote and the end become lengths, the quote goes.
        let mut fig = Vec::new();
        fig.push(1 << 3 | 1);
        fig.extend_from_slice(&63f64.to_le_bytes());
        int(&mut fig, UNIT_CHARS, 1);
        int(&mut fig, 4, 10);
        int(&mut fig, SPAN_CHARS, 3);
        put_bytes(&mut fig, 6, b"reconsideration");
        let mut expected = Vec::new();
        put_bytes(&mut expected, 16, &fig);
        assert_eq!(elided, expected);
        assert_eq!(
            rewrite(&elided, &ASSESSMENT, &t, Mode::Restore).expect("restores"),
            msg
        );
    }

    /// An outline node as prost writes it; with `elided`, as the store writes it when its heading
    /// opens the text at `start`.
    fn outline_node(num: &str, title: &str, start: u64, kids: &[Vec<u8>], elided: bool) -> Vec<u8> {
        let mut out = Vec::new();
        int(&mut out, 1, 2);
        for (n, stand_in, s) in [(2, NUMBERING_CHARS, num), (3, TITLE_CHARS, title)] {
            match (s.is_empty(), elided) {
                (true, _) => {}
                (false, false) => put_bytes(&mut out, n, s.as_bytes()),
                (false, true) => {
                    push_varint(&mut out, stand_in << 3);
                    push_varint(&mut out, s.chars().count() as u64);
                }
            }
        }
        int(&mut out, 4, start);
        int(&mut out, 5, start + 3);
        for k in kids {
            put_bytes(&mut out, 7, k);
        }
        out
    }

    proptest! {
        /// Headings that open the text at their node's start become their lengths, section paths
        /// that are an outline node's become its number (nodes counted in the order read),
        /// exactly as this independent writing of them says; everything comes back.
        #[test]
        fn headings_and_paths_go_and_come_back(
            text in "[一二三、（）甲a-c。]{0,60}",
            nodes in proptest::collection::vec(
                (0u64..70, 0usize..4, 0usize..8, any::<bool>(),
                 proptest::collection::vec((0u64..70, 0usize..3, 0usize..6, any::<bool>()), 0..3)),
                0..5),
            sections in proptest::collection::vec((0usize..12, any::<bool>()), 0..6),
        ) {
            let chars: Vec<char> = text.chars().collect();
            // A node's heading: the text at its start (when `at_text` and the text is long
            // enough), else one with 乙, which the text never holds.
            let heading = |start: u64, n: usize, m: usize, at_text: bool| -> (String, String) {
                let s = start as usize;
                if at_text && s + n + m <= chars.len() && n + m > 0 {
                    (chars[s..s + n].iter().collect(), chars[s + n..s + n + m].iter().collect())
                } else {
                    ("乙".repeat(n), "乙".repeat(m.max(1)))
                }
            };
            let (mut original, mut elided) = (Vec::new(), Vec::new());
            let mut paths: Vec<String> = Vec::new();
            let mut report = (Vec::new(), Vec::new());
            for (start, n, m, at_text, kids) in &nodes {
                let (num, title) = heading(*start, *n, *m, *at_text);
                let top = format!("{num}{title}");
                let opens = !top.contains('乙');
                paths.push(top.clone());
                let mut kid_bytes = (Vec::new(), Vec::new());
                for (ks, kn, km, k_at) in kids {
                    let (kn, kt) = heading(*ks, *kn, *km, *k_at);
                    paths.push(format!("{top} / {kn}{kt}"));
                    let k_opens = !kt.contains('乙');
                    kid_bytes.0.push(outline_node(&kn, &kt, *ks, &[], false));
                    kid_bytes.1.push(outline_node(&kn, &kt, *ks, &[], k_opens));
                }
                put_bytes(&mut report.0, 9, &outline_node(&num, &title, *start, &kid_bytes.0, false));
                put_bytes(&mut report.1, 9, &outline_node(&num, &title, *start, &kid_bytes.1, opens));
            }
            // The issuer's evidence after the outline: a path, or one no node has (丙).
            if let Some(&(k, is_path)) = sections.first() {
                let path = paths.get(k).filter(|_| is_path);
                let section = path.cloned().unwrap_or_else(|| "丙 / 丙".into());
                let mut ev = evidence("", 1, 1, &section);
                put_bytes(&mut report.0, 16, &ev);
                if path.is_some() {
                    // The first path equal to it (the same heading can be twice).
                    let first = paths.iter().position(|p| *p == section).unwrap_or(k);
                    ev.clear();
                    int(&mut ev, 2, 1);
                    int(&mut ev, 3, 1);
                    push_varint(&mut ev, SECTION_NO << 3);
                    push_varint(&mut ev, first as u64);
                }
                put_bytes(&mut report.1, 16, &ev);
            }
            put_bytes(&mut original, 4, &report.0);
            put_bytes(&mut elided, 4, &report.1);
            let t = CharText::new(text.as_bytes()).expect("utf-8");
            prop_assert_eq!(&rewrite(&original, &ASSESSMENT, &t, Mode::Elide).expect("elides"), &elided);
            prop_assert_eq!(&rewrite(&elided, &ASSESSMENT, &t, Mode::Restore).expect("restores"), &original);
        }
    }

    #[test]
    fn a_path_to_a_node_not_read_is_an_error() {
        let mut ev = Vec::new();
        int(&mut ev, 2, 1);
        push_varint(&mut ev, SECTION_NO << 3);
        push_varint(&mut ev, 3);
        let mut part = Vec::new();
        put_bytes(&mut part, 4, &ev);
        let mut msg = Vec::new();
        put_bytes(&mut msg, 7, &part);
        let t = CharText::new("一、总体".as_bytes()).expect("utf-8");
        assert!(matches!(
            rewrite(&msg, &ASSESSMENT, &t, Mode::Restore),
            Err(StoredResultError::Malformed)
        ));
    }

    /// A message of any shape: fields numbered where the schema and the stand-ins put them, any
    /// varint, strings, and messages nested a few deep.
    fn any_message() -> impl Strategy<Value = Vec<u8>> {
        let leaf =
            proptest::collection::vec((1u64..17, any::<u64>(), ".{0,6}", any::<bool>()), 0..6)
                .prop_map(|fs| {
                    let mut out = Vec::new();
                    for (n, v, s, is_int) in fs {
                        if is_int {
                            push_varint(&mut out, n << 3);
                            push_varint(&mut out, v % 4096);
                        } else {
                            put_bytes(&mut out, n, s.as_bytes());
                        }
                    }
                    out
                });
        leaf.prop_recursive(4, 64, 6, |inner| {
            proptest::collection::vec((1u64..17, inner), 0..6).prop_map(|fs| {
                let mut out = Vec::new();
                for (n, m) in fs {
                    put_bytes(&mut out, n, &m);
                }
                out
            })
        })
    }

    proptest! {
        /// Whatever the bytes, both ways end in a message or an error, never a panic; and leaving
        /// out never makes a message longer (a stand-in is never longer than what it stands for
        /// while there are fewer than 128 outline nodes).
        #[test]
        fn any_message_is_rewritten_without_panic(
            msg in any_message(),
            text in "[一二、（）甲a0-9。]{0,30}",
        ) {
            let t = CharText::new(text.as_bytes()).expect("utf-8");
            let _ = rewrite(&msg, &ASSESSMENT, &t, Mode::Restore);
            if let Ok(elided) = rewrite(&msg, &ASSESSMENT, &t, Mode::Elide) {
                prop_assert!(elided.len() <= msg.len());
                let _ = rewrite(&elided, &ASSESSMENT, &t, Mode::Restore);
            }
        }
    }
}
