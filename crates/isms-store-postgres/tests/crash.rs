//! Writer processes killed with SIGKILL while they append: every batch a
//! writer acknowledged is there, every batch is wholly present or wholly
//! absent, the register's chain verifies and the projections equal the log.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use isms_core::EventPayload;
use isms_store::EventStore;
use isms_store::workload::LIFECYCLE_EVENTS;
use isms_store_postgres::PgStore;

use crate::support::{fresh, server, url_as};

/// A writer process and the batches it acknowledged so far.
struct Writer {
    child: Child,
    acked: mpsc::Receiver<(u64, u64)>,
}

fn spawn(url: &str, register: &str, name: &str) -> Writer {
    let mut child = Command::new(env!("CARGO_BIN_EXE_isms-pg-writer"))
        .args(["batches", url, register, name])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let mut words = line.split(' ');
            if words.next() == Some("acked") {
                let batch = words.next().unwrap().parse().unwrap();
                let last = words.next().unwrap().parse().unwrap();
                if tx.send((batch, last)).is_err() {
                    break;
                }
            }
        }
    });
    Writer { child, acked: rx }
}

#[test]
#[allow(clippy::print_stderr)] // says how often a transaction was open at the kill
fn killing_writers_mid_append_loses_no_acknowledged_event_and_keeps_the_chain() {
    let Some(url) = server() else { return };
    let store = fresh(&url, "crash", "isms_app");
    let app_url = url_as(&url, "isms_app");
    let register = store.register().as_str().to_owned();
    // writer name -> batches it acknowledged
    let mut acked: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut rounds_with_open_transaction = 0;
    for round in 0..4 {
        let mut writers: Vec<(String, Writer)> = ["a", "b"]
            .iter()
            .map(|w| (w.to_string(), spawn(&app_url, &register, w)))
            .collect();
        // Let them commit a few batches, then kill both at once.
        let first = writers[0].1.acked.recv_timeout(Duration::from_secs(30));
        assert!(
            first.is_ok(),
            "round {round}: writer a acknowledged nothing"
        );
        acked.entry("a".into()).or_default().push(first.unwrap().0);
        std::thread::sleep(Duration::from_millis(40 + 35 * round));
        // Is an append transaction open right now? (Counted, not required:
        // the kill lands where it lands.)
        let mut su = crate::support::superuser(&url);
        let open: i64 = su
            .query_one(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE usename = 'isms_app' AND state = 'idle in transaction'
                    OR (usename = 'isms_app' AND state = 'active' AND xact_start IS NOT NULL)",
                &[],
            )
            .unwrap()
            .get(0);
        for (_, w) in &mut writers {
            w.child.kill().unwrap();
        }
        if open > 0 {
            rounds_with_open_transaction += 1;
        }
        for (name, mut w) in writers {
            w.child.wait().unwrap();
            while let Ok((batch, _)) = w.acked.try_recv() {
                acked.entry(name.clone()).or_default().push(batch);
            }
        }
    }
    eprintln!("rounds killed with an append transaction open: {rounds_with_open_transaction} of 4");

    // The server rolled back whatever the killed sessions left open.
    let store = PgStore::connect(&app_url, store.register()).unwrap();
    let verified = store.verify().unwrap();
    let items = store.check_projections().unwrap();
    let events = store.load_all().unwrap();
    assert_eq!(events.len() as u64, verified.events);
    let mut per_stream: BTreeMap<_, Vec<u64>> = BTreeMap::new();
    let mut batches: BTreeMap<(String, u64), (u64, u64)> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.position, i as u64 + 1);
        per_stream
            .entry(e.event.stream)
            .or_default()
            .push(e.event.sequence);
        if let EventPayload::NonconformityReported { extensions, .. } = &e.event.payload {
            let writer = extensions["writer"].as_str().unwrap().to_owned();
            let batch = extensions["batch"].as_u64().unwrap();
            let size = extensions["lifecycles"].as_u64().unwrap();
            let entry = batches.entry((writer, batch)).or_insert((size, 0));
            entry.1 += 1;
        }
    }
    for (stream, seqs) in &per_stream {
        let whole: Vec<u64> = (1..=LIFECYCLE_EVENTS as u64).collect();
        assert_eq!(seqs, &whole, "stream {stream} is incomplete");
    }
    for (key, (size, found)) in &batches {
        assert_eq!(size, found, "batch {key:?} is partly present");
    }
    for (writer, list) in &acked {
        for batch in list {
            assert!(
                batches.contains_key(&(writer.clone(), *batch)),
                "writer {writer}'s acknowledged batch {batch} is missing"
            );
        }
    }
    assert_eq!(items as usize, per_stream.len());
    assert!(acked.values().map(Vec::len).sum::<usize>() >= 4);
}
