//! The register: the state of every nonconformity and improvement, with
//! the pure `decide` (command to events, or a typed refusal) and the
//! infallible `apply` (event to state).

use std::collections::HashSet;

use crate::hash::{IdMap, IdSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::command::{Command, CommandTarget, ProposeImprovement, ReportNonconformity};
use crate::error::{DecisionError, Subject};
use crate::event::{Event, EventPayload, StreamId};
use crate::ids::{
    ActionId, ActionRef, Actor, ActorId, EventId, ImprovementId, ImprovementRef, NcRef,
    NonconformityId,
};
use crate::model::{
    ActionDecision, ActionStatus, Closure, Correction, CorrectiveAction, EffectivenessConclusion,
    Extensions, Improvement, IsmsChange, Nonconformity, Rejection, RejectionReason, Reschedule,
    RootCauseAnalysis, Transition, VerificationPlan, VerificationResult,
};
use crate::policy::{Enforcement, Policy, PolicyWarning, TimeLimit};
use crate::workflow::{
    ImprovementCommandKind, ImprovementState, NcCommandKind, NcState, improvement_commands_allowed,
    improvement_rule, nc_commands_allowed, nc_rule,
};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest other free text, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The most items of one kind a register holds (references stay 4+ digits wide).
pub const MAX_ITEMS: u32 = 99_999_999;

/// Everything `decide` needs besides the state and the command: when, who,
/// under which policy, and caller-supplied entropy for event identifiers.
/// The core has no clock and no random source of its own, so that every
/// outcome is reproducible.
#[derive(Clone, Debug)]
pub struct Context<'p> {
    /// When the command is executed (recorded on every event it produces).
    pub at: DateTime<Utc>,
    /// Who executes it, with the roles the caller vouches for.
    pub actor: Actor,
    /// The organisation's policy.
    pub policy: &'p Policy,
    /// Entropy for the event identifiers (UUID v7: time from `at`, the rest
    /// from this). Use a random value in production, any value in tests.
    pub entropy: u128,
}

impl<'p> Context<'p> {
    /// A context at `at` for `actor` under `policy`, with zero entropy.
    pub fn new(at: DateTime<Utc>, actor: Actor, policy: &'p Policy) -> Self {
        Self {
            at,
            actor,
            policy,
            entropy: 0,
        }
    }

    /// The same context with this entropy for event ids.
    #[must_use]
    pub fn with_entropy(mut self, entropy: u128) -> Self {
        self.entropy = entropy;
        self
    }
}

/// What `decide` accepted: the events to append, and any policy warnings.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// Events to append, in order (at least one).
    pub events: Vec<Event>,
    /// Things the policy flags without refusing.
    pub warnings: Vec<PolicyWarning>,
}

/// The improvement register: nonconformities (10.2) and improvement
/// opportunities (10.1), folded from events.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use isms_core::*;
///
/// let policy = Policy::default();
/// let alice = Actor::new(ActorId::new("alice")?);
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
/// let mut register = Register::new();
/// let id = NonconformityId::v7_from_parts(1, [0; 10]);
/// let report = Command::ReportNonconformity(ReportNonconformity {
///     id,
///     title: "Backup job failed for 3 nights".into(),
///     description: "Nightly backup of the file server failed unnoticed.".into(),
///     source: Source::Monitoring,
///     severity: Severity::Major,
///     requirements: vec!["iso27001:2022/A.8.13".parse()?],
///     owner: ActorId::new("bob")?,
///     detected_at: at,
///     external_deadline: None,
///     links: vec![],
///     extensions: Default::default(),
/// });
/// let decision = register.execute(&report, &Context::new(at, alice, &policy))?;
/// assert_eq!(decision.events.len(), 1);
/// let nc = register.nonconformity(id).unwrap();
/// assert_eq!(nc.reference.to_string(), "NC-0001");
/// assert_eq!(nc.state, NcState::Reported);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Register {
    nonconformities: Vec<Nonconformity>,
    nc_index: IdMap<NonconformityId, u32>,
    improvements: Vec<Improvement>,
    imp_index: IdMap<ImprovementId, u32>,
    actions: IdSet<ActionId>,
    events_applied: u64,
}

