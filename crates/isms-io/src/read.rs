//! Tolerant reading: bytes to tables of raw cells. Recognises XLSX
//! workbooks, encrypted and legacy workbooks, and CSV text (UTF-8 with or
//! without a byte-order mark, or Windows-1252 when asked; comma, semicolon
//! or tab separated; quoted fields with line breaks).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx, XlsxFormulaMetadata};
use chrono::{NaiveDate, NaiveDateTime};

use crate::columns::{Column, MappingFile, column_letters, match_header};
use crate::error::FileError;
use crate::export::{ACTIONS_SHEET, NONCONFORMITIES_SHEET, unescape_formula};
use crate::limits::{MAX_COLUMNS, MAX_FILE_BYTES, MAX_ROWS, MAX_SHEET_ROWS, MAX_TEXT_BYTES};

/// The text encoding of a CSV file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte-order mark (the default). Anything
    /// else is refused with a message that says what it looks like.
    #[default]
    Utf8,
    /// Windows-1252 ("ANSI" in Western-European Windows): decoded only
    /// when the caller says so, because it cannot be told apart from other
    /// single-byte encodings with certainty.
    Windows1252,
}

/// One cell as read, before it is interpreted for its column.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Raw {
    Empty,
    Text(String),
    Number(f64),
    DateTime(NaiveDateTime),
    Formula(String),
    Error(String),
}

impl Raw {
    pub fn is_blank(&self) -> bool {
        match self {
            Raw::Empty => true,
            Raw::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    pub fn display(&self) -> String {
        match self {
            Raw::Empty => String::new(),
            Raw::Text(s) => s.clone(),
            Raw::Number(n) => n.to_string(),
            Raw::DateTime(t) => t.to_string(),
            Raw::Formula(f) => format!("={f}"),
            Raw::Error(e) => e.clone(),
        }
    }
}

/// A sheet or CSV file: its header row and data rows. Rows keep only the
/// cells of the columns the import reads (see [`Table::cell`]), so a wide
/// sheet costs no more than a narrow one.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub file: String,
    pub sheet: Option<String>,
    /// Row number (from 1) of the header.
    pub header_row: usize,
    /// The header cells, as text.
    pub headers: Vec<String>,
    /// For each header position, where its cell is in a row: the first
    /// header of each column the import reads has a slot, the others none.
    slots: Vec<Option<usize>>,
    /// Data rows: their row number (from 1) and the kept cells, by slot.
    pub rows: Vec<(usize, Vec<Raw>)>,
    /// How many of the last headers are fixed values, not in the file.
    pub fixed: usize,
}

impl Table {
    /// Adds a column the file lacks, holding `value` on every row; its
    /// header is `label` (where the value was given). Returns its position.
    pub fn add_fixed(&mut self, label: String, value: &Raw) -> usize {
        let slot = self.slots.iter().flatten().count();
        let pos = self.headers.len();
        self.headers.push(label);
        self.fixed += 1;
        self.slots.push(Some(slot));
        for (_, cells) in &mut self.rows {
            cells.resize(slot, Raw::Empty);
            cells.push(value.clone());
        }
        pos
    }

    /// The cell at header position `pos` of a row's kept `cells`.
    pub fn cell<'a>(&self, cells: &'a [Raw], pos: usize) -> Option<&'a Raw> {
        cells.get((*self.slots.get(pos)?)?)
    }
}

/// The slots of a header row: the first header of each column gets one,
/// in order; headers of no column, or of a column already taken, none.
fn slots(headers: &[String], mapping: &MappingFile) -> (Vec<Option<usize>>, usize) {
    let mut taken = [false; Column::ALL.len()];
    let mut next = 0;
    let slots = headers
        .iter()
        .map(|h| {
            if mapping.fallback_of(h).is_some() {
                next += 1;
                return Some(next - 1);
            }
            let column = match_header(h, mapping).0?;
            let seen = &mut taken[column as usize];
            if *seen {
                return None;
            }
            *seen = true;
            next += 1;
            Some(next - 1)
        })
        .collect();
    (slots, next)
}

