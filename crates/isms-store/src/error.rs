//! Errors of the storage layer, one enum per operation, so that a caller
//! matches only what can happen to it: [`OpenError`], [`ReadError`],
//! [`AppendError`], [`VerifyError`], [`BackupError`]; [`HandleError`] for
//! running a command through a store; [`StoreError`] gathers them for a
//! caller that runs several operations.

use std::fmt;
use std::path::PathBuf;

use isms_core::{DecisionError, StreamId};

use crate::checkpoint::CheckpointProblem;
use crate::types::{ChainHead, ExpectedVersion, RequestId};

/// Boxed error of a storage backend, kept as a source rather than
/// flattened into text.
pub type BackendError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What `verify` found wrong at the first broken position of the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakKind {
    /// The stored hash does not match the hash recomputed from the row's
    /// content and the previous hash: the row (or its hash) was edited.
    HashMismatch {
        /// The hash recorded in the row, hex.
        stored: String,
        /// The hash recomputed from the content, hex.
        computed: String,
    },
    /// Positions are missing: rows were deleted.
    Missing {
        /// The next position that is present, if any.
        next_present: Option<u64>,
    },
    /// The row cannot be read as an event row (wrong type, wrong hash
    /// length, text that is not UTF-8).
    Malformed {
        /// What is wrong.
        detail: String,
    },
    /// The chain ends elsewhere than the head the store recorded: events
    /// at the end were deleted, rows were added behind the store's back, or
    /// the head record was edited.
    HeadMismatch {
        /// Last position of the chain as found.
        chain_position: u64,
        /// Position the store recorded as its head.
        recorded_position: u64,
    },
    /// The chain does not contain the externally anchored head.
    AnchorMismatch {
        /// The anchored hash, hex.
        anchored: String,
        /// The hash found at that position, hex, if the position exists.
        found: Option<String>,
    },
}

impl fmt::Display for BreakKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakKind::HashMismatch { stored, computed } => write!(
                f,
                "the stored hash {stored} does not match the content (recomputed {computed}); the row or its hash was edited"
            ),
            BreakKind::Missing {
                next_present: Some(n),
            } => write!(
                f,
                "the event is missing (the next present position is {n}); rows were deleted"
            ),
            BreakKind::Missing { next_present: None } => {
                write!(f, "the event is missing; rows were deleted")
            }
            BreakKind::Malformed { detail } => write!(f, "the row is malformed: {detail}"),
            BreakKind::HeadMismatch {
                chain_position,
                recorded_position,
            } => write!(
                f,
                "the chain ends at position {chain_position} but the store recorded its head at {recorded_position}; events at the end were deleted or added behind the store's back, or the head record was edited"
            ),
            BreakKind::AnchorMismatch {
                anchored,
                found: Some(found),
            } => write!(
                f,
                "the anchored hash {anchored} differs from the hash {found} found there; history before the anchor was rewritten"
            ),
            BreakKind::AnchorMismatch {
                anchored,
                found: None,
            } => write!(
                f,
                "the anchored hash {anchored} is at a position the chain does not reach; events were removed"
            ),
        }
    }
}

fn stream_label(stream: &Option<String>) -> String {
    match stream {
        Some(s) => format!("stream {s}"),
        None => "stream unknown".to_owned(),
    }
}

/// What can go wrong reading a store: loading events, one item, the head,
/// a claim, a projection. The other operations' errors carry it as their
/// `Storage` variant when the medium itself fails under them (busy, I/O,
/// damage), so this is also "the store failed" for every operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file is damaged.
    #[error("{}: the event store is corrupt ({detail}); restore it from a verified backup", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is damaged.
        detail: String,
    },
    /// Another writer held the database longer than the busy timeout.
    #[error("{}: the database stayed locked by another writer beyond the busy timeout; retry later", path.display())]
    Busy {
        /// The file.
        path: PathBuf,
    },
    /// A stored event cannot be read back as an event.
    #[error("event at position {position} cannot be decoded: {source}")]
    Undecodable {
        /// Its position.
        position: u64,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A stored event row is not shaped as the store writes it (a hash that
    /// is not 32 bytes, a stream id that does not parse): it was edited.
    #[error(
        "event at position {position} is malformed: {detail}; the log was changed outside the store"
    )]
    Malformed {
        /// Its position (0 when it cannot be told).
        position: u64,
        /// What is wrong.
        detail: String,
    },
    /// A projection row cannot be read back: it was edited, or a bug wrote
    /// it wrong. The log is not affected; rebuild the projections from it.
    #[error(
        "projection {projection} cannot be read for {subject}: {detail}; the log is not affected, run `isms rebuild` to rebuild the projections from it"
    )]
    Projection {
        /// Which projection.
        projection: &'static str,
        /// The item, or what was read.
        subject: String,
        /// What is wrong.
        detail: String,
    },
    /// A file-system operation failed.
    #[error("{}: {operation} failed: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The storage backend failed.
    #[error("{}: {operation} failed: {source}", path.display())]
    Backend {
        /// The store's location.
        path: PathBuf,
        /// What was being done.
        operation: &'static str,
        /// The backend's error.
        #[source]
        source: BackendError,
    },
}

