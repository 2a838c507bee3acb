//! Errors: a file that cannot be read at all, or exceeds a limit
//! ([`FileError`]), and the problems found in cells and rows ([`Problem`]),
//! all of them (up to [`MAX_PROBLEMS`](crate::MAX_PROBLEMS)) reported in one
//! run ([`ImportError::Problems`]).

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
    /// The column position (from 1) and its header, if the problem is in a
    /// cell; position 0 for a fixed value, whose header then names where it
    /// was given (`--set source`).
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
        match &self.column {
            // A column not in the file: its header says where it came from.
            Some((0, header)) => write!(f, ", {header}")?,
            Some((c, header)) => write!(f, ", column {} ({header})", column_letters(*c))?,
            None => {}
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
    /// The caller's own check of every step (see
    /// [`plan_import_with`](crate::plan_import_with)) refused the command
    /// this row becomes.
    #[error("cannot {step}: {problem}")]
    Checked {
        /// What the import tried to record.
        step: &'static str,
        /// What the check found.
        problem: String,
    },
    /// The import stopped listing problems at
    /// [`MAX_PROBLEMS`](crate::MAX_PROBLEMS); this one and `more - 1` after
    /// it are not listed.
    #[error(
        "{more} more problem{s} from here on {verb} not listed (an import lists the first {limit}); correct those above and import again",
        s = if *.more == 1 { "" } else { "s" },
        verb = if *.more == 1 { "is" } else { "are" }
    )]
    TooManyProblems {
        /// How many problems were not listed.
        more: usize,
        /// The limit.
        limit: usize,
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

/// The problems found so far: the first [`MAX_PROBLEMS`](crate::MAX_PROBLEMS)
/// listed, the others only counted, so that a file with a problem in every
/// cell costs no more memory than one with a thousand.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    listed: Vec<Problem>,
    more: usize,
    first_unlisted: Option<Location>,
}

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        if self.listed.len() < crate::MAX_PROBLEMS {
            self.listed.push(problem);
        } else {
            self.more += 1;
            self.first_unlisted.get_or_insert(problem.location);
        }
    }

    /// Found so far, listed or not.
    pub fn len(&self) -> usize {
        self.listed.len() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn append(&mut self, other: &mut Problems) {
        let other = std::mem::take(other);
        for p in other.listed {
            self.push(p);
        }
        if let Some(location) = other.first_unlisted {
            self.first_unlisted.get_or_insert(location);
        }
        self.more += other.more;
    }

    /// The list to report: the listed problems in order (by file, sheet,
    /// row and column; repeats removed), then, if some were not listed,
    /// [`ProblemKind::TooManyProblems`] at the first of those.
    pub fn into_list(self) -> Vec<Problem> {
        let mut problems = self.listed;
        problems.sort_by(|a, b| {
            (
                &a.location.file,
                &a.location.sheet,
                a.location.row,
                a.location.column.as_ref().map(|c| c.0),
            )
                .cmp(&(
                    &b.location.file,
                    &b.location.sheet,
                    b.location.row,
                    b.location.column.as_ref().map(|c| c.0),
                ))
        });
        // A value read twice (to tell "empty" from "unreadable") may have
        // been reported twice.
        problems.dedup_by(|a, b| a.to_string() == b.to_string());
        if let Some(location) = self.first_unlisted {
            problems.push(Problem {
                location,
                kind: ProblemKind::TooManyProblems {
                    more: self.more,
                    limit: crate::MAX_PROBLEMS,
                },
            });
        }
        problems
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
    /// More data rows than one import accepts ([`MAX_ROWS`](crate::MAX_ROWS),
    /// all files and sheets together).
    #[error(
        "{file}{sheet} brings the import above {limit} data rows (all files and sheets together); split it into files of at most {limit} rows and import them one after another"
    )]
    TooManyRows {
        /// The file where the limit was reached.
        file: String,
        /// `, sheet "..."` or empty.
        sheet: String,
        /// The limit.
        limit: usize,
    },
    /// More cell text than one import keeps
    /// ([`MAX_TEXT_BYTES`](crate::MAX_TEXT_BYTES), all files together).
    #[error(
        "{file}{sheet} brings the import above {limit} bytes of cell text (all files together); import the register in parts"
    )]
    TooMuchText {
        /// The file where the limit was reached.
        file: String,
        /// `, sheet "..."` or empty.
        sheet: String,
        /// The limit.
        limit: usize,
    },
    /// A header row wider than a spreadsheet ([`MAX_COLUMNS`](crate::MAX_COLUMNS)).
    #[error(
        "{file}{sheet} has {found} columns in its header row, more than the {limit} (A to XFD) a spreadsheet has"
    )]
    TooManyColumns {
        /// The file.
        file: String,
        /// `, sheet "..."` or empty.
        sheet: String,
        /// The columns found.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// An input file larger than [`MAX_FILE_BYTES`](crate::MAX_FILE_BYTES).
    #[error(
        "{file} is {size} bytes, more than the {limit} bytes an imported file may have; split the register into smaller files and import them one after another"
    )]
    TooLarge {
        /// The file.
        file: String,
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A part of an XLSX workbook that declares it inflates to more than
    /// [`MAX_PART_BYTES`](crate::MAX_PART_BYTES) (or
    /// [`MAX_METADATA_PART_BYTES`](crate::MAX_METADATA_PART_BYTES) for the
    /// parts read whole when the workbook is opened). Refused on the
    /// declaration, before the part is read.
    #[error(
        "{file}: the part {part} inflates to {size} bytes, more than the {limit} bytes the import reads from one part; a register export is far smaller, so the file is damaged, not a register, or a compression bomb"
    )]
    PartTooLarge {
        /// The file.
        file: String,
        /// The part's name in the package (`xl/worksheets/sheet1.xml`).
        part: String,
        /// The size it declares, in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The parts of an XLSX workbook inflate to more than
    /// [`MAX_UNPACKED_BYTES`](crate::MAX_UNPACKED_BYTES) together.
    #[error(
        "{file}: its parts inflate to {size} bytes together, more than the {limit} bytes the import reads from one workbook; remove other sheets and pictures, or split the register into smaller workbooks"
    )]
    UnpackedTooLarge {
        /// The file.
        file: String,
        /// The declared total, in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// More of something in an XLSX workbook than the import accepts: parts
    /// ([`MAX_PARTS`](crate::MAX_PARTS)), shared strings
    /// ([`MAX_SHARED_STRINGS`](crate::MAX_SHARED_STRINGS)), style records
    /// ([`MAX_STYLE_RECORDS`](crate::MAX_STYLE_RECORDS)) or bytes of
    /// expanded cell formats ([`MAX_STYLE_BYTES`](crate::MAX_STYLE_BYTES)).
    #[error(
        "{file}: {part} holds {found} {what}, more than the {limit} the import accepts; a register export holds far fewer, so the file is damaged or not a register"
    )]
    TooMany {
        /// The file.
        file: String,
        /// Where: a part's name, or `the package`.
        part: String,
        /// What was counted (`shared strings`, `fonts`, ...).
        what: &'static str,
        /// How many were found (at least).
        found: u64,
        /// The limit.
        limit: u64,
    },
    /// A cell, row or range reference outside Excel's grid (columns A to
    /// XFD, rows 1 to 1,048,576), or one that is not a reference at all.
    /// Refused before anything is allocated for it.
    #[error(
        "{file}, {part}: the reference {reference:?} {problem}; a spreadsheet has columns A to XFD and rows 1 to 1,048,576, so the file is damaged or was not written by a spreadsheet program (open it in one and save it again)"
    )]
    CellOutOfRange {
        /// The file.
        file: String,
        /// The part (`xl/worksheets/sheet1.xml`) or sheet (`sheet "Actions"`).
        part: String,
        /// The reference as written (`ZZZZZZ3`, `B2:A1`).
        reference: String,
        /// What is wrong with it (`is beyond column XFD`).
        problem: &'static str,
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
    /// A preset (`--from`) that does not read: bad TOML, an unknown key,
    /// column or word.
    #[error("preset {file}: {problem}")]
    BadPreset {
        /// The preset file (or the shipped preset's name).
        file: String,
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
    /// The files were read, and these problems were found: all of them, or
    /// the first [`MAX_PROBLEMS`](crate::MAX_PROBLEMS) and then one
    /// [`ProblemKind::TooManyProblems`] counting the rest.
    #[error("{} problem{} found; nothing was imported:\n{}", total(.0), if total(.0) == 1 { "" } else { "s" }, list(.0))]
    Problems(Vec<Problem>),
    /// A fixed value (`--set`, or a `:=` line of a mapping file) that a
    /// cell could not hold, or for a column the file already has. Nothing
    /// was imported.
    #[error("{fixed}: {problem}")]
    Fixed {
        /// The fixed value and where it was given.
        fixed: crate::columns::FixedValue,
        /// What is wrong.
        problem: String,
    },
}

/// How many problems were found: the listed ones and those counted.
fn total(problems: &[Problem]) -> usize {
    problems
        .iter()
        .map(|p| match p.kind {
            ProblemKind::TooManyProblems { more, .. } => more,
            _ => 1,
        })
        .sum()
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
