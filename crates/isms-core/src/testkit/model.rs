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
use crate::schedule::VerificationSchedule;
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
    /// When it was completed.
    pub completed: Option<DateTime<Utc>>,
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
    /// Owner.
    pub owner: ActorId,
    /// The current plan's schedule.
    pub schedule: Option<VerificationSchedule>,
    /// Checks of the current attempt recorded as missed.
    pub missed: Vec<u32>,
    /// Later nonconformities recorded as repeating this one (indices).
    pub recurrences: Vec<usize>,
    /// Links into the embedding product, in order.
    pub links: Vec<crate::model::ExternalLink>,
    /// Raised from an incident.
    pub incident: bool,
    /// The reporting record in force: regime, awareness, significance,
    /// requests.
    pub reporting: Option<(
        crate::reporting::ClockRegime,
        DateTime<Utc>,
        bool,
        Vec<crate::reporting::ReportRequest>,
    )>,
    /// Reports sent: kind and when.
    pub sent: Vec<(String, DateTime<Utc>)>,
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
    /// Who proposed it.
    pub proposed_by: ActorId,
    /// Owner.
    pub owner: ActorId,
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

/// A risk acceptance the policy allows `actor` to record at `at` (or none).
fn risk_acceptance_ok(
    policy: &Policy,
    actor: &crate::ids::Actor,
    at: DateTime<Utc>,
    terms: Option<&crate::risk::RiskAcceptanceTerms>,
) -> bool {
    let Some(terms) = terms else { return true };
    let today = local(policy, at);
    policy
        .risk_acceptance_role()
        .is_none_or(|r| actor.has_role(r))
        && text_ok(&terms.residual_risk, MAX_TEXT_CHARS)
        && terms.review_by > today
        && (terms.review_by - today).num_days() <= crate::risk::MAX_RISK_REVIEW_DAYS
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
        self.step_recorded(command, actor, at, None)
    }

    /// [`Model::step`] for a command the caller records at `recorded_at`
    /// (its own clock): the policy's back-dating limit applies.
    pub fn step_recorded(
        &mut self,
        command: &Command,
        actor: &Actor,
        at: DateTime<Utc>,
        recorded_at: Option<DateTime<Utc>>,
    ) -> Prediction {
        self.clock = self.clock.max(at);
        let backdated_too_far = match (recorded_at, self.policy.max_backdating) {
            (Some(r), Some(l)) => {
                l.enforcement == Enforcement::Refuse && (r - at).num_days() > i64::from(l.days)
            }
            _ => false,
        };
        if backdated_too_far {
            return Prediction::Refused;
        }
        let accepted = match command {
            Command::ProposeImprovement(_)
            | Command::ApproveImprovement { .. }
            | Command::StartImprovement { .. }
            | Command::RealiseImprovement { .. }
            | Command::RejectImprovement { .. }
            | Command::RecordImprovementEffect { .. }
            | Command::ChangeImprovementExtensions { .. } => {
                self.step_improvement(command, actor, at)
            }
            _ => self.step_nc(command, actor, at),
        };
        if accepted {
            Prediction::Accepted
        } else {
            Prediction::Refused
        }
    }

    fn step_improvement(&mut self, command: &Command, actor: &Actor, at: DateTime<Utc>) -> bool {
        if let Command::ProposeImprovement(p) = command {
            // The model's registers hold no audit: naming one is refused.
            let ok = p.audit.is_none()
                && !self.improvements.iter().any(|i| i.id == p.id)
                && text_ok(&p.title, MAX_TITLE_CHARS)
                && text_ok(&p.description, MAX_TEXT_CHARS)
                && text_ok(&p.expected_benefit, MAX_TEXT_CHARS)
                && p.nonconformity.is_none_or(|n| self.nc_index(n).is_some());
            if ok {
                self.improvements.push(ModelImprovement {
                    id: p.id,
                    state: ImprovementState::Proposed,
                    last_at: at,
                    proposed_by: actor.id.clone(),
                    owner: p.owner.clone(),
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
        // Segregated approvals: neither the proposer nor the owner approves.
        if kind == IK::Approve
            && self.policy.segregated_approvals
            && (actor.id == imp.proposed_by || actor.id == imp.owner)
        {
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
            let ok = r.audit.is_none()
                && self.nc_index(r.id).is_none()
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
                    owner: r.owner.clone(),
                    schedule: None,
                    missed: Vec::new(),
                    recurrences: Vec::new(),
                    links: r.links.clone(),
                    incident: r.source == crate::model::Source::Incident,
                    reporting: None,
                    sent: Vec::new(),
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
            Command::RecordRecurrence { recurrence, .. } => Some(other_index(*recurrence)),
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
                similar,
                similar_notes,
                decision,
                ..
            } => {
                // 10.2 b): similar cases listed, or "none found" in notes.
                let similar_recorded = !similar.is_empty() || similar_notes.is_some();
                let approval_segregated = match decision {
                    ActionDecision::NoActionRequired { approved_by, .. } => {
                        !policy.segregated_approvals
                            || (*approved_by != nc.owner && *approved_by != actor.id)
                    }
                    ActionDecision::ActionRequired => true,
                };
                let containment_missing = nc.state == NcState::Reported
                    && policy.containment_required_for.contains(&nc.severity);
                let ok = !containment_missing
                    && (similar_recorded || !policy.similar_check_required)
                    && approval_segregated
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
                    nc.missed.clear();
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
                        completed: None,
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
            } => {
                evidence_ok(evidence)
                    && !evidence_missing(&policy.evidence_required_for_completion, nc, evidence)
                    && finish_action(nc, *action, ModelActionStatus::Done, at)
            }
            Command::CancelAction { action, reason, .. } => {
                text_ok(reason, MAX_TEXT_CHARS)
                    && finish_action(nc, *action, ModelActionStatus::Cancelled, at)
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
                    && nc.missed.is_empty()
                    && window_anchored(nc, schedule, &policy)
                    && !(sod && owns_live_action(nc, verifier));
                if ok {
                    nc.plan = Some((nc.attempt, verifier.clone(), dates.unwrap_or_default()));
                    nc.schedule = Some(*schedule);
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
                let today = local(&policy, at);
                let schedule = nc.schedule.unwrap_or(VerificationSchedule::once(today));
                // In order: the check is the next one not yet recorded.
                let in_order = (nc.results.len() + nc.missed.len()) as u32 == *check;
                // A pass on or after the check's date; a failure any time,
                // but not before a watch window opens.
                let timely = dates
                    .get(*check as usize)
                    .is_some_and(|due| !*passed || *due <= today)
                    && match schedule {
                        VerificationSchedule::WatchWindow { start, .. } => start <= today,
                        _ => true,
                    };
                let ok = attempt == nc.attempt
                    && verifier == actor.id
                    && !(sod && owns)
                    && in_order
                    && timely
                    && window_anchored(nc, &schedule, &policy)
                    && opt_ok(notes.as_ref())
                    && evidence_ok(evidence)
                    && !(*passed
                        && evidence_missing(
                            &policy.evidence_required_for_verification,
                            nc,
                            evidence,
                        ));
                if ok {
                    nc.results.push((*check, *passed));
                    if !passed {
                        nc.state = NcState::Ineffective;
                        nc.attempt_start = at;
                    } else if *check as usize + 1 == dates.len() {
                        nc.state = NcState::Effective;
                    }
                }
                ok
            }
            Command::CloseNonconformity {
                isms_changes,
                notes,
                risk_acceptance,
                ..
            } => {
                let risk_ok = risk_acceptance_ok(&policy, actor, at, risk_acceptance.as_ref());
                let approver_ok = policy
                    .closure_approver_role
                    .as_ref()
                    .is_none_or(|r| actor.has_role(r));
                let segregated = !policy.segregated_approvals || actor.id != nc.owner;
                let ok = approver_ok
                    && risk_ok
                    && segregated
                    && isms_changes
                        .iter()
                        .all(|c| text_ok(&c.description, MAX_TEXT_CHARS))
                    && opt_ok(notes.as_ref());
                if ok {
                    nc.state = NcState::Closed;
                }
                ok
            }
            Command::RejectNonconformity {
                explanation,
                risk_acceptance,
                ..
            } => {
                let ok = text_ok(explanation, MAX_TEXT_CHARS)
                    && similar_ok
                    && risk_acceptance_ok(&policy, actor, at, risk_acceptance.as_ref());
                if ok {
                    nc.state = NcState::Rejected;
                }
                ok
            }
            Command::ChangeNonconformityExtensions { set, remove, .. } => {
                extension_change_ok(set, remove)
            }
            Command::ChangeNonconformityLinks { add, remove, .. } => {
                let mut links = nc.links.clone();
                let mut ok = !(add.is_empty() && remove.is_empty())
                    && add.iter().all(|l| text_ok(&l.id, MAX_TITLE_CHARS));
                for l in remove {
                    match links.iter().position(|x| x == l) {
                        Some(i) if ok => {
                            links.remove(i);
                        }
                        _ => ok = false,
                    }
                }
                for l in add {
                    ok = ok && !links.contains(l);
                    links.push(l.clone());
                }
                if ok {
                    nc.links = links;
                }
                ok
            }
            Command::RecordRecurrence { .. } => {
                let later = recurrence_target.flatten();
                let ok = later.is_some_and(|l| {
                    l > i && target_states[l] != NcState::Rejected && !nc.recurrences.contains(&l)
                });
                if ok {
                    nc.recurrences.extend(later);
                    if matches!(nc.state, NcState::Implemented | NcState::Effective) {
                        nc.state = NcState::Ineffective;
                        nc.attempt_start = at;
                    }
                }
                ok
            }
            Command::RecordMissedCheck { check, reason, .. } => {
                let owns = owns_live_action(nc, &actor.id);
                let Some((attempt, verifier, dates)) = nc.plan.clone() else {
                    return false;
                };
                let ok = attempt == nc.attempt
                    && verifier == actor.id
                    && !(sod && owns)
                    && (nc.results.len() + nc.missed.len()) as u32 == *check
                    && (*check as usize) + 1 < dates.len()
                    && dates[*check as usize] <= local(&policy, at)
                    && text_ok(reason, MAX_TEXT_CHARS);
                if ok {
                    nc.missed.push(*check);
                }
                ok
            }
            Command::EndVerification { reason, .. } => {
                let owns = owns_live_action(nc, &actor.id);
                let Some((attempt, verifier, dates)) = nc.plan.clone() else {
                    return false;
                };
                let ok = attempt == nc.attempt
                    && verifier == actor.id
                    && !(sod && owns)
                    && policy.early_end_allowed
                    && matches!(nc.schedule, Some(VerificationSchedule::Recurring { .. }))
                    && nc.results.len() + nc.missed.len() < dates.len()
                    && nc.results.iter().any(|(_, p)| *p)
                    && text_ok(reason, MAX_TEXT_CHARS);
                if ok {
                    nc.state = NcState::Effective;
                }
                ok
            }
            Command::RecordIncidentReporting {
                regime,
                aware_at,
                significant,
                requests,
                ..
            } => {
                use crate::reporting::ClockAnchor;
                let sends_on_request = |k: &str| {
                    regime
                        .rules
                        .iter()
                        .any(|r| r.kind == k && r.starts == ClockAnchor::Request)
                };
                let record = (regime.clone(), *aware_at, *significant, requests.clone());
                let ok = nc.incident
                    && regime.validate().is_ok()
                    && *aware_at <= at
                    && requests.len() <= 64
                    && requests.iter().all(|q| {
                        sends_on_request(&q.kind)
                            && q.due > q.requested_at
                            && q.requested_at >= *aware_at
                            && q.requested_at <= at
                    })
                    && nc
                        .sent
                        .iter()
                        .all(|(k, t)| regime.rules.iter().any(|r| &r.kind == k) && t >= aware_at)
                    && nc.reporting.as_ref() != Some(&record);
                if ok {
                    nc.reporting = Some(record);
                }
                ok
            }
            Command::RecordReportSubmission {
                kind,
                recipient,
                submitted_at,
                reference,
                ..
            } => {
                use crate::reporting::ClockAnchor;
                let Some((regime, aware, significant, requests)) = &nc.reporting else {
                    return false;
                };
                let Some(rule) = regime.rules.iter().find(|r| &r.kind == kind) else {
                    return false;
                };
                let anchored = match &rule.starts {
                    ClockAnchor::Awareness => true,
                    ClockAnchor::Request => requests.iter().any(|q| &q.kind == kind),
                    ClockAnchor::Submission(a) => {
                        nc.sent.iter().any(|(k, t)| k == a && t <= submitted_at)
                    }
                };
                let ok = *significant
                    && text_ok(recipient, MAX_TITLE_CHARS)
                    && opt_ok(reference.as_ref())
                    && *submitted_at <= at
                    && submitted_at >= aware
                    && anchored
                    && nc.sent.len() < 256;
                if ok {
                    nc.sent.push((kind.clone(), *submitted_at));
                }
                ok
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
    use crate::model::EvidenceRef as E;
    evidence.iter().all(|e| match e {
        E::Document(r) => text_ok(r, MAX_TEXT_CHARS),
        E::File(f) => {
            text_ok(&f.name, 255)
                && !f.name.contains(['/', '\\'])
                && f.name != "."
                && f.name != ".."
        }
    })
}

/// The policy's evidence rule: none given where the severity needs it.
fn evidence_missing(
    required: &std::collections::BTreeSet<crate::model::Severity>,
    nc: &ModelNc,
    evidence: &[crate::model::EvidenceRef],
) -> bool {
    evidence.is_empty() && required.contains(&nc.severity)
}

/// A watch window opens no earlier than the day the current attempt's last
/// action was completed.
fn window_anchored(nc: &ModelNc, schedule: &VerificationSchedule, policy: &Policy) -> bool {
    let last_completion = nc
        .actions
        .iter()
        .filter(|a| a.attempt == nc.attempt)
        .filter_map(|a| a.completed)
        .max();
    match (schedule, last_completion) {
        (VerificationSchedule::WatchWindow { start, .. }, Some(c)) => *start >= local(policy, c),
        _ => true,
    }
}

/// Completes or cancels an open action and settles the state.
fn finish_action(
    nc: &mut ModelNc,
    action: ActionId,
    to: ModelActionStatus,
    at: DateTime<Utc>,
) -> bool {
    let Some(a) = nc.actions.iter_mut().find(|a| a.id == action) else {
        return false;
    };
    if !a.status.open() {
        return false;
    }
    a.status = to;
    if to == ModelActionStatus::Done {
        a.completed = Some(at);
    }
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
