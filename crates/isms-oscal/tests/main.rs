//! The integration tests of isms-oscal, in one binary (link time).

mod constraints;
mod examples;
mod fuzz;
mod mapping;
mod properties;
mod risk;
mod roundtrip;
mod schema;
mod support;
