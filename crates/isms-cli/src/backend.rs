//! The register's store, on either backend: a SQLite file or a register
//! in a PostgreSQL database. `--db` (or `$ISMS_DB`) says which: a URL
//! starting `postgres://` or `postgresql://` is a server, anything else a
//! file. Every command works on [`Store`] through the `EventStore`
//! contract; only what is a file's business (backup, restore, the lock
//! beside it) looks at the backend.

use std::path::{Path, PathBuf};

use isms_core::{Claim, ImprovementRef, Item, NcRef, RefKind, StreamId};
use isms_store::audit::{FullCheck, TailCheck};
use isms_store::{
    AppendBatch, AppendError, Appended, ChainHead, Checkpoint, EventStore, Facts, ItemFilter,
    PublicKey, ReadError, RecordedRequest, RequestId, Selection, StoredEvent, Verified,
    VerifyError,
};
use isms_store_postgres::{Admin, PgStore, RegisterId};
use isms_store_sqlite::SqliteStore;

use crate::error::CliError;

/// Where the register is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file.
    File(PathBuf),
    /// A register in a PostgreSQL database.
    Postgres {
        /// The connection URL without the `register` parameter.
        url: String,
        /// The register the session works in.
        register: RegisterId,
    },
}

impl Target {
    /// Reads `--db`: `postgres://USER@HOST[:PORT]/DATABASE?register=NAME`
    /// is a server, anything else a file.
    pub fn of(db: &Path) -> Result<Self, CliError> {
        let Some(text) = db
            .to_str()
            .filter(|t| t.starts_with("postgres://") || t.starts_with("postgresql://"))
        else {
            return Ok(Target::File(db.to_owned()));
        };
        let (base, query) = text.split_once('?').unwrap_or((text, ""));
        let mut register = None;
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.strip_prefix("register=") {
                Some(name) => {
                    register = Some(
                        RegisterId::new(name).map_err(|e| CliError::Usage(format!("--db: {e}")))?,
                    );
                }
                None => rest.push(pair),
            }
        }
        let register = register.ok_or_else(|| {
            CliError::Usage(format!(
                "--db {}: name the register the session works in, e.g. {}?register=acme",
                redact(text),
                redact(base)
            ))
        })?;
        let url = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        Ok(Target::Postgres { url, register })
    }
}

/// A URL with its password, if any, replaced by `***`: the one in
/// `user:password@` (up to the last `@` before the query, so that a
/// password with an unescaped `@` is hidden whole) and a `password=`
/// parameter of the query.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (base, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let base = match base.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{name}:***@{host}"),
            None => base.to_owned(),
        },
        None => base.to_owned(),
    };
    let query = query.map(|q| {
        q.split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                _ => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    });
    match query {
        Some(q) => format!("{scheme}://{base}?{q}"),
        None => format!("{scheme}://{base}"),
    }
}

/// An open store of either backend.
pub enum Store {
    /// A SQLite file.
    Sqlite(SqliteStore),
    /// A register on a PostgreSQL server.
    Postgres(Box<PgStore>),
}

/// Calls the same method on whichever backend is open.
macro_rules! both {
    ($self:expr, $s:ident => $call:expr) => {
        match $self {
            Store::Sqlite($s) => $call,
            Store::Postgres($s) => $call,
        }
    };
}

impl Store {
    /// Opens the register at `target` (a file must exist; a PostgreSQL
    /// register must have been created by `isms init`).
    pub fn open(
        target: &Target,
        sqlite: impl FnOnce(&Path) -> Result<SqliteStore, CliError>,
    ) -> Result<Self, CliError> {
        Ok(match target {
            Target::File(path) => Store::Sqlite(sqlite(path)?),
            Target::Postgres { url, register } => {
                Store::Postgres(Box::new(PgStore::connect(url, register)?))
            }
        })
    }

    /// Where the store is, for messages (the file, or
    /// `postgres://user@host:port/db?register=NAME`).
    pub fn path(&self) -> &Path {
        match self {
            Store::Sqlite(s) => s.path(),
            Store::Postgres(s) => s.label(),
        }
    }

    /// The stream of the item with this human reference, exactly as
    /// recorded (`NC-0007`), if any.
    pub fn find_stream_by_reference(&self, reference: &str) -> Result<Option<StreamId>, ReadError> {
        match self {
            Store::Sqlite(s) => s.find_stream_by_reference(reference),
            Store::Postgres(s) => {
                let claim = if let Ok(r) = reference.parse::<NcRef>() {
                    Claim::Nonconformity(r)
                } else if let Ok(r) = reference.parse::<ImprovementRef>() {
                    Claim::Improvement(r)
                } else {
                    return Ok(None);
                };
                if claim.to_string() != reference {
                    return Ok(None);
                }
                s.find_claim(claim)
            }
        }
    }

