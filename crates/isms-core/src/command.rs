//! Commands: what a caller asks the register to do. `decide` validates a
//! command against the current state and the policy and either refuses it
//! or returns the events that record it.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{ActionId, ActorId, ImprovementId, NonconformityId};
use crate::model::{
    ActionDecision, AnalysisMethod, EvidenceRef, Extensions, ExternalLink, ImprovementSource,
    IsmsChange, Priority, RejectionReason, RootCause, Severity, Source,
};
use crate::reference::RequirementRef;
use crate::risk::RiskAcceptanceTerms;
use crate::schedule::VerificationSchedule;
use crate::workflow::{ImprovementCommandKind, NcCommandKind};

/// Report a nonconformity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportNonconformity {
    /// A new identifier chosen by the caller (UUID v7 recommended).
    pub id: NonconformityId,
    /// Short title.
    pub title: String,
    /// What was found.
    pub description: String,
    /// Where it came from.
    pub source: Source,
    /// Major or minor.
    pub severity: Severity,
    /// Requirements not fulfilled (no duplicates).
    #[serde(default)]
    pub requirements: Vec<RequirementRef>,
    /// Who owns its handling.
    pub owner: ActorId,
    /// When it was detected (not after the report).
    pub detected_at: DateTime<Utc>,
    /// A deadline imposed from outside, e.g. by an authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_deadline: Option<NaiveDate>,
    /// Links into the embedding product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ExternalLink>,
    /// The embedding product's own fields.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    #[schemars(schema_with = "crate::extensions::schema")]
    pub extensions: Extensions,
    /// The audit or management review it came from, if any: one the
    /// register holds ([`crate::audit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit::AuditId>,
}

/// Propose an improvement opportunity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposeImprovement {
    /// A new identifier chosen by the caller.
    pub id: ImprovementId,
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
    pub due: Option<NaiveDate>,
    /// Links into the embedding product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<ExternalLink>,
    /// The embedding product's own fields.
    #[serde(default, skip_serializing_if = "Extensions::is_empty")]
    #[schemars(schema_with = "crate::extensions::schema")]
    pub extensions: Extensions,
    /// The audit or management review it came from, if any: one the
    /// register holds ([`crate::audit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit::AuditId>,
}

