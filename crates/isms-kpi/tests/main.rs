//! The integration tests of isms-kpi, in one binary.

mod docs;
mod encoded;
mod fixture;
mod items;
mod properties;
mod reporting;
mod selection;
mod shape;
mod threads;
mod timezone;
