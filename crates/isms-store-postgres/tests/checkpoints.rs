//! Signed checkpoints per register: recorded in the append's transaction,
//! checked by reads from the latest one, and the one thing a superuser who
//! rewrites the chain in SQL cannot forge.

use isms_store::workload::Workload;
use isms_store::{
    BreakKind, ChainHash, CheckpointProblem, CheckpointSigner, EventStore, ExpectedVersion,
    VerifyError, chain_hash,
};
use isms_store_postgres::PgStore;
use postgres::Client;

use crate::support::{fresh, server, superuser};

/// `n` whole lifecycles (10 events each), one append each.
fn fill(store: &mut PgStore, workload: &mut Workload, n: usize) {
    for _ in 0..n {
        let events = workload.lifecycle(Default::default()).unwrap();
        store
            .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .unwrap();
    }
}

/// What someone with the superuser's password does: edits the event at
/// `position` and recomputes every later hash and the recorded heads, so
/// that the chain alone holds again.
fn rewrite_from(su: &mut Client, register: &str, position: i64, from: &str, to: &str) {
    su.batch_execute("SET session_replication_role = replica")
        .unwrap();
    let edited = su
        .execute(
            "UPDATE isms.events SET body = replace(body, $3, $4)
             WHERE register = $1 AND position = $2",
            &[&register, &position, &from, &to],
        )
        .unwrap();
    assert_eq!(edited, 1, "the edit must change a row");
    let rows = su
        .query(
            "SELECT position, stream, sequence, body FROM isms.events
             WHERE register = $1 AND position >= $2 ORDER BY position",
            &[&register, &(position - 1)],
        )
        .unwrap();
    let mut prev = if position == 1 {
        ChainHash::GENESIS
    } else {
        let h: Vec<u8> = su
            .query_one(
                "SELECT hash FROM isms.events WHERE register = $1 AND position = $2",
                &[&register, &(position - 1)],
            )
            .unwrap()
            .get(0);
        ChainHash(h.try_into().unwrap())
    };
    let mut last = 0i64;
    for row in rows.iter().filter(|r| r.get::<_, i64>(0) >= position) {
        let p: i64 = row.get(0);
        let stream: String = row.get(1);
        let sequence: i64 = row.get(2);
        let body: String = row.get(3);
        prev = chain_hash(&prev, p as u64, &stream, sequence as u64, body.as_bytes());
        su.execute(
            "UPDATE isms.events SET hash = $3 WHERE register = $1 AND position = $2",
            &[&register, &p, &&prev.0[..]],
        )
        .unwrap();
        last = p;
    }
    su.execute(
        "UPDATE isms.registers SET head_position = $2, head_hash = $3,
                verified_position = 0, verified_hash = decode(repeat('00', 32), 'hex')
         WHERE register = $1",
        &[&register, &last, &&prev.0[..]],
    )
    .unwrap();
}

#[test]
fn every_append_with_a_key_records_a_checkpoint_of_its_head() {
    let Some(url) = server() else { return };
    let signer = CheckpointSigner::from_seed([11; 32]);
    let public = signer.public_key();
    let mut store = fresh(&url, "cp-append", "isms_app").with_signer(signer);
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 3);
    let checkpoints = store.checkpoints().unwrap();
    let positions: Vec<u64> = checkpoints.iter().map(|c| c.position).collect();
    assert_eq!(positions, vec![10, 20, 30]);
    let head = store.head().unwrap();
    assert_eq!(checkpoints[2].head(), head);
    for cp in &checkpoints {
        cp.check(&[public]).unwrap();
    }
    // The read's check starts at the latest checkpoint: nothing left to walk.
    let tail = store.verify_tail(&[public]).unwrap();
    assert_eq!(tail.from, head);
    assert_eq!(tail.checkpoint.unwrap().head(), head);
    let full = store.verify_full(&[public], None).unwrap();
    assert_eq!(full.checkpoints, 3);
    assert_eq!(full.claims, 3 + 3, "three references and three action ids");
    assert_eq!(full.latest.unwrap().head(), head);

    // Without a key, appends record none; the read's check then walks
    // from the head recorded as verified.
    store.set_signer(None);
    fill(&mut store, &mut workload, 1);
    assert_eq!(store.checkpoints().unwrap().len(), 3);
    let tail = store.verify_tail(&[]).unwrap();
    assert_eq!(tail.from.position, 30);
    assert_eq!(tail.head.position, 40);
    store.record_verified(tail.head).unwrap();
    assert_eq!(store.verify_tail(&[]).unwrap().from.position, 40);
    // The verified head never moves back.
    store.record_verified(tail.from).unwrap();
    assert_eq!(store.verify_tail(&[]).unwrap().from.position, 40);
}

