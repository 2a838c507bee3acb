//! Hand-written invalid documents are rejected, each naming the offending field; serde
//! rejects them too, so schema and types agree.

use isms_schema::{DocumentKind, ValidationError, validate_document};
use serde_json::{Value, json};

use crate::samples;

fn valid_register() -> Value {
    serde_json::to_value(samples::register_document(samples::workload_events(1))).unwrap()
}

/// Validation fails with a violation at `path`, and serde refuses the document too.
#[track_caller]
fn rejected_at(kind: DocumentKind, doc: &Value, path: &str) {
    match validate_document(kind, doc) {
        Ok(()) => panic!("accepted a document that is invalid at {path}"),
        Err(ValidationError::Invalid { violations, .. }) => assert!(
            violations.iter().any(|v| v.instance_path == path),
            "expected a violation at {path}, got {violations:?}"
        ),
        Err(e) => panic!("{e}"),
    }
    let serde_refuses = match kind {
        DocumentKind::Register => {
            isms_schema::RegisterDocument::import_json(&doc.to_string()).is_err()
        }
        DocumentKind::Command => serde_json::from_value::<isms_core::Command>(doc.clone()).is_err(),
        DocumentKind::Event => serde_json::from_value::<isms_core::Event>(doc.clone()).is_err(),
        DocumentKind::Crosswalk => {
            serde_json::from_value::<isms_catalog::Crosswalk>(doc.clone()).is_err()
        }
        _ => true,
    };
    assert!(
        serde_refuses,
        "serde accepts what the schema rejects at {path}"
    );
}

fn mutate(f: impl FnOnce(&mut Value)) -> Value {
    let mut doc = valid_register();
    validate_document(DocumentKind::Register, &doc).unwrap();
    f(&mut doc);
    doc
}

#[test]
fn wrong_enum_value() {
    let doc = mutate(|d| d["nonconformities"][0]["severity"] = json!("critical"));
    rejected_at(DocumentKind::Register, &doc, "/nonconformities/0/severity");
    let doc = mutate(|d| d["nonconformities"][0]["state"] = json!("archived"));
    rejected_at(DocumentKind::Register, &doc, "/nonconformities/0/state");
}

#[test]
fn bad_dates_and_times() {
    let doc = mutate(|d| d["nonconformities"][0]["detected_at"] = json!("2026-02-30T10:00:00Z"));
    rejected_at(
        DocumentKind::Register,
        &doc,
        "/nonconformities/0/detected_at",
    );
    let doc = mutate(|d| d["events"][0]["at"] = json!("yesterday"));
    rejected_at(DocumentKind::Register, &doc, "/events/0/at");
    let doc = mutate(|d| d["nonconformities"][0]["actions"][0]["due"] = json!("2026-13-01"));
    rejected_at(
        DocumentKind::Register,
        &doc,
        "/nonconformities/0/actions/0/due",
    );
}

#[test]
fn bad_uuid() {
    let doc = mutate(|d| d["nonconformities"][0]["id"] = json!("not-a-uuid"));
    rejected_at(DocumentKind::Register, &doc, "/nonconformities/0/id");
}

#[test]
fn unknown_field() {
    let doc = mutate(|d| d["nonconformities"][0]["colour"] = json!("red"));
    rejected_at(DocumentKind::Register, &doc, "/nonconformities/0");
    let doc = mutate(|d| d["colour"] = json!("red"));
    rejected_at(DocumentKind::Register, &doc, "");
}

#[test]
fn missing_required_field() {
    let doc = mutate(|d| {
        d["nonconformities"][0]
            .as_object_mut()
            .unwrap()
            .remove("title");
    });
    rejected_at(DocumentKind::Register, &doc, "/nonconformities/0");
    let doc = mutate(|d| {
        d.as_object_mut().unwrap().remove("events");
    });
    rejected_at(DocumentKind::Register, &doc, "");
}

#[test]
fn bad_references() {
    let doc = mutate(|d| d["nonconformities"][0]["requirements"] = json!(["ISO 27001 A.8.13"]));
    rejected_at(
        DocumentKind::Register,
        &doc,
        "/nonconformities/0/requirements/0",
    );
    let doc = mutate(|d| d["nonconformities"][0]["reference"] = json!("NC-0000"));
    rejected_at(DocumentKind::Register, &doc, "/nonconformities/0/reference");
    let doc = mutate(|d| d["schema_version"] = json!("2.0.0"));
    rejected_at(DocumentKind::Register, &doc, "/schema_version");
}

#[test]
fn bad_event_payload_type() {
    let doc = mutate(|d| d["events"][1]["payload"]["type"] = json!("containment_recorded.v9"));
    rejected_at(DocumentKind::Register, &doc, "/events/1/payload/type");
    // Inside a known event type, the offending field itself is named.
    let doc = mutate(|d| d["events"][1]["payload"]["action_taken"] = json!(42));
    rejected_at(
        DocumentKind::Register,
        &doc,
        "/events/1/payload/action_taken",
    );
}

#[test]
fn bad_commands() {
    let start = json!({
        "command": "start_action",
        "nonconformity": "0190f5c2-7b1e-7c3a-9d4e-2f6a8b0c1d2e",
        "action": "0190f5c2-7b1e-7c3a-9d4e-2f6a8b0c1d2f"
    });
    validate_document(DocumentKind::Command, &start).unwrap();
    let mut bad = start.clone();
    bad["action"] = json!("A-1");
    rejected_at(DocumentKind::Command, &bad, "/action");
    let mut bad = start.clone();
    bad["command"] = json!("delete_action");
    rejected_at(DocumentKind::Command, &bad, "/command");
    let mut bad = start;
    bad["colour"] = json!("red");
    rejected_at(DocumentKind::Command, &bad, "");
}

#[test]
fn bad_crosswalk() {
    let good = json!({
        "id": "acme",
        "name": "Acme to ISO",
        "mappings": [{
            "source": "acme:1/P-1",
            "target": "iso27001:2022/A.8.13",
            "relationship": "subset_of",
            "rationale": "semantic",
            "strength": 7,
            "provenance": {"source": "Acme", "licence": "CC0-1.0", "inferred": false}
        }]
    });
    validate_document(DocumentKind::Crosswalk, &good).unwrap();
    let mut bad = good.clone();
    bad["mappings"][0]["target"] = json!("ISO 27001/A 8.13");
    rejected_at(DocumentKind::Crosswalk, &bad, "/mappings/0/target");
    let mut bad = good.clone();
    bad["mappings"][0]["strength"] = json!(11);
    rejected_at(DocumentKind::Crosswalk, &bad, "/mappings/0/strength");
    let mut bad = good;
    bad["mappings"][0]["relationship"] = json!("similar_to");
    rejected_at(DocumentKind::Crosswalk, &bad, "/mappings/0/relationship");
}
