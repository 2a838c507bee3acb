//! The bulk load (`SqliteStore::bulk_load`): the same file as appends
//! make, the same rules, and a target that appears complete or not at all,
//! even when the loading process is killed.

use std::path::Path;

use isms_core::Event;
use isms_store::append::PreparedBatch;
use isms_store::workload::Workload;
use isms_store::{
    AppendBatch, AppendError, EventStore, ExpectedVersion, ItemFilter, ItemKind, OpenError,
    StreamAppend,
};
use isms_store_sqlite::SqliteStore;

use crate::support::{TempDir, raw, started_stress};

/// Batches of several streams each, where every stream is continued in a
/// later batch than the one that created it (its events split in two), and
/// some nonconformities stay open.
fn batches() -> Vec<AppendBatch> {
    let mut workload = Workload::new();
    let mut streams: Vec<Vec<Event>> = Vec::new();
    for _ in 0..12 {
        streams.push(workload.lifecycle(Default::default()).unwrap());
    }
    for _ in 0..5 {
        streams.push(workload.report(Default::default()).unwrap().1);
    }
    let mut out = Vec::new();
    for group in streams.chunks(4) {
        let mut first = AppendBatch::default();
        let mut rest = AppendBatch::default();
        for events in group {
            let cut = events.len().div_ceil(2);
            first.appends.push(StreamAppend {
                stream: events[0].stream,
                expected: ExpectedVersion::NoStream,
                events: events[..cut].to_vec(),
            });
            if cut < events.len() {
                rest.appends.push(StreamAppend {
                    stream: events[0].stream,
                    expected: ExpectedVersion::from_version(cut as u64),
                    events: events[cut..].to_vec(),
                });
            }
        }
        out.push(first);
        if !rest.appends.is_empty() {
            out.push(rest);
        }
    }
    out
}

