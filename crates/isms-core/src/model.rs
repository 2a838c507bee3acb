//! The domain model: nonconformities (10.2), their corrective actions and
//! verification, and improvement opportunities (10.1). These are the
//! *states* that events fold into; commands are in [`crate::command`].

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{
    ActionId, ActionRef, ActorId, ImprovementId, ImprovementRef, NcRef, NonconformityId,
};
use crate::reference::RequirementRef;
use crate::schedule::{DueCheck, VerificationSchedule};
use crate::workflow::{ImprovementState, NcState};

/// Free extension fields of the embedding product: any JSON, keyed by name.
/// The core stores and returns them untouched.
pub type Extensions = BTreeMap<String, serde_json::Value>;

/// Where a nonconformity was found.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Internal audit (9.2).
    InternalAudit,
    /// Certification body or other external audit.
    ExternalAudit,
    /// An information security incident.
    Incident,
    /// Monitoring, measurement or a KPI (9.1).
    Monitoring,
    /// Management review (9.3).
    ManagementReview,
    /// Risk assessment or treatment (6.1, 8.2).
    RiskAssessment,
    /// A supplier or other third party.
    Supplier,
    /// A complaint from a customer or other interested party.
    Complaint,
    /// Found by the organisation in the course of its work.
    SelfIdentified,
    /// Ordered by a competent authority (e.g. NIS2 Article 32/33).
    AuthorityOrder,
}

impl Source {
    /// Every source, in declaration order.
    pub const ALL: [Source; 10] = [
        Source::InternalAudit,
        Source::ExternalAudit,
        Source::Incident,
        Source::Monitoring,
        Source::ManagementReview,
        Source::RiskAssessment,
        Source::Supplier,
        Source::Complaint,
        Source::SelfIdentified,
        Source::AuthorityOrder,
    ];
}

/// How serious a nonconformity is, in the usual certification-audit sense.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A requirement is not met in a way that puts the ISMS's outcomes in doubt.
    Major,
    /// An isolated lapse that does not put the ISMS's outcomes in doubt.
    Minor,
}

impl Severity {
    /// Both severities.
    pub const ALL: [Severity; 2] = [Severity::Major, Severity::Minor];

    /// The word used in documents and messages: `major` or `minor`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Major => "major",
            Severity::Minor => "minor",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of record in the embedding product a link points to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// An incident record.
    Incident,
    /// An audit or audit finding.
    Audit,
    /// A risk register entry.
    Risk,
    /// An asset.
    Asset,
    /// A document (policy, procedure, record).
    Document,
    /// Anything else.
    Other,
}

/// A link from an item to a record of the embedding product.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ExternalLink {
    /// What the identifier names.
    pub kind: LinkKind,
    /// The embedding product's identifier.
    pub id: String,
}

pub use crate::evidence::EvidenceRef;

/// The correction and containment recorded under 10.2 a).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    /// What was done to control and correct the nonconformity.
    pub action_taken: String,
    /// How its consequences were dealt with, if said separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequences: Option<String>,
    /// Why it was recorded after the policy's time limit, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_justification: Option<String>,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: ActorId,
}

/// Method of root-cause analysis.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisMethod {
    /// Asking "why" until the cause is reached.
    FiveWhys,
    /// Cause-and-effect (fishbone) diagram.
    Ishikawa,
    /// Fault-tree analysis.
    FaultTree,
    /// Any other method.
    Other,
}

/// Category of a root cause, for Pareto analysis.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RootCauseCategory {
    /// Awareness, competence, behaviour.
    People,
    /// Missing, unclear or unfollowed processes and procedures.
    Process,
    /// Systems, tools, configuration.
    Technology,
    /// A supplier or other third party.
    Supplier,
    /// Leadership, roles, resources, oversight.
    Governance,
    /// The environment or an external event.
    Environment,
}

