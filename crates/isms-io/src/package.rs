//! The XLSX package, checked before calamine opens it.
//!
//! calamine trusts the package: it inflates parts as far as their headers
//! say, reads the shared strings and styles whole (reserving what
//! `uniqueCount` claims, copying a font into every cell format that names
//! it), and parses cell references into `u32` (overflowing past column
//! `MWLQKWU`: a panic in debug builds, a wrapped position in release). So
//! before calamine sees a workbook, this module reads the package itself,
//! with the zip and quick-xml versions and reader settings calamine uses,
//! and refuses
//!
//! - more parts than [`MAX_PARTS`] (counted from the bytes, before the
//!   central directory is parsed);
//! - a part that declares more than [`MAX_PART_BYTES`] (or
//!   [`MAX_METADATA_PART_BYTES`] for the parts read whole on opening), and
//!   parts that declare more than [`MAX_UNPACKED_BYTES`] together; the zip
//!   reader stops a part that inflates beyond its declaration;
//! - any cell, row or range reference outside Excel's grid, and a range
//!   that ends before it starts;
//! - more shared strings than [`MAX_SHARED_STRINGS`], declared or present;
//! - more style records than [`MAX_STYLE_RECORDS`] of a kind, and cell
//!   formats that would take more than [`MAX_STYLE_BYTES`] once each has
//!   its copies of a font name and a number format code.
//!
//! Every part is read, whatever its name, so a sheet stored under an
//! unusual name is checked too. A part that stops being XML is checked up
//! to there: calamine stops at the same place.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{BufReader, Cursor, Read};

use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use crate::error::FileError;
use crate::limits::{
    MAX_COLUMNS, MAX_METADATA_PART_BYTES, MAX_PART_BYTES, MAX_PARTS, MAX_SHARED_STRINGS,
    MAX_SHEET_ROWS, MAX_STYLE_BYTES, MAX_STYLE_RECORDS, MAX_UNPACKED_BYTES,
};

