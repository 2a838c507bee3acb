//! Signed checkpoints (schema version 5) and the two checks built on them:
//! the incremental check every read runs ([`SqliteStore::verify_tail`])
//! and the full check of `isms verify` ([`SqliteStore::verify_full`]).

use isms_store::audit::{ClaimAudit, IndexEntry, check_recorded, decode_checked, head_mismatch};
use isms_store::{
    AppendError, BreakKind, ChainHash, ChainHead, ChainWalk, Checkpoint, EventStore as _,
    PublicKey, ReadError, VerifyError,
};
use rusqlite::{Connection, OptionalExtension as _, params};

use crate::schema::claim_kind;
use crate::store::{SqliteStore, db_err, from_sql, hash_from, read_head, to_sql};

pub use isms_store::audit::{FullCheck, TailCheck};

/// The stored hash at `position`, if there is an event there.
fn hash_at(
    conn: &Connection,
    path: &std::path::Path,
    position: u64,
) -> Result<Option<ChainHash>, ReadError> {
    let hash: Option<Vec<u8>> = conn
        .prepare_cached("SELECT hash FROM events WHERE position = ?1")
        .and_then(|mut stmt| stmt.query_row([to_sql(position)], |r| r.get(0)).optional())
        .map_err(|e| db_err(path, "read a chain hash", e))?;
    match hash {
        None => Ok(None),
        Some(h) => hash_from(&h).map(Some).ok_or(ReadError::Malformed {
            position,
            detail: format!("the hash has {} bytes instead of 32", h.len()),
        }),
    }
}

