//! Imports through the rules: one mechanism that runs the commands an
//! imported document stands for through [`crate::decide`], on a copy of the
//! register, and names the place in the document of whatever it refuses.
//!
//! Every importer (the register document, spreadsheets in `isms-io`, OSCAL
//! POA&Ms in `isms-oscal`) reads its format into [`Step`]s (a command with
//! the time and actor that recorded it, and where in the input it comes
//! from) and hands them to a [`Replayer`]. So an imported history obeys the
//! same rules as one recorded command by command: text lengths and control
//! characters, time order within an item, the workflow, the policy. Nothing
//! here is written anywhere: the caller appends the events it gets back.
//!
//! A register document carries the events themselves; [`replay_log`] turns
//! each event back into the command that recorded it, replays it, and
//! checks that the rules record exactly what the document says (the same
//! payload, sequence, time and actor; a reference numbered without a gap).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::replay::{Replayer, Step};
//! use isms_core::*;
//!
//! let policy = Policy::default();
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let id = NonconformityId::v7_from_parts(1_772_442_000_000, [7; 10]);
//! let report = ReportNonconformity {
//!     id,
//!     title: "Backup restore never tested".into(),
//!     description: "No restore test on record.".into(),
//!     source: Source::InternalAudit,
//!     severity: Severity::Minor,
//!     requirements: vec![],
//!     owner: ActorId::new("ops-lead")?,
//!     detected_at: at,
//!     external_deadline: None,
//!     links: vec![],
//!     extensions: Default::default(),
//!     audit: None,
//! };
//! let step = |at, command| Step { at, actor: Actor::new(ActorId::new("alice").unwrap()), command, origin: "row 2" };
//! let mut register = Register::new();
//! let mut replayer = Replayer::new(&policy, 0);
//! replayer.run(&mut register, [step(at, Command::ReportNonconformity(report))])?;
//! // A closure an hour before the report: refused, at its place.
//! let close = Command::close(id);
//! let err = replayer.run(&mut register, [step(at - chrono::Duration::hours(1), close)]).unwrap_err();
//! assert_eq!(err.origin(), &"row 2");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use chrono::{DateTime, Utc};

use crate::adoption::AdoptPolicy;
use crate::audit::RecordAudit;
use crate::command::{Command, CommandTarget, ProposeImprovement, ReportNonconformity};
use crate::context::Context;
use crate::decide::Decision;
use crate::error::DecisionError;
use crate::event::{Event, EventPayload, StreamId};
use crate::ids::{Actor, EventId};
use crate::policy::Policy;
use crate::register::Register;

/// One command of an import: what was done, when, by whom, and where in
/// the input it was read (`O`: a row and column, a JSON path, an index).
#[derive(Clone, Debug, PartialEq)]
pub struct Step<O> {
    /// When it was done: the command's context time.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: Actor,
    /// The command.
    pub command: Command,
    /// Where it comes from in the input; named in every refusal.
    pub origin: O,
}

/// A caller's own check of each step, run before the step is decided: what
/// the core cannot know, such as the range of times an adapter's output
/// formats carry, or whether a requirement reference names a control of a
/// catalogue. An `Err` refuses the step with the text given.
pub type StepCheck<'c, O> = Box<dyn FnMut(&Step<O>) -> Result<(), String> + 'c>;

/// Runs import steps through [`crate::decide`] on a register, in order.
///
/// Each step is decided under the policy in force at its time: the last
/// policy the register adopted at or before it ([`Register::policies`]),
/// or the replayer's base policy before the first adoption. So a log that
/// adopts a policy half way is replayed under each policy in turn, as it
/// was recorded.
pub struct Replayer<'p, 'c, O> {
    policy: &'p Policy,
    entropy: u128,
    steps: u64,
    check: Option<StepCheck<'c, O>>,
    /// The adopted policy last used: its sequence in the policy stream and
    /// a copy (the register is borrowed mutably while deciding).
    adopted: Option<(u64, Policy)>,
}

impl<O> fmt::Debug for Replayer<'_, '_, O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Replayer")
            .field("policy", self.policy)
            .field("steps", &self.steps)
            .field("check", &self.check.is_some())
            .finish_non_exhaustive()
    }
}

