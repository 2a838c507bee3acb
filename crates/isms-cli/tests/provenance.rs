//! Where an export came from, and what a read over a broken chain says:
//! every export format carries the chain head and the latest signed
//! checkpoint of the register it was made from, and whether its chain
//! verified; every output of `--allow-unverified` is marked, JSON outputs
//! in a way a program cannot miss.

use serde_json::Value;

use crate::support::Scratch;

/// Two reported nonconformities, signed with a key made in the scratch
/// directory; returns the key's path.
fn signed_register(s: &Scratch) -> String {
    let key = s.path("signing.key");
    let key = key.to_str().unwrap().to_owned();
    s.isms(&["key", "init", "--out", &key]).ok();
    s.isms(&["init"]).ok();
    for title in ["Backups not tested", "Access review overdue"] {
        s.isms(&[
            "--signing-key",
            &key,
            "nc",
            "report",
            "--title",
            title,
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ])
        .ok();
    }
    key
}

/// An event appended behind the store's back after the last checked head
/// (a copy of the last one): every read's incremental check stops at its
/// position, which is returned as the text the errors say.
fn tamper_tail(s: &Scratch) -> String {
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(
        "INSERT INTO events (position, stream, sequence, body, hash)
         SELECT position + 1, stream, sequence + 1, body, hash FROM events
         WHERE position = (SELECT max(position) FROM events);",
    )
    .unwrap();
    let last: i64 = conn
        .query_row("SELECT max(position) FROM events", [], |r| r.get(0))
        .unwrap();
    format!("position {last}")
}

/// The field/value pairs of a CSV provenance file, as a spreadsheet
/// program would read its two columns.
fn csv_fields(text: &str) -> Vec<(String, String)> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Provenance field,Value"), "{text}");
    lines
        .map(|l| {
            let (k, v) = l.split_once(',').unwrap();
            (k.to_owned(), v.trim_matches('"').to_owned())
        })
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("no {name} in {fields:?}"), |(_, v)| v.as_str())
}

#[test]
fn every_export_format_carries_the_head_and_checkpoint_it_was_made_from() {
    let s = Scratch::new("provenance");
    let key = signed_register(&s);
    let verified = s.isms(&["--signing-key", &key, "verify", "--json"]).json();
    let head_hash = verified["head"]["hash"].as_str().unwrap().to_owned();
    let key_id = s.isms(&["--signing-key", &key, "key", "show"]).ok();

    // The register document.
    s.isms(&["export", "--format", "json", "--out", "register.json"])
        .ok();
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("register.json")).unwrap()).unwrap();
    let p = &doc["provenance"];
    assert_eq!(p["head_position"], 2, "{p}");
    assert_eq!(p["head_hash"], head_hash.as_str());
    assert_eq!(p["verified"], true);
    assert!(p.get("problem").is_none(), "{p}");
    assert_eq!(p["checkpoint"]["position"], 2);
    assert_eq!(p["checkpoint"]["hash"], head_hash.as_str());
    let checkpoint_key = p["checkpoint"]["key_id"].as_str().unwrap();
    assert!(
        key_id.contains(checkpoint_key),
        "{key_id} / {checkpoint_key}"
    );
    assert_eq!(doc["schema_version"], isms_schema::SCHEMA_VERSION);
    // The document validates against the published schema, provenance and all.
    isms_schema::validate_document(isms_schema::DocumentKind::Register, &doc).unwrap();
    // The checkpoint it carries is a checkpoint file: saved alone, it
    // anchors a verification of the register.
    std::fs::write(
        s.path("from-export.json"),
        serde_json::to_vec(&p["checkpoint"]).unwrap(),
    )
    .unwrap();
    s.isms(&["verify", "--against", "from-export.json"]).ok();

    // CSV: a third file, a plain two-column table.
    s.isms(&["export", "--format", "csv", "--out", "register.csv"])
        .ok();
    let fields = csv_fields(&std::fs::read_to_string(s.path("register-provenance.csv")).unwrap());
    assert_eq!(field(&fields, "head_position"), "2");
    assert_eq!(field(&fields, "head_hash"), head_hash);
    assert_eq!(field(&fields, "verified"), "true");
    assert_eq!(field(&fields, "checkpoint_key_id"), checkpoint_key);

    // XLSX: a Provenance sheet beside the two data sheets.
    s.isms(&["export", "--format", "xlsx", "--out", "register.xlsx"])
        .ok();
    let bytes = std::fs::read(s.path("register.xlsx")).unwrap();
    let fields = isms_io::read_provenance("register.xlsx", &bytes)
        .unwrap()
        .expect("a Provenance sheet");
    assert_eq!(field(&fields, "head_hash"), head_hash);
    assert_eq!(field(&fields, "checkpoint_position"), "2");

    // OSCAL: metadata props in the project's namespace.
    s.isms(&["export", "--format", "oscal-poam", "--out", "poam.json"])
        .ok();
    let poam: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("poam.json")).unwrap()).unwrap();
    let props = poam["plan-of-action-and-milestones"]["metadata"]["props"]
        .as_array()
        .unwrap();
    assert!(
        props.iter().any(|p| p["name"] == "provenance-head-hash"
            && p["value"] == head_hash.as_str()
            && p["ns"] == isms_oscal::NS),
        "{props:?}"
    );
    let fields = isms_oscal::read_provenance(&poam);
    assert_eq!(field(&fields, "verified"), "true");
    assert_eq!(field(&fields, "checkpoint_key_id"), checkpoint_key);
    assert!(isms_oscal::check_document(&poam).is_empty());
}

