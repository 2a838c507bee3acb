//! No input makes the import panic: arbitrary bytes, arbitrary cells under
//! real headers, and arbitrary zip archives whose entries carry the part
//! names of a workbook and content built from the elements and attributes
//! the XLSX reader acts on (cell, row and range references inside and
//! outside the grid, shared strings, shared formulas, styles). Each ends in
//! a plan or in typed errors that name the file; every input is small, so
//! the run stays within seconds and bounded memory (the limits themselves
//! are tested in `bounds.rs`).

use isms_core::{Actor, ActorId, Register};
use isms_io::{Column, FileError, ImportError, ImportOptions, Input, plan_import};
use proptest::prelude::*;

use crate::package::{
    CONTENT_TYPES, PACKAGE_RELS, PART_NAMES, RawEntry, WORKBOOK, WORKBOOK_RELS, package, raw_zip,
};

/// Imports `bytes` as the file `x`, and checks that the outcome is a plan
/// or a typed error that says which file it is about.
fn run(bytes: &[u8]) -> Result<(), TestCaseError> {
    let options = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
    let outcome = plan_import(
        &Register::new(),
        &[Input { name: "x", bytes }],
        &options,
        &mut |_| {},
    );
    match outcome {
        Ok(_) => {}
        Err(ImportError::File(e)) => {
            let file = match &e {
                FileError::BadMappingFile { .. } => unreachable!("no mapping file given"),
                _ => e.to_string(),
            };
            prop_assert!(file.starts_with('x'), "{file}");
        }
        Err(ImportError::Problems(problems)) => {
            prop_assert!(!problems.is_empty());
            for p in &problems {
                prop_assert_eq!(p.location.file.as_str(), "x", "{}", p);
            }
        }
        Err(e) => prop_assert!(false, "an error of an unknown kind: {e}"),
    }
    Ok(())
}

/// References of every kind the reader meets: ordinary, at the edge of the
/// grid, beyond it (far enough to overflow 32 bits), reversed ranges, and
/// not references at all.
fn reference() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("A1".to_owned()),
        Just("B2".to_owned()),
        Just("XFD1048576".to_owned()),
        Just("XFE1".to_owned()),
        Just("A1048577".to_owned()),
        Just("ZZZZZZ3".to_owned()),
        Just("ZZZZZZZZZZZZZ3".to_owned()),
        Just("A99999999999999999999".to_owned()),
        Just("B2:A1".to_owned()),
        Just("A1:ZZZZZZZ2".to_owned()),
        Just("A1:C3".to_owned()),
        Just(String::new()),
        Just("1".to_owned()),
        Just("$A$1".to_owned()),
        "[A-Z]{1,4}[0-9]{1,8}",
    ]
}

