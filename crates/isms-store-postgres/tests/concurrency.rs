//! Many writers at once: one register, many registers, the same item.

use std::collections::BTreeSet;

use chrono::{TimeZone, Utc};
use isms_core::{Actor, ActorId, EventPayload, Policy};
use isms_store::workload::Workload;
use isms_store::{AppendError, CommandHandler, EventStore, ExpectedVersion, Invocation};
use isms_store_postgres::PgStore;

use crate::support::{fresh, server, url_as};

fn who(n: u128) -> Invocation {
    Invocation::new(
        Actor::new(ActorId::new("maria").unwrap()),
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
    )
    .with_entropy(n)
}

#[test]
fn eight_writers_on_one_register_number_every_item_once_without_gaps() {
    let Some(url) = server() else { return };
    let store = fresh(&url, "writers", "isms_app");
    let register = store.register().clone();
    const WRITERS: u64 = 8;
    const EACH: u64 = 10;
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let (url, register) = (url.clone(), register.clone());
            s.spawn(move || {
                let store = PgStore::connect(&url_as(&url, "isms_app"), &register).unwrap();
                let mut handler =
                    CommandHandler::new(store, Policy::default()).with_max_attempts(100);
                let mut workload = Workload::new().with_salt(w + 100);
                for i in 0..EACH {
                    let command = workload.report_command(Default::default());
                    handler
                        .handle(&command, &who(u128::from(w * 1000 + i)))
                        .unwrap();
                }
            });
        }
    });
    let verified = store.verify().unwrap();
    assert_eq!(verified.events, WRITERS * EACH);
    let mut references = BTreeSet::new();
    for e in store.load_all().unwrap() {
        if let EventPayload::NonconformityReported { reference, .. } = &e.event.payload {
            assert!(references.insert(reference.number()), "{reference} twice");
        }
    }
    assert_eq!(
        references.into_iter().collect::<Vec<_>>(),
        (1..=(WRITERS * EACH) as u32).collect::<Vec<_>>()
    );
    assert_eq!(store.check_projections().unwrap(), WRITERS * EACH);
}

#[test]
fn registers_do_not_wait_for_each_other() {
    // A writer holding its register's lock (an open append transaction)
    // does not stop a writer of another register.
    let Some(url) = server() else { return };
    let mut one = fresh(&url, "held", "isms_app");
    let mut two = fresh(&url, "free", "isms_app");
    let mut locker = postgres::Client::connect(&url_as(&url, "isms_app"), postgres::NoTls).unwrap();
    locker
        .execute(
            "SELECT set_config('isms.register', $1, false)",
            &[&one.register().as_str()],
        )
        .unwrap();
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute("SET LOCAL lock_timeout = '30s'").unwrap();
    tx.query(
        "SELECT 1 FROM isms.registers WHERE register = $1 FOR UPDATE",
        &[&one.register().as_str()],
    )
    .unwrap();
    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).unwrap();
    two.append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
        .unwrap();
    // The held register's writer waits until the lock goes, then succeeds.
    let events = workload.lifecycle(Default::default()).unwrap();
    let waiter = std::thread::spawn(move || {
        one.append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .map(|a| a.last)
    });
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!waiter.is_finished(), "the held register did not wait");
    tx.rollback().unwrap();
    assert_eq!(waiter.join().unwrap().unwrap(), 10);
}

#[test]
fn two_writers_of_the_same_item_version_one_wins_one_conflicts() {
    let Some(url) = server() else { return };
    let mut a = fresh(&url, "sameitem", "isms_app");
    let mut b = PgStore::connect(&url_as(&url, "isms_app"), a.register()).unwrap();
    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).unwrap();
    let stream = events[0].stream;
    a.append_to_stream(stream, ExpectedVersion::NoStream, events[..3].to_vec())
        .unwrap();
    let v = b.stream_version(stream).unwrap();
    assert_eq!(v, 3);
    a.append_to_stream(stream, ExpectedVersion::Exact(v), vec![events[3].clone()])
        .unwrap();
    match b.append_to_stream(stream, ExpectedVersion::Exact(v), vec![events[3].clone()]) {
        Err(AppendError::Conflict { actual: 4, .. }) => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(b.verify().unwrap().events, 4);
}
