//! [`SqliteStore`]: the [`EventStore`] on one SQLite file.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use isms_core::{Claim, RefKind, StreamId};
use isms_store::append::{AppendState, PlannedEvent, plan_append};
use isms_store::projection::Touched;
use isms_store::{
    AppendBatch, AppendError, Appended, BackupError, BreakKind, ChainHash, ChainHead, Divergence,
    EventStore, OpenError, ReadError, RecordedRequest, RequestId, RequestRecord, Selection,
    StoreError, StoredEvent, Verified, VerifyError, chain_hash,
};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};

use crate::decode::{Row, read_rows};
use crate::projection;
use crate::schema::{APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, claim_kind};
use crate::wal::Checkpointer;

/// How hard SQLite works to make a commit survive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Durability {
    /// `synchronous = NORMAL` (the default). In WAL mode a committed batch
    /// survives the death of the process (the WAL is in the operating
    /// system's cache and reaches disk at the next checkpoint); a power
    /// loss or kernel crash may lose the last commits, never corrupt the
    /// file or split a batch.
    #[default]
    Process,
    /// `synchronous = FULL`: every commit is fsynced before it returns, so
    /// it also survives power loss. Costs an fsync per append.
    PowerLoss,
}

/// How a store is opened.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct Options {
    /// Commit durability. Default [`Durability::Process`].
    pub durability: Durability,
    /// How long to wait for another writer's lock before failing with
    /// [`ReadError::Busy`]. Default 10 s.
    pub busy_timeout: Duration,
    /// Open without write access (for checking a backup). Default `false`.
    pub read_only: bool,
    /// Told of a migration's progress: the schema version being built and
    /// how many events or items it has done. A migration that fills new
    /// tables from a large log takes a while; the library prints nothing,
    /// so a program that wants to say so passes a function here.
    pub progress: Option<fn(MigrationProgress)>,
}

/// How far a schema migration got (see [`Options::progress`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MigrationProgress {
    /// The schema version being built.
    pub version: u32,
    /// Events, items or claims done so far.
    pub done: u64,
    /// `true` once the version is complete.
    pub finished: bool,
}

impl MigrationProgress {
    /// What [`MigrationProgress::done`] counts for this version: `"items"`
    /// for the projections (version 4), `"claims"` for the claims copied to
    /// their new key (version 6), `"events"` for the rest, which read the
    /// log.
    pub fn counting(&self) -> &'static str {
        match self.version {
            4 => "items",
            6 => "claims",
            _ => "events",
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            durability: Durability::Process,
            busy_timeout: Duration::from_secs(10),
            read_only: false,
            progress: None,
        }
    }
}

impl Options {
    /// The same options with this durability.
    #[must_use]
    pub fn durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// The same options with this busy timeout.
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// The same options, read-only or not.
    #[must_use]
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// The same options, telling `progress` how a migration goes.
    #[must_use]
    pub fn progress(mut self, progress: fn(MigrationProgress)) -> Self {
        self.progress = Some(progress);
        self
    }
}

/// What a backup or restore produced, after verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    /// The file written.
    pub path: PathBuf,
    /// The verified chain head of that file.
    pub head: ChainHead,
    /// Events it holds.
    pub events: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// How [`SqliteStore::restore_with`] treats the store it replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct RestoreOptions {
    /// Restore even a backup whose chain does not extend the target's: an
    /// older backup (a rollback) or another register altogether. The
    /// target's events the backup lacks are then gone from it, and kept only
    /// in the copy of the replaced store. Default `false`:
    /// [`BackupError::Diverges`].
    pub allow_divergence: bool,
    /// Keep a copy of the replaced store beside it, as
    /// `<target>.replaced-<UTC time>` (`-2`, `-3`, ... added if that name is
    /// taken). Default `true`.
    pub keep_replaced: bool,
}

impl Default for RestoreOptions {
    fn default() -> Self {
        Self {
            allow_divergence: false,
            keep_replaced: true,
        }
    }
}

impl RestoreOptions {
    /// The same options, allowing a backup that does not extend the
    /// target's chain or not.
    #[must_use]
    pub fn allow_divergence(mut self, allow: bool) -> Self {
        self.allow_divergence = allow;
        self
    }

    /// The same options, keeping a copy of the replaced store or not.
    #[must_use]
    pub fn keep_replaced(mut self, keep: bool) -> Self {
        self.keep_replaced = keep;
        self
    }
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RestoreReport {
    /// The restored store, verified.
    pub restored: BackupReport,
    /// Where the store that was replaced is kept: a copy taken just before
    /// the restore, or a corrupt file moved aside (`<target>.corrupt-<pid>`).
    /// `None` when there was no store, or nothing was kept.
    pub replaced: Option<PathBuf>,
    /// The chain head the replaced store recorded, when it could be read.
    pub previous_head: Option<ChainHead>,
}

/// An append-only, hash-chained event store in one SQLite file.
///
/// Open one per thread or process; SQLite's locking serialises writers
/// (`BEGIN IMMEDIATE`) and lets readers go on during writes (WAL).
#[derive(Debug)]
pub struct SqliteStore {
    /// The background checkpointer of a writable file store (declared
    /// before `conn` so that it stops before the connection closes).
    checkpointer: Option<Checkpointer>,
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    /// Set when the file was opened without SQLite's locks (see
    /// [`SqliteStore::open_with`]): how it looked then.
    unlocked: Option<FileStamp>,
}

/// What a file looked like, to tell later whether anybody wrote to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<std::time::SystemTime>,
    /// Inode and change time where the platform has them.
    ino_ctime: (u64, i64, i64),
}

impl FileStamp {
    fn of(path: &Path) -> std::io::Result<Self> {
        let m = fs::metadata(path)?;
        #[cfg(unix)]
        let ino_ctime = {
            use std::os::unix::fs::MetadataExt as _;
            (m.ino(), m.ctime(), m.ctime_nsec())
        };
        #[cfg(not(unix))]
        let ino_ctime = (0, 0, 0);
        Ok(Self {
            len: m.len(),
            modified: m.modified().ok(),
            ino_ctime,
        })
    }
}

/// Whether a read-only connection failed its first read because SQLite
/// could not create the WAL files beside the database (a read-only folder)
/// while there is no `-wal` file: then the database file alone holds every
/// committed event.
fn wal_out_of_reach(conn: &Connection, path: &Path) -> bool {
    match conn.pragma_query_value(None, "application_id", |r| r.get::<_, i64>(0)) {
        Err(rusqlite::Error::SqliteFailure(f, _)) => {
            matches!(f.code, ErrorCode::ReadOnly | ErrorCode::CannotOpen)
                && !sibling(path, "-wal").exists()
        }
        _ => false,
    }
}

