//! Builders for XLSX packages the tests need and no spreadsheet program
//! writes: cells far outside the grid, parts that inflate to gigabytes,
//! archives with arbitrary entries.

use std::io::Write;

/// The parts of a minimal workbook besides its sheet: content types, the
/// package relationships, the workbook with one sheet `Sheet1`, and the
/// workbook relationships (to the sheet, the shared strings and the styles).
pub const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
/// `_rels/.rels`.
pub const PACKAGE_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
/// `xl/workbook.xml`.
pub const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
/// `xl/_rels/workbook.xml.rels`.
pub const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
/// The part names of a workbook, for tests that pick names at random.
pub const PART_NAMES: &[&str] = &[
    "[Content_Types].xml",
    "_rels/.rels",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "xl/worksheets/sheet1.xml",
    "xl/worksheets/sheet2.xml",
    "xl/sharedStrings.xml",
    "xl/styles.xml",
    "xl/theme/theme1.xml",
    "docProps/core.xml",
];

/// A sheet part: `rows` is the XML between `<sheetData>` and `</sheetData>`.
pub fn sheet(rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
    )
}

/// An inline-string cell.
pub fn text_cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A zip archive of `parts`, deflated, written with the zip crate.
pub fn package(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        w.start_file(*name, options).unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A workbook whose only sheet holds `sheet_xml`, with optional shared
/// strings and styles parts.
pub fn workbook(sheet_xml: &str, shared: Option<&str>, styles: Option<&str>) -> Vec<u8> {
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", PACKAGE_RELS.as_bytes()),
        ("xl/workbook.xml", WORKBOOK.as_bytes()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet_xml.as_bytes()),
    ];
    if let Some(s) = shared {
        parts.push(("xl/sharedStrings.xml", s.as_bytes()));
    }
    if let Some(s) = styles {
        parts.push(("xl/styles.xml", s.as_bytes()));
    }
    package(&parts)
}

/// One entry of a hand-written archive: its name, compression method (0
/// stored, 8 deflated), the bytes as stored, and what the headers declare.
pub struct RawEntry {
    /// The part name.
    pub name: String,
    /// 0 (stored) or 8 (deflated).
    pub method: u16,
    /// The bytes as they are in the archive.
    pub data: Vec<u8>,
    /// The CRC-32 the headers declare.
    pub crc: u32,
    /// The uncompressed size the headers declare.
    pub size: u32,
}

impl RawEntry {
    /// A stored entry with its true checksum and size.
    pub fn stored(name: &str, data: &[u8]) -> Self {
        RawEntry {
            name: name.to_owned(),
            method: 0,
            data: data.to_vec(),
            crc: crc32(data),
            size: u32::try_from(data.len()).unwrap(),
        }
    }
}

/// A zip archive written byte by byte, so that its headers can declare
/// what the zip crate's writer never would (a size the data does not have).
pub fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let offset = u32::try_from(out.len()).unwrap();
        let name = e.name.as_bytes();
        let compressed = u32::try_from(e.data.len()).unwrap();
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // version needed
        out.extend_from_slice(&0u16.to_le_bytes()); // flags
        out.extend_from_slice(&e.method.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // time
        out.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
        out.extend_from_slice(&e.crc.to_le_bytes());
        out.extend_from_slice(&compressed.to_le_bytes());
        out.extend_from_slice(&e.size.to_le_bytes());
        out.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(name);
        out.extend_from_slice(&e.data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by
        central.extend_from_slice(&20u16.to_le_bytes()); // needed
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&e.method.to_le_bytes());
        central.extend_from_slice(&0u16.to_le_bytes());
        central.extend_from_slice(&0x21u16.to_le_bytes());
        central.extend_from_slice(&e.crc.to_le_bytes());
        central.extend_from_slice(&compressed.to_le_bytes());
        central.extend_from_slice(&e.size.to_le_bytes());
        central.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        central.extend_from_slice(&[0; 12]); // extra, comment, disk, attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let cd_offset = u32::try_from(out.len()).unwrap();
    let cd_size = u32::try_from(central.len()).unwrap();
    out.extend_from_slice(&central);
    let n = u16::try_from(entries.len()).unwrap();
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // disk numbers
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// CRC-32 (IEEE), table-driven.
pub fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !data.iter().fold(!0u32, |crc, &b| {
        table[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8)
    })
}

/// A raw deflate stream that inflates to `prefix`, then `1 + 258 * matches`
/// copies of `fill`, then `suffix`: the prefix and suffix in stored blocks,
/// the fill as one literal and `matches` back-references of length 258 at
/// distance 1 in a fixed-Huffman block (13 bits for every 258 bytes).
/// Returns the stream and the inflated length.
pub fn deflate_bomb(prefix: &[u8], fill: u8, matches: u64, suffix: &[u8]) -> (Vec<u8>, u64) {
    let mut bits = Bits::default();
    stored_block(&mut bits, prefix, false);
    bits.put(0, 1); // not final
    bits.put(0b01, 2); // fixed Huffman
    // The literal: codes for 0..=143 are 0x30 + value in 8 bits, 144..=255
    // are 0x190 + (value - 144) in 9 bits.
    if fill < 144 {
        bits.code(0x30 + u32::from(fill), 8);
    } else {
        bits.code(0x190 + u32::from(fill) - 144, 9);
    }
    for _ in 0..matches {
        bits.code(0b1100_0101, 8); // length symbol 285: 258 bytes, no extra bits
        bits.code(0, 5); // distance code 0: distance 1
    }
    bits.code(0, 7); // end of block (symbol 256)
    stored_block(&mut bits, suffix, true);
    let inflated = prefix.len() as u64 + 1 + 258 * matches + suffix.len() as u64;
    (bits.out, inflated)
}

fn stored_block(bits: &mut Bits, data: &[u8], last: bool) {
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![data]
    } else {
        data.chunks(65_535).collect()
    };
    let n = chunks.len();
    for (i, chunk) in chunks.into_iter().enumerate() {
        bits.put(u64::from(last && i + 1 == n), 1);
        bits.put(0b00, 2);
        bits.align();
        let len = u16::try_from(chunk.len()).unwrap();
        bits.out.extend_from_slice(&len.to_le_bytes());
        bits.out.extend_from_slice(&(!len).to_le_bytes());
        bits.out.extend_from_slice(chunk);
    }
}

/// Bits packed least significant first, as deflate wants them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, which deflate stores most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(u64::from(reversed), len);
    }

    fn align(&mut self) {
        if self.n > 0 {
            self.out.push(self.acc as u8);
            self.acc = 0;
            self.n = 0;
        }
    }
}

#[test]
fn the_checksum_of_the_hand_written_archives_is_zlibs() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"hello"), 0x3610_a686);
}

#[test]
fn the_hand_written_deflate_stream_inflates_to_what_it_says() {
    use std::io::Read;
    let (data, inflated) = deflate_bomb(b"<a>", b'z', 1_000, b"</a>");
    let parts = [RawEntry {
        name: "a.xml".into(),
        method: 8,
        crc: 0,
        size: u32::try_from(inflated).unwrap(),
        data,
    }];
    let bytes = raw_zip(&parts);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    // The checksum is left at zero, so the end of the part is an error.
    let _ = zip.by_index(0).unwrap().read_to_end(&mut out);
    assert_eq!(out.len() as u64, inflated);
    assert!(out.starts_with(b"<a>zzz") && out.ends_with(b"zzz</a>"));
}
