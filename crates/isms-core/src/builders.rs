//! Constructors and builders, so that the common call is one line.
//!
//! - identifiers from the caller's time and entropy: [`NonconformityId::v7`]
//!   (and the same on [`ActionId`], [`ImprovementId`]);
//! - [`Actor::named`];
//! - [`ReportNonconformity::new`] and [`ProposeImprovement::new`] with the
//!   required fields, and chained setters for the optional ones;
//! - one constructor per other command ([`Command::record_containment`],
//!   [`Command::plan_action`], ...) with its required fields, and chained
//!   `with_*` setters for the optional fields
//!   ([`Command::with_late_justification`], [`Command::with_notes`], ...).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::*;
//!
//! let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let policy = Policy::default();
//! let ctx = Context::new(now, Actor::named("alice")?, &policy).with_entropy(0x5eed);
//! let nc = NonconformityId::v7(now, 0x5eed);
//! let report = ReportNonconformity::new(nc, "Restore never tested", "No restore test on record.",
//!     Source::InternalAudit, Severity::Minor, ActorId::new("ops-lead")?, now)
//!     .requirement("iso27001:2022/A.8.13".parse()?)
//!     .extension("ticket", "SEC-42");
//! let mut register = Register::new();
//! register.execute(&report.into(), &ctx)?;
//! let contain = Command::record_containment(nc, "Restored one share: it worked")
//!     .with_consequences("none beyond the scratch server");
//! register.execute(&contain, &ctx)?;
//! assert_eq!(register.nonconformity(nc).unwrap().state, NcState::Contained);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};

use crate::command::{Command, ProposeImprovement, ReportNonconformity};
use crate::error::IdError;
use crate::ids::{ActionId, Actor, ActorId, ImprovementId, NonconformityId};
use crate::model::{
    ActionDecision, AnalysisMethod, EvidenceRef, ExternalLink, ImprovementSource, IsmsChange,
    IsmsChangeKind, LinkKind, Priority, RejectionReason, RootCause, RootCauseCategory, Severity,
    Source,
};
use crate::reference::RequirementRef;
use crate::schedule::VerificationSchedule;

macro_rules! v7_id {
    ($name:ident) => {
        impl $name {
            /// A UUID v7 for an item created at `at`, with the low 74 bits
            /// of `entropy` as its random part (give a random `u128` from
            /// the product's own source, or a counter: ids created in the
            /// same millisecond differ only by it). Instants before 1970
            /// count as 1970.
            pub fn v7(at: DateTime<Utc>, entropy: u128) -> Self {
                let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
                let bytes = entropy.to_le_bytes();
                let mut tail = [0u8; 10];
                tail.copy_from_slice(&bytes[..10]);
                Self::v7_from_parts(millis, tail)
            }
        }
    };
}

v7_id!(NonconformityId);
v7_id!(ActionId);
v7_id!(ImprovementId);

impl Actor {
    /// An actor with no roles, from a name (checked as [`ActorId::new`]).
    ///
    /// # Errors
    /// [`IdError::BadName`] for an empty, too long or badly spaced name.
    pub fn named(name: impl Into<String>) -> Result<Self, IdError> {
        Ok(Actor::new(ActorId::new(name)?))
    }
}

impl RootCause {
    /// A root cause in this category.
    pub fn new(category: RootCauseCategory, statement: impl Into<String>) -> Self {
        RootCause {
            category,
            statement: statement.into(),
        }
    }
}

impl IsmsChange {
    /// A change of this kind, without requirement or document.
    pub fn new(kind: IsmsChangeKind, description: impl Into<String>) -> Self {
        IsmsChange {
            kind,
            description: description.into(),
            requirement: None,
            document: None,
        }
    }
}