/// Checks `bytes`, a zip archive, before calamine opens it.
pub(crate) fn check(file: &str, bytes: &[u8]) -> Result<(), FileError> {
    // Every central-directory entry starts with this signature, so the zip
    // reader cannot find more entries than it occurs.
    let entries = count(bytes, b"PK\x01\x02");
    if entries > MAX_PARTS {
        return Err(FileError::TooMany {
            file: file.to_owned(),
            part: "the package".into(),
            what: "parts",
            found: entries as u64,
            limit: MAX_PARTS as u64,
        });
    }
    let fail = |detail: String| FileError::Xlsx {
        file: file.to_owned(),
        detail,
    };
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| fail(e.to_string()))?;
    let mut parts = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let entry = zip.by_index_data(i).map_err(|e| fail(e.to_string()))?;
        let name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
        };
        parts.push((name, entry.size()));
    }
    let too_large = |part: &str, size: u64, limit: u64| FileError::PartTooLarge {
        file: file.to_owned(),
        part: part.to_owned(),
        size,
        limit,
    };
    for (name, size) in &parts {
        if *size > MAX_PART_BYTES {
            return Err(too_large(name, *size, MAX_PART_BYTES));
        }
    }
    let total = parts.iter().fold(0u64, |t, p| t.saturating_add(p.1));
    if total > MAX_UNPACKED_BYTES {
        return Err(FileError::UnpackedTooLarge {
            file: file.to_owned(),
            size: total,
            limit: MAX_UNPACKED_BYTES,
        });
    }
    for i in read_whole(file, &mut zip, &parts)? {
        let (name, size) = &parts[i];
        if *size > MAX_METADATA_PART_BYTES {
            return Err(too_large(name, *size, MAX_METADATA_PART_BYTES));
        }
    }
    for (i, (name, _)) in parts.iter().enumerate() {
        let part = zip.by_index(i).map_err(|e| fail(format!("{name}: {e}")))?;
        Scan::new(file, name).run(part)?;
    }
    Ok(())
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// The parts calamine reads whole when it opens a workbook, besides the
/// shared strings and styles (which have their own checks): the package
/// relationships, then, for every workbook the package could point at, the
/// workbook part, its relationships and its theme. Names are looked up as
/// calamine does (case-insensitively, `\` read as `/`).
fn read_whole(
    file: &str,
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    parts: &[(String, u64)],
) -> Result<Vec<usize>, FileError> {
    let mut by_name: HashMap<String, usize> = HashMap::with_capacity(parts.len());
    for (i, (name, _)) in parts.iter().enumerate() {
        by_name.insert(name.replace('\\', "/").to_ascii_lowercase(), i);
    }
    let find = |zip: &ZipArchive<Cursor<&[u8]>>, path: &str| {
        by_name
            .get(&path.to_ascii_lowercase())
            .copied()
            .or_else(|| zip.index_for_name(path))
    };
    let Some(rels) = find(zip, "_rels/.rels") else {
        return Ok(Vec::new());
    };
    let (name, size) = &parts[rels];
    if *size > MAX_METADATA_PART_BYTES {
        return Err(FileError::PartTooLarge {
            file: file.to_owned(),
            part: name.clone(),
            size: *size,
            limit: MAX_METADATA_PART_BYTES,
        });
    }
    let mut targets = Vec::new();
    if let Ok(part) = zip.by_index(rels) {
        let mut xml = xml_reader(part);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e)) if e.local_name().as_ref() == "Relationship" => {
                    let office = attrs(&e)
                        .any(|(k, v)| k == "Type" && v.ends_with("/relationships/officeDocument"));
                    if office {
                        targets.extend(
                            attrs(&e)
                                .filter(|(k, _)| *k == "Target")
                                .filter_map(|(_, v)| quick_xml::escape::unescape(v).ok())
                                .map(Cow::into_owned),
                        );
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
    }
    if targets.is_empty() {
        targets.push("xl/workbook.xml".into());
    }
    let mut found = vec![rels];
    for target in targets {
        let (dir, name) = match target.rfind('/') {
            Some(i) => target.split_at(i + 1),
            None => ("", target.as_str()),
        };
        let dir = dir.strip_prefix('/').unwrap_or(dir);
        let name = if name.is_empty() {
            "workbook.xml"
        } else {
            name
        };
        for path in [
            format!("{dir}{name}"),
            format!("{dir}_rels/{name}.rels"),
            format!("{dir}theme/theme1.xml"),
        ] {
            found.extend(find(zip, &path));
        }
    }
    Ok(found)
}

/// A quick-xml reader configured as calamine configures its own, so that
/// both see the same elements.
fn xml_reader<R: Read>(part: R) -> quick_xml::Reader<BufReader<R>> {
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    xml
}

/// The attributes of an element as calamine reads them (its `attrs.rs`):
/// raw values, keys compared whole (with any prefix). Stops at the first
/// malformed attribute, where calamine stops with an error.
fn attrs<'a>(e: &'a BytesStart<'_>) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    let raw = e.attributes_raw();
    let bytes = raw.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let key_start = pos;
        while pos < bytes.len() && bytes[pos] != b'=' {
            pos += 1;
        }
        if pos >= bytes.len() {
            return None;
        }
        let key = raw[key_start..pos].trim_ascii_end();
        pos += 1;
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let quote = *bytes.get(pos)?;
        if quote != b'"' && quote != b'\'' {
            pos = bytes.len();
            return None;
        }
        pos += 1;
        let value_start = pos;
        while pos < bytes.len() && bytes[pos] != quote {
            pos += 1;
        }
        let value = &raw[value_start..pos];
        pos = (pos + 1).min(bytes.len());
        Some((key, value))
    })
}

/// A cell reference (`B7`) checked against Excel's grid: the row and
/// column from 1, or what is wrong. A row's `r` may leave out the column
/// (`column: false`); a cell's and a range's may not.
fn grid_ref(s: &str, column: bool) -> Result<(u64, u64), &'static str> {
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut col: u64 = 0;
    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
        let digit = u64::from(bytes[i].to_ascii_uppercase() - b'A') + 1;
        col = col.saturating_mul(26).saturating_add(digit);
        i += 1;
    }
    let mut row: u64 = 0;
    let digits = i;
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        row = row
            .saturating_mul(10)
            .saturating_add(u64::from(bytes[i] - b'0'));
        i += 1;
    }
    if i < bytes.len() || i == digits || row == 0 || (column && col == 0) {
        return Err("is not a cell reference");
    }
    if col > MAX_COLUMNS as u64 {
        return Err("is beyond column XFD");
    }
    if row > MAX_SHEET_ROWS as u64 {
        return Err("is beyond row 1,048,576");
    }
    Ok((row, col))
}