impl RootCauseCategory {
    /// Every category, in declaration order.
    pub const ALL: [RootCauseCategory; 6] = [
        RootCauseCategory::People,
        RootCauseCategory::Process,
        RootCauseCategory::Technology,
        RootCauseCategory::Supplier,
        RootCauseCategory::Governance,
        RootCauseCategory::Environment,
    ];
}

/// One root cause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCause {
    /// Its category.
    pub category: RootCauseCategory,
    /// The cause in the analyst's words.
    pub statement: String,
}

/// The decision at the end of root-cause analysis (10.2 b): whether action
/// is needed to eliminate the causes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionDecision {
    /// Corrective action will be planned.
    ActionRequired,
    /// No corrective action: a justified, approved decision, never a
    /// silent skip. The correction's effectiveness is still verified.
    NoActionRequired {
        /// Why no action is needed.
        justification: String,
        /// Who approved the decision.
        approved_by: ActorId,
    },
}

/// The root-cause analysis recorded under 10.2 b).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RootCauseAnalysis {
    /// Which attempt this is: 1, then 2 after an ineffective verification...
    pub attempt: u32,
    /// Method used.
    pub method: AnalysisMethod,
    /// The causes found (at least one).
    pub causes: Vec<RootCause>,
    /// Similar nonconformities that exist or could occur, by identifier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub similar: Vec<NonconformityId>,
    /// What the check for similar nonconformities found, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub similar_notes: Option<String>,
    /// Whether action is needed.
    pub decision: ActionDecision,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: ActorId,
}

/// Status of a corrective action.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    /// Planned, not started.
    Planned,
    /// Being implemented.
    InProgress,
    /// Implemented.
    Done,
    /// Cancelled (actions are never deleted).
    Cancelled,
}

impl ActionStatus {
    /// Done or cancelled.
    pub const fn is_finished(self) -> bool {
        matches!(self, ActionStatus::Done | ActionStatus::Cancelled)
    }
}

/// One change of a corrective action's due date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reschedule {
    /// The due date before the change.
    #[serde(serialize_with = "crate::json_time::date")]
    pub from: NaiveDate,
    /// The new due date.
    #[serde(serialize_with = "crate::json_time::date")]
    pub to: NaiveDate,
    /// Why.
    pub reason: String,
    /// When the change was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who changed it.
    pub by: ActorId,
}

/// A corrective action (10.2 c).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectiveAction {
    /// Identifier.
    pub id: ActionId,
    /// `A-1`, `A-2`... within the nonconformity.
    pub reference: ActionRef,
    /// Which root-cause analysis attempt it answers.
    pub attempt: u32,
    /// What will be done.
    pub description: String,
    /// Who is responsible.
    pub owner: ActorId,
    /// The due date first agreed; never changes.
    #[serde(serialize_with = "crate::json_time::date")]
    pub original_due: NaiveDate,
    /// The due date now in force.
    #[serde(serialize_with = "crate::json_time::date")]
    pub due: NaiveDate,
    /// Every due-date change, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reschedules: Vec<Reschedule>,
    /// Current status.
    pub status: ActionStatus,
    /// When it was planned.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub planned_at: DateTime<Utc>,
    /// When work started, if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub started_at: Option<DateTime<Utc>>,
    /// When it was completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Evidence of implementation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceRef>,
    /// When it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancel_reason: Option<String>,
}

impl CorrectiveAction {
    /// The due date in force at instant `t` (reschedules recorded after `t`
    /// are ignored): what a report as of `t` must use.
    pub fn due_as_of(&self, t: DateTime<Utc>) -> NaiveDate {
        self.reschedules
            .iter()
            .take_while(|r| r.at <= t)
            .last()
            .map_or(self.original_due, |r| r.to)
    }
}