/// Pure decision: what events `command` produces on `state` in `ctx`, or
/// why it is refused. Same as [`Register::decide`].
pub fn decide(
    state: &Register,
    command: &Command,
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    state.decide(command, ctx)
}

/// Infallible fold step: applies `event` to `state`. Same as [`Register::apply`].
pub fn apply(state: &mut Register, event: &Event) {
    state.apply(event);
}

struct Emitter<'c, 'p> {
    ctx: &'c Context<'p>,
    stream: StreamId,
    next_sequence: u64,
    events: Vec<Event>,
    warnings: Vec<PolicyWarning>,
}

impl Emitter<'_, '_> {
    fn emit(&mut self, payload: EventPayload) {
        let n = self.events.len() as u128;
        let bytes = self.ctx.entropy.wrapping_add(n).to_le_bytes();
        let mut entropy = [0u8; 10];
        entropy.copy_from_slice(&bytes[..10]);
        let millis = u64::try_from(self.ctx.at.timestamp_millis()).unwrap_or(0);
        self.events.push(Event {
            id: EventId::v7_from_parts(millis, entropy),
            stream: self.stream,
            sequence: self.next_sequence,
            at: self.ctx.at,
            actor: self.ctx.actor.id.clone(),
            payload,
        });
        self.next_sequence += 1;
    }

    fn finish(self) -> Decision {
        Decision {
            events: self.events,
            warnings: self.warnings,
        }
    }
}

fn check_text(field: &'static str, s: &str, max: usize) -> Result<(), DecisionError> {
    if s.trim().is_empty() {
        return Err(DecisionError::EmptyField { field });
    }
    let n = s.chars().count();
    if n > max {
        return Err(DecisionError::BadText {
            field,
            problem: format!("has {n} characters; the limit is {max}"),
        });
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DecisionError::BadText {
            field,
            problem: format!("contains the control character {c:?}"),
        });
    }
    Ok(())
}

fn check_opt_text(field: &'static str, s: Option<&String>) -> Result<(), DecisionError> {
    s.map_or(Ok(()), |s| check_text(field, s, MAX_TEXT_CHARS))
}

fn check_extensions(ext: &Extensions) -> Result<(), DecisionError> {
    for name in ext.keys() {
        let bad =
            name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control);
        if bad {
            return Err(DecisionError::BadExtensionName { name: name.clone() });
        }
    }
    Ok(())
}

fn check_links(links: &[crate::model::ExternalLink]) -> Result<(), DecisionError> {
    for l in links {
        check_text("links[].id", &l.id, MAX_TITLE_CHARS)?;
    }
    Ok(())
}

fn check_changes(changes: &[IsmsChange]) -> Result<(), DecisionError> {
    for c in changes {
        check_text("isms_changes[].description", &c.description, MAX_TEXT_CHARS)?;
    }
    Ok(())
}

fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_days()
}

/// Applies a time limit: `Ok(None)` within it, a warning in `warn` mode, a
/// refusal in `refuse` mode unless a justification is given.
fn check_limit(
    limit: Option<TimeLimit>,
    from: DateTime<Utc>,
    at: DateTime<Utc>,
    what: &'static str,
    reference: NcRef,
    justification: Option<&String>,
) -> Result<Option<PolicyWarning>, DecisionError> {
    let Some(limit) = limit else { return Ok(None) };
    let elapsed = days_between(from, at);
    if elapsed <= i64::from(limit.days) {
        return Ok(None);
    }
    match limit.enforcement {
        Enforcement::Refuse if justification.is_none() => Err(DecisionError::TimeLimitExceeded {
            reference,
            what,
            limit_days: limit.days,
            elapsed_days: elapsed,
        }),
        _ => Ok(Some(PolicyWarning::TimeLimitExceeded {
            what: what.to_owned(),
            limit_days: limit.days,
            elapsed_days: elapsed,
        })),
    }
}

