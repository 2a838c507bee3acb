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
fn sixteen_writers_creating_on_one_register_never_collide_on_a_reference() {
    // Every round, all writers decide a new item on the same register state
    // (a barrier lines them up), so every decision proposes the same next
    // reference. The store gives the numbers out under the register's lock,
    // so no append is refused for a taken reference and no command is
    // decided twice: each succeeds at its first attempt, and the references
    // are 1..=n, each once.
    let Some(url) = server() else { return };
    let store = fresh(&url, "writers", "isms_app");
    let register = store.register().clone();
    const WRITERS: u64 = 16;
    const ROUNDS: u64 = 6;
    let barrier = std::sync::Barrier::new(WRITERS as usize);
    let attempts: Vec<Vec<u32>> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (url, register, barrier) = (url.clone(), register.clone(), &barrier);
                s.spawn(move || {
                    let store = PgStore::connect(&url_as(&url, "isms_app"), &register).unwrap();
                    let mut handler = CommandHandler::new(store, Policy::default());
                    let mut workload = Workload::new().with_salt(w + 100);
                    let mut attempts = Vec::new();
                    for i in 0..ROUNDS {
                        // Odd writers propose improvements: both kinds are
                        // numbered this way, each in its own sequence.
                        let command = if w % 2 == 0 {
                            workload.report_command(Default::default())
                        } else {
                            workload.improvement_command()
                        };
                        barrier.wait();
                        let outcome = handler
                            .handle(&command, &who(u128::from(w * 1000 + i)))
                            .unwrap_or_else(|e| panic!("writer {w}, round {i}: {e}"));
                        attempts.push(outcome.attempts);
                    }
                    attempts
                })
            })
            .collect();
        writers.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (w, a) in attempts.iter().enumerate() {
        assert!(
            a.iter().all(|&n| n == 1),
            "writer {w} decided again after a collision: attempts {a:?}"
        );
    }
    let verified = store.verify().unwrap();
    assert_eq!(verified.events, WRITERS * ROUNDS);
    let (mut ncs, mut improvements) = (BTreeSet::new(), BTreeSet::new());
    for e in store.load_all().unwrap() {
        match &e.event.payload {
            EventPayload::NonconformityReported { reference, .. } => {
                assert!(ncs.insert(reference.number()), "{reference} twice");
            }
            EventPayload::ImprovementProposed { reference, .. } => {
                assert!(improvements.insert(reference.number()), "{reference} twice");
            }
            other => panic!("unexpected event {other:?}"),
        }
    }
    let each = (WRITERS / 2 * ROUNDS) as u32;
    assert_eq!(
        ncs.into_iter().collect::<Vec<_>>(),
        (1..=each).collect::<Vec<_>>()
    );
    assert_eq!(
        improvements.into_iter().collect::<Vec<_>>(),
        (1..=each).collect::<Vec<_>>()
    );
    assert_eq!(store.check_projections().unwrap(), WRITERS * ROUNDS);
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