/// The plan for verifying effectiveness (10.2 d).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationPlan {
    /// Which analysis attempt it belongs to.
    pub attempt: u32,
    /// How effectiveness is checked (test, audit, review of records...).
    pub method: String,
    /// What counts as effective.
    pub criteria: String,
    /// When.
    pub schedule: VerificationSchedule,
    /// Who verifies (not an owner of the corrective actions, unless the
    /// policy waives segregation of duties).
    pub verifier: ActorId,
    /// When the plan was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: ActorId,
}

/// The result of one scheduled check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationResult {
    /// Which analysis attempt it belongs to.
    pub attempt: u32,
    /// Index of the check in the plan's schedule.
    pub check: u32,
    /// Whether the criteria were met.
    pub passed: bool,
    /// Observations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Evidence of the check.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<EvidenceRef>,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who recorded it (the plan's verifier).
    pub by: ActorId,
}

/// A scheduled check recorded as missed, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MissedCheck {
    /// Which analysis attempt it belongs to.
    pub attempt: u32,
    /// Index of the check in the plan's schedule.
    pub check: u32,
    /// Why it was not carried out.
    pub reason: String,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who recorded it (the plan's verifier).
    pub by: ActorId,
}

/// A recurring verification schedule ended early by the verifier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationEnd {
    /// Which analysis attempt it belongs to.
    pub attempt: u32,
    /// How many checks were recorded (passed or missed) when it ended.
    pub checks_recorded: u32,
    /// Why the remaining checks are not needed.
    pub reason: String,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who ended it (the plan's verifier).
    pub by: ActorId,
}

/// A later nonconformity recorded as repeating this one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceRecord {
    /// The later nonconformity.
    pub recurrence: NonconformityId,
    /// The attempt current when it was recorded.
    pub attempt: u32,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who recorded it.
    pub by: ActorId,
}

/// The conclusion of one verification attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EffectivenessConclusion {
    /// Which analysis attempt it concludes.
    pub attempt: u32,
    /// Effective (closable) or not (back to root-cause analysis).
    pub effective: bool,
    /// When it was reached.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
}

/// What part of the ISMS was changed (10.2 e, 10.1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IsmsChangeKind {
    /// A policy.
    Policy,
    /// A procedure or work instruction.
    Procedure,
    /// A control (new, changed or removed).
    Control,
    /// The risk assessment or risk treatment plan.
    RiskAssessment,
    /// The Statement of Applicability.
    StatementOfApplicability,
    /// Training and awareness.
    Training,
    /// Anything else.
    Other,
}

/// One change to the ISMS.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IsmsChange {
    /// What kind of thing changed.
    pub kind: IsmsChangeKind,
    /// What changed, in words.
    pub description: String,
    /// The requirement or control concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement: Option<RequirementRef>,
    /// Where the changed document lives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<EvidenceRef>,
}

/// The closure record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// The ISMS changes the nonconformity led to (may be empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub isms_changes: Vec<IsmsChange>,
    /// Closing remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// When it was closed.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who closed it.
    pub by: ActorId,
}

/// Why a nonconformity was rejected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RejectionReason {
    /// On review, no requirement is unfulfilled.
    NotANonconformity,
    /// Already recorded as another nonconformity.
    Duplicate {
        /// The nonconformity it duplicates.
        of: NonconformityId,
    },
}

/// The rejection record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    /// Why.
    pub reason: RejectionReason,
    /// In words.
    pub explanation: String,
    /// When.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// By whom.
    pub by: ActorId,
}

/// One step of an item's history: every state change, with its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
// One schema name per state type, so that a document holding both kinds of history gets
// `NcStateTransition` and `ImprovementStateTransition` rather than `Transition2`.
#[schemars(rename = "{S}Transition")]
pub struct Transition<S> {
    /// State before (`None` for creation).
    pub from: Option<S>,
    /// State after.
    pub to: S,
    /// When.
    pub at: DateTime<Utc>,
}

