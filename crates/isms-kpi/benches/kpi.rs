//! KPI engine benchmarks: view construction, the full suite and the plain
//! pass (the floor) over 1,000,000 generated nonconformities, and single
//! KPIs over 100,000. Registers are generated once, outside the timings.
//! Memory (VmRSS, VmHWM) is printed to stderr once per register.
#![allow(missing_docs, clippy::print_stderr)]

use std::num::NonZeroUsize;
use std::sync::OnceLock;
use std::time::Instant;

use chrono::{DateTime, Utc};
use divan::{Bencher, black_box};
use isms_core::Register;
use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiView, ReportOptions, Window};

fn main() {
    divan::main();
}

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

struct Fixture {
    register: Register,
    view: KpiView,
    as_of: DateTime<Utc>,
}

fn build(n: usize) -> Fixture {
    let rss0 = status_kib("VmRSS:");
    let t0 = Instant::now();
    let g = generate(&GeneratorConfig::new(n, 2026)).expect("generation");
    let gen_s = t0.elapsed().as_secs_f64();
    let rss1 = status_kib("VmRSS:");
    let t1 = Instant::now();
    let view = KpiView::new(&g.register);
    let view_s = t1.elapsed().as_secs_f64();
    let rss2 = status_kib("VmRSS:");
    eprintln!(
        "[isms-kpi bench] {n} NCs: {} actions, {} events, {} improvements; generated in {gen_s:.1} s \
         ({:.0} NC/s); register RSS +{} MiB; view built in {view_s:.2} s, RSS +{} MiB \
         (heap_bytes {} MiB); VmHWM {} MiB",
        g.stats.actions,
        g.stats.events,
        g.stats.improvements,
        n as f64 / gen_s,
        (rss1.saturating_sub(rss0)) / 1024,
        (rss2.saturating_sub(rss1)) / 1024,
        view.heap_bytes() / (1024 * 1024),
        status_kib("VmHWM:") / 1024,
    );
    Fixture {
        register: g.register,
        view,
        as_of: g.end,
    }
}

fn million() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build(1_000_000))
}

fn hundred_thousand() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| build(100_000))
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn view_construction_1m(bencher: Bencher) {
    let f = million();
    bencher.bench(|| KpiView::new(black_box(&f.register)));
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn full_suite_1m(bencher: Bencher) {
    let f = million();
    // Options are built inside (a few hundred nanoseconds): they may hold a
    // projection that is not `Sync`.
    bencher.bench(|| {
        f.view
            .report(black_box(f.as_of), &ReportOptions::default())
            .expect("report")
    });
}

/// The same suite walked on the calling thread alone.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn full_suite_1m_one_thread(bencher: Bencher) {
    let f = million();
    bencher.bench(|| {
        f.view
            .report(
                black_box(f.as_of),
                &ReportOptions::default().with_threads(NonZeroUsize::MIN),
            )
            .expect("report")
    });
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn plain_pass_floor_1m(bencher: Bencher) {
    let f = million();
    bencher.bench(|| black_box(&f.view).scan_floor());
}

/// The floor folded over two halves of each column on two threads: the
/// floor of a suite that uses two.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn plain_pass_floor_1m_two_threads(bencher: Bencher) {
    let f = million();
    let two = NonZeroUsize::new(2).expect("2 is not zero");
    bencher.bench(|| black_box(&f.view).scan_floor_on(two));
}

#[divan::bench(sample_count = 30, sample_size = 1)]
fn full_suite_100k(bencher: Bencher) {
    let f = hundred_thousand();
    // Options are built inside (a few hundred nanoseconds): they may hold a
    // projection that is not `Sync`.
    bencher.bench(|| {
        f.view
            .report(black_box(f.as_of), &ReportOptions::default())
            .expect("report")
    });
}

#[divan::bench(sample_count = 100)]
fn single_open_nonconformities_100k(bencher: Bencher) {
    let f = hundred_thousand();
    let w = Window::year_to(f.as_of).expect("window");
    bencher.bench(|| f.view.open_nonconformities(black_box(&w)));
}

#[divan::bench(sample_count = 100)]
fn single_time_to_close_100k(bencher: Bencher) {
    let f = hundred_thousand();
    let w = Window::year_to(f.as_of).expect("window");
    bencher.bench(|| f.view.time_to_close(black_box(&w)));
}

#[divan::bench(sample_count = 100)]
fn single_overdue_actions_100k(bencher: Bencher) {
    let f = hundred_thousand();
    let w = Window::year_to(f.as_of).expect("window");
    bencher.bench(|| f.view.overdue_actions(black_box(&w)));
}

#[divan::bench(sample_count = 100)]
fn single_backlog_trend_100k(bencher: Bencher) {
    let f = hundred_thousand();
    let w = Window::year_to(f.as_of).expect("window");
    bencher.bench(|| f.view.backlog_trend(black_box(&w)));
}

/// `isms due`'s library query: every item of 100,000 generated
/// nonconformities (and their improvements) through a `DueList`, with no
/// filter, as of the register's end.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn due_list_100k(bencher: Bencher) {
    let f = hundred_thousand();
    let policy = isms_core::Policy::default();
    bencher.bench(|| {
        let mut due = isms_core::DueList::new(isms_core::DueQuery::new(f.as_of), &policy);
        for nc in f.register.nonconformities() {
            due.push(isms_core::ItemRef::Nonconformity(nc));
        }
        for imp in f.register.improvements() {
            due.push(isms_core::ItemRef::Improvement(imp));
        }
        black_box(due.finish().len())
    });
}
