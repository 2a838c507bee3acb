//! `isms`: an ISO/IEC 27001:2022 clause 10 ("Improvement") engine.
//!
//! This facade re-exports the workspace's crates behind cargo features so
//! that a product can depend on one crate and switch on what it needs:
//!
//! | feature    | crate        | what it brings                                  |
//! |------------|--------------|-------------------------------------------------|
//! | `core`     | [`core`]     | nonconformities, corrective actions, improvement|
//! | `proptest` | [`core`]     | the property-testing kit of `isms-core`         |
//!
//! See `docs/ARCHITECTURE.md` for how the crates fit together.

#[cfg(feature = "core")]
pub use isms_core as core;