impl<'p, 'c, O: Clone> Replayer<'p, 'c, O> {
    /// A replayer deciding under `policy`. Each step's event ids mix
    /// `entropy` with the number of the step, so two steps never share
    /// their entropy (pass a random value for unpredictable ids).
    pub fn new(policy: &'p Policy, entropy: u128) -> Self {
        Self {
            policy,
            entropy,
            steps: 0,
            check: None,
            adopted: None,
        }
    }

    /// The same replayer, running `check` on every step before deciding it.
    #[must_use]
    pub fn with_check(mut self, check: impl FnMut(&Step<O>) -> Result<(), String> + 'c) -> Self {
        self.check = Some(Box::new(check));
        self
    }

    /// The base policy: what steps are decided under before the
    /// register's first policy adoption.
    pub fn policy(&self) -> &'p Policy {
        self.policy
    }

    /// Takes the adopted policy in force at `at` on `register` out of the
    /// cache (copied once per adoption); `None` before the first adoption
    /// (the base policy). Put it back with `self.adopted = taken`.
    /// Decides one command at `at` by `actor` under the policy in force
    /// then (the replayer's own before any adoption), with the next step's
    /// entropy: what every kind of step shares.
    fn decide(
        &mut self,
        register: &mut Register,
        at: DateTime<Utc>,
        actor: Actor,
        decide: impl FnOnce(&mut Register, &Context<'_>) -> Result<Decision, DecisionError>,
    ) -> Result<Decision, DecisionError> {
        self.steps += 1;
        let entropy = self.entropy.wrapping_add(u128::from(self.steps));
        let adopted = self.take_adopted(register, at);
        let policy = adopted.as_ref().map_or(self.policy, |(_, p)| p);
        let ctx = Context::new(at, actor, policy).with_entropy(entropy);
        let decided = decide(register, &ctx);
        self.adopted = adopted;
        decided
    }

    fn take_adopted(&mut self, register: &Register, at: DateTime<Utc>) -> Option<(u64, Policy)> {
        let adoption = register.policies().in_force_at(at)?;
        match self.adopted.take() {
            Some(cached) if cached.0 == adoption.sequence => Some(cached),
            _ => Some((adoption.sequence, adoption.policy.clone())),
        }
    }

    /// Decides the adoption of a policy (`adopt`) at the step's time by its
    /// actor on `register`, under the policy in force before it, and
    /// applies it. On refusal the register is unchanged.
    ///
    /// # Errors
    /// [`ReplayError::Refused`] with the core's reason.
    pub fn adopt(
        &mut self,
        register: &mut Register,
        at: DateTime<Utc>,
        actor: Actor,
        adopt: &AdoptPolicy,
        origin: O,
    ) -> Result<Decision, ReplayError<O>> {
        self.decide(register, at, actor, |r, ctx| r.adopt_policy(adopt, ctx))
            .map_err(|source| ReplayError::Refused {
                origin,
                command: ADOPT_POLICY,
                source,
            })
    }

    /// Decides the record of an audit at `at` by `actor` on `register`,
    /// under the policy in force then ([`crate::decide_audit`]), and
    /// applies it.
    ///
    /// # Errors
    /// [`ReplayError::Refused`] with the core's reason.
    pub fn record_audit(
        &mut self,
        register: &mut Register,
        at: DateTime<Utc>,
        actor: Actor,
        record: &RecordAudit,
        origin: O,
    ) -> Result<Decision, ReplayError<O>> {
        self.decide(register, at, actor, |r, ctx| r.record_audit(record, ctx))
            .map_err(|source| ReplayError::Refused {
                origin,
                command: RECORD_AUDIT,
                source,
            })
    }

    /// Decides one step on `register` and applies its events. On refusal
    /// the register is unchanged.
    ///
    /// # Errors
    /// [`ReplayError::Refused`] with the core's reason, or
    /// [`ReplayError::Checked`] when the caller's check refuses the step.
    pub fn step(
        &mut self,
        register: &mut Register,
        step: &Step<O>,
    ) -> Result<Decision, ReplayError<O>> {
        if let Some(check) = &mut self.check {
            check(step).map_err(|problem| ReplayError::Checked {
                origin: step.origin.clone(),
                command: command_name(&step.command),
                problem,
            })?;
        }
        self.decide(register, step.at, step.actor.clone(), |r, ctx| {
            r.execute(&step.command, ctx)
        })
        .map_err(|source| ReplayError::Refused {
            origin: step.origin.clone(),
            command: command_name(&step.command),
            source,
        })
    }

    /// Decides every step in order on `register`; returns the events
    /// recorded, in order.
    ///
    /// # Errors
    /// The first refusal, as [`Replayer::step`]; the register keeps the
    /// steps before it (run on a copy to keep all or nothing).
    pub fn run(
        &mut self,
        register: &mut Register,
        steps: impl IntoIterator<Item = Step<O>>,
    ) -> Result<Vec<Event>, ReplayError<O>> {
        let mut events = Vec::new();
        for s in steps {
            events.extend(self.step(register, &s)?.events);
        }
        Ok(events)
    }
}

