//! Regulatory reporting clocks: the deadlines an authority sets for reports
//! about an incident (NIS2 Article 23(4): an early warning within 24 hours
//! of becoming aware of a significant incident, the incident notification
//! within 72 hours, the final report one month after the notification, an
//! intermediate report when the CSIRT asks for one).
//!
//! A regime is data, not code: a [`ClockRegime`] lists report kinds, what
//! starts each clock ([`ClockAnchor`]) and how long it runs
//! ([`ClockPeriod`]). NIS2 ships ([`ClockRegime::nis2`], from
//! `data/regimes/nis2.json`); another regime (GDPR Article 33's 72 hours,
//! DORA's staged reports) is a file of the same shape that a caller reads
//! and passes with the command (`docs/reporting-clocks.md`).
//!
//! The record of an incident nonconformity's reporting
//! ([`IncidentReporting`]: the regime, the instant the organisation became
//! aware, whether the incident is significant, the reports requested) is
//! an event, `incident_reporting_recorded.v1`; recording it again corrects
//! it, and the fold keeps the latest. Every report sent is an event too,
//! `report_submitted.v1` ([`ReportSubmission`]). The clocks are derived
//! from both ([`reporting_clocks`]) as exact instants: periods in hours
//! and days are added as durations, months as calendar months in UTC.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::{ClockAnchor, ClockRegime};
//!
//! let nis2 = ClockRegime::nis2();
//! let early = nis2.rule("early_warning").unwrap();
//! assert_eq!(early.starts, ClockAnchor::Awareness);
//! let aware = Utc.with_ymd_and_hms(2026, 1, 31, 10, 0, 0).unwrap();
//! assert_eq!(early.within.unwrap().add_to(aware), Some(Utc.with_ymd_and_hms(2026, 2, 1, 10, 0, 0).unwrap()));
//! // One month after 31 January is the last day of February.
//! let month = nis2.rule("final_report").unwrap().within.unwrap();
//! assert_eq!(month.add_to(aware), Some(Utc.with_ymd_and_hms(2026, 2, 28, 10, 0, 0).unwrap()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Months, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::ActorId;
use crate::model::Nonconformity;
use crate::reference::RequirementRef;

/// The most rules a regime may have.
pub const MAX_CLOCK_RULES: usize = 32;
/// The most report requests one record may carry.
pub const MAX_REPORT_REQUESTS: usize = 64;
/// The most submissions one nonconformity may record.
pub const MAX_SUBMISSIONS: usize = 256;

/// How long a clock runs: `PTnH` (hours), `PnD` (days) or `PnM` (calendar
/// months), as in ISO 8601. Hours up to 8784 (a year), days up to 3660,
/// months up to 120, so that every deadline stays inside the calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = "^(PT[0-9]{1,4}H|P[0-9]{1,4}[DM])$"))]
pub enum ClockPeriod {
    /// A number of hours.
    Hours(u32),
    /// A number of days of 24 hours.
    Days(u32),
    /// A number of calendar months (the same day of the month, or the
    /// month's last day when it has no such day).
    Months(u32),
}

impl ClockPeriod {
    /// The end of the period started at `start`; `None` only when it would
    /// leave the calendar chrono represents.
    pub fn add_to(self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            ClockPeriod::Hours(h) => start.checked_add_signed(Duration::hours(i64::from(h))),
            ClockPeriod::Days(d) => start.checked_add_signed(Duration::days(i64::from(d))),
            ClockPeriod::Months(m) => start.checked_add_months(Months::new(m)),
        }
    }

    fn check(self) -> Result<Self, String> {
        let (n, max, unit) = match self {
            ClockPeriod::Hours(n) => (n, 8784, "hours"),
            ClockPeriod::Days(n) => (n, 3660, "days"),
            ClockPeriod::Months(n) => (n, 120, "months"),
        };
        if n == 0 || n > max {
            return Err(format!(
                "a period of {n} {unit} is not allowed: use 1 to {max}"
            ));
        }
        Ok(self)
    }
}

