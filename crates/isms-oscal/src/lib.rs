//! # isms-oscal
//!
//! NIST OSCAL 1.2 interop for the clause 10 register:
//!
//! - [`export_poam`]: the register (or a selection, [`export_poam_selection`])
//!   as an OSCAL `plan-of-action-and-milestones`: a poam-item per
//!   nonconformity, with an observation of what was found (EXAMINE,
//!   INTERVIEW or TEST), a risk whose status follows the lifecycle, its
//!   deadline, a remediation per root-cause-analysis attempt (lifecycle
//!   recommendation, planned, completed) holding the corrective actions as
//!   `action` tasks and the verification checks as `milestone` tasks with
//!   timing and responsible roles, observations for verification results,
//!   and findings for requirement references that target a control.
//! - [`import_poam`]: an OSCAL POA&M back into a register, through
//!   `isms-core` commands; what cannot be mapped is listed in an
//!   [`ImportReport`] with its JSON path, never dropped silently.
//!   [`plan_import`] and [`plan_import_into`] return the commands for a
//!   caller that runs them against its own register or store; [`is_poam`]
//!   tells a POA&M from other JSON.
//! - [`export_mapping_collection`]: the catalogue's crosswalks as an OSCAL
//!   `mapping-collection`; [`export_catalog`]: a framework as an OSCAL
//!   `catalog` (identifiers and titles only, as the licences allow).
//! - [`check_document`]: the OSCAL constraints the JSON Schemas do not
//!   check (uuid references resolve, date-times carry a time zone, tokens,
//!   no empty arrays, one-line fields). Every exporter runs it and refuses
//!   to return a document that breaks one.
//!
//! ```
//! use isms_oscal::{PoamOptions, export_poam, import_poam};
//!
//! let seed = isms_gen::seed_scenarios("2026-01-05T09:00:00Z".parse()?)?;
//! let doc = export_poam(&seed.register, &PoamOptions::default())?;
//! let text = serde_json::to_string_pretty(&doc)?;
//!
//! let imported = import_poam(&text)?;
//! assert!(imported.report.skipped.is_empty());
//! assert_eq!(imported.register.nonconformities(), seed.register.nonconformities());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **Lossless for our own documents, honest for others.** OSCAL has a place
//!   for most of a nonconformity (observation, risk, remediation, tasks), but
//!   not for everything (root causes by category, reschedules, extensions).
//!   Those travel as props in the namespace [`NS`], the structured ones as
//!   compact JSON of the core's own types, so export then import gives back
//!   an equal register. A POA&M written elsewhere imports what maps
//!   (title, description, detection time, deadline) and lists the rest.
//! - **Deterministic.** OSCAL uuids are UUID v5 derived from the register's
//!   identifiers ([`derive_uuid`]), `last-modified` defaults to the latest
//!   event time, and JSON objects keep a fixed key order: the same register
//!   gives the same bytes.
//! - **The rules stay in the core.** The importer builds commands and runs
//!   them through `isms_core::decide` under [`isms_core::Policy::permissive`]
//!   (history already happened; the organisation's policy judged it then).
//!   The clause 10 rules still apply, and a refusal is an error with the
//!   JSON path of the item.

mod check;
mod error;
mod ids;
mod import;
mod mapping;
mod poam;

pub use check::{ConstraintViolation, check_document};
pub use error::{ExportError, ImportError};
pub use ids::{NS, derive_uuid, tokenise, uuid_namespace};
pub use import::{
    DEFAULT_ACTOR, ImportPlan, ImportReport, ImportStep, Imported, MAX_POAM_BYTES, SkipReason,
    Skipped, import_poam, import_poam_with, is_poam, plan_import, plan_import_into,
};
pub use mapping::{
    CatalogOptions, MappingOptions, export_catalog, export_mapping_collection, relationship_value,
};
pub use poam::{
    OSCAL_VERSION, POAM_FORMAT, PROVENANCE_PROP_PREFIX, PoamOptions, ROLES, export_poam,
    export_poam_selection, observation_method, read_provenance, risk_status,
};