/// Every row of a table, as text, in a stable order.
fn rows(path: &Path, sql: &str) -> Vec<String> {
    let conn = raw(path);
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        let mut row = Vec::new();
        for i in 0..n {
            let v: rusqlite::types::Value = r.get(i)?;
            row.push(format!("{v:?}"));
        }
        Ok(row.join("|"))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn leftovers(dir: &TempDir) -> Vec<String> {
    std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn a_bulk_load_writes_the_file_appends_write() {
    let dir = TempDir::new("bulk-same");
    let (appended, loaded) = (dir.file("appended.db"), dir.file("loaded.db"));
    let mut store = SqliteStore::create(&appended).unwrap();
    let mut load = SqliteStore::bulk_load(&loaded).unwrap();
    // Every other batch prepared first, as `isms generate` prepares them on
    // its generating thread.
    for (k, batch) in batches().into_iter().enumerate() {
        let a = store.append(&batch).unwrap();
        let b = if k % 2 == 0 {
            load.append(&batch).unwrap()
        } else {
            load.append_prepared(&PreparedBatch::new(batch).unwrap())
                .unwrap()
        };
        assert_eq!(a, b, "the same positions and chain hashes");
    }
    assert!(!loaded.exists(), "nothing at the target before finish");
    let loaded_store = load.finish().unwrap();
    assert_eq!(store.head().unwrap(), loaded_store.head().unwrap());
    loaded_store.verify_full(&[], None).unwrap();
    assert_eq!(
        loaded_store.check_projections().unwrap(),
        store.check_projections().unwrap()
    );
    // The first check after the load has nothing to walk, and holds.
    loaded_store.verify_tail(&[]).unwrap();
    for kind in [ItemKind::Nonconformity, ItemKind::Improvement] {
        let filter = ItemFilter {
            kind,
            ..ItemFilter::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        store.list_items(&filter, &mut |i| a.push(i)).unwrap();
        loaded_store
            .list_items(&filter, &mut |i| b.push(i))
            .unwrap();
        assert_eq!(a, b);
    }
    store.close().unwrap();
    loaded_store.close().unwrap();
    // Row for row, table for table (the items' rowids aside).
    for sql in [
        "SELECT * FROM events ORDER BY position",
        "SELECT * FROM claims ORDER BY claim",
        "SELECT stream, kind, number, state, owner, severity, next_due, version, position, body
         FROM items ORDER BY kind, number",
        "SELECT * FROM kpi_facts ORDER BY kind, number",
        "SELECT * FROM chain_head",
        "PRAGMA user_version",
        "PRAGMA application_id",
        "PRAGMA journal_mode",
    ] {
        assert_eq!(rows(&appended, sql), rows(&loaded, sql), "{sql}");
    }
    // And it goes on as a store: the next append lands on both alike.
    let mut a = SqliteStore::open(&appended).unwrap();
    let mut b = SqliteStore::open(&loaded).unwrap();
    let stored = a.load_all().unwrap();
    let events = Workload::from_events(stored.iter().map(|e| &e.event))
        .lifecycle(Default::default())
        .unwrap();
    let stream = events[0].stream;
    let batch = AppendBatch::single(stream, ExpectedVersion::NoStream, events);
    assert_eq!(a.append(&batch).unwrap(), b.append(&batch).unwrap());
    b.verify_full(&[], None).unwrap();
    let mut names = leftovers(&dir);
    names.retain(|n| n.contains("loading"));
    assert!(names.is_empty(), "temporary files left: {names:?}");
}

#[test]
fn a_refused_batch_ends_the_load_and_nothing_appears() {
    let dir = TempDir::new("bulk-refused");
    let path = dir.file("r.db");
    let mut load = SqliteStore::bulk_load(&path).unwrap();
    let batches = batches();
    load.append(&batches[0]).unwrap();
    // The same new streams again: the rules refuse it, as an append would.
    let err = load.append(&batches[0]).unwrap_err();
    assert!(matches!(err, AppendError::Conflict { .. }), "{err:?}");
    // The load is over: a good batch is refused too, and so is finishing.
    let err = load.append(&batches[1]).unwrap_err();
    assert!(err.to_string().contains("abandoned"), "{err}");
    let err = load.finish().unwrap_err();
    assert!(err.to_string().contains("abandoned"), "{err}");
    assert!(!path.exists());
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn a_load_dropped_before_finishing_leaves_nothing() {
    let dir = TempDir::new("bulk-dropped");
    let path = dir.file("d.db");
    let mut load = SqliteStore::bulk_load(&path).unwrap();
    load.append(&batches()[0]).unwrap();
    drop(load);
    assert!(!path.exists());
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
}

#[test]
fn a_load_never_touches_an_existing_file() {
    let dir = TempDir::new("bulk-existing");
    let path = dir.file("e.db");
    std::fs::write(&path, b"somebody's notes").unwrap();
    let err = SqliteStore::bulk_load(&path).unwrap_err();
    assert!(matches!(err, OpenError::AlreadyExists { .. }), "{err:?}");
    // A file that appears while the load runs is not replaced either.
    let other = dir.file("late.db");
    let mut load = SqliteStore::bulk_load(&other).unwrap();
    load.append(&batches()[0]).unwrap();
    std::fs::write(&other, b"written meanwhile").unwrap();
    let err = load.finish().unwrap_err();
    assert!(matches!(err, OpenError::AlreadyExists { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"somebody's notes");
    assert_eq!(std::fs::read(&other).unwrap(), b"written meanwhile");
    let mut names = leftovers(&dir);
    names.sort();
    assert_eq!(names, ["e.db", "late.db"]);
}

#[test]
fn a_load_killed_midway_never_shows_at_the_target() {
    let dir = TempDir::new("bulk-kill");
    let path = dir.file("k.db");
    for round in 0..5 {
        let mut child = started_stress(
            &["bulk", path.to_str().unwrap()],
            &format!("round {round}: the load"),
        );
        std::thread::sleep(std::time::Duration::from_millis(20 * round));
        child.kill().unwrap(); // SIGKILL on Unix
        assert!(!child.wait().unwrap().success());
        assert!(!path.exists(), "round {round}: a killed load left a target");
        // What it leaves is its temporary file, which is not a register
        // anybody opens by the target's name; a new load starts afresh.
        let names = leftovers(&dir);
        assert!(
            names.iter().all(|n| n.starts_with("k.db.loading-")),
            "round {round}: {names:?}"
        );
    }
    let mut load = SqliteStore::bulk_load(&path).unwrap();
    load.append(&batches()[0]).unwrap();
    load.finish().unwrap().verify_full(&[], None).unwrap();
}
