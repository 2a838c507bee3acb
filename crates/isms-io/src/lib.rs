//! # isms-io
//!
//! Spreadsheet interop for the corrective-action register of
//! [`isms_core`]: export to CSV and XLSX, and a tolerant, all-or-nothing
//! import that goes through the core's commands.
//!
//! - **Export** ([`export_csv`], [`export_xlsx`]): one row per corrective
//!   action with its nonconformity's main columns ([`REPEATED_ON_ACTIONS`])
//!   repeated, and one row per
//!   nonconformity (a second file, or a second sheet). Dates and instants
//!   in ISO 8601 (UTC); in XLSX a bold header row, frozen panes, an
//!   autofilter, and typed date cells. A CSV cell a spreadsheet program
//!   would run as a formula (it starts with one of [`FORMULA_TRIGGERS`]) is
//!   written with a leading `'`, which the import takes off again.
//! - **Provenance** ([`export_csv_with`], [`export_xlsx_with`],
//!   [`read_provenance`]): where an export came from, as field/value rows
//!   under [`PROVENANCE_HEADER`], in a third CSV file or a
//!   [`PROVENANCE_SHEET`]; the fields are the caller's (the `isms` command
//!   line writes the chain head and checkpoint of the register).
//! - **Import** ([`plan_import`]): headers are matched to [`Column`]s case-
//!   and punctuation-insensitively, with synonyms and an explicit
//!   [`MappingFile`]; the [`ColumnMapping`] used is returned for printing.
//!   CSV may be UTF-8 with or without a byte-order mark (Windows-1252 on
//!   request, and recognised with a clear message otherwise), comma,
//!   semicolon or tab separated, with quoted line breaks; dates may be ISO,
//!   `dd/mm/yyyy`, `mm/dd/yyyy` (when unambiguous or declared), or Excel
//!   serial numbers. Every problem is reported with file, sheet, row and
//!   column, all of them (up to [`MAX_PROBLEMS`]) in one run.
//! - **Presets** ([`Preset`]): a known tool's export as data (TOML): the
//!   header map, fixed values, fallback columns, the words of each
//!   vocabulary, the cell rules (one action per line with a trailing
//!   `[status]`, `Category: statement` causes, follow-ups in words such as
//!   "Test restoration monthly") and a companion file matched by action
//!   text. Shipped: [`SHIPPED_PRESETS`] (`ciso-assistant`, `seed-register`).
//!   A preset imports each row up to the furthest step its data supports
//!   ([`ImportOptions::migrate`]) and reports what was not recorded
//!   ([`NotRecorded`]).
//!
//! ```
//! use isms_core::{Actor, ActorId, Register};
//! use isms_io::{ImportOptions, Input, export_csv, plan_import};
//!
//! // A register of 50 nonconformities, each with one root-cause analysis.
//! let mut config = isms_gen::GeneratorConfig::new(50, 7);
//! config.shape.ineffective = 0.0;
//! let register = isms_gen::generate(&config)?.register;
//! let csv = export_csv(&register)?;
//! let options = ImportOptions::new(Actor::new(ActorId::new("import")?));
//! let inputs = [
//!     Input { name: "nonconformities.csv", bytes: &csv.nonconformities },
//!     Input { name: "actions.csv", bytes: &csv.actions },
//! ];
//! let plan = plan_import(&Register::new(), &inputs, &options, &mut |_| {})?;
//! assert_eq!(plan.created(), 50);
//! // The same register, as far as a spreadsheet can tell.
//! assert_eq!(isms_io::RegisterView::of(&plan.register), isms_io::RegisterView::of(&register));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **Imports are commands.** Each nonconformity's rows become the
//!   commands that would have recorded it (report, containment, analysis,
//!   actions, verification, closure), decided by `isms_core` on a copy of
//!   the register, so every workflow rule applies once, in the core, and
//!   the history lands in the event log. Rows for an existing
//!   nonconformity (same reference) become the commands for what changed.
//! - **All or nothing.** [`plan_import`] writes nothing: it returns either
//!   every problem or an [`ImportPlan`] whose events go to the store in one
//!   atomic batch ([`ImportPlan::append_to`]); a dry run is a plan that is
//!   not appended.
//! - **"The same register" is the spreadsheet view.** A spreadsheet cannot
//!   carry everything the event log holds (who recorded each step, repeated
//!   analyses, every reschedule); [`RegisterView`] is exactly what it
//!   carries, and the round trip is tested as equality of views (see
//!   `docs/spreadsheets.md`).
//! - **Bounded input.** An import stays under 1 GB of memory whatever its
//!   input: every size a file states or implies is checked before anything
//!   sized by it is allocated or read, and refused with a [`FileError`]
//!   naming the file, the part or sheet, what was found and the limit.
//!   Files above [`MAX_FILE_BYTES`]; more than [`MAX_ROWS`] data rows or
//!   [`MAX_TEXT_BYTES`] of cell text in one import; cell, row and range
//!   references outside Excel's grid ([`MAX_COLUMNS`], [`MAX_SHEET_ROWS`]);
//!   workbook parts that inflate beyond [`MAX_PART_BYTES`] (checked on the
//!   package's declaration, before the part is read) or together beyond
//!   [`MAX_UNPACKED_BYTES`]; and what calamine would multiply while opening
//!   a workbook (parts, shared strings, style records). Rows keep only the
//!   cells of the columns the import reads, and past [`MAX_PROBLEMS`]
//!   problems the rest are counted, not listed. See `docs/spreadsheets.md`.
//! - **No clock, no randomness, no printing.** Identifiers come from
//!   [`ImportOptions::entropy`]; progress goes to a callback.

