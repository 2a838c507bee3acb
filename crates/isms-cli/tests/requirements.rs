//! Requirement references are looked up in the catalogue where they enter:
//! an unknown framework or item is refused with exit 2 and what does exist,
//! a known one is stored in the catalogue's spelling (issue 16: junk such as
//! `iso27001:2022/A.99.99` used to be stored and counted by the KPIs).

use crate::support::Scratch;

fn report(s: &Scratch, requirement: &str) -> crate::support::Run {
    s.isms(&[
        "nc",
        "report",
        "--title",
        "Backup not tested",
        "--source",
        "internal_audit",
        "--severity",
        "minor",
        "--requirement",
        requirement,
        "--at",
        "2026-03-02T09:00:00Z",
    ])
}

#[test]
fn unknown_requirements_are_refused_with_what_exists() {
    let s = Scratch::new("requirements");
    s.isms(&["init"]).ok();
    let err = report(&s, "iso27001:2022/A.99.99").fails(2);
    assert!(
        err.contains("unknown item A.99.99 in iso27001:2022"),
        "{err}"
    );
    let err = report(&s, "foo:bar/xyz").fails(2);
    assert!(err.contains("unknown framework \"foo:bar\""), "{err}");
    assert!(
        err.contains("iso27001:2022"),
        "the known frameworks are listed: {err}"
    );
    let err = report(&s, "nis2:2022/21.2.i").fails(2);
    assert!(err.contains("unknown framework \"nis2:2022\""), "{err}");
    let err = report(&s, "iso27001:2022/A.8.1x").fails(2);
    assert!(err.contains("did you mean A.8.1,"), "{err}");
    // Nothing was recorded by the refusals.
    assert_eq!(
        s.isms(&["nc", "list", "--json"]).json(),
        serde_json::json!([])
    );
    // A loose spelling of a real control is stored as the catalogue writes it.
    report(&s, "ISO 27001:2022/A 8.13").ok();
    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    assert_eq!(
        nc["requirements"],
        serde_json::json!(["iso27001:2022/A.8.13"])
    );
}

/// A register of one nonconformity breaching `iso27001:2022/A.8.13` (and,
/// with `extra`, a requirement of a loaded framework), exported as
/// `format` into the scratch directory; returns the files written.
fn exported(s: &Scratch, format: &str, extra: &[&str]) -> Vec<std::path::PathBuf> {
    if !s.db().exists() {
        s.isms(&["init"]).ok();
    }
    let mut args = vec![
        "nc",
        "report",
        "--title",
        "Restore never tested",
        "--source",
        "internal_audit",
        "--severity",
        "minor",
        "--requirement",
        "iso27001:2022/A.8.13",
        "--at",
        "2026-03-02T09:00:00Z",
    ];
    args.extend_from_slice(extra);
    s.isms(&args).ok();
    let out = s.path(&format!("register.{format}"));
    s.isms(&["export", "--format", format, "--out", out.to_str().unwrap()])
        .ok();
    match format {
        "csv" => vec![
            s.path("register-nonconformities.csv"),
            s.path("register-actions.csv"),
        ],
        _ => vec![out],
    }
}

/// Replaces `from` by `to` in every file (the reference appears in the
/// events, the claimed state or the props alike, so the document stays
/// consistent and only the catalogue look-up can object).
fn edit(files: &[std::path::PathBuf], from: &str, to: &str) {
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        std::fs::write(f, text.replace(from, to)).unwrap();
    }
}

