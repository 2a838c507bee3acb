//! # isms-store-sqlite
//!
//! The embedded event store of isms: an append-only, hash-chained log of
//! `isms_core` events in one SQLite file, with no server to run. It
//! implements [`isms_store::EventStore`]:
//!
//! - atomic batches across streams, optimistic concurrency per stream
//!   ([`isms_store::ExpectedVersion`]), gapless positions and sequences;
//! - a SHA-256 hash chain over the global log, [`EventStore::verify`]
//!   naming the first broken position and its stream, and an exportable
//!   head for a third party to anchor;
//! - signed checkpoints and the full and incremental checks built on them;
//! - reading everything, one stream, or everything as of an instant;
//! - online backup that verifies the copy before reporting it good and
//!   never replaces a file, and a restore that refuses a backup that does
//!   not verify or does not extend the register's chain, keeping a copy of
//!   the store it replaces;
//! - idempotent commands through [`isms_store::CommandHandler`];
//! - a bulk load for a new file ([`SqliteStore::bulk_load`]): the same
//!   rules in one pass, the file in place only when complete.
//!
//! ```
//! use isms_store::workload::Workload;
//! use isms_store::{EventStore, ExpectedVersion};
//! use isms_store_sqlite::SqliteStore;
//!
//! let dir = std::env::temp_dir().join(format!("isms-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let path = dir.join("register.isms");
//! # let _ = std::fs::remove_file(&path);
//! let mut store = SqliteStore::create(&path)?;
//!
//! // Ten events of one nonconformity's life, made by the real core.
//! let events = Workload::new().lifecycle(Default::default())?;
//! let stream = events[0].stream;
//! let appended = store.append_to_stream(stream, ExpectedVersion::NoStream, events)?;
//! assert_eq!(appended.positions(), 1..=10);
//!
//! // A second writer that read the stream earlier loses the race cleanly.
//! let late = Workload::new().lifecycle(Default::default())?;
//! let err = store.append_to_stream(stream, ExpectedVersion::NoStream, late).unwrap_err();
//! assert!(err.to_string().starts_with("version conflict"));
//!
//! let verified = store.verify()?;
//! assert_eq!(verified.head, store.head()?);
//! let register = store.fold(isms_store::Selection::All)?;
//! assert_eq!(register.nonconformities().len(), 1);
//! # store.close()?;
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **WAL, `BEGIN IMMEDIATE`, `synchronous = NORMAL` by default.** A
//!   batch is one transaction: after a process is killed it is wholly there
//!   or wholly absent. Writers take the lock before reading stream versions,
//!   so version checks and inserts cannot interleave across processes.
//!   `NORMAL` keeps committed batches across a process kill; choose
//!   [`Durability::PowerLoss`] (`FULL`) to keep them across a power cut.
//! - **The file says it is ours.** `PRAGMA application_id` is
//!   [`APPLICATION_ID`] and `PRAGMA user_version` the schema version; a
//!   foreign, empty, damaged or newer file is a typed error naming it, and
//!   is never initialised or downgraded.
//! - **One item without the log.** Every claim an event takes (a new
//!   item's reference `NC-0007`, a new action's id) is indexed by the
//!   append itself (schema version 3), so uniqueness, "find by reference"
//!   and the next number are index look-ups; `Selection::Stream` reads one
//!   item. The command handler decides each command from that alone.
//! - **Projections in the append's transaction.** Schema version 4 keeps
//!   every item's state (what lists print, with the columns they filter
//!   on) and its compact KPI facts, written in the same transaction as the
//!   events, so no crash leaves them behind the log. They are derived, not
//!   evidence: migrations and [`SqliteStore::rebuild_projections`] build
//!   them from the log, [`SqliteStore::check_projections`] compares them
//!   with a fresh fold, and decisions never read them (they fold the
//!   item's own events).
//! - **Signed checkpoints, and checks sized to what is read.** Schema
//!   version 5 keeps checkpoints (chain heads signed with a key that never
//!   enters the file) and the last head found intact.
//!   [`SqliteStore::verify_full`] checks everything the file can be asked
//!   (SQLite's `quick_check`, the chain, every body, the claims index, every
//!   checkpoint); [`SqliteStore::verify_tail`] checks only the events after
//!   the latest checkpoint, for every read.
//! - **The stored JSON is the hashed JSON.** Verification hashes the bytes
//!   in the row, so it never depends on serialising an event the same way
//!   twice. Triggers refuse `UPDATE` and `DELETE` on events; the chain is
//!   what makes it evident when someone drops them.

mod bulk;
mod checkpoints;
mod decode;
mod lookup;
mod migrate;
mod projection;
mod reads;
mod schema;
mod store;
mod wal;

pub use bulk::BulkLoad;
pub use checkpoints::{FullCheck, TailCheck};
pub use isms_store::EventStore;
pub use reads::EncodedFactsVisitor;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use store::{
    BackupReport, Durability, MigrationProgress, Options, RestoreOptions, RestoreReport,
    SqliteStore,
};
