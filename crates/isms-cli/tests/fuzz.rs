//! Arbitrary input to every importer, through the binary and under a 1 GiB
//! address-space limit (`ulimit -v`): arbitrary bytes under each file name,
//! real exports (register document, OSCAL POA&M, CSV, XLSX) with arbitrary
//! changes, and zip archives of arbitrary entries. Every run ends with a
//! code of the documented table (0, 2 or 7), never a panic (101) or an
//! abort (134, which an allocation beyond the limit would give), and a
//! refused import leaves no register behind.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::Value;

use crate::support::Scratch;

/// `isms import FILE` into a new register with at most 1 GiB of address
/// space; returns the exit code and stderr.
fn import_bounded(s: &Scratch, file: &Path) -> (i32, String) {
    let db = s.path("fuzz.db");
    let _ = std::fs::remove_file(&db);
    let out = Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_isms"))
        .args(["--as", "fuzz", "--db"])
        .arg(&db)
        .arg("import")
        .arg(file)
        .current_dir(s.dir())
        .env_remove("ISMS_DB")
        .env_remove("ISMS_ACTOR")
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if code != 0 {
        // Nothing of a refused import is kept.
        assert!(!db.exists(), "exit {code} left a register behind: {stderr}");
    }
    (code, stderr)
}

fn check(s: &Scratch, name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let file = s.path(name);
    std::fs::write(&file, bytes).unwrap();
    let (code, stderr) = import_bounded(s, &file);
    prop_assert!(
        matches!(code, 0 | 2 | 7),
        "{name}: exit {code} is not one an import may end with:\n{stderr}"
    );
    prop_assert!(!stderr.contains("panicked"), "{stderr}");
    Ok(())
}

/// Real exports of a small generated register, made once.
struct Exports {
    document: Value,
    poam: Value,
    csv: Vec<u8>,
    xlsx: Vec<u8>,
}

fn exports() -> &'static Exports {
    static EXPORTS: OnceLock<Exports> = OnceLock::new();
    EXPORTS.get_or_init(|| {
        let s = Scratch::new("fuzz-exports");
        s.isms(&["generate", "--count", "6", "--seed", "5"]).ok();
        let json = |format: &str| -> Value {
            serde_json::from_str(&s.isms(&["export", "--format", format]).ok()).unwrap()
        };
        let file = |format: &str, name: &str, read: &str| {
            let out = s.path(name);
            s.isms(&["export", "--format", format, "--out", out.to_str().unwrap()])
                .ok();
            std::fs::read(s.path(read)).unwrap()
        };
        Exports {
            document: json("json"),
            poam: json("oscal-poam"),
            csv: file("csv", "r.csv", "r-nonconformities.csv"),
            xlsx: file("xlsx", "r.xlsx", "r.xlsx"),
        }
    })
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("NC-0001")),
        Just(Value::from("2026-01-05T10:00:00Z")),
        Just(Value::from("0001-01-01T00:00:00Z")),
        Just(Value::from("\u{1b}[2J\u{202e}")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the node at `pick` (counted in document order, wrapping) with
/// `with`.
fn replace_node(doc: &mut Value, pick: usize, with: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, n: &mut usize, with: &mut Option<Value>) {
        if *n == 0 {
            if let Some(w) = with.take() {
                *v = w;
            }
            return;
        }
        *n -= 1;
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, n, with)),
            Value::Object(o) => o.values_mut().for_each(|x| walk(x, n, with)),
            _ => {}
        }
    }
    let mut n = pick % count(doc);
    walk(doc, &mut n, &mut Some(with));
}

/// Bytes with some of them overwritten, and perhaps cut short.
fn damaged(bytes: &[u8], edits: &[(usize, u8)], cut: Option<usize>) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for &(at, b) in edits {
        let i = at % out.len();
        out[i] = b;
    }
    if let Some(c) = cut {
        out.truncate(c % (out.len() + 1));
    }
    out
}

