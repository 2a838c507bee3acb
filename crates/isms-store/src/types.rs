//! The values a store exchanges: expected versions, appends, stored events,
//! the chain head, request ids.

use std::fmt;
use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};
use isms_core::{Event, PolicyWarning, StreamId};
use serde::{Deserialize, Serialize};

use crate::error::RequestIdError;

/// What the caller believes a stream's version (its number of events) is
/// before appending. Optimistic concurrency: when the belief is wrong the
/// append fails with [`crate::AppendError::Conflict`] and nothing is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpectedVersion {
    /// No check. The events' own sequence numbers must still continue the
    /// stream, so even this cannot create a gap or a duplicate.
    Any,
    /// The stream must not exist yet.
    NoStream,
    /// The stream must have exactly this many events.
    Exact(u64),
}

impl ExpectedVersion {
    /// `NoStream` for 0, `Exact(n)` otherwise: the usual expectation after
    /// reading a stream at version `n`.
    pub const fn from_version(version: u64) -> Self {
        if version == 0 {
            Self::NoStream
        } else {
            Self::Exact(version)
        }
    }

    /// Whether a stream at `actual` meets the expectation.
    pub const fn admits(self, actual: u64) -> bool {
        match self {
            Self::Any => true,
            Self::NoStream => actual == 0,
            Self::Exact(v) => v == actual,
        }
    }
}

impl fmt::Display for ExpectedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Any => f.write_str("any version"),
            Self::NoStream => f.write_str("no stream"),
            Self::Exact(v) => write!(f, "version {v}"),
        }
    }
}

/// Events for one stream, with the version the caller expects it at.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamAppend {
    /// The stream.
    pub stream: StreamId,
    /// Its expected version before these events.
    pub expected: ExpectedVersion,
    /// The events, in order; each must belong to `stream` and continue it.
    pub events: Vec<Event>,
}

/// A client-supplied identifier of one command, for idempotent handling:
/// the same id applied twice appends once.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RequestId(String);

impl RequestId {
    /// Validates a request id: 1 to 128 characters, no control characters.
    pub fn new(id: impl Into<String>) -> Result<Self, RequestIdError> {
        let id = id.into();
        let n = id.chars().count();
        if n == 0 || n > 128 || id.chars().any(char::is_control) {
            return Err(RequestIdError { value: id });
        }
        Ok(Self(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RequestId {
    type Error = RequestIdError;
    fn try_from(s: String) -> Result<Self, RequestIdError> {
        Self::new(s)
    }
}

impl From<RequestId> for String {
    fn from(r: RequestId) -> String {
        r.0
    }
}

/// What a store records about a request together with its events, in the
/// same transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    /// The request id.
    pub id: RequestId,
    /// SHA-256 of the command, to tell a retry from a reused id.
    pub fingerprint: ChainHash,
    /// The warnings the decision produced, returned again on a retry.
    pub warnings: Vec<PolicyWarning>,
}

/// A request a store has recorded, with where its events went.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    /// The request as recorded.
    pub record: RequestRecord,
    /// Position of its first event.
    pub first: u64,
    /// Position of its last event.
    pub last: u64,
}

/// How the new items of a batch get their human references (`NC-0042`,
/// `IMP-0007`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Numbering {
    /// As decided: the references in the events are kept, and one already
    /// taken refuses the batch ([`crate::AppendError::ReferenceTaken`]).
    /// For histories whose references are part of the record (imports,
    /// restores, replays).
    #[default]
    AsDecided,
    /// Given out by the store: under its write lock, each new nonconformity
    /// or improvement in the batch gets the next number of its kind after
    /// the highest the store holds (in batch order), whatever number it was
    /// decided with ([`isms_core::Event::renumber`]). Writers that decided
    /// new items on the same register state then never collide; the
    /// numbers stay consecutive. [`crate::CommandHandler`] appends every
    /// creation this way.
    Assign,
}

/// One atomic append: events for one or more streams, each with its
/// expected version, optionally recording a request id. Either all of it is
/// written or none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppendBatch {
    /// The per-stream appends, in the order their events take in the log.
    pub appends: Vec<StreamAppend>,
    /// The request this batch carries out, if idempotency is wanted.
    pub request: Option<RequestRecord>,
    /// Whether new items keep the references they were decided with, or
    /// are numbered by the store when the batch is written.
    pub numbering: Numbering,
}

