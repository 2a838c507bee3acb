//! Signed checkpoints per register (migration 2) and the checks built on
//! them: the incremental check of a read ([`PgStore::verify_tail`]) and
//! the full check of `isms verify` ([`PgStore::verify_full`]). Where to
//! start, what a checkpoint must satisfy and what the reference index must
//! hold are decided in `isms_store::audit`, the same code as SQLite's;
//! this module only reads the rows.
//!
//! Every check runs in one read-only `REPEATABLE READ` transaction: the
//! recorded head, the events and the checkpoints are seen at one instant
//! while other sessions append.

use std::collections::HashMap;
use std::path::Path;

use isms_store::audit::{
    ClaimAudit, FullCheck, IndexEntry, TailCheck, check_recorded, decode_checked, head_mismatch,
    tail_start,
};
use isms_store::{
    AppendError, BreakKind, ChainHash, ChainHead, ChainWalk, Checkpoint, CheckpointSigner,
    PublicKey, ReadError, Verified, VerifyError,
};
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::{Client, GenericClient, IsolationLevel, Transaction};

use crate::store::{HEAD, INSERT_CHECKPOINT, PgStore, from_sql, head_from, pg_err, to_sql};

/// A read-only snapshot of the database.
pub(crate) fn snapshot<'c>(
    client: &'c mut Client,
    label: &Path,
) -> Result<Transaction<'c>, ReadError> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(|e| pg_err(label, "begin a check of the chain", e))
}

/// The recorded head of `register`.
fn recorded_head(
    client: &mut impl GenericClient,
    register: &str,
    label: &Path,
) -> Result<ChainHead, ReadError> {
    let row = client
        .query_opt(HEAD, &[&register])
        .map_err(|e| pg_err(label, "read chain head", e))?
        .ok_or_else(|| ReadError::Corrupt {
            path: label.to_owned(),
            detail: "the register no longer exists (it was dropped while the store was open)"
                .into(),
        })?;
    head_from(label, &row)
}

/// The stored hash at `position`, if there is an event there.
fn hash_at(
    client: &mut impl GenericClient,
    register: &str,
    label: &Path,
    position: u64,
) -> Result<Option<ChainHash>, ReadError> {
    let row = client
        .query_opt(
            "SELECT hash FROM isms.events WHERE register = $1 AND position = $2",
            &[&register, &to_sql(position)],
        )
        .map_err(|e| pg_err(label, "read a chain hash", e))?;
    let Some(row) = row else { return Ok(None) };
    let hash: &[u8] = row
        .try_get(0)
        .map_err(|e| pg_err(label, "read a chain hash", e))?;
    <[u8; 32]>::try_from(hash)
        .map(|h| Some(ChainHash(h)))
        .map_err(|_| ReadError::Malformed {
            position,
            detail: format!("the hash has {} bytes, not 32", hash.len()),
        })
}

/// Walks the chain after `from` (taken as checked) up to `to` (the last
/// event when `None`), recomputing every hash.
fn walk(
    client: &mut impl GenericClient,
    register: &str,
    label: &Path,
    from: ChainHead,
    to: Option<u64>,
) -> Result<ChainHead, VerifyError> {
    let err = |e| pg_err(label, "check the chain", e);
    let last = to.map_or(i64::MAX, to_sql);
    let from_position = to_sql(from.position);
    let mut rows = client
        .query_raw(
            "SELECT position, stream, sequence, body, hash FROM isms.events
             WHERE register = $1 AND position > $2 AND position <= $3 ORDER BY position",
            [
                &register as &(dyn postgres::types::ToSql + Sync),
                &from_position,
                &last,
            ],
        )
        .map_err(err)?;
    let mut walk = ChainWalk::from_head(from);
    while let Some(row) = rows.next().map_err(err)? {
        let position = from_sql(row.try_get(0).map_err(err)?);
        let stream: &str = row.try_get(1).map_err(err)?;
        let sequence = from_sql(row.try_get(2).map_err(err)?);
        let body: &str = row.try_get(3).map_err(err)?;
        let hash: &[u8] = row.try_get(4).map_err(err)?;
        let stored = <[u8; 32]>::try_from(hash).map_err(|_| VerifyError::ChainBroken {
            position,
            stream: Some(stream.to_owned()),
            kind: BreakKind::Malformed {
                detail: format!("the hash has {} bytes, not 32", hash.len()),
            },
        })?;
        walk.step(
            position,
            stream,
            sequence,
            body.as_bytes(),
            ChainHash(stored),
        )?;
    }
    Ok(walk.head())
}