/// A nonconformity (10.2) with everything recorded about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Nonconformity {
    /// Identifier (the event stream id).
    pub id: NonconformityId,
    /// Human reference, `NC-0007`.
    pub reference: NcRef,
    /// Short title.
    pub title: String,
    /// What was found.
    pub description: String,
    /// Where it came from.
    pub source: Source,
    /// Major or minor.
    pub severity: Severity,
    /// Requirements not fulfilled.
    pub requirements: Vec<RequirementRef>,
    /// Who reported it.
    pub reported_by: ActorId,
    /// Who owns its handling.
    pub owner: ActorId,
    /// When it was detected (may precede reporting).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub detected_at: DateTime<Utc>,
    /// When it was reported (the first event).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub reported_at: DateTime<Utc>,
    /// A deadline imposed from outside (e.g. by an authority).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::date_opt")]
    pub external_deadline: Option<NaiveDate>,
    /// Links into the embedding product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ExternalLink>,
    /// The embedding product's own fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::extensions::schema")]
    pub extensions: Extensions,
    /// Current lifecycle state.
    pub state: NcState,
    /// Current root-cause analysis attempt (0 before the first analysis).
    pub attempt: u32,
    /// Corrections and containment, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
    /// Every root-cause analysis, in order (one per attempt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub analyses: Vec<RootCauseAnalysis>,
    /// Every corrective action ever planned, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<CorrectiveAction>,
    /// Every verification plan, in order (the last is in force).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verification_plans: Vec<VerificationPlan>,
    /// Every verification result, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verification_results: Vec<VerificationResult>,
    /// Every effectiveness conclusion, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conclusions: Vec<EffectivenessConclusion>,
    /// The closure, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closure: Option<Closure>,
    /// The rejection, once rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection: Option<Rejection>,
    /// The earlier nonconformity this one repeats, if linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence_of: Option<NonconformityId>,
    /// When the recurrence link was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub recurrence_linked_at: Option<DateTime<Utc>>,
    /// Later nonconformities recorded as repeating this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recurrences: Vec<RecurrenceRecord>,
    /// Scheduled checks recorded as missed, every attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missed_checks: Vec<MissedCheck>,
    /// Recurring schedules ended early, every attempt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verification_ends: Vec<VerificationEnd>,
    /// Every state change, in order, with its time.
    pub history: Vec<Transition<NcState>>,
    /// Time of the latest event on this nonconformity.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub last_event_at: DateTime<Utc>,
    /// Number of events applied to this nonconformity (its stream version).
    pub version: u64,
    /// The residual risk accepted by its closure or rejection, if one was
    /// ([`crate::risk`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_acceptance: Option<crate::risk::RiskAcceptance>,
    /// The audit or management review that found it, if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit::AuditId>,
    /// The regulatory reporting record of an incident, as last recorded
    /// (see [`crate::reporting`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident_reporting: Option<crate::reporting::IncidentReporting>,
    /// Reports sent to authorities, in the order recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub submissions: Vec<crate::reporting::ReportSubmission>,
    /// Earlier reporting records a later one corrected, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded_reporting: Vec<crate::reporting::IncidentReporting>,
}

impl Nonconformity {
    /// The action with this identifier.
    pub fn action(&self, id: ActionId) -> Option<&CorrectiveAction> {
        self.actions.iter().find(|a| a.id == id)
    }

    /// The action with this human reference (`A-2`).
    pub fn action_by_ref(&self, r: ActionRef) -> Option<&CorrectiveAction> {
        self.actions.get(r.number() as usize - 1)
    }

    /// The analysis of the current attempt, if recorded.
    pub fn current_analysis(&self) -> Option<&RootCauseAnalysis> {
        self.analyses.last().filter(|a| a.attempt == self.attempt)
    }

    /// The verification plan of the current attempt, if recorded.
    pub fn current_plan(&self) -> Option<&VerificationPlan> {
        self.verification_plans
            .last()
            .filter(|p| p.attempt == self.attempt)
    }

