//! The product's own tests: its store keeps the contract, its policy keeps
//! every clause-10 rule and its own rule at 256 cases while closing items,
//! its refusals are problem details, and its schemas check its fields.
#![allow(missing_docs)]

use grc_product::policy::{ADMIN_ROLE, policy};
use grc_product::store::VecStore;
use isms_core::testkit::machine::{self, Product};
use isms_core::testkit::scenario::Step;
use isms_core::*;
use proptest::prelude::*;
use proptest::test_runner::Config;

#[test]
fn the_store_passes_the_conformance_suite() {
    let passed = isms_store::conformance::run(VecStore::new).unwrap();
    assert!(passed.checks >= 13);
}

/// The product: its policy (role `grc_admin`, Sydney dates, containment
/// first), a ticket on every report, and its own check that every item
/// keeps a well-formed ticket.
struct Grc;

impl Product for Grc {
    fn policy() -> BoxedStrategy<Policy> {
        Just(policy()).boxed()
    }

    fn prepare(mut step: Step) -> Step {
        if let Command::ReportNonconformity(r) = &mut step.command {
            let n = r.id.as_uuid().as_u128() % 10_000;
            r.extensions
                .insert("ticket".into(), format!("SEC-{n}").into());
        }
        // The product's form never removes the ticket and only takes SEC- numbers
        // (the generator changes fields freely; without this the check below fails,
        // which is how this test first found the gap).
        if let Command::ChangeNonconformityExtensions { set, remove, .. } = &mut step.command {
            remove.retain(|name| name != "ticket");
            if let Some(t) = set.get_mut("ticket") {
                let n = t.as_str().map_or(0, str::len);
                *t = format!("SEC-{n}").into();
            }
        }
        step
    }

    fn check(register: &Register, _: &[Event], _: &Policy) -> Result<(), String> {
        for nc in register.nonconformities() {
            let ticket = nc.extensions.get("ticket").and_then(|t| t.as_str());
            if !ticket.is_some_and(|t| t.starts_with("SEC-")) {
                return Err(format!(
                    "{} lost its ticket: {:?}",
                    nc.reference, nc.extensions
                ));
            }
        }
        Ok(())
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
        .max(256)
}

#[test]
fn the_policy_keeps_every_rule_and_closes_items() {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let stats = machine::run::<Grc>(config, 20..60).unwrap();
    assert!(stats.cases >= 256);
    // Meaningful: most cases close something, a fair share of what is reported closes.
    assert!(
        stats.closure_case_share() >= 0.6 && stats.closed_share() >= 0.2,
        "{stats:?}"
    );
    assert_eq!(policy().closure_approver_role.unwrap().as_str(), ADMIN_ROLE);
}

#[test]
fn every_rule_code_maps_to_a_status_and_a_problem() {
    for code in RULE_CODES {
        let status = grc_product::api::status_for(code.code);
        assert!([403, 404, 409, 422].contains(&status), "{}", code.code);
    }
    let e = DecisionError::EmptyField { field: "title" };
    let p = grc_product::api::problem(&e, Some("/requests/r1".into()));
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["type"], "urn:isms-improvement:rule:empty_field");
    assert_eq!(json["status"], 422);
    assert_eq!(json["title"], "a required text is empty or blank");
    assert_eq!(json["detail"], "title must not be empty");
    assert_eq!(json["instance"], "/requests/r1");
    assert_eq!(
        json["refusal"],
        serde_json::json!({"code": "empty_field", "field": "title"})
    );
    // A problem reads back as itself (clients deserialise it).
    assert_eq!(
        serde_json::from_value::<grc_product::api::Problem>(json).unwrap(),
        p
    );
}

#[test]
fn a_body_that_is_not_a_command_is_a_400_problem() {
    let mut api = grc_product::api::Api::new();
    let at = chrono::DateTime::UNIX_EPOCH;
    let (status, media, body) = api.post(
        "{\"command\": \"launch\"}",
        Actor::named("a").unwrap(),
        at,
        0,
    );
    assert_eq!((status, media), (400, grc_product::api::PROBLEM_JSON));
    assert!(body.contains("bad_json"), "{body}");
}

#[test]
fn the_api_schemas_validate_what_the_api_writes() {
    let problem = grc_product::api::problem(&DecisionError::RegisterFull { max: 1 }, None);
    let schema = &grc_product::schema::api_schemas()[1].1;
    let validator = isms_schema::DocumentValidator::from_schema(schema).unwrap();
    validator
        .validate(&serde_json::to_value(&problem).unwrap())
        .unwrap();
    assert!(
        validator
            .validate(&serde_json::json!({"status": "teapot"}))
            .is_err()
    );
}
