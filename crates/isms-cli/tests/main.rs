//! End-to-end tests of the `isms` binary: real processes on real files.
//! One test binary, one module per concern.

mod concurrency;
mod docs;
mod evidence;
mod exchange;
mod exits;
mod extensions;
mod fixed;
mod fuzz;
mod imports;
mod json;
mod migration;
mod oscal;
mod outputs;
mod policy;
mod postgres;
mod projections;
mod provenance;
mod readme;
mod recurrence;
mod refusals;
mod report;
mod requirements;
mod restore;
mod scenarios;
mod support;
mod tamper;
mod terminal;