/// Why [`crate::EventStore::append`] wrote nothing. Every variant but
/// [`AppendError::Storage`] is a refusal of the batch by the log's rules
/// ([`crate::append::plan_append`]); the caller decides again or gives up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// Optimistic concurrency: the stream moved on since the caller read it.
    /// Nothing was written; reload the stream and decide again.
    #[error(
        "version conflict on {stream}: expected {expected}, but the stream is at version {actual}; nothing was written, reload and retry"
    )]
    Conflict {
        /// The stream.
        stream: StreamId,
        /// What the caller expected.
        expected: ExpectedVersion,
        /// The stream's actual version.
        actual: u64,
    },
    /// Another writer took this human reference (`NC-0042`) for a different
    /// item after the caller read the register: two new items were decided
    /// on the same state. Nothing was written; reload and decide again (the
    /// [`crate::CommandHandler`] does this by itself).
    #[error(
        "reference {reference} was taken by another writer for a different item meanwhile ({stream} wanted it); nothing was written, reload and decide again"
    )]
    ReferenceTaken {
        /// The reference both items were given.
        reference: String,
        /// The stream whose first event was refused.
        stream: StreamId,
    },
    /// The store was to number a new item ([`crate::Numbering::Assign`]),
    /// but every number of its kind is taken. Nothing was written.
    #[error(
        "every {}- reference up to {max} is taken in this register; nothing was written",
        .kind.prefix()
    )]
    ReferencesExhausted {
        /// The kind of reference.
        kind: isms_core::RefKind,
        /// The highest number a reference can have.
        max: u32,
    },
    /// An event's sequence does not continue its stream. Nothing was written.
    #[error(
        "event for {stream} has sequence {found}, but the stream continues at {expected_next}; nothing was written"
    )]
    SequenceMismatch {
        /// The stream.
        stream: StreamId,
        /// The sequence the next event must carry.
        expected_next: u64,
        /// The sequence it carries.
        found: u64,
    },
    /// An event was put in the append for another stream.
    #[error("an event of {found} was passed in the append for {declared}; nothing was written")]
    StreamMismatch {
        /// The stream the append was declared for.
        declared: StreamId,
        /// The stream the event belongs to.
        found: StreamId,
    },
    /// An append with no events.
    #[error("an append must carry at least one event")]
    EmptyAppend,
    /// The request id was already recorded by an earlier append.
    #[error("request {request} was already applied; nothing was written, fetch its outcome")]
    DuplicateRequest {
        /// The request id.
        request: RequestId,
    },
    /// An event could not be serialised.
    #[error("an event could not be serialised: {0}")]
    Encode(#[from] serde_json::Error),
    /// The store failed while appending; nothing was written.
    #[error(transparent)]
    Storage(#[from] ReadError),
}

/// Why a store could not be opened or created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The database file does not exist.
    #[error("{}: no such event store; create it first", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file exists where a new store was to be created.
    #[error("{}: the file already exists; open it instead, or choose another path", path.display())]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The file is not an event store of this project.
    #[error("{}: not an isms event store ({detail}); check the path", path.display())]
    NotOurDatabase {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// The store was written by a newer version of this software.
    #[error(
        "{}: schema version {found} is newer than this program supports ({supported}); upgrade the program, the file was not changed", path.display()
    )]
    NewerSchema {
        /// The file.
        path: PathBuf,
        /// Version found in the file.
        found: u32,
        /// Newest version this program knows.
        supported: u32,
    },
    /// A read-only open found an older schema that needs migrating.
    #[error(
        "{}: schema version {found} is older than {supported} and the store was opened read-only; open it read-write once to migrate", path.display()
    )]
    OlderSchemaReadOnly {
        /// The file.
        path: PathBuf,
        /// Version found in the file.
        found: u32,
        /// Version this program writes.
        supported: u32,
    },
    /// The store failed while opening or migrating (damage, I/O, a lock).
    #[error(transparent)]
    Storage(#[from] ReadError),
}

