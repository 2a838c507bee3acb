//! The state-machine adapter: the reference [`Model`] and the real
//! [`Register`] run side by side under proptest-state-machine, for a
//! product's own policy, roles, commands and checks ([`Product`]).
//!
//! After every step it asserts that the register accepted exactly what the
//! model predicted; that an accepted command moved the item along the
//! transition table to the state the model expects, with gapless sequences
//! stamped with the step's time and actor; that a refused command changed
//! nothing; that the live state equals the fold of every event so far; that
//! every clause-10 invariant holds ([`crate::check_invariants`]); and then
//! runs the product's own [`Product::check`]. A failure shrinks to a short
//! sequence of steps.
//!
//! Use it with proptest-state-machine's macro in a test file (there with
//! `#[test]` above the `fn`; here the doctest calls it),
//!
//! ```
//! use isms_core::testkit::machine::{Machine, Product};
//! use proptest::prelude::*;
//! use proptest_state_machine::prop_state_machine;
//!
//! struct MyProduct;
//! impl Product for MyProduct {}
//!
//! prop_state_machine! {
//!     #![proptest_config(ProptestConfig { cases: 8, failure_persistence: None, ..ProptestConfig::default() })]
//!     fn my_policy_keeps_every_rule(sequential 1..60 => Machine<MyProduct>);
//! }
//! my_policy_keeps_every_rule();
//! ```
//!
//! or with [`run`], which also reports how far the cases got
//! ([`RunStats`]: how many reached a closure).

use std::cell::RefCell;
use std::marker::PhantomData;

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::SizeRange;
use proptest::test_runner::{Config, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};

use super::model::{Model, Prediction};
use super::scenario::{self, Step, Weights};
use crate::command::CommandTarget;
use crate::context::Context;
use crate::event::Event;
use crate::policy::Policy;
use crate::register::Register;
use crate::workflow::NcState;

/// What a product plugs into the adapter. Every method has a default: an
/// empty `impl Product for Mine {}` tests the default policy.
pub trait Product: 'static {
    /// The policies under test (default: [`Policy::default`] only). Give
    /// the product's own, with its own role names.
    fn policy() -> BoxedStrategy<Policy> {
        Just(Policy::default()).boxed()
    }

    /// Where the clock starts (default 2026-01-05 08:00 UTC).
    fn start() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// How often each kind of step is drawn (default [`Weights::default`]).
    fn weights() -> Weights {
        Weights::default()
    }

    /// The product's own steps, drawn with weight [`Weights::own`]: core
    /// commands the product issues in its own way (a ticket system
    /// rescheduling actions, an integration rejecting duplicates). Default:
    /// none.
    fn own_steps(_model: &Model) -> Option<BoxedStrategy<Step>> {
        None
    }

    /// Adjusts every generated step before it runs, as the product would
    /// before submitting it (adding an extension field every report must
    /// carry, say). The model sees the adjusted step. Default: unchanged.
    fn prepare(step: Step) -> Step {
        step
    }

    /// The product's own checks after every step, on the register and the
    /// events so far. Default: none.
    fn check(_register: &Register, _events: &[Event], _policy: &Policy) -> Result<(), String> {
        Ok(())
    }
}

/// The adapter for product `P`: implements proptest-state-machine's
/// [`ReferenceStateMachine`] (the model) and [`StateMachineTest`] (the
/// register).
pub struct Machine<P>(PhantomData<P>);

/// The reference side: the model and its prediction for the last step.
#[derive(Clone, Debug)]
pub struct ModelState {
    /// The reference model.
    pub model: Model,
    last: Option<Prediction>,
}

/// The system under test: the register, every event it accepted, and the
/// policy.
#[derive(Debug)]
pub struct System {
    /// The register.
    pub register: Register,
    /// Every accepted event, in order.
    pub events: Vec<Event>,
    /// The policy in force.
    pub policy: Policy,
    steps: u64,
    accepted: u64,
}

impl<P: Product> ReferenceStateMachine for Machine<P> {
    type State = ModelState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<ModelState> {
        P::policy()
            .prop_map(|policy| ModelState {
                model: Model::new(policy, P::start()),
                last: None,
            })
            .boxed()
    }

    fn transitions(state: &ModelState) -> BoxedStrategy<Step> {
        scenario::step_with(&state.model, &P::weights(), P::own_steps(&state.model))
            .prop_map(P::prepare)
            .boxed()
    }

