//! Every way `isms` ends is a code of the table in `docs/cli.md`: closed
//! pipes, missing input files, a write lock held too long, times no output
//! format can carry, and a register in a folder the reader cannot write.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Stdio;

use crate::support::{Scratch, db_bytes};

/// The write end of a pipe whose reader has already gone: every write to it
/// fails with a broken pipe (`isms ... | head -0`, without the race).
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn a_closed_output_pipe_ends_quietly_with_the_commands_own_code() {
    let s = Scratch::new("pipes");
    s.isms(&["init"]).ok();
    for t in ["First", "Second", "Third"] {
        s.report(t);
    }
    // `isms nc list | head -0`: nothing to say, the listing was done.
    for args in [
        &["nc", "list"][..],
        &["nc", "list", "--json"],
        &["export"],
        &["kpi"],
    ] {
        let out = s
            .isms_command("--as", "tester")
            .args(args)
            .stdout(closed_pipe())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "isms {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // stderr closed: an error still ends with its own code (not found).
    let out = s
        .isms_command("--as", "tester")
        .args(["nc", "show", "NC-0042"])
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    // Both closed: a write still happens, and says so by its code.
    let out = s
        .isms_command("--as", "tester")
        .args([
            "nc",
            "report",
            "--title",
            "Fourth",
            "--source",
            "monitoring",
        ])
        .args(["--severity", "minor"])
        .stdout(closed_pipe())
        .stderr(closed_pipe())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    s.isms(&["nc", "show", "NC-0004"]).ok();
}

#[test]
fn a_missing_input_file_is_not_found() {
    let s = Scratch::new("missing-input");
    s.isms(&["init"]).ok();
    let err = s
        .isms(&["import", s.path("missing.json").to_str().unwrap()])
        .fails(4);
    assert!(err.contains("missing.json"), "{err}");
    let sheet = s.path("r.csv");
    fs::write(&sheet, "Title\nx\n").unwrap();
    let err = s
        .isms(&[
            "import",
            sheet.to_str().unwrap(),
            "--mapping",
            s.path("missing.map").to_str().unwrap(),
        ])
        .fails(4);
    assert!(err.contains("missing.map"), "{err}");
}

/// A spreadsheet above isms-io's per-file limit is refused by its size on
/// disk (exit 7) before it is read: here a sparse file of 65 MiB that
/// would otherwise be read whole first.
#[test]
fn an_oversized_spreadsheet_is_refused_before_it_is_read() {
    let s = Scratch::new("oversized");
    s.isms(&["init"]).ok();
    let big = s.path("big.csv");
    File::create(&big)
        .unwrap()
        .set_len(isms_io::MAX_FILE_BYTES + 1)
        .unwrap();
    let before = db_bytes(&s.db());
    let err = s.isms(&["import", big.to_str().unwrap()]).fails(7);
    assert!(err.contains("big.csv"), "names the file: {err}");
    assert!(
        err.contains(&isms_io::MAX_FILE_BYTES.to_string()),
        "names the limit: {err}"
    );
    // Refused by the CLI on the size on disk, not by isms-io after reading.
    assert!(err.contains("nothing was read"), "{err}");
    assert_eq!(db_bytes(&s.db()), before, "nothing was written");
}

#[test]
fn waiting_for_the_write_lock_gives_up_with_exit_5() {
    let s = Scratch::new("lock-wait");
    s.isms(&["init"]).ok();
    s.report("First");
    // This test process holds the write lock, as another isms would.
    let lock = File::options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(s.path("register.db.lock"))
        .unwrap();
    lock.lock().unwrap();
    let before = db_bytes(&s.db());
    // A whole-register command (here `rebuild`) waits for the lock and gives up.
    let mut c = s.isms_command("--as", "tester");
    c.env("ISMS_LOCK_TIMEOUT", "1");
    let args = ["rebuild"];
    let err = s.run(c.args(args), &args).fails(5);
    assert!(err.contains("register.db.lock"), "names the lock: {err}");
    assert!(
        err.contains("ISMS_LOCK_TIMEOUT"),
        "says how to wait longer: {err}"
    );
    assert_eq!(db_bytes(&s.db()), before, "nothing was written");

    // Reading needs no lock, nor does a single command on one item: the
    // store's per-item concurrency and unique references serialise those.
    s.isms(&["nc", "list"]).ok();
    assert_eq!(s.report("Second"), "NC-0002");
    lock.unlock().unwrap();
    s.isms(&["rebuild"]).ok();

    // A timeout that is not a number of seconds is a usage error.
    let mut c = s.isms_command("--as", "tester");
    c.env("ISMS_LOCK_TIMEOUT", "soon");
    let err = s.run(c.args(args), &args).fails(2);
    assert!(err.contains("ISMS_LOCK_TIMEOUT"), "{err}");
}

#[test]
fn times_outside_1900_to_2150_are_refused_at_input() {
    let s = Scratch::new("time-range");
    s.isms(&["init"]).ok();
    let report = |at: &str| {
        s.isms(&[
            "nc",
            "report",
            "--title",
            "Timed",
            "--source",
            "monitoring",
            "--severity",
            "minor",
            "--at",
            at,
        ])
    };
    for at in [
        "0001-01-01",
        "9999-12-31",
        "1899-12-31T23:59:59Z",
        "2151-01-01",
        "2150-12-31T23:00:00-01:00",
    ] {
        let err = report(at).fails(2);
        assert!(err.contains("1900") && err.contains("2150"), "{at}: {err}");
    }
    s.report("Now");
    let err = s
        .isms(&[
            "nc",
            "plan",
            "NC-0001",
            "--description",
            "x",
            "--due",
            "9999-12-31",
        ])
        .fails(2);
    assert!(err.contains("2150"), "{err}");
    s.isms(&["kpi", "--as-of", "0001-01-01"]).fails(2);
    assert_eq!(
        s.isms(&["nc", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // The edges are accepted, and every output takes them.
    report("1900-01-01").ok();
    report("2150-12-31T23:59:59Z").ok();
    for format in ["json", "xlsx", "csv", "oscal-poam"] {
        let out = s.path(&format!("r.{format}"));
        s.isms(&["export", "--format", format, "--out", out.to_str().unwrap()])
            .ok();
    }
    s.isms(&["kpi"]).ok();
    s.isms(&["kpi", "--as-of", "2150-12-31"]).ok();
    s.isms(&["report", "--out", s.path("r.html").to_str().unwrap()])
        .ok();
    s.isms(&["nc", "list"]).ok();
    s.isms(&["verify"]).ok();
}

fn names(dir: &Path) -> Vec<String> {
    let mut n: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

const READS: [&[&str]; 6] = [
    &["nc", "list", "--json"],
    &["nc", "show", "NC-0001"],
    &["improvement", "list"],
    &["kpi", "--json"],
    &["verify"],
    &["export"],
];

#[test]
fn reading_never_creates_the_lock_file() {
    let s = Scratch::new("no-lock");
    s.isms(&["init"]).ok();
    s.report("First");
    // Single commands take no lock; only whole-register ones create it.
    let _ = fs::remove_file(s.path("register.db.lock"));
    for args in READS {
        s.isms(args).ok();
    }
    s.isms(&["backup", "--to", s.path("b.db").to_str().unwrap()])
        .ok();
    assert!(!s.path("register.db.lock").exists());
}

#[test]
#[allow(clippy::print_stderr)] // says which user the check ran as
fn a_register_in_a_read_only_folder_can_be_read() {
    let s = Scratch::new("ro-folder");
    s.isms(&["init"]).ok();
    s.report("First");
    s.report("Second");
    // Single commands take no lock; only whole-register ones create it.
    let _ = fs::remove_file(s.path("register.db.lock"));
    // The file is writable, the folder is not: SQLite could not create its
    // -wal and -shm files there, nor isms its lock.
    fs::set_permissions(s.db(), fs::Permissions::from_mode(0o666)).unwrap();
    fs::set_permissions(s.dir(), fs::Permissions::from_mode(0o555)).unwrap();
    let before = names(s.dir());
    // Root ignores the folder's mode; the reader then runs as `nobody`.
    let privileged = File::create(s.path("probe")).is_ok();
    if privileged {
        fs::remove_file(s.path("probe")).unwrap();
    }
    let run = |args: &[&str]| {
        let mut c = s.isms_command("--as", "tester");
        c.args(args);
        if privileged {
            c.uid(65534).gid(65534);
        }
        c.output()
    };
    let outcome = (|| -> Result<(), String> {
        for args in READS {
            let out = run(args).map_err(|e| format!("cannot run isms as nobody: {e}"))?;
            assert_eq!(
                out.status.code(),
                Some(0),
                "isms {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // Writing needs the lock file, which cannot be created: exit 5.
        let out = run(&[
            "nc",
            "report",
            "--title",
            "Third",
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ])
        .map_err(|e| e.to_string())?;
        assert_eq!(
            out.status.code(),
            Some(5),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(())
    })();
    fs::set_permissions(s.dir(), fs::Permissions::from_mode(0o755)).unwrap();
    match outcome {
        Ok(()) => assert_eq!(names(s.dir()), before, "nothing was created"),
        // Only when isms cannot be run as another user (the binary is not
        // reachable for `nobody`): say so, the no-lock test still holds.
        Err(e) => eprintln!("read-only folder not checked: {e}"),
    }
}
