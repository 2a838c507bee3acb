//! The workload of the `append_batch_of_1000` benchmark (batches of 100
//! whole lifecycles, 1,000 events, projections maintained), timed per batch
//! both by the wall clock and by the appending thread's CPU time, so that
//! the store can be compared with `scripts/append_anchor.py` (which prints
//! the same three figures) on a machine shared with other work, where the
//! wall clock mostly measures waiting for a core.
//!
//! ```text
//! cargo run --release -p isms-store-sqlite --example append_cpu -- [BATCHES]   # default 300
//! ```
//!
//! The batches are made before the timing starts. The CPU time is the
//! appending thread's (Linux `/proc/thread-self/schedstat`): the store's
//! background checkpoints run on a thread of their own and are not in it;
//! run the program under `/usr/bin/time` for the whole process.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::time::Instant;

use isms_store::workload::{LIFECYCLE_EVENTS, Workload};
use isms_store::{AppendBatch, EventStore, ExpectedVersion, StreamAppend};
use isms_store_sqlite::{Options, SqliteStore};

/// The calling thread's CPU time in nanoseconds, where Linux tells it.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batches: usize = match std::env::args().nth(1) {
        Some(a) => a.parse()?,
        None => 300,
    };
    let dir = std::env::temp_dir().join(format!("isms-append-cpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut store = SqliteStore::create_with(dir.join("append.isms"), Options::default())?;
    let mut workload = Workload::new();
    let mut all = Vec::with_capacity(batches);
    for _ in 0..batches {
        let mut batch = AppendBatch::default();
        for _ in 0..1000 / LIFECYCLE_EVENTS {
            let events = workload.lifecycle(Default::default())?;
            batch.appends.push(StreamAppend {
                stream: events[0].stream,
                expected: ExpectedVersion::NoStream,
                events,
            });
        }
        all.push(batch);
    }
    let mut wall = Vec::with_capacity(batches);
    let mut cpu = 0u64;
    let mut cpu_known = true;
    for batch in &all {
        let before = thread_cpu_ns();
        let started = Instant::now();
        store.append(batch)?;
        wall.push(started.elapsed().as_secs_f64());
        match (before, thread_cpu_ns()) {
            (Some(b), Some(a)) => cpu += a.saturating_sub(b),
            _ => cpu_known = false,
        }
    }
    store.close()?;
    std::fs::remove_dir_all(&dir)?;
    let events = (batches * 1000) as f64;
    let mut sorted = wall.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN);
    let per_cpu = if cpu_known && cpu > 0 {
        format!("{:.0}", events / (cpu as f64 / 1e9))
    } else {
        "null".to_owned()
    };
    println!(
        "{{\"batches\": {batches}, \"mean_events_per_s\": {:.0}, \"median_events_per_s\": {:.0}, \"mean_events_per_cpu_s\": {per_cpu}}}",
        events / wall.iter().sum::<f64>(),
        1000.0 / median,
    );
    Ok(())
}
