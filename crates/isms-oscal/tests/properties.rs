//! Property tests: round trip and cross-references on registers built by
//! `isms-core`'s scenario generator (every state, random policies, odd text)
//! and by `isms-gen` (realistic shape, random seeds).

use std::collections::HashSet;

use chrono::{TimeZone, Utc};
use isms_core::replay::Replayer;
use isms_core::testkit::{model::Model, scenario, strategies};
use isms_core::{Context, Policy, Register};
use isms_oscal::{
    PoamOptions, SkipReason, check_document, derive_uuid, export_poam, export_poam_selection,
    import_poam, import_poam_with, risk_status,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

/// A register walked through `steps` generated commands under `policy`.
fn scenario_register(seed: u64, steps: u32, policy: &Policy) -> Register {
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    let mut model = Model::new(policy.clone(), start);
    let mut register = Register::new();
    for i in 0..steps {
        let step = scenario::step(&model)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        // The POA&M mapping does not carry the history of extension-field
        // or link changes (it carries the fields and links as they are;
        // docs/oscal.md): those steps are left out of the registers it must
        // round-trip. Risk acceptances are carried (issue 19). Recorded
        // recurrences, missed checks and early ends are carried (issue 16).
        if matches!(
            step.command,
            isms_core::Command::ChangeNonconformityExtensions { .. }
                | isms_core::Command::ChangeImprovementExtensions { .. }
                | isms_core::Command::ChangeNonconformityLinks { .. }
        ) {
            continue;
        }
        let ctx = Context::new(step.at, step.actor.clone(), policy)
            .with_entropy(u128::from(seed) << 32 | u128::from(i));
        model.step(&step.command, &step.actor, step.at);
        let _ = register.execute(&step.command, &ctx);
    }
    register
}

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .map_or(n, |c: u32| c.min(n * 4)),
        // Random seeds: a failure prints its seed, and a case worth keeping
        // becomes a test of its own (as
        // `roundtrip::an_analysis_and_a_containment_at_the_same_instant_keep_their_order`).
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(48))]

    /// Whatever the policy the history was recorded under and whatever the
    /// text, export then import gives back equal nonconformities and reports
    /// nothing skipped.
    #[test]
    fn scenario_registers_round_trip(seed in any::<u64>(), policy in strategies::policy()) {
        let register = scenario_register(seed, 80, &policy);
        prop_assume!(!register.nonconformities().is_empty());
        let doc = export_poam(&register, &PoamOptions::default()).unwrap();
        prop_assert_eq!(check_document(&doc), vec![]);
        // A POA&M carries no time zone: the import decides check dates in
        // the zone the register was kept in, as its organisation would.
        let mut import_policy = Policy::permissive();
        import_policy.time_zone = policy.time_zone;
        let mut replayer = Replayer::new(&import_policy, 0);
        let imported = import_poam_with(&doc.to_string(), &mut replayer).unwrap();
        prop_assert_eq!(imported.report.skipped, vec![]);
        prop_assert_eq!(imported.register.nonconformities(), register.nonconformities());
    }

    /// Generated registers: every poam-item, risk and task points at the
    /// nonconformity, action and verification it came from.
    #[test]
    fn cross_references_match_the_register(seed in any::<u64>(), n in 20usize..120) {
        let register = isms_gen::generate(&isms_gen::GeneratorConfig::new(n, seed)).unwrap().register;
        let doc = export_poam(&register, &PoamOptions::default()).unwrap();
        let poam = &doc["plan-of-action-and-milestones"];
        let items = poam["poam-items"].as_array().unwrap();
        let risks = poam["risks"].as_array().unwrap();
        prop_assert_eq!(items.len(), register.nonconformities().len());
        for (nc, item) in register.nonconformities().iter().zip(items) {
            let base = format!("nonconformity/{}", nc.id);
            prop_assert_eq!(&item["uuid"], &Value::from(derive_uuid(&base).to_string()));
            let risk_uuid = item["related-risks"][0]["risk-uuid"].as_str().unwrap();
            prop_assert_eq!(risk_uuid, derive_uuid(&format!("{base}/risk")).to_string());
            let risk = risks.iter().find(|r| r["uuid"] == risk_uuid).unwrap();
            prop_assert_eq!(&risk["status"], &Value::from(risk_status(nc.state)));
            let tasks: Vec<&Value> = risk["remediations"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["tasks"].as_array().into_iter().flatten())
                .collect();
            let actions: HashSet<String> = tasks
                .iter()
                .filter(|t| t["type"] == "action")
                .flat_map(|t| t["props"].as_array().unwrap())
                .filter(|p| p["name"] == "action-id")
                .map(|p| p["value"].as_str().unwrap().to_owned())
                .collect();
            let expected: HashSet<String> = nc.actions.iter().map(|a| a.id.to_string()).collect();
            prop_assert_eq!(actions, expected);
            let checks: usize = tasks
                .iter()
                .filter(|t| t["type"] == "milestone")
                .map(|t| t["tasks"].as_array().map_or(0, Vec::len))
                .sum();
            let expected: usize = nc
                .verification_plans
                .iter()
                .map(|p| p.schedule.check_dates().unwrap().len())
                .sum();
            prop_assert_eq!(checks, expected);
            // One observation for the finding plus one per verification result.
            let obs = item["related-observations"].as_array().unwrap().len();
            prop_assert_eq!(obs, 1 + nc.verification_results.len());
        }
    }

    /// A selection imports on its own: references to nonconformities left
    /// out are reported and dropped, never a failure.
    #[test]
    fn a_selection_imports_and_reports_what_it_leaves_out(seed in any::<u64>(), keep in 1usize..4) {
        let register = isms_gen::generate(&isms_gen::GeneratorConfig::new(60, seed)).unwrap().register;
        let chosen: Vec<_> = register.nonconformities().iter().step_by(keep + 1).collect();
        let ids: HashSet<_> = chosen.iter().map(|n| n.id).collect();
        let doc = export_poam_selection(chosen.iter().copied(), &PoamOptions::default()).unwrap();
        let imported = import_poam(&doc.to_string()).unwrap();
        prop_assert_eq!(imported.register.nonconformities().len(), chosen.len());
        let outside = chosen
            .iter()
            .flat_map(|n| {
                n.analyses.iter().flat_map(|a| a.similar.iter().copied()).chain(n.recurrence_of)
            })
            .filter(|id| !ids.contains(id))
            .count();
        let reported = imported
            .report
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, SkipReason::UnknownNonconformity { .. }))
            .count();
        prop_assert!(reported >= outside, "{reported} reported, {outside} outside");
        for (a, b) in chosen.iter().zip(imported.register.nonconformities()) {
            prop_assert_eq!(a.id, b.id);
            prop_assert_eq!(&a.actions, &b.actions);
            prop_assert_eq!(a.state, b.state);
        }
    }
}

