//! What every database backend's checks of its log against signed
//! checkpoints share, so that SQLite and PostgreSQL decide the same way:
//!
//! - [`tail_start`]: where the incremental check of a read starts (the
//!   latest checkpoint, its signature and hash checked, or the head
//!   recorded as verified), given a look-up of stored hashes;
//! - [`check_recorded`]: every recorded checkpoint, checked against the
//!   chain, for the full check;
//! - [`decode_checked`] and [`ClaimAudit`]: that a stored body is the
//!   event its row says, and that the reference index holds exactly what
//!   the events claim;
//! - [`TailCheck`] and [`FullCheck`]: what the two checks report.
//!
//! A backend supplies only the reads (a hash at a position, the rows in
//! order, the index entry of a claim).

use isms_core::{Claim, Event};

use crate::checkpoint::{Checkpoint, PublicKey};
use crate::error::{BreakKind, ReadError, VerifyError};
use crate::types::{ChainHash, ChainHead, Verified};

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

impl TailCheck {
    /// What a backend's incremental check found.
    pub fn new(from: ChainHead, checkpoint: Option<Checkpoint>, head: ChainHead) -> Self {
        Self {
            from,
            checkpoint,
            head,
        }
    }
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

impl FullCheck {
    /// What a backend's full check found.
    pub fn new(verified: Verified, claims: u64, recorded: RecordedCheckpoints) -> Self {
        Self {
            verified,
            claims,
            checkpoints: recorded.count,
            key_ids: recorded.key_ids,
            latest: recorded.latest,
        }
    }
}

/// What [`check_recorded`] found: every checkpoint intact.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedCheckpoints {
    /// How many were checked.
    pub count: u64,
    /// The ids of the keys that signed them, in order of first use.
    pub key_ids: Vec<String>,
    /// The last one checked.
    pub latest: Option<Checkpoint>,
}

impl Checkpoint {
    /// [`Checkpoint::check`] (the signature, under one of `trusted` when
    /// any is given) and [`Checkpoint::matches`] (its hash in the chain:
    /// `found` at its position, in a chain whose head is at `head`), as
    /// the [`VerifyError::Checkpoint`] naming this checkpoint.
    ///
    /// # Errors
    /// The first problem found.
    pub fn check_in_chain(
        &self,
        trusted: &[PublicKey],
        found: Option<ChainHash>,
        head: u64,
    ) -> Result<(), VerifyError> {
        self.check(trusted)
            .and_then(|()| self.matches(found, head))
            .map_err(|problem| VerifyError::Checkpoint {
                position: self.position,
                key_id: self.key_id.clone(),
                problem,
            })
    }
}

/// A stored hash at a position (`None` when there is no event there).
pub type HashAt<'a> = dyn FnMut(u64) -> Result<Option<ChainHash>, ReadError> + 'a;