/// What [`crate::EventStore::verify`] (and a backend's deeper checks) found
/// wrong: the first thing, named with its position.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The hash chain is broken: the log was changed behind the store's back.
    #[error("hash chain broken at position {position} ({}): {kind}", stream_label(.stream))]
    ChainBroken {
        /// The first broken position.
        position: u64,
        /// The stream of the broken event, as stored, when it can be told.
        stream: Option<String>,
        /// What is wrong there.
        kind: BreakKind,
    },
    /// A projection (a derived table kept with the log) does not equal a
    /// fresh fold of the log: it was edited, or a bug let it drift. The log
    /// itself is not affected; rebuild the projections from it.
    #[error(
        "projection {projection} disagrees with the log for {subject}: {detail}; the log is intact, run `isms rebuild` to rebuild the projections from it"
    )]
    ProjectionMismatch {
        /// Which projection.
        projection: &'static str,
        /// The item (its stream) or `all` for a count.
        subject: String,
        /// What differs.
        detail: String,
    },
    /// A stored event's body is not an event this program can read,
    /// although its hash may hold (it was written so, or edited with the
    /// hashes recomputed).
    #[error("event at position {position} ({}) does not decode: {detail}; the log was changed outside isms", stream_label(.stream))]
    Undecodable {
        /// Its position.
        position: u64,
        /// Its stream, as stored.
        stream: Option<String>,
        /// The decoding error.
        detail: String,
    },
    /// The index of claims (references such as `NC-0001`, action ids) does
    /// not match what the events claim: a command addressing that
    /// reference would act on another item.
    #[error("the reference index is wrong for {claim}: {detail}; it was changed outside isms")]
    ClaimIndex {
        /// The claim (`NC-0001`, `action/<uuid>`).
        claim: String,
        /// What differs.
        detail: String,
    },
    /// A recorded or external checkpoint does not hold.
    #[error("checkpoint at position {position} (key {key_id}): {problem}")]
    Checkpoint {
        /// Its position.
        position: u64,
        /// Its key id, as recorded.
        key_id: String,
        /// What is wrong.
        problem: CheckpointProblem,
    },
    /// The database's own integrity check failed (damaged pages).
    #[error("{}: the database's own integrity check failed: {detail}; restore it from a verified backup", path.display())]
    Integrity {
        /// The file.
        path: PathBuf,
        /// What the check reported (its first lines).
        detail: String,
    },
    /// The store could not be read to the end.
    #[error(transparent)]
    Storage(#[from] ReadError),
}

impl VerifyError {
    /// The chain position of the first thing wrong, when there is one.
    pub fn position(&self) -> Option<u64> {
        match self {
            VerifyError::ChainBroken { position, .. }
            | VerifyError::Undecodable { position, .. }
            | VerifyError::Checkpoint { position, .. } => Some(*position),
            VerifyError::Storage(ReadError::Malformed { position, .. })
            | VerifyError::Storage(ReadError::Undecodable { position, .. }) => Some(*position),
            _ => None,
        }
    }

    /// Whether this says the store was changed outside the program (as
    /// opposed to the store failing to be read).
    pub fn is_tampering(&self) -> bool {
        !matches!(self, VerifyError::Storage(e) if !matches!(e, ReadError::Malformed { .. }))
    }
}

/// The chain of a backup or of a store to restore does not extend the
/// store it would replace ([`BackupError::Diverges`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Divergence {
    /// The backup file.
    pub backup: PathBuf,
    /// The store it would replace.
    pub target: PathBuf,
    /// The target's recorded chain head.
    pub target_head: ChainHead,
    /// The backup's verified chain head.
    pub backup_head: ChainHead,
}

