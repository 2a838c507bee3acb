//! Property-testing kit for embedding products (feature `proptest`).
//!
//! - [`strategies`]: a proptest strategy for every domain value, command
//!   and policy;
//! - [`model`]: the reference model, an independent and deliberately simple
//!   restatement of the workflow rules built on the transition table, which
//!   predicts whether each command is accepted and where it leads;
//! - [`scenario`]: a generator of command sequences that reach every state
//!   (most random commands would be refused at once), mixing legal and
//!   illegal steps, actors and times.
//!
//! A product property-tests its own policy by running generated sequences
//! through [`crate::Register::execute`] and calling
//! [`crate::check_invariants`] after each step; see
//! `examples/embed_proptest.rs` in the workspace.

pub mod model;
pub mod scenario;
pub mod strategies;
