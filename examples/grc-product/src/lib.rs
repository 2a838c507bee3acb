//! # grc-product: a small GRC product built on the isms crates
//!
//! The workspace's worked example of `docs/embedding.md` (whose code blocks
//! are this crate's doctests): a product that keeps nonconformities in its
//! own storage and serves them over an HTTP API.
//!
//! - [`store::VecStore`]: the product's own in-memory event store, passing
//!   the store conformance suite;
//! - [`policy::policy`]: its policy, with its own role `grc_admin` and its
//!   time zone;
//! - [`api::Api`]: commands in, events out, refusals as RFC 9457 problem
//!   details ([`api::Problem`]);
//! - [`schema`]: its extension fields (`ticket`, `business_unit`) and the
//!   JSON Schemas of its API, generated the way the bundle is.
//!
//! `tests/product.rs` property-tests the product's policy with the
//! testkit's state-machine adapter (256 cases) and `src/main.rs` runs the
//! whole story.
#![doc = ""]
#![doc = include_str!("../../../docs/embedding.md")]

pub mod api;
pub mod policy;
pub mod schema;
pub mod store;
