//! The workflow rules an organisation may tune.
//!
//! Clause 10 itself fixes the skeleton (containment, analysis, action,
//! verification of effectiveness, evidence); those rules live in `decide`
//! and cannot be switched off. Everything an organisation legitimately
//! decides for itself is a field here, with a documented default.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{Actor, ActorId, Role};
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
/// assert!(p.evidence_required_for_completion.contains(&Severity::Major));
/// assert!(!p.evidence_required_for_verification.contains(&Severity::Minor));
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
    /// Root-cause analysis must record the check for similar
    /// nonconformities (10.2 b): the similar ones found, or notes saying
    /// none were found. Default `true`.
    #[serde(skip_serializing_if = "is_true")]
    pub similar_check_required: bool,
    /// The approver of a no-action decision, of an improvement and of a
    /// closure is neither the item's owner nor the one who proposed it.
    /// Default `true`.
    #[serde(skip_serializing_if = "is_true")]
    pub segregated_approvals: bool,
    /// The verifier may end a recurring verification schedule early, after
    /// at least one passed check, with a recorded reason. Default `true`.
    #[serde(skip_serializing_if = "is_true")]
    pub early_end_allowed: bool,
    /// How far an event's effective time may lie before the time it is
    /// recorded, when the caller gives the recording time. In `warn` mode
    /// the command goes through with a warning; in `refuse` mode it is
    /// refused. Default: no limit (`null`): both times are recorded on
    /// every event and shown wherever they differ, so back-dating is
    /// visible; an organisation that wants it bounded sets e.g.
    /// `{"days": 7, "enforcement": "warn"}`.
    #[serde(skip_serializing_if = "is_default_backdating")]
    pub max_backdating: Option<TimeLimit>,
    /// The organisation's time zone (IANA name): due dates, check dates and
    /// detection dates are calendar dates there, so a check recorded on its
    /// date in Sydney is on time whatever the UTC date. Default `UTC`
    /// (omitted from the JSON when UTC).
    #[serde(skip_serializing_if = "IanaTimeZone::is_utc")]
    pub time_zone: IanaTimeZone,
    /// A role the actor adopting a new policy must hold (the policy in
    /// force at the adoption's time decides). Default: none (anyone may).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_approver_role: Option<Role>,
    /// Who holds which role: role name to actor names. A caller that knows
    /// no roles of its own (the `isms` command line) grants an actor the
    /// roles this table gives it under the policy in force, and each event
    /// records them. Default: empty (no roles known).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub roles: BTreeMap<Role, BTreeSet<ActorId>>,
    /// Severities whose corrective actions are completed only with
    /// evidence (a document reference or a file record). Default: major
    /// only (omitted from the JSON when it is the default, so a policy
    /// written before schema 1.3 reads as the default).
    #[serde(skip_serializing_if = "is_default_evidence")]
    pub evidence_required_for_completion: BTreeSet<Severity>,
    /// Severities whose passed verification results are recorded only with
    /// evidence. A failed result never needs it: a failure only sends the
    /// item back to analysis, and must never wait for a document. Default:
    /// major only (omitted from the JSON when it is the default).
    #[serde(skip_serializing_if = "is_default_evidence")]
    pub evidence_required_for_verification: BTreeSet<Severity>,
    /// A role the actor accepting a residual risk (a closure or rejection
    /// with a risk acceptance, [`crate::risk`]) must hold. When `None`, the
    /// closure approver role is required instead; when both are `None`, no
    /// role is required, as for a closure (an organisation that wants risk
    /// owners to approve residual risk, as ISO/IEC 27001 6.1.3 f) asks,
    /// names their role here). Default: none (omitted from the JSON).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_acceptor_role: Option<Role>,
}

/// The longest time limit a policy may set, in days (ten years): a limit
/// beyond it limits nothing and is more likely a typing error.
pub const MAX_LIMIT_DAYS: u32 = 3650;

// The fields added in schema 1.1 are written only when they differ from
// their defaults, so that a policy written by this version is still one the
// 1.0 output schema describes, and a 1.0 policy reads as the defaults.
fn is_true(b: &bool) -> bool {
    *b
}

fn is_default_backdating(limit: &Option<TimeLimit>) -> bool {
    *limit == DEFAULT_BACKDATING
}

fn is_default_evidence(set: &BTreeSet<Severity>) -> bool {
    *set == default_evidence()
}

/// The severities that need evidence by default: major only.
fn default_evidence() -> BTreeSet<Severity> {
    BTreeSet::from([Severity::Major])
}

/// The default back-dating limit: none (both times are recorded).
pub const DEFAULT_BACKDATING: Option<TimeLimit> = None;