/// Imports `files` into a new register: refused with exit 7, nothing
/// written; returns stderr.
fn import_refused(s: &Scratch, files: &[std::path::PathBuf]) -> String {
    let target = s.path("target.db");
    let mut args = vec!["import"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let err = s.isms_on(&target, &args).fails(7);
    assert!(
        !target.exists()
            || s.isms_on(&target, &["nc", "list", "--json"]).json() == serde_json::json!([]),
        "a refused import wrote to the register"
    );
    err
}

#[test]
fn a_spreadsheet_with_an_unknown_requirement_is_refused_at_its_row() {
    let s = Scratch::new("requirements-csv");
    let files = exported(&s, "csv", &[]);
    // The export imports as it is...
    let copy = Scratch::new("requirements-csv-copy");
    let mut args = vec!["import"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    copy.isms(&args).ok();
    // ...and with a control that does not exist, it is refused at its row.
    edit(&files, "iso27001:2022/A.8.13", "iso27001:2022/A.8.1x");
    let err = import_refused(&s, &files);
    assert!(err.contains("register-nonconformities.csv"), "{err}");
    assert!(err.contains("row 2"), "{err}");
    assert!(
        err.contains("unknown item A.8.1x in iso27001:2022"),
        "{err}"
    );
    assert!(err.contains("did you mean iso27001:2022/A.8.1,"), "{err}");
    // A framework nobody loaded, and a loose spelling the catalogue writes otherwise.
    edit(&files, "iso27001:2022/A.8.1x", "nis2:2022/21.2.i");
    let err = import_refused(&s, &files);
    assert!(err.contains("unknown framework \"nis2:2022\""), "{err}");
    edit(&files, "nis2:2022/21.2.i", "iso27001/A.8.13");
    let err = import_refused(&s, &files);
    assert!(
        err.contains("requirement iso27001/A.8.13 is written iso27001:2022/A.8.13"),
        "{err}"
    );
}

#[test]
fn a_register_document_with_an_unknown_requirement_is_refused_at_its_event() {
    let s = Scratch::new("requirements-json");
    let files = exported(&s, "json", &[]);
    edit(&files, "iso27001:2022/A.8.13", "iso27001:2022/A.99.99");
    let err = import_refused(&s, &files);
    assert!(err.contains("register.json"), "{err}");
    assert!(err.contains("/events/0"), "{err}");
    assert!(
        err.contains("requirement iso27001:2022/A.99.99: unknown item A.99.99 in iso27001:2022"),
        "{err}"
    );
}

#[test]
fn a_poam_with_an_unknown_requirement_is_refused_at_its_item() {
    let s = Scratch::new("requirements-poam");
    let files = exported(&s, "oscal-poam", &[]);
    edit(&files, "iso27001:2022/A.8.13", "iso27001:2022/A.8.1x");
    let err = import_refused(&s, &files);
    assert!(err.contains("register.oscal-poam"), "{err}");
    assert!(err.contains("poam-items[0]"), "{err}");
    assert!(err.contains("did you mean iso27001:2022/A.8.1,"), "{err}");
}

/// A framework of one's own, as `docs/catalog.md` describes it.
const ACME: &str = r#"{
  "id": "acme-policy:2025",
  "name": "ACME backup policy",
  "version": "2025",
  "publisher": "ACME",
  "licence": "internal",
  "items": [
    { "id": "BK", "kind": "section", "title": "Backups" },
    { "id": "BK-2", "parent": "BK", "kind": "requirement", "title": "Monthly restore test" }
  ]
}"#;

#[test]
fn references_to_a_loaded_framework_are_accepted_where_it_is_loaded() {
    let s = Scratch::new("requirements-user");
    let acme = s.path("acme.json");
    std::fs::write(&acme, ACME).unwrap();
    let with = ["--user-framework", acme.to_str().unwrap()];
    // Without the framework, the argument is refused (exit 2)...
    s.isms(&["init"]).ok();
    let err = report(&s, "acme-policy:2025/BK-2").fails(2);
    assert!(
        err.contains("unknown framework \"acme-policy:2025\""),
        "{err}"
    );
    // ...with it, accepted and stored; a typo gets the nearest items.
    let mut args = with.to_vec();
    args.extend([
        "nc",
        "report",
        "--title",
        "No restore test",
        "--source",
        "monitoring",
    ]);
    args.extend([
        "--severity",
        "minor",
        "--requirement",
        "acme-policy:2025/BK-3",
    ]);
    let err = s.isms(&args).fails(2);
    assert!(err.contains("did you mean BK-2"), "{err}");
    let files = exported(
        &s,
        "json",
        &[
            "--requirement",
            "acme-policy:2025/BK-2",
            "--user-framework",
            acme.to_str().unwrap(),
        ],
    );
    let show = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    assert_eq!(
        show["requirements"],
        serde_json::json!(["iso27001:2022/A.8.13", "acme-policy:2025/BK-2"])
    );
    // The export imports only where the framework is loaded.
    let err = import_refused(&s, &files);
    assert!(
        err.contains("unknown framework \"acme-policy:2025\""),
        "{err}"
    );
    let copy = Scratch::new("requirements-user-copy");
    let mut args = with.to_vec();
    args.extend(["import", files[0].to_str().unwrap()]);
    copy.isms(&args).ok();
    // The catalog commands see it too.
    let mut args = with.to_vec();
    args.extend(["catalog", "show", "acme-policy:2025/BK-2"]);
    assert!(s.isms(&args).ok().contains("Monthly restore test"));
    // A framework file that is not one is refused as an invalid input.
    std::fs::write(&acme, "{\"id\": \"acme\"}").unwrap();
    let err = s
        .isms(&[&with[..], &["catalog", "frameworks"]].concat())
        .fails(7);
    assert!(err.contains("acme.json"), "{err}");
    let err = s
        .isms(&["--user-framework", "missing.json", "catalog", "frameworks"])
        .fails(4);
    assert!(err.contains("missing.json"), "{err}");
}
