//! The storage contract.

use chrono::{DateTime, Utc};
use isms_core::{
    ActionId, Claim, Event, FactSource, Item, NcSummary, NonconformityId, RefKind, Register,
    StreamId,
};

use crate::error::{AppendError, BreakKind, ReadError, VerifyError};
use crate::query::{Facts, ItemFilter};
use crate::types::{
    AppendBatch, Appended, ChainHead, ExpectedVersion, RecordedRequest, RequestId, Selection,
    StoredEvent, Verified,
};

/// An append-only, hash-chained event log with optimistic concurrency.
///
/// Guarantees every implementation gives:
///
/// - **Atomic batches.** [`EventStore::append`] writes all of a batch or
///   nothing, also when the process dies in the middle.
/// - **No gaps, no duplicates.** Positions run from 1 without gaps; each
///   stream's sequences run from 1 without gaps; an event whose sequence
///   does not continue its stream is refused.
/// - **Optimistic concurrency.** A stream that is not at the expected
///   version fails the whole batch with [`AppendError::Conflict`].
/// - **Tamper evidence.** Each event's hash covers its content and the
///   previous hash ([`crate::chain_hash`]); [`EventStore::verify`] reports
///   the first broken position.
/// - **Idempotency.** A batch that carries a request id already recorded
///   fails with [`AppendError::DuplicateRequest`] and writes nothing.
/// - **Unique claims.** Every [`Claim`] an event takes (a new item's human
///   reference, a new action's id) is indexed with it; a batch that claims
///   what another stream holds fails with [`AppendError::ReferenceTaken`].
/// - **Item-sized look-ups.** [`EventStore::load_item`],
///   [`EventStore::find_claim`] and [`EventStore::last_number`] cost the
///   same whatever the size of the register: they are what a command needs
///   ([`EventStore::facts`]), so no command reads the whole log.
///
/// [`crate::append::plan_append`] does every check of an append; a backend
/// calls it inside its write transaction. The conformance suite
/// (`isms_store::conformance`, feature `conformance`) checks all of the
/// above against any implementation.
///
/// The store holds no workflow rule: whether an event may happen is
/// `isms_core::decide`'s business.
pub trait EventStore {
    /// Appends a batch atomically and returns where it went.
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError>;