#[test]
fn a_chain_rewritten_by_the_superuser_is_named_by_the_signed_checkpoint() {
    let Some(url) = server() else { return };
    let signer = CheckpointSigner::from_seed([12; 32]);
    let trusted = [signer.public_key()];
    let mut store = fresh(&url, "cp-rewrite", "isms_app").with_signer(signer);
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 4);
    let register = store.register().as_str().to_owned();
    let mut su = superuser(&url);
    // Position 11 opens the second append, signed at position 20.
    rewrite_from(&mut su, &register, 11, "Backup", "Bakup");

    // The chain alone holds: every hash was recomputed.
    store.verify().unwrap();
    // The signature check names the first signed position the rewrite
    // changed.
    match store.verify_full(&trusted, None) {
        Err(VerifyError::Checkpoint {
            position: 20,
            problem: CheckpointProblem::HashMismatch { .. },
            ..
        }) => {}
        other => panic!("expected the checkpoint of 20 to name the rewrite, got {other:?}"),
    }
    // A read refuses it too: the latest checkpoint's hash is gone.
    match store.verify_tail(&trusted) {
        Err(VerifyError::Checkpoint {
            position: 40,
            problem: CheckpointProblem::HashMismatch { .. },
            ..
        }) => {}
        other => panic!("expected the read to refuse, got {other:?}"),
    }

    // The attacker replaces the checkpoints with ones signed by a key of
    // their own: a verifier who names the trusted key sees it.
    let forger = CheckpointSigner::from_seed([66; 32]);
    let head = store.head().unwrap();
    su.execute(
        "DELETE FROM isms.checkpoints WHERE register = $1",
        &[&register],
    )
    .unwrap();
    let forged = forger.sign(head, chrono::Utc::now());
    su.execute(
        "INSERT INTO isms.checkpoints (register, position, key_id, body) VALUES ($1, $2, $3, $4)",
        &[
            &register,
            &(head.position as i64),
            &forged.key_id,
            &serde_json::to_string(&forged).unwrap(),
        ],
    )
    .unwrap();
    match store.verify_full(&trusted, None) {
        Err(VerifyError::Checkpoint {
            position: 40,
            problem: CheckpointProblem::UnknownKey { .. },
            ..
        }) => {}
        other => panic!("expected the forger's key to be refused, got {other:?}"),
    }
    // Without a trusted key the store's own records cannot tell; only a
    // checkpoint kept outside can (what `isms checkpoint --out` is for).
    store.verify_full(&[], None).unwrap();
}

