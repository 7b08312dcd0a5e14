//! A tenant's sentence frequencies: a count-min sketch of 2 rows of 2¹⁸ saturating 16-bit
//! counters in one Redis string (1 MiB per tenant, whatever the number of reports), counted and
//! read with `BITFIELD`.
//!
//! Two rows, not four: each row is a counter written for every sentence of a newly indexed
//! report and one read for every sentence of each checked report; at four rows that was
//! 191–235 µs of Redis per job, at two 97–124 µs (`INFO commandstats` during `scripts/bench-e2e
//! real 300`, README). More rows take fewer distinctive sentences for common ones (which leaves
//! them out of the comparison): with two, the simulation below takes 2 in 1.7 million for
//! common at 10,000 reports per tenant and 2 in 12 million at 100,000 (four rows: none), about
//! one sentence in a few thousand reports, which moves no verdict (a report is flagged on ≥ 5
//! shared sentences and ≥ 30 % of its own). The rows are the first two of the earlier four-row
//! sketch, so a sketch it wrote reads the same; its last two rows lie unused until the key
//! expires.
//!
//! The counts of a newly indexed report are sent by the client as plain `BITFIELD` commands, not
//! from the index script: a report's few hundred sentences are a few thousand `BITFIELD`
//! arguments, and made in Lua each argument is a Lua string, then a Redis object, and each answer
//! a Lua value. Measured on Redis 7.0 with 1,000 counters: 830 µs of Redis CPU through the
//! script, 156 µs sent directly (`INFO commandstats`). The index script says when it added an
//! entry, and only then are the counts sent, so a redelivered job still counts once; a worker
//! that dies between the two loses that report's counts (the sketch is an estimate).

use std::io::Write;

use redis::{Cmd, Pipeline};

const ROWS: usize = 2;
const BITS: u32 = 18;
/// Sentences per command: a report's sentences are bounded only by the document's size, and
/// one command of millions of arguments would hold Redis for its whole length.
const PER_COMMAND: usize = 1_000;

