//! Validating JSON documents against the bundle with the `jsonschema` crate
//! (draft 2020-12, format validation on, no network: every `$ref` is local).

use std::fmt;

use serde_json::{Value, json};

use crate::bundle::{Direction, DocumentKind};
use crate::error::ValidationError;

/// One way in which a document breaks its schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer to the offending value in the document (`/nonconformities/0/severity`).
    pub instance_path: String,
    /// JSON Pointer to the schema keyword that failed.
    pub schema_path: String,
    /// What is wrong, in the validator's words.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.instance_path.is_empty() {
            "/"
        } else {
            &self.instance_path
        };
        write!(f, "at {at}: {}", self.message)
    }
}

/// A compiled schema of the bundle, ready to validate documents.
pub struct DocumentValidator {
    id: String,
    inner: jsonschema::Validator,
}

impl fmt::Debug for DocumentValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentValidator")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl DocumentValidator {
    /// Compiles the schema of `kind` for `direction`.
    ///
    /// # Errors
    /// [`ValidationError::Schema`] if the schema does not compile (a defect of this crate).
    pub fn new(kind: DocumentKind, direction: Direction) -> Result<Self, ValidationError> {
        Self::from_schema(&kind.schema(direction))
    }

    /// Compiles any draft 2020-12 schema whose `$ref`s are all local, with format
    /// validation on.
    ///
    /// # Errors
    /// [`ValidationError::Schema`] if the schema does not compile.
    pub fn from_schema(schema: &Value) -> Result<Self, ValidationError> {
        let id = schema
            .get("$id")
            .and_then(Value::as_str)
            .unwrap_or("(schema without $id)")
            .to_owned();
        let inner = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .should_ignore_unknown_formats(false)
            .build(schema)
            .map_err(|e| ValidationError::Schema {
                schema: id.clone(),
                message: e.to_string(),
            })?;
        Ok(Self { id, inner })
    }

    /// The `$id` of the schema.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Checks a document, reporting every violation with its path.
    ///
    /// # Errors
    /// [`ValidationError::Invalid`] listing the violations.
    pub fn validate(&self, document: &Value) -> Result<(), ValidationError> {
        let mut violations = Vec::new();
        for e in self.inner.iter_errors(document) {
            collect(&e, &mut violations);
        }
        if violations.is_empty() {
            Ok(())
        } else {
            Err(ValidationError::Invalid {
                schema: self.id.clone(),
                violations,
            })
        }
    }
}

fn violation(e: &jsonschema::ValidationError<'_>) -> Violation {
    Violation {
        instance_path: e.instance_path().to_string(),
        schema_path: e.schema_path().to_string(),
        message: e.to_string(),
    }
}

/// Records `e` and, for a failed `oneOf`/`anyOf` (a tagged union such as a command or an
/// event payload), the errors of the branches whose tag matched, so that a violation
/// names the offending field (`/events/3/payload/due`) and not only the union. When no
/// branch's tag matched, the tag itself is reported as the offending field.
fn collect(e: &jsonschema::ValidationError<'_>, out: &mut Vec<Violation>) {
    out.push(violation(e));
    let context = match e.kind() {
        jsonschema::error::ValidationErrorKind::OneOfNotValid { context }
        | jsonschema::error::ValidationErrorKind::AnyOf { context } => context,
        _ => return,
    };
    let is_const = |x: &jsonschema::ValidationError<'_>| {
        matches!(
            x.kind(),
            jsonschema::error::ValidationErrorKind::Constant { .. }
        )
    };
    let matching: Vec<&Vec<jsonschema::ValidationError<'static>>> = context
        .iter()
        .filter(|branch| !branch.iter().any(is_const))
        .collect();
    if matching.is_empty() {
        // Every branch refused a constant: an unknown tag. Name the tag's path and the
        // values it may take.
        let mut expected = Vec::new();
        let mut at = None;
        for x in context.iter().flatten().filter(|x| is_const(x)) {
            at.get_or_insert_with(|| x.instance_path().to_string());
            if let jsonschema::error::ValidationErrorKind::Constant { expected_value } = x.kind() {
                expected.push(expected_value.to_string());
            }
        }
        if let Some(at) = at {
            out.push(Violation {
                instance_path: at,
                schema_path: e.schema_path().to_string(),
                message: format!("not one of the known values {}", expected.join(", ")),
            });
        }
        return;
    }
    for branch in matching {
        for x in branch {
            collect(x, out);
        }
    }
}

/// Checks a document of `kind` as the library reads it (the input schema).
///
/// # Errors
/// [`ValidationError::Invalid`] listing the violations with their paths.
pub fn validate_document(kind: DocumentKind, document: &Value) -> Result<(), ValidationError> {
    DocumentValidator::new(kind, Direction::Input)?.validate(document)
}

/// Checks a schema against the draft 2020-12 metaschema, with format validation on (so a
/// `pattern` must be a valid regular expression and `format` values are checked).
///
/// # Errors
/// [`ValidationError::Invalid`] listing the violations, with paths into the schema.
pub fn check_metaschema(schema: &Value) -> Result<(), ValidationError> {
    let meta = DocumentValidator::from_schema(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:isms-improvement:metaschema-check",
        "$ref": "https://json-schema.org/draft/2020-12/schema"
    }))?;
    meta.validate(schema)?;
    jsonschema::meta::validate(schema).map_err(|e| ValidationError::Invalid {
        schema: "https://json-schema.org/draft/2020-12/schema".into(),
        violations: vec![Violation {
            instance_path: e.instance_path().to_string(),
            schema_path: e.schema_path().to_string(),
            message: e.to_string(),
        }],
    })
}
