//! Signed checkpoints (schema version 5) and the two checks built on them:
//! the incremental check every read runs ([`SqliteStore::verify_tail`])
//! and the full check of `isms verify` ([`SqliteStore::verify_full`]).

use isms_core::Event;
use isms_store::{
    AppendError, BreakKind, ChainHash, ChainHead, ChainWalk, Checkpoint, CheckpointProblem,
    EventStore as _, PublicKey, ReadError, Verified, VerifyError,
};
use rusqlite::{Connection, OptionalExtension as _, params};

use crate::schema::claim_kind;
use crate::store::{SqliteStore, db_err, from_sql, hash_from, read_head, to_sql};

/// Where the incremental check started and what it found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TailCheck {
    /// The head the walk started from (taken as checked).
    pub from: ChainHead,
    /// The checkpoint it started from, if it started from one.
    pub checkpoint: Option<Checkpoint>,
    /// The head reached: the store's recorded head.
    pub head: ChainHead,
}

/// What the full check found, all of it intact.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FullCheck {
    /// The chain, walked from the first event.
    pub verified: Verified,
    /// Claims (references, action ids) found indexed as the events claim them.
    pub claims: u64,
    /// Recorded checkpoints whose signatures hold and whose hashes are in
    /// the chain.
    pub checkpoints: u64,
    /// The ids of the keys that signed them.
    pub key_ids: Vec<String>,
    /// The latest recorded checkpoint.
    pub latest: Option<Checkpoint>,
}

fn checkpoint_error(cp: &Checkpoint, problem: CheckpointProblem) -> VerifyError {
    VerifyError::Checkpoint {
        position: cp.position,
        key_id: cp.key_id.clone(),
        problem,
    }
}

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
        let mut from = ChainHead::EMPTY;
        if let Some(cp) = &checkpoint {
            cp.check(trusted).map_err(|p| checkpoint_error(cp, p))?;
            let found = hash_at(&tx, &self.path, cp.position)?;
            cp.matches(found, head.position)
                .map_err(|p| checkpoint_error(cp, p))?;
            from = cp.head();
        }
        if checkpoint.is_none() || trusted.is_empty() {
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
            if verified.position > from.position {
                let found = hash_at(&tx, &self.path, verified.position)?;
                if found != Some(verified.hash) {
                    return Err(VerifyError::ChainBroken {
                        position: verified.position,
                        stream: None,
                        kind: BreakKind::AnchorMismatch {
                            anchored: verified.hash.to_hex(),
                            found: found.map(|h| h.to_hex()),
                        },
                    });
                }
                from = verified;
            }
        }
        let walked = walk(&tx, &self.path, from)?;
        tx.finish().map_err(self.err("check the chain"))?;
        if walked != head {
            return Err(head_mismatch(walked, head));
        }
        self.check_unchanged()?;
        Ok(TailCheck {
            from,
            checkpoint,
            head,
        })
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
        let mut bodies = BodyCheck::new(&self.conn, &self.path)?;
        let verified = self.walk_chain(&mut |position, stream, sequence, body| {
            bodies.row(position, stream, sequence, body)
        })?;
        let claims = bodies.finish()?;
        let mut key_ids: Vec<String> = Vec::new();
        let mut checkpoints = 0;
        let mut latest = None;
        for cp in self.checkpoints()? {
            cp.check(trusted).map_err(|p| checkpoint_error(&cp, p))?;
            let found = hash_at(&tx, &self.path, cp.position)?;
            cp.matches(found, verified.head.position)
                .map_err(|p| checkpoint_error(&cp, p))?;
            if !key_ids.contains(&cp.key_id) {
                key_ids.push(cp.key_id.clone());
            }
            checkpoints += 1;
            latest = Some(cp);
        }
        if let Some(cp) = against {
            cp.check(trusted).map_err(|p| checkpoint_error(cp, p))?;
            let found = hash_at(&tx, &self.path, cp.position)?;
            cp.matches(found, verified.head.position)
                .map_err(|p| checkpoint_error(cp, p))?;
        }
        tx.finish().map_err(self.err("verify"))?;
        self.check_unchanged()?;
        Ok(FullCheck {
            verified,
            claims,
            checkpoints,
            key_ids,
            latest,
        })
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