/// What one import may still read: data rows and bytes of cell text, over
/// all its files ([`MAX_ROWS`], [`MAX_TEXT_BYTES`]).
#[derive(Debug)]
pub(crate) struct Budget {
    rows: usize,
    text: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            rows: MAX_ROWS,
            text: MAX_TEXT_BYTES,
        }
    }
}

impl Budget {
    fn row(&mut self, file: &str, sheet: &str) -> Result<(), FileError> {
        self.rows = self
            .rows
            .checked_sub(1)
            .ok_or_else(|| FileError::TooManyRows {
                file: file.to_owned(),
                sheet: sheet.to_owned(),
                limit: MAX_ROWS,
            })?;
        Ok(())
    }

    fn text(&mut self, raw: &Raw, file: &str, sheet: &str) -> Result<(), FileError> {
        let n = match raw {
            Raw::Text(s) | Raw::Formula(s) | Raw::Error(s) => s.len(),
            Raw::Empty | Raw::Number(_) | Raw::DateTime(_) => 0,
        };
        self.take(n, file, sheet)
    }

    fn take(&mut self, n: usize, file: &str, sheet: &str) -> Result<(), FileError> {
        self.text = self
            .text
            .checked_sub(n)
            .ok_or_else(|| FileError::TooMuchText {
                file: file.to_owned(),
                sheet: sheet.to_owned(),
                limit: MAX_TEXT_BYTES,
            })?;
        Ok(())
    }
}

/// Builds a table row by row: the first non-blank row is the header (kept
/// whole), later rows keep the cells of their slots.
struct Rows<'a> {
    file: &'a str,
    /// `, sheet "..."` or empty, for messages.
    sheet: String,
    mapping: &'a MappingFile,
    header: Option<(usize, Vec<String>)>,
    slots: Vec<Option<usize>>,
    width: usize,
    rows: Vec<(usize, Vec<Raw>)>,
    /// The row being read: its number, its cells (all of them before the
    /// header is known, by slot after), and whether any cell has content.
    current: Option<(usize, Vec<Raw>, bool)>,
}

impl<'a> Rows<'a> {
    fn new(file: &'a str, sheet: Option<&str>, mapping: &'a MappingFile) -> Self {
        Rows {
            file,
            sheet: sheet.map(|s| format!(", sheet {s:?}")).unwrap_or_default(),
            mapping,
            header: None,
            slots: Vec::new(),
            width: 0,
            rows: Vec::new(),
            current: None,
        }
    }

    /// Starts row `row` (from 1), finishing the one before.
    fn start(&mut self, row: usize, budget: &mut Budget) -> Result<(), FileError> {
        self.finish(budget)?;
        let cells = vec![Raw::Empty; if self.header.is_some() { self.width } else { 0 }];
        self.current = Some((row, cells, false));
        Ok(())
    }

    /// The row being read, if any.
    fn row(&self) -> Option<usize> {
        self.current.as_ref().map(|c| c.0)
    }

    /// A cell at column `pos` (from 0, below [`MAX_COLUMNS`]) of the
    /// current row. `raw` is only called for a cell the table keeps.
    fn cell(
        &mut self,
        pos: usize,
        blank: bool,
        raw: impl FnOnce() -> Raw,
        budget: &mut Budget,
    ) -> Result<(), FileError> {
        let Some((_, cells, any)) = self.current.as_mut() else {
            return Ok(());
        };
        *any |= !blank;
        let slot = if self.header.is_some() {
            match self.slots.get(pos) {
                Some(Some(slot)) => *slot,
                _ => return Ok(()),
            }
        } else {
            // Until the header is known every cell is kept; blank ones
            // as empty, so that a row of spaces costs nothing.
            if blank {
                return Ok(());
            }
            if cells.len() <= pos {
                cells.resize(pos + 1, Raw::Empty);
            }
            pos
        };
        let raw = raw();
        budget.text(&raw, self.file, &self.sheet)?;
        cells[slot] = raw;
        Ok(())
    }

    fn finish(&mut self, budget: &mut Budget) -> Result<(), FileError> {
        let Some((row, cells, any)) = self.current.take() else {
            return Ok(());
        };
        if !any {
            return Ok(());
        }
        if self.header.is_none() {
            let headers: Vec<String> = cells.iter().map(Raw::display).collect();
            (self.slots, self.width) = slots(&headers, self.mapping);
            self.header = Some((row, headers));
            return Ok(());
        }
        budget.row(self.file, &self.sheet)?;
        self.rows.push((row, cells));
        Ok(())
    }

