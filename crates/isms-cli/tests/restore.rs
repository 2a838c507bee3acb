//! `restore` replaces a register only with a backup that extends its chain
//! (or with `--force`), and always keeps the replaced file beside it.

use std::fs;
use std::path::PathBuf;

use crate::support::{Scratch, db_bytes};

fn refs(s: &Scratch, db: &std::path::Path) -> Vec<String> {
    let out = s.isms_on(db, &["nc", "list", "--json"]).json();
    out.as_array()
        .unwrap()
        .iter()
        .map(|n| n["title"].as_str().unwrap().to_owned())
        .collect()
}

/// The files `<db>.replaced-*` beside the database.
fn kept(s: &Scratch) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(s.dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("register.db.replaced-")
        })
        .collect();
    found.sort();
    found
}

#[test]
fn an_unrelated_backup_is_refused_without_force_and_kept_aside_with_it() {
    let s = Scratch::new("restore-unrelated");
    s.isms(&["init"]).ok();
    for t in ["First", "Second", "Third"] {
        s.report(t);
    }
    let other = Scratch::new("restore-unrelated-other");
    other.isms(&["init"]).ok();
    other.report("Somebody else's finding");
    let backup = other.path("other.bak");
    other
        .isms(&["backup", "--to", backup.to_str().unwrap()])
        .ok();

    let before = db_bytes(&s.db());
    let err = s
        .isms(&["restore", "--from", backup.to_str().unwrap()])
        .fails(2);
    assert!(err.contains("--force"), "{err}");
    assert!(err.contains("3 events"), "names what would be lost: {err}");
    assert_eq!(db_bytes(&s.db()), before, "nothing changed");
    assert!(kept(&s).is_empty());

    let run = s.isms(&["restore", "--force", "--from", backup.to_str().unwrap()]);
    let stderr = run.stderr.clone();
    run.ok();
    assert_eq!(refs(&s, &s.db()), ["Somebody else's finding"]);
    let aside = kept(&s);
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(
        stderr.contains(aside[0].file_name().unwrap().to_str().unwrap()),
        "says where the replaced register is: {stderr}"
    );
    // The kept file is the whole replaced register, and it verifies.
    assert_eq!(refs(&s, &aside[0]), ["First", "Second", "Third"]);
    s.isms_on(&aside[0], &["verify"]).ok();
}

#[test]
fn a_backup_that_extends_the_register_restores_without_force() {
    let s = Scratch::new("restore-extends");
    s.isms(&["init"]).ok();
    s.report("First");
    let early = s.path("early.bak");
    s.isms(&["backup", "--to", early.to_str().unwrap()]).ok();
    s.report("Second");
    let late = s.path("late.bak");
    s.isms(&["backup", "--to", late.to_str().unwrap()]).ok();

    // Rolling back to the early backup would lose "Second": refused.
    let err = s
        .isms(&["restore", "--from", early.to_str().unwrap()])
        .fails(2);
    assert!(err.contains("--force"), "{err}");
    s.isms(&["restore", "--force", "--from", early.to_str().unwrap()])
        .ok();
    assert_eq!(refs(&s, &s.db()), ["First"]);

    // Now the late backup extends the register: no question asked, and
    // the register it replaced is still kept.
    s.isms(&["restore", "--from", late.to_str().unwrap()]).ok();
    assert_eq!(refs(&s, &s.db()), ["First", "Second"]);
    let aside = kept(&s);
    assert_eq!(aside.len(), 2, "{aside:?}");
    assert!(aside.iter().any(|p| refs(&s, p) == ["First"]));
}

#[test]
fn restoring_from_a_missing_file_is_not_found() {
    let s = Scratch::new("restore-missing");
    s.isms(&["init"]).ok();
    let err = s
        .isms(&["restore", "--from", s.path("nope.bak").to_str().unwrap()])
        .fails(4);
    assert!(err.contains("nope.bak"), "{err}");
}
