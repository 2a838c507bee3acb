//! Where an export came from: the chain head and the signed checkpoint of
//! the register it was made from, and whether its chain verified.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where an export came from, carried by every export format: the register
/// document's `provenance`, a CSV export's third file, an XLSX export's
/// `Provenance` sheet, an OSCAL POA&M's metadata props.
///
/// A reader holding the register can check that the export is a copy of it
/// up to `head_position` (`isms verify` and the chain hash at that
/// position); a reader holding only the export can check `checkpoint`'s
/// signature against a public key it trusts. `verified` is `false` only for
/// an export made with `--allow-unverified` from a register whose chain did
/// not verify: such an export shows data that may have been changed outside
/// `isms`, and an import says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The position of the chain head the export was made from: the number
    /// of events in the register's log.
    pub head_position: u64,
    /// The chain hash at `head_position` (SHA-256, 64 lowercase hex digits).
    #[schemars(extend("pattern" = "^[0-9a-f]{64}$"))]
    pub head_hash: String,
    /// The latest signed checkpoint the register held, if it held one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<ProvenanceCheckpoint>,
    /// Whether the whole chain verified, first event to head, when the
    /// export was made.
    pub verified: bool,
    /// What did not verify, when `verified` is `false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
}

/// A signed checkpoint as a checkpoint file holds it (`isms checkpoint
/// --out`): this object, saved alone, is a file `isms verify --against`
/// reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceCheckpoint {
    /// The chain position signed.
    pub position: u64,
    /// The chain hash at that position (64 lowercase hex digits).
    #[schemars(extend("pattern" = "^[0-9a-f]{64}$"))]
    pub hash: String,
    /// When it was signed.
    pub at: DateTime<Utc>,
    /// The signing key's id (16 hex digits: the first 8 bytes of a SHA-256
    /// of the public key).
    #[schemars(extend("pattern" = "^[0-9a-f]{16}$"))]
    pub key_id: String,
    /// The signing key's public half (Ed25519, 64 hex digits).
    #[schemars(extend("pattern" = "^[0-9a-f]{64}$"))]
    pub public_key: String,
    /// The Ed25519 signature (128 hex digits).
    #[schemars(extend("pattern" = "^[0-9a-f]{128}$"))]
    pub signature: String,
}

/// The field names of [`Provenance::to_fields`], in the order written.
pub const PROVENANCE_FIELDS: [&str; 11] = [
    "head_position",
    "head_hash",
    "verified",
    "problem",
    "exported_at",
    "checkpoint_position",
    "checkpoint_hash",
    "checkpoint_at",
    "checkpoint_key_id",
    "checkpoint_public_key",
    "checkpoint_signature",
];

