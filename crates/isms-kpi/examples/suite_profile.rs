//! Runs the full KPI suite over generated nonconformities many
//! times, for a profiler: `perf record target/release/examples/suite_profile`.
//! Prints the best time of the suite with the automatic thread count and on
//! one thread, and of the plain-pass floor on one thread and on two; with
//! `SUITE_PARTS` set in the environment, first the best time of each KPI
//! method run alone (`suite_profile [ROUNDS] [NONCONFORMITIES]`, 200 rounds
//! over 1,000,000 by default; a smaller register shows where the automatic
//! thread count starts to pay). With `SUITE_THREADS=n`, the first suite
//! uses exactly `n` threads instead of the automatic count.
#![allow(clippy::print_stdout)]

use std::num::NonZeroUsize;
use std::time::Instant;

use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiView, ReportOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(200), |s| s.parse())?;
    let n: usize = std::env::args()
        .nth(2)
        .map_or(Ok(1_000_000), |s| s.parse())?;
    let g = generate(&GeneratorConfig::new(n, 2026))?;
    let view = KpiView::new(&g.register);
    drop(g.register);
    let two = NonZeroUsize::new(2).ok_or("2 is not zero")?;
    let one_thread = ReportOptions::default().with_threads(NonZeroUsize::MIN);
    let forced = std::env::var("SUITE_THREADS")
        .ok()
        .map(|s| s.parse::<NonZeroUsize>())
        .transpose()?;
    let first = ReportOptions {
        threads: forced,
        ..ReportOptions::default()
    };
    let label = forced.map_or_else(
        || {
            let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
            format!("automatic, {cores} cores")
        },
        |n| format!("{n} threads"),
    );
    let (mut suite, mut suite_one) = (f64::MAX, f64::MAX);
    let (mut floor, mut floor_two) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(view.report(g.end, &first)?);
        suite = suite.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(view.report(g.end, &one_thread)?);
        suite_one = suite_one.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(view.scan_floor());
        floor = floor.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(view.scan_floor_on(two));
        floor_two = floor_two.min(t.elapsed().as_secs_f64());
    }
    if std::env::var_os("SUITE_PARTS").is_some() {
        let w = isms_kpi::Window::new(g.end, 365)?;
        macro_rules! part {
            ($name:literal, $e:expr) => {{
                let mut best = f64::MAX;
                for _ in 0..rounds {
                    let t = Instant::now();
                    std::hint::black_box($e);
                    best = best.min(t.elapsed().as_secs_f64());
                }
                println!("{:>24}: {:.2} ms", $name, best * 1e3);
            }};
        }
        part!("open_nonconformities", view.open_nonconformities(&w));
        part!("ageing", view.ageing(&w));
        part!("time_to_contain", view.time_to_contain(&w));
        part!("time_to_close", view.time_to_close(&w));
        part!("overdue_actions", view.overdue_actions(&w));
        part!("action_timeliness", view.action_timeliness(&w));
        part!("first_time_right", view.first_time_right(&w));
        part!("recurrences", view.recurrences(&w));
        part!("overdue_verifications", view.overdue_verifications(&w));
        part!("root_cause_pareto", view.root_cause_pareto(&w));
        part!("backlog_trend", view.backlog_trend(&w));
        part!("improvements", view.improvements(&w));
        part!("reporting_clocks", view.reporting_clocks(&w));
    }
    println!(
        "{n} nonconformities, best of {rounds}: suite {:.2} ms ({label}), suite one thread {:.2} ms, \
         floor {:.2} ms, floor two threads {:.2} ms; suite/floor {:.2}x, \
         suite/two-thread floor {:.2}x, one-thread suite/floor {:.2}x",
        suite * 1e3,
        suite_one * 1e3,
        floor * 1e3,
        floor_two * 1e3,
        suite / floor,
        suite / floor_two,
        suite_one / floor
    );
    Ok(())
}
