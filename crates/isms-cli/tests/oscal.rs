//! OSCAL through the binary: the POA&M round trip, the catalogue exports,
//! and an invalid POA&M refused whole.

use crate::support::{Scratch, command};

/// A register of `count` generated nonconformities plus the scenarios.
fn demo(s: &Scratch, count: &str) {
    let out = command(s.dir())
        .args(["--db", s.db().to_str().unwrap(), "demo", "--count", count])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn poam(s: &Scratch) -> std::path::PathBuf {
    let file = s.path("poam.json");
    s.isms(&[
        "export",
        "--format",
        "oscal-poam",
        "--out",
        file.to_str().unwrap(),
    ])
    .ok();
    file
}

#[test]
fn a_poam_export_imports_into_an_empty_register_with_the_same_nonconformities() {
    let s = Scratch::new("oscal-roundtrip");
    demo(&s, "15");
    let file = poam(&s);
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(doc["plan-of-action-and-milestones"]["poam-items"].is_array());

    let copy = Scratch::new("oscal-roundtrip-copy");
    let out = copy.isms(&["import", file.to_str().unwrap()]).ok();
    assert!(out.contains("imported 18 nonconformities"), "{out}");
    copy.isms(&["verify"]).ok();
    assert_eq!(
        s.isms(&["nc", "list", "--json"]).json(),
        copy.isms(&["nc", "list", "--json"]).json()
    );
}

#[test]
fn what_a_poam_import_skips_is_reported_by_json_path() {
    let s = Scratch::new("oscal-skipped");
    demo(&s, "3");
    let file = poam(&s);
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    doc["plan-of-action-and-milestones"]["poam-items"][0]["x-extra"] = 1.into();
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();

    let copy = Scratch::new("oscal-skipped-copy");
    let run = copy.isms(&["import", file.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let err = run.stderr;
    assert!(
        err.contains("$.plan-of-action-and-milestones.poam-items[0].x-extra"),
        "{err}"
    );
}

#[test]
fn an_invalid_poam_is_refused_and_nothing_is_written() {
    let s = Scratch::new("oscal-bad");
    demo(&s, "3");
    let file = poam(&s);
    let mut doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    doc["plan-of-action-and-milestones"]["poam-items"] = "none".into();
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();

    let target = Scratch::new("oscal-bad-target");
    let err = target.isms(&["import", file.to_str().unwrap()]).fails(7);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("poam-items"), "{err}");
    assert!(!target.db().exists());
}

#[test]
fn the_catalogue_exports_as_an_oscal_mapping_collection_and_catalog() {
    let s = Scratch::new("oscal-catalog");
    let file = s.path("mapping.json");
    s.isms(&[
        "catalog",
        "export",
        "--format",
        "oscal-mapping",
        "--out",
        file.to_str().unwrap(),
    ])
    .ok();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert!(doc["mapping-collection"]["mappings"].is_array(), "{doc}");

    let doc = s
        .isms(&[
            "catalog",
            "export",
            "--format",
            "oscal-catalog",
            "--framework",
            "nis2",
        ])
        .json();
    assert!(doc["catalog"].is_object());

    let err = s
        .isms(&["catalog", "export", "--format", "oscal-catalog"])
        .fails(2);
    assert!(err.contains("--framework"), "{err}");
}
