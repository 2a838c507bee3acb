//! Documents produced by the library itself: the property-testing scenario generator of
//! `isms-core`, the realistic workload of `isms-store`, and the shipped catalogue. Shared
//! by the tests and by `examples/sample_documents.rs` (which the second validator uses).

use chrono::TimeZone;
use isms_core::testkit::{model::Model, scenario, strategies};
use isms_core::{Command, Context, Event, Policy, Register};
use isms_schema::{DocumentKind, RegisterDocument};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::Value;

/// What one generated scenario produced.
pub struct Run {
    pub policy: Policy,
    /// Every command tried, accepted or refused.
    pub commands: Vec<Command>,
    pub register: Register,
    pub events: Vec<Event>,
}

fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// Runs `steps` generated commands (legal and illegal) under a generated policy.
pub fn scenario_run(seed: u64, steps: usize) -> Run {
    let mut runner = runner(seed);
    let policy = strategies::policy()
        .new_tree(&mut runner)
        .expect("policy strategy")
        .current();
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    let mut model = Model::new(policy.clone(), start);
    let mut register = Register::new();
    let mut commands = Vec::new();
    let mut events = Vec::new();
    for i in 0..steps {
        let step = scenario::step(&model)
            .new_tree(&mut runner)
            .expect("scenario strategy")
            .current();
        model.step(&step.command, &step.actor, step.at);
        let ctx = Context::new(step.at, step.actor, &policy).with_entropy(i as u128);
        if let Ok(decision) = register.execute(&step.command, &ctx) {
            events.extend(decision.events);
        }
        commands.push(step.command);
    }
    Run {
        policy,
        commands,
        register,
        events,
    }
}

/// Arbitrary commands from the core's strategy (most would be refused; all are well formed).
pub fn arbitrary_commands(seed: u64, n: usize) -> Vec<Command> {
    let mut runner = runner(seed);
    (0..n)
        .map(|_| {
            strategies::command()
                .new_tree(&mut runner)
                .expect("command strategy")
                .current()
        })
        .collect()
}

/// Complete lifecycles from the store's workload generator (reported to closed).
pub fn workload_events(nonconformities: usize) -> Vec<Event> {
    let mut workload = isms_store::workload::Workload::new();
    let mut events = Vec::new();
    for _ in 0..nonconformities {
        events.extend(
            workload
                .lifecycle(Default::default())
                .expect("workload lifecycle"),
        );
    }
    events
}

/// A synthetic register of `n` nonconformities from `isms-gen`, with its events.
pub fn generated_events(n: usize, seed: u64) -> Vec<Event> {
    isms_gen::generate(&isms_gen::GeneratorConfig::new(n, seed).with_events())
        .expect("generator")
        .events
}

/// The seed document's three worked examples (`isms-gen`), their events, and KPI reports
/// over them at a few instants.
pub fn seed_scenarios() -> (Vec<Event>, Vec<isms_kpi::KpiReport>) {
    let start = chrono::Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap();
    let scenarios = isms_gen::seed_scenarios(start).expect("seed scenarios");
    let view = isms_kpi::KpiView::new(&scenarios.register);
    let reports = [(2025, 1, 7), (2025, 9, 30), (2026, 6, 30)]
        .into_iter()
        .map(|(y, m, d)| {
            let at = chrono::Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
            view.report(at, &isms_kpi::ReportOptions::default())
                .expect("kpi report")
        })
        .collect();
    (scenarios.events, reports)
}

/// KPI reports over a synthetic register, including a projection onto NIS2.
pub fn kpi_reports(seed: u64) -> Vec<isms_kpi::KpiReport> {
    let generated =
        isms_gen::generate(&isms_gen::GeneratorConfig::new(200, seed)).expect("generator");
    let view = isms_kpi::KpiView::new(&generated.register);
    let projection = isms_kpi::CatalogProjection::new(isms_catalog::Catalog::shipped());
    let options = isms_kpi::ReportOptions {
        projection: Some((&projection, "nis2")),
        ..isms_kpi::ReportOptions::default()
    };
    vec![
        view.report(generated.end, &isms_kpi::ReportOptions::default())
            .expect("kpi report"),
        view.report(generated.end, &options)
            .expect("projected kpi report"),
    ]
}

/// A register document for the events, stamped with a fixed time.
pub fn register_document(events: Vec<Event>) -> RegisterDocument {
    RegisterDocument::from_events(events)
        .expect("generated logs are well formed")
        .with_generated_at(
            chrono::Utc
                .with_ymd_and_hms(2026, 12, 31, 23, 0, 0)
                .unwrap(),
        )
}

