//! The hash chain every backend computes identically, so that chains from
//! different backends (and from a backup) can be compared byte for byte.
//!
//! `hash(n) = SHA-256("isms-event-chain/v1" ‖ position ‖ len(stream) ‖
//! stream ‖ sequence ‖ len(body) ‖ body ‖ hash(n-1))`, integers as 8-byte
//! big-endian, `hash(0)` = 32 zero bytes, `body` the event's stored JSON.
//! Length prefixes make the encoding unambiguous.

use isms_core::Event;
use sha2::{Digest, Sha256};

use crate::error::{BreakKind, VerifyError};
use crate::types::{ChainHash, ChainHead};

const DOMAIN: &[u8] = b"isms-event-chain/v1";

/// The bytes of an event that are stored and hashed: its JSON as serde
/// writes it (field order fixed by the type). The hash covers these bytes
/// as stored, so reading never depends on re-serialising identically.
pub fn event_body(event: &Event) -> Result<String, serde_json::Error> {
    crate::json::to_string(event)
}

/// Appends an event's body to `buf` (cleared first), reusing its
/// allocation on hot paths.
pub fn write_event_body(event: &Event, buf: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    buf.clear();
    crate::json::to_writer(buf, event)
}

/// The chain hash of one event given the previous hash.
pub fn chain_hash(
    prev: &ChainHash,
    position: u64,
    stream: &str,
    sequence: u64,
    body: &[u8],
) -> ChainHash {
    let mut h = Sha256::new();
    h.update(DOMAIN);
    h.update(position.to_be_bytes());
    h.update((stream.len() as u64).to_be_bytes());
    h.update(stream.as_bytes());
    h.update(sequence.to_be_bytes());
    h.update((body.len() as u64).to_be_bytes());
    h.update(body);
    h.update(prev.0);
    ChainHash(h.finalize().into())
}

/// Walks a chain row by row, recomputing each hash from the previous one:
/// the check of `verify` for a store that reads its rows itself.
///
/// ```
/// use isms_store::{ChainHash, ChainWalk, chain_hash};
///
/// let h1 = chain_hash(&ChainHash::GENESIS, 1, "nonconformity/x", 1, b"{}");
/// let mut walk = ChainWalk::new();
/// walk.step(1, "nonconformity/x", 1, b"{}", h1)?;
/// assert_eq!(walk.head().hash, h1);
/// assert!(walk.step(2, "nonconformity/x", 2, b"{}", h1).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ChainWalk {
    head: Option<ChainHead>,
}

impl ChainWalk {
    /// A walk from the genesis hash.
    pub fn new() -> Self {
        Self::default()
    }

    /// A walk that continues after `head`, taken as checked (a signed
    /// checkpoint, or a head verified earlier): the incremental check.
    pub fn from_head(head: ChainHead) -> Self {
        Self { head: Some(head) }
    }

    /// Checks the next row: its position must follow the last one and its
    /// stored hash must equal the recomputed one.
    ///
    /// # Errors
    /// [`VerifyError::ChainBroken`] naming the position and the stream.
    pub fn step(
        &mut self,
        position: u64,
        stream: &str,
        sequence: u64,
        body: &[u8],
        stored: ChainHash,
    ) -> Result<(), VerifyError> {
        let head = self.head();
        if position != head.position + 1 {
            return Err(VerifyError::ChainBroken {
                position: head.position + 1,
                stream: Some(stream.to_owned()),
                kind: BreakKind::Missing {
                    next_present: Some(position),
                },
            });
        }
        let computed = chain_hash(&head.hash, position, stream, sequence, body);
        if computed != stored {
            return Err(VerifyError::ChainBroken {
                position,
                stream: Some(stream.to_owned()),
                kind: BreakKind::HashMismatch {
                    stored: stored.to_hex(),
                    computed: computed.to_hex(),
                },
            });
        }
        self.head = Some(ChainHead {
            position,
            hash: computed,
        });
        Ok(())
    }

    /// The head reached so far ([`ChainHead::EMPTY`] before any row).
    pub fn head(&self) -> ChainHead {
        self.head.unwrap_or(ChainHead::EMPTY)
    }
}

/// SHA-256 of a command's JSON: the fingerprint that tells a retried
/// request from a request id reused for another command.
pub fn fingerprint<T: serde::Serialize>(value: &T) -> Result<ChainHash, serde_json::Error> {
    let bytes = serde_json::to_vec(value)?;
    Ok(ChainHash(Sha256::digest(&bytes).into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain is a compatibility promise (anchored heads, backups, other
    /// backends): this pins it to an independent computation (Python's
    /// hashlib over the documented encoding).
    #[test]
    fn the_chain_encoding_is_pinned() {
        let h = chain_hash(&ChainHash::GENESIS, 1, "nonconformity/x", 1, b"{}");
        assert_eq!(
            h.to_hex(),
            "763304ed04700887be5e3d9cf76a44810a1d1b3293eddb4ebf9021e339ae56c2"
        );
        let next = chain_hash(&h, 2, "nonconformity/x", 2, b"{}");
        assert_ne!(next, h);
    }
}