#[test]
fn imports_take_exports_with_and_without_provenance() {
    let s = Scratch::new("provenance-import");
    let key = signed_register(&s);
    let _ = key;
    s.isms(&["export", "--format", "json", "--out", "register.json"])
        .ok();
    s.isms(&["export", "--format", "csv", "--out", "register.csv"])
        .ok();
    s.isms(&["export", "--format", "xlsx", "--out", "register.xlsx"])
        .ok();
    s.isms(&["export", "--format", "oscal-poam", "--out", "poam.json"])
        .ok();

    let fresh = |name: &str, files: &[&str]| {
        let db = s.path(name);
        let mut args = vec!["import"];
        args.extend(files);
        let run = s.isms_on(&db, &args);
        assert_eq!(run.code, 0, "{files:?}: {}{}", run.stdout, run.stderr);
        assert!(!run.stderr.contains("UNVERIFIED"), "{}", run.stderr);
        let list = s.isms_on(&db, &["nc", "list", "--json"]).json();
        assert_eq!(list.as_array().unwrap().len(), 2, "{files:?}");
        run.stderr
    };
    let said = fresh("from-json.db", &["register.json"]);
    assert!(
        said.contains("exported") && said.contains("position 2"),
        "{said}"
    );
    // All three CSV files: the provenance file is read as provenance, not as rows.
    let said = fresh(
        "from-csv.db",
        &[
            "register-nonconformities.csv",
            "register-actions.csv",
            "register-provenance.csv",
        ],
    );
    assert!(said.contains("position 2"), "{said}");
    // The two data files alone still import.
    fresh(
        "from-csv-only.db",
        &["register-nonconformities.csv", "register-actions.csv"],
    );
    let said = fresh("from-xlsx.db", &["register.xlsx"]);
    assert!(said.contains("position 2"), "{said}");
    let said = fresh("from-poam.db", &["poam.json"]);
    assert!(said.contains("position 2"), "{said}");

    // A document without provenance (written before 1.3.0, or by another tool).
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("register.json")).unwrap()).unwrap();
    doc.as_object_mut().unwrap().remove("provenance");
    doc["schema_version"] = "1.2.0".into();
    std::fs::write(s.path("plain.json"), serde_json::to_vec(&doc).unwrap()).unwrap();
    let said = fresh("from-plain.db", &["plain.json"]);
    assert!(!said.contains("exported"), "{said}");

    // A provenance that is not one is refused with its field named (exit 7).
    let mut doc: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("register.json")).unwrap()).unwrap();
    doc["provenance"]["head_hash"] = "not a hash".into();
    std::fs::write(s.path("bad.json"), serde_json::to_vec(&doc).unwrap()).unwrap();
    let err = s
        .isms_on(&s.path("from-bad.db"), &["import", "bad.json"])
        .fails(7);
    assert!(err.contains("head_hash"), "{err}");
    let text = std::fs::read_to_string(s.path("register-provenance.csv")).unwrap();
    std::fs::write(
        s.path("bad-provenance.csv"),
        text.replace("head_position,2", "head_position,two"),
    )
    .unwrap();
    let err = s
        .isms_on(
            &s.path("from-bad-csv.db"),
            &[
                "import",
                "register-nonconformities.csv",
                "register-actions.csv",
                "bad-provenance.csv",
            ],
        )
        .fails(7);
    assert!(err.contains("head_position"), "{err}");
}

