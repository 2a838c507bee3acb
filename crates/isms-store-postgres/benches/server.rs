//! Benchmarks against a real PostgreSQL server (docs/performance.md).
//!
//! ```text
//! ISMS_BENCH_PG_URL=postgres://postgres@127.0.0.1:54317/isms_test \
//!     cargo bench -p isms-store-postgres --bench server -- writers
//! ISMS_BENCH_PG_URL=... cargo bench -p isms-store-postgres --bench server -- big [N]
//! ```
//!
//! - `writers`: 1, 4 and 16 writer processes (`isms-pg-writer commands`),
//!   each reporting nonconformities through the command handler for 10 s,
//!   on distinct registers and on one shared register: events/s, p50/p99.
//! - `big`: a register of N (default 1,000,000) reported nonconformities
//!   loaded with `COPY` (chain and projections computed here, as the store
//!   would), then "load one item and decide" timed on random items; the
//!   register is dropped at the end.
//!
//! The URL is a superuser's, of a throw-away server: roles, a schema and
//! registers are created in it.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a benchmark program: printing is its job

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use chrono::{TimeZone, Utc};
use isms_core::{
    Actor, ActorId, EventId, EventPayload, Item, NcRef, NonconformityId, Policy, StreamId,
};
use isms_store::projection::ItemRow;
use isms_store::workload::Workload;
use isms_store::{ChainHash, CommandHandler, EventStore, Invocation, chain_hash, event_body};
use isms_store_postgres::{Admin, PgStore, RegisterId};
use postgres::{Client, NoTls};

const OWNER: &str = "isms_owner";
const APP: &str = "isms_bench";

fn url_as(url: &str, role: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let host = rest.split_once('@').map_or(rest, |(_, h)| h);
    format!("{scheme}://{role}@{host}")
}

