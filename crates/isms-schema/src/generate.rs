//! The bundle's schema generation, for a product's own types: the same
//! draft, the same input/output contracts and the same portability
//! rewrites, so that a product's API schemas look like the bundle's and
//! validate alike everywhere.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::bundle::Direction;

/// The JSON Schema (draft 2020-12) of `T` for one direction, generated and
/// cleaned up as the bundle's own schemas are: schemars' deserialize
/// contract for [`Direction::Input`] and serialize contract for
/// [`Direction::Output`], documented unit enums as `enum`, no
/// non-standard `format`s (`uint32` becomes `minimum`/`maximum`), every
/// `$ref` local. Give it an `$id` of your own if you publish it.
///
/// ```
/// use isms_schema::{Direction, schema_for};
///
/// /// A product's API request.
/// #[derive(schemars::JsonSchema, serde::Deserialize)]
/// struct CreateTicket {
///     /// How many days until it is due.
///     days: u32,
///     /// The finding's severity, as the core spells it.
///     severity: isms_core::Severity,
/// }
///
/// let schema = schema_for::<CreateTicket>(Direction::Input);
/// assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
/// let days = &schema["properties"]["days"];
/// assert!(days.get("format").is_none(), "no uint32 format");
/// assert_eq!(days["maximum"], u32::MAX);
/// ```
pub fn schema_for<T: JsonSchema>(direction: Direction) -> Value {
    let settings = match direction {
        Direction::Input => SchemaSettings::draft2020_12().for_deserialize(),
        Direction::Output => SchemaSettings::draft2020_12().for_serialize(),
    };
    let mut value = settings
        .into_generator()
        .into_root_schema_for::<T>()
        .to_value();
    make_portable(&mut value);
    if let Some(root) = value.as_object_mut() {
        root.insert(
            "$schema".into(),
            json!("https://json-schema.org/draft/2020-12/schema"),
        );
    }
    value
}

/// Applies the bundle's portability rewrites to a schema made elsewhere
/// (by hand or by another schemars generator): documented unit enums
/// (`oneOf` of string constants) become one `enum`, and schemars' integer
/// formats become bounds. Idempotent.
pub fn make_portable(schema: &mut Value) {
    crate::transform::portable(schema);
}

/// The bundle with the product's own schema for extension fields: every
/// file's `#/$defs/Extensions` (each extensions map of every document
/// refers to it) becomes `extensions`, so a validator built from these
/// files checks the product's fields too. `extensions` must be
/// self-contained (no `$ref` outside itself). The `$id`s stay the
/// bundle's: publish the result under your own names if it leaves your
/// service.
///
/// ```
/// use serde_json::json;
///
/// let ticket = json!({
///     "type": "object",
///     "properties": { "ticket": { "type": "string", "pattern": "^SEC-[0-9]+$" } },
///     "required": ["ticket"],
/// });
/// let files = isms_schema::bundle_with_extensions(&ticket);
/// let nc = files.iter().find(|f| f.file_name == "nonconformity.json").unwrap();
/// assert_eq!(nc.json["$defs"]["Extensions"], ticket);
/// ```
pub fn bundle_with_extensions(extensions: &Value) -> Vec<crate::SchemaFile> {
    let mut files = crate::bundle();
    for file in &mut files {
        if let Some(def) = file
            .json
            .get_mut("$defs")
            .and_then(|d| d.get_mut("Extensions"))
        {
            *def = extensions.clone();
        }
    }
    files
}
