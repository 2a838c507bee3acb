//! The integration tests of isms-report, in one binary.
#![allow(missing_docs)]

mod browser;
mod ical;
mod injection;
mod pack;
mod snapshot;
mod support;
