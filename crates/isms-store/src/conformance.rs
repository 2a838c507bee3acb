//! The conformance suite of the [`EventStore`] contract (feature
//! `conformance`): every guarantee the trait documents, checked against
//! any implementation with one call.
//!
//! ```
//! use isms_store::{MemoryStore, conformance};
//!
//! let passed = conformance::run(MemoryStore::new)?;
//! assert_eq!(passed.checks, conformance::CHECKS.len());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A backend's own test suite calls [`run`] with a function that makes an
//! empty store (a new file, a new schema, a new register in a shared
//! database); each check gets a store of its own. A failure names the
//! check and what differed. The suite compares chains with
//! [`MemoryStore`], so two backends that pass give the same hashes for the
//! same events, and it runs the [`CommandHandler`] on the store against the
//! same commands run on an in-memory [`Register`].

use chrono::{TimeZone, Utc};
use isms_core::{
    Actor, ActorId, Claim, Command, Context, Event, Item, NcSummary, Policy, RefKind, Register,
    StreamId,
};

use crate::chain::{chain_hash, event_body};
use crate::error::{AppendError, HandleError};
use crate::handler::{CommandHandler, Invocation};
use crate::memory::MemoryStore;
use crate::query::{ItemFilter, ItemKind};
use crate::store::EventStore;
use crate::types::{
    AppendBatch, ChainHash, ChainHead, ExpectedVersion, Numbering, RequestId, RequestRecord,
    Selection, StreamAppend,
};
use crate::workload::Workload;

/// A check of the suite that did not hold.
#[derive(Debug, thiserror::Error)]
#[error("conformance check `{check}` failed: {detail}")]
pub struct Failure {
    /// The check's name (one of [`CHECKS`]).
    pub check: &'static str,
    /// What differed, or the error the store returned.
    pub detail: String,
}

/// What a successful run checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passed {
    /// Number of checks run (all of [`CHECKS`]).
    pub checks: usize,
}

type Check<S> = fn(&mut dyn FnMut() -> S) -> Result<(), String>;

/// The names of the checks, in the order they run.
pub const CHECKS: &[&str] = &[
    "an empty store",
    "append and read back",
    "optimistic concurrency",
    "sequences continue their stream",
    "events belong to the declared stream",
    "an empty append is refused",
    "batches are atomic",
    "claims are unique",
    "the store numbers new items",
    "idempotent requests",
    "selections",
    "the chain is the shared chain",
    "items and facts",
    "the command handler on the store",
    "the policy in force",
];

/// Runs every check, each on a fresh store from `new_store`.
///
/// # Errors
/// The first [`Failure`].
pub fn run<S: EventStore>(mut new_store: impl FnMut() -> S) -> Result<Passed, Failure> {
    let checks: [Check<S>; 15] = [
        empty_store,
        append_and_read,
        optimistic_concurrency,
        sequences_continue,
        stream_mismatch,
        empty_append,
        atomic_batches,
        unique_claims,
        store_numbers_new_items,
        idempotent_requests,
        selections,
        shared_chain,
        items_and_facts,
        handler_on_store,
        policy_in_force,
    ];
    for (name, check) in CHECKS.iter().zip(checks) {
        check(&mut new_store).map_err(|detail| Failure {
            check: name,
            detail,
        })?;
    }
    Ok(Passed {
        checks: CHECKS.len(),
    })
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// `Ok` when `cond` holds, else the message.
fn ensure(cond: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(message()) }
}

fn equal<T: PartialEq + std::fmt::Debug>(what: &str, found: T, expected: T) -> Result<(), String> {
    ensure(found == expected, || {
        format!("{what}: found {found:?}, expected {expected:?}")
    })
}

/// `n` whole lifecycles (10 events each), one stream each.
fn lifecycles(workload: &mut Workload, n: usize) -> Result<Vec<Vec<Event>>, String> {
    (0..n)
        .map(|_| workload.lifecycle(Default::default()).map_err(err))
        .collect()
}

fn append_new(store: &mut impl EventStore, events: Vec<Event>) -> Result<(), String> {
    let stream = events.first().ok_or("no events")?.stream;
    store
        .append_to_stream(stream, ExpectedVersion::NoStream, events)
        .map(|_| ())
        .map_err(err)
}

