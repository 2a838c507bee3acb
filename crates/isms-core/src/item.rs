//! One item, the aggregate: a nonconformity or an improvement folded from
//! its own stream's events, with nothing else of the register.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::event::{Event, EventPayload, StreamId};
use crate::ids::{ActorId, ImprovementId, NonconformityId};
use crate::model::{
    ActionDecision, ActionStatus, Closure, Correction, CorrectiveAction, EffectivenessConclusion,
    Improvement, Nonconformity, Rejection, Reschedule, RootCauseAnalysis, Transition,
    VerificationPlan, VerificationResult,
};
use crate::risk::RiskDecision;
use crate::workflow::{ImprovementState, NcState};

/// One item of the register, owned: what [`apply`] folds a stream into.
// One item is held at a time (the aggregate being decided), never in bulk,
// so boxing the larger variant would buy nothing but an indirection.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A nonconformity (10.2).
    Nonconformity(Nonconformity),
    /// An improvement opportunity (10.1).
    Improvement(Improvement),
}

/// One item of the register, borrowed: what [`crate::decide`] decides on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ItemRef<'a> {
    /// A nonconformity (10.2).
    Nonconformity(&'a Nonconformity),
    /// An improvement opportunity (10.1).
    Improvement(&'a Improvement),
}

impl Item {
    /// Folds one stream's events, in order, into the item they record
    /// (`None` when they do not start with a creation event).
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use isms_core::*;
    ///
    /// let policy = Policy::default();
    /// let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    /// let id = NonconformityId::v7_from_parts(1_772_442_000_000, [3; 10]);
    /// let mut register = Register::new();
    /// let report = register.execute(
    ///     &Command::ReportNonconformity(ReportNonconformity {
    ///         id,
    ///         title: "Visitor log not kept".into(),
    ///         description: "Reception kept no visitor log in March.".into(),
    ///         source: Source::SelfIdentified,
    ///         severity: Severity::Minor,
    ///         requirements: vec!["iso27001:2022/A.7.2".parse()?],
    ///         owner: ActorId::new("facilities")?,
    ///         detected_at: at,
    ///         external_deadline: None,
    ///         links: vec![],
    ///         extensions: Default::default(),
    ///         audit: None,
    ///     }),
    ///     &Context::new(at, Actor::new(ActorId::new("alice")?), &policy),
    /// )?;
    ///
    /// // One stream's events fold into the same item the register holds.
    /// let item = Item::from_events(&report.events).unwrap();
    /// assert_eq!(item.stream(), StreamId::Nonconformity(id));
    /// assert_eq!(item.version(), 1);
    /// assert_eq!(Some(item.as_ref()), register.item(item.stream()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<Item> {
        let mut item = None;
        for e in events {
            apply(&mut item, e);
        }
        item
    }

    /// The same as [`Item::from_events`] for owned events, without copying
    /// their text.
    pub fn from_events_owned(events: impl IntoIterator<Item = Event>) -> Option<Item> {
        let mut item = None;
        for e in events {
            apply_owned(&mut item, e);
        }
        item
    }

    /// The item borrowed, for [`crate::decide`].
    pub fn as_ref(&self) -> ItemRef<'_> {
        match self {
            Item::Nonconformity(nc) => ItemRef::Nonconformity(nc),
            Item::Improvement(imp) => ItemRef::Improvement(imp),
        }
    }

    /// Its stream.
    pub fn stream(&self) -> StreamId {
        self.as_ref().stream()
    }

    /// Its version: the number of events folded into it.
    pub fn version(&self) -> u64 {
        self.as_ref().version()
    }
}

impl ItemRef<'_> {
    /// Its stream.
    pub fn stream(self) -> StreamId {
        match self {
            ItemRef::Nonconformity(nc) => StreamId::Nonconformity(nc.id),
            ItemRef::Improvement(imp) => StreamId::Improvement(imp.id),
        }
    }

    /// Its version: the number of events folded into it.
    pub fn version(self) -> u64 {
        match self {
            ItemRef::Nonconformity(nc) => nc.version,
            ItemRef::Improvement(imp) => imp.version,
        }
    }
}

/// Infallible fold step of one item: applies `event` to `item`, creating it
/// from a reporting or proposing event. An event that does not fit (another
/// stream's, a creation of an existing item, a later event before the
/// creation) changes nothing, so any sequence folds to a well-formed item.
pub fn apply(item: &mut Option<Item>, event: &Event) {
    apply_owned(item, event.clone());
}

