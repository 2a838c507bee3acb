//! Evidence records: what an action's completion or a verification result
//! rests on.
//!
//! Evidence is either a reference to a document held elsewhere (a ticket,
//! a URL, a document id), kept as the caller gave it, or the fingerprint of
//! a file: its SHA-256, size and name and the time it was attached. The
//! core never reads a file: an adapter (the CLI) hashes it and hands the
//! core the record, which `decide` checks like any other input.
//!
//! In JSON a document reference is a plain string, the only form events
//! had before schema bundle 1.3.0, so every event stored before still
//! reads; a file is an object:
//!
//! ```
//! use isms_core::EvidenceRef;
//! let old: EvidenceRef = serde_json::from_str(r#""ticket/CHG-1""#)?;
//! assert_eq!(old, EvidenceRef::document("ticket/CHG-1"));
//! let file: EvidenceRef = serde_json::from_str(
//!     r#"{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
//!        "size": 4, "name": "restore-test.log", "attached_at": "2026-05-20T09:00:00Z"}"#,
//! )?;
//! assert!(matches!(file, EvidenceRef::File(ref f) if f.size == 4 && !f.kept));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::IdError;

/// Evidence of an action's completion or of a verification result.
///
/// In JSON a document reference is a string and a file record an object,
/// so the two forms never overlap.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(untagged)]
pub enum EvidenceRef {
    /// A reference to a document held elsewhere (a ticket, a URL, a
    /// document id), kept as given; nothing ties it to a content.
    Document(String),
    /// A file fingerprinted when it was attached.
    File(FileEvidence),
}

impl EvidenceRef {
    /// A reference to a document held elsewhere.
    pub fn document(reference: impl Into<String>) -> Self {
        Self::Document(reference.into())
    }

    /// One line for tables and spreadsheets: the reference as given, or
    /// `NAME (N bytes, sha256:HEX, attached TIME)` for a file, with
    /// `, kept` before the parenthesis closes when a copy is kept.
    /// [`EvidenceRef::from_summary`] reads it back.
    pub fn summary(&self) -> String {
        match self {
            Self::Document(r) => r.clone(),
            Self::File(f) => format!(
                "{} ({} bytes, sha256:{}, attached {}{})",
                f.name,
                f.size,
                f.sha256,
                f.attached_at
                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                if f.kept { ", kept" } else { "" }
            ),
        }
    }

    /// Reads what [`EvidenceRef::summary`] wrote: text of a file record's
    /// shape is that file record, any other text a document reference.
    ///
    /// ```
    /// use isms_core::EvidenceRef;
    /// let t = "scan.pdf (4 bytes, sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08, attached 2026-05-20T09:00:00Z, kept)";
    /// let e = EvidenceRef::from_summary(t);
    /// assert_eq!(e.file().map(|f| (f.name.as_str(), f.size, f.kept)), Some(("scan.pdf", 4, true)));
    /// assert_eq!(e.summary(), t);
    /// assert_eq!(EvidenceRef::from_summary("ticket (CHG-1)"), EvidenceRef::document("ticket (CHG-1)"));
    /// ```
    pub fn from_summary(text: &str) -> Self {
        Self::file_from_summary(text).map_or_else(|| Self::Document(text.to_owned()), Self::File)
    }

    fn file_from_summary(text: &str) -> Option<FileEvidence> {
        let inner = text.strip_suffix(')')?;
        let open = inner.rfind(" (")?;
        let (name, details) = (&inner[..open], &inner[open + 2..]);
        let mut parts = details.split(", ");
        let size = parts.next()?.strip_suffix(" bytes")?.parse().ok()?;
        let sha256 = Sha256Digest::new(parts.next()?.strip_prefix("sha256:")?).ok()?;
        let attached_at = DateTime::parse_from_rfc3339(parts.next()?.strip_prefix("attached ")?)
            .ok()?
            .with_timezone(&Utc);
        let kept = match parts.next() {
            None => false,
            Some("kept") => true,
            Some(_) => return None,
        };
        if parts.next().is_some() || name.is_empty() {
            return None;
        }
        Some(FileEvidence {
            sha256,
            size,
            name: name.to_owned(),
            attached_at,
            kept,
        })
    }

