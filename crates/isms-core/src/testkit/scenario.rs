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
    self, action_decision, action_id, actor_id, actor_ids, actor_under, analysis_method,
    improvement_id, isms_change, nonconformity_id, period, policy_roles, root_cause, text,
    valid_evidence_ref,
};
use crate::command::Command;
use crate::ids::{Actor, ActorId};
use crate::model::{
    ActionDecision, AnalysisMethod, EvidenceRef, IsmsChange, RejectionReason, RootCause,
    RootCauseCategory,
};
use crate::policy::Policy;
use crate::schedule::{Period, VerificationSchedule};
use crate::workflow::{NcCommandKind as K, NcState, nc_commands_allowed};

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
    residual_risk: String,
    review_days: i64,
    links: Vec<crate::model::ExternalLink>,
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
            proptest::collection::vec(valid_evidence_ref(), 1..3),
            prop::bool::weighted(0.8),
        ),
        (
            text(),
            -3i64..1_200,
            proptest::collection::vec(strategies::external_link(), 0..3),
        ),
    )
        .prop_map(
            |(
                (pick, kind, sub, flip, text, person, days),
                (method, causes, decision, period, count),
                (schedule_kind, action, changes, evidence, passed),
                (residual_risk, review_days, links),
            )| Pieces {
                residual_risk,
                review_days,
                links,
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

/// `id` holding every role of the policy under test (the approver the
/// policy asks for, whatever the product calls it).
pub fn approver(policy: &Policy, id: ActorId) -> Actor {
    policy_roles(policy)
        .into_iter()
        .fold(Actor::new(id), Actor::with_role)
}

/// A risk acceptance one time in three, reviewed a few days to over three
/// years after `at` (now and then on or before it, which is refused).
fn risk_terms(p: &Pieces, at: DateTime<Utc>) -> Option<crate::risk::RiskAcceptanceTerms> {
    p.sub
        .is_multiple_of(3)
        .then(|| crate::risk::RiskAcceptanceTerms {
            residual_risk: p.residual_risk.clone(),
            review_by: at.date_naive() + Duration::days(p.review_days),
        })
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
                actor = approver(&m.policy, actor.id);
            }
            Command::CloseNonconformity {
                nonconformity: id,
                risk_acceptance: risk_terms(&p, at),
                isms_changes: p.changes,
                notes: None,
            }
        }
        K::Reject => {
            if p.flip > 5 {
                actor = approver(&m.policy, actor.id);
            }
            Command::RejectNonconformity {
                nonconformity: id,
                reason: if p.flip < 3 {
                    RejectionReason::Duplicate { of: other() }
                } else {
                    RejectionReason::NotANonconformity
                },
                explanation: p.text.clone(),
                risk_acceptance: risk_terms(&p, at),
            }
        }
        // Mostly links added, sometimes one of the item's removed, now and
        // then an empty change or a removal of a link it lacks (refused).
        K::ChangeLinks => match (p.flip, nc.links.first()) {
            (0, _) => Command::change_links(id, vec![], vec![]),
            (1 | 2, Some(first)) => Command::change_links(id, vec![], vec![first.clone()]),
            (3, _) => Command::change_links(id, vec![], p.links),
            _ => Command::change_links(id, p.links, vec![]),
        },
        K::LinkRecurrence => Command::LinkRecurrence {
            nonconformity: id,
            recurrence_of: other(),
        },
        // A change of the product's fields: mostly a value, sometimes a
        // removal, now and then an empty change (refused).
        K::ChangeExtensions => match p.flip {
            0 => Command::change_extensions(id),
            1 | 2 => Command::change_extensions(id).remove("ticket"),
            _ => Command::change_extensions(id).set("ticket", p.text),
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
        K::RecordIncidentReporting => incident_reporting(id, &p, at),
        K::RecordReportSubmission => report_submission(id, &p, at, nc),
    };
    Step {
        command,
        actor,
        at,
        recorded_at: None,
    }
}

/// A reporting record: mostly NIS2 with awareness up to four days back,
/// sometimes a regime with a cycle, awareness in the future, an incident
/// that is not significant, a request for an intermediate report or for a
/// kind not sent on request.
fn incident_reporting(id: crate::ids::NonconformityId, p: &Pieces, at: DateTime<Utc>) -> Command {
    use crate::reporting::{ClockAnchor, ClockRegime, ReportRequest};
    let mut regime = ClockRegime::nis2();
    if p.flip == 0 && p.sub.is_multiple_of(4) {
        regime.rules[3].starts = ClockAnchor::Submission("final_report".into());
    }
    let aware_at = if p.flip == 1 && p.sub.is_multiple_of(3) {
        at + Duration::hours(1)
    } else {
        at - Duration::hours((p.sub % 100) as i64)
    };
    let requests = match p.flip {
        7 | 8 => vec![ReportRequest {
            kind: if p.flip == 8 && p.sub.is_multiple_of(5) {
                "early_warning".into()
            } else {
                "intermediate_report".into()
            },
            requested_at: at,
            due: at + Duration::hours(24 + (p.days as i64)),
        }],
        _ => Vec::new(),
    };
    Command::RecordIncidentReporting {
        nonconformity: id,
        regime,
        aware_at,
        significant: p.flip != 2,
        requests,
    }
}

