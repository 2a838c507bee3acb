//! `isms-store-stress`: a child process for the store's fault tests. It
//! writes to a real database file the way an application would, so that
//! the tests can kill it at random points or run two at once.
//!
//! ```text
//! isms-store-stress batches <db> <writer>            # append batches until killed
//! isms-store-stress contend <db> <writer> <ops> <nc-id>...   # idempotent commands, with retries
//! isms-store-stress bulk <db>                         # bulk-load lifecycles until killed
//! ```
//!
//! `batches` appends batches of 1 to 40 whole nonconformity lifecycles in
//! one transaction each; every report carries `batch`, `lifecycles` and
//! `writer` extension fields so that the test can check that each batch is
//! wholly present or wholly absent. It prints `ready` once the store is open.
//!
//! `bulk` starts a bulk load of a new store at `<db>` and appends batches
//! of lifecycles to it forever, printing `ready` after the first; the
//! load never finishes, so only a kill ends it.
//!
//! `contend` records one further correction per operation on the given
//! nonconformities in turn, through `CommandHandler` with a request id
//! `<writer>-<op>`, and prints a JSON summary.

use std::io::Write as _;
use std::process::ExitCode;

use chrono::{TimeZone, Utc};
use isms_core::{Actor, ActorId, Policy, StreamId};
use isms_store::workload::Workload;
use isms_store::{
    AppendBatch, CommandHandler, EventStore, ExpectedVersion, HandleError, Invocation, RequestId,
    Selection, StreamAppend,
};
use isms_store_sqlite::SqliteStore;

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("batches") if args.len() == 3 => batches(&args[1], &args[2]),
        Some("contend") if args.len() >= 5 => contend(&args[1], &args[2], &args[3], &args[4..]),
        Some("bulk") if args.len() == 2 => bulk(&args[1]),
        _ => Err("usage: isms-store-stress batches <db> <writer> | contend <db> <writer> <ops> <nc-id>... | bulk <db>".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "isms-store-stress: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A small xorshift generator: the tool needs varied sizes, not quality.
struct Rng(u64);

impl Rng {
    fn seeded() -> Self {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Self(t ^ (u64::from(std::process::id()) << 32) | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn bulk(db: &str) -> Result<(), Error> {
    let mut load = SqliteStore::bulk_load(db)?;
    let mut workload = Workload::new();
    let mut out = std::io::stdout();
    for round in 0u64.. {
        let mut batch = AppendBatch::default();
        for _ in 0..50 {
            let events = workload.lifecycle(Default::default())?;
            batch.appends.push(StreamAppend {
                stream: events[0].stream,
                expected: ExpectedVersion::NoStream,
                events,
            });
        }
        load.append(&batch)?;
        if round == 0 {
            writeln!(out, "ready")?;
            out.flush()?;
        }
    }
    Ok(())
}

fn batches(db: &str, writer: &str) -> Result<(), Error> {
    let mut store = SqliteStore::open(db)?;
    let existing = store.load_all()?;
    let mut next_batch = existing
        .iter()
        .filter_map(|e| match &e.event.payload {
            isms_core::EventPayload::NonconformityReported { extensions, .. }
                if extensions.get("writer").and_then(|w| w.as_str()) == Some(writer) =>
            {
                extensions.get("batch").and_then(serde_json::Value::as_u64)
            }
            _ => None,
        })
        .max()
        .map_or(0, |b| b + 1);
    // Salted by the writer's name: two writers must not invent the same ids.
    let salt = writer.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let mut workload = Workload::from_events(existing.iter().map(|e| &e.event)).with_salt(salt);
    // The last position this writer's workload has seen.
    let mut seen = existing.last().map_or(0, |e| e.position);
    drop(existing);
    let mut out = std::io::stdout();
    writeln!(out, "ready")?;
    out.flush()?;
    let mut rng = Rng::seeded();
    loop {
        let before = workload.clone();
        let lifecycles = 1 + rng.below(40);
        let mut batch = AppendBatch::default();
        for _ in 0..lifecycles {
            let mut ext = isms_core::Extensions::new();
            ext.insert("writer".into(), writer.into());
            ext.insert("batch".into(), next_batch.into());
            ext.insert("lifecycles".into(), lifecycles.into());
            let events = workload.lifecycle(ext)?;
            batch.appends.push(StreamAppend {
                stream: events[0].stream,
                expected: ExpectedVersion::NoStream,
                events,
            });
        }
        match store.append(&batch) {
            Ok(appended) => {
                // Whatever the other writer appended before this batch.
                if appended.first > seen + 1 {
                    let theirs = store.load(Selection::Positions {
                        from: seen + 1,
                        to: appended.first - 1,
                    })?;
                    workload.catch_up(theirs.iter().map(|e| &e.event));
                }
                seen = appended.last;
                next_batch += 1;
            }
            // The other writer took these numbers meanwhile: forget the
            // batch, catch up with the log, as any writer must, and decide
            // again.
            Err(isms_store::AppendError::ReferenceTaken { .. }) => {
                workload = before;
                let theirs = store.load(Selection::After(seen))?;
                workload.catch_up(theirs.iter().map(|e| &e.event));
                seen = theirs.last().map_or(seen, |e| e.position);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn contend(db: &str, writer: &str, ops: &str, ncs: &[String]) -> Result<(), Error> {
    let ops: u64 = ops.parse()?;
    let ncs = ncs
        .iter()
        .map(|s| s.parse())
        .collect::<Result<Vec<isms_core::NonconformityId>, _>>()?;
    let store = SqliteStore::open(db)?;
    let mut handler = CommandHandler::new(store, Policy::default()).with_max_attempts(50);
    let actor = Actor::new(ActorId::new(format!("writer-{writer}"))?);
    // One fixed instant: retries must not move time backwards in a stream.
    let at = Utc
        .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .ok_or("bad time")?;
    let (mut appended, mut retries, mut replayed) = (0u64, 0u64, 0u64);
    let mut gave_up = Vec::new();
    for op in 0..ops {
        let nc = ncs[(op as usize) % ncs.len()];
        let request = RequestId::new(format!("{writer}-{op}"))?;
        let command = Workload::containment_command(nc, &format!("{writer}-{op}"));
        let invocation = Invocation::new(actor.clone(), at)
            .with_request(request)
            .with_entropy(u128::from(op) << 64 | u128::from(std::process::id()));
        match handler.handle(&command, &invocation) {
            Ok(outcome) if outcome.replayed => replayed += 1,
            Ok(outcome) => {
                appended += 1;
                retries += u64::from(outcome.attempts - 1);
                debug_assert_eq!(outcome.events[0].event.stream, StreamId::Nonconformity(nc));
            }
            Err(HandleError::TooManyConflicts { .. }) => gave_up.push(op),
            Err(e) => return Err(e.into()),
        }
    }
    let summary = serde_json::json!({
        "writer": writer,
        "appended": appended,
        "retries": retries,
        "replayed": replayed,
        "gave_up": gave_up,
    });
    writeln!(std::io::stdout(), "{summary}")?;
    Ok(())
}
