//! Integration tests of isms-io: one binary, modules by concern.

mod docs;
mod export;
mod fuzz;
mod messy;
mod roundtrip;
