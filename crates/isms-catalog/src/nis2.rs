//! NIS2 reporting deadlines: how long an entity has, and what starts the clock.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ValueError;

/// A period written as an ISO 8601 duration: `PT24H`, `P3D` or `P1M`.
///
/// Months are calendar months (NIS2 "one month"), not 30 days, so they have no
/// fixed length: [`Period::fixed`] returns `None` for them and callers add them
/// with a calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^(PT[0-9]+H|P[0-9]+[DM])$"))]
pub enum Period {
    /// A number of hours (`PTnH`).
    Hours(u32),
    /// A number of days (`PnD`).
    Days(u32),
    /// A number of calendar months (`PnM`).
    Months(u32),
}

impl Period {
    /// The exact length, when the period has one (hours and days; not months).
    pub fn fixed(self) -> Option<std::time::Duration> {
        match self {
            Period::Hours(h) => Some(std::time::Duration::from_secs(u64::from(h) * 3600)),
            Period::Days(d) => Some(std::time::Duration::from_secs(u64::from(d) * 86_400)),
            Period::Months(_) => None,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Hours(h) => write!(f, "PT{h}H"),
            Period::Days(d) => write!(f, "P{d}D"),
            Period::Months(m) => write!(f, "P{m}M"),
        }
    }
}

impl FromStr for Period {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, ValueError> {
        let bad = || ValueError::InvalidPeriod {
            given: s.to_owned(),
        };
        let number = |digits: &str| digits.parse::<u32>().map_err(|_| bad());
        if let Some(rest) = s.strip_prefix("PT") {
            return rest
                .strip_suffix('H')
                .map_or_else(|| Err(bad()), |n| number(n).map(Period::Hours));
        }
        let rest = s.strip_prefix('P').ok_or_else(bad)?;
        if let Some(n) = rest.strip_suffix('D') {
            return number(n).map(Period::Days);
        }
        if let Some(n) = rest.strip_suffix('M') {
            return number(n).map(Period::Months);
        }
        Err(bad())
    }
}

impl TryFrom<String> for Period {
    type Error = ValueError;
    fn try_from(s: String) -> Result<Self, ValueError> {
        s.parse()
    }
}

impl From<Period> for String {
    fn from(p: Period) -> String {
        p.to_string()
    }
}

/// The event that starts a NIS2 clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ClockStart {
    /// The entity becomes aware of the significant incident.
    AwarenessOfSignificantIncident,
    /// The entity becomes aware of a significant cyber threat.
    AwarenessOfSignificantCyberThreat,
    /// The incident notification (Article 23(4)(b)) has been submitted.
    IncidentNotificationSubmitted,
    /// The final report (Article 23(4)(d)) would fall due while the incident is ongoing.
    FinalReportDue,
    /// The entity has finished handling the incident.
    IncidentHandled,
    /// The CSIRT or competent authority has received the early warning.
    EarlyWarningReceived,
    /// The CSIRT or competent authority asks for the report.
    RequestByAuthority,
    /// The entity finds that it does not comply with Article 21(2).
    NonComplianceFound,
    /// The competent authority issues an order or decision that sets the period.
    AuthorityDecision,
}

/// A time limit that NIS2 attaches to one of its provisions.
///
/// `within` is the outer limit when the law fixes one; `without_undue_delay` says the
/// entity must act sooner if it can; `set_by_authority` says the authority fixes the
/// period case by case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReportingDeadline {
    /// What must be done, in a few words (for example "early warning").
    pub obligation: String,
    /// The fixed outer limit, if the law sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<Period>,
    /// What starts the clock.
    pub clock_starts: ClockStart,
    /// The law also asks for action without undue delay.
    #[serde(default)]
    pub without_undue_delay: bool,
    /// The period applies "where possible" only.
    #[serde(default)]
    pub where_possible: bool,
    /// The competent authority sets the period.
    #[serde(default)]
    pub set_by_authority: bool,
}