    /// Calls `visit` for each selected event, in log order.
    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), ReadError>;

    /// The number of events in a stream (0 if it does not exist).
    fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError>;

    /// The last position and its hash, as the store recorded them.
    fn head(&self) -> Result<ChainHead, ReadError>;

    /// Walks the whole chain, recomputing every hash; fails with
    /// [`VerifyError::ChainBroken`] naming the first broken position.
    fn verify(&self) -> Result<Verified, VerifyError>;

    /// The recorded request with this id, if any.
    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError>;

    /// The stream holding `claim`: the item with a human reference
    /// (`NC-0042`), or the nonconformity a corrective action belongs to.
    fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError>;

    /// The highest number taken by a reference of this kind (0 when none):
    /// the next item is numbered after it.
    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError>;

    /// One item, folded from its own stream (`None` for an empty stream).
    /// A backend that keeps the item's state as a projection may read that
    /// instead.
    fn load_item(&self, stream: StreamId) -> Result<Option<Item>, ReadError> {
        let mut item = None;
        self.read(Selection::Stream(stream), &mut |e| {
            isms_core::apply_owned(&mut item, e.event);
        })?;
        Ok(item)
    }

    /// Visits the items that pass `filter`, in order of reference. The
    /// default folds the whole log; a backend with projections answers
    /// from them.
    fn list_items(
        &self,
        filter: &ItemFilter,
        visit: &mut dyn FnMut(Item),
    ) -> Result<(), ReadError> {
        let register = self.fold(Selection::All)?;
        crate::query::filter_register(&register, filter, visit);
        Ok(())
    }

    /// Visits the compact facts of every item ([`Facts`]): every
    /// nonconformity, then every improvement, each in order of reference;
    /// what KPIs are computed from. The default folds the whole log; a
    /// backend with projections streams them.
    fn read_facts(&self, visit: &mut dyn FnMut(Facts)) -> Result<(), ReadError> {
        let register = self.fold(Selection::All)?;
        crate::query::register_facts(&register, visit);
        Ok(())
    }

    /// The register facts a decision may need, looked up in this store:
    /// pass it to [`isms_core::RegisterFacts::gather`].
    fn facts(&self) -> StoreFacts<'_, Self>
    where
        Self: Sized,
    {
        StoreFacts(self)
    }

    /// Appends events to one stream.
    fn append_to_stream(
        &mut self,
        stream: StreamId,
        expected: ExpectedVersion,
        events: Vec<Event>,
    ) -> Result<Appended, AppendError> {
        self.append(&AppendBatch::single(stream, expected, events))
    }

    /// Reads the selected events into a vector.
    fn load(&self, selection: Selection) -> Result<Vec<StoredEvent>, ReadError> {
        let mut out = Vec::new();
        self.read(selection, &mut |e| out.push(e))?;
        Ok(out)
    }

    /// Every event.
    fn load_all(&self) -> Result<Vec<StoredEvent>, ReadError> {
        self.load(Selection::All)
    }

    /// One stream's events.
    fn load_stream(&self, stream: StreamId) -> Result<Vec<StoredEvent>, ReadError> {
        self.load(Selection::Stream(stream))
    }

    /// Every event recorded at or before `instant`.
    fn load_as_of(&self, instant: DateTime<Utc>) -> Result<Vec<StoredEvent>, ReadError> {
        self.load(Selection::AsOf(instant))
    }

    /// Replays the selected events into a register, streaming (the events
    /// are not all held in memory at once).
    fn fold(&self, selection: Selection) -> Result<Register, ReadError> {
        let mut register = Register::new();
        self.read(selection, &mut |e| register.apply_owned(e.event))?;
        Ok(register)
    }

    /// [`EventStore::verify`], then checks that the chain still holds an
    /// anchor exported earlier with [`EventStore::head`]: this catches a
    /// rewrite of history that recomputed every later hash.
    fn verify_against(&self, anchor: &ChainHead) -> Result<Verified, VerifyError> {
        let verified = self.verify()?;
        if anchor.position == 0 {
            return Ok(verified);
        }
        let mut found = None;
        self.read(
            Selection::Positions {
                from: anchor.position,
                to: anchor.position,
            },
            &mut |e| found = Some(e),
        )?;
        match found {
            Some(e) if e.hash == anchor.hash => Ok(verified),
            other => Err(VerifyError::ChainBroken {
                position: anchor.position,
                stream: other.as_ref().map(|e| e.event.stream.to_string()),
                kind: BreakKind::AnchorMismatch {
                    anchored: anchor.hash.to_hex(),
                    found: other.map(|e| e.hash.to_hex()),
                },
            }),
        }
    }
}

/// An [`EventStore`] seen as the source of the register facts that
/// `isms_core::decide` may ask for ([`FactSource`]): every answer is an
/// index look-up or one stream's fold.
#[derive(Debug)]
pub struct StoreFacts<'s, S>(pub &'s S);

impl<S: EventStore> FactSource for StoreFacts<'_, S> {
    type Error = ReadError;

    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
        self.0.last_number(kind)
    }

    fn nonconformity(&self, id: NonconformityId) -> Result<Option<NcSummary>, ReadError> {
        Ok(match self.0.load_item(StreamId::Nonconformity(id))? {
            Some(Item::Nonconformity(nc)) => Some(NcSummary {
                reference: nc.reference,
                state: nc.state,
            }),
            _ => None,
        })
    }

    fn action_exists(&self, id: ActionId) -> Result<bool, ReadError> {
        Ok(self.0.find_claim(Claim::Action(id))?.is_some())
    }

    /// Folds the register's audit stream: a handful of events (the audits
    /// and reviews of a year are tens), read like the policy stream.
    fn audit_exists(&self, id: &isms_core::AuditId) -> Result<bool, ReadError> {
        let mut book = isms_core::AuditBook::new();
        self.0.read(Selection::Stream(StreamId::Audits), &mut |e| {
            book.apply_owned(e.event);
        })?;
        Ok(book.audit(id).is_some())
    }
}
