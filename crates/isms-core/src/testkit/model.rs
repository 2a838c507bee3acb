//! The reference model: a second, deliberately plain statement of the
//! workflow rules, written from `DESIGN.md` and the transition table rather
//! than from `decide`. It keeps only what the rules need (states, times,
//! owners, the verification plan) and predicts, for every command, whether
//! it is accepted and in which state the item ends up. The state-machine
//! test runs the real register and this model side by side.

use chrono::{DateTime, NaiveDate, Utc};

use crate::command::Command;
use crate::decide::{MAX_TEXT_CHARS, MAX_TITLE_CHARS};
use crate::ids::{ActionId, Actor, ActorId, ImprovementId, NonconformityId};
use crate::model::{ActionDecision, RejectionReason, Severity};
use crate::policy::{Enforcement, Policy, TimeLimit};
use crate::workflow::{
    ImprovementCommandKind as IK, ImprovementState, NcCommandKind as K, NcState,
};
use crate::workflow::{improvement_rule, nc_rule};

/// A corrective action as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelAction {
    /// Identifier.
    pub id: ActionId,
    /// Owner.
    pub owner: ActorId,
    /// Attempt it belongs to.
    pub attempt: u32,
    /// Planned, in progress (open) or done/cancelled.
    pub status: ModelActionStatus,
    /// Due date in force.
    pub due: NaiveDate,
}

/// Simplified action status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelActionStatus {
    /// Planned, not started.
    Planned,
    /// Started.
    Started,
    /// Done.
    Done,
    /// Cancelled.
    Cancelled,
}

impl ModelActionStatus {
    fn open(self) -> bool {
        matches!(
            self,
            ModelActionStatus::Planned | ModelActionStatus::Started
        )
    }
}

/// A nonconformity as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelNc {
    /// Identifier.
    pub id: NonconformityId,
    /// Expected state.
    pub state: NcState,
    /// Severity.
    pub severity: Severity,
    /// Detection date.
    pub detected: NaiveDate,
    /// External deadline.
    pub reported_at: DateTime<Utc>,
    /// Last accepted event time.
    pub last_at: DateTime<Utc>,
    /// Analysis attempt.
    pub attempt: u32,
    /// Whether the current analysis requires action.
    pub action_required: bool,
    /// Number of corrections recorded.
    pub corrections: u32,
    /// When the current attempt started.
    pub attempt_start: DateTime<Utc>,
    /// Every action.
    pub actions: Vec<ModelAction>,
    /// Current plan: attempt, verifier, check dates.
    pub plan: Option<(u32, ActorId, Vec<NaiveDate>)>,
    /// Results of the current attempt: check and passed.
    pub results: Vec<(u32, bool)>,
    /// Recurrence link (index of the earlier nonconformity).
    pub recurrence_of: Option<usize>,
}

/// An improvement as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelImprovement {
    /// Identifier.
    pub id: ImprovementId,
    /// Expected state.
    pub state: ImprovementState,
    /// Last accepted event time.
    pub last_at: DateTime<Utc>,
}

/// The model of a whole register under one policy.
#[derive(Clone, Debug)]
pub struct Model {
    /// The policy in force.
    pub policy: Policy,
    /// Nonconformities in report order.
    pub ncs: Vec<ModelNc>,
    /// Improvements in proposal order.
    pub improvements: Vec<ModelImprovement>,
    /// Every action id ever planned.
    pub action_ids: Vec<ActionId>,
    /// The latest time any command carried (drives scenario time).
    pub clock: DateTime<Utc>,
}

/// What the model predicts for a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prediction {
    /// Refused; nothing changes.
    Refused,
    /// Accepted.
    Accepted,
}

/// The organisation's calendar date of `at`, stated directly on chrono-tz.
fn local(policy: &Policy, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&policy.time_zone.tz()).date_naive()
}

fn text_ok(s: &str, max: usize) -> bool {
    !s.trim().is_empty()
        && s.chars().count() <= max
        && !s
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        && !s.chars().any(crate::text::is_bidi_control)
        && crate::text::has_visible_char(s)
}

fn opt_ok(s: Option<&String>) -> bool {
    s.is_none_or(|s| text_ok(s, MAX_TEXT_CHARS))
}

fn over_limit(
    limit: Option<TimeLimit>,
    from: DateTime<Utc>,
    at: DateTime<Utc>,
    justified: bool,
) -> bool {
    limit.is_some_and(|l| {
        l.enforcement == Enforcement::Refuse
            && (at - from).num_days() > i64::from(l.days)
            && !justified
    })
}

impl Model {
    /// An empty model under `policy`, starting at `clock`.
    pub fn new(policy: Policy, clock: DateTime<Utc>) -> Self {
        Self {
            policy,
            ncs: Vec::new(),
            improvements: Vec::new(),
            action_ids: Vec::new(),
            clock,
        }
    }

