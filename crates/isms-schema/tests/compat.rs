//! The compatibility check: the diff finds each kind of breaking change, the release
//! rule is enforced, and the current bundle is compatible with the last release.

use std::collections::BTreeMap;
use std::path::Path;

use isms_schema::compat::{
    BreakingKind, CompatError, check_release, compare_bundles, compare_schemas, parse_version,
};
use isms_schema::{FileRole, SCHEMA_VERSION, bundle};
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string", "maxLength": 100},
            "note": {"type": ["string", "null"]},
            "count": {"type": "integer", "minimum": 0},
            "severity": {"$ref": "#/$defs/Severity"},
            "payload": {"oneOf": [
                {"type": "object", "properties": {"type": {"const": "a.v1"}}},
                {"type": "object", "properties": {"type": {"const": "b.v1"}}}
            ]}
        },
        "required": ["id"],
        "$defs": {"Severity": {"type": "string", "enum": ["major", "minor"]}}
    })
}

fn kinds(new: &Value) -> Vec<BreakingKind> {
    compare_schemas("t.json", &base(), new)
        .into_iter()
        .map(|c| c.kind)
        .collect()
}

fn changed(f: impl FnOnce(&mut Value)) -> Value {
    let mut v = base();
    f(&mut v);
    v
}

#[test]
fn identical_and_widened_schemas_are_compatible() {
    assert!(kinds(&base()).is_empty());
    let widened = changed(|v| {
        v["properties"]["extra"] = json!({"type": "string"});
        v["$defs"]["Severity"]["enum"] = json!(["major", "minor", "observation"]);
        v["properties"]["name"]["maxLength"] = json!(200);
        v["properties"]["count"]["type"] = json!("number");
        v["properties"]["payload"]["oneOf"]
            .as_array_mut()
            .unwrap()
            .push(json!({"type": "object", "properties": {"type": {"const": "c.v1"}}}));
        // A renamed definition is not a change.
        let sev = v["$defs"]
            .as_object_mut()
            .unwrap()
            .remove("Severity")
            .unwrap();
        v["$defs"]["Gravity"] = sev;
        v["properties"]["severity"]["$ref"] = json!("#/$defs/Gravity");
    });
    assert_eq!(kinds(&widened), vec![]);
}

#[test]
fn removed_property() {
    let new = changed(|v| {
        v["properties"].as_object_mut().unwrap().remove("note");
    });
    assert_eq!(
        kinds(&new),
        vec![BreakingKind::RemovedProperty("note".into())]
    );
}

#[test]
fn newly_required_property() {
    let new = changed(|v| v["required"] = json!(["id", "name"]));
    assert_eq!(
        kinds(&new),
        vec![BreakingKind::NewlyRequired("name".into())]
    );
}

#[test]
fn removed_enum_value_behind_a_ref() {
    let new = changed(|v| v["$defs"]["Severity"]["enum"] = json!(["major"]));
    let changes = compare_schemas("t.json", &base(), &new);
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].kind,
        BreakingKind::RemovedEnumValue(json!("minor"))
    );
    assert_eq!(changes[0].key(), "t.json#/properties/severity");
}

#[test]
fn removed_variant() {
    let new = changed(|v| {
        v["properties"]["payload"]["oneOf"]
            .as_array_mut()
            .unwrap()
            .remove(0);
    });
    assert_eq!(
        kinds(&new),
        vec![BreakingKind::RemovedVariant("type=\"a.v1\"".into())]
    );
}

#[test]
fn changed_type() {
    let new = changed(|v| v["properties"]["note"]["type"] = json!("string"));
    assert!(matches!(
        &kinds(&new)[..],
        [BreakingKind::ChangedType { .. }]
    ));
}

#[test]
fn tightened_pattern_and_format() {
    let new = changed(|v| v["properties"]["name"]["pattern"] = json!("^[a-z]+$"));
    assert!(matches!(
        &kinds(&new)[..],
        [BreakingKind::TightenedPattern { from: None, .. }]
    ));
    let new = changed(|v| v["properties"]["id"]["format"] = json!("uri"));
    assert!(matches!(
        &kinds(&new)[..],
        [BreakingKind::TightenedFormat { .. }]
    ));
}

#[test]
fn tightened_bounds() {
    let new = changed(|v| {
        v["properties"]["name"]["maxLength"] = json!(50);
        v["properties"]["count"]["minimum"] = json!(1);
    });
    assert_eq!(kinds(&new).len(), 2);
    assert!(
        kinds(&new)
            .iter()
            .all(|k| matches!(k, BreakingKind::TightenedBound { .. }))
    );
}

#[test]
fn additional_properties_turned_false() {
    let new = changed(|v| v["additionalProperties"] = json!(false));
    assert_eq!(kinds(&new), vec![BreakingKind::AdditionalPropertiesClosed]);
}

