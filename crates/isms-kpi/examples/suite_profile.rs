//! Runs the full KPI suite over 1,000,000 generated nonconformities many
//! times, for a profiler: `perf record target/release/examples/suite_profile`.
//! Prints the best time of the suite and of the plain-pass floor; with
//! `SUITE_PARTS` set in the environment, first the best time of each KPI
//! method run alone (`suite_profile [ROUNDS]`, 200 rounds by default).
#![allow(clippy::print_stdout)]

use std::time::Instant;

use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiView, ReportOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rounds: usize = std::env::args().nth(1).map_or(Ok(200), |s| s.parse())?;
    let g = generate(&GeneratorConfig::new(1_000_000, 2026))?;
    let view = KpiView::new(&g.register);
    drop(g.register);
    let (mut suite, mut floor) = (f64::MAX, f64::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(view.report(g.end, &ReportOptions::default())?);
        suite = suite.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        std::hint::black_box(view.scan_floor());
        floor = floor.min(t.elapsed().as_secs_f64());
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
    }
    println!(
        "best of {rounds}: suite {:.2} ms, floor {:.2} ms, {:.2}x",
        suite * 1e3,
        floor * 1e3,
        suite / floor
    );
    Ok(())
}
