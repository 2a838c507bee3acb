//! Integration tests of isms-io: one binary, modules by concern.

mod docs;
mod messy;
mod roundtrip;