fn setup(url: &str) -> Admin {
    let mut su = Client::connect(url, NoTls).expect("the benchmark server");
    for role in [OWNER, APP] {
        su.batch_execute(&format!(
            "DO $$ BEGIN CREATE ROLE {role} LOGIN NOSUPERUSER;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        ))
        .unwrap();
    }
    let db = url.rsplit('/').next().unwrap();
    su.batch_execute(&format!("GRANT CREATE ON DATABASE \"{db}\" TO {OWNER}"))
        .unwrap();
    let mut admin = Admin::connect(&url_as(url, OWNER)).unwrap();
    admin.migrate().unwrap();
    admin
}

fn new_register(admin: &mut Admin, name: &str) -> RegisterId {
    let register = RegisterId::new(format!("b{}-{name}", std::process::id())).unwrap();
    admin.create_register(&register).unwrap();
    admin.grant(&register, APP).unwrap();
    register
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn writers(url: &str) {
    let mut admin = setup(url);
    let app = url_as(url, APP);
    const SECONDS: &str = "10";
    println!(
        "| layout | writers | events | events/s | p50 ms | p99 ms | retries | writers' CPU ms per event | load average (1 min) before, after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for shared in [false, true] {
        for n in [1usize, 4, 16] {
            let registers: Vec<RegisterId> = if shared {
                vec![new_register(&mut admin, &format!("shared{n}")); n]
            } else {
                (0..n)
                    .map(|i| new_register(&mut admin, &format!("d{n}-{i}")))
                    .collect()
            };
            let load_before = load_average();
            let start = Instant::now();
            let children: Vec<_> = registers
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    Command::new(env!("CARGO_BIN_EXE_isms-pg-writer"))
                        .args(["commands", &app, r.as_str(), SECONDS, &(i + 1).to_string()])
                        .stdout(Stdio::piped())
                        .spawn()
                        .unwrap()
                })
                .collect();
            let mut latencies = Vec::new();
            let (mut events, mut retries, mut cpu_ms) = (0u64, 0u64, 0u64);
            for c in children {
                let out = c.wait_with_output().unwrap();
                assert!(out.status.success(), "a writer failed");
                let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                events += v["events"].as_u64().unwrap();
                retries += v["retries"].as_u64().unwrap();
                cpu_ms += v["cpu_ms"].as_u64().unwrap_or(0);
                latencies.extend(
                    v["latencies_us"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|l| l.as_u64().unwrap()),
                );
            }
            let elapsed = start.elapsed().as_secs_f64();
            latencies.sort_unstable();
            println!(
                "| {} | {n} | {events} | {:.0} | {:.2} | {:.2} | {retries} | {:.2} | {load_before}, {} |",
                if shared {
                    "one register"
                } else {
                    "a register each"
                },
                events as f64 / elapsed,
                percentile(&latencies, 0.50) as f64 / 1000.0,
                percentile(&latencies, 0.99) as f64 / 1000.0,
                cpu_ms as f64 / events.max(1) as f64,
                load_average(),
            );
            std::io::stdout().flush().unwrap();
        }
    }
}

/// The 1-minute load average (`/proc/loadavg`), or `?`.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// One CSV field, quoted.
fn csv(out: &mut Vec<u8>, field: &str) {
    out.push(b'"');
    for b in field.bytes() {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn big(url: &str, count: u32) {
    let mut admin = setup(url);
    let register = new_register(&mut admin, "big");
    let r = register.as_str();
    eprintln!("loading {count} nonconformities into register {r} with COPY...");
    let started = Instant::now();
    let mut workload = Workload::new();
    let (_, template) = workload.report(Default::default()).unwrap();
    let template = template.into_iter().next().unwrap();
    let millis = template.at.timestamp_millis() as u64;
    let nc_id = |i: u32| {
        let mut e = [0u8; 10];
        e[6..].copy_from_slice(&i.to_be_bytes());
        NonconformityId::v7_from_parts(millis, e)
    };
    let (mut events, mut claims, mut items, mut facts) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut prev = ChainHash::GENESIS;
    let copy = |client: &mut Client, table: &str, columns: &str, data: &mut Vec<u8>| {
        let mut w = client
            .copy_in(&format!(
                "COPY isms.{table} ({columns}) FROM STDIN (FORMAT csv)"
            ))
            .unwrap();
        w.write_all(data).unwrap();
        w.finish().unwrap();
        data.clear();
    };
    let mut tx_client = Client::connect(&url_as(url, OWNER), NoTls).unwrap();
    for i in 1..=count {
        let mut e = template.clone();
        let id = nc_id(i);
        e.stream = StreamId::Nonconformity(id);
        let mut eid = [0u8; 10];
        eid[6..].copy_from_slice(&i.to_be_bytes());
        e.id = EventId::v7_from_parts(millis, eid);
        if let EventPayload::NonconformityReported { reference, .. } = &mut e.payload {
            *reference = NcRef::new(i).unwrap();
        }
        let body = event_body(&e).unwrap();
        let stream = e.stream.to_string();
        let hash = chain_hash(&prev, u64::from(i), &stream, 1, body.as_bytes());
        prev = hash;
        writeln!(events, "{r},{i},{stream},1,{}", {
            let mut f = Vec::new();
            csv(&mut f, &body);
            write!(f, ",\\x{}", hash.to_hex()).unwrap();
            String::from_utf8(f).unwrap()
        })
        .unwrap();
        writeln!(claims, "{r},NC-{i:04},1,{i},{stream}").unwrap();
        let mut item = None;
        isms_core::apply(&mut item, &e);
        let row = ItemRow::of(item.as_ref().unwrap()).unwrap();
        write!(items, "{r},{stream},1,{i},{},", row.state).unwrap();
        csv(&mut items, &row.owner);
        write!(
            items,
            ",{},{},1,{i},",
            row.severity.unwrap_or(""),
            row.next_due.as_deref().unwrap_or("")
        )
        .unwrap();
        csv(&mut items, &row.body);
        items.push(b'\n');
        writeln!(facts, "{r},1,{i},\\x{}", hex(&row.facts)).unwrap();
        if i % 50_000 == 0 || i == count {
            copy(
                &mut tx_client,
                "events",
                "register, position, stream, sequence, body, hash",
                &mut events,
            );
            copy(
                &mut tx_client,
                "claims",
                "register, claim, kind, number, stream",
                &mut claims,
            );
            copy(
                &mut tx_client,
                "items",
                "register, stream, kind, number, state, owner, severity, next_due, version, position, body",
                &mut items,
            );
            copy(
                &mut tx_client,
                "kpi_facts",
                "register, kind, number, facts",
                &mut facts,
            );
            eprint!("\r{i} loaded ({:.0} s)", started.elapsed().as_secs_f64());
        }
    }
    eprintln!();
    tx_client
        .execute(
            "UPDATE isms.registers SET head_position = $2, head_hash = $3 WHERE register = $1",
            &[&r, &i64::from(count), &&prev.0[..]],
        )
        .unwrap();
    tx_client
        .batch_execute("ANALYZE isms.events; ANALYZE isms.claims; ANALYZE isms.items")
        .unwrap();
    let loaded = started.elapsed();
    let size: i64 = tx_client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .unwrap()
        .get(0);
    eprintln!(
        "loaded in {:.1} s; database now {} MB",
        loaded.as_secs_f64(),
        size / 1_000_000
    );

    let store = PgStore::connect(&url_as(url, APP), &register).unwrap();
    let handler = CommandHandler::new(store, Policy::default());
    let who = Invocation::new(
        Actor::new(ActorId::new("maria").unwrap()),
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    );
    let mut rng = 0x9e37_79b9_7f4a_7c15_u64;
    let mut samples = Vec::new();
    for n in 0..2_000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let i = 1 + (rng % u64::from(count)) as u32;
        let command = Workload::containment_command(nc_id(i), "Disabled the account");
        let start = Instant::now();
        let (item, decision) = handler.decide(&command, &who).unwrap();
        let took = start.elapsed();
        assert!(matches!(item, Some(Item::Nonconformity(_))));
        assert_eq!(decision.events.len(), 1);
        if n >= 100 {
            samples.push(took.as_micros() as u64);
        }
    }
    samples.sort_unstable();
    println!(
        "load one item and decide on a register of {count} nonconformities: p50 {:.3} ms, p99 {:.3} ms ({} samples)",
        percentile(&samples, 0.5) as f64 / 1000.0,
        percentile(&samples, 0.99) as f64 / 1000.0,
        samples.len()
    );
    let started = Instant::now();
    let verified = handler.store().verify().unwrap();
    println!(
        "verify of its chain ({} events): {:.2} s",
        verified.events,
        started.elapsed().as_secs_f64()
    );
    drop(handler);
    let started = Instant::now();
    admin.drop_register(&register).unwrap();
    eprintln!(
        "dropped the register in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Ok(url) = std::env::var("ISMS_BENCH_PG_URL") else {
        eprintln!("skipping: set ISMS_BENCH_PG_URL to a superuser URL of a throw-away server");
        return;
    };
    match args.first().map(String::as_str) {
        Some("writers") => writers(&url),
        Some("big") => big(
            &url,
            args.get(1)
                .map_or(1_000_000, |n| n.parse().expect("a count")),
        ),
        _ => {
            eprintln!("usage: cargo bench -p isms-store-postgres --bench server -- writers|big [N]")
        }
    }
}
