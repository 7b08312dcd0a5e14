//! Publication date against the deadline (督察规定 第二十四条: public before 4月1日 of the following
//! year; reports on years before the 督察规定 fall under the 2015 纲要's first-quarter rule).

use super::findings::Findings;
use super::known::Known;
use crate::checklist::Checklist;
use crate::model::{Date, Level};
use crate::rules::Rules;
use crate::wire;

pub(crate) struct Outcome {
    pub wire: wire::Timeliness,
    /// Days after the deadline (LATE only).
    pub days_late: i64,
}

/// The rule and deadline for a report on year `y`: the checklist's own rule for the issuer's
/// level when it sets one (a local guide), else the 督察规定 (or, before it, the 2015 纲要).
fn deadline_rule(y: i32, known: &Known, rules: &Rules, cl: &Checklist) -> (Date, String) {
    let t = &rules.timeliness;
    let default_deadline = Date {
        year: y + 1,
        month: 3,
        day: 31,
    };
    if y >= t.ducha_from_year
        && let Some(d) = cl.deadline_for(known.level)
    {
        let deadline = day_before(Date {
            year: y + 1,
            month: d.month,
            day: d.day,
        });
        let rule = if d.rule.contains("{deadline}") {
            d.rule.replace("{deadline}", &deadline.to_string())
        } else {
            format!("{}（{}；截止 {deadline}）", d.rule, cl.id)
        };
        return (deadline, rule);
    }
    let template = if y < t.ducha_from_year {
        &t.rule_2015
    } else if known.level == Some(Level::Department) {
        &t.rule_department
    } else {
        &t.rule_publication
    };
    let rule = template.replace("{deadline}", &default_deadline.to_string());
    (default_deadline, rule)
}

/// The last day before `d` ("before 1 March" ends on the last day of February).
fn day_before(d: Date) -> Date {
    if d.day > 1 {
        return Date {
            day: d.day - 1,
            ..d
        };
    }
    let (year, month) = if d.month == 1 {
        (d.year - 1, 12)
    } else {
        (d.year, d.month - 1)
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let day = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    Date { year, month, day }
}

pub(crate) fn assess(known: &Known, rules: &Rules, cl: &Checklist) -> Outcome {
    let (published, source, year) = (known.published, known.published_source, known.year);
    let Some(y) = year else {
        return Outcome {
            wire: wire::Timeliness {
                deadline: String::new(),
                published_date: published.map(|d| d.to_string()).unwrap_or_default(),
                status: wire::TimelinessStatus::Unknown as i32,
                rule: String::new(),
                date_source: source.to_string(),
            },
            days_late: 0,
        };
    };
    let (deadline, rule) = deadline_rule(y, known, rules, cl);
    let (status, days_late) = match published {
        None => (wire::TimelinessStatus::Unknown, 0),
        Some(p) if p <= deadline => (wire::TimelinessStatus::OnTime, 0),
        Some(p) => (wire::TimelinessStatus::Late, days(p) - days(deadline)),
    };
    Outcome {
        wire: wire::Timeliness {
            deadline: deadline.to_string(),
            published_date: published.map(|d| d.to_string()).unwrap_or_default(),
            status: status as i32,
            rule,
            date_source: source.to_string(),
        },
        days_late,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian).
fn days(d: Date) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(d.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Timeliness points, raising LATE or UNDATED: on time → full; late within the grace period →
/// the partial share; later → none; unknown → the unknown share.
pub(crate) fn points(tl: &Outcome, rules: &Rules, out: &mut Findings) -> f64 {
    let sr = &rules.score;
    let status = tl.wire.status;
    if status == wire::TimelinessStatus::OnTime as i32 {
        return sr.timeliness_max;
    }
    if status == wire::TimelinessStatus::Late as i32 {
        out.raise(
            "LATE",
            &[
                ("published", tl.wire.published_date.clone()),
                ("deadline", tl.wire.deadline.clone()),
                ("days", tl.days_late.to_string()),
            ],
            Vec::new(),
        );
        return if tl.days_late <= sr.late_grace_days {
            sr.timeliness_max * sr.late_partial
        } else {
            0.0
        };
    }
    out.raise("UNDATED", &[], Vec::new());
    sr.timeliness_max * sr.unknown_share
}

#[cfg(test)]
mod tests {
    use super::super::known::parse_date;
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            parse_date("2024-01-31"),
            Some(Date {
                year: 2024,
                month: 1,
                day: 31
            })
        );
        assert_eq!(parse_date("2024-13-01"), None);
        let a = parse_date("2024-04-15").unwrap_or(Date {
            year: 0,
            month: 1,
            day: 1,
        });
        let b = parse_date("2024-03-31").unwrap_or(Date {
            year: 0,
            month: 1,
            day: 1,
        });
        assert_eq!(days(a) - days(b), 15);
    }

    #[test]
    fn the_day_before() {
        let d = |year, month, day| Date { year, month, day };
        assert_eq!(day_before(d(2025, 4, 1)), d(2025, 3, 31));
        assert_eq!(day_before(d(2025, 3, 1)), d(2025, 2, 28));
        assert_eq!(day_before(d(2024, 3, 1)), d(2024, 2, 29));
        assert_eq!(day_before(d(2025, 1, 1)), d(2024, 12, 31));
        assert_eq!(day_before(d(2025, 3, 16)), d(2025, 3, 15));
    }
}
