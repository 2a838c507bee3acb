//! # isms-core
//!
//! The domain of ISO/IEC 27001:2022 clause 10, "Improvement", as a pure,
//! event-sourced library:
//!
//! - **10.2 Nonconformity and corrective action**: a register of
//!   [`Nonconformity`] records carried through correction and containment
//!   (a), root-cause analysis with the check for similar cases (b),
//!   [`CorrectiveAction`]s with owners, due dates and reschedules (c),
//!   verification of effectiveness on a [`VerificationSchedule`] (d), and
//!   closure with the [`IsmsChange`]s it caused (e); every step is an
//!   [`Event`], which is the documented evidence (f, g).
//! - **10.1 Continual improvement**: a register of [`Improvement`]
//!   opportunities with their own lifecycle.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::*;
//!
//! let policy = Policy::default();
//! let at = |d| Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0).unwrap();
//! let manager = Actor::named("maria")?;
//! let mut register = Register::new();
//! let nc = NonconformityId::v7(at(1), 1);
//!
//! let report = ReportNonconformity::new(nc, "Procedure out of date",
//!     "The access review procedure predates the new IAM system.",
//!     Source::InternalAudit, Severity::Minor, ActorId::new("omar")?, at(1))
//!     .requirement("iso27001:2022/7.5.3".parse()?);
//! register.execute(&report.into(), &Context::new(at(2), manager.clone(), &policy))?;
//!
//! // Closing now is refused, with the rule that was broken and its stable code.
//! let err = register
//!     .decide(&Command::close(nc), &Context::new(at(3), manager, &policy))
//!     .unwrap_err();
//! assert_eq!(err.code(), "transition_not_allowed");
//! assert!(err.to_string().starts_with("cannot close NC-0001: it is reported"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **No clock, no randomness, no I/O.** Time, the acting party and the
//!   entropy for event identifiers come in through [`Context`], so every
//!   outcome is reproducible and property-testable. Storage lives in other
//!   crates (`isms-store-sqlite`).
//! - **The item is the aggregate.** [`decide`] takes the state of the one
//!   item a command targets ([`ItemRef`], `None` before creation), a small
//!   [`RegisterContext`] (the last reference number, a nonconformity's
//!   reference and state, whether an action id is taken: index look-ups)
//!   and the [`Context`], and returns the events or a typed
//!   [`DecisionError`], changing nothing. [`apply`] folds one item's events
//!   into an [`Item`]. A store therefore loads one stream and the few facts
//!   [`Lookups::for_command`] lists ([`RegisterFacts`] gathers them from
//!   any [`FactSource`]), whatever the size of the register. [`Register`]
//!   is the in-memory convenience over the same functions; a property test
//!   checks that both ways decide alike on random histories.
//! - **Events claim what must be unique.** [`Event::claim`] names the human
//!   reference a new item takes and the id a new action takes, so every
//!   store enforces uniqueness with an index, without reading payloads.
//! - **Compact facts for measurement.** [`NcFacts`] and [`ImprovementFacts`]
//!   hold every instant, date, state and category KPIs need, without text,
//!   with an exact versioned binary encoding a store keeps per item.
//! - **The workflow is data.** [`NC_TRANSITIONS`] and
//!   [`IMPROVEMENT_TRANSITIONS`] list every allowed command per state; the
//!   docs diagram and the property tests are derived from them.
//! - **Policy is a value.** What an organisation may tune (segregation of
//!   duties, containment before analysis, a closure approver, time limits)
//!   is a [`Policy`]; the rules clause 10 itself imposes cannot be turned off.
//!   A register records the policies it adopts as events of its own stream
//!   ([`AdoptPolicy`], [`decide_policy`], [`PolicyHistory`]), so the policy
//!   in force at any past instant is evidence; [`replay::Replayer`] decides
//!   every step under the policy in force at the step's time.
//! - **Requirement references are typed but not resolved here.** A
//!   [`RequirementRef`] such as `iso27001:2022/A.8.13` is checked for shape;
//!   the catalogue crate resolves it. The core does not depend on it.
//! - **Serialised shapes are API.** Every public type derives serde and
//!   `schemars::JsonSchema`; the JSON Schema bundle is the compatibility
//!   promise. Event payload tags carry a version (`action_completed.v1`).
//!
//! ## Features
//!
//! - `proptest`: the `testkit` module with proptest strategies for every
//!   domain type, command and policy, a driver that generates meaningful
//!   command sequences, and the reference model built from the transition
//!   table, for embedding products' own property tests.

