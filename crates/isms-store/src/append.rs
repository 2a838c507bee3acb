//! Append validation, written once for every backend: expected versions,
//! the stream and sequence of every event, the uniqueness of every
//! [`Claim`], the numbers of new items when the store gives them out
//! ([`Numbering::Assign`]), and the chain hashes of the new rows.
//!
//! A backend opens its write transaction, then calls [`plan_append`] with
//! its current head, a way to look up stream versions and claims
//! ([`AppendState`]) and a writer for the rows; on any error it rolls the
//! transaction back, so a refused batch writes nothing.

use std::collections::HashMap;

use std::borrow::Cow;

use isms_core::{Claim, Event, Item, ItemRef, RefKind, StreamId};

use crate::chain::{chain_hash, write_event_body};
use crate::error::{AppendError, ReadError};
use crate::projection::ItemRow;
use crate::types::{AppendBatch, Appended, ChainHash, ChainHead, ExpectedVersion, Numbering};

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

/// One checked event of a [`PreparedBatch`], placed in the log: the row
/// [`plan_prepared`] hands its writer. It has no [`Event`]: a batch built
/// event by event ([`PreparedBatchBuilder`]) keeps only what the row needs,
/// and the items it creates were laid out when it was prepared.
#[derive(Debug)]
pub struct PlannedRow<'a> {
    /// Its stream.
    pub stream_id: StreamId,
    /// Its sequence in the stream.
    pub sequence: u64,
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
    plan(
        Events(batch),
        batch.numbering,
        None,
        head,
        state,
        &mut |row, e: &Event, renumbered| {
            write(&PlannedEvent {
                event: renumbered.unwrap_or(e),
                stream: row.stream,
                position: row.position,
                body: row.body,
                hash: row.hash,
                claim: row.claim,
            })
        },
    )
}

/// [`plan_append`] for a [`PreparedBatch`]: the same checks and hashes,
/// with the bodies serialised when the batch was prepared, and each event
/// handed over as its row.
///
/// # Errors
/// As [`plan_append`].
pub fn plan_prepared(
    prepared: &PreparedBatch,
    head: ChainHead,
    state: &mut dyn AppendState,
    write: &mut dyn FnMut(&PlannedRow<'_>) -> Result<(), AppendError>,
) -> Result<Appended, AppendError> {
    let bodies = (!prepared.bodies.is_empty()).then_some(&prepared.bodies);
    match &prepared.batch {
        Some(batch) => plan(
            Events(batch),
            batch.numbering,
            bodies,
            head,
            state,
            &mut |row, _: &Event, _| write(row),
        ),
        None => plan(
            Heads(prepared),
            Numbering::AsDecided,
            bodies,
            head,
            state,
            &mut |row, _: &Head, _| write(row),
        ),
    }
}

/// What [`plan`] needs of each event of a batch: its stream, sequence and
/// claim, and the event itself where the batch holds it.
trait PlanItem {
    fn head(&self) -> Head;
    fn event(&self) -> Option<&Event>;
}

impl PlanItem for Event {
    fn head(&self) -> Head {
        Head {
            stream: self.stream,
            sequence: self.sequence,
            claim: self.claim(),
        }
    }

    fn event(&self) -> Option<&Event> {
        Some(self)
    }
}

/// An event of a batch built event by event: what its row and the checks
/// need of it.
#[derive(Clone, Copy, Debug)]
struct Head {
    stream: StreamId,
    sequence: u64,
    claim: Option<Claim>,
}

impl PlanItem for Head {
    fn head(&self) -> Head {
        *self
    }

    fn event(&self) -> Option<&Event> {
        None
    }
}

/// The appends of a batch, in log order: each stream with what its version
/// is expected to be and its events.
trait PlanSource {
    type Item: PlanItem;
    fn appends(&self) -> impl Iterator<Item = (StreamId, ExpectedVersion, &[Self::Item])>;
}

struct Events<'b>(&'b AppendBatch);

impl PlanSource for Events<'_> {
    type Item = Event;
    fn appends(&self) -> impl Iterator<Item = (StreamId, ExpectedVersion, &[Event])> {
        self.0
            .appends
            .iter()
            .map(|a| (a.stream, a.expected, a.events.as_slice()))
    }
}

struct Heads<'b>(&'b PreparedBatch);

