//! The product's own fields and the schemas of its API, generated the way
//! the bundle's are.

use isms_schema::{Direction, SchemaFile, bundle_with_extensions, schema_for};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The extension fields every nonconformity of this product carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductFields {
    /// The ticket in the product's tracker, `SEC-` and a number.
    #[schemars(regex(pattern = r"^SEC-[0-9]+$"))]
    pub ticket: String,
    /// The business unit concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_unit: Option<String>,
}

/// The schema of [`ProductFields`], self-contained, for the bundle's
/// `Extensions` definition.
pub fn extension_schema() -> Value {
    let mut schema = schema_for::<ProductFields>(Direction::Input);
    if let Some(map) = schema.as_object_mut() {
        map.remove("$schema");
    }
    schema
}

/// The library's bundle with the product's extension fields in every
/// document.
pub fn bundle() -> Vec<SchemaFile> {
    bundle_with_extensions(&extension_schema())
}

/// The schemas of the product's API responses: an accepted command and a
/// problem.
pub fn api_schemas() -> Vec<(&'static str, Value)> {
    vec![
        (
            "accepted.json",
            schema_for::<crate::api::Accepted>(Direction::Output),
        ),
        (
            "problem.json",
            schema_for::<crate::api::Problem>(Direction::Output),
        ),
    ]
}
