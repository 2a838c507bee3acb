//! Values from cells: dates in the accepted formats, Excel serial dates,
//! follow-up schedules, lists.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use isms_core::{IanaTimeZone, Period, PeriodUnit, RecurrenceEnd, VerificationSchedule};

use crate::error::ProblemKind;
use crate::read::Raw;

/// The order of day and month in dates such as `03/04/2026`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateOrder {
    /// Day first: `31/03/2026`.
    Dmy,
    /// Month first: `03/31/2026`.
    Mdy,
}

/// A point in time read from a cell: exact, or a date without a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stamp {
    /// A date and time (UTC).
    Exact(DateTime<Utc>),
    /// A date only, a day of the organisation (its time zone,
    /// `Policy::time_zone`): the import places it at the latest of the
    /// day's first instant there and the item's previous event on that day.
    Day(NaiveDate),
}

impl Stamp {
    /// Its instant: a day's is the day's first instant in `zone`.
    pub fn key(self, zone: IanaTimeZone) -> DateTime<Utc> {
        match self {
            Stamp::Exact(t) => t,
            Stamp::Day(d) => day_start(d, zone),
        }
    }
}

/// The first instant of the organisation's day `d` (midnight in `zone`, or
/// the end of a DST gap that skips midnight).
pub(crate) fn day_start(d: NaiveDate, zone: IanaTimeZone) -> DateTime<Utc> {
    zone.start_of(d)
        .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(NaiveTime::MIN)))
}

/// An Excel serial date (1900 date system): 1 is 1900-01-01, and the
/// fraction is the time of day. Excel's phantom 29 February 1900 is why the
/// epoch is 30 December 1899.
pub(crate) fn from_serial(serial: f64) -> Option<NaiveDateTime> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as u64;
    let seconds = ((serial - serial.trunc()) * 86_400.0).round() as u32;
    let date = NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(Days::new(days))?;
    let time = NaiveTime::from_num_seconds_from_midnight_opt(seconds.min(86_399), 0)?;
    Some(date.and_time(time))
}

fn stamp_of(t: NaiveDateTime) -> Stamp {
    if t.time() == NaiveTime::MIN {
        Stamp::Day(t.date())
    } else {
        Stamp::Exact(Utc.from_utc_datetime(&t))
    }
}

/// Reads an instant or a date.
pub(crate) fn parse_stamp(raw: &Raw, order: Option<DateOrder>) -> Result<Stamp, ProblemKind> {
    match raw {
        Raw::DateTime(t) => Ok(stamp_of(*t)),
        Raw::Number(n) => from_serial(*n)
            .map(stamp_of)
            .ok_or_else(|| ProblemKind::BadDate {
                value: n.to_string(),
            }),
        Raw::Text(s) => parse_stamp_text(s.trim(), order),
        other => Err(ProblemKind::BadDate {
            value: other.display(),
        }),
    }
}

/// Reads a calendar date; an instant gives its date in `zone`, the
/// organisation's time zone.
pub(crate) fn parse_date(
    raw: &Raw,
    order: Option<DateOrder>,
    zone: IanaTimeZone,
) -> Result<NaiveDate, ProblemKind> {
    parse_stamp(raw, order).map(|s| match s {
        Stamp::Exact(t) => zone.date_of(t),
        Stamp::Day(d) => d,
    })
}

