//! Signed checkpoints: a chain head (position and hash) with the time it
//! was taken, signed with an Ed25519 key kept outside the store (what
//! certificate-transparency logs call a signed tree head).
//!
//! The hash chain alone shows edits by someone who does not recompute the
//! hashes; someone who can write the store can recompute them all. A
//! checkpoint signed with a key the attacker does not hold pins the history
//! up to its position: a rewrite changes the hash there, and no new
//! signature can be made for it. Kept elsewhere (a file exported with
//! `isms checkpoint --out`), it also catches a store rolled back or
//! replaced wholesale.
//!
//! The signed message is `"isms-checkpoint/v1" ‖ position ‖ hash ‖
//! time ‖ key id`, the position and the time (milliseconds since the Unix
//! epoch, signed) as 8-byte big-endian integers, the key id as its 16 ASCII
//! hex digits. The key id is the first 8 bytes of SHA-256(`"isms-signing-key/v1"`
//! ‖ public key), in hex.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_store::{ChainHash, ChainHead, CheckpointSigner};
//!
//! let signer = CheckpointSigner::from_seed([7; 32]);
//! let head = ChainHead { position: 12, hash: ChainHash([1; 32]) };
//! let at = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
//! let checkpoint = signer.sign(head, at);
//! checkpoint.check(&[signer.public_key()])?;
//!
//! // Anything changed, the signature no longer holds.
//! let mut forged = checkpoint.clone();
//! forged.position = 13;
//! assert!(forged.check(&[signer.public_key()]).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use chrono::{DateTime, SubsecRound as _, Utc};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::types::{ChainHash, ChainHead};

const MESSAGE_DOMAIN: &[u8] = b"isms-checkpoint/v1";
const KEY_DOMAIN: &[u8] = b"isms-signing-key/v1";
/// The first line of a signing-key file.
const KEY_FILE_HEADER: &str = "isms-signing-key/v1";

/// An Ed25519 public key, shown and serialised as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PublicKey(pub [u8; 32]);

impl PublicKey {
    /// Parses 64 hex digits.
    ///
    /// # Errors
    /// [`KeyError::BadPublicKey`] for anything else.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut out).map_err(|_| KeyError::BadPublicKey {
            text: text.chars().take(80).collect(),
        })?;
        Ok(Self(out))
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key's id: 16 hex digits derived from the key.
    pub fn key_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(KEY_DOMAIN);
        h.update(self.0);
        hex::encode(&h.finalize()[..8])
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

impl TryFrom<String> for PublicKey {
    type Error = KeyError;
    fn try_from(s: String) -> Result<Self, KeyError> {
        Self::from_hex(&s)
    }
}

impl From<PublicKey> for String {
    fn from(k: PublicKey) -> String {
        k.to_hex()
    }
}

/// A key file or a public key that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a signing-key file of this program.
    #[error(
        "not an isms signing key: expected a first line {KEY_FILE_HEADER:?} and 64 hex digits on the second; make one with `isms key init`"
    )]
    BadKeyFile,
    /// The text is not 64 hex digits.
    #[error("{text:?} is not an Ed25519 public key: expected 64 hex digits")]
    BadPublicKey {
        /// The text (at most 80 characters of it).
        text: String,
    },
}

/// The secret half: signs checkpoints. Made from 32 random bytes by the
/// program that may draw them (the CLI); this crate draws none.
pub struct CheckpointSigner {
    key: SigningKey,
}

impl fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the secret.
        write!(f, "CheckpointSigner({})", self.key_id())
    }
}

impl CheckpointSigner {
    /// The signer of this 32-byte Ed25519 seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// Reads a key file written by [`CheckpointSigner::to_key_file`].
    ///
    /// # Errors
    /// [`KeyError::BadKeyFile`].
    pub fn from_key_file(text: &str) -> Result<Self, KeyError> {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err(KeyError::BadKeyFile);
        }
        let mut seed = [0u8; 32];
        let line = lines.next().ok_or(KeyError::BadKeyFile)?;
        hex::decode_to_slice(line, &mut seed).map_err(|_| KeyError::BadKeyFile)?;
        Ok(Self::from_seed(seed))
    }

    /// The key file's text: a header line, the seed in hex, and the public
    /// key and its id as comments for the reader.
    pub fn to_key_file(&self) -> String {
        format!(
            "{KEY_FILE_HEADER}\n{}\n# public key {}, key id {}; keep this file secret\n",
            hex::encode(self.key.to_bytes()),
            self.public_key(),
            self.key_id()
        )
    }

    /// The public half, for verifiers.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }

    /// The key's id.
    pub fn key_id(&self) -> String {
        self.public_key().key_id()
    }

    /// Signs `head` as of `at` (kept to the millisecond).
    pub fn sign(&self, head: ChainHead, at: DateTime<Utc>) -> Checkpoint {
        let mut checkpoint = Checkpoint {
            position: head.position,
            hash: head.hash,
            at: at.trunc_subsecs(3),
            key_id: self.key_id(),
            public_key: self.public_key(),
            signature: SignatureBytes([0; 64]),
        };
        checkpoint.signature = SignatureBytes(self.key.sign(&checkpoint.message()).to_bytes());
        checkpoint
    }
}