/// Why a step of an import was refused, and where it was read.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError<O> {
    /// The core refused the command.
    #[error("{origin}: {command} refused: {source}")]
    Refused {
        /// Where the step was read.
        origin: O,
        /// The command (`report`, `close`, ...).
        command: &'static str,
        /// The rule it breaks.
        source: DecisionError,
    },
    /// The caller's own check ([`Replayer::with_check`]) refused it.
    #[error("{origin}: {command} refused: {problem}")]
    Checked {
        /// Where the step was read.
        origin: O,
        /// The command.
        command: &'static str,
        /// What the check found.
        problem: String,
    },
}

impl<O> ReplayError<O> {
    /// Where the refused step was read.
    pub fn origin(&self) -> &O {
        match self {
            ReplayError::Refused { origin, .. } | ReplayError::Checked { origin, .. } => origin,
        }
    }

    /// The refused command's name.
    pub fn command(&self) -> &'static str {
        match self {
            ReplayError::Refused { command, .. } | ReplayError::Checked { command, .. } => command,
        }
    }

    /// The same error with its origin mapped.
    pub fn map_origin<P>(self, f: impl FnOnce(O) -> P) -> ReplayError<P> {
        match self {
            ReplayError::Refused {
                origin,
                command,
                source,
            } => ReplayError::Refused {
                origin: f(origin),
                command,
                source,
            },
            ReplayError::Checked {
                origin,
                command,
                problem,
            } => ReplayError::Checked {
                origin: f(origin),
                command,
                problem,
            },
        }
    }
}

/// The name of a policy adoption in refusals and history (`adopt_policy`).
pub const ADOPT_POLICY: &str = "adopt_policy";

/// The name [`ReplayError::Refused`] gives the record of an audit.
pub const RECORD_AUDIT: &str = "record_audit";

/// The command's name as the workflow table writes it (`report`,
/// `record_containment`, `close`, ...).
pub fn command_name(command: &Command) -> &'static str {
    match command.target() {
        CommandTarget::Nonconformity(_, k) => k.as_str(),
        CommandTarget::Improvement(_, k) => k.as_str(),
    }
}

/// An event of a log, by its position: `/events/3 (nonconformity_reported.v1)`,
/// the JSON pointer of the event in a register document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogPlace {
    /// Position in the log, from 0.
    pub index: usize,
    /// The event's type (`nonconformity_reported.v1`).
    pub event_type: &'static str,
}

impl fmt::Display for LogPlace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at /events/{} ({})", self.index, self.event_type)
    }
}

/// Why a log was not taken over by [`replay_log`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LogError {
    /// The command the event stands for is refused by the rules.
    #[error(transparent)]
    Refused(#[from] ReplayError<LogPlace>),
    /// The rules record something else than the log says.
    #[error(
        "{place}: the log records {field} {document}, the rules record {rules} for the same command; \
         the log was not written by these rules"
    )]
    Differs {
        /// The event.
        place: LogPlace,
        /// The first field that differs (`sequence`, `at`, `payload.reference`).
        field: String,
        /// The log's value.
        document: String,
        /// What the rules record.
        rules: String,
    },
    /// A reference skips numbers: the register numbers items without gaps.
    #[error(
        "{place}: the log numbers this item {document}, but after the items before it the \
         register numbers it {rules}; references run without gaps from 1, so a log with a gap \
         was edited or cut (import the whole register, or renumber the items)"
    )]
    ReferenceGap {
        /// The event.
        place: LogPlace,
        /// The log's reference.
        document: String,
        /// The reference the register gives.
        rules: String,
    },
    /// An event the rules record only as part of another (an effectiveness
    /// conclusion after a verification result) stands alone.
    #[error(
        "{place}: this event is recorded by the rules only with the verification result that concludes it, which the log does not have here"
    )]
    Unaccompanied {
        /// The event.
        place: LogPlace,
    },
    /// The rules record an event the log does not have after this one.
    #[error("{place}: the rules also record {missing} with this event; the log does not have it")]
    Missing {
        /// The event.
        place: LogPlace,
        /// The type of the missing event.
        missing: &'static str,
    },
    /// An event of one kind of item in the stream of another.
    #[error("{place}: an event of this type cannot belong to the stream {stream}")]
    WrongStream {
        /// The event.
        place: LogPlace,
        /// The stream.
        stream: String,
    },
    /// Two events share an id.
    #[error("{place}: the event id {id} is taken by /events/{first}")]
    DuplicateId {
        /// The later event.
        place: LogPlace,
        /// The id.
        id: EventId,
        /// The earlier event.
        first: usize,
    },
}

