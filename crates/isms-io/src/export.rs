//! Export: the [`RegisterView`] written as CSV (two files) or as one XLSX
//! workbook with two sheets.

use isms_core::Register;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::columns::Column;
use crate::error::FileError;
use crate::view::{Cell, RegisterView, action_sheet_columns, nonconformity_sheet_columns};

/// The name of the actions sheet (one row per corrective action).
pub const ACTIONS_SHEET: &str = "Actions";
/// The name of the nonconformities sheet (one row per nonconformity).
pub const NONCONFORMITIES_SHEET: &str = "Nonconformities";

/// The name of the provenance sheet of an XLSX export: where the export
/// came from, one field per row under [`PROVENANCE_HEADER`].
pub const PROVENANCE_SHEET: &str = "Provenance";

/// The header row of a provenance table (the third CSV file, or the
/// [`PROVENANCE_SHEET`]): a field name, then its value. An import
/// recognises a CSV file by this header and reads it as provenance, not as
/// rows of the register.
pub const PROVENANCE_HEADER: [&str; 2] = ["Provenance field", "Value"];

/// The most rows a provenance table may have: a few more than the fields
/// written, so that a huge table is refused rather than read.
const MAX_PROVENANCE_ROWS: usize = 64;

/// The CSV export: two files' contents, UTF-8 with a byte-order mark (so
/// that spreadsheet programs do not guess another encoding), comma
/// separated, CRLF line ends, quoted where needed; and, when the caller
/// says where the export came from, a third file with that provenance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvExport {
    /// One row per corrective action, the nonconformity's columns repeated.
    pub actions: Vec<u8>,
    /// One row per nonconformity.
    pub nonconformities: Vec<u8>,
    /// Where the export came from ([`export_csv_with`]): a two-column file
    /// under [`PROVENANCE_HEADER`], one field per row. It is a file of its
    /// own so that the two register files stay plain tables, importable
    /// and sortable without a comment line in the way.
    pub provenance: Option<Vec<u8>>,
}

/// Writes the register as CSV. A cell that starts with one of
/// [`FORMULA_TRIGGERS`] (after any `'`) is written with a `'` in front, so
/// that a spreadsheet program shows it as text instead of running it;
/// [`plan_import`](crate::plan_import) takes that `'` off again.
pub fn export_csv(register: &Register) -> Result<CsvExport, FileError> {
    let view = RegisterView::of(register);
    Ok(CsvExport {
        actions: write_csv(&action_sheet_columns(), &view.actions)?,
        nonconformities: write_csv(&nonconformity_sheet_columns(), &view.nonconformities)?,
        provenance: None,
    })
}

/// [`export_csv`], with a third file saying where the export came from:
/// `provenance` as field/value rows under [`PROVENANCE_HEADER`] (values
/// neutralised like every cell). The fields are the caller's (the `isms`
/// command line writes the chain head and checkpoint of the register);
/// [`read_provenance`] reads them back.
pub fn export_csv_with(
    register: &Register,
    provenance: &[(&str, String)],
) -> Result<CsvExport, FileError> {
    let mut export = export_csv(register)?;
    let rows: Vec<Vec<Cell>> = provenance
        .iter()
        .map(|(k, v)| vec![Cell::Text((*k).to_owned()), Cell::Text(v.clone())])
        .collect();
    export.provenance = Some(write_table(&PROVENANCE_HEADER, &rows)?);
    Ok(export)
}

