//! Runs the full KPI suite over 1,000,000 generated nonconformities many
//! times, for a profiler: `perf record target/release/examples/suite_profile`.
//! Prints the best time of the suite and of the plain-pass floor.
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
    println!(
        "best of {rounds}: suite {:.2} ms, floor {:.2} ms, {:.2}x",
        suite * 1e3,
        floor * 1e3,
        suite / floor
    );
    Ok(())
}