fn parse_stamp_text(s: &str, order: Option<DateOrder>) -> Result<Stamp, ProblemKind> {
    let bad = || ProblemKind::BadDate {
        value: s.to_owned(),
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Stamp::Exact(t.with_timezone(&Utc)));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Ok(Stamp::Exact(Utc.from_utc_datetime(&t)));
        }
    }
    for f in ["%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return Ok(Stamp::Day(d));
        }
    }
    if !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && let Ok(n) = s.parse::<f64>()
    {
        return from_serial(n).map(stamp_of).ok_or_else(bad);
    }
    // a/b/yyyy, a-b-yyyy or a.b.yyyy, optionally followed by a time.
    let (date_part, time_part) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t.trim())),
        None => (s, None),
    };
    let sep = date_part
        .chars()
        .find(|c| matches!(c, '/' | '-' | '.'))
        .ok_or_else(bad)?;
    let parts: Vec<&str> = date_part.split(sep).collect();
    let [a, b, y] = parts.as_slice() else {
        return Err(bad());
    };
    let (a, b, y): (u32, u32, i32) = (
        a.parse().map_err(|_| bad())?,
        b.parse().map_err(|_| bad())?,
        y.parse().map_err(|_| bad())?,
    );
    if y < 1000 {
        return Err(bad());
    }
    let order = if sep == '.' || a > 12 {
        DateOrder::Dmy
    } else if b > 12 || a == b {
        if a == b {
            DateOrder::Dmy
        } else {
            DateOrder::Mdy
        }
    } else {
        order.ok_or_else(|| ProblemKind::AmbiguousDate {
            value: s.to_owned(),
        })?
    };
    let (d, m) = match order {
        DateOrder::Dmy => (a, b),
        DateOrder::Mdy => (b, a),
    };
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
    match time_part {
        None => Ok(Stamp::Day(date)),
        Some(t) => {
            let time = NaiveTime::parse_from_str(t, "%H:%M:%S")
                .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
                .map_err(|_| bad())?;
            Ok(stamp_of(date.and_time(time)))
        }
    }
}

/// Reads a follow-up schedule in the form the export writes
/// (`once on 2026-05-01`, `every 1 month from 2026-01-31, 6 times`,
/// `every 3 months from 2026-03-31 until 2026-12-31`,
/// `no recurrence for 6 months from 2026-01-15`).
pub(crate) fn parse_schedule(
    s: &str,
    order: Option<DateOrder>,
    zone: IanaTimeZone,
) -> Result<VerificationSchedule, ProblemKind> {
    let bad = |why: &str| ProblemKind::BadValue {
        value: s.to_owned(),
        detail: format!(
            "{why}; write `once on 2026-05-01`, `every 1 month from 2026-01-31, 6 times`, `every 3 months from 2026-03-31 until 2026-12-31` or `no recurrence for 6 months from 2026-01-15`"
        ),
    };
    let text = s.trim().to_lowercase();
    let date = |t: &str| {
        parse_date(&Raw::Text(t.trim().to_owned()), order, zone)
            .map_err(|_| bad("a date is not readable"))
    };
    let period = |count: &str, unit: &str| -> Result<Period, ProblemKind> {
        let count: u32 = count
            .trim()
            .parse()
            .map_err(|_| bad("the period has no number"))?;
        let unit = match unit.trim().trim_end_matches('s') {
            "day" => PeriodUnit::Days,
            "week" => PeriodUnit::Weeks,
            "month" => PeriodUnit::Months,
            _ => return Err(bad("the period's unit is not day, week or month")),
        };
        Ok(Period { count, unit })
    };
    if let Some(rest) = text.strip_prefix("once on ") {
        return Ok(VerificationSchedule::once(date(rest)?));
    }
    if let Some(rest) = text.strip_prefix("no recurrence for ") {
        let (len, start) = rest
            .split_once(" from ")
            .ok_or_else(|| bad("no start date"))?;
        let (n, unit) = len.trim().split_once(' ').ok_or_else(|| bad("no period"))?;
        return Ok(VerificationSchedule::watch_window(
            date(start)?,
            period(n, unit)?,
        ));
    }
    if let Some(rest) = text.strip_prefix("every ") {
        let (every, tail) = rest
            .split_once(" from ")
            .ok_or_else(|| bad("no start date"))?;
        let (n, unit) = every
            .trim()
            .split_once(' ')
            .ok_or_else(|| bad("no period"))?;
        let every = period(n, unit)?;
        if let Some((first, until)) = tail.split_once(" until ") {
            return Ok(VerificationSchedule::Recurring {
                first: date(first)?,
                every,
                end: RecurrenceEnd::Until { date: date(until)? },
            });
        }
        let (first, times) = tail
            .split_once(',')
            .ok_or_else(|| bad("no end (`, 6 times` or `until ...`)"))?;
        let count: u32 = times
            .trim()
            .trim_end_matches("times")
            .trim_end_matches("time")
            .trim()
            .parse()
            .map_err(|_| bad("the number of times is not a number"))?;
        return Ok(VerificationSchedule::recurring_count(
            date(first)?,
            every,
            count,
        ));
    }
    Err(bad("not a schedule"))
}

/// Splits a list cell on `;`, `,` and line breaks, trimming and dropping empty items.
pub(crate) fn split_list(s: &str) -> Vec<&str> {
    s.split([';', ',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}