impl PlanSource for Heads<'_> {
    type Item = Head;
    fn appends(&self) -> impl Iterator<Item = (StreamId, ExpectedVersion, &[Head])> {
        let heads = &self.0.heads;
        self.0.spans.iter().map(move |s| {
            let events = heads.get(s.start..s.start + s.len).unwrap_or_default();
            (s.stream, s.expected, events)
        })
    }
}

/// A stream's events one after another in a batch built event by event:
/// `len` heads from `start`.
#[derive(Clone, Copy, Debug)]
struct Span {
    stream: StreamId,
    expected: ExpectedVersion,
    start: usize,
    len: usize,
}

/// A batch made ready for an append away from the thread that writes: each
/// event serialised as it will be stored and hashed, and each item the
/// batch creates folded and laid out as its projected rows
/// ([`ItemRow`]). Both are pure functions of the batch, so a loader can
/// prepare the next batch on another thread while the store writes this
/// one ([`plan_prepared`]); the chain hashes, which depend on the log, are
/// still computed in the append.
///
/// A batch is prepared from an [`AppendBatch`] ([`PreparedBatch::new`]),
/// or built one event at a time as the events are decided
/// ([`PreparedBatch::builder`]), which keeps only each event's body,
/// stream, sequence and claim, not the event.
///
/// A batch whose new items are numbered by the store
/// ([`Numbering::Assign`]) is taken as it is, unprepared: its bodies and
/// rows are only known once the store has given out the numbers.
#[derive(Debug)]
pub struct PreparedBatch {
    /// The batch it was prepared from; `None` for one built event by event,
    /// which has `spans` and `heads` instead.
    batch: Option<AppendBatch>,
    spans: Vec<Span>,
    heads: Vec<Head>,
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
        let mut open = OpenBodies::reusing(reuse, len);
        for e in events {
            open.push(e)?;
        }
        open.close()
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

/// [`Bodies`] being written: bytes, checked to be UTF-8 once, when closed.
#[derive(Debug, Default)]
struct OpenBodies {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl OpenBodies {
    /// Empty, in the memory of `reuse`, with room for `len` events.
    fn reusing(reuse: Bodies, len: usize) -> Self {
        let mut bytes = reuse.text.into_bytes();
        bytes.clear();
        bytes.reserve(len * Bodies::PER_EVENT);
        let mut ends = reuse.ends;
        ends.clear();
        ends.reserve(len);
        Self { bytes, ends }
    }

    fn push(&mut self, e: &Event) -> Result<(), serde_json::Error> {
        crate::json::to_writer(&mut self.bytes, e)?;
        self.ends.push(self.bytes.len());
        Ok(())
    }

    fn close(self) -> Result<Bodies, serde_json::Error> {
        // serde_json writes UTF-8; checking it once here keeps the storing
        // thread from checking each body.
        let text = String::from_utf8(self.bytes).map_err(|e| {
            <serde_json::Error as serde::ser::Error>::custom(format!(
                "serialised events are not UTF-8: {e}"
            ))
        })?;
        Ok(Bodies {
            text,
            ends: self.ends,
        })
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

    /// A batch to be built one event at a time, in the memory of `spent`
    /// (see [`PreparedBatch::reusing`]): a generator serialises each event
    /// as it decides it, while its fields are in the processor's caches,
    /// and then moves the event into its own register, instead of handing
    /// over a copy to be serialised and freed later.
    pub fn builder(spent: Option<PreparedBatch>) -> PreparedBatchBuilder {
        let spent = spent.unwrap_or_else(|| PreparedBatch {
            batch: None,
            spans: Vec::new(),
            heads: Vec::new(),
            bodies: Bodies::default(),
            created: HashMap::new(),
        });
        let mut spans = spent.spans;
        spans.clear();
        let mut heads = spent.heads;
        heads.clear();
        let mut created = spent.created;
        created.clear();
        let reserve = heads.capacity();
        PreparedBatchBuilder {
            spans,
            heads,
            bodies: OpenBodies::reusing(spent.bodies, reserve),
            created,
        }
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
            batch: Some(batch),
            spans: Vec::new(),
            heads: Vec::new(),
            bodies,
            created,
        })
    }

    /// The batch it was prepared from; `None` for a batch built event by
    /// event ([`PreparedBatch::builder`]), which keeps no events.
    pub fn batch(&self) -> Option<&AppendBatch> {
        self.batch.as_ref()
    }

    /// The number of events in the batch.
    pub fn len(&self) -> usize {
        match &self.batch {
            Some(batch) => batch.len(),
            None => self.heads.len(),
        }
    }

