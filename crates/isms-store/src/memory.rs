//! An in-memory [`EventStore`]: the reference implementation of the
//! contract, for examples and for embedding products' tests. Not durable.

use std::collections::HashMap;

use isms_core::{Claim, Event, RefKind, StreamId};

use crate::append::{AppendState, plan_append};
use crate::chain::ChainWalk;
use crate::error::{AppendError, ReadError, VerifyError};
use crate::store::EventStore;
use crate::types::{
    AppendBatch, Appended, ChainHash, ChainHead, RecordedRequest, RequestId, Selection,
    StoredEvent, Verified,
};

#[derive(Clone, Debug)]
struct Row {
    body: String,
    hash: ChainHash,
    event: Event,
}

/// A store that keeps everything in memory.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    rows: Vec<Row>,
    versions: HashMap<StreamId, u64>,
    requests: HashMap<RequestId, RecordedRequest>,
    claims: HashMap<Claim, StreamId>,
    last_numbers: [u32; 2],
}

/// The memory store's state as [`plan_append`] sees it.
struct MemoryState<'a>(&'a MemoryStore);

impl AppendState for MemoryState<'_> {
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError> {
        Ok(self.0.versions.get(&stream).copied().unwrap_or(0))
    }

    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        Ok(self.0.claims.get(&claim).copied())
    }

    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError> {
        EventStore::last_number(self.0, kind)
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl EventStore for MemoryStore {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        if let Some(r) = &batch.request
            && self.requests.contains_key(&r.id)
        {
            return Err(AppendError::DuplicateRequest {
                request: r.id.clone(),
            });
        }
        // Plan everything first, so that a refused batch writes nothing.
        let mut rows = Vec::with_capacity(batch.len());
        let mut claims = Vec::new();
        let appended = plan_append(batch, self.head()?, &mut MemoryState(self), &mut |p| {
            rows.push(Row {
                body: p.body.to_owned(),
                hash: p.hash,
                event: p.event.clone(),
            });
            claims.extend(p.claim.map(|c| (c, p.event.stream)));
            Ok(())
        })?;
        for row in rows {
            *self.versions.entry(row.event.stream).or_insert(0) = row.event.sequence;
            self.rows.push(row);
        }
        for (claim, stream) in claims {
            match claim {
                Claim::Nonconformity(r) => {
                    self.last_numbers[0] = self.last_numbers[0].max(r.number())
                }
                Claim::Improvement(r) => {
                    self.last_numbers[1] = self.last_numbers[1].max(r.number())
                }
                Claim::Action(_) => {}
            }
            self.claims.insert(claim, stream);
        }
        if let Some(r) = &batch.request {
            self.requests.insert(
                r.id.clone(),
                RecordedRequest {
                    record: r.clone(),
                    first: appended.first,
                    last: appended.last,
                },
            );
        }
        Ok(appended)
    }

    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), ReadError> {
        for (i, row) in self.rows.iter().enumerate() {
            let position = i as u64 + 1;
            if selection.selects(position, &row.event) {
                visit(StoredEvent {
                    position,
                    hash: row.hash,
                    event: row.event.clone(),
                });
            }
        }
        Ok(())
    }

    fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        Ok(self.versions.get(&stream).copied().unwrap_or(0))
    }

    fn head(&self) -> Result<ChainHead, ReadError> {
        Ok(self.rows.last().map_or(ChainHead::EMPTY, |r| ChainHead {
            position: self.rows.len() as u64,
            hash: r.hash,
        }))
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        let mut walk = ChainWalk::new();
        for (i, row) in self.rows.iter().enumerate() {
            walk.step(
                i as u64 + 1,
                &row.event.stream.to_string(),
                row.event.sequence,
                row.body.as_bytes(),
                row.hash,
            )?;
        }
        Ok(Verified {
            events: self.rows.len() as u64,
            head: walk.head(),
        })
    }

    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
        Ok(self.requests.get(id).cloned())
    }

    fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        Ok(self.claims.get(&claim).copied())
    }

    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
        Ok(match kind {
            RefKind::Nonconformity => self.last_numbers[0],
            RefKind::Improvement => self.last_numbers[1],
            RefKind::Action => 0,
        })
    }
}