/// A report submission: one of NIS2's kinds or an unknown one, sent up to
/// three days back (sometimes after the command, refused).
fn report_submission(
    id: crate::ids::NonconformityId,
    p: &Pieces,
    at: DateTime<Utc>,
    nc: &crate::testkit::model::ModelNc,
) -> Command {
    const KINDS: [&str; 5] = [
        "early_warning",
        "incident_notification",
        "intermediate_report",
        "final_report",
        "weekly_digest",
    ];
    // Prefer the next report not yet sent, so that chains of reports occur.
    let next = KINDS
        .iter()
        .take(4)
        .find(|k| !nc.sent.iter().any(|(s, _)| s == *k))
        .copied();
    let kind = match (p.flip, next) {
        (3..=9, Some(k)) if !p.sub.is_multiple_of(4) => k,
        _ => KINDS[p.sub % KINDS.len()],
    };
    let submitted_at = if p.flip == 9 && p.sub.is_multiple_of(3) {
        at + Duration::minutes(5)
    } else {
        at - Duration::hours((p.days % 72) as i64)
    };
    Command::RecordReportSubmission {
        nonconformity: id,
        kind: kind.to_owned(),
        recipient: if p.flip == 5 && p.sub.is_multiple_of(7) {
            " ".into()
        } else {
            "CSIRT".into()
        },
        submitted_at,
        reference: p.flip.is_multiple_of(2).then(|| p.text.clone()),
    }
}

/// How often each kind of step is drawn, relative to the others. A zero
/// weight switches a kind off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Weights {
    /// Report a new nonconformity.
    pub report: u32,
    /// A command the transition table allows on an existing nonconformity,
    /// with plausible but random arguments, actor and time (often refused).
    pub existing: u32,
    /// The next step that carries an open nonconformity towards closure,
    /// with the right actor, time and arguments ([`toward_closure`]).
    pub toward_closure: u32,
    /// Propose an improvement.
    pub propose: u32,
    /// A command on an existing improvement.
    pub improvement: u32,
    /// Any command at all (ids at random: almost always refused).
    pub random: u32,
    /// The product's own steps (the `extra` strategy of [`step_with`]).
    pub own: u32,
}

impl Default for Weights {
    /// Report 2, existing 10, toward closure 10, propose 1, improvement 2,
    /// random 1, own 2.
    fn default() -> Self {
        Weights {
            report: 2,
            existing: 10,
            toward_closure: 10,
            propose: 1,
            improvement: 2,
            random: 1,
            own: 2,
        }
    }
}

impl Weights {
    /// The weights before [`Weights::toward_closure`] existed (0 there): few
    /// items reach closure, many more odd paths are walked.
    pub fn exploratory() -> Self {
        Weights {
            toward_closure: 0,
            ..Weights::default()
        }
    }
}

/// The next step for `model` under the default [`Weights`].
pub fn step(model: &Model) -> BoxedStrategy<Step> {
    step_with(model, &Weights::default(), None)
}

/// The next step for `model`: a report, a proposal, an allowed command on
/// an existing item, a step toward closure, an improvement step, a random
/// command or one of the product's own steps (`extra`), drawn by `weights`.
/// Actors are [`strategies::ACTORS`] holding the policy's roles
/// ([`strategies::policy_roles`]) at random; closures are mostly by an
/// actor holding all of them.
pub fn step_with(
    model: &Model,
    weights: &Weights,
    extra: Option<BoxedStrategy<Step>>,
) -> BoxedStrategy<Step> {
    let clock = model.clock;
    let m = model.clone();
    let has_ncs = !model.ncs.is_empty();
    let has_imps = !model.improvements.is_empty();
    let actor = || actor_under(&model.policy, actor_ids());
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
    let improvement = (any::<usize>(), 0u8..7, text(), delta(), actor())
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
                5 => Command::change_improvement_extensions(improvement).set("budget", text),
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
    let has_open = model.ncs.iter().any(|n| !n.state.is_terminal());
    let mut arms: Vec<(u32, BoxedStrategy<Step>)> = vec![
        (
            if has_ncs {
                weights.report
            } else {
                weights.report.max(1)
            },
            report,
        ),
        (weights.propose, propose),
        (weights.random, random),
    ];
    if has_ncs {
        arms.push((weights.existing, existing));
    }
    if has_open {
        arms.push((weights.toward_closure, toward_closure(model)));
    }
    if has_imps {
        arms.push((weights.improvement, improvement));
    }
    if let Some(extra) = extra {
        arms.push((weights.own, extra));
    }
    arms.retain(|(w, _)| *w > 0);
    (proptest::strategy::Union::new_weighted(arms), lag())
        .prop_map(|(mut step, lag)| {
            step.recorded_at = lag.map(|l| step.at + l);
            step
        })
        .boxed()
}