impl SqliteStore {
    /// Records a checkpoint signed elsewhere (the store holds no key). Only
    /// a checkpoint of this chain is taken: its position must be in the
    /// chain with the hash it signs.
    ///
    /// # Errors
    /// [`AppendError::Storage`] when the store fails, or when the
    /// checkpoint is not of this chain ([`ReadError::Corrupt`] naming it).
    pub fn record_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), AppendError> {
        let found = hash_at(&self.conn, &self.path, checkpoint.position)?;
        let head = self.head()?;
        if let Err(problem) = checkpoint.matches(found, head.position) {
            return Err(ReadError::Corrupt {
                path: self.path.clone(),
                detail: format!(
                    "the checkpoint to record at position {} does not match the chain: {problem}",
                    checkpoint.position
                ),
            }
            .into());
        }
        let body = serde_json::to_string(checkpoint)?;
        self.conn
            .execute(
                "INSERT INTO checkpoints (position, body) VALUES (?1, ?2)",
                params![to_sql(checkpoint.position), body],
            )
            .map_err(self.err("record a checkpoint"))?;
        Ok(())
    }

    /// Records `head` as checked, where the next incremental check starts
    /// when no trusted checkpoint is later. Not evidence (anyone who can
    /// write the file can change it): a signed checkpoint is.
    ///
    /// # Errors
    /// The store's failure.
    pub fn record_verified(&mut self, head: ChainHead) -> Result<(), ReadError> {
        self.conn
            .execute(
                "UPDATE verified_head SET position = ?1, hash = ?2 WHERE id = 1",
                params![to_sql(head.position), &head.hash.0[..]],
            )
            .map_err(self.err("record the verified head"))?;
        Ok(())
    }

    /// Every recorded checkpoint, oldest first.
    ///
    /// # Errors
    /// The store's failure, or [`ReadError::Malformed`] for a row that is
    /// not a checkpoint.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, ReadError> {
        let mut out = Vec::new();
        self.each_checkpoint("", &mut |cp| out.push(cp))?;
        Ok(out)
    }

    /// The latest recorded checkpoint.
    ///
    /// # Errors
    /// As [`SqliteStore::checkpoints`].
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, ReadError> {
        let mut out = None;
        self.each_checkpoint(" ORDER BY id DESC LIMIT 1", &mut |cp| out = Some(cp))?;
        Ok(out)
    }

    fn each_checkpoint(
        &self,
        tail: &str,
        visit: &mut dyn FnMut(Checkpoint),
    ) -> Result<(), ReadError> {
        let sql = if tail.is_empty() {
            "SELECT id, position, body FROM checkpoints ORDER BY id".to_owned()
        } else {
            format!("SELECT id, position, body FROM checkpoints{tail}")
        };
        let err = self.err("read the checkpoints");
        let mut stmt = self.conn.prepare(&sql).map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            let id: i64 = row.get(0).map_err(&err)?;
            let position = from_sql(row.get(1).map_err(&err)?);
            let body: String = row.get(2).map_err(&err)?;
            let cp = Checkpoint::from_json(&body).map_err(|e| ReadError::Malformed {
                position,
                detail: format!("checkpoint {id} is not a checkpoint: {e}"),
            })?;
            if cp.position != position {
                return Err(ReadError::Malformed {
                    position,
                    detail: format!(
                        "checkpoint {id} is filed at position {position} but signs position {}",
                        cp.position
                    ),
                });
            }
            visit(cp);
        }
        Ok(())
    }

    /// The incremental check every read runs: from the latest checkpoint
    /// (its signature checked, under one of `trusted` when any is given,
    /// and its hash found in the chain), or else from the recorded verified
    /// head, walks the chain to the recorded head recomputing every hash.
    /// Costs the events since then, not the register.
    ///
    /// When `trusted` is empty, a checkpoint's signature proves only that
    /// whoever wrote it held some key; the walk then starts from the later
    /// of the checkpoint and the verified head.
    ///
    /// # Errors
    /// The first thing wrong, as a [`VerifyError`] naming its position.
    pub fn verify_tail(&self, trusted: &[PublicKey]) -> Result<TailCheck, VerifyError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(self.err("check the chain"))?;
        let head = read_head(&tx, &self.path)?;
        let checkpoint = self.latest_checkpoint()?;
        let (position, hash): (i64, Vec<u8>) = tx
            .query_row(
                "SELECT position, hash FROM verified_head WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.err("read the verified head"))?;
        let verified = ChainHead {
            position: from_sql(position),
            hash: hash_from(&hash).unwrap_or(ChainHash::GENESIS),
        };
        let from = isms_store::audit::tail_start(
            checkpoint.as_ref(),
            verified,
            trusted,
            head.position,
            &mut |p| hash_at(&tx, &self.path, p),
        )?;
        let walked = walk(&tx, &self.path, from)?;
        tx.finish().map_err(self.err("check the chain"))?;
        if walked != head {
            return Err(head_mismatch(walked, head));
        }
        self.check_unchanged()?;
        Ok(TailCheck::new(from, checkpoint, head))
    }

    /// The full check of `isms verify`: SQLite's own `PRAGMA quick_check`;
    /// the whole chain from the first event to the recorded head; that every
    /// body decodes as an event of its row's stream and sequence; that the
    /// index of claims holds exactly what the events claim; every recorded
    /// checkpoint's signature (under one of `trusted` when any is given)
    /// and hash; and `against`, a checkpoint kept outside the store.
    ///
    /// # Errors
    /// The first thing wrong, in that order.
    pub fn verify_full(
        &self,
        trusted: &[PublicKey],
        against: Option<&Checkpoint>,
    ) -> Result<FullCheck, VerifyError> {
        self.quick_check()?;
        // One read transaction, and one walk of the log: each row's hash,
        // then its body and claim; then the checkpoints, on the same snapshot.
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(self.err("verify"))?;
        let err = |e| db_err(&self.path, "verify the events and the reference index", e);
        // By the key (kind, number, claim); by the text alone (a scan) only
        // for a claim the key does not find, to say whether the index lacks
        // it or records it with another kind or number.
        let mut lookup = tx
            .prepare_cached(
                "SELECT stream, kind, number FROM claims WHERE kind = ?1 AND number = ?2 AND claim = ?3",
            )
            .map_err(err)?;
        let mut by_text = tx
            .prepare_cached("SELECT stream, kind, number FROM claims WHERE claim = ?1")
            .map_err(err)?;
        let entry = |r: &rusqlite::Row<'_>| {
            Ok(IndexEntry {
                stream: r.get(0)?,
                kind: r.get(1)?,
                number: r.get(2)?,
            })
        };
        let mut audit = ClaimAudit::new();
        let verified = self.walk_chain(&mut |position, stream, sequence, body| {
            let body = std::str::from_utf8(body).map_err(|_| VerifyError::Undecodable {
                position,
                stream: Some(stream.to_owned()),
                detail: "the body is not text".into(),
            })?;
            let event = decode_checked(position, stream, sequence, body)?;
            audit.step(position, &event, &mut |claim, text| {
                let key = params![claim_kind(claim), i64::from(claim.number()), text];
                match lookup.query_row(key, entry).optional().map_err(err)? {
                    Some(found) => Ok(Some(found)),
                    None => by_text.query_row([text], entry).optional().map_err(err),
                }
            })
        })?;
        drop(lookup);
        drop(by_text);
        let indexed: i64 = tx
            .query_row("SELECT count(*) FROM claims", [], |r| r.get(0))
            .map_err(err)?;
        let claims = audit.finish(from_sql(indexed))?;
        let recorded = check_recorded(
            self.checkpoints()?,
            against,
            trusted,
            verified.head.position,
            &mut |p| hash_at(&tx, &self.path, p),
        )?;
        tx.finish().map_err(self.err("verify"))?;
        self.check_unchanged()?;
        Ok(FullCheck::new(verified, claims, recorded))
    }

    /// Checks the rows at `positions` each against its predecessor's stored
    /// hash: what a read of one item costs to tell a body edited in place
    /// (without the whole chain recomputed after it), wherever it is in the
    /// log.
    ///
    /// # Errors
    /// [`VerifyError::ChainBroken`] at the first row whose hash does not
    /// hold.
    pub fn verify_positions(&self, positions: &[u64]) -> Result<(), VerifyError> {
        for &position in positions {
            let prev = match position {
                0 => continue,
                1 => Some(ChainHash::GENESIS),
                p => hash_at(&self.conn, &self.path, p - 1)?,
            };
            let Some(prev) = prev else {
                return Err(VerifyError::ChainBroken {
                    position: position - 1,
                    stream: None,
                    kind: BreakKind::Missing {
                        next_present: Some(position),
                    },
                });
            };
            walk_range(
                &self.conn,
                &self.path,
                ChainHead {
                    position: position - 1,
                    hash: prev,
                },
                Some(position),
            )?;
        }
        self.check_unchanged()?;
        Ok(())
    }

    /// SQLite's `PRAGMA quick_check`: the b-trees and pages, not the chain.
    ///
    /// # Errors
    /// [`VerifyError::Integrity`] with what SQLite reported.
    pub fn quick_check(&self) -> Result<(), VerifyError> {
        let integrity = |detail: String| VerifyError::Integrity {
            path: self.path.clone(),
            detail,
        };
        let rows: Result<Vec<String>, rusqlite::Error> = self
            .conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect());
        let rows = match rows {
            Ok(rows) => rows,
            Err(rusqlite::Error::SqliteFailure(f, msg))
                if f.code == rusqlite::ErrorCode::DatabaseCorrupt =>
            {
                return Err(integrity(msg.unwrap_or_else(|| f.to_string())));
            }
            Err(e) => return Err(db_err(&self.path, "check integrity", e).into()),
        };
        if rows.len() == 1 && rows[0] == "ok" {
            Ok(())
        } else {
            Err(integrity(
                rows.into_iter().take(5).collect::<Vec<_>>().join("; "),
            ))
        }
    }
}

