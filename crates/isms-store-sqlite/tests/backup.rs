//! Online backup that verifies before it reports success and never
//! replaces a file, and restore that refuses what does not verify or does
//! not extend the target's chain, keeping what it replaces.

use isms_store::workload::Workload;
use isms_store::{BackupError, EventStore, StoreError, VerifyError};
use isms_store_sqlite::{RestoreOptions, SqliteStore};

use crate::support::{TempDir, fill, raw};

#[test]
fn backup_then_restore_gives_the_same_events_and_head() {
    let dir = TempDir::new("backup");
    let path = dir.file("live.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 20);
    let at_backup = store.load_all().unwrap();
    let head = store.head().unwrap();

    let report = store.backup_to(dir.file("nightly.isms")).unwrap();
    assert_eq!(report.head, head);
    assert_eq!(report.events, 200);
    assert!(report.bytes > 0);
    // Only the verified file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");

    // Life goes on, then the live store is rolled back to the backup
    // while still open: that drops 50 events, so it must be asked for.
    fill(&mut store, &mut workload, 5);
    let before_rollback = store.head().unwrap();
    assert_ne!(before_rollback, head);
    let rollback = RestoreOptions::default().allow_divergence(true);
    let restored = SqliteStore::restore_with(dir.file("nightly.isms"), &path, rollback).unwrap();
    assert_eq!(restored.restored.head, head);
    assert_eq!(restored.previous_head, Some(before_rollback));
    assert_eq!(store.head().unwrap(), head);
    // The rolled-back store is kept whole beside it.
    let kept = restored.replaced.expect("a copy of the replaced store");
    assert_eq!(
        SqliteStore::open(&kept).unwrap().verify().unwrap().head,
        before_rollback
    );
    assert_eq!(store.load_all().unwrap(), at_backup);
    store.verify().unwrap();
    let mode: String = raw(&path)
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");

    // Restoring to a new place creates the store.
    let fresh = dir.file("elsewhere.isms");
    SqliteStore::restore(dir.file("nightly.isms"), &fresh).unwrap();
    assert_eq!(
        SqliteStore::open(&fresh).unwrap().load_all().unwrap(),
        at_backup
    );
}

#[test]
fn a_tampered_backup_is_refused_and_the_target_is_untouched() {
    let dir = TempDir::new("bad-backup");
    let path = dir.file("live.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    fill(&mut store, &mut Workload::new(), 5);
    let backup = dir.file("b.isms");
    store.backup_to(&backup).unwrap();
    raw(&backup)
        .execute_batch(
            "DROP TRIGGER events_no_update;
             UPDATE events SET body = replace(body, 'omar', 'olga') WHERE position = 12;",
        )
        .unwrap();
    let head = store.head().unwrap();
    let err = SqliteStore::restore(&backup, &path).unwrap_err();
    match &err {
        BackupError::RestoreRefused { source, .. } => assert!(
            matches!(
                **source,
                StoreError::Verify(VerifyError::ChainBroken { position: 12, .. })
            ),
            "{source}"
        ),
        other => panic!("expected a refusal, got {other}"),
    }
    assert!(err.to_string().contains("b.isms"), "{err}");
    assert_eq!(store.head().unwrap(), head);
    store.verify().unwrap();

    // A file that is not a store at all is refused too.
    let junk = dir.file("junk.isms");
    std::fs::write(&junk, b"this is not a backup").unwrap();
    assert!(matches!(
        SqliteStore::restore(&junk, &path),
        Err(BackupError::RestoreRefused { .. })
    ));
}

#[test]
fn a_corrupt_live_store_is_moved_aside_and_restored() {
    let dir = TempDir::new("restore-corrupt");
    let path = dir.file("live.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    fill(&mut store, &mut Workload::new(), 100);
    let backup = dir.file("b.isms");
    let report = store.backup_to(&backup).unwrap();
    store.close().unwrap();
    let len = std::fs::metadata(&path).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    let restored = SqliteStore::restore(&backup, &path).unwrap();
    assert_eq!(restored.restored.head, report.head);
    assert!(
        restored
            .replaced
            .as_ref()
            .is_some_and(|p| p.to_string_lossy().contains(".corrupt-")),
        "{restored:?}"
    );
    assert_eq!(
        SqliteStore::open(&path).unwrap().verify().unwrap().head,
        report.head
    );
    let aside = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".corrupt-")
        })
        .count();
    assert!(aside >= 1, "the damaged file should be kept aside");
}