fn head_mismatch(chain: ChainHead, recorded: ChainHead) -> VerifyError {
    let position = match recorded.position.cmp(&chain.position) {
        std::cmp::Ordering::Less => recorded.position + 1,
        std::cmp::Ordering::Greater => chain.position + 1,
        std::cmp::Ordering::Equal => recorded.position,
    };
    VerifyError::ChainBroken {
        position,
        stream: None,
        kind: BreakKind::HeadMismatch {
            chain_position: chain.position,
            recorded_position: recorded.position,
        },
    }
}

/// The body and claim half of `verify_full`, fed one row at a time by the
/// chain walk: every body decodes as the event of its row's stream and
/// sequence, and the index of claims holds exactly what the events claim.
struct BodyCheck<'c> {
    lookup: rusqlite::CachedStatement<'c>,
    conn: &'c Connection,
    path: &'c std::path::Path,
    claims: u64,
}

impl<'c> BodyCheck<'c> {
    fn new(conn: &'c Connection, path: &'c std::path::Path) -> Result<Self, VerifyError> {
        let lookup = conn
            .prepare_cached("SELECT stream, kind, number FROM claims WHERE claim = ?1")
            .map_err(|e| db_err(path, "verify the events and the reference index", e))?;
        Ok(Self {
            lookup,
            conn,
            path,
            claims: 0,
        })
    }

    /// One row whose hash held.
    fn row(
        &mut self,
        position: u64,
        stream: &str,
        sequence: u64,
        body: &[u8],
    ) -> Result<(), VerifyError> {
        let path = self.path;
        let err = |e| db_err(path, "verify the events and the reference index", e);
        let undecodable = |detail: String| VerifyError::Undecodable {
            position,
            stream: Some(stream.to_owned()),
            detail,
        };
        let body =
            std::str::from_utf8(body).map_err(|_| undecodable("the body is not text".into()))?;
        let event: Event = serde_json::from_str(body).map_err(|e| undecodable(e.to_string()))?;
        if event.sequence != sequence || event.stream.to_string() != stream {
            return Err(undecodable(format!(
                "the body is event {} of {}, the row says {sequence} of {stream}",
                event.sequence, event.stream
            )));
        }
        let Some(claim) = event.claim() else {
            return Ok(());
        };
        self.claims += 1;
        let text = claim.to_string();
        let indexed: Option<(String, i64, i64)> = self
            .lookup
            .query_row([&text], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()
            .map_err(err)?;
        let detail = match indexed {
            None => Some(format!(
                "the event at position {position} claims it, but the index lacks it"
            )),
            Some((s, _, _)) if s != stream => Some(format!(
                "the index points it at {s}, but the event at position {position} gives it to {stream}"
            )),
            Some((_, kind, number))
                if kind != claim_kind(claim) || number != i64::from(claim.number()) =>
            {
                Some(format!(
                    "the index records kind {kind} and number {number}, the claim is kind {} number {}",
                    claim_kind(claim),
                    claim.number()
                ))
            }
            Some(_) => None,
        };
        match detail {
            Some(detail) => Err(VerifyError::ClaimIndex {
                claim: text,
                detail,
            }),
            None => Ok(()),
        }
    }

    /// After the last row: no claim in the index that no event makes.
    /// Returns the number of claims.
    fn finish(self) -> Result<u64, VerifyError> {
        let indexed: i64 = self
            .conn
            .query_row("SELECT count(*) FROM claims", [], |r| r.get(0))
            .map_err(|e| db_err(self.path, "verify the events and the reference index", e))?;
        if from_sql(indexed) != self.claims {
            return Err(VerifyError::ClaimIndex {
                claim: "the index as a whole".into(),
                detail: format!(
                    "it holds {indexed} claims, the events make {}; entries were added outside isms",
                    self.claims
                ),
            });
        }
        Ok(self.claims)
    }
}
