//! Property-testing kit for embedding products (feature `proptest`).
//!
//! - [`strategies`]: a proptest strategy for every domain value, command
//!   and policy;
//! - [`model`]: the reference model, an independent and deliberately simple
//!   restatement of the workflow rules built on the transition table, which
//!   predicts whether each command is accepted and where it leads;
//! - [`scenario`]: a generator of command sequences that reach every state
//!   (most random commands would be refused at once), mixing legal and
//!   illegal steps, actors and times, with [`scenario::Weights`] and a step
//!   that carries items to closure ([`scenario::toward_closure`]);
//! - [`machine`]: the state-machine adapter over proptest-state-machine,
//!   running the model and the real register side by side for a product's
//!   own policy, roles, steps and checks ([`machine::Product`]).
//!
//! Actors hold the roles the policy under test names
//! ([`strategies::policy_roles`]), whatever the product calls them.
//!
//! # Property-testing your own policy and extension fields
//!
//! A product that embeds the core usually has its own policy (here: no
//! segregation of duties for a two-person team, containment first for
//! every severity, closure by its own role `grc_admin`, dates in Sydney)
//! and its own extension field (here: a `ticket` every report carries,
//! which the product adds before submitting). It implements
//! [`machine::Product`] and runs the adapter: every step is checked against
//! the model, the clause-10 invariants and the product's own check, and a
//! failure shrinks to a short sequence.
//!
//! ```
//! use isms_core::testkit::machine::{self, Product};
//! use isms_core::testkit::scenario::Step;
//! use isms_core::*;
//! use proptest::prelude::*;
//! use proptest::test_runner::Config;
//!
//! struct Grc;
//!
//! impl Product for Grc {
//!     fn policy() -> BoxedStrategy<Policy> {
//!         Just(Policy {
//!             segregation_of_duties: false,
//!             containment_required_for: [Severity::Major, Severity::Minor].into(),
//!             closure_approver_role: Some(Role::new("grc_admin").unwrap()),
//!             time_zone: "Australia/Sydney".parse().unwrap(),
//!             ..Policy::default()
//!         })
//!         .boxed()
//!     }
//!
//!     // The product's own rule: every report carries a ticket number, and
//!     // its API lets a change replace the ticket but never drop it.
//!     fn prepare(mut step: Step) -> Step {
//!         match &mut step.command {
//!             Command::ReportNonconformity(r) => {
//!                 r.extensions.insert("ticket".into(), format!("SEC-{}", r.title.len()).into());
//!             }
//!             Command::ChangeNonconformityExtensions { set, remove, .. } => {
//!                 remove.retain(|field| field != "ticket");
//!                 if let Some(ticket) = set.get_mut("ticket") {
//!                     let number = ticket.as_str().unwrap_or_default().len();
//!                     *ticket = format!("SEC-{number}").into();
//!                 }
//!             }
//!             _ => {}
//!         }
//!         step
//!     }
//!
//!     fn check(register: &Register, _: &[Event], _: &Policy) -> Result<(), String> {
//!         for nc in register.nonconformities() {
//!             let ticket = nc.extensions.get("ticket").and_then(|t| t.as_str());
//!             if !ticket.is_some_and(|t| t.starts_with("SEC-")) {
//!                 return Err(format!("{} has no ticket", nc.reference));
//!             }
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let config = Config { cases: 16, failure_persistence: None, ..Config::default() };
//! let stats = machine::run::<Grc>(config, 20..40)?;
//! assert_eq!(stats.cases, 16);
//! // The product's approver role closes items: the run is not vacuous.
//! assert!(stats.cases_with_closure > 0, "{stats:?}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod machine;
pub mod model;
pub mod scenario;
pub mod strategies;
