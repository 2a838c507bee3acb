//! The integration tests of isms-kpi, in one binary.

mod docs;
mod fixture;
mod items;
mod properties;
mod shape;
mod timezone;
