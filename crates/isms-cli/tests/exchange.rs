//! Export, import (all or nothing, problems by JSON path), backup and restore.

use crate::support::{Scratch, db_bytes};

#[test]
fn an_export_imports_into_a_new_register_that_exports_the_same() {
    let s = Scratch::new("roundtrip");
    crate::scenarios::seed_register(&s);
    let file = s.path("register.json");
    s.isms(&[
        "export",
        "--format",
        "json",
        "--out",
        file.to_str().unwrap(),
    ])
    .ok();

    let copy = Scratch::new("roundtrip-copy");
    let out = copy.isms(&["import", file.to_str().unwrap()]).ok();
    assert!(
        out.contains("imported 3 nonconformities, 1 improvements"),
        "{out}"
    );
    copy.isms(&["verify"]).ok();

    let strip = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("generated_at");
        v
    };
    let a = strip(s.isms(&["export"]).json());
    let b = strip(copy.isms(&["export"]).json());
    assert_eq!(a["nonconformities"], b["nonconformities"]);
    assert_eq!(a["improvements"], b["improvements"]);
    let ids = |v: &serde_json::Value| {
        let mut ids: Vec<String> = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&a), ids(&b));

    // Into a register that already holds events: refused, nothing written.
    let before = db_bytes(&copy.db());
    let err = copy.isms(&["import", file.to_str().unwrap()]).fails(2);
    assert!(err.contains("empty register"), "{err}");
    assert_eq!(db_bytes(&copy.db()), before);
}

#[test]
fn an_invalid_document_is_refused_whole_with_every_problem_by_path() {
    let s = Scratch::new("badimport");
    crate::scenarios::seed_register(&s);
    let mut doc = s.isms(&["export"]).json();
    doc["nonconformities"][1]["severity"] = "catastrophic".into();
    doc["events"][0]["at"] = "yesterday".into();
    doc["schema_version"] = "one".into();
    let file = s.path("bad.json");
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();

    let target = Scratch::new("badimport-target");
    let err = target.isms(&["import", file.to_str().unwrap()]).fails(7);
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(err.contains("/nonconformities/1/severity"), "{err}");
    assert!(err.contains("/events/0/at"), "{err}");
    assert!(err.contains("/schema_version"), "{err}");
    // Nothing was created for a refused import.
    assert!(!target.db().exists());

    // A document that is valid JSON Schema-wise but whose state is not the
    // fold of its events is refused too, naming the item.
    let mut doc = s.isms(&["export"]).json();
    doc["nonconformities"][0]["title"] = "Edited after the fact".into();
    std::fs::write(&file, serde_json::to_vec(&doc).unwrap()).unwrap();
    let err = target.isms(&["import", file.to_str().unwrap()]).fails(7);
    assert!(err.contains("NC-0001") && err.contains("title"), "{err}");

    let err = target
        .isms(&["import", s.path("missing.json").to_str().unwrap()])
        .fails(4);
    assert!(err.contains("missing.json"), "{err}");
}

#[test]
fn backup_and_restore_round_trip_through_the_binary() {
    let s = Scratch::new("backup");
    crate::scenarios::seed_register(&s);
    let backup = s.path("backup.db");
    let out = s.isms(&["backup", "--to", backup.to_str().unwrap()]).ok();
    assert!(out.contains("verified"), "{out}");
    let head = s.isms(&["verify", "--json"]).json();

    s.isms(&[
        "nc",
        "report",
        "--title",
        "After the backup",
        "--source",
        "monitoring",
        "--severity",
        "minor",
    ])
    .ok();
    assert_ne!(s.isms(&["verify", "--json"]).json(), head);
    // Going back to the backup drops the newer event: it takes --force.
    s.isms(&["restore", "--from", backup.to_str().unwrap()])
        .fails(2);
    s.isms(&["restore", "--force", "--from", backup.to_str().unwrap()])
        .ok();
    assert_eq!(s.isms(&["verify", "--json"]).json(), head);
    s.isms(&["nc", "show", "NC-0004"]).fails(4);
}

/// SQLite's 16-bit page size field in a database file's header (1 means
/// 65,536).
fn page_size(db: &std::path::Path) -> u32 {
    let header = std::fs::read(db).unwrap();
    match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u32::from(n),
    }
}

/// A generated register (filled by a bulk load, with larger pages than
/// `init` makes) restores onto an initialised one, which takes its page
/// size, and the result is the generated register.
#[test]
fn a_generated_register_restores_onto_an_initialised_one() {
    let s = Scratch::new("restore-pages");
    let generated = s.path("generated.db");
    s.isms_on(&generated, &["generate", "--count", "30", "--seed", "5"])
        .ok();
    let backup = s.path("generated-backup.db");
    s.isms_on(&generated, &["backup", "--to", backup.to_str().unwrap()])
        .ok();
    s.isms(&["init"]).ok();
    assert_eq!(page_size(&s.db()), 4096);
    assert_eq!(page_size(&backup), 32_768);
    s.isms(&["restore", "--from", backup.to_str().unwrap()])
        .ok();
    assert_eq!(page_size(&s.db()), 32_768);
    let head = |run: serde_json::Value| run["head"].clone();
    let restored = head(s.isms(&["verify", "--json"]).json());
    assert!(restored["position"].as_u64() > Some(30), "{restored}");
    assert_eq!(
        restored,
        head(s.isms_on(&generated, &["verify", "--json"]).json())
    );
    assert_eq!(
        s.isms(&["nc", "list", "--json"]).ok(),
        s.isms_on(&generated, &["nc", "list", "--json"]).ok()
    );
}

#[test]
fn spreadsheets_round_trip_and_a_bad_cell_is_refused_whole() {
    let s = Scratch::new("sheets");
    s.isms(&["generate", "--count", "20", "--seed", "3"]).ok();
    let csv = s.path("r.csv");
    let xlsx = s.path("r.xlsx");
    s.isms(&["export", "--format", "csv", "--out", csv.to_str().unwrap()])
        .ok();
    s.isms(&[
        "export",
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
    ])
    .ok();
    let refs = |v: serde_json::Value| {
        let mut r: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["reference"].to_string())
            .collect();
        r.sort();
        r
    };
    let want = refs(s.isms(&["nc", "list", "--json"]).json());
    let ncs = s.path("r-nonconformities.csv");
    let acts = s.path("r-actions.csv");
    let a = Scratch::new("sheets-csv");
    a.isms(&["import", ncs.to_str().unwrap(), acts.to_str().unwrap()])
        .ok();
    assert_eq!(refs(a.isms(&["nc", "list", "--json"]).json()), want);
    let b = Scratch::new("sheets-xlsx");
    b.isms(&["import", xlsx.to_str().unwrap()]).ok();
    assert_eq!(refs(b.isms(&["nc", "list", "--json"]).json()), want);

    let text = std::fs::read_to_string(&ncs).unwrap();
    let bad = s.path("bad.csv");
    std::fs::write(
        &bad,
        text.replacen(",minor,", ",catastrophic,", 1)
            .replacen(",major,", ",catastrophic,", 1),
    )
    .unwrap();
    let before = db_bytes(&a.db());
    let err = a.isms(&["import", bad.to_str().unwrap()]).fails(7);
    assert!(err.contains("column") && err.contains("row"), "{err}");
    assert_eq!(db_bytes(&a.db()), before);
}
