//! # isms-store
//!
//! The storage contract of the isms event log, with no database in it:
//!
//! - [`EventStore`]: append-only, hash-chained, with optimistic
//!   concurrency ([`ExpectedVersion`]), atomic multi-stream batches,
//!   reading everything, one stream or everything as of an instant,
//!   [`EventStore::verify`] and an exportable [`ChainHead`];
//! - [`StoredEvent`], [`ChainHash`], [`chain_hash`]: the chain every
//!   backend computes the same way;
//! - one error type per operation ([`OpenError`], [`ReadError`],
//!   [`AppendError`], [`VerifyError`], [`BackupError`]), each saying what,
//!   where and what to do, and [`StoreError`] gathering them;
//! - [`CommandHandler`]: load the target item and the facts the command
//!   needs, `isms_core::decide`, append with the item's version as the
//!   expected version, decide again after a conflict, and return the
//!   earlier outcome for a repeated [`RequestId`]; a new item's reference
//!   is given out by the store in the append ([`Numbering::Assign`]), so
//!   writers creating items at once never refuse each other;
//! - [`append::plan_append`]: every check of an append (versions,
//!   sequences, streams, unique claims, chain hashes) and the numbering of
//!   new items, written once for all backends;
//! - [`EventStore::list_items`] and [`EventStore::read_facts`]: what
//!   reading commands and KPIs need, answered from projections by backends
//!   that keep them;
//! - [`projection`]: the projected rows (`items`, `kpi_facts`) of an
//!   item, computed once for every database backend;
//! - `conformance` (feature `conformance`): the suite any backend, an
//!   embedder's own included, runs with one call;
//! - [`Checkpoint`], [`CheckpointSigner`]: chain heads signed with an
//!   Ed25519 key kept outside the store, which a rewrite of the chain
//!   cannot forge;
//! - [`audit`]: what the backends' checks of the chain against those
//!   checkpoints share (where a read's incremental check starts, every
//!   recorded checkpoint, the reference index against the events);
//! - [`MemoryStore`]: the in-memory reference implementation;
//! - [`json`]: the writer of stored bodies, byte for byte `serde_json`'s
//!   compact JSON, faster;
//! - [`workload`]: realistic event streams, made by the real core, for
//!   tests and benchmarks of any backend.
//!
//! The embedded backend is `isms-store-sqlite`; `examples/own_store.rs` in
//! the workspace shows an embedder's own store passing the conformance
//! suite.
//!
//! ## Features
//!
//! - `conformance`: the `conformance` module (test support for backends).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::{Actor, ActorId, Policy};
//! use isms_store::workload::Workload;
//! use isms_store::{CommandHandler, EventStore, Invocation, MemoryStore, RequestId};
//!
//! let mut handler = CommandHandler::new(MemoryStore::new(), Policy::default());
//! let report = Workload::new().report_command(Default::default());
//! let who = Invocation::new(
//!     Actor::new(ActorId::new("maria")?),
//!     Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
//! )
//! .with_request(RequestId::new("req-1")?);
//!
//! let first = handler.handle(&report, &who)?;
//! let again = handler.handle(&report, &who)?; // a client retry
//! assert!(again.replayed);
//! assert_eq!(first.events, again.events);
//! assert_eq!(handler.store().head()?.position, 1); // appended once
//! handler.store().verify()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **The store keeps no workflow rule.** It checks only what a log must
//!   guarantee (versions, gapless sequences, the chain); whether an event
//!   may happen is decided in `isms-core`, once.
//! - **The chain is defined here, not in a backend** ([`chain_hash`]), so
//!   that two backends, or a store and its backup, give the same hashes
//!   and a head anchored by a third party stays checkable after a move.
//! - **Idempotency is recorded with the events**: the request id, the
//!   command's fingerprint and the positions are written in the same
//!   transaction as the events, so a retry after a crash finds them.

pub mod append;
pub mod audit;
mod chain;
mod checkpoint;
#[cfg(feature = "conformance")]
pub mod conformance;
mod error;
mod handler;
pub mod json;
mod memory;
pub mod projection;
mod query;
mod store;
mod types;
pub mod workload;

pub use chain::{ChainWalk, chain_hash, event_body, fingerprint, write_event_body};
pub use checkpoint::{
    Checkpoint, CheckpointProblem, CheckpointSigner, KeyError, PublicKey, SignatureBytes,
};
pub use error::{
    AppendError, BackendError, BackupError, BreakKind, Divergence, HandleError, OpenError,
    ReadError, RequestIdError, StoreError, VerifyError,
};
pub use handler::{CommandHandler, Invocation, Outcome};
pub use memory::MemoryStore;
pub use query::{Facts, ItemFilter, ItemKind};
pub use store::{EventStore, StoreFacts};
pub use types::{
    AppendBatch, Appended, ChainHash, ChainHead, ExpectedVersion, Numbering, RecordedRequest,
    RequestId, RequestRecord, Selection, StoredEvent, StreamAppend, Verified,
};
