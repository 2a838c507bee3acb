//! Appending, reading, optimistic concurrency, replay, idempotency, schema.

use chrono::{Duration, TimeZone, Utc};
use isms_core::{Actor, ActorId, NcState, Policy, Register, StreamId};
use isms_store::workload::Workload;
use isms_store::{
    AppendBatch, AppendError, ChainHead, CommandHandler, EventStore, ExpectedVersion, HandleError,
    Invocation, OpenError, RequestId, Selection, StreamAppend,
};
use isms_store_sqlite::{SCHEMA_VERSION, SqliteStore};

use crate::support::{TempDir, fill, raw};

#[test]
fn appended_events_read_back_in_order_and_replay_to_the_same_state() {
    let dir = TempDir::new("roundtrip");
    let path = dir.file("s.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    let mut workload = Workload::new();
    let events = fill(&mut store, &mut workload, 5);

    let stored = store.load_all().unwrap();
    assert_eq!(stored.len(), 50);
    assert!(
        stored
            .iter()
            .enumerate()
            .all(|(i, s)| s.position == i as u64 + 1)
    );
    assert_eq!(
        stored.iter().map(|s| s.event.clone()).collect::<Vec<_>>(),
        events
    );

    let stream = events[10].stream;
    let one = store.load_stream(stream).unwrap();
    assert_eq!(one.len(), 10);
    assert!(
        one.iter()
            .enumerate()
            .all(|(i, s)| s.event.sequence == i as u64 + 1)
    );
    assert_eq!(store.stream_version(stream).unwrap(), 10);

    // Replay from the store equals the live state that produced the events.
    assert_eq!(&store.fold(Selection::All).unwrap(), workload.register());

    let head = store.head().unwrap();
    assert_eq!(store.verify().unwrap().head, head);
    store.close().unwrap();
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.head().unwrap(), head);
    assert_eq!(reopened.load_all().unwrap(), stored);
}

#[test]
fn a_version_conflict_is_typed_and_writes_nothing() {
    let dir = TempDir::new("conflict");
    let path = dir.file("s.isms");
    let mut a = SqliteStore::create(&path).unwrap();
    let mut b = SqliteStore::open(&path).unwrap();
    let mut wa = Workload::new();
    let (_, report) = wa.report(Default::default()).unwrap();
    let stream = report[0].stream;
    a.append_to_stream(stream, ExpectedVersion::NoStream, report.clone())
        .unwrap();
    let before = b.head().unwrap();

    // b read the stream before a wrote: it expects no stream.
    let err = b
        .append_to_stream(stream, ExpectedVersion::NoStream, report.clone())
        .unwrap_err();
    assert!(
        matches!(err, AppendError::Conflict { stream: s, expected: ExpectedVersion::NoStream, actual: 1 } if s == stream),
        "{err}"
    );
    let err = b
        .append_to_stream(stream, ExpectedVersion::Exact(3), report)
        .unwrap_err();
    assert!(
        matches!(err, AppendError::Conflict { actual: 1, .. }),
        "{err}"
    );
    assert_eq!(b.head().unwrap(), before);

    // A batch is all or nothing: a good first stream does not get in when
    // the second conflicts.
    let fresh = wa.lifecycle(Default::default()).unwrap();
    let batch = AppendBatch {
        appends: vec![
            StreamAppend {
                stream: fresh[0].stream,
                expected: ExpectedVersion::NoStream,
                events: fresh.clone(),
            },
            StreamAppend {
                stream,
                expected: ExpectedVersion::Exact(7),
                events: vec![],
            },
        ],
        ..AppendBatch::default()
    };
    assert!(matches!(
        b.append(&batch),
        Err(AppendError::Conflict { .. })
    ));
    assert_eq!(b.head().unwrap(), before);
    assert_eq!(b.stream_version(fresh[0].stream).unwrap(), 0);
    b.verify().unwrap();
}

#[test]
fn sequences_must_continue_their_stream() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).unwrap();
    let stream = events[0].stream;
    // A gap, even with no version expectation.
    let mut gappy = events.clone();
    gappy.remove(3);
    let err = store
        .append_to_stream(stream, ExpectedVersion::Any, gappy)
        .unwrap_err();
    assert!(
        matches!(
            err,
            AppendError::SequenceMismatch {
                expected_next: 4,
                found: 5,
                ..
            }
        ),
        "{err}"
    );
    // An event of another stream in the append.
    let other = workload.lifecycle(Default::default()).unwrap();
    let mut mixed = events[..2].to_vec();
    mixed.push(other[0].clone());
    let err = store
        .append_to_stream(stream, ExpectedVersion::Any, mixed)
        .unwrap_err();
    assert!(matches!(err, AppendError::StreamMismatch { .. }), "{err}");
    assert!(matches!(
        store.append(&AppendBatch::default()),
        Err(AppendError::EmptyAppend)
    ));
    assert_eq!(store.head().unwrap(), ChainHead::EMPTY);
    // A duplicate of an existing event (same sequence again) is refused.
    store
        .append_to_stream(stream, ExpectedVersion::Any, events.clone())
        .unwrap();
    let err = store
        .append_to_stream(stream, ExpectedVersion::Any, events[9..].to_vec())
        .unwrap_err();
    assert!(
        matches!(err, AppendError::SequenceMismatch { found: 10, .. }),
        "{err}"
    );
}