#[test]
fn a_backup_taken_while_another_connection_writes_is_consistent() {
    let dir = TempDir::new("online");
    let path = dir.file("live.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    fill(&mut store, &mut Workload::new(), 50);
    let writer_path = path.clone();
    let writer = std::thread::spawn(move || {
        let mut other = SqliteStore::open(&writer_path).unwrap();
        let mut w = Workload::from_events(other.load_all().unwrap().iter().map(|e| &e.event));
        fill(&mut other, &mut w, 100);
    });
    let mut reports = Vec::new();
    for i in 0..5 {
        reports.push(store.backup_to(dir.file(&format!("b{i}.isms"))).unwrap());
    }
    writer.join().unwrap();
    for r in reports {
        let b = SqliteStore::open(&r.path).unwrap();
        assert_eq!(b.verify().unwrap().head, r.head);
        assert_eq!(r.events % 10, 0, "a backup caught half a batch");
    }
}

#[test]
fn a_backup_never_replaces_a_file() {
    let dir = TempDir::new("backup-exists");
    let path = dir.file("live.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    fill(&mut store, &mut Workload::new(), 2);
    let taken = dir.file("taken.isms");
    std::fs::write(&taken, b"yesterday").unwrap();
    assert!(matches!(
        store.backup_to(&taken),
        Err(BackupError::AlreadyExists { .. })
    ));
    assert_eq!(std::fs::read(&taken).unwrap(), b"yesterday");
    // Nor a link, even one that leads nowhere.
    #[cfg(unix)]
    {
        let link = dir.file("link.isms");
        std::os::unix::fs::symlink(dir.file("nowhere"), &link).unwrap();
        assert!(matches!(
            store.backup_to(&link),
            Err(BackupError::AlreadyExists { .. })
        ));
        assert!(!dir.file("nowhere").exists());
    }
}

#[test]
fn restore_takes_only_a_backup_that_extends_the_chain_unless_allowed() {
    let dir = TempDir::new("restore-extends");
    let path = dir.file("live.isms");
    let mut store = SqliteStore::create(&path).unwrap();
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 3);
    store.backup_to(dir.file("early.isms")).unwrap();
    fill(&mut store, &mut workload, 2);
    store.backup_to(dir.file("late.isms")).unwrap();
    fill(&mut store, &mut workload, 1);
    let head = store.head().unwrap();

    // Older than the store: refused, nothing changed, nothing kept.
    let err = SqliteStore::restore(dir.file("late.isms"), &path).unwrap_err();
    match &err {
        BackupError::Diverges(d) => {
            assert_eq!(d.target_head, head);
            assert_eq!(d.backup_head.position, 50);
        }
        other => panic!("expected a divergence, got {other}"),
    }
    assert!(err.to_string().contains("older"), "{err}");
    assert_eq!(store.head().unwrap(), head);

    // Another register altogether: refused too.
    let other_path = dir.file("other.isms");
    let mut other = SqliteStore::create(&other_path).unwrap();
    fill(&mut other, &mut Workload::new().with_salt(7), 7);
    other.backup_to(dir.file("other-backup.isms")).unwrap();
    let err = SqliteStore::restore(dir.file("other-backup.isms"), &path).unwrap_err();
    assert!(err.to_string().contains("another history"), "{err}");
    assert_eq!(store.head().unwrap(), head);
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".replaced-")
        })
        .count();
    assert_eq!(kept, 0, "a refused restore keeps nothing");

    // Rolled back on purpose to the early backup, the late one extends it.
    let allowed = RestoreOptions::default().allow_divergence(true);
    SqliteStore::restore_with(dir.file("early.isms"), &path, allowed).unwrap();
    let report = SqliteStore::restore(dir.file("late.isms"), &path).unwrap();
    assert_eq!(report.restored.events, 50);
    assert_eq!(report.previous_head.map(|h| h.position), Some(30));
    // Two restores, two copies kept, under distinct names.
    let first = report.replaced.unwrap();
    assert!(first.exists());
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".replaced-")
        })
        .count();
    assert_eq!(kept, 2);

    // Without keeping: nothing more beside it.
    let quiet = RestoreOptions::default().keep_replaced(false);
    let report = SqliteStore::restore_with(dir.file("late.isms"), &path, quiet).unwrap();
    assert_eq!(report.replaced, None);
}