impl LogError {
    /// The event it is about.
    pub fn place(&self) -> LogPlace {
        match self {
            LogError::Refused(e) => *e.origin(),
            LogError::Differs { place, .. }
            | LogError::ReferenceGap { place, .. }
            | LogError::Unaccompanied { place }
            | LogError::Missing { place, .. }
            | LogError::WrongStream { place, .. }
            | LogError::DuplicateId { place, .. } => *place,
        }
    }
}

/// The command that recorded `event`, or `None` for an event the rules
/// record only as part of another command (an effectiveness conclusion).
///
/// # Errors
/// [`LogError::WrongStream`] for a payload that cannot belong to the
/// event's stream (`place` names it).
pub fn command_of(event: &Event, place: LogPlace) -> Result<Option<Command>, LogError> {
    use EventPayload as P;
    let wrong = || LogError::WrongStream {
        place,
        stream: event.stream.to_string(),
    };
    let command = match event.stream {
        StreamId::Nonconformity(nc) => match event.payload.clone() {
            P::NonconformityReported {
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
                ..
            } => Command::ReportNonconformity(ReportNonconformity {
                id: nc,
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
            }),
            P::ContainmentRecorded {
                action_taken,
                consequences,
                late_justification,
            } => Command::RecordContainment {
                nonconformity: nc,
                action_taken,
                consequences,
                late_justification,
            },
            P::RootCauseAnalysed {
                method,
                causes,
                similar,
                similar_notes,
                decision,
                ..
            } => Command::AnalyseRootCause {
                nonconformity: nc,
                method,
                causes,
                similar,
                similar_notes,
                decision,
            },
            P::ActionPlanned {
                action,
                description,
                owner,
                due,
                late_justification,
                ..
            } => Command::PlanAction {
                nonconformity: nc,
                action,
                description,
                owner,
                due,
                late_justification,
            },
            P::ActionStarted { action } => Command::StartAction {
                nonconformity: nc,
                action,
            },
            P::ActionRescheduled {
                action, to, reason, ..
            } => Command::RescheduleAction {
                nonconformity: nc,
                action,
                due: to,
                reason,
            },
            P::ActionCompleted { action, evidence } => Command::CompleteAction {
                nonconformity: nc,
                action,
                evidence,
            },
            P::ActionCancelled { action, reason } => Command::CancelAction {
                nonconformity: nc,
                action,
                reason,
            },
            P::VerificationPlanned {
                method,
                criteria,
                schedule,
                verifier,
                ..
            } => Command::PlanVerification {
                nonconformity: nc,
                method,
                criteria,
                schedule,
                verifier,
            },
            P::VerificationRecorded {
                check,
                passed,
                notes,
                evidence,
                ..
            } => Command::RecordVerification {
                nonconformity: nc,
                check,
                passed,
                notes,
                evidence,
            },
            P::EffectivenessConcluded { .. } => return Ok(None),
            P::NonconformityClosed {
                isms_changes,
                notes,
                risk_acceptance,
            } => Command::CloseNonconformity {
                nonconformity: nc,
                isms_changes,
                notes,
                risk_acceptance,
            },
            P::NonconformityRejected {
                reason,
                explanation,
                risk_acceptance,
            } => Command::RejectNonconformity {
                nonconformity: nc,
                reason,
                explanation,
                risk_acceptance,
            },
            P::LinksChanged { added, removed } => Command::ChangeNonconformityLinks {
                nonconformity: nc,
                add: added,
                remove: removed,
            },
            P::RecurrenceLinked { recurrence_of } => Command::LinkRecurrence {
                nonconformity: nc,
                recurrence_of,
            },
            P::RecurrenceRecorded { recurrence, .. } => Command::RecordRecurrence {
                nonconformity: nc,
                recurrence,
            },
            P::VerificationMissed { check, reason, .. } => Command::RecordMissedCheck {
                nonconformity: nc,
                check,
                reason,
            },
            P::VerificationEnded { reason, .. } => Command::EndVerification {
                nonconformity: nc,
                reason,
            },
            P::ExtensionsChanged { set, removed } => Command::ChangeNonconformityExtensions {
                nonconformity: nc,
                set,
                remove: removed,
            },
            P::IncidentReportingRecorded {
                regime,
                aware_at,
                significant,
                requests,
            } => Command::RecordIncidentReporting {
                nonconformity: nc,
                regime,
                aware_at,
                significant,
                requests,
            },
            P::ReportSubmitted {
                kind,
                recipient,
                submitted_at,
                reference,
            } => Command::RecordReportSubmission {
                nonconformity: nc,
                kind,
                recipient,
                submitted_at,
                reference,
            },
            _ => return Err(wrong()),
        },
        StreamId::Improvement(imp) => match event.payload.clone() {
            P::ImprovementProposed {
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
                ..
            } => Command::ProposeImprovement(ProposeImprovement {
                id: imp,
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
            }),
            P::ImprovementApproved {} => Command::ApproveImprovement { improvement: imp },
            P::ImprovementStarted {} => Command::StartImprovement { improvement: imp },
            P::ImprovementRealised {
                isms_changes,
                measured_effect,
            } => Command::RealiseImprovement {
                improvement: imp,
                isms_changes,
                measured_effect,
            },
            P::ImprovementRejected { reason } => Command::RejectImprovement {
                improvement: imp,
                reason,
            },
            P::ImprovementEffectRecorded { measured_effect } => Command::RecordImprovementEffect {
                improvement: imp,
                measured_effect,
            },
            P::ExtensionsChanged { set, removed } => Command::ChangeImprovementExtensions {
                improvement: imp,
                set,
                remove: removed,
            },
            _ => return Err(wrong()),
        },
        // A policy adoption or an audit record is not a command on an
        // item: `replay_log` decides it with `decide_policy` or
        // `decide_audit`.
        StreamId::Policy | StreamId::Audits => return Err(wrong()),
    };
    Ok(Some(command))
}

