//! The shape of what the export writes: CSV bytes, and the XLSX package's
//! sheets, frozen panes, autofilter, bold header and typed date cells.

use std::io::Read;

use crate::roundtrip::{FORMULA_TITLES, register_with_titles};

use calamine::{Data, Reader, Xlsx};
use chrono::{TimeZone, Utc};
use isms_io::{
    ACTIONS_SHEET, NONCONFORMITIES_SHEET, action_sheet_columns, export_csv, export_xlsx,
    nonconformity_sheet_columns,
};

fn register() -> isms_core::Register {
    let start = Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap();
    isms_gen::seed_scenarios(start).unwrap().register
}

#[test]
fn csv_is_utf8_with_bom_crlf_and_the_documented_headers() {
    let r = register();
    let csv = export_csv(&r).unwrap();
    let text = std::str::from_utf8(&csv.actions).unwrap();
    assert!(text.starts_with('\u{FEFF}'));
    let header = text
        .trim_start_matches('\u{FEFF}')
        .split("\r\n")
        .next()
        .unwrap();
    let expected: Vec<_> = action_sheet_columns().iter().map(|c| c.header()).collect();
    assert_eq!(header, expected.join(","));
    let actions: usize = r.nonconformities().iter().map(|n| n.actions.len()).sum();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
    assert_eq!(reader.records().count(), actions);
    // Instants in ISO 8601 UTC, dates as plain ISO dates.
    let nc = &r.nonconformities()[0];
    let ncs = std::str::from_utf8(&csv.nonconformities).unwrap();
    assert!(ncs.contains(&nc.reported_at.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
    assert!(text.contains(&nc.actions[0].due.format("%Y-%m-%d").to_string()));
}

fn zip_text(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn xlsx_has_two_sheets_frozen_panes_autofilter_bold_headers_and_date_cells() {
    let r = register();
    let bytes = export_xlsx(&r).unwrap();
    let workbook = zip_text(&bytes, "xl/workbook.xml");
    let a = workbook.find(&format!("name=\"{ACTIONS_SHEET}\"")).unwrap();
    let n = workbook
        .find(&format!("name=\"{NONCONFORMITIES_SHEET}\""))
        .unwrap();
    assert!(a < n, "actions sheet first");
    let actions: usize = r.nonconformities().iter().map(|n| n.actions.len()).sum();
    for (sheet, rows, columns) in [
        (
            "xl/worksheets/sheet1.xml",
            actions,
            action_sheet_columns().len(),
        ),
        (
            "xl/worksheets/sheet2.xml",
            r.nonconformities().len(),
            nonconformity_sheet_columns().len(),
        ),
    ] {
        let xml = zip_text(&bytes, sheet);
        assert!(
            xml.contains(r#"xSplit="1" ySplit="1""#) && xml.contains(r#"state="frozen""#),
            "{sheet}: no frozen panes"
        );
        let last = isms_io::column_letters(columns);
        assert!(
            xml.contains(&format!(r#"<autoFilter ref="A1:{last}{}"/>"#, rows + 1)),
            "{sheet}: no autofilter over the data"
        );
    }
    assert!(
        zip_text(&bytes, "xl/styles.xml").contains("<b/>"),
        "bold header font"
    );
    // Read back: dates are typed date cells, not text.
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
    let range = wb.worksheet_range(NONCONFORMITIES_SHEET).unwrap();
    let headers: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = headers.iter().position(|h| h == "Detected").unwrap();
    let cell = range.get((1, col)).unwrap();
    assert!(
        matches!(cell, Data::DateTime(d) if d.is_datetime()),
        "{cell:?}"
    );
    let nc = &r.nonconformities()[0];
    let Data::DateTime(d) = cell else {
        unreachable!()
    };
    let (y, m, day, h, mi, s, _) = d.to_ymd_hms_milli();
    use chrono::{Datelike, Timelike};
    let t = nc.detected_at;
    assert_eq!(
        (
            i32::from(y),
            u32::from(m),
            u32::from(day),
            u32::from(h),
            u32::from(mi),
            u32::from(s)
        ),
        (
            t.year(),
            t.month(),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    );
}

/// The OWASP CSV-injection rule: a cell that starts with `=`, `+`, `-`,
/// `@`, tab or carriage return (after any `'`) is written with a `'` in
/// front, so that a spreadsheet program shows it as text; others as they
/// are.
#[test]
fn csv_cells_that_would_run_as_formulas_are_written_as_text() {
    let csv = export_csv(&register_with_titles(FORMULA_TITLES)).unwrap();
    let text = std::str::from_utf8(&csv.nonconformities).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{FEFF}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let title = headers.iter().position(|h| h == "Title").unwrap();
    let description = headers.iter().position(|h| h == "Description").unwrap();
    let written: Vec<(String, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[title].to_owned(), r[description].to_owned())
        })
        .collect();
    let expected = [
        r#"'=HYPERLINK("http://x","y")"#,
        "'+cmd|' /C calc'!A0",
        "'@SUM(1)",
        "'-2+3",
        "''=already quoted by hand",
        "'''+twice",
        "'plain quote",
        "a=b+c-d@e",
        "'=",
    ];
    let titles: Vec<&str> = written.iter().map(|w| w.0.as_str()).collect();
    assert_eq!(titles, expected);
    // Every column, not only titles.
    assert_eq!(written[0].1, r#"'=HYPERLINK("http://x","y") (description)"#);
    for line in text.lines().skip(1) {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(
                cell.starts_with('\'') || !cell.starts_with(isms_io::FORMULA_TRIGGERS),
                "{line}"
            );
        }
    }
}

/// XLSX cells are typed: a title that looks like a formula is written as a
/// string cell, never as a formula, and reads back as the same text.
#[test]
fn xlsx_writes_formula_like_titles_as_strings() {
    let bytes = export_xlsx(&register_with_titles(FORMULA_TITLES)).unwrap();
    for sheet in ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"] {
        let xml = zip_text(&bytes, sheet);
        assert!(!xml.contains("<f>") && !xml.contains("<f "), "{sheet}");
    }
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(&bytes)).unwrap();
    let formulas = wb.worksheet_formula(NONCONFORMITIES_SHEET).unwrap();
    assert!(formulas.used_cells().next().is_none());
    let range = wb.worksheet_range(NONCONFORMITIES_SHEET).unwrap();
    let header: Vec<String> = range
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let col = header.iter().position(|h| h == "Title").unwrap();
    let titles: Vec<Data> = range.rows().skip(1).map(|r| r[col].clone()).collect();
    let expected: Vec<Data> = FORMULA_TITLES
        .iter()
        .map(|t| Data::String((*t).to_owned()))
        .collect();
    assert_eq!(titles, expected);
}

/// Where an export came from travels in a third CSV file and a third
/// sheet, neutralised like every cell, and reads back exactly; the data
/// files and a workbook without the sheet have none, and the workbook with
/// it imports as before.
#[test]
fn provenance_travels_beside_the_tables_and_reads_back_exactly() {
    let r = register();
    let fields = vec![
        ("head_position", "42".to_owned()),
        ("verified", "false".to_owned()),
        ("problem", "=HYPERLINK(\"http://x\",\"y\")".to_owned()),
    ];
    let expected: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let csv = isms_io::export_csv_with(&r, &fields).unwrap();
    let file = csv.provenance.clone().unwrap();
    let text = std::str::from_utf8(&file).unwrap();
    assert!(
        text.starts_with("\u{FEFF}Provenance field,Value\r\n"),
        "{text}"
    );
    assert!(text.contains("problem,\"'=HYPERLINK("), "{text}");
    assert_eq!(
        isms_io::read_provenance("p.csv", &file).unwrap(),
        Some(expected.clone())
    );
    assert_eq!(
        isms_io::read_provenance("n.csv", &csv.nonconformities).unwrap(),
        None
    );
    assert_eq!(export_csv(&r).unwrap().provenance, None);
    // The data files are those of the plain export.
    assert_eq!(csv.nonconformities, export_csv(&r).unwrap().nonconformities);

    let xlsx = isms_io::export_xlsx_with(&r, &fields).unwrap();
    assert_eq!(
        isms_io::read_provenance("r.xlsx", &xlsx).unwrap(),
        Some(expected)
    );
    let plain = export_xlsx(&r).unwrap();
    assert_eq!(isms_io::read_provenance("r.xlsx", &plain).unwrap(), None);
    let book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(&xlsx)).unwrap();
    assert_eq!(
        book.sheet_names(),
        [
            ACTIONS_SHEET,
            NONCONFORMITIES_SHEET,
            isms_io::PROVENANCE_SHEET
        ]
    );
    // A register a spreadsheet can carry whole (one analysis each).
    let mut config = isms_gen::GeneratorConfig::new(30, 7);
    config.shape.ineffective = 0.0;
    let r = isms_gen::generate(&config).unwrap().register;
    let xlsx = isms_io::export_xlsx_with(&r, &fields).unwrap();
    let options = isms_io::ImportOptions::new(isms_core::Actor::new(
        isms_core::ActorId::new("import").unwrap(),
    ));
    let input = [isms_io::Input {
        name: "r.xlsx",
        bytes: &xlsx,
    }];
    let plan =
        isms_io::plan_import(&isms_core::Register::new(), &input, &options, &mut |_| {}).unwrap();
    assert_eq!(plan.created(), 30);
    assert_eq!(
        isms_io::RegisterView::of(&plan.register),
        isms_io::RegisterView::of(&r)
    );
}

/// A provenance table longer than any export writes is refused, not read.
#[test]
fn a_provenance_file_of_a_thousand_rows_is_refused() {
    let mut text = String::from("Provenance field,Value\r\n");
    for i in 0..1000 {
        text.push_str(&format!("field{i},value\r\n"));
    }
    let err = isms_io::read_provenance("p.csv", text.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("at most 64 rows"), "{err}");
}
