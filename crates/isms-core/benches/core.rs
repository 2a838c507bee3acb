//! Benchmarks of the core: one full lifecycle through decide + apply, and
//! replay (fold) of 1,000,000 events, and writing events and items as JSON.
//! Run with `cargo bench -p isms-core`.
#![allow(missing_docs)] // benchmark code

use std::sync::OnceLock;

use chrono::{DateTime, Duration, TimeZone, Utc};
use divan::{Bencher, black_box};
use isms_core::*;

fn main() {
    divan::main();
}

fn actor(name: &str) -> Actor {
    Actor::new(ActorId::new(name).unwrap())
}

/// Runs one nonconformity from report to closure: 10 commands, 11 events.
fn lifecycle(
    register: &mut Register,
    events: &mut Vec<Event>,
    policy: &Policy,
    n: u64,
    start: DateTime<Utc>,
) {
    let owner = actor("owner");
    let doer = actor("doer");
    let verifier = actor("verifier");
    let manager = actor("manager");
    let entropy = |k: u8| {
        let mut e = [k; 10];
        e[..8].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_le_bytes());
        e
    };
    let millis = u64::try_from(start.timestamp_millis()).unwrap_or(0);
    let id = NonconformityId::v7_from_parts(millis, entropy(1));
    let a1 = ActionId::v7_from_parts(millis, entropy(2));
    let a2 = ActionId::v7_from_parts(millis, entropy(3));
    let mut t = start;
    let mut run = |who: &Actor, at: DateTime<Utc>, c: Command| {
        let d = register
            .execute(
                &c,
                &Context::new(at, who.clone(), policy).with_entropy(u128::from(n)),
            )
            .expect("lifecycle commands are valid");
        events.extend(d.events);
    };
    run(
        &owner,
        t,
        Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id,
            title: "Backup failed".into(),
            description: "Nightly backup failed".into(),
            source: Source::Monitoring,
            severity: Severity::Major,
            requirements: vec!["iso27001:2022/A.8.13".parse().unwrap()],
            owner: owner.id.clone(),
            detected_at: t,
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        }),
    );
    t += Duration::hours(2);
    run(
        &owner,
        t,
        Command::RecordContainment {
            nonconformity: id,
            action_taken: "manual backup".into(),
            consequences: None,
            late_justification: None,
        },
    );
    t += Duration::days(1);
    run(
        &owner,
        t,
        Command::AnalyseRootCause {
            nonconformity: id,
            method: AnalysisMethod::FiveWhys,
            causes: vec![RootCause {
                category: RootCauseCategory::Technology,
                statement: "single target".into(),
            }],
            similar: vec![],
            // Clause 10.2 b) 3): the check for similar nonconformities
            // is recorded even when it finds none.
            similar_notes: Some("none found".into()),
            decision: ActionDecision::ActionRequired,
        },
    );
    for a in [a1, a2] {
        run(
            &owner,
            t,
            Command::PlanAction {
                nonconformity: id,
                action: a,
                description: "fix".into(),
                owner: doer.id.clone(),
                due: (t + Duration::days(30)).date_naive(),
                late_justification: None,
            },
        );
    }
    run(
        &owner,
        t,
        Command::PlanVerification {
            nonconformity: id,
            method: "restore test".into(),
            criteria: "restore works".into(),
            schedule: VerificationSchedule::once((t + Duration::days(40)).date_naive()),
            verifier: verifier.id.clone(),
        },
    );
    t += Duration::days(10);
    for a in [a1, a2] {
        run(
            &doer,
            t,
            Command::CompleteAction {
                nonconformity: id,
                action: a,
                // A major nonconformity's actions close on evidence.
                evidence: vec![EvidenceRef::document("CHG-1")],
            },
        );
    }
    t += Duration::days(31);
    run(
        &verifier,
        t,
        Command::RecordVerification {
            nonconformity: id,
            check: 0,
            passed: true,
            notes: None,
            evidence: vec![EvidenceRef::document("restore test record")],
        },
    );
    // Closure is approved by someone who neither owns the nonconformity
    // nor did its actions.
    run(
        &manager,
        t,
        Command::CloseNonconformity {
            risk_acceptance: None,
            nonconformity: id,
            isms_changes: vec![],
            notes: None,
        },
    );
}

fn million_events() -> &'static Vec<Event> {
    static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let policy = Policy::default();
        let mut register = Register::new();
        let mut events = Vec::with_capacity(1_000_010);
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let mut n = 0;
        while events.len() < 1_000_000 {
            n += 1;
            lifecycle(
                &mut register,
                &mut events,
                &policy,
                n,
                start + Duration::minutes(n as i64),
            );
        }
        events.truncate(1_000_000);
        events
    })
}

/// Decide + apply of one whole lifecycle (10 commands, 11 events) on a
/// register that already holds 1,000 nonconformities.
#[divan::bench]
fn full_lifecycle(bencher: Bencher) {
    let policy = Policy::default();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let mut base = Register::new();
    let mut sink = Vec::new();
    for n in 0..1_000 {
        lifecycle(&mut base, &mut sink, &policy, n, start);
    }
    let mut n = 10_000;
    bencher
        .with_inputs(|| base.clone())
        .bench_local_refs(|register| {
            n += 1;
            let mut events = Vec::with_capacity(16);
            lifecycle(register, &mut events, &policy, n, start);
            black_box(events.len())
        });
}

/// Folding 1,000,000 borrowed events into a fresh register (each event's
/// text is copied into the state).
#[divan::bench(sample_count = 10, sample_size = 1)]
fn replay_1m_events_borrowed(bencher: Bencher) {
    let events = million_events();
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .bench(|| black_box(Register::from_events(events.iter())).events_applied());
}

/// Folding 1,000,000 owned events (as loaded from a store) into a fresh
/// register: the text moves into the state.
///
/// Each sample's register is leaked rather than dropped: freeing millions
/// of small allocations between samples leaves the allocator fragmented,
/// and the next sample then pays for consolidating it, which is not a cost
/// of replay (a process replays its log once, into fresh memory). About
/// 0.5 GB per sample stays allocated until the benchmark process ends.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn replay_1m_events_owned(bencher: Bencher) {
    let events = million_events();
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .with_inputs(|| events.clone())
        .bench_local_values(|events| std::mem::forget(Register::from_events_owned(events)));
}

/// Writing 100,000 events as JSON, one at a time into a reused buffer:
/// what an append does with each event it stores.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn serialise_100k_events(bencher: Bencher) {
    let events = &million_events()[..100_000];
    bencher
        .counter(divan::counter::ItemsCount::new(events.len()))
        .bench(|| {
            let mut buf = Vec::with_capacity(1024);
            let mut written = 0;
            for e in events {
                buf.clear();
                serde_json::to_writer(&mut buf, e).unwrap();
                written += buf.len();
            }
            black_box(written)
        });
}

/// Writing as JSON the nonconformities those 100,000 events fold into
/// (about 9,100): what the items projection stores and `nc show --json`
/// prints.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn serialise_items_of_100k_events(bencher: Bencher) {
    let register = Register::from_events(million_events()[..100_000].iter());
    let items = register.nonconformities();
    bencher
        .counter(divan::counter::ItemsCount::new(items.len()))
        .bench(|| {
            let mut buf = Vec::with_capacity(4096);
            let mut written = 0;
            for nc in items {
                buf.clear();
                serde_json::to_writer(&mut buf, nc).unwrap();
                written += buf.len();
            }
            black_box(written)
        });
}
