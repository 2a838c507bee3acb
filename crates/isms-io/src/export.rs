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

/// The CSV export: two files' contents, UTF-8 with a byte-order mark (so
/// that spreadsheet programs do not guess another encoding), comma
/// separated, CRLF line ends, quoted where needed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvExport {
    /// One row per corrective action, the nonconformity's columns repeated.
    pub actions: Vec<u8>,
    /// One row per nonconformity.
    pub nonconformities: Vec<u8>,
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
    })
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
    let fail = |e: csv::Error| FileError::Write {
        format: "csv",
        detail: e.to_string(),
    };
    let mut out = Vec::with_capacity(rows.len() * 400 + 1024);
    out.extend_from_slice("\u{FEFF}".as_bytes());
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(columns.iter().map(|c| c.header()))
        .map_err(fail)?;
    let mut record = Vec::with_capacity(columns.len());
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
    workbook.save_to_buffer().map_err(fail)
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