/// A policy with every optional field set, and the log of a register that recorded a
/// nonconformity and then adopted it.
pub fn policy_adoption() -> (isms_core::Policy, Vec<Event>) {
    use isms_core::{Actor, AdoptPolicy, Enforcement, Role, Severity, TimeLimit};
    let role = |r: &str| Role::new(r).expect("a valid role name");
    let actor = |a: &str| isms_core::ActorId::new(a).expect("a valid actor name");
    let policy = Policy {
        containment_required_for: [Severity::Major, Severity::Minor].into(),
        closure_approver_role: Some(role("approver")),
        policy_approver_role: Some(role("ciso")),
        max_days_to_contain: Some(TimeLimit {
            days: 2,
            enforcement: Enforcement::Warn,
        }),
        max_backdating: Some(TimeLimit {
            days: 7,
            enforcement: Enforcement::Refuse,
        }),
        time_zone: "Europe/Berlin".parse().expect("an IANA name"),
        roles: [
            (role("approver"), [actor("maria")].into()),
            (role("ciso"), [actor("maria"), actor("omar")].into()),
        ]
        .into(),
        ..Policy::default()
    };
    let base = Policy::default();
    let at = chrono::Utc.with_ymd_and_hms(2027, 1, 2, 9, 0, 0).unwrap();
    let mut events = workload_events(1);
    let mut register = Register::from_events(&events);
    let maria = policy.grant_roles(Actor::new(actor("maria")));
    let adopt = AdoptPolicy::new(policy.clone()).reason("Management review 2026-1");
    events.extend(
        register
            .adopt_policy(&adopt, &Context::new(at, maria, &base).with_recorded_at(at))
            .expect("a valid policy")
            .events,
    );
    (policy, events)
}

/// A small set of every kind of document, as `(kind, JSON)`: what the example writes
/// for the second validator.
pub fn sample_set() -> Vec<(DocumentKind, Value)> {
    let mut out = Vec::new();
    let to = |v: &dyn erased::Ser| v.value();
    for seed in 0..3 {
        let run = scenario_run(seed, 60);
        for c in run.commands.iter().take(20) {
            out.push((DocumentKind::Command, to(c)));
        }
        for e in run.events.iter().take(20) {
            out.push((DocumentKind::Event, to(e)));
        }
        for nc in run.register.nonconformities() {
            out.push((DocumentKind::Nonconformity, to(nc)));
        }
        for imp in run.register.improvements() {
            out.push((DocumentKind::Improvement, to(imp)));
        }
        out.push((DocumentKind::Policy, to(&run.policy)));
        out.push((DocumentKind::Register, to(&register_document(run.events))));
    }
    out.push((
        DocumentKind::Register,
        to(&register_document(workload_events(3))),
    ));
    out.push((DocumentKind::Register, to(&register_document(Vec::new()))));
    // Where an export came from (since 1.3.0): a verified one with its
    // checkpoint, and an unverified one with the problem.
    let exported_at = chrono::Utc
        .with_ymd_and_hms(2026, 12, 31, 23, 0, 0)
        .unwrap();
    let provenance = isms_schema::Provenance {
        head_position: 30,
        head_hash: "0f".repeat(32),
        checkpoint: Some(isms_schema::ProvenanceCheckpoint {
            position: 30,
            hash: "0f".repeat(32),
            at: exported_at,
            key_id: "0123456789abcdef".into(),
            public_key: "ab".repeat(32),
            signature: "cd".repeat(64),
        }),
        verified: true,
        problem: None,
        exported_at,
    };
    out.push((
        DocumentKind::Register,
        to(&register_document(workload_events(3)).with_provenance(provenance.clone())),
    ));
    out.push((
        DocumentKind::Register,
        to(
            &register_document(workload_events(3)).with_provenance(isms_schema::Provenance {
                checkpoint: None,
                verified: false,
                problem: Some("hash chain broken at position 3".into()),
                ..provenance
            }),
        ),
    ));
    out.push((
        DocumentKind::Register,
        to(&register_document(generated_events(30, 7))),
    ));
    let (seed_events, seed_reports) = seed_scenarios();
    out.push((DocumentKind::Register, to(&register_document(seed_events))));
    // A register that adopted its own policy: the policy stream and its event.
    let (adopted, events) = policy_adoption();
    out.push((DocumentKind::Policy, to(&adopted)));
    for e in &events {
        out.push((DocumentKind::Event, to(e)));
    }
    out.push((DocumentKind::Register, to(&register_document(events))));
    for r in seed_reports.iter().chain(&kpi_reports(3)) {
        out.push((DocumentKind::KpiReport, to(r)));
    }
    let catalog = isms_catalog::Catalog::shipped();
    for f in catalog.frameworks() {
        out.push((DocumentKind::Framework, to(f)));
    }
    for c in catalog.crosswalks() {
        out.push((DocumentKind::Crosswalk, to(c)));
    }
    out
}

mod erased {
    /// Serialises any document to a JSON value (documents always serialise).
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("documents serialise")
        }
    }
}
