//! Errors, one enum per concern.

use chrono::{DateTime, Utc};

use crate::report::{Direction, KpiId};

/// Why KPIs cannot be evaluated as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KpiError {
    /// The window length is out of range.
    #[error("a window of {days} days is out of range: use 1 to {max} days")]
    BadWindow {
        /// The length asked for.
        days: u32,
        /// The longest window allowed.
        max: u32,
    },
    /// The instant or the window start is outside 1677-09-21 .. 2262-04-11,
    /// the range of nanosecond timestamps the engine computes with.
    #[error(
        "cannot evaluate as of {as_of} over {days} days: instants must lie between 1677-09-21 and 2262-04-11"
    )]
    OutOfRange {
        /// The instant asked for.
        as_of: DateTime<Utc>,
        /// The window length.
        days: u32,
    },
}

/// Why a target was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// A threshold is NaN or infinite.
    #[error("target for {kpi}: thresholds must be finite numbers (green {green}, amber {amber})")]
    NotFinite {
        /// The KPI.
        kpi: KpiId,
        /// The green threshold.
        green: f64,
        /// The amber threshold.
        amber: f64,
    },
    /// The thresholds are the wrong way round for the KPI's direction.
    #[error(
        "target for {kpi} ({direction}): green {green} must be {} amber {amber}",
        if matches!(direction, Direction::HigherIsBetter) { "at or above" } else { "at or below" }
    )]
    WrongOrder {
        /// The KPI.
        kpi: KpiId,
        /// Its direction.
        direction: Direction,
        /// The green threshold.
        green: f64,
        /// The amber threshold.
        amber: f64,
    },
    /// The KPI has no better direction (a breakdown), so a target means nothing.
    #[error("{kpi} has no better direction, so it cannot carry a target")]
    NoDirection {
        /// The KPI.
        kpi: KpiId,
    },
}