impl ReportNonconformity {
    /// A report with the required fields; no requirements, deadline, links
    /// or extension fields until the setters add them.
    #[allow(clippy::too_many_arguments)] // the required fields of a report, each a different type
    pub fn new(
        id: NonconformityId,
        title: impl Into<String>,
        description: impl Into<String>,
        source: Source,
        severity: Severity,
        owner: ActorId,
        detected_at: DateTime<Utc>,
    ) -> Self {
        ReportNonconformity {
            id,
            title: title.into(),
            description: description.into(),
            source,
            severity,
            requirements: Vec::new(),
            owner,
            detected_at,
            external_deadline: None,
            links: Vec::new(),
            extensions: Default::default(),
            audit: None,
        }
    }

    /// Names the audit or management review that found it (one the
    /// register holds).
    #[must_use]
    pub fn audit(mut self, audit: crate::AuditId) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Adds a requirement not fulfilled.
    #[must_use]
    pub fn requirement(mut self, requirement: RequirementRef) -> Self {
        self.requirements.push(requirement);
        self
    }

    /// Sets a deadline imposed from outside.
    #[must_use]
    pub fn external_deadline(mut self, deadline: NaiveDate) -> Self {
        self.external_deadline = Some(deadline);
        self
    }

    /// Adds a link into the embedding product.
    #[must_use]
    pub fn link(mut self, kind: LinkKind, id: impl Into<String>) -> Self {
        self.links.push(ExternalLink {
            kind,
            id: id.into(),
        });
        self
    }

    /// Sets one of the embedding product's extension fields.
    #[must_use]
    pub fn extension(
        mut self,
        name: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.extensions.insert(name.into(), value.into());
        self
    }
}

impl From<ReportNonconformity> for Command {
    fn from(r: ReportNonconformity) -> Self {
        Command::ReportNonconformity(r)
    }
}

impl ProposeImprovement {
    /// A proposal with the required fields; no nonconformity, due date,
    /// links or extension fields until the setters add them.
    #[allow(clippy::too_many_arguments)] // the required fields of a proposal
    pub fn new(
        id: ImprovementId,
        source: ImprovementSource,
        title: impl Into<String>,
        description: impl Into<String>,
        expected_benefit: impl Into<String>,
        priority: Priority,
        owner: ActorId,
    ) -> Self {
        ProposeImprovement {
            id,
            source,
            nonconformity: None,
            title: title.into(),
            description: description.into(),
            expected_benefit: expected_benefit.into(),
            priority,
            owner,
            due: None,
            links: Vec::new(),
            extensions: Default::default(),
            audit: None,
        }
    }

    /// Names the audit or management review it came from (one the
    /// register holds).
    #[must_use]
    pub fn audit(mut self, audit: crate::AuditId) -> Self {
        self.audit = Some(audit);
        self
    }

    /// Names the nonconformity the improvement came from.
    #[must_use]
    pub fn from_nonconformity(mut self, nonconformity: NonconformityId) -> Self {
        self.nonconformity = Some(nonconformity);
        self
    }

    /// Sets the target date.
    #[must_use]
    pub fn due(mut self, due: NaiveDate) -> Self {
        self.due = Some(due);
        self
    }

    /// Adds a link into the embedding product.
    #[must_use]
    pub fn link(mut self, kind: LinkKind, id: impl Into<String>) -> Self {
        self.links.push(ExternalLink {
            kind,
            id: id.into(),
        });
        self
    }

    /// Sets one of the embedding product's extension fields.
    #[must_use]
    pub fn extension(
        mut self,
        name: impl Into<String>,
        value: impl Into<serde_json::Value>,
    ) -> Self {
        self.extensions.insert(name.into(), value.into());
        self
    }
}

impl From<ProposeImprovement> for Command {
    fn from(p: ProposeImprovement) -> Self {
        Command::ProposeImprovement(p)
    }
}

/// Constructors: the required fields of each command; the optional ones
/// are empty and the `with_*` setters fill them.
impl Command {
    /// Record correction and containment.
    pub fn record_containment(
        nonconformity: NonconformityId,
        action_taken: impl Into<String>,
    ) -> Self {
        Command::RecordContainment {
            nonconformity,
            action_taken: action_taken.into(),
            consequences: None,
            late_justification: None,
        }
    }

