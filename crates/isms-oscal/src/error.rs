//! Errors of the exporters and the importer.

use isms_core::replay::ReplayError;

use crate::check::ConstraintViolation;

/// Why an export produced no document.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// OSCAL requires at least one poam-item; the selection held no
    /// nonconformity.
    #[error(
        "nothing to export: the selection holds no nonconformity, and an OSCAL POA&M needs at least one poam-item"
    )]
    EmptySelection,
    /// OSCAL requires at least one mapping; the crosswalk selection held no
    /// edge.
    #[error(
        "nothing to export: no crosswalk edge between {source_framework} and {target_framework}"
    )]
    NoMappings {
        /// The source framework asked for (or `*`).
        source_framework: String,
        /// The target framework asked for (or `*`).
        target_framework: String,
    },
    /// The framework asked for is not in the catalogue.
    #[error("unknown framework {0:?}; see Catalog::frameworks for the keys")]
    UnknownFramework(String),
    /// The document built breaks OSCAL constraints (a bug in this crate, or
    /// data that OSCAL cannot express): nothing is returned rather than an
    /// invalid document.
    #[error("the exported document breaks {} OSCAL constraint(s); first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
    Constraints(Vec<ConstraintViolation>),
}

/// Why an import failed as a whole. Content that is merely unknown or
/// unmappable does not fail the import: it is listed in the
/// [`crate::ImportReport`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The JSON is not an OSCAL POA&M document.
    #[error("not an OSCAL plan-of-action-and-milestones document: {0}")]
    NotAPoam(&'static str),
    /// A value the import needs is missing or malformed.
    #[error("{path}: {problem}")]
    BadValue {
        /// JSON path of the value.
        path: String,
        /// What is wrong and what was expected.
        problem: String,
    },
    /// The register refused a command built from the document (the rules
    /// live in `isms_core::decide`; the importer never bypasses them), or
    /// the caller's own check refused it; the error names the JSON path of
    /// the poam-item.
    #[error("the register refused a step of the document: {0}")]
    Refused(#[from] ReplayError<String>),
    /// The text is longer than [`crate::MAX_POAM_BYTES`]: nothing was parsed.
    #[error(
        "the document has {bytes} bytes; an OSCAL POA&M import takes at most {limit} bytes (export a selection, or fewer nonconformities)"
    )]
    TooLarge {
        /// The text's length.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
}
