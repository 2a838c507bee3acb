//! The committed bundle is current, and every schema is a valid draft 2020-12 schema.

use isms_schema::{
    DocumentKind, FileRole, ID_PREFIX, SCHEMA_MAJOR, SCHEMA_VERSION, bundle, check_metaschema,
    compat::parse_version, drift, write_bundle,
};
use serde_json::{Value, json};

const REGENERATE: &str = "UPDATE_SCHEMAS=1 cargo test -p isms-schema --test main committed_bundle";

#[test]
fn committed_bundle_is_current() {
    let dir = crate::schemas_dir();
    if std::env::var_os("UPDATE_SCHEMAS").is_some() {
        write_bundle(&dir).unwrap();
    }
    let drift = drift(&dir).unwrap();
    assert!(
        drift.is_empty(),
        "docs/schemas/ is not the generated bundle:\n  {}\nregenerate with: {REGENERATE}",
        drift
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

#[test]
fn drift_reports_changed_missing_and_stale_files() {
    let dir = std::env::temp_dir().join(format!("isms-schema-drift-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_bundle(&dir).unwrap();
    assert!(drift(&dir).unwrap().is_empty());
    std::fs::write(dir.join("event.json"), "{}").unwrap();
    std::fs::remove_file(dir.join("policy.json")).unwrap();
    std::fs::write(dir.join("old.json"), "{}").unwrap();
    let found: Vec<String> = drift(&dir)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        found,
        [
            "event.json differs from the generated schema",
            "policy.json is missing",
            "old.json is not generated any more"
        ]
    );
}

#[test]
fn every_schema_is_valid_against_the_2020_12_metaschema() {
    for file in bundle() {
        if file.role == FileRole::Index {
            continue;
        }
        if let Err(e) = check_metaschema(&file.json) {
            panic!("{}: {e}", file.file_name);
        }
    }
}

#[test]
fn the_metaschema_check_can_fail() {
    assert!(check_metaschema(&json!({"type": "strng"})).is_err());
    // Format validation is on: a pattern must be a regular expression.
    let err = check_metaschema(&json!({"type": "string", "pattern": "(unclosed"})).unwrap_err();
    assert!(err.to_string().contains("/pattern"), "{err}");
}

fn walk<'a>(v: &'a Value, path: String, out: &mut Vec<(String, &'a Value)>) {
    out.push((path.clone(), v));
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| walk(x, format!("{path}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| walk(x, format!("{path}/{i}"), out)),
        _ => {}
    }
}

#[test]
fn schemas_carry_ids_titles_and_only_local_refs() {
    let files = bundle();
    let mut ids = std::collections::HashSet::new();
    for file in files.iter().filter(|f| f.role != FileRole::Index) {
        let root = &file.json;
        assert_eq!(
            root["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        let id = root["$id"].as_str().unwrap();
        assert!(
            id.starts_with(ID_PREFIX) && id.ends_with(&format!(":{SCHEMA_MAJOR}")),
            "{id}"
        );
        assert!(ids.insert(id.to_owned()), "duplicate $id {id}");
        assert!(root["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(
            root["description"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            file.file_name
        );
        let mut nodes = Vec::new();
        walk(root, String::new(), &mut nodes);
        for (path, node) in nodes {
            if let Some(r) = node.get("$ref").and_then(Value::as_str) {
                assert!(
                    r.starts_with("#/$defs/"),
                    "{}{path}: non-local $ref {r}",
                    file.file_name
                );
                assert!(
                    root.pointer(&r[1..]).is_some(),
                    "{}{path}: dangling {r}",
                    file.file_name
                );
            }
            if let Some(f) = node.get("format").and_then(Value::as_str) {
                assert!(
                    ["date", "date-time", "uuid"].contains(&f),
                    "{}{path}: non-standard format {f}",
                    file.file_name
                );
            }
        }
    }
}

#[test]
fn dates_times_uuids_references_and_vocabularies_are_typed() {
    let schema = DocumentKind::Register.schema(isms_schema::Direction::Input);
    let defs = &schema["$defs"];
    assert_eq!(defs["NonconformityId"]["format"], "uuid");
    assert_eq!(
        defs["Nonconformity"]["properties"]["detected_at"]["format"],
        "date-time"
    );
    assert_eq!(defs["Reschedule"]["properties"]["from"]["format"], "date");
    assert_eq!(
        defs["RequirementRef"]["pattern"],
        isms_core::REQUIREMENT_REF_PATTERN
    );
    assert!(defs["NcRef"]["pattern"].is_string());
    assert_eq!(defs["Severity"]["enum"], json!(["major", "minor"]));
    assert_eq!(
        defs["NcState"]["enum"].as_array().unwrap().len(),
        isms_core::NcState::ALL.len()
    );
    assert_eq!(defs["Nonconformity"]["additionalProperties"], false);
    // Catalogue documents accept unknown fields, and their schemas say so.
    let fw = DocumentKind::Framework.schema(isms_schema::Direction::Input);
    assert!(fw.get("additionalProperties").is_none());
    assert!(fw["$defs"]["ItemId"]["pattern"].is_string());
}

#[test]
fn output_schemas_require_what_is_always_written() {
    let input = DocumentKind::Policy.schema(isms_schema::Direction::Input);
    let output = DocumentKind::Policy.schema(isms_schema::Direction::Output);
    assert!(
        input.get("required").is_none(),
        "every policy field has a default"
    );
    assert_eq!(output["required"].as_array().unwrap().len(), 5);
    let names: Vec<String> = bundle().into_iter().map(|f| f.file_name).collect();
    assert!(names.contains(&"policy.output.json".to_owned()));
    // A crosswalk reads and writes the same shape, so it has one file.
    assert!(names.contains(&"crosswalk.json".to_owned()));
    assert!(!names.contains(&"crosswalk.output.json".to_owned()));
}

#[test]
fn version_constants_agree() {
    let (major, _, _) = parse_version(SCHEMA_VERSION).unwrap();
    assert_eq!(major, SCHEMA_MAJOR);
    let register = DocumentKind::Register.schema(isms_schema::Direction::Input);
    let pattern = register["properties"]["schema_version"]["pattern"]
        .as_str()
        .unwrap();
    assert!(
        pattern.starts_with(&format!("^{SCHEMA_MAJOR}\\.")),
        "{pattern}"
    );
    let index = bundle()
        .into_iter()
        .find(|f| f.role == FileRole::Index)
        .unwrap();
    assert_eq!(index.json["schema_version"], SCHEMA_VERSION);
}
