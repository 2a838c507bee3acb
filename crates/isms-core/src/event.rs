//! Events: the record of truth and the documented evidence that 10.2 f)
//! and g) ask for. State is a fold over events.
//!
//! Payloads are tagged with a versioned type name (`"type":
//! "action_completed.v1"`). A later change of a payload's shape adds a new
//! version beside the old one and upcasts the old one on reading, so that
//! every stored event stays readable for ever.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::DecisionError;
use crate::ids::{
    ActionId, ActionRef, ActorId, EventId, ImprovementId, ImprovementRef, NcRef, NonconformityId,
    RefKind, Role,
};
use crate::model::{
    ActionDecision, AnalysisMethod, EvidenceRef, Extensions, ExternalLink, ImprovementSource,
    IsmsChange, Priority, RejectionReason, RootCause, Severity, Source,
};
use crate::policy::Policy;
use crate::reference::RequirementRef;
use crate::risk::RiskAcceptanceTerms;
use crate::schedule::VerificationSchedule;

/// The stream an event belongs to: one per nonconformity or improvement.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum StreamId {
    /// A nonconformity's stream.
    Nonconformity(NonconformityId),
    /// An improvement's stream.
    Improvement(ImprovementId),
    /// The register's own stream: the policies adopted, in order
    /// ([`EventPayload::PolicyAdopted`]). One per register, with no id.
    Policy,
    /// The register's audits and management reviews, in the order recorded
    /// ([`EventPayload::AuditRecorded`]). One per register, with no id.
    Audits,
}

impl fmt::Display for StreamId {
    /// `nonconformity/<uuid>`, `improvement/<uuid>`, `policy` or `audits`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamId::Nonconformity(id) => write!(f, "nonconformity/{id}"),
            StreamId::Improvement(id) => write!(f, "improvement/{id}"),
            StreamId::Policy => f.write_str("policy"),
            StreamId::Audits => f.write_str("audits"),
        }
    }
}

impl std::str::FromStr for StreamId {
    type Err = crate::error::IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "policy" {
            return Ok(StreamId::Policy);
        }
        if s == "audits" {
            return Ok(StreamId::Audits);
        }
        if let Some(id) = s.strip_prefix("nonconformity/") {
            return Ok(StreamId::Nonconformity(id.parse()?));
        }
        if let Some(id) = s.strip_prefix("improvement/") {
            return Ok(StreamId::Improvement(id.parse()?));
        }
        Err(crate::error::IdError::NotAUuid {
            kind: "stream id",
            value: s.to_owned(),
        })
    }
}

/// A register-wide unique key an event takes: the human reference of a new
/// item, or the id of a new corrective action. A store refuses an append
/// whose claim is already taken, so two writers that decided on the same
/// register state cannot both number an item `NC-0042`: a store either
/// refuses the later one, or gives it the next free number under its write
/// lock ([`Event::renumber`]). Every backend keeps these keys in an index of
/// its own; none needs to parse event bodies for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Claim {
    /// A new nonconformity's reference.
    Nonconformity(NcRef),
    /// A new improvement's reference.
    Improvement(ImprovementRef),
    /// A new corrective action's id (unique across the register).
    Action(ActionId),
}

impl Claim {
    /// The reference kind, for the human references.
    pub fn kind(self) -> RefKind {
        match self {
            Claim::Nonconformity(_) => RefKind::Nonconformity,
            Claim::Improvement(_) => RefKind::Improvement,
            Claim::Action(_) => RefKind::Action,
        }
    }

    /// The number of a human reference (`NC-0042` gives 42); 0 for actions.
    pub fn number(self) -> u32 {
        match self {
            Claim::Nonconformity(r) => r.number(),
            Claim::Improvement(r) => r.number(),
            Claim::Action(_) => 0,
        }
    }
}

impl fmt::Display for Claim {
    /// `NC-0042`, `IMP-0007` or `action/<uuid>`: the key a store indexes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Claim::Nonconformity(r) => r.fmt(f),
            Claim::Improvement(r) => r.fmt(f),
            Claim::Action(id) => write!(f, "action/{id}"),
        }
    }
}

