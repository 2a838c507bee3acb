//! The isms-schema test suite: one binary, one module per concern.
#![allow(missing_docs)]

mod bundle;
mod compat;
mod documents;
mod invalid;
mod register_document;
mod samples;

use std::path::PathBuf;

/// `docs/schemas/` of the workspace.
pub fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}