#[test]
fn removed_schema_file() {
    let old = BTreeMap::from([("a.json".to_owned(), base()), ("b.json".to_owned(), base())]);
    let new = BTreeMap::from([("a.json".to_owned(), base())]);
    let changes = compare_bundles(&old, &new);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, BreakingKind::RemovedSchema);
}

fn one(v: Value) -> BTreeMap<String, Value> {
    BTreeMap::from([("t.json".to_owned(), v)])
}

#[test]
fn release_rule() {
    let old = one(base());
    let compatible = one(changed(|v| {
        v["properties"]["extra"] = json!({"type": "string"})
    }));
    let breaking = one(changed(|v| v["required"] = json!(["id", "name"])));
    let log = "# Changelog\n\n## 2.0.0\n\n- `t.json#` requires `name`.\n\n## 1.1.0\n\n- added `extra`\n\n## 1.0.0\n";

    assert_eq!(check_release("1.0.0", &old, "1.0.0", &old, ""), Ok(()));
    assert!(matches!(
        check_release("1.0.0", &old, "1.0.0", &compatible, log),
        Err(CompatError::ReleasedBundleChanged { .. })
    ));
    assert!(matches!(
        check_release("1.1.0", &old, "1.0.0", &old, log),
        Err(CompatError::VersionWentDown { .. })
    ));
    assert_eq!(
        check_release("1.0.0", &old, "1.1.0", &compatible, log),
        Ok(())
    );
    assert!(matches!(
        check_release("1.0.0", &old, "1.2.0", &compatible, log),
        Err(CompatError::MissingChangelogSection { .. })
    ));
    assert!(matches!(
        check_release("1.0.0", &old, "1.1.0", &breaking, log),
        Err(CompatError::BreakingWithoutMajor { .. })
    ));
    assert_eq!(
        check_release("1.0.0", &old, "2.0.0", &breaking, log),
        Ok(())
    );
    let unlisted = log.replace("`t.json#`", "t.json");
    assert!(matches!(
        check_release(
            "1.0.0",
            &old,
            "2.0.0",
            &breaking,
            &unlisted.replace("t.json#", "")
        ),
        Err(CompatError::UnlistedBreakingChanges { .. })
    ));
}

/// The released versions under `docs/schemas/released/`, lowest first.
fn released_versions(dir: &Path) -> Vec<String> {
    let released = dir.join("released");
    let mut versions: Vec<(u64, u64, u64, String)> = std::fs::read_dir(&released)
        .unwrap_or_else(|e| panic!("{}: {e}", released.display()))
        .filter_map(|e| {
            let name = e.ok()?.file_name().to_string_lossy().into_owned();
            let (a, b, c) = parse_version(&name).ok()?;
            Some((a, b, c, name))
        })
        .collect();
    versions.sort();
    versions.into_iter().map(|v| v.3).collect()
}

/// Reads `docs/schemas/released/<version>/` without its index.
fn read_release(dir: &Path, version: &str) -> BTreeMap<String, Value> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("released").join(version)).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let json = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            files.insert(name, json);
        }
    }
    files.remove("index.json");
    files
}

/// Reads `docs/schemas/released/<highest version>/`.
fn last_release(dir: &Path) -> (String, BTreeMap<String, Value>) {
    let version = released_versions(dir)
        .pop()
        .expect("at least one released bundle");
    let files = read_release(dir, &version);
    (version, files)
}

/// Each release keeps the rule against the one before it: a minor release
/// (1.3.0's evidence records, 1.2.0's effectiveness rules) changes nothing
/// a document of the previous one relies on, and breaking changes come
/// with a major version and their CHANGELOG lines.
#[test]
fn every_release_is_compatible_with_the_one_before() {
    let dir = crate::schemas_dir();
    let changelog = std::fs::read_to_string(dir.join("CHANGELOG.md")).unwrap();
    let versions = released_versions(&dir);
    assert!(versions.len() >= 2, "{versions:?}");
    for pair in versions.windows(2) {
        let (old, new) = (read_release(&dir, &pair[0]), read_release(&dir, &pair[1]));
        if let Err(e) = check_release(&pair[0], &old, &pair[1], &new, &changelog) {
            panic!("{} -> {}: {e}", pair[0], pair[1]);
        }
    }
}

#[test]
fn bundle_is_compatible_with_the_last_release() {
    let dir = crate::schemas_dir();
    let (version, released) = last_release(&dir);
    let current: BTreeMap<String, Value> = bundle()
        .into_iter()
        .filter(|f| f.role != FileRole::Index)
        .map(|f| (f.file_name, f.json))
        .collect();
    let changelog = std::fs::read_to_string(dir.join("CHANGELOG.md")).unwrap();
    if let Err(e) = check_release(&version, &released, SCHEMA_VERSION, &current, &changelog) {
        panic!("{e}");
    }
}
