//! An embedder's own event store: the contract, the shared append checks,
//! and the conformance suite, in one file.
//!
//! ```text
//! cargo run --example own_store --features conformance
//! ```
//!
//! A GRC product that keeps data in its own storage implements
//! [`EventStore`] once and gets everything above it: the command handler
//! (optimistic concurrency per item, retries, idempotent request ids),
//! KPIs, exports. This store keeps the log as JSON lines in a file, with the
//! stream versions, claims and requests as in-memory indexes rebuilt when
//! the file is opened. [`plan_append`] does every check an append needs
//! (versions, sequences, streams, claims, chain hashes); the store only
//! writes what it is handed. Then [`conformance::run`] checks the whole
//! contract against it, and a nonconformity is reported through the
//! [`CommandHandler`] as a product would do it, deciding on that item alone.

#![allow(clippy::print_stdout)] // an example program: printing is its job

use std::collections::HashMap;
use std::error::Error;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use chrono::{TimeZone, Utc};
use isms::core::{Actor, ActorId, Claim, Event, Policy, RefKind, StreamId};
use isms::store::append::{AppendState, plan_append};
use isms::store::workload::Workload;
use isms::store::{
    AppendBatch, AppendError, Appended, ChainHash, ChainHead, ChainWalk, CommandHandler,
    EventStore, Invocation, ReadError, RecordedRequest, RequestId, Selection, StoredEvent,
    Verified, VerifyError, conformance,
};

/// One line of the log file: an event with its position and chain hash.
#[derive(serde::Serialize, serde::Deserialize)]
struct Line {
    position: u64,
    hash: ChainHash,
    body: String,
}

/// The product's store: a JSON-lines file plus indexes kept in memory.
struct JsonLinesStore {
    path: PathBuf,
    rows: Vec<(u64, ChainHash, String, Event)>,
    versions: HashMap<StreamId, u64>,
    claims: HashMap<Claim, StreamId>,
    requests: HashMap<RequestId, RecordedRequest>,
}

impl JsonLinesStore {
    /// Opens the file (creating it), rebuilding the indexes from the log.
    fn open(path: &Path) -> Result<Self, Box<dyn Error>> {
        let mut store = JsonLinesStore {
            path: path.to_owned(),
            rows: Vec::new(),
            versions: HashMap::new(),
            claims: HashMap::new(),
            requests: HashMap::new(),
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)?;
        for line in BufReader::new(file).lines() {
            let line: Line = serde_json::from_str(&line?)?;
            let event: Event = serde_json::from_str(&line.body)?;
            store.index(&event);
            store
                .rows
                .push((line.position, line.hash, line.body, event));
        }
        Ok(store)
    }

    fn index(&mut self, event: &Event) {
        self.versions.insert(event.stream, event.sequence);
        if let Some(claim) = event.claim() {
            self.claims.insert(claim, event.stream);
        }
    }

    fn io(&self, operation: &'static str) -> impl Fn(std::io::Error) -> ReadError + '_ {
        move |source| ReadError::Io {
            path: self.path.clone(),
            operation,
            source,
        }
    }
}

/// What `plan_append` asks of the store's state.
struct State<'a>(&'a JsonLinesStore);

impl AppendState for State<'_> {
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError> {
        Ok(self.0.versions.get(&stream).copied().unwrap_or(0))
    }

    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        Ok(self.0.claims.get(&claim).copied())
    }

    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError> {
        EventStore::last_number(self.0, kind)
    }
}