/// Reads where an export came from, if `bytes` hold it: a CSV file whose
/// first row is [`PROVENANCE_HEADER`], or an XLSX workbook with a
/// [`PROVENANCE_SHEET`]. `Ok(None)` for any other spreadsheet (the data
/// files of an export, or someone's own). The fields come back as written,
/// in order; what they mean is the caller's.
///
/// # Errors
/// [`FileError`] for a file that is not a readable spreadsheet, or a
/// provenance table with more than 64 rows or rows that are not two cells.
pub fn read_provenance(
    file: &str,
    bytes: &[u8],
) -> Result<Option<Vec<(String, String)>>, FileError> {
    let bad = |detail: String| FileError::Xlsx {
        file: file.to_owned(),
        detail,
    };
    if bytes.len() as u64 > crate::limits::MAX_FILE_BYTES {
        return Err(FileError::TooLarge {
            file: file.to_owned(),
            size: bytes.len() as u64,
            limit: crate::limits::MAX_FILE_BYTES,
        });
    }
    let rows: Vec<Vec<String>> = if bytes.starts_with(b"PK\x03\x04") {
        use calamine::{Reader as _, Xlsx};
        crate::package::check(file, bytes)?;
        let mut workbook: Xlsx<_> =
            Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
        let Some(name) = workbook
            .sheet_names()
            .into_iter()
            .find(|n| n.eq_ignore_ascii_case(PROVENANCE_SHEET))
        else {
            return Ok(None);
        };
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| bad(e.to_string()))?;
        if range.height() > MAX_PROVENANCE_ROWS + 1 {
            return Err(bad(format!(
                "the {PROVENANCE_SHEET} sheet has {} rows; a provenance table has at most {MAX_PROVENANCE_ROWS}",
                range.height()
            )));
        }
        range
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect()
    } else {
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text);
        let mut rows = Vec::new();
        for record in reader.records() {
            let Ok(record) = record else {
                // Not CSV a provenance file is written as: not one.
                return Ok(None);
            };
            if rows.is_empty() && !record.iter().eq(PROVENANCE_HEADER) {
                return Ok(None);
            }
            if rows.len() > MAX_PROVENANCE_ROWS {
                return Err(FileError::Csv {
                    file: file.to_owned(),
                    line: rows.len() as u64 + 1,
                    detail: format!("a provenance file has at most {MAX_PROVENANCE_ROWS} rows"),
                });
            }
            rows.push(
                record
                    .iter()
                    .map(|c| unescape_formula(c).to_owned())
                    .collect(),
            );
        }
        rows
    };
    let mut rows = rows.into_iter();
    match rows.next() {
        Some(header) if header.iter().map(String::as_str).eq(PROVENANCE_HEADER) => {}
        _ => return Ok(None),
    }
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        let row: Vec<String> = row.into_iter().filter(|c| !c.is_empty()).collect();
        match <[String; 2]>::try_from(row) {
            Ok([k, v]) => out.push((k, v)),
            Err(row) if row.is_empty() => {}
            Err(row) => {
                return Err(bad(format!(
                    "provenance row {} has {} cells; each row is a field and its value",
                    i + 2,
                    row.len()
                )));
            }
        }
    }
    Ok(Some(out))
}

/// The first characters that make a spreadsheet program read a cell as a
/// formula (or, for tab and carriage return, hide one after them): the
/// OWASP "CSV injection" list.
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a CSV cell is written with a leading `'`: when it starts with a
/// formula trigger, after any number of `'` (so that a text that already
/// starts with `'=` comes back as it was).
fn needs_quote(text: &str) -> bool {
    text.trim_start_matches('\'').starts_with(FORMULA_TRIGGERS)
}

/// A cell as the CSV export writes it: `=1+1` as `'=1+1`, `'=x` as `''=x`.
fn escape_formula(text: String) -> String {
    if needs_quote(&text) {
        format!("'{text}")
    } else {
        text
    }
}

/// A CSV cell as the import reads it: the `'` that [`escape_formula`] put
/// before a trigger comes off again (and a `'` someone typed there by hand
/// to stop a formula, too).
pub(crate) fn unescape_formula(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if needs_quote(rest) => rest,
        _ => text,
    }
}

fn write_csv(columns: &[Column], rows: &[Vec<Cell>]) -> Result<Vec<u8>, FileError> {
    let headers: Vec<&str> = columns.iter().map(|c| c.header()).collect();
    write_table(&headers, rows)
}