    fn table(mut self, budget: &mut Budget, empty: &str) -> Result<Table, FileError> {
        self.finish(budget)?;
        let (header_row, headers) = self.header.ok_or_else(|| FileError::NoHeader {
            file: self.file.to_owned(),
            sheet: self.sheet.clone(),
            found: empty.into(),
        })?;
        Ok(Table {
            file: self.file.to_owned(),
            sheet: None,
            header_row,
            headers,
            slots: self.slots,
            rows: self.rows,
            fixed: 0,
        })
    }
}

/// What kind of file the bytes are.
enum Kind {
    Xlsx,
    Text,
}

fn sniff(file: &str, bytes: &[u8]) -> Result<Kind, FileError> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Ok(Kind::Xlsx);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        // An OLE compound file: a password-protected OOXML workbook keeps its
        // package in an `EncryptedPackage` stream beside `EncryptionInfo`.
        let marker: Vec<u8> = "EncryptionInfo"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
            return Err(FileError::Encrypted {
                file: file.to_owned(),
            });
        }
        return Err(FileError::LegacyXls {
            file: file.to_owned(),
        });
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(FileError::NotASpreadsheet {
            file: file.to_owned(),
            detail: "UTF-16 text; save it as CSV UTF-8".into(),
        });
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        let detail = if bytes.starts_with(b"%PDF") {
            "a PDF document".to_owned()
        } else {
            "binary data".to_owned()
        };
        return Err(FileError::NotASpreadsheet {
            file: file.to_owned(),
            detail,
        });
    }
    if bytes.starts_with(b"%PDF") {
        return Err(FileError::NotASpreadsheet {
            file: file.to_owned(),
            detail: "a PDF document".into(),
        });
    }
    Ok(Kind::Text)
}

/// Reads one input into its tables (one for CSV; for XLSX the actions and
/// nonconformities sheets when both exist, otherwise the first sheet),
/// keeping the cells of the columns `mapping` and the synonyms assign, and
/// taking its rows and text from `budget`.
pub(crate) fn read_tables(
    file: &str,
    bytes: &[u8],
    encoding: Encoding,
    mapping: &MappingFile,
    budget: &mut Budget,
) -> Result<Vec<Table>, FileError> {
    let size = bytes.len() as u64;
    if size > MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            file: file.to_owned(),
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    match sniff(file, bytes)? {
        Kind::Xlsx => {
            crate::package::check(file, bytes)?;
            read_xlsx(file, bytes, mapping, budget)
        }
        Kind::Text => {
            let text = decode(file, bytes, encoding)?;
            Ok(vec![read_csv(file, &text, mapping, budget)?])
        }
    }
}

fn decode<'b>(file: &str, bytes: &'b [u8], encoding: Encoding) -> Result<Cow<'b, str>, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Cow::Borrowed(s)),
        Err(e) => {
            if encoding == Encoding::Windows1252 {
                return Ok(Cow::Owned(bytes.iter().map(|&b| windows_1252(b)).collect()));
            }
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let hint = if looks_like_windows_1252(bytes) {
                "; it looks like Windows-1252 (\"ANSI\"): save it as \"CSV UTF-8\", or import it with the encoding windows-1252"
            } else {
                "; save it as \"CSV UTF-8\""
            };
            Err(FileError::NotUtf8 {
                file: file.to_owned(),
                line,
                byte: bytes[at],
                hint,
            })
        }
    }
}

/// Single bytes above 0x7F between ASCII text, none of them one of the five
/// bytes Windows-1252 leaves undefined: how accented Latin text saved by a
/// Western-European Windows spreadsheet program looks.
fn looks_like_windows_1252(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|&b| b < 0x80 || !matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D))
}

fn windows_1252(b: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ];
    match b {
        0x80..=0x9F => char::from_u32(u32::from(HIGH[usize::from(b - 0x80)])).unwrap_or('\u{FFFD}'),
        _ => char::from(b),
    }
}

