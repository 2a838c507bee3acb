//! Append validation, written once for every backend: expected versions,
//! the stream and sequence of every event, the uniqueness of every
//! [`Claim`], the numbers of new items when the store gives them out
//! ([`Numbering::Assign`]), and the chain hashes of the new rows.
//!
//! A backend opens its write transaction, then calls [`plan_append`] with
//! its current head, a way to look up stream versions and claims
//! ([`AppendState`]) and a writer for the rows; on any error it rolls the
//! transaction back, so a refused batch writes nothing.

use std::collections::{HashMap, HashSet};

use std::borrow::Cow;

use isms_core::{Claim, Event, RefKind, StreamId};

use crate::chain::{chain_hash, write_event_body};
use crate::error::{AppendError, ReadError};
use crate::types::{AppendBatch, Appended, ChainHash, ChainHead, Numbering};

/// What [`plan_append`] asks a backend, inside its write transaction.
pub trait AppendState {
    /// The number of events the stream holds now (0 if none).
    ///
    /// # Errors
    /// The backend's failure.
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError>;

    /// The stream that holds `claim`, if any.
    ///
    /// # Errors
    /// The backend's failure.
    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError>;

    /// The highest reference number the store holds for items of `kind`
    /// (0 when none); asked only for [`Numbering::Assign`] batches, and only
    /// for [`RefKind::Nonconformity`] and [`RefKind::Improvement`].
    ///
    /// # Errors
    /// The backend's failure.
    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError>;
}

/// One checked event, placed in the log: what a backend writes (the row),
/// indexes (the claim) and projects (the event).
#[derive(Debug)]
pub struct PlannedEvent<'a> {
    /// The event as written: the batch's, or under [`Numbering::Assign`] a
    /// new item's creation with the number the store gave it. A backend
    /// projects this one, never the batch's copy.
    pub event: &'a Event,
    /// Its stream as text (`nonconformity/<uuid>`), as hashed.
    pub stream: &'a str,
    /// Its position in the log.
    pub position: u64,
    /// Its stored body: the JSON that was hashed (UTF-8).
    pub body: &'a str,
    /// Its chain hash.
    pub hash: ChainHash,
    /// The register-wide key it takes, to be indexed with it.
    pub claim: Option<Claim>,
}

/// Checks `batch` against the store's state and hands each event, placed
/// and hashed, to `write`, in log order; returns where the batch went.
/// Nothing is written by this function itself: a backend that gets an
/// error (from here or from its own `write`) discards the transaction.
///
/// # Errors
/// [`AppendError::EmptyAppend`], [`AppendError::Conflict`],
/// [`AppendError::StreamMismatch`], [`AppendError::SequenceMismatch`],
/// [`AppendError::ReferenceTaken`], [`AppendError::ReferencesExhausted`],
/// or what `state` and `write` return.
pub fn plan_append(
    batch: &AppendBatch,
    head: ChainHead,
    state: &mut dyn AppendState,
    write: &mut dyn FnMut(&PlannedEvent<'_>) -> Result<(), AppendError>,
) -> Result<Appended, AppendError> {
    if batch.is_empty() {
        return Err(AppendError::EmptyAppend);
    }
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    let mut claimed: HashSet<Claim> = HashSet::new();
    let mut position = head.position;
    let mut prev = head.hash;
    let mut body = Vec::with_capacity(1024);
    // Under `Assign`: the number the next new item of each kind gets, read
    // from the store (inside its write lock) the first time it is needed.
    let mut next_numbers: [Option<u32>; 2] = [None, None];
    for a in &batch.appends {
        let current = match versions.get(&a.stream) {
            Some(&v) => v,
            None => state.stream_version(a.stream)?,
        };
        if !a.expected.admits(current) {
            return Err(AppendError::Conflict {
                stream: a.stream,
                expected: a.expected,
                actual: current,
            });
        }
        let stream_text = a.stream.to_string();
        for (i, e) in a.events.iter().enumerate() {
            if e.stream != a.stream {
                return Err(AppendError::StreamMismatch {
                    declared: a.stream,
                    found: e.stream,
                });
            }
            let next = current + 1 + i as u64;
            if e.sequence != next {
                return Err(AppendError::SequenceMismatch {
                    stream: a.stream,
                    expected_next: next,
                    found: e.sequence,
                });
            }
            let e = match batch.numbering {
                Numbering::AsDecided => Cow::Borrowed(e),
                Numbering::Assign => assign_number(e, state, &mut next_numbers)?,
            };
            let e = e.as_ref();
            let claim = e.claim();
            if let Some(c) = claim
                && (!claimed.insert(c) || state.claim_holder(c)?.is_some())
            {
                return Err(AppendError::ReferenceTaken {
                    reference: c.to_string(),
                    stream: a.stream,
                });
            }
            write_event_body(e, &mut body)?;
            // serde_json writes UTF-8; a failure here would be a serde bug.
            let text = std::str::from_utf8(&body).map_err(|e| ReadError::Backend {
                path: Default::default(),
                operation: "encode event",
                source: Box::new(e),
            })?;
            position += 1;
            let hash = chain_hash(&prev, position, &stream_text, e.sequence, &body);
            write(&PlannedEvent {
                event: e,
                stream: &stream_text,
                position,
                body: text,
                hash,
                claim,
            })?;
            prev = hash;
        }
        versions.insert(a.stream, current + a.events.len() as u64);
    }
    Ok(Appended {
        first: head.position + 1,
        last: position,
        head: ChainHead {
            position,
            hash: prev,
        },
    })
}

/// `e` with the next number of its kind, if it creates a nonconformity or
/// an improvement; `e` itself otherwise (or when it already has that
/// number).
fn assign_number<'e>(
    e: &'e Event,
    state: &mut dyn AppendState,
    next_numbers: &mut [Option<u32>; 2],
) -> Result<Cow<'e, Event>, AppendError> {
    let (kind, slot) = match e.claim() {
        Some(Claim::Nonconformity(_)) => (RefKind::Nonconformity, 0),
        Some(Claim::Improvement(_)) => (RefKind::Improvement, 1),
        Some(Claim::Action(_)) | None => return Ok(Cow::Borrowed(e)),
    };
    let number = match next_numbers[slot] {
        Some(n) => n,
        None => state.last_number(kind)?.saturating_add(1),
    };
    next_numbers[slot] = Some(number.saturating_add(1));
    if e.claim().map(Claim::number) == Some(number) {
        return Ok(Cow::Borrowed(e));
    }
    let mut renumbered = e.clone();
    renumbered
        .renumber(number)
        .map_err(|_| AppendError::ReferencesExhausted {
            kind,
            max: isms_core::MAX_ITEMS,
        })?;
    Ok(Cow::Owned(renumbered))
}