/// An Ed25519 signature, serialised as 128 hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SignatureBytes(pub [u8; 64]);

impl fmt::Debug for SignatureBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignatureBytes({})", hex::encode(self.0))
    }
}

impl TryFrom<String> for SignatureBytes {
    type Error = hex::FromHexError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let mut out = [0u8; 64];
        hex::decode_to_slice(&s, &mut out)?;
        Ok(Self(out))
    }
}

impl From<SignatureBytes> for String {
    fn from(s: SignatureBytes) -> String {
        hex::encode(s.0)
    }
}

/// A signed chain head. Serialised as the JSON of an exported checkpoint
/// file (`isms checkpoint --out`), with the public key in it so that a
/// verifier can tell which key signed; whether that key is trusted is the
/// verifier's decision ([`Checkpoint::check`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// The chain position signed.
    pub position: u64,
    /// The chain hash at that position.
    pub hash: ChainHash,
    /// When it was signed (to the millisecond).
    pub at: DateTime<Utc>,
    /// The signing key's id ([`PublicKey::key_id`]).
    pub key_id: String,
    /// The signing key's public half.
    pub public_key: PublicKey,
    /// The Ed25519 signature of the message described in the module docs.
    pub signature: SignatureBytes,
}

/// What is wrong with a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointProblem {
    /// The signature does not hold: the checkpoint was edited or forged.
    #[error("its signature does not verify; the checkpoint was edited or forged")]
    BadSignature,
    /// The recorded key id is not the recorded public key's.
    #[error("its key id does not belong to its public key {public_key}")]
    KeyIdMismatch {
        /// The recorded public key.
        public_key: PublicKey,
    },
    /// The signature holds, but under a key the verifier does not trust.
    #[error(
        "it is signed by key {key_id} ({public_key}), which is not a trusted key; someone who could write the store may have signed it with their own key"
    )]
    UnknownKey {
        /// The key's id.
        key_id: String,
        /// The key.
        public_key: PublicKey,
    },
    /// The chain holds another hash at the checkpoint's position: history
    /// up to there was rewritten (or another register is being checked).
    #[error(
        "the chain holds {found} there instead of the signed {signed}; history up to that position was rewritten"
    )]
    HashMismatch {
        /// The hash signed.
        signed: ChainHash,
        /// The hash found in the chain.
        found: ChainHash,
    },
    /// The chain does not reach the checkpoint's position: events were
    /// removed (or the store was rolled back to an older copy).
    #[error(
        "the chain ends at position {head}, before the signed position; events were removed or an older copy was put in place"
    )]
    BeyondHead {
        /// Where the chain ends.
        head: u64,
    },
}

impl Checkpoint {
    /// The signed head.
    pub fn head(&self) -> ChainHead {
        ChainHead {
            position: self.position,
            hash: self.hash,
        }
    }

    /// The bytes the signature covers.
    pub fn message(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(MESSAGE_DOMAIN.len() + 8 + 32 + 8 + 16);
        m.extend_from_slice(MESSAGE_DOMAIN);
        m.extend_from_slice(&self.position.to_be_bytes());
        m.extend_from_slice(&self.hash.0);
        m.extend_from_slice(&self.at.timestamp_millis().to_be_bytes());
        m.extend_from_slice(self.key_id.as_bytes());
        m
    }

