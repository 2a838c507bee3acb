//! The projections (schema version 4): kept in the append's transaction,
//! equal to a fresh fold of the log, served to lists and KPIs, checked by
//! the deep verification, and rebuilt after tampering.

use chrono::NaiveDate;
use isms_core::{Item, NcState, Register, Severity};
use isms_store::workload::Workload;
use isms_store::{EventStore, Facts, ItemFilter, ItemKind, MemoryStore, Selection, VerifyError};
use isms_store_sqlite::SqliteStore;

use crate::support::{TempDir, fill};

fn listed(store: &impl EventStore, filter: &ItemFilter) -> Vec<Item> {
    let mut out = Vec::new();
    store.list_items(filter, &mut |i| out.push(i)).unwrap();
    out
}

fn facts(store: &impl EventStore) -> Vec<Facts> {
    let mut out = Vec::new();
    store.read_facts(&mut |f| out.push(f)).unwrap();
    out
}

/// A store with a mix of states: closed lifecycles and open reports.
fn mixed(store: &mut SqliteStore, memory: &mut MemoryStore) -> Register {
    let mut workload = Workload::new();
    let events = fill(store, &mut workload, 6);
    for chunk in events.chunk_by(|a, b| a.stream == b.stream) {
        memory
            .append_to_stream(
                chunk[0].stream,
                isms_store::ExpectedVersion::NoStream,
                chunk.to_vec(),
            )
            .unwrap();
    }
    for _ in 0..4 {
        let (_, report) = workload.report(Default::default()).unwrap();
        let stream = report[0].stream;
        for s in [&mut *store as &mut dyn EventStore, memory] {
            s.append_to_stream(
                stream,
                isms_store::ExpectedVersion::NoStream,
                report.clone(),
            )
            .unwrap();
        }
    }
    workload.register().clone()
}

#[test]
fn lists_and_facts_from_the_projections_equal_those_from_the_log() {
    let dir = TempDir::new("proj");
    let mut store = SqliteStore::create(dir.file("p.db")).unwrap();
    let mut memory = MemoryStore::new();
    let register = mixed(&mut store, &mut memory);
    assert_eq!(store.check_projections().unwrap(), 10);

    let far = NaiveDate::from_ymd_opt(2100, 1, 1).unwrap();
    let filters = [
        ItemFilter::default(),
        ItemFilter {
            nc_state: Some(NcState::Closed),
            ..ItemFilter::default()
        },
        ItemFilter {
            nc_state: Some(NcState::Reported),
            severity: Some(Severity::Major),
            ..ItemFilter::default()
        },
        ItemFilter {
            owner: Some(isms_core::ActorId::new("omar").unwrap()),
            ..ItemFilter::default()
        },
        ItemFilter {
            due_by: Some(far),
            ..ItemFilter::default()
        },
        ItemFilter {
            kind: ItemKind::Improvement,
            ..ItemFilter::default()
        },
    ];
    for filter in &filters {
        // MemoryStore answers from a fold of the log: the reference.
        assert_eq!(
            listed(&store, filter),
            listed(&memory, filter),
            "{filter:?}"
        );
    }
    assert_eq!(listed(&store, &filters[0]).len(), 10);
    assert_eq!(listed(&store, &filters[1]).len(), 6);
    assert_eq!(facts(&store), facts(&memory));
    assert_eq!(store.fold(Selection::All).unwrap(), register);
}

#[test]
fn an_edited_projection_is_named_by_the_deep_check_and_rebuilt_from_the_log() {
    let dir = TempDir::new("proj-tamper");
    let path = dir.file("p.db");
    let mut store = SqliteStore::create(&path).unwrap();
    let mut memory = MemoryStore::new();
    mixed(&mut store, &mut memory);
    let before = listed(&store, &ItemFilter::default());

    // Someone with the file edits a state and deletes a KPI row.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE items SET state = 'closed' WHERE number = 8 AND kind = 1",
        [],
    )
    .unwrap();
    let err = store.check_projections().unwrap_err();
    let VerifyError::ProjectionMismatch {
        projection,
        subject,
        ..
    } = &err
    else {
        panic!("expected a projection mismatch, got {err:?}");
    };
    assert_eq!(*projection, "items");
    let eighth = &before[7];
    let Item::Nonconformity(nc) = eighth else {
        unreachable!()
    };
    assert_eq!(subject, &format!("nonconformity/{}", nc.id));
    conn.execute("DELETE FROM kpi_facts WHERE number = 2", [])
        .unwrap();
    drop(conn);

    // The log is untouched: the chain verifies; a rebuild repairs.
    store.verify().unwrap();
    assert_eq!(store.rebuild_projections(&mut |_| {}).unwrap(), 10);
    assert_eq!(store.check_projections().unwrap(), 10);
    assert_eq!(listed(&store, &ItemFilter::default()), before);
    assert_eq!(facts(&store), facts(&memory));
}
