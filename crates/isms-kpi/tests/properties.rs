//! Properties over generated registers: as-of correctness against the
//! register rebuilt from the events recorded by T, independence of the
//! interleaving of streams, ranges, sums and monotonicity in T.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Duration, TimeZone, Utc};
use isms_core::{Event, Register};
use isms_gen::{GeneratorConfig, Rng, generate};
use isms_kpi::{Detail, KpiId, KpiReport, KpiView, Measure, ReportOptions};
use proptest::prelude::*;

fn config(n: usize, seed: u64, span_days: u32) -> GeneratorConfig {
    let mut c = GeneratorConfig::new(n, seed).with_events();
    c.start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    c.span_days = span_days;
    c.improvements_per_100 = 20;
    c
}

fn report(register: &Register, t: DateTime<Utc>, window_days: u32) -> KpiReport {
    let options = ReportOptions {
        window_days,
        ..ReportOptions::default()
    };
    KpiView::new(register).report(t, &options).unwrap()
}

/// Interleaves the streams of `events` at random, keeping each stream's order.
fn shuffle_streams(events: &[Event], seed: u64) -> Vec<Event> {
    let mut streams: BTreeMap<_, VecDeque<&Event>> = BTreeMap::new();
    for e in events {
        streams.entry(e.stream).or_default().push_back(e);
    }
    let mut queues: Vec<VecDeque<&Event>> = streams.into_values().collect();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(events.len());
    while !queues.is_empty() {
        let i = rng.below(queues.len() as u64) as usize;
        if let Some(e) = queues[i].pop_front() {
            out.push(e.clone());
        }
        if queues[i].is_empty() {
            queues.swap_remove(i);
        }
    }
    out
}

