//! Errors, one enum per concern.

use std::path::PathBuf;

use isms_core::{NcRef, StreamId};

/// Why a register document could not be built or imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// The document was written under another major version of the format.
    #[error(
        "register document has schema_version {found}; this library reads {supported_major}.x (the format changed incompatibly)"
    )]
    UnsupportedVersion {
        /// The version the document declares.
        found: String,
        /// The major version this library reads.
        supported_major: u64,
    },
    /// `schema_version` is not `MAJOR.MINOR.PATCH`.
    #[error("register document has schema_version {found:?}, which is not MAJOR.MINOR.PATCH")]
    MalformedVersion {
        /// The text found.
        found: String,
    },
    /// Two events share an identifier.
    #[error("events[{index}] repeats the event id {id} of events[{first}]")]
    DuplicateEventId {
        /// Position of the repeated event in `events`.
        index: usize,
        /// Position of the first event with that id.
        first: usize,
        /// The identifier.
        id: String,
    },
    /// An event's sequence does not continue its stream (1, 2, 3, ... without gaps).
    #[error("events[{index}] has sequence {found} in stream {stream}; expected {expected}")]
    SequenceGap {
        /// Position of the event in `events`.
        index: usize,
        /// Its stream.
        stream: StreamId,
        /// The sequence that would continue the stream.
        expected: u64,
        /// The sequence found.
        found: u64,
    },
    /// A nonconformity in the included state differs from the fold of the events.
    #[error(
        "nonconformities[{index}] ({reference}) differs from the state rebuilt from the events, first at field `{field}`"
    )]
    NonconformityMismatch {
        /// Position in `nonconformities`.
        index: usize,
        /// Its human reference.
        reference: NcRef,
        /// The first top-level field that differs.
        field: String,
    },
    /// An improvement in the included state differs from the fold of the events.
    #[error(
        "improvements[{index}] ({reference}) differs from the state rebuilt from the events, first at field `{field}`"
    )]
    ImprovementMismatch {
        /// Position in `improvements`.
        index: usize,
        /// Its human reference.
        reference: isms_core::ImprovementRef,
        /// The first top-level field that differs.
        field: String,
    },
    /// The included state has a different number of items than the fold of the events.
    #[error("the document lists {included} {what}, but its events produce {rebuilt}")]
    CountMismatch {
        /// `nonconformities` or `improvements`.
        what: &'static str,
        /// How many the document lists.
        included: usize,
        /// How many the events produce.
        rebuilt: usize,
    },
    /// The text is not a register document.
    #[error("not a register document: {0}")]
    Json(#[from] serde_json::Error),
}

/// Why the bundle could not be written or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A committed schema file is not JSON.
    #[error("{path} is not JSON: {source}")]
    NotJson {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

/// Why a JSON document does not validate against its schema.
#[cfg(feature = "validate")]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The document breaks the schema; every violation is listed with the path of the
    /// offending value.
    #[error("{schema}: {}", .violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// The `$id` of the schema.
        schema: String,
        /// Every violation, in document order as the validator reports them.
        violations: Vec<crate::validate::Violation>,
    },
    /// A schema of the bundle could not be compiled (a defect of this crate).
    #[error("schema {schema} does not compile: {message}")]
    Schema {
        /// The `$id` of the schema.
        schema: String,
        /// The compiler's message.
        message: String,
    },
}
