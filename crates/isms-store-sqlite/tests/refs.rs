//! The claims index (schema version 3; version 2 had a reference index):
//! look-ups by human reference, and the migration of a version-1 file on
//! open through every later version.

use isms_store::workload::Workload;
use isms_store::{
    AppendError, EventStore, ExpectedVersion, OpenError, ReadError, Selection, VerifyError,
};
use isms_store_sqlite::{Options, SCHEMA_VERSION, SqliteStore};

use crate::support::{TempDir, fill};

/// Turns a current store file back into what schema version 1 wrote: the
/// same log without the derived tables.
fn downgrade_to_v1(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "DROP TABLE claims; DROP TABLE items; DROP TABLE kpi_facts; DROP TABLE checkpoints;
         DROP TABLE verified_head; PRAGMA user_version = 1;",
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
        matches!(err, OpenError::OlderSchemaReadOnly { found: 1, .. }),
        "{err:?}"
    );
    assert_eq!(user_version(&path), 1);

    let mut store = SqliteStore::open(&path).unwrap();
    assert_eq!(user_version(&path), i64::from(SCHEMA_VERSION));
    assert_eq!(SCHEMA_VERSION, 6);
    // The migration built the projections from the log.
    assert_eq!(store.check_projections().unwrap(), 5);
    for (i, nc) in workload.register().nonconformities().iter().enumerate() {
        assert_eq!(nc.reference.to_string(), format!("NC-{:04}", i + 1));
        assert_eq!(
            store
                .find_stream_by_reference(&nc.reference.to_string())
                .unwrap(),
            Some(isms_core::StreamId::Nonconformity(nc.id))
        );
    }
    // Events appended after the migration are indexed by the append.
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

/// Turns a current store file back into what schema version 5 wrote: the
/// claims keyed by their text, with a second index by kind and number.
fn downgrade_to_v5(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE claims_v5 (
             claim  TEXT    NOT NULL PRIMARY KEY,
             kind   INTEGER NOT NULL,
             number INTEGER NOT NULL,
             stream TEXT    NOT NULL
         ) STRICT, WITHOUT ROWID;
         INSERT INTO claims_v5 SELECT claim, kind, number, stream FROM claims;
         DROP TABLE claims;
         ALTER TABLE claims_v5 RENAME TO claims;
         CREATE INDEX claims_by_number ON claims (kind, number);
         PRAGMA user_version = 5;",
    )
    .unwrap();
}

