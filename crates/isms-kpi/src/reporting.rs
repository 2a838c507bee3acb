//! The regulatory reporting KPIs: the share of reports sent on time, and
//! the clocks running (see `isms_core::reporting`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compute::Window;
use crate::view::KpiView;

/// One clock as the view keeps it: instants in nanoseconds, `i64::MAX`
/// for "never".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClockRow {
    /// When the incident's reporting was first recorded.
    pub(crate) recorded: i64,
    /// The deadline once the anchor report is sent (or the only one).
    pub(crate) due: i64,
    /// The deadline while the anchor report's submission is unrecorded
    /// (the same as `due` for a clock without an anchor report).
    pub(crate) provisional_due: i64,
    /// When the anchor report's submission was recorded.
    pub(crate) anchor_recorded: i64,
    /// When the first report of the kind was sent.
    pub(crate) submitted: i64,
    /// When that submission was recorded.
    pub(crate) submission_recorded: i64,
}

impl ClockRow {
    fn due_at(&self, t: i64) -> i64 {
        if self.anchor_recorded <= t {
            self.due
        } else {
            self.provisional_due
        }
    }
}

/// `reporting_on_time_rate` and `reporting_clocks_running`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReportingClocks {
    /// Clocks started at `T`: recorded at or before `T`, with a deadline
    /// (a report requested only on request counts once requested).
    pub started: u64,
    /// Clocks that came to an end in the window: met by a submission
    /// recorded in the window, or unmet with their deadline in the window
    /// and before `T` (the population of the on-time rate).
    pub ended_in_window: u64,
    /// Of those, met by a report sent at or before the deadline.
    pub on_time: u64,
    /// Of those, met by a report sent after the deadline.
    pub late: u64,
    /// Of those, unmet at `T` with the deadline passed.
    pub missed: u64,
    /// Clocks started and not met at `T` (running now: the value of
    /// `reporting_clocks_running`).
    pub running: u64,
    /// Of those, with the deadline passed at `T`.
    pub overdue: u64,
}

impl KpiView {
    /// The reporting clocks as of the window's `T`.
    pub fn reporting_clocks(&self, w: &Window) -> ReportingClocks {
        let (start, t) = w.bounds_ns();
        let mut out = ReportingClocks::default();
        for c in &self.clocks {
            if c.recorded > t {
                continue;
            }
            let due = c.due_at(t);
            if due == i64::MAX {
                continue;
            }
            out.started += 1;
            let met = c.submission_recorded <= t;
            if !met {
                out.running += 1;
                if due < t {
                    out.overdue += 1;
                }
            }
            if met && start <= c.submission_recorded {
                out.ended_in_window += 1;
                if c.submitted <= due {
                    out.on_time += 1;
                } else {
                    out.late += 1;
                }
            } else if !met && start <= due && due < t {
                out.ended_in_window += 1;
                out.missed += 1;
            }
        }
        out
    }
}