    fn apply(mut state: ModelState, step: &Step) -> ModelState {
        state.last = Some(state.model.step(&step.command, &step.actor, step.at));
        state
    }
}

impl<P: Product> StateMachineTest for Machine<P> {
    type SystemUnderTest = System;
    type Reference = Machine<P>;

    fn init_test(reference: &ModelState) -> System {
        System {
            register: Register::new(),
            events: Vec::new(),
            policy: reference.model.policy.clone(),
            steps: 0,
            accepted: 0,
        }
    }

    fn apply(mut sut: System, reference: &ModelState, step: Step) -> System {
        sut.steps += 1;
        let ctx = Context::new(step.at, step.actor.clone(), &sut.policy)
            .with_entropy(u128::from(sut.steps));
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
                    "accepted what the model refuses:\n{step:?}\nevents: {:?}",
                    d.events
                )
            }
            (Err(e), Prediction::Accepted) => {
                panic!(
                    "refused what the model accepts: {e} ({})\n{step:?}",
                    e.code()
                )
            }
        }
        match result {
            Err(_) => assert_eq!(
                before, sut.register,
                "a refused command changed the register"
            ),
            Ok(decision) => {
                sut.accepted += 1;
                assert!(!decision.events.is_empty());
                let stream = decision.events[0].stream;
                let first = before.stream_version(stream) + 1;
                for (i, e) in decision.events.iter().enumerate() {
                    assert_eq!(e.stream, stream);
                    assert_eq!(e.sequence, first + i as u64, "sequences are gapless");
                    assert_eq!(e.at, step.at);
                    assert_eq!(e.actor, step.actor.id);
                }
                if let CommandTarget::Nonconformity(id, kind) = target {
                    let now = sut
                        .register
                        .nonconformity(id)
                        .expect("an accepted command leaves the item")
                        .state;
                    let rule = crate::workflow::nc_rule(old_state, kind)
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

    fn check_invariants(sut: &System, reference: &ModelState) {
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
        if let Err(v) = crate::check_invariants(&sut.register, &sut.policy) {
            let list: Vec<String> = v.iter().map(ToString::to_string).collect();
            panic!("invariants broken: {}", list.join("; "));
        }
        if let Err(e) = P::check(&sut.register, &sut.events, &sut.policy) {
            panic!("the product's own check failed: {e}");
        }
    }

    fn teardown(sut: System, _reference: ModelState) {
        let closed = sut
            .register
            .nonconformities()
            .iter()
            .filter(|n| n.state == NcState::Closed)
            .count() as u64;
        STATS.with(|s| {
            let mut s = s.borrow_mut();
            s.cases += 1;
            s.cases_with_closure += u64::from(closed > 0);
            s.reported += sut.register.nonconformities().len() as u64;
            s.closed += closed;
            s.steps += sut.steps;
            s.accepted += sut.accepted;
        });
    }
}

/// What the passing cases of a [`run`] reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Cases run to the end.
    pub cases: u64,
    /// Cases in which at least one nonconformity was closed.
    pub cases_with_closure: u64,
    /// Nonconformities reported, over all cases.
    pub reported: u64,
    /// Nonconformities closed, over all cases.
    pub closed: u64,
    /// Steps run, over all cases.
    pub steps: u64,
    /// Steps the register accepted.
    pub accepted: u64,
}

impl RunStats {
    /// The share of cases that closed at least one nonconformity (0 to 1).
    pub fn closure_case_share(&self) -> f64 {
        ratio(self.cases_with_closure, self.cases)
    }

    /// The share of reported nonconformities that were closed (0 to 1).
    pub fn closed_share(&self) -> f64 {
        ratio(self.closed, self.reported)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

thread_local! {
    static STATS: RefCell<RunStats> = RefCell::new(RunStats::default());
}

/// Runs `config.cases` cases of `steps` steps each for product `P`, with
/// shrinking, and returns what the passing cases reached.
///
/// # Errors
/// The shrunk failing case, as proptest reports it.
pub fn run<P: Product>(config: Config, steps: impl Into<SizeRange>) -> Result<RunStats, String> {
    STATS.with(|s| *s.borrow_mut() = RunStats::default());
    let mut runner = TestRunner::new(config.clone());
    let strategy = Machine::<P>::sequential_strategy(steps);
    runner
        .run(&strategy, |(state, transitions, seen)| {
            Machine::<P>::test_sequential(config.clone(), state, transitions, seen);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    Ok(STATS.with(|s| *s.borrow()))
}
