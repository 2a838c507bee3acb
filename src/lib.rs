//! `isms`: an ISO/IEC 27001:2022 clause 10 ("Improvement") engine.
//!
//! This facade re-exports the workspace's crates behind cargo features so
//! that a product can depend on one crate and switch on what it needs:
//!
//! | feature    | crate        | what it brings                                  |
//! |------------|--------------|-------------------------------------------------|
//! | `core`     | [`core`]     | nonconformities, corrective actions, improvement|
//! | `catalog`  | [`catalog`]  | ISO 27001/27002, NIS2, CIS v8 and crosswalks    |
//! | `kpi`      | [`kpi`]      | KPIs of the improvement process, as of any instant |
//! | `store`    | `store`      | the event-store contract and command handler    |
//! | `sqlite`   | `sqlite`     | the embedded SQLite event store                 |
//! | `gen`      | `generator`  | seeded synthetic registers                     |
//! | `schema`   | `schema`     | the JSON Schema bundle and the register document |
//! | `report`   | `report`     | the management-review report (HTML, Markdown)   |
//! | `io`       | `io`         | CSV and XLSX export and import of the register  |
//! | `oscal`    | `oscal`      | OSCAL POA&M export/import, mapping collection   |
//! | `proptest` | `core`       | the property-testing kit of `isms-core`         |
//!
//! Default features: `core`, `catalog`, `kpi`.
//!
//! See `docs/ARCHITECTURE.md` for how the crates fit together.

#[cfg(feature = "core")]
pub use isms_core as core;

#[cfg(feature = "catalog")]
pub use isms_catalog as catalog;

#[cfg(feature = "kpi")]
pub use isms_kpi as kpi;

#[cfg(feature = "store")]
pub use isms_store as store;

#[cfg(feature = "sqlite")]
pub use isms_store_sqlite as sqlite;

#[cfg(feature = "schema")]
pub use isms_schema as schema;

#[cfg(feature = "gen")]
pub use isms_gen as generator;

#[cfg(feature = "report")]
pub use isms_report as report;

#[cfg(feature = "io")]
pub use isms_io as io;

#[cfg(feature = "oscal")]
pub use isms_oscal as oscal;

/// The README's code samples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
