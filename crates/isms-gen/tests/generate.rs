//! Determinism, validity and shape of generated registers.

use isms_core::{NcState, Policy, Register, Severity, check_invariants};
use isms_gen::{GenError, GeneratorConfig, RunSink, Shape, generate, generate_into, generate_to};

#[test]
fn same_seed_same_register_other_seed_other_register() {
    let a = generate(&GeneratorConfig::new(500, 1).with_events()).unwrap();
    let b = generate(&GeneratorConfig::new(500, 1).with_events()).unwrap();
    let c = generate(&GeneratorConfig::new(500, 2)).unwrap();
    assert_eq!(a.register, b.register);
    assert_eq!(a.events, b.events);
    assert_ne!(a.register, c.register);
}

/// Handing the events over in runs gives the events `generate` keeps, in
/// the same order, each run at least the asked size (but the last) and
/// ending where an item's story ends; the register is the same.
#[test]
fn events_handed_over_in_runs_are_the_kept_events() {
    let config = GeneratorConfig::new(700, 4);
    let kept = generate(&config.clone().with_events()).unwrap();
    let mut runs: Vec<Vec<isms_core::Event>> = Vec::new();
    let mut created = 0;
    let streamed = generate_into(&config, 1_000, &mut |run, register| {
        // Every item the run creates is in the register as the fold of
        // exactly the run's events of its stream.
        let new: std::collections::BTreeSet<_> = run
            .iter()
            .filter(|e| e.sequence == 1)
            .map(|e| e.stream)
            .collect();
        for stream in new {
            let folded =
                isms_core::Item::from_events(run.iter().filter(|e| e.stream == stream)).unwrap();
            assert_eq!(register.item(stream), Some(folded.as_ref()));
            created += 1;
        }
        runs.push(std::mem::take(run));
        true
    })
    .unwrap();
    assert_eq!(
        created,
        kept.register.nonconformities().len() + kept.register.improvements().len()
    );
    assert!(streamed.events.is_empty());
    assert_eq!(streamed.register, kept.register);
    assert_eq!(streamed.stats, kept.stats);
    assert!(runs.len() > 5, "{} runs", runs.len());
    let (last, full) = runs.split_last().unwrap();
    assert!(!last.is_empty());
    assert!(full.iter().all(|r| r.len() >= 1_000));
    let all: Vec<_> = runs.into_iter().flatten().collect();
    assert_eq!(all, kept.events);

    // A receiver that refuses stops the generation.
    let mut calls = 0;
    let stopped = generate_into(&config, 500, &mut |_, _| {
        calls += 1;
        calls < 3
    });
    assert!(matches!(stopped, Err(GenError::Stopped)));
    assert_eq!(calls, 3);
}

/// Events lent one at a time (`generate_to`) are the events handed over in
/// runs, with the runs ending at the same places, each seen with the same
/// register; a sink that refuses stops the generation.
#[test]
fn events_lent_one_at_a_time_are_the_events_of_the_runs() {
    let config = GeneratorConfig::new(700, 4);
    let mut runs: Vec<Vec<isms_core::Event>> = Vec::new();
    let mut seen: Vec<isms_core::Register> = Vec::new();
    let into = generate_into(&config, 1_000, &mut |run, register| {
        runs.push(std::mem::take(run));
        seen.push(register.clone());
        true
    })
    .unwrap();

    struct Lent {
        run: Vec<isms_core::Event>,
        runs: Vec<Vec<isms_core::Event>>,
        seen: Vec<isms_core::Register>,
        stop_after: usize,
    }
    impl RunSink for Lent {
        fn event(&mut self, event: &isms_core::Event) {
            self.run.push(event.clone());
        }
        fn end_run(&mut self, register: &isms_core::Register) -> bool {
            self.runs.push(std::mem::take(&mut self.run));
            self.seen.push(register.clone());
            self.runs.len() < self.stop_after
        }
    }
    let mut lent = Lent {
        run: Vec::new(),
        runs: Vec::new(),
        seen: Vec::new(),
        stop_after: usize::MAX,
    };
    let to = generate_to(&config, 1_000, &mut lent).unwrap();
    assert!(lent.run.is_empty(), "every event is in a run");
    assert!(runs.len() > 5, "{} runs", runs.len());
    assert_eq!(lent.runs, runs);
    assert!(lent.seen == seen, "the same register after each run");
    assert!(to.events.is_empty());
    assert_eq!(to.register, into.register);
    assert_eq!(to.stats, into.stats);

    lent.runs.clear();
    lent.stop_after = 2;
    let stopped = generate_to(&config, 1_000, &mut lent);
    assert!(matches!(stopped, Err(GenError::Stopped)));
    assert_eq!(lent.runs.len(), 2);
    assert_eq!(lent.runs[..], runs[..2]);
}

