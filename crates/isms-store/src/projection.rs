//! The rows of the two projections every database backend keeps (`items`
//! and `kpi_facts`), computed once here so that two backends project an
//! item identically and a backend never re-derives the columns itself.
//!
//! A backend writes [`ItemRow::of`] an item in the append's transaction,
//! reads a listed item back with [`decode_item`] and a KPI row with
//! [`decode_facts`]; [`Touched`] tells it which streams an append changed.

use std::collections::HashMap;

use isms_core::{ImprovementFacts, Item, ItemRef, NcFacts, StreamId};

use crate::append::{PlannedEvent, PlannedRow};
use crate::query::{Facts, ItemKind};

/// What a backend's `read_encoded_facts` hands each `kpi_facts` row to: the
/// item's kind and its still-encoded facts (decoded by the caller, for
/// example straight into a KPI view's columns); an error refuses the bytes
/// and the backend names the row.
pub type EncodedFactsVisitor<'a> =
    dyn FnMut(ItemKind, &[u8]) -> Result<(), isms_core::FactsError> + 'a;

/// One item's projected columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRow {
    /// Nonconformity or improvement.
    pub kind: ItemKind,
    /// The number of its reference (`NC-0042` is 42).
    pub number: u32,
    /// Its workflow state, as in the JSON (`open`, `closed`, ...).
    pub state: &'static str,
    /// Its owner's actor id.
    pub owner: String,
    /// A nonconformity's severity; `None` for an improvement.
    pub severity: Option<&'static str>,
    /// `YYYY-MM-DD` of the earliest open action or pending check, if any:
    /// text that sorts as the date does.
    pub next_due: Option<String>,
    /// Events folded into the item.
    pub version: u64,
    /// The item as JSON (what `nc show --json` prints).
    pub body: String,
    /// The item's compact KPI facts ([`NcFacts::encode`] or
    /// [`ImprovementFacts::encode`]).
    pub facts: Vec<u8>,
}

impl ItemRow {
    /// The projected columns of `item`.
    ///
    /// # Errors
    /// Serialising the item failed (a serde bug: items always serialise).
    pub fn of(item: &Item) -> Result<Self, serde_json::Error> {
        Self::of_ref(item.as_ref())
    }

    /// [`ItemRow::of`] an item borrowed (from a [`isms_core::Register`],
    /// say).
    ///
    /// # Errors
    /// As [`ItemRow::of`].
    pub fn of_ref(item: ItemRef<'_>) -> Result<Self, serde_json::Error> {
        let mut facts = Vec::with_capacity(160);
        Ok(match item {
            ItemRef::Nonconformity(nc) => {
                NcFacts::from(nc).encode(&mut facts);
                Self {
                    kind: ItemKind::Nonconformity,
                    number: nc.reference.number(),
                    state: nc.state.as_str(),
                    owner: nc.owner.to_string(),
                    severity: Some(nc.severity.as_str()),
                    next_due: nc.next_due().map(|d| d.to_string()),
                    version: nc.version,
                    body: json(nc)?,
                    facts,
                }
            }
            ItemRef::Improvement(imp) => {
                ImprovementFacts::from(imp).encode(&mut facts);
                Self {
                    kind: ItemKind::Improvement,
                    number: imp.reference.number(),
                    state: imp.state.as_str(),
                    owner: imp.owner.to_string(),
                    severity: None,
                    next_due: imp.next_due().map(|d| d.to_string()),
                    version: imp.version,
                    body: json(imp)?,
                    facts,
                }
            }
        })
    }
}

/// `value` as JSON, written into a string sized for a typical item, so
/// that it does not grow (and copy itself) half a dozen times on the way.
fn json(value: &impl serde::Serialize) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(4096);
    crate::json::to_writer(&mut out, value)?;
    String::from_utf8(out).map_err(|e| {
        <serde_json::Error as serde::ser::Error>::custom(format!(
            "a serialised item is not UTF-8: {e}"
        ))
    })
}