    /// Builds the projections again from the log; returns the number of items.
    pub fn rebuild_projections(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, ReadError> {
        match self {
            Store::Sqlite(s) => s.rebuild_projections(progress),
            Store::Postgres(s) => s.rebuild_projections(),
        }
    }

    /// The latest signed checkpoint.
    pub fn latest_checkpoint(&self) -> Result<Option<Checkpoint>, ReadError> {
        both!(self, s => s.latest_checkpoint())
    }

    /// The incremental check of a read: from the latest checkpoint (or the
    /// head recorded as verified) to the head.
    pub fn verify_tail(&self, trusted: &[PublicKey]) -> Result<TailCheck, VerifyError> {
        both!(self, s => s.verify_tail(trusted))
    }

    /// The full check of `isms verify` (on SQLite, with its own
    /// `quick_check` first).
    pub fn verify_full(
        &self,
        trusted: &[PublicKey],
        against: Option<&Checkpoint>,
    ) -> Result<FullCheck, VerifyError> {
        both!(self, s => s.verify_full(trusted, against))
    }

    /// Records a checkpoint signed by this process.
    pub fn record_checkpoint(&mut self, checkpoint: &Checkpoint) -> Result<(), AppendError> {
        both!(self, s => s.record_checkpoint(checkpoint))
    }

    /// Records `head` as checked.
    pub fn record_verified(&mut self, head: ChainHead) -> Result<(), ReadError> {
        both!(self, s => s.record_verified(head))
    }

    /// Compares the projections with a fresh fold of the log; returns the
    /// number of items checked.
    pub fn check_projections(&self) -> Result<u64, VerifyError> {
        both!(self, s => s.check_projections())
    }

    /// On PostgreSQL, signs a checkpoint in the transaction of each append
    /// (SQLite's are recorded by [`crate::session::Session::seal`] after it).
    pub fn sign_appends(&mut self, signer: Option<isms_store::CheckpointSigner>) {
        if let Store::Postgres(s) = self {
            s.set_signer(signer);
        }
    }

    /// Every KPI facts row, still encoded (see the backends'
    /// `read_encoded_facts`).
    pub fn read_encoded_facts(
        &self,
        visit: &mut isms_store::projection::EncodedFactsVisitor<'_>,
    ) -> Result<(), ReadError> {
        both!(self, s => s.read_encoded_facts(visit))
    }

    /// The highest nonconformity and improvement numbers with KPI facts.
    pub fn facts_size_hint(&self) -> Result<(u64, u64), ReadError> {
        both!(self, s => s.facts_size_hint())
    }

    /// Rechecks the chain at these positions (what a read showed).
    pub fn verify_positions(&self, positions: &[u64]) -> Result<(), VerifyError> {
        both!(self, s => s.verify_positions(positions))
    }
}

impl EventStore for Store {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        both!(self, s => s.append(batch))
    }

    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), ReadError> {
        both!(self, s => s.read(selection, visit))
    }

    fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        both!(self, s => s.stream_version(stream))
    }

    fn head(&self) -> Result<ChainHead, ReadError> {
        both!(self, s => s.head())
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        both!(self, s => s.verify())
    }

    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
        both!(self, s => s.find_request(id))
    }

    fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        both!(self, s => s.find_claim(claim))
    }

    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
        both!(self, s => s.last_number(kind))
    }

    fn load_item(&self, stream: StreamId) -> Result<Option<Item>, ReadError> {
        both!(self, s => s.load_item(stream))
    }

    fn list_items(
        &self,
        filter: &ItemFilter,
        visit: &mut dyn FnMut(Item),
    ) -> Result<(), ReadError> {
        both!(self, s => s.list_items(filter, visit))
    }

    fn read_facts(&self, visit: &mut dyn FnMut(Facts)) -> Result<(), ReadError> {
        both!(self, s => s.read_facts(visit))
    }
}

/// `isms init` on PostgreSQL: migrates the schema (the role must own it,
/// or be allowed to create it), creates the register and lets the
/// connecting role work in it.
pub fn init_postgres(url: &str, register: &RegisterId) -> Result<PathBuf, CliError> {
    let mut admin = Admin::connect(url)?;
    admin.migrate()?;
    admin.create_register(register)?;
    let role: String = admin
        .client()
        .query_one("SELECT current_user::text", &[])
        .and_then(|r| r.try_get(0))
        .map_err(|e| {
            CliError::Other(format!(
                "{}: cannot tell the connecting role: {e}",
                redact(url)
            ))
        })?;
    admin.grant(register, &role)?;
    Ok(PgStore::connect(url, register)?.label().to_owned())
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_hidden_wherever_the_url_has_them() {
        for (url, shown) in [
            (
                "postgres://app:s3cret@db.example:5432/isms?register=acme",
                "postgres://app:***@db.example:5432/isms?register=acme",
            ),
            (
                "postgresql://app:p@ss/w@rd@db/isms",
                "postgresql://app:***@db/isms",
            ),
            (
                "postgres://app@db/isms?password=s3cret&register=acme",
                "postgres://app@db/isms?password=***&register=acme",
            ),
            ("postgres://app@db/isms", "postgres://app@db/isms"),
            ("register.db", "register.db"),
        ] {
            assert_eq!(redact(url), shown, "{url}");
        }
    }
}
