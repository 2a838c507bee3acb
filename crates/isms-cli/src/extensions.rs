//! `nc extensions` / `improvement extensions`: from the options to the
//! core's change command, and the product's schema check of the result.
//!
//! The core records a change as removals then settings and checks the
//! names; what the values must look like is the product's business, so a
//! product that publishes a schema for its fields (the one it gives to
//! `isms_schema::bundle_with_extensions`) names it with `--schema`, and the
//! fields as they would be after the change must validate before anything
//! is recorded.

use std::collections::BTreeSet;
use std::path::Path;

use isms_core::Extensions;
use serde_json::Value;

use crate::cli::ExtensionChange;
use crate::error::CliError;

/// The most bytes `--from` and `--schema` files may have (1 MiB): a field
/// map or its schema is small, and a FIFO or device is never read further.
pub const MAX_EXTENSIONS_FILE_BYTES: u64 = 1 << 20;

/// The fields to set and the names to remove that `change` asks for on an
/// item whose fields are now `current`, checked against the product's
/// schema when one is given.
///
/// # Errors
/// A malformed `--set`/`--set-text`, a name given twice, or fields that do
/// not match the schema: exit 2. A `--from` or `--schema` file that is not
/// the JSON asked for: exit 7; missing: exit 4.
pub fn change(
    change: &ExtensionChange,
    current: &Extensions,
) -> Result<(Extensions, Vec<String>), CliError> {
    let mut set = Extensions::new();
    let mut remove = Vec::new();
    let mut named = BTreeSet::new();
    let mut once = |name: &str, option: &str| {
        if named.insert(name.to_owned()) {
            Ok(())
        } else {
            Err(CliError::Usage(format!(
                "{option}: the field {name:?} is named twice in this change; name each field once"
            )))
        }
    };
    if let Some(path) = &change.from {
        for (name, value) in from_file(path)? {
            once(&name, "--from")?;
            if value.is_null() {
                remove.push(name);
            } else {
                set.insert(name, value);
            }
        }
    }
    for text in &change.set {
        let (name, json) = split(
            "--set",
            text,
            "NAME=JSON, e.g. risk=3 or ticket='\"SEC-41\"'",
        )?;
        let value = serde_json::from_str(json).map_err(|e| {
            CliError::Usage(format!(
                "--set {text}: {json:?} is not JSON ({e}); for plain text use --set-text {name}={json}"
            ))
        })?;
        once(name, "--set")?;
        set.insert(name.to_owned(), value);
    }
    for text in &change.set_text {
        let (name, value) = split("--set-text", text, "NAME=TEXT, e.g. ticket=SEC-41")?;
        once(name, "--set-text")?;
        set.insert(name.to_owned(), Value::String(value.to_owned()));
    }
    for name in &change.unset {
        once(name, "--unset")?;
        remove.push(name.clone());
    }
    if let Some(path) = &change.schema {
        let mut after = current.clone();
        for name in &remove {
            after.remove(name);
        }
        after.extend(set.clone());
        check_schema(path, &after)?;
    }
    Ok((set, remove))
}

/// `NAME=VALUE` split at the first `=`.
fn split<'a>(option: &str, text: &'a str, form: &str) -> Result<(&'a str, &'a str), CliError> {
    text.split_once('=')
        .ok_or_else(|| CliError::Usage(format!("{option} {text:?}: write {form}")))
}

fn read(path: &Path) -> Result<Value, CliError> {
    let bytes = crate::commands::read_bounded_to(path, MAX_EXTENSIONS_FILE_BYTES)?;
    serde_json::from_slice(&bytes).map_err(|e| CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![format!("not JSON: {e}")],
    })
}

/// The changes of a `--from` file: a JSON object whose members are set,
/// a `null` member removed (a JSON Merge Patch, RFC 7396, on the top level).
fn from_file(path: &Path) -> Result<Extensions, CliError> {
    match read(path)? {
        Value::Object(map) => Ok(map.into_iter().collect()),
        other => Err(CliError::InvalidInput {
            file: path.to_owned(),
            problems: vec![format!(
                "at /: expected an object of fields (a null removes a field), found {}",
                kind(&other)
            )],
        }),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn check_schema(path: &Path, fields: &Extensions) -> Result<(), CliError> {
    let schema = read(path)?;
    let unusable = |e: isms_schema::ValidationError| CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![format!("not a usable JSON Schema (draft 2020-12): {e}")],
    };
    isms_schema::check_metaschema(&schema).map_err(unusable)?;
    let validator = isms_schema::DocumentValidator::from_schema(&schema).map_err(unusable)?;
    let document = serde_json::to_value(fields).map_err(|e| CliError::Other(e.to_string()))?;
    match validator.validate(&document) {
        Ok(()) => Ok(()),
        Err(isms_schema::ValidationError::Invalid { violations, .. }) => {
            let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
            Err(CliError::Usage(format!(
                "the extension fields after this change do not match the schema {}: {}; nothing was recorded",
                path.display(),
                list.join("; ")
            )))
        }
        Err(other) => Err(CliError::InvalidInput {
            file: path.to_owned(),
            problems: vec![other.to_string()],
        }),
    }
}