/// The store must refuse `batch` with an error `is_expected` accepts, and
/// write nothing.
fn refused<S: EventStore>(
    store: &mut S,
    batch: &AppendBatch,
    what: &str,
    is_expected: impl Fn(&AppendError) -> bool,
) -> Result<(), String> {
    let head = store.head().map_err(err)?;
    match store.append(batch) {
        Ok(a) => return Err(format!("{what}: appended at {:?}", a.positions())),
        Err(e) if is_expected(&e) => {}
        Err(e) => return Err(format!("{what}: unexpected error {e}")),
    }
    equal(
        &format!("{what}: head after the refusal"),
        store.head().map_err(err)?,
        head,
    )?;
    store.verify().map_err(err)?;
    Ok(())
}

fn empty_store<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let store = new_store();
    equal("head", store.head().map_err(err)?, ChainHead::EMPTY)?;
    equal("verified events", store.verify().map_err(err)?.events, 0)?;
    equal("events", store.load_all().map_err(err)?.len(), 0)?;
    equal(
        "last NC number",
        store.last_number(RefKind::Nonconformity).map_err(err)?,
        0,
    )?;
    let nc = Workload::new().report(Default::default()).map_err(err)?.0;
    equal(
        "an unknown item",
        store
            .load_item(StreamId::Nonconformity(nc))
            .map_err(err)?
            .is_none(),
        true,
    )?;
    equal(
        "an unknown reference",
        store
            .find_claim(Claim::Nonconformity("NC-0001".parse().map_err(err)?))
            .map_err(err)?,
        None,
    )
}

fn append_and_read<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut workload = Workload::new();
    let all = lifecycles(&mut workload, 3)?.concat();
    for chunk in all.chunk_by(|a, b| a.stream == b.stream) {
        let appended = store
            .append_to_stream(chunk[0].stream, ExpectedVersion::NoStream, chunk.to_vec())
            .map_err(err)?;
        equal(
            "head after append",
            store.head().map_err(err)?,
            appended.head,
        )?;
    }
    let read: Vec<Event> = store
        .load_all()
        .map_err(err)?
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            if s.position == i as u64 + 1 {
                Ok(s.event)
            } else {
                Err(format!("position {} at index {i}", s.position))
            }
        })
        .collect::<Result<_, _>>()?;
    equal("events read back", &read, &all)?;
    let stream = all[0].stream;
    equal(
        "stream version",
        store.stream_version(stream).map_err(err)?,
        10,
    )?;
    let one: Vec<Event> = store
        .load_stream(stream)
        .map_err(err)?
        .into_iter()
        .map(|s| s.event)
        .collect();
    equal("one stream", one.as_slice(), &all[..10])?;
    equal(
        "the fold",
        &store.fold(Selection::All).map_err(err)?,
        workload.register(),
    )
}

fn optimistic_concurrency<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut workload = Workload::new();
    let events = workload.lifecycle(Default::default()).map_err(err)?;
    let stream = events[0].stream;
    append_new(&mut store, events[..4].to_vec())?;
    let rest = events[4..].to_vec();
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Exact(3)] {
        refused(
            &mut store,
            &AppendBatch::single(stream, expected, rest.clone()),
            &format!("expecting {expected}"),
            |e| matches!(e, AppendError::Conflict { actual: 4, .. }),
        )?;
    }
    store
        .append_to_stream(stream, ExpectedVersion::Exact(4), rest)
        .map_err(err)?;
    equal("version", store.stream_version(stream).map_err(err)?, 10)
}

fn sequences_continue<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let events = Workload::new().lifecycle(Default::default()).map_err(err)?;
    let stream = events[0].stream;
    append_new(&mut store, events[..2].to_vec())?;
    // A gap (skipping event 3) and a repeat (event 2 again), even with
    // `Any`, are refused.
    for (what, tail) in [("a gap", &events[3..5]), ("a repeat", &events[1..3])] {
        refused(
            &mut store,
            &AppendBatch::single(stream, ExpectedVersion::Any, tail.to_vec()),
            what,
            |e| matches!(e, AppendError::SequenceMismatch { .. }),
        )?;
    }
    Ok(())
}

fn stream_mismatch<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut workload = Workload::new();
    let a = workload.report(Default::default()).map_err(err)?.1;
    let b = workload.report(Default::default()).map_err(err)?.1;
    refused(
        &mut store,
        &AppendBatch::single(a[0].stream, ExpectedVersion::NoStream, b),
        "an event of another stream",
        |e| matches!(e, AppendError::StreamMismatch { .. }),
    )
}

