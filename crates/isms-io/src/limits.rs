//! The bounds of an import. Each is checked before anything sized by it is
//! allocated or read, and each refusal is a [`FileError`](crate::FileError)
//! naming the file, the part or sheet, what was found and the limit, so
//! that an import's memory stays under 1 GB whatever the input (figures in
//! `docs/performance.md`). `docs/spreadsheets.md` lists them with what to
//! do when one is reached.

/// Excel's grid: columns A to XFD. A cell reference beyond it is refused
/// before anything is allocated for it; a CSV header row wider than this is
/// refused too.
pub const MAX_COLUMNS: usize = 16_384;

/// Excel's grid: rows 1 to 1,048,576. A cell or row reference beyond it is
/// refused.
pub const MAX_SHEET_ROWS: usize = 1_048_576;

/// The most data rows one import reads, all files and sheets together. A
/// larger import is refused before any row is interpreted: import the
/// register in parts. Each row becomes commands, events and state (about
/// 5 KB a row for a fully filled register), so this bounds the import's
/// memory; 150,000 rows hold a register of 50,000 nonconformities with
/// 100,000 corrective actions.
pub const MAX_ROWS: usize = 150_000;

/// The most bytes of cell text one import keeps (all files together):
/// headers and the cells of the columns the import reads, shared strings
/// counted once for every cell that uses them.
pub const MAX_TEXT_BYTES: usize = 64 << 20;

/// The largest input file, in bytes (64 MiB): a CSV file, or an XLSX
/// workbook as stored.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The largest mapping file ([`MappingFile`](crate::MappingFile)), in bytes
/// (1 MiB): one line per header, so a few kilobytes in practice.
/// [`MappingFile::parse`](crate::MappingFile::parse) refuses longer text.
pub const MAX_MAPPING_FILE_BYTES: u64 = 1 << 20;

/// The most bytes one part of an XLSX workbook (a sheet, the shared
/// strings, the styles) may inflate to (128 MiB), as the package declares
/// it. Checked on the declaration before the part is read; a part that
/// inflates beyond its declared size is stopped there by the zip reader.
pub const MAX_PART_BYTES: u64 = 128 << 20;

/// The most bytes the parts of an XLSX workbook that are read whole when
/// it is opened (the package and workbook relationships, the workbook part
/// and the theme) may inflate to, each (4 MiB). Spreadsheet programs write
/// a few kilobytes here.
pub const MAX_METADATA_PART_BYTES: u64 = 4 << 20;

/// The most bytes all parts of one XLSX workbook may inflate to together
/// (256 MiB).
pub const MAX_UNPACKED_BYTES: u64 = 256 << 20;

/// The most parts (zip entries) an XLSX workbook may have. Spreadsheet
/// programs write a few dozen.
pub const MAX_PARTS: usize = 10_000;

/// The most shared strings (distinct cell texts) a workbook may declare or
/// hold.
pub const MAX_SHARED_STRINGS: usize = 2_000_000;

/// The most style records of each kind (number formats, fonts, fills,
/// borders, cell formats) one part of a workbook may hold, counted as
/// elements of that name wherever they are. Excel allows 64,000 cell
/// formats; cell-style formats and the fonts of conditional formats are
/// counted too, hence twice that.
pub const MAX_STYLE_RECORDS: usize = 131_072;

/// The most bytes a workbook's cell formats may take once each has its own
/// copy of the font name and number format code it names (64 MiB), counted
/// with the longest name and code seen before each format.
pub const MAX_STYLE_BYTES: u64 = 64 << 20;

/// The most problems an import lists. Past it, the import stops collecting
/// and the last entry says how many more there were
/// ([`ProblemKind::TooManyProblems`](crate::ProblemKind::TooManyProblems)).
pub const MAX_PROBLEMS: usize = 1_000;
