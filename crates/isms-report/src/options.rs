//! What to report and how: the period, targets, paper and output format.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use isms_catalog::Catalog;
use isms_kpi::{DEFAULT_WINDOW_DAYS, Targets};

use crate::error::{FormatError, PaperError};

/// The paper the print stylesheet lays the report out for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Paper {
    /// ISO A4, 210 x 297 mm (the default).
    #[default]
    A4,
    /// US Letter, 8.5 x 11 in.
    Letter,
}

impl Paper {
    /// The CSS `@page` size keyword.
    pub const fn css_size(self) -> &'static str {
        match self {
            Paper::A4 => "A4",
            Paper::Letter => "letter",
        }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Paper::A4 => "a4",
            Paper::Letter => "letter",
        })
    }
}

impl FromStr for Paper {
    type Err = PaperError;

    fn from_str(s: &str) -> Result<Self, PaperError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "a4" => Ok(Paper::A4),
            "letter" | "us-letter" => Ok(Paper::Letter),
            _ => Err(PaperError::Unknown {
                given: s.to_owned(),
            }),
        }
    }
}

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// One self-contained HTML file with inline CSS and SVG charts.
    Html,
    /// Markdown for wikis: the same sections, each chart as its data table.
    Markdown,
}

impl Format {
    /// The format a file name asks for: `.html` or `.htm` for HTML, `.md`
    /// or `.markdown` for Markdown (case-insensitive).
    ///
    /// ```
    /// use isms_report::Format;
    /// assert_eq!(Format::from_path("review/2026-q2.HTML".as_ref())?, Format::Html);
    /// assert_eq!(Format::from_path("wiki.md".as_ref())?, Format::Markdown);
    /// assert!(Format::from_path("report.pdf".as_ref()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_path(path: &Path) -> Result<Self, FormatError> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("html" | "htm") => Ok(Format::Html),
            Some("md" | "markdown") => Ok(Format::Markdown),
            _ => Err(FormatError::UnknownExtension {
                path: path.display().to_string(),
            }),
        }
    }
}

impl FromStr for Format {
    type Err = FormatError;

    fn from_str(s: &str) -> Result<Self, FormatError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "html" | "htm" => Ok(Format::Html),
            "md" | "markdown" => Ok(Format::Markdown),
            _ => Err(FormatError::UnknownName {
                given: s.to_owned(),
            }),
        }
    }
}

/// The default trailing window of the monthly rate charts, in days.
pub const DEFAULT_TREND_WINDOW_DAYS: u32 = 90;
/// The default number of rows per item table.
pub const DEFAULT_MAX_ROWS: usize = 25;

/// What the report covers and how it is laid out.
///
/// ```
/// use isms_report::{Paper, ReportOptions};
/// let options = ReportOptions {
///     organisation: Some("Example Ltd".into()),
///     window_days: 730,
///     paper: Paper::Letter,
///     ..ReportOptions::default()
/// };
/// assert_eq!(options.trend_window_days, 90);
/// ```
#[derive(Clone, Debug)]
pub struct ReportOptions<'a> {
    /// The report's title. Default: "Management review: nonconformities,
    /// corrective actions and improvement".
    pub title: String,
    /// The organisation, shown under the title. Default: none.
    pub organisation: Option<String>,
    /// `W`: the period the report covers, in days up to `T` (default 365).
    /// The KPIs, the backlog trend and the tables of the period use it.
    pub window_days: u32,
    /// The trailing window of each monthly point of the on-time and
    /// effectiveness charts, in days (default 90): each point is the KPI as
    /// it read at that month's end over the preceding 90 days.
    pub trend_window_days: u32,
    /// The KPI targets (default: [`Targets::default`], as in `docs/kpis.md`).
    pub targets: Targets,
    /// The paper the print stylesheet is laid out for (default A4).
    pub paper: Paper,
    /// At most this many rows in each item table (default 25); the report
    /// says how many were left out.
    pub max_rows: usize,
    /// The catalogue used for titles, Annex A themes and the projection
    /// onto NIS2 Article 21(2) (default: the shipped catalogue).
    pub catalog: &'a Catalog,
    /// The organisation's time zone (`Policy::time_zone`): what is overdue,
    /// on time and in which month is judged on its calendar. Default UTC.
    pub time_zone: isms_core::IanaTimeZone,
    /// Set when the register the report is made from did not verify (the
    /// `isms` command line's `--allow-unverified`): what was wrong. The
    /// report then opens with a banner saying that its figures may rest on
    /// data changed outside the register's own commands. Default: none.
    pub unverified: Option<String>,
}

impl Default for ReportOptions<'static> {
    fn default() -> Self {
        Self {
            title: "Management review: nonconformities, corrective actions and improvement"
                .to_owned(),
            organisation: None,
            window_days: DEFAULT_WINDOW_DAYS,
            trend_window_days: DEFAULT_TREND_WINDOW_DAYS,
            targets: Targets::default(),
            paper: Paper::A4,
            max_rows: DEFAULT_MAX_ROWS,
            catalog: Catalog::shipped(),
            time_zone: isms_core::IanaTimeZone::UTC,
            unverified: None,
        }
    }
}
