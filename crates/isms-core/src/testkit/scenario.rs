//! Command sequences that reach every state. Purely random commands are
//! almost always refused at once (unknown ids, wrong state), so the
//! generator looks at the [`Model`] and mostly proposes a command the table
//! allows for an existing item, with plausible arguments (its open
//! actions, the next due check, the planned verifier), mixed with reports,
//! random commands, wrong actors and times that go backwards.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::model::{Model, ModelActionStatus};
use super::strategies::{
    self, APPROVER_ROLE, action_decision, action_id, actor, actor_id, analysis_method, evidence,
    improvement_id, isms_change, nonconformity_id, period, root_cause, text,
};
use crate::command::Command;
use crate::ids::{Actor, ActorId, Role};
use crate::model::{
    ActionDecision, AnalysisMethod, EvidenceRef, IsmsChange, RejectionReason, RootCause,
};
use crate::schedule::{Period, VerificationSchedule};
use crate::workflow::{NcCommandKind as K, nc_commands_allowed};

/// One generated step: a command, who runs it and when.
#[derive(Clone, Debug)]
pub struct Step {
    /// The command.
    pub command: Command,
    /// Who runs it.
    pub actor: Actor,
    /// When (the effective time).
    pub at: DateTime<Utc>,
    /// When it is recorded by the caller's clock, if given.
    pub recorded_at: Option<DateTime<Utc>>,
}

/// Random material a step is built from.
#[derive(Clone, Debug)]
struct Pieces {
    pick: usize,
    kind: usize,
    sub: usize,
    flip: u8,
    text: String,
    person: ActorId,
    days: u64,
    method: AnalysisMethod,
    causes: Vec<RootCause>,
    decision: ActionDecision,
    period: Period,
    count: u32,
    schedule_kind: u8,
    action: crate::ids::ActionId,
    changes: Vec<IsmsChange>,
    evidence: Vec<EvidenceRef>,
    passed: bool,
}

fn pieces() -> impl Strategy<Value = Pieces> {
    (
        (
            any::<usize>(),
            any::<usize>(),
            any::<usize>(),
            0u8..10,
            text(),
            actor_id(),
            0u64..60,
        ),
        (
            analysis_method(),
            proptest::collection::vec(root_cause(), 1..3),
            action_decision(),
            period(),
            1u32..=3,
        ),
        (
            0u8..4,
            action_id(),
            proptest::collection::vec(isms_change(), 0..2),
            evidence(),
            prop::bool::weighted(0.8),
        ),
    )
        .prop_map(
            |(
                (pick, kind, sub, flip, text, person, days),
                (method, causes, decision, period, count),
                (schedule_kind, action, changes, evidence, passed),
            )| Pieces {
                pick,
                kind,
                sub,
                flip,
                text,
                person,
                days,
                method,
                causes,
                decision,
                period,
                count,
                schedule_kind,
                action,
                changes,
                evidence,
                passed,
            },
        )
}

/// How far the clock moves: mostly forward by hours or weeks (so that
/// verification checks come due), sometimes backwards.
fn delta() -> impl Strategy<Value = Duration> {
    prop_oneof![
        8 => (1i64..=72).prop_map(Duration::hours),
        3 => (3i64..=45).prop_map(Duration::days),
        1 => (-72i64..0).prop_map(Duration::hours),
    ]
}

fn approver(id: ActorId) -> Actor {
    Actor::new(id).with_role(Role::new(APPROVER_ROLE).expect("valid constant name"))
}