/// Where the incremental check of a read starts.
///
/// From the latest checkpoint (its signature checked, under one of
/// `trusted` when any is given, and its hash found in the chain by
/// `hash_at`); or, when there is none or no key is trusted (a signature
/// then proves only that whoever wrote it held some key), from the later
/// of that and `verified`, the head the store recorded as checked, whose
/// hash must still be in the chain. The caller walks from the returned
/// head to its recorded head `head`.
///
/// # Errors
/// The checkpoint's problem, or [`VerifyError::ChainBroken`] with
/// [`BreakKind::AnchorMismatch`] at the verified head's position.
pub fn tail_start(
    latest: Option<&Checkpoint>,
    verified: ChainHead,
    trusted: &[PublicKey],
    head: u64,
    hash_at: &mut HashAt<'_>,
) -> Result<ChainHead, VerifyError> {
    let mut from = ChainHead::EMPTY;
    if let Some(cp) = latest {
        let found = hash_at(cp.position)?;
        cp.check_in_chain(trusted, found, head)?;
        from = cp.head();
    }
    if (latest.is_none() || trusted.is_empty()) && verified.position > from.position {
        let found = hash_at(verified.position)?;
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
    Ok(from)
}

/// Checks every recorded checkpoint (oldest first) against the chain whose
/// head is at `head`, and `against`, a checkpoint kept outside the store.
///
/// # Errors
/// The first checkpoint with a problem, as [`Checkpoint::check_in_chain`].
pub fn check_recorded(
    recorded: impl IntoIterator<Item = Checkpoint>,
    against: Option<&Checkpoint>,
    trusted: &[PublicKey],
    head: u64,
    hash_at: &mut HashAt<'_>,
) -> Result<RecordedCheckpoints, VerifyError> {
    let mut out = RecordedCheckpoints::default();
    for cp in recorded {
        let found = hash_at(cp.position)?;
        cp.check_in_chain(trusted, found, head)?;
        if !out.key_ids.contains(&cp.key_id) {
            out.key_ids.push(cp.key_id.clone());
        }
        out.count += 1;
        out.latest = Some(cp);
    }
    if let Some(cp) = against {
        let found = hash_at(cp.position)?;
        cp.check_in_chain(trusted, found, head)?;
    }
    Ok(out)
}

/// The error of a chain walked to `chain` whose store recorded `recorded`
/// as its head: [`BreakKind::HeadMismatch`] at the first position where
/// they part.
pub fn head_mismatch(chain: ChainHead, recorded: ChainHead) -> VerifyError {
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

/// Decodes a stored body, which must be an event of its row's stream and
/// sequence.
///
/// # Errors
/// [`VerifyError::Undecodable`] naming the position.
pub fn decode_checked(
    position: u64,
    stream: &str,
    sequence: u64,
    body: &str,
) -> Result<Event, VerifyError> {
    let undecodable = |detail: String| VerifyError::Undecodable {
        position,
        stream: Some(stream.to_owned()),
        detail,
    };
    let event: Event = serde_json::from_str(body).map_err(|e| undecodable(e.to_string()))?;
    if event.stream.to_string() != stream || event.sequence != sequence {
        return Err(undecodable(format!(
            "the body is event {} of {}, the row says {sequence} of {stream}",
            event.sequence, event.stream
        )));
    }
    Ok(event)
}

/// The code a database backend files a claim's kind under: 1 a
/// nonconformity's reference, 2 an improvement's, 3 an action id.
pub fn claim_kind_code(claim: Claim) -> i64 {
    match claim {
        Claim::Nonconformity(_) => 1,
        Claim::Improvement(_) => 2,
        Claim::Action(_) => 3,
    }
}

/// One entry of a reference index: the stream it points at, the kind code
/// ([`claim_kind_code`]) and the number it records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    /// The stream the claim is indexed to.
    pub stream: String,
    /// The kind code.
    pub kind: i64,
    /// The number (0 for an action).
    pub number: i64,
}

/// What [`ClaimAudit::step`] asks a backend: the index's entry for a claim,
/// given the claim and its text.
pub type ClaimLookup<'a> = dyn FnMut(Claim, &str) -> Result<Option<IndexEntry>, ReadError> + 'a;

/// Checks a reference index against the events, one event at a time: each
/// claim an event takes must be indexed to its stream with its kind and
/// number, and at the end the index must hold nothing else.
#[derive(Debug, Default)]
pub struct ClaimAudit {
    claims: u64,
}

impl ClaimAudit {
    /// An audit with nothing seen.
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the claim `event` takes, if any, against what the index holds
    /// for it, which `lookup` finds: given the claim and its text, it
    /// returns the index's entry for that text, if any. A backend whose
    /// index is keyed by kind and number as well may look the entry up by
    /// all three first, and by the text alone only when that finds nothing
    /// (an entry with another kind or number is then named as such).
    ///
    /// # Errors
    /// [`VerifyError::ClaimIndex`] naming the claim.
    pub fn step(
        &mut self,
        position: u64,
        event: &Event,
        lookup: &mut ClaimLookup<'_>,
    ) -> Result<(), VerifyError> {
        let Some(claim) = event.claim() else {
            return Ok(());
        };
        self.claims += 1;
        let text = claim.to_string();
        let stream = event.stream.to_string();
        let detail = match lookup(claim, &text)? {
            None => Some(format!(
                "the event at position {position} claims it, but the index lacks it"
            )),
            Some(e) if e.stream != stream => Some(format!(
                "the index points it at {}, but the event at position {position} gives it to {stream}",
                e.stream
            )),
            Some(e)
                if e.kind != claim_kind_code(claim) || e.number != i64::from(claim.number()) =>
            {
                Some(format!(
                    "the index records kind {} and number {}, the claim is kind {} number {}",
                    e.kind,
                    e.number,
                    claim_kind_code(claim),
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

    /// Ends the audit: the index holds `indexed` entries, which must be the
    /// number of claims seen. Returns that number.
    ///
    /// # Errors
    /// [`VerifyError::ClaimIndex`] for the index as a whole.
    pub fn finish(self, indexed: u64) -> Result<u64, VerifyError> {
        if indexed == self.claims {
            return Ok(self.claims);
        }
        Err(VerifyError::ClaimIndex {
            claim: "the index as a whole".into(),
            detail: format!(
                "it holds {indexed} claims, the events make {}; entries were added outside isms",
                self.claims
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use chrono::Utc;

    use super::*;
    use crate::checkpoint::{CheckpointProblem, CheckpointSigner};

    fn chain(n: u64) -> Vec<ChainHash> {
        (0..=n).map(|i| ChainHash([i as u8; 32])).collect()
    }

    #[test]
    fn the_tail_starts_at_a_trusted_checkpoint_and_not_at_a_forged_one() {
        let hashes = chain(10);
        let signer = CheckpointSigner::from_seed([1; 32]);
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let cp = signer.sign(
            ChainHead {
                position: 7,
                hash: hashes[7],
            },
            at,
        );
        let mut lookup = |p: u64| Ok(hashes.get(p as usize).copied().filter(|_| p > 0));
        let verified = ChainHead {
            position: 9,
            hash: hashes[9],
        };
        // Trusted key: the checkpoint, not the (unsigned) verified head.
        let from =
            tail_start(Some(&cp), verified, &[signer.public_key()], 10, &mut lookup).unwrap();
        assert_eq!(from.position, 7);
        // No trusted key: the later of the two.
        let from = tail_start(Some(&cp), verified, &[], 10, &mut lookup).unwrap();
        assert_eq!(from.position, 9);
        // A rewritten chain: the checkpoint's hash is gone.
        let mut rewritten = |p: u64| Ok(Some(ChainHash([p as u8 + 100; 32])));
        match tail_start(
            Some(&cp),
            verified,
            &[signer.public_key()],
            10,
            &mut rewritten,
        ) {
            Err(VerifyError::Checkpoint {
                position: 7,
                problem: CheckpointProblem::HashMismatch { .. },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // Signed by another key than the trusted one.
        let other = CheckpointSigner::from_seed([2; 32]);
        match tail_start(Some(&cp), verified, &[other.public_key()], 10, &mut lookup) {
            Err(VerifyError::Checkpoint {
                problem: CheckpointProblem::UnknownKey { .. },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
        // A verified head no longer in the chain.
        match tail_start(None, verified, &[], 10, &mut rewritten) {
            Err(VerifyError::ChainBroken {
                position: 9,
                kind: BreakKind::AnchorMismatch { .. },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn recorded_checkpoints_are_counted_by_key_and_a_missing_position_is_named() {
        let hashes = chain(5);
        let a = CheckpointSigner::from_seed([1; 32]);
        let b = CheckpointSigner::from_seed([2; 32]);
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let head = |p: u64| ChainHead {
            position: p,
            hash: hashes[p as usize],
        };
        let cps = vec![
            a.sign(head(2), at),
            b.sign(head(3), at),
            a.sign(head(5), at),
        ];
        let mut lookup = |p: u64| Ok(hashes.get(p as usize).copied().filter(|_| p > 0));
        let out = check_recorded(cps.clone(), None, &[], 5, &mut lookup).unwrap();
        assert_eq!(out.count, 3);
        assert_eq!(out.key_ids, vec![a.key_id(), b.key_id()]);
        assert_eq!(out.latest.unwrap().position, 5);
        // The chain cut back to 4: the checkpoint of 5 is beyond it.
        let mut cut = |p: u64| Ok(hashes.get(p as usize).copied().filter(|_| p > 0 && p <= 4));
        match check_recorded(cps, None, &[], 4, &mut cut) {
            Err(VerifyError::Checkpoint {
                position: 5,
                problem: CheckpointProblem::BeyondHead { head: 4 },
                ..
            }) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_head_mismatch_names_the_first_position_where_they_part() {
        let h = |p| ChainHead {
            position: p,
            hash: ChainHash([0; 32]),
        };
        for (chain, recorded, at) in [(5, 7, 6), (7, 5, 6), (5, 5, 5)] {
            match head_mismatch(h(chain), h(recorded)) {
                VerifyError::ChainBroken { position, .. } => assert_eq!(position, at),
                other => panic!("{other:?}"),
            }
        }
    }
}
