//! `--json` outputs validate against the schemas they are documented to
//! follow (the committed bundle in `docs/schemas/`).

use std::path::PathBuf;

use serde_json::Value;

use crate::support::Scratch;

fn schema(name: &str) -> jsonschema::Validator {
    // What the tool writes is checked against the output contract where
    // the bundle has one, else against the schema both directions share.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas");
    let output = dir.join(format!("{name}.output.json"));
    let path = if output.exists() {
        output
    } else {
        dir.join(format!("{name}.json"))
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[track_caller]
fn valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn json_outputs_follow_their_schemas() {
    let s = Scratch::new("json");
    crate::scenarios::seed_register(&s);

    let kpi = s.isms(&["kpi", "--as-of", "2027-01-31", "--json"]).json();
    valid(&schema("kpi-report"), &kpi, "kpi --json");

    let nc = schema("nonconformity");
    let show = s.isms(&["nc", "show", "NC-0003", "--json"]).json();
    valid(&nc, &show, "nc show --json");
    let list = s.isms(&["nc", "list", "--json"]).json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    for item in list.as_array().unwrap() {
        valid(&nc, item, "nc list --json");
    }
    let with_history = s
        .isms(&["nc", "show", "NC-0003", "--history", "--json"])
        .json();
    valid(
        &nc,
        &with_history["nonconformity"],
        "nc show --history --json",
    );
    let event = schema("event");
    let events = with_history["events"].as_array().unwrap();
    assert!(events.len() > 20);
    for e in events {
        valid(&event, e, "nc show --history --json events");
    }

    let imp = schema("improvement");
    let list = s.isms(&["improvement", "list", "--json"]).json();
    for item in list.as_array().unwrap() {
        valid(&imp, item, "improvement list --json");
    }
    valid(
        &imp,
        &s.isms(&["improvement", "show", "IMP-0001", "--json"])
            .json(),
        "improvement show --json",
    );

    let export = s.isms(&["export", "--format", "json"]).json();
    valid(&schema("register"), &export, "export --format json");

    let framework = s.isms(&["catalog", "list", "nis2", "--json"]).json();
    valid(&schema("framework"), &framework, "catalog list --json");

    let mappings = s
        .isms(&[
            "catalog",
            "map",
            "iso27001:2022/A.8.13",
            "--to",
            "nis2",
            "--json",
        ])
        .json();
    let crosswalk = serde_json::json!({
        "id": "cli-output", "name": "cli output", "mappings": mappings,
    });
    assert!(!mappings.as_array().unwrap().is_empty());
    valid(&schema("crosswalk"), &crosswalk, "catalog map --json");
}