/// Builds a plausible command for nonconformity `pick` of the model.
fn nc_step(m: &Model, p: Pieces, at: DateTime<Utc>, random_actor: Actor) -> Step {
    let nc = &m.ncs[p.pick % m.ncs.len()];
    let allowed = nc_commands_allowed(nc.state);
    let id = nc.id;
    let mut actor = random_actor;
    let kind = if allowed.is_empty() {
        K::Close
    } else if nc.state == crate::workflow::NcState::Implemented && nc.plan.is_some() && p.flip >= 4
    {
        // Six commands are allowed during verification; recording the next
        // check is the usual one, so it is drawn more often.
        K::RecordVerification
    } else {
        allowed[p.kind % allowed.len()]
    };
    let open_actions: Vec<_> = nc
        .actions
        .iter()
        .filter(|a| {
            matches!(
                a.status,
                ModelActionStatus::Planned | ModelActionStatus::Started
            )
        })
        .collect();
    let some_action = || {
        if open_actions.is_empty() || p.flip == 0 {
            nc.actions
                .get(p.sub % nc.actions.len().max(1))
                .map_or(p.action, |a| a.id)
        } else {
            open_actions[p.sub % open_actions.len()].id
        }
    };
    let other = || m.ncs[p.sub % m.ncs.len()].id;
    let command = match kind {
        K::Report => Command::ApproveImprovement {
            improvement: crate::ids::ImprovementId::from_uuid(p.action.as_uuid()),
        },
        K::RecordContainment => Command::RecordContainment {
            nonconformity: id,
            action_taken: p.text,
            consequences: None,
            late_justification: (p.flip < 3).then(|| "escalated late".to_owned()),
        },
        K::AnalyseRootCause => Command::AnalyseRootCause {
            nonconformity: id,
            method: p.method,
            causes: if p.flip == 9 { vec![] } else { p.causes },
            similar: if p.flip == 1 { vec![other()] } else { vec![] },
            similar_notes: (p.flip > 2).then(|| "no similar case found in the register".to_owned()),
            decision: p.decision,
        },
        K::PlanAction => Command::PlanAction {
            nonconformity: id,
            action: if p.flip == 0 && !m.action_ids.is_empty() {
                m.action_ids[p.sub % m.action_ids.len()]
            } else {
                p.action
            },
            description: p.text,
            owner: p.person,
            due: at.date_naive() + chrono::Days::new(p.days),
            late_justification: (p.flip < 3).then(|| "waited for supplier".to_owned()),
        },
        K::StartAction => Command::StartAction {
            nonconformity: id,
            action: some_action(),
        },
        K::RescheduleAction => Command::RescheduleAction {
            nonconformity: id,
            action: some_action(),
            due: at.date_naive() + chrono::Days::new(p.days + 1),
            reason: p.text,
        },
        K::CompleteAction => Command::CompleteAction {
            nonconformity: id,
            action: some_action(),
            evidence: p.evidence,
        },
        K::CancelAction => Command::CancelAction {
            nonconformity: id,
            action: some_action(),
            reason: p.text,
        },
        K::PlanVerification => {
            let start = at.date_naive() + chrono::Days::new(p.days % 10);
            let schedule = match p.schedule_kind {
                0 => VerificationSchedule::once(start),
                1 => VerificationSchedule::recurring_count(start, p.period, p.count),
                2 => VerificationSchedule::watch_window(start, p.period),
                _ => VerificationSchedule::recurring_until(
                    start,
                    p.period,
                    p.period.nth_after(start, p.count - 1).unwrap_or(start),
                ),
            };
            // Usually someone who owns no action, so that verification can go ahead.
            let verifier = if p.flip < 7 {
                strategies::ACTORS
                    .iter()
                    .map(|n| ActorId::new(*n).expect("valid constant name"))
                    .find(|a| {
                        !nc.actions
                            .iter()
                            .any(|x| x.owner == *a && x.status != ModelActionStatus::Cancelled)
                    })
                    .unwrap_or(p.person)
            } else {
                p.person
            };
            Command::PlanVerification {
                nonconformity: id,
                method: "restore test of a sample".to_owned(),
                criteria: p.text,
                schedule,
                verifier,
            }
        }
        K::RecordVerification => {
            let (check, verifier) = match &nc.plan {
                Some((_, v, dates)) => {
                    let next = (0..dates.len() as u32)
                        .find(|c| !nc.results.iter().any(|(r, _)| r == c) && !nc.missed.contains(c))
                        .unwrap_or(0);
                    (
                        if p.flip == 0 { p.sub as u32 % 5 } else { next },
                        Some(v.clone()),
                    )
                }
                None => (0, None),
            };
            if let (Some(v), true) = (verifier, p.flip < 8) {
                actor = Actor::new(v);
            }
            Command::RecordVerification {
                nonconformity: id,
                check,
                passed: p.passed,
                notes: None,
                evidence: p.evidence,
            }
        }
        K::Close => {
            if p.flip < 8 {
                actor = approver(actor.id);
            }
            Command::CloseNonconformity {
                nonconformity: id,
                isms_changes: p.changes,
                notes: None,
            }
        }
        K::Reject => Command::RejectNonconformity {
            nonconformity: id,
            reason: if p.flip < 3 {
                RejectionReason::Duplicate { of: other() }
            } else {
                RejectionReason::NotANonconformity
            },
            explanation: p.text,
        },
        K::LinkRecurrence => Command::LinkRecurrence {
            nonconformity: id,
            recurrence_of: other(),
        },
        K::RecordRecurrence => Command::RecordRecurrence {
            nonconformity: id,
            recurrence: other(),
        },
        K::RecordMissedCheck | K::EndVerification => {
            if let (Some((_, v, _)), true) = (&nc.plan, p.flip < 8) {
                actor = Actor::new(v.clone());
            }
            if kind == K::EndVerification {
                Command::EndVerification {
                    nonconformity: id,
                    reason: p.text,
                }
            } else {
                let next = (nc.results.len() + nc.missed.len()) as u32;
                Command::RecordMissedCheck {
                    nonconformity: id,
                    check: if p.flip == 0 { p.sub as u32 % 5 } else { next },
                    reason: p.text,
                }
            }
        }
    };
    Step {
        command,
        actor,
        at,
        recorded_at: None,
    }
}