/// The whole chain of `register` against its recorded head, inside a
/// snapshot.
pub(crate) fn verify_in(
    tx: &mut Transaction<'_>,
    register: &str,
    label: &Path,
) -> Result<Verified, VerifyError> {
    let chain = walk(tx, register, label, ChainHead::EMPTY, None)?;
    let recorded = recorded_head(tx, register, label)?;
    if recorded != chain {
        return Err(head_mismatch(chain, recorded));
    }
    Ok(Verified {
        events: chain.position,
        head: chain,
    })
}

/// The recorded checkpoints of `register`, oldest first (`latest`: only
/// the one of the highest position).
fn read_checkpoints(
    client: &mut impl GenericClient,
    register: &str,
    label: &Path,
    latest: bool,
) -> Result<Vec<Checkpoint>, ReadError> {
    let sql = if latest {
        "SELECT position, key_id, body FROM isms.checkpoints WHERE register = $1
         ORDER BY position DESC, key_id LIMIT 1"
    } else {
        "SELECT position, key_id, body FROM isms.checkpoints WHERE register = $1
         ORDER BY position, key_id"
    };
    let err = |e| pg_err(label, "read the checkpoints", e);
    let rows = client.query(sql, &[&register]).map_err(err)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let position = from_sql(row.try_get(0).map_err(err)?);
        let key_id: &str = row.try_get(1).map_err(err)?;
        let body: &str = row.try_get(2).map_err(err)?;
        let cp = Checkpoint::from_json(body).map_err(|e| ReadError::Malformed {
            position,
            detail: format!("the checkpoint filed there by key {key_id} is not a checkpoint: {e}"),
        })?;
        if cp.position != position || cp.key_id != key_id {
            return Err(ReadError::Malformed {
                position,
                detail: format!(
                    "a checkpoint is filed at position {position} under key {key_id} but signs position {} by key {}",
                    cp.position, cp.key_id
                ),
            });
        }
        out.push(cp);
    }
    Ok(out)
}

impl PgStore {
    /// Signs a checkpoint of the new head with `signer` in the transaction
    /// of every later append (`None`: no longer), dated the latest instant
    /// the batch's events were recorded (`recorded_at`, else `at`: the
    /// store reads no clock). The key stays in this process; the database
    /// holds only the signed checkpoints.
    pub fn set_signer(&mut self, signer: Option<CheckpointSigner>) {
        self.signer = signer;
    }

    /// [`PgStore::set_signer`], builder style.
    #[must_use]
    pub fn with_signer(mut self, signer: CheckpointSigner) -> Self {
        self.signer = Some(signer);
        self
    }

