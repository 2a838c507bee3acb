//! Errors, one enum per concern.

use isms_kpi::KpiError;

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The KPIs could not be evaluated as asked (a window out of range, an
    /// instant outside the engine's range).
    #[error("cannot evaluate the KPIs for the report: {0}")]
    Kpi(#[from] KpiError),
    /// An option is out of range.
    #[error("report option {option} = {value} is out of range: {expected}")]
    BadOption {
        /// The option's name.
        option: &'static str,
        /// The value given.
        value: String,
        /// What is accepted.
        expected: &'static str,
    },
    /// The chart library failed to draw a chart.
    #[error("cannot draw the chart \"{chart}\": {message}")]
    Chart {
        /// The chart's identifier.
        chart: &'static str,
        /// What the chart library said.
        message: String,
    },
}

/// Why an output format could not be chosen.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The file name does not end in a known extension.
    #[error(
        "cannot tell the report format from \"{path}\": use a file name ending in .html, .htm or .md"
    )]
    UnknownExtension {
        /// The path given.
        path: String,
    },
    /// The format name is not known.
    #[error("unknown report format \"{given}\": use html or markdown")]
    UnknownName {
        /// The name given.
        given: String,
    },
}

/// Why a paper size could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaperError {
    /// The name is not a known paper size.
    #[error("unknown paper size \"{given}\": use a4 or letter")]
    Unknown {
        /// The name given.
        given: String,
    },
}