/// A command on the register. Serialised with a `command` tag:
/// `{"command": "complete_action", "nonconformity": "...", ...}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Report a new nonconformity.
    ReportNonconformity(ReportNonconformity),
    /// Record correction and containment (10.2 a).
    RecordContainment {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// What was done to control and correct it.
        action_taken: String,
        /// How its consequences were dealt with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequences: Option<String>,
        /// Why late, when the policy limit is exceeded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        late_justification: Option<String>,
    },
    /// Record root-cause analysis (10.2 b).
    AnalyseRootCause {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Method used.
        method: AnalysisMethod,
        /// Causes found (at least one).
        causes: Vec<RootCause>,
        /// Similar nonconformities that exist or could occur.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        similar: Vec<NonconformityId>,
        /// What the check for similar nonconformities found.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        similar_notes: Option<String>,
        /// Whether corrective action is needed.
        decision: ActionDecision,
    },
    /// Plan a corrective action (10.2 c).
    PlanAction {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// A new identifier chosen by the caller.
        action: ActionId,
        /// What will be done.
        description: String,
        /// Who is responsible.
        owner: ActorId,
        /// Due date.
        due: NaiveDate,
        /// Why late, when the policy limit is exceeded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        late_justification: Option<String>,
    },
    /// Record that work on an action started.
    StartAction {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Which action.
        action: ActionId,
    },
    /// Move an action's due date.
    RescheduleAction {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Which action.
        action: ActionId,
        /// The new due date.
        due: NaiveDate,
        /// Why.
        reason: String,
    },
    /// Record an action as done.
    CompleteAction {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Which action.
        action: ActionId,
        /// Evidence of implementation.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<EvidenceRef>,
    },
    /// Cancel an action (actions are never deleted).
    CancelAction {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Which action.
        action: ActionId,
        /// Why.
        reason: String,
    },
    /// Plan the verification of effectiveness (10.2 d).
    PlanVerification {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// How effectiveness is checked.
        method: String,
        /// What counts as effective.
        criteria: String,
        /// When.
        schedule: VerificationSchedule,
        /// Who verifies.
        verifier: ActorId,
    },
    /// Record the result of one scheduled check (by the verifier).
    RecordVerification {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Index of the check in the schedule, from 0.
        check: u32,
        /// Whether the criteria were met.
        passed: bool,
        /// Observations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        /// Evidence of the check.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<EvidenceRef>,
    },
    /// Close a nonconformity verified effective (10.2 e).
    CloseNonconformity {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// The ISMS changes it led to.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        isms_changes: Vec<IsmsChange>,
        /// Closing remarks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        /// The residual risk the closure accepts, if it does: the actor
        /// must then hold the policy's risk acceptor role ([`crate::risk`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        risk_acceptance: Option<RiskAcceptanceTerms>,
    },
    /// Reject a nonconformity.
    RejectNonconformity {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Why.
        reason: RejectionReason,
        /// In words.
        explanation: String,
        /// The risk accepted instead of corrective action, if any: the
        /// actor must then hold the policy's risk acceptor role.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        risk_acceptance: Option<RiskAcceptanceTerms>,
    },
    /// Link a nonconformity as a recurrence of an earlier one.
    LinkRecurrence {
        /// The later nonconformity.
        nonconformity: NonconformityId,
        /// The earlier one it repeats.
        recurrence_of: NonconformityId,
    },
    /// Change the embedding product's extension fields of a nonconformity
    /// (see [`crate::extensions`]): `remove` first, then `set`.
    ChangeNonconformityExtensions {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Fields to add or replace.
        #[serde(default, skip_serializing_if = "Extensions::is_empty")]
        #[schemars(schema_with = "crate::extensions::schema")]
        set: Extensions,
        /// Names of fields to remove.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
    },
    /// Propose an improvement (10.1).
    ProposeImprovement(ProposeImprovement),
    /// Approve an improvement.
    ApproveImprovement {
        /// Which improvement.
        improvement: ImprovementId,
    },
    /// Start implementing an improvement.
    StartImprovement {
        /// Which improvement.
        improvement: ImprovementId,
    },
    /// Record an improvement as realised.
    RealiseImprovement {
        /// Which improvement.
        improvement: ImprovementId,
        /// The ISMS changes it led to.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        isms_changes: Vec<IsmsChange>,
        /// The effect measured, if known yet.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        measured_effect: Option<String>,
    },
    /// Reject an improvement.
    RejectImprovement {
        /// Which improvement.
        improvement: ImprovementId,
        /// Why.
        reason: String,
    },
    /// Record the measured effect of a realised improvement.
    RecordImprovementEffect {
        /// Which improvement.
        improvement: ImprovementId,
        /// The effect measured.
        measured_effect: String,
    },
    /// Change the embedding product's extension fields of an improvement:
    /// `remove` first, then `set`.
    ChangeImprovementExtensions {
        /// Which improvement.
        improvement: ImprovementId,
        /// Fields to add or replace.
        #[serde(default, skip_serializing_if = "Extensions::is_empty")]
        #[schemars(schema_with = "crate::extensions::schema")]
        set: Extensions,
        /// Names of fields to remove.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<String>,
    },
    /// Record on an earlier nonconformity that a later one repeats it
    /// (the other side of [`Command::LinkRecurrence`]). While the earlier
    /// one's effectiveness is being verified (or verified but not closed),
    /// this concludes its attempt ineffective at once.
    RecordRecurrence {
        /// The earlier nonconformity.
        nonconformity: NonconformityId,
        /// The later nonconformity that repeats it.
        recurrence: NonconformityId,
    },
    /// Record a scheduled check as missed, with a reason (by the verifier),
    /// so that the next check may be recorded.
    RecordMissedCheck {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Index of the check in the schedule, from 0.
        check: u32,
        /// Why it was not carried out.
        reason: String,
    },
    /// Record, or correct, the regulatory reporting of an incident
    /// nonconformity: the regime, when the organisation became aware, whether
    /// the incident is significant, the reports requested. The latest record
    /// is in force (see [`crate::reporting`]).
    RecordIncidentReporting {
        /// Which nonconformity (its source must be `incident`).
        nonconformity: NonconformityId,
        /// The regime whose clocks apply ([`crate::ClockRegime::nis2`], or a
        /// user's own).
        regime: crate::reporting::ClockRegime,
        /// When the organisation became aware (not after the command).
        aware_at: DateTime<Utc>,
        /// Whether the incident is significant.
        significant: bool,
        /// Reports the authority asked for, with the deadlines it set.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        requests: Vec<crate::reporting::ReportRequest>,
    },
    /// Record a report sent to an authority.
    RecordReportSubmission {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// The report kind (one of the recorded regime's).
        kind: String,
        /// To whom it was sent.
        recipient: String,
        /// When it was sent (not before awareness, not after the command).
        submitted_at: DateTime<Utc>,
        /// The reference it carries.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// End a recurring verification schedule early (by the verifier): the
    /// checks recorded so far passed and the rest is left to the audit
    /// programme (9.2). Concludes the attempt effective.
    EndVerification {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Why the remaining checks are not needed.
        reason: String,
    },
    /// Add or remove links into the embedding product (risk, incident,
    /// audit, asset, document identifiers): `remove` first, then `add`.
    /// Every link removed must be present, every link added absent.
    ChangeNonconformityLinks {
        /// Which nonconformity.
        nonconformity: NonconformityId,
        /// Links to add.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        add: Vec<ExternalLink>,
        /// Links to remove.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        remove: Vec<ExternalLink>,
    },
}

