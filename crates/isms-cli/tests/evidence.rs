//! Evidence records through the binary (issue 16, part 7): files hashed and
//! recorded, copies kept beside the register, `verify` re-hashing them, and
//! the policy's requirement of evidence for a major nonconformity.

use crate::support::Scratch;

/// SHA-256 of the four bytes `test`.
const TEST_SHA256: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A major nonconformity NC-0001 with one planned action A-1 owned by bob.
fn planned(s: &Scratch) {
    s.isms(&["init"]).ok();
    for args in [
        &[
            "nc",
            "report",
            "--title",
            "Backup job failed silently",
            "--source",
            "monitoring",
            "--severity",
            "major",
            "--at",
            "2026-03-02T09:00:00Z",
        ][..],
        &[
            "nc",
            "contain",
            "NC-0001",
            "--action-taken",
            "Ran the backup by hand",
            "--at",
            "2026-03-02T10:00:00Z",
        ],
        &[
            "nc",
            "analyse",
            "NC-0001",
            "--cause",
            "technology:No alert on failed jobs",
            "--similar-notes",
            "none found",
            "--at",
            "2026-03-03T10:00:00Z",
        ],
        &[
            "nc",
            "plan",
            "NC-0001",
            "--description",
            "Alert on failed backup jobs",
            "--owner",
            "bob",
            "--due",
            "2026-03-31",
            "--at",
            "2026-03-03T11:00:00Z",
        ],
    ] {
        s.isms_as("alice", args).ok();
    }
}

fn complete(s: &Scratch, evidence: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "nc",
        "complete",
        "NC-0001",
        "--action",
        "A-1",
        "--at",
        "2026-03-20T16:00:00Z",
    ];
    for e in evidence {
        match *e {
            "--keep-evidence" => args.push(e),
            _ => args.extend(["--evidence", e]),
        }
    }
    s.isms_as("bob", &args)
}

fn kept_copy(s: &Scratch) -> std::path::PathBuf {
    s.path("register.db.evidence")
        .join("sha256")
        .join(&TEST_SHA256[..2])
        .join(&TEST_SHA256[2..])
}

#[test]
fn a_major_nonconformity_needs_evidence_and_bad_files_are_refused_by_kind() {
    let s = Scratch::new("evidence-refusals");
    planned(&s);
    let err = complete(&s, &[]).fails(3);
    assert!(err.contains("needs evidence"), "{err}");
    let err = complete(&s, &["./missing-report.pdf"]).fails(4);
    assert!(err.contains("missing-report.pdf"), "{err}");
    let err = complete(&s, &["file:also-missing.pdf"]).fails(4);
    assert!(err.contains("also-missing.pdf"), "{err}");
    std::fs::create_dir(s.path("scans")).unwrap();
    let err = complete(&s, &["./scans"]).fails(2);
    assert!(err.contains("is a directory"), "{err}");
    // A bare word that is also a file here is refused as ambiguous.
    std::fs::write(s.path("report.txt"), "test").unwrap();
    let err = complete(&s, &["report.txt"]).fails(2);
    assert!(err.contains("ambiguous"), "{err}");
    // Nothing of it was recorded.
    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    assert_eq!(nc["state"], "actions_planned");
    // A reference is enough for the policy.
    complete(&s, &["ref:report.txt"]).ok();
    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    assert_eq!(nc["actions"][0]["evidence"][0], "report.txt");
}

#[test]
fn a_file_is_recorded_by_its_hash_and_a_kept_copy_is_checked_by_verify() {
    let s = Scratch::new("evidence-kept");
    planned(&s);
    std::fs::write(s.path("restore-test.log"), "test").unwrap();
    complete(
        &s,
        &["file:restore-test.log", "--keep-evidence", "CHG-1042"],
    )
    .ok();

    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    let evidence = &nc["actions"][0]["evidence"];
    assert_eq!(evidence[0]["sha256"], TEST_SHA256, "{evidence}");
    assert_eq!(evidence[0]["size"], 4);
    assert_eq!(evidence[0]["name"], "restore-test.log");
    assert_eq!(evidence[0]["kept"], true);
    assert!(evidence[0]["attached_at"].is_string(), "{evidence}");
    assert_eq!(evidence[1], "CHG-1042");
    assert_eq!(std::fs::read(kept_copy(&s)).unwrap(), b"test");
    let shown = s.isms(&["nc", "show", "NC-0001"]).ok();
    assert!(
        shown.contains(&format!(
            "evidence: file restore-test.log (4 bytes, sha256:{TEST_SHA256}"
        )) && shown.contains("copy kept"),
        "{shown}"
    );
    assert!(shown.contains("evidence: reference CHG-1042"), "{shown}");

    let out = s.isms(&["verify"]).ok();
    assert!(
        out.contains("evidence: all 1 kept copies hash to the digests"),
        "{out}"
    );
    assert_eq!(s.isms(&["verify", "--json"]).json()["kept_evidence"], 1);

    // The source may change afterwards: the record and the copy keep what
    // was attached.
    std::fs::write(s.path("restore-test.log"), "changed").unwrap();
    s.isms(&["verify"]).ok();

    // Tampering with the kept copy is named, exit 6.
    std::fs::write(kept_copy(&s), "tesT").unwrap();
    let err = s.isms(&["verify"]).fails(6);
    assert!(
        err.contains("NC-0001") && err.contains("restore-test.log") && err.contains("altered"),
        "{err}"
    );
    std::fs::remove_file(kept_copy(&s)).unwrap();
    let err = s.isms(&["verify"]).fails(6);
    assert!(err.contains("missing"), "{err}");
}

