//! Tests of the PostgreSQL store against a real server.
//!
//! They need `ISMS_TEST_PG_URL`: a superuser URL of a throw-away database
//! (`scripts/pg-test-server start DIR` prints one; `.ci/run` exports it).
//! Without it they are skipped with a message, except under `CI=true`,
//! where they fail.

mod checkpoints;
mod concurrency;
mod conformance;
mod crash;
mod isolation;
mod listen;
mod roles;
mod schema;
mod support;
mod tamper;
mod tls;