    /// Checks that the key id is the public key's, that the signature holds
    /// under that key, and, when `trusted` is not empty, that the key is
    /// one of them.
    ///
    /// # Errors
    /// The first [`CheckpointProblem`] found.
    pub fn check(&self, trusted: &[PublicKey]) -> Result<(), CheckpointProblem> {
        if self.public_key.key_id() != self.key_id {
            return Err(CheckpointProblem::KeyIdMismatch {
                public_key: self.public_key,
            });
        }
        let key = VerifyingKey::from_bytes(&self.public_key.0)
            .map_err(|_| CheckpointProblem::BadSignature)?;
        key.verify_strict(&self.message(), &Signature::from_bytes(&self.signature.0))
            .map_err(|_| CheckpointProblem::BadSignature)?;
        if !trusted.is_empty() && !trusted.contains(&self.public_key) {
            return Err(CheckpointProblem::UnknownKey {
                key_id: self.key_id.clone(),
                public_key: self.public_key,
            });
        }
        Ok(())
    }

    /// Checks the checkpoint against the hash `found` at its position in a
    /// chain whose head is at `head` (`found` is `None` when the chain does
    /// not reach it).
    ///
    /// # Errors
    /// [`CheckpointProblem::HashMismatch`] or
    /// [`CheckpointProblem::BeyondHead`].
    pub fn matches(&self, found: Option<ChainHash>, head: u64) -> Result<(), CheckpointProblem> {
        match found {
            Some(h) if h == self.hash => Ok(()),
            Some(found) => Err(CheckpointProblem::HashMismatch {
                signed: self.hash,
                found,
            }),
            None if self.position == 0 && self.hash == ChainHash::GENESIS => Ok(()),
            None => Err(CheckpointProblem::BeyondHead { head }),
        }
    }

    /// The JSON of an exported checkpoint file.
    pub fn to_json(&self) -> String {
        // Plain fields and strings always serialise.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses the JSON written by [`Checkpoint::to_json`].
    ///
    /// # Errors
    /// The JSON error.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn signed() -> (CheckpointSigner, Checkpoint) {
        let signer = CheckpointSigner::from_seed([3; 32]);
        let head = ChainHead {
            position: 5,
            hash: ChainHash([9; 32]),
        };
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let cp = signer.sign(head, at);
        (signer, cp)
    }

    #[test]
    fn every_signed_field_is_covered() {
        let (signer, cp) = signed();
        let trusted = [signer.public_key()];
        cp.check(&trusted).unwrap();
        let mut edits: Vec<Checkpoint> = Vec::new();
        let mut c = cp.clone();
        c.position += 1;
        edits.push(c);
        let mut c = cp.clone();
        c.hash.0[0] ^= 1;
        edits.push(c);
        let mut c = cp.clone();
        c.at += chrono::Duration::milliseconds(1);
        edits.push(c);
        let mut c = cp.clone();
        c.signature.0[10] ^= 1;
        edits.push(c);
        for e in edits {
            assert_eq!(e.check(&trusted), Err(CheckpointProblem::BadSignature));
        }
    }

    #[test]
    fn another_key_is_unknown_and_a_foreign_id_does_not_pass() {
        let (_, cp) = signed();
        let other = CheckpointSigner::from_seed([4; 32]);
        assert!(matches!(
            cp.check(&[other.public_key()]),
            Err(CheckpointProblem::UnknownKey { .. })
        ));
        // Re-signed by an attacker's key but claiming the trusted key's id.
        let mut forged = other.sign(cp.head(), cp.at);
        forged.key_id = cp.key_id.clone();
        assert!(matches!(
            forged.check(&[]),
            Err(CheckpointProblem::KeyIdMismatch { .. })
        ));
    }

    #[test]
    fn the_key_file_and_the_json_round_trip() {
        let (signer, cp) = signed();
        let again = CheckpointSigner::from_key_file(&signer.to_key_file()).unwrap();
        assert_eq!(again.public_key(), signer.public_key());
        assert_eq!(Checkpoint::from_json(&cp.to_json()).unwrap(), cp);
        assert_eq!(
            CheckpointSigner::from_key_file("hello").unwrap_err(),
            KeyError::BadKeyFile
        );
    }

    /// The message is a compatibility promise (exported files are checked
    /// years later): pinned to its documented layout.
    #[test]
    fn the_message_layout_is_pinned() {
        let (_, cp) = signed();
        let m = cp.message();
        assert_eq!(&m[..18], b"isms-checkpoint/v1");
        assert_eq!(&m[18..26], &5u64.to_be_bytes());
        assert_eq!(&m[26..58], &[9u8; 32]);
        assert_eq!(&m[58..66], &1_772_366_400_000i64.to_be_bytes());
        assert_eq!(&m[66..], cp.key_id.as_bytes());
        assert_eq!(cp.key_id.len(), 16);
    }
}
