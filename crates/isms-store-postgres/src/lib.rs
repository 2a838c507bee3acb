//! # isms-store-postgres
//!
//! The event store of isms on a PostgreSQL server, for products where many
//! people and processes write at once and one database holds the registers
//! of many organisations. It implements [`isms_store::EventStore`] with the
//! same guarantees as the embedded SQLite store and passes the same
//! conformance suite:
//!
//! - atomic batches, optimistic concurrency per item (stream), gapless
//!   positions and sequences, unique references per register, idempotent
//!   request ids, all checked once by [`isms_store::append::plan_append`];
//! - a SHA-256 hash chain **per register**, [`EventStore::verify`] naming
//!   the first broken position, an exportable head;
//! - the projections (`items`, `kpi_facts`) written in the append's
//!   transaction, with the rows of [`isms_store::projection::ItemRow`];
//! - many registers in one database ([`RegisterId`]), kept apart by
//!   row-level security ([`Admin::grant`]);
//! - signed checkpoints per register: with a key
//!   ([`PgStore::with_signer`]) every append records a checkpoint of its
//!   new head in its own transaction; reads check from the latest
//!   checkpoint to the head ([`PgStore::verify_tail`]), `isms verify`
//!   everything ([`PgStore::verify_full`]), with SQLite's code
//!   (`isms_store::audit`);
//! - `LISTEN/NOTIFY` on every append ([`Listener`]);
//! - migrations recorded in `isms.schema_version` ([`Admin::migrate`]);
//! - TLS as libpq reads it from the connection string: `sslmode`
//!   (`disable`, `prefer` by default, `require`, `verify-ca`,
//!   `verify-full`, [`SslMode`]) and `sslrootcert=FILE`, with rustls (pure
//!   Rust, no OpenSSL); a refused certificate is a [`TlsError`].
//!
//! ```no_run
//! use isms_store::workload::Workload;
//! use isms_store::{EventStore, ExpectedVersion};
//! use isms_store_postgres::{Admin, PgStore, RegisterId};
//!
//! // Once, as the role that owns the schema:
//! let mut admin = Admin::connect("postgres://isms_owner@localhost/isms")?;
//! admin.migrate()?;
//! let acme = RegisterId::new("acme")?;
//! admin.create_register(&acme)?;
//! admin.grant(&acme, "acme_app")?;
//!
//! // In the application, as a role that may work in that register only:
//! let mut store = PgStore::connect("postgres://acme_app@localhost/isms", &acme)?;
//! let events = Workload::new().lifecycle(Default::default())?;
//! let stream = events[0].stream;
//! store.append_to_stream(stream, ExpectedVersion::NoStream, events)?;
//! store.verify()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Design decisions
//!
//! - **One lock per register, none across registers.** Positions and the
//!   chain are one gapless sequence per register, so an append locks its
//!   register's head row (`SELECT … FOR UPDATE`) and appends to the same
//!   register commit one after the other. That row is the only lock the
//!   store takes; versions (optimistic concurrency per item) and claims are
//!   read after it, so they are what the previous append committed, and
//!   registers never wait for each other.
//! - **The register is part of every key.** Every table's primary key
//!   starts with the register id; every statement names it; row-level
//!   security admits only the rows of the register the session chose
//!   (`isms.register`) and that its role was granted, so a hand-written
//!   `SET isms.register = 'other'` selects nothing. The owner of the schema
//!   is not bound: applications connect as other roles, never superusers.
//! - **The stored JSON is the hashed JSON**, in a `text` column (`jsonb`
//!   would reorder keys), so verification hashes what is stored and the
//!   chain of a register equals what SQLite and the in-memory store compute
//!   for the same events.
//! - **New items are numbered inside the append.** The command handler
//!   appends with `Numbering::Assign`, so a new nonconformity takes the
//!   register's next `NC-nnnn` under the head-row lock: writers creating
//!   items on one register at once never refuse each other, and no lock is
//!   held while they decide.
//! - **Synchronous client.** The contract is synchronous; the `postgres`
//!   crate is `tokio-postgres` driven by a private runtime, usable from the
//!   CLI and, through `spawn_blocking`, from async servers (see
//!   `docs/ARCHITECTURE.md`).

mod admin;
mod checkpoints;
mod listen;
mod register;
mod schema;
mod store;
mod tls;

pub use admin::Admin;
pub use isms_store::EventStore;
pub use listen::Listener;
pub use register::{InvalidRegisterId, RegisterId};
pub use schema::SCHEMA_VERSION;
pub use store::{PgStore, ServerError};
pub use tls::{SslMode, TlsError};