/// Takes over an event log through the rules: each event becomes the
/// command that recorded it, decided by `replayer` on `register` at the
/// event's time by its actor, and the events the rules record must be the
/// log's, field for field (the log's event ids are kept). Returns the
/// events to store, in log order.
///
/// So a log that breaks a rule (a closure before the report, a closure
/// without a passing verification, a verifier who owns an action under a
/// policy with segregation of duties, a title too long, a control
/// character), that skips a reference number, or whose events were edited
/// so that they no longer follow from their commands, is refused at the
/// first such event.
///
/// # Errors
/// A [`LogError`] naming the event by its position.
pub fn replay_log(
    register: &mut Register,
    events: &[Event],
    replayer: &mut Replayer<'_, '_, LogPlace>,
) -> Result<Vec<Event>, LogError> {
    let mut ids: HashMap<EventId, usize> = HashMap::new();
    // Per stream, the positions of the log's events not yet accounted for.
    let mut pending: HashMap<StreamId, VecDeque<usize>> = HashMap::new();
    for (index, e) in events.iter().enumerate() {
        if let Some(&first) = ids.get(&e.id) {
            return Err(LogError::DuplicateId {
                place: place(index, e),
                id: e.id,
                first,
            });
        }
        ids.insert(e.id, index);
        pending.entry(e.stream).or_default().push_back(index);
    }
    let mut accounted: HashSet<usize> = HashSet::new();
    let mut out = Vec::with_capacity(events.len());
    for (index, e) in events.iter().enumerate() {
        if accounted.contains(&index) {
            continue;
        }
        let here = place(index, e);
        // The roles the log says the actor held decide as they did then.
        let actor = Actor {
            id: e.actor.clone(),
            roles: e.roles.iter().cloned().collect(),
        };
        let decision = if e.stream == StreamId::Policy {
            let EventPayload::PolicyAdopted { policy, reason } = &e.payload else {
                return Err(LogError::WrongStream {
                    place: here,
                    stream: e.stream.to_string(),
                });
            };
            let adopt = AdoptPolicy {
                policy: (**policy).clone(),
                reason: reason.clone(),
            };
            replayer.adopt(register, e.at, actor, &adopt, here)?
        } else if e.stream == StreamId::Audits {
            let EventPayload::AuditRecorded {
                id,
                kind,
                scope,
                date,
                lead,
            } = &e.payload
            else {
                return Err(LogError::WrongStream {
                    place: here,
                    stream: e.stream.to_string(),
                });
            };
            let record = RecordAudit::new(id.clone(), *kind, scope.clone(), *date, lead.clone());
            replayer.record_audit(register, e.at, actor, &record, here)?
        } else {
            let Some(command) = command_of(e, here)? else {
                return Err(LogError::Unaccompanied { place: here });
            };
            let step = Step {
                at: e.at,
                actor,
                command,
                origin: here,
            };
            replayer.step(register, &step)?
        };
        let queue = pending.entry(e.stream).or_default();
        for decided in decision.events {
            // The log's next event of this stream must be the one decided.
            let Some(i) = queue.pop_front() else {
                return Err(LogError::Missing {
                    place: here,
                    missing: decided.payload.type_name(),
                });
            };
            let original = &events[i];
            if i != index && original.payload.type_name() != decided.payload.type_name() {
                return Err(LogError::Missing {
                    place: here,
                    missing: decided.payload.type_name(),
                });
            }
            compare(place(i, original), original, &decided)?;
            accounted.insert(i);
            // The log's id and recording time are kept: the rules decide
            // the rest, the log says when it was written down.
            out.push(Event {
                id: original.id,
                recorded_at: original.recorded_at,
                ..decided
            });
        }
    }
    // Events come out in decision order; the log's order keeps them.
    out.sort_by_key(|e| ids.get(&e.id).copied().unwrap_or(usize::MAX));
    Ok(out)
}