fn empty_append<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let stream = Workload::new().report(Default::default()).map_err(err)?.1[0].stream;
    refused(
        &mut store,
        &AppendBatch::single(stream, ExpectedVersion::Any, vec![]),
        "an empty append",
        |e| matches!(e, AppendError::EmptyAppend),
    )?;
    refused(
        &mut store,
        &AppendBatch::default(),
        "a batch of no appends",
        |e| matches!(e, AppendError::EmptyAppend),
    )
}

fn atomic_batches<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut workload = Workload::new();
    let first = workload.lifecycle(Default::default()).map_err(err)?;
    let second = workload.lifecycle(Default::default()).map_err(err)?;
    append_new(&mut store, second.clone())?;
    // The first append is fine, the second conflicts: neither is written.
    let batch = AppendBatch {
        appends: vec![
            StreamAppend {
                stream: first[0].stream,
                expected: ExpectedVersion::NoStream,
                events: first.clone(),
            },
            StreamAppend {
                stream: second[0].stream,
                expected: ExpectedVersion::NoStream,
                events: second,
            },
        ],
        request: None,
        numbering: Numbering::AsDecided,
    };
    refused(&mut store, &batch, "a batch with one conflict", |e| {
        matches!(e, AppendError::Conflict { .. })
    })?;
    equal(
        "the first stream after the refused batch",
        store.stream_version(first[0].stream).map_err(err)?,
        0,
    )?;
    // Two appends to one stream in one batch continue each other.
    let batch = AppendBatch {
        appends: vec![
            StreamAppend {
                stream: first[0].stream,
                expected: ExpectedVersion::NoStream,
                events: first[..3].to_vec(),
            },
            StreamAppend {
                stream: first[0].stream,
                expected: ExpectedVersion::Exact(3),
                events: first[3..].to_vec(),
            },
        ],
        request: None,
        numbering: Numbering::AsDecided,
    };
    let appended = store.append(&batch).map_err(err)?;
    equal(
        "positions of a two-part batch",
        appended.positions(),
        11..=20,
    )
}

fn unique_claims<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    // Two writers that decided on the same (empty) register: both report
    // NC-0001.
    let (mine, my_events) = Workload::new().report(Default::default()).map_err(err)?;
    let (_, rival) = Workload::new()
        .with_salt(9)
        .report(Default::default())
        .map_err(err)?;
    append_new(&mut store, my_events)?;
    let taken = |e: &AppendError| matches!(e, AppendError::ReferenceTaken { reference, .. } if reference == "NC-0001");
    refused(
        &mut store,
        &AppendBatch::single(rival[0].stream, ExpectedVersion::NoStream, rival.clone()),
        "a reference another stream holds",
        taken,
    )?;
    let nc1 = Claim::Nonconformity("NC-0001".parse().map_err(err)?);
    equal(
        "the holder of NC-0001",
        store.find_claim(nc1).map_err(err)?,
        Some(StreamId::Nonconformity(mine)),
    )?;
    // Within one batch, too.
    let mut fresh = new_store();
    let (_, a) = Workload::new().report(Default::default()).map_err(err)?;
    let batch = AppendBatch {
        appends: vec![
            StreamAppend {
                stream: a[0].stream,
                expected: ExpectedVersion::NoStream,
                events: a,
            },
            StreamAppend {
                stream: rival[0].stream,
                expected: ExpectedVersion::NoStream,
                events: rival,
            },
        ],
        request: None,
        numbering: Numbering::AsDecided,
    };
    refused(&mut fresh, &batch, "one reference twice in a batch", taken)?;
    // Action ids and numbering.
    let mut workload = Workload::new();
    for events in lifecycles(&mut workload, 3)? {
        append_new(&mut fresh, events)?;
    }
    equal(
        "last NC number",
        fresh.last_number(RefKind::Nonconformity).map_err(err)?,
        3,
    )?;
    equal(
        "last improvement number",
        fresh.last_number(RefKind::Improvement).map_err(err)?,
        0,
    )?;
    for nc in workload.register().nonconformities() {
        for a in &nc.actions {
            equal(
                "the holder of an action id",
                fresh.find_claim(Claim::Action(a.id)).map_err(err)?,
                Some(StreamId::Nonconformity(nc.id)),
            )?;
        }
        equal(
            "the holder of a reference",
            fresh
                .find_claim(Claim::Nonconformity(nc.reference))
                .map_err(err)?,
            Some(StreamId::Nonconformity(nc.id)),
        )?;
    }
    Ok(())
}