#[test]
fn as_of_gives_the_register_as_it_was_then() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).unwrap();
    let t0 = events[0].at;
    store
        .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events.clone())
        .unwrap();
    let at = t0 + Duration::days(5);
    let then = store.load_as_of(at).unwrap();
    let expected: Vec<_> = events.iter().filter(|e| e.at <= at).cloned().collect();
    assert_eq!(
        then.iter().map(|s| s.event.clone()).collect::<Vec<_>>(),
        expected
    );
    let register = store.fold(Selection::AsOf(at)).unwrap();
    assert_eq!(register, Register::from_events(&expected));
    assert_eq!(register.nonconformities()[0].state, NcState::ActionsPlanned);
    let now = store.fold(Selection::All).unwrap();
    assert_eq!(now.nonconformities()[0].state, NcState::Closed);
    assert!(
        store
            .load_as_of(t0 - Duration::seconds(1))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_repeated_request_id_returns_the_earlier_outcome_without_appending() {
    let dir = TempDir::new("idempotent");
    let path = dir.file("s.isms");
    let store = SqliteStore::create(&path).unwrap();
    let mut handler = CommandHandler::new(store, Policy::default());
    let mut workload = Workload::new();
    let report = workload.report_command(Default::default());
    let at = Utc.with_ymd_and_hms(2026, 2, 1, 9, 0, 0).unwrap();
    let maria = Actor::new(ActorId::new("maria").unwrap());
    let invocation =
        Invocation::new(maria.clone(), at).with_request(RequestId::new("client-42").unwrap());

    let first = handler.handle(&report, &invocation).unwrap();
    assert!(!first.replayed);
    assert_eq!(first.events.len(), 1);
    let second = handler.handle(&report, &invocation).unwrap();
    assert!(second.replayed);
    assert_eq!(second.events, first.events);
    assert_eq!(handler.store().head().unwrap().position, 1);

    // The record survives a restart.
    drop(handler);
    let mut handler = CommandHandler::new(SqliteStore::open(&path).unwrap(), Policy::default());
    let third = handler.handle(&report, &invocation).unwrap();
    assert!(third.replayed);
    assert_eq!(third.events, first.events);

    // The same id for another command is refused, not silently replayed.
    let other = workload.report_command(Default::default());
    let err = handler.handle(&other, &invocation).unwrap_err();
    assert!(matches!(err, HandleError::RequestReused { .. }), "{err}");
    // A refused command is the core's typed error, and writes nothing.
    let StreamId::Nonconformity(nc) = first.events[0].event.stream else {
        unreachable!()
    };
    let close = isms_core::Command::CloseNonconformity {
        nonconformity: nc,
        isms_changes: vec![],
        notes: None,
    };
    let err = handler
        .handle(&close, &Invocation::new(maria, at))
        .unwrap_err();
    assert!(matches!(err, HandleError::Refused(_)), "{err}");
    assert_eq!(handler.store().head().unwrap().position, 1);
    assert_eq!(handler.store().verify().unwrap().events, 1);
}

#[test]
fn opening_a_newer_schema_is_a_clear_error_and_changes_nothing() {
    let dir = TempDir::new("newer");
    let path = dir.file("s.isms");
    SqliteStore::create(&path).unwrap().close().unwrap();
    raw(&path).pragma_update(None, "user_version", 99).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        matches!(err, OpenError::NewerSchema { found: 99, supported, .. } if supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains(&path.display().to_string()));
    let v: i64 = raw(&path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 99);
}

#[test]
fn create_and_open_say_what_is_wrong_with_the_path() {
    let dir = TempDir::new("paths");
    let path = dir.file("s.isms");
    assert!(matches!(
        SqliteStore::open(&path),
        Err(OpenError::NotFound { .. })
    ));
    SqliteStore::create(&path).unwrap();
    let err = SqliteStore::create(&path).unwrap_err();
    assert!(matches!(err, OpenError::AlreadyExists { .. }), "{err}");
    SqliteStore::open_or_create(&path).unwrap();
    SqliteStore::open_or_create(dir.file("t.isms")).unwrap();
}

#[test]
fn the_head_exports_as_json_and_anchors_the_history() {
    let dir = TempDir::new("anchor");
    let path = dir.file("s.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    fill(&mut store, &mut Workload::new(), 3);
    let anchor = store.export_head(dir.file("head.json")).unwrap();
    let json = std::fs::read_to_string(dir.file("head.json")).unwrap();
    assert_eq!(ChainHead::from_json(&json).unwrap(), anchor);
    assert!(json.contains(&anchor.hash.to_hex()));
    store.verify_against(&anchor).unwrap();
}

#[test]
fn the_sqlite_and_memory_stores_compute_the_same_chain() {
    let mut sqlite = SqliteStore::open_in_memory().unwrap();
    let mut memory = isms_store::MemoryStore::new();
    let mut workload = Workload::new();
    for _ in 0..4 {
        let events = workload.lifecycle(Default::default()).unwrap();
        let batch = AppendBatch::single(events[0].stream, ExpectedVersion::NoStream, events);
        assert_eq!(
            sqlite.append(&batch).unwrap(),
            memory.append(&batch).unwrap()
        );
    }
    assert_eq!(sqlite.verify().unwrap(), memory.verify().unwrap());
    assert_eq!(sqlite.load_all().unwrap(), memory.load_all().unwrap());
}

/// The backend-neutral contract, checked by the suite every backend runs:
/// on a file (WAL, as in production) and in memory.
#[test]
fn the_sqlite_store_passes_the_conformance_suite() {
    let dir = TempDir::new("conformance");
    let mut n = 0;
    isms_store::conformance::run(|| {
        n += 1;
        SqliteStore::create(dir.file(&format!("c{n}.db"))).unwrap()
    })
    .unwrap_or_else(|f| panic!("{f}"));
    isms_store::conformance::run(|| SqliteStore::open_in_memory().unwrap())
        .unwrap_or_else(|f| panic!("{f}"));
}