/// [`apply`] for an owned event, without copying its text.
pub fn apply_owned(item: &mut Option<Item>, event: Event) {
    let Event {
        stream,
        sequence,
        at,
        actor,
        payload,
        ..
    } = event;
    match (item.as_mut(), stream) {
        (None, StreamId::Nonconformity(id)) => {
            *item = new_nonconformity(id, sequence, at, actor, payload).map(Item::Nonconformity);
        }
        (None, StreamId::Improvement(id)) => {
            *item = new_improvement(id, sequence, at, actor, payload).map(Item::Improvement);
        }
        (Some(Item::Nonconformity(nc)), StreamId::Nonconformity(id)) if nc.id == id => {
            apply_to_nonconformity(nc, sequence, at, actor, payload);
        }
        (Some(Item::Improvement(imp)), StreamId::Improvement(id)) if imp.id == id => {
            apply_to_improvement(imp, sequence, at, actor, payload);
        }
        _ => {}
    }
}

/// Applies one event to the nonconformity of its stream, creating it from
/// its reporting event: the step [`crate::Register`] takes for each item.
pub(crate) fn apply_nonconformity_event(
    slot: Option<&mut Nonconformity>,
    id: NonconformityId,
    sequence: u64,
    at: DateTime<Utc>,
    actor: ActorId,
    payload: EventPayload,
) -> Option<Nonconformity> {
    match slot {
        None => new_nonconformity(id, sequence, at, actor, payload),
        Some(nc) => {
            apply_to_nonconformity(nc, sequence, at, actor, payload);
            None
        }
    }
}

/// As [`apply_nonconformity_event`], for improvements.
pub(crate) fn apply_improvement_event(
    slot: Option<&mut Improvement>,
    id: ImprovementId,
    sequence: u64,
    at: DateTime<Utc>,
    actor: ActorId,
    payload: EventPayload,
) -> Option<Improvement> {
    match slot {
        None => new_improvement(id, sequence, at, actor, payload),
        Some(imp) => {
            apply_to_improvement(imp, sequence, at, actor, payload);
            None
        }
    }
}

/// The nonconformity a reporting event creates; `None` for any other event.
fn new_nonconformity(
    id: NonconformityId,
    sequence: u64,
    at: DateTime<Utc>,
    actor: ActorId,
    payload: EventPayload,
) -> Option<Nonconformity> {
    match payload {
        EventPayload::NonconformityReported {
            reference,
            title,
            description,
            source,
            severity,
            requirements,
            owner,
            detected_at,
            external_deadline,
            links,
            extensions,
            audit,
        } => Some(Nonconformity {
            id,
            reference,
            title,
            description,
            source,
            severity,
            requirements,
            reported_by: actor,
            owner,
            detected_at,
            reported_at: at,
            external_deadline,
            links,
            extensions,
            state: NcState::Reported,
            attempt: 0,
            corrections: Vec::new(),
            analyses: Vec::new(),
            actions: Vec::new(),
            verification_plans: Vec::new(),
            verification_results: Vec::new(),
            conclusions: Vec::new(),
            closure: None,
            rejection: None,
            recurrence_of: None,
            recurrence_linked_at: None,
            recurrences: Vec::new(),
            missed_checks: Vec::new(),
            verification_ends: Vec::new(),
            history: vec![Transition {
                from: None,
                to: NcState::Reported,
                at,
            }],
            last_event_at: at,
            version: sequence,
            risk_acceptance: None,
            audit,
            incident_reporting: None,
            submissions: Vec::new(),
            superseded_reporting: Vec::new(),
        }),
        _ => None,
    }
}