    /// Results recorded for the current attempt.
    pub fn current_results(&self) -> impl Iterator<Item = &VerificationResult> {
        let attempt = self.attempt;
        self.verification_results
            .iter()
            .filter(move |r| r.attempt == attempt)
    }

    /// Checks recorded as missed for the current attempt.
    pub fn current_missed(&self) -> impl Iterator<Item = &MissedCheck> {
        let attempt = self.attempt;
        self.missed_checks
            .iter()
            .filter(move |m| m.attempt == attempt)
    }

    /// The early end of the current attempt's schedule, if recorded.
    pub fn current_end(&self) -> Option<&VerificationEnd> {
        self.verification_ends
            .last()
            .filter(|e| e.attempt == self.attempt)
    }

    /// Whether check `i` of the current attempt has a result or was
    /// recorded as missed.
    pub fn check_recorded(&self, i: u32) -> bool {
        self.current_results().any(|r| r.check == i) || self.current_missed().any(|m| m.check == i)
    }

    /// How many checks of the current attempt are recorded (results and
    /// missed checks); checks are recorded in order, so the next one to
    /// record has this index.
    pub fn checks_recorded(&self) -> u32 {
        (self.current_results().count() + self.current_missed().count()) as u32
    }

    /// Actions of the current attempt.
    pub fn current_actions(&self) -> impl Iterator<Item = &CorrectiveAction> {
        let attempt = self.attempt;
        self.actions.iter().filter(move |a| a.attempt == attempt)
    }

    /// The latest completion time of any action of the current attempt.
    pub fn last_completion(&self) -> Option<DateTime<Utc>> {
        self.current_actions().filter_map(|a| a.completed_at).max()
    }

    /// The verification checks of the current plan and their state as of
    /// `as_of`, on UTC dates; empty without a plan.
    /// [`Self::verification_checks_in`] uses the organisation's time zone.
    pub fn verification_checks(&self, as_of: DateTime<Utc>) -> Vec<DueCheck> {
        self.verification_checks_in(as_of, crate::IanaTimeZone::UTC)
    }

    /// The verification checks of the current plan and their state as of
    /// `as_of`, on the calendar of `zone` (the policy's time zone).
    pub fn verification_checks_in(
        &self,
        as_of: DateTime<Utc>,
        zone: crate::IanaTimeZone,
    ) -> Vec<DueCheck> {
        let Some(plan) = self.current_plan() else {
            return Vec::new();
        };
        plan.schedule
            .check_states_on(zone.date_of(as_of), |i| {
                self.current_results()
                    .any(|r| r.check == i && r.at <= as_of)
                    || self.current_missed().any(|m| m.check == i && m.at <= as_of)
            })
            .unwrap_or_default()
    }

    /// When the nonconformity first reached `state`, if it did.
    pub fn first_reached(&self, state: NcState) -> Option<DateTime<Utc>> {
        self.history.iter().find(|t| t.to == state).map(|t| t.at)
    }

    /// Its state as it was at instant `t` (`None` if not yet reported).
    pub fn state_as_of(&self, t: DateTime<Utc>) -> Option<NcState> {
        self.history
            .iter()
            .take_while(|h| h.at <= t)
            .last()
            .map(|h| h.to)
    }

    /// Whether it is closed or rejected.
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }

    /// The earliest date something is due on it: an open corrective
    /// action's due date, or a verification check of the current plan that
    /// has no result yet. `None` when nothing is pending (and always once it
    /// is closed or rejected). Due lists and "overdue" filters use this.
    pub fn next_due(&self) -> Option<NaiveDate> {
        if self.is_terminal() {
            return None;
        }
        let actions = self
            .actions
            .iter()
            .filter(|a| !a.status.is_finished())
            .map(|a| a.due);
        let checks = self.current_plan().into_iter().flat_map(|plan| {
            plan.schedule
                .check_dates()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !self.check_recorded(*i as u32))
                .filter(|(i, _)| {
                    self.current_end()
                        .is_none_or(|e| (*i as u32) < e.checks_recorded)
                })
                .map(|(_, d)| d)
        });
        actions.chain(checks).min()
    }

    /// Owners of the actions that are not cancelled (for segregation of duties).
    pub fn action_owners(&self) -> impl Iterator<Item = &ActorId> {
        self.actions
            .iter()
            .filter(|a| a.status != ActionStatus::Cancelled)
            .map(|a| &a.owner)
    }
}

