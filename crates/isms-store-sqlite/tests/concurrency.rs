//! Two processes writing the same database at once: no lost or duplicated
//! events; losers of a version race retry.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use isms_core::{EventPayload, StreamId};
use isms_store::workload::Workload;
use isms_store::{EventStore, ExpectedVersion};
use isms_store_sqlite::SqliteStore;

use crate::support::{TempDir, stress_bin};

#[test]
fn two_processes_contending_for_the_same_streams_lose_nothing() {
    let dir = TempDir::new("contend");
    let path = dir.file("s.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    let mut workload = Workload::new();
    let mut ncs = Vec::new();
    for _ in 0..3 {
        let (id, events) = workload.report(Default::default()).unwrap();
        store
            .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .unwrap();
        ncs.push(id.to_string());
    }
    let initial = store.head().unwrap().position;
    const OPS: u64 = 150;
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|w| {
            Command::new(stress_bin())
                .args(["contend", path.to_str().unwrap(), w, &OPS.to_string()])
                .args(&ncs)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    let summaries: Vec<serde_json::Value> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "a writer failed");
            serde_json::from_slice(&out.stdout).unwrap()
        })
        .collect();

    let verified = store.verify().unwrap();
    let events = store.load_all().unwrap();
    let appended: u64 = summaries
        .iter()
        .map(|s| s["appended"].as_u64().unwrap())
        .sum();
    let retries: u64 = summaries
        .iter()
        .map(|s| s["retries"].as_u64().unwrap())
        .sum();
    assert_eq!(verified.events, initial + appended, "{summaries:?}");

    // Each operation appears once if it was reported appended, never if the
    // writer gave up on it.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut per_stream: BTreeMap<StreamId, Vec<u64>> = BTreeMap::new();
    for e in &events {
        per_stream
            .entry(e.event.stream)
            .or_default()
            .push(e.event.sequence);
        if let EventPayload::ContainmentRecorded { action_taken, .. } = &e.event.payload {
            *seen.entry(action_taken.clone()).or_default() += 1;
        }
    }
    for seqs in per_stream.values() {
        assert!(seqs.iter().copied().eq(1..=seqs.len() as u64));
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "an operation was duplicated"
    );
    for s in &summaries {
        let writer = s["writer"].as_str().unwrap();
        let gave_up: Vec<u64> = s["gave_up"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        for op in 0..OPS {
            let key = format!("{writer}-{op}");
            let expected = usize::from(!gave_up.contains(&op));
            assert_eq!(seen.get(&key).copied().unwrap_or(0), expected, "{key}");
        }
    }
    eprintln!("two writers: {appended} appended, {retries} retries after conflicts");
}

#[test]
fn two_batch_writers_at_once_interleave_whole_batches() {
    let dir = TempDir::new("two-writers");
    let path = dir.file("s.isms");
    SqliteStore::create(&path).unwrap().close().unwrap();
    let mut children: Vec<_> = ["x", "y"]
        .iter()
        .map(|w| {
            Command::new(stress_bin())
                .args(["batches", path.to_str().unwrap(), w])
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    // Let both commit (SQLite's busy handler is not fair, so one writer
    // can wait a while), then kill both mid-flight.
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(20) {
        std::thread::sleep(std::time::Duration::from_millis(200));
        if writers_present(&path) == 2 {
            break;
        }
    }
    for c in &mut children {
        c.kill().unwrap();
        c.wait().unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    store.verify().unwrap();
    let events = store.load_all().unwrap();
    let mut batches: BTreeMap<(String, u64), (u64, u64)> = BTreeMap::new();
    for e in &events {
        if let EventPayload::NonconformityReported { extensions, .. } = &e.event.payload {
            let key = (
                extensions["writer"].as_str().unwrap().to_owned(),
                extensions["batch"].as_u64().unwrap(),
            );
            let size = extensions["lifecycles"].as_u64().unwrap();
            batches.entry(key).or_insert((size, 0)).1 += 1;
        }
    }
    assert!(batches.values().all(|(size, n)| size == n));
    let writers: std::collections::BTreeSet<_> = batches.keys().map(|k| k.0.clone()).collect();
    assert_eq!(writers.len(), 2, "both writers should have committed");
}

fn writers_present(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn.query_row(
        "SELECT count(DISTINCT json_extract(body, '$.payload.extensions.writer')) FROM events
         WHERE json_extract(body, '$.payload.type') = 'nonconformity_reported.v1'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}