#[test]
fn a_checkpoint_kept_outside_catches_a_rewrite_and_a_rollback() {
    let Some(url) = server() else { return };
    let signer = CheckpointSigner::from_seed([13; 32]);
    let mut store = fresh(&url, "cp-against", "isms_app").with_signer(signer);
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 2);
    let kept = store.latest_checkpoint().unwrap().unwrap();
    assert_eq!(kept.position, 20);
    store.verify_full(&[], Some(&kept)).unwrap();
    let register = store.register().as_str().to_owned();
    let mut su = superuser(&url);
    // Rolled back: the last ten events and their checkpoint removed.
    su.batch_execute("SET session_replication_role = replica")
        .unwrap();
    su.execute(
        "DELETE FROM isms.checkpoints WHERE register = $1 AND position > 10",
        &[&register],
    )
    .unwrap();
    for table in ["items", "kpi_facts"] {
        su.execute(
            &format!("DELETE FROM isms.{table} WHERE register = $1 AND number = 2"),
            &[&register],
        )
        .unwrap();
    }
    su.execute(
        "DELETE FROM isms.claims WHERE register = $1 AND stream IN
           (SELECT stream FROM isms.events WHERE register = $1 AND position > 10)",
        &[&register],
    )
    .unwrap();
    su.execute(
        "DELETE FROM isms.events WHERE register = $1 AND position > 10",
        &[&register],
    )
    .unwrap();
    su.execute(
        "UPDATE isms.registers SET head_position = 10,
           head_hash = (SELECT hash FROM isms.events WHERE register = $1 AND position = 10),
           verified_position = 0
         WHERE register = $1",
        &[&register],
    )
    .unwrap();
    // The register on its own looks whole...
    store.verify_full(&[], None).unwrap();
    // ...the kept checkpoint does not.
    match store.verify_full(&[], Some(&kept)) {
        Err(VerifyError::Checkpoint {
            position: 20,
            problem: CheckpointProblem::BeyondHead { head: 10 },
            ..
        }) => {}
        other => panic!("expected the rollback to show, got {other:?}"),
    }
}

#[test]
fn only_a_checkpoint_of_this_chain_is_recorded() {
    let Some(url) = server() else { return };
    let mut store = fresh(&url, "cp-record", "isms_app");
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 1);
    let signer = CheckpointSigner::from_seed([14; 32]);
    let head = store.head().unwrap();
    let mut wrong = head;
    wrong.hash.0[0] ^= 1;
    let err = store
        .record_checkpoint(&signer.sign(wrong, chrono::Utc::now()))
        .unwrap_err();
    assert!(
        err.to_string().contains("does not match the chain"),
        "{err}"
    );
    assert!(store.checkpoints().unwrap().is_empty());
    let good = signer.sign(head, chrono::Utc::now());
    store.record_checkpoint(&good).unwrap();
    store.record_checkpoint(&good).unwrap(); // twice: once
    assert_eq!(store.checkpoints().unwrap(), vec![good]);
}

#[test]
fn a_body_edited_in_place_is_found_by_the_checks_that_cover_it() {
    let Some(url) = server() else { return };
    let mut store = fresh(&url, "cp-tail", "isms_app");
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 2);
    let head = store.verify_tail(&[]).unwrap().head;
    store.record_verified(head).unwrap();
    fill(&mut store, &mut workload, 1);
    let register = store.register().as_str().to_owned();
    let mut su = superuser(&url);
    su.batch_execute("SET session_replication_role = replica")
        .unwrap();
    for position in [1i64, 21] {
        su.execute(
            "UPDATE isms.events SET body = replace(body, 'Backup', 'Bakup')
             WHERE register = $1 AND position = $2",
            &[&register, &position],
        )
        .unwrap();
    }
    // The read's check walks from 20: it finds 21, not 1.
    match store.verify_tail(&[]) {
        Err(VerifyError::ChainBroken {
            position: 21,
            kind: BreakKind::HashMismatch { .. },
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // What a read of the item at 1 checks: its own rows.
    match store.verify_positions(&[3, 1]) {
        Err(VerifyError::ChainBroken { position: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    store.verify_positions(&[2, 3, 4, 11]).unwrap();
    // The full check finds the first.
    match store.verify_full(&[], None) {
        Err(VerifyError::ChainBroken { position: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_reference_pointed_at_another_item_is_named_by_the_full_check() {
    let Some(url) = server() else { return };
    let mut store = fresh(&url, "cp-claims", "isms_app");
    let mut workload = Workload::new();
    fill(&mut store, &mut workload, 2);
    let register = store.register().as_str().to_owned();
    let mut su = superuser(&url);
    su.execute(
        "UPDATE isms.claims SET stream = (SELECT stream FROM isms.claims
            WHERE register = $1 AND claim = 'NC-0002')
         WHERE register = $1 AND claim = 'NC-0001'",
        &[&register],
    )
    .unwrap();
    store.verify().unwrap();
    match store.verify_full(&[], None) {
        Err(VerifyError::ClaimIndex { claim, .. }) => assert_eq!(claim, "NC-0001"),
        other => panic!("{other:?}"),
    }
}
