//! The workflow rules an organisation may tune.
//!
//! Clause 10 itself fixes the skeleton (containment, analysis, action,
//! verification of effectiveness, evidence); those rules live in `decide`
//! and cannot be switched off. Everything an organisation legitimately
//! decides for itself is a field here, with a documented default.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::Role;
use crate::model::Severity;
use crate::timezone::IanaTimeZone;

/// Whether a breached time limit is only reported or refuses the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// The command goes through and `decide` returns a [`PolicyWarning`].
    Warn,
    /// The command is refused unless it carries a `late_justification`.
    Refuse,
}

/// A time limit in days, counted from a start event to the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeLimit {
    /// Days allowed.
    pub days: u32,
    /// What happens when they are exceeded.
    pub enforcement: Enforcement,
}

/// An organisation's workflow policy.
///
/// ```
/// use isms_core::{Policy, Severity};
/// let p = Policy::default();
/// assert!(p.segregation_of_duties);
/// assert!(p.containment_required_for.contains(&Severity::Major));
/// assert!(!p.containment_required_for.contains(&Severity::Minor));
/// assert!(p.closure_approver_role.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// The verifier of a nonconformity must not own one of its (not
    /// cancelled) corrective actions (ISO/IEC 27001 A.5.3). Default `true`.
    pub segregation_of_duties: bool,
    /// Severities whose containment must be recorded before root-cause
    /// analysis. Default: major only.
    pub containment_required_for: BTreeSet<Severity>,
    /// A role the actor closing a nonconformity must hold. Default: none.
    pub closure_approver_role: Option<Role>,
    /// Days from reporting to the first correction. Default: none.
    pub max_days_to_contain: Option<TimeLimit>,
    /// Days from the start of an analysis attempt (reporting, or the
    /// ineffective verification that reopened it) to its first planned
    /// action. Default: none.
    pub max_days_to_plan: Option<TimeLimit>,
    /// The organisation's time zone (IANA name): due dates, check dates and
    /// detection dates are calendar dates there, so a check recorded on its
    /// date in Sydney is on time whatever the UTC date. Default `UTC`
    /// (omitted from the JSON when UTC).
    #[serde(skip_serializing_if = "IanaTimeZone::is_utc")]
    pub time_zone: IanaTimeZone,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            segregation_of_duties: true,
            containment_required_for: BTreeSet::from([Severity::Major]),
            closure_approver_role: None,
            max_days_to_contain: None,
            max_days_to_plan: None,
            time_zone: IanaTimeZone::UTC,
        }
    }
}

impl Policy {
    /// The calendar date of `at` in the organisation's time zone.
    pub fn local_date(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        self.time_zone.date_of(at)
    }

    /// The most permissive policy clause 10 allows: no segregation of duties,
    /// no containment requirement, no approver, no time limits.
    pub fn permissive() -> Self {
        Self {
            segregation_of_duties: false,
            containment_required_for: BTreeSet::new(),
            closure_approver_role: None,
            max_days_to_contain: None,
            max_days_to_plan: None,
            time_zone: IanaTimeZone::UTC,
        }
    }
}

/// Something the policy flags without refusing the command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PolicyWarning {
    /// A time limit in `warn` mode was exceeded.
    TimeLimitExceeded {
        /// `containment` or `planning`.
        what: String,
        /// The limit.
        limit_days: u32,
        /// Days elapsed.
        elapsed_days: i64,
    },
    /// An action is due after a deadline set from outside.
    DueAfterExternalDeadline {
        /// The action's due date.
        due: chrono::NaiveDate,
        /// The external deadline.
        deadline: chrono::NaiveDate,
    },
}