/// The step that carries an open nonconformity of `model` one step towards
/// closure, as a diligent team would take it: containment (justified if
/// late), a root-cause analysis that requires action, an action owned by
/// someone other than the verifier, its completion, a verification planned
/// for today by someone who owns no action, its check recorded on its date
/// (in the policy's time zone) as passed by the verifier, and closure by an
/// actor holding every role of the policy. It works on the oldest open
/// nonconformity three times in four (so items finish rather than all
/// advancing a little), on a random open one otherwise. A failed check or
/// an odd step drawn elsewhere only makes the path longer. With nothing open it draws
/// a command that is refused (an unknown improvement).
pub fn toward_closure(model: &Model) -> BoxedStrategy<Step> {
    let m = model.clone();
    (
        any::<usize>(),
        any::<usize>(),
        1i64..=48,
        action_id(),
        text(),
    )
        .prop_map(move |(pick, who, hours, action, text)| {
            drive(&m, pick, who, Duration::hours(hours), action, text)
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

fn drive(
    m: &Model,
    pick: usize,
    who: usize,
    delta: Duration,
    new_action: crate::ids::ActionId,
    text: String,
) -> Step {
    let people = actor_ids();
    let person = |i: usize| people[i % people.len()].clone();
    let mut at = m.clock + delta;
    let open: Vec<_> = m.ncs.iter().filter(|n| !n.state.is_terminal()).collect();
    let index = if pick.is_multiple_of(4) {
        (pick / 4) % open.len().max(1)
    } else {
        0
    };
    let Some(nc) = open.get(index) else {
        // Nothing open: a command the register refuses, changing nothing.
        return Step {
            command: Command::ApproveImprovement {
                improvement: crate::ids::ImprovementId::from_uuid(new_action.as_uuid()),
            },
            actor: Actor::new(person(who)),
            at,
            recorded_at: None,
        };
    };
    let id = nc.id;
    let owns = |a: &ActorId| {
        nc.actions
            .iter()
            .any(|x| x.owner == *a && x.status != ModelActionStatus::Cancelled)
    };
    let plan = nc
        .plan
        .as_ref()
        .filter(|(attempt, _, _)| *attempt == nc.attempt);
    let mut actor = Actor::new(person(who));
    let local = |t: DateTime<Utc>| m.policy.time_zone.date_of(t);
    let command = match nc.state {
        NcState::Reported => {
            Command::record_containment(id, text).with_late_justification("escalated late")
        }
        NcState::Contained | NcState::Ineffective => Command::analyse_root_cause(
            id,
            AnalysisMethod::FiveWhys,
            vec![RootCause::new(RootCauseCategory::Process, text)],
        )
        .with_similar_notes("no similar case found in the register"),
        NcState::Analysed => {
            let verifier = plan.map(|(_, v, _)| v.clone());
            let owner = (0..people.len())
                .map(|k| person(who + k))
                .find(|p| Some(p) != verifier.as_ref())
                .unwrap_or_else(|| person(who));
            Command::plan_action(
                id,
                new_action,
                text,
                owner,
                local(at) + chrono::Days::new(7),
            )
            .with_late_justification("waited for the supplier")
        }
        NcState::ActionsPlanned => {
            let open_action = nc.actions.iter().find(|a| {
                matches!(
                    a.status,
                    ModelActionStatus::Planned | ModelActionStatus::Started
                )
            });
            match open_action {
                Some(a) => Command::complete_action(id, a.id).with_evidence("ticket/CHG-1"),
                None => Command::close(id),
            }
        }
        NcState::Implemented => match plan {
            None => {
                let verifier = (0..people.len())
                    .map(|k| person(who + k))
                    .find(|p| !owns(p))
                    .unwrap_or_else(|| person(who));
                Command::plan_verification(
                    id,
                    "review of records",
                    text,
                    VerificationSchedule::once(local(at)),
                    verifier,
                )
            }
            Some((_, verifier, dates)) => {
                let check = (0..dates.len() as u32)
                    .find(|c| !nc.results.iter().any(|(r, _)| r == c) && !nc.missed.contains(c))
                    .unwrap_or(0);
                if let Some(start) = dates
                    .get(check as usize)
                    .and_then(|d| m.policy.time_zone.start_of(*d))
                {
                    at = at.max(start + Duration::hours(1));
                }
                actor = Actor::new(verifier.clone());
                Command::record_verification(id, check, true).with_evidence("verification record")
            }
        },
        NcState::Effective | NcState::Closed | NcState::Rejected => {
            actor = approver(&m.policy, person(who));
            Command::close(id)
        }
    };
    Step {
        command,
        actor,
        at,
        recorded_at: None,
    }
}