/// Where an improvement opportunity came from (10.1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ImprovementSource {
    /// An audit.
    Audit,
    /// Management review.
    ManagementReview,
    /// A post-incident review (lessons learned).
    PostIncidentReview,
    /// A KPI trend.
    KpiTrend,
    /// Feedback from staff or interested parties.
    Feedback,
    /// A change in risks.
    RiskChange,
    /// A nonconformity.
    Nonconformity,
}

impl ImprovementSource {
    /// Every source, in declaration order.
    pub const ALL: [ImprovementSource; 7] = [
        ImprovementSource::Audit,
        ImprovementSource::ManagementReview,
        ImprovementSource::PostIncidentReview,
        ImprovementSource::KpiTrend,
        ImprovementSource::Feedback,
        ImprovementSource::RiskChange,
        ImprovementSource::Nonconformity,
    ];
}

/// Priority of an improvement.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// Do first.
    High,
    /// Do soon.
    Medium,
    /// Do when there is room.
    Low,
}

/// An opportunity for continual improvement (10.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Improvement {
    /// Identifier (the event stream id).
    pub id: ImprovementId,
    /// Human reference, `IMP-0003`.
    pub reference: ImprovementRef,
    /// Where it came from.
    pub source: ImprovementSource,
    /// The nonconformity it came from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonconformity: Option<NonconformityId>,
    /// Short title.
    pub title: String,
    /// What would change.
    pub description: String,
    /// The benefit expected.
    pub expected_benefit: String,
    /// Priority.
    pub priority: Priority,
    /// Who owns it.
    pub owner: ActorId,
    /// Target date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::date_opt")]
    pub due: Option<NaiveDate>,
    /// Current state.
    pub state: ImprovementState,
    /// Who approved it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_by: Option<ActorId>,
    /// ISMS changes it led to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub isms_changes: Vec<IsmsChange>,
    /// The effect measured after realisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured_effect: Option<String>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejection_reason: Option<String>,
    /// Links into the embedding product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ExternalLink>,
    /// The embedding product's own fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "crate::extensions::schema")]
    pub extensions: Extensions,
    /// Every state change with its time.
    pub history: Vec<Transition<ImprovementState>>,
    /// When it was proposed.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub proposed_at: DateTime<Utc>,
    /// Who proposed it.
    pub proposed_by: ActorId,
    /// Time of the latest event.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub last_event_at: DateTime<Utc>,
    /// Number of events applied (its stream version).
    pub version: u64,
    /// The audit or management review it came from, if named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit::AuditId>,
}

impl Improvement {
    /// Its due date while it is still to be realised (proposed, approved or
    /// in progress); `None` once realised or rejected, or without one.
    pub fn next_due(&self) -> Option<NaiveDate> {
        match self.state {
            ImprovementState::Realised | ImprovementState::Rejected => None,
            _ => self.due,
        }
    }

    /// When it first reached `state`, if it did.
    pub fn first_reached(&self, state: ImprovementState) -> Option<DateTime<Utc>> {
        self.history.iter().find(|t| t.to == state).map(|t| t.at)
    }

    /// Its state as it was at instant `t` (`None` if not yet proposed).
    pub fn state_as_of(&self, t: DateTime<Utc>) -> Option<ImprovementState> {
        self.history
            .iter()
            .take_while(|h| h.at <= t)
            .last()
            .map(|h| h.to)
    }
}
