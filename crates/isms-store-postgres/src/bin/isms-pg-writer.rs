//! A writer process for the PostgreSQL store's kill test and benchmarks.
//!
//! ```text
//! isms-pg-writer batches URL REGISTER WRITER
//!     appends batches of 1 to 40 whole lifecycles to REGISTER until killed,
//!     printing `acked BATCH LAST_POSITION` after each commit
//! isms-pg-writer commands URL REGISTER SECONDS SALT
//!     reports nonconformities through the command handler for SECONDS and
//!     prints one JSON line: commands, events, latencies (µs, sorted), its
//!     CPU time (ms)
//! ```

#![allow(clippy::print_stdout, clippy::print_stderr)] // a test program: printing is its job

use std::io::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use isms_core::{Actor, ActorId, EventPayload, Policy};
use isms_store::workload::Workload;
use isms_store::{
    AppendBatch, AppendError, CommandHandler, EventStore, ExpectedVersion, Invocation, Selection,
    StreamAppend,
};
use isms_store_postgres::{PgStore, RegisterId};

type Error = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let run = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["batches", url, register, writer] => batches(url, register, writer),
        ["commands", url, register, seconds, salt] => commands(url, register, seconds, salt),
        _ => Err("usage: isms-pg-writer batches URL REGISTER WRITER | commands URL REGISTER SECONDS SALT".into()),
    };
    match run {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("isms-pg-writer: {e}");
            ExitCode::FAILURE
        }
    }
}

fn salt_of(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn batches(url: &str, register: &str, writer: &str) -> Result<(), Error> {
    let mut store = PgStore::connect(url, &RegisterId::new(register)?)?;
    let existing = store.load_all()?;
    let mut next_batch = existing
        .iter()
        .filter_map(|e| match &e.event.payload {
            EventPayload::NonconformityReported { extensions, .. }
                if extensions.get("writer").and_then(|w| w.as_str()) == Some(writer) =>
            {
                extensions.get("batch").and_then(serde_json::Value::as_u64)
            }
            _ => None,
        })
        .max()
        .map_or(0, |b| b + 1);
    let mut workload =
        Workload::from_events(existing.iter().map(|e| &e.event)).with_salt(salt_of(writer));
    let mut seen = existing.last().map_or(0, |e| e.position);
    drop(existing);
    let mut out = std::io::stdout();
    writeln!(out, "ready")?;
    out.flush()?;
    let mut rng = u64::from(std::process::id()) | 1;
    loop {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let lifecycles = 1 + rng % 40;
        let before = workload.clone();
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
                if appended.first > seen + 1 {
                    let theirs = store.load(Selection::Positions {
                        from: seen + 1,
                        to: appended.first - 1,
                    })?;
                    workload.catch_up(theirs.iter().map(|e| &e.event));
                }
                seen = appended.last;
                writeln!(out, "acked {next_batch} {}", appended.last)?;
                out.flush()?;
                next_batch += 1;
            }
            // Another writer took these reference numbers: catch up with
            // the log and decide again, as every writer must.
            Err(AppendError::ReferenceTaken { .. }) => {
                workload = before;
                let theirs = store.load(Selection::After(seen))?;
                workload.catch_up(theirs.iter().map(|e| &e.event));
                seen = theirs.last().map_or(seen, |e| e.position);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn commands(url: &str, register: &str, seconds: &str, salt: &str) -> Result<(), Error> {
    let store = PgStore::connect(url, &RegisterId::new(register)?)?;
    let salt: u64 = salt.parse()?;
    let seconds: f64 = seconds.parse()?;
    let mut handler = CommandHandler::new(store, Policy::default()).with_max_attempts(1000);
    let mut workload = Workload::new().with_salt(salt);
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("a valid time")?;
    let actor = Actor::new(ActorId::new("maria")?);
    let mut latencies = Vec::new();
    let mut events = 0u64;
    let mut retries = 0u64;
    let end = Instant::now() + Duration::from_secs_f64(seconds);
    let mut n = 0u128;
    while Instant::now() < end {
        let command = workload.report_command(Default::default());
        let who = Invocation::new(actor.clone(), at).with_entropy((u128::from(salt) << 64) | n);
        n += 1;
        let start = Instant::now();
        let outcome = handler.handle(&command, &who)?;
        latencies.push(start.elapsed().as_micros() as u64);
        events += outcome.events.len() as u64;
        retries += u64::from(outcome.attempts - 1);
    }
    latencies.sort_unstable();
    println!(
        "{}",
        serde_json::json!({
            "commands": latencies.len(),
            "events": events,
            "retries": retries,
            "latencies_us": latencies,
            "cpu_ms": cpu_ms(),
        })
    );
    Ok(())
}

/// This process's CPU time (user + system) in milliseconds, from
/// `/proc/self/stat` (Linux; clock ticks taken as the usual 100 Hz), or
/// `None` elsewhere.
fn cpu_ms() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (in parentheses, which may hold spaces).
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 here.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks * 10)
}