impl ItemKind {
    /// The `kind` column of the projections and the claims index: 1 for a
    /// nonconformity, 2 for an improvement.
    pub const fn code(self) -> i16 {
        match self {
            ItemKind::Nonconformity => 1,
            ItemKind::Improvement => 2,
        }
    }

    /// The kind with this [`ItemKind::code`].
    pub const fn from_code(code: i64) -> Option<Self> {
        match code {
            1 => Some(ItemKind::Nonconformity),
            2 => Some(ItemKind::Improvement),
            _ => None,
        }
    }
}

/// An item read back from its projected JSON ([`ItemRow::body`]).
///
/// # Errors
/// The JSON is not an item of that kind.
pub fn decode_item(kind: ItemKind, body: &str) -> Result<Item, serde_json::Error> {
    Ok(match kind {
        ItemKind::Nonconformity => Item::Nonconformity(serde_json::from_str(body)?),
        ItemKind::Improvement => Item::Improvement(serde_json::from_str(body)?),
    })
}

/// An item's facts read back from their projected bytes ([`ItemRow::facts`]).
///
/// # Errors
/// The bytes are not facts of that kind.
pub fn decode_facts(kind: ItemKind, bytes: &[u8]) -> Result<Facts, isms_core::FactsError> {
    Ok(match kind {
        ItemKind::Nonconformity => Facts::Nonconformity(NcFacts::decode(bytes)?),
        ItemKind::Improvement => Facts::Improvement(ImprovementFacts::decode(bytes)?),
    })
}

/// The streams an append touched: for each, the sequence of its first new
/// event and the position of its last, in order of first appearance; and
/// the items the append created, folded from their events as written.
#[derive(Debug, Default)]
pub struct Touched {
    /// Each stream, the sequence of its first new event and the position
    /// of its last, in order of first appearance.
    spans: Vec<(StreamId, u64, u64)>,
    /// Where each stream is in `spans`.
    index: foldhash::HashMap<StreamId, usize>,
    created: HashMap<StreamId, Option<Item>>,
}

impl Touched {
    /// Notes an event as [`crate::append::plan_append`] placed it. The
    /// events of a new stream are folded here, from the planned event (a
    /// new item's number may have been given by the store, so the batch's
    /// copy is not what was written).
    pub fn note(&mut self, planned: &PlannedEvent<'_>) {
        let event = planned.event;
        if event.sequence == 1 && !self.index.contains_key(&event.stream) {
            self.created.insert(event.stream, None);
        }
        self.span(event.stream, event.sequence, planned.position);
        if let Some(item) = self.created.get_mut(&event.stream) {
            isms_core::apply(item, event);
        }
    }

    /// Notes where an event of a prepared batch was placed, without
    /// folding it: its new items were laid out already (see
    /// [`crate::append::PreparedBatch`]).
    pub fn note_span(&mut self, planned: &PlannedRow<'_>) {
        self.span(planned.stream_id, planned.sequence, planned.position);
    }

    fn span(&mut self, stream: StreamId, sequence: u64, position: u64) {
        // A batch's events come stream by stream: most continue the
        // stream noted last, which is found without hashing.
        if let Some(last) = self.spans.last_mut()
            && last.0 == stream
        {
            last.2 = position;
            return;
        }
        match self.index.get(&stream) {
            Some(&i) => {
                if let Some(span) = self.spans.get_mut(i) {
                    span.2 = position;
                }
            }
            None => {
                self.index.insert(stream, self.spans.len());
                self.spans.push((stream, sequence, position));
            }
        }
    }

    /// The item a new stream of this append folds to (`None` for a stream
    /// that existed before: fold it from the store).
    pub fn created(&self, stream: StreamId) -> Option<&Item> {
        self.created.get(&stream).and_then(Option::as_ref)
    }

    /// Each touched stream with the sequence of its first new event and
    /// the position of its last, in order of first appearance. A stream
    /// whose first new sequence is 1 is new: [`Touched::created`] has its
    /// item.
    pub fn streams(&self) -> impl Iterator<Item = (StreamId, u64, u64)> + '_ {
        self.spans.iter().copied()
    }
}
