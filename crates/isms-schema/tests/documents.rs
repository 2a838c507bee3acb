//! Every document the library produces validates against its schemas (input and output).

use std::collections::HashMap;
use std::sync::OnceLock;

use isms_schema::{Direction, DocumentKind, DocumentValidator};
use proptest::prelude::*;
use serde::Serialize;

use crate::samples;

fn validators() -> &'static HashMap<(DocumentKind, bool), DocumentValidator> {
    static CACHE: OnceLock<HashMap<(DocumentKind, bool), DocumentValidator>> = OnceLock::new();
    CACHE.get_or_init(|| {
        let mut map = HashMap::new();
        for kind in DocumentKind::ALL {
            for (output, direction) in [(false, Direction::Input), (true, Direction::Output)] {
                map.insert(
                    (kind, output),
                    DocumentValidator::new(kind, direction).unwrap(),
                );
            }
        }
        map
    })
}

/// Checks a document the library wrote against both the input and the output schema.
pub fn assert_valid<T: Serialize>(kind: DocumentKind, doc: &T) {
    let json = serde_json::to_value(doc).unwrap();
    for output in [false, true] {
        if let Err(e) = validators()[&(kind, output)].validate(&json) {
            panic!("{e}\n{}", serde_json::to_string_pretty(&json).unwrap());
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(24, |n: u32| n.min(64))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Scenario runs (legal and illegal commands under random policies): every command,
    /// event, nonconformity, improvement and the whole register document validate, and the
    /// document imports back to the same register.
    #[test]
    fn generated_scenarios_validate(seed in any::<u64>()) {
        let run = samples::scenario_run(seed, 60);
        assert_valid(DocumentKind::Policy, &run.policy);
        for c in &run.commands {
            assert_valid(DocumentKind::Command, c);
        }
        for e in &run.events {
            assert_valid(DocumentKind::Event, e);
        }
        for nc in run.register.nonconformities() {
            assert_valid(DocumentKind::Nonconformity, nc);
        }
        for imp in run.register.improvements() {
            assert_valid(DocumentKind::Improvement, imp);
        }
        let document = samples::register_document(run.events);
        assert_valid(DocumentKind::Register, &document);
        prop_assert_eq!(document.to_register().unwrap(), run.register);
        let text = serde_json::to_string(&document).unwrap();
        let (again, _) = isms_schema::RegisterDocument::import_json(&text).unwrap();
        prop_assert_eq!(again, document);
    }

    /// Arbitrary well-formed commands from the core's strategies validate.
    #[test]
    fn arbitrary_commands_validate(seed in any::<u64>()) {
        for c in samples::arbitrary_commands(seed, 20) {
            assert_valid(DocumentKind::Command, &c);
        }
    }
}

#[test]
fn workload_registers_validate() {
    let document = samples::register_document(samples::workload_events(25));
    assert_valid(DocumentKind::Register, &document);
    assert_eq!(document.nonconformities.len(), 25);
    assert!(document.to_register().is_ok());
}

#[test]
fn generator_registers_validate() {
    for seed in [1, 2] {
        let document = samples::register_document(samples::generated_events(150, seed));
        assert_valid(DocumentKind::Register, &document);
        assert_eq!(document.nonconformities.len(), 150);
        assert!(document.to_register().is_ok());
    }
}

#[test]
fn kpi_reports_validate() {
    let (events, reports) = samples::seed_scenarios();
    assert_valid(DocumentKind::Register, &samples::register_document(events));
    for r in reports.iter().chain(&samples::kpi_reports(5)) {
        assert_valid(DocumentKind::KpiReport, r);
    }
}

#[test]
fn every_sample_validates() {
    let set = samples::sample_set();
    assert!(set.len() > 50, "{}", set.len());
    for (kind, json) in &set {
        assert_valid(*kind, json);
    }
}

#[test]
fn shipped_catalogue_validates() {
    let catalog = isms_catalog::Catalog::shipped();
    assert!(!catalog.frameworks().is_empty());
    for f in catalog.frameworks() {
        assert_valid(DocumentKind::Framework, f);
    }
    for c in catalog.crosswalks() {
        assert_valid(DocumentKind::Crosswalk, c);
        assert_valid(DocumentKind::Crosswalk, &c.reversed());
    }
}

#[test]
fn the_seed_examples_validate() {
    // The seed's three follow-ups as verification schedules inside commands.
    use chrono::NaiveDate;
    use isms_core::{ActorId, Command, NonconformityId, Period, VerificationSchedule};
    let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    for schedule in [
        VerificationSchedule::watch_window(d("2026-01-15"), Period::months(6)),
        VerificationSchedule::recurring_count(d("2026-03-31"), Period::months(3), 4),
        VerificationSchedule::recurring_until(d("2026-01-31"), Period::months(1), d("2026-12-31")),
    ] {
        let command = Command::PlanVerification {
            nonconformity: NonconformityId::v7_from_parts(1, [1; 10]),
            method: "restore test".into(),
            criteria: "restore completes".into(),
            schedule,
            verifier: ActorId::new("vera").unwrap(),
        };
        assert_valid(DocumentKind::Command, &command);
    }
}
