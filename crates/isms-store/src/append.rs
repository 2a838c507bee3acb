//! Append validation, written once for every backend: expected versions,
//! the stream and sequence of every event, the uniqueness of every
//! [`Claim`], the numbers of new items when the store gives them out
//! ([`Numbering::Assign`]), and the chain hashes of the new rows.
//!
//! A backend opens its write transaction, then calls [`plan_append`] with
//! its current head, a way to look up stream versions and claims
//! ([`AppendState`]) and a writer for the rows; on any error it rolls the
//! transaction back, so a refused batch writes nothing.

use std::collections::{HashMap, HashSet};

use std::borrow::Cow;

use isms_core::{Claim, Event, Item, ItemRef, RefKind, StreamId};

use crate::chain::{chain_hash, write_event_body};
use crate::error::{AppendError, ReadError};
use crate::projection::ItemRow;
use crate::types::{AppendBatch, Appended, ChainHash, ChainHead, Numbering};

/// What [`plan_append`] asks a backend, inside its write transaction.
pub trait AppendState {
    /// The number of events the stream holds now (0 if none).
    ///
    /// # Errors
    /// The backend's failure.
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError>;

    /// The stream that holds `claim`, if any.
    ///
    /// # Errors
    /// The backend's failure.
    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError>;

    /// The highest reference number the store holds for items of `kind`
    /// (0 when none); asked only for [`Numbering::Assign`] batches, and only
    /// for [`RefKind::Nonconformity`] and [`RefKind::Improvement`].
    ///
    /// # Errors
    /// The backend's failure.
    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError>;
}

/// One checked event, placed in the log: what a backend writes (the row),
/// indexes (the claim) and projects (the event).
#[derive(Debug)]
pub struct PlannedEvent<'a> {
    /// The event as written: the batch's, or under [`Numbering::Assign`] a
    /// new item's creation with the number the store gave it. A backend
    /// projects this one, never the batch's copy.
    pub event: &'a Event,
    /// Its stream as text (`nonconformity/<uuid>`), as hashed.
    pub stream: &'a str,
    /// Its position in the log.
    pub position: u64,
    /// Its stored body: the JSON that was hashed (UTF-8).
    pub body: &'a str,
    /// Its chain hash.
    pub hash: ChainHash,
    /// The register-wide key it takes, to be indexed with it.
    pub claim: Option<Claim>,
}

