//! The Rust steps of migrations: filling new derived tables from the log.

use std::path::Path;

use isms_core::Event;
use isms_store::ReadError;
use rusqlite::types::Value;
use rusqlite::{Transaction, params};

use crate::schema::claim_kind;
use crate::store::db_err;

/// A step that fills a migration's new tables, inside its transaction,
/// telling `progress` how far it got.
pub(crate) type Backfill =
    fn(&Transaction<'_>, &Path, &mut dyn FnMut(u64)) -> Result<(), ReadError>;

/// Visits every stored event, decoded, in log order.
pub(crate) fn each_event(
    tx: &Transaction<'_>,
    path: &Path,
    visit: &mut dyn FnMut(u64, Event) -> Result<(), ReadError>,
) -> Result<(), ReadError> {
    let err = |e| db_err(path, "migrate: read the log", e);
    let mut stmt = tx
        .prepare("SELECT position, body FROM events ORDER BY position")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let position: i64 = row.get(0).map_err(err)?;
        let position = u64::try_from(position).unwrap_or(0);
        let body = row.get_ref(1).map_err(err)?;
        let text = body.as_str().map_err(|e| err(e.into()))?;
        let event: Event = serde_json::from_str(text)
            .map_err(|source| ReadError::Undecodable { position, source })?;
        visit(position, event)?;
    }
    Ok(())
}

/// Schema 3: every claim the log's events took. The first stream to take a
/// key keeps it, as the version-2 index did; `verify` reports a log whose
/// events claim the same key twice.
pub(crate) fn claims(
    tx: &Transaction<'_>,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ReadError> {
    let mut insert = tx
        .prepare(
            "INSERT OR IGNORE INTO claims (claim, kind, number, stream) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(|e| db_err(path, "migrate: index claims", e))?;
    let mut done = 0u64;
    each_event(tx, path, &mut |_, event| {
        done += 1;
        if done.is_multiple_of(100_000) {
            progress(done);
        }
        if let Some(claim) = event.claim() {
            insert
                .execute(params![
                    claim.to_string(),
                    claim_kind(claim),
                    i64::from(claim.number()),
                    event.stream.to_string()
                ])
                .map_err(|e| db_err(path, "migrate: index claims", e))?;
        }
        Ok(())
    })
}

/// Schema 4: the projections, folded from the log.
pub(crate) fn projections(
    tx: &Transaction<'_>,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ReadError> {
    crate::projection::rebuild(tx, path, progress).map(|_| ())
}

/// Schema 6: the claims copied into the table keyed by kind, number and
/// claim, in that order (version 3's by-number index gives it without a
/// sort), which then takes the name `claims`; version 3's table and its
/// index go.
pub(crate) fn claims_by_key(
    tx: &Transaction<'_>,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ReadError> {
    let err = |e| db_err(path, "migrate: key the claims", e);
    let mut read = tx
        .prepare("SELECT kind, number, claim, stream FROM claims ORDER BY kind, number, claim")
        .map_err(err)?;
    let mut insert = tx
        .prepare("INSERT INTO claims_by_key (kind, number, claim, stream) VALUES (?1, ?2, ?3, ?4)")
        .map_err(err)?;
    let mut rows = read.query([]).map_err(err)?;
    let mut done = 0u64;
    while let Some(row) = rows.next().map_err(err)? {
        insert
            .execute((
                row.get::<_, Value>(0).map_err(err)?,
                row.get::<_, Value>(1).map_err(err)?,
                row.get::<_, Value>(2).map_err(err)?,
                row.get::<_, Value>(3).map_err(err)?,
            ))
            .map_err(err)?;
        done += 1;
        if done.is_multiple_of(100_000) {
            progress(done);
        }
    }
    drop(rows);
    drop(read);
    drop(insert);
    tx.execute_batch("DROP TABLE claims; ALTER TABLE claims_by_key RENAME TO claims;")
        .map_err(err)?;
    progress(done);
    Ok(())
}

/// Schema 5: walks the chain once and, when it is intact up to the recorded
/// head, records that head as checked, so that the reads' incremental check
/// starts there instead of at the first event. A broken chain records
/// nothing: the reads then find the break themselves and name it.
pub(crate) fn verified_head(
    tx: &Transaction<'_>,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<(), ReadError> {
    let err = |e| db_err(path, "migrate: check the chain", e);
    let mut stmt = tx
        .prepare("SELECT position, stream, sequence, body, hash FROM events ORDER BY position")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut walk = isms_store::ChainWalk::new();
    while let Some(row) = rows.next().map_err(err)? {
        let position = u64::try_from(row.get::<_, i64>(0).map_err(err)?).unwrap_or(0);
        let sequence = u64::try_from(row.get::<_, i64>(2).map_err(err)?).unwrap_or(0);
        let (Ok(stream), Ok(body), Some(hash)) = (
            row.get_ref(1).map_err(err)?.as_str(),
            row.get_ref(3).map_err(err)?.as_str(),
            row.get_ref(4)
                .map_err(err)?
                .as_blob()
                .ok()
                .and_then(crate::store::hash_from),
        ) else {
            return Ok(());
        };
        if walk
            .step(position, stream, sequence, body.as_bytes(), hash)
            .is_err()
        {
            return Ok(());
        }
        if position.is_multiple_of(100_000) {
            progress(position);
        }
    }
    drop(rows);
    let head = crate::store::read_head(tx, path)?;
    if head == walk.head() {
        tx.execute(
            "UPDATE verified_head SET position = ?1, hash = ?2 WHERE id = 1",
            params![
                i64::try_from(head.position).unwrap_or(i64::MAX),
                &head.hash.0[..]
            ],
        )
        .map_err(err)?;
    }
    progress(head.position);
    Ok(())
}
