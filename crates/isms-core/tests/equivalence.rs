//! Item-level decisions equal whole-register decisions.
//!
//! A store decides a command from the target item's stream alone plus the
//! register facts the command asks for ([`Lookups::for_command`]). This
//! test drives random histories (the reference model's scenarios: legal and
//! illegal commands, any actor, any time, under random policies) and, before
//! every step, decides the step's command twice:
//!
//! - on the whole register (`Register::decide`), and
//! - the way a store does: the item folded from its own stream's events
//!   only, and a [`RegisterFacts`] value gathered for exactly the look-ups
//!   the command lists,
//!
//! and requires the same outcome: the same events (ids included) and
//! warnings, or the same refusal. It also checks that the item folded from
//! its stream equals the register's copy. A look-up missing from
//! `Lookups::for_command` makes the facts answer "no such item" where the
//! register knows one, and the two decisions part.

use std::collections::HashMap;

use isms_core::testkit::machine::{Machine, ModelState};
use isms_core::*;
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use crate::state_machine::{AnyPolicy, cases};

type RegisterMachine = Machine<AnyPolicy>;
type RefState = ModelState;

struct ItemLevel;

struct Sut {
    register: Register,
    streams: HashMap<StreamId, Vec<Event>>,
    policy: Policy,
    steps: u64,
}

impl StateMachineTest for ItemLevel {
    type SystemUnderTest = Sut;
    type Reference = RegisterMachine;

    fn init_test(reference: &RefState) -> Sut {
        Sut {
            register: Register::new(),
            streams: HashMap::new(),
            policy: reference.model.policy.clone(),
            steps: 0,
        }
    }

    fn apply(
        mut sut: Sut,
        _: &RefState,
        step: <RegisterMachine as ReferenceStateMachine>::Transition,
    ) -> Sut {
        sut.steps += 1;
        let ctx = Context::new(step.at, step.actor.clone(), &sut.policy)
            .with_entropy(u128::from(sut.steps) << 64);
        let command = &step.command;
        let stream = command.stream();

        // The store's way: one stream, and only the facts asked for.
        let item = Item::from_events(sut.streams.get(&stream).into_iter().flatten());
        let current = item.as_ref().map(Item::as_ref);
        assert_eq!(
            current,
            sut.register.item(stream),
            "the item folded from its own stream differs from the register's"
        );
        let needs = Lookups::for_command(command, current);
        let Ok(facts) = RegisterFacts::gather(&needs, &sut.register);
        let item_level = decide(current, command, &facts, &ctx);

        // A store that gives the number out at append time
        // (`Event::renumber`) records what deciding on a register whose
        // highest number was higher would have: the same events but for
        // the reference.
        if let (Ok(decision), Some(kind)) = (&item_level, needs.numbering) {
            let shift = 1 + (sut.steps % 7) as u32;
            let mut later = facts.clone();
            match kind {
                RefKind::Nonconformity => later.last_nc_number += shift,
                RefKind::Improvement => later.last_improvement_number += shift,
                RefKind::Action => unreachable!("actions are not numbered"),
            }
            let expected = decide(current, command, &later, &ctx)
                .expect("a creation accepted at one number is accepted at a higher one");
            let mut renumbered = decision.events.clone();
            let number = RegisterContext::last_number(&later, kind) + 1;
            for e in &mut renumbered {
                assert_eq!(e.renumber(number), Ok(e.sequence == 1));
            }
            assert_eq!(renumbered, expected.events);
            assert_eq!(decision.warnings, expected.warnings);
        }

        // The whole register's way.
        let whole = sut.register.decide(command, &ctx);
        assert_eq!(
            item_level, whole,
            "item-level and whole-register decisions differ for {command:?} (looked up: {needs:?})"
        );

        if let Ok(decision) = whole {
            for e in decision.events {
                sut.register.apply(&e);
                sut.streams.entry(e.stream).or_default().push(e);
            }
        }
        sut
    }

    fn check_invariants(sut: &Sut, _: &RefState) {
        // Folding every stream on its own gives the register's items.
        for (stream, events) in &sut.streams {
            let item = Item::from_events(events);
            assert_eq!(item.as_ref().map(Item::as_ref), sut.register.item(*stream));
        }
        // The compact facts a store keeps decode to what the items give.
        let mut bytes = Vec::new();
        for nc in sut.register.nonconformities() {
            let facts = NcFacts::from(nc);
            bytes.clear();
            facts.encode(&mut bytes);
            assert_eq!(NcFacts::decode(&bytes), Ok(facts));
        }
        for imp in sut.register.improvements() {
            let facts = ImprovementFacts::from(imp);
            bytes.clear();
            facts.encode(&mut bytes);
            assert_eq!(ImprovementFacts::decode(&bytes), Ok(facts));
        }
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 4096, ..ProptestConfig::default() })]

    #[test]
    fn item_level_decisions_equal_whole_register_decisions(sequential 1..80 => ItemLevel);
}

/// Event ids are unique without any entropy: forty reports decided at the
/// same millisecond (an imported spreadsheet whose rows were all detected
/// on one date gave 40 events with only 32 distinct ids before ids were
/// derived from the stream and sequence).
#[test]
fn event_ids_are_unique_without_entropy() {
    use chrono::{TimeZone, Utc};
    let policy = Policy::default();
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap();
    let actor = Actor::new(ActorId::new("importer").unwrap());
    let mut register = Register::new();
    let mut ids = std::collections::HashSet::new();
    for i in 0..40u8 {
        let id = NonconformityId::v7_from_parts(1_772_409_600_000, [i; 10]);
        let report = Command::ReportNonconformity(ReportNonconformity {
            id,
            title: format!("Row {i}"),
            description: "Imported.".into(),
            source: Source::InternalAudit,
            severity: Severity::Minor,
            requirements: vec![],
            owner: ActorId::new("owner").unwrap(),
            detected_at: at,
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        });
        let contain = Command::RecordContainment {
            nonconformity: id,
            action_taken: "Contained.".into(),
            consequences: None,
            late_justification: None,
        };
        for command in [report, contain] {
            let decision = register
                .execute(&command, &Context::new(at, actor.clone(), &policy))
                .unwrap();
            for e in decision.events {
                assert!(ids.insert(e.id), "duplicate event id {} at row {i}", e.id);
            }
        }
    }
    assert_eq!(ids.len(), 80);
}

proptest! {
    /// Decoding any bytes as facts returns a value or a typed error, never
    /// panics, and never allocates beyond the input's size.
    #[test]
    fn any_bytes_decode_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = NcFacts::decode(&bytes);
        let _ = ImprovementFacts::decode(&bytes);
        let mut prefixed = vec![isms_core::facts::FACTS_VERSION];
        prefixed.extend_from_slice(&bytes);
        let _ = NcFacts::decode(&prefixed);
        let _ = ImprovementFacts::decode(&prefixed);
    }
}
