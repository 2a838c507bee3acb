//! # isms-schema
//!
//! The JSON Schema bundle (draft 2020-12) for every document the `isms-*` crates
//! exchange, and the versioned **register document** format: a whole register with its
//! nonconformities, improvements and event log in one JSON file. Form builders,
//! validators in other languages, API gateways and data pipelines consume these schemas
//! rather than the Rust types, so the bundle is a public contract, versioned like an API.
//!
//! | document | Rust type | schema file(s) in `docs/schemas/` |
//! |---|---|---|
//! | register | [`RegisterDocument`] | `register.json`, `register.output.json` |
//! | nonconformity | [`isms_core::Nonconformity`] | `nonconformity.json`, `nonconformity.output.json` |
//! | improvement | [`isms_core::Improvement`] | `improvement.json`, `improvement.output.json` |
//! | event | [`isms_core::Event`] | `event.json`, `event.output.json` |
//! | command | [`isms_core::Command`] | `command.json`, `command.output.json` |
//! | policy | [`isms_core::Policy`] | `policy.json`, `policy.output.json` |
//! | catalogue framework | [`isms_catalog::Framework`] | `framework.json`, `framework.output.json` |
//! | mapping set | [`isms_catalog::Crosswalk`] | `crosswalk.json` |
//! | KPI report | [`isms_kpi::KpiReport`] | `kpi-report.json`, `kpi-report.output.json` |
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::*;
//! use isms_schema::{DocumentKind, RegisterDocument, bundle, validate_document};
//!
//! // Record a nonconformity, then export the register as a document.
//! let policy = Policy::default();
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let mut register = Register::new();
//! let report = Command::ReportNonconformity(ReportNonconformity {
//!     id: NonconformityId::v7_from_parts(1, [7; 10]),
//!     title: "Backup not tested".into(),
//!     description: "No restore test in the last twelve months.".into(),
//!     source: Source::InternalAudit,
//!     severity: Severity::Major,
//!     requirements: vec!["iso27001:2022/A.8.13".parse()?],
//!     owner: ActorId::new("omar")?,
//!     detected_at: at,
//!     external_deadline: None,
//!     links: vec![],
//!     extensions: Default::default(),
//! });
//! let decision = register.execute(&report, &Context::new(at, Actor::new(ActorId::new("maria")?), &policy))?;
//! let document = RegisterDocument::from_events(decision.events)?.with_generated_at(at);
//!
//! // The document validates against its published schema...
//! let json = serde_json::to_value(&document)?;
//! validate_document(DocumentKind::Register, &json)?;
//!
//! // ...and imports back into the same register.
//! assert_eq!(document.to_register()?, register);
//!
//! // The bundle: one file per schema, plus `index.json`.
//! let files = bundle();
//! let register_schema = files.iter().find(|f| f.file_name == "register.json").unwrap();
//! assert_eq!(register_schema.id, "urn:isms-improvement:schema:register:1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **`$id`s are URNs with the major version:** `urn:isms-improvement:schema:<name>:<major>`
//!   (`urn:isms-improvement:schema:event.output:1`). The project owns no domain, and a URN
//!   cannot be mistaken for a download location; validators must never fetch anything, and
//!   every `$ref` is local (`#/$defs/...`). Only the major version is in the `$id`: a
//!   compatible change keeps every `$id`, a breaking one changes them all.
//! - **Versioning.** [`SCHEMA_VERSION`] is the bundle's semantic version, written into every
//!   register document (`schema_version`) and every schema's `$comment`. Released bundles
//!   are kept under `docs/schemas/released/<version>/`, and a test compares the bundle with
//!   the last release ([`compat::check_release`]): a breaking change (removed property or
//!   enum value, newly required property, narrower type, new or changed pattern or format,
//!   tighter bound, `additionalProperties` turned false) needs a new major and an entry in
//!   `docs/schemas/CHANGELOG.md`.
//! - **Input and output schemas.** The types skip empty collections and absent options
//!   when writing and accept them missing when reading, and a few fields are written
//!   always but defaulted when read. Each kind therefore has an input schema
//!   (`<name>.json`, schemars' deserialize contract: what the library accepts) and, where it
//!   differs, an output schema (`<name>.output.json`, the serialize contract: what the
//!   library writes, with every always-written field required).
//! - **Portable schemas.** Documented unit enums are written as `enum` (the values'
//!   descriptions are listed in the description), and schemars' integer formats
//!   (`uint32`, ...) become `minimum`/`maximum`, so that validators other than this
//!   crate's accept the bundle unchanged. [`schema_for`] and [`make_portable`] give a
//!   product's own types the same treatment.
//! - **The events are the record of truth.** A register document carries the state for
//!   readers and the events for importers; [`RegisterDocument::to_register`] rebuilds the
//!   state from the events and refuses a document whose state disagrees.
//!
//! ## Features
//!
//! - `validate` (default): [`validate_document`] and [`DocumentValidator`], using the
//!   `jsonschema` crate without its network features, with format validation switched on.

mod bundle;
pub mod compat;
mod document;
mod error;
mod generate;
mod provenance;
mod transform;
#[cfg(feature = "validate")]
mod validate;

pub use bundle::{
    Direction, DocumentKind, Drift, FileRole, SchemaFile, bundle, drift, schema_id, write_bundle,
};
pub use document::RegisterDocument;
#[cfg(feature = "validate")]
pub use error::ValidationError;
pub use error::{BundleError, DocumentError};
pub use generate::{bundle_with_extensions, make_portable, schema_for};
pub use provenance::{PROVENANCE_FIELDS, Provenance, ProvenanceCheckpoint, ProvenanceError};
#[cfg(feature = "validate")]
pub use validate::{DocumentValidator, Violation, check_metaschema, validate_document};

/// The version of the schema bundle and of the register document format.
pub const SCHEMA_VERSION: &str = "1.4.0";

/// The major version of [`SCHEMA_VERSION`]: what register documents must carry to be read.
pub const SCHEMA_MAJOR: u64 = 1;

/// The prefix of every schema's `$id`.
pub const ID_PREFIX: &str = "urn:isms-improvement:schema:";