    /// Whether the batch has no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// The projected rows of an item the batch creates, as prepared. A
    /// batch built event by event has rows only for the items the builder
    /// was given ([`PreparedBatchBuilder::finish`]); a backend folds any
    /// other new item from the log it has just written.
    pub fn created_row(&self, stream: StreamId) -> Option<&ItemRow> {
        self.created.get(&stream)
    }
}

/// A [`PreparedBatch`] being built one event at a time, in log order
/// ([`PreparedBatch::builder`]). The appends are the events' streams as
/// they follow one another, each expected at the version before its first
/// event here; the checks are those of any append, made when the batch is
/// appended.
#[derive(Debug)]
pub struct PreparedBatchBuilder {
    spans: Vec<Span>,
    heads: Vec<Head>,
    bodies: OpenBodies,
    created: HashMap<StreamId, ItemRow>,
}

impl PreparedBatchBuilder {
    /// Adds `event` at the end of the batch: its body serialised as it
    /// will be stored and hashed, its stream, sequence and claim kept. The
    /// event itself is not kept.
    ///
    /// # Errors
    /// [`AppendError::Encode`] if the event does not serialise; the
    /// builder is then to be dropped.
    pub fn push(&mut self, event: &Event) -> Result<(), AppendError> {
        self.bodies.push(event)?;
        let head = event.head();
        let start = self.heads.len();
        self.heads.push(head);
        match self.spans.last_mut() {
            Some(span) if span.stream == head.stream => span.len += 1,
            _ => self.spans.push(Span {
                stream: head.stream,
                expected: ExpectedVersion::from_version(head.sequence.saturating_sub(1)),
                start,
                len: 1,
            }),
        }
        Ok(())
    }

    /// The number of events added.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    /// Whether no event was added.
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }

    /// The batch, with the rows of the items it creates laid out from
    /// `created`, which is asked for each of them: an item is taken if it
    /// is that stream's and has folded exactly the batch's events of it,
    /// as [`PreparedBatch::with_created`] takes it. The batch holds no
    /// events to fold, so an item not given has no row here, and the
    /// backend folds it from the log it has just written.
    ///
    /// # Errors
    /// [`AppendError::Encode`] if an item does not serialise.
    pub fn finish<'r>(
        self,
        created: &dyn Fn(StreamId) -> Option<ItemRef<'r>>,
    ) -> Result<PreparedBatch, AppendError> {
        let Self {
            spans,
            heads,
            bodies,
            created: mut created_rows,
        } = self;
        // As in `PreparedBatch::prepare`: the streams this batch begins,
        // with their number of events here.
        let mut new: HashMap<StreamId, u64> = HashMap::new();
        for s in &spans {
            if heads.get(s.start).is_some_and(|h| h.sequence == 1) {
                new.entry(s.stream).or_insert(0);
            }
            if let Some(n) = new.get_mut(&s.stream) {
                *n += s.len as u64;
            }
        }
        for (stream, events) in new {
            if let Some(item) = created(stream)
                && item.stream() == stream
                && item.version() == events
            {
                created_rows.insert(stream, ItemRow::of_ref(item)?);
            }
        }
        Ok(PreparedBatch {
            batch: None,
            spans,
            heads,
            bodies: bodies.close()?,
            created: created_rows,
        })
    }
}