impl fmt::Display for ClockPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClockPeriod::Hours(h) => write!(f, "PT{h}H"),
            ClockPeriod::Days(d) => write!(f, "P{d}D"),
            ClockPeriod::Months(m) => write!(f, "P{m}M"),
        }
    }
}

/// A period that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a clock period: {problem} (write PT24H, P3D or P1M)")]
pub struct ClockPeriodError {
    /// The text given.
    pub given: String,
    /// What is wrong.
    pub problem: String,
}

impl FromStr for ClockPeriod {
    type Err = ClockPeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| ClockPeriodError {
            given: s.chars().take(40).collect(),
            problem: problem.to_owned(),
        };
        let number = |digits: &str| -> Result<u32, ClockPeriodError> {
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(bad("the number must be 1 to 4 digits"));
            }
            digits.parse().map_err(|_| bad("not a number"))
        };
        let period = if let Some(rest) = s.strip_prefix("PT") {
            let n = rest.strip_suffix('H').ok_or_else(|| bad("PT needs H"))?;
            ClockPeriod::Hours(number(n)?)
        } else if let Some(rest) = s.strip_prefix('P') {
            if let Some(n) = rest.strip_suffix('D') {
                ClockPeriod::Days(number(n)?)
            } else if let Some(n) = rest.strip_suffix('M') {
                ClockPeriod::Months(number(n)?)
            } else {
                return Err(bad("the unit must be H, D or M"));
            }
        } else {
            return Err(bad("it must start with P"));
        };
        period.check().map_err(|p| bad(&p))
    }
}

impl TryFrom<String> for ClockPeriod {
    type Error = ClockPeriodError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<ClockPeriod> for String {
    fn from(p: ClockPeriod) -> String {
        p.to_string()
    }
}

/// What starts a clock.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ClockAnchor {
    /// The instant the organisation became aware of the incident.
    Awareness,
    /// The first submission of the named report kind (NIS2's final report
    /// runs from the incident notification). The kind must come earlier in
    /// the regime's list, so that anchors never form a cycle.
    Submission(String),
    /// A request by the authority, which sets the deadline
    /// ([`ReportRequest`]); the rule then has no period of its own.
    Request,
}

/// One report a regime asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRule {
    /// The report kind: lower-case ASCII letters, digits and `_`, 1 to 64
    /// characters, unique in the regime (`early_warning`).
    pub kind: String,
    /// A short title (`Early warning`).
    pub title: String,
    /// The provision that imposes it (`nis2/23.4.a`), which the catalogue
    /// resolves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<RequirementRef>,
    /// What starts the clock.
    pub starts: ClockAnchor,
    /// How long the clock runs; required unless the clock starts on
    /// request, where the request gives the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<ClockPeriod>,
}

/// A set of reporting deadlines, as data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockRegime {
    /// Its identifier, named like a report kind (`nis2`, `gdpr_art33`).
    pub id: String,
    /// What it is, in words.
    pub title: String,
    /// The reports, in order; an anchor names only an earlier kind.
    pub rules: Vec<ClockRule>,
}

const NIS2_JSON: &str = include_str!("../data/regimes/nis2.json");

impl ClockRegime {
    /// NIS2 Article 23(4) as shipped (`data/regimes/nis2.json`): early
    /// warning 24 hours and incident notification 72 hours after awareness,
    /// final report one calendar month after the incident notification was
    /// submitted, intermediate report on request. A test of `isms-kpi`
    /// checks these periods against the catalogue's Article 23 data.
    pub fn nis2() -> ClockRegime {
        // The shipped file is checked by a unit test; an unreadable one
        // would fail every test run, so this fallback is never taken.
        serde_json::from_str(NIS2_JSON).unwrap_or_else(|_| ClockRegime {
            id: "nis2".to_owned(),
            title: String::new(),
            rules: Vec::new(),
        })
    }

