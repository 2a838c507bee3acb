//! Shared fixtures.

use chrono::{DateTime, TimeZone, Utc};
use isms_core::Register;
use isms_gen::{GeneratorConfig, generate, seed_scenarios};

pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

pub fn seed() -> Register {
    seed_scenarios(start()).expect("seed scenarios").register
}

pub fn generated(n: usize, seed: u64) -> Register {
    generate(&GeneratorConfig::new(n, seed))
        .expect("generator")
        .register
}
