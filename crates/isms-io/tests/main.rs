//! Integration tests of isms-io: one binary, modules by concern.

mod messy;
mod roundtrip;
