//! Tolerant reading: bytes to tables of raw cells. Recognises XLSX
//! workbooks, encrypted and legacy workbooks, and CSV text (UTF-8 with or
//! without a byte-order mark, or Windows-1252 when asked; comma, semicolon
//! or tab separated; quoted fields with line breaks).

use std::io::Cursor;

use calamine::{DataRef, Reader, Xlsx};
use chrono::{NaiveDate, NaiveDateTime};

use crate::error::FileError;
use crate::export::{ACTIONS_SHEET, NONCONFORMITIES_SHEET};

/// The most data rows one sheet or CSV file may hold. Larger files are
/// refused before any row is interpreted (split them and import in parts):
/// a register of 250,000 corrective actions in one file is beyond what a
/// person reviews in a spreadsheet, and the limit keeps an import's memory
/// and time bounded (about 25 s and 2.5 GB at the limit on the benchmark
/// machine would be the worst case).
pub const MAX_ROWS: usize = 250_000;

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

/// A sheet or CSV file: its header row and data rows.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    pub file: String,
    pub sheet: Option<String>,
    /// Row number (from 1) of the header.
    pub header_row: usize,
    /// The header cells, as text.
    pub headers: Vec<String>,
    /// Data rows: their row number (from 1) and cells.
    pub rows: Vec<(usize, Vec<Raw>)>,
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
/// nonconformities sheets when both exist, otherwise the first sheet).
pub(crate) fn read_tables(
    file: &str,
    bytes: &[u8],
    encoding: Encoding,
) -> Result<Vec<Table>, FileError> {
    match sniff(file, bytes)? {
        Kind::Xlsx => read_xlsx(file, bytes),
        Kind::Text => {
            let text = decode(file, bytes, encoding)?;
            Ok(vec![read_csv(file, &text)?])
        }
    }
}

fn decode(file: &str, bytes: &[u8], encoding: Encoding) -> Result<String, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            if encoding == Encoding::Windows1252 {
                return Ok(bytes.iter().map(|&b| windows_1252(b)).collect());
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

fn read_csv(file: &str, text: &str) -> Result<Table, FileError> {
    let delimiter = sniff_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut header: Option<(usize, Vec<String>)> = None;
    let mut rows = Vec::new();
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
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if header.is_none() {
            header = Some((row_no, record.iter().map(str::to_owned).collect()));
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows {
                file: file.to_owned(),
                sheet: String::new(),
                limit: MAX_ROWS,
            });
        }
        rows.push((
            row_no,
            record
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Raw::Empty
                    } else {
                        Raw::Text(f.to_owned())
                    }
                })
                .collect(),
        ));
    }
    let (header_row, headers) = header.ok_or_else(|| FileError::NoHeader {
        file: file.to_owned(),
        sheet: String::new(),
        found: "an empty file".into(),
    })?;
    Ok(Table {
        file: file.to_owned(),
        sheet: None,
        header_row,
        headers,
        rows,
    })
}

fn read_xlsx(file: &str, bytes: &[u8]) -> Result<Vec<Table>, FileError> {
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
    let sheets = match (find(ACTIONS_SHEET), find(NONCONFORMITIES_SHEET)) {
        (Some(a), Some(n)) => vec![n, a],
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
        tables.push(read_sheet(file, &mut workbook, &sheet)?);
    }
    Ok(tables)
}

fn read_sheet(
    file: &str,
    workbook: &mut Xlsx<Cursor<&[u8]>>,
    sheet: &str,
) -> Result<Table, FileError> {
    let fail = |detail: String| FileError::Xlsx {
        file: file.to_owned(),
        detail,
    };
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(|e| fail(e.to_string()))?;
    // Cells arrive row by row; rows without cells are simply absent.
    let mut rows: Vec<(usize, Vec<Raw>)> = Vec::new();
    let mut header: Option<(usize, Vec<String>)> = None;
    let mut current: Option<(usize, Vec<Raw>)> = None;
    let finish = |row: (usize, Vec<Raw>),
                  header: &mut Option<(usize, Vec<String>)>,
                  rows: &mut Vec<(usize, Vec<Raw>)>|
     -> Result<(), FileError> {
        if row.1.iter().all(Raw::is_blank) {
            return Ok(());
        }
        if header.is_none() {
            *header = Some((row.0, row.1.iter().map(Raw::display).collect()));
            return Ok(());
        }
        if rows.len() == MAX_ROWS {
            return Err(FileError::TooManyRows {
                file: file.to_owned(),
                sheet: format!(", sheet {sheet:?}"),
                limit: MAX_ROWS,
            });
        }
        rows.push(row);
        Ok(())
    };
    while let Some(cell) = reader
        .next_cell_with_formula()
        .map_err(|e| fail(e.to_string()))?
    {
        let (r, c) = (cell.pos.0 as usize + 1, cell.pos.1 as usize);
        let raw = match cell.formula.filter(|f| !f.is_empty()) {
            Some(f) => Raw::Formula(f),
            None => raw_of(cell.value),
        };
        if current.as_ref().is_some_and(|(cr, _)| *cr != r)
            && let Some(done) = current.take()
        {
            finish(done, &mut header, &mut rows)?;
        }
        let row = current.get_or_insert_with(|| (r, Vec::new()));
        if row.1.len() <= c {
            row.1.resize(c + 1, Raw::Empty);
        }
        row.1[c] = raw;
    }
    if let Some(done) = current.take() {
        finish(done, &mut header, &mut rows)?;
    }
    let (header_row, headers) = header.ok_or_else(|| FileError::NoHeader {
        file: file.to_owned(),
        sheet: format!(", sheet {sheet:?}"),
        found: "an empty sheet".into(),
    })?;
    Ok(Table {
        file: file.to_owned(),
        sheet: Some(sheet.to_owned()),
        header_row,
        headers,
        rows,
    })
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