    /// The index of a nonconformity.
    pub fn nc_index(&self, id: NonconformityId) -> Option<usize> {
        self.ncs.iter().position(|n| n.id == id)
    }

    /// Predicts the outcome of `command` by `actor` at `at`, and on
    /// acceptance moves the model on.
    pub fn step(&mut self, command: &Command, actor: &Actor, at: DateTime<Utc>) -> Prediction {
        self.clock = self.clock.max(at);
        let accepted = match command {
            Command::ProposeImprovement(_)
            | Command::ApproveImprovement { .. }
            | Command::StartImprovement { .. }
            | Command::RealiseImprovement { .. }
            | Command::RejectImprovement { .. }
            | Command::RecordImprovementEffect { .. }
            | Command::ChangeImprovementExtensions { .. } => self.step_improvement(command, at),
            _ => self.step_nc(command, actor, at),
        };
        if accepted {
            Prediction::Accepted
        } else {
            Prediction::Refused
        }
    }

    fn step_improvement(&mut self, command: &Command, at: DateTime<Utc>) -> bool {
        if let Command::ProposeImprovement(p) = command {
            let ok = !self.improvements.iter().any(|i| i.id == p.id)
                && text_ok(&p.title, MAX_TITLE_CHARS)
                && text_ok(&p.description, MAX_TEXT_CHARS)
                && text_ok(&p.expected_benefit, MAX_TEXT_CHARS)
                && p.nonconformity.is_none_or(|n| self.nc_index(n).is_some());
            if ok {
                self.improvements.push(ModelImprovement {
                    id: p.id,
                    state: ImprovementState::Proposed,
                    last_at: at,
                });
            }
            return ok;
        }
        let (id, kind, text_fine) = match command {
            Command::ApproveImprovement { improvement } => (*improvement, IK::Approve, true),
            Command::StartImprovement { improvement } => (*improvement, IK::Start, true),
            Command::RealiseImprovement {
                improvement,
                isms_changes,
                measured_effect,
            } => (
                *improvement,
                IK::Realise,
                isms_changes
                    .iter()
                    .all(|c| text_ok(&c.description, MAX_TEXT_CHARS))
                    && opt_ok(measured_effect.as_ref()),
            ),
            Command::RejectImprovement {
                improvement,
                reason,
            } => (*improvement, IK::Reject, text_ok(reason, MAX_TEXT_CHARS)),
            Command::RecordImprovementEffect {
                improvement,
                measured_effect,
            } => (
                *improvement,
                IK::RecordEffect,
                text_ok(measured_effect, MAX_TEXT_CHARS),
            ),
            Command::ChangeImprovementExtensions {
                improvement,
                set,
                remove,
            } => (
                *improvement,
                IK::ChangeExtensions,
                extension_change_ok(set, remove),
            ),
            _ => return false,
        };
        let Some(imp) = self.improvements.iter_mut().find(|i| i.id == id) else {
            return false;
        };
        let Some(rule) = improvement_rule(Some(imp.state), kind) else {
            return false;
        };
        if at < imp.last_at || !text_fine {
            return false;
        }
        imp.state = rule.to[0];
        imp.last_at = at;
        true
    }

