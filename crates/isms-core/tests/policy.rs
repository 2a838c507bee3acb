//! The policy as part of the register (issue 16, part 5): adoptions are
//! events, every decision is taken under the policy in force at its
//! effective time, a later adoption leaves earlier decisions as they were,
//! and adoptions have their own rules.

use chrono::{DateTime, Duration, Utc};
use isms_core::replay::{LogError, LogPlace, Replayer, Step, replay_log};
use isms_core::testkit::strategies;
use isms_core::*;
use proptest::prelude::*;

use crate::support::{actor, at, id};

fn nc_id(n: u128) -> NonconformityId {
    NonconformityId::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | n,
    ))
}

fn report(nc: NonconformityId, when: DateTime<Utc>) -> Command {
    ReportNonconformity::new(
        nc,
        "Backup job failed for three nights",
        "Nobody noticed the failed backup of the file server.",
        Source::Monitoring,
        Severity::Major,
        id("ops-lead"),
        when,
    )
    .into()
}

fn analyse(nc: NonconformityId) -> Command {
    Command::AnalyseRootCause {
        nonconformity: nc,
        method: AnalysisMethod::FiveWhys,
        causes: vec![RootCause {
            category: RootCauseCategory::Process,
            statement: "No alert on a failed job".into(),
        }],
        similar: vec![],
        similar_notes: Some("no other job lacks an alert".into()),
        decision: ActionDecision::ActionRequired,
    }
}

fn step(when: DateTime<Utc>, who: &str, command: Command) -> Step<&'static str> {
    Step {
        at: when,
        actor: actor(who),
        command,
        origin: "test",
    }
}

/// A policy that does not ask for containment before analysis.
fn lenient() -> Policy {
    Policy {
        containment_required_for: Default::default(),
        ..Policy::default()
    }
}