/// The delimiter of the first line: the most frequent of comma, semicolon
/// and tab outside quotes (comma on a tie).
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted && counts.iter().any(|&n| n > 0) => break,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn read_csv(
    file: &str,
    text: &str,
    mapping: &MappingFile,
    budget: &mut Budget,
) -> Result<Table, FileError> {
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Rows::new(file, None, mapping);
    let mut record = csv::StringRecord::new();
    let mut row_no = 0usize;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(FileError::Csv {
                    file: file.to_owned(),
                    line: e.position().map_or(0, |p| p.line()),
                    detail: e.to_string(),
                });
            }
        }
        row_no += 1;
        rows.start(row_no, budget)?;
        for (pos, field) in record.iter().enumerate() {
            let field = unescape_formula(field);
            let blank = field.trim().is_empty();
            if pos >= MAX_COLUMNS {
                // Never a column the import reads; but a header that wide
                // is not a spreadsheet's.
                if rows.header.is_none() && !blank {
                    return Err(FileError::TooManyColumns {
                        file: file.to_owned(),
                        sheet: String::new(),
                        found: record.len(),
                        limit: MAX_COLUMNS,
                    });
                }
                continue;
            }
            let raw = || {
                if field.is_empty() {
                    Raw::Empty
                } else {
                    Raw::Text(field.to_owned())
                }
            };
            rows.cell(pos, blank, raw, budget)?;
        }
    }
    rows.table(budget, "an empty file")
}

