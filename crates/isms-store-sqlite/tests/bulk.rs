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
use isms_store_sqlite::{BulkLoad, SqliteStore};

use crate::support::{TempDir, raw, started_stress};

/// Batches of several streams each, where every stream is continued in a
/// later batch than the one that created it (its events split in two), and
/// some nonconformities stay open.
fn batches() -> Vec<AppendBatch> {
    batches_of(12)
}

/// [`batches`] with `lifecycles` whole lifecycles.
fn batches_of(lifecycles: usize) -> Vec<AppendBatch> {
    let mut workload = Workload::new();
    let mut streams: Vec<Vec<Event>> = Vec::new();
    for _ in 0..lifecycles {
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
/// Finishes `load` and checks it against `store`, which appended the same
/// batches: the loaded chain verifies, the projections check alike, and
/// each of `sqls` reads the same rows from both files once they are closed.
fn finish_as_appended(
    load: BulkLoad,
    store: SqliteStore,
    (appended, loaded): (&Path, &Path),
    sqls: &[&str],
) {
    let loaded_store = load.finish().unwrap();
    loaded_store.verify_full(&[], None).unwrap();
    assert_eq!(
        loaded_store.check_projections().unwrap(),
        store.check_projections().unwrap()
    );
    store.close().unwrap();
    loaded_store.close().unwrap();
    for sql in sqls {
        assert_eq!(rows(appended, sql), rows(loaded, sql), "{sql}");
    }
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
        "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
        "PRAGMA integrity_check",
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

/// The claims are written when a load finishes, many to a statement: a
/// load with several statements' worth, and some left over, indexes
/// exactly what appends index.
#[test]
fn a_load_of_many_claims_indexes_them_as_appends_do() {
    let dir = TempDir::new("bulk-claims");
    let (appended, loaded) = (dir.file("appended.db"), dir.file("loaded.db"));
    let mut store = SqliteStore::create(&appended).unwrap();
    let mut load = SqliteStore::bulk_load(&loaded).unwrap();
    for batch in batches_of(300) {
        let a = store.append(&batch).unwrap();
        let b = load
            .append_prepared(&PreparedBatch::new(batch).unwrap())
            .unwrap();
        assert_eq!(a, b);
    }
    finish_as_appended(
        load,
        store,
        (&appended, &loaded),
        &[
            "SELECT * FROM claims ORDER BY claim",
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
            "PRAGMA integrity_check",
        ],
    );
    let claims = rows(&appended, "SELECT * FROM claims ORDER BY claim");
    assert!(
        claims.len() > 3 * 128,
        "several statements' worth of claims, and a remainder: {}",
        claims.len()
    );
}

/// A prepared batch's events are written many to a statement once it is
/// planned: a batch of several statements' worth, and some left over, is
/// written as appends write it, and its continued streams fold from it.
#[test]
fn a_large_prepared_batch_is_written_as_appends_write_it() {
    let dir = TempDir::new("bulk-large");
    let (appended, loaded) = (dir.file("appended.db"), dir.file("loaded.db"));
    let mut store = SqliteStore::create(&appended).unwrap();
    let mut load = SqliteStore::bulk_load(&loaded).unwrap();
    // All the first halves in one batch, all the second halves in another.
    let mut first = AppendBatch::default();
    let mut rest = AppendBatch::default();
    for batch in batches_of(40) {
        let into = if batch.appends[0].expected == ExpectedVersion::NoStream {
            &mut first
        } else {
            &mut rest
        };
        into.appends.extend(batch.appends);
    }
    assert!(
        first.len() > 3 * 32 && first.len() % 32 != 0,
        "{}",
        first.len()
    );
    for batch in [first, rest] {
        let a = store.append(&batch).unwrap();
        let b = load
            .append_prepared(&PreparedBatch::new(batch).unwrap())
            .unwrap();
        assert_eq!(a, b);
    }
    finish_as_appended(
        load,
        store,
        (&appended, &loaded),
        &[
            "SELECT * FROM events ORDER BY position",
            "SELECT stream, kind, number, state, owner, severity, next_due, version, position, body
             FROM items ORDER BY kind, number",
            "PRAGMA integrity_check",
        ],
    );
}

#[test]
fn a_batch_built_event_by_event_is_loaded_as_appends_write_it() {
    let dir = TempDir::new("bulk-built");
    let (appended, loaded) = (dir.file("appended.db"), dir.file("loaded.db"));
    let mut store = SqliteStore::create(&appended).unwrap();
    let mut load = SqliteStore::bulk_load(&loaded).unwrap();
    // As `isms generate` builds them: each event pushed as it is decided,
    // the new items' rows laid out from a register that has folded them.
    // Every other batch is finished without the items: their rows are
    // folded from the log the load has just written.
    let mut register = isms_core::Register::new();
    let mut spent = None;
    for (k, batch) in batches().into_iter().enumerate() {
        let a = store.append(&batch).unwrap();
        let mut builder = PreparedBatch::builder(spent.take());
        for e in batch.appends.iter().flat_map(|a| &a.events) {
            builder.push(e).unwrap();
            register.apply(e);
        }
        let built = if k % 2 == 0 {
            builder.finish(&|stream| register.item(stream)).unwrap()
        } else {
            builder.finish(&|_| None).unwrap()
        };
        let b = load.append_prepared(&built).unwrap();
        assert_eq!(a, b, "the same positions and chain hashes");
        spent = Some(built);
    }
    finish_as_appended(
        load,
        store,
        (&appended, &loaded),
        &[
            "SELECT * FROM events ORDER BY position",
            "SELECT stream, kind, number, state, owner, severity, next_due, version, position, body
             FROM items ORDER BY kind, number",
            "SELECT * FROM kpi_facts ORDER BY kind, number",
            "SELECT * FROM claims ORDER BY kind, number, claim",
            "PRAGMA integrity_check",
        ],
    );
}

/// This process's threads' names (Linux: `/proc/self/task/*/comm`, cut to
/// 15 bytes by the kernel).
fn thread_names() -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|n| n.trim_end().to_owned())
        .collect()
}

/// Longer than the load's write-back interval (250 ms), so that its thread
/// syncs the file and drops it from the page cache between batches.
const PAST_A_WRITE_BACK: std::time::Duration = std::time::Duration::from_millis(400);

#[test]
fn a_load_written_back_between_batches_is_the_file_appends_write() {
    let dir = TempDir::new("bulk-write-back");
    let (appended, loaded) = (dir.file("appended.db"), dir.file("loaded.db"));
    let mut store = SqliteStore::create(&appended).unwrap();
    let mut load = SqliteStore::bulk_load(&loaded).unwrap();
    if cfg!(target_os = "linux") {
        // The thread names itself once it runs: wait for that, not for it
        // to have done anything.
        let started = std::time::Instant::now();
        while !thread_names().iter().any(|n| n == "isms-load-write") {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "no write-back thread during a load: {:?}",
                thread_names()
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    for batch in batches() {
        std::thread::sleep(PAST_A_WRITE_BACK);
        assert_eq!(
            store.append(&batch).unwrap(),
            load.append_prepared(&PreparedBatch::new(batch).unwrap())
                .unwrap()
        );
    }
    finish_as_appended(
        load,
        store,
        (&appended, &loaded),
        &[
            "SELECT * FROM events ORDER BY position",
            "SELECT * FROM claims ORDER BY claim",
            "SELECT * FROM kpi_facts ORDER BY kind, number",
            "SELECT * FROM chain_head",
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
            "PRAGMA integrity_check",
        ],
    );

    // A load dropped while its write-back runs leaves nothing either.
    let dropped = dir.file("dropped.db");
    let mut load = SqliteStore::bulk_load(&dropped).unwrap();
    load.append(&batches()[0]).unwrap();
    std::thread::sleep(PAST_A_WRITE_BACK);
    drop(load);
    assert!(!dropped.exists());
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
    // A new load removes what the killed one left, and finishes.
    let mut left: Vec<_> = leftovers(&dir).into_iter().map(|n| dir.file(&n)).collect();
    left.sort();
    let mut load = SqliteStore::bulk_load(&path).unwrap();
    assert_eq!(load.removed_abandoned(), left.as_slice());
    load.append(&batches()[0]).unwrap();
    load.finish().unwrap().verify_full(&[], None).unwrap();
    let names = leftovers(&dir);
    assert!(names.iter().all(|n| !n.contains("loading")), "{names:?}");
}

/// What interrupted loads leave is removed by the next load into the same
/// target, and nothing else is: not the file of a load still running in
/// another process, not files that only look like a load's.
#[test]
fn a_new_load_removes_only_what_interrupted_loads_left() {
    let dir = TempDir::new("bulk-abandoned");
    let path = dir.file("a.db");
    let mut running = started_stress(&["bulk", path.to_str().unwrap()], "the running load");
    let theirs = leftovers(&dir);
    assert_eq!(theirs.len(), 1, "{theirs:?}");
    let load = SqliteStore::bulk_load(&path).unwrap();
    assert!(
        load.removed_abandoned().is_empty(),
        "a running load's file was removed: {:?}",
        load.removed_abandoned()
    );
    drop(load);
    assert_eq!(
        leftovers(&dir),
        theirs,
        "the running load's file is still there"
    );
    running.kill().unwrap();
    assert!(!running.wait().unwrap().success());

    // Files that only look like a load's stay: a name without a process
    // id, a file that is not SQLite, and another program's SQLite file.
    std::fs::write(dir.file("a.db.loading-notes"), b"somebody's notes").unwrap();
    std::fs::write(dir.file("a.db.loading-4242424"), b"not a database").unwrap();
    let foreign = dir.file("a.db.loading-4242425");
    let conn = rusqlite::Connection::open(&foreign).unwrap();
    conn.execute_batch("PRAGMA application_id = 7; CREATE TABLE t (x)")
        .unwrap();
    drop(conn);
    // And an empty one, as a load killed before its first write leaves.
    std::fs::write(dir.file("a.db.loading-4242426"), b"").unwrap();

    let mut load = SqliteStore::bulk_load(&path).unwrap();
    let mut expected = vec![dir.file(&theirs[0]), dir.file("a.db.loading-4242426")];
    expected.sort();
    assert_eq!(load.removed_abandoned(), expected.as_slice());
    load.append(&batches()[0]).unwrap();
    load.finish().unwrap().close().unwrap();
    let mut names = leftovers(&dir);
    names.retain(|n| n.contains("loading"));
    names.sort();
    assert_eq!(
        names,
        [
            "a.db.loading-4242424",
            "a.db.loading-4242425",
            "a.db.loading-notes"
        ]
    );
}

fn pragma(path: &Path, name: &str) -> String {
    rows(path, &format!("PRAGMA {name}")).join(",")
}

/// A bulk-loaded file has larger pages than one made by `create`, and
/// SQLite's backup API cannot change the page size of a store in WAL
/// mode: a restore between the two, in either direction, changes the
/// target's page size and leaves it in WAL.
#[test]
fn a_restore_between_page_sizes_works_both_ways() {
    let dir = TempDir::new("bulk-pages");
    let batches = batches();
    let (small, large) = (dir.file("small.db"), dir.file("large.db"));
    // A 4 KiB register holding the first two batches, and a bulk-loaded
    // one holding them all: the second extends the first.
    let mut store = SqliteStore::create(&small).unwrap();
    for batch in &batches[..2] {
        store.append(batch).unwrap();
    }
    store.close().unwrap();
    let mut load = SqliteStore::bulk_load(&large).unwrap();
    for batch in &batches {
        load.append(batch).unwrap();
    }
    let full = load.finish().unwrap();
    let head = full.head().unwrap();
    full.close().unwrap();
    assert_eq!(pragma(&small, "page_size"), "Integer(4096)");
    assert_eq!(pragma(&large, "page_size"), "Integer(32768)");

    let report = SqliteStore::restore(&large, &small).unwrap();
    assert_eq!(report.restored.head, head);
    assert_eq!(pragma(&small, "page_size"), "Integer(32768)");
    assert_eq!(pragma(&small, "journal_mode"), "Text(\"wal\")");
    let restored = SqliteStore::open(&small).unwrap();
    restored.verify_full(&[], None).unwrap();
    restored.check_projections().unwrap();
    restored.close().unwrap();

    // The other way: a bulk-loaded register holding the first two
    // batches, restored from a 4 KiB one holding them all.
    let (early, late) = (dir.file("early.db"), dir.file("late.db"));
    let mut load = SqliteStore::bulk_load(&early).unwrap();
    for batch in &batches[..2] {
        load.append(batch).unwrap();
    }
    load.finish().unwrap().close().unwrap();
    let mut store = SqliteStore::create(&late).unwrap();
    for batch in &batches {
        store.append(batch).unwrap();
    }
    store.close().unwrap();
    let report = SqliteStore::restore(&late, &early).unwrap();
    assert_eq!(report.restored.head, head);
    assert_eq!(pragma(&early, "page_size"), "Integer(4096)");
    assert_eq!(pragma(&early, "journal_mode"), "Text(\"wal\")");
    SqliteStore::open(&early)
        .unwrap()
        .verify_full(&[], None)
        .unwrap();

    // Into a target that does not exist yet, and as a backup: the copy
    // takes the source's page size.
    let fresh = dir.file("fresh.db");
    SqliteStore::restore(&large, &fresh).unwrap();
    assert_eq!(pragma(&fresh, "page_size"), "Integer(32768)");
    let copy = dir.file("copy.db");
    SqliteStore::open(&large).unwrap().backup_to(&copy).unwrap();
    assert_eq!(pragma(&copy, "page_size"), "Integer(32768)");
}

/// Changing the page size needs the target to leave WAL, which SQLite
/// refuses while another connection has it open: the restore then changes
/// nothing and says what to do.
#[test]
fn a_restore_that_changes_the_page_size_waits_for_other_users_to_close() {
    let dir = TempDir::new("bulk-pages-busy");
    let batches = batches();
    let (small, large) = (dir.file("small.db"), dir.file("large.db"));
    let mut store = SqliteStore::create(&small).unwrap();
    store.append(&batches[0]).unwrap();
    let before = store.head().unwrap();
    let mut load = SqliteStore::bulk_load(&large).unwrap();
    for batch in &batches {
        load.append(batch).unwrap();
    }
    load.finish().unwrap().close().unwrap();

    // `store` stays open, as another process's would.
    let err = SqliteStore::restore(&large, &small).unwrap_err();
    assert!(
        matches!(
            err,
            isms_store::BackupError::PageSizeInUse {
                backup: 32768,
                target: 4096,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("close them and restore again"),
        "{err}"
    );
    assert_eq!(store.head().unwrap(), before, "nothing was restored");
    store.verify_full(&[], None).unwrap();
    assert_eq!(pragma(&small, "page_size"), "Integer(4096)");
    assert_eq!(pragma(&small, "journal_mode"), "Text(\"wal\")");
    // No copy of the target was kept: it was not replaced.
    let mut names = leftovers(&dir);
    names.retain(|n| n.starts_with("small.db"));
    names.sort();
    assert_eq!(names, ["small.db", "small.db-shm", "small.db-wal"]);
    store.close().unwrap();

    SqliteStore::restore(&large, &small).unwrap();
    assert_eq!(pragma(&small, "page_size"), "Integer(32768)");
}