#[test]
fn a_decision_is_taken_under_the_policy_in_force_at_its_time() {
    let base = Policy::default();
    let mut register = Register::new();
    let mut replayer: Replayer<'_, '_, &str> = Replayer::new(&base, 7);
    let nc = nc_id(1);
    replayer
        .step(
            &mut register,
            &step(at(2026, 1, 5), "alice", report(nc, at(2026, 1, 5))),
        )
        .unwrap();
    // Recorded now, effective from April.
    replayer
        .adopt(
            &mut register,
            at(2026, 4, 1),
            actor("ciso"),
            &AdoptPolicy::new(lenient()).reason("Management review"),
            "adopt",
        )
        .unwrap();
    // In March the default is in force: a major one needs containment first.
    let err = replayer
        .step(&mut register, &step(at(2026, 3, 1), "alice", analyse(nc)))
        .unwrap_err();
    let replay::ReplayError::Refused { source, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(source.code(), "containment_required");
    // From April on the adopted policy is, and it does not ask.
    replayer
        .step(&mut register, &step(at(2026, 4, 2), "alice", analyse(nc)))
        .unwrap();
    assert_eq!(register.nonconformity(nc).unwrap().state, NcState::Analysed);
    let history = register.policies();
    assert_eq!(history.version(), 1);
    assert_eq!(history.policy_at(at(2026, 3, 31), &base), &base);
    assert_eq!(history.policy_at(at(2026, 4, 1), &base), &lenient());
    let adoption = history.in_force_at(at(2026, 12, 1)).unwrap();
    assert_eq!(adoption.actor, id("ciso"));
    assert_eq!(adoption.reason.as_deref(), Some("Management review"));
}

#[test]
fn the_log_is_replayed_under_each_policy_in_turn_and_the_adoption_is_evidence() {
    let base = Policy::default();
    let mut register = Register::new();
    let mut replayer: Replayer<'_, '_, &str> = Replayer::new(&base, 1);
    let nc = nc_id(2);
    let mut log = replayer
        .run(
            &mut register,
            [step(at(2026, 1, 5), "alice", report(nc, at(2026, 1, 5)))],
        )
        .unwrap();
    log.extend(
        replayer
            .adopt(
                &mut register,
                at(2026, 2, 1),
                actor("ciso"),
                &AdoptPolicy::new(lenient()),
                "a",
            )
            .unwrap()
            .events,
    );
    log.extend(
        replayer
            .step(&mut register, &step(at(2026, 2, 2), "alice", analyse(nc)))
            .unwrap()
            .events,
    );
    assert_eq!(log[1].stream, StreamId::Policy);
    assert_eq!(log[1].payload.type_name(), "policy_adopted.v1");

    // The whole log replays to itself.
    let mut fresh = Register::new();
    let mut again = Replayer::new(&base, 99);
    let replayed = replay_log(&mut fresh, &log, &mut again).unwrap();
    assert_eq!(replayed, log);
    assert_eq!(fresh, register);

    // Without the adoption, the analysis breaks the default policy: the
    // policy event is what makes the log consistent.
    let cut: Vec<Event> = log
        .iter()
        .filter(|e| e.stream != StreamId::Policy)
        .cloned()
        .collect();
    let mut fresh = Register::new();
    let err = replay_log(&mut fresh, &cut, &mut Replayer::new(&base, 99)).unwrap_err();
    let LogError::Refused(refused) = &err else {
        panic!("{err}")
    };
    assert_eq!(
        refused.origin(),
        &LogPlace {
            index: 1,
            event_type: "root_cause_analysed.v1"
        }
    );
}

#[test]
fn adoptions_are_refused_for_their_own_rules_and_change_nothing() {
    let base = Policy::default();
    let mut register = Register::new();
    let ctx = |when, who: Actor, policy| Context::new(when, who, policy);

    // A time limit over ten years.
    let silly = Policy {
        max_days_to_plan: Some(TimeLimit {
            days: 40_000,
            enforcement: Enforcement::Warn,
        }),
        ..Policy::default()
    };
    let err = register
        .adopt_policy(
            &AdoptPolicy::new(silly),
            &ctx(at(2026, 1, 1), actor("ciso"), &base),
        )
        .unwrap_err();
    assert_eq!(err.code(), "invalid_policy");
    assert!(err.to_string().contains("max_days_to_plan"), "{err}");

    // A required role nobody holds, once the roles table names anyone.
    let ciso = Role::new("ciso").unwrap();
    let mut locked = Policy {
        policy_approver_role: Some(ciso.clone()),
        ..Policy::default()
    };
    locked.roles.insert(ciso.clone(), [id("maria")].into());
    register
        .adopt_policy(
            &AdoptPolicy::new(locked.clone()),
            &ctx(at(2026, 1, 1), actor("maria"), &base),
        )
        .unwrap();
    let in_force = register.policies().policy_at(at(2026, 2, 1), &base).clone();
    let err = register
        .adopt_policy(
            &AdoptPolicy::new(Policy::default()),
            &ctx(at(2026, 2, 1), actor("omar"), &in_force),
        )
        .unwrap_err();
    assert_eq!(err.code(), "policy_approver_role_missing");
    let maria = in_force.grant_roles(actor("maria"));
    assert!(maria.has_role(&ciso));
    // Adoptions follow one another in time.
    let err = register
        .adopt_policy(
            &AdoptPolicy::new(Policy::default()),
            &ctx(at(2025, 12, 1), maria.clone(), &in_force),
        )
        .unwrap_err();
    assert_eq!(err.code(), "time_went_backwards");
    assert_eq!(register.policies().version(), 1);
    let decision = register
        .adopt_policy(
            &AdoptPolicy::new(Policy::default()),
            &ctx(at(2026, 2, 1), maria, &in_force),
        )
        .unwrap();
    assert_eq!(decision.events[0].sequence, 2);
    assert_eq!(decision.events[0].roles, vec![ciso]);
    assert_eq!(
        register.policies().policy_at(at(2026, 3, 1), &base),
        &Policy::default()
    );
}

#[test]
fn a_policy_event_serialises_and_reads_back_and_its_stream_is_named_policy() {
    let base = Policy::default();
    let mut register = Register::new();
    let mut p = lenient();
    p.roles.insert(
        Role::new("approver").unwrap(),
        [id("maria"), id("omar")].into(),
    );
    let d = register
        .adopt_policy(
            &AdoptPolicy::new(p).reason("review"),
            &Context::new(at(2026, 1, 1), actor("a"), &base),
        )
        .unwrap();
    let json = serde_json::to_value(&d.events[0]).unwrap();
    assert_eq!(json["stream"], serde_json::json!({"kind": "policy"}));
    assert_eq!(json["payload"]["type"], "policy_adopted.v1");
    assert_eq!(
        json["payload"]["policy"]["roles"]["approver"],
        serde_json::json!(["maria", "omar"])
    );
    let back: Event = serde_json::from_value(json).unwrap();
    assert_eq!(back, d.events[0]);
    assert_eq!("policy".parse::<StreamId>().unwrap(), StreamId::Policy);
    assert_eq!(StreamId::Policy.to_string(), "policy");
    // An item fold ignores it; a register built from the events keeps it.
    assert_eq!(Item::from_events(&d.events), None);
    assert_eq!(Register::from_events(&d.events).policies().version(), 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the policy adopted and whenever it takes effect, a command
    /// is accepted exactly when the policy in force at its own time allows
    /// it, and the log replays to itself.
    #[test]
    fn every_decision_uses_the_policy_in_force_at_its_time(
        adopted in strategies::policy(),
        effective_day in 0i64..60,
        command_day in 1i64..60,
    ) {
        let base = Policy::default();
        let start = at(2026, 1, 5);
        let nc = nc_id(3);
        let mut register = Register::new();
        let mut replayer: Replayer<'_, '_, &str> = Replayer::new(&base, 3);
        let mut log = replayer.run(&mut register, [step(start, "alice", report(nc, start))]).unwrap();
        let effective = start + Duration::days(effective_day);
        log.extend(replayer
            .adopt(&mut register, effective, actor("ciso"), &AdoptPolicy::new(adopted.clone()), "a")
            .unwrap()
            .events);
        let when = start + Duration::days(command_day);
        let in_force = if effective <= when { &adopted } else { &base };
        let outcome = replayer.step(&mut register, &step(when, "alice", analyse(nc)));
        let allowed = !in_force.containment_required_for.contains(&Severity::Major);
        prop_assert_eq!(outcome.is_ok(), allowed, "{:?}", outcome.err());
        if let Ok(d) = outcome {
            log.extend(d.events);
        }
        let mut fresh = Register::new();
        let replayed = replay_log(&mut fresh, &log, &mut Replayer::new(&base, 11)).unwrap();
        prop_assert_eq!(replayed, log);
        prop_assert_eq!(fresh, register);
    }

    /// A policy adopted later leaves every decision recorded before it as
    /// it was: the log, with the adoption appended, replays to itself.
    #[test]
    fn old_events_are_unaffected_by_a_later_policy(
        later in strategies::policy(),
        after_days in 0i64..400,
    ) {
        let base = Policy::default();
        let start = at(2026, 1, 5);
        let nc = nc_id(4);
        let mut register = Register::new();
        let mut replayer: Replayer<'_, '_, &str> = Replayer::new(&base, 4);
        let mut log = replayer.run(&mut register, [
            step(start, "alice", report(nc, start)),
            step(start + Duration::days(1), "alice", Command::record_containment(nc, "Backup rerun by hand")),
            step(start + Duration::days(2), "alice", analyse(nc)),
        ]).unwrap();
        let before = register.nonconformity(nc).unwrap().clone();
        log.extend(replayer
            .adopt(&mut register, start + Duration::days(2 + after_days), actor("ciso"), &AdoptPolicy::new(later), "a")
            .unwrap()
            .events);
        prop_assert_eq!(register.nonconformity(nc).unwrap(), &before);
        let mut fresh = Register::new();
        let replayed = replay_log(&mut fresh, &log, &mut Replayer::new(&base, 5)).unwrap();
        prop_assert_eq!(replayed, log);
        prop_assert_eq!(fresh.nonconformity(nc).unwrap(), &before);
    }
}