/// A provenance given as field/value pairs that are not one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProvenanceError {
    /// A field the provenance needs is missing.
    #[error("provenance field {field} is missing")]
    Missing {
        /// The field.
        field: &'static str,
    },
    /// A field that is not one of [`PROVENANCE_FIELDS`].
    #[error("{field:?} is not a provenance field (expected one of {})", PROVENANCE_FIELDS.join(", "))]
    Unknown {
        /// The field as found.
        field: String,
    },
    /// A field given twice.
    #[error("provenance field {field} is given twice")]
    Repeated {
        /// The field.
        field: String,
    },
    /// A value that does not parse, or breaks the field's pattern.
    #[error("provenance field {field}: {value:?} is not {expected}")]
    BadValue {
        /// The field.
        field: &'static str,
        /// The value as found.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

impl Provenance {
    /// The provenance as flat field/value pairs (names from
    /// [`PROVENANCE_FIELDS`], values as text: numbers in decimal, times in
    /// RFC 3339, `verified` as `true`/`false`), for formats that hold text
    /// cells or props rather than JSON objects. Absent values are left out.
    pub fn to_fields(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("head_position", self.head_position.to_string()),
            ("head_hash", self.head_hash.clone()),
            ("verified", self.verified.to_string()),
        ];
        if let Some(p) = &self.problem {
            out.push(("problem", p.clone()));
        }
        out.push(("exported_at", rfc3339(self.exported_at)));
        if let Some(c) = &self.checkpoint {
            out.extend([
                ("checkpoint_position", c.position.to_string()),
                ("checkpoint_hash", c.hash.clone()),
                ("checkpoint_at", rfc3339(c.at)),
                ("checkpoint_key_id", c.key_id.clone()),
                ("checkpoint_public_key", c.public_key.clone()),
                ("checkpoint_signature", c.signature.clone()),
            ]);
        }
        out
    }

    /// Reads what [`Provenance::to_fields`] wrote. Every field is checked as
    /// the JSON schema checks it; the checkpoint is present when any of its
    /// fields is, and then all six must be.
    ///
    /// # Errors
    /// [`ProvenanceError`], naming the field.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ProvenanceError> {
        let mut found: [Option<&str>; PROVENANCE_FIELDS.len()] = [None; PROVENANCE_FIELDS.len()];
        for (name, value) in fields {
            let i = PROVENANCE_FIELDS
                .iter()
                .position(|f| *f == name)
                .ok_or_else(|| ProvenanceError::Unknown {
                    field: name.to_owned(),
                })?;
            if found[i].replace(value).is_some() {
                return Err(ProvenanceError::Repeated {
                    field: name.to_owned(),
                });
            }
        }
        let get = |field: &'static str| {
            let i = PROVENANCE_FIELDS.iter().position(|f| *f == field);
            i.and_then(|i| found[i])
        };
        let need = |field: &'static str| get(field).ok_or(ProvenanceError::Missing { field });
        let has_checkpoint = PROVENANCE_FIELDS[5..].iter().any(|f| get(f).is_some());
        let checkpoint = if has_checkpoint {
            Some(ProvenanceCheckpoint {
                position: number("checkpoint_position", need("checkpoint_position")?)?,
                hash: hex("checkpoint_hash", need("checkpoint_hash")?, 64)?,
                at: time("checkpoint_at", need("checkpoint_at")?)?,
                key_id: hex("checkpoint_key_id", need("checkpoint_key_id")?, 16)?,
                public_key: hex("checkpoint_public_key", need("checkpoint_public_key")?, 64)?,
                signature: hex("checkpoint_signature", need("checkpoint_signature")?, 128)?,
            })
        } else {
            None
        };
        let verified = match need("verified")? {
            "true" => true,
            "false" => false,
            other => {
                return Err(ProvenanceError::BadValue {
                    field: "verified",
                    value: other.to_owned(),
                    expected: "true or false",
                });
            }
        };
        Ok(Self {
            head_position: number("head_position", need("head_position")?)?,
            head_hash: hex("head_hash", need("head_hash")?, 64)?,
            checkpoint,
            verified,
            problem: get("problem").map(str::to_owned),
            exported_at: time("exported_at", need("exported_at")?)?,
        })
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn number(field: &'static str, value: &str) -> Result<u64, ProvenanceError> {
    value.parse().map_err(|_| ProvenanceError::BadValue {
        field,
        value: value.to_owned(),
        expected: "a whole number",
    })
}

fn hex(field: &'static str, value: &str, digits: usize) -> Result<String, ProvenanceError> {
    if value.len() == digits
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        Ok(value.to_owned())
    } else {
        Err(ProvenanceError::BadValue {
            field,
            value: value.to_owned(),
            expected: match digits {
                16 => "16 lowercase hex digits",
                64 => "64 lowercase hex digits",
                _ => "128 lowercase hex digits",
            },
        })
    }
}

fn time(field: &'static str, value: &str) -> Result<DateTime<Utc>, ProvenanceError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ProvenanceError::BadValue {
            field,
            value: value.to_owned(),
            expected: "an RFC 3339 date-time",
        })
}