/// Which kind of item a command is about, and which command kind it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CommandTarget {
    /// A nonconformity command.
    Nonconformity(NonconformityId, NcCommandKind),
    /// An improvement command.
    Improvement(ImprovementId, ImprovementCommandKind),
}

impl Command {
    /// The stream of the item the command is about: the one stream
    /// `decide` reads and writes.
    pub fn stream(&self) -> crate::event::StreamId {
        use crate::event::StreamId;
        match self.target() {
            CommandTarget::Nonconformity(id, _) => StreamId::Nonconformity(id),
            CommandTarget::Improvement(id, _) => StreamId::Improvement(id),
        }
    }

    /// The item the command is about and its kind.
    pub fn target(&self) -> CommandTarget {
        use CommandTarget::{Improvement as I, Nonconformity as N};
        use ImprovementCommandKind as IK;
        use NcCommandKind as K;
        match self {
            Command::ReportNonconformity(r) => N(r.id, K::Report),
            Command::RecordContainment { nonconformity, .. } => {
                N(*nonconformity, K::RecordContainment)
            }
            Command::AnalyseRootCause { nonconformity, .. } => {
                N(*nonconformity, K::AnalyseRootCause)
            }
            Command::PlanAction { nonconformity, .. } => N(*nonconformity, K::PlanAction),
            Command::StartAction { nonconformity, .. } => N(*nonconformity, K::StartAction),
            Command::RescheduleAction { nonconformity, .. } => {
                N(*nonconformity, K::RescheduleAction)
            }
            Command::CompleteAction { nonconformity, .. } => N(*nonconformity, K::CompleteAction),
            Command::CancelAction { nonconformity, .. } => N(*nonconformity, K::CancelAction),
            Command::PlanVerification { nonconformity, .. } => {
                N(*nonconformity, K::PlanVerification)
            }
            Command::RecordVerification { nonconformity, .. } => {
                N(*nonconformity, K::RecordVerification)
            }
            Command::CloseNonconformity { nonconformity, .. } => N(*nonconformity, K::Close),
            Command::RejectNonconformity { nonconformity, .. } => N(*nonconformity, K::Reject),
            Command::LinkRecurrence { nonconformity, .. } => N(*nonconformity, K::LinkRecurrence),
            Command::ChangeNonconformityExtensions { nonconformity, .. } => {
                N(*nonconformity, K::ChangeExtensions)
            }
            Command::ProposeImprovement(p) => I(p.id, IK::Propose),
            Command::ApproveImprovement { improvement } => I(*improvement, IK::Approve),
            Command::StartImprovement { improvement } => I(*improvement, IK::Start),
            Command::RealiseImprovement { improvement, .. } => I(*improvement, IK::Realise),
            Command::RejectImprovement { improvement, .. } => I(*improvement, IK::Reject),
            Command::RecordImprovementEffect { improvement, .. } => {
                I(*improvement, IK::RecordEffect)
            }
            Command::ChangeImprovementExtensions { improvement, .. } => {
                I(*improvement, IK::ChangeExtensions)
            }
            Command::RecordRecurrence { nonconformity, .. } => {
                N(*nonconformity, K::RecordRecurrence)
            }
            Command::RecordMissedCheck { nonconformity, .. } => {
                N(*nonconformity, K::RecordMissedCheck)
            }
            Command::EndVerification { nonconformity, .. } => N(*nonconformity, K::EndVerification),
            Command::ChangeNonconformityLinks { nonconformity, .. } => {
                N(*nonconformity, K::ChangeLinks)
            }
            Command::RecordIncidentReporting { nonconformity, .. } => {
                N(*nonconformity, K::RecordIncidentReporting)
            }
            Command::RecordReportSubmission { nonconformity, .. } => {
                N(*nonconformity, K::RecordReportSubmission)
            }
        }
    }
}
