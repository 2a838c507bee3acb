//! The reference index (schema version 2): look-ups by human reference,
//! and the migration of a version-1 file on open.

use isms_store::workload::Workload;
use isms_store::{EventStore, ExpectedVersion, Selection, StoreError};
use isms_store_sqlite::{Options, SCHEMA_VERSION, SqliteStore};

use crate::support::{TempDir, fill};

/// Turns a current store file back into what schema version 1 wrote: the
/// same log without the index table and its trigger.
fn downgrade_to_v1(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TRIGGER events_stream_ref; DROP TABLE stream_refs; PRAGMA user_version = 1;",
    )
    .unwrap();
}

fn user_version(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap()
}

#[test]
fn every_reported_item_is_found_by_its_reference() {
    let dir = TempDir::new("refs");
    let mut store = SqliteStore::create(dir.file("refs.db")).unwrap();
    let mut workload = Workload::new();
    let events = fill(&mut store, &mut workload, 12);
    for nc in workload.register().nonconformities() {
        let stream = store
            .find_stream_by_reference(&nc.reference.to_string())
            .unwrap();
        assert_eq!(stream, Some(isms_core::StreamId::Nonconformity(nc.id)));
        let history = store.load(Selection::Stream(stream.unwrap())).unwrap();
        let expected: Vec<_> = events
            .iter()
            .filter(|e| e.stream == stream.unwrap())
            .collect();
        assert_eq!(history.len(), expected.len());
        assert!(history.iter().zip(expected).all(|(s, e)| &s.event == e));
    }
    assert_eq!(store.find_stream_by_reference("NC-0013").unwrap(), None);
    assert_eq!(store.find_stream_by_reference("nc-0001").unwrap(), None);
}

#[test]
fn a_version_1_file_is_migrated_on_open_and_indexed() {
    let dir = TempDir::new("refs-migrate");
    let path = dir.file("v1.db");
    let mut workload = Workload::new();
    {
        let mut store = SqliteStore::create(&path).unwrap();
        fill(&mut store, &mut workload, 5);
    }
    downgrade_to_v1(&path);
    assert_eq!(user_version(&path), 1);

    // Read-only cannot migrate: a typed refusal, nothing written.
    let err = SqliteStore::open_with(&path, Options::default().read_only(true)).unwrap_err();
    assert!(
        matches!(err, StoreError::OlderSchemaReadOnly { found: 1, .. }),
        "{err:?}"
    );
    assert_eq!(user_version(&path), 1);

    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), i64::from(SCHEMA_VERSION));
    assert_eq!(SCHEMA_VERSION, 2);
    for (i, nc) in workload.register().nonconformities().iter().enumerate() {
        assert_eq!(nc.reference.to_string(), format!("NC-{:04}", i + 1));
        assert_eq!(
            store
                .find_stream_by_reference(&nc.reference.to_string())
                .unwrap(),
            Some(isms_core::StreamId::Nonconformity(nc.id))
        );
    }
    // Events appended after the migration are indexed by the trigger.
    let more = workload.lifecycle(Default::default()).unwrap();
    let stream = more[0].stream;
    store
        .append_to_stream(stream, ExpectedVersion::NoStream, more)
        .unwrap();
    assert_eq!(
        store.find_stream_by_reference("NC-0006").unwrap(),
        Some(stream)
    );
    // The index is not part of the chain: the log still verifies.
    store.verify().unwrap();
}