    /// Record a root-cause analysis that decides corrective action is needed.
    pub fn analyse_root_cause(
        nonconformity: NonconformityId,
        method: AnalysisMethod,
        causes: Vec<RootCause>,
    ) -> Self {
        Command::AnalyseRootCause {
            nonconformity,
            method,
            causes,
            similar: Vec::new(),
            similar_notes: None,
            decision: ActionDecision::ActionRequired,
        }
    }

    /// Record a root-cause analysis that decides no action is needed, with
    /// its justification and approver.
    pub fn analyse_root_cause_no_action(
        nonconformity: NonconformityId,
        method: AnalysisMethod,
        causes: Vec<RootCause>,
        justification: impl Into<String>,
        approved_by: ActorId,
    ) -> Self {
        Command::AnalyseRootCause {
            nonconformity,
            method,
            causes,
            similar: Vec::new(),
            similar_notes: None,
            decision: ActionDecision::NoActionRequired {
                justification: justification.into(),
                approved_by,
            },
        }
    }

    /// Plan a corrective action.
    pub fn plan_action(
        nonconformity: NonconformityId,
        action: ActionId,
        description: impl Into<String>,
        owner: ActorId,
        due: NaiveDate,
    ) -> Self {
        Command::PlanAction {
            nonconformity,
            action,
            description: description.into(),
            owner,
            due,
            late_justification: None,
        }
    }

    /// Record that work on an action started.
    pub fn start_action(nonconformity: NonconformityId, action: ActionId) -> Self {
        Command::StartAction {
            nonconformity,
            action,
        }
    }

    /// Move an action's due date.
    pub fn reschedule_action(
        nonconformity: NonconformityId,
        action: ActionId,
        due: NaiveDate,
        reason: impl Into<String>,
    ) -> Self {
        Command::RescheduleAction {
            nonconformity,
            action,
            due,
            reason: reason.into(),
        }
    }

    /// Record an action as done (evidence with [`Command::with_evidence`]).
    pub fn complete_action(nonconformity: NonconformityId, action: ActionId) -> Self {
        Command::CompleteAction {
            nonconformity,
            action,
            evidence: Vec::new(),
        }
    }

    /// Cancel an action.
    pub fn cancel_action(
        nonconformity: NonconformityId,
        action: ActionId,
        reason: impl Into<String>,
    ) -> Self {
        Command::CancelAction {
            nonconformity,
            action,
            reason: reason.into(),
        }
    }

    /// Plan the verification of effectiveness.
    pub fn plan_verification(
        nonconformity: NonconformityId,
        method: impl Into<String>,
        criteria: impl Into<String>,
        schedule: VerificationSchedule,
        verifier: ActorId,
    ) -> Self {
        Command::PlanVerification {
            nonconformity,
            method: method.into(),
            criteria: criteria.into(),
            schedule,
            verifier,
        }
    }

    /// Record the result of check `check` (from 0).
    pub fn record_verification(nonconformity: NonconformityId, check: u32, passed: bool) -> Self {
        Command::RecordVerification {
            nonconformity,
            check,
            passed,
            notes: None,
            evidence: Vec::new(),
        }
    }

    /// Close a nonconformity verified effective (changes with
    /// [`Command::with_isms_change`]).
    pub fn close(nonconformity: NonconformityId) -> Self {
        Command::CloseNonconformity {
            nonconformity,
            isms_changes: Vec::new(),
            notes: None,
            risk_acceptance: None,
        }
    }

    /// Reject a nonconformity.
    pub fn reject(
        nonconformity: NonconformityId,
        reason: RejectionReason,
        explanation: impl Into<String>,
    ) -> Self {
        Command::RejectNonconformity {
            nonconformity,
            reason,
            explanation: explanation.into(),
            risk_acceptance: None,
        }
    }

