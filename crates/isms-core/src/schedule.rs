//! Verification schedules (10.2 d): when the effectiveness of corrective
//! action is checked, and which checks are due or overdue as of an instant.
//!
//! The seed's three follow-ups are expressed directly:
//!
//! ```
//! use chrono::NaiveDate;
//! use isms_core::{Period, VerificationSchedule};
//! let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
//! // "Verify no recurrence over 6 months"
//! let watch = VerificationSchedule::watch_window(d("2026-01-15"), Period::months(6));
//! assert_eq!(watch.check_dates()?, vec![d("2026-07-15")]);
//! // "Audit compliance quarterly" (four audits)
//! let audits = VerificationSchedule::recurring_count(d("2026-03-31"), Period::months(3), 4);
//! assert_eq!(audits.check_dates()?.len(), 4);
//! // "Test restoration monthly" until the end of the year
//! let tests = VerificationSchedule::recurring_until(d("2026-01-31"), Period::months(1), d("2026-12-31"));
//! assert_eq!(tests.check_dates()?[1], d("2026-02-28")); // month ends are kept
//! assert_eq!(tests.check_dates()?.len(), 12);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, Days, Months, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ScheduleError;

/// The most checks one schedule may produce.
pub const MAX_CHECKS: u32 = 400;
/// The longest span a schedule may cover, in days (about ten years).
pub const MAX_SPAN_DAYS: i64 = 3_660;

/// The unit of a [`Period`].
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    /// Calendar days.
    Days,
    /// Weeks of seven days.
    Weeks,
    /// Calendar months (a month end stays a month end).
    Months,
}

/// A calendar period such as "3 months".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// How many units (1 or more).
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
    /// Which unit.
    pub unit: PeriodUnit,
}

impl Period {
    /// `n` days.
    pub const fn days(n: u32) -> Self {
        Self {
            count: n,
            unit: PeriodUnit::Days,
        }
    }
    /// `n` weeks.
    pub const fn weeks(n: u32) -> Self {
        Self {
            count: n,
            unit: PeriodUnit::Weeks,
        }
    }
    /// `n` calendar months.
    pub const fn months(n: u32) -> Self {
        Self {
            count: n,
            unit: PeriodUnit::Months,
        }
    }

    /// `start` plus `k` times this period, anchored on `start` so that month
    /// arithmetic does not drift (31 Jan + 1 month = 28/29 Feb, + 2 months =
    /// 31 Mar). `None` past the calendar's end.
    pub fn nth_after(self, start: NaiveDate, k: u32) -> Option<NaiveDate> {
        let n = self.count.checked_mul(k)?;
        match self.unit {
            PeriodUnit::Days => start.checked_add_days(Days::new(u64::from(n))),
            PeriodUnit::Weeks => start.checked_add_days(Days::new(u64::from(n) * 7)),
            PeriodUnit::Months => start.checked_add_months(Months::new(n)),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match (self.unit, self.count) {
            (PeriodUnit::Days, 1) => "day",
            (PeriodUnit::Days, _) => "days",
            (PeriodUnit::Weeks, 1) => "week",
            (PeriodUnit::Weeks, _) => "weeks",
            (PeriodUnit::Months, 1) => "month",
            (PeriodUnit::Months, _) => "months",
        };
        write!(f, "{} {unit}", self.count)
    }
}

/// How a recurring schedule ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RecurrenceEnd {
    /// After this many checks.
    After {
        /// Number of checks (1 or more).
        count: u32,
    },
    /// With the last check on or before this date.
    Until {
        /// Last possible check date.
        #[serde(serialize_with = "crate::json_time::date")]
        date: NaiveDate,
    },
}

/// When effectiveness is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum VerificationSchedule {
    /// One check on a date.
    Once {
        /// The date of the check.
        #[serde(serialize_with = "crate::json_time::date")]
        on: NaiveDate,
    },
    /// A check every period from `first` ("test restoration monthly").
    Recurring {
        /// The first check.
        #[serde(serialize_with = "crate::json_time::date")]
        first: NaiveDate,
        /// The period between checks.
        every: Period,
        /// When the checks stop.
        end: RecurrenceEnd,
    },
    /// Watch for recurrence during a window; one check at its end ("verify
    /// no recurrence over 6 months").
    WatchWindow {
        /// First day of the window.
        #[serde(serialize_with = "crate::json_time::date")]
        start: NaiveDate,
        /// Length of the window; the check falls on `start + length`.
        length: Period,
    },
}

impl VerificationSchedule {
    /// A single check on `on`.
    pub const fn once(on: NaiveDate) -> Self {
        Self::Once { on }
    }
    /// `count` checks, one every `every`, from `first`.
    pub const fn recurring_count(first: NaiveDate, every: Period, count: u32) -> Self {
        Self::Recurring {
            first,
            every,
            end: RecurrenceEnd::After { count },
        }
    }
    /// A check every `every` from `first`, the last on or before `until`.
    pub const fn recurring_until(first: NaiveDate, every: Period, until: NaiveDate) -> Self {
        Self::Recurring {
            first,
            every,
            end: RecurrenceEnd::Until { date: until },
        }
    }
    /// A watch window of `length` from `start`.
    pub const fn watch_window(start: NaiveDate, length: Period) -> Self {
        Self::WatchWindow { start, length }
    }

