//! Integration tests of isms-io: one binary, modules by concern.

mod bounds;
mod docs;
mod export;
mod fixed;
mod fuzz;
mod messy;
mod package;
mod presets;
mod roundtrip;
mod timezone;