impl Register {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds events into a new register.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut r = Self::new();
        for e in events {
            r.apply(e);
        }
        r
    }

    /// Folds owned events into a new register, without copying their text:
    /// the fast way to replay a log just loaded from storage.
    pub fn from_events_owned(events: impl IntoIterator<Item = Event>) -> Self {
        let mut r = Self::new();
        for e in events {
            r.apply_owned(e);
        }
        r
    }

    /// Every nonconformity, in order of reporting.
    pub fn nonconformities(&self) -> &[Nonconformity] {
        &self.nonconformities
    }

    /// Every improvement, in order of proposal.
    pub fn improvements(&self) -> &[Improvement] {
        &self.improvements
    }

    /// The nonconformity with this id.
    pub fn nonconformity(&self, id: NonconformityId) -> Option<&Nonconformity> {
        self.nc_index
            .get(&id)
            .map(|&i| &self.nonconformities[i as usize])
    }

    /// The nonconformity with this human reference.
    pub fn nonconformity_by_ref(&self, r: NcRef) -> Option<&Nonconformity> {
        self.nonconformities.get(r.number() as usize - 1)
    }

    /// The improvement with this id.
    pub fn improvement(&self, id: ImprovementId) -> Option<&Improvement> {
        self.imp_index
            .get(&id)
            .map(|&i| &self.improvements[i as usize])
    }

    /// The improvement with this human reference.
    pub fn improvement_by_ref(&self, r: ImprovementRef) -> Option<&Improvement> {
        self.improvements.get(r.number() as usize - 1)
    }

    /// Number of events applied so far.
    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    /// The version (number of events) of a stream; 0 for a new stream.
    pub fn stream_version(&self, stream: StreamId) -> u64 {
        match stream {
            StreamId::Nonconformity(id) => self.nonconformity(id).map_or(0, |n| n.version),
            StreamId::Improvement(id) => self.improvement(id).map_or(0, |i| i.version),
        }
    }

    /// Decides and applies in one step: the usual way to run a command in
    /// memory. On refusal nothing changes.
    pub fn execute(
        &mut self,
        command: &Command,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        let decision = self.decide(command, ctx)?;
        for e in &decision.events {
            self.apply(e);
        }
        Ok(decision)
    }

    /// Validates `command` against the current state and `ctx.policy`, and
    /// returns the events that record it, or why it is refused.
    pub fn decide(&self, command: &Command, ctx: &Context<'_>) -> Result<Decision, DecisionError> {
        match command.target() {
            CommandTarget::Nonconformity(id, kind) => self.decide_nc(id, kind, command, ctx),
            CommandTarget::Improvement(id, kind) => self.decide_improvement(id, kind, command, ctx),
        }
    }

    fn emitter<'c, 'p>(&self, ctx: &'c Context<'p>, stream: StreamId) -> Emitter<'c, 'p> {
        Emitter {
            ctx,
            stream,
            next_sequence: self.stream_version(stream) + 1,
            events: Vec::with_capacity(2),
            warnings: Vec::new(),
        }
    }

    fn decide_report(
        &self,
        r: &ReportNonconformity,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        if self.nc_index.contains_key(&r.id) {
            return Err(DecisionError::DuplicateId {
                id: r.id.to_string(),
            });
        }
        let number = u32::try_from(self.nonconformities.len() + 1)
            .ok()
            .filter(|&n| n <= MAX_ITEMS)
            .ok_or(DecisionError::RegisterFull { max: MAX_ITEMS })?;
        check_text("title", &r.title, MAX_TITLE_CHARS)?;
        check_text("description", &r.description, MAX_TEXT_CHARS)?;
        if r.detected_at > ctx.at {
            return Err(DecisionError::DetectedInFuture {
                detected_at: r.detected_at,
                at: ctx.at,
            });
        }
        let mut seen = HashSet::new();
        for req in &r.requirements {
            if !seen.insert(req) {
                return Err(DecisionError::DuplicateRequirement {
                    requirement: req.to_string(),
                });
            }
        }
        let reference =
            NcRef::new(number).map_err(|_| DecisionError::RegisterFull { max: MAX_ITEMS })?;
        if let Some(deadline) = r.external_deadline {
            let detected = r.detected_at.date_naive();
            if deadline < detected {
                return Err(DecisionError::DateBeforeDetection {
                    reference,
                    field: "external_deadline",
                    date: deadline,
                    detected,
                });
            }
        }
        check_links(&r.links)?;
        check_extensions(&r.extensions)?;
        let mut em = self.emitter(ctx, StreamId::Nonconformity(r.id));
        em.emit(EventPayload::NonconformityReported {
            reference,
            title: r.title.clone(),
            description: r.description.clone(),
            source: r.source,
            severity: r.severity,
            requirements: r.requirements.clone(),
            owner: r.owner.clone(),
            detected_at: r.detected_at,
            external_deadline: r.external_deadline,
            links: r.links.clone(),
            extensions: r.extensions.clone(),
        });
        Ok(em.finish())
    }

    fn decide_nc(
        &self,
        id: NonconformityId,
        kind: NcCommandKind,
        command: &Command,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        if let Command::ReportNonconformity(r) = command {
            return self.decide_report(r, ctx);
        }
        let nc = self
            .nonconformity(id)
            .ok_or_else(|| DecisionError::UnknownNonconformity { id: id.to_string() })?;
        let reference = nc.reference;
        if nc_rule(Some(nc.state), kind).is_none() {
            return Err(DecisionError::TransitionNotAllowed {
                reference,
                state: nc.state,
                command: kind,
                allowed: nc_commands_allowed(nc.state),
            });
        }
        if ctx.at < nc.last_event_at {
            return Err(DecisionError::TimeWentBackwards {
                subject: Subject::Nonconformity(reference),
                at: ctx.at,
                last: nc.last_event_at,
            });
        }
        let policy = ctx.policy;
        let detected = nc.detected_at.date_naive();
        let date_after_detection = |field: &'static str, date: NaiveDate| {
            if date < detected {
                Err(DecisionError::DateBeforeDetection {
                    reference,
                    field,
                    date,
                    detected,
                })
            } else {
                Ok(())
            }
        };
        let find_action = |action: ActionId| {
            nc.action(action)
                .ok_or_else(|| DecisionError::UnknownAction {
                    reference,
                    action: action.to_string(),
                })
        };
        let open_action = |action: ActionId, allowed: &[ActionStatus]| {
            let a = find_action(action)?;
            if allowed.contains(&a.status) {
                Ok(a)
            } else {
                Err(DecisionError::ActionNotOpen {
                    reference,
                    action: a.reference,
                    status: a.status,
                    command: kind,
                })
            }
        };
        let mut em = self.emitter(ctx, StreamId::Nonconformity(id));
        match command {
            Command::RecordContainment {
                action_taken,
                consequences,
                late_justification,
                ..
            } => {
                check_text("action_taken", action_taken, MAX_TEXT_CHARS)?;
                check_opt_text("consequences", consequences.as_ref())?;
                check_opt_text("late_justification", late_justification.as_ref())?;
                if nc.corrections.is_empty()
                    && let Some(w) = check_limit(
                        policy.max_days_to_contain,
                        nc.reported_at,
                        ctx.at,
                        "containment",
                        reference,
                        late_justification.as_ref(),
                    )?
                {
                    em.warnings.push(w);
                }
                em.emit(EventPayload::ContainmentRecorded {
                    action_taken: action_taken.clone(),
                    consequences: consequences.clone(),
                    late_justification: late_justification.clone(),
                });
            }
            Command::AnalyseRootCause {
                method,
                causes,
                similar,
                similar_notes,
                decision,
                ..
            } => {
                if nc.state == NcState::Reported
                    && policy.containment_required_for.contains(&nc.severity)
                {
                    return Err(DecisionError::ContainmentRequired {
                        reference,
                        severity: nc.severity,
                    });
                }
                if causes.is_empty() {
                    return Err(DecisionError::NoRootCause { reference });
                }
                for c in causes {
                    check_text("causes[].statement", &c.statement, MAX_TEXT_CHARS)?;
                }
                for s in similar {
                    if *s == id {
                        return Err(DecisionError::SelfReference { reference });
                    }
                    if self.nonconformity(*s).is_none() {
                        return Err(DecisionError::UnknownNonconformity { id: s.to_string() });
                    }
                }
                check_opt_text("similar_notes", similar_notes.as_ref())?;
                if let ActionDecision::NoActionRequired { justification, .. } = decision {
                    check_text("decision.justification", justification, MAX_TEXT_CHARS)?;
                }
                em.emit(EventPayload::RootCauseAnalysed {
                    attempt: nc.attempt + 1,
                    method: *method,
                    causes: causes.clone(),
                    similar: similar.clone(),
                    similar_notes: similar_notes.clone(),
                    decision: decision.clone(),
                });
            }
            Command::PlanAction {
                action,
                description,
                owner,
                due,
                late_justification,
                ..
            } => {
                if !matches!(
                    nc.current_analysis().map(|a| &a.decision),
                    Some(ActionDecision::ActionRequired)
                ) {
                    return Err(DecisionError::NoActionDecided { reference });
                }
                if self.actions.contains(action) {
                    return Err(DecisionError::DuplicateId {
                        id: action.to_string(),
                    });
                }
                check_text("description", description, MAX_TEXT_CHARS)?;
                check_opt_text("late_justification", late_justification.as_ref())?;
                date_after_detection("due", *due)?;
                let action_ref = ActionRef::new(nc.actions.len() as u32 + 1)
                    .map_err(|_| DecisionError::RegisterFull { max: MAX_ITEMS })?;
                if policy.segregation_of_duties
                    && let Some(plan) = nc.current_plan()
                    && plan.verifier == *owner
                {
                    return Err(DecisionError::SegregationOfDuties {
                        reference,
                        actor: owner.clone(),
                        action: action_ref,
                    });
                }
                if nc.current_actions().next().is_none() {
                    let start = attempt_start(nc);
                    if let Some(w) = check_limit(
                        policy.max_days_to_plan,
                        start,
                        ctx.at,
                        "planning",
                        reference,
                        late_justification.as_ref(),
                    )? {
                        em.warnings.push(w);
                    }
                }
                if let Some(deadline) = nc.external_deadline
                    && *due > deadline
                {
                    em.warnings.push(PolicyWarning::DueAfterExternalDeadline {
                        due: *due,
                        deadline,
                    });
                }
                em.emit(EventPayload::ActionPlanned {
                    action: *action,
                    reference: action_ref,
                    description: description.clone(),
                    owner: owner.clone(),
                    due: *due,
                    late_justification: late_justification.clone(),
                });
            }
            Command::StartAction { action, .. } => {
                open_action(*action, &[ActionStatus::Planned])?;
                em.emit(EventPayload::ActionStarted { action: *action });
            }
            Command::RescheduleAction {
                action,
                due,
                reason,
                ..
            } => {
                let a = open_action(*action, &[ActionStatus::Planned, ActionStatus::InProgress])?;
                check_text("reason", reason, MAX_TEXT_CHARS)?;
                if a.due == *due {
                    return Err(DecisionError::SameDueDate {
                        reference,
                        action: a.reference,
                        due: *due,
                    });
                }
                date_after_detection("due", *due)?;
                if let Some(deadline) = nc.external_deadline
                    && *due > deadline
                {
                    em.warnings.push(PolicyWarning::DueAfterExternalDeadline {
                        due: *due,
                        deadline,
                    });
                }
                em.emit(EventPayload::ActionRescheduled {
                    action: *action,
                    from: a.due,
                    to: *due,
                    reason: reason.clone(),
                });
            }
            Command::CompleteAction {
                action, evidence, ..
            } => {
                open_action(*action, &[ActionStatus::Planned, ActionStatus::InProgress])?;
                for e in evidence {
                    check_text("evidence[]", &e.0, MAX_TEXT_CHARS)?;
                }
                em.emit(EventPayload::ActionCompleted {
                    action: *action,
                    evidence: evidence.clone(),
                });
            }
            Command::CancelAction { action, reason, .. } => {
                open_action(*action, &[ActionStatus::Planned, ActionStatus::InProgress])?;
                check_text("reason", reason, MAX_TEXT_CHARS)?;
                em.emit(EventPayload::ActionCancelled {
                    action: *action,
                    reason: reason.clone(),
                });
            }
            Command::PlanVerification {
                method,
                criteria,
                schedule,
                verifier,
                ..
            } => {
                check_text("method", method, MAX_TEXT_CHARS)?;
                check_text("criteria", criteria, MAX_TEXT_CHARS)?;
                let dates = schedule.check_dates()?;
                if let Some(first) = dates.first() {
                    date_after_detection("schedule", *first)?;
                }
                if nc.current_results().next().is_some() {
                    return Err(DecisionError::VerificationStarted { reference });
                }
                if policy.segregation_of_duties
                    && let Some(a) = nc
                        .actions
                        .iter()
                        .find(|a| a.status != ActionStatus::Cancelled && a.owner == *verifier)
                {
                    return Err(DecisionError::SegregationOfDuties {
                        reference,
                        actor: verifier.clone(),
                        action: a.reference,
                    });
                }
                em.emit(EventPayload::VerificationPlanned {
                    attempt: nc.attempt,
                    method: method.clone(),
                    criteria: criteria.clone(),
                    schedule: *schedule,
                    verifier: verifier.clone(),
                });
            }
            Command::RecordVerification {
                check,
                passed,
                notes,
                evidence,
                ..
            } => {
                let plan = nc
                    .current_plan()
                    .ok_or(DecisionError::NoVerificationPlan { reference })?;
                if ctx.actor.id != plan.verifier {
                    return Err(DecisionError::NotTheVerifier {
                        reference,
                        actor: ctx.actor.id.clone(),
                        verifier: plan.verifier.clone(),
                    });
                }
                if policy.segregation_of_duties
                    && let Some(a) = nc
                        .actions
                        .iter()
                        .find(|a| a.status != ActionStatus::Cancelled && a.owner == ctx.actor.id)
                {
                    return Err(DecisionError::SegregationOfDuties {
                        reference,
                        actor: ctx.actor.id.clone(),
                        action: a.reference,
                    });
                }
                let dates = plan.schedule.check_dates()?;
                let checks = dates.len() as u32;
                let Some(due) = dates.get(*check as usize).copied() else {
                    return Err(DecisionError::NoSuchCheck {
                        reference,
                        check: *check,
                        checks,
                    });
                };
                if nc.current_results().any(|r| r.check == *check) {
                    return Err(DecisionError::CheckAlreadyRecorded {
                        reference,
                        check: *check,
                    });
                }
                let today = ctx.at.date_naive();
                if today < due {
                    return Err(DecisionError::CheckNotYetDue {
                        reference,
                        check: *check,
                        due,
                        today,
                    });
                }
                check_opt_text("notes", notes.as_ref())?;
                for e in evidence {
                    check_text("evidence[]", &e.0, MAX_TEXT_CHARS)?;
                }
                em.emit(EventPayload::VerificationRecorded {
                    attempt: nc.attempt,
                    check: *check,
                    passed: *passed,
                    notes: notes.clone(),
                    evidence: evidence.clone(),
                });
                let passed_before = nc.current_results().filter(|r| r.passed).count() as u32;
                if !passed {
                    em.emit(EventPayload::EffectivenessConcluded {
                        attempt: nc.attempt,
                        effective: false,
                    });
                } else if passed_before + 1 == checks {
                    em.emit(EventPayload::EffectivenessConcluded {
                        attempt: nc.attempt,
                        effective: true,
                    });
                }
            }
            Command::CloseNonconformity {
                isms_changes,
                notes,
                ..
            } => {
                if let Some(role) = &policy.closure_approver_role
                    && !ctx.actor.has_role(role)
                {
                    return Err(DecisionError::ApproverRoleMissing {
                        reference,
                        actor: ctx.actor.id.clone(),
                        role: role.clone(),
                    });
                }
                // Clause 10.2 d) and the table already make these hold; they
                // are checked again here because closure is the one step an
                // auditor will test, and a message that names the open action
                // beats a bare "not allowed".
                if let Some(a) = nc.actions.iter().find(|a| !a.status.is_finished()) {
                    return Err(DecisionError::ActionStillOpen {
                        reference,
                        action: a.reference,
                        due: a.due,
                    });
                }
                if !verified_effective(nc) {
                    return Err(DecisionError::NotVerifiedEffective { reference });
                }
                check_changes(isms_changes)?;
                check_opt_text("notes", notes.as_ref())?;
                em.emit(EventPayload::NonconformityClosed {
                    isms_changes: isms_changes.clone(),
                    notes: notes.clone(),
                });
            }
            Command::RejectNonconformity {
                reason,
                explanation,
                ..
            } => {
                check_text("explanation", explanation, MAX_TEXT_CHARS)?;
                if let RejectionReason::Duplicate { of } = reason {
                    if *of == id {
                        return Err(DecisionError::SelfReference { reference });
                    }
                    if self.nonconformity(*of).is_none() {
                        return Err(DecisionError::UnknownNonconformity { id: of.to_string() });
                    }
                }
                em.emit(EventPayload::NonconformityRejected {
                    reason: reason.clone(),
                    explanation: explanation.clone(),
                });
            }
            Command::LinkRecurrence { recurrence_of, .. } => {
                if *recurrence_of == id {
                    return Err(DecisionError::SelfReference { reference });
                }
                let other = self.nonconformity(*recurrence_of).ok_or_else(|| {
                    DecisionError::UnknownNonconformity {
                        id: recurrence_of.to_string(),
                    }
                })?;
                if let Some(existing) = nc.recurrence_of.and_then(|e| self.nonconformity(e)) {
                    return Err(DecisionError::AlreadyLinked {
                        reference,
                        other: existing.reference,
                    });
                }
                if other.reference >= reference {
                    return Err(DecisionError::BadRecurrence {
                        reference,
                        other: other.reference,
                        problem: "it was reported later",
                    });
                }
                if other.state == NcState::Rejected {
                    return Err(DecisionError::BadRecurrence {
                        reference,
                        other: other.reference,
                        problem: "it was rejected",
                    });
                }
                em.emit(EventPayload::RecurrenceLinked {
                    recurrence_of: *recurrence_of,
                });
            }
            // Reports are decided above; improvement commands never target a
            // nonconformity (`Command::target`).
            _ => {}
        }
        Ok(em.finish())
    }

    fn decide_propose(
        &self,
        p: &ProposeImprovement,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        if self.imp_index.contains_key(&p.id) {
            return Err(DecisionError::DuplicateId {
                id: p.id.to_string(),
            });
        }
        let number = u32::try_from(self.improvements.len() + 1)
            .ok()
            .filter(|&n| n <= MAX_ITEMS)
            .ok_or(DecisionError::RegisterFull { max: MAX_ITEMS })?;
        let reference = ImprovementRef::new(number)
            .map_err(|_| DecisionError::RegisterFull { max: MAX_ITEMS })?;
        check_text("title", &p.title, MAX_TITLE_CHARS)?;
        check_text("description", &p.description, MAX_TEXT_CHARS)?;
        check_text("expected_benefit", &p.expected_benefit, MAX_TEXT_CHARS)?;
        if let Some(nc) = p.nonconformity
            && self.nonconformity(nc).is_none()
        {
            return Err(DecisionError::UnknownNonconformity { id: nc.to_string() });
        }
        check_links(&p.links)?;
        check_extensions(&p.extensions)?;
        let mut em = self.emitter(ctx, StreamId::Improvement(p.id));
        em.emit(EventPayload::ImprovementProposed {
            reference,
            source: p.source,
            nonconformity: p.nonconformity,
            title: p.title.clone(),
            description: p.description.clone(),
            expected_benefit: p.expected_benefit.clone(),
            priority: p.priority,
            owner: p.owner.clone(),
            due: p.due,
            links: p.links.clone(),
            extensions: p.extensions.clone(),
        });
        Ok(em.finish())
    }

    fn decide_improvement(
        &self,
        id: ImprovementId,
        kind: ImprovementCommandKind,
        command: &Command,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        if let Command::ProposeImprovement(p) = command {
            return self.decide_propose(p, ctx);
        }
        let imp = self
            .improvement(id)
            .ok_or_else(|| DecisionError::UnknownImprovement { id: id.to_string() })?;
        if improvement_rule(Some(imp.state), kind).is_none() {
            return Err(DecisionError::ImprovementTransitionNotAllowed {
                reference: imp.reference,
                state: imp.state,
                command: kind,
                allowed: improvement_commands_allowed(imp.state),
            });
        }
        if ctx.at < imp.last_event_at {
            return Err(DecisionError::TimeWentBackwards {
                subject: Subject::Improvement(imp.reference),
                at: ctx.at,
                last: imp.last_event_at,
            });
        }
        let mut em = self.emitter(ctx, StreamId::Improvement(id));
        match command {
            Command::ApproveImprovement { .. } => em.emit(EventPayload::ImprovementApproved {}),
            Command::StartImprovement { .. } => em.emit(EventPayload::ImprovementStarted {}),
            Command::RealiseImprovement {
                isms_changes,
                measured_effect,
                ..
            } => {
                check_changes(isms_changes)?;
                check_opt_text("measured_effect", measured_effect.as_ref())?;
                em.emit(EventPayload::ImprovementRealised {
                    isms_changes: isms_changes.clone(),
                    measured_effect: measured_effect.clone(),
                });
            }
            Command::RejectImprovement { reason, .. } => {
                check_text("reason", reason, MAX_TEXT_CHARS)?;
                em.emit(EventPayload::ImprovementRejected {
                    reason: reason.clone(),
                });
            }
            Command::RecordImprovementEffect {
                measured_effect, ..
            } => {
                check_text("measured_effect", measured_effect, MAX_TEXT_CHARS)?;
                em.emit(EventPayload::ImprovementEffectRecorded {
                    measured_effect: measured_effect.clone(),
                });
            }
            // Proposals are decided above; nonconformity commands never target
            // an improvement (`Command::target`).
            _ => {}
        }
        Ok(em.finish())
    }

    /// Applies one event. Never fails: an event that does not fit the state
    /// (for example one for an unknown stream, which `decide` never
    /// produces) is counted and otherwise ignored, so that replay of any log
    /// terminates with a well-formed register.
    pub fn apply(&mut self, event: &Event) {
        self.apply_owned(event.clone());
    }

    /// Applies one event it owns: the same as [`Register::apply`], without
    /// copying the event's text (the way to replay a loaded log).
    pub fn apply_owned(&mut self, event: Event) {
        self.events_applied += 1;
        let Event {
            stream,
            sequence,
            at,
            actor,
            payload,
            ..
        } = event;
        match stream {
            StreamId::Nonconformity(id) => self.apply_nc(id, sequence, at, actor, payload),
            StreamId::Improvement(id) => self.apply_improvement(id, sequence, at, actor, payload),
        }
    }

    fn apply_nc(
        &mut self,
        id: NonconformityId,
        sequence: u64,
        at: DateTime<Utc>,
        actor: ActorId,
        payload: EventPayload,
    ) {
        let payload = match payload {
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
            } => {
                if self.nc_index.contains_key(&id) {
                    return;
                }
                let index = self.nonconformities.len() as u32;
                self.nc_index.insert(id, index);
                self.nonconformities.push(Nonconformity {
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
                    history: vec![Transition {
                        from: None,
                        to: NcState::Reported,
                        at,
                    }],
                    last_event_at: at,
                    version: sequence,
                });
                return;
            }
            other => other,
        };
        let Some(&index) = self.nc_index.get(&id) else {
            return;
        };
        let nc = &mut self.nonconformities[index as usize];
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
                self.actions.insert(action);
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
            } => {
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
            } => {
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
            _ => {}
        }
    }

    fn apply_improvement(
        &mut self,
        id: ImprovementId,
        sequence: u64,
        at: DateTime<Utc>,
        actor: ActorId,
        payload: EventPayload,
    ) {
        let payload = match payload {
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
            } => {
                if self.imp_index.contains_key(&id) {
                    return;
                }
                self.imp_index.insert(id, self.improvements.len() as u32);
                self.improvements.push(Improvement {
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
                });
                return;
            }
            other => other,
        };
        let Some(&index) = self.imp_index.get(&id) else {
            return;
        };
        let imp = &mut self.improvements[index as usize];
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
fn attempt_start(nc: &Nonconformity) -> DateTime<Utc> {
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
    (0..dates.len() as u32).all(|i| passing.contains(&i))
}
