//! Illegal transitions and out-of-order back-dating are refused with a
//! message that says what to do, a distinct exit code, and a database
//! whose bytes have not changed.

use crate::support::{Scratch, db_bytes};

fn one_reported(s: &Scratch) {
    s.isms(&["init"]).ok();
    s.isms(&[
        "nc",
        "report",
        "--title",
        "Restore never tested",
        "--source",
        "internal_audit",
        "--severity",
        "minor",
        "--at",
        "2026-03-02T09:00:00Z",
    ])
    .ok();
}

#[test]
fn an_illegal_transition_is_refused_and_changes_nothing() {
    let s = Scratch::new("refuse");
    one_reported(&s);
    let before = db_bytes(&s.db());
    let head = s.isms(&["verify", "--json"]).json();

    // Closing a nonconformity that was only reported breaks the workflow.
    let err = s
        .isms(&["nc", "close", "NC-0001", "--at", "2026-03-03T09:00:00Z"])
        .fails(3);
    assert!(err.contains("NC-0001"), "{err}");
    assert!(err.contains("reported"), "{err}");
    assert!(err.contains("nothing was recorded"), "{err}");

    // Planning an action before the analysis, likewise.
    s.isms(&[
        "nc",
        "plan",
        "NC-0001",
        "--description",
        "x",
        "--due",
        "2026-04-01",
    ])
    .fails(3);

    assert_eq!(db_bytes(&s.db()), before);
    assert_eq!(s.isms(&["verify", "--json"]).json(), head);
}

#[test]
fn back_dating_before_the_items_last_event_is_refused() {
    let s = Scratch::new("backdate");
    one_reported(&s);
    let before = db_bytes(&s.db());
    let err = s
        .isms(&[
            "nc",
            "contain",
            "NC-0001",
            "--action-taken",
            "x",
            "--at",
            "2026-03-01T09:00:00Z",
        ])
        .fails(3);
    assert!(
        err.contains("2026-03-0"),
        "the refusal names the times: {err}"
    );
    assert_eq!(db_bytes(&s.db()), before);
    // At a later time the same command is accepted.
    s.isms(&[
        "nc",
        "contain",
        "NC-0001",
        "--action-taken",
        "x",
        "--at",
        "2026-03-02T10:00:00Z",
    ])
    .ok();
}

#[test]
fn unknown_items_and_bad_values_have_their_own_exit_codes() {
    let s = Scratch::new("codes");
    one_reported(&s);
    let err = s.isms(&["nc", "show", "NC-0042"]).fails(4);
    assert!(err.contains("NC-0042") && err.contains("nc list"), "{err}");
    s.isms(&["nc", "show", "0190a8a4-0000-7000-8000-000000000000"])
        .fails(4);
    let err = s.isms(&["nc", "show", "tomorrow"]).fails(2);
    assert!(err.contains("NC-0007"), "{err}");
    let err = s.isms(&["kpi", "--window", "a year"]).fails(2);
    assert!(err.contains("365d"), "{err}");
    s.isms(&[
        "nc",
        "report",
        "--title",
        "t",
        "--source",
        "gossip",
        "--severity",
        "minor",
    ])
    .fails(2);
    let err = s
        .isms(&["catalog", "show", "iso27001:2022/A.9.99"])
        .fails(4);
    assert!(err.contains("A.9.99"), "{err}");

    // A database that is not there: say how to create one.
    let missing = s.path("none.db");
    let out = crate::support::command(s.dir())
        .args(["--db", missing.to_str().unwrap(), "nc", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("init"));
    assert!(!missing.exists());
}

#[test]
fn the_database_comes_from_db_before_or_after_the_command_or_isms_db() {
    let s = Scratch::new("dbflag");
    one_reported(&s);
    let db = s.db();
    let db = db.to_str().unwrap();
    let run = |args: &[&str], env: Option<&str>| {
        let mut c = crate::support::command(s.dir());
        if let Some(v) = env {
            c.env("ISMS_DB", v);
        }
        let out = c.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let after = run(&["nc", "list", "--db", db], None);
    let before = run(&["--db", db, "nc", "list"], None);
    let from_env = run(&["nc", "list"], Some(db));
    assert!(after.contains("NC-0001"), "{after}");
    assert_eq!(after, before);
    assert_eq!(after, from_env);
    // --db wins over $ISMS_DB.
    let out = crate::support::command(s.dir())
        .env("ISMS_DB", s.path("elsewhere.db"))
        .args(["nc", "list", "--db", db])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Neither: ./isms.db in the working directory, which does not exist here.
    let out = crate::support::command(s.dir())
        .args(["nc", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("isms.db"));
}
