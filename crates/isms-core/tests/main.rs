//! The integration tests of isms-core, in one binary to keep link times down.
#![allow(missing_docs)] // test code: the items are not a public API

mod audit;
mod builders;
mod codes;
mod docs;
mod due;
mod effectiveness;
mod equivalence;
mod errors;
mod evidence;
mod extensions;
mod policy;
mod replay;
mod reporting;
mod risk;
mod roundtrip;
mod schedule;
mod seed;
mod state_machine;
mod support;
mod text;
mod timezone;