    /// Records a checkpoint signed elsewhere. Only a checkpoint of this
    /// register's chain is taken: its position must be in the chain with
    /// the hash it signs. Recording one twice changes nothing.
    ///
    /// # Errors
    /// [`AppendError::Storage`] when the server fails, or when the
    /// checkpoint is not of this chain ([`ReadError::Corrupt`] naming it).
    pub fn record_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), AppendError> {
        let register = self.register.as_str().to_owned();
        let label = self.label.clone();
        let session = self.client.get_mut();
        let err = |op| {
            let label = label.clone();
            move |e| pg_err(&label, op, e)
        };
        let mut tx = session
            .client
            .transaction()
            .map_err(err("record a checkpoint"))?;
        let head = recorded_head(&mut tx, &register, &label)?;
        let found = hash_at(&mut tx, &register, &label, checkpoint.position)?;
        if let Err(problem) = checkpoint.matches(found, head.position) {
            return Err(ReadError::Corrupt {
                path: label.clone(),
                detail: format!(
                    "the checkpoint to record at position {} does not match the chain: {problem}",
                    checkpoint.position
                ),
            }
            .into());
        }
        let body = serde_json::to_string(checkpoint)?;
        tx.execute(
            INSERT_CHECKPOINT,
            &[
                &register,
                &to_sql(checkpoint.position),
                &checkpoint.key_id,
                &body,
            ],
        )
        .map_err(err("record a checkpoint"))?;
        tx.commit().map_err(err("record a checkpoint"))?;
        Ok(())
    }

    /// Records `head` as checked: where the next incremental check starts
    /// when no trusted checkpoint is later. Never moves back (another
    /// session may have checked further). Not evidence: a signed
    /// checkpoint is.
    ///
    /// # Errors
    /// The server's failure.
    pub fn record_verified(&mut self, head: ChainHead) -> Result<(), ReadError> {
        let register = self.register.as_str();
        self.client
            .get_mut()
            .client
            .execute(
                "UPDATE isms.registers SET verified_position = $2, verified_hash = $3
                 WHERE register = $1 AND verified_position < $2",
                &[&register, &to_sql(head.position), &&head.hash.0[..]],
            )
            .map_err(|e| pg_err(&self.label, "record the verified head", e))?;
        Ok(())
    }

    /// Every recorded checkpoint of the register, oldest first.
    ///
    /// # Errors
    /// The server's failure, or [`ReadError::Malformed`] for a row that is
    /// not a checkpoint.
    pub fn checkpoints(&self) -> Result<Vec<Checkpoint>, ReadError> {
        let mut session = self.session()?;
        read_checkpoints(
            &mut session.client,
            self.register.as_str(),
            &self.label,
            false,
        )
    }

    /// The checkpoint of the highest position.
    ///
    /// # Errors
    /// As [`PgStore::checkpoints`].
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, ReadError> {
        let mut session = self.session()?;
        Ok(read_checkpoints(
            &mut session.client,
            self.register.as_str(),
            &self.label,
            true,
        )?
        .pop())
    }

    /// The incremental check every read runs: from the latest checkpoint
    /// (its signature checked, under one of `trusted` when any is given,
    /// and its hash found in the chain), or else from the head recorded
    /// as verified, walks the chain to the recorded head recomputing every
    /// hash ([`isms_store::audit::tail_start`]). Costs the events since
    /// then, not the register.
    ///
    /// # Errors
    /// The first thing wrong, as a [`VerifyError`] naming its position.
    pub fn verify_tail(&self, trusted: &[PublicKey]) -> Result<TailCheck, VerifyError> {
        let register = self.register.as_str();
        let label = &self.label;
        let mut session = self.session()?;
        let mut tx = snapshot(&mut session.client, label)?;
        let row = tx
            .query_one(
                "SELECT head_position, head_hash, verified_position, verified_hash
                 FROM isms.registers WHERE register = $1",
                &[&register],
            )
            .map_err(|e| pg_err(label, "read chain head", e))?;
        let head = head_from(label, &row)?;
        let verified_position: i64 = row
            .try_get(2)
            .map_err(|e| pg_err(label, "read the verified head", e))?;
        let verified_hash: &[u8] = row
            .try_get(3)
            .map_err(|e| pg_err(label, "read the verified head", e))?;
        let verified = ChainHead {
            position: from_sql(verified_position),
            hash: ChainHash(<[u8; 32]>::try_from(verified_hash).unwrap_or([0; 32])),
        };
        let checkpoint = read_checkpoints(&mut tx, register, label, true)?.pop();
        let from = tail_start(
            checkpoint.as_ref(),
            verified,
            trusted,
            head.position,
            &mut |p| hash_at(&mut tx, register, label, p),
        )?;
        let walked = walk(&mut tx, register, label, from, None)?;
        tx.commit()
            .map_err(|e| pg_err(label, "end a check of the chain", e))?;
        if walked != head {
            return Err(head_mismatch(walked, head));
        }
        Ok(TailCheck::new(from, checkpoint, head))
    }

    /// The full check of `isms verify`, in one snapshot: the whole chain
    /// from the first event to the recorded head; that every body decodes
    /// as an event of its row's stream and sequence; that the reference
    /// index holds exactly what the events claim; every recorded
    /// checkpoint's signature (under one of `trusted` when any is given)
    /// and hash; and `against`, a checkpoint kept outside the database.
    ///
    /// # Errors
    /// The first thing wrong, in that order.
    pub fn verify_full(
        &self,
        trusted: &[PublicKey],
        against: Option<&Checkpoint>,
    ) -> Result<FullCheck, VerifyError> {
        let register = self.register.as_str();
        let label = &self.label;
        let mut session = self.session()?;
        let mut tx = snapshot(&mut session.client, label)?;
        let verified = verify_in(&mut tx, register, label)?;
        let claims = check_bodies_and_claims(&mut tx, register, label)?;
        let recorded = read_checkpoints(&mut tx, register, label, false)?;
        let recorded = check_recorded(
            recorded,
            against,
            trusted,
            verified.head.position,
            &mut |p| hash_at(&mut tx, register, label, p),
        )?;
        tx.commit()
            .map_err(|e| pg_err(label, "end a check of the chain", e))?;
        Ok(FullCheck::new(verified, claims, recorded))
    }

    /// Checks the rows at `positions` each against its predecessor's stored
    /// hash: what a read of one item costs to tell a body edited in place
    /// (without the whole chain recomputed after it).
    ///
    /// # Errors
    /// [`VerifyError::ChainBroken`] at the first row whose hash does not
    /// hold.
    pub fn verify_positions(&self, positions: &[u64]) -> Result<(), VerifyError> {
        let register = self.register.as_str();
        let label = &self.label;
        let mut session = self.session()?;
        let client = &mut session.client;
        for &position in positions {
            let prev = match position {
                0 => continue,
                1 => Some(ChainHash::GENESIS),
                p => hash_at(client, register, label, p - 1)?,
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
            let from = ChainHead {
                position: position - 1,
                hash: prev,
            };
            walk(client, register, label, from, Some(position))?;
        }
        Ok(())
    }
}

