//! Importing a register document: the events are the record of truth.

use isms_schema::{DocumentError, RegisterDocument};

use crate::samples;

fn document() -> RegisterDocument {
    samples::register_document(samples::workload_events(2))
}

#[test]
fn import_rebuilds_the_same_register() {
    let doc = document();
    let register = doc.to_register().unwrap();
    assert_eq!(register.nonconformities(), &doc.nonconformities[..]);
    // Every transition's time is in the document.
    let nc = &doc.nonconformities[0];
    assert_eq!(nc.history.first().unwrap().at, nc.reported_at);
    assert!(nc.history.len() >= 5);
}

#[test]
fn state_that_disagrees_with_the_events_is_refused() {
    let mut doc = document();
    doc.nonconformities[1].title = "edited".into();
    let err = doc.to_register().unwrap_err();
    assert!(
        matches!(&err, DocumentError::NonconformityMismatch { index: 1, field, .. } if field == "title"),
        "{err}"
    );
    assert!(err.to_string().contains("NC-0002"), "{err}");
    let mut doc = document();
    doc.nonconformities.pop();
    assert!(matches!(
        doc.to_register().unwrap_err(),
        DocumentError::CountMismatch {
            what: "nonconformities",
            included: 1,
            rebuilt: 2
        }
    ));
}

#[test]
fn broken_logs_are_refused() {
    let events = samples::workload_events(1);
    let mut gap = events.clone();
    gap.remove(3);
    let err = RegisterDocument::from_events(gap).unwrap_err();
    assert!(
        matches!(
            err,
            DocumentError::SequenceGap {
                index: 3,
                expected: 4,
                found: 5,
                ..
            }
        ),
        "{err}"
    );
    let mut dup = events.clone();
    dup[2].id = dup[1].id;
    assert!(matches!(
        RegisterDocument::from_events(dup).unwrap_err(),
        DocumentError::DuplicateEventId {
            index: 2,
            first: 1,
            ..
        }
    ));
}

#[test]
fn other_major_versions_are_refused() {
    let mut doc = document();
    doc.schema_version = "2.0.0".into();
    assert!(matches!(
        doc.to_register().unwrap_err(),
        DocumentError::UnsupportedVersion {
            supported_major: 1,
            ..
        }
    ));
    doc.schema_version = "1.x".into();
    assert!(matches!(
        doc.to_register().unwrap_err(),
        DocumentError::MalformedVersion { .. }
    ));
    doc.schema_version = "1.7.0".into();
    assert!(
        doc.to_register().is_ok(),
        "a later minor of the same major is read"
    );
}

#[test]
fn malformed_json_is_a_typed_error() {
    assert!(matches!(
        RegisterDocument::import_json("{\"schema_version\": 1}").unwrap_err(),
        DocumentError::Json(_)
    ));
}
