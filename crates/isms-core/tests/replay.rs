//! The shared import mechanism: a log recorded by the rules replays to
//! itself under the policy it was recorded under, and a log changed in any
//! way replays to a well-formed register or is refused at an event, never
//! a panic.

use chrono::{TimeZone, Utc};
use isms_core::replay::{LogError, Replayer, replay_log};
use isms_core::testkit::{model::Model, scenario, strategies};
use isms_core::{Context, Event, Policy, Register, check_invariants};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// The log of `steps` generated commands under `policy`.
fn scenario_log(seed: u64, steps: u32, policy: &Policy) -> Vec<Event> {
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let mut model = Model::new(policy.clone(), start);
    let mut register = Register::new();
    let mut log = Vec::new();
    for i in 0..steps {
        let step = scenario::step(&model)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let ctx = Context::new(step.at, step.actor.clone(), policy).with_entropy(u128::from(i));
        model.step(&step.command, &step.actor, step.at);
        if let Ok(d) = register.execute(&step.command, &ctx) {
            log.extend(d.events);
        }
    }
    log
}

/// Policies a log can be checked under: a log records who acted, not the
/// roles they held, so no closure approver role.
fn log_policy() -> impl Strategy<Value = Policy> {
    strategies::policy().prop_map(|mut p| {
        p.closure_approver_role = None;
        p
    })
}

#[derive(Clone, Debug)]
enum Change {
    Drop(usize),
    Swap(usize, usize),
    Shift(usize, i64),
    Actor(usize),
    Text(usize),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<usize>().prop_map(Change::Drop),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Change::Swap(a, b)),
        (any::<usize>(), -400i64..400).prop_map(|(a, d)| Change::Shift(a, d)),
        any::<usize>().prop_map(Change::Actor),
        any::<usize>().prop_map(Change::Text),
    ]
}

fn apply_change(log: &mut Vec<Event>, c: &Change) {
    let n = log.len();
    match *c {
        Change::Drop(i) => {
            log.remove(i % n);
        }
        Change::Swap(a, b) => log.swap(a % n, b % n),
        Change::Shift(i, days) => log[i % n].at += chrono::Duration::days(days),
        Change::Actor(i) => log[i % n].actor = "someone-else".parse().unwrap(),
        Change::Text(i) => {
            let mut v = serde_json::to_value(&log[i % n].payload).unwrap();
            if let Some(obj) = v.as_object_mut() {
                for val in obj.values_mut() {
                    if val.is_string() && val.as_str() != Some("") {
                        *val = serde_json::Value::from("\u{202e}changed");
                        break;
                    }
                }
            }
            if let Ok(p) = serde_json::from_value(v) {
                log[i % n].payload = p;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    /// Every log the rules recorded replays to exactly itself, ids kept.
    #[test]
    fn a_recorded_log_replays_to_itself(seed in any::<u64>(), policy in log_policy()) {
        let log = scenario_log(seed, 60, &policy);
        let mut register = Register::new();
        let mut replayer = Replayer::new(&policy, 7);
        let replayed = replay_log(&mut register, &log, &mut replayer).unwrap();
        prop_assert_eq!(&replayed, &log);
        prop_assert_eq!(register, Register::from_events(&log));
    }

    /// A changed log is refused at an event inside it, or replays to a
    /// register that keeps every invariant; it never panics.
    #[test]
    fn a_changed_log_is_refused_or_well_formed(
        seed in any::<u64>(),
        policy in log_policy(),
        changes in prop::collection::vec(change(), 1..4),
    ) {
        let mut log = scenario_log(seed, 40, &policy);
        prop_assume!(log.len() > 1);
        for c in &changes {
            apply_change(&mut log, c);
        }
        let mut register = Register::new();
        let mut replayer = Replayer::new(&policy, 7);
        match replay_log(&mut register, &log, &mut replayer) {
            Ok(events) => {
                prop_assert_eq!(events.len(), log.len());
                let checked = check_invariants(&register, &policy);
                prop_assert!(checked.is_ok(), "{checked:?}");
            }
            Err(e) => {
                prop_assert!(e.place().index < log.len(), "{e}");
                prop_assert!(e.to_string().contains(&format!("/events/{}", e.place().index)), "{e}");
                if let LogError::Refused(r) = &e {
                    prop_assert!(!r.command().is_empty());
                }
            }
        }
    }
}
