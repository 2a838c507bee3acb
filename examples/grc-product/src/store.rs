//! The product's own event store: rows in a `Vec`, indexes in maps. A real
//! product writes the same rows in its database's transaction; what it
//! must guarantee is exactly what `isms_store::conformance::run` checks.

use std::collections::HashMap;

use isms_core::{Claim, Event, RefKind, StreamId};
use isms_store::append::{AppendState, plan_append};
use isms_store::{
    AppendBatch, AppendError, Appended, ChainHash, ChainHead, ChainWalk, EventStore, ReadError,
    RecordedRequest, RequestId, Selection, StoredEvent, Verified, VerifyError,
};

/// One stored event: the JSON body exactly as hashed, its chain hash, and
/// the event decoded.
#[derive(Clone, Debug)]
struct Row {
    body: String,
    hash: ChainHash,
    event: Event,
}

/// An in-memory store with the indexes a database would keep.
#[derive(Clone, Debug, Default)]
pub struct VecStore {
    rows: Vec<Row>,
    versions: HashMap<StreamId, u64>,
    claims: HashMap<Claim, StreamId>,
    requests: HashMap<RequestId, RecordedRequest>,
}

impl VecStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

/// What the shared append checks ask of the store.
struct Indexes<'a>(&'a VecStore);

impl AppendState for Indexes<'_> {
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

impl EventStore for VecStore {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        if let Some(r) = &batch.request
            && self.requests.contains_key(&r.id)
        {
            return Err(AppendError::DuplicateRequest {
                request: r.id.clone(),
            });
        }
        // Every check (versions, sequences, claims, hashes) is shared; the
        // store collects the planned rows and writes them all or none.
        let mut rows = Vec::with_capacity(batch.len());
        let appended = plan_append(batch, self.head()?, &mut Indexes(self), &mut |p| {
            rows.push(Row {
                body: p.body.to_owned(),
                hash: p.hash,
                event: p.event.clone(),
            });
            Ok(())
        })?;
        for row in rows {
            self.versions.insert(row.event.stream, row.event.sequence);
            if let Some(claim) = row.event.claim() {
                self.claims.insert(claim, row.event.stream);
            }
            self.rows.push(row);
        }
        if let Some(r) = &batch.request {
            let recorded = RecordedRequest {
                record: r.clone(),
                first: appended.first,
                last: appended.last,
            };
            self.requests.insert(r.id.clone(), recorded);
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
            let stream = row.event.stream.to_string();
            walk.step(
                i as u64 + 1,
                &stream,
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
        Ok(self
            .claims
            .keys()
            .filter(|c| c.kind() == kind)
            .map(|c| c.number())
            .max()
            .unwrap_or(0))
    }
}