/// Checks `batch` against the store's state and hands each event, placed
/// and hashed, to `write`, in log order; returns where the batch went.
/// Nothing is written by this function itself: a backend that gets an
/// error (from here or from its own `write`) discards the transaction.
///
/// # Errors
/// [`AppendError::EmptyAppend`], [`AppendError::Conflict`],
/// [`AppendError::StreamMismatch`], [`AppendError::SequenceMismatch`],
/// [`AppendError::ReferenceTaken`], [`AppendError::ReferencesExhausted`],
/// or what `state` and `write` return.
pub fn plan_append(
    batch: &AppendBatch,
    head: ChainHead,
    state: &mut dyn AppendState,
    write: &mut dyn FnMut(&PlannedEvent<'_>) -> Result<(), AppendError>,
) -> Result<Appended, AppendError> {
    plan(batch, None, head, state, write)
}

/// [`plan_append`] for a [`PreparedBatch`]: the same checks, hashes and
/// rows, with the bodies serialised when the batch was prepared.
///
/// # Errors
/// As [`plan_append`].
pub fn plan_prepared(
    prepared: &PreparedBatch,
    head: ChainHead,
    state: &mut dyn AppendState,
    write: &mut dyn FnMut(&PlannedEvent<'_>) -> Result<(), AppendError>,
) -> Result<Appended, AppendError> {
    let bodies = (!prepared.bodies.is_empty()).then_some(&prepared.bodies);
    plan(&prepared.batch, bodies, head, state, write)
}

/// A batch made ready for an append away from the thread that writes: each
/// event serialised as it will be stored and hashed, and each item the
/// batch creates folded and laid out as its projected rows
/// ([`ItemRow`]). Both are pure functions of the batch, so a loader can
/// prepare the next batch on another thread while the store writes this
/// one ([`plan_prepared`]); the chain hashes, which depend on the log, are
/// still computed in the append.
///
/// A batch whose new items are numbered by the store
/// ([`Numbering::Assign`]) is taken as it is, unprepared: its bodies and
/// rows are only known once the store has given out the numbers.
#[derive(Debug)]
pub struct PreparedBatch {
    batch: AppendBatch,
    bodies: Bodies,
    created: HashMap<StreamId, ItemRow>,
}

/// The bodies of a batch's events, one after another in one string, in
/// batch order: one allocation for a whole batch instead of one string
/// grown several times for each event.
#[derive(Debug, Default)]
struct Bodies {
    text: String,
    /// Where each body ends in `text`.
    ends: Vec<usize>,
}

impl Bodies {
    /// Bytes reserved per event: most events' bodies fit, so the text
    /// rarely grows.
    const PER_EVENT: usize = 512;

    /// The bodies of `events`, serialised as they will be stored, in the
    /// memory of `reuse`.
    fn of<'e>(
        events: impl Iterator<Item = &'e Event>,
        len: usize,
        reuse: Bodies,
    ) -> Result<Self, serde_json::Error> {
        let mut text = reuse.text.into_bytes();
        text.clear();
        text.reserve(len * Self::PER_EVENT);
        let mut ends = reuse.ends;
        ends.clear();
        ends.reserve(len);
        for e in events {
            crate::json::to_writer(&mut text, e)?;
            ends.push(text.len());
        }
        // serde_json writes UTF-8; checking it once here keeps the storing
        // thread from checking each body.
        let text = String::from_utf8(text).map_err(|e| {
            <serde_json::Error as serde::ser::Error>::custom(format!(
                "serialised events are not UTF-8: {e}"
            ))
        })?;
        Ok(Self { text, ends })
    }

    /// The body of the `k`th event of the batch.
    fn get(&self, k: usize) -> Option<&str> {
        let end = *self.ends.get(k)?;
        let start = k
            .checked_sub(1)
            .and_then(|i| self.ends.get(i).copied())
            .unwrap_or(0);
        self.text.get(start..end)
    }

    fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl PreparedBatch {
    /// Prepares `batch`.
    ///
    /// # Errors
    /// [`AppendError::Encode`] if an event or an item does not serialise.
    pub fn new(batch: AppendBatch) -> Result<Self, AppendError> {
        Self::prepare(batch, Bodies::default(), None)
    }

    /// [`PreparedBatch::new`], in the memory of a batch already stored
    /// (the text of its bodies, a few megabytes for a batch of thousands
    /// of events): a loader that prepares batch after batch then does not
    /// ask the allocator for that memory again each time, which an
    /// allocator that hands large blocks back to the operating system when
    /// they are freed makes slow.
    ///
    /// # Errors
    /// As [`PreparedBatch::new`].
    pub fn reusing(batch: AppendBatch, spent: PreparedBatch) -> Result<Self, AppendError> {
        Self::prepare(batch, spent.bodies, None)
    }

    /// [`PreparedBatch::reusing`] (or [`PreparedBatch::new`] without
    /// `spent`) for a caller that holds the items the batch creates, folded
    /// already: a generator that decides a whole register in memory has
    /// each new item at hand when it hands its events over. Their rows are
    /// laid out from `created` instead of folding the batch's events a
    /// second time.
    ///
    /// `created` is asked for each stream the batch creates. An item is
    /// taken only if it is that stream's and has folded exactly the events
    /// the batch holds for it (its version); otherwise, or for `None`, the
    /// batch's events are folded as [`PreparedBatch::new`] does. The item
    /// must be the fold of those events: the rows are written as given, and
    /// rows that are not the fold are what `verify` with projections
    /// reports as a mismatch.
    ///
    /// # Errors
    /// As [`PreparedBatch::new`].
    pub fn with_created<'r>(
        batch: AppendBatch,
        spent: Option<PreparedBatch>,
        created: &dyn Fn(StreamId) -> Option<ItemRef<'r>>,
    ) -> Result<Self, AppendError> {
        let reuse = spent.map(|s| s.bodies).unwrap_or_default();
        Self::prepare(batch, reuse, Some(created))
    }

    fn prepare<'r>(
        batch: AppendBatch,
        reuse: Bodies,
        given: Option<&dyn Fn(StreamId) -> Option<ItemRef<'r>>>,
    ) -> Result<Self, AppendError> {
        let mut bodies = Bodies::default();
        let mut created = HashMap::new();
        if batch.numbering == Numbering::AsDecided {
            let events = batch.appends.iter().flat_map(|a| &a.events);
            bodies = Bodies::of(events, batch.len(), reuse)?;
            // Streams whose first event here is their first event of all
            // (new, if the append accepts the batch), with the number of
            // their events from that one on.
            // Counted for each append, not each event: an append whose
            // events are not its stream's, or not in sequence, fails the
            // batch, and then no row is written.
            let mut new: HashMap<StreamId, u64> = HashMap::new();
            for a in &batch.appends {
                if a.events.first().is_some_and(|e| e.sequence == 1) {
                    new.entry(a.stream).or_insert(0);
                }
                if let Some(n) = new.get_mut(&a.stream) {
                    *n += a.events.len() as u64;
                }
            }
            // An item the caller holds is taken if it has folded exactly
            // those events; any other new stream is folded here.
            let mut folded: HashMap<StreamId, Option<Item>> = HashMap::new();
            for (stream, events) in new {
                match given.and_then(|given| given(stream)) {
                    Some(item) if item.stream() == stream && item.version() == events => {
                        created.insert(stream, ItemRow::of_ref(item)?);
                    }
                    _ => {
                        folded.insert(stream, None);
                    }
                }
            }
            if !folded.is_empty() {
                for e in batch.appends.iter().flat_map(|a| &a.events) {
                    if let Some(item) = folded.get_mut(&e.stream) {
                        isms_core::apply(item, e);
                    }
                }
            }
            for (stream, item) in folded {
                if let Some(item) = item {
                    created.insert(stream, ItemRow::of(&item)?);
                }
            }
        }
        Ok(Self {
            batch,
            bodies,
            created,
        })
    }

    /// The batch.
    pub fn batch(&self) -> &AppendBatch {
        &self.batch
    }

    /// Whether the bodies and rows were prepared (not under
    /// [`Numbering::Assign`]).
    pub fn is_prepared(&self) -> bool {
        !self.bodies.is_empty()
    }

    /// The body of the batch's `k`th event (in batch order), as prepared
    /// and as it will be stored and hashed; `None` past the end or for a
    /// batch that was not prepared.
    pub fn body(&self, k: usize) -> Option<&str> {
        self.bodies.get(k)
    }

    /// The projected rows of an item the batch creates, as prepared.
    pub fn created_row(&self, stream: StreamId) -> Option<&ItemRow> {
        self.created.get(&stream)
    }
}