    /// A regime read from JSON (a user's file), validated.
    ///
    /// # Errors
    /// The JSON error, or the [`ClockRegime::validate`] problem.
    pub fn from_json(text: &str) -> Result<ClockRegime, RegimeError> {
        let regime: ClockRegime =
            serde_json::from_str(text).map_err(|e| RegimeError(e.to_string()))?;
        regime.validate().map_err(RegimeError)?;
        Ok(regime)
    }

    /// The rule for a report kind.
    pub fn rule(&self, kind: &str) -> Option<&ClockRule> {
        self.rules.iter().find(|r| r.kind == kind)
    }

    /// Checks the regime's shape: names, unique kinds, anchors naming an
    /// earlier kind, a period wherever the anchor needs one.
    ///
    /// # Errors
    /// What is wrong, naming the rule.
    pub fn validate(&self) -> Result<(), String> {
        check_name("regime id", &self.id)?;
        check_words("regime title", &self.title)?;
        if self.rules.is_empty() || self.rules.len() > MAX_CLOCK_RULES {
            return Err(format!(
                "a regime has 1 to {MAX_CLOCK_RULES} rules; this one has {}",
                self.rules.len()
            ));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            let earlier = &self.rules[..i];
            check_name("report kind", &rule.kind)?;
            check_words("rule title", &rule.title)?;
            if earlier.iter().any(|r| r.kind == rule.kind) {
                return Err(format!("the report kind {} is listed twice", rule.kind));
            }
            match (&rule.starts, rule.within) {
                (ClockAnchor::Request, Some(_)) => {
                    return Err(format!(
                        "{}: a clock that starts on request takes its deadline from the request, not `within`",
                        rule.kind
                    ));
                }
                (ClockAnchor::Request, None) => {}
                (_, None) => {
                    return Err(format!("{}: `within` is missing", rule.kind));
                }
                (_, Some(p)) => {
                    p.check().map_err(|e| format!("{}: {e}", rule.kind))?;
                }
            }
            if let ClockAnchor::Submission(anchor) = &rule.starts
                && !earlier.iter().any(|r| &r.kind == anchor)
            {
                return Err(format!(
                    "{}: it starts on the submission of {anchor:?}, which is not a kind listed before it",
                    rule.kind
                ));
            }
        }
        Ok(())
    }
}

/// A regime file that does not read or does not validate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid clock regime: {0}")]
pub struct RegimeError(pub String);

fn check_name(what: &str, s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {:?} must be 1 to 64 lower-case ASCII letters, digits or `_`",
            s.chars().take(70).collect::<String>()
        ))
    }
}

fn check_words(what: &'static str, s: &str) -> Result<(), String> {
    crate::decide::check_text(what, s, crate::decide::MAX_TITLE_CHARS).map_err(|e| e.to_string())
}

/// An authority's request for a report whose clock starts on request
/// (NIS2's intermediate report), with the deadline it set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    /// The report kind requested (a request-anchored kind of the regime).
    pub kind: String,
    /// When the request was received.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub requested_at: DateTime<Utc>,
    /// The deadline the authority set (after `requested_at`).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub due: DateTime<Utc>,
}

/// The reporting record of an incident nonconformity, as last recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentReporting {
    /// The regime whose clocks apply, as it stood when recorded.
    pub regime: ClockRegime,
    /// When the organisation became aware of the incident.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub aware_at: DateTime<Utc>,
    /// Whether the incident is significant (NIS2 Article 23(3)); only a
    /// significant incident starts the clocks.
    pub significant: bool,
    /// Reports the authority asked for, with their deadlines.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<ReportRequest>,
    /// When this record was made (the event's effective time).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub recorded_at: DateTime<Utc>,
    /// Who made it.
    pub recorded_by: ActorId,
    /// How many records were made before this one (corrections).
    #[serde(default)]
    pub corrections: u32,
    /// When the first record was made: the clocks count from then on,
    /// with the values of the record in force (a correction corrects).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub first_recorded_at: DateTime<Utc>,
}

