//! Extension fields: the embedding product's own data on an item (a ticket
//! id, a business unit, a customer), kept with the item and its evidence.
//!
//! - They are a map from a name (1 to 64 characters, no control
//!   characters) to any JSON value ([`crate::Extensions`]), given when an
//!   item is created ([`crate::ReportNonconformity::extension`],
//!   [`crate::ProposeImprovement::extension`]) and changed afterwards with
//!   [`crate::Command::ChangeNonconformityExtensions`] and
//!   [`crate::Command::ChangeImprovementExtensions`] (names to remove, then
//!   fields to set), while the item is open. Each change is an event
//!   (`extensions_changed.v1`) with its time and actor, like every other.
//! - The core never reads the values: a rule of the product about them
//!   belongs in the product (its property tests check it with
//!   `testkit::machine::Product::check`).
//! - In the JSON Schema bundle every extensions map is a reference to one
//!   definition, `#/$defs/Extensions` (any object by default). A product
//!   gives its own schema for the map to
//!   `isms_schema::bundle_with_extensions`, and every document of the bundle
//!   then validates the product's fields.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::*;
//!
//! let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let policy = Policy::default();
//! let ctx = Context::new(now, Actor::named("alice")?, &policy);
//! let nc = NonconformityId::v7(now, 1);
//! let mut register = Register::new();
//! let report = ReportNonconformity::new(nc, "Restore never tested", "No restore test.",
//!     Source::InternalAudit, Severity::Minor, ActorId::new("ops")?, now)
//!     .extension("ticket", "SEC-41");
//! register.execute(&report.into(), &ctx)?;
//!
//! let change = Command::change_extensions(nc).set("ticket", "SEC-42").set("unit", "IT");
//! register.execute(&change, &ctx)?;
//! let fields = &register.nonconformity(nc).unwrap().extensions;
//! assert_eq!(fields["ticket"], "SEC-42");
//! assert_eq!(fields["unit"], "IT");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::command::Command;
use crate::ids::{ImprovementId, NonconformityId};
use crate::model::Extensions;

/// The longest extension field name, in characters.
pub const MAX_EXTENSION_NAME_CHARS: usize = 64;

/// The schema of every extensions map: a reference to the bundle's one
/// `Extensions` definition, which a product can replace.
pub(crate) fn schema(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<ExtensionFields>()
}

/// Names the `Extensions` definition in generated schemas.
struct ExtensionFields;

impl JsonSchema for ExtensionFields {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Extensions".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({
            "type": "object",
            "propertyNames": { "minLength": 1, "maxLength": MAX_EXTENSION_NAME_CHARS },
            "additionalProperties": true,
            "description": "The embedding product's own fields: any JSON value by name. A product replaces this definition with its own schema (isms_schema::bundle_with_extensions)."
        })
    }
}

impl Command {
    /// Change a nonconformity's extension fields: chain
    /// [`Command::set`] and [`Command::remove`].
    pub fn change_extensions(nonconformity: NonconformityId) -> Self {
        Command::ChangeNonconformityExtensions {
            nonconformity,
            set: Extensions::new(),
            remove: Vec::new(),
        }
    }

    /// Change an improvement's extension fields.
    pub fn change_improvement_extensions(improvement: ImprovementId) -> Self {
        Command::ChangeImprovementExtensions {
            improvement,
            set: Extensions::new(),
            remove: Vec::new(),
        }
    }

    /// Sets a field (change extensions).
    #[must_use]
    pub fn set(mut self, name: impl Into<String>, value: impl Into<serde_json::Value>) -> Self {
        if let Command::ChangeNonconformityExtensions { set, .. }
        | Command::ChangeImprovementExtensions { set, .. } = &mut self
        {
            set.insert(name.into(), value.into());
        }
        self
    }

    /// Removes a field (change extensions).
    #[must_use]
    pub fn remove(mut self, name: impl Into<String>) -> Self {
        if let Command::ChangeNonconformityExtensions { remove, .. }
        | Command::ChangeImprovementExtensions { remove, .. } = &mut self
        {
            remove.push(name.into());
        }
        self
    }
}

/// Applies a change: `removed` first, then `set`.
pub(crate) fn apply_change(fields: &mut Extensions, set: Extensions, removed: &[String]) {
    for name in removed {
        fields.remove(name);
    }
    fields.extend(set);
}