    fn step_nc(&mut self, command: &Command, actor: &Actor, at: DateTime<Utc>) -> bool {
        if let Command::ReportNonconformity(r) = command {
            let mut reqs = r.requirements.clone();
            reqs.sort();
            reqs.dedup();
            let ok = self.nc_index(r.id).is_none()
                && text_ok(&r.title, MAX_TITLE_CHARS)
                && text_ok(&r.description, MAX_TEXT_CHARS)
                && r.detected_at <= at
                && reqs.len() == r.requirements.len()
                && r.external_deadline
                    .is_none_or(|d| d >= local(&self.policy, r.detected_at))
                && r.links.iter().all(|l| text_ok(&l.id, MAX_TITLE_CHARS))
                && r.extensions.keys().all(|k| {
                    !k.is_empty() && k.chars().count() <= 64 && !k.chars().any(char::is_control)
                });
            if ok {
                self.ncs.push(ModelNc {
                    id: r.id,
                    state: NcState::Reported,
                    severity: r.severity,
                    detected: local(&self.policy, r.detected_at),
                    reported_at: at,
                    last_at: at,
                    attempt: 0,
                    action_required: false,
                    corrections: 0,
                    attempt_start: at,
                    actions: Vec::new(),
                    plan: None,
                    results: Vec::new(),
                    recurrence_of: None,
                });
            }
            return ok;
        }
        let crate::command::CommandTarget::Nonconformity(id, kind) = command.target() else {
            return false;
        };
        let Some(i) = self.nc_index(id) else {
            return false;
        };
        let policy = self.policy.clone();
        let other_index = |other: NonconformityId| self.nc_index(other);
        // Look-ups on other items happen before the mutable borrow.
        let similar_ok = match command {
            Command::AnalyseRootCause { similar, .. } => similar
                .iter()
                .all(|s| *s != id && other_index(*s).is_some()),
            Command::RejectNonconformity {
                reason: RejectionReason::Duplicate { of },
                ..
            } => *of != id && other_index(*of).is_some(),
            _ => true,
        };
        let recurrence_target = match command {
            Command::LinkRecurrence { recurrence_of, .. } => Some(other_index(*recurrence_of)),
            _ => None,
        };
        let action_id_taken = match command {
            Command::PlanAction { action, .. } => self.action_ids.contains(action),
            _ => false,
        };
        let target_states: Vec<NcState> = self.ncs.iter().map(|n| n.state).collect();
        let nc = &mut self.ncs[i];
        if nc_rule(Some(nc.state), kind).is_none() || at < nc.last_at {
            return false;
        }
        let sod = policy.segregation_of_duties;
        let owns_live_action = |nc: &ModelNc, who: &ActorId| {
            nc.actions
                .iter()
                .any(|a| a.status != ModelActionStatus::Cancelled && a.owner == *who)
        };
        let accepted = match command {
            Command::RecordContainment {
                action_taken,
                consequences,
                late_justification,
                ..
            } => {
                let ok = text_ok(action_taken, MAX_TEXT_CHARS)
                    && opt_ok(consequences.as_ref())
                    && opt_ok(late_justification.as_ref())
                    && !(nc.corrections == 0
                        && over_limit(
                            policy.max_days_to_contain,
                            nc.reported_at,
                            at,
                            late_justification.is_some(),
                        ));
                if ok {
                    nc.corrections += 1;
                    if nc.state == NcState::Reported {
                        nc.state = NcState::Contained;
                    }
                }
                ok
            }
            Command::AnalyseRootCause {
                causes,
                similar_notes,
                decision,
                ..
            } => {
                let containment_missing = nc.state == NcState::Reported
                    && policy.containment_required_for.contains(&nc.severity);
                let ok = !containment_missing
                    && !causes.is_empty()
                    && causes.iter().all(|c| text_ok(&c.statement, MAX_TEXT_CHARS))
                    && similar_ok
                    && opt_ok(similar_notes.as_ref())
                    && match decision {
                        ActionDecision::ActionRequired => true,
                        ActionDecision::NoActionRequired { justification, .. } => {
                            text_ok(justification, MAX_TEXT_CHARS)
                        }
                    };
                if ok {
                    nc.attempt += 1;
                    nc.action_required = matches!(decision, ActionDecision::ActionRequired);
                    nc.results.clear();
                    nc.state = if nc.action_required {
                        NcState::Analysed
                    } else {
                        NcState::Implemented
                    };
                }
                ok
            }
            Command::PlanAction {
                action,
                description,
                owner,
                due,
                late_justification,
                ..
            } => {
                let first_of_attempt = !nc.actions.iter().any(|a| a.attempt == nc.attempt);
                let verifier_conflict = sod
                    && nc
                        .plan
                        .as_ref()
                        .is_some_and(|(attempt, v, _)| *attempt == nc.attempt && v == owner);
                let ok = nc.action_required
                    && !action_id_taken
                    && text_ok(description, MAX_TEXT_CHARS)
                    && opt_ok(late_justification.as_ref())
                    && *due >= nc.detected
                    && !verifier_conflict
                    && !(first_of_attempt
                        && over_limit(
                            policy.max_days_to_plan,
                            nc.attempt_start,
                            at,
                            late_justification.is_some(),
                        ));
                if ok {
                    nc.actions.push(ModelAction {
                        id: *action,
                        owner: owner.clone(),
                        attempt: nc.attempt,
                        status: ModelActionStatus::Planned,
                        due: *due,
                    });
                    nc.state = NcState::ActionsPlanned;
                    self.action_ids.push(*action);
                }
                ok
            }
            Command::StartAction { action, .. } => {
                match nc.actions.iter_mut().find(|a| a.id == *action) {
                    Some(a) if a.status == ModelActionStatus::Planned => {
                        a.status = ModelActionStatus::Started;
                        true
                    }
                    _ => false,
                }
            }
            Command::RescheduleAction {
                action,
                due,
                reason,
                ..
            } => {
                let detected = nc.detected;
                match nc.actions.iter_mut().find(|a| a.id == *action) {
                    Some(a)
                        if a.status.open()
                            && text_ok(reason, MAX_TEXT_CHARS)
                            && a.due != *due
                            && *due >= detected =>
                    {
                        a.due = *due;
                        true
                    }
                    _ => false,
                }
            }
            Command::CompleteAction {
                action, evidence, ..
            } => evidence_ok(evidence) && finish_action(nc, *action, ModelActionStatus::Done),
            Command::CancelAction { action, reason, .. } => {
                text_ok(reason, MAX_TEXT_CHARS)
                    && finish_action(nc, *action, ModelActionStatus::Cancelled)
            }
            Command::PlanVerification {
                method,
                criteria,
                schedule,
                verifier,
                ..
            } => {
                let dates = schedule.check_dates();
                let ok = text_ok(method, MAX_TEXT_CHARS)
                    && text_ok(criteria, MAX_TEXT_CHARS)
                    && dates
                        .as_ref()
                        .is_ok_and(|d| d.first().is_none_or(|f| *f >= nc.detected))
                    && nc.results.is_empty()
                    && !(sod && owns_live_action(nc, verifier));
                if ok {
                    nc.plan = Some((nc.attempt, verifier.clone(), dates.unwrap_or_default()));
                }
                ok
            }
            Command::RecordVerification {
                check,
                passed,
                notes,
                evidence,
                ..
            } => {
                let owns = owns_live_action(nc, &actor.id);
                let Some((attempt, verifier, dates)) = nc.plan.clone() else {
                    return false;
                };
                let ok = attempt == nc.attempt
                    && verifier == actor.id
                    && !(sod && owns)
                    && dates
                        .get(*check as usize)
                        .is_some_and(|due| *due <= local(&policy, at))
                    && !nc.results.iter().any(|(c, _)| c == check)
                    && opt_ok(notes.as_ref())
                    && evidence_ok(evidence);
                if ok {
                    nc.results.push((*check, *passed));
                    if !passed {
                        nc.state = NcState::Ineffective;
                        nc.attempt_start = at;
                    } else if nc.results.iter().filter(|(_, p)| *p).count() == dates.len() {
                        nc.state = NcState::Effective;
                    }
                }
                ok
            }
            Command::CloseNonconformity {
                isms_changes,
                notes,
                ..
            } => {
                let approver_ok = policy
                    .closure_approver_role
                    .as_ref()
                    .is_none_or(|r| actor.has_role(r));
                let ok = approver_ok
                    && isms_changes
                        .iter()
                        .all(|c| text_ok(&c.description, MAX_TEXT_CHARS))
                    && opt_ok(notes.as_ref());
                if ok {
                    nc.state = NcState::Closed;
                }
                ok
            }
            Command::RejectNonconformity { explanation, .. } => {
                let ok = text_ok(explanation, MAX_TEXT_CHARS) && similar_ok;
                if ok {
                    nc.state = NcState::Rejected;
                }
                ok
            }
            Command::ChangeNonconformityExtensions { set, remove, .. } => {
                extension_change_ok(set, remove)
            }
            Command::LinkRecurrence { .. } => {
                let target = recurrence_target.flatten();
                let ok = nc.recurrence_of.is_none()
                    && target.is_some_and(|t| t < i && target_states[t] != NcState::Rejected);
                if ok {
                    nc.recurrence_of = target;
                }
                ok
            }
            _ => false,
        };
        if accepted {
            nc.last_at = at;
        }
        accepted
    }
}