/// One recorded fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Identifier of the event.
    pub id: EventId,
    /// The item it belongs to.
    pub stream: StreamId,
    /// Position in its stream, from 1, without gaps.
    pub sequence: u64,
    /// When it was recorded.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: ActorId,
    /// When it was written down by the caller's clock, if the caller gave
    /// it (`at` is the effective time the caller states). Absent on events
    /// recorded before this field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub recorded_at: Option<DateTime<Utc>>,
    /// The roles the actor held when acting, as the caller vouched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// What happened.
    pub payload: EventPayload,
}

impl Event {
    /// The register-wide key this event takes, if any ([`Claim`]): the
    /// reference of a reported nonconformity or proposed improvement, or
    /// the id of a planned corrective action.
    pub fn claim(&self) -> Option<Claim> {
        match &self.payload {
            EventPayload::NonconformityReported { reference, .. } => {
                Some(Claim::Nonconformity(*reference))
            }
            EventPayload::ImprovementProposed { reference, .. } => {
                Some(Claim::Improvement(*reference))
            }
            EventPayload::ActionPlanned { action, .. } => Some(Claim::Action(*action)),
            _ => None,
        }
    }

    /// Gives a new item's creation event (a reported nonconformity or a
    /// proposed improvement) the reference number `number` in place of the
    /// one it was decided with, and says whether the event was one.
    ///
    /// The number is the only part of a creation that depends on the rest
    /// of the register, and nothing else in the event derives from it (the
    /// event id comes from the stream, the sequence and the entropy), so the
    /// result is what `decide` would have produced had `number - 1` been the
    /// highest number taken. A store uses this to hand out numbers under its
    /// write lock instead of refusing a number another writer took after the
    /// decision (`isms_store::Numbering::Assign`).
    ///
    /// ```
    /// use isms_core::*;
    ///
    /// let policy = Policy::default();
    /// let at = "2026-03-02T09:00:00Z".parse()?;
    /// let ctx = Context::new(at, Actor::new(ActorId::new("maria")?), &policy);
    /// let report = ReportNonconformity::new(
    ///     NonconformityId::v7_from_parts(1, [7; 10]),
    ///     "Restore never tested", "No restore test in 2025.",
    ///     Source::InternalAudit, Severity::Minor, ActorId::new("omar")?, at,
    /// );
    /// let mut event = decide(None, &report.into(), &RegisterFacts::default(), &ctx)?.events.remove(0);
    /// assert_eq!(event.claim().map(Claim::number), Some(1));
    /// assert!(event.renumber(42)?);
    /// assert_eq!(event.claim().map(|c| c.to_string()), Some("NC-0042".to_string()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`DecisionError::RegisterFull`] when `number` is 0 or above
    /// [`crate::MAX_ITEMS`]; the event is then unchanged.
    pub fn renumber(&mut self, number: u32) -> Result<bool, DecisionError> {
        if !(1..=crate::MAX_ITEMS).contains(&number) {
            return Err(DecisionError::RegisterFull {
                max: crate::MAX_ITEMS,
            });
        }
        let full = |_| DecisionError::RegisterFull {
            max: crate::MAX_ITEMS,
        };
        match &mut self.payload {
            EventPayload::NonconformityReported { reference, .. } => {
                *reference = NcRef::new(number).map_err(full)?;
                Ok(true)
            }
            EventPayload::ImprovementProposed { reference, .. } => {
                *reference = ImprovementRef::new(number).map_err(full)?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// What happened. Every variant's tag carries its version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum EventPayload {
    /// A nonconformity was reported.
    #[serde(rename = "nonconformity_reported.v1")]
    NonconformityReported {
        /// Its human reference.
        reference: NcRef,
        /// Short title.
        title: String,
        /// What was found.
        description: String,
        /// Where it came from.
        source: Source,
        /// Major or minor.
        severity: Severity,
        /// Requirements not fulfilled.
        #[serde(default)]
        requirements: Vec<RequirementRef>,
        /// Owner.
        owner: ActorId,
        /// Detection time.
        #[serde(serialize_with = "crate::json_time::utc")]
        detected_at: DateTime<Utc>,
        /// External deadline.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(serialize_with = "crate::json_time::date_opt")]
        external_deadline: Option<NaiveDate>,
        /// Links into the embedding product.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        links: Vec<ExternalLink>,
        /// Extension fields.
        #[serde(default, skip_serializing_if = "Extensions::is_empty")]
        #[schemars(schema_with = "crate::extensions::schema")]
        extensions: Extensions,
        /// The audit or review that found it (absent before schema 1.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audit: Option<crate::audit::AuditId>,
    },
    /// Correction and containment recorded.
    #[serde(rename = "containment_recorded.v1")]
    ContainmentRecorded {
        /// What was done.
        action_taken: String,
        /// Consequences dealt with.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        consequences: Option<String>,
        /// Why late.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        late_justification: Option<String>,
    },
    /// Root cause analysed.
    #[serde(rename = "root_cause_analysed.v1")]
    RootCauseAnalysed {
        /// Attempt number.
        attempt: u32,
        /// Method.
        method: AnalysisMethod,
        /// Causes.
        causes: Vec<RootCause>,
        /// Similar nonconformities.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        similar: Vec<NonconformityId>,
        /// Notes on the check for similar ones.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        similar_notes: Option<String>,
        /// The decision.
        decision: ActionDecision,
    },
    /// A corrective action planned.
    #[serde(rename = "action_planned.v1")]
    ActionPlanned {
        /// Its identifier.
        action: ActionId,
        /// Its reference within the nonconformity.
        reference: ActionRef,
        /// What will be done.
        description: String,
        /// Owner.
        owner: ActorId,
        /// Due date.
        #[serde(serialize_with = "crate::json_time::date")]
        due: NaiveDate,
        /// Why late.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        late_justification: Option<String>,
    },
    /// Work on an action started.
    #[serde(rename = "action_started.v1")]
    ActionStarted {
        /// Which action.
        action: ActionId,
    },
    /// An action's due date changed.
    #[serde(rename = "action_rescheduled.v1")]
    ActionRescheduled {
        /// Which action.
        action: ActionId,
        /// Previous due date.
        #[serde(serialize_with = "crate::json_time::date")]
        from: NaiveDate,
        /// New due date.
        #[serde(serialize_with = "crate::json_time::date")]
        to: NaiveDate,
        /// Why.
        reason: String,
    },
    /// An action was completed.
    #[serde(rename = "action_completed.v1")]
    ActionCompleted {
        /// Which action.
        action: ActionId,
        /// Evidence.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<EvidenceRef>,
    },
    /// An action was cancelled.
    #[serde(rename = "action_cancelled.v1")]
    ActionCancelled {
        /// Which action.
        action: ActionId,
        /// Why.
        reason: String,
    },
    /// Verification of effectiveness planned.
    #[serde(rename = "verification_planned.v1")]
    VerificationPlanned {
        /// Attempt number.
        attempt: u32,
        /// Method.
        method: String,
        /// Criteria.
        criteria: String,
        /// Schedule.
        schedule: VerificationSchedule,
        /// Verifier.
        verifier: ActorId,
    },
    /// A check's result recorded.
    #[serde(rename = "verification_recorded.v1")]
    VerificationRecorded {
        /// Attempt number.
        attempt: u32,
        /// Check index.
        check: u32,
        /// Passed or not.
        passed: bool,
        /// Observations.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        /// Evidence.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        evidence: Vec<EvidenceRef>,
    },
    /// Effectiveness concluded for an attempt.
    #[serde(rename = "effectiveness_concluded.v1")]
    EffectivenessConcluded {
        /// Attempt number.
        attempt: u32,
        /// Effective or not.
        effective: bool,
    },
    /// The nonconformity was closed.
    #[serde(rename = "nonconformity_closed.v1")]
    NonconformityClosed {
        /// ISMS changes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        isms_changes: Vec<IsmsChange>,
        /// Remarks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        notes: Option<String>,
        /// The residual risk accepted by the closure (the event's actor
        /// accepted it, in the roles the event records). Absent before
        /// schema 1.4 and when no risk was accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        risk_acceptance: Option<RiskAcceptanceTerms>,
    },
    /// The nonconformity was rejected.
    #[serde(rename = "nonconformity_rejected.v1")]
    NonconformityRejected {
        /// Why.
        reason: RejectionReason,
        /// In words.
        explanation: String,
        /// The risk accepted by the rejection, as for a closure.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        risk_acceptance: Option<RiskAcceptanceTerms>,
    },
    /// Linked as a recurrence of an earlier nonconformity.
    #[serde(rename = "recurrence_linked.v1")]
    RecurrenceLinked {
        /// The earlier nonconformity.
        recurrence_of: NonconformityId,
    },
    /// An improvement was proposed.
    #[serde(rename = "improvement_proposed.v1")]
    ImprovementProposed {
        /// Human reference.
        reference: ImprovementRef,
        /// Source.
        source: ImprovementSource,
        /// Originating nonconformity.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonconformity: Option<NonconformityId>,
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// Expected benefit.
        expected_benefit: String,
        /// Priority.
        priority: Priority,
        /// Owner.
        owner: ActorId,
        /// Target date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(serialize_with = "crate::json_time::date_opt")]
        due: Option<NaiveDate>,
        /// Links.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        links: Vec<ExternalLink>,
        /// Extension fields.
        #[serde(default, skip_serializing_if = "Extensions::is_empty")]
        #[schemars(schema_with = "crate::extensions::schema")]
        extensions: Extensions,
        /// The audit or review it came from (absent before schema 1.4).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        audit: Option<crate::audit::AuditId>,
    },
    /// An improvement was approved.
    #[serde(rename = "improvement_approved.v1")]
    ImprovementApproved {},
    /// Work on an improvement started.
    #[serde(rename = "improvement_started.v1")]
    ImprovementStarted {},
    /// An improvement was realised.
    #[serde(rename = "improvement_realised.v1")]
    ImprovementRealised {
        /// ISMS changes.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        isms_changes: Vec<IsmsChange>,
        /// Measured effect.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        measured_effect: Option<String>,
    },
    /// An improvement was rejected.
    #[serde(rename = "improvement_rejected.v1")]
    ImprovementRejected {
        /// Why.
        reason: String,
    },
    /// The measured effect of a realised improvement was recorded.
    #[serde(rename = "improvement_effect_recorded.v1")]
    ImprovementEffectRecorded {
        /// The effect.
        measured_effect: String,
    },
    /// The embedding product's extension fields of the item changed (a
    /// nonconformity or an improvement): `removed` first, then `set`.
    #[serde(rename = "extensions_changed.v1")]
    ExtensionsChanged {
        /// Fields added or replaced.
        #[serde(default, skip_serializing_if = "Extensions::is_empty")]
        #[schemars(schema_with = "crate::extensions::schema")]
        set: Extensions,
        /// Names of fields removed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed: Vec<String>,
    },
    /// A later nonconformity was recorded as repeating this one.
    #[serde(rename = "recurrence_recorded.v1")]
    RecurrenceRecorded {
        /// The later nonconformity.
        recurrence: NonconformityId,
        /// The attempt current when it was recorded.
        attempt: u32,
    },
    /// A scheduled check was recorded as missed.
    #[serde(rename = "verification_missed.v1")]
    VerificationMissed {
        /// Attempt number.
        attempt: u32,
        /// Check index.
        check: u32,
        /// Why it was not carried out.
        reason: String,
    },
    /// A recurring verification schedule was ended early by the verifier.
    #[serde(rename = "verification_ended.v1")]
    VerificationEnded {
        /// Attempt number.
        attempt: u32,
        /// How many checks were recorded (passed or missed) when it ended.
        checks_recorded: u32,
        /// Why the remaining checks are not needed.
        reason: String,
    },
    /// The regulatory reporting record of an incident nonconformity was
    /// recorded, or corrected (the latest record is in force; see
    /// [`crate::reporting`]).
    #[serde(rename = "incident_reporting_recorded.v1")]
    IncidentReportingRecorded {
        /// The regime whose clocks apply, in full.
        regime: crate::reporting::ClockRegime,
        /// When the organisation became aware of the incident.
        #[serde(serialize_with = "crate::json_time::utc")]
        aware_at: DateTime<Utc>,
        /// Whether the incident is significant.
        significant: bool,
        /// Reports requested by the authority, with their deadlines.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        requests: Vec<crate::reporting::ReportRequest>,
    },
    /// A report was sent to an authority.
    #[serde(rename = "report_submitted.v1")]
    ReportSubmitted {
        /// The report kind.
        kind: String,
        /// To whom.
        recipient: String,
        /// When it was sent.
        #[serde(serialize_with = "crate::json_time::utc")]
        submitted_at: DateTime<Utc>,
        /// The reference it carries.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reference: Option<String>,
    },
    /// A policy was adopted for the register: from its effective time
    /// (the event's `at`) on, every decision is taken under it, until the
    /// next adoption. Only in the [`StreamId::Policy`] stream.
    #[serde(rename = "policy_adopted.v1")]
    PolicyAdopted {
        /// The policy adopted (fields left at their defaults may be
        /// omitted, as in a policy file; they read back as the defaults).
        policy: Box<Policy>,
        /// Why it was adopted (a management decision, a review).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A nonconformity's links into the embedding product changed:
    /// `removed` first, then `added`.
    #[serde(rename = "links_changed.v1")]
    LinksChanged {
        /// Links added.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        added: Vec<ExternalLink>,
        /// Links removed.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        removed: Vec<ExternalLink>,
    },
    /// An audit or management review was recorded, so that findings can
    /// name it. Only in the [`StreamId::Audits`] stream.
    #[serde(rename = "audit_recorded.v1")]
    AuditRecorded {
        /// Its identifier.
        id: crate::audit::AuditId,
        /// Its kind.
        kind: crate::audit::AuditKind,
        /// What it covered.
        scope: String,
        /// When it took place.
        #[serde(serialize_with = "crate::json_time::date")]
        date: NaiveDate,
        /// Who led it.
        lead: ActorId,
    },
}

impl EventPayload {
    /// The versioned type name, as in JSON (`action_completed.v1`).
    pub fn type_name(&self) -> &'static str {
        match self {
            EventPayload::NonconformityReported { .. } => "nonconformity_reported.v1",
            EventPayload::ContainmentRecorded { .. } => "containment_recorded.v1",
            EventPayload::RootCauseAnalysed { .. } => "root_cause_analysed.v1",
            EventPayload::ActionPlanned { .. } => "action_planned.v1",
            EventPayload::ActionStarted { .. } => "action_started.v1",
            EventPayload::ActionRescheduled { .. } => "action_rescheduled.v1",
            EventPayload::ActionCompleted { .. } => "action_completed.v1",
            EventPayload::ActionCancelled { .. } => "action_cancelled.v1",
            EventPayload::VerificationPlanned { .. } => "verification_planned.v1",
            EventPayload::VerificationRecorded { .. } => "verification_recorded.v1",
            EventPayload::EffectivenessConcluded { .. } => "effectiveness_concluded.v1",
            EventPayload::NonconformityClosed { .. } => "nonconformity_closed.v1",
            EventPayload::NonconformityRejected { .. } => "nonconformity_rejected.v1",
            EventPayload::RecurrenceLinked { .. } => "recurrence_linked.v1",
            EventPayload::ImprovementProposed { .. } => "improvement_proposed.v1",
            EventPayload::ImprovementApproved {} => "improvement_approved.v1",
            EventPayload::ImprovementStarted {} => "improvement_started.v1",
            EventPayload::ImprovementRealised { .. } => "improvement_realised.v1",
            EventPayload::ImprovementRejected { .. } => "improvement_rejected.v1",
            EventPayload::ImprovementEffectRecorded { .. } => "improvement_effect_recorded.v1",
            EventPayload::ExtensionsChanged { .. } => "extensions_changed.v1",
            EventPayload::RecurrenceRecorded { .. } => "recurrence_recorded.v1",
            EventPayload::VerificationMissed { .. } => "verification_missed.v1",
            EventPayload::VerificationEnded { .. } => "verification_ended.v1",
            EventPayload::PolicyAdopted { .. } => "policy_adopted.v1",
            EventPayload::LinksChanged { .. } => "links_changed.v1",
            EventPayload::AuditRecorded { .. } => "audit_recorded.v1",
            EventPayload::IncidentReportingRecorded { .. } => "incident_reporting_recorded.v1",
            EventPayload::ReportSubmitted { .. } => "report_submitted.v1",
        }
    }
}
