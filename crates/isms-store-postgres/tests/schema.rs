//! Migrations: a version table, idempotent, and refusal of what is not
//! ours or newer.

use isms_store::OpenError;
use isms_store_postgres::{Admin, PgStore, RegisterId, SCHEMA_VERSION};

use crate::support::{OWNER, admin, server, superuser, url_as};

#[test]
fn migrating_twice_changes_nothing_and_records_each_version_once() {
    let Some(url) = server() else { return };
    assert_eq!(admin(&url).migrate().unwrap(), SCHEMA_VERSION);
    assert_eq!(admin(&url).migrate().unwrap(), SCHEMA_VERSION);
    let rows = superuser(&url)
        .query(
            "SELECT version FROM isms.schema_version ORDER BY version",
            &[],
        )
        .unwrap();
    let versions: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(versions, (1..=SCHEMA_VERSION as i32).collect::<Vec<_>>());
}

/// A database of its own, so that changing its schema leaves the other
/// tests alone.
fn scratch_database(url: &str, name: &str) -> String {
    let db = format!("isms_{name}_{}", std::process::id());
    let mut su = superuser(url);
    su.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .unwrap();
    su.batch_execute(&format!("CREATE DATABASE {db} OWNER {OWNER}"))
        .unwrap();
    let base = url.rsplit_once('/').unwrap().0;
    format!("{base}/{db}")
}

#[test]
fn a_database_without_the_schema_or_with_a_newer_one_is_refused() {
    let Some(url) = server() else { return };
    let db = scratch_database(&url, "schema");
    let register = RegisterId::new("acme").unwrap();
    match PgStore::connect(&url_as(&db, OWNER), &register) {
        Err(OpenError::NotOurDatabase { detail, .. }) => {
            assert!(detail.contains("no isms schema"), "{detail}");
        }
        other => panic!("expected NotOurDatabase, got {other:?}"),
    }
    let mut admin = Admin::connect(&url_as(&db, OWNER)).unwrap();
    admin.migrate().unwrap();
    admin.create_register(&register).unwrap();
    assert!(matches!(
        admin.create_register(&register),
        Err(OpenError::AlreadyExists { .. })
    ));
    PgStore::connect(&url_as(&db, OWNER), &register).unwrap();
    admin
        .client()
        .batch_execute("INSERT INTO isms.schema_version (version) VALUES (99)")
        .unwrap();
    assert!(matches!(
        PgStore::connect(&url_as(&db, OWNER), &register),
        Err(OpenError::NewerSchema { found: 99, .. })
    ));
    assert!(matches!(
        admin.migrate(),
        Err(OpenError::NewerSchema { found: 99, .. })
    ));
    drop(admin);
    superuser(&url)
        .batch_execute(&format!(
            "DROP DATABASE {} WITH (FORCE)",
            db.rsplit('/').next().unwrap()
        ))
        .unwrap();
}