/// A change of extension fields names at least one field, and every name
/// is 1 to 64 characters without control characters.
fn extension_change_ok(set: &crate::model::Extensions, remove: &[String]) -> bool {
    let name_ok =
        |k: &str| !k.is_empty() && k.chars().count() <= 64 && !k.chars().any(char::is_control);
    !(set.is_empty() && remove.is_empty())
        && set.keys().all(|k| name_ok(k))
        && remove.iter().all(|k| name_ok(k))
}

fn evidence_ok(evidence: &[crate::model::EvidenceRef]) -> bool {
    evidence.iter().all(|e| text_ok(&e.0, MAX_TEXT_CHARS))
}

/// Completes or cancels an open action and settles the state.
fn finish_action(nc: &mut ModelNc, action: ActionId, to: ModelActionStatus) -> bool {
    let Some(a) = nc.actions.iter_mut().find(|a| a.id == action) else {
        return false;
    };
    if !a.status.open() {
        return false;
    }
    a.status = to;
    let current: Vec<_> = nc
        .actions
        .iter()
        .filter(|a| a.attempt == nc.attempt)
        .collect();
    if current.iter().all(|a| !a.status.open()) {
        nc.state = if current.iter().any(|a| a.status == ModelActionStatus::Done) {
            NcState::Implemented
        } else {
            NcState::Analysed
        };
    }
    true
}

/// The commands the table allows on a nonconformity in `state`, for
/// scenario generation.
pub fn allowed(state: NcState) -> Vec<K> {
    crate::workflow::nc_commands_allowed(state)
}