/// A fragment of workbook XML: the elements calamine acts on, with
/// attributes drawn from `reference()`, and text.
fn fragment() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("4294967296".to_owned()),
        Just("100000000000".to_owned()),
        "[0-9]{1,3}",
    ];
    prop_oneof![
        reference().prop_map(|r| format!(r#"<c r="{r}" t="inlineStr"><is><t>Title</t></is></c>"#)),
        (reference(), number.clone()).prop_map(|(r, v)| format!(r#"<c r="{r}"><v>{v}</v></c>"#)),
        number
            .clone()
            .prop_map(|v| format!(r#"<c t="s"><v>{v}</v></c>"#)),
        reference().prop_map(|r| format!(r#"<row r="{r}">"#)),
        Just("</row>".to_owned()),
        Just("<row>".to_owned()),
        Just("<c/>".to_owned()),
        reference().prop_map(|r| format!(r#"<dimension ref="{r}"/>"#)),
        (reference(), number.clone()).prop_map(|(r, si)| format!(
            r#"<c r="B2"><f t="shared" si="{si}" ref="{r}">A1+1</f><v>1</v></c>"#
        )),
        number
            .clone()
            .prop_map(|si| format!(r#"<c r="B3"><f t="shared" si="{si}"/><v>1</v></c>"#)),
        Just("<sheetData>".to_owned()),
        Just("</sheetData>".to_owned()),
        number.clone().prop_map(|n| format!(
            r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" uniqueCount="{n}">"#
        )),
        "[a-zA-Z ]{0,12}".prop_map(|t| format!("<si><t>{t}</t></si>")),
        Just("</sst>".to_owned()),
        Just(r#"<fonts><font><name val="Calibri"/></font></fonts>"#.to_owned()),
        number.prop_map(|f| format!(r#"<cellXfs><xf numFmtId="14" fontId="{f}"/></cellXfs>"#)),
        "[<>/=\"a-z0-9 ]{0,16}",
    ]
}

/// A part: XML assembled from fragments (inside a worksheet or not), or
/// arbitrary bytes.
fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => (any::<bool>(), proptest::collection::vec(fragment(), 0..24)).prop_map(|(wrap, parts)| {
            let body = parts.concat();
            if wrap {
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{body}</worksheet>"#
                )
                .into_bytes()
            } else {
                body.into_bytes()
            }
        }),
        1 => proptest::collection::vec(any::<u8>(), 0..256),
    ]
}

/// A part name: one of a workbook's, or anything.
fn part_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(PART_NAMES).prop_map(str::to_owned),
        1 => "[a-zA-Z_/.\\[\\]]{1,24}",
    ]
}

/// An archive of arbitrary entries, deflated by the zip crate or written
/// stored with a declared size that may lie; with or without the parts
/// that make a workbook, so that the reader gets past opening it.
fn archive() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec((part_name(), content(), any::<bool>(), any::<u32>()), 0..6),
    )
        .prop_map(|(skeleton, deflate, entries)| {
            let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
            if skeleton {
                for (name, xml) in [
                    ("[Content_Types].xml", CONTENT_TYPES),
                    ("_rels/.rels", PACKAGE_RELS),
                    ("xl/workbook.xml", WORKBOOK),
                    ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
                ] {
                    parts.push((name.to_owned(), xml.as_bytes().to_vec()));
                }
            }
            // Later entries of the same name replace earlier ones.
            let mut lies = Vec::new();
            for (name, bytes, lie, size) in entries {
                parts.retain(|p| p.0 != name);
                lies.push((name.clone(), lie, size));
                parts.push((name, bytes));
            }
            if deflate {
                let borrowed: Vec<(&str, &[u8])> = parts
                    .iter()
                    .map(|(n, b)| (n.as_str(), b.as_slice()))
                    .collect();
                package(&borrowed)
            } else {
                let entries: Vec<RawEntry> = parts
                    .iter()
                    .map(|(name, bytes)| {
                        let mut e = RawEntry::stored(name, bytes);
                        if let Some((_, true, size)) = lies.iter().rev().find(|l| &l.0 == name) {
                            e.size = *size;
                        }
                        e
                    })
                    .collect();
                raw_zip(&entries)
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run(&bytes)?;
    }

    /// Bytes that open like a zip archive (the XLSX path) and go on at random.
    #[test]
    fn arbitrary_bytes_after_a_zip_signature_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        let mut zip = b"PK\x03\x04".to_vec();
        zip.extend_from_slice(&bytes);
        run(&zip)?;
    }

    #[test]
    fn arbitrary_zip_archives_never_panic(bytes in archive()) {
        run(&bytes)?;
    }

    /// CSV text made of delimiters, quotes, line breaks, formula triggers
    /// and the quote the export puts before them.
    #[test]
    fn arbitrary_csv_text_never_panics(text in "[a-zA-Z0-9,;\t\"'=+@\r\n -]{0,512}") {
        run(text.as_bytes())?;
    }

    #[test]
    fn arbitrary_cells_under_real_headers_never_panic(
        columns in proptest::sample::subsequence(Column::ALL.to_vec(), 1..20),
        cells in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    Just(String::new()),
                    "[a-zA-Z0-9 ./:-]{0,24}",
                    Just("2026-03-01".to_owned()),
                    Just("31/02/2026".to_owned()),
                    Just("NC-0001".to_owned()),
                    Just("A-1".to_owned()),
                    Just("major".to_owned()),
                    Just("done".to_owned()),
                    Just("every 1 month from 2026-01-31, 3 times".to_owned()),
                    Just("99999999999".to_owned()),
                    Just("'=1+1".to_owned()),
                ],
                20,
            ),
            0..12,
        ),
    ) {
        let mut csv = columns.iter().map(|c| c.header()).collect::<Vec<_>>().join(",");
        csv.push('\n');
        for row in &cells {
            csv.push_str(&row[..columns.len()].join(","));
            csv.push('\n');
        }
        run(csv.as_bytes())?;
    }
}
