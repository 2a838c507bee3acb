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

#[test]
fn a_damaged_kpi_facts_row_is_named_by_both_readers() {
    // `read_facts` (decoded) and `read_encoded_facts` (the KPI view's fast
    // path) walk the rows the same way: both name the row whose kind is
    // unknown or whose bytes do not decode.
    let Some(url) = server() else { return };
    let mut store = fresh(&url, "facts", "isms_app");
    let mut workload = Workload::new();
    for _ in 0..2 {
        let events = workload.lifecycle(Default::default()).unwrap();
        store
            .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .unwrap();
    }
    let (mut decoded, mut encoded) = (0, 0);
    store.read_facts(&mut |_| decoded += 1).unwrap();
    store
        .read_encoded_facts(&mut |_, bytes| {
            encoded += bytes.len();
            Ok(())
        })
        .unwrap();
    assert_eq!(decoded, 2);
    assert!(encoded > 0);
    let named = |e: isms_store::ReadError, subject: &str, says: &str| match e {
        isms_store::ReadError::Projection {
            projection: "kpi_facts",
            subject: s,
            detail,
        } => {
            assert_eq!(s, subject);
            assert!(detail.contains(says), "{detail}");
        }
        other => panic!("expected a kpi_facts projection error, got {other:?}"),
    };
    let mut su = superuser(&url);
    let register = store.register().as_str().to_owned();
    su.execute(
        "UPDATE isms.kpi_facts SET kind = 7 WHERE register = $1 AND number = 1",
        &[&register],
    )
    .unwrap();
    named(
        store.read_facts(&mut |_| {}).unwrap_err(),
        "item 7/1",
        "not a kind of item",
    );
    named(
        store.read_encoded_facts(&mut |_, _| Ok(())).unwrap_err(),
        "item 7/1",
        "not a kind of item",
    );
    su.execute(
        "UPDATE isms.kpi_facts SET kind = 1 WHERE register = $1 AND number = 1",
        &[&register],
    )
    .unwrap();
    su.execute(
        "UPDATE isms.kpi_facts SET facts = '\\x00ff' WHERE register = $1 AND number = 2",
        &[&register],
    )
    .unwrap();
    named(
        store.read_facts(&mut |_| {}).unwrap_err(),
        "item 1/2",
        "version",
    );
    named(
        store
            .read_encoded_facts(&mut |_, bytes| isms_core::NcFacts::decode(bytes).map(|_| ()))
            .unwrap_err(),
        "item 1/2",
        "version",
    );
}
