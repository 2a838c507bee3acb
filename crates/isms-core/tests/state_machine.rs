//! The register against the reference model, under random policies and
//! random sequences of legal and illegal commands by any actor at any time.
//!
//! After every step: the real register accepted exactly what the model
//! predicted; an accepted command moved the item to a state the transition
//! table allows and the model expects; a refused one changed nothing; the
//! live state equals the fold of every event emitted so far; and every
//! clause-10 invariant holds.

use chrono::{TimeZone, Utc};
use isms_core::testkit::model::{Model, Prediction};
use isms_core::testkit::scenario::{self, Step};
use isms_core::testkit::strategies;
use isms_core::*;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

#[derive(Clone, Debug)]
pub(crate) struct RefState {
    pub(crate) model: Model,
    last: Option<Prediction>,
}

pub(crate) struct RegisterMachine;

impl ReferenceStateMachine for RegisterMachine {
    type State = RefState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<RefState> {
        strategies::policy()
            .prop_map(|policy| RefState {
                model: Model::new(policy, Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap()),
                last: None,
            })
            .boxed()
    }

    fn transitions(state: &RefState) -> BoxedStrategy<Step> {
        scenario::step(&state.model)
    }

    fn apply(mut state: RefState, step: &Step) -> RefState {
        state.last = Some(state.model.step_recorded(
            &step.command,
            &step.actor,
            step.at,
            step.recorded_at,
        ));
        state
    }
}

pub(crate) struct Sut {
    register: Register,
    events: Vec<Event>,
    policy: Policy,
    steps: u64,
}

impl StateMachineTest for RegisterMachine {
    type SystemUnderTest = Sut;
    type Reference = RegisterMachine;

    fn init_test(reference: &RefState) -> Sut {
        Sut {
            register: Register::new(),
            events: Vec::new(),
            policy: reference.model.policy.clone(),
            steps: 0,
        }
    }

    fn apply(mut sut: Sut, reference: &RefState, step: Step) -> Sut {
        sut.steps += 1;
        let mut ctx = Context::new(step.at, step.actor.clone(), &sut.policy)
            .with_entropy(u128::from(sut.steps));
        if let Some(recorded_at) = step.recorded_at {
            ctx = ctx.with_recorded_at(recorded_at);
        }
        let before = sut.register.clone();
        let target = step.command.target();
        let old_state = match target {
            CommandTarget::Nonconformity(id, _) => before.nonconformity(id).map(|n| n.state),
            CommandTarget::Improvement(..) => None,
        };
        let result = sut.register.execute(&step.command, &ctx);
        let predicted = reference.last.expect("the reference applies first");
        match (&result, predicted) {
            (Ok(_), Prediction::Accepted) | (Err(_), Prediction::Refused) => {}
            (Ok(d), Prediction::Refused) => {
                panic!(
                    "accepted what the model refuses:\n{:?}\nevents: {:?}",
                    step, d.events
                )
            }
            (Err(e), Prediction::Accepted) => {
                panic!("refused what the model accepts: {e}\n{step:?}")
            }
        }
        match result {
            Err(_) => assert_eq!(
                before, sut.register,
                "a refused command changed the register"
            ),
            Ok(decision) => {
                assert!(!decision.events.is_empty());
                let stream = decision.events[0].stream;
                let first = before.stream_version(stream) + 1;
                for (i, e) in decision.events.iter().enumerate() {
                    assert_eq!(e.stream, stream);
                    assert_eq!(
                        e.sequence,
                        first + i as u64,
                        "sequences are gapless per stream"
                    );
                    assert_eq!(e.at, step.at);
                    assert_eq!(e.actor, step.actor.id);
                    assert_eq!(
                        e.recorded_at, step.recorded_at,
                        "the recording time is kept"
                    );
                    assert_eq!(
                        e.roles,
                        step.actor.roles.iter().cloned().collect::<Vec<_>>(),
                        "the actor's roles are recorded with the event"
                    );
                }
                if let CommandTarget::Nonconformity(id, kind) = target {
                    let now = sut
                        .register
                        .nonconformity(id)
                        .expect("accepted command leaves the item")
                        .state;
                    let rule = isms_core::workflow::nc_rule(old_state, kind)
                        .expect("accepted commands are in the table");
                    assert!(
                        rule.to.contains(&now),
                        "{old_state:?} --{kind}--> {now} is not in the table"
                    );
                }
                sut.events.extend(decision.events);
            }
        }
        sut
    }

    fn check_invariants(sut: &Sut, reference: &RefState) {
        let model = &reference.model;
        assert_eq!(sut.register.nonconformities().len(), model.ncs.len());
        for m in &model.ncs {
            let nc = sut
                .register
                .nonconformity(m.id)
                .expect("model and register know the same items");
            assert_eq!(
                nc.state, m.state,
                "{} disagrees with the model",
                nc.reference
            );
            assert_eq!(nc.attempt, m.attempt);
        }
        assert_eq!(sut.register.improvements().len(), model.improvements.len());
        for m in &model.improvements {
            assert_eq!(
                sut.register.improvement(m.id).map(|i| i.state),
                Some(m.state)
            );
        }
        assert_eq!(
            Register::from_events(&sut.events),
            sut.register,
            "fold of the events != live state"
        );
        if let Err(v) = isms_core::check_invariants(&sut.register, &sut.policy) {
            panic!(
                "invariants broken: {}",
                v.iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        }
    }
}

pub(crate) fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000)
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn register_follows_the_model_and_keeps_every_rule(sequential 1..80 => RegisterMachine);
}

/// The generator reaches every state, so the test above is not vacuous.
#[test]
fn scenarios_reach_every_state() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut seen = std::collections::BTreeSet::new();
    let mut runner = TestRunner::deterministic();
    for _ in 0..60 {
        let mut model = Model::new(
            Policy::default(),
            Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap(),
        );
        for _ in 0..120 {
            let step = scenario::step(&model)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            model.step_recorded(&step.command, &step.actor, step.at, step.recorded_at);
        }
        seen.extend(model.ncs.iter().map(|n| n.state));
        for n in &model.ncs {
            if n.attempt > 1 {
                seen.insert(NcState::Ineffective);
            }
        }
    }
    for s in NcState::ALL {
        assert!(
            seen.contains(&s),
            "no generated sequence reached {s}; seen {seen:?}"
        );
    }
}