#[test]
fn an_unverified_export_says_so_in_every_format_and_its_import_warns() {
    let s = Scratch::new("provenance-unverified");
    signed_register(&s);
    // The first report's title edited in place: the export walks the whole
    // chain and stops at position 1.
    rusqlite::Connection::open(s.db())
        .unwrap()
        .execute_batch(
            "DROP TRIGGER events_no_update;
             UPDATE events SET body = replace(body, 'Backups not tested', 'Backups fine')
             WHERE position = 1;",
        )
        .unwrap();
    for format in ["json", "csv", "xlsx", "oscal-poam"] {
        s.isms(&["export", "--format", format, "--out", "x.out"])
            .fails(6);
    }
    let export = |format: &str, out: &str| {
        let run = s.isms(&[
            "--allow-unverified",
            "export",
            "--format",
            format,
            "--out",
            out,
        ]);
        assert!(run.stderr.contains("UNVERIFIED"), "{}", run.stderr);
        run.ok();
    };
    export("json", "forensic.json");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("forensic.json")).unwrap()).unwrap();
    assert_eq!(
        doc["provenance"]["verified"], false,
        "{}",
        doc["provenance"]
    );
    let problem = doc["provenance"]["problem"].as_str().unwrap();
    assert!(problem.contains("position 1"), "{problem}");
    // What the warning is for: the edit is in the export.
    assert_eq!(doc["nonconformities"][0]["title"], "Backups fine");
    export("csv", "forensic.csv");
    let fields = csv_fields(&std::fs::read_to_string(s.path("forensic-provenance.csv")).unwrap());
    assert_eq!(field(&fields, "verified"), "false");
    assert!(field(&fields, "problem").contains("position 1"));
    export("xlsx", "forensic.xlsx");
    let bytes = std::fs::read(s.path("forensic.xlsx")).unwrap();
    let fields = isms_io::read_provenance("forensic.xlsx", &bytes)
        .unwrap()
        .unwrap();
    assert_eq!(field(&fields, "verified"), "false");
    export("oscal-poam", "forensic-poam.json");
    let poam: Value =
        serde_json::from_str(&std::fs::read_to_string(s.path("forensic-poam.json")).unwrap())
            .unwrap();
    assert_eq!(
        field(&isms_oscal::read_provenance(&poam), "verified"),
        "false"
    );

    // Each import goes through, and says what it was given.
    for (db, files) in [
        ("a.db", &["forensic.json"][..]),
        (
            "b.db",
            &[
                "forensic-nonconformities.csv",
                "forensic-actions.csv",
                "forensic-provenance.csv",
            ],
        ),
        ("c.db", &["forensic.xlsx"]),
        ("d.db", &["forensic-poam.json"]),
    ] {
        let mut args = vec!["import"];
        args.extend(files);
        let run = s.isms_on(&s.path(db), &args);
        assert!(
            run.stderr.contains("exported UNVERIFIED") && run.stderr.contains("position 1"),
            "{files:?}: {}",
            run.stderr
        );
        run.ok();
    }
}

