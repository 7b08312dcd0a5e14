//! Scanning UTF-8 text by first bytes: a scan that cares about a few characters looks up each
//! byte in a table and decodes only the characters whose first byte may start one of them. Most
//! of a report is CJK ideographs and ASCII, which a scan then passes a table load a byte.

/// By byte: 0 where `stops` holds the byte (a scan decodes the character starting there), 1
/// elsewhere (a scan passes it). A 0 on a continuation byte is passed over, as no character
/// starts there. (The tables once held each character's length, which scans stepped by.)
pub(crate) const fn steps(stops: &[u8]) -> [u8; 256] {
    let mut t = [1u8; 256];
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = 0;
        i += 1;
    }
    t
}

/// [`steps`] stopping at the first bytes of `chars`: the table a scan for those chars needs.
pub(crate) const fn steps_for(chars: &[char]) -> [u8; 256] {
    let mut t = steps(&[]);
    let mut i = 0;
    while i < chars.len() {
        t[first_byte(chars[i]) as usize] = 0;
        i += 1;
    }
    t
}

/// The first byte of `c` in UTF-8.
const fn first_byte(c: char) -> u8 {
    let u = c as u32;
    if u < 0x80 {
        u as u8
    } else if u < 0x800 {
        (0xC0 | (u >> 6)) as u8
    } else if u < 0x1_0000 {
        (0xE0 | (u >> 12)) as u8
    } else {
        (0xF0 | (u >> 18)) as u8
    }
}

/// The last character at a stop of `steps` for which `wanted` holds (given its byte offset),
/// with that offset. Reads bytes backwards and decodes only where a character starts with a
/// stop byte.
pub(crate) fn rfind(
    s: &str,
    steps: &[u8; 256],
    mut wanted: impl FnMut(usize, char) -> bool,
) -> Option<(usize, char)> {
    let b = s.as_bytes();
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        if steps[usize::from(b[i])] != 0 {
            continue;
        }
        // A stop that is not where a character starts (only if a table stops at continuation
        // bytes) is passed over.
        let Some(c) = s.get(i..).and_then(|t| t.chars().next()) else {
            continue;
        };
        if wanted(i, c) {
            return Some((i, c));
        }
    }
    None
}

/// A UTF-8 continuation byte: never where a character starts.
pub(crate) fn is_continuation(b: u8) -> bool {
    (b as i8) < -0x40
}

/// The characters of `s` at a stop of `steps`, with their byte offsets, in order.
pub(crate) fn stops<'a>(s: &'a str, steps: &'a [u8; 256]) -> Stops<'a> {
    Stops { s, steps, at: 0 }
}

/// See [`stops`]. A scan that reads past a stop (a run of digits, closing quotes) resumes after
/// what it read with [`Stops::resume_at`].
pub(crate) struct Stops<'a> {
    s: &'a str,
    steps: &'a [u8; 256],
    at: usize,
}

impl Stops<'_> {
    /// Continues the scan from byte `at`, which must start a character.
    pub(crate) fn resume_at(&mut self, at: usize) {
        self.at = at;
    }
}

impl Iterator for Stops<'_> {
    type Item = (usize, char);

    fn next(&mut self) -> Option<(usize, char)> {
        // Bytes are read one by one rather than stepped over by character length: no load
        // waits on the one before, so the loads overlap (a character-length step made each
        // load's address depend on the last load).
        let b = self.s.as_bytes();
        let mut i = self.at;
        while let Some(&first) = b.get(i) {
            if self.steps[usize::from(first)] == 0 && !is_continuation(first) {
                let c = self.s.get(i..)?.chars().next()?;
                self.at = i + c.len_utf8();
                return Some((i, c));
            }
            i += 1;
        }
        self.at = b.len();
        None
    }
}

/// The first character at a stop of `steps` for which `wanted` holds, with its byte offset.
pub(crate) fn find(
    s: &str,
    steps: &[u8; 256],
    mut wanted: impl FnMut(char) -> bool,
) -> Option<(usize, char)> {
    stops(s, steps).find(|&(_, c)| wanted(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_stop_only_at_the_bytes_given() {
        const T: [u8; 256] = steps(&[b'\n', 0xE3]);
        for b in 0..=255u8 {
            let want = u8::from(b != b'\n' && b != 0xE3);
            assert_eq!(T[usize::from(b)], want, "{b:#x}");
        }
    }

    proptest::proptest! {
        #[test]
        fn tables_for_chars_find_what_a_char_scan_finds(
            chars in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec!['a', ',', '，', '、', '。', '中', '😀', 'é', '０']),
                    proptest::prelude::any::<char>(),
                ],
                0..40,
            ),
            wanted in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::sample::select(vec![',', '，', '、', '。', '😀', 'é', '０']),
                    proptest::prelude::any::<char>(),
                ],
                1..4,
            ),
        ) {
            let text: String = chars.into_iter().collect();
            let mut t = steps_for(&[]);
            for c in &wanted {
                let mut buf = [0u8; 4];
                let first = c.encode_utf8(&mut buf).as_bytes()[0];
                t[usize::from(first)] = 0;
            }
            proptest::prop_assert_eq!(t, steps_for(&wanted));
            let is = |c: char| wanted.contains(&c);
            proptest::prop_assert_eq!(
                find(&text, &t, is),
                text.char_indices().find(|&(_, c)| is(c))
            );
            proptest::prop_assert_eq!(
                rfind(&text, &t, |_, c| is(c)),
                text.char_indices().rev().find(|&(_, c)| is(c))
            );
        }
    }

    #[test]
    fn a_stop_on_a_continuation_byte_is_passed_over() {
        // 一 is E4 B8 80, ， is EF BC 8C: a table marking 0x80 must not end the scan inside 一.
        let mut t = steps(&[0xEF]);
        t[0x80] = 0;
        assert_eq!(stops("一，", &t).collect::<Vec<_>>(), vec![(3, '，')]);
    }

    #[test]
    fn find_decodes_only_at_stops() {
        const T: [u8; 256] = steps(&[0xE3]);
        let s = "a中〔b〕、";
        assert_eq!(find(s, &T, |c| c == '〕'), Some((8, '〕')));
        // 中 does not start with E3: never decoded, never found.
        assert_eq!(find(s, &T, |c| c == '中'), None);
        assert_eq!(find("", &T, |_| true), None);
    }
}
