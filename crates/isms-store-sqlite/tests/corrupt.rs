//! Files that are not ours, truncated or damaged: typed errors naming the
//! file, never a panic.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use isms_store::{EventStore, OpenError, ReadError, StoreError, VerifyError};
use isms_store_sqlite::SqliteStore;

use crate::support::{Rng, TempDir, filled_file, raw};

fn names_file(err: &impl std::fmt::Display, path: &Path) {
    let msg = err.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "message does not name {}: {msg}",
        path.display()
    );
}

/// Opens, verifies and loads; returns the first error.
fn use_store(path: &Path) -> Result<(), StoreError> {
    let store = SqliteStore::open(path)?;
    store.verify()?;
    store.load_all()?;
    Ok(())
}

#[test]
fn a_file_of_garbage_is_not_ours() {
    let dir = TempDir::new("garbage");
    let path = dir.file("garbage.isms");
    let mut rng = Rng::seeded();
    let bytes: Vec<u8> = (0..20_000).map(|_| rng.below(256) as u8).collect();
    std::fs::write(&path, bytes).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::NotOurDatabase { .. }), "{err}");
    names_file(&err, &path);

    let text = dir.file("notes.txt");
    std::fs::write(&text, "minutes of the management review\n").unwrap();
    let err = SqliteStore::open(&text).unwrap_err();
    assert!(matches!(err, OpenError::NotOurDatabase { .. }), "{err}");
    names_file(&err, &text);
}

#[test]
fn an_empty_file_is_not_silently_initialised() {
    let dir = TempDir::new("empty");
    let path = dir.file("empty.isms");
    std::fs::write(&path, b"").unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::NotOurDatabase { .. }), "{err}");
    assert!(err.to_string().contains("empty"), "{err}");
    assert!(matches!(
        SqliteStore::open_or_create(&path),
        Err(OpenError::NotOurDatabase { .. })
    ));
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 0);
}

#[test]
fn another_programs_sqlite_database_is_not_ours_and_is_left_alone() {
    let dir = TempDir::new("foreign");
    let path = dir.file("crm.db");
    raw(&path)
        .execute_batch("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::NotOurDatabase { .. }), "{err}");
    names_file(&err, &path);
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_truncated_store_is_reported_corrupt() {
    let dir = TempDir::new("truncated");
    let path = filled_file(&dir, "s.isms", 300);
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(
        len > 100_000,
        "the store should span many pages ({len} bytes)"
    );
    for keep in [len / 2, len / 5, 4096 + 17] {
        let copy = dir.file(&format!("cut-{keep}.isms"));
        std::fs::copy(&path, &copy).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&copy)
            .unwrap()
            .set_len(keep)
            .unwrap();
        let err = use_store(&copy).unwrap_err();
        assert!(
            matches!(err, StoreError::Open(OpenError::NotOurDatabase { .. }))
                || matches!(err.storage(), Some(ReadError::Corrupt { .. })),
            "{err}"
        );
        names_file(&err, &copy);
    }
    // Shorter than SQLite's own header.
    let stub = dir.file("stub.isms");
    std::fs::write(&stub, &std::fs::read(&path).unwrap()[..60]).unwrap();
    let err = use_store(&stub).unwrap_err();
    names_file(&err, &stub);
}

#[test]
fn overwritten_pages_give_a_typed_error_never_a_panic() {
    let dir = TempDir::new("scribble");
    let path = filled_file(&dir, "s.isms", 200);
    let len = std::fs::metadata(&path).unwrap().len();
    let mut rng = Rng::seeded();
    let mut failures = 0;
    for round in 0..12 {
        let copy = dir.file(&format!("scribbled-{round}.isms"));
        std::fs::copy(&path, &copy).unwrap();
        let mut f = std::fs::OpenOptions::new().write(true).open(&copy).unwrap();
        let at = 100 + rng.below(len - 1100);
        let junk: Vec<u8> = (0..1000).map(|_| rng.below(256) as u8).collect();
        f.seek(SeekFrom::Start(at)).unwrap();
        f.write_all(&junk).unwrap();
        drop(f);
        // Whatever the damage hit, the answer is an error value (or, if it
        // hit free space, success) and never a panic.
        match use_store(&copy) {
            Ok(()) => {}
            Err(
                StoreError::Verify(VerifyError::ChainBroken { .. } | VerifyError::Integrity { .. })
                | StoreError::Open(OpenError::NotOurDatabase { .. }),
            ) => failures += 1,
            Err(e)
                if matches!(
                    e.storage(),
                    Some(
                        ReadError::Corrupt { .. }
                            | ReadError::Undecodable { .. }
                            | ReadError::Malformed { .. }
                    )
                ) =>
            {
                failures += 1
            }
            Err(other) => panic!("unexpected error kind for round {round} at {at}: {other}"),
        }
    }
    assert!(failures > 0, "no damage was detected in 12 rounds");
}

#[test]
fn a_damaged_header_is_not_ours() {
    let dir = TempDir::new("header");
    let path = filled_file(&dir, "s.isms", 2);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..16].copy_from_slice(b"NOT SQLITE AT AL");
    std::fs::write(&path, bytes).unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(matches!(err, OpenError::NotOurDatabase { .. }), "{err}");
    names_file(&err, &path);
}