fn store_numbers_new_items<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    // Writers that each decided on the same empty register: every report
    // says NC-0001, every proposal IMP-0001.
    let mut writers: Vec<Workload> = (0..4).map(|w| Workload::new().with_salt(w + 1)).collect();
    let policy = Policy::default();
    let at = Utc
        .with_ymd_and_hms(2026, 2, 2, 9, 0, 0)
        .single()
        .ok_or("a valid instant")?;
    let ctx = Context::new(at, Actor::new(ActorId::new("maria").map_err(err)?), &policy);
    let empty = Register::new();
    let mut decided = |w: usize, report: bool| -> Result<Vec<Event>, String> {
        let command = if report {
            writers[w].report_command(Default::default())
        } else {
            writers[w].improvement_command()
        };
        empty.decide(&command, &ctx).map(|d| d.events).map_err(err)
    };
    let assign = |events: Vec<Event>| {
        AppendBatch::single(events[0].stream, ExpectedVersion::NoStream, events)
            .with_numbering(Numbering::Assign)
    };
    let mut expected = Vec::new();
    for (w, report) in [(0, true), (1, true), (2, false), (3, true), (1, false)] {
        let events = decided(w, report)?;
        let stream = events[0].stream;
        store.append(&assign(events)).map_err(err)?;
        expected.push(stream);
    }
    // Two new items in one batch, both decided as NC-0001: numbered in
    // batch order; and a number decided too high is brought back in line.
    let (a, mut b) = (decided(0, true)?, decided(2, true)?);
    b[0].renumber(90).map_err(err)?;
    expected.extend([a[0].stream, b[0].stream]);
    let batch = AppendBatch {
        appends: vec![
            StreamAppend {
                stream: a[0].stream,
                expected: ExpectedVersion::NoStream,
                events: a,
            },
            StreamAppend {
                stream: b[0].stream,
                expected: ExpectedVersion::NoStream,
                events: b,
            },
        ],
        request: None,
        numbering: Numbering::Assign,
    };
    store.append(&batch).map_err(err)?;
    let want = [
        "NC-0001", "NC-0002", "IMP-0001", "NC-0003", "IMP-0002", "NC-0004", "NC-0005",
    ];
    // The log, the claims index, the items and the KPI facts all carry the
    // numbers given, and the chain verifies over the bodies as renumbered.
    let register = store.fold(Selection::All).map_err(err)?;
    for (stream, reference) in expected.iter().zip(want) {
        let claim = store
            .load_item(*stream)
            .map_err(err)?
            .map(|item| match item {
                Item::Nonconformity(nc) => Claim::Nonconformity(nc.reference),
                Item::Improvement(imp) => Claim::Improvement(imp.reference),
            })
            .ok_or_else(|| format!("{stream} was not stored"))?;
        equal(
            &format!("the reference of {stream}"),
            claim.to_string(),
            reference.into(),
        )?;
        equal(
            &format!("the holder of {reference}"),
            store.find_claim(claim).map_err(err)?,
            Some(*stream),
        )?;
    }
    equal(
        "last NC number",
        store.last_number(RefKind::Nonconformity).map_err(err)?,
        5,
    )?;
    equal(
        "last improvement number",
        store.last_number(RefKind::Improvement).map_err(err)?,
        2,
    )?;
    for kind in [ItemKind::Nonconformity, ItemKind::Improvement] {
        let filter = ItemFilter {
            kind,
            ..ItemFilter::default()
        };
        let mut listed = Vec::new();
        store
            .list_items(&filter, &mut |item| listed.push(item))
            .map_err(err)?;
        let mut folded = Vec::new();
        crate::query::filter_register(&register, &filter, &mut |item| folded.push(item));
        equal(&format!("listed {kind:?} items"), listed, folded)?;
    }
    let mut facts = Vec::new();
    store.read_facts(&mut |f| facts.push(f)).map_err(err)?;
    let mut folded = Vec::new();
    crate::query::register_facts(&register, &mut |f| folded.push(f));
    equal("KPI facts", facts, folded)?;
    store.verify().map_err(err)?;
    // As decided (the default), a taken number is still refused.
    let events = decided(3, true)?;
    refused(
        &mut store,
        &AppendBatch::single(events[0].stream, ExpectedVersion::NoStream, events),
        "a reference another stream holds, not to be numbered by the store",
        |e| matches!(e, AppendError::ReferenceTaken { reference, .. } if reference == "NC-0001"),
    )
}