fn rows(path: &std::path::Path, sql: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |r| {
        (0..columns)
            .map(|i| Ok(format!("{:?}", r.get_ref(i)?)))
            .collect::<Result<Vec<_>, _>>()
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// Version 6 keys the claims by kind, number and claim in one b-tree: a
/// version-5 file's claims are copied over on open, with progress, every
/// one of them, and the file then has the schema a new file has.
#[test]
fn a_version_5_file_gets_its_claims_keyed_by_kind_and_number() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COPIED: AtomicU64 = AtomicU64::new(u64::MAX);
    let dir = TempDir::new("refs-v5");
    let (path, fresh) = (dir.file("v5.db"), dir.file("fresh.db"));
    let mut workload = Workload::new();
    {
        let mut store = SqliteStore::create(&path).unwrap();
        fill(&mut store, &mut workload, 7);
        SqliteStore::create(&fresh).unwrap().close().unwrap();
    }
    let claims = "SELECT claim, kind, number, stream FROM claims ORDER BY claim";
    let before = rows(&path, claims);
    assert!(before.len() > 7, "references and actions: {before:?}");
    downgrade_to_v5(&path);
    assert_eq!(user_version(&path), 5);
    assert_eq!(rows(&path, claims), before);

    let options = Options::default().progress(|p| {
        if p.version == 6 && p.finished {
            COPIED.store(p.done, Ordering::SeqCst);
        }
    });
    let mut store = SqliteStore::open_with(&path, options).unwrap();
    assert_eq!(user_version(&path), 6);
    assert_eq!(COPIED.load(Ordering::SeqCst), before.len() as u64);
    assert_eq!(rows(&path, claims), before);
    let schema = "SELECT type, name, tbl_name, sql FROM sqlite_schema
                  WHERE name LIKE 'claims%' OR tbl_name = 'claims' ORDER BY name";
    assert_eq!(rows(&path, schema), rows(&fresh, schema));
    store.verify_full(&[], None).unwrap();
    // The next number follows the last one copied.
    let more = workload.lifecycle(Default::default()).unwrap();
    let stream = more[0].stream;
    store
        .append_to_stream(stream, ExpectedVersion::NoStream, more)
        .unwrap();
    assert_eq!(
        store.find_stream_by_reference("NC-0008").unwrap(),
        Some(stream)
    );
}

/// Two writers that decided a new item each on the same state give both
/// items the same reference; the store refuses the second, naming it.
#[test]
fn a_reference_already_taken_is_refused_and_nothing_is_written() {
    let dir = TempDir::new("refs-taken");
    let mut store = SqliteStore::create(dir.file("taken.db")).unwrap();
    let (_, first) = Workload::new().report(Default::default()).unwrap();
    let (_, second) = Workload::new()
        .with_salt(99)
        .report(Default::default())
        .unwrap();
    assert_ne!(first[0].stream, second[0].stream);
    store
        .append_to_stream(first[0].stream, ExpectedVersion::NoStream, first)
        .unwrap();
    let head = store.head().unwrap();
    let stream = second[0].stream;
    match store.append_to_stream(stream, ExpectedVersion::NoStream, second) {
        Err(AppendError::ReferenceTaken {
            reference,
            stream: s,
        }) => {
            assert_eq!(reference, "NC-0001");
            assert_eq!(s, stream);
        }
        other => panic!("expected ReferenceTaken, got {other:?}"),
    }
    assert_eq!(store.head().unwrap(), head, "nothing was written");
    assert_eq!(store.stream_version(stream).unwrap(), 0);
    store.verify().unwrap();
}

/// The race itself: another writer reports between the handler's refresh
/// and its append. The store gives the handler's new item the next number
/// in the append's transaction, so it is not refused and not decided again.
#[test]
fn the_command_handler_takes_the_next_reference_after_losing_a_race() {
    use isms_store::{
        AppendBatch, Appended, ChainHead, CommandHandler, Invocation, RecordedRequest, RequestId,
        StoredEvent, Verified,
    };

    /// Delegates to a store, but lets a second writer append a report of
    /// its own just before the first append goes through.
    struct Racing {
        inner: SqliteStore,
        rival: Option<(SqliteStore, Vec<isms_core::Event>)>,
    }
    impl EventStore for Racing {
        fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
            if let Some((mut rival, events)) = self.rival.take() {
                rival.append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)?;
            }
            self.inner.append(batch)
        }
        fn read(
            &self,
            selection: Selection,
            visit: &mut dyn FnMut(StoredEvent),
        ) -> Result<(), ReadError> {
            self.inner.read(selection, visit)
        }
        fn stream_version(&self, stream: isms_core::StreamId) -> Result<u64, ReadError> {
            self.inner.stream_version(stream)
        }
        fn head(&self) -> Result<ChainHead, ReadError> {
            self.inner.head()
        }
        fn verify(&self) -> Result<Verified, VerifyError> {
            self.inner.verify()
        }
        fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
            self.inner.find_request(id)
        }
        fn find_claim(
            &self,
            claim: isms_core::Claim,
        ) -> Result<Option<isms_core::StreamId>, ReadError> {
            self.inner.find_claim(claim)
        }
        fn last_number(&self, kind: isms_core::RefKind) -> Result<u32, ReadError> {
            self.inner.last_number(kind)
        }
    }

    let dir = TempDir::new("refs-race");
    let path = dir.file("race.db");
    let inner = SqliteStore::create(&path).unwrap();
    let rival = SqliteStore::open(&path).unwrap();
    let (_, rival_events) = Workload::new()
        .with_salt(7)
        .report(Default::default())
        .unwrap();
    let mut handler = CommandHandler::new(
        Racing {
            inner,
            rival: Some((rival, rival_events)),
        },
        isms_core::Policy::default(),
    );
    let mut mine = Workload::new();
    let command = mine.report_command(Default::default());
    let owner = isms_core::Actor::new(isms_core::ActorId::new("maria").unwrap());
    let at = chrono::Utc::now();
    let outcome = handler
        .handle(&command, &Invocation::new(owner, at))
        .unwrap();
    assert_eq!(
        outcome.attempts, 1,
        "the store numbered the item: no second decision"
    );
    let reported = outcome.events[0].event.claim().map(|c| c.to_string());
    assert_eq!(reported.as_deref(), Some("NC-0002"), "decided as NC-0001");
    let register = handler.store().fold(Selection::All).unwrap();
    let mut refs: Vec<String> = register
        .nonconformities()
        .iter()
        .map(|nc| nc.reference.to_string())
        .collect();
    refs.sort();
    assert_eq!(refs, ["NC-0001", "NC-0002"]);
    let store = SqliteStore::open(&path).unwrap();
    assert!(store.find_stream_by_reference("NC-0002").unwrap().is_some());
    store.verify().unwrap();
}
