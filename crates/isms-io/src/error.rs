//! Errors: a file that cannot be read at all ([`FileError`]), and the
//! problems found in cells and rows ([`Problem`]), all of them reported in
//! one run ([`ImportError::Problems`]).

use std::fmt;

use isms_core::DecisionError;

use crate::columns::{Column, column_letters};

/// Where a problem is: file, sheet (XLSX), row and column, as a person sees
/// them in a spreadsheet program (rows from 1, counting the header row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The file name as given.
    pub file: String,
    /// The sheet, for XLSX.
    pub sheet: Option<String>,
    /// The row, from 1, if the problem is in a row.
    pub row: Option<usize>,
    /// The column position (from 1) and its header, if the problem is in a cell.
    pub column: Option<(usize, String)>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let Some(s) = &self.sheet {
            write!(f, ", sheet {s:?}")?;
        }
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some((c, header)) = &self.column {
            write!(f, ", column {} ({header})", column_letters(*c))?;
        }
        Ok(())
    }
}

/// What is wrong with a cell, a row or the set of rows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A formula where a value is expected.
    #[error(
        "holds the formula `{formula}` where a value is expected; replace it with its value (copy, paste as values)"
    )]
    Formula {
        /// The formula text.
        formula: String,
    },
    /// An error value such as `#DIV/0!`.
    #[error("holds the spreadsheet error {value}")]
    CellError {
        /// The error as shown.
        value: String,
    },
    /// A control character (other than tab and line breaks).
    #[error("contains the control character U+{code:04X}; remove it")]
    ControlCharacter {
        /// Its code point.
        code: u32,
    },
    /// A word outside a column's vocabulary.
    #[error("{value:?} is not a known {what}; use one of: {accepted}")]
    UnknownWord {
        /// What the column holds (`severity`).
        what: &'static str,
        /// The word found.
        value: String,
        /// The accepted words.
        accepted: String,
    },
    /// Not a date in any accepted format.
    #[error(
        "{value:?} is not a date; write 2026-03-31, 31/03/2026, 2026-03-31T09:00:00Z or an Excel date"
    )]
    BadDate {
        /// The text found.
        value: String,
    },
    /// `03/04/2026` with no declared order.
    #[error(
        "{value:?} could be day/month or month/day; declare the date order (dmy or mdy) or write 2026-04-03"
    )]
    AmbiguousDate {
        /// The text found.
        value: String,
    },
    /// Any other malformed value (reference, actor name, requirement, number, schedule).
    #[error("{value:?} is not valid: {detail}")]
    BadValue {
        /// The text found.
        value: String,
        /// Why, and what is expected.
        detail: String,
    },
    /// A column the import needs is not in the file.
    #[error("the file has no {column} column (add it, or map a header to `{key}` in a mapping file)", key = column.key())]
    MissingColumn {
        /// The column.
        column: Column,
    },
    /// A cell the row needs is empty.
    #[error("is empty, but {why}")]
    MissingValue {
        /// Why it is needed.
        why: &'static str,
    },
    /// The same reference twice in the nonconformities sheet.
    #[error("repeats the reference {reference} of row {first_row}")]
    DuplicateReference {
        /// The reference.
        reference: String,
        /// Where it first appeared.
        first_row: usize,
    },
    /// The same action of the same nonconformity twice.
    #[error("repeats action {action} of {reference} from row {first_row}")]
    DuplicateAction {
        /// The nonconformity.
        reference: String,
        /// The action.
        action: String,
        /// Where it first appeared.
        first_row: usize,
    },
    /// Two rows of one nonconformity disagree on one of its columns.
    #[error("says {second:?} but row {first_row} of the same nonconformity says {first:?}")]
    Conflicting {
        /// The earlier row.
        first_row: usize,
        /// Its value.
        first: String,
        /// This row's value.
        second: String,
    },
    /// A reference to a nonconformity that is neither in the file nor in the register.
    #[error("refers to {reference}, which is neither in the file nor in the register")]
    UnknownNonconformity {
        /// The reference.
        reference: String,
    },
    /// The row's values contradict each other.
    #[error("{detail}")]
    Inconsistent {
        /// What contradicts what.
        detail: String,
    },
    /// The core refused the command this row becomes: the rule it broke.
    #[error("cannot {step}: {error}")]
    Refused {
        /// What the import tried to record.
        step: &'static str,
        /// The core's refusal.
        error: DecisionError,
    },
    /// The status column names a state the other columns do not reach.
    #[error("says {stated}, but the other columns only take it to {reached}{hint}")]
    StatusMismatch {
        /// The state written.
        stated: String,
        /// The state reached.
        reached: String,
        /// What is missing, if known.
        hint: String,
    },
}