/// One counter per row for a sentence hash.
fn positions(h: u64) -> [u64; ROWS] {
    let mut out = [0u64; ROWS];
    for (r, p) in out.iter_mut().enumerate() {
        let mut z = h ^ (0x9e37_79b9_7f4a_7c15u64.wrapping_mul(r as u64 + 1));
        z = (z ^ (z >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z ^= z >> 29;
        *p = ((r as u64) << BITS) | (z & ((1u64 << BITS) - 1));
    }
    out
}

/// `#{position}`, the offset of a counter in units of its width, written without an allocation
/// (24 bytes hold `#` and any u64; the fallback is never taken).
fn offset_arg(cmd: &mut Cmd, pos: u64) {
    let mut buf = [0u8; 24];
    let mut w = &mut buf[..];
    match write!(w, "#{pos}") {
        Ok(()) => {
            let n = 24 - w.len();
            cmd.arg(&buf[..n]);
        }
        Err(_) => {
            cmd.arg(format!("#{pos}"));
        }
    }
}

/// Adds one to every counter of each distinct hash (a sentence counts once per report), and
/// renews the sketch's time to live.
pub(super) fn count(pipe: &mut Pipeline, key: &str, hashes: &[u64], ttl_secs: i64) {
    let mut distinct = hashes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    for chunk in distinct.chunks(PER_COMMAND) {
        let mut cmd = redis::cmd("BITFIELD");
        cmd.arg(key).arg("OVERFLOW").arg("SAT");
        for &h in chunk {
            for pos in positions(h) {
                cmd.arg("INCRBY").arg("u16");
                offset_arg(&mut cmd, pos);
                cmd.arg(1);
            }
        }
        pipe.add_command(cmd).ignore();
    }
    pipe.expire(key, ttl_secs).ignore();
}

/// The command that reads every counter of `hashes`, in order; [`estimates`] makes its answer
/// one count per hash.
pub(super) fn read(key: &str, hashes: &[u64]) -> Cmd {
    let mut cmd = redis::cmd("BITFIELD_RO");
    cmd.arg(key);
    for &h in hashes {
        for pos in positions(h) {
            cmd.arg("GET").arg("u16");
            offset_arg(&mut cmd, pos);
        }
    }
    cmd
}

/// A hash's estimate is the least of its counters (the others met other sentences too).
pub(super) fn estimates(cells: &[u32]) -> Vec<u32> {
    cells
        .chunks(ROWS)
        .map(|c| c.iter().copied().min().unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_written_as_format_writes_them() {
        for pos in [0, 7, (3 << BITS) | 0x3ffff, u64::MAX] {
            let mut cmd = redis::cmd("X");
            offset_arg(&mut cmd, pos);
            let args: Vec<Vec<u8>> = cmd
                .args_iter()
                .filter_map(|a| match a {
                    redis::Arg::Simple(b) => Some(b.to_vec()),
                    _ => None,
                })
                .collect();
            assert_eq!(args[1], format!("#{pos}").into_bytes());
        }
    }

    #[test]
    fn each_row_has_its_own_counters() {
        for h in [0u64, 1, 42, u64::MAX] {
            let p = positions(h);
            for (r, pos) in p.iter().enumerate() {
                assert_eq!(pos >> BITS, r as u64, "row {r} of {h}");
            }
        }
    }

    #[test]
    fn a_report_is_counted_by_distinct_sentences_in_commands_of_bounded_size() {
        let hashes: Vec<u64> = (0..2_500u64).chain(0..10).collect();
        let mut pipe = redis::pipe();
        count(&mut pipe, "k", &hashes, 60);
        let cmds: Vec<&Cmd> = pipe.cmd_iter().collect();
        // Three BITFIELDs (1,000 + 1,000 + 500 sentences) and the EXPIRE.
        assert_eq!(cmds.len(), 4);
        let ops: usize = cmds[..3]
            .iter()
            .map(|c| (c.args_iter().count() - 4) / 4)
            .sum();
        assert_eq!(ops, 2_500 * ROWS);
    }

    #[test]
    fn an_estimate_is_the_least_counter() {
        assert_eq!(estimates(&[3, 1, 2, 5, 0, 0]), vec![1, 2, 0]);
    }

    /// Sketches written before (with four rows) are read by their first two.
    #[test]
    fn rows_are_those_sketches_already_hold() {
        assert_eq!(positions(0), [227_070, 365_195]);
        assert_eq!(positions(42), [50_767, 473_949]);
        assert_eq!(positions(0xdead_beef_cafe_f00d), [115_193, 311_104]);
    }

    /// What a tenant's sketch gets wrong, simulated in memory with the same counters: `reports`
    /// reports of 200 compared sentences, 300 boilerplate sentences in 0.2–40 % of them,
    /// `reports / 5` sentences shared by 2 to 2 % of reports (one issuer's template reused by
    /// its offices), the rest each in one report. Returns (sentences in one report taken for
    /// common, how many there were, sentences under half the threshold taken for common).
    fn simulate(reports: u64) -> (u64, u64, u64) {
        let mut seed = 42u64;
        let mut next = move || {
            seed = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let unit = |x: u64| (x >> 11) as f64 / (1u64 << 53) as f64;
        let log_uniform = |lo: f64, hi: f64, u: f64| (lo.ln() + u * (hi / lo).ln()).exp();
        let mut shared: Vec<(u64, u64)> = Vec::new();
        for _ in 0..300 {
            let share = log_uniform(0.002, 0.4, unit(next()));
            shared.push((next(), ((share * reports as f64) as u64).max(1)));
        }
        let most = (0.02 * reports as f64).max(3.0);
        for _ in 0..reports / 5 {
            let c = log_uniform(2.0, most, unit(next())) as u64;
            shared.push((next(), c.min(reports)));
        }
        let once = (reports * 200).saturating_sub(shared.iter().map(|s| s.1).sum());
        let mut cells = vec![0u32; ROWS << BITS];
        let mut add = |h: u64, c: u64| {
            for p in positions(h) {
                let cell = &mut cells[p as usize];
                *cell = (u64::from(*cell) + c).min(u64::from(u16::MAX)) as u32;
            }
        };
        for &(h, c) in &shared {
            add(h, c);
        }
        // Sentences in one report each, made again to be looked up (not kept: millions).
        let first_once = next();
        let once_hash = |i: u64| first_once.wrapping_add(i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        for i in 0..once {
            add(once_hash(i), 1);
        }
        let threshold = ((0.05 * reports as f64).ceil() as u64).max(4);
        let estimate = |h: u64| -> u64 {
            let at: Vec<u32> = positions(h).iter().map(|&p| cells[p as usize]).collect();
            u64::from(estimates(&at)[0])
        };
        let mut once_common = 0;
        for i in 0..once {
            if estimate(once_hash(i)) >= threshold {
                once_common += 1;
            }
        }
        let mut light_common = 0;
        for &(h, c) in &shared {
            let e = estimate(h);
            assert!(
                e >= c.min(u64::from(u16::MAX)),
                "a count-min estimate is never low"
            );
            if 2 * c < threshold && e >= threshold {
                light_common += 1;
            }
        }
        (once_common, once, light_common)
    }

    #[test]
    fn distinctive_sentences_stay_distinctive_at_ten_thousand_reports() {
        let (once_common, once, light_common) = simulate(10_000);
        assert!(once > 1_500_000, "{once}");
        // At most one in 200,000: a sketch of one row takes hundreds.
        assert!(once_common * 200_000 <= once, "{once_common} of {once}");
        assert_eq!(light_common, 0);
    }

    /// The same at a tenant ten times larger; under a second in a release build:
    /// `cargo test --release -p fazhi-jobs sketch -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn distinctive_sentences_stay_distinctive_at_a_hundred_thousand_reports() {
        let (once_common, once, light_common) = simulate(100_000);
        eprintln!(
            "taken for common: {once_common} of {once} sentences in one report; {light_common} under half the threshold"
        );
        assert!(once_common * 200_000 <= once, "{once_common} of {once}");
        assert_eq!(light_common, 0);
    }
}
