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

/// The superuser on the database of a register URL made by [`register_url`].
fn superuser_on(register: &str) -> Client {
    let su = std::env::var("ISMS_TEST_PG_URL").unwrap();
    let db = register
        .split_once('?')
        .unwrap()
        .0
        .rsplit_once('/')
        .unwrap()
        .1;
    let base = su.rsplit_once('/').unwrap().0;
    Client::connect(&format!("{base}/{db}"), NoTls).unwrap()
}

#[test]
fn a_chain_rewritten_on_the_server_is_caught_by_the_signed_checkpoint() {
    let Some(url) = register_url("signed") else {
        return;
    };
    let register = url.rsplit_once("register=").unwrap().1.to_owned();
    let s = Scratch::with_db("pg-signed", &url);
    let key = s.path("signing.key");
    let k = key.to_str().unwrap();
    s.isms(&["key", "init", "--out", k]).ok();
    s.isms(&["init"]).ok();
    for title in ["First finding", "Second finding"] {
        s.isms(&[
            "--signing-key",
            k,
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
    let out = s.isms(&["--signing-key", k, "verify"]).ok();
    assert!(
        out.contains("checkpoints: 2 (signed by a trusted key"),
        "{out}"
    );
    assert!(out.contains("references: all 2 claims"), "{out}");
    s.isms(&["checkpoint", "--out", "kept.json"]).ok();
    let kept = std::fs::read_to_string(s.path("kept.json")).unwrap();
    assert!(kept.contains("\"position\": 2"), "{kept}");

    // The superuser edits the first report and recomputes every hash and
    // the recorded head: the chain alone holds again.
    let mut su = superuser_on(&url);
    su.batch_execute("SET session_replication_role = replica")
        .unwrap();
    su.execute(
        "UPDATE isms.events SET body = replace(body, 'First finding', 'Nothing found')
         WHERE register = $1 AND position = 1",
        &[&register],
    )
    .unwrap();
    let rows = su
        .query(
            "SELECT position, stream, sequence, body FROM isms.events
             WHERE register = $1 ORDER BY position",
            &[&register],
        )
        .unwrap();
    let mut prev = isms_store::ChainHash::GENESIS;
    for row in &rows {
        let position: i64 = row.get(0);
        let stream: String = row.get(1);
        let sequence: i64 = row.get(2);
        let body: String = row.get(3);
        prev = isms_store::chain_hash(
            &prev,
            position as u64,
            &stream,
            sequence as u64,
            body.as_bytes(),
        );
        su.execute(
            "UPDATE isms.events SET hash = $3 WHERE register = $1 AND position = $2",
            &[&register, &position, &&prev.0[..]],
        )
        .unwrap();
    }
    su.execute(
        "UPDATE isms.registers SET head_hash = $2, verified_position = 0 WHERE register = $1",
        &[&register, &&prev.0[..]],
    )
    .unwrap();

    let err = s.isms(&["--signing-key", k, "verify"]).fails(6);
    assert!(
        err.contains("checkpoint at position 1") && err.contains("rewritten"),
        "{err}"
    );
    // Reads start from the latest checkpoint, whose hash is gone.
    let err = s.isms(&["--signing-key", k, "nc", "list"]).fails(6);
    assert!(err.contains("checkpoint at position 2"), "{err}");
    let forensic = s.isms(&["--allow-unverified", "--signing-key", k, "nc", "list"]);
    assert_eq!(forensic.code, 0, "{}", forensic.stderr);
    assert!(
        forensic.stderr.contains("UNVERIFIED"),
        "{}",
        forensic.stderr
    );
    // Deleting the recorded checkpoints too leaves a register that
    // verifies on its own; the checkpoint kept elsewhere tells.
    su.execute(
        "DELETE FROM isms.checkpoints WHERE register = $1",
        &[&register],
    )
    .unwrap();
    s.isms(&["verify"]).ok();
    let err = s.isms(&["verify", "--against", "kept.json"]).fails(6);
    assert!(err.contains("checkpoint at position 2"), "{err}");
}

#[test]
fn a_password_in_the_url_never_reaches_the_output() {
    let Some(url) = register_url("secret") else {
        return;
    };
    const SECRET: &str = "Tr0ub4dor-and-3";
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let with_password = |user: &str| format!("{scheme}://{user}:{SECRET}@{host}");
    let clean = |run: &crate::support::Run| {
        for text in [&run.stdout, &run.stderr] {
            assert!(!text.contains(SECRET), "the password leaked: {text}");
        }
    };
    // A login the server refuses (a role it does not know).
    let refused = Scratch::with_db("pg-secret-refused", &with_password("isms_nobody"));
    for args in [&["init"][..], &["nc", "list"], &["verify"]] {
        let run = refused.isms(args);
        clean(&run);
        assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
        assert!(run.stderr.contains("isms_nobody"), "{}", run.stderr);
    }
    // A wrong password, where the server checks it: scripts/pg-test-server
    // (what .ci/run starts) asks the role isms_password_check for its
    // password; a server trusting loopback for every role (a developer's)
    // cannot refuse it, and the check is left to CI's.
    let mut su = superuser_on(&url);
    su.batch_execute(
        "DO $$ BEGIN CREATE ROLE isms_password_check LOGIN PASSWORD 'the-right-one';
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
    )
    .unwrap();
    let checked: i64 = su
        .query_one(
            "SELECT count(*) FROM pg_hba_file_rules
             WHERE 'isms_password_check' = ANY(user_name) AND auth_method = 'scram-sha-256'",
            &[],
        )
        .unwrap()
        .get(0);
    if checked > 0 {
        let wrong = Scratch::with_db("pg-secret-wrong", &with_password("isms_password_check"));
        for args in [&["init"][..], &["nc", "list"]] {
            let run = wrong.isms(args);
            clean(&run);
            assert_ne!(run.code, 0, "{args:?}: {}", run.stdout);
            assert!(
                run.stderr.contains("password authentication failed"),
                "{}",
                run.stderr
            );
        }
    }
    // A URL without a register: the usage message shows it redacted.
    let base = with_password(user);
    let no_register = Scratch::with_db("pg-secret-noregister", base.split_once('?').unwrap().0);
    let run = no_register.isms(&["nc", "list"]);
    clean(&run);
    assert!(run.stderr.contains(":***@"), "{}", run.stderr);
    // A login that works (this server trusts loopback: the password is not
    // checked), through commands that print where the register is.
    let s = Scratch::with_db("pg-secret-ok", &base);
    for args in [
        &["init"][..],
        &[
            "nc",
            "report",
            "--title",
            "Seen",
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ],
        &["nc", "show", "NC-0009"],
        &["rebuild"],
        &["backup", "--to", "copy.db"],
    ] {
        clean(&s.isms(args));
    }
}

#[test]
fn tls_settings_in_the_url_are_honoured_and_their_failures_are_store_errors() {
    // The test server serves no TLS (a TLS cluster is tested in
    // isms-store-postgres's tests/tls.rs): `require` must refuse rather than
    // fall back to plain text, `disable` and `prefer` connect.
    let Some(url) = register_url("tls") else {
        return;
    };
    const SECRET: &str = "n0t-printed-either";
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap();
    let with = |query: &str| format!("{scheme}://{user}:{SECRET}@{host}&{query}");
    let s = Scratch::with_db("pg-tls-init", &url);
    s.isms(&["init"]).ok();
    for mode in ["disable", "prefer"] {
        let s = Scratch::with_db("pg-tls-plain", &with(&format!("sslmode={mode}")));
        s.isms(&["nc", "list"]).ok();
    }
    for (query, says) in [
        ("sslmode=require", "does not offer it"),
        ("sslmode=verify-full", "sslrootcert"),
        (
            "sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem",
            "/nonexistent/ca.pem",
        ),
        ("sslmode=allow", "not one of"),
    ] {
        let s = Scratch::with_db("pg-tls-refused", &with(query));
        let run = s.isms(&["nc", "list"]);
        assert_eq!(run.code, 5, "{query}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{query}: {}", run.stderr);
        assert!(!run.stderr.contains(SECRET), "{query}: {}", run.stderr);
    }
}