impl Default for Policy {
    fn default() -> Self {
        Self {
            segregation_of_duties: true,
            containment_required_for: BTreeSet::from([Severity::Major]),
            closure_approver_role: None,
            max_days_to_contain: None,
            max_days_to_plan: None,
            similar_check_required: true,
            segregated_approvals: true,
            early_end_allowed: true,
            max_backdating: DEFAULT_BACKDATING,
            time_zone: IanaTimeZone::UTC,
            policy_approver_role: None,
            roles: BTreeMap::new(),
            evidence_required_for_completion: default_evidence(),
            evidence_required_for_verification: default_evidence(),
            risk_acceptor_role: None,
        }
    }
}

impl Policy {
    /// The calendar date of `at` in the organisation's time zone.
    pub fn local_date(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        self.time_zone.date_of(at)
    }

    /// The most permissive policy clause 10 allows: no segregation of duties,
    /// no containment requirement, no approver, no time limits, no
    /// required record of the similar-nonconformity check, no segregated
    /// approvals, no back-dating limit, no required evidence.
    pub fn permissive() -> Self {
        Self {
            segregation_of_duties: false,
            containment_required_for: BTreeSet::new(),
            closure_approver_role: None,
            max_days_to_contain: None,
            max_days_to_plan: None,
            similar_check_required: false,
            segregated_approvals: false,
            early_end_allowed: true,
            max_backdating: None,
            time_zone: IanaTimeZone::UTC,
            policy_approver_role: None,
            roles: BTreeMap::new(),
            evidence_required_for_completion: BTreeSet::new(),
            evidence_required_for_verification: BTreeSet::new(),
            risk_acceptor_role: None,
        }
    }

    /// The role a risk acceptance requires: the risk acceptor role, else
    /// the closure approver role; `None` when the policy names neither
    /// (then none is required).
    pub fn risk_acceptance_role(&self) -> Option<&Role> {
        self.risk_acceptor_role
            .as_ref()
            .or(self.closure_approver_role.as_ref())
    }

    /// The roles the policy's role table gives `actor` (empty when it
    /// names none).
    pub fn roles_of(&self, actor: &ActorId) -> BTreeSet<Role> {
        self.roles
            .iter()
            .filter(|(_, holders)| holders.contains(actor))
            .map(|(role, _)| role.clone())
            .collect()
    }

    /// `actor` with the roles the role table gives it added to those it
    /// already holds.
    pub fn grant_roles(&self, mut actor: Actor) -> Actor {
        actor.roles.extend(self.roles_of(&actor.id));
        actor
    }

    /// Checks what the policy's schema cannot: time limits within
    /// [`MAX_LIMIT_DAYS`], and, when the role table names anyone, that a
    /// role the policy requires (closure approver, policy approver) is
    /// held by somebody, so that adopting it locks nobody out for good.
    ///
    /// ```
    /// use isms_core::{Enforcement, Policy, TimeLimit};
    /// let mut p = Policy::default();
    /// assert!(p.validate().is_ok());
    /// p.max_days_to_contain = Some(TimeLimit { days: 40_000, enforcement: Enforcement::Warn });
    /// assert!(p.validate().unwrap_err().contains("max_days_to_contain"));
    /// ```
    ///
    /// # Errors
    /// The first problem, in words naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let limits = [
            ("max_days_to_contain", self.max_days_to_contain),
            ("max_days_to_plan", self.max_days_to_plan),
            ("max_backdating", self.max_backdating),
        ];
        for (field, limit) in limits {
            if let Some(limit) = limit
                && limit.days > MAX_LIMIT_DAYS
            {
                return Err(format!(
                    "{field}.days is {}; the longest limit is {MAX_LIMIT_DAYS} days (leave the \
                     field out for no limit)",
                    limit.days
                ));
            }
        }
        if self.roles.is_empty() {
            return Ok(());
        }
        let required = [
            ("closure_approver_role", &self.closure_approver_role),
            ("policy_approver_role", &self.policy_approver_role),
            ("risk_acceptor_role", &self.risk_acceptor_role),
        ];
        for (field, role) in required {
            if let Some(role) = role
                && self.roles.get(role).is_none_or(BTreeSet::is_empty)
            {
                return Err(format!(
                    "{field} is {role}, but the roles table gives that role to nobody; \
                     add its holders under roles.{role}"
                ));
            }
        }
        Ok(())
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
    /// The effective time lies further before the recording time than the
    /// policy's back-dating limit (in `warn` mode).
    Backdated {
        /// The limit in days.
        limit_days: u32,
        /// Days between the effective and the recording time.
        days: i64,
    },
    /// An action is due after a deadline set from outside.
    DueAfterExternalDeadline {
        /// The action's due date.
        due: chrono::NaiveDate,
        /// The external deadline.
        deadline: chrono::NaiveDate,
    },
}