fn idempotent_requests<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut workload = Workload::new();
    let (_, a) = workload.report(Default::default()).map_err(err)?;
    let (_, b) = workload.report(Default::default()).map_err(err)?;
    let id = RequestId::new("conformance-1").map_err(err)?;
    let record = RequestRecord {
        id: id.clone(),
        fingerprint: ChainHash([7; 32]),
        warnings: vec![],
    };
    let mut batch = AppendBatch::single(a[0].stream, ExpectedVersion::NoStream, a);
    batch.request = Some(record.clone());
    let appended = store.append(&batch).map_err(err)?;
    let found = store
        .find_request(&id)
        .map_err(err)?
        .ok_or("request not recorded")?;
    equal("recorded request", &found.record, &record)?;
    equal(
        "its positions",
        (found.first, found.last),
        (appended.first, appended.last),
    )?;
    let mut again = AppendBatch::single(b[0].stream, ExpectedVersion::NoStream, b);
    again.request = Some(record);
    refused(&mut store, &again, "a request id already recorded", |e| {
        matches!(e, AppendError::DuplicateRequest { .. })
    })?;
    equal(
        "an unknown request",
        store
            .find_request(&RequestId::new("other").map_err(err)?)
            .map_err(err)?,
        None,
    )
}

fn selections<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut workload = Workload::new();
    let all = lifecycles(&mut workload, 3)?.concat();
    for chunk in all.chunk_by(|a, b| a.stream == b.stream) {
        append_new(&mut store, chunk.to_vec())?;
    }
    let positions = |sel| -> Result<Vec<u64>, String> {
        Ok(store
            .load(sel)
            .map_err(err)?
            .iter()
            .map(|s| s.position)
            .collect())
    };
    equal(
        "Positions 5..=7",
        positions(Selection::Positions { from: 5, to: 7 })?,
        vec![5, 6, 7],
    )?;
    equal(
        "After 27",
        positions(Selection::After(27))?,
        vec![28, 29, 30],
    )?;
    let cut = all[14].at;
    let expected: Vec<u64> = all
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at <= cut)
        .map(|(i, _)| i as u64 + 1)
        .collect();
    equal("AsOf", positions(Selection::AsOf(cut))?, expected)?;
    let stream = all[10].stream;
    equal(
        "Stream",
        positions(Selection::Stream(stream))?,
        (11..=20).collect(),
    )
}

fn shared_chain<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    let mut store = new_store();
    let mut reference = MemoryStore::new();
    let mut workload = Workload::new();
    for events in lifecycles(&mut workload, 2)? {
        append_new(&mut store, events.clone())?;
        append_new(&mut reference, events)?;
    }
    let mut prev = ChainHash::GENESIS;
    for stored in store.load_all().map_err(err)? {
        let body = event_body(&stored.event).map_err(err)?;
        let e = &stored.event;
        let hash = chain_hash(
            &prev,
            stored.position,
            &e.stream.to_string(),
            e.sequence,
            body.as_bytes(),
        );
        equal(&format!("hash at {}", stored.position), stored.hash, hash)?;
        prev = hash;
    }
    equal(
        "head against the in-memory reference",
        store.head().map_err(err)?,
        reference.head().map_err(err)?,
    )?;
    equal(
        "verified head",
        store.verify().map_err(err)?.head,
        store.head().map_err(err)?,
    )?;
    let anchor = store.head().map_err(err)?;
    store.verify_against(&anchor).map_err(err)?;
    Ok(())
}

fn items_and_facts<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    use isms_core::FactSource as _;
    let mut store = new_store();
    let mut workload = Workload::new();
    for events in lifecycles(&mut workload, 2)? {
        append_new(&mut store, events)?;
    }
    let (open, events) = workload.report(Default::default()).map_err(err)?;
    append_new(&mut store, events)?;
    let facts = store.facts();
    for nc in workload.register().nonconformities() {
        let stream = StreamId::Nonconformity(nc.id);
        let item = store.load_item(stream).map_err(err)?;
        equal(
            "an item folded by the store",
            item.as_ref().map(Item::as_ref),
            workload.register().item(stream),
        )?;
        equal(
            "a nonconformity's summary",
            facts.nonconformity(nc.id).map_err(err)?,
            Some(NcSummary {
                reference: nc.reference,
                state: nc.state,
            }),
        )?;
    }
    equal(
        "the open one",
        facts
            .nonconformity(open)
            .map_err(err)?
            .map(|s| s.reference.number()),
        Some(3),
    )?;
    equal(
        "the next number",
        facts.last_number(RefKind::Nonconformity).map_err(err)?,
        3,
    )
}

