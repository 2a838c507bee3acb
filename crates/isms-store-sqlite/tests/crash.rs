//! A writer killed with SIGKILL at random points: after restart every batch
//! is wholly present or wholly absent, the chain verifies, and the
//! projections (item states, KPI facts) equal a fresh fold of the log: they
//! are written in the append's transaction, so no kill falls between them.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use isms_core::EventPayload;
use isms_store::EventStore;
use isms_store::workload::LIFECYCLE_EVENTS;
use isms_store_sqlite::SqliteStore;

use crate::support::{Rng, TempDir, started_stress};

/// Checks the whole store; returns the number of complete batches.
fn check(path: &Path) -> usize {
    let store = SqliteStore::open(path).unwrap();
    let verified = store.verify().unwrap();
    let items = store
        .check_projections()
        .unwrap_or_else(|e| panic!("projections after a kill: {e}"));
    let events = store.load_all().unwrap();
    assert_eq!(events.len() as u64, verified.events);
    // Positions gapless; sequences gapless per stream; every lifecycle
    // complete.
    let mut per_stream: BTreeMap<_, Vec<u64>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1);
        per_stream
            .entry(e.event.stream)
            .or_default()
            .push(e.event.sequence);
    }
    for (stream, seqs) in &per_stream {
        let expected: Vec<u64> = (1..=LIFECYCLE_EVENTS as u64).collect();
        assert_eq!(seqs, &expected, "stream {stream} is incomplete");
    }
    // Every batch holds exactly the lifecycles it announced.
    let mut batches: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    for e in &events {
        if let EventPayload::NonconformityReported { extensions, .. } = &e.event.payload {
            let batch = extensions["batch"].as_u64().unwrap();
            let size = extensions["lifecycles"].as_u64().unwrap();
            let entry = batches.entry(batch).or_insert((size, 0));
            assert_eq!(entry.0, size);
            entry.1 += 1;
        }
    }
    for (batch, (size, found)) in &batches {
        assert_eq!(size, found, "batch {batch} is partly present");
    }
    // Batches are numbered without holes: a killed batch is absent and its
    // number is reused by the next run.
    assert!(batches.keys().copied().eq(0..batches.len() as u64));
    assert_eq!(
        items as usize,
        per_stream.len(),
        "one projected item per stream"
    );
    batches.len()
}

#[test]
fn a_writer_killed_mid_batch_leaves_whole_batches_and_a_valid_chain() {
    let dir = TempDir::new("kill");
    let path = dir.file("s.isms");
    SqliteStore::create(&path).unwrap().close().unwrap();
    let mut rng = Rng::seeded();
    let mut last = 0;
    let mut grew = 0;
    for round in 0..30 {
        let mut child = started_stress(
            &["batches", path.to_str().unwrap(), "w1"],
            &format!("round {round}: the writer"),
        );
        std::thread::sleep(Duration::from_micros(rng.below(60_000)));
        child.kill().unwrap(); // SIGKILL on Unix
        let status = child.wait().unwrap();
        assert!(
            !status.success(),
            "round {round}: the writer was not killed"
        );
        let batches = check(&path);
        assert!(batches >= last, "round {round}: batches were lost");
        if batches > last {
            grew += 1;
        }
        last = batches;
    }
    assert!(grew > 0, "the writer never committed a batch");
    eprintln!("{last} batches survived 30 kills");
}
