//! `isms`: an ISO/IEC 27001:2022 clause 10 ("Improvement") engine.
//!
//! This facade re-exports the workspace's crates behind cargo features so
//! that a product can depend on one crate and switch on what it needs:
//!
//! | feature    | crate        | what it brings                                  |
//! |------------|--------------|-------------------------------------------------|
//! | `core`     | [`core`]     | nonconformities, corrective actions, improvement|
//! | `catalog`  | [`catalog`]  | ISO 27001/27002, NIS2, CIS v8 and crosswalks    |
//! | `proptest` | [`core`]     | the property-testing kit of `isms-core`         |
//!
//! See `docs/ARCHITECTURE.md` for how the crates fit together.

#[cfg(feature = "core")]
pub use isms_core as core;

#[cfg(feature = "catalog")]
pub use isms_catalog as catalog;

/// The README's code samples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