fn handler_on_store<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    // The same commands through the handler on the store and through a
    // register in memory: the same events (ids included) or the same
    // refusal, and in the end the same state.
    let policy = Policy::default();
    let mut handler = CommandHandler::new(new_store(), policy.clone());
    let mut register = Register::new();
    let mut workload = Workload::new();
    let actor = Actor::new(ActorId::new("maria").map_err(err)?);
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .ok_or("a valid instant")?;
    for i in 0..5u32 {
        let report = workload.report_command(Default::default());
        let Command::ReportNonconformity(r) = &report else {
            return Err("report_command made another command".into());
        };
        let close = Command::CloseNonconformity {
            nonconformity: r.id,
            isms_changes: vec![],
            notes: None,
        };
        let contain = Workload::containment_command(r.id, "isolated");
        let at = t0 + chrono::Duration::hours(i64::from(i));
        for (k, command) in [report.clone(), contain, close].iter().enumerate() {
            let entropy = u128::from(i) << 8 | k as u128;
            let ctx = Context::new(at, actor.clone(), &policy).with_entropy(entropy);
            let invocation = Invocation::new(actor.clone(), at).with_entropy(entropy);
            match (
                register.execute(command, &ctx),
                handler.handle(command, &invocation),
            ) {
                (Ok(d), Ok(o)) => {
                    let stored: Vec<&Event> = o.events.iter().map(|s| &s.event).collect();
                    equal("events appended", stored, d.events.iter().collect())?;
                }
                (Err(e), Err(HandleError::Refused(f))) => equal("refusal", f, e)?,
                (expected, got) => {
                    return Err(format!(
                        "in memory: {:?}; through the handler: {:?}",
                        expected.map(|d| d.events.len()),
                        got.map(|o| o.events.len())
                    ));
                }
            }
        }
    }
    equal(
        "the register folded from the store",
        &handler.store().fold(Selection::All).map_err(err)?,
        &register,
    )
}