impl AppendBatch {
    /// A batch of one stream's events.
    pub fn single(stream: StreamId, expected: ExpectedVersion, events: Vec<Event>) -> Self {
        Self {
            appends: vec![StreamAppend {
                stream,
                expected,
                events,
            }],
            request: None,
            numbering: Numbering::AsDecided,
        }
    }

    /// The same batch with its new items numbered as `numbering` says.
    #[must_use]
    pub fn with_numbering(mut self, numbering: Numbering) -> Self {
        self.numbering = numbering;
        self
    }

    /// Number of events in the batch.
    pub fn len(&self) -> usize {
        self.appends.iter().map(|a| a.events.len()).sum()
    }

    /// Whether the batch has no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Where an append went in the global log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Position of the first event written.
    pub first: u64,
    /// Position of the last event written.
    pub last: u64,
    /// The chain head after the append.
    pub head: ChainHead,
}

impl Appended {
    /// The positions written.
    pub fn positions(&self) -> RangeInclusive<u64> {
        self.first..=self.last
    }
}

/// A SHA-256 hash of the chain, shown and serialised as lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChainHash(pub [u8; 32]);

impl ChainHash {
    /// The hash before the first event: 32 zero bytes.
    pub const GENESIS: ChainHash = ChainHash([0; 32]);

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, hex::FromHexError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out)?;
        Ok(Self(out))
    }
}

impl fmt::Display for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for ChainHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChainHash({})", self.to_hex())
    }
}

impl TryFrom<String> for ChainHash {
    type Error = hex::FromHexError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::from_hex(&s)
    }
}

impl From<ChainHash> for String {
    fn from(h: ChainHash) -> String {
        h.to_hex()
    }
}

/// The last position of the log and its hash. Exported (as JSON) and kept
/// by a third party, it anchors the whole history before it: see
/// [`crate::EventStore::verify_against`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainHead {
    /// Position of the last event; 0 for an empty log.
    pub position: u64,
    /// Its hash; [`ChainHash::GENESIS`] for an empty log.
    pub hash: ChainHash,
}

impl ChainHead {
    /// The head of an empty log.
    pub const EMPTY: ChainHead = ChainHead {
        position: 0,
        hash: ChainHash::GENESIS,
    };

    /// `{"position":…,"hash":"…"}`.
    pub fn to_json(&self) -> String {
        // A struct of an integer and a string always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses the JSON written by [`ChainHead::to_json`].
    pub fn from_json(s: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(s)
    }
}

/// An event as stored: its global position and chain hash with it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Position in the global log, from 1, without gaps.
    pub position: u64,
    /// Chain hash up to and including this event.
    pub hash: ChainHash,
    /// The event.
    pub event: Event,
}

/// Which events to read, always in log order. Exhaustive on purpose:
/// every backend must answer every selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every event.
    All,
    /// One stream's events.
    Stream(StreamId),
    /// Events recorded at or before an instant (by the event's `at`).
    /// Because times never go backwards within a stream, this is a prefix
    /// of every stream and folds into the register as it was then.
    AsOf(DateTime<Utc>),
    /// Events at positions `from..=to`.
    Positions {
        /// First position.
        from: u64,
        /// Last position.
        to: u64,
    },
    /// Events after a position (for catching up).
    After(u64),
}

impl Selection {
    /// Whether the event at `position` is selected: the one definition a
    /// store that filters in memory uses (a database backend says the same
    /// in its query).
    pub fn selects(self, position: u64, event: &Event) -> bool {
        match self {
            Selection::All => true,
            Selection::Stream(s) => event.stream == s,
            Selection::AsOf(t) => event.at <= t,
            Selection::Positions { from, to } => (from..=to).contains(&position),
            Selection::After(p) => position > p,
        }
    }
}

/// The result of a successful verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Events checked.
    pub events: u64,
    /// The verified head.
    pub head: ChainHead,
}
