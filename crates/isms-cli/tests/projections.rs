//! Reads from the projections: `nc list` filters, `verify --deep` naming an
//! edited projection (exit 6), `rebuild` repairing it, and an older
//! database migrated on open with progress on stderr.

use crate::support::Scratch;

fn report(s: &Scratch, title: &str, owner: &str, severity: &str, at: &str) {
    s.isms(&[
        "nc",
        "report",
        "--title",
        title,
        "--source",
        "internal_audit",
        "--severity",
        severity,
        "--owner",
        owner,
        "--at",
        at,
    ])
    .ok();
}

/// The references a listing printed, in order.
fn refs(listing: &str) -> Vec<String> {
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("NC-"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn nc_list_filters_by_owner_severity_state_and_due_dates() {
    let s = Scratch::new("list-filters");
    s.isms(&["init"]).ok();
    report(
        &s,
        "Backup never restored",
        "ops",
        "major",
        "2026-03-02T09:00:00Z",
    );
    report(
        &s,
        "Visitor log missing",
        "facilities",
        "minor",
        "2026-03-02T10:00:00Z",
    );
    report(
        &s,
        "Access review late",
        "ops",
        "minor",
        "2026-03-02T11:00:00Z",
    );
    // NC-0001 gets an action due long ago (overdue today), NC-0003 one due
    // far ahead.
    for (nc, due) in [("NC-0001", "2026-03-31"), ("NC-0003", "2099-12-31")] {
        s.isms(&[
            "nc",
            "contain",
            nc,
            "--action-taken",
            "Contained",
            "--at",
            "2026-03-03T09:00:00Z",
        ])
        .ok();
        s.isms(&[
            "nc",
            "analyse",
            nc,
            "--cause",
            "process:No check",
            "--similar-notes",
            "none found",
            "--at",
            "2026-03-04T09:00:00Z",
        ])
        .ok();
        s.isms(&[
            "nc",
            "plan",
            nc,
            "--description",
            "Fix it",
            "--owner",
            "ops",
            "--due",
            due,
            "--at",
            "2026-03-04T10:00:00Z",
        ])
        .ok();
    }
    let list = |args: &[&str]| {
        let mut all = vec!["nc", "list"];
        all.extend_from_slice(args);
        refs(&s.isms(&all).ok())
    };
    assert_eq!(list(&[]), ["NC-0001", "NC-0002", "NC-0003"]);
    assert_eq!(list(&["--owner", "ops"]), ["NC-0001", "NC-0003"]);
    assert_eq!(list(&["--severity", "minor"]), ["NC-0002", "NC-0003"]);
    assert_eq!(list(&["--state", "reported"]), ["NC-0002"]);
    assert_eq!(list(&["--overdue"]), ["NC-0001"]);
    assert_eq!(list(&["--due-within", "7d"]), ["NC-0001"]);
    assert_eq!(
        list(&["--owner", "ops", "--severity", "minor"]),
        ["NC-0003"]
    );
    let err = s.isms(&["nc", "list", "--severity", "huge"]).fails(2);
    assert!(err.contains("--severity"), "{err}");
}

#[test]
fn an_edited_projection_fails_deep_verify_and_rebuild_repairs_it() {
    let s = Scratch::new("deep-verify");
    s.isms(&["init"]).ok();
    report(&s, "First finding", "ops", "minor", "2026-03-02T09:00:00Z");
    report(&s, "Second finding", "ops", "minor", "2026-03-02T10:00:00Z");
    assert!(
        s.isms(&["verify", "--deep"])
            .ok()
            .contains("projections: all 2 items equal a fresh fold of the log")
    );
    {
        let conn = rusqlite::Connection::open(s.db()).unwrap();
        conn.execute("UPDATE items SET state = 'closed' WHERE number = 2", [])
            .unwrap();
        assert_eq!(conn.changes(), 1);
    }
    // The chain alone is intact; the deep check names the item.
    s.isms(&["verify"]).ok();
    let err = s.isms(&["verify", "--deep"]).fails(6);
    assert!(err.contains("projection items disagrees"), "{err}");
    assert!(err.contains("isms rebuild"), "says what to do: {err}");
    let rebuilt = s.isms(&["rebuild"]).ok();
    assert!(
        rebuilt.contains("rebuilt the projections of 2 items"),
        "{rebuilt}"
    );
    s.isms(&["verify", "--deep"]).ok();
    assert_eq!(
        refs(&s.isms(&["nc", "list", "--state", "reported"]).ok()).len(),
        2
    );
}

#[test]
fn a_version_3_database_is_migrated_with_progress_and_keeps_working() {
    let s = Scratch::new("migrate-v3");
    s.isms(&["init"]).ok();
    report(&s, "First finding", "ops", "minor", "2026-03-02T09:00:00Z");
    report(&s, "Second finding", "ops", "major", "2026-03-02T10:00:00Z");
    {
        let conn = rusqlite::Connection::open(s.db()).unwrap();
        conn.execute_batch(
            "DROP TABLE items; DROP TABLE kpi_facts; DROP TABLE checkpoints;
             DROP TABLE verified_head; PRAGMA user_version = 3;",
        )
        .unwrap();
    }
    let run = s.isms(&["nc", "list"]);
    let stderr = run.stderr.clone();
    assert_eq!(refs(&run.ok()), ["NC-0001", "NC-0002"]);
    assert!(
        stderr.contains("migrating the register to schema version 4")
            && stderr.contains("migrated the register to schema version 4 (2 items)"),
        "says it migrates: {stderr}"
    );
    s.isms(&["verify", "--deep"]).ok();
    let again = s.isms(&["nc", "list"]);
    assert!(again.stderr.is_empty(), "migrates once: {}", again.stderr);
}

/// `generate` decides on one thread and stores on another, in runs of about
/// 20,000 events: a register of several runs is stored whole, in the order
/// the generator decided it, and its projections agree with a fresh fold.
#[test]
fn a_generated_register_of_several_runs_is_stored_whole_and_in_order() {
    let s = Scratch::new("generate-runs");
    let now = "2026-12-01T00:00:00Z";
    let args = ["generate", "--count", "3000", "--seed", "11"];
    let mut command = s.isms_command("--as", "tester");
    command.env("ISMS_NOW", now).args(args);
    s.run(&mut command, &args).ok();

    let mut config = isms_gen::GeneratorConfig::new(3000, 11).with_events();
    let now: chrono::DateTime<chrono::Utc> = now.parse().unwrap();
    config.start = now - chrono::Duration::days(1095);
    config.span_days = 1095;
    let decided: Vec<String> = isms_gen::generate(&config)
        .unwrap()
        .events
        .iter()
        .map(|e| e.id.to_string())
        .collect();
    assert!(
        decided.len() > 40_000,
        "{} events make fewer than three runs",
        decided.len()
    );
    let db = rusqlite::Connection::open(s.db()).unwrap();
    let mut stmt = db
        .prepare("SELECT body FROM events ORDER BY position")
        .unwrap();
    let stored: Vec<String> = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(|body| {
            let event: serde_json::Value = serde_json::from_str(&body.unwrap()).unwrap();
            event["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(stored.len(), decided.len());
    assert!(
        stored == decided,
        "the stored events are not the decided ones in order"
    );
    s.isms(&["verify", "--deep"]).ok();
}

/// `generate` fills a file that does not exist by a bulk load, and an
/// existing empty register by appends: the two give the same register,
/// event for event and row for row, and the bulk load leaves no file
/// beside the register but its lock.
#[test]
fn a_bulk_loaded_register_equals_one_generated_by_appends() {
    let now = "2026-12-01T00:00:00Z";
    let args = ["generate", "--count", "400", "--seed", "5"];
    let loaded = Scratch::new("generate-bulk");
    let appended = Scratch::new("generate-appends");
    appended.isms(&["init"]).ok();
    for s in [&loaded, &appended] {
        let mut command = s.isms_command("--as", "tester");
        command.env("ISMS_NOW", now).args(args);
        s.run(&mut command, &args).ok();
        s.isms(&["verify", "--deep"]).ok();
    }
    let table = |s: &Scratch, sql: &str| -> Vec<String> {
        let db = rusqlite::Connection::open(s.db()).unwrap();
        let mut stmt = db.prepare(sql).unwrap();
        let n = stmt.column_count();
        stmt.query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join("|"))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    for sql in [
        "SELECT position, stream, sequence, body, hash FROM events ORDER BY position",
        "SELECT * FROM claims ORDER BY claim",
        "SELECT stream, kind, number, state, owner, severity, next_due, version, position, body
         FROM items ORDER BY kind, number",
        "SELECT * FROM kpi_facts ORDER BY kind, number",
        "SELECT * FROM chain_head",
        "SELECT * FROM verified_head",
    ] {
        let (a, b) = (table(&loaded, sql), table(&appended, sql));
        assert!(!a.is_empty(), "{sql}: nothing stored");
        assert!(a == b, "{sql}: the bulk load and the appends differ");
    }
    let mut names: Vec<String> = std::fs::read_dir(loaded.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["register.db", "register.db.lock"]);
}
