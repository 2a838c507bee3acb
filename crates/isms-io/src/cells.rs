//! Structured cells: what registers kept by hand or by other tools write in
//! one cell and the register keeps apart. Several actions in one cell, each
//! with its status in trailing brackets (`Name [in progress]`); a root cause
//! written `Category: statement`; a follow-up written in words ("Test
//! restoration monthly", "Verify no recurrence over 6 months").
//!
//! Each reader is total: any text gives an answer or `None`, never a panic.

use chrono::NaiveDate;
use isms_core::{Period, PeriodUnit, VerificationSchedule};

/// One line of an action cell: the action's text and the word in trailing
/// brackets, if any (`Review access rights [in progress]` gives
/// `("Review access rights", Some("in progress"))`). Empty lines are
/// dropped; a line that is only brackets keeps them as its text.
pub fn action_lines(cell: &str) -> Vec<(&str, Option<&str>)> {
    cell.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            if let Some(body) = line.strip_suffix(']')
                && let Some(open) = body.rfind('[')
            {
                let text = body[..open].trim_end();
                let status = body[open + 1..].trim();
                if !text.is_empty() && !status.is_empty() && !status.contains('[') {
                    return (text, Some(status));
                }
            }
            (line, None)
        })
        .collect()
}

/// The longest category word read in front of a root cause (`Supplier /
/// third party: ...` fits).
const MAX_CATEGORY_CHARS: usize = 40;

/// A root cause written `Category: statement`: the category word and the
/// statement, both trimmed. `None` when the line has no such prefix: no
/// `:`, nothing after it, or a prefix that is not a short phrase of letters
/// (at most four words of letters, spaces, `/`, `&` and `-`), so that
/// `At 10:30 the job failed` is a statement, not a category.
pub fn cause_category(line: &str) -> Option<(&str, &str)> {
    let (prefix, statement) = line.split_once(':')?;
    let prefix = prefix.trim();
    let statement = statement.trim();
    if prefix.is_empty()
        || statement.is_empty()
        || prefix.chars().count() > MAX_CATEGORY_CHARS
        || prefix.split_whitespace().count() > 4
        || !prefix
            .chars()
            .all(|c| c.is_alphabetic() || matches!(c, ' ' | '/' | '&' | '-'))
    {
        return None;
    }
    Some((prefix, statement))
}

/// What a follow-up phrase asks for, before it is anchored on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowUpKind {
    /// A check every `every`, `count` times (the default count when the
    /// phrase gives none: [`default_count`]).
    Recurring {
        /// The period between checks.
        every: Period,
        /// How many checks.
        count: u32,
    },
    /// No recurrence during a window of `length`.
    Watch {
        /// The window's length.
        length: Period,
    },
}

/// A follow-up phrase read: what to do (the words before the schedule,
/// `Test restoration`, used as the verification method when the file has
/// none) and the schedule's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FollowUpPhrase {
    /// The words before the schedule, if any.
    pub method: Option<String>,
    /// The schedule's shape.
    pub kind: FollowUpKind,
}

impl FollowUpPhrase {
    /// The schedule, anchored on `anchor` (the import uses the latest due
    /// or completion date of the item's actions): a recurring check's first
    /// date is one period after the anchor, a watch window starts on it.
    /// `None` past the calendar's end.
    pub fn schedule(&self, anchor: NaiveDate) -> Option<VerificationSchedule> {
        match self.kind {
            FollowUpKind::Recurring { every, count } => Some(
                VerificationSchedule::recurring_count(every.nth_after(anchor, 1)?, every, count),
            ),
            FollowUpKind::Watch { length } => {
                // The window's end must exist too.
                length.nth_after(anchor, 1)?;
                Some(VerificationSchedule::watch_window(anchor, length))
            }
        }
    }
}

/// The number of checks of a recurring phrase that gives none: a year's
/// worth of checks, at least 2 and at most 6 (monthly: 6, quarterly: 4,
/// every 6 months: 2, weekly: 6).
pub fn default_count(every: Period) -> u32 {
    let per_year = match every.unit {
        PeriodUnit::Days => 365_u32.div_ceil(every.count.max(1)),
        PeriodUnit::Weeks => 52_u32.div_ceil(every.count.max(1)),
        PeriodUnit::Months => 12_u32.div_ceil(every.count.max(1)),
    };
    per_year.clamp(2, 6)
}

/// The most units a phrase may name ("every 1000 months" is not a plan).
const MAX_UNITS: u32 = 120;

