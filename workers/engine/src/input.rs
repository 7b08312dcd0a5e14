//! The one conversion from a submission as the wire carries it to what the engine reads.
//!
//! The gateway (both the queued and the synchronous path), the worker and the CLI all build an
//! [`Input`] here, so hints are trimmed once, media types are checked against one table
//! ([`crate::media`]), and the result-cache key is computed from the converted input: two
//! submissions share a key exactly when the engine would see the same input.

use sha2::{Digest, Sha256};

use crate::{Hints, Submission, media, wire};

/// Engine input apart from the bytes, in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Input {
    /// Lowercase media-type essence without parameters; empty = sniff.
    pub media_type: String,
    /// Declared charset, trimmed and lowercased: the `charset` field, else the media type's
    /// `charset=` parameter; empty = detect.
    pub charset: String,
    /// The file name reduced to what the decoder reads from it: `.ext` (lowercase), or empty.
    pub filename: String,
    pub hints: Hints,
    /// Requested checklist; `None` = chosen by report year.
    pub checklist_id: Option<String>,
}

/// One field of a submission the engine cannot take, named as in the wire request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// UPPER_SNAKE reason, stable for clients.
    pub reason: &'static str,
    /// Wire field path, e.g. `hints.published_date`.
    pub field: &'static str,
    pub description: String,
}

/// Longest accepted hint values, in bytes after trimming.
pub const MAX_ISSUER_BYTES: usize = 512;
pub const MAX_REGION_CODE_BYTES: usize = 32;
pub const MAX_SOURCE_URL_BYTES: usize = 4096;
pub const MAX_FILENAME_BYTES: usize = 1024;
pub const MAX_CHARSET_BYTES: usize = 40;

impl Input {
    /// Converts and checks a wire document, its hints and the requested checklist.
    pub fn from_wire(
        document: &wire::Document,
        hints: Option<&wire::ReportHints>,
        checklist_id: &str,
    ) -> Result<Self, Vec<Violation>> {
        let none = wire::ReportHints::default();
        Self::from_parts(
            &document.media_type,
            &document.filename,
            &document.charset,
            hints.unwrap_or(&none),
            checklist_id,
        )
    }

    /// As [`Input::from_wire`], from the fields a queued job message carries. Converting an
    /// input's own [`Input::wire_hints`] and fields again gives the same input.
    pub fn from_parts(
        media_type: &str,
        filename: &str,
        charset: &str,
        hints: &wire::ReportHints,
        checklist_id: &str,
    ) -> Result<Self, Vec<Violation>> {
        let mut bad = Vec::new();
        let mut violation = |reason, field, description: String| {
            bad.push(Violation {
                reason,
                field,
                description,
            })
        };

        let (essence, param_charset) = media::split_media_type(media_type);
        if media::declared_kind(&essence).is_err() {
            violation(
                "UNSUPPORTED_MEDIA_TYPE",
                "document.media_type",
                format!(
                    "media type {:?} is not one of {} (or empty to sniff)",
                    truncate(media_type, 100),
                    media::supported().collect::<Vec<_>>().join(", ")
                ),
            );
        }
        let charset = Some(charset.trim())
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .or(param_charset)
            .unwrap_or_default()
            .to_ascii_lowercase();
        if charset.len() > MAX_CHARSET_BYTES || !charset.bytes().all(is_token_byte) {
            violation(
                "INVALID_CHARSET",
                "document.charset",
                "charset must be a short name such as gbk or utf-8".into(),
            );
        }
        if filename.len() > MAX_FILENAME_BYTES || filename.chars().any(char::is_control) {
            violation(
                "INVALID_FILENAME",
                "document.filename",
                format!(
                    "filename must be at most {MAX_FILENAME_BYTES} bytes without control characters"
                ),
            );
        }

        let text = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_string);
        let published_date = text(&hints.published_date);
        if let Some(d) = &published_date
            && !is_iso_date(d)
        {
            violation(
                "INVALID_DATE",
                "hints.published_date",
                format!(
                    "published_date {:?} is not a YYYY-MM-DD date",
                    truncate(d, 40)
                ),
            );
        }
        if hints.year != 0 && !(1949..=2200).contains(&hints.year) {
            violation(
                "INVALID_YEAR",
                "hints.year",
                "year must be 0 (unknown) or a calendar year".into(),
            );
        }
        let issuer = text(&hints.issuer);
        let region_code = text(&hints.region_code);
        let source_url = text(&hints.source_url);
        for (field, value, max) in [
            ("hints.issuer", &issuer, MAX_ISSUER_BYTES),
            ("hints.region_code", &region_code, MAX_REGION_CODE_BYTES),
            ("hints.source_url", &source_url, MAX_SOURCE_URL_BYTES),
        ] {
            if value.as_ref().is_some_and(|v| v.len() > max) {
                violation("FIELD_TOO_LONG", field, format!("at most {max} bytes"));
            }
        }