/// Applies a later event of its stream to a nonconformity.
fn apply_to_nonconformity(
    nc: &mut Nonconformity,
    sequence: u64,
    at: DateTime<Utc>,
    actor: ActorId,
    payload: EventPayload,
) {
    if matches!(payload, EventPayload::NonconformityReported { .. }) {
        return; // a second report of the same id is not part of this item
    }
    nc.last_event_at = nc.last_event_at.max(at);
    nc.version = sequence;
    match payload {
        EventPayload::NonconformityReported { .. } => {}
        EventPayload::ContainmentRecorded {
            action_taken,
            consequences,
            late_justification,
        } => {
            push_tight(
                &mut nc.corrections,
                Correction {
                    action_taken,
                    consequences,
                    late_justification,
                    at,
                    by: actor,
                },
            );
            if nc.state == NcState::Reported {
                move_to(nc, NcState::Contained, at);
            }
        }
        EventPayload::RootCauseAnalysed {
            attempt,
            method,
            causes,
            similar,
            similar_notes,
            decision,
        } => {
            nc.attempt = attempt;
            let target = match decision {
                ActionDecision::ActionRequired => NcState::Analysed,
                ActionDecision::NoActionRequired { .. } => NcState::Implemented,
            };
            push_tight(
                &mut nc.analyses,
                RootCauseAnalysis {
                    attempt,
                    method,
                    causes,
                    similar,
                    similar_notes,
                    decision,
                    at,
                    by: actor,
                },
            );
            move_to(nc, target, at);
        }
        EventPayload::ActionPlanned {
            action,
            reference,
            description,
            owner,
            due,
            ..
        } => {
            push_tight(
                &mut nc.actions,
                CorrectiveAction {
                    id: action,
                    reference,
                    attempt: nc.attempt,
                    description,
                    owner,
                    original_due: due,
                    due,
                    reschedules: Vec::new(),
                    status: ActionStatus::Planned,
                    planned_at: at,
                    started_at: None,
                    completed_at: None,
                    evidence: Vec::new(),
                    cancelled_at: None,
                    cancel_reason: None,
                },
            );
            move_to(nc, NcState::ActionsPlanned, at);
        }
        EventPayload::ActionStarted { action } => {
            if let Some(a) = nc.actions.iter_mut().find(|a| a.id == action) {
                a.status = ActionStatus::InProgress;
                a.started_at = Some(at);
            }
        }
        EventPayload::ActionRescheduled {
            action,
            from,
            to,
            reason,
        } => {
            if let Some(a) = nc.actions.iter_mut().find(|a| a.id == action) {
                push_tight(
                    &mut a.reschedules,
                    Reschedule {
                        from,
                        to,
                        reason,
                        at,
                        by: actor,
                    },
                );
                a.due = to;
            }
        }
        EventPayload::ActionCompleted { action, evidence } => {
            if let Some(a) = nc.actions.iter_mut().find(|a| a.id == action) {
                a.status = ActionStatus::Done;
                a.completed_at = Some(at);
                a.evidence = evidence;
            }
            settle_actions(nc, at);
        }
        EventPayload::ActionCancelled { action, reason } => {
            if let Some(a) = nc.actions.iter_mut().find(|a| a.id == action) {
                a.status = ActionStatus::Cancelled;
                a.cancelled_at = Some(at);
                a.cancel_reason = Some(reason);
            }
            settle_actions(nc, at);
        }
        EventPayload::VerificationPlanned {
            attempt,
            method,
            criteria,
            schedule,
            verifier,
        } => {
            push_tight(
                &mut nc.verification_plans,
                VerificationPlan {
                    attempt,
                    method,
                    criteria,
                    schedule,
                    verifier,
                    at,
                    by: actor,
                },
            );
        }
        EventPayload::VerificationRecorded {
            attempt,
            check,
            passed,
            notes,
            evidence,
        } => {
            push_tight(
                &mut nc.verification_results,
                VerificationResult {
                    attempt,
                    check,
                    passed,
                    notes,
                    evidence,
                    at,
                    by: actor,
                },
            );
        }
        EventPayload::EffectivenessConcluded { attempt, effective } => {
            push_tight(
                &mut nc.conclusions,
                EffectivenessConclusion {
                    attempt,
                    effective,
                    at,
                },
            );
            let to = if effective {
                NcState::Effective
            } else {
                NcState::Ineffective
            };
            move_to(nc, to, at);
        }
        EventPayload::NonconformityClosed {
            isms_changes,
            notes,
            risk_acceptance,
        } => {
            nc.risk_acceptance = accepted(risk_acceptance, RiskDecision::Closure, at, &actor);
            nc.closure = Some(Closure {
                isms_changes,
                notes,
                at,
                by: actor,
            });
            move_to(nc, NcState::Closed, at);
        }
        EventPayload::NonconformityRejected {
            reason,
            explanation,
            risk_acceptance,
        } => {
            nc.risk_acceptance = accepted(risk_acceptance, RiskDecision::Rejection, at, &actor);
            nc.rejection = Some(Rejection {
                reason,
                explanation,
                at,
                by: actor,
            });
            move_to(nc, NcState::Rejected, at);
        }
        EventPayload::RecurrenceLinked { recurrence_of } => {
            nc.recurrence_of = Some(recurrence_of);
            nc.recurrence_linked_at = Some(at);
        }
        EventPayload::ExtensionsChanged { set, removed } => {
            crate::extensions::apply_change(&mut nc.extensions, set, &removed);
        }
        EventPayload::LinksChanged { added, removed } => {
            nc.links.retain(|l| !removed.contains(l));
            for link in added {
                if !nc.links.contains(&link) {
                    nc.links.push(link);
                }
            }
        }
        EventPayload::RecurrenceRecorded {
            recurrence,
            attempt,
        } => {
            push_tight(
                &mut nc.recurrences,
                crate::model::RecurrenceRecord {
                    recurrence,
                    attempt,
                    at,
                    by: actor,
                },
            );
        }
        EventPayload::VerificationMissed {
            attempt,
            check,
            reason,
        } => {
            nc.missed_checks.push(crate::model::MissedCheck {
                attempt,
                check,
                reason,
                at,
                by: actor,
            });
        }
        EventPayload::VerificationEnded {
            attempt,
            checks_recorded,
            reason,
        } => {
            push_tight(
                &mut nc.verification_ends,
                crate::model::VerificationEnd {
                    attempt,
                    checks_recorded,
                    reason,
                    at,
                    by: actor,
                },
            );
        }
        EventPayload::IncidentReportingRecorded {
            regime,
            aware_at,
            significant,
            requests,
        } => {
            let (corrections, first_recorded_at) =
                nc.incident_reporting.as_ref().map_or((0, at), |r| {
                    (r.corrections.saturating_add(1), r.first_recorded_at)
                });
            if let Some(old) = nc.incident_reporting.take() {
                push_tight(&mut nc.superseded_reporting, old);
            }
            nc.incident_reporting = Some(crate::reporting::IncidentReporting {
                regime,
                aware_at,
                significant,
                requests,
                recorded_at: at,
                recorded_by: actor,
                corrections,
                first_recorded_at,
            });
        }
        EventPayload::ReportSubmitted {
            kind,
            recipient,
            submitted_at,
            reference,
        } => {
            push_tight(
                &mut nc.submissions,
                crate::reporting::ReportSubmission {
                    kind,
                    recipient,
                    submitted_at,
                    reference,
                    recorded_at: at,
                    recorded_by: actor,
                },
            );
        }
        _ => {}
    }
}

