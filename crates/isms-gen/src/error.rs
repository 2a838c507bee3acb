//! What can go wrong when generating.

use chrono::{DateTime, Utc};
use isms_core::{DecisionError, IdError, ReferenceError, ScheduleError};

/// Why a register could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// More nonconformities than a register holds.
    #[error("cannot generate {requested} nonconformities: a register holds at most {max}")]
    TooMany {
        /// What was asked for.
        requested: usize,
        /// The register's limit.
        max: u32,
    },
    /// The span is empty or absurdly long.
    #[error("span of {days} days is out of range: use 1 to {max} days")]
    BadSpan {
        /// The span asked for.
        days: u32,
        /// The longest span allowed.
        max: u32,
    },
    /// A share of the shape is not a probability.
    #[error("shape.{name} = {value} is not a share between 0 and 1")]
    BadShare {
        /// Which share.
        name: &'static str,
        /// Its value.
        value: f64,
    },
    /// An instant falls outside the calendar.
    #[error("instant {seconds} s after the Unix epoch is outside the calendar (start {start})")]
    OutOfCalendar {
        /// Seconds since the Unix epoch.
        seconds: i64,
        /// The configured start.
        start: DateTime<Utc>,
    },
    /// The core refused a command the generator built: a generator bug,
    /// reported rather than hidden.
    #[error("the register refused the generated {command} command at {at}: {source}")]
    Refused {
        /// Which command.
        command: String,
        /// When it was run.
        at: DateTime<Utc>,
        /// The core's refusal.
        #[source]
        source: DecisionError,
    },
    /// The receiver of [`crate::generate_into`]'s events asked to stop (it
    /// keeps its own reason).
    #[error("generation stopped: the receiver of the events refused a run")]
    Stopped,
    /// A built-in requirement reference is malformed (a vocabulary bug).
    #[error("built-in requirement reference is malformed: {0}")]
    Reference(#[from] ReferenceError),
    /// A built-in schedule is malformed (a generator bug).
    #[error("built-in verification schedule is malformed: {0}")]
    Schedule(#[from] ScheduleError),
    /// A built-in actor name is malformed (a vocabulary bug).
    #[error("built-in actor name is malformed: {0}")]
    Name(#[from] IdError),
}