/// `file:PATH?immutable=1`, with every byte of the path that a URI could
/// misread percent-encoded.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/._-~".contains(&b) {
            uri.push(char::from(b));
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// Maps a rusqlite error to a store error naming the file.
pub(crate) fn db_err(path: &Path, operation: &'static str, e: rusqlite::Error) -> ReadError {
    // Every single-row query that may legitimately find nothing goes through
    // `.optional()`; the rest read rows the store always keeps (the chain
    // head, aggregates). Finding none means damage, not a backend fault.
    if matches!(e, rusqlite::Error::QueryReturnedNoRows) {
        return ReadError::Corrupt {
            path: path.to_owned(),
            detail: format!("{operation}: a row the store always keeps is missing"),
        };
    }
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let detail = msg.clone().unwrap_or_else(|| f.to_string());
        match f.code {
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return ReadError::Busy {
                    path: path.to_owned(),
                };
            }
            ErrorCode::NotADatabase => {
                return ReadError::Corrupt {
                    path: path.to_owned(),
                    detail: format!("{operation}: not an SQLite database: {detail}"),
                };
            }
            ErrorCode::DatabaseCorrupt => {
                return ReadError::Corrupt {
                    path: path.to_owned(),
                    detail: format!("{operation}: {detail}"),
                };
            }
            // The store never writes a value above SQLite's limits: reading
            // one means a damaged page gave a cell a length it never had.
            ErrorCode::TooBig => {
                return ReadError::Corrupt {
                    path: path.to_owned(),
                    detail: format!(
                        "{operation}: a stored value has an impossible length: {detail}"
                    ),
                };
            }
            ErrorCode::SystemIoFailure => {
                // A short read means the file is shorter than its header
                // says: truncated.
                return ReadError::Corrupt {
                    path: path.to_owned(),
                    detail: format!("{operation}: I/O error, the file may be truncated: {detail}"),
                };
            }
            _ => {}
        }
    }
    ReadError::Backend {
        path: path.to_owned(),
        operation,
        source: Box::new(e),
    }
}

/// [`db_err`] while opening: a file SQLite cannot read as a database is
/// not ours (an empty or foreign file), not a damaged store.
fn open_err(path: &Path, operation: &'static str, e: rusqlite::Error) -> OpenError {
    if let rusqlite::Error::SqliteFailure(f, msg) = &e
        && f.code == ErrorCode::NotADatabase
    {
        let detail = msg.clone().unwrap_or_else(|| f.to_string());
        return OpenError::NotOurDatabase {
            path: path.to_owned(),
            detail: format!("not an SQLite database: {detail}"),
        };
    }
    db_err(path, operation, e).into()
}

pub(crate) fn io_err(
    path: &Path,
    operation: &'static str,
) -> impl FnOnce(std::io::Error) -> ReadError {
    let path = path.to_owned();
    move |source| ReadError::Io {
        path,
        operation,
        source,
    }
}

