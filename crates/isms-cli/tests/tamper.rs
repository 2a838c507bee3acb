//! Tampering with the database file, as someone who can write it would:
//! SQL edits through rusqlite, hashes recomputed, the reference index
//! pointed elsewhere, bodies that do not decode, damaged pages, forged and
//! stale checkpoints. `verify` names the first thing wrong (exit 6); reads
//! and exports refuse a broken chain unless `--allow-unverified`.

use isms_store::{ChainHash, chain_hash};

use crate::support::Scratch;

/// A register of `titles.len()` reported nonconformities, written with
/// `key` as the signing key when given.
fn register(s: &Scratch, titles: &[&str], key: Option<&str>) {
    s.isms(&["init"]).ok();
    for title in titles {
        let mut args = vec![
            "nc",
            "report",
            "--title",
            title,
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ];
        if let Some(k) = key {
            args.extend(["--signing-key", k]);
        }
        s.isms(&args).ok();
    }
}

fn sql(s: &Scratch, batch: &str) {
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch(batch).unwrap();
}

/// Recomputes every chain hash and the recorded head from the rows as they
/// are: what an attacker who knows the (public) chain encoding does.
fn recompute_chain(s: &Scratch) {
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute_batch("DROP TRIGGER IF EXISTS events_no_update;")
        .unwrap();
    let rows: Vec<(i64, String, i64, String)> = conn
        .prepare("SELECT position, stream, sequence, body FROM events ORDER BY position")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut prev = ChainHash::GENESIS;
    for (position, stream, sequence, body) in rows {
        prev = chain_hash(
            &prev,
            position as u64,
            &stream,
            sequence as u64,
            body.as_bytes(),
        );
        conn.execute(
            "UPDATE events SET hash = ?1 WHERE position = ?2",
            rusqlite::params![&prev.0[..], position],
        )
        .unwrap();
    }
    conn.execute(
        "UPDATE chain_head SET hash = ?1",
        rusqlite::params![&prev.0[..]],
    )
    .unwrap();
    // The incremental check's own record is in the file too: an attacker
    // sets it to the new head.
    conn.execute(
        "UPDATE verified_head SET hash = ?1, position = (SELECT position FROM chain_head)",
        rusqlite::params![&prev.0[..]],
    )
    .unwrap();
}