/// The improvement a proposing event creates; `None` for any other event.
fn new_improvement(
    id: ImprovementId,
    sequence: u64,
    at: DateTime<Utc>,
    actor: ActorId,
    payload: EventPayload,
) -> Option<Improvement> {
    match payload {
        EventPayload::ImprovementProposed {
            reference,
            source,
            nonconformity,
            title,
            description,
            expected_benefit,
            priority,
            owner,
            due,
            links,
            extensions,
            audit,
        } => Some(Improvement {
            id,
            reference,
            source,
            nonconformity,
            title,
            description,
            expected_benefit,
            priority,
            owner,
            due,
            state: ImprovementState::Proposed,
            approved_by: None,
            isms_changes: Vec::new(),
            measured_effect: None,
            rejection_reason: None,
            links,
            extensions,
            history: vec![Transition {
                from: None,
                to: ImprovementState::Proposed,
                at,
            }],
            proposed_at: at,
            proposed_by: actor,
            last_event_at: at,
            version: sequence,
            audit,
        }),
        _ => None,
    }
}

/// Applies a later event of its stream to an improvement.
fn apply_to_improvement(
    imp: &mut Improvement,
    sequence: u64,
    at: DateTime<Utc>,
    actor: ActorId,
    payload: EventPayload,
) {
    if matches!(payload, EventPayload::ImprovementProposed { .. }) {
        return; // a second proposal of the same id is not part of this item
    }
    imp.last_event_at = imp.last_event_at.max(at);
    imp.version = sequence;
    let to = match payload {
        EventPayload::ImprovementApproved {} => {
            imp.approved_by = Some(actor);
            ImprovementState::Approved
        }
        EventPayload::ImprovementStarted {} => ImprovementState::InProgress,
        EventPayload::ImprovementRealised {
            isms_changes,
            measured_effect,
        } => {
            imp.isms_changes = isms_changes;
            imp.measured_effect = measured_effect;
            ImprovementState::Realised
        }
        EventPayload::ImprovementRejected { reason } => {
            imp.rejection_reason = Some(reason);
            ImprovementState::Rejected
        }
        EventPayload::ImprovementEffectRecorded { measured_effect } => {
            imp.measured_effect = Some(measured_effect);
            imp.state
        }
        EventPayload::ExtensionsChanged { set, removed } => {
            crate::extensions::apply_change(&mut imp.extensions, set, &removed);
            imp.state
        }
        _ => imp.state,
    };
    if imp.state != to {
        imp.history.push(Transition {
            from: Some(imp.state),
            to,
            at,
        });
        imp.state = to;
    }
}