/// SQLite integers are signed; positions and sequences never reach 2^63.
pub(crate) fn to_sql(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn from_sql(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(crate) fn hash_from(bytes: &[u8]) -> Option<ChainHash> {
    <[u8; 32]>::try_from(bytes).ok().map(ChainHash)
}

pub(crate) fn fsync_dir(path: &Path) {
    // Makes a rename durable; best effort where directories cannot be
    // opened (not on Unix).
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
}

/// Syncs `tmp` and hard-links it to `dest`, which fails if `dest` exists
/// (no replacing, no race with another writer), then removes `tmp`.
fn link_into_place(tmp: &Path, dest: &Path, operation: &'static str) -> Result<(), BackupError> {
    let linked = fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .and_then(|()| fs::hard_link(tmp, dest));
    let _ = fs::remove_file(tmp);
    match linked {
        Ok(()) => {
            fsync_dir(dest);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(BackupError::AlreadyExists {
                path: dest.to_owned(),
            })
        }
        Err(e) => Err(io_err(dest, operation)(e).into()),
    }
}

/// `.replaced-<UTC time>`, for the copy of a store a restore replaces.
fn replaced_suffix() -> String {
    // The wall clock through std: this crate takes no clock feature of
    // chrono's (the core and the stores stay free of one; see tests/tidy.rs).
    let now: chrono::DateTime<chrono::Utc> = std::time::SystemTime::now().into();
    format!(".replaced-{}", now.format("%Y%m%dT%H%M%SZ"))
}

/// `path` with `suffix`, or with `suffix-2`, `suffix-3`, ... when taken.
fn free_name(path: &Path, suffix: &str) -> PathBuf {
    let mut candidate = sibling(path, suffix);
    let mut n = 2;
    while fs::symlink_metadata(&candidate).is_ok() {
        candidate = sibling(path, &format!("{suffix}-{n}"));
        n += 1;
    }
    candidate
}

/// A migrated copy of an older backup, removed (with its `-wal` and
/// `-shm`) when the restore that made it ends.
struct MigratedCopy(Option<PathBuf>);

impl Drop for MigratedCopy {
    fn drop(&mut self) {
        if let Some(copy) = &self.0 {
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(sibling(copy, suffix));
            }
        }
    }
}

pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

impl SqliteStore {
    /// Opens an existing store with default [`Options`].
    ///
    /// Fails with [`OpenError::NotFound`], [`OpenError::NotOurDatabase`]
    /// (another program's file, an empty file, not SQLite at all),
    /// [`ReadError::Corrupt`] or [`OpenError::NewerSchema`], each naming
    /// the file. An older schema is migrated in place.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::open_with(path, Options::default())
    }

    /// Opens an existing store.
    ///
    /// Read-only ([`Options::read_only`]), the file is never written, and a
    /// store in a folder this process cannot write to can be read. SQLite
    /// needs its `-wal` and `-shm` files to read a WAL database and creates
    /// them where it can (a read-only connection cannot remove them again:
    /// they stay, empty, until a writer closes). Where it cannot and no
    /// `-wal` file exists (so the database file holds every committed
    /// event), the file is read as immutable, without SQLite's locks.
    /// Every read then checks that the file is as it was when opened, and
    /// fails with [`ReadError::Io`] ("read again") if a writer that may
    /// write that folder changed it meanwhile, rather than return a mix.
    pub fn open_with(path: impl AsRef<Path>, options: Options) -> Result<Self, OpenError> {
        let path = path.as_ref();
        if !path.exists() {
            return Err(OpenError::NotFound {
                path: path.to_owned(),
            });
        }
        let flags = if options.read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let mut conn =
            Connection::open_with_flags(path, flags).map_err(|e| open_err(path, "open", e))?;
        let mut unlocked = None;
        if options.read_only && wal_out_of_reach(&conn, path) {
            let stamp = FileStamp::of(path).map_err(io_err(path, "open"))?;
            drop(conn);
            conn = Connection::open_with_flags(
                immutable_uri(path),
                flags | OpenFlags::SQLITE_OPEN_URI,
            )
            .map_err(|e| open_err(path, "open", e))?;
            unlocked = Some(stamp);
        }
        let mut store = Self {
            checkpointer: None,
            conn,
            path: path.to_owned(),
            unlocked,
        };
        // Nothing is written before the file is known to be ours: a
        // foreign or empty file must be left exactly as it was.
        store.set_busy_timeout(options)?;
        store.check_ours()?;
        store.configure(options)?;
        store.migrate(options.read_only, options.progress)?;
        if !options.read_only {
            let synchronous = synchronous_of(options.durability);
            store.checkpointer = Some(
                Checkpointer::install(&mut store.conn, path, synchronous)
                    .map_err(|e| open_err(path, "install the checkpoint policy", e))?,
            );
        }
        Ok(store)
    }

    /// Creates a new, empty store; fails with [`OpenError::AlreadyExists`]
    /// if the file exists. The file appears complete or not at all: it is
    /// built under a temporary name and linked into place.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        Self::create_with(path, Options::default())
    }

    /// Creates a new, empty store with these options.
    pub fn create_with(path: impl AsRef<Path>, options: Options) -> Result<Self, OpenError> {
        let path = path.as_ref();
        if path.exists() {
            return Err(OpenError::AlreadyExists {
                path: path.to_owned(),
            });
        }
        let tmp = sibling(path, &format!(".creating-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        {
            let conn = Connection::open_with_flags(
                &tmp,
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| db_err(&tmp, "create", e))?;
            let mut store = Self {
                checkpointer: None,
                conn,
                path: tmp.clone(),
                unlocked: None,
            };
            let init = store
                .configure(options)
                .map_err(OpenError::from)
                .and_then(|()| store.initialise())
                .and_then(|()| store.close().map_err(OpenError::from));
            if let Err(e) = init {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        }
        if let Ok(f) = fs::File::open(&tmp) {
            let _ = f.sync_all();
        }
        // A hard link fails if the target exists: no race with another
        // creator, and no half-initialised file under the real name.
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(OpenError::AlreadyExists {
                    path: path.to_owned(),
                });
            }
            Err(e) => return Err(io_err(path, "create")(e).into()),
        }
        fsync_dir(path);
        Self::open_with(path, options)
    }

    /// Opens the store at `path`, creating it if there is no file.
    pub fn open_or_create(path: impl AsRef<Path>) -> Result<Self, OpenError> {
        let path = path.as_ref();
        match Self::create(path) {
            Err(OpenError::AlreadyExists { .. }) => Self::open(path),
            other => other,
        }
    }

    /// A store in memory, for tests and examples. Same schema and rules,
    /// no durability.
    pub fn open_in_memory() -> Result<Self, OpenError> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| db_err(&path, "open", e))?;
        let mut store = Self {
            checkpointer: None,
            conn,
            path,
            unlocked: None,
        };
        store.initialise()?;
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connection, reporting any error (dropping closes too,
    /// silently).
    pub fn close(mut self) -> Result<(), ReadError> {
        if let Some(c) = self.checkpointer.take() {
            c.stop();
        }
        let path = self.path;
        self.conn
            .close()
            .map_err(|(_, e)| db_err(&path, "close", e))
    }

    pub(crate) fn err(
        &self,
        operation: &'static str,
    ) -> impl Fn(rusqlite::Error) -> ReadError + '_ {
        move |e| db_err(&self.path, operation, e)
    }

    /// After a read of a store opened without locks (see
    /// [`SqliteStore::open_with`]), fails if the file changed meanwhile:
    /// what was read may then mix two states of it.
    pub(crate) fn check_unchanged(&self) -> Result<(), ReadError> {
        let Some(then) = self.unlocked else {
            return Ok(());
        };
        match FileStamp::of(&self.path) {
            Ok(now) if now == then => Ok(()),
            _ => Err(ReadError::Io {
                path: self.path.clone(),
                operation: "read the store without locks (its folder is read-only)",
                source: std::io::Error::other(
                    "another process changed the file during the read; read again",
                ),
            }),
        }
    }

    fn set_busy_timeout(&mut self, options: Options) -> Result<(), ReadError> {
        self.conn
            .busy_timeout(options.busy_timeout)
            .map_err(self.err("set busy timeout"))
    }

    fn configure(&mut self, options: Options) -> Result<(), ReadError> {
        self.set_busy_timeout(options)?;
        if !options.read_only {
            // WAL: readers never block the writer and a commit is one
            // append to the log, atomic across process death.
            let mode: String = self
                .conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                .map_err(self.err("set journal mode"))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(ReadError::Backend {
                    path: self.path.clone(),
                    operation: "set journal mode",
                    source: format!("SQLite kept journal mode {mode:?} instead of WAL").into(),
                });
            }
        }
        let sync = synchronous_of(options.durability);
        self.conn
            .pragma_update(None, "synchronous", sync)
            .map_err(self.err("set synchronous"))?;
        self.conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(self.err("enable foreign keys"))?;
        // Up to 64 MiB of pages (SQLite's default is 2 MiB): appends touch
        // the (stream, sequence), claims and projection indexes at random
        // places, and a bulk load of a large register otherwise rereads the
        // same index pages from the OS for every batch. Only pages actually
        // used take memory, so a single command stays small.
        self.conn
            .pragma_update(None, "cache_size", -65_536)
            .map_err(self.err("set cache size"))?;
        Ok(())
    }

    /// A store on `conn` with none of [`SqliteStore::configure`]'s
    /// settings and no checkpointer: for a caller that sets its own (a
    /// bulk load) and takes the connection back with
    /// [`SqliteStore::into_connection`].
    pub(crate) fn unconfigured(conn: Connection, path: PathBuf) -> Self {
        Self {
            checkpointer: None,
            conn,
            path,
            unlocked: None,
        }
    }

    /// The connection of a store made by [`SqliteStore::unconfigured`].
    pub(crate) fn into_connection(self) -> Connection {
        self.conn
    }

    pub(crate) fn initialise(&mut self) -> Result<(), OpenError> {
        self.conn
            .pragma_update(None, "application_id", APPLICATION_ID)
            .map_err(self.err("set application id"))?;
        self.migrate(false, None)
    }

    fn check_ours(&self) -> Result<(), OpenError> {
        let id: i32 = self
            .conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .map_err(|e| open_err(&self.path, "read application id", e))?;
        if id == APPLICATION_ID {
            return Ok(());
        }
        let tables: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(self.err("read schema"))?;
        let detail = if id == 0 && tables == 0 {
            "an empty SQLite database".to_owned()
        } else {
            format!("an SQLite database with application id {id:#010x} and {tables} schema objects")
        };
        Err(OpenError::NotOurDatabase {
            path: self.path.clone(),
            detail,
        })
    }

    fn schema_version(&self) -> Result<u32, ReadError> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(self.err("read schema version"))?;
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    }

    fn migrate(
        &mut self,
        read_only: bool,
        progress: Option<fn(MigrationProgress)>,
    ) -> Result<(), OpenError> {
        let found = self.schema_version()?;
        if found > SCHEMA_VERSION {
            return Err(OpenError::NewerSchema {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found == SCHEMA_VERSION {
            return Ok(());
        }
        if read_only {
            return Err(OpenError::OlderSchemaReadOnly {
                path: self.path.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        let path = self.path.clone();
        let err = |e| db_err(&path, "migrate schema", e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        // Read again under the write lock: another process may have
        // migrated meanwhile.
        let current: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        let current = u32::try_from(current).unwrap_or(u32::MAX);
        if current > SCHEMA_VERSION {
            return Err(OpenError::NewerSchema {
                path: self.path.clone(),
                found: current,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tx.execute_batch(migration.sql).map_err(err)?;
            if let Some(backfill) = migration.backfill {
                let version = i as u32 + 1;
                let tell = |done, finished| {
                    if let Some(p) = progress {
                        p(MigrationProgress {
                            version,
                            done,
                            finished,
                        });
                    }
                };
                tell(0, false);
                let mut last = 0;
                backfill(&tx, &path, &mut |done| {
                    last = done;
                    tell(done, false);
                })?;
                tell(last, true);
            }
            tx.pragma_update(None, "user_version", i as i64 + 1)
                .map_err(err)?;
        }
        tx.commit().map_err(|e| err(e).into())
    }

    /// Runs SQLite's own `PRAGMA integrity_check` (the b-trees, not the
    /// chain: use [`EventStore::verify`] for that).
    pub fn integrity_check(&self) -> Result<(), ReadError> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.err("check integrity"))?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(self.err("check integrity"))?
            .collect::<Result<_, _>>()
            .map_err(self.err("check integrity"))?;
        if rows.len() == 1 && rows[0] == "ok" {
            Ok(())
        } else {
            Err(ReadError::Corrupt {
                path: self.path.clone(),
                detail: rows.join("; "),
            })
        }
    }

    /// Copies the store to `dest` with SQLite's online backup API (writers
    /// may go on meanwhile; the copy is one consistent snapshot), then opens
    /// the copy and verifies its chain before linking it into place under
    /// `dest`. A backup never replaces anything: if `dest` exists (a file, a
    /// link, anything), or appears meanwhile, this fails with
    /// [`BackupError::AlreadyExists`] and leaves it alone.
    pub fn backup_to(&self, dest: impl AsRef<Path>) -> Result<BackupReport, BackupError> {
        let dest = dest.as_ref();
        if fs::symlink_metadata(dest).is_ok() {
            return Err(BackupError::AlreadyExists {
                path: dest.to_owned(),
            });
        }
        let tmp = sibling(dest, &format!(".partial-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        let result = self
            .copy_into_new(&tmp)
            .map_err(StoreError::from)
            .and_then(|()| {
                let copy = Self::open_with(&tmp, Options::default().read_only(true))?;
                // The pages first (a damaged index passes the chain walk),
                // then the chain.
                copy.quick_check()?;
                let verified = copy.verify()?;
                copy.close()?;
                Ok(verified)
            })
            .map_err(|e| BackupError::Unverified {
                path: dest.to_owned(),
                source: Box::new(e),
            });
        let verified = match result {
            Ok(v) => v,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        link_into_place(&tmp, dest, "move the verified backup into place")?;
        let bytes = fs::metadata(dest)
            .map_err(io_err(dest, "read backup size"))?
            .len();
        Ok(BackupReport {
            path: dest.to_owned(),
            head: verified.head,
            events: verified.events,
            bytes,
        })
    }

    /// A consistent copy of the store, as it is, under the new name `dest`
    /// (not verified: a copy kept as evidence must be taken even of a store
    /// that does not verify).
    fn keep_copy(&self, dest: &Path) -> Result<(), BackupError> {
        let tmp = sibling(dest, &format!(".partial-{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        if let Err(e) = self.copy_into_new(&tmp) {
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
        }
        link_into_place(&tmp, dest, "keep the replaced store")
    }

    fn copy_into_new(&self, tmp: &Path) -> Result<(), ReadError> {
        let mut dst = Connection::open(tmp).map_err(|e| db_err(tmp, "create backup", e))?;
        run_backup(&self.conn, &mut dst).map_err(|e| db_err(tmp, "write backup", e))?;
        // Leave the copy in rollback-journal mode so it is one
        // self-contained file.
        dst.pragma_update(None, "journal_mode", "DELETE")
            .map_err(|e| db_err(tmp, "finish backup", e))?;
        dst.close().map_err(|(_, e)| db_err(tmp, "close backup", e))
    }

    /// Restores `target` from `backup` with the default [`RestoreOptions`]:
    /// only a backup that extends the target's chain, keeping a copy of the
    /// replaced store beside it. See [`SqliteStore::restore_with`].
    pub fn restore(
        backup: impl AsRef<Path>,
        target: impl AsRef<Path>,
    ) -> Result<RestoreReport, BackupError> {
        Self::restore_with(backup, target, RestoreOptions::default())
    }

    /// Restores `target` from `backup`: verifies the backup first and
    /// refuses ([`BackupError::RestoreRefused`]) one that does not verify or
    /// is not ours, then copies it into `target` with the backup API in a
    /// single SQLite transaction (atomic, and safe with WAL files and other
    /// open connections), and verifies the result.
    ///
    /// An existing `target` is replaced only by a backup whose chain extends
    /// its own: the backup holds at least the target's events, and its hash
    /// at the target's head position is the target's recorded head. Anything
    /// else (an older backup, another register) is
    /// [`BackupError::Diverges`] unless
    /// [`RestoreOptions::allow_divergence`]. Before it is replaced, a
    /// consistent copy of it is kept beside it
    /// ([`RestoreOptions::keep_replaced`], [`RestoreReport::replaced`]).
    ///
    /// The target takes the backup's page size. Where the two differ (a
    /// bulk-loaded file has larger pages than one made by
    /// [`SqliteStore::create`]), that needs every other connection to the
    /// target closed, and the restore changes nothing and fails with
    /// [`BackupError::PageSizeInUse`] while one is open.
    ///
    /// A `target` that is missing is created; one that is corrupt is moved
    /// aside to `<target>.corrupt-<pid>` first (it cannot be compared, and
    /// restoring it is what backups are for); one that is another
    /// program's file is never touched.
    pub fn restore_with(
        backup: impl AsRef<Path>,
        target: impl AsRef<Path>,
        options: RestoreOptions,
    ) -> Result<RestoreReport, BackupError> {
        let backup = backup.as_ref();
        let target = target.as_ref();
        let refused = |e: StoreError| BackupError::RestoreRefused {
            path: backup.to_owned(),
            source: Box::new(e),
        };
        // A backup taken by an older version is migrated on a copy beside
        // the target (removed when the restore ends, whatever its outcome):
        // the backup itself is never written.
        let mut migrated = MigratedCopy(None);
        let source = match Self::open_with(backup, Options::default().read_only(true)) {
            Ok(source) => source,
            Err(OpenError::OlderSchemaReadOnly { .. }) => {
                let copy = free_name(target, &format!(".migrating-{}", std::process::id()));
                fs::copy(backup, &copy).map_err(io_err(&copy, "copy the backup to migrate it"))?;
                migrated.0 = Some(copy.clone());
                Self::open(&copy).map_err(|e| refused(e.into()))?
            }
            Err(e) => return Err(refused(e.into())),
        };
        let expected = source.verify().map_err(|e| refused(e.into()))?;
        let mut replaced = None;
        let mut previous_head = None;
        let mut dest = match Self::open(target) {
            Ok(s) => {
                let head = s.head()?;
                if !options.allow_divergence && !source.extends(head)? {
                    return Err(BackupError::Diverges(Box::new(Divergence::new(
                        backup.to_owned(),
                        target.to_owned(),
                        head,
                        expected.head,
                    ))));
                }
                previous_head = Some(head);
                if options.keep_replaced {
                    let aside = free_name(target, &replaced_suffix());
                    s.keep_copy(&aside)?;
                    replaced = Some(aside);
                }
                s
            }
            Err(OpenError::NotFound { .. }) => Self::create(target)?,
            Err(OpenError::Storage(ReadError::Corrupt { .. })) => {
                let aside = sibling(target, &format!(".corrupt-{}", std::process::id()));
                for suffix in ["", "-wal", "-shm"] {
                    let from = sibling(target, suffix);
                    if from.exists() {
                        fs::rename(&from, sibling(&aside, suffix))
                            .map_err(io_err(&from, "move the corrupt store aside"))?;
                    }
                }
                replaced = Some(aside);
                Self::create(target)?
            }
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = dest.copy_pages_from(&source.conn) {
            if matches!(e, BackupError::PageSizeInUse { .. })
                && let Some(kept) = replaced.filter(|_| previous_head.is_some())
            {
                // Nothing was changed, so there is nothing to keep.
                let _ = fs::remove_file(kept);
            }
            return Err(e);
        }
        source.close()?;
        let verified = dest.verify()?;
        if verified.head != expected.head {
            return Err(ReadError::Corrupt {
                path: target.to_owned(),
                detail: format!(
                    "after restoring, the head is {} at {} instead of {} at {}",
                    verified.head.hash,
                    verified.head.position,
                    expected.head.hash,
                    expected.head.position
                ),
            }
            .into());
        }
        dest.close()?;
        let bytes = fs::metadata(target)
            .map_err(io_err(target, "read size"))?
            .len();
        Ok(RestoreReport {
            restored: BackupReport {
                path: target.to_owned(),
                head: verified.head,
                events: verified.events,
                bytes,
            },
            replaced,
            previous_head,
        })
    }

    /// Whether this store's chain extends one whose head is `head`: it has
    /// an event at `head.position` and its chain hash there is `head.hash`
    /// (every earlier event is then the same too, the chain says so).
    fn extends(&self, head: ChainHead) -> Result<bool, ReadError> {
        if head.position == 0 {
            return Ok(true);
        }
        let hash: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT hash FROM events WHERE position = ?1",
                [to_sql(head.position)],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.err("compare chains"))?;
        Ok(hash.and_then(|h| hash_from(&h)) == Some(head.hash))
    }

    /// Writes the verified chain head as JSON to `path` (for a third party
    /// to keep), and returns it.
    pub fn export_head(&self, path: impl AsRef<Path>) -> Result<ChainHead, VerifyError> {
        let path = path.as_ref();
        let head = self.verify()?.head;
        let mut f = fs::File::create(path).map_err(io_err(path, "write chain head"))?;
        f.write_all(head.to_json().as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(io_err(path, "write chain head"))?;
        Ok(head)
    }

    /// A gap was found before `next_present`: find the stream that lost an
    /// event by looking for the first sequence that skips.
    fn stream_with_gap(&self) -> Result<Option<String>, ReadError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT stream FROM (
                     SELECT stream, sequence,
                            lag(sequence, 1, 0) OVER (PARTITION BY stream ORDER BY sequence) AS prev
                     FROM events)
                 WHERE sequence <> prev + 1 LIMIT 1",
            )
            .map_err(self.err("locate a gap"))?;
        stmt.query_row([], |r| r.get::<_, String>(0))
            .optional()
            .map_err(self.err("locate a gap"))
    }
}

impl SqliteStore {
    /// Restores every page of `from` into this store.
    ///
    /// SQLite's backup API cannot change the page size of a destination in
    /// WAL mode, and stores differ in page size (a bulk-loaded file has
    /// larger pages than one made by [`SqliteStore::create`]). For such a
    /// pair this store leaves WAL for the copy, which gives it the source's
    /// page size, and returns to WAL after. Leaving WAL needs every other
    /// connection to the file closed (this store's checkpointer is
    /// stopped first): if one is open, nothing is copied
    /// ([`BackupError::PageSizeInUse`]).
    fn copy_pages_from(&mut self, from: &Connection) -> Result<(), BackupError> {
        let path = self.path.clone();
        let err = |e| BackupError::from(db_err(&path, "restore", e));
        let page_size =
            |c: &Connection| c.pragma_query_value(None, "page_size", |r| r.get::<_, u32>(0));
        let target = page_size(&self.conn).map_err(err)?;
        let backup = page_size(from).map_err(err)?;
        if target == backup {
            return run_backup(from, &mut self.conn).map_err(err);
        }
        if let Some(c) = self.checkpointer.take() {
            c.stop();
        }
        let in_use = BackupError::PageSizeInUse {
            path: path.clone(),
            backup,
            target,
        };
        let left = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get::<_, String>(0));
        match left {
            Ok(mode) if mode.eq_ignore_ascii_case("delete") => {}
            Ok(_) => return Err(in_use),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                return Err(in_use);
            }
            Err(e) => return Err(err(e)),
        }
        let copied = run_backup(from, &mut self.conn).map_err(err);
        // Back to WAL whatever the copy's outcome: the store was in WAL before.
        let mode: String = self
            .conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(ReadError::Backend {
                path,
                operation: "restore",
                source: format!("SQLite kept journal mode {mode:?} instead of WAL after the copy")
                    .into(),
            }
            .into());
        }
        copied
    }
}

fn run_backup(from: &Connection, to: &mut Connection) -> rusqlite::Result<()> {
    let backup = Backup::new(from, to)?;
    // All pages in one step: one consistent snapshot, one transaction on
    // the destination.
    loop {
        match backup.step(-1)? {
            StepResult::Done => return Ok(()),
            StepResult::Busy | StepResult::Locked | StepResult::More => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

impl EventStore for SqliteStore {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        if batch.is_empty() {
            return Err(AppendError::EmptyAppend);
        }
        let path = self.path.clone();
        let err = |op| {
            let path = path.clone();
            move |e| db_err(&path, op, e)
        };
        // IMMEDIATE takes the write lock now, so the versions and claims
        // read below cannot change before commit; concurrent writers queue
        // on the busy timeout.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err("begin append"))?;
        if let Some(r) = &batch.request {
            let seen: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM requests WHERE request_id = ?1",
                    [r.id.as_str()],
                    |row| row.get(0),
                )
                .optional()
                .map_err(err("look up request"))?;
            if seen.is_some() {
                return Err(AppendError::DuplicateRequest {
                    request: r.id.clone(),
                });
            }
        }
        let head = read_head(&tx, &path)?;
        let mut touched = Touched::default();
        let appended = {
            let mut state = TxState {
                tx: &tx,
                path: &path,
            };
            let mut rows = EventRows::prepare(&tx, &path)?;
            plan_append(batch, head, &mut state, &mut |p| {
                touched.note(p);
                rows.write(p)
            })?
        };
        projection::update(&tx, &path, &touched, None)?;
        tx.execute(
            "UPDATE chain_head SET position = ?1, hash = ?2 WHERE id = 1",
            params![to_sql(appended.last), &appended.head.hash.0[..]],
        )
        .map_err(err("update chain head"))?;
        if let Some(RequestRecord {
            id,
            fingerprint,
            warnings,
        }) = &batch.request
        {
            let warnings = serde_json::to_string(warnings)?;
            tx.execute(
                "INSERT INTO requests (request_id, fingerprint, first_position, last_position, warnings)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id.as_str(),
                    &fingerprint.0[..],
                    to_sql(appended.first),
                    to_sql(appended.last),
                    warnings
                ],
            )
            .map_err(err("record request"))?;
        }
        tx.commit().map_err(err("commit append"))?;
        Ok(appended)
    }

    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), ReadError> {
        const COLS: &str = "SELECT position, hash, body FROM events";
        let (sql, args): (String, Vec<rusqlite::types::Value>) = match selection {
            Selection::All | Selection::AsOf(_) => {
                (format!("{COLS} ORDER BY position"), Vec::new())
            }
            Selection::Stream(s) => (
                format!("{COLS} WHERE stream = CAST(?1 AS TEXT) ORDER BY position"),
                vec![s.to_string().into()],
            ),
            Selection::Positions { from, to } => (
                format!("{COLS} WHERE position BETWEEN ?1 AND ?2 ORDER BY position"),
                vec![to_sql(from).into(), to_sql(to).into()],
            ),
            Selection::After(p) => (
                format!("{COLS} WHERE position > ?1 ORDER BY position"),
                vec![to_sql(p).into()],
            ),
        };
        let as_of = match selection {
            Selection::AsOf(t) => Some(t),
            _ => None,
        };
        let mut stmt = self.conn.prepare_cached(&sql).map_err(self.err("read"))?;
        let mut rows = stmt
            .query(rusqlite::params_from_iter(args))
            .map_err(self.err("read"))?;
        let err = self.err("read");
        let mut next_row = |take: &mut dyn FnMut(Row<'_>)| -> Result<bool, ReadError> {
            let Some(row) = rows.next().map_err(&err)? else {
                return Ok(false);
            };
            let position = from_sql(row.get(0).map_err(&err)?);
            let hash = row
                .get_ref(1)
                .and_then(|v| v.as_blob().map_err(Into::into))
                .map_err(&err)?;
            let body = row
                .get_ref(2)
                .and_then(|v| v.as_str().map_err(Into::into))
                .map_err(&err)?;
            take(Row {
                position,
                hash,
                body,
            });
            Ok(true)
        };
        read_rows(&self.path, &mut next_row, as_of, visit)?;
        self.check_unchanged()
    }

    fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        let v: i64 = self
            .conn
            .query_row(STREAM_VERSION, [stream.to_string()], |r| r.get(0))
            .map_err(self.err("read stream version"))?;
        self.check_unchanged()?;
        Ok(from_sql(v))
    }

    fn head(&self) -> Result<ChainHead, ReadError> {
        let (position, hash): (i64, Vec<u8>) = self
            .conn
            .query_row(
                "SELECT position, hash FROM chain_head WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(self.err("read chain head"))?;
        self.check_unchanged()?;
        Ok(ChainHead {
            position: from_sql(position),
            hash: hash_from(&hash).ok_or_else(|| ReadError::Corrupt {
                path: self.path.clone(),
                detail: "the recorded chain head is malformed".into(),
            })?,
        })
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        self.walk_chain(&mut |_, _, _, _| Ok(()))
    }

    fn list_items(
        &self,
        filter: &isms_store::ItemFilter,
        visit: &mut dyn FnMut(isms_core::Item),
    ) -> Result<(), ReadError> {
        self.list_projected(filter, visit)
    }

    fn read_facts(&self, visit: &mut dyn FnMut(isms_store::Facts)) -> Result<(), ReadError> {
        self.read_projected_facts(visit)
    }

    fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        TxState {
            tx: &self.conn,
            path: &self.path,
        }
        .claim_holder(claim)
    }

    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
        let kind = match kind {
            RefKind::Nonconformity => 1,
            RefKind::Improvement => 2,
            RefKind::Action => return Ok(0),
        };
        let n: i64 = self
            .conn
            .prepare_cached("SELECT coalesce(max(number), 0) FROM claims WHERE kind = ?1")
            .and_then(|mut stmt| stmt.query_row([kind], |r| r.get(0)))
            .map_err(self.err("read the last reference number"))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
        let row: Option<(Vec<u8>, i64, i64, String)> = self
            .conn
            .query_row(
                "SELECT fingerprint, first_position, last_position, warnings
                 FROM requests WHERE request_id = ?1",
                [id.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(self.err("look up request"))?;
        let Some((fingerprint, first, last, warnings)) = row else {
            return Ok(None);
        };
        let malformed = || ReadError::Corrupt {
            path: self.path.clone(),
            detail: format!("the record of request {id} is malformed"),
        };
        Ok(Some(RecordedRequest {
            record: RequestRecord {
                id: id.clone(),
                fingerprint: hash_from(&fingerprint).ok_or_else(malformed)?,
                warnings: serde_json::from_str(&warnings).map_err(|_| malformed())?,
            },
            first: from_sql(first),
            last: from_sql(last),
        }))
    }
}

/// `PRAGMA synchronous` for a durability.
fn synchronous_of(durability: Durability) -> &'static str {
    match durability {
        Durability::Process => "NORMAL",
        Durability::PowerLoss => "FULL",
    }
}

/// The number of events in stream `?1`. The parameter is cast so that
/// SQLite's planner does not compare its bound value with the ORDER BY /
/// min-max terms: with a bare `stream = ?1` it marks the statement to be
/// prepared again on every new binding, which cost about a twentieth of
/// every batch append (one look-up per new stream).
pub(crate) const STREAM_VERSION: &str =
    "SELECT coalesce(max(sequence), 0) FROM events WHERE stream = CAST(?1 AS TEXT)";

/// The chain head as recorded, read inside a transaction.
pub(crate) fn read_head(conn: &Connection, path: &Path) -> Result<ChainHead, ReadError> {
    let (position, hash): (i64, Vec<u8>) = conn
        .query_row(
            "SELECT position, hash FROM chain_head WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| db_err(path, "read chain head", e))?;
    Ok(ChainHead {
        position: from_sql(position),
        hash: hash_from(&hash).ok_or_else(|| ReadError::Corrupt {
            path: path.to_owned(),
            detail: "the recorded chain head is malformed".into(),
        })?,
    })
}

/// The two inserts every placed event makes, in the log and in the claims
/// index: shared by the append and the bulk load.
pub(crate) struct EventRows<'c> {
    insert: rusqlite::CachedStatement<'c>,
    claim: rusqlite::CachedStatement<'c>,
    path: &'c Path,
}

impl<'c> EventRows<'c> {
    pub(crate) fn prepare(conn: &'c Connection, path: &'c Path) -> Result<Self, ReadError> {
        let err = |e| db_err(path, "append", e);
        Ok(Self {
            insert: conn
                .prepare_cached(
                    "INSERT INTO events (position, stream, sequence, body, hash)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(err)?,
            claim: conn
                .prepare_cached(
                    "INSERT INTO claims (claim, kind, number, stream) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?,
            path,
        })
    }

    /// Writes the event's row and, if it takes one, its claim.
    pub(crate) fn write(&mut self, p: &PlannedEvent<'_>) -> Result<(), AppendError> {
        self.write_event(p)?;
        if let Some(c) = p.claim {
            self.write_claim(c, p.stream)?;
        }
        Ok(())
    }

    /// Writes the event's row only (a bulk load writes the claims when it
    /// finishes, in key order).
    pub(crate) fn write_event(&mut self, p: &PlannedEvent<'_>) -> Result<(), AppendError> {
        self.insert
            .execute(params![
                to_sql(p.position),
                p.stream,
                to_sql(p.event.sequence),
                p.body,
                &p.hash.0[..]
            ])
            .map_err(|e| db_err(self.path, "append", e))?;
        Ok(())
    }

    /// Writes one claim of `stream` (as text, `nonconformity/<uuid>`).
    pub(crate) fn write_claim(&mut self, c: Claim, stream: &str) -> Result<(), ReadError> {
        self.claim
            .execute(params![
                c.to_string(),
                claim_kind(c),
                i64::from(c.number()),
                stream
            ])
            .map_err(|e| db_err(self.path, "index claim", e))?;
        Ok(())
    }
}

/// The store's state as [`plan_append`] sees it: look-ups on a connection
/// (inside the append's transaction when appending).
struct TxState<'a> {
    tx: &'a Connection,
    path: &'a Path,
}

impl AppendState for TxState<'_> {
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError> {
        let v: i64 = self
            .tx
            .prepare_cached(STREAM_VERSION)
            .and_then(|mut stmt| stmt.query_row([stream.to_string()], |r| r.get(0)))
            .map_err(|e| db_err(self.path, "read stream version", e))?;
        Ok(from_sql(v))
    }

    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        let stream: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT stream FROM claims WHERE kind = ?1 AND number = ?2 AND claim = ?3",
            )
            .and_then(|mut stmt| {
                stmt.query_row(
                    params![
                        claim_kind(claim),
                        i64::from(claim.number()),
                        claim.to_string()
                    ],
                    |r| r.get(0),
                )
                .optional()
            })
            .map_err(|e| db_err(self.path, "look up a claim", e))?;
        stream
            .map(|s| {
                s.parse().map_err(|_| ReadError::Corrupt {
                    path: self.path.to_owned(),
                    detail: format!(
                        "the claims index maps {claim} to {s:?}, which is not a stream id"
                    ),
                })
            })
            .transpose()
    }

    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError> {
        let kind = match kind {
            RefKind::Nonconformity => 1,
            RefKind::Improvement => 2,
            RefKind::Action => return Ok(0),
        };
        let n: i64 = self
            .tx
            .prepare_cached("SELECT coalesce(max(number), 0) FROM claims WHERE kind = ?1")
            .and_then(|mut stmt| stmt.query_row([kind], |r| r.get(0)))
            .map_err(|e| db_err(self.path, "read the last reference number", e))?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}

impl SqliteStore {
    /// The chain walk of [`EventStore::verify`], first event to the
    /// recorded head, in one read transaction; `visit` sees each row
    /// (position, stream, sequence, body) once its hash has held, so that a
    /// caller checking more of each row (`verify_full`) reads the log once.
    ///
    /// # Errors
    /// The first break of the chain, or the first error of `visit`, in log
    /// order.
    pub(crate) fn walk_chain(&self, visit: &mut RowVisitor<'_>) -> Result<Verified, VerifyError> {
        // One read transaction, so that the chain and the head are seen at
        // the same instant even while another process appends.
        // Inside a caller's transaction (`verify_full`) it reads in that
        // one; otherwise in its own.
        let own = if self.conn.is_autocommit() {
            Some(
                self.conn
                    .unchecked_transaction()
                    .map_err(self.err("verify"))?,
            )
        } else {
            None
        };
        let mut stmt = self
            .conn
            .prepare("SELECT position, stream, sequence, body, hash FROM events ORDER BY position")
            .map_err(self.err("verify"))?;
        let mut rows = stmt.query([]).map_err(self.err("verify"))?;
        let mut prev = ChainHash::GENESIS;
        let mut expected = 1u64;
        while let Some(row) = rows.next().map_err(self.err("verify"))? {
            let position = from_sql(row.get(0).map_err(self.err("verify"))?);
            let stream = row.get_ref(1).ok().and_then(|v| v.as_str().ok());
            let broken = |kind| VerifyError::ChainBroken {
                position,
                stream: stream.map(str::to_owned),
                kind,
            };
            if position != expected {
                drop(rows);
                return Err(VerifyError::ChainBroken {
                    position: expected,
                    stream: self.stream_with_gap()?,
                    kind: BreakKind::Missing {
                        next_present: Some(position),
                    },
                });
            }
            let Some(stream) = stream else {
                return Err(broken(BreakKind::Malformed {
                    detail: "the stream is not text".into(),
                }));
            };
            let sequence: i64 = row.get(2).map_err(self.err("verify"))?;
            let body = row.get_ref(3).map_err(self.err("verify"))?;
            let body = match body {
                rusqlite::types::ValueRef::Text(t) => t,
                _ => {
                    return Err(broken(BreakKind::Malformed {
                        detail: "the body is not text".into(),
                    }));
                }
            };
            let stored = row.get_ref(4).map_err(self.err("verify"))?;
            let stored = stored.as_blob().ok().and_then(hash_from);
            let computed = chain_hash(&prev, position, stream, from_sql(sequence), body);
            if stored != Some(computed) {
                return Err(broken(BreakKind::HashMismatch {
                    stored: stored.map_or_else(|| "(malformed)".to_owned(), |h| h.to_hex()),
                    computed: computed.to_hex(),
                }));
            }
            visit(position, stream, from_sql(sequence), body)?;
            prev = computed;
            expected += 1;
        }
        drop(rows);
        drop(stmt);
        let chain = ChainHead {
            position: expected - 1,
            hash: prev,
        };
        let recorded = self.head()?;
        if let Some(tx) = own {
            tx.finish().map_err(self.err("verify"))?;
        }
        if recorded != chain {
            // Past the recorded head: the first position that should not be
            // there (rows added behind the store's back) or should be there
            // (rows deleted at the end); at the head itself: the head record
            // was edited.
            let position = match recorded.position.cmp(&chain.position) {
                std::cmp::Ordering::Less => recorded.position + 1,
                std::cmp::Ordering::Greater => chain.position + 1,
                std::cmp::Ordering::Equal => recorded.position,
            };
            return Err(VerifyError::ChainBroken {
                position,
                stream: None,
                kind: BreakKind::HeadMismatch {
                    chain_position: chain.position,
                    recorded_position: recorded.position,
                },
            });
        }
        self.check_unchanged()?;
        Ok(Verified {
            events: chain.position,
            head: chain,
        })
    }
}

/// What [`SqliteStore::walk_chain`] calls for each row whose hash held:
/// position, stream, sequence, body.
pub(crate) type RowVisitor<'a> = dyn FnMut(u64, &str, u64, &[u8]) -> Result<(), VerifyError> + 'a;

#[cfg(test)]
mod tests {
    use isms_store::ExpectedVersion;
    use isms_store::workload::Workload;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("isms-store-unit-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn one_lifecycle(store: &mut SqliteStore, workload: &mut Workload) {
        let events = workload.lifecycle(Default::default()).unwrap();
        let stream = events[0].stream;
        store
            .append_to_stream(stream, ExpectedVersion::NoStream, events)
            .unwrap();
    }

    /// A scan of every KPI facts row runs with a small page cache and
    /// gives the store its own back, whether the scan ends or is refused.
    #[test]
    fn a_facts_scan_gives_the_page_cache_back() {
        let dir = scratch("scan-cache");
        let mut store = SqliteStore::create(dir.join("s.isms")).unwrap();
        let mut workload = Workload::new();
        one_lifecycle(&mut store, &mut workload);
        one_lifecycle(&mut store, &mut workload);
        let cache = |s: &SqliteStore| -> i64 {
            s.conn
                .pragma_query_value(None, "cache_size", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(cache(&store), -65_536);
        let mut during = Vec::new();
        store
            .read_encoded_facts(&mut |_, _| {
                during.push(());
                Ok(())
            })
            .unwrap();
        assert_eq!(during.len(), 2);
        assert_eq!(cache(&store), -65_536);
        let err = store
            .read_encoded_facts(&mut |_, _| {
                Err(isms_core::FactsError::Truncated {
                    what: "a test",
                    at: 0,
                })
            })
            .unwrap_err();
        assert!(matches!(err, ReadError::Projection { .. }), "{err:?}");
        assert_eq!(cache(&store), -65_536);
        store.close().unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Appends past the background threshold: a checkpoint runs on the
    /// store's own thread, commits never wait for it, the log stays within
    /// its bound, and everything committed is in the file after close.
    #[test]
    fn checkpoints_run_beside_the_commits_and_keep_the_log_bounded() {
        let dir = scratch("checkpoint");
        let path = dir.join("c.isms");
        let mut store = SqliteStore::create(&path).unwrap();
        let mut workload = Workload::new();
        let wal = sibling(&path, "-wal");
        let mut largest_wal = 0;
        for _ in 0..60 {
            let mut batch = isms_store::AppendBatch::default();
            for _ in 0..100 {
                let events = workload.lifecycle(Default::default()).unwrap();
                batch.appends.push(isms_store::StreamAppend {
                    stream: events[0].stream,
                    expected: ExpectedVersion::NoStream,
                    events,
                });
            }
            store.append(&batch).unwrap();
            largest_wal = largest_wal.max(fs::metadata(&wal).map_or(0, |m| m.len()));
        }
        let checkpointer = store.checkpointer.as_ref().unwrap();
        let waited = std::time::Instant::now();
        while checkpointer.completed() == 0 && waited.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            checkpointer.completed() >= 1,
            "no background checkpoint ran"
        );
        // A page in the log takes its size plus a 24-byte frame header.
        let bound = (crate::wal::INLINE_AT as u64 + 4_000) * (4096 + 24);
        assert!(largest_wal < bound, "the log grew to {largest_wal} bytes");
        let head = store.head().unwrap();
        store.close().unwrap();
        let store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.head().unwrap(), head);
        assert_eq!(store.verify().unwrap().head, head);
        store.check_projections().unwrap();
        drop(store);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A read-only store starts no checkpointer; an in-memory one has no log.
    #[test]
    fn only_writable_file_stores_checkpoint() {
        let dir = scratch("checkpoint-ro");
        let path = dir.join("r.isms");
        SqliteStore::create(&path).unwrap().close().unwrap();
        let ro = SqliteStore::open_with(&path, Options::default().read_only(true)).unwrap();
        assert!(ro.checkpointer.is_none());
        assert!(
            SqliteStore::open_in_memory()
                .unwrap()
                .checkpointer
                .is_none()
        );
        drop(ro);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_immutable_uri_survives_any_file_name() {
        let dir = scratch("uri");
        let path = dir.join("a b?c#d%e&f=g.isms");
        SqliteStore::create(&path).unwrap().close().unwrap();
        let conn = Connection::open_with_flags(
            immutable_uri(&path),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
        )
        .unwrap();
        let id: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(id, APPLICATION_ID);
        drop(conn);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A store read without locks (as in a read-only folder) refuses to
    /// answer once a writer has changed the file under it.
    #[test]
    fn a_read_without_locks_fails_once_the_file_changed() {
        let dir = scratch("unlocked");
        let path = dir.join("live.isms");
        let mut writer = SqliteStore::create(&path).unwrap();
        let mut workload = Workload::new();
        one_lifecycle(&mut writer, &mut workload);
        let mut reader = SqliteStore::open_with(&path, Options::default().read_only(true)).unwrap();
        reader.unlocked = Some(FileStamp::of(&path).unwrap());
        assert_eq!(reader.head().unwrap().position, 10);
        reader.load_all().unwrap();

        // The writer appends and checkpoints its WAL into the file itself.
        one_lifecycle(&mut writer, &mut workload);
        writer
            .conn
            .pragma_update(None, "wal_checkpoint", "TRUNCATE")
            .unwrap();
        for result in [
            reader.head().map(|_| ()).map_err(StoreError::from),
            reader.load_all().map(|_| ()).map_err(StoreError::from),
            reader.verify().map(|_| ()).map_err(StoreError::from),
        ] {
            match result.as_ref().map_err(StoreError::storage) {
                Err(Some(ReadError::Io { source, .. })) => {
                    assert!(source.to_string().contains("read again"), "{source}");
                }
                _ => panic!("expected a refusal, got {result:?}"),
            }
        }
        drop(reader);
        writer.close().unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