impl EventStore for JsonLinesStore {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        if let Some(r) = &batch.request
            && self.requests.contains_key(&r.id)
        {
            return Err(AppendError::DuplicateRequest {
                request: r.id.clone(),
            });
        }
        // Every check is shared; this store only collects the rows...
        let mut rows = Vec::new();
        let mut text = String::new();
        let appended = plan_append(batch, self.head()?, &mut State(self), &mut |p| {
            let line = Line {
                position: p.position,
                hash: p.hash,
                body: p.body.to_owned(),
            };
            text += &serde_json::to_string(&line)?;
            text.push('\n');
            rows.push((p.position, p.hash, p.body.to_owned(), p.event.clone()));
            Ok(())
        })?;
        // ...and writes them in one append, made durable before the
        // indexes change (a real product would use its database's
        // transaction here).
        let mut file = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(self.io("open the log"))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(self.io("append to the log"))?;
        for row in rows {
            self.index(&row.3);
            self.rows.push(row);
        }
        if let Some(r) = &batch.request {
            let recorded = RecordedRequest {
                record: r.clone(),
                first: appended.first,
                last: appended.last,
            };
            self.requests.insert(r.id.clone(), recorded);
        }
        Ok(appended)
    }

    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), ReadError> {
        for (position, hash, _, event) in &self.rows {
            if selection.selects(*position, event) {
                visit(StoredEvent {
                    position: *position,
                    hash: *hash,
                    event: event.clone(),
                });
            }
        }
        Ok(())
    }

    fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        Ok(self.versions.get(&stream).copied().unwrap_or(0))
    }

    fn head(&self) -> Result<ChainHead, ReadError> {
        Ok(self
            .rows
            .last()
            .map_or(ChainHead::EMPTY, |(position, hash, ..)| ChainHead {
                position: *position,
                hash: *hash,
            }))
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        let mut walk = ChainWalk::new();
        for (position, hash, body, event) in &self.rows {
            let stream = event.stream.to_string();
            walk.step(*position, &stream, event.sequence, body.as_bytes(), *hash)?;
        }
        Ok(Verified {
            events: self.rows.len() as u64,
            head: walk.head(),
        })
    }

    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
        Ok(self.requests.get(id).cloned())
    }

    fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        Ok(self.claims.get(&claim).copied())
    }

    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
        Ok(self
            .claims
            .keys()
            .filter(|c| c.kind() == kind)
            .map(|c| c.number())
            .max()
            .unwrap_or(0))
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("isms-own-store-{}", std::process::id()));
    fs::create_dir_all(&dir)?;

    // 1. The whole contract, on fresh files.
    let mut n = 0;
    let passed = conformance::run(|| {
        n += 1;
        let path = dir.join(format!("suite-{n}.jsonl"));
        let _ = fs::remove_file(&path);
        JsonLinesStore::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    })?;
    println!(
        "conformance: all {} checks passed on the JSON-lines store",
        passed.checks
    );

    // 2. The product's own path: report a nonconformity through the handler.
    let path = dir.join("register.jsonl");
    let _ = fs::remove_file(&path);
    let mut handler = CommandHandler::new(JsonLinesStore::open(&path)?, Policy::default());
    let mut workload = Workload::new();
    for events in (0..3).map(|_| workload.lifecycle(Default::default())) {
        let events = events?;
        let stream = events[0].stream;
        handler.store_mut().append_to_stream(
            stream,
            isms::store::ExpectedVersion::NoStream,
            events,
        )?;
    }
    let report = workload.report_command(Default::default());
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let who = Invocation::new(Actor::new(ActorId::new("maria")?), at)
        .with_entropy(0x5eed)
        .with_request(RequestId::new("ticket-4711")?);
    let outcome = handler.handle(&report, &who)?;
    let event = &outcome.events[0].event;
    println!(
        "reported {} at position {}: the fourth nonconformity, decided from its own (empty) stream and the facts it needs",
        event.claim().map(|c| c.to_string()).unwrap_or_default(),
        outcome.events[0].position
    );
    assert_eq!(
        event.claim().map(|c| c.to_string()).as_deref(),
        Some("NC-0004")
    );
    // A client retry of the same request appends nothing.
    let again = handler.handle(&report, &who)?;
    assert!(again.replayed);

    // 3. Reopened from the file, the log verifies and holds the same head.
    let head = handler.store().head()?;
    let reopened = JsonLinesStore::open(&path)?;
    assert_eq!(reopened.verify()?.head, head);
    println!(
        "reopened: {} events, chain head {} verified",
        head.position, head.hash
    );
    drop(File::open(&path)?);
    fs::remove_dir_all(&dir)?;
    Ok(())
}
