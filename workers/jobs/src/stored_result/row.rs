//! Summary rows (encoded `fazhi.v1.BatchRow`: a report's title, issuer, grade and the ids and
//! statuses of its parts and areas) as both stores keep them, under a batch and under the
//! issuer: zstd-compressed against the checklists' titles, whose ids, status names and codes they
//! repeat. A row of the seed reports goes from ≈ 520 bytes to ≈ 300.
//!
//! Stored: `FR` then the frame. `F` is no protobuf message's first byte (see the module above), so
//! a row stored as it was before rows were compressed is read as it is.

use super::{Dict, compress, decompress};

const MAGIC: &[u8; 2] = b"FR";

/// The row as stored; as it is if compressing fails (it is read back either way).
pub fn pack_row(row: &[u8]) -> Vec<u8> {
    match compress(row, Dict::Rows) {
        Ok(frame) => [&MAGIC[..], &frame].concat(),
        Err(_) => row.to_vec(),
    }
}

/// The encoded row from what was stored. A value that does not decompress is given back as it
/// is: decoding it then fails, and readers rebuild such a row from its assessment.
pub fn unpack_row(stored: Vec<u8>) -> Vec<u8> {
    match stored.strip_prefix(MAGIC) {
        Some(frame) => decompress(frame, Dict::Rows).unwrap_or(stored),
        None => stored,
    }
}

/// Rows as read from a store, each as it was given to be kept.
pub fn unpack_rows(rows: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    rows.into_iter().map(|(k, v)| (k, unpack_row(v))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rows_come_back_and_shrink() {
        // Shaped as a BatchRow: job id, title, issuer, level, parts and area statuses.
        let mut row = Vec::new();
        for (n, s) in [
            (1u8, "9a3552fcc6449e86604e1943e7ff598e"),
            (2, "小王庄镇2023年法治政府建设情况报告"),
            (3, "小王庄镇"),
            (4, "township"),
        ] {
            row.extend_from_slice(&[n << 3 | 2, s.len() as u8]);
            row.extend_from_slice(s.as_bytes());
        }
        for part in ["measures", "shortcomings", "first_responsible", "next_year"] {
            row.extend_from_slice(&[9 << 3 | 2, part.len() as u8 + 2, 10, part.len() as u8]);
            row.extend_from_slice(part.as_bytes());
        }
        for area in 1..=10u8 {
            row.extend_from_slice(&[10 << 3 | 2, 13, 10, 1, b'0' + area % 10, 18, 11]);
            row.extend_from_slice(b"SUBSTANTIVE");
        }
        let stored = pack_row(&row);
        assert!(stored.starts_with(MAGIC));
        assert!(
            stored.len() * 10 < row.len() * 7,
            "{} of {}",
            stored.len(),
            row.len()
        );
        assert_eq!(unpack_row(stored), row);
    }

    #[test]
    fn rows_stored_before_and_broken_frames_read_as_they_are() {
        let old = vec![10, 2, b'i', b'd'];
        assert_eq!(unpack_row(old.clone()), old);
        let broken = b"FR\x28\xb5\x2f\xfd garbage".to_vec();
        assert_eq!(unpack_row(broken.clone()), broken);
    }

    proptest! {
        #[test]
        fn any_row_comes_back(row in proptest::collection::vec(any::<u8>(), 0..600)) {
            prop_assert_eq!(unpack_row(pack_row(&row)), row);
        }
    }
}