#[test]
fn every_read_over_a_broken_chain_is_marked_and_its_json_cannot_be_mistaken() {
    let s = Scratch::new("unverified-reads");
    signed_register(&s);
    s.isms(&[
        "improvement",
        "propose",
        "--title",
        "Automate restore tests",
        "--benefit",
        "Restores proven monthly",
        "--source",
        "audit",
    ])
    .ok();
    // Before the tampering: the usual shapes, with no mark.
    let list = s.isms(&["nc", "list", "--json"]).json();
    assert!(list.is_array(), "{list}");
    let kpi = s.isms(&["kpi", "--json"]).json();
    assert!(kpi.get("unverified").is_none());
    let at = tamper_tail(&s);
    let reads: [&[&str]; 6] = [
        &["nc", "list", "--json"],
        &["nc", "show", "NC-0001", "--json"],
        &["nc", "show", "NC-0001", "--history", "--json"],
        &["improvement", "list", "--json"],
        &["improvement", "show", "IMP-0001", "--json"],
        &["kpi", "--json"],
    ];
    for args in reads {
        // Refused without the flag...
        let err = s.isms(args).fails(6);
        assert!(err.contains(&at), "{args:?}: {err}");
        // ...and with it, wrapped: the problem first, the usual output inside.
        let mut flagged = vec!["--allow-unverified"];
        flagged.extend(args);
        let run = s.isms(&flagged);
        assert!(
            run.stderr.contains("UNVERIFIED"),
            "{args:?}: {}",
            run.stderr
        );
        let out = run.json();
        let problem = out["unverified"]["problem"].as_str().unwrap_or_default();
        assert!(problem.contains(&at), "{args:?}: {out}");
        assert!(!out["output"].is_null(), "{args:?}: {out}");
    }
    let out = s
        .isms(&["--allow-unverified", "nc", "list", "--json"])
        .json();
    assert_eq!(out["output"].as_array().unwrap().len(), 2);
    // Text outputs: the banner on stderr, the table on stdout as usual.
    for args in [
        &["nc", "list"][..],
        &["nc", "show", "NC-0001", "--history"],
        &["kpi"],
    ] {
        let mut flagged = vec!["--allow-unverified"];
        flagged.extend(args);
        let run = s.isms(&flagged);
        assert!(
            run.stderr.contains("UNVERIFIED OUTPUT") && run.stderr.contains(&at),
            "{args:?}: {}",
            run.stderr
        );
        run.ok();
    }
    // The report: a visible banner at the top, in HTML and Markdown.
    for out in ["review.html", "review.md"] {
        s.isms(&["report", "--out", out]).fails(6);
        s.isms(&["--allow-unverified", "report", "--out", out]).ok();
        let text = std::fs::read_to_string(s.path(out)).unwrap();
        let banner = text.find("UNVERIFIED").unwrap_or(usize::MAX);
        let title = text
            .find("<h1>")
            .or_else(|| text.find("# Management review"))
            .unwrap();
        assert!(banner < title, "{out}: the banner comes before the title");
        assert!(text.contains(&at), "{out}");
    }
    let html = std::fs::read_to_string(s.path("review.html")).unwrap();
    assert!(html.contains("class=\"unverified\" role=\"alert\""));
}

#[test]
fn a_verified_report_has_no_banner() {
    let s = Scratch::new("verified-report");
    signed_register(&s);
    s.isms(&["report", "--out", "review.html"]).ok();
    let html = std::fs::read_to_string(s.path("review.html")).unwrap();
    assert!(!html.contains("UNVERIFIED"));
    assert!(!html.contains("role=\"alert\""));
}