/// The next step for `model`: mostly an allowed command on an existing
/// item, sometimes a report, a proposal, an improvement step or any
/// random command.
pub fn step(model: &Model) -> BoxedStrategy<Step> {
    let clock = model.clock;
    let m = model.clone();
    let has_ncs = !model.ncs.is_empty();
    let has_imps = !model.improvements.is_empty();
    let report = (nonconformity_id(), delta(), actor())
        .prop_flat_map(move |(id, d, actor)| {
            let at = clock + d;
            strategies::report(id, at).prop_map(move |r| Step {
                command: Command::ReportNonconformity(r),
                actor: actor.clone(),
                at,
                recorded_at: None,
            })
        })
        .boxed();
    let propose_nc = m.ncs.first().map(|n| n.id);
    let propose = (improvement_id(), delta(), actor(), any::<bool>())
        .prop_flat_map(move |(id, d, actor, link)| {
            let at = clock + d;
            strategies::proposal(id, propose_nc.filter(|_| link)).prop_map(move |p| Step {
                command: Command::ProposeImprovement(p),
                actor: actor.clone(),
                at,
                recorded_at: None,
            })
        })
        .boxed();
    let random = (strategies::command(), delta(), actor())
        .prop_map(move |(command, d, actor)| Step {
            command,
            actor,
            at: clock + d,
            recorded_at: None,
        })
        .boxed();
    let m2 = m.clone();
    let existing = (pieces(), delta(), actor())
        .prop_map(move |(p, d, actor)| nc_step(&m2, p, clock + d, actor))
        .boxed();
    let imps: Vec<_> = m.improvements.iter().map(|i| i.id).collect();
    let improvement = (any::<usize>(), 0u8..6, text(), delta(), actor())
        .prop_map(move |(pick, k, text, d, actor)| {
            let improvement = imps[pick % imps.len().max(1)];
            let command = match k {
                0 => Command::ApproveImprovement { improvement },
                1 => Command::StartImprovement { improvement },
                2 => Command::RealiseImprovement {
                    improvement,
                    isms_changes: vec![],
                    measured_effect: Some(text),
                },
                3 => Command::RejectImprovement {
                    improvement,
                    reason: text,
                },
                4 => Command::RecordImprovementEffect {
                    improvement,
                    measured_effect: text,
                },
                _ => Command::ApproveImprovement { improvement },
            };
            Step {
                command,
                actor,
                at: clock + d,
                recorded_at: None,
            }
        })
        .boxed();
    let steps = match (has_ncs, has_imps) {
        (false, _) => prop_oneof![6 => report, 1 => propose, 1 => random].boxed(),
        (true, false) => {
            prop_oneof![2 => report, 12 => existing, 1 => propose, 1 => random].boxed()
        }
        (true, true) => {
            prop_oneof![2 => report, 12 => existing, 1 => propose, 2 => improvement, 1 => random]
                .boxed()
        }
    };
    (steps, lag())
        .prop_map(|(mut step, lag)| {
            step.recorded_at = lag.map(|l| step.at + l);
            step
        })
        .boxed()
}

/// How long after its effective time a step is recorded: usually at once,
/// sometimes days later (back-dated), sometimes not given at all.
fn lag() -> impl Strategy<Value = Option<Duration>> {
    prop_oneof![
        2 => Just(None),
        3 => (0i64..=600).prop_map(|s| Some(Duration::seconds(s))),
        2 => (1i64..=40).prop_map(|d| Some(Duration::days(d) + Duration::hours(1))),
    ]
}
