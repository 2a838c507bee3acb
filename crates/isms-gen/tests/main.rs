//! The integration tests of isms-gen, in one binary.

mod generate;
mod scenarios;
