//! Audits and management reviews as the named sources of findings (9.2,
//! 9.3): "what did last spring's internal audit find, and is it all
//! closed?".
//!
//! An audit is a record of the register, not an item: it has no lifecycle
//! of its own. Its records live in the register's one audit stream
//! ([`StreamId::Audits`], stored as `audits`), as the policy lives in the
//! policy stream: [`RecordAudit`] is decided by [`decide_audit`] on the
//! [`AuditBook`] folded from that stream. A nonconformity or improvement
//! names its audit when it is reported or proposed (`audit`), and `decide`
//! refuses an audit the register does not hold
//! ([`crate::RegisterContext::audit_exists`], `unknown_audit`).
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use isms_core::*;
//!
//! let policy = Policy::default();
//! let at = Utc.with_ymd_and_hms(2026, 4, 20, 9, 0, 0).unwrap();
//! let record = RecordAudit::new(
//!     "IA-2026-1".parse()?,
//!     AuditKind::InternalAudit,
//!     "Backup and restore, data centre 1",
//!     NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(),
//!     ActorId::new("internal-audit")?,
//! );
//! let mut book = AuditBook::new();
//! let decision = decide_audit(&book, &record, &Context::new(at, Actor::named("alice")?, &policy))?;
//! decision.events.iter().for_each(|e| book.apply(e));
//! assert_eq!(book.audit(&"IA-2026-1".parse()?).unwrap().scope, "Backup and restore, data centre 1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::decide::{Decision, Emitter, MAX_TEXT_CHARS, check_backdating, check_text};
use crate::error::{DecisionError, IdError};
use crate::event::{Event, EventPayload, StreamId};
use crate::ids::ActorId;

/// The longest audit id, in characters.
pub const MAX_AUDIT_ID_CHARS: usize = 40;

/// An audit's or review's identifier, as the organisation names it
/// (`IA-2026-1`, `MR-2026-Q2`): 1 to 40 ASCII letters, digits, `-`, `_`,
/// `.` and `/`, starting with a letter or digit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
// Serialised by borrowing the text (not `into = "String"`, which clones it
// for every event written).
#[serde(try_from = "String")]
pub struct AuditId(String);

impl JsonSchema for AuditId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AuditId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$",
            "examples": ["IA-2026-1"],
            "description": "An audit's or review's id: 1 to 40 ASCII letters, digits, '-', '_', '.' or '/', starting with a letter or digit."
        })
    }
}

impl AuditId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for AuditId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() <= MAX_AUDIT_ID_CHARS
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::BadAuditId {
                value: s.to_owned(),
            })
        }
    }
}

impl TryFrom<String> for AuditId {
    type Error = IdError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Serialize for AuditId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl From<AuditId> for String {
    fn from(id: AuditId) -> Self {
        id.0
    }
}

impl fmt::Display for AuditId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of audit or review it was.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    /// An internal audit (9.2).
    InternalAudit,
    /// An external audit (certification, surveillance, customer, authority).
    ExternalAudit,
    /// A management review (9.3).
    ManagementReview,
    /// Any other assessment.
    Other,
}

/// Record an audit or management review, so that findings can name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordAudit {
    /// Its identifier, unique in the register.
    pub id: AuditId,
    /// Its kind.
    pub kind: AuditKind,
    /// What it covered.
    pub scope: String,
    /// When it took place (its first day).
    #[serde(serialize_with = "crate::json_time::date")]
    pub date: NaiveDate,
    /// Who led it.
    pub lead: ActorId,
}

impl RecordAudit {
    /// An audit record with these fields.
    pub fn new(
        id: AuditId,
        kind: AuditKind,
        scope: impl Into<String>,
        date: NaiveDate,
        lead: ActorId,
    ) -> Self {
        Self {
            id,
            kind,
            scope: scope.into(),
            date,
            lead,
        }
    }
}

/// An audit as the register holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Audit {
    /// Its identifier.
    pub id: AuditId,
    /// Its kind.
    pub kind: AuditKind,
    /// What it covered.
    pub scope: String,
    /// When it took place.
    #[serde(serialize_with = "crate::json_time::date")]
    pub date: NaiveDate,
    /// Who led it.
    pub lead: ActorId,
    /// When it was recorded (the event's effective time).
    #[serde(serialize_with = "crate::json_time::utc")]
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: ActorId,
}

/// The audits a register holds, folded from its audit stream.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditBook {
    audits: Vec<Audit>,
    version: u64,
}

impl AuditBook {
    /// No audit recorded.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds the audit events among `events`.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut book = Self::new();
        events.into_iter().for_each(|e| book.apply(e));
        book
    }

    /// Applies one event; an event of another stream or type changes
    /// nothing, and so does a second record of an id already held.
    pub fn apply(&mut self, event: &Event) {
        if event.stream == StreamId::Audits {
            self.apply_owned(event.clone());
        }
    }

    /// [`AuditBook::apply`] for an owned event.
    pub fn apply_owned(&mut self, event: Event) {
        if event.stream != StreamId::Audits {
            return;
        }
        self.version = self.version.max(event.sequence);
        if let EventPayload::AuditRecorded {
            id,
            kind,
            scope,
            date,
            lead,
        } = event.payload
            && self.audit(&id).is_none()
        {
            self.audits.push(Audit {
                id,
                kind,
                scope,
                date,
                lead,
                recorded_at: event.at,
                recorded_by: event.actor,
            });
        }
    }

    /// The audit with this id.
    pub fn audit(&self, id: &AuditId) -> Option<&Audit> {
        self.audits.iter().find(|a| a.id == *id)
    }

    /// Every audit, in the order recorded.
    pub fn audits(&self) -> &[Audit] {
        &self.audits
    }

    /// The audit stream's version: the number of its events.
    pub fn version(&self) -> u64 {
        self.version
    }
}

/// Decides the record of an audit on the register's audits: a new id, a
/// scope in words, a lead. The time rules of every decision apply
/// (back-dating under the policy).
///
/// # Errors
/// `audit_exists` for an id already recorded; `empty_field`, `bad_text`
/// for the scope; `backdated` under a refusing policy.
pub fn decide_audit(
    book: &AuditBook,
    record: &RecordAudit,
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let backdated = check_backdating(ctx)?;
    if book.audit(&record.id).is_some() {
        return Err(DecisionError::AuditExists {
            audit: record.id.clone(),
        });
    }
    check_text("scope", &record.scope, MAX_TEXT_CHARS)?;
    let mut em = Emitter::new(ctx, StreamId::Audits, book.version());
    em.emit(EventPayload::AuditRecorded {
        id: record.id.clone(),
        kind: record.kind,
        scope: record.scope.clone(),
        date: record.date,
        lead: record.lead.clone(),
    });
    em.warnings.extend(backdated);
    Ok(em.finish())
}