fn write_table(headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, FileError> {
    let fail = |e: csv::Error| FileError::Write {
        format: "csv",
        detail: e.to_string(),
    };
    let mut out = Vec::with_capacity(rows.len() * 400 + 1024);
    out.extend_from_slice("\u{FEFF}".as_bytes());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(headers).map_err(fail)?;
    let mut record = Vec::with_capacity(headers.len());
    for row in rows {
        record.clear();
        record.extend(row.iter().map(|c| escape_formula(c.to_text())));
        w.write_record(&record).map_err(fail)?;
    }
    w.into_inner().map_err(|e| FileError::Write {
        format: "csv",
        detail: e.to_string(),
    })
}

/// Writes the register as an XLSX workbook: the actions sheet first, then
/// the nonconformities sheet; each with a bold header row, frozen panes
/// (header row and reference column), an autofilter over the data, dates
/// and instants as typed date cells (`yyyy-mm-dd`, `yyyy-mm-dd hh:mm:ss`,
/// UTC).
pub fn export_xlsx(register: &Register) -> Result<Vec<u8>, FileError> {
    export_xlsx_with(register, &[])
}

/// [`export_xlsx`], with a third sheet, [`PROVENANCE_SHEET`], saying where
/// the export came from: `provenance` as field/value rows under
/// [`PROVENANCE_HEADER`], as text cells. No sheet when `provenance` is
/// empty. The import reads the actions and nonconformities sheets and
/// leaves this one to [`read_provenance`].
pub fn export_xlsx_with(
    register: &Register,
    provenance: &[(&str, String)],
) -> Result<Vec<u8>, FileError> {
    let view = RegisterView::of(register);
    let fail = |e: XlsxError| FileError::Write {
        format: "xlsx",
        detail: e.to_string(),
    };
    let mut workbook = Workbook::new();
    let formats = Formats {
        header: Format::new().set_bold(),
        date: Format::new().set_num_format("yyyy-mm-dd"),
        datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
    };
    let sheet = workbook.add_worksheet();
    write_sheet(
        sheet,
        ACTIONS_SHEET,
        &action_sheet_columns(),
        &view.actions,
        &formats,
    )
    .map_err(fail)?;
    let sheet = workbook.add_worksheet();
    write_sheet(
        sheet,
        NONCONFORMITIES_SHEET,
        &nonconformity_sheet_columns(),
        &view.nonconformities,
        &formats,
    )
    .map_err(fail)?;
    if !provenance.is_empty() {
        let sheet = workbook.add_worksheet();
        write_provenance_sheet(sheet, provenance, &formats).map_err(fail)?;
    }
    workbook.save_to_buffer().map_err(fail)
}

fn write_provenance_sheet(
    sheet: &mut Worksheet,
    provenance: &[(&str, String)],
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(PROVENANCE_SHEET)?;
    for (c, header) in PROVENANCE_HEADER.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *header, &formats.header)?;
    }
    sheet.set_column_width(0, 24.0)?;
    sheet.set_column_width(1, 70.0)?;
    for (r, (k, v)) in provenance.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *k)?;
        sheet.write_string(r, 1, v)?;
    }
    Ok(())
}

struct Formats {
    header: Format,
    date: Format,
    datetime: Format,
}

fn write_sheet(
    sheet: &mut Worksheet,
    name: &str,
    columns: &[Column],
    rows: &[Vec<Cell>],
    formats: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    for (c, column) in columns.iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, column.header(), &formats.header)?;
        let width = match column.kind() {
            crate::columns::ColumnKind::DateTime => 19.0,
            crate::columns::ColumnKind::Date => 11.0,
            _ => (column.header().len() as f64 + 2.0).max(12.0),
        };
        sheet.set_column_width(c, width)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(r, c, s)?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, f64::from(*n))?;
                }
                Cell::Date(d) => {
                    let x = excel_date(*d)?;
                    sheet.write_datetime_with_format(r, c, &x, &formats.date)?;
                }
                Cell::DateTime(t) => {
                    use chrono::Timelike;
                    let x = excel_date(t.date_naive())?.and_hms(
                        t.hour() as u16,
                        t.minute() as u8,
                        t.second() as f64,
                    )?;
                    sheet.write_datetime_with_format(r, c, &x, &formats.datetime)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 1)?;
    let last_col = columns.len().saturating_sub(1) as u16;
    sheet.autofilter(0, 0, rows.len() as u32, last_col)?;
    Ok(())
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    let year = u16::try_from(d.year()).map_err(|_| {
        XlsxError::DateTimeRangeError(format!("year {} is outside Excel's calendar", d.year()))
    })?;
    ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{FORMULA_TRIGGERS, escape_formula, unescape_formula};

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// What the export writes never starts with a trigger, and the
        /// import reads back exactly what was exported.
        #[test]
        fn the_quote_comes_off_exactly_as_it_went_on(text in "['=+@\t\r-]{0,3}[a-z='+ -]{0,5}") {
            let written = escape_formula(text.clone());
            prop_assert!(!written.starts_with(FORMULA_TRIGGERS), "{written:?}");
            prop_assert_eq!(unescape_formula(&written), text.as_str());
        }
    }

    #[test]
    fn a_quote_typed_by_hand_before_a_trigger_comes_off_on_import() {
        assert_eq!(unescape_formula("'=SUM(1)"), "=SUM(1)");
        assert_eq!(unescape_formula("'plain"), "'plain");
        assert_eq!(unescape_formula("'"), "'");
        assert_eq!(unescape_formula("=1"), "=1");
    }
}