#[test]
fn generated_registers_obey_the_workflow_and_replay() {
    let g = generate(&GeneratorConfig::new(1_500, 9).with_events()).unwrap();
    check_invariants(&g.register, &Policy::default()).unwrap();
    assert_eq!(g.stats.events as usize, g.events.len());
    assert_eq!(Register::from_events(&g.events), g.register);
    for e in &g.events {
        assert!(e.at <= g.end, "event after the end of the span");
    }
}

#[test]
fn shape_is_realistic() {
    let g = generate(&GeneratorConfig::new(4_000, 3)).unwrap();
    let ncs = g.register.nonconformities();
    let n = ncs.len() as f64;
    let share = |f: &dyn Fn(&isms_core::Nonconformity) -> bool| {
        ncs.iter().filter(|nc| f(nc)).count() as f64 / n
    };
    let major = share(&|nc| nc.severity == Severity::Major);
    assert!((0.22..0.28).contains(&major), "major {major}");
    let actions = g.stats.actions as f64 / n;
    assert!((2.0..2.6).contains(&actions), "actions per NC {actions}");
    let rejected = share(&|nc| nc.state == NcState::Rejected);
    assert!((0.02..0.06).contains(&rejected), "rejected {rejected}");
    let recurrences = share(&|nc| nc.recurrence_of.is_some());
    assert!(
        (0.04..0.10).contains(&recurrences),
        "recurrences {recurrences}"
    );
    let open = share(&|nc| !nc.state.is_terminal());
    assert!((0.03..0.25).contains(&open), "open at the end {open}");
    let concluded: Vec<bool> = ncs
        .iter()
        .filter_map(|nc| nc.conclusions.first())
        .map(|c| c.effective)
        .collect();
    let ineffective = concluded.iter().filter(|e| !**e).count() as f64 / concluded.len() as f64;
    assert!(
        (0.12..0.22).contains(&ineffective),
        "ineffective first verifications {ineffective}"
    );
    let rescheduled = ncs
        .iter()
        .flat_map(|nc| &nc.actions)
        .filter(|a| !a.reschedules.is_empty())
        .count();
    let late = ncs
        .iter()
        .flat_map(|nc| &nc.actions)
        .filter(|a| {
            a.completed_at
                .is_some_and(|c| c.date_naive() > a.original_due)
        })
        .count();
    assert!(rescheduled > 0 && late > 0);
    let sources: std::collections::BTreeSet<_> = ncs.iter().map(|nc| nc.source).collect();
    assert!(sources.len() >= 8, "sources {sources:?}");
    assert!(
        ncs.iter()
            .any(|nc| nc.requirements.iter().any(|r| r.framework() == "nis2"))
    );
    assert!(!g.register.improvements().is_empty());
    assert!(
        g.register
            .improvements()
            .iter()
            .any(|i| i.state == isms_core::ImprovementState::Realised)
    );
}

#[test]
fn bad_configurations_are_refused() {
    let mut c = GeneratorConfig::new(10, 1);
    c.span_days = 0;
    assert!(matches!(generate(&c), Err(GenError::BadSpan { .. })));
    let mut c = GeneratorConfig::new(10, 1);
    c.shape = Shape {
        late: 1.5,
        ..Shape::default()
    };
    assert!(matches!(
        generate(&c),
        Err(GenError::BadShare { name: "late", .. })
    ));
    let empty = generate(&GeneratorConfig::new(0, 1)).unwrap();
    assert!(empty.register.nonconformities().is_empty());
}