    /// Add and remove links of a nonconformity into the embedding product
    /// (risk, incident, audit, asset, document identifiers).
    pub fn change_links(
        nonconformity: NonconformityId,
        add: Vec<crate::ExternalLink>,
        remove: Vec<crate::ExternalLink>,
    ) -> Self {
        Command::ChangeNonconformityLinks {
            nonconformity,
            add,
            remove,
        }
    }

    /// Link a nonconformity as a recurrence of an earlier one.
    pub fn link_recurrence(nonconformity: NonconformityId, recurrence_of: NonconformityId) -> Self {
        Command::LinkRecurrence {
            nonconformity,
            recurrence_of,
        }
    }

    /// Record on an earlier nonconformity that a later one repeats it.
    pub fn record_recurrence(nonconformity: NonconformityId, recurrence: NonconformityId) -> Self {
        Command::RecordRecurrence {
            nonconformity,
            recurrence,
        }
    }

    /// Record check `check` of the current plan as missed, with the reason.
    pub fn record_missed_check(
        nonconformity: NonconformityId,
        check: u32,
        reason: impl Into<String>,
    ) -> Self {
        Command::RecordMissedCheck {
            nonconformity,
            check,
            reason: reason.into(),
        }
    }

    /// End a recurring verification schedule early, with the reason.
    pub fn end_verification(nonconformity: NonconformityId, reason: impl Into<String>) -> Self {
        Command::EndVerification {
            nonconformity,
            reason: reason.into(),
        }
    }

    /// Record, or correct, an incident's reporting under NIS2
    /// ([`crate::ClockRegime::nis2`]), with no report requested; set
    /// `regime` or `requests` on the result for anything else.
    pub fn record_incident_reporting(
        nonconformity: NonconformityId,
        aware_at: chrono::DateTime<chrono::Utc>,
        significant: bool,
    ) -> Self {
        Command::RecordIncidentReporting {
            nonconformity,
            regime: crate::reporting::ClockRegime::nis2(),
            aware_at,
            significant,
            requests: Vec::new(),
        }
    }

    /// Record a report of `kind` sent to `recipient` at `submitted_at`,
    /// without a reference.
    pub fn record_report_submission(
        nonconformity: NonconformityId,
        kind: impl Into<String>,
        recipient: impl Into<String>,
        submitted_at: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        Command::RecordReportSubmission {
            nonconformity,
            kind: kind.into(),
            recipient: recipient.into(),
            submitted_at,
            reference: None,
        }
    }

    /// Approve an improvement.
    pub fn approve_improvement(improvement: ImprovementId) -> Self {
        Command::ApproveImprovement { improvement }
    }

    /// Start implementing an improvement.
    pub fn start_improvement(improvement: ImprovementId) -> Self {
        Command::StartImprovement { improvement }
    }

    /// Record an improvement as realised.
    pub fn realise_improvement(improvement: ImprovementId) -> Self {
        Command::RealiseImprovement {
            improvement,
            isms_changes: Vec::new(),
            measured_effect: None,
        }
    }

    /// Reject an improvement.
    pub fn reject_improvement(improvement: ImprovementId, reason: impl Into<String>) -> Self {
        Command::RejectImprovement {
            improvement,
            reason: reason.into(),
        }
    }

    /// Record the measured effect of a realised improvement.
    pub fn record_improvement_effect(
        improvement: ImprovementId,
        measured_effect: impl Into<String>,
    ) -> Self {
        Command::RecordImprovementEffect {
            improvement,
            measured_effect: measured_effect.into(),
        }
    }
}