fn check_ranges(r: &KpiReport) -> Result<(), TestCaseError> {
    for k in &r.kpis {
        match &k.value {
            Measure::Ratio {
                numerator,
                denominator,
                ratio,
            } => {
                prop_assert!(*denominator > 0 && numerator <= denominator, "{}", k.id);
                prop_assert!((0.0..=1.0).contains(ratio), "{}", k.id);
                prop_assert_eq!(*denominator, k.population, "{}", k.id);
            }
            Measure::Days { days } => prop_assert!(days.is_finite() && *days >= 0.0, "{}", k.id),
            Measure::Count { .. } | Measure::NoData => {}
        }
        match &k.detail {
            Detail::Open(d) => {
                prop_assert_eq!(d.by_severity.iter().map(|s| s.count).sum::<u64>(), d.open);
                prop_assert_eq!(d.by_state.iter().map(|s| s.count).sum::<u64>(), d.open);
                prop_assert!(d.open <= d.reported);
            }
            Detail::Ageing(d) => {
                prop_assert_eq!(d.buckets.iter().map(|b| b.count).sum::<u64>(), d.open);
            }
            Detail::Durations(d) => {
                if let (Some(mean), Some(median), Some(p90)) =
                    (d.mean_days, d.median_days, d.p90_days)
                {
                    prop_assert!(mean >= 0.0 && median >= 0.0 && median <= p90);
                } else {
                    prop_assert_eq!(d.count, 0);
                }
            }
            Detail::OverdueActions(d) => prop_assert!(d.overdue <= d.open),
            Detail::ActionTimeliness(d) => {
                prop_assert!(d.on_time_original <= d.on_time_current);
                prop_assert!(d.on_time_current <= d.completed && d.rescheduled <= d.completed);
            }
            Detail::FirstTimeRight(d) => prop_assert!(d.effective <= d.concluded),
            Detail::Recurrences(d) => prop_assert!(d.recurrences <= d.reported),
            Detail::OverdueVerifications(d) => prop_assert!(d.overdue <= d.checks_due),
            Detail::Pareto(d) => {
                prop_assert_eq!(d.rows.iter().map(|r| r.count).sum::<u64>(), d.causes);
                prop_assert!(d.rows.windows(2).all(|w| w[0].count >= w[1].count));
                if let Some(last) = d.rows.last() {
                    prop_assert!((last.cumulative_share - 1.0).abs() < 1e-9);
                }
            }
            Detail::Requirements(d) => {
                prop_assert!(d.rows.iter().map(|r| r.count).sum::<u64>() >= d.nonconformities);
            }
            Detail::Backlog(d) => {
                for w in d.months.windows(2) {
                    let expected = w[0].open_at_end as i64 + w[1].opened as i64
                        - w[1].closed as i64
                        - w[1].rejected as i64;
                    prop_assert_eq!(w[1].open_at_end as i64, expected, "month {}", w[1].month);
                }
                let open = r.get(KpiId::OpenNonconformities).unwrap();
                prop_assert_eq!(
                    Some(&k.value),
                    Some(&open.value),
                    "open at the last month's end is open at T"
                );
            }
            Detail::Improvements(d) => {
                prop_assert!(d.realised <= d.proposed_to_date && d.proposed <= d.proposed_to_date);
            }
            Detail::Reporting(d) => {
                prop_assert_eq!(d.on_time + d.late + d.missed, d.ended_in_window);
                prop_assert!(d.overdue <= d.running && d.running <= d.started);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The strongest property: a report as of T over the whole register
    /// equals the report over the register rebuilt from the events recorded
    /// at or before T.
    #[test]
    fn as_of_equals_the_register_as_it_stood(
        seed in any::<u64>(),
        n in 10usize..90,
        span in 200u32..900,
        offset in 0i64..1_000 * 86_400,
        window in prop_oneof![Just(365u32), 1u32..1_000],
        snap_to_event in any::<bool>(),
    ) {
        let g = generate(&config(n, seed, span)).unwrap();
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let mut t = start + Duration::seconds(offset);
        if snap_to_event && !g.events.is_empty() {
            // An instant with events at exactly T (boundaries).
            t = g.events[(offset as usize) % g.events.len()].at;
        }
        let prefix = Register::from_events(g.events.iter().filter(|e| e.at <= t));
        let full = report(&g.register, t, window);
        let past = report(&prefix, t, window);
        prop_assert_eq!(&full, &past);
        check_ranges(&full)?;
    }

    /// Folding the same events in another interleaving of the streams
    /// gives the same report.
    #[test]
    fn independent_of_the_interleaving_of_streams(
        seed in any::<u64>(),
        shuffle in any::<u64>(),
        n in 10usize..70,
        offset in 0i64..800 * 86_400,
    ) {
        let g = generate(&config(n, seed, 600)).unwrap();
        let shuffled = shuffle_streams(&g.events, shuffle);
        prop_assert_eq!(shuffled.len(), g.events.len());
        let other = Register::from_events(&shuffled);
        let t = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(offset);
        prop_assert_eq!(report(&g.register, t, 365), report(&other, t, 365));
    }

    /// Facts that only accumulate never decrease as T moves on.
    #[test]
    fn accumulated_facts_are_monotonic_in_t(
        seed in any::<u64>(),
        n in 10usize..80,
        a in 0i64..700 * 86_400,
        b in 0i64..700 * 86_400,
    ) {
        let g = generate(&config(n, seed, 600)).unwrap();
        let view = KpiView::new(&g.register);
        let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
        let (t1, t2) = (start + Duration::seconds(a.min(b)), start + Duration::seconds(a.max(b)));
        let ever = |t| {
            let r = view.report(t, &ReportOptions::default()).unwrap();
            let open = r.get(KpiId::OpenNonconformities).unwrap().population;
            let Detail::Improvements(imp) = &r.get(KpiId::ImprovementsRealised).unwrap().detail else {
                unreachable!()
            };
            (open, imp.proposed_to_date)
        };
        let (r1, p1) = ever(t1);
        let (r2, p2) = ever(t2);
        prop_assert!(r1 <= r2, "reported ever: {} at {} > {} at {}", r1, t1, r2, t2);
        prop_assert!(p1 <= p2);
    }
}

#[test]
fn a_generated_register_exercises_every_kpi() {
    let g = generate(&config(400, 11, 700)).unwrap();
    let t = Utc.with_ymd_and_hms(2025, 10, 1, 0, 0, 0).unwrap();
    let r = report(&g.register, t, 365);
    for k in &r.kpis {
        assert_ne!(k.value, Measure::NoData, "{} has no data", k.id);
    }
    assert!(
        matches!(r.get(KpiId::OverdueActions).unwrap().value, Measure::Count { count } if count > 0)
    );
    let ftr = r
        .get(KpiId::EffectivenessRate)
        .unwrap()
        .value
        .as_f64()
        .unwrap();
    assert!((0.7..0.95).contains(&ftr), "first-time-right {ftr}");
}
