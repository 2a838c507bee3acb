//! Every document serialises and deserialises to itself.

use isms_core::testkit::strategies;
use isms_core::*;
use proptest::prelude::*;

fn roundtrip<T>(value: &T) -> T
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    let json = serde_json::to_string(value).unwrap();
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

proptest! {
    #[test]
    fn commands_roundtrip(c in strategies::command()) {
        prop_assert_eq!(roundtrip(&c), c);
    }

    #[test]
    fn policies_roundtrip(p in strategies::policy()) {
        prop_assert_eq!(roundtrip(&p), p);
    }

    #[test]
    fn schedules_roundtrip_and_display(s in strategies::schedule()) {
        prop_assert_eq!(roundtrip(&s), s);
        prop_assert!(!s.to_string().is_empty());
    }

    #[test]
    fn references_roundtrip_through_text(r in strategies::requirement_ref()) {
        let again: RequirementRef = r.to_string().parse().unwrap();
        prop_assert_eq!(&again, &r);
        prop_assert_eq!(roundtrip(&r), r);
    }

    #[test]
    fn human_refs_roundtrip(n in 1u32..100_000_000) {
        let r = NcRef::new(n).unwrap();
        prop_assert_eq!(r.to_string().parse::<NcRef>().unwrap(), r);
        prop_assert_eq!(roundtrip(&r), r);
        let i = ImprovementRef::new(n).unwrap();
        prop_assert_eq!(i.to_string().parse::<ImprovementRef>().unwrap(), i);
    }

    #[test]
    fn actor_names_roundtrip(a in strategies::any_actor_id()) {
        prop_assert_eq!(roundtrip(&a), a);
    }

    /// Events, nonconformities and improvements produced by generated
    /// sequences round-trip, and so does a whole register's content.
    #[test]
    fn generated_documents_roundtrip(seed in any::<u64>()) {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::{TestRunner, Config, RngAlgorithm, TestRng};
        let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &{
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&seed.to_le_bytes());
            b
        }));
        let policy = Policy::default();
        let mut model = testkit::model::Model::new(policy.clone(), chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 1, 5, 8, 0, 0).unwrap());
        let mut register = Register::new();
        for i in 0..60u128 {
            let step = testkit::scenario::step(&model).new_tree(&mut runner).unwrap().current();
            model.step(&step.command, &step.actor, step.at);
            if let Ok(d) = register.execute(&step.command, &Context::new(step.at, step.actor, &policy).with_entropy(i)) {
                for e in &d.events {
                    prop_assert_eq!(&roundtrip(e), e);
                }
            }
        }
        for nc in register.nonconformities() {
            prop_assert_eq!(&roundtrip(nc), nc);
        }
        for imp in register.improvements() {
            prop_assert_eq!(&roundtrip(imp), imp);
        }
    }
}

#[test]
fn unknown_fields_are_rejected() {
    let json = r#"{"command":"start_action","nonconformity":"0190f5c2-7b1e-7c3a-9d4e-2f6a8b0c1d2e","action":"0190f5c2-7b1e-7c3a-9d4e-2f6a8b0c1d2f","colour":"red"}"#;
    let err = serde_json::from_str::<Command>(json).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
    let policy = r#"{"segregation_of_duties":false,"max_days":3}"#;
    assert!(serde_json::from_str::<Policy>(policy).is_err());
    // Omitted policy fields take the documented defaults.
    let p: Policy = serde_json::from_str(r#"{"segregation_of_duties":false}"#).unwrap();
    assert_eq!(
        p.containment_required_for,
        Policy::default().containment_required_for
    );
}

#[test]
fn event_payload_tags_carry_versions() {
    let e = EventPayload::ActionStarted {
        action: ActionId::from_uuid(uuid::Uuid::nil()),
    };
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["type"], "action_started.v1");
    assert_eq!(e.type_name(), "action_started.v1");
}