#[test]
fn a_damaged_copy_is_never_replaced_by_a_new_attachment() {
    let s = Scratch::new("evidence-no-clobber");
    planned(&s);
    let copy = kept_copy(&s);
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::write(&copy, "something else").unwrap();
    std::fs::write(s.path("restore-test.log"), "test").unwrap();
    let err = complete(&s, &["./restore-test.log", "--keep-evidence"]).fails(6);
    assert!(err.contains("holds content with sha256:"), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), b"something else");
    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    assert_eq!(nc["state"], "actions_planned");
    // No temporary file is left behind.
    let tmp: Vec<_> = std::fs::read_dir(s.path("register.db.evidence").join("tmp"))
        .unwrap()
        .collect();
    assert!(tmp.is_empty(), "{tmp:?}");
}

#[test]
fn a_passed_check_of_a_major_nonconformity_needs_evidence_a_failed_one_does_not() {
    let s = Scratch::new("evidence-verify");
    planned(&s);
    complete(&s, &["CHG-1"]).ok();
    s.isms_as(
        "alice",
        &[
            "nc",
            "verify-plan",
            "NC-0001",
            "--method",
            "restore test",
            "--criteria",
            "restored in an hour",
            "--verifier",
            "dave",
            "--every",
            "1m",
            "--first",
            "2026-04-01",
            "--count",
            "3",
            "--at",
            "2026-03-21T09:00:00Z",
        ],
    )
    .ok();
    let verify = |check: &str, result: &str, evidence: &[&str]| {
        let mut args = vec![
            "nc",
            "verify",
            "NC-0001",
            "--check",
            check,
            result,
            "--at",
            "2026-04-01T12:00:00Z",
        ];
        for e in evidence {
            args.extend(["--evidence", e]);
        }
        s.isms_as("dave", &args)
    };
    let err = verify("0", "--passed", &[]).fails(3);
    assert!(
        err.contains("the passed check 0 of NC-0001 needs evidence"),
        "{err}"
    );
    std::fs::write(s.path("restore.log"), "test").unwrap();
    verify("0", "--passed", &["./restore.log"]).ok();
    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    let r = &nc["verification_results"][0]["evidence"][0];
    assert_eq!(r["sha256"], TEST_SHA256, "{nc}");
    assert!(r.get("kept").is_none(), "{r}");
    // A failure needs none.
    verify("1", "--failed", &[]).ok();
    // Nothing kept, nothing to re-hash.
    let out = s.isms(&["verify"]).ok();
    assert!(!out.contains("kept copies"), "{out}");
}

#[test]
fn a_backup_carries_the_kept_copies_and_a_restore_brings_them_back() {
    let s = Scratch::new("evidence-backup");
    planned(&s);
    std::fs::write(s.path("restore-test.log"), "test").unwrap();
    complete(&s, &["file:restore-test.log", "--keep-evidence"]).ok();

    let out = s.isms(&["backup", "--to", "b.db"]).ok();
    assert!(out.contains("1 kept evidence copy"), "{out}");
    let carried = s
        .path("b.db.evidence")
        .join("sha256")
        .join(&TEST_SHA256[..2])
        .join(&TEST_SHA256[2..]);
    assert_eq!(std::fs::read(&carried).unwrap(), b"test");

    // The register and its copies are lost; the restore brings back both,
    // and verify re-hashes the copy.
    std::fs::remove_file(s.path("register.db")).unwrap();
    std::fs::remove_dir_all(s.path("register.db.evidence")).unwrap();
    s.isms(&["restore", "--from", "b.db"]).ok();
    assert_eq!(std::fs::read(kept_copy(&s)).unwrap(), b"test");
    assert_eq!(s.isms(&["verify", "--json"]).json()["kept_evidence"], 1);
}

#[test]
fn a_backup_names_a_kept_copy_it_could_not_carry_and_never_carries_damage() {
    let s = Scratch::new("evidence-backup-damaged");
    planned(&s);
    std::fs::write(s.path("restore-test.log"), "test").unwrap();
    complete(&s, &["file:restore-test.log", "--keep-evidence"]).ok();
    std::fs::write(kept_copy(&s), "tesT").unwrap();

    // The register is backed up and verified; the altered copy is named,
    // exit 6, and nothing is written under its name in the backup.
    let err = s.isms(&["backup", "--to", "b.db"]).fails(6);
    assert!(
        err.contains("NC-0001") && err.contains("altered") && err.contains("b.db"),
        "{err}"
    );
    assert!(s.path("b.db").exists());
    let carried = s
        .path("b.db.evidence")
        .join("sha256")
        .join(&TEST_SHA256[..2])
        .join(&TEST_SHA256[2..]);
    assert!(!carried.exists());

    // A restore from a backup that lacks a copy the register beside it
    // does not hold either restores the register and names the copy, exit 6.
    std::fs::remove_file(s.path("register.db")).unwrap();
    std::fs::remove_file(kept_copy(&s)).unwrap();
    let err = s.isms(&["restore", "--from", "b.db"]).fails(6);
    assert!(err.contains("missing") && err.contains("restored"), "{err}");
    assert!(s.path("register.db").exists());
    // A copy already beside the register is enough: nothing is missing.
    std::fs::write(kept_copy(&s), "test").unwrap();
    std::fs::remove_file(s.path("register.db")).unwrap();
    s.isms(&["restore", "--from", "b.db"]).ok();
    assert_eq!(std::fs::read(kept_copy(&s)).unwrap(), b"test");
}