        let checklist_id = text(checklist_id);
        if let Some(id) = &checklist_id
            && crate::checklist::get(id).is_none()
        {
            violation(
                "UNKNOWN_CHECKLIST",
                "checklist_id",
                format!(
                    "unknown checklist {:?}; ListChecklists names the known ones",
                    truncate(id, 64)
                ),
            );
        }

        if !bad.is_empty() {
            return Err(bad);
        }
        let ext = media::extension(filename);
        Ok(Self {
            media_type: essence,
            charset,
            filename: if ext.is_empty() {
                String::new()
            } else {
                format!(".{ext}")
            },
            hints: Hints {
                issuer,
                region_code,
                year: (hints.year != 0).then_some(hints.year),
                published_date,
                source_url,
            },
            checklist_id,
        })
    }

    /// The hints in wire form (empty strings and year 0 for "not given"), for the job message.
    pub fn wire_hints(&self) -> wire::ReportHints {
        let h = &self.hints;
        wire::ReportHints {
            issuer: h.issuer.clone().unwrap_or_default(),
            region_code: h.region_code.clone().unwrap_or_default(),
            year: h.year.unwrap_or(0),
            published_date: h.published_date.clone().unwrap_or_default(),
            source_url: h.source_url.clone().unwrap_or_default(),
        }
    }

    /// The engine's view of one document with this input.
    pub fn submission<'a>(&'a self, content: &'a [u8]) -> Submission<'a> {
        Submission {
            content,
            media_type: &self.media_type,
            filename: &self.filename,
            charset: &self.charset,
            hints: &self.hints,
            checklist_id: self.checklist_id.as_deref(),
        }
    }

    /// The result-cache key: `{content_sha256}:{checklist|auto}:{ENGINE_VERSION}:{inputs}`.
    ///
    /// The engine is a pure function of the bytes, its version and this input, so those are
    /// exactly what the key holds: `inputs` is the first 16 hex digits of a SHA-256 over every
    /// other field, each length-prefixed (`None` and empty are distinct from any value).
    pub fn cache_key(&self, content_sha256: &str) -> String {
        let h = &self.hints;
        let year = h.year.map(|y| y.to_string());
        let mut d = Sha256::new();
        for part in [
            Some(self.media_type.as_str()),
            Some(self.charset.as_str()),
            Some(self.filename.as_str()),
            h.issuer.as_deref(),
            h.region_code.as_deref(),
            year.as_deref(),
            h.published_date.as_deref(),
            h.source_url.as_deref(),
        ] {
            match part {
                Some(p) => {
                    d.update([1u8]);
                    d.update((p.len() as u64).to_le_bytes());
                    d.update(p.as_bytes());
                }
                None => d.update([0u8]),
            }
        }
        let inputs = hex::encode(d.finalize());
        // A checklist directory changes what a result is made with (a new 纲要 picked by year,
        // an edited guide): its fingerprint joins the engine version.
        let checklists = crate::checklist::fingerprint();
        format!(
            "{content_sha256}:{}:{}{}{checklists}:{}",
            self.checklist_id.as_deref().unwrap_or("auto"),
            crate::ENGINE_VERSION,
            if checklists.is_empty() { "" } else { "+c" },
            &inputs[..16]
        )
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.:".contains(&b)
}

