//! Property-testing kit for embedding products (feature `proptest`).
//!
//! - [`strategies`]: a proptest strategy for every domain value, command
//!   and policy;
//! - [`model`]: the reference model, an independent and deliberately simple
//!   restatement of the workflow rules built on the transition table, which
//!   predicts whether each command is accepted and where it leads;
//! - [`scenario`]: a generator of command sequences that reach every state
//!   (most random commands would be refused at once), mixing legal and
//!   illegal steps, actors and times.
//!
//! # Property-testing your own policy and extension fields
//!
//! A product that embeds the core usually has its own policy (here: no
//! segregation of duties for a two-person team, containment first for
//! every severity, a closure approver) and its own extension field (here:
//! a `ticket` number every nonconformity must carry, which the product adds
//! to every report before submitting it). The kit drives generated
//! scenarios through the real register; the product checks the core's
//! invariants and its own rule after every step.
//!
//! ```
//! use chrono::TimeZone;
//! use isms_core::testkit::{model::Model, scenario};
//! use isms_core::*;
//! use proptest::prelude::*;
//! use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
//!
//! // The product's policy.
//! let policy = Policy {
//!     segregation_of_duties: false,
//!     containment_required_for: [Severity::Major, Severity::Minor].into(),
//!     closure_approver_role: Some(Role::new("isms_manager")?),
//!     ..Policy::default()
//! };
//!
//! // The product's own rule: every report carries a ticket number.
//! fn with_ticket(command: Command, n: u32) -> Command {
//!     match command {
//!         Command::ReportNonconformity(mut r) => {
//!             r.extensions.insert("ticket".into(), serde_json::json!(format!("SEC-{n}")));
//!             Command::ReportNonconformity(r)
//!         }
//!         other => other,
//!     }
//! }
//!
//! let start = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
//! let mut runner = TestRunner::new(Config { cases: 16, ..Config::default() });
//! runner
//!     .run(&any::<u64>(), |seed| {
//!         // Each case walks its own scenario, drawn from the case's seed.
//!         let mut bytes = [0u8; 32];
//!         bytes[..8].copy_from_slice(&seed.to_le_bytes());
//!         let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
//!         let mut steps_runner = TestRunner::new_with_rng(Config::default(), rng);
//!         let mut model = Model::new(policy.clone(), start);
//!         let mut register = Register::new();
//!         for i in 0..40u32 {
//!             let step = scenario::step(&model).new_tree(&mut steps_runner).unwrap().current();
//!             let command = with_ticket(step.command, i);
//!             let ctx = Context::new(step.at, step.actor.clone(), &policy)
//!                 .with_entropy(u128::from(seed) << 32 | u128::from(i));
//!             let predicted = model.step(&command, &step.actor, step.at);
//!             let outcome = register.execute(&command, &ctx);
//!             // The core agrees with the reference model under this policy...
//!             prop_assert_eq!(outcome.is_ok(), predicted == isms_core::testkit::model::Prediction::Accepted);
//!             // ...keeps every clause-10 rule...
//!             prop_assert!(check_invariants(&register, &policy).is_ok());
//!             // ...and the product's own field survives on every item.
//!             for nc in register.nonconformities() {
//!                 prop_assert!(nc.extensions.get("ticket").and_then(|t| t.as_str()).is_some_and(|t| t.starts_with("SEC-")));
//!             }
//!         }
//!         Ok(())
//!     })
//!     .map_err(|e| e.to_string())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod model;
pub mod scenario;
pub mod strategies;