    /// The file record, if this is one.
    pub fn file(&self) -> Option<&FileEvidence> {
        match self {
            Self::File(f) => Some(f),
            Self::Document(_) => None,
        }
    }
}

impl From<String> for EvidenceRef {
    fn from(reference: String) -> Self {
        Self::Document(reference)
    }
}

impl From<&str> for EvidenceRef {
    fn from(reference: &str) -> Self {
        Self::Document(reference.to_owned())
    }
}

impl From<FileEvidence> for EvidenceRef {
    fn from(file: FileEvidence) -> Self {
        Self::File(file)
    }
}

/// The fingerprint of a file attached as evidence.
///
/// What it proves: that the file whose SHA-256 is `sha256` is the one that
/// was attached, as far as the log itself is intact (the hash chain and
/// checkpoints speak to that). It does not prove who wrote the file or
/// that its content is true (`docs/threat-model.md`).
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct FileEvidence {
    /// SHA-256 of the file's content.
    pub sha256: Sha256Digest,
    /// Size of the content in bytes.
    pub size: u64,
    /// The file's name when it was attached, without its folder.
    pub name: String,
    /// When the file was read and hashed (the caller's clock).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub attached_at: DateTime<Utc>,
    /// Whether a copy is kept in the register's content-addressed evidence
    /// folder (the CLI's `--keep-evidence`), where `isms verify` re-hashes
    /// it. Omitted when `false`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub kept: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A SHA-256 digest: 64 lower-case hexadecimal digits.
///
/// ```
/// use isms_core::Sha256Digest;
/// let d: Sha256Digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".parse()?;
/// assert_eq!(&d.as_str()[..2], "9f");
/// assert!("9F86".parse::<Sha256Digest>().is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
// Serialised by borrowing the text (not `into = "String"`, which clones it
// for every event written).
#[serde(try_from = "String")]
pub struct Sha256Digest(String);

impl Sha256Digest {
    /// Validates 64 lower-case hexadecimal digits.
    pub fn new(hex: impl Into<String>) -> Result<Self, IdError> {
        let hex = hex.into();
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(hex))
        } else {
            Err(IdError::BadDigest { value: hex })
        }
    }

    /// The digest as 64 lower-case hexadecimal digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl JsonSchema for Sha256Digest {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Sha256Digest".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "A SHA-256 digest: 64 lower-case hexadecimal digits."
        })
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Sha256Digest {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl TryFrom<String> for Sha256Digest {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::new(s)
    }
}

impl Serialize for Sha256Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<Sha256Digest> for String {
    fn from(d: Sha256Digest) -> String {
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    #[test]
    fn a_plain_string_is_a_document_reference_both_ways() {
        let e: EvidenceRef = serde_json::from_str("\"procedure BK-02 v4\"").unwrap();
        assert_eq!(e, EvidenceRef::document("procedure BK-02 v4"));
        assert_eq!(serde_json::to_string(&e).unwrap(), "\"procedure BK-02 v4\"");
    }

    #[test]
    fn a_file_record_round_trips_and_refuses_what_it_does_not_know() {
        let f = EvidenceRef::File(FileEvidence {
            sha256: Sha256Digest::new(HEX).unwrap(),
            size: 4,
            name: "test.log".into(),
            attached_at: "2026-05-20T09:00:00Z".parse().unwrap(),
            kept: true,
        });
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["kept"], true);
        assert_eq!(
            serde_json::from_value::<EvidenceRef>(json.clone()).unwrap(),
            f
        );
        let mut extra = json.clone();
        extra["colour"] = "red".into();
        assert!(serde_json::from_value::<EvidenceRef>(extra).is_err());
        let mut bad = json;
        bad["sha256"] = HEX.to_uppercase().into();
        assert!(serde_json::from_value::<EvidenceRef>(bad).is_err());
    }

    #[test]
    fn digests_are_64_lower_case_hex_digits() {
        assert!(Sha256Digest::new(HEX).is_ok());
        for bad in ["", &HEX[1..], &format!("{HEX}0"), &HEX.replace('9', "g")] {
            assert!(
                matches!(Sha256Digest::new(bad), Err(IdError::BadDigest { .. })),
                "{bad}"
            );
        }
    }
}
