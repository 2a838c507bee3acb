//! The register document: a whole register (state and event log) as one JSON document.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use isms_core::{Event, Improvement, Nonconformity, Register, StreamId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::DocumentError;
use crate::provenance::Provenance;
use crate::{SCHEMA_MAJOR, SCHEMA_VERSION};

/// A whole register as one exchange document: every nonconformity with its full history,
/// every improvement, and the event log they are folded from.
///
/// The events are the record of truth; the state is included for readers that do not
/// replay events. Every transition carries its time (`history[].at`, and the `at` of every
/// correction, analysis, action, verification and closure), so another tool can compute
/// any KPI from the document alone. An importer rebuilds the state from `events` and
/// checks it equals the included state ([`RegisterDocument::to_register`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ISMS register document")]
pub struct RegisterDocument {
    /// The version of the exchange format this document follows (`MAJOR.MINOR.PATCH`);
    /// readers accept any version with their own major.
    #[schemars(extend("pattern" = r"^1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$", "examples" = ["1.0.0"]))]
    pub schema_version: String,
    /// When the document was written, if the writer says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_at: Option<DateTime<Utc>>,
    /// Where the document came from, if the writer says: the chain head and the latest
    /// signed checkpoint of the register it was exported from, and whether that register's
    /// chain verified (since 1.3.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// Every nonconformity, in order of reporting, as folded from `events`.
    pub nonconformities: Vec<Nonconformity>,
    /// Every improvement opportunity, in order of proposal, as folded from `events`.
    pub improvements: Vec<Improvement>,
    /// The event log, in the order the events were recorded: the record of truth.
    pub events: Vec<Event>,
}

impl RegisterDocument {
    /// Builds the document for an event log: checks the log's shape (unique event ids,
    /// every stream numbered 1, 2, 3, ... without gaps), folds it, and includes the state.
    ///
    /// # Errors
    /// [`DocumentError::DuplicateEventId`] or [`DocumentError::SequenceGap`], naming the event.
    pub fn from_events(events: Vec<Event>) -> Result<Self, DocumentError> {
        check_log(&events)?;
        let register = Register::from_events(&events);
        Ok(Self {
            schema_version: SCHEMA_VERSION.to_owned(),
            generated_at: None,
            provenance: None,
            nonconformities: register.nonconformities().to_vec(),
            improvements: register.improvements().to_vec(),
            events,
        })
    }

    /// The same document stamped with the time it was written.
    #[must_use]
    pub fn with_generated_at(mut self, at: DateTime<Utc>) -> Self {
        self.generated_at = Some(at);
        self
    }

    /// The same document carrying where it came from.
    #[must_use]
    pub fn with_provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = Some(provenance);
        self
    }

    /// Imports the document: checks the version and the log, rebuilds the register from
    /// the events, and checks that the included state equals the rebuilt one.
    ///
    /// # Errors
    /// [`DocumentError::UnsupportedVersion`] or [`DocumentError::MalformedVersion`] for a
    /// version this library does not read; the log errors of
    /// [`RegisterDocument::from_events`]; [`DocumentError::CountMismatch`],
    /// [`DocumentError::NonconformityMismatch`] or [`DocumentError::ImprovementMismatch`]
    /// when the included state is not the fold of the events.
    pub fn to_register(&self) -> Result<Register, DocumentError> {
        check_version(&self.schema_version)?;
        check_log(&self.events)?;
        let register = Register::from_events(&self.events);
        compare_items(
            "nonconformities",
            &self.nonconformities,
            register.nonconformities(),
            |index, nc, field| DocumentError::NonconformityMismatch {
                index,
                reference: nc.reference,
                field,
            },
        )?;
        compare_items(
            "improvements",
            &self.improvements,
            register.improvements(),
            |index, imp, field| DocumentError::ImprovementMismatch {
                index,
                reference: imp.reference,
                field,
            },
        )?;
        Ok(register)
    }

    /// Parses a document from JSON text and imports it ([`RegisterDocument::to_register`]).
    ///
    /// # Errors
    /// [`DocumentError::Json`] for text that is not a register document, and the errors
    /// of [`RegisterDocument::to_register`].
    pub fn import_json(text: &str) -> Result<(Self, Register), DocumentError> {
        let document: Self = serde_json::from_str(text)?;
        let register = document.to_register()?;
        Ok((document, register))
    }
}

/// Checks that `version` is `MAJOR.MINOR.PATCH` with this library's major.
fn check_version(version: &str) -> Result<(), DocumentError> {
    let malformed = || DocumentError::MalformedVersion {
        found: version.to_owned(),
    };
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(malformed());
    }
    let major: u64 = parts[0].parse().map_err(|_| malformed())?;
    if major != SCHEMA_MAJOR {
        return Err(DocumentError::UnsupportedVersion {
            found: version.to_owned(),
            supported_major: SCHEMA_MAJOR,
        });
    }
    Ok(())
}

/// Unique event ids, and per stream the sequences 1, 2, 3, ... in log order.
fn check_log(events: &[Event]) -> Result<(), DocumentError> {
    let mut ids = HashMap::with_capacity(events.len());
    let mut next: HashMap<StreamId, u64> = HashMap::new();
    for (index, e) in events.iter().enumerate() {
        if let Some(&first) = ids.get(&e.id) {
            return Err(DocumentError::DuplicateEventId {
                index,
                first,
                id: e.id.to_string(),
            });
        }
        ids.insert(e.id, index);
        let expected = next.entry(e.stream).or_insert(1);
        if e.sequence != *expected {
            return Err(DocumentError::SequenceGap {
                index,
                stream: e.stream,
                expected: *expected,
                found: e.sequence,
            });
        }
        *expected += 1;
    }
    Ok(())
}

fn compare_items<T: PartialEq + Serialize>(
    what: &'static str,
    included: &[T],
    rebuilt: &[T],
    mismatch: impl Fn(usize, &T, String) -> DocumentError,
) -> Result<(), DocumentError> {
    if included.len() != rebuilt.len() {
        return Err(DocumentError::CountMismatch {
            what,
            included: included.len(),
            rebuilt: rebuilt.len(),
        });
    }
    for (index, (a, b)) in included.iter().zip(rebuilt).enumerate() {
        if a != b {
            return Err(mismatch(index, a, first_difference(a, b)));
        }
    }
    Ok(())
}

/// The first top-level field in which two serialisable values differ.
fn first_difference<T: Serialize>(a: &T, b: &T) -> String {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return String::new();
    };
    a.keys()
        .chain(b.keys())
        .find(|k| a.get(*k) != b.get(*k))
        .cloned()
        .unwrap_or_default()
}
