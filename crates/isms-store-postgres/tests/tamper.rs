//! Editing the log behind the store's back shows in `verify`.

use isms_store::workload::Workload;
use isms_store::{BreakKind, EventStore, ExpectedVersion, VerifyError};

use crate::support::{db_message, fresh, server, superuser};

#[test]
fn an_edited_event_breaks_the_chain_at_its_position() {
    let Some(url) = server() else { return };
    let mut store = fresh(&url, "tamper", "isms_app");
    let mut workload = Workload::new();
    for _ in 0..2 {
        let events = workload.lifecycle(Default::default()).unwrap();
        store
            .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .unwrap();
    }
    store.verify().unwrap();
    // The superuser may switch the append-only trigger off for its session.
    let mut su = superuser(&url);
    su.batch_execute("SET session_replication_role = replica")
        .unwrap();
    let edited = su
        .execute(
            "UPDATE isms.events SET body = replace(body, 'Backup', 'Bakup')
             WHERE register = $1 AND position = 11",
            &[&store.register().as_str()],
        )
        .unwrap();
    assert_eq!(edited, 1);
    match store.verify() {
        Err(VerifyError::ChainBroken {
            position: 11,
            kind: BreakKind::HashMismatch { .. },
            ..
        }) => {}
        other => panic!("expected a break at 11, got {other:?}"),
    }
    // Deleting the last event: the recorded head no longer matches.
    su.execute(
        "DELETE FROM isms.events WHERE register = $1 AND position = 20",
        &[&store.register().as_str()],
    )
    .unwrap();
    su.execute(
        "UPDATE isms.events SET body = replace(body, 'Bakup', 'Backup')
         WHERE register = $1 AND position = 11",
        &[&store.register().as_str()],
    )
    .unwrap();
    match store.verify() {
        Err(VerifyError::ChainBroken {
            kind:
                BreakKind::HeadMismatch {
                    chain_position: 19,
                    recorded_position: 20,
                },
            ..
        }) => {}
        other => panic!("expected a head mismatch, got {other:?}"),
    }
}

#[test]
fn the_owner_cannot_update_or_delete_events_either() {
    let Some(url) = server() else { return };
    let store = fresh(&url, "appendonly", "isms_app");
    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).unwrap();
    let mut store = store;
    store
        .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
        .unwrap();
    let mut owner = crate::support::admin(&url);
    for statement in [
        "UPDATE isms.events SET body = body",
        "DELETE FROM isms.events",
    ] {
        let e = owner.client().batch_execute(statement).unwrap_err();
        assert!(db_message(&e).contains("append-only"), "{statement}: {e:?}");
    }
}