/// A report sent to an authority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSubmission {
    /// The report kind (of the regime in force when it was recorded).
    pub kind: String,
    /// To whom (a CSIRT, a competent authority).
    pub recipient: String,
    /// When it was sent.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub submitted_at: DateTime<Utc>,
    /// The authority's or the sender's reference, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// When it was recorded (the event's effective time).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: ActorId,
}

/// Where a clock stands as of an instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Started, not met, deadline still ahead.
    Running,
    /// Started, not met, deadline passed.
    Overdue,
    /// Met by a submission at or before the deadline.
    MetOnTime,
    /// Met by a submission after the deadline.
    MetLate,
    /// Not started: a request-anchored report nobody asked for.
    NotStarted,
}

impl ClockStatus {
    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ClockStatus::Running => "running",
            ClockStatus::Overdue => "overdue",
            ClockStatus::MetOnTime => "met_on_time",
            ClockStatus::MetLate => "met_late",
            ClockStatus::NotStarted => "not_started",
        }
    }
}

/// One clock of an incident nonconformity, derived from its record and
/// submissions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReportingClock {
    /// The regime's id.
    pub regime: String,
    /// The report kind.
    pub kind: String,
    /// Its title.
    pub title: String,
    /// The provision that imposes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provision: Option<RequirementRef>,
    /// When the clock started (awareness, the anchor's submission, the
    /// request); for a provisional clock, the latest its anchor may come.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub started_at: Option<DateTime<Utc>>,
    /// The deadline; `None` when the clock has not started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub due: Option<DateTime<Utc>>,
    /// The anchor report has not been sent yet, so the deadline is counted
    /// from the anchor's own deadline: the latest it can be if the anchor
    /// is sent on time.
    pub provisional: bool,
    /// The first submission of this kind: when it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub submitted_at: Option<DateTime<Utc>>,
    /// When that submission was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub submission_recorded_at: Option<DateTime<Utc>>,
    /// When the incident's reporting was first recorded: the clock exists
    /// from then on.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub recorded_at: DateTime<Utc>,
    /// For a clock that starts on another report's submission: when that
    /// submission was recorded (until then the deadline in force is
    /// `provisional_due`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub anchor_recorded_at: Option<DateTime<Utc>>,
    /// For a clock that starts on another report's submission: the
    /// deadline counted from that report's own deadline, in force while it
    /// is unsent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub provisional_due: Option<DateTime<Utc>>,
}

impl ReportingClock {
    /// The deadline in force at `t`: the provisional one while the anchor
    /// report's submission was not yet recorded at `t`.
    pub fn due_as_of(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.anchor_recorded_at {
            Some(r) if r > t => self.provisional_due,
            _ => self.due,
        }
    }

    /// Where the clock stands as of `t`, counting only a submission
    /// recorded by `t`.
    pub fn status(&self, t: DateTime<Utc>) -> ClockStatus {
        let Some(due) = self.due_as_of(t) else {
            return ClockStatus::NotStarted;
        };
        match (self.submitted_at, self.submission_recorded_at) {
            (Some(sent), Some(rec)) if rec <= t => {
                if sent <= due {
                    ClockStatus::MetOnTime
                } else {
                    ClockStatus::MetLate
                }
            }
            _ if due < t => ClockStatus::Overdue,
            _ => ClockStatus::Running,
        }
    }
}

