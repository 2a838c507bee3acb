//! Two registers, two database roles, hand-written SQL: row-level security
//! keeps each role inside its own register.

use isms_store::workload::Workload;
use isms_store::{CheckpointSigner, EventStore, ExpectedVersion, OpenError};
use isms_store_postgres::PgStore;
use postgres::{Client, NoTls};

use crate::support::{create_role, db_message, fresh, server, url_as};

/// A register as its role's store, holding `n` whole lifecycles.
fn filled(url: &str, name: &str, role: &str, n: usize, salt: u64) -> PgStore {
    let mut store = fresh(url, name, role);
    store.set_signer(Some(CheckpointSigner::from_seed([salt as u8; 32])));
    let mut workload = Workload::new().with_salt(salt);
    for _ in 0..n {
        let events = workload.lifecycle(Default::default()).unwrap();
        store
            .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .unwrap();
    }
    store
}

fn count(client: &mut Client, table: &str) -> i64 {
    client
        .query_one(&format!("SELECT count(*) FROM isms.{table}"), &[])
        .unwrap()
        .get(0)
}

const TABLES: [&str; 7] = [
    "events",
    "checkpoints",
    "claims",
    "requests",
    "items",
    "kpi_facts",
    "registers",
];

#[test]
fn a_role_reads_and_writes_only_its_own_register_whatever_sql_it_sends() {
    let Some(url) = server() else { return };
    let alice = filled(&url, "alice", "isms_alice", 2, 1);
    let bob = filled(&url, "bob", "isms_bob", 3, 2);
    let (a, b) = (alice.register().as_str(), bob.register().as_str());
    let bob_head = bob.head().unwrap();

    let mut sql = Client::connect(&url_as(&url, "isms_alice"), NoTls).unwrap();
    // No register chosen: nothing at all.
    for table in TABLES {
        assert_eq!(count(&mut sql, table), 0, "{table} without a register");
    }
    // Choosing bob's register by hand: still nothing.
    sql.execute("SELECT set_config('isms.register', $1, false)", &[&b])
        .unwrap();
    for table in TABLES {
        assert_eq!(
            count(&mut sql, table),
            0,
            "{table} after SET isms.register = bob's"
        );
    }
    let leaked = sql
        .query("SELECT 1 FROM isms.events WHERE register = $1", &[&b])
        .unwrap();
    assert!(leaked.is_empty());
    // Writing into bob's register: refused by the policy.
    let insert = sql.execute(
        "INSERT INTO isms.events (register, position, stream, sequence, body, hash)
         VALUES ($1, 999, 'nonconformity/x', 1, '{}', decode(repeat('00', 32), 'hex'))",
        &[&b],
    );
    let e = insert.unwrap_err();
    assert!(
        db_message(&e).contains("row-level security"),
        "unexpected error: {e}"
    );
    // Moving bob's chain head: no row is visible to update.
    let moved = sql
        .execute(
            "UPDATE isms.registers SET head_position = 0 WHERE register = $1",
            &[&b],
        )
        .unwrap();
    assert_eq!(moved, 0);
    // Planting a checkpoint in bob's register: refused by the policy.
    let planted = sql.execute(
        "INSERT INTO isms.checkpoints (register, position, key_id, body) VALUES ($1, 1, 'k', '{}')",
        &[&b],
    );
    assert!(db_message(&planted.unwrap_err()).contains("row-level security"));
    // Forging a grant: no privilege.
    let forged = sql.execute(
        "INSERT INTO isms.register_access (role_name, register) VALUES ('isms_alice', $1)",
        &[&b],
    );
    assert!(db_message(&forged.unwrap_err()).contains("permission denied"));

    // In its own register the role sees its own rows, and still cannot
    // change or delete the log.
    sql.execute("SELECT set_config('isms.register', $1, false)", &[&a])
        .unwrap();
    assert_eq!(count(&mut sql, "events"), 20);
    assert_eq!(count(&mut sql, "items"), 2);
    assert_eq!(count(&mut sql, "checkpoints"), 2, "one per append");
    assert_eq!(count(&mut sql, "registers"), 1);
    for statement in [
        "UPDATE isms.events SET body = '{}'",
        "DELETE FROM isms.events",
        "UPDATE isms.checkpoints SET body = '{}'",
        "DELETE FROM isms.checkpoints",
        "DELETE FROM isms.claims",
        "TRUNCATE isms.events",
    ] {
        let e = sql.batch_execute(statement).unwrap_err();
        assert!(
            db_message(&e).contains("permission denied"),
            "{statement}: {e}"
        );
    }
    // The store refuses to open bob's register as alice.
    match PgStore::connect(&url_as(&url, "isms_alice"), bob.register()) {
        Err(OpenError::NotFound { path }) => {
            assert!(
                path.display().to_string().ends_with(b),
                "{}",
                path.display()
            );
        }
        other => panic!("alice opened bob's register: {other:?}"),
    }
    // Bob's register is as bob left it.
    assert_eq!(bob.verify().unwrap().head, bob_head);
    assert_eq!(bob.load_all().unwrap().len(), 30);
    alice.verify().unwrap();
}

#[test]
fn a_role_without_any_grant_sees_no_register() {
    let Some(url) = server() else { return };
    let alice = filled(&url, "lonely", "isms_alice", 1, 3);
    create_role(&url, "isms_stranger");
    let mut sql = Client::connect(&url_as(&url, "isms_stranger"), NoTls).unwrap();
    // Not even the schema is usable without a grant.
    let e = sql
        .query("SELECT count(*) FROM isms.events", &[])
        .unwrap_err();
    assert!(db_message(&e).contains("permission denied"), "{e}");
    assert!(PgStore::connect(&url_as(&url, "isms_stranger"), alice.register()).is_err());
}
