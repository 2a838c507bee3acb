//! The product's policy: what its customers' ISMS teams decided.

use isms_core::{Enforcement, Policy, Role, Severity, TimeLimit};

/// The role that closes nonconformities in this product.
pub const ADMIN_ROLE: &str = "grc_admin";

/// The product's policy: containment first for every severity, closure by
/// `grc_admin`, containment within two days (refused without a
/// justification), planning within a fortnight (a warning), dates in
/// Sydney.
pub fn policy() -> Policy {
    Policy {
        segregation_of_duties: true,
        containment_required_for: [Severity::Major, Severity::Minor].into(),
        closure_approver_role: Role::new(ADMIN_ROLE).ok(),
        max_days_to_contain: Some(TimeLimit {
            days: 2,
            enforcement: Enforcement::Refuse,
        }),
        max_days_to_plan: Some(TimeLimit {
            days: 14,
            enforcement: Enforcement::Warn,
        }),
        time_zone: isms_core::IanaTimeZone::new("Australia/Sydney")
            .unwrap_or(isms_core::IanaTimeZone::UTC),
    }
}
