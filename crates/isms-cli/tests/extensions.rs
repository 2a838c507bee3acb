//! `nc extensions` and `improvement extensions`: the product's own fields
//! changed after creation, each change an event; bad input refused with the
//! documented exit code and nothing recorded.

use serde_json::json;

use crate::support::{Scratch, db_bytes};

fn fields(s: &Scratch, kind: &str, item: &str) -> serde_json::Value {
    let shown = s.isms(&[kind, "show", item, "--json"]).json();
    shown.get("extensions").cloned().unwrap_or(json!({}))
}

#[test]
fn fields_are_set_changed_and_removed_each_as_an_event() {
    let s = Scratch::new("ext-set");
    s.isms(&["init"]).ok();
    let nc = s.report("Badge reader offline");
    assert_eq!(fields(&s, "nc", &nc), json!({}));

    let out = s
        .isms(&[
            "nc",
            "extensions",
            &nc,
            "--set",
            "risk=3",
            "--set",
            r#"tags=["door","badge"]"#,
            "--set-text",
            "ticket=SEC-41",
        ])
        .ok();
    assert!(out.contains("change_extensions recorded"), "{out}");
    assert_eq!(
        fields(&s, "nc", &nc),
        json!({"risk": 3, "tags": ["door", "badge"], "ticket": "SEC-41"})
    );
    let shown = s.isms(&["nc", "show", &nc]).ok();
    assert!(
        shown.contains(r#"extensions:   risk=3, tags=["door","badge"], ticket="SEC-41""#),
        "{shown}"
    );

    // A JSON string given with --set, a removal, and a file whose null
    // member removes a field and whose other members are set.
    s.isms(&[
        "nc",
        "extensions",
        &nc,
        "--set",
        r#"ticket="SEC-42""#,
        "--unset",
        "risk",
    ])
    .ok();
    assert_eq!(
        fields(&s, "nc", &nc),
        json!({"tags": ["door", "badge"], "ticket": "SEC-42"})
    );
    let patch = s.path("patch.json");
    std::fs::write(
        &patch,
        r#"{"tags": null, "unit": {"name": "IT", "cost_centre": 7}}"#,
    )
    .unwrap();
    s.isms(&["nc", "extensions", &nc, "--from", patch.to_str().unwrap()])
        .ok();
    assert_eq!(
        fields(&s, "nc", &nc),
        json!({"ticket": "SEC-42", "unit": {"name": "IT", "cost_centre": 7}})
    );

    // Three changes, three events, with what each changed.
    let history = s.isms(&["nc", "show", &nc, "--history", "--json"]).json();
    let changes: Vec<&serde_json::Value> = history["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["payload"]["type"] == "extensions_changed.v1")
        .collect();
    assert_eq!(changes.len(), 3, "{history}");
    assert_eq!(changes[1]["payload"]["removed"], json!(["risk"]));
    assert_eq!(changes[1]["payload"]["set"], json!({"ticket": "SEC-42"}));
    s.isms(&["verify"]).ok();
}

#[test]
fn improvements_take_the_same_options() {
    let s = Scratch::new("ext-imp");
    s.isms(&["init"]).ok();
    let out = s
        .isms(&[
            "improvement",
            "propose",
            "--title",
            "Automate restore tests",
            "--benefit",
            "fewer failed restores",
            "--source",
            "audit",
            "--priority",
            "high",
        ])
        .ok();
    let imp = out.split(':').next().unwrap().to_owned();
    s.isms(&[
        "improvement",
        "extensions",
        &imp,
        "--set-text",
        "epic=OPS-7",
    ])
    .ok();
    assert_eq!(fields(&s, "improvement", &imp), json!({"epic": "OPS-7"}));
    let shown = s.isms(&["improvement", "show", &imp]).ok();
    assert!(shown.contains(r#"extensions: epic="OPS-7""#), "{shown}");
}

#[test]
fn the_products_schema_checks_the_fields_after_the_change() {
    let s = Scratch::new("ext-schema");
    s.isms(&["init"]).ok();
    let nc = s.report("Restore never tested");
    let schema = s.path("fields.schema.json");
    std::fs::write(
        &schema,
        json!({
            "type": "object",
            "properties": {
                "ticket": {"type": "string", "pattern": "^SEC-[0-9]+$"},
                "risk": {"type": "integer", "minimum": 1, "maximum": 5}
            },
            "required": ["ticket"],
            "additionalProperties": false
        })
        .to_string(),
    )
    .unwrap();
    let schema = schema.to_str().unwrap();
    let before = db_bytes(&s.db());

    // Each of these breaks the schema: refused, exit 2, nothing recorded.
    for (args, says) in [
        (vec!["--set-text", "ticket=JIRA-1"], "/ticket"),
        (vec!["--set", "risk=3"], "ticket"), // required, and not there yet
        (
            vec!["--set-text", "ticket=SEC-1", "--set", "risk=9"],
            "/risk",
        ),
        (
            vec!["--set-text", "ticket=SEC-1", "--set-text", "colour=red"],
            "colour",
        ),
    ] {
        let mut all = vec!["nc", "extensions", &nc, "--schema", schema];
        all.extend(args.iter().copied());
        let err = s.isms(&all).fails(2);
        assert!(err.contains("do not match the schema"), "{err}");
        assert!(err.contains(says), "{says}: {err}");
        assert!(err.contains("nothing was recorded"), "{err}");
    }
    assert_eq!(db_bytes(&s.db()), before);

    // Valid: recorded; then a removal that would drop a required field is
    // refused, through the environment variable this time.
    s.isms(&[
        "nc",
        "extensions",
        &nc,
        "--schema",
        schema,
        "--set-text",
        "ticket=SEC-41",
        "--set",
        "risk=2",
    ])
    .ok();
    let mut c = s.isms_command("--as", "tester");
    c.env("ISMS_EXTENSIONS_SCHEMA", schema)
        .args(["nc", "extensions", &nc, "--unset", "ticket"]);
    let err = s.run(&mut c, &["nc extensions --unset ticket"]).fails(2);
    assert!(err.contains("ticket"), "{err}");
    assert_eq!(
        fields(&s, "nc", &nc),
        json!({"ticket": "SEC-41", "risk": 2})
    );

    // A schema file that is not JSON, or not a schema: exit 7, naming it.
    let broken = s.path("broken.json");
    for (text, says) in [
        ("{\"type\": ", "not JSON"),
        (r#"{"type": 5}"#, "not a usable JSON Schema"),
    ] {
        std::fs::write(&broken, text).unwrap();
        let err = s
            .isms(&[
                "nc",
                "extensions",
                &nc,
                "--schema",
                broken.to_str().unwrap(),
                "--set",
                "risk=1",
            ])
            .fails(7);
        assert!(err.contains("broken.json") && err.contains(says), "{err}");
    }
}

#[test]
fn bad_input_is_refused_with_its_exit_code_and_changes_nothing() {
    let s = Scratch::new("ext-bad");
    s.isms(&["init"]).ok();
    let nc = s.report("Restore never tested");
    let before = db_bytes(&s.db());
    let ext = |args: &[&str]| {
        let mut all = vec!["nc", "extensions", nc.as_str()];
        all.extend_from_slice(args);
        s.isms(&all)
    };

    // Exit 2: the command line.
    let err = ext(&[]).fails(2); // nothing to change
    assert!(err.contains("--set"), "{err}");
    let err = ext(&["--set", "ticket"]).fails(2);
    assert!(err.contains("NAME=JSON"), "{err}");
    let err = ext(&["--set", "ticket=SEC-41"]).fails(2);
    assert!(
        err.contains("not JSON") && err.contains("--set-text ticket=SEC-41"),
        "{err}"
    );
    let err = ext(&["--set", "risk=1", "--unset", "risk"]).fails(2);
    assert!(err.contains("named twice"), "{err}");
    let err = ext(&["--set-text", "a=1", "--set-text", "a=2"]).fails(2);
    assert!(err.contains("named twice"), "{err}");

    // Exit 3: the core's rule on names (1 to 64 characters, no control
    // characters).
    let long = format!("{}=1", "n".repeat(65));
    let err = ext(&["--set", &long]).fails(3);
    assert!(err.contains("nothing was recorded"), "{err}");
    ext(&["--set", "=1"]).fails(3);

    // Exit 4: no such item or file. Exit 7: a file that is not a field map.
    ext(&["--from", "missing.json"]).fails(4);
    s.isms(&["nc", "extensions", "NC-0099", "--set", "risk=1"])
        .fails(4);
    let file = s.path("fields.json");
    for (text, says) in [
        ("[1, 2]", "expected an object"),
        ("{", "not JSON"),
        ("\"x\"", "found a string"),
    ] {
        std::fs::write(&file, text).unwrap();
        let err = ext(&["--from", file.to_str().unwrap()]).fails(7);
        assert!(err.contains("fields.json") && err.contains(says), "{err}");
    }
    let big = format!("{{\"x\": \"{}\"}}", "a".repeat(1 << 20));
    std::fs::write(&file, big).unwrap();
    let err = ext(&["--from", file.to_str().unwrap()]).fails(7);
    assert!(err.contains("at most 1048576 bytes"), "{err}");
    assert_eq!(db_bytes(&s.db()), before);

    // Exit 3: a closed (here rejected) item's fields are evidence, fixed.
    s.isms(&["nc", "reject", &nc, "--explanation", "not a nonconformity"])
        .ok();
    let err = ext(&["--set", "risk=1"]).fails(3);
    assert!(err.contains("rejected"), "{err}");
}