fn key(s: &Scratch, name: &str) -> String {
    let path = s.path(name);
    s.isms(&["key", "init", "--out", path.to_str().unwrap()])
        .ok();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_payload_edited_in_place_is_refused_by_verify_reads_and_export() {
    let s = Scratch::new("tamper");
    register(&s, &["First finding", "Second finding"], None);
    assert!(s.isms(&["verify"]).ok().starts_with("intact: 2 events"));
    sql(
        &s,
        "DROP TRIGGER events_no_update;
         UPDATE events SET body = replace(body, 'First finding', 'Nothing found') WHERE position = 1;",
    );
    let err = s.isms(&["verify"]).fails(6);
    assert!(
        err.contains("broken at position 1 "),
        "names the edited row: {err}"
    );
    assert!(err.contains("restore"), "says what to do: {err}");
    // The item read shows the edit nowhere: it is refused, naming the row.
    let err = s.isms(&["nc", "show", "NC-0001"]).fails(6);
    assert!(err.contains("position 1"), "{err}");
    // The laundering case: an export of the edited log is refused, so it
    // cannot be imported into a fresh register that would verify.
    let err = s
        .isms(&["export", "--format", "json", "--out", "out.json"])
        .fails(6);
    assert!(err.contains("position 1"), "{err}");
    assert!(!s.path("out.json").exists());
    // For forensics, the edited text can be seen, marked as unverified.
    let run = s.isms(&["--allow-unverified", "nc", "show", "NC-0001"]);
    assert!(run.stderr.contains("UNVERIFIED"), "{}", run.stderr);
    assert!(run.ok().contains("Nothing found"));
    let run = s.isms(&[
        "--allow-unverified",
        "export",
        "--format",
        "json",
        "--out",
        "forensic.json",
    ]);
    assert!(run.stderr.contains("UNVERIFIED"), "{}", run.stderr);
    run.ok();
}

#[test]
fn an_edit_after_the_last_checked_head_is_refused_by_every_read() {
    let s = Scratch::new("tamper-tail");
    register(&s, &["First finding", "Second finding"], None);
    // An event appended behind the store's back (a copy of the last one,
    // hashes made to fit): the head record is left as isms wrote it.
    sql(
        &s,
        "INSERT INTO events (position, stream, sequence, body, hash)
         SELECT 3, stream, 2, body, hash FROM events WHERE position = 2;",
    );
    for args in [
        &["nc", "list"][..],
        &["kpi"],
        &["improvement", "list"],
        &["export", "--format", "json"],
    ] {
        let err = s.isms(args).fails(6);
        assert!(err.contains("position 3"), "{args:?}: {err}");
    }
    // And no write goes onto the broken chain.
    let err = s
        .isms(&[
            "nc",
            "report",
            "--title",
            "Third",
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ])
        .fails(6);
    assert!(err.contains("position 3"), "{err}");
}

#[test]
fn a_rewritten_chain_with_recomputed_hashes_is_caught_by_the_signed_checkpoint() {
    let s = Scratch::new("tamper-rewrite");
    let k = key(&s, "signing.key");
    register(&s, &["First finding", "Second finding"], Some(&k));
    let out = s.isms(&["--signing-key", &k, "verify"]).ok();
    assert!(
        out.contains("checkpoints: 2 (signed by a trusted key"),
        "{out}"
    );
    s.isms(&["checkpoint", "--out", "kept.json"]).ok();

    sql(
        &s,
        "DROP TRIGGER events_no_update;
         UPDATE events SET body = replace(body, 'First finding', 'Nothing found') WHERE position = 1;",
    );
    recompute_chain(&s);
    // The chain alone now verifies: that is the attack.
    let err = s.isms(&["--signing-key", &k, "verify"]).fails(6);
    assert!(
        err.contains("checkpoint at position 1") && err.contains("rewritten"),
        "{err}"
    );
    // Reads start from the latest checkpoint, whose hash is gone.
    let err = s.isms(&["--signing-key", &k, "nc", "list"]).fails(6);
    assert!(err.contains("checkpoint at position 2"), "{err}");
    // The finding: `backup` called such a file verified. It refuses it now,
    // and leaves nothing at the destination.
    let err = s
        .isms(&["--signing-key", &k, "backup", "--to", "copy.db"])
        .fails(6);
    assert!(err.contains("checkpoint at position 2"), "{err}");
    assert!(!s.path("copy.db").exists());
    // An attacker who also deletes the recorded checkpoints leaves a
    // register that verifies on its own; the checkpoint kept elsewhere tells.
    sql(&s, "DELETE FROM checkpoints;");
    s.isms(&["verify"]).ok();
    let err = s.isms(&["verify", "--against", "kept.json"]).fails(6);
    assert!(err.contains("checkpoint at position 2"), "{err}");
}

#[test]
fn a_checkpoint_signed_by_another_key_is_reported() {
    let s = Scratch::new("tamper-forge");
    let k = key(&s, "signing.key");
    let attacker = key(&s, "attacker.key");
    register(&s, &["First finding"], Some(&k));
    sql(
        &s,
        "DROP TRIGGER events_no_update;
         UPDATE events SET body = replace(body, 'First finding', 'Nothing found');
         DELETE FROM checkpoints;",
    );
    recompute_chain(&s);
    // The attacker signs the rewritten head with their own key.
    s.isms(&["--signing-key", &attacker, "checkpoint", "--out", "-"])
        .ok();
    let public = s.isms(&["--signing-key", &k, "key", "show"]).ok();
    let public = public
        .lines()
        .find_map(|l| l.strip_prefix("public key: "))
        .unwrap()
        .trim()
        .to_owned();
    let err = s.isms(&["verify", "--public-key", &public]).fails(6);
    assert!(err.contains("not a trusted key"), "{err}");
    let err = s.isms(&["--public-key", &public, "nc", "list"]).fails(6);
    assert!(err.contains("not a trusted key"), "{err}");
    // A signature edited in the database does not hold either.
    sql(
        &s,
        "UPDATE checkpoints SET body = json_set(body, '$.position', 0), position = 0;",
    );
    let err = s.isms(&["verify"]).fails(6);
    assert!(err.contains("signature does not verify"), "{err}");
}

#[test]
fn the_reference_index_pointed_at_another_stream_is_reported() {
    let s = Scratch::new("tamper-claims");
    register(&s, &["First finding", "Second finding"], None);
    sql(
        &s,
        "UPDATE claims SET stream = (SELECT stream FROM events WHERE position = 2)
         WHERE claim = 'NC-0001';",
    );
    let err = s.isms(&["verify"]).fails(6);
    assert!(
        err.contains("reference index is wrong for NC-0001"),
        "{err}"
    );
    // The finding: `nc reject NC-0001` landed on NC-0002. Now a command
    // addressed by reference checks the item it reached, and nothing is
    // written.
    let before = crate::support::db_bytes(&s.db());
    let err = s
        .isms(&["nc", "reject", "NC-0001", "--explanation", "not ours"])
        .fails(6);
    assert!(
        err.contains("reference index is wrong for NC-0001") && err.contains("NC-0002"),
        "{err}"
    );
    assert_eq!(crate::support::db_bytes(&s.db()), before);
    let err = s.isms(&["nc", "show", "NC-0001"]).fails(6);
    assert!(err.contains("NC-0001"), "{err}");
    // NC-0002 itself is untouched and still addressable.
    let shown = s.isms(&["nc", "show", "NC-0002", "--json"]).json();
    assert_eq!(shown["state"], "reported", "{shown}");
}

#[test]
fn a_body_that_does_not_decode_is_reported_even_with_its_hash_recomputed() {
    let s = Scratch::new("tamper-body");
    register(&s, &["First finding", "Second finding"], None);
    sql(
        &s,
        "DROP TRIGGER events_no_update;
         UPDATE events SET body = '{\"not\":\"an event\"}' WHERE position = 2;",
    );
    recompute_chain(&s);
    let err = s.isms(&["verify"]).fails(6);
    assert!(
        err.contains("position 2") && err.contains("does not decode"),
        "{err}"
    );
}

#[test]
fn damaged_pages_fail_the_databases_own_check() {
    let s = Scratch::new("tamper-pages");
    s.isms(&["generate", "--count", "300", "--seed", "3"]).ok();
    s.isms(&["verify"]).ok();
    // Past the header page, in the middle of the b-trees.
    let mut bytes = std::fs::read(s.db()).unwrap();
    // The file's own page size (a generated file has larger pages than
    // SQLite's default): header bytes 16-17, big-endian.
    let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    assert!(page >= 4096, "page size {page}");
    let at = page * (bytes.len() / page / 2);
    for (i, b) in bytes[at + 8..at + page].iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    std::fs::write(s.db(), bytes).unwrap();
    let err = s.isms(&["verify"]).fails(6);
    assert!(err.contains("integrity check failed"), "{err}");
    // The finding: a damaged file also passed `backup`. The copy is checked
    // as `verify` checks the file, and nothing is left at the destination.
    let err = s.isms(&["backup", "--to", "copy.db"]).fails(6);
    assert!(
        err.contains("integrity check failed") || err.contains("corrupt"),
        "{err}"
    );
    assert!(!s.path("copy.db").exists());
}

#[test]
fn events_removed_at_the_end_are_caught_by_a_kept_checkpoint() {
    let s = Scratch::new("tamper-truncate");
    let k = key(&s, "signing.key");
    register(&s, &["One", "Two", "Three"], Some(&k));
    s.isms(&["checkpoint", "--out", "kept.json"]).ok();
    sql(
        &s,
        "DROP TRIGGER events_no_delete;
         DELETE FROM events WHERE position = 3;
         DELETE FROM claims WHERE claim = 'NC-0003';
         DELETE FROM checkpoints WHERE position = 3;
         DELETE FROM items WHERE number = 3;
         DELETE FROM kpi_facts WHERE number = 3;
         UPDATE chain_head SET position = 2, hash = (SELECT hash FROM events WHERE position = 2);
         UPDATE verified_head SET position = 2, hash = (SELECT hash FROM events WHERE position = 2);",
    );
    // Consistent in itself: it verifies without the kept checkpoint...
    s.isms(&["verify"]).ok();
    // ...but not against it.
    let err = s.isms(&["verify", "--against", "kept.json"]).fails(6);
    assert!(err.contains("ends at position 2"), "{err}");
}

#[test]
fn the_key_is_written_for_its_owner_only_and_never_replaced() {
    let s = Scratch::new("key-init");
    let k = key(&s, "signing.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&k).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let before = std::fs::read(&k).unwrap();
    let err = s.isms(&["key", "init", "--out", &k]).fails(2);
    assert!(err.contains("never replaced"), "{err}");
    assert_eq!(std::fs::read(&k).unwrap(), before);
    // The key id is derived from the public key.
    let shown = s.isms(&["--signing-key", &k, "key", "show"]).ok();
    assert!(shown.contains("key id:"), "{shown}");
    // A checkpoint needs a key: without one there is none to export.
    s.isms(&["init"]).ok();
    s.isms(&["checkpoint", "--out", "cp.json"]).fails(4);
}

#[test]
fn a_version_4_register_is_migrated_to_checkpoints() {
    let s = Scratch::new("migrate-v4");
    register(&s, &["First finding"], None);
    sql(
        &s,
        "DROP TABLE checkpoints; DROP TABLE verified_head; PRAGMA user_version = 4;",
    );
    let k = key(&s, "signing.key");
    s.isms(&[
        "--signing-key",
        &k,
        "nc",
        "report",
        "--title",
        "Second",
        "--source",
        "monitoring",
        "--severity",
        "minor",
    ])
    .ok();
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, i64::from(isms_store_sqlite::SCHEMA_VERSION));
    let out = s.isms(&["--signing-key", &k, "verify"]).ok();
    assert!(out.contains("checkpoints: 1"), "{out}");
}

#[test]
fn a_backup_with_a_forged_checkpoint_is_not_restored() {
    let s = Scratch::new("tamper-restore");
    let k = key(&s, "signing.key");
    let attacker = key(&s, "attacker.key");
    register(&s, &["First finding"], Some(&k));
    s.isms(&["backup", "--to", "b.db"]).ok();
    // The backup's checkpoints are replaced by one signed with another key.
    rusqlite::Connection::open(s.path("b.db"))
        .unwrap()
        .execute_batch("DELETE FROM checkpoints;")
        .unwrap();
    s.isms_on(
        &s.path("b.db"),
        &["--signing-key", &attacker, "checkpoint", "--out", "-"],
    )
    .ok();
    let before = std::fs::read(s.db()).unwrap();
    let err = s
        .isms(&["--signing-key", &k, "restore", "--from", "b.db"])
        .fails(6);
    assert!(err.contains("not a trusted key"), "{err}");
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
}

/// A backup taken by an older version (schema 4, before checkpoints) is
/// restored: a copy of it is migrated, the backup itself is never written.
#[test]
fn a_backup_from_schema_4_is_restored_and_left_as_it_was() {
    let s = Scratch::new("restore-v4");
    register(&s, &["First finding", "Second finding"], None);
    s.isms(&["backup", "--to", "old.db"]).ok();
    let old = s.path("old.db");
    let conn = rusqlite::Connection::open(&old).unwrap();
    conn.execute_batch(
        "DROP TABLE checkpoints; DROP TABLE verified_head; PRAGMA user_version = 4;",
    )
    .unwrap();
    drop(conn);
    let before = std::fs::read(&old).unwrap();
    let fresh = Scratch::new("restore-v4-target");
    fresh
        .isms(&["restore", "--from", old.to_str().unwrap()])
        .ok();
    assert_eq!(
        std::fs::read(&old).unwrap(),
        before,
        "the backup was written"
    );
    let out = fresh.isms(&["verify"]).ok();
    assert!(out.starts_with("intact: 2 events"), "{out}");
    let listed = fresh.isms(&["nc", "list"]).ok();
    assert!(listed.contains("Second finding"), "{listed}");
    // No migrated copy is left beside the target.
    let leftovers: Vec<_> = std::fs::read_dir(fresh.db().parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("migrating"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