/// Decodes every body of the register and checks the reference index
/// against the claims the events make; returns the number of claims.
fn check_bodies_and_claims(
    tx: &mut Transaction<'_>,
    register: &str,
    label: &Path,
) -> Result<u64, VerifyError> {
    let err = |e| pg_err(label, "verify the events and the reference index", e);
    let mut index: HashMap<String, IndexEntry> = HashMap::new();
    for row in tx
        .query(
            "SELECT claim, stream, kind, number FROM isms.claims WHERE register = $1",
            &[&register],
        )
        .map_err(err)?
    {
        let claim: String = row.try_get(0).map_err(err)?;
        let kind: i16 = row.try_get(2).map_err(err)?;
        let number: i32 = row.try_get(3).map_err(err)?;
        index.insert(
            claim,
            IndexEntry {
                stream: row.try_get(1).map_err(err)?,
                kind: i64::from(kind),
                number: i64::from(number),
            },
        );
    }
    let mut audit = ClaimAudit::new();
    let mut rows = tx
        .query_raw(
            "SELECT position, stream, sequence, body FROM isms.events
             WHERE register = $1 ORDER BY position",
            [register],
        )
        .map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let position = from_sql(row.try_get(0).map_err(err)?);
        let stream: &str = row.try_get(1).map_err(err)?;
        let sequence = from_sql(row.try_get(2).map_err(err)?);
        let body: &str = row.try_get(3).map_err(err)?;
        let event = decode_checked(position, stream, sequence, body)?;
        audit.step(position, &event, &mut |_, text| {
            Ok(index.get(text).cloned())
        })?;
    }
    audit.finish(index.len() as u64)
}
