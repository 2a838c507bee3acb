//! The binary on a PostgreSQL register: the same commands give the same
//! register as on a SQLite file, `$ISMS_DB` selects it, concurrent
//! processes number items once, backup and restore say how PostgreSQL
//! does it.
//!
//! Needs `ISMS_TEST_PG_URL` (a superuser URL of a throw-away server, as
//! `.ci/run` exports); skipped without it, failed without it under `CI=true`.

use std::process::Stdio;
use std::sync::OnceLock;

use postgres::{Client, NoTls};

use crate::scenarios::seed_register;
use crate::support::{Scratch, command};

/// The role the CLI connects as: it owns its own database, so `isms init`
/// migrates and creates registers there.
const ROLE: &str = "isms_cli";

/// A URL for a new register (`?register=...`), or `None` when there is no
/// server and this is not CI.
#[allow(clippy::print_stderr)] // a skipped test says why
fn register_url(name: &str) -> Option<String> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Ok(url) = std::env::var("ISMS_TEST_PG_URL") else {
        assert!(
            !ci,
            "CI=true but ISMS_TEST_PG_URL is not set: .ci/run must start the PostgreSQL test server"
        );
        eprintln!("skipping: ISMS_TEST_PG_URL is not set (see scripts/pg-test-server)");
        return None;
    };
    static DATABASE: OnceLock<String> = OnceLock::new();
    let base = DATABASE.get_or_init(|| {
        let mut su = Client::connect(&url, NoTls)
            .unwrap_or_else(|e| panic!("the test server at {url} cannot be reached: {e}"));
        let db = format!("isms_cli_{}", std::process::id());
        for statement in [
            format!(
                "DO $$ BEGIN CREATE ROLE {ROLE} LOGIN NOSUPERUSER;
                 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            ),
            format!("DROP DATABASE IF EXISTS {db}"),
            format!("CREATE DATABASE {db} OWNER {ROLE}"),
        ] {
            su.batch_execute(&statement).unwrap();
        }
        let (scheme, rest) = url.split_once("://").unwrap();
        let host = rest.split_once('@').map_or(rest, |(_, h)| h);
        let host = host.rsplit_once('/').unwrap().0;
        format!("{scheme}://{ROLE}@{host}/{db}")
    });
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    Some(format!("{base}?register={name}-{n}"))
}

