//! Bounded input: tiny files that describe huge things are refused with a
//! typed error before anything sized by them is allocated or read, and
//! every import stays within the limits `docs/spreadsheets.md` lists.

use isms_core::{Actor, ActorId, Register};
use isms_io::{
    FileError, ImportError, ImportOptions, ImportPlan, Input, MAX_COLUMNS, MAX_FILE_BYTES,
    MAX_METADATA_PART_BYTES, MAX_PART_BYTES, MAX_PARTS, MAX_PROBLEMS, MAX_ROWS, MAX_SHARED_STRINGS,
    MAX_STYLE_BYTES, MAX_STYLE_RECORDS, MAX_TEXT_BYTES, MAX_UNPACKED_BYTES, ProblemKind,
    plan_import,
};

use crate::package::{
    CONTENT_TYPES, PACKAGE_RELS, RawEntry, WORKBOOK, WORKBOOK_RELS, deflate_bomb, raw_zip, sheet,
    text_cell, workbook,
};

fn options() -> ImportOptions {
    ImportOptions::new(Actor::new(ActorId::new("import").unwrap()))
}

fn import_all(inputs: &[Input<'_>]) -> Result<ImportPlan, ImportError> {
    plan_import(&Register::new(), inputs, &options(), &mut |_| {})
}

fn import(name: &str, bytes: &[u8]) -> Result<ImportPlan, ImportError> {
    import_all(&[Input { name, bytes }])
}

fn file_error(r: Result<ImportPlan, ImportError>) -> FileError {
    match r {
        Err(ImportError::File(e)) => e,
        Err(e) => panic!("expected a file error, got {e}"),
        Ok(plan) => panic!("expected a file error, got a plan:\n{plan}"),
    }
}

/// A header row (`Title` in A1) and one more cell at `reference`; the rows
/// carry no numbers of their own, so the cell's reference is all there is.
fn one_far_cell(reference: &str) -> Vec<u8> {
    let xml = sheet(&format!(
        "<row>{}</row><row>{}</row>",
        text_cell("A1", "Title"),
        text_cell(reference, "x")
    ));
    workbook(&xml, None, None)
}

/// The finding: one cell at column ZZZZZZ (321 million) made the import
/// allocate 10 GB for its row; at ZZZZZZZ (beyond `u32`) it aborted.
#[test]
fn a_cell_beyond_column_xfd_is_refused_before_its_row_is_allocated() {
    for (reference, problem) in [
        ("ZZZZZZ3", "is beyond column XFD"),
        ("ZZZZZZZ3", "is beyond column XFD"),
        ("XFE3", "is beyond column XFD"),
        ("A1048577", "is beyond row 1,048,576"),
        ("A99999999999", "is beyond row 1,048,576"),
        ("3", "is not a cell reference"),
    ] {
        let bytes = one_far_cell(reference);
        assert!(bytes.len() < 5_000, "{} bytes", bytes.len());
        let e = file_error(import("far.xlsx", &bytes));
        match &e {
            FileError::CellOutOfRange {
                file,
                part,
                reference: r,
                problem: p,
            } => {
                assert_eq!(
                    (file.as_str(), part.as_str(), r.as_str(), *p),
                    ("far.xlsx", "xl/worksheets/sheet1.xml", reference, problem)
                );
            }
            other => panic!("{reference}: {other}"),
        }
        let message = e.to_string();
        assert!(
            message.contains("A to XFD") && message.contains("1 to 1,048,576"),
            "{message}"
        );
    }
}

#[test]
fn row_numbers_ranges_and_shared_formulas_beyond_the_grid_are_refused() {
    let title = text_cell("A1", "Title");
    let cases = [
        (
            format!(r#"<row r="1">{title}</row><row r="1048577"><c><v>1</v></c></row>"#),
            "1048577",
            "is beyond row 1,048,576",
        ),
        (
            format!(
                r#"<row r="1">{title}</row><row r="2"><c r="A2"><f t="shared" si="0" ref="A2:ZZZZZZZ9">1+1</f><v>2</v></c></row>"#
            ),
            "A2:ZZZZZZZ9",
            "is beyond column XFD",
        ),
        (
            format!(
                r#"<row r="1">{title}</row><row r="2"><c r="A2"><f t="shared" si="0" ref="A3:A2">1+1</f><v>2</v></c></row>"#
            ),
            "A3:A2",
            "ends before it starts",
        ),
    ];
    for (rows, reference, problem) in cases {
        let e = file_error(import("grid.xlsx", &workbook(&sheet(&rows), None, None)));
        assert!(
            matches!(&e, FileError::CellOutOfRange { reference: r, problem: p, .. } if r == reference && *p == problem),
            "{e}"
        );
    }
}

/// A used range that ends before it starts made calamine subtract below
/// zero: a panic in debug builds.
#[test]
fn a_used_range_that_ends_before_it_starts_is_refused_not_a_panic() {
    for (range, problem) in [
        ("B2:A1", "ends before it starts"),
        ("A1:XFE1", "is beyond column XFD"),
    ] {
        let xml = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{range}"/><sheetData><row r="1">{}</row></sheetData></worksheet>"#,
            text_cell("A1", "Title")
        );
        let e = file_error(import("range.xlsx", &workbook(&xml, None, None)));
        assert!(
            matches!(&e, FileError::CellOutOfRange { reference, problem: p, .. } if reference == range && *p == problem),
            "{e}"
        );
    }
}

/// Cells without a reference are placed by calamine's own counters; the
/// 16,385th cell of a row is beyond XFD, and is refused before its row is
/// widened.
#[test]
fn a_row_counted_past_column_xfd_is_refused() {
    let cells = "<c/>".repeat(MAX_COLUMNS) + &text_cell("", "x").replace(r#" r="""#, "");
    let xml = sheet(&format!(
        r#"<row r="1">{}</row><row r="2">{cells}</row>"#,
        text_cell("A1", "Title")
    ));
    let e = file_error(import("wide.xlsx", &workbook(&xml, None, None)));
    assert!(
        matches!(&e, FileError::CellOutOfRange { part, reference, problem, .. }
            if part == "sheet \"Sheet1\"" && reference == "XFE2" && *problem == "is beyond column XFD"),
        "{e}"
    );
}

/// The last cell of the grid is a cell like any other: a column the import
/// does not know, there, costs nothing and changes nothing.
#[test]
fn cells_at_the_edge_of_the_grid_are_read() {
    let xml = sheet(&format!(
        "<row>{}{}{}{}{}{}</row><row>{}{}{}{}{}{}</row><row>{}</row>",
        text_cell("A1", "Title"),
        text_cell("B1", "Severity"),
        text_cell("C1", "Source"),
        text_cell("D1", "Owner"),
        text_cell("E1", "Detected"),
        text_cell("XFD1", "Notes"),
        text_cell("A2", "Backup restore never tested"),
        text_cell("B2", "major"),
        text_cell("C2", "internal audit"),
        text_cell("D2", "ops-lead"),
        text_cell("E2", "2026-01-13"),
        text_cell("XFD2", "seen twice"),
        text_cell("XFD1048576", "   "),
    ));
    let plan = match import("edge.xlsx", &workbook(&xml, None, None)) {
        Ok(plan) => plan,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(plan.created(), 1);
    let notes = plan
        .mapping
        .headers
        .iter()
        .find(|h| h.header == "Notes")
        .unwrap();
    assert_eq!((notes.position, notes.column), (MAX_COLUMNS, None));
}

fn minimal_parts() -> Vec<RawEntry> {
    vec![
        RawEntry::stored("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        RawEntry::stored("_rels/.rels", PACKAGE_RELS.as_bytes()),
        RawEntry::stored("xl/workbook.xml", WORKBOOK.as_bytes()),
        RawEntry::stored("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
    ]
}

const SHEET_HEAD: &[u8] = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
const SHEET_TAIL: &[u8] = b"</sheetData></worksheet>";

/// A deflated sheet of `spaces` spaces between `<sheetData>` and
/// `</sheetData>`, whose headers declare `declared` bytes. The checksum is
/// left at zero: it is only checked at the end of the part, which the
/// import must never reach.
fn spaces_sheet(name: &str, spaces: u64, declared: Option<u32>) -> (RawEntry, u64) {
    let (data, inflated) = deflate_bomb(SHEET_HEAD, b' ', spaces.div_ceil(258), SHEET_TAIL);
    let size = declared.unwrap_or_else(|| u32::try_from(inflated).unwrap());
    let entry = RawEntry {
        name: name.into(),
        method: 8,
        data,
        crc: 0,
        size,
    };
    (entry, inflated)
}

/// The finding: a small archive whose sheet inflates to 2 GiB was read
/// whole. Here the sheet really inflates to 2 GiB, the headers say so, and
/// the part is refused on that declaration, before a byte of it is
/// inflated.
#[test]
fn a_sheet_that_inflates_to_two_gibibytes_is_refused_before_it_is_read() {
    let (entry, inflated) = spaces_sheet("xl/worksheets/sheet1.xml", (1 << 31) + 1, None);
    assert!(inflated > 1 << 31);
    let mut parts = minimal_parts();
    parts.push(entry);
    let bytes = raw_zip(&parts);
    assert!(bytes.len() < 16 << 20, "{} bytes", bytes.len());
    let e = file_error(import("bomb.xlsx", &bytes));
    assert!(
        matches!(&e, FileError::PartTooLarge { file, part, size, limit }
            if file == "bomb.xlsx" && part == "xl/worksheets/sheet1.xml" && *size == inflated && *limit == MAX_PART_BYTES),
        "{e}"
    );
}

/// A part whose headers understate its size is stopped by the zip reader
/// at the declared size (what the caps rely on), and the import ends in a
/// typed error naming the part.
#[test]
fn a_part_that_inflates_beyond_its_declared_size_is_stopped_there() {
    let (entry, inflated) = spaces_sheet("xl/worksheets/sheet1.xml", 8 << 20, Some(1_000));
    assert!(inflated > 8 << 20);
    let mut parts = minimal_parts();
    parts.push(entry);
    let e = file_error(import("liar.xlsx", &raw_zip(&parts)));
    assert!(
        matches!(&e, FileError::Xlsx { detail, .. }
            if detail.contains("xl/worksheets/sheet1.xml") && detail.contains("declared")),
        "{e}"
    );
}

#[test]
fn parts_that_inflate_beyond_the_workbook_cap_together_are_refused() {
    let mut parts = minimal_parts();
    let mut total = parts.iter().map(|p| u64::from(p.size)).sum::<u64>();
    for i in 1..=3 {
        let (entry, inflated) =
            spaces_sheet(&format!("xl/worksheets/sheet{i}.xml"), 100 << 20, None);
        total += inflated;
        parts.push(entry);
    }
    assert!(total > MAX_UNPACKED_BYTES);
    let e = file_error(import("three.xlsx", &raw_zip(&parts)));
    assert!(
        matches!(&e, FileError::UnpackedTooLarge { size, limit, .. } if *size == total && *limit == MAX_UNPACKED_BYTES),
        "{e}"
    );
}

/// The workbook part, its relationships and its theme are read whole when
/// the workbook is opened; a workbook part of 5 MiB is refused.
#[test]
fn a_workbook_part_beyond_the_metadata_cap_is_refused() {
    let padding = " ".repeat(5 << 20);
    let big = WORKBOOK.replace("<sheets>", &format!("{padding}<sheets>"));
    let mut parts = minimal_parts();
    parts[2] = RawEntry::stored("xl/workbook.xml", big.as_bytes());
    let e = file_error(import("meta.xlsx", &raw_zip(&parts)));
    assert!(
        matches!(&e, FileError::PartTooLarge { part, limit, .. }
            if part == "xl/workbook.xml" && *limit == MAX_METADATA_PART_BYTES),
        "{e}"
    );
}

#[test]
fn more_parts_than_a_workbook_has_are_refused_before_the_directory_is_read() {
    let mut parts = minimal_parts();
    for i in 0..MAX_PARTS {
        parts.push(RawEntry::stored(&format!("e{i}"), b""));
    }
    let e = file_error(import("parts.xlsx", &raw_zip(&parts)));
    assert!(
        matches!(&e, FileError::TooMany { what: "parts", found, limit, .. }
            if *found == (MAX_PARTS + 4) as u64 && *limit == MAX_PARTS as u64),
        "{e}"
    );
}

/// uniqueCount is only a hint, but calamine reserves room for that many
/// strings: 10^11 of them from a 1.5 KB file.
#[test]
fn a_shared_string_count_of_a_hundred_billion_is_refused() {
    let shared = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="100000000000"><si><t>Title</t></si></sst>"#;
    let xml = sheet(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#);
    let e = file_error(import("strings.xlsx", &workbook(&xml, Some(shared), None)));
    assert!(
        matches!(&e, FileError::TooMany { part, found, limit, .. }
            if part == "xl/sharedStrings.xml" && *found == 100_000_000_000 && *limit == MAX_SHARED_STRINGS as u64),
        "{e}"
    );
}

/// Two million empty shared strings are 10 MB of XML and 48 MB of string
/// headers.
#[test]
fn more_shared_strings_than_the_limit_are_refused() {
    let shared = format!(
        r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{}</sst>"#,
        "<si/>".repeat(MAX_SHARED_STRINGS + 1)
    );
    let mut parts = minimal_parts();
    parts.push(RawEntry::stored(
        "xl/worksheets/sheet1.xml",
        sheet(&text_cell("A1", "Title")).as_bytes(),
    ));
    parts.push(RawEntry::stored("xl/sharedStrings.xml", shared.as_bytes()));
    let e = file_error(import("strings.xlsx", &raw_zip(&parts)));
    assert!(
        matches!(&e, FileError::TooMany { what: "shared strings", found, .. } if *found == (MAX_SHARED_STRINGS + 1) as u64),
        "{e}"
    );
}

/// Every cell format (`xf`) gets its own copy of the font it names: a font
/// with a 1 MiB name and 2,000 formats would take 2 GB. calamine reads a
/// font up to the first `</font>`, wherever it is (end tags are not
/// matched), so the second layout, whose end tags cross, is the same
/// styles to it; both are refused.
#[test]
fn styles_that_expand_to_gigabytes_are_refused() {
    let name = "x".repeat(1 << 20);
    let xfs = r#"<xf numFmtId="0" fontId="0"/>"#.repeat(2_000);
    for fonts in [
        format!(r#"<fonts count="1"><font><name val="{name}"/></font></fonts>"#),
        format!(r#"<fonts count="1"><font><name val="{name}"/></fonts></font>"#),
    ] {
        let styles = format!(
            r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{fonts}<cellXfs count="2000">{xfs}</cellXfs></styleSheet>"#
        );
        let xml = sheet(&format!(r#"<row r="1">{}</row>"#, text_cell("A1", "Title")));
        let bytes = workbook(&xml, None, Some(&styles));
        assert!(bytes.len() < 20_000, "{} bytes", bytes.len());
        let e = file_error(import("styles.xlsx", &bytes));
        assert!(
            matches!(&e, FileError::TooMany { part, found, limit, .. }
                if part == "xl/styles.xml" && *found > MAX_STYLE_BYTES && *limit == MAX_STYLE_BYTES),
            "{e}"
        );
    }
}

/// calamine adds the fonts of every `<fonts>` list to one list: they are
/// counted together.
#[test]
fn more_style_records_than_the_limit_are_refused() {
    let half = "<font/>".repeat(MAX_STYLE_RECORDS / 2 + 1);
    let styles = format!(
        r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts>{half}</fonts><fonts>{half}</fonts></styleSheet>"#
    );
    let xml = sheet(&format!(r#"<row r="1">{}</row>"#, text_cell("A1", "Title")));
    let e = file_error(import("fonts.xlsx", &workbook(&xml, None, Some(&styles))));
    assert!(
        matches!(&e, FileError::TooMany { what: "fonts", found, .. } if *found == (MAX_STYLE_RECORDS + 1) as u64),
        "{e}"
    );
}

/// One shared string of 32,000 characters in 2,100 title cells: 4 KB of
/// sheet, 67 MB once every cell has its copy.
#[test]
fn shared_strings_copied_into_cells_count_against_the_text_limit() {
    let long = "y".repeat(32_000);
    let shared = format!(
        r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>Title</t></si><si><t>{long}</t></si></sst>"#
    );
    let mut rows = String::from(r#"<row><c r="A1" t="s"><v>0</v></c></row>"#);
    for i in 2..2_102 {
        rows.push_str(&format!(r#"<row><c r="A{i}" t="s"><v>1</v></c></row>"#));
    }
    let e = file_error(import(
        "copies.xlsx",
        &workbook(&sheet(&rows), Some(&shared), None),
    ));
    assert!(
        matches!(&e, FileError::TooMuchText { file, sheet, limit }
            if file == "copies.xlsx" && sheet == ", sheet \"Sheet1\"" && *limit == MAX_TEXT_BYTES),
        "{e}"
    );
}

#[test]
fn a_file_above_the_size_limit_is_refused_unread() {
    let mut csv = b"Title\n".to_vec();
    csv.resize(usize::try_from(MAX_FILE_BYTES).unwrap() + 1, b'x');
    let e = file_error(import("big.csv", &csv));
    assert!(
        matches!(&e, FileError::TooLarge { size, limit, .. } if *size == MAX_FILE_BYTES + 1 && *limit == MAX_FILE_BYTES),
        "{e}"
    );
}

#[test]
fn a_csv_header_wider_than_a_spreadsheet_is_refused() {
    let header = vec!["h"; MAX_COLUMNS + 1].join(",");
    let e = file_error(import("wide.csv", header.as_bytes()));
    assert!(
        matches!(&e, FileError::TooManyColumns { found, limit, .. } if *found == MAX_COLUMNS + 1 && *limit == MAX_COLUMNS),
        "{e}"
    );
    // Data rows may run on past the header: those cells are never read.
    let csv = format!(
        "Title,Severity,Source,Owner,Detected\nT,minor,internal audit,qa,2026-03-01{}\n",
        ",x".repeat(MAX_COLUMNS)
    );
    assert!(import("long-rows.csv", csv.as_bytes()).is_ok());
}

/// The row limit counts every file of one import.
#[test]
fn the_row_limit_is_for_the_whole_import() {
    let half = MAX_ROWS / 2 + 1;
    let file = |prefix: &str| {
        let mut csv = String::from("Title,Severity,Source,Owner,Detected\n");
        for i in 0..half {
            csv.push_str(&format!("{prefix}{i},minor,internal audit,qa,2026-03-01\n"));
        }
        csv
    };
    let (a, b) = (file("A"), file("B"));
    let e = file_error(import_all(&[
        Input {
            name: "a.csv",
            bytes: a.as_bytes(),
        },
        Input {
            name: "b.csv",
            bytes: b.as_bytes(),
        },
    ]));
    assert!(
        matches!(&e, FileError::TooManyRows { file, limit, .. } if file == "b.csv" && *limit == MAX_ROWS),
        "{e}"
    );
}

/// 4.7 million problems from a 9 MB file took 2.4 GB to list; the list
/// stops at the limit and says how many more there were.
#[test]
fn problems_are_listed_up_to_the_limit_and_the_rest_counted() {
    let mut csv = String::from("Title,Description,Source,Owner,Severity\n");
    for _ in 0..400 {
        csv.push_str("\u{1},\u{2},\u{3},\u{4},\u{5}\n");
    }
    let Err(ImportError::Problems(p)) = import("ctl.csv", csv.as_bytes()) else {
        panic!("expected problems")
    };
    assert_eq!(p.len(), MAX_PROBLEMS + 1);
    assert!(
        p[..MAX_PROBLEMS]
            .iter()
            .all(|p| matches!(p.kind, ProblemKind::ControlCharacter { .. }))
    );
    let last = &p[MAX_PROBLEMS];
    assert!(
        matches!(last.kind, ProblemKind::TooManyProblems { more: 1_000, limit } if limit == MAX_PROBLEMS),
        "{last}"
    );
    assert!(last.to_string().contains("1000 more problems"), "{last}");
    let e = import("ctl.csv", csv.as_bytes()).unwrap_err().to_string();
    assert!(e.starts_with("2000 problems found"), "{e}");
}

/// A shared formula is reported at every cell that repeats it, with its
/// references moved to that cell, as before the reader stopped expanding
/// repetitions in columns the import does not read; in those columns a
/// template of 1 MiB repeated 500 times costs nothing.
#[test]
fn shared_formulas_are_expanded_only_where_the_import_reads_them() {
    let big = "1+".repeat(1 << 19) + "1";
    let mut rows = format!(
        "<row>{}{}</row>",
        text_cell("A1", "Title"),
        text_cell("B1", "Notes")
    );
    rows.push_str(&format!(
        r#"<row><c r="A2"><f t="shared" si="0" ref="A2:A3">C2*2</f><v>4</v></c><c r="B2"><f t="shared" si="1" ref="B2:B501">{big}</f><v>1</v></c></row>"#
    ));
    rows.push_str(r#"<row><c r="A3"><f t="shared" si="0"/><v>6</v></c><c r="B3"><f t="shared" si="1"/><v>1</v></c></row>"#);
    for r in 4..=501 {
        rows.push_str(&format!(
            r#"<row><c r="B{r}"><f t="shared" si="1"/><v>1</v></c></row>"#
        ));
    }
    let Err(ImportError::Problems(p)) = import("shared.xlsx", &workbook(&sheet(&rows), None, None))
    else {
        panic!("expected problems")
    };
    let formulas: Vec<(Option<usize>, &str)> = p
        .iter()
        .filter_map(|p| match &p.kind {
            ProblemKind::Formula { formula } => Some((p.location.row, formula.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(formulas, [(Some(2), "C2*2"), (Some(3), "C3*2")], "{p:?}");
}
