//! Integration tests of the SQLite event store: real files, real child
//! processes, real tampering. One test binary, one module per concern.
//! Tests may tell the person running them what they saw (seeds, counts).
#![allow(clippy::print_stderr)]

mod backup;
mod basics;
mod bigread;
mod bulk;
mod concurrency;
mod corrupt;
mod crash;
mod projections;
mod refs;
mod support;
mod tamper;
