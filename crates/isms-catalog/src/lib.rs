//! # isms-catalog
//!
//! The frameworks a nonconformity can breach, and typed crosswalks between them:
//!
//! | Key | Framework | Items |
//! |---|---|---|
//! | `iso27001:2022` | ISO/IEC 27001:2022 clauses 4-10 and Annex A | 41 clauses, 4 themes, 93 controls |
//! | `iso27002:2022` | ISO/IEC 27002:2022 controls with their attributes | 4 themes, 93 controls |
//! | `iso27001:2013` | ISO/IEC 27001:2013 Annex A | 14 clauses, 35 objectives, 114 controls |
//! | `nis2` | Directive (EU) 2022/2555, Articles 20, 21, 23, parts of 32 and 33 | 5 articles, 40 provisions |
//! | `nis2-ir:2024-2690` | Annex of Implementing Regulation (EU) 2024/2690 | 13 sections, 47 subsections, points |
//! | `cis:v8` | CIS Controls v8 (identifiers and facts only) | 18 controls, 153 safeguards |
//!
//! and the crosswalks ISO 2013 to 2022, ISO 27002 to 27001, ISO 27001:2022 to the NIS2
//! Implementing Regulation (ENISA, CC BY 4.0) and to NIS2 articles, and the Regulation to
//! the Directive; clause 10 carries the controls and provisions that support it as an
//! [`Annotation`], which queries show but never walk. Queries resolve references in common
//! spellings, walk parents and children, follow direct and transitive mappings, and
//! compute coverage. Users add their own frameworks and mapping sets from CSV or JSON.
//!
//! ```
//! use isms_catalog::{Catalog, Relationship, TransitiveOptions};
//!
//! let catalog = Catalog::shipped();
//!
//! // Resolve the way an auditor writes it.
//! let backup = catalog.resolve_parts("ISO 27001", "A 8.13")?;
//! assert_eq!(backup.reference().to_string(), "iso27001:2022/A.8.13");
//! assert_eq!(backup.title(), Some("Information backup"));
//!
//! // Its 2013 predecessor, through ISO/IEC 27002:2022 Annex B: a correspondence, not a
//! // statement that the two controls are the same, so `intersects_with`, marked inferred.
//! let old = backup.mappings_to("iso27001:2013")?;
//! assert_eq!(old[0].target.to_string(), "iso27001:2013/A.12.3.1");
//! assert_eq!(old[0].relationship, Relationship::IntersectsWith);
//! assert!(old[0].provenance.inferred);
//!
//! // Which NIS2 provisions it reaches, directly or through the Implementing Regulation.
//! let paths = catalog.transitive_mappings("iso27001:2022/A.8.13", "nis2", &TransitiveOptions::default())?;
//! assert!(paths.iter().any(|p| p.target.to_string() == "nis2/21.2.c"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **Data is compiled in.** The shipped catalogue is CSV under `data/`, included with
//!   `include_str!` and parsed once ([`Catalog::shipped`]); nothing is read from disk at run
//!   time. Only identifiers, titles and our own short summaries are shipped: never ISO
//!   requirement text, never CIS safeguard titles (licences; see `docs/catalog.md`).
//! - **Edges are stored once.** A [`Mapping`] says "source RELATIONSHIP target"; the
//!   reverse reading is derived with [`Relationship::converse`], so subset/superset pairs
//!   cannot disagree.
//! - **Composition is set algebra.** Transitive mappings compose relationships with the
//!   RCC-5 composition table ([`compose`]), keeping the full set of possible results
//!   ([`RelationshipSet`]) and reporting one relationship with a [`Certainty`]: `subset_of`
//!   then `superset_of` is reported as `intersects_with` *at best*, never as more.
//! - **`equal` only where a source says so.** A shipped `equal` edge is never inferred:
//!   correspondence tables (ISO/IEC 27002 Annex B, ENISA's mapping) give `intersects_with`.
//!   Context that claims no relationship (clause 10's supporting controls) is an
//!   [`Annotation`], which transitive queries do not walk.
//! - **User data never replaces shipped data.** [`CatalogBuilder`] refuses a framework key,
//!   alias or crosswalk id that is already taken.

mod annotation;
mod catalog;
pub mod error;
mod id;
pub mod load;
mod mapping;
mod model;
mod nis2;
mod shipped;
mod vocab;

pub use annotation::{Annotation, RelatedItem};
pub use catalog::{Catalog, CatalogBuilder, Resolved};
pub use error::{CatalogError, IdError, LoadError, ResolveError, ValueError};
pub use id::{FrameworkId, ItemId, ItemRef};
pub use mapping::{
    Certainty, Coverage, CoveredItem, Crosswalk, Mapping, MappingPath, Provenance, Rationale,
    Relationship, RelationshipSet, Strength, TransitiveOptions, compose,
};
pub use model::{Framework, Item, ItemDetails};
pub use nis2::{ClockStart, Period, ReportingDeadline};
pub use shipped::{
    CIS_LICENCE, ENISA_CREDIT, ENISA_LICENCE, EU_LICENCE, ISO_LICENCE, ISO27002_TITLE_DIFFERENCES,
    PROJECT_LICENCE,
};
pub use vocab::{
    AssetType, CisSafeguard, ControlType, CybersecurityConcept, ImplementationGroup,
    Iso27002Attributes, ItemKind, OperationalCapability, SecurityDomain, SecurityFunction,
    SecurityProperty, Theme,
};