mod cells;
mod columns;
mod docs;
mod error;
mod export;
mod import;
mod limits;
mod package;
mod parse;
mod preset;
mod read;
mod view;
mod words;

pub use cells::{
    FollowUpKind, FollowUpPhrase, action_lines, cause_category, default_count, follow_up_phrase,
};
pub use columns::{
    Column, ColumnKind, ColumnMapping, FixedOrigin, FixedValue, MappedHeader, MappingFile,
    MatchedBy, REPEATED_ON_ACTIONS, column_letters, normalise,
};
pub use docs::columns_markdown;
pub use error::{FileError, ImportError, Location, Problem, ProblemKind};
pub use export::{
    ACTIONS_SHEET, CsvExport, FORMULA_TRIGGERS, NONCONFORMITIES_SHEET, PROVENANCE_HEADER,
    PROVENANCE_SHEET, export_csv, export_csv_with, export_xlsx, export_xlsx_with, read_provenance,
};
pub use import::{
    DEFAULT_SOURCE, IMPORT_REFERENCE, ImportOptions, ImportPlan, Input, NOT_RECORDED, NotRecorded,
    PlannedItem, Progress, Stage, plan_import, plan_import_with,
};
pub use limits::{
    MAX_COLUMNS, MAX_FILE_BYTES, MAX_MAPPING_FILE_BYTES, MAX_METADATA_PART_BYTES, MAX_PART_BYTES,
    MAX_PARTS, MAX_PROBLEMS, MAX_ROWS, MAX_SHARED_STRINGS, MAX_SHEET_ROWS, MAX_STYLE_BYTES,
    MAX_STYLE_RECORDS, MAX_TEXT_BYTES, MAX_UNPACKED_BYTES,
};
pub use parse::DateOrder;
pub use preset::{Companion, Preset, SHIPPED_PRESETS, Vocabularies, WordRule};
pub use read::Encoding;
pub use view::{Cell, RegisterView, action_sheet_columns, nonconformity_sheet_columns};

/// A vocabulary word: the word the export writes, and the other words the
/// import reads as the same value.
pub type VocabularyWord = (&'static str, &'static [&'static str]);

/// The accepted words of each vocabulary column, for documentation and help
/// texts: `(column, [(word written, [other words read])])`.
pub fn vocabularies() -> Vec<(Column, Vec<VocabularyWord>)> {
    fn words<T: 'static>(v: &words::Vocabulary<T>) -> Vec<VocabularyWord> {
        v.entries.iter().map(|(_, w, s)| (*w, *s)).collect()
    }
    vec![
        (Column::Source, words(&words::SOURCE)),
        (Column::Severity, words(&words::SEVERITY)),
        (Column::NcStatus, words(&words::NC_STATE)),
        (Column::AnalysisMethod, words(&words::METHOD)),
        (Column::RootCauseCategory, words(&words::CATEGORY)),
        (Column::VerificationResult, words(&words::OUTCOME)),
        (Column::ActionStatus, words(&words::ACTION_STATUS)),
    ]
}