/// One problem, with where it is.
#[derive(Debug)]
pub struct Problem {
    /// Where.
    pub location: Location,
    /// What.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.kind)
    }
}

/// A file that cannot be read as a spreadsheet of the register at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Neither CSV text nor an XLSX workbook.
    #[error("{file} is not a spreadsheet ({detail}); give a .csv or .xlsx file")]
    NotASpreadsheet {
        /// The file.
        file: String,
        /// What it looks like instead.
        detail: String,
    },
    /// A password-protected workbook.
    #[error(
        "{file} is an encrypted (password-protected) workbook; open it, remove the password (File > Info > Protect Workbook) and save it again"
    )]
    Encrypted {
        /// The file.
        file: String,
    },
    /// An Excel 97-2003 `.xls` workbook.
    #[error("{file} is an Excel 97-2003 (.xls) workbook; save it as .xlsx or .csv (UTF-8)")]
    LegacyXls {
        /// The file.
        file: String,
    },
    /// Text that is not UTF-8.
    #[error("{file} is not UTF-8 (first bad byte 0x{byte:02X} on line {line}){hint}")]
    NotUtf8 {
        /// The file.
        file: String,
        /// The line of the first invalid byte.
        line: usize,
        /// The byte.
        byte: u8,
        /// What to do.
        hint: &'static str,
    },
    /// More data rows than the import accepts.
    #[error(
        "{file}{sheet} has more than {limit} data rows; split it into files of at most {limit} rows and import them one after another"
    )]
    TooManyRows {
        /// The file.
        file: String,
        /// `, sheet "..."` or empty.
        sheet: String,
        /// The limit.
        limit: usize,
    },
    /// No header row with a single known column.
    #[error(
        "{file}{sheet} has no header row naming a known column (found {found}); the first non-empty row must hold the headers, see docs/spreadsheets.md"
    )]
    NoHeader {
        /// The file.
        file: String,
        /// `, sheet "..."` or empty.
        sheet: String,
        /// The first row's cells, shortened.
        found: String,
    },
    /// A malformed mapping file.
    #[error("{file}, line {line}: {problem}")]
    BadMappingFile {
        /// The mapping file.
        file: String,
        /// The line, from 1.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The workbook could not be read.
    #[error("{file} could not be read as an XLSX workbook: {detail}")]
    Xlsx {
        /// The file.
        file: String,
        /// The reader's message.
        detail: String,
    },
    /// The CSV text could not be read.
    #[error("{file}, line {line}: {detail}")]
    Csv {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// The reader's message.
        detail: String,
    },
    /// Writing an export failed.
    #[error("could not write the {format} export: {detail}")]
    Write {
        /// `csv` or `xlsx`.
        format: &'static str,
        /// Why.
        detail: String,
    },
}

/// Why an import produced no plan. Nothing is written in either case.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// A file could not be read at all.
    #[error(transparent)]
    File(#[from] FileError),
    /// The files were read, and these problems were found (all of them).
    #[error("{} problem{} found; nothing was imported:\n{}", .0.len(), if .0.len() == 1 { "" } else { "s" }, list(.0))]
    Problems(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