mod adoption;
pub mod audit;
mod builders;
mod codes;
mod command;
mod context;
mod decide;
pub mod due;
mod error;
mod event;
mod evidence;
pub mod extensions;
pub mod facts;
mod hash;
mod ids;
mod invariants;
mod item;
mod json_time;
mod model;
mod policy;
mod reference;
mod register;
pub mod replay;
pub mod reporting;
pub mod risk;
mod schedule;
pub mod text;
mod timezone;
pub mod workflow;

#[cfg(feature = "proptest")]
pub mod testkit;

pub use adoption::{AdoptPolicy, PolicyAdoption, PolicyHistory, decide_policy};
pub use audit::{Audit, AuditBook, AuditId, AuditKind, RecordAudit, decide_audit};
pub use codes::{RULE_CODES, RuleCode, RuleOutcome, render_rule_codes_markdown};
pub use command::{Command, CommandTarget, ProposeImprovement, ReportNonconformity};
pub use context::{Context, FactSource, Lookups, NcSummary, RegisterContext, RegisterFacts};
pub use decide::{Decision, MAX_ITEMS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, decide};
pub use due::{DueAt, DueEntry, DueKind, DueList, DueQuery};
pub use error::{DecisionError, IdError, ReferenceError, ScheduleError, Subject};
pub use event::{Claim, Event, EventPayload, StreamId};
pub use evidence::{FileEvidence, Sha256Digest};
pub use facts::{
    ClockFacts, Day, FactsError, ImprovementFacts, NcFacts, NcFactsVisitor, Stamp, decode_nc,
};
pub use ids::{
    ActionId, ActionRef, Actor, ActorId, EventId, ImprovementId, ImprovementRef, NcRef,
    NonconformityId, RefKind, Role,
};
pub use invariants::{Violation, check_invariants};
pub use item::{Item, ItemRef, apply, apply_owned};
pub use model::{
    ActionDecision, ActionStatus, AnalysisMethod, Closure, Correction, CorrectiveAction,
    EffectivenessConclusion, EvidenceRef, Extensions, ExternalLink, Improvement, ImprovementSource,
    IsmsChange, IsmsChangeKind, LinkKind, Nonconformity, Priority, Rejection, RejectionReason,
    Reschedule, RootCause, RootCauseAnalysis, RootCauseCategory, Severity, Source, Transition,
    VerificationPlan, VerificationResult,
};
pub use model::{MissedCheck, RecurrenceRecord, VerificationEnd};
pub use policy::{Enforcement, MAX_LIMIT_DAYS, Policy, PolicyWarning, TimeLimit};
pub use reference::{REQUIREMENT_REF_PATTERN, RequirementRef};
pub use register::Register;
pub use reporting::{
    ClockAnchor, ClockPeriod, ClockRegime, ClockRule, ClockStatus, IncidentReporting,
    ReportRequest, ReportSubmission, ReportingClock, reporting_clocks,
};
pub use risk::{
    AcceptedRisk, MAX_RISK_REVIEW_DAYS, RiskAcceptance, RiskAcceptanceTerms, RiskDecision,
    accepted_risks,
};
pub use schedule::{
    CheckState, DueCheck, MAX_CHECKS, MAX_SPAN_DAYS, Period, PeriodUnit, RecurrenceEnd,
    VerificationSchedule,
};
pub use timezone::{IanaTimeZone, TimeZoneError};
pub use workflow::{
    IMPROVEMENT_TRANSITIONS, ImprovementCommandKind, ImprovementState, NC_TRANSITIONS,
    NcCommandKind, NcState, TransitionRule, render_workflow_markdown,
};