/// Setters for optional fields. Each names the commands that carry the
/// field; any other command is returned unchanged (check with
/// [`Command::accepts_field`] when building from untrusted input).
impl Command {
    /// Which optional fields [`Command`]'s `with_*` setters can set on this
    /// command (`"consequences"`, `"late_justification"`, ...).
    pub fn accepts_field(&self, field: &str) -> bool {
        let fields: &[&str] = match self {
            Command::RecordContainment { .. } => &["consequences", "late_justification"],
            Command::AnalyseRootCause { .. } => &["similar", "similar_notes"],
            Command::PlanAction { .. } => &["late_justification"],
            Command::CompleteAction { .. } => &["evidence"],
            Command::RecordVerification { .. } => &["notes", "evidence"],
            Command::CloseNonconformity { .. } => &["notes", "isms_changes", "risk_acceptance"],
            Command::RejectNonconformity { .. } => &["risk_acceptance"],
            Command::RealiseImprovement { .. } => &["isms_changes", "measured_effect"],
            _ => &[],
        };
        fields.contains(&field)
    }

    /// How the consequences were dealt with (record containment).
    #[must_use]
    pub fn with_consequences(mut self, text: impl Into<String>) -> Self {
        if let Command::RecordContainment { consequences, .. } = &mut self {
            *consequences = Some(text.into());
        }
        self
    }

    /// Why late, when a policy time limit is exceeded (record containment,
    /// plan action).
    #[must_use]
    pub fn with_late_justification(mut self, text: impl Into<String>) -> Self {
        if let Command::RecordContainment {
            late_justification, ..
        }
        | Command::PlanAction {
            late_justification, ..
        } = &mut self
        {
            *late_justification = Some(text.into());
        }
        self
    }

    /// Adds a similar nonconformity (root-cause analysis).
    #[must_use]
    pub fn with_similar(mut self, other: NonconformityId) -> Self {
        if let Command::AnalyseRootCause { similar, .. } = &mut self {
            similar.push(other);
        }
        self
    }

    /// What the check for similar nonconformities found (root-cause analysis).
    #[must_use]
    pub fn with_similar_notes(mut self, text: impl Into<String>) -> Self {
        if let Command::AnalyseRootCause { similar_notes, .. } = &mut self {
            *similar_notes = Some(text.into());
        }
        self
    }

    /// Adds evidence (complete action, record verification): a document
    /// reference from text, or a [`crate::FileEvidence`] record.
    #[must_use]
    pub fn with_evidence(mut self, reference: impl Into<EvidenceRef>) -> Self {
        if let Command::CompleteAction { evidence, .. }
        | Command::RecordVerification { evidence, .. } = &mut self
        {
            evidence.push(reference.into());
        }
        self
    }

    /// Observations or closing remarks (record verification, close).
    #[must_use]
    pub fn with_notes(mut self, text: impl Into<String>) -> Self {
        if let Command::RecordVerification { notes, .. }
        | Command::CloseNonconformity { notes, .. } = &mut self
        {
            *notes = Some(text.into());
        }
        self
    }

    /// Adds an ISMS change (close, realise improvement).
    #[must_use]
    pub fn with_isms_change(mut self, change: IsmsChange) -> Self {
        if let Command::CloseNonconformity { isms_changes, .. }
        | Command::RealiseImprovement { isms_changes, .. } = &mut self
        {
            isms_changes.push(change);
        }
        self
    }

    /// The residual risk the decision accepts (close, reject): the actor
    /// must hold the policy's risk acceptor role ([`crate::risk`]).
    #[must_use]
    pub fn with_risk_acceptance(mut self, terms: crate::RiskAcceptanceTerms) -> Self {
        if let Command::CloseNonconformity {
            risk_acceptance, ..
        }
        | Command::RejectNonconformity {
            risk_acceptance, ..
        } = &mut self
        {
            *risk_acceptance = Some(terms);
        }
        self
    }

    /// The effect measured (realise improvement).
    #[must_use]
    pub fn with_measured_effect(mut self, text: impl Into<String>) -> Self {
        if let Command::RealiseImprovement {
            measured_effect, ..
        } = &mut self
        {
            *measured_effect = Some(text.into());
        }
        self
    }
}