impl Divergence {
    /// A divergence between these files and heads.
    pub fn new(
        backup: PathBuf,
        target: PathBuf,
        target_head: ChainHead,
        backup_head: ChainHead,
    ) -> Self {
        Self {
            backup,
            target,
            target_head,
            backup_head,
        }
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let events = |n: u64| {
            if n == 1 {
                "1 event".to_owned()
            } else {
                format!("{n} events")
            }
        };
        if self.backup_head.position < self.target_head.position {
            write!(
                f,
                "the backup is older: it holds {}, the register {}",
                events(self.backup_head.position),
                events(self.target_head.position)
            )
        } else {
            write!(
                f,
                "the backup is another history: its chain differs from the register's {} (head {})",
                events(self.target_head.position),
                self.target_head.hash
            )
        }
    }
}

/// Why a backup or a restore did not complete. A backup is never reported
/// good without verifying it; a restore never replaces a store with a file
/// that does not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// Something exists where the backup (or a copy kept aside) was to be
    /// written; it was left alone.
    #[error("{}: the file already exists; a backup never replaces anything, choose a new path", path.display())]
    AlreadyExists {
        /// The path.
        path: PathBuf,
    },
    /// The copy could not be verified, so it was discarded.
    #[error("backup {} failed verification and was discarded: {source}", path.display())]
    Unverified {
        /// The backup file that was to be written.
        path: PathBuf,
        /// Why verification failed.
        #[source]
        source: Box<StoreError>,
    },
    /// The backup to restore from was refused: it is missing, not ours, or
    /// does not verify. Nothing was changed.
    #[error("refusing to restore from {}: {source}", path.display())]
    RestoreRefused {
        /// The backup file.
        path: PathBuf,
        /// Why it was refused.
        #[source]
        source: Box<StoreError>,
    },
    /// The backup's chain does not extend the target's: the target holds
    /// events the backup has not (it is older, or another register), and
    /// restoring would drop them. Nothing was changed.
    #[error(
        "refusing to restore {} over {}: {}; restoring it would drop events the register holds",
        .0.backup.display(), .0.target.display(), .0
    )]
    Diverges(Box<Divergence>),
    /// The backup's page size differs from the target's, and changing the
    /// target's needs every other connection to it closed: one was open.
    /// Nothing was changed.
    #[error(
        "{}: the backup's pages are {backup} bytes and the register's {target}; changing the register's page size needs every other process that has it open to close it first. Nothing was restored: close them and restore again",
        path.display()
    )]
    PageSizeInUse {
        /// The register being restored.
        path: PathBuf,
        /// The backup's page size, in bytes.
        backup: u32,
        /// The register's page size, in bytes.
        target: u32,
    },
    /// The store being replaced could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The restored store does not verify as the backup did.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// The store failed while copying.
    #[error(transparent)]
    Storage(#[from] ReadError),
}

/// A request id that is empty, too long or has control characters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("request id {value:?} is invalid: use 1 to 128 characters without control characters")]
pub struct RequestIdError {
    /// The input.
    pub value: String,
}

/// Any store error, for a caller that runs several operations and reports
/// whichever failed (a command-line tool). Each operation returns its own
/// error type; this only gathers them, so matching on it means matching on
/// the operation first.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// Opening or creating a store failed.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// Reading failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// An append wrote nothing.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// Verification found something wrong.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// A backup or restore did not complete.
    #[error(transparent)]
    Backup(#[from] BackupError),
}

impl StoreError {
    /// The medium failure under any operation, if that is what this is.
    pub fn storage(&self) -> Option<&ReadError> {
        match self {
            StoreError::Read(e)
            | StoreError::Open(OpenError::Storage(e))
            | StoreError::Append(AppendError::Storage(e))
            | StoreError::Verify(VerifyError::Storage(e))
            | StoreError::Backup(BackupError::Storage(e)) => Some(e),
            _ => None,
        }
    }
}

/// Why a command run through [`crate::CommandHandler`] did not produce an
/// outcome.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// The domain refused the command; nothing was written.
    #[error(transparent)]
    Refused(#[from] DecisionError),
    /// Loading the item or the facts the decision needs failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The store refused or failed the append (other than a conflict,
    /// which is retried); nothing was written.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// The request id was used before for a different command.
    #[error(
        "request {request} was already used for a different command; use a new request id for a new command"
    )]
    RequestReused {
        /// The request id.
        request: RequestId,
    },
    /// Other writers kept changing the stream; nothing was written.
    #[error(
        "gave up after {attempts} attempts: other writers kept changing {stream}; nothing was written, retry later"
    )]
    TooManyConflicts {
        /// The contended stream.
        stream: StreamId,
        /// Attempts made.
        attempts: u32,
    },
}
