//! Benchmarks of the SQLite event store, on events made by the real core
//! (whole nonconformity lifecycles, 10 events each).
//!
//! Run with `cargo bench -p isms-store-sqlite`. The 1,000,000-event store
//! is built once per run in a temporary directory and removed afterwards.
#![allow(clippy::print_stderr)]

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::Bencher;
use divan::counter::ItemsCount;
use isms_store::workload::{LIFECYCLE_EVENTS, Workload};
use isms_store::{AppendBatch, EventStore, ExpectedVersion, Selection, StreamAppend};
use isms_store_sqlite::{Durability, Options, SqliteStore};

const MILLION: usize = 1_000_000;

fn main() {
    divan::main();
    let _ = std::fs::remove_dir_all(bench_dir());
}

fn bench_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("isms-store-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn fresh(name: &str, options: Options) -> SqliteStore {
    let path = bench_dir().join(name);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    SqliteStore::create_with(&path, options).expect("create bench store")
}

/// `lifecycles` whole lifecycles as one batch (one stream each).
fn batch(workload: &mut Workload, lifecycles: usize) -> AppendBatch {
    let mut batch = AppendBatch::default();
    for _ in 0..lifecycles {
        let events = workload.lifecycle(Default::default()).expect("lifecycle");
        batch.appends.push(StreamAppend {
            stream: events[0].stream,
            expected: ExpectedVersion::NoStream,
            events,
        });
    }
    batch
}

/// Appends in batches of 1,000 events (100 lifecycles), hash chain
/// included; throughput in events per second.
#[divan::bench(sample_count = 300, sample_size = 1)]
fn append_batch_of_1000(bencher: Bencher) {
    let mut store = fresh("append.isms", Options::default());
    let mut workload = Workload::new();
    bencher
        .counter(ItemsCount::new(1000usize))
        .with_inputs(|| batch(&mut workload, 1000 / LIFECYCLE_EVENTS))
        .bench_local_values(|b| store.append(&b).expect("append"));
}

/// One command's event appended and committed on its own: the latency a
/// user waits for, with each durability setting.
#[divan::bench(args = ["process", "power_loss"], sample_count = 200, sample_size = 1)]
fn append_single_event(bencher: Bencher, durability: &str) {
    let durability = match durability {
        "power_loss" => Durability::PowerLoss,
        _ => Durability::Process,
    };
    let mut store = fresh(
        &format!("single-{durability:?}.isms"),
        Options::default().durability(durability),
    );
    let mut workload = Workload::new();
    bencher
        .with_inputs(|| workload.report(Default::default()).expect("report").1)
        .bench_local_values(|events| {
            store
                .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
                .expect("append")
        });
}

/// The 1,000,000-event store, built once.
fn million() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let started = std::time::Instant::now();
        let mut store = fresh("million.isms", Options::default());
        let mut workload = Workload::new();
        for _ in 0..MILLION / 1000 {
            store
                .append(&batch(&mut workload, 1000 / LIFECYCLE_EVENTS))
                .expect("append");
        }
        let path = store.path().to_owned();
        store.close().expect("close");
        let bytes = std::fs::metadata(&path).expect("size").len();
        eprintln!(
            "built a {MILLION}-event store in {:.1} s: {bytes} bytes, {:.0} bytes per event",
            started.elapsed().as_secs_f64(),
            bytes as f64 / MILLION as f64
        );
        path
    })
}

/// Loads all 1,000,000 events and folds them into the register.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn load_and_fold_1m(bencher: Bencher) {
    let store = SqliteStore::open(million()).expect("open");
    bencher.bench_local(|| {
        let register = store.fold(Selection::All).expect("fold");
        assert_eq!(register.events_applied(), MILLION as u64);
        register
    });
}

/// Verifies the hash chain of 1,000,000 events.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn verify_1m(bencher: Bencher) {
    let store = SqliteStore::open(million()).expect("open");
    bencher.bench_local(|| store.verify().expect("verify"));
}

/// The full check of `isms verify` on the same store: SQLite's
/// `quick_check`, the chain, every body decoded as its row's event, and
/// every claim looked up in the index.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn verify_full_1m(bencher: Bencher) {
    let store = SqliteStore::open(million()).expect("open");
    bencher.bench_local(|| store.verify_full(&[], None).expect("verify_full"));
}
