//! The management-review pack over 100,000 generated nonconformities, end
//! to end from `&Register` (KPI view, KPIs, monthly rate series, charts,
//! HTML or Markdown). The register is generated once, outside the timings;
//! the size of each document is printed to stderr.
#![allow(missing_docs, clippy::print_stderr)]

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use divan::{Bencher, black_box};
use isms_core::Register;
use isms_gen::{GeneratorConfig, generate};
use isms_report::{ReportOptions, ReviewPack, render_html, render_markdown};

fn main() {
    divan::main();
}

fn register() -> &'static (Register, DateTime<Utc>) {
    static R: OnceLock<(Register, DateTime<Utc>)> = OnceLock::new();
    R.get_or_init(|| {
        let g = generate(&GeneratorConfig::new(100_000, 2026)).expect("generation");
        let options = ReportOptions::default();
        let html = render_html(&g.register, g.end, &options).expect("html");
        let md = render_markdown(&g.register, g.end, &options).expect("markdown");
        eprintln!(
            "[isms-report bench] 100000 NCs: HTML {} bytes ({:.2} MiB), Markdown {} bytes",
            html.len(),
            html.len() as f64 / (1024.0 * 1024.0),
            md.len()
        );
        (g.register, g.end)
    })
}

#[divan::bench(sample_count = 10)]
fn html_100k(bencher: Bencher) {
    let (r, t) = register();
    let options = ReportOptions::default();
    bencher.bench(|| render_html(black_box(r), *t, &options).expect("html").len());
}

#[divan::bench(sample_count = 10)]
fn markdown_100k(bencher: Bencher) {
    let (r, t) = register();
    let options = ReportOptions::default();
    bencher.bench(|| {
        render_markdown(black_box(r), *t, &options)
            .expect("markdown")
            .len()
    });
}

#[divan::bench(sample_count = 10)]
fn pack_only_100k(bencher: Bencher) {
    let (r, t) = register();
    let options = ReportOptions::default();
    bencher.bench(|| {
        ReviewPack::compute(black_box(r), *t, &options)
            .expect("pack")
            .kpis
            .kpis
            .len()
    });
}

#[divan::bench(sample_count = 10)]
fn html_730_day_window_100k(bencher: Bencher) {
    let (r, t) = register();
    let options = ReportOptions {
        window_days: 730,
        ..ReportOptions::default()
    };
    bencher.bench(|| render_html(black_box(r), *t, &options).expect("html").len());
}
