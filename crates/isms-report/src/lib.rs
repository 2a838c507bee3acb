//! # isms-report
//!
//! The management-review pack: a register's clause 10 KPIs, trends and
//! open items as one self-contained HTML file (inline CSS and SVG charts,
//! no script, nothing fetched at view time, printable on A4 or Letter) or
//! as Markdown for wikis. ISO/IEC 27001:2022 clause 9.3 asks top management
//! to review the status of nonconformities and corrective actions and their
//! trends; clause 10.1 asks them to decide on improvements. This crate
//! turns a [`Register`] into the pack they read.
//!
//! The report has a summary of red/amber/green KPI tiles; the backlog trend
//! and ageing; open and overdue nonconformities ranked by risk;
//! effectiveness (on-time actions and first-time-right over time against
//! their targets, ineffective verifications, repeats, the root-cause
//! Pareto); the requirements breached by Annex A theme and projected onto
//! NIS2 Article 21(2); improvements realised and under way (10.1); the ISMS
//! changes made (10.2 e); and the period, the as-of instant and every KPI's
//! definition.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_report::{Format, ReportOptions, render};
//!
//! let scenarios = isms_gen::seed_scenarios(Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap())?;
//! let as_of = Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0).unwrap();
//! let options = ReportOptions { window_days: 730, ..ReportOptions::default() };
//!
//! let html = render(&scenarios.register, as_of, &options, Format::Html)?;
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! assert_eq!(html.matches("<svg class=\"chart\"").count(), 7);
//!
//! let markdown = render(&scenarios.register, as_of, &options, Format::Markdown)?;
//! assert!(markdown.contains("| Effectiveness rate (first-time-right) | 66.7 % | 2 of 3 |"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **Numbers first, pictures second.** [`ReviewPack::compute`] computes
//!   every number, series and table row once (the series in [`series`], pure
//!   functions over the KPI engine's results, unit-tested); the renderers
//!   only format, escape and draw. The rules (what is open, overdue,
//!   effective, in the period) stay in `isms-kpi` and `isms-core`.
//! - **Charts are inline SVG from plotters' SVG backend**, with no bitmap
//!   backend and no font rasterisation: the backend writes `<text>`
//!   elements and the browser lays them out, so no font files ship. Each
//!   chart carries a `<title>`, a `<desc>` (a sentence that states what it
//!   shows), `role="img"`, a visible caption and its data table.
//! - **Readable without colour.** Tiles say GREEN, AMBER or RED in words
//!   and by symbol; chart series differ by fill, outline, line and marker
//!   shape and carry direct labels.
//! - **Escaped everywhere.** Every string from the register or the options
//!   passes through [`escape_html`] or [`escape_markdown`] (small, tested
//!   functions here rather than a dependency); the HTML has no script and a
//!   Content-Security-Policy that forbids scripts and external resources.
//! - **A library never writes files.** [`render`] returns the document; the
//!   `isms report` command writes it.

mod charts;
mod error;
mod escape;
mod html;
mod ical;
mod markdown;
mod options;
mod pack;
pub mod series;
mod text;

use chrono::{DateTime, Utc};
use isms_core::Register;

pub use charts::Chart;
pub use error::{FormatError, PaperError, ReportError};
pub use escape::{escape_html, escape_markdown};
pub use ical::{ICAL_PRODID, render_ical};
pub use options::{DEFAULT_MAX_ROWS, DEFAULT_TREND_WINDOW_DAYS, Format, Paper, ReportOptions};
pub use pack::{
    ChangeRow, ClockRow, ImprovementRow, IneffectiveRow, ItemRow, RecurrenceRow, ReviewPack, Table,
};

impl ReviewPack {
    /// The pack as one self-contained HTML document.
    ///
    /// Errors only if the chart library fails to draw.
    pub fn to_html(&self) -> Result<String, ReportError> {
        html::render(self)
    }

    /// The pack as Markdown.
    pub fn to_markdown(&self) -> String {
        markdown::render(self)
    }
}

/// The report on `register` as of `as_of` as one self-contained HTML
/// document.
pub fn render_html(
    register: &Register,
    as_of: DateTime<Utc>,
    options: &ReportOptions<'_>,
) -> Result<String, ReportError> {
    ReviewPack::compute(register, as_of, options)?.to_html()
}

/// The report on `register` as of `as_of` as Markdown.
pub fn render_markdown(
    register: &Register,
    as_of: DateTime<Utc>,
    options: &ReportOptions<'_>,
) -> Result<String, ReportError> {
    Ok(ReviewPack::compute(register, as_of, options)?.to_markdown())
}

/// The report in `format`: the one call a command-line tool needs (choose
/// the format with [`Format::from_path`], then write the string).
pub fn render(
    register: &Register,
    as_of: DateTime<Utc>,
    options: &ReportOptions<'_>,
    format: Format,
) -> Result<String, ReportError> {
    match format {
        Format::Html => render_html(register, as_of, options),
        Format::Markdown => render_markdown(register, as_of, options),
    }
}
