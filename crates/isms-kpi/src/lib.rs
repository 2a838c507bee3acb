//! # isms-kpi
//!
//! The KPIs that show whether an ISO/IEC 27001:2022 clause 10 improvement
//! process works, evaluated over an [`isms_core::Register`] as of any
//! instant `T` and over a window `[T - W, T]` (365 days by default):
//! open nonconformities and their ageing, time to contain and to close,
//! overdue and on-time corrective actions, first-time-right effectiveness,
//! repeat nonconformities, overdue effectiveness checks, the root-cause
//! Pareto, counts by requirement (projected onto another framework through
//! a [`RequirementProjection`]), the monthly backlog trend, and realised
//! improvements (10.1). Every KPI carries a stable [`KpiId`], a name, a
//! [`Unit`], a [`Direction`], its definition, its value and population, and
//! a red/amber/green [`Status`] against overridable [`Targets`]. The exact
//! definitions are in `docs/kpis.md`, generated from [`KpiId::definition`].
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_kpi::{KpiId, KpiView, Measure, ReportOptions, Status};
//!
//! let scenarios = isms_gen::seed_scenarios(Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap())?;
//! let view = KpiView::new(&scenarios.register);
//!
//! // Mid-2026, over two years: all three closed; the backup one needed two attempts.
//! let options = ReportOptions { window_days: 730, ..ReportOptions::default() };
//! let report = view.report(Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0).unwrap(), &options)?;
//! let open = report.get(KpiId::OpenNonconformities).unwrap();
//! assert_eq!(open.value, Measure::Count { count: 0 });
//! let ftr = report.get(KpiId::EffectivenessRate).unwrap();
//! assert_eq!(ftr.value, Measure::Ratio { numerator: 2, denominator: 3, ratio: 2.0 / 3.0 });
//! assert_eq!(ftr.status, Status::Red); // the default target is 85 %
//!
//! // As of an earlier instant, only what was recorded by then counts.
//! let early = view.report(Utc.with_ymd_and_hms(2025, 1, 7, 0, 0, 0).unwrap(), &ReportOptions::default())?;
//! assert_eq!(early.get(KpiId::OpenNonconformities).unwrap().value, Measure::Count { count: 1 });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **As of any instant, from recorded times only.** A KPI as of `T` uses
//!   only facts recorded at or before `T`: states from the transition
//!   history, due dates from the reschedules recorded by `T`, results
//!   recorded by `T`. Events after `T` change nothing, so a report as of a
//!   past date equals the report over the register as it stood then (a
//!   property test checks exactly that).
//! - **A columnar view, built once.** [`KpiView::new`] lays the register out
//!   as flat columns (instants as `i64` nanoseconds, dates as `i32` day
//!   numbers, enums as `u8`, nested lists as offsets into flat vectors), and
//!   each KPI is one tight pass over a few columns. The full suite over a
//!   million nonconformities takes tens of milliseconds (see
//!   `docs/performance.md`).
//! - **Threads that change nothing.** [`KpiView::report`] cuts the
//!   nonconformities and the actions into contiguous chunks walked on the
//!   machine's cores ([`ReportOptions::threads`]; by default one thread
//!   per [`NONCONFORMITIES_PER_THREAD`] nonconformities, up to the number
//!   of cores) and merges the chunks' counts in order, so the report is the one-thread report bit for bit (a
//!   property test checks it). Scoped threads of the standard library, not
//!   a thread pool: the crate stays free of dependencies for it.
//! - **No data is a value.** An empty population yields [`Measure::NoData`]
//!   and [`Status::NoData`], never a NaN or a division by zero.
//! - **Percentiles by linear interpolation** between closest ranks (the
//!   default of numpy and pandas, Hyndman-Fan type 7); means from integer
//!   sums, so that results do not depend on the order of the register.
//! - **The catalogue is behind a trait.** `by_requirement` projects onto
//!   another framework through [`RequirementProjection`], implemented here
//!   for `isms_catalog::Catalog` (transitive crosswalks, see
//!   [`CatalogProjection`]) and for plain maps, so a product can bring its
//!   own mapping.

mod compute;
mod docs;
mod error;
mod projection;
mod report;
mod reporting;
mod selection;
mod targets;
mod view;

pub use compute::{
    ActionTimeliness, AgeBucket, AgeBucketCount, Ageing, BacklogMonth, BacklogTrend,
    DEFAULT_WINDOW_DAYS, DurationStats, FirstTimeRight, Improvements, MAX_WINDOW_DAYS, OpenItem,
    OpenNonconformities, OverdueActions, OverdueVerifications, ParetoRow, ProjectedCounts,
    Recurrences, RequirementCount, RequirementCounts, RootCausePareto, SeverityCount, StateCount,
    Window,
};
pub use docs::render_kpis_markdown;
pub use error::{KpiError, TargetError};
pub use projection::{CatalogProjection, RequirementProjection, in_framework};
pub use report::{
    Detail, Direction, Kpi, KpiId, KpiReport, Measure, NONCONFORMITIES_PER_THREAD, ReportOptions,
    Unit, evaluate,
};
pub use reporting::ReportingClocks;
pub use selection::Selection;
pub use targets::{Status, Target, Targets};
pub use view::KpiView;
pub use view::KpiViewBuilder;