/// The scenario registers above are not trivial: together they pass through
/// every lifecycle state, with actions, reschedules and verification results.
#[test]
fn scenario_registers_cover_the_lifecycle() {
    let mut states = std::collections::BTreeSet::new();
    let (mut reschedules, mut results, mut items) = (0, 0, 0);
    let (mut recurrences, mut missed, mut ends) = (0, 0, 0);
    for seed in 0..24 {
        let register = scenario_register(seed, 80, &Policy::permissive());
        for nc in register.nonconformities() {
            items += 1;
            states.extend(nc.history.iter().map(|t| t.to));
            reschedules += nc
                .actions
                .iter()
                .map(|a| a.reschedules.len())
                .sum::<usize>();
            results += nc.verification_results.len();
            recurrences += nc.recurrences.len();
            missed += nc.missed_checks.len();
            ends += nc.verification_ends.len();
        }
    }
    assert_eq!(states.len(), isms_core::NcState::ALL.len(), "{states:?}");
    assert!(
        items > 24 && reschedules > 0 && results > 0,
        "{items} {reschedules} {results}"
    );
    // Recurrences recorded during verification occur too, so the round trip
    // above exercises them; the generator's schedules rarely reach a missed
    // check or an early end (`roundtrip` has a register with both).
    assert!(recurrences > 0, "recurrences {recurrences}");
    let _ = (missed, ends);
}

/// A case the property found (seed 989498746378499356): a further
/// correction, then an analysis deciding that no action is required, both
/// at the same instant. The import put the correction after the analysis,
/// where the item was implemented and took no correction.
#[test]
fn a_further_correction_and_a_no_action_analysis_at_one_instant_round_trip() {
    let mut policy = Policy::permissive();
    policy.early_end_allowed = false;
    let register = scenario_register(989_498_746_378_499_356, 80, &policy);
    // The case is there: a correction without a transition to contained,
    // at the instant of an analysis that made the item implemented.
    let ncs = register.nonconformities();
    let nc = &ncs[2];
    let implemented = nc
        .history
        .iter()
        .find(|t| t.to == isms_core::NcState::Implemented)
        .unwrap();
    assert!(nc.corrections.iter().any(|c| c.at == implemented.at));
    assert!(
        !nc.history
            .iter()
            .any(|t| t.to == isms_core::NcState::Contained && t.at == implemented.at)
    );
    let doc = export_poam(&register, &PoamOptions::default()).unwrap();
    let import_policy = Policy::permissive();
    let mut replayer = Replayer::new(&import_policy, 0);
    let imported = import_poam_with(&doc.to_string(), &mut replayer).unwrap();
    assert_eq!(imported.report.skipped, vec![]);
    assert_eq!(
        imported.register.nonconformities(),
        register.nonconformities()
    );
}
