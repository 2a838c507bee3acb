//! The store passes the contract's conformance suite, as an application
//! role working inside one register per check.

use crate::support::{fresh, server};

#[test]
fn the_postgres_store_passes_the_conformance_suite() {
    let Some(url) = server() else { return };
    let passed = isms_store::conformance::run(|| fresh(&url, "conformance", "isms_app"))
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(passed.checks, isms_store::conformance::CHECKS.len());
}

#[test]
fn the_owner_passes_it_too() {
    // The owner is not bound by row-level security; every statement still
    // names its register, so nothing leaks between registers either way.
    let Some(url) = server() else { return };
    isms_store::conformance::run(|| fresh(&url, "owner", crate::support::OWNER))
        .unwrap_or_else(|f| panic!("{f}"));
}