/// A zip archive of stored entries (no compression), written by hand so
/// that names, sizes and checksums can be anything.
fn zip(entries: &[(String, Vec<u8>, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, crc) in entries {
        let offset = out.len() as u32;
        let (n, len) = (name.len() as u16, data.len() as u32);
        let header = |sig: u32, out: &mut Vec<u8>, central: bool| {
            out.extend_from_slice(&sig.to_le_bytes());
            if central {
                out.extend_from_slice(&20u16.to_le_bytes());
            }
            for v in [20u16, 0, 0, 0, 0x21] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
        };
        header(0x0403_4b50, &mut out, false);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        header(0x0201_4b50, &mut central, true);
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (cd_offset, cd_size) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let n = entries.len() as u16;
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn zip_entry() -> impl Strategy<Value = (String, Vec<u8>, u32)> {
    let name = prop_oneof![
        Just("[Content_Types].xml".to_owned()),
        Just("_rels/.rels".to_owned()),
        Just("xl/workbook.xml".to_owned()),
        Just("xl/_rels/workbook.xml.rels".to_owned()),
        Just("xl/worksheets/sheet1.xml".to_owned()),
        Just("xl/sharedStrings.xml".to_owned()),
        "[a-z/._]{1,20}",
    ];
    let data = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        Just(br#"<worksheet><sheetData><row r="1"><c r="ZZZZZZZ3" t="s"><v>0</v></c></row></sheetData></worksheet>"#.to_vec()),
        Just(br#"<worksheet><dimension ref="A1:XFD1048576"/><sheetData/></worksheet>"#.to_vec()),
        Just(br#"<sst count="4294967295" uniqueCount="4294967295"><si><t>x</t></si></sst>"#.to_vec()),
    ];
    (name, data, any::<u32>())
}

fn cases() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .map_or(24, |c: u32| c.min(96)),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn arbitrary_bytes_under_every_name(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        name in prop_oneof![
            Just("x.json"), Just("x.csv"), Just("x.xlsx"), Just("x.tsv"), Just("x")
        ],
        prefix in prop_oneof![
            Just(&b""[..]), Just(&b"{"[..]), Just(&b"PK\x03\x04"[..]),
            Just(&b"{\"plan-of-action-and-milestones\":"[..])
        ],
    ) {
        let s = Scratch::new("fuzz-bytes");
        let mut input = prefix.to_vec();
        input.extend_from_slice(&bytes);
        check(&s, name, &input)?;
    }

    #[test]
    fn a_register_document_with_any_node_replaced(pick in any::<usize>(), with in json_value()) {
        let s = Scratch::new("fuzz-document");
        let mut doc = exports().document.clone();
        replace_node(&mut doc, pick, with);
        check(&s, "doc.json", &serde_json::to_vec(&doc).unwrap())?;
    }

    #[test]
    fn a_poam_with_any_node_replaced(pick in any::<usize>(), with in json_value()) {
        let s = Scratch::new("fuzz-poam");
        let mut doc = exports().poam.clone();
        replace_node(&mut doc, pick, with);
        check(&s, "poam.json", &serde_json::to_vec(&doc).unwrap())?;
    }

    #[test]
    fn damaged_spreadsheets(
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 0..8),
        cut in prop::option::of(any::<usize>()),
        xlsx in any::<bool>(),
    ) {
        let s = Scratch::new("fuzz-sheet");
        let e = exports();
        let (name, bytes) = if xlsx { ("r.xlsx", &e.xlsx) } else { ("r.csv", &e.csv) };
        check(&s, name, &damaged(bytes, &edits, cut))?;
    }

    #[test]
    fn zip_archives_of_arbitrary_entries(entries in prop::collection::vec(zip_entry(), 0..7)) {
        let s = Scratch::new("fuzz-zip");
        check(&s, "book.xlsx", &zip(&entries))?;
    }
}