/// [`plan`]'s writer: each row, with the batch's item it was planned from
/// and, under [`Numbering::Assign`], the event renumbered.
type RowWriter<'w, I> =
    dyn FnMut(&PlannedRow<'_>, &I, Option<&Event>) -> Result<(), AppendError> + 'w;

/// Checks and places the appends of `source`, and hands each event's row
/// to `write` with the event (and its renumbered copy under
/// [`Numbering::Assign`]). With `bodies`, the `k`th event's body is the
/// `k`th of them; without, it is serialised here.
fn plan<S: PlanSource>(
    source: S,
    numbering: Numbering,
    bodies: Option<&Bodies>,
    head: ChainHead,
    state: &mut dyn AppendState,
    write: &mut RowWriter<'_, S::Item>,
) -> Result<Appended, AppendError> {
    if source.appends().all(|(_, _, events)| events.is_empty()) {
        return Err(AppendError::EmptyAppend);
    }
    let mut versions: foldhash::HashMap<StreamId, u64> = Default::default();
    let mut claimed: foldhash::HashSet<Claim> = Default::default();
    let mut position = head.position;
    let mut prev = head.hash;
    let mut body = Vec::with_capacity(1024);
    // Under `Assign`: the number the next new item of each kind gets, read
    // from the store (inside its write lock) the first time it is needed.
    let mut next_numbers: [Option<u32>; 2] = [None, None];
    let mut k = 0usize;
    for (stream, expected, events) in source.appends() {
        let current = match versions.get(&stream) {
            Some(&v) => v,
            None => state.stream_version(stream)?,
        };
        if !expected.admits(current) {
            return Err(AppendError::Conflict {
                stream,
                expected,
                actual: current,
            });
        }
        let stream_text = stream.to_string();
        for (i, item) in events.iter().enumerate() {
            let Head {
                stream: found,
                sequence,
                claim,
            } = item.head();
            if found != stream {
                return Err(AppendError::StreamMismatch {
                    declared: stream,
                    found,
                });
            }
            let next = current + 1 + i as u64;
            if sequence != next {
                return Err(AppendError::SequenceMismatch {
                    stream,
                    expected_next: next,
                    found: sequence,
                });
            }
            let renumbered = match (numbering, item.event()) {
                (Numbering::Assign, Some(e)) => match assign_number(e, state, &mut next_numbers)? {
                    Cow::Owned(e) => Some(e),
                    Cow::Borrowed(_) => None,
                },
                _ => None,
            };
            let claim = renumbered.as_ref().map_or(claim, Event::claim);
            if let Some(c) = claim
                && (!claimed.insert(c) || state.claim_holder(c)?.is_some())
            {
                return Err(AppendError::ReferenceTaken {
                    reference: c.to_string(),
                    stream,
                });
            }
            // A prepared body is the batch's own event's (numbering as
            // decided: nothing was renumbered).
            let prepared = bodies
                .and_then(|b| b.get(k))
                .filter(|_| renumbered.is_none());
            let text: &str = match (prepared, renumbered.as_ref().or(item.event())) {
                (Some(prepared), _) => prepared,
                (None, Some(e)) => {
                    write_event_body(e, &mut body)?;
                    // serde_json writes UTF-8; a failure here would be a serde bug.
                    std::str::from_utf8(&body).map_err(|e| ReadError::Backend {
                        path: Default::default(),
                        operation: "encode event",
                        source: Box::new(e),
                    })?
                }
                (None, None) => {
                    return Err(ReadError::Backend {
                        path: Default::default(),
                        operation: "append a prepared batch",
                        source: format!("the batch has no body for its event {k}").into(),
                    }
                    .into());
                }
            };
            k += 1;
            position += 1;
            let hash = chain_hash(&prev, position, &stream_text, sequence, text.as_bytes());
            write(
                &PlannedRow {
                    stream_id: stream,
                    sequence,
                    stream: &stream_text,
                    position,
                    body: text,
                    hash,
                    claim,
                },
                item,
                renumbered.as_ref(),
            )?;
            prev = hash;
        }
        versions.insert(stream, current + events.len() as u64);
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

    /// [`rows_of`] for [`plan_prepared`]'s writer.
    fn prepared_rows_of(
        prepared: &PreparedBatch,
        head: ChainHead,
        state: &mut dyn AppendState,
    ) -> Vec<Row> {
        let mut rows = Vec::new();
        plan_prepared(prepared, head, state, &mut |p| {
            rows.push((
                p.position,
                p.stream.to_owned(),
                p.sequence,
                p.body.to_owned(),
                p.hash,
                p.claim,
            ));
            Ok(())
        })
        .unwrap();
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
        let from_prepared = prepared_rows_of(&prepared, head, &mut Empty);
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
            prepared_rows_of(&reused, head, &mut Empty),
            prepared_rows_of(&fresh, head, &mut Empty)
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
            prepared_rows_of(&given, head, &mut Empty),
            prepared_rows_of(&fresh, head, &mut Empty)
        );
    }

    #[test]
    fn a_batch_built_event_by_event_plans_as_the_batch_prepared_whole() {
        let mut workload = Workload::new();
        let batch = batch(&mut workload);
        let register = workload.register();
        let head = ChainHead {
            position: 41,
            hash: ChainHash([7; 32]),
        };
        let whole = PreparedBatch::new(batch.clone()).unwrap();
        // Built in a spent batch's memory, from the events in log order.
        let spent = PreparedBatch::new(batch.clone()).unwrap();
        let memory = spent.bodies.text.as_ptr();
        let mut builder = PreparedBatch::builder(Some(spent));
        assert!(builder.is_empty());
        for e in batch.appends.iter().flat_map(|a| &a.events) {
            builder.push(e).unwrap();
        }
        assert_eq!(builder.len(), batch.len());
        let built = builder.finish(&|stream| register.item(stream)).unwrap();
        assert_eq!(built.bodies.text.as_ptr(), memory, "the same memory");
        assert!(built.is_prepared());
        assert!(built.batch().is_none());
        assert_eq!(built.len(), batch.len());
        assert_eq!(
            prepared_rows_of(&built, head, &mut Empty),
            prepared_rows_of(&whole, head, &mut Empty)
        );
        // A whole story's item is taken; a stream the batch holds only the
        // beginning of has no row (the backend folds it from the log).
        let mut taken = 0;
        for a in &batch.appends {
            let whole_story = register.item(a.stream).unwrap().version() == a.events.len() as u64;
            if whole_story {
                taken += 1;
                assert!(built.created_row(a.stream).is_some());
                assert_eq!(built.created_row(a.stream), whole.created_row(a.stream));
            } else {
                assert_eq!(built.created_row(a.stream), None);
            }
        }
        assert!(taken > 0 && taken < batch.appends.len());
    }

    #[test]
    fn a_built_batch_keeps_the_log_order_and_gets_every_check() {
        let mut workload = Workload::new();
        let a = workload.lifecycle(Default::default()).unwrap();
        let b = workload.lifecycle(Default::default()).unwrap();
        // Interleaved: a's first three, b's first two, then the rest of a.
        let order: Vec<&Event> = a[..3].iter().chain(&b[..2]).chain(&a[3..]).collect();
        let build = |events: &[&Event]| {
            let mut builder = PreparedBatch::builder(None);
            for e in events {
                builder.push(e).unwrap();
            }
            builder.finish(&|_| None).unwrap()
        };
        let built = build(&order);
        // The same appends as a batch: each run of a stream's events.
        let plain = AppendBatch {
            appends: vec![
                StreamAppend {
                    stream: a[0].stream,
                    expected: ExpectedVersion::NoStream,
                    events: a[..3].to_vec(),
                },
                StreamAppend {
                    stream: b[0].stream,
                    expected: ExpectedVersion::NoStream,
                    events: b[..2].to_vec(),
                },
                StreamAppend {
                    stream: a[0].stream,
                    expected: ExpectedVersion::Exact(3),
                    events: a[3..].to_vec(),
                },
            ],
            ..AppendBatch::default()
        };
        let head = ChainHead::EMPTY;
        let rows = prepared_rows_of(&built, head, &mut Empty);
        assert_eq!(
            rows,
            rows_of(|w| {
                plan_append(&plain, head, &mut Empty, w).unwrap();
            })
        );
        assert_eq!(rows.len(), order.len());
        // Nothing is laid out without the items: the backend folds them.
        assert_eq!(built.created_row(a[0].stream), None);

        // A gap in a stream is refused when the batch is appended.
        let gap: Vec<&Event> = a
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, e)| e)
            .collect();
        let refused = plan_prepared(&build(&gap), head, &mut Empty, &mut |_| Ok(()));
        assert!(
            matches!(
                refused,
                Err(AppendError::SequenceMismatch {
                    expected_next: 3,
                    found: 4,
                    ..
                })
            ),
            "{refused:?}"
        );
        // A stream the store holds already is a conflict.
        struct Holds(StreamId);
        impl AppendState for Holds {
            fn stream_version(&mut self, s: StreamId) -> Result<u64, ReadError> {
                Ok(if s == self.0 { 1 } else { 0 })
            }
            fn claim_holder(&mut self, _: Claim) -> Result<Option<StreamId>, ReadError> {
                Ok(None)
            }
            fn last_number(&mut self, _: RefKind) -> Result<u32, ReadError> {
                Ok(0)
            }
        }
        let conflict = plan_prepared(&built, head, &mut Holds(b[0].stream), &mut |_| Ok(()));
        assert!(
            matches!(conflict, Err(AppendError::Conflict { actual: 1, .. })),
            "{conflict:?}"
        );
        // An empty batch is refused.
        let empty = PreparedBatch::builder(None).finish(&|_| None).unwrap();
        assert!(empty.is_empty());
        assert!(matches!(
            plan_prepared(&empty, head, &mut Empty, &mut |_| Ok(())),
            Err(AppendError::EmptyAppend)
        ));
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
            prepared_rows_of(&prepared, head, &mut Empty)
        );
    }
}