fn place(index: usize, e: &Event) -> LogPlace {
    LogPlace {
        index,
        event_type: e.payload.type_name(),
    }
}

/// Everything but the id must be what the rules recorded.
fn compare(place: LogPlace, log: &Event, decided: &Event) -> Result<(), LogError> {
    let differs = |field: &str, document: String, rules: String| LogError::Differs {
        place,
        field: field.to_owned(),
        document,
        rules,
    };
    if log.sequence != decided.sequence {
        return Err(differs(
            "sequence",
            log.sequence.to_string(),
            decided.sequence.to_string(),
        ));
    }
    if log.at != decided.at {
        return Err(differs("at", log.at.to_rfc3339(), decided.at.to_rfc3339()));
    }
    if log.actor != decided.actor {
        return Err(differs(
            "actor",
            log.actor.to_string(),
            decided.actor.to_string(),
        ));
    }
    if log.payload == decided.payload {
        return Ok(());
    }
    if let (
        EventPayload::NonconformityReported { reference: a, .. },
        EventPayload::NonconformityReported { reference: b, .. },
    ) = (&log.payload, &decided.payload)
        && a != b
    {
        return Err(LogError::ReferenceGap {
            place,
            document: a.to_string(),
            rules: b.to_string(),
        });
    }
    if let (
        EventPayload::ImprovementProposed { reference: a, .. },
        EventPayload::ImprovementProposed { reference: b, .. },
    ) = (&log.payload, &decided.payload)
        && a != b
    {
        return Err(LogError::ReferenceGap {
            place,
            document: a.to_string(),
            rules: b.to_string(),
        });
    }
    let (a, b) = (
        serde_json::to_value(&log.payload).unwrap_or_default(),
        serde_json::to_value(&decided.payload).unwrap_or_default(),
    );
    let key = match (&a, &b) {
        (serde_json::Value::Object(x), serde_json::Value::Object(y)) => x
            .keys()
            .chain(y.keys())
            .find(|k| x.get(*k) != y.get(*k))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    let shown = |v: &serde_json::Value| {
        v.get(&key)
            .map_or_else(|| "nothing".to_owned(), ToString::to_string)
    };
    Err(differs(&format!("payload.{key}"), shown(&a), shown(&b)))
}
