//! An in-memory [`EventStore`]: the reference implementation of the
//! contract, for examples and for embedding products' tests. Not durable.

use std::collections::HashMap;

use isms_core::{Event, StreamId};

use crate::chain::{chain_hash, event_body};
use crate::error::{BreakKind, StoreError};
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
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl EventStore for MemoryStore {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, StoreError> {
        if batch.is_empty() {
            return Err(StoreError::EmptyAppend);
        }
        if let Some(r) = &batch.request
            && self.requests.contains_key(&r.id)
        {
            return Err(StoreError::DuplicateRequest {
                request: r.id.clone(),
            });
        }
        // Check everything first, so that a refused batch writes nothing.
        let mut versions: HashMap<StreamId, u64> = HashMap::new();
        let mut rows = Vec::with_capacity(batch.len());
        let mut prev = self.rows.last().map_or(ChainHash::GENESIS, |r| r.hash);
        let mut position = self.rows.len() as u64;
        for a in &batch.appends {
            let current = *versions
                .entry(a.stream)
                .or_insert_with(|| self.versions.get(&a.stream).copied().unwrap_or(0));
            if !a.expected.admits(current) {
                return Err(StoreError::Conflict {
                    stream: a.stream,
                    expected: a.expected,
                    actual: current,
                });
            }
            let stream_text = a.stream.to_string();
            for (i, e) in a.events.iter().enumerate() {
                if e.stream != a.stream {
                    return Err(StoreError::StreamMismatch {
                        declared: a.stream,
                        found: e.stream,
                    });
                }
                let next = current + 1 + i as u64;
                if e.sequence != next {
                    return Err(StoreError::SequenceMismatch {
                        stream: a.stream,
                        expected_next: next,
                        found: e.sequence,
                    });
                }
                position += 1;
                let body = event_body(e)?;
                let hash = chain_hash(&prev, position, &stream_text, e.sequence, body.as_bytes());
                prev = hash;
                rows.push(Row {
                    body,
                    hash,
                    event: e.clone(),
                });
            }
            versions.insert(a.stream, current + a.events.len() as u64);
        }
        let first = self.rows.len() as u64 + 1;
        self.rows.extend(rows);
        self.versions.extend(versions);
        let last = self.rows.len() as u64;
        if let Some(r) = &batch.request {
            self.requests.insert(
                r.id.clone(),
                RecordedRequest {
                    record: r.clone(),
                    first,
                    last,
                },
            );
        }
        Ok(Appended {
            first,
            last,
            head: ChainHead {
                position: last,
                hash: prev,
            },
        })
    }

    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), StoreError> {
        for (i, row) in self.rows.iter().enumerate() {
            let position = i as u64 + 1;
            let selected = match selection {
                Selection::All => true,
                Selection::Stream(s) => row.event.stream == s,
                Selection::AsOf(t) => row.event.at <= t,
                Selection::Positions { from, to } => (from..=to).contains(&position),
                Selection::After(p) => position > p,
            };
            if selected {
                visit(StoredEvent {
                    position,
                    hash: row.hash,
                    event: row.event.clone(),
                });
            }
        }
        Ok(())
    }

    fn stream_version(&self, stream: StreamId) -> Result<u64, StoreError> {
        Ok(self.versions.get(&stream).copied().unwrap_or(0))
    }

    fn head(&self) -> Result<ChainHead, StoreError> {
        Ok(self.rows.last().map_or(ChainHead::EMPTY, |r| ChainHead {
            position: self.rows.len() as u64,
            hash: r.hash,
        }))
    }

    fn verify(&self) -> Result<Verified, StoreError> {
        let mut prev = ChainHash::GENESIS;
        for (i, row) in self.rows.iter().enumerate() {
            let position = i as u64 + 1;
            let stream = row.event.stream.to_string();
            let computed = chain_hash(
                &prev,
                position,
                &stream,
                row.event.sequence,
                row.body.as_bytes(),
            );
            if computed != row.hash {
                return Err(StoreError::ChainBroken {
                    position,
                    stream: Some(stream),
                    kind: BreakKind::HashMismatch {
                        stored: row.hash.to_hex(),
                        computed: computed.to_hex(),
                    },
                });
            }
            prev = computed;
        }
        Ok(Verified {
            events: self.rows.len() as u64,
            head: self.head()?,
        })
    }

    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, StoreError> {
        Ok(self.requests.get(id).cloned())
    }
}