/// Walks the chain after `from` (taken as checked) to its last event.
fn walk(
    conn: &Connection,
    path: &std::path::Path,
    from: ChainHead,
) -> Result<ChainHead, VerifyError> {
    walk_range(conn, path, from, None)
}

/// Walks the chain after `from` (taken as checked) up to `to` (the last
/// event when `None`).
fn walk_range(
    conn: &Connection,
    path: &std::path::Path,
    from: ChainHead,
    to: Option<u64>,
) -> Result<ChainHead, VerifyError> {
    let err = |e| db_err(path, "check the chain", e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT position, stream, sequence, body, hash FROM events
             WHERE position > ?1 AND position <= ?2 ORDER BY position",
        )
        .map_err(err)?;
    let last = to.map_or(i64::MAX, to_sql);
    let mut rows = stmt
        .query(params![to_sql(from.position), last])
        .map_err(err)?;
    let mut walk = ChainWalk::from_head(from);
    while let Some(row) = rows.next().map_err(err)? {
        let position = from_sql(row.get(0).map_err(err)?);
        let malformed = |detail: &str| ReadError::Malformed {
            position,
            detail: detail.to_owned(),
        };
        let stream = row
            .get_ref(1)
            .map_err(err)?
            .as_str()
            .map_err(|_| malformed("the stream is not text"))?;
        let sequence = from_sql(row.get(2).map_err(err)?);
        let body = row
            .get_ref(3)
            .map_err(err)?
            .as_str()
            .map_err(|_| malformed("the body is not text"))?;
        let hash = row
            .get_ref(4)
            .map_err(err)?
            .as_blob()
            .ok()
            .and_then(hash_from)
            .ok_or_else(|| malformed("the hash is not 32 bytes"))?;
        walk.step(position, stream, sequence, body.as_bytes(), hash)?;
    }
    Ok(walk.head())
}