fn read_xlsx(
    file: &str,
    bytes: &[u8],
    mapping: &MappingFile,
    budget: &mut Budget,
) -> Result<Vec<Table>, FileError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| FileError::Xlsx {
        file: file.to_owned(),
        detail: e.to_string(),
    })?;
    let names = workbook.sheet_names();
    let find = |wanted: &str| {
        names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(wanted))
            .cloned()
    };
    let sheets = match (
        &mapping.sheet,
        find(ACTIONS_SHEET),
        find(NONCONFORMITIES_SHEET),
    ) {
        // A preset names its sheet: read that one, or say it is missing.
        (Some(wanted), _, _) => match find(wanted) {
            Some(s) => vec![s],
            None => {
                return Err(FileError::Xlsx {
                    file: file.to_owned(),
                    detail: format!(
                        "the workbook has no sheet {wanted:?} (it has {}); the preset reads that sheet",
                        names
                            .iter()
                            .take(8)
                            .map(|n| format!("{n:?}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        },
        (None, Some(a), Some(n)) => vec![n, a],
        _ => names.first().cloned().into_iter().collect(),
    };
    if sheets.is_empty() {
        return Err(FileError::Xlsx {
            file: file.to_owned(),
            detail: "the workbook has no sheet".into(),
        });
    }
    let mut tables = Vec::new();
    for sheet in sheets {
        // Every problem names its sheet: a name far longer than the 31
        // characters Excel allows would be copied into each of them.
        if sheet.chars().count() > MAX_SHEET_NAME_CHARS {
            return Err(FileError::Xlsx {
                file: file.to_owned(),
                detail: format!(
                    "a sheet name of {} characters (a spreadsheet allows {MAX_SHEET_NAME_CHARS} at most)",
                    sheet.chars().count()
                ),
            });
        }
        tables.push(read_sheet(file, &mut workbook, &sheet, mapping, budget)?);
    }
    Ok(tables)
}

/// The longest sheet name read: Excel allows 31 characters, other programs
/// a few more.
const MAX_SHEET_NAME_CHARS: usize = 255;

fn read_sheet(
    file: &str,
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
    mapping: &MappingFile,
    budget: &mut Budget,
) -> Result<Table, FileError> {
    let fail = |detail: String| FileError::Xlsx {
        file: file.to_owned(),
        detail,
    };
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|e| fail(e.to_string()))?;
    let mut rows = Rows::new(file, Some(sheet), mapping);
    // Shared formulas: each anchor's text and cell, for the cells that
    // repeat it (calamine reports those by index only).
    let mut shared: HashMap<usize, (String, (u32, u32))> = HashMap::new();
    // Cells arrive row by row; rows without cells are simply absent.
    while let Some(cell) = reader
        .next_cell_with_formula_metadata()
        .map_err(|e| fail(e.to_string()))?
    {
        let (r, c) = (cell.pos.0 as usize, cell.pos.1 as usize);
        // The package check refused references beyond the grid; positions
        // calamine counts itself (cells without a reference) are checked
        // here, before anything is allocated for them.
        if r >= MAX_SHEET_ROWS || c >= MAX_COLUMNS {
            return Err(FileError::CellOutOfRange {
                file: file.to_owned(),
                part: format!("sheet {sheet:?}"),
                reference: format!("{}{}", column_letters(c + 1), r + 1),
                problem: if c >= MAX_COLUMNS {
                    "is beyond column XFD"
                } else {
                    "is beyond row 1,048,576"
                },
            });
        }
        // A shared formula's repetitions are expanded only for the cells
        // the table keeps (each counted as text), never for the others.
        let formula = match cell.formula {
            Some(XlsxFormulaMetadata::Normal { formula }) => Formula::Text(formula),
            Some(XlsxFormulaMetadata::Shared {
                shared_index,
                range,
                formula,
            }) => {
                if !formula.is_empty() {
                    let anchor = range.map_or(cell.pos, |d| d.start);
                    // The template is kept for the sheet: counted as text,
                    // with what its entry costs.
                    budget.take(formula.len() + 64, file, &rows.sheet)?;
                    shared.insert(shared_index, (formula.clone(), anchor));
                }
                Formula::Text(formula)
            }
            Some(XlsxFormulaMetadata::SharedDerived { shared_index }) => {
                Formula::Derived(shared_index)
            }
            _ => Formula::Text(String::new()),
        };
        let has_formula = match &formula {
            Formula::Text(f) => !f.is_empty(),
            Formula::Derived(i) => shared.contains_key(i),
        };
        if rows.row() != Some(r + 1) {
            rows.start(r + 1, budget)?;
        }
        let value = cell.value;
        let blank = !has_formula && is_blank(&value);
        let shared = &shared;
        let strip = mapping.strip_formula_quote;
        let raw = move || {
            if !has_formula {
                return match raw_of(value) {
                    Raw::Text(t) if strip => Raw::Text(unescape_formula(&t).to_owned()),
                    other => other,
                };
            }
            Raw::Formula(match formula {
                Formula::Text(f) => f,
                Formula::Derived(i) => match shared.get(&i) {
                    Some((f, anchor)) => calamine::expand_shared_formula(f, *anchor, cell.pos)
                        .unwrap_or_else(|_| f.clone()),
                    None => String::new(),
                },
            })
        };
        rows.cell(c, blank, raw, budget)?;
    }
    let mut table = rows.table(budget, "an empty sheet")?;
    table.sheet = Some(sheet.to_owned());
    Ok(table)
}

/// A cell's formula as calamine reports it: its text (empty for none), or
/// the index of the shared formula it repeats.
enum Formula {
    Text(String),
    Derived(usize),
}

fn is_blank(value: &DataRef<'_>) -> bool {
    match value {
        DataRef::Empty => true,
        DataRef::String(s) => s.trim().is_empty(),
        DataRef::SharedString(s) => s.trim().is_empty(),
        _ => false,
    }
}

fn raw_of(value: DataRef<'_>) -> Raw {
    match value {
        DataRef::Empty => Raw::Empty,
        DataRef::Int(i) => Raw::Number(i as f64),
        DataRef::Float(f) => Raw::Number(f),
        DataRef::String(s) => Raw::Text(s),
        DataRef::SharedString(s) => Raw::Text(s.to_owned()),
        DataRef::Bool(b) => Raw::Text(if b { "TRUE" } else { "FALSE" }.into()),
        DataRef::DateTime(x) => {
            if x.is_datetime() {
                let (y, mo, d, h, mi, s, ms) = x.to_ymd_hms_milli();
                NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))
                    .and_then(|date| {
                        date.and_hms_milli_opt(
                            u32::from(h),
                            u32::from(mi),
                            u32::from(s),
                            u32::from(ms),
                        )
                    })
                    .map_or(Raw::Number(x.as_f64()), Raw::DateTime)
            } else {
                Raw::Number(x.as_f64())
            }
        }
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Raw::Text(s),
        DataRef::Error(e) => Raw::Error(e.to_string()),
    }
}