/// `YYYY-MM-DD` with a real month and day (leap years included).
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        let p = s.get(r)?;
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hints(issuer: &str, date: &str, year: i32) -> wire::ReportHints {
        wire::ReportHints {
            issuer: issuer.into(),
            published_date: date.into(),
            year,
            ..Default::default()
        }
    }

    #[test]
    fn dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2024-13-01"));
        assert!(!is_iso_date("2024-1-01"));
        assert!(!is_iso_date("２０２４-01-01"));
        assert!(!is_iso_date("2024/01/01"));
    }

    #[test]
    fn hints_are_trimmed_once() {
        let padded = Input::from_parts(
            " Text/HTML ; charset=GBK",
            "报告.HTM",
            "",
            &hints("\u{3000}罗源县人民政府 \n", " 2024-01-09\t", 2023),
            " gangyao-2021-2025 ",
        )
        .expect("valid");
        let plain = Input::from_parts(
            "text/html",
            "x.htm",
            "gbk",
            &hints("罗源县人民政府", "2024-01-09", 2023),
            "gangyao-2021-2025",
        )
        .expect("valid");
        assert_eq!(padded, plain);
        assert_eq!(padded.cache_key("h"), plain.cache_key("h"));
        assert_eq!(padded.hints.issuer.as_deref(), Some("罗源县人民政府"));
        assert_eq!(padded.charset, "gbk");
        assert_eq!(padded.filename, ".htm");
        // Blank hints are "not given".
        let blank = Input::from_parts("", "", " ", &hints("  ", " ", 0), " ").expect("valid");
        assert_eq!(blank, Input::default());
    }

    #[test]
    fn converting_twice_changes_nothing() {
        let a = Input::from_parts(
            "application/PDF",
            "dir/a.PDF",
            " UTF-8 ",
            &hints(" 某县 ", "", 2024),
            "",
        )
        .expect("valid");
        let b = Input::from_parts(&a.media_type, &a.filename, &a.charset, &a.wire_hints(), "")
            .expect("valid");
        assert_eq!(a, b);
    }

    #[test]
    fn violations_name_their_fields() {
        let e = Input::from_parts(
            "image/gif",
            "a\u{7}.txt",
            "g b k",
            &hints(&"x".repeat(600), "2024/01/01", 1800),
            "nope",
        )
        .expect_err("invalid");
        let got: Vec<(&str, &str)> = e.iter().map(|v| (v.reason, v.field)).collect();
        assert_eq!(
            got,
            [
                ("UNSUPPORTED_MEDIA_TYPE", "document.media_type"),
                ("INVALID_CHARSET", "document.charset"),
                ("INVALID_FILENAME", "document.filename"),
                ("INVALID_DATE", "hints.published_date"),
                ("INVALID_YEAR", "hints.year"),
                ("FIELD_TOO_LONG", "hints.issuer"),
                ("UNKNOWN_CHECKLIST", "checklist_id"),
            ]
        );
    }

    #[test]
    fn key_depends_on_hints_and_checklist() {
        let i = |date: &str, cl: &str| {
            Input::from_parts("", "", "", &hints("", date, 0), cl).expect("valid")
        };
        let base = i("", "").cache_key("h");
        assert!(base.starts_with(&format!("h:auto:{}:", crate::ENGINE_VERSION)));
        assert_ne!(base, i("", "gangyao-2021-2025").cache_key("h"));
        assert_ne!(base, i("2024-03-01", "").cache_key("h"));
        assert_ne!(base, i("", "").cache_key("g"));
    }

    fn pad() -> impl Strategy<Value = String> {
        prop::sample::select(vec!["", " ", "\t", "\u{3000}", " \n"]).prop_map(str::to_string)
    }

    fn raw() -> impl Strategy<Value = (String, String, String, wire::ReportHints, String)> {
        let mt = prop::sample::select(vec![
            "",
            "text/plain",
            "TEXT/HTML",
            "text/html; charset=gbk",
        ]);
        let name = prop::sample::select(vec!["", "a.txt", "b.TXT", "c.html", "d"]);
        let cs = prop::sample::select(vec!["", "gbk", "GBK", "utf-8"]);
        let issuer = prop::sample::select(vec!["", "甲县人民政府", "乙街道办事处"]);
        let date = prop::sample::select(vec!["", "2024-03-01", "2024-03-02"]);
        let year = prop::sample::select(vec![0, 2023, 2024]);
        let cl = prop::sample::select(vec!["", "gangyao-2021-2025", "gangyao-2015-2020"]);
        (mt, name, cs, issuer, date, year, cl, pad(), pad()).prop_map(
            |(mt, name, cs, issuer, date, year, cl, p1, p2)| {
                (
                    mt.to_string(),
                    name.to_string(),
                    cs.to_string(),
                    wire::ReportHints {
                        issuer: format!("{p1}{issuer}{p2}"),
                        published_date: format!("{p2}{date}{p1}"),
                        year,
                        ..Default::default()
                    },
                    format!("{p1}{cl}"),
                )
            },
        )
    }

    proptest! {
        /// The cache key is equal exactly when the engine input is equal.
        #[test]
        fn key_equal_iff_input_equal(a in raw(), b in raw()) {
            let ia = Input::from_parts(&a.0, &a.1, &a.2, &a.3, &a.4).expect("valid");
            let ib = Input::from_parts(&b.0, &b.1, &b.2, &b.3, &b.4).expect("valid");
            prop_assert_eq!(ia == ib, ia.cache_key("h") == ib.cache_key("h"));
        }
    }
}