/// A range (`A1:F20`) as calamine's `get_dimension` reads it: every part a
/// cell reference, and a two-part range not ending before it starts.
fn grid_range(s: &str) -> Result<(), &'static str> {
    let parts = s
        .split(':')
        .map(|part| grid_ref(part, true))
        .collect::<Result<Vec<_>, _>>()?;
    if let [(r1, c1), (r2, c2)] = parts[..]
        && (r2 < r1 || c2 < c1)
    {
        return Err("ends before it starts");
    }
    Ok(())
}

/// The style records calamine makes a value of, by element name, and what
/// a message calls them.
const STYLE_RECORDS: [(&str, &str); 5] = [
    ("numFmt", "number formats"),
    ("font", "fonts"),
    ("fill", "fills"),
    ("border", "borders"),
    ("xf", "cell formats"),
];

/// The check of one part.
///
/// Styles are bounded without following calamine's parse of them (which
/// ends each record at the first end tag of its name, wherever that is):
/// every element named like a style record counts as one, and every cell
/// format as a `Style` holding the longest font name and number format
/// code seen before it, the only text a format's copies hold.
struct Scan<'a> {
    file: &'a str,
    part: &'a str,
    shared_strings: u64,
    /// Elements seen of each name in [`STYLE_RECORDS`].
    records: [u64; 5],
    /// The longest font name (`<name val>`) and number format code
    /// (`<numFmt formatCode>`) so far, in bytes.
    longest_name: u64,
    longest_code: u64,
    style_bytes: u64,
}

impl<'a> Scan<'a> {
    fn new(file: &'a str, part: &'a str) -> Self {
        Scan {
            file,
            part,
            shared_strings: 0,
            records: [0; 5],
            longest_name: 0,
            longest_code: 0,
            style_bytes: 0,
        }
    }