/// Reads a follow-up written in words: "monthly", "quarterly", "weekly",
/// "yearly" / "annually", "every N days|weeks|months|years", "every
/// month|quarter|year" (each optionally followed by ", N times" or "for N
/// months"), and "no recurrence over|for|within|in N days|weeks|months|years"
/// (a watch window), with any words in front ("Test restoration monthly",
/// "Verify no recurrence over 6 months"). Case and extra spaces do not
/// matter. `None` for anything else.
pub fn follow_up_phrase(text: &str) -> Option<FollowUpPhrase> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';'))
        .filter(|w| !w.is_empty())
        .collect();
    let original: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '.' | ';'))
        .filter(|w| !w.is_empty())
        .collect();
    // Lower-casing may change how a word splits (rarely); then keep no method.
    let method_of = |end: usize| -> Option<String> {
        if original.len() != words.len() || end == 0 {
            return None;
        }
        Some(original[..end].join(" "))
    };
    // A watch window: "no recurrence <prep> N <unit>".
    for i in 0..words.len() {
        if words[i] == "no"
            && words
                .get(i + 1)
                .is_some_and(|w| w.starts_with("recurrence"))
            && let Some(prep) = words.get(i + 2)
            && matches!(*prep, "over" | "for" | "within" | "in" | "during")
            && let Some(length) = period_at(&words, i + 3)
            && words.len() == i + 5
        {
            return Some(FollowUpPhrase {
                method: method_of(i + 2),
                kind: FollowUpKind::Watch { length: length.0 },
            });
        }
    }
    // A recurring check: a frequency word or "every ...", then an optional end.
    for i in 0..words.len() {
        let (every, next) = match words[i] {
            "daily" => (Period::days(1), i + 1),
            "weekly" => (Period::weeks(1), i + 1),
            "monthly" => (Period::months(1), i + 1),
            "quarterly" => (Period::months(3), i + 1),
            "yearly" | "annually" => (Period::months(12), i + 1),
            "every" => match words.get(i + 1) {
                Some(&"day") => (Period::days(1), i + 2),
                Some(&"week") => (Period::weeks(1), i + 2),
                Some(&"month") => (Period::months(1), i + 2),
                Some(&"quarter") => (Period::months(3), i + 2),
                Some(&"year") => (Period::months(12), i + 2),
                _ => match period_at(&words, i + 1) {
                    Some((p, n)) => (p, n),
                    None => continue,
                },
            },
            _ => continue,
        };
        let count = match &words[next..] {
            [] => default_count(every),
            [n, t] if matches!(*t, "times" | "checks") => {
                let n: u32 = n.parse().ok()?;
                if n == 0 || n > MAX_UNITS {
                    return None;
                }
                n
            }
            ["for", rest @ ..] => {
                let (span, end) = period_at(rest, 0)?;
                if end != rest.len() {
                    return None;
                }
                checks_in(span, every)?
            }
            _ => continue,
        };
        return Some(FollowUpPhrase {
            method: method_of(i),
            kind: FollowUpKind::Recurring { every, count },
        });
    }
    None
}

/// "N unit" at `i` (`6 months`, `2 years`, `one week`): the period and the
/// index after it.
fn period_at(words: &[&str], i: usize) -> Option<(Period, usize)> {
    let n = match *words.get(i)? {
        "one" | "a" | "an" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "six" => 6,
        "twelve" => 12,
        w => w.parse::<u32>().ok()?,
    };
    if n == 0 || n > MAX_UNITS {
        return None;
    }
    let unit = words.get(i + 1)?;
    let period = match unit.trim_end_matches('s') {
        "day" => Period::days(n),
        "week" => Period::weeks(n),
        "month" => Period::months(n),
        "year" => Period::months(n * 12),
        _ => return None,
    };
    Some((period, i + 2))
}

/// How many checks every `every` fit in `span` ("monthly for 6 months": 6).
fn checks_in(span: Period, every: Period) -> Option<u32> {
    let days = |p: Period| match p.unit {
        PeriodUnit::Days => p.count,
        PeriodUnit::Weeks => p.count * 7,
        PeriodUnit::Months => p.count * 30,
    };
    let n = if span.unit == every.unit {
        span.count / every.count.max(1)
    } else {
        days(span) / days(every).max(1)
    };
    (1..=MAX_UNITS).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_phrases() {
        let p = follow_up_phrase("Verify no recurrence over 6 months").unwrap();
        assert_eq!(p.method.as_deref(), Some("Verify no recurrence"));
        assert_eq!(
            p.kind,
            FollowUpKind::Watch {
                length: Period::months(6)
            }
        );
        let p = follow_up_phrase("Audit compliance quarterly").unwrap();
        assert_eq!(p.method.as_deref(), Some("Audit compliance"));
        assert_eq!(
            p.kind,
            FollowUpKind::Recurring {
                every: Period::months(3),
                count: 4
            }
        );
        let p = follow_up_phrase("Test restoration monthly").unwrap();
        assert_eq!(
            p.kind,
            FollowUpKind::Recurring {
                every: Period::months(1),
                count: 6
            }
        );
        assert_eq!(
            follow_up_phrase("every 2 months, 3 times").unwrap().kind,
            FollowUpKind::Recurring {
                every: Period::months(2),
                count: 3
            }
        );
        assert_eq!(
            follow_up_phrase("monthly for 1 year").unwrap().kind,
            FollowUpKind::Recurring {
                every: Period::months(1),
                count: 12
            }
        );
        assert_eq!(follow_up_phrase("when convenient"), None);
        assert_eq!(follow_up_phrase("no recurrence over 0 months"), None);
    }

    #[test]
    fn lines_and_causes() {
        assert_eq!(
            action_lines("Review access [in progress]\n\nRetrain staff\n[x]"),
            vec![
                ("Review access", Some("in progress")),
                ("Retrain staff", None),
                ("[x]", None)
            ]
        );
        assert_eq!(
            cause_category("Process: offboarding ticket closed before the VPN step"),
            Some(("Process", "offboarding ticket closed before the VPN step"))
        );
        assert_eq!(cause_category("At 10:30 the job failed"), None);
    }
}
