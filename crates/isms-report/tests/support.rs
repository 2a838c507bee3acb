//! Registers shared by the tests.

use chrono::{DateTime, TimeZone, Utc};
use isms_core::Register;
use isms_gen::{GeneratorConfig, generate, seed_scenarios};

/// A generated register: `n` nonconformities over `days` days from
/// 2024-01-01, seed `seed`; returns it and the end of its span.
pub fn generated(n: usize, seed: u64, days: u32) -> (Register, DateTime<Utc>) {
    let mut config = GeneratorConfig::new(n, seed);
    config.start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    config.span_days = days;
    let g = generate(&config).unwrap();
    (g.register, g.end)
}

/// The seed document's three examples, from 2025-01-06, and an instant
/// after they all closed.
pub fn seeds() -> (Register, DateTime<Utc>) {
    let s = seed_scenarios(Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap()).unwrap();
    (
        s.register,
        Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0).unwrap(),
    )
}