/// UUIDs replaced by `<uuid>`: item ids are random in every run.
fn without_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let candidate = text.get(i..i + 36);
        let is_uuid = candidate.is_some_and(|c| {
            c.char_indices().all(|(k, ch)| match k {
                8 | 13 | 18 | 23 => ch == '-',
                _ => ch.is_ascii_hexdigit(),
            })
        });
        if is_uuid {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let ch = text[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

#[test]
fn the_seed_scenarios_give_the_same_register_on_postgres_as_on_a_file() {
    let Some(url) = register_url("seed") else {
        return;
    };
    let file = Scratch::new("pg-seed-file");
    let server = Scratch::with_db("pg-seed-server", &url);
    seed_register(&file);
    seed_register(&server);
    let same = |args: &[&str]| {
        let a = without_ids(&file.isms(args).ok());
        let b = without_ids(&server.isms(args).ok());
        assert_eq!(
            a,
            b,
            "isms {} differs between SQLite and PostgreSQL",
            args.join(" ")
        );
    };
    same(&["nc", "list"]);
    same(&["nc", "list", "--json"]);
    same(&["improvement", "list"]);
    for nc in ["NC-0001", "NC-0002", "NC-0003"] {
        same(&["nc", "show", nc, "--json"]);
    }
    same(&["improvement", "show", "IMP-0001", "--json"]);
    same(&["kpi", "--as-of", "2027-01-31", "--window", "730d", "--json"]);
    // The history is the item's own stream, in order.
    let history = server.isms(&["nc", "show", "NC-0001", "--history"]).ok();
    assert!(history.contains("nonconformity_closed.v1"), "{history}");

    let verified = server.isms(&["verify"]).ok();
    assert!(verified.starts_with("intact:"), "{verified}");
    let deep = server.isms(&["verify", "--deep"]).ok();
    assert!(deep.contains("projections: all"), "{deep}");
    server.isms(&["rebuild"]).ok();
    server
        .isms(&["report", "--out", "review.html", "--as-of", "2027-01-31"])
        .ok();
    assert!(server.path("review.html").exists());

    // A register document moves the register between backends: exported
    // from the server, imported into an empty file and an empty register,
    // all three list the same.
    server
        .isms(&["export", "--format", "json", "--out", "register.json"])
        .ok();
    let document = server.path("register.json");
    let copy = Scratch::new("pg-seed-copy");
    copy.isms(&["import", document.to_str().unwrap()]).ok();
    let Some(url2) = register_url("copy") else {
        return;
    };
    let server_copy = Scratch::with_db("pg-seed-server-copy", &url2);
    server_copy.isms(&["init"]).ok();
    server_copy
        .isms(&["import", document.to_str().unwrap()])
        .ok();
    let list = server.isms(&["nc", "list", "--json"]).ok();
    assert_eq!(copy.isms(&["nc", "list", "--json"]).ok(), list);
    assert_eq!(server_copy.isms(&["nc", "list", "--json"]).ok(), list);
    server_copy.isms(&["verify", "--deep"]).ok();
}

#[test]
fn isms_db_in_the_environment_selects_the_server() {
    let Some(url) = register_url("env") else {
        return;
    };
    let dir = Scratch::new("pg-env");
    let run = |args: &[&str]| {
        let out = command(dir.dir())
            .env("ISMS_DB", &url)
            .args(["--as", "tester"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&["init"]).contains("?register=env-"));
    run(&[
        "nc",
        "report",
        "--title",
        "From the environment",
        "--source",
        "monitoring",
        "--severity",
        "minor",
    ]);
    assert!(run(&["nc", "list"]).contains("From the environment"));
    // Nothing was written beside the working directory.
    assert!(!dir.path("isms.db").exists());
}

#[test]
fn concurrent_processes_on_one_register_number_every_item_once() {
    let Some(url) = register_url("many") else {
        return;
    };
    let s = Scratch::with_db("pg-many", &url);
    s.isms(&["init"]).ok();
    let children: Vec<_> = (0..4)
        .map(|w| {
            let script = (0..5)
                .map(|i| {
                    format!(
                        "\"$0\" --db \"$1\" --as w{w} nc report --title 'writer {w} item {i}' \
                         --source monitoring --severity minor || exit 1;"
                    )
                })
                .collect::<String>();
            std::process::Command::new("sh")
                .args(["-c", &script, env!("CARGO_BIN_EXE_isms"), &url])
                .env_remove("ISMS_DB")
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a writer failed");
    }
    let list = s.isms(&["nc", "list", "--json"]).json();
    let mut refs: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|nc| nc["reference"].as_str().unwrap().to_owned())
        .collect();
    refs.sort();
    let expected: Vec<String> = (1..=20).map(|n| format!("NC-{n:04}")).collect();
    assert_eq!(refs, expected);
    s.isms(&["verify", "--deep"]).ok();
}

#[test]
fn backup_and_restore_of_a_server_register_say_how_postgresql_does_it() {
    let Some(url) = register_url("backup") else {
        return;
    };
    let s = Scratch::with_db("pg-backup", &url);
    s.isms(&["init"]).ok();
    let backup = s.path("copy.db");
    let advice = s
        .isms(&["backup", "--to", backup.to_str().unwrap()])
        .fails(2);
    assert!(advice.contains("pg_dump"), "{advice}");
    assert!(advice.contains("export --format json"), "{advice}");
    assert!(!backup.exists());
    let advice = s
        .isms(&["restore", "--from", backup.to_str().unwrap()])
        .fails(2);
    assert!(advice.contains("pg_restore"), "{advice}");
}

#[test]
fn a_server_url_without_a_register_or_an_unknown_register_is_refused() {
    let Some(url) = register_url("missing") else {
        return;
    };
    let base = url.split_once('?').unwrap().0;
    let s = Scratch::with_db("pg-noregister", base);
    let err = s.isms(&["nc", "list"]).fails(2);
    assert!(err.contains("?register="), "{err}");
    // A register nobody created: not found (exit 4), with the way to create it.
    let s = Scratch::with_db("pg-unknown", &url);
    s.isms(&["init"]).ok();
    let other = format!("{base}?register=never-created");
    let s = Scratch::with_db("pg-unknown2", &other);
    let err = s.isms(&["nc", "list"]).fails(4);
    assert!(err.contains("init"), "{err}");
}