/// The clocks of a nonconformity, in the regime's order: none unless its
/// reporting is recorded and the incident is significant. A clock whose
/// deadline would leave the calendar has `due: None`, as one not started.
pub fn reporting_clocks(nc: &Nonconformity) -> Vec<ReportingClock> {
    let Some(rep) = &nc.incident_reporting else {
        return Vec::new();
    };
    if !rep.significant {
        return Vec::new();
    }
    let mut clocks: Vec<ReportingClock> = Vec::with_capacity(rep.regime.rules.len());
    for rule in &rep.regime.rules {
        let first = nc
            .submissions
            .iter()
            .filter(|s| s.kind == rule.kind)
            .min_by_key(|s| (s.submitted_at, s.recorded_at));
        let mut anchor_recorded_at = None;
        let mut provisional_due = None;
        let (started_at, due, provisional) = match &rule.starts {
            ClockAnchor::Awareness => (
                Some(rep.aware_at),
                rule.within.and_then(|p| p.add_to(rep.aware_at)),
                false,
            ),
            ClockAnchor::Request => {
                let req = rep
                    .requests
                    .iter()
                    .filter(|r| r.kind == rule.kind)
                    .min_by_key(|r| r.requested_at);
                (req.map(|r| r.requested_at), req.map(|r| r.due), false)
            }
            ClockAnchor::Submission(anchor) => match clocks.iter().find(|c| &c.kind == anchor) {
                Some(c) => {
                    anchor_recorded_at = c.submission_recorded_at;
                    provisional_due = c.due.and_then(|d| rule.within.and_then(|p| p.add_to(d)));
                    match c.submitted_at {
                        Some(sent) => (Some(sent), rule.within.and_then(|p| p.add_to(sent)), false),
                        None => (c.due, provisional_due, true),
                    }
                }
                None => (None, None, false),
            },
        };
        clocks.push(ReportingClock {
            regime: rep.regime.id.clone(),
            kind: rule.kind.clone(),
            title: rule.title.clone(),
            provision: rule.provision.clone(),
            started_at,
            due,
            provisional,
            submitted_at: first.map(|s| s.submitted_at),
            submission_recorded_at: first.map(|s| s.recorded_at),
            recorded_at: rep.first_recorded_at,
            anchor_recorded_at,
            provisional_due,
        });
    }
    clocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_nis2_regime_reads_and_validates() {
        let r: ClockRegime = serde_json::from_str(NIS2_JSON).unwrap();
        r.validate().unwrap();
        assert_eq!(r, ClockRegime::nis2());
        let kinds: Vec<&str> = r.rules.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "early_warning",
                "incident_notification",
                "intermediate_report",
                "final_report"
            ]
        );
    }

    #[test]
    fn periods_parse_and_print() {
        for s in ["PT24H", "PT72H", "P1M", "P3D", "PT8784H", "P120M"] {
            assert_eq!(s.parse::<ClockPeriod>().unwrap().to_string(), s);
        }
        for s in [
            "", "P", "PT", "PT0H", "P0M", "PT24", "P1Y", "PT-1H", "P121M", "PT99999H", "p1m", "P1m",
        ] {
            assert!(s.parse::<ClockPeriod>().is_err(), "{s}");
        }
    }

    #[test]
    fn a_regime_with_a_cycle_or_a_bad_anchor_is_refused() {
        let mut r = ClockRegime::nis2();
        r.rules[3].starts = ClockAnchor::Submission("final_report".into());
        assert!(
            r.validate()
                .unwrap_err()
                .contains("not a kind listed before")
        );
        let mut r = ClockRegime::nis2();
        r.rules[1].kind = "early_warning".into();
        assert!(r.validate().unwrap_err().contains("twice"));
        let mut r = ClockRegime::nis2();
        r.rules[2].within = Some(ClockPeriod::Hours(1));
        assert!(r.validate().is_err());
        let mut r = ClockRegime::nis2();
        r.rules[0].within = None;
        assert!(r.validate().unwrap_err().contains("within"));
        let mut r = ClockRegime::nis2();
        r.id = "NIS 2".into();
        assert!(r.validate().is_err());
        r.rules.clear();
        assert!(r.validate().is_err());
    }
}