/// Pushes onto a vector that usually holds one or two items: the first
/// push allocates room for exactly one and the second for two, instead of
/// the standard growth's four. Across a million nonconformities that is
/// the difference between about two and about four kilobytes each.
fn push_tight<T>(v: &mut Vec<T>, item: T) {
    if v.len() == v.capacity() && v.len() < 2 {
        v.reserve_exact(1);
    }
    v.push(item);
}

/// Records a state change in the history.
fn move_to(nc: &mut Nonconformity, to: NcState, at: DateTime<Utc>) {
    if nc.state != to {
        nc.history.push(Transition {
            from: Some(nc.state),
            to,
            at,
        });
        nc.state = to;
    }
}

/// After an action finishes: implemented when every action of the attempt
/// is finished and one is done; back to analysed when all were cancelled.
fn settle_actions(nc: &mut Nonconformity, at: DateTime<Utc>) {
    if nc.state != NcState::ActionsPlanned {
        return;
    }
    let mut any_done = false;
    for a in nc.current_actions() {
        match a.status {
            ActionStatus::Done => any_done = true,
            ActionStatus::Cancelled => {}
            ActionStatus::Planned | ActionStatus::InProgress => return,
        }
    }
    move_to(
        nc,
        if any_done {
            NcState::Implemented
        } else {
            NcState::Analysed
        },
        at,
    );
}

/// When the current analysis attempt started: the report for the first,
/// the ineffective conclusion for later ones.
pub(crate) fn attempt_start(nc: &Nonconformity) -> DateTime<Utc> {
    nc.conclusions
        .iter()
        .rev()
        .find(|c| !c.effective)
        .map_or(nc.reported_at, |c| c.at)
}

/// Whether the current attempt is concluded effective, with every check of
/// its plan passed at or after the last completion.
pub(crate) fn verified_effective(nc: &Nonconformity) -> bool {
    let Some(conclusion) = nc.conclusions.last() else {
        return false;
    };
    if !conclusion.effective || conclusion.attempt != nc.attempt {
        return false;
    }
    let Some(plan) = nc.current_plan() else {
        return false;
    };
    let Ok(dates) = plan.schedule.check_dates() else {
        return false;
    };
    let last_completion = nc.last_completion();
    let passing: HashSet<u32> = nc
        .current_results()
        .filter(|r| r.passed && last_completion.is_none_or(|c| r.at >= c))
        .map(|r| r.check)
        .collect();
    let missed: HashSet<u32> = nc.current_missed().map(|m| m.check).collect();
    // A schedule ended early by the verifier needs only the checks recorded
    // before its end; the others are left to the audit programme.
    let needed = nc
        .current_end()
        .map_or(dates.len() as u32, |e| e.checks_recorded);
    !passing.is_empty() && (0..needed).all(|i| passing.contains(&i) || missed.contains(&i))
}

/// The acceptance a closing or rejecting event records, if it carries terms.
fn accepted(
    terms: Option<crate::risk::RiskAcceptanceTerms>,
    decision: RiskDecision,
    at: DateTime<Utc>,
    actor: &ActorId,
) -> Option<crate::risk::RiskAcceptance> {
    terms.map(|t| crate::risk::RiskAcceptance {
        residual_risk: t.residual_risk,
        review_by: t.review_by,
        decision,
        accepted_by: actor.clone(),
        at,
    })
}