fn policy_in_force<S: EventStore>(new_store: &mut dyn FnMut() -> S) -> Result<(), String> {
    // A policy adopted through the handler is stored in the register's own
    // stream, read back whole, and decides the commands after its
    // effective time (and not those before): the same events as the
    // replayer in memory, ids included.
    use isms_core::replay::{Replayer, Step};
    use isms_core::{
        ActionDecision, AdoptPolicy, AnalysisMethod, PolicyHistory, RootCause, RootCauseCategory,
    };
    let base = Policy::default();
    let mut handler = CommandHandler::new(new_store(), base.clone());
    let mut register = Register::new();
    let mut replayer: Replayer<'_, '_, &str> = Replayer::new(&base, 0);
    let mut workload = Workload::new();
    let actor = Actor::new(ActorId::new("maria").map_err(err)?);
    let t = |day: u32| {
        Utc.with_ymd_and_hms(2026, 2, day, 9, 0, 0)
            .single()
            .ok_or("a valid instant")
    };
    let lenient = Policy {
        containment_required_for: Default::default(),
        ..Policy::default()
    };
    let adopt = AdoptPolicy::new(lenient.clone()).reason("management review");
    let mut appended: Vec<Event> = Vec::new();
    // The replayer gives step n the entropy n: the handler gets the same.
    let mut steps = 0u128;
    let mut invocation = |at| {
        steps += 1;
        Invocation::new(actor.clone(), at).with_entropy(steps)
    };
    let mut same = |d: Result<isms_core::Decision, String>,
                    o: Result<crate::handler::Outcome, HandleError>,
                    what: &str|
     -> Result<(), String> {
        match (d, o) {
            (Ok(d), Ok(o)) => {
                let stored: Vec<Event> = o.events.into_iter().map(|s| s.event).collect();
                equal(what, &stored, &d.events)?;
                appended.extend(stored);
                Ok(())
            }
            (Err(e), Err(HandleError::Refused(f))) => equal(what, f.to_string(), e),
            (d, o) => Err(format!(
                "{what}: in memory {:?}, through the handler {:?}",
                d.map(|d| d.events.len()),
                o.map(|o| o.events.len())
            )),
        }
    };
    let (a, b) = (
        workload.report_command(Default::default()),
        workload.report_command(Default::default()),
    );
    for command in [&a, &b] {
        let step = Step {
            at: t(1)?,
            actor: actor.clone(),
            command: command.clone(),
            origin: "conformance",
        };
        same(
            replayer.step(&mut register, &step).map_err(refusal),
            handler.handle(command, &invocation(t(1)?)),
            "a report",
        )?;
    }
    // Adopted on day 2, effective from day 10.
    same(
        replayer
            .adopt(&mut register, t(10)?, actor.clone(), &adopt, "conformance")
            .map_err(refusal),
        handler.adopt_policy(&adopt, &invocation(t(10)?)),
        "the adoption",
    )?;
    let analyse = |command: &Command| match command {
        Command::ReportNonconformity(r) => Ok(Command::AnalyseRootCause {
            nonconformity: r.id,
            method: AnalysisMethod::FiveWhys,
            causes: vec![RootCause {
                category: RootCauseCategory::Technology,
                statement: "No alert on a failed job".into(),
            }],
            similar: vec![],
            similar_notes: Some("no other job lacks an alert".into()),
            decision: ActionDecision::ActionRequired,
        }),
        _ => Err("report_command made another command".to_owned()),
    };
    // Before day 10 the base policy (containment first for a major one)
    // refuses; after it the adopted one accepts.
    for (command, day) in [(&a, 5), (&b, 11)] {
        let analyse = analyse(command)?;
        let step = Step {
            at: t(day)?,
            actor: actor.clone(),
            command: analyse.clone(),
            origin: "conformance",
        };
        same(
            replayer.step(&mut register, &step).map_err(refusal),
            handler.handle(&analyse, &invocation(t(day)?)),
            "an analysis",
        )?;
    }
    equal("events recorded", appended.len(), 4)?;
    let stored = handler.store().load_stream(StreamId::Policy).map_err(err)?;
    equal("the policy stream's version", stored.len(), 1)?;
    let history = PolicyHistory::from_events(stored.iter().map(|s| &s.event));
    equal(
        "the policy read back",
        history.policy_at(t(10)?, &base),
        &lenient,
    )?;
    equal(
        "the stream's version",
        handler
            .store()
            .stream_version(StreamId::Policy)
            .map_err(err)?,
        1,
    )?;
    equal(
        "the register folded from the store",
        &handler.store().fold(Selection::All).map_err(err)?,
        &register,
    )
}

/// The core's reason of a refused step, as the handler reports it.
fn refusal(e: isms_core::replay::ReplayError<&str>) -> String {
    match e {
        isms_core::replay::ReplayError::Refused { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{ReadError, VerifyError};

    #[test]
    fn the_memory_store_conforms() {
        let passed = run(MemoryStore::new).unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(passed.checks, CHECKS.len());
    }

    /// The suite can fail: a store that forgets claims is caught.
    #[test]
    fn a_store_that_forgets_claims_fails() {
        struct Forgetful(MemoryStore);
        impl EventStore for Forgetful {
            fn append(&mut self, batch: &AppendBatch) -> Result<crate::Appended, AppendError> {
                self.0.append(batch)
            }
            fn read(
                &self,
                selection: Selection,
                visit: &mut dyn FnMut(crate::StoredEvent),
            ) -> Result<(), ReadError> {
                self.0.read(selection, visit)
            }
            fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
                self.0.stream_version(stream)
            }
            fn head(&self) -> Result<ChainHead, ReadError> {
                self.0.head()
            }
            fn verify(&self) -> Result<crate::Verified, VerifyError> {
                self.0.verify()
            }
            fn find_request(
                &self,
                id: &RequestId,
            ) -> Result<Option<crate::RecordedRequest>, ReadError> {
                self.0.find_request(id)
            }
            fn find_claim(&self, _: Claim) -> Result<Option<StreamId>, ReadError> {
                Ok(None)
            }
            fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
                self.0.last_number(kind)
            }
        }
        let failure = run(|| Forgetful(MemoryStore::new())).unwrap_err();
        assert_eq!(failure.check, "claims are unique", "{failure}");
    }
}