    fn run<R: Read>(mut self, part: R) -> Result<(), FileError> {
        let mut xml = xml_reader(part);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match xml.read_event_into(&mut buf) {
                Ok(Event::Start(e)) => self.start(&e)?,
                Ok(Event::Eof) => return Ok(()),
                Err(quick_xml::Error::Io(e)) => {
                    return Err(FileError::Xlsx {
                        file: self.file.to_owned(),
                        detail: format!("{}: {e}", self.part),
                    });
                }
                // No longer XML: calamine stops here too.
                Err(_) => return Ok(()),
                Ok(_) => {}
            }
        }
    }

    fn out_of_grid(&self, reference: &str, problem: &'static str) -> FileError {
        FileError::CellOutOfRange {
            file: self.file.to_owned(),
            part: self.part.to_owned(),
            reference: reference.to_owned(),
            problem,
        }
    }

    fn too_many(&self, what: &'static str, found: u64, limit: u64) -> FileError {
        FileError::TooMany {
            file: self.file.to_owned(),
            part: self.part.to_owned(),
            what,
            found,
            limit,
        }
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), FileError> {
        let name = e.local_name();
        match name.as_ref() {
            "c" | "row" => {
                let cell = name.as_ref() == "c";
                for (_, v) in attrs(e).filter(|(k, _)| *k == "r") {
                    grid_ref(v, cell).map_err(|p| self.out_of_grid(v, p))?;
                }
            }
            "dimension" => {
                for (_, v) in attrs(e).filter(|(k, _)| *k == "ref") {
                    grid_range(v).map_err(|p| self.out_of_grid(v, p))?;
                }
            }
            "f" if attrs(e).any(|(k, v)| k == "t" && v == "shared") => {
                for (_, v) in attrs(e).filter(|(k, _)| *k == "ref") {
                    grid_range(v).map_err(|p| self.out_of_grid(v, p))?;
                }
            }
            "sst" => {
                for (_, v) in attrs(e).filter(|(k, _)| *k == "uniqueCount") {
                    if let Some(n) = number(v)
                        && n > MAX_SHARED_STRINGS as u64
                    {
                        return Err(self.too_many(
                            "shared strings (its uniqueCount)",
                            n,
                            MAX_SHARED_STRINGS as u64,
                        ));
                    }
                }
            }
            "si" => {
                self.shared_strings += 1;
                if self.shared_strings > MAX_SHARED_STRINGS as u64 {
                    return Err(self.too_many(
                        "shared strings",
                        self.shared_strings,
                        MAX_SHARED_STRINGS as u64,
                    ));
                }
            }
            "name" => {
                for (_, v) in attrs(e).filter(|(k, _)| *k == "val") {
                    self.longest_name = self.longest_name.max(v.len() as u64);
                }
            }
            _ => {}
        }
        if let Some(kind) = STYLE_RECORDS.iter().position(|r| r.0 == name.as_ref()) {
            self.style_record(kind, e)?;
        }
        Ok(())
    }

    fn style_record(&mut self, kind: usize, e: &BytesStart<'_>) -> Result<(), FileError> {
        let (element, what) = STYLE_RECORDS[kind];
        self.records[kind] += 1;
        if self.records[kind] > MAX_STYLE_RECORDS as u64 {
            return Err(self.too_many(what, self.records[kind], MAX_STYLE_RECORDS as u64));
        }
        match element {
            "numFmt" => {
                for (_, v) in attrs(e).filter(|(k, _)| *k == "formatCode") {
                    self.longest_code = self.longest_code.max(v.len() as u64);
                }
            }
            "xf" => {
                // calamine's `Style` for this format, with its own copy of
                // the font's name and the number format's code.
                let bytes = std::mem::size_of::<calamine::Style>() as u64
                    + self.longest_name
                    + self.longest_code;
                self.style_bytes = self.style_bytes.saturating_add(bytes);
                if self.style_bytes > MAX_STYLE_BYTES {
                    return Err(self.too_many(
                                        "bytes of cell formats once each has its own copy of the font name and number format it names",
                        self.style_bytes,
                        MAX_STYLE_BYTES,
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A decimal attribute as calamine's number parser reads it (digits only,
/// leading zeros allowed), saturating instead of failing on overflow.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(s.bytes().fold(0u64, |n, b| {
        n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_references_are_checked_against_excels_limits() {
        assert_eq!(grid_ref("A1", true), Ok((1, 1)));
        assert_eq!(grid_ref("xfd1048576", true), Ok((1_048_576, 16_384)));
        assert_eq!(grid_ref("7", false), Ok((7, 0)));
        assert_eq!(grid_ref("7", true), Err("is not a cell reference"));
        assert_eq!(grid_ref("XFE1", true), Err("is beyond column XFD"));
        assert_eq!(
            grid_ref("ZZZZZZZZZZZZZZZ1", false),
            Err("is beyond column XFD")
        );
        assert_eq!(grid_ref("A1048577", true), Err("is beyond row 1,048,576"));
        assert_eq!(
            grid_ref("A99999999999999999999999", true),
            Err("is beyond row 1,048,576")
        );
        for bad in ["", "A", "A0", "1A", "$A$1", "A1 ", "Ä1"] {
            assert_eq!(
                grid_ref(bad, false),
                Err("is not a cell reference"),
                "{bad:?}"
            );
        }
        assert_eq!(grid_range("A1:C3"), Ok(()));
        assert_eq!(grid_range("B2"), Ok(()));
        assert_eq!(grid_range("B2:A3"), Err("ends before it starts"));
        assert_eq!(grid_range("A2:B1"), Err("ends before it starts"));
        assert_eq!(grid_range("A1:ZZZZZZZ1"), Err("is beyond column XFD"));
    }

    #[test]
    fn attributes_are_split_as_calamine_splits_them() {
        let e = BytesStart::from_content(r#"c r="A1" s = '2' t="s""#, 1);
        let all: Vec<_> = attrs(&e).collect();
        assert_eq!(all, [("r", "A1"), ("s", "2"), ("t", "s")]);
        // A key without a value swallows the next one, as in calamine.
        let e = BytesStart::from_content(r#"c foo r="ZZZZZZZ1""#, 1);
        assert_eq!(attrs(&e).collect::<Vec<_>>(), [("foo r", "ZZZZZZZ1")]);
    }
}