    /// The date of the first check.
    pub fn first_date(&self) -> NaiveDate {
        match *self {
            Self::Once { on } => on,
            Self::Recurring { first, .. } => first,
            Self::WatchWindow { start, length } => length.nth_after(start, 1).unwrap_or(start),
        }
    }

    /// Checks the schedule is finite and sensible.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        self.check_dates().map(|_| ())
    }

    /// Every check date, in order. Fails on an empty, endless or absurd
    /// schedule (more than [`MAX_CHECKS`] checks or longer than
    /// [`MAX_SPAN_DAYS`]).
    pub fn check_dates(&self) -> Result<Vec<NaiveDate>, ScheduleError> {
        let check_period = |p: Period| {
            if p.count == 0 || p.count > 1000 {
                Err(ScheduleError::BadPeriod { count: p.count })
            } else {
                Ok(())
            }
        };
        let span_ok = |from: NaiveDate, to: NaiveDate| {
            if (to - from).num_days() > MAX_SPAN_DAYS {
                Err(ScheduleError::TooLong {
                    from,
                    to,
                    max_days: MAX_SPAN_DAYS,
                })
            } else {
                Ok(())
            }
        };
        match *self {
            Self::Once { on } => Ok(vec![on]),
            Self::WatchWindow { start, length } => {
                check_period(length)?;
                let end = length
                    .nth_after(start, 1)
                    .ok_or(ScheduleError::OutOfCalendar { from: start })?;
                span_ok(start, end)?;
                Ok(vec![end])
            }
            Self::Recurring { first, every, end } => {
                check_period(every)?;
                let (count, until) = match end {
                    RecurrenceEnd::After { count } => {
                        if count == 0 || count > MAX_CHECKS {
                            return Err(ScheduleError::BadCount {
                                count,
                                max: MAX_CHECKS,
                            });
                        }
                        (count, None)
                    }
                    RecurrenceEnd::Until { date } => {
                        if date < first {
                            return Err(ScheduleError::EndsBeforeStart { first, until: date });
                        }
                        span_ok(first, date)?;
                        (MAX_CHECKS + 1, Some(date))
                    }
                };
                let mut dates = Vec::new();
                for k in 0..count {
                    let d = every
                        .nth_after(first, k)
                        .ok_or(ScheduleError::OutOfCalendar { from: first })?;
                    if until.is_some_and(|u| d > u) {
                        break;
                    }
                    if dates.len() as u32 == MAX_CHECKS {
                        return Err(ScheduleError::BadCount {
                            count: MAX_CHECKS + 1,
                            max: MAX_CHECKS,
                        });
                    }
                    dates.push(d);
                }
                if let Some(last) = dates.last() {
                    span_ok(first, *last)?;
                }
                Ok(dates)
            }
        }
    }

    /// The state of every check as of `as_of`, given which checks (by
    /// index) already have a result. A check is due on its date and overdue
    /// from the next day (UTC dates; [`Self::check_states_on`] takes the
    /// organisation's date, [`crate::Policy::local_date`]).
    pub fn check_states(
        &self,
        as_of: DateTime<Utc>,
        recorded: impl Fn(u32) -> bool,
    ) -> Result<Vec<DueCheck>, ScheduleError> {
        self.check_states_on(as_of.date_naive(), recorded)
    }

    /// The state of every check on the organisation's date `today`.
    pub fn check_states_on(
        &self,
        today: chrono::NaiveDate,
        recorded: impl Fn(u32) -> bool,
    ) -> Result<Vec<DueCheck>, ScheduleError> {
        Ok(self
            .check_dates()?
            .into_iter()
            .enumerate()
            .map(|(i, due)| {
                let index = i as u32;
                let state = if recorded(index) {
                    CheckState::Done
                } else if due < today {
                    CheckState::Overdue
                } else if due == today {
                    CheckState::Due
                } else {
                    CheckState::Upcoming
                };
                DueCheck { index, due, state }
            })
            .collect())
    }
}

impl fmt::Display for VerificationSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Once { on } => write!(f, "once on {on}"),
            Self::Recurring {
                first,
                every,
                end: RecurrenceEnd::After { count },
            } => {
                write!(f, "every {every} from {first}, {count} times")
            }
            Self::Recurring {
                first,
                every,
                end: RecurrenceEnd::Until { date },
            } => {
                write!(f, "every {every} from {first} until {date}")
            }
            Self::WatchWindow { start, length } => {
                write!(f, "no recurrence for {length} from {start}")
            }
        }
    }
}

/// Where one scheduled check stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// A result is recorded.
    Done,
    /// Not yet due.
    Upcoming,
    /// Due today.
    Due,
    /// Past its date with no result.
    Overdue,
}

/// One scheduled check and its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DueCheck {
    /// Index of the check in the schedule, from 0.
    pub index: u32,
    /// Its date.
    #[serde(serialize_with = "crate::json_time::date")]
    pub due: NaiveDate,
    /// Its state.
    pub state: CheckState,
}
