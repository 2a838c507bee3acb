//! # isms-gen
//!
//! Deterministic synthetic registers for ISO/IEC 27001:2022 clause 10, of
//! realistic shape and any size from a few hundred to a million
//! nonconformities: for benchmarks, the command-line demo and tests.
//!
//! A generated register has mixed sources (audits, incidents, monitoring,
//! ...), about a quarter major findings, ISO/IEC 27001:2022 and NIS2
//! requirement references, about 2.5 corrective actions per nonconformity
//! with a share late, rescheduled or cancelled, ineffective first
//! verifications that send items back to root-cause analysis, recurrences
//! linked to earlier closed items, rejections, items still open at the end,
//! and improvement opportunities (10.1). [`seed_scenarios`] runs the seed
//! document's three worked examples end to end.
//!
//! ```
//! use isms_gen::{GeneratorConfig, generate};
//! let config = GeneratorConfig::new(300, 7);
//! let a = generate(&config)?;
//! let b = generate(&config)?;
//! assert_eq!(a.register, b.register); // same seed, same register
//! assert_eq!(a.register.nonconformities().len(), 300);
//! assert!(isms_core::check_invariants(&a.register, &isms_core::Policy::default()).is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **Only through the core.** Every item is carried through its lifecycle
//!   with [`isms_core::Command`]s run by [`isms_core::Register::execute`]
//!   under the default policy, so a generated register obeys every workflow
//!   rule; a refusal is reported as [`GenError::Refused`] (a generator bug),
//!   never papered over.
//! - **Own random source.** A small xoshiro256++ generator ([`Rng`]) lives in
//!   the crate, so a seed means the same register on every platform and
//!   with any version of any dependency.
//! - **Short texts from a small vocabulary**, so that a million
//!   nonconformities fit in memory; events are kept only on request
//!   ([`GeneratorConfig::keep_events`]).
//! - **Stories, not shuffles.** Each nonconformity is generated as one
//!   story in time (reported, contained, analysed, actions planned and
//!   finished, verified, closed); a story stops at the end of the span, which
//!   leaves recent items open in whichever state they reached.

mod error;
mod generate;
mod rng;
mod scenarios;
mod vocab;

pub use error::GenError;
pub use generate::{
    Generated, GenerationStats, GeneratorConfig, MAX_SPAN_DAYS, RunSink, Shape, generate,
    generate_into, generate_to,
};
pub use rng::Rng;
pub use scenarios::{SeedScenarios, seed_scenarios, seed_scenarios_onto};