/// [`plan_append`], with the bodies of the batch's events already
/// serialised in `bodies` (in batch order) or, without them, made here.
fn plan(
    batch: &AppendBatch,
    bodies: Option<&Bodies>,
    head: ChainHead,
    state: &mut dyn AppendState,
    write: &mut dyn FnMut(&PlannedEvent<'_>) -> Result<(), AppendError>,
) -> Result<Appended, AppendError> {
    if batch.is_empty() {
        return Err(AppendError::EmptyAppend);
    }
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut claimed: HashSet<Claim> = HashSet::new();
    let mut position = head.position;
    let mut prev = head.hash;
    let mut body = Vec::with_capacity(1024);
    // Under `Assign`: the number the next new item of each kind gets, read
    // from the store (inside its write lock) the first time it is needed.
    let mut next_numbers: [Option<u32>; 2] = [None, None];
    let mut k = 0usize;
    for a in &batch.appends {
        let current = match versions.get(&a.stream) {
            Some(&v) => v,
            None => state.stream_version(a.stream)?,
        };
        if !a.expected.admits(current) {
            return Err(AppendError::Conflict {
                stream: a.stream,
                expected: a.expected,
                actual: current,
            });
        }
        let stream_text = a.stream.to_string();
        for (i, e) in a.events.iter().enumerate() {
            if e.stream != a.stream {
                return Err(AppendError::StreamMismatch {
                    declared: a.stream,
                    found: e.stream,
                });
            }
            let next = current + 1 + i as u64;
            if e.sequence != next {
                return Err(AppendError::SequenceMismatch {
                    stream: a.stream,
                    expected_next: next,
                    found: e.sequence,
                });
            }
            let e = match batch.numbering {
                Numbering::AsDecided => Cow::Borrowed(e),
                Numbering::Assign => assign_number(e, state, &mut next_numbers)?,
            };
            let e = e.as_ref();
            let claim = e.claim();
            if let Some(c) = claim
                && (!claimed.insert(c) || state.claim_holder(c)?.is_some())
            {
                return Err(AppendError::ReferenceTaken {
                    reference: c.to_string(),
                    stream: a.stream,
                });
            }
            // A prepared body is the batch's own event's (numbering as
            // decided: nothing was renumbered).
            let text: &str = match bodies.and_then(|b| b.get(k)) {
                Some(prepared) => prepared,
                None => {
                    write_event_body(e, &mut body)?;
                    // serde_json writes UTF-8; a failure here would be a serde bug.
                    std::str::from_utf8(&body).map_err(|e| ReadError::Backend {
                        path: Default::default(),
                        operation: "encode event",
                        source: Box::new(e),
                    })?
                }
            };
            k += 1;
            position += 1;
            let hash = chain_hash(&prev, position, &stream_text, e.sequence, text.as_bytes());
            write(&PlannedEvent {
                event: e,
                stream: &stream_text,
                position,
                body: text,
                hash,
                claim,
            })?;
            prev = hash;
        }
        versions.insert(a.stream, current + a.events.len() as u64);
    }
    Ok(Appended {
        first: head.position + 1,
        last: position,
        head: ChainHead {
            position,
            hash: prev,
        },
    })
}

/// `e` with the next number of its kind, if it creates a nonconformity or
/// an improvement; `e` itself otherwise (or when it already has that
/// number).
fn assign_number<'e>(
    e: &'e Event,
    state: &mut dyn AppendState,
    next_numbers: &mut [Option<u32>; 2],
) -> Result<Cow<'e, Event>, AppendError> {
    let (kind, slot) = match e.claim() {
        Some(Claim::Nonconformity(_)) => (RefKind::Nonconformity, 0),
        Some(Claim::Improvement(_)) => (RefKind::Improvement, 1),
        Some(Claim::Action(_)) | None => return Ok(Cow::Borrowed(e)),
    };
    let number = match next_numbers[slot] {
        Some(n) => n,
        None => state.last_number(kind)?.saturating_add(1),
    };
    next_numbers[slot] = Some(number.saturating_add(1));
    if e.claim().map(Claim::number) == Some(number) {
        return Ok(Cow::Borrowed(e));
    }
    let mut renumbered = e.clone();
    renumbered
        .renumber(number)
        .map_err(|_| AppendError::ReferencesExhausted {
            kind,
            max: isms_core::MAX_ITEMS,
        })?;
    Ok(Cow::Owned(renumbered))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ExpectedVersion, StreamAppend};
    use crate::workload::Workload;

    /// An empty store's state.
    struct Empty;

    impl AppendState for Empty {
        fn stream_version(&mut self, _: StreamId) -> Result<u64, ReadError> {
            Ok(0)
        }
        fn claim_holder(&mut self, _: Claim) -> Result<Option<StreamId>, ReadError> {
            Ok(None)
        }
        fn last_number(&mut self, _: RefKind) -> Result<u32, ReadError> {
            Ok(0)
        }
    }

    /// Every row a plan hands its writer: position, stream, sequence, body,
    /// hash and claim.
    type Row = (u64, String, u64, String, ChainHash, Option<Claim>);

    fn rows_of(
        run: impl FnOnce(&mut dyn FnMut(&PlannedEvent<'_>) -> Result<(), AppendError>),
    ) -> Vec<Row> {
        let mut rows = Vec::new();
        run(&mut |p| {
            rows.push((
                p.position,
                p.stream.to_owned(),
                p.event.sequence,
                p.body.to_owned(),
                p.hash,
                p.claim,
            ));
            Ok(())
        });
        rows
    }

    /// Lifecycles, open reports and an improvement, their streams
    /// interleaved, some of them only begun in this batch.
    fn batch(workload: &mut Workload) -> AppendBatch {
        let mut batch = AppendBatch::default();
        for k in 0..9 {
            let events = if k % 3 == 2 {
                workload.report(Default::default()).unwrap().1
            } else {
                workload.lifecycle(Default::default()).unwrap()
            };
            let keep = if k % 4 == 3 { 2 } else { events.len() };
            batch.appends.push(StreamAppend {
                stream: events[0].stream,
                expected: ExpectedVersion::NoStream,
                events: events[..keep].to_vec(),
            });
        }
        batch
    }

    #[test]
    fn a_prepared_batch_plans_exactly_as_the_batch_itself() {
        let mut workload = Workload::new();
        let batch = batch(&mut workload);
        let head = ChainHead {
            position: 41,
            hash: ChainHash([7; 32]),
        };
        let plain = rows_of(|w| {
            plan_append(&batch, head, &mut Empty, w).unwrap();
        });
        let prepared = PreparedBatch::new(batch.clone()).unwrap();
        assert!(prepared.is_prepared());
        let from_prepared = rows_of(|w| {
            plan_prepared(&prepared, head, &mut Empty, w).unwrap();
        });
        assert_eq!(plain.len(), batch.len());
        assert_eq!(plain, from_prepared);
        // Each new item's rows are those of its fold.
        for a in &batch.appends {
            let mut item = None;
            for e in &a.events {
                isms_core::apply(&mut item, e);
            }
            let want = ItemRow::of(item.as_ref().unwrap()).unwrap();
            assert_eq!(prepared.created_row(a.stream), Some(&want));
        }
    }

    #[test]
    fn a_batch_prepared_in_a_spent_ones_memory_plans_as_a_new_one() {
        let mut workload = Workload::new();
        let (first, second) = (batch(&mut workload), batch(&mut workload));
        assert_eq!(first.len(), second.len());
        let head = ChainHead::EMPTY;
        let spent = PreparedBatch::new(first).unwrap();
        let memory = spent.bodies.text.as_ptr();
        let reused = PreparedBatch::reusing(second.clone(), spent).unwrap();
        assert_eq!(reused.bodies.text.as_ptr(), memory, "the same memory");
        let fresh = PreparedBatch::new(second).unwrap();
        assert_eq!(reused.bodies.text, fresh.bodies.text);
        assert_eq!(reused.bodies.ends, fresh.bodies.ends);
        assert_eq!(
            rows_of(|w| {
                plan_prepared(&reused, head, &mut Empty, w).unwrap();
            }),
            rows_of(|w| {
                plan_prepared(&fresh, head, &mut Empty, w).unwrap();
            })
        );
    }

    #[test]
    fn rows_laid_out_from_the_callers_items_are_those_of_the_batchs_fold() {
        let mut workload = Workload::new();
        let batch = batch(&mut workload);
        let fresh = PreparedBatch::new(batch.clone()).unwrap();
        let register = workload.register();
        // The register holds every stream's whole story; the batch holds
        // only the first two events of some: those items are not taken.
        let truncated = batch
            .appends
            .iter()
            .filter(|a| register.item(a.stream).unwrap().version() != a.events.len() as u64)
            .count();
        assert!(truncated > 0 && truncated < batch.appends.len());
        let asked = std::cell::RefCell::new(Vec::new());
        let given = PreparedBatch::with_created(batch.clone(), None, &|stream| {
            asked.borrow_mut().push(stream);
            register.item(stream)
        })
        .unwrap();
        assert_eq!(asked.borrow().len(), batch.appends.len());
        // Another stream's item is not taken either.
        let first = batch.appends[0].stream;
        let wrong =
            PreparedBatch::with_created(batch.clone(), None, &|_| register.item(first)).unwrap();
        for a in &batch.appends {
            assert!(fresh.created_row(a.stream).is_some());
            assert_eq!(given.created_row(a.stream), fresh.created_row(a.stream));
            assert_eq!(wrong.created_row(a.stream), fresh.created_row(a.stream));
        }
        let head = ChainHead::EMPTY;
        assert_eq!(
            rows_of(|w| {
                plan_prepared(&given, head, &mut Empty, w).unwrap();
            }),
            rows_of(|w| {
                plan_prepared(&fresh, head, &mut Empty, w).unwrap();
            })
        );
    }

    #[test]
    fn a_continued_stream_has_no_prepared_rows_and_numbering_by_the_store_is_not_prepared() {
        let mut workload = Workload::new();
        let events = workload.lifecycle(Default::default()).unwrap();
        let stream = events[0].stream;
        let later = AppendBatch::single(
            stream,
            ExpectedVersion::from_version(3),
            events[3..].to_vec(),
        );
        let prepared = PreparedBatch::new(later).unwrap();
        assert!(prepared.is_prepared());
        assert_eq!(prepared.created_row(stream), None);
        let assigned = batch(&mut workload).with_numbering(Numbering::Assign);
        let prepared = PreparedBatch::new(assigned.clone()).unwrap();
        assert!(!prepared.is_prepared());
        let head = ChainHead::EMPTY;
        assert_eq!(
            rows_of(|w| {
                plan_append(&assigned, head, &mut Empty, w).unwrap();
            }),
            rows_of(|w| {
                plan_prepared(&prepared, head, &mut Empty, w).unwrap();
            })
        );
    }
}
