//! The report is the same, bit for bit, whatever the number of threads it
//! is computed on: the chunks' partial counts merge into exactly what one
//! walk counts.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroUsize;

use chrono::{Duration, TimeZone, Utc};
use isms_core::RequirementRef;
use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiView, ReportOptions};
use proptest::prelude::*;

/// Maps every reference of the register onto two of five NIS2 points, so
/// that the references of one nonconformity often share a point (each
/// nonconformity must still count once per point).
fn projection(refs: &BTreeSet<RequirementRef>) -> BTreeMap<RequirementRef, Vec<RequirementRef>> {
    let point = |k: usize| -> RequirementRef {
        format!("nis2/21.2.{}", ["a", "b", "c", "d", "e"][k % 5])
            .parse()
            .unwrap()
    };
    refs.iter()
        .enumerate()
        .map(|(k, r)| (r.clone(), vec![point(k), point(k / 3)]))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_thread_count_gives_the_one_thread_report(
        seed in any::<u64>(),
        // Down to fewer nonconformities (and actions) than threads: empty chunks.
        n in 1usize..120,
        span in 30u32..900,
        offset in -100i64..1_000,
        window in prop_oneof![Just(365u32), 1u32..1_000],
        zone in prop::sample::select(vec![
            "UTC", "Pacific/Auckland", "Pacific/Kiritimati", "America/Los_Angeles",
            "Australia/Lord_Howe", "Europe/Dublin",
        ]),
        threads in 1usize..=5,
        project in any::<bool>(),
    ) {
        let mut config = GeneratorConfig::new(n, seed);
        config.start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        config.span_days = span;
        config.improvements_per_100 = 20;
        let g = generate(&config).unwrap();
        let view = KpiView::new(&g.register);
        let refs: BTreeSet<RequirementRef> = g
            .register
            .nonconformities()
            .iter()
            .flat_map(|nc| nc.requirements.iter().cloned())
            .collect();
        let map = projection(&refs);
        let t = config.start + Duration::days(offset) + Duration::seconds(seed as i64 % 86_400);
        let mut options = ReportOptions {
            window_days: window,
            time_zone: zone.parse().unwrap(),
            ..ReportOptions::default()
        };
        if project {
            options = options.with_projection(&map, "nis2");
        }
        let one = view.report(t, &options.clone().with_threads(NonZeroUsize::MIN)).unwrap();
        let many = view
            .report(t, &options.with_threads(NonZeroUsize::new(threads).unwrap()))
            .unwrap();
        prop_assert_eq!(one, many);
    }
}

/// Thread counts far above the number of items (every chunk but a few
/// empty), and an empty view, change nothing either.
#[test]
fn more_threads_than_items() {
    let t = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
    let g = generate(&GeneratorConfig::new(3, 7)).unwrap();
    let small = KpiView::new(&g.register);
    let empty = KpiView::from_facts([], []);
    for view in [&small, &empty] {
        let one = view
            .report(t, &ReportOptions::default().with_threads(NonZeroUsize::MIN))
            .unwrap();
        for threads in [2, 7, 64] {
            let options =
                ReportOptions::default().with_threads(NonZeroUsize::new(threads).unwrap());
            assert_eq!(view.report(t, &options).unwrap(), one, "{threads} threads");
        }
    }
    // The default picks the thread count by itself, with the same result.
    assert_eq!(
        small.report(t, &ReportOptions::default()).unwrap(),
        small
            .report(t, &ReportOptions::default().with_threads(NonZeroUsize::MIN))
            .unwrap()
    );
}
