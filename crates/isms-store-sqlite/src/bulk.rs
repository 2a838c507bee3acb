//! Loading a new register file in one pass: the path `isms generate` takes
//! for a file that does not exist yet.
//!
//! An append to a live store is one transaction that must survive a kill
//! the moment it commits, and that a reader may see at once: it goes
//! through the WAL, reads each continued stream back from the log to fold
//! its projection, and updates the projections' indexes at random places.
//! None of that is needed while a file nobody else can see is being
//! filled, and on a register of a million items it is most of the cost.
//!
//! [`BulkLoad`] fills a file under a temporary name in one transaction
//! with no journal and pages of [`LOAD_PAGE_SIZE`] bytes, keeps every
//! stream's version and every claim in memory (so no check reads the
//! file), writes the projections batch by batch as an append does, the
//! claims at the end in key order ([`write_claims`]), and only then links
//! the file into place, so that the target appears
//! complete or not at all.
//! While it runs, a [`WriteBack`] thread writes what SQLite has written
//! back to disk and drops it from the operating system's page cache: the
//! pages the load goes back to are in SQLite's own cache.
//! The rules are the same as [`EventStore::append`](isms_store::EventStore::append):
//! every batch goes through [`plan_append`].

use std::fmt::Write as _;
use std::fs;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use isms_core::{Claim, RefKind, StreamId};
use isms_store::append::{AppendState, PlannedRow, PreparedBatch, plan_append, plan_prepared};
use isms_store::projection::Touched;
use isms_store::{AppendBatch, AppendError, Appended, ChainHead, OpenError, ReadError};
use rusqlite::{Connection, OpenFlags, params};

use crate::schema::claim_kind;
use crate::store::{EventRows, db_err, fsync_dir, io_err, sibling, to_sql};
use crate::{SqliteStore, projection};

/// SQLite's page cache while loading, in KiB (512 MiB): the pages the
/// load inserts into at random places (the `(stream, sequence)`, claims and
/// projection indexes) stay in memory; the log's own pages, written once at
/// its end, go to the file as the cache fills. Only pages used take memory.
const LOAD_CACHE_KIB: i64 = 512 * 1024;

/// The page size of a bulk-loaded file, in bytes (SQLite's default is
/// 4096). A load is bound by SQLite's b-tree work, and with fewer, larger
/// pages it splits and rebalances less often: with 16 KiB pages a
/// 300,000-item `isms generate` ran a fifth faster than with 4 KiB, and
/// with 32 KiB its storing thread did about a sixteenth less work again
/// at 1,000,000 (64 KiB less so: each split moves more; see
/// docs/performance.md).
/// A file keeps its page size for life; a restore between files of
/// different page sizes is handled by [`SqliteStore::restore_with`].
pub(crate) const LOAD_PAGE_SIZE: u32 = 32 * 1024;

/// How often a load writes back what SQLite has written to its file and
/// drops it from the page cache ([`WriteBack`]).
const WRITE_BACK_EVERY: Duration = Duration::from_millis(250);

/// A new store being filled in one pass (see the module's documentation):
/// made by [`SqliteStore::bulk_load`], fed with [`BulkLoad::append`],
/// and put in place by [`BulkLoad::finish`].
///
/// The load is all or nothing: a batch the rules refuse, or a failure of
/// the file, ends it. [`BulkLoad::append`] returns the error, every later
/// call returns [`AppendError::Storage`], and dropping the load removes the
/// temporary file; nothing ever appears at the target. A process killed
/// during a load leaves the temporary file
/// (`<target>.loading-<process id>`) behind, never the target.
///
/// ```
/// use isms_store::workload::Workload;
/// use isms_store::{AppendBatch, EventStore, ExpectedVersion};
/// use isms_store_sqlite::SqliteStore;
///
/// let dir = std::env::temp_dir().join(format!("isms-bulk-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("register.isms");
/// # let _ = std::fs::remove_file(&path);
/// let mut load = SqliteStore::bulk_load(&path)?;
/// assert!(!path.exists(), "nothing is at the target until the load finishes");
/// let events = Workload::new().lifecycle(Default::default())?;
/// let stream = events[0].stream;
/// load.append(&AppendBatch::single(stream, ExpectedVersion::NoStream, events))?;
/// let store = load.finish()?;
/// assert_eq!(store.head()?.position, 10);
/// store.verify_full(&[], None)?;
/// # store.close()?;
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BulkLoad {
    conn: Option<Connection>,
    temp: PathBuf,
    target: PathBuf,
    head: ChainHead,
    known: Known,
    scratch: Scratch,
    failed: bool,
    removed: Vec<PathBuf>,
    write_back: Option<WriteBack>,
}

/// What the rules ask of the store, kept in memory.
#[derive(Default)]
struct Known {
    // Keyed with foldhash, seeded once per process: SipHash was a few per
    // cent of the storing thread's time.
    versions: foldhash::HashMap<StreamId, u64>,
    claims: foldhash::HashMap<Claim, StreamId>,
    last_numbers: [u32; 2],
}

impl AppendState for Known {
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError> {
        Ok(self.versions.get(&stream).copied().unwrap_or(0))
    }

    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        Ok(self.claims.get(&claim).copied())
    }

    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError> {
        Ok(match kind {
            RefKind::Nonconformity => self.last_numbers[0],
            RefKind::Improvement => self.last_numbers[1],
            RefKind::Action => 0,
        })
    }
}

impl SqliteStore {
    /// Starts loading a new store at `path` in one pass (see [`BulkLoad`]):
    /// the fast way to fill a register that does not exist yet, for a
    /// generator or a migration from another system.
    ///
    /// Starting a load removes what earlier loads into the same target that
    /// were interrupted left behind ([`BulkLoad::removed_abandoned`]). Run
    /// one load into a target at a time (`isms generate` holds the
    /// register's lock file): a second one starting in the instant between
    /// the first creating its file and writing to it would take that file
    /// for abandoned, and the first would then fail when finishing.
    ///
    /// # Errors
    /// [`OpenError::AlreadyExists`] if `path` exists (it is never touched),
    /// or the failure to create the temporary file beside it.
    pub fn bulk_load(path: impl AsRef<Path>) -> Result<BulkLoad, OpenError> {
        let target = path.as_ref().to_owned();
        if fs::symlink_metadata(&target).is_ok() {
            return Err(OpenError::AlreadyExists { path: target });
        }
        let removed = remove_abandoned(&target);
        let temp = sibling(&target, &format!(".loading-{}", std::process::id()));
        let _ = fs::remove_file(&temp);
        let conn = Connection::open_with_flags(
            &temp,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_err(&temp, "create", e))?;
        let mut load = BulkLoad {
            conn: Some(conn),
            temp,
            target,
            head: ChainHead::EMPTY,
            known: Known::default(),
            scratch: Scratch::default(),
            failed: false,
            removed,
            write_back: None,
        };
        load.prepare()?;
        load.write_back = WriteBack::start(&load.temp);
        Ok(load)
    }
}

impl BulkLoad {
    /// The temporary file, made ours and empty, with the load's settings,
    /// and the load's one transaction begun.
    fn prepare(&mut self) -> Result<(), OpenError> {
        let temp = self.temp.clone();
        let conn = self.conn.take().ok_or_else(|| self.ended())?;
        let mut store = SqliteStore::unconfigured(conn, temp.clone());
        let err = |op| {
            let temp = temp.clone();
            move |e| db_err(&temp, op, e)
        };
        // No journal: the file is invisible until it is complete, and a
        // load that fails is thrown away whole, so nothing is ever rolled
        // back. SQLite syncs nothing until the end ([`WriteBack`] only
        // changes when pages reach the disk).
        // The page size first: it is fixed when the first table is made.
        for (pragma, value) in [
            ("page_size", LOAD_PAGE_SIZE.to_string()),
            ("journal_mode", "OFF".to_owned()),
            ("synchronous", "OFF".to_owned()),
            ("locking_mode", "EXCLUSIVE".to_owned()),
            ("temp_store", "MEMORY".to_owned()),
            ("cache_size", (-LOAD_CACHE_KIB).to_string()),
        ] {
            store
                .conn
                .pragma_update(None, pragma, &value)
                .map_err(err("set up a bulk load"))?;
        }
        store.initialise()?;
        store
            .conn
            .execute_batch("BEGIN")
            .map_err(err("begin the load"))?;
        self.conn = Some(store.into_connection());
        Ok(())
    }

    /// The files of earlier loads into the same target that were killed
    /// or interrupted (Ctrl-C) before they finished, which starting this
    /// load removed: `<target>.loading-<process id>` files that are empty
    /// or one of ours, and that no running load holds.
    pub fn removed_abandoned(&self) -> &[PathBuf] {
        &self.removed
    }

    fn ended(&self) -> ReadError {
        ReadError::Backend {
            path: self.target.clone(),
            operation: "load",
            source: "an earlier batch of this load failed; the load was abandoned and nothing was written to the target"
                .into(),
        }
    }

    /// Appends a batch under the same rules as
    /// [`EventStore::append`](isms_store::EventStore::append).
    ///
    /// # Errors
    /// What [`plan_append`] refuses, or the file's failure. Either ends the
    /// load (see [`BulkLoad`]).
    pub fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        if self.failed {
            return Err(self.ended().into());
        }
        let result = self.append_inner(Input::Batch(batch));
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    /// [`BulkLoad::append`] for a batch prepared on another thread (see
    /// [`PreparedBatch`]): its bodies and new items' rows are not made
    /// again here.
    ///
    /// # Errors
    /// As [`BulkLoad::append`].
    pub fn append_prepared(&mut self, prepared: &PreparedBatch) -> Result<Appended, AppendError> {
        if self.failed {
            return Err(self.ended().into());
        }
        // A batch numbered by the store is appended as it is.
        let input = match prepared.batch() {
            Some(batch) if !prepared.is_prepared() => Input::Batch(batch),
            _ => Input::Prepared(prepared),
        };
        let result = self.append_inner(input);
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn append_inner(&mut self, input: Input<'_>) -> Result<Appended, AppendError> {
        // The file could not be written: say so now, not at the end.
        if let Some(write_back) = self.write_back.take_if(|w| w.stopped_early()) {
            write_back
                .finish()
                .map_err(io_err(&self.temp, "write the loaded file to disk"))?;
        }
        let request = match input {
            Input::Batch(batch) => batch.request.is_some(),
            Input::Prepared(p) => p.batch().is_some_and(|b| b.request.is_some()),
        };
        if request {
            return Err(ReadError::Backend {
                path: self.target.clone(),
                operation: "load",
                source: "a bulk load does not record request ids; append commands with a request id to an open store"
                    .into(),
            }
            .into());
        }
        let Self {
            conn,
            temp,
            head,
            known,
            scratch,
            ..
        } = self;
        let conn = conn.as_ref().ok_or_else(|| ReadError::Backend {
            path: temp.clone(),
            operation: "load",
            source: "the load has no connection".into(),
        })?;
        // `plan_append` asks `known` (as it stood before the batch, as a
        // store's transaction does) and hands each placed event to the
        // writer; what the batch placed is noted into `known` after it.
        let Scratch { planned, buffer } = scratch;
        planned.clear();
        buffer.clear();
        let mut touched = Touched::default();
        let appended = match input {
            // A prepared batch keeps its bodies: its rows are written after
            // planning, many to a statement.
            Input::Prepared(p) => {
                let appended = plan_prepared(p, *head, known, &mut |row| {
                    touched.note_span(row);
                    buffer.push(row);
                    planned.push((row.stream_id, row.sequence, row.claim));
                    Ok(())
                })?;
                buffer.write(conn, temp, p)?;
                appended
            }
            // Another's are written as they are planned.
            Input::Batch(batch) => {
                let mut rows = EventRows::prepare(conn, temp)?;
                plan_append(batch, *head, known, &mut |p| {
                    touched.note(p);
                    rows.write_event(p)?;
                    planned.push((p.event.stream, p.event.sequence, p.claim));
                    Ok(())
                })?
            }
        };
        // The touched items' rows, as an append writes them: a new item
        // from the batch, a continued one folded from the log.
        let prepared = match input {
            Input::Prepared(p) => Some(p),
            Input::Batch(_) => None,
        };
        projection::update(conn, temp, &touched, prepared)?;
        let mut planned = planned.iter().peekable();
        while let Some(&(stream, sequence, claim)) = planned.next() {
            // A stream's version once, after its last event of the batch.
            let last_of_stream = planned.peek().is_none_or(|next| next.0 != stream);
            known.note_parts(stream, last_of_stream.then_some(sequence), claim);
        }
        *head = appended.head;
        Ok(appended)
    }

    /// Writes the chain head and the checked head, commits, syncs, and links the file into place; then opens it
    /// as a store.
    ///
    /// The chain head is also recorded as checked (what
    /// [`SqliteStore::verify_tail`] starts from): the load computed every
    /// hash of the file itself, in one transaction on a file nobody else
    /// could see, so the first tail check has nothing to walk.
    /// [`SqliteStore::verify_full`] still walks the whole chain.
    ///
    /// # Errors
    /// An earlier failure of the load, the file's failure, or
    /// [`OpenError::AlreadyExists`] if something appeared at the target
    /// meanwhile (it is left as it is).
    pub fn finish(mut self) -> Result<SqliteStore, OpenError> {
        if self.failed {
            return Err(self.ended().into());
        }
        // The claims go in while the file is still written back as it grows.
        let claims = std::mem::take(&mut self.known.claims);
        let conn = self.conn.as_ref().ok_or_else(|| self.ended())?;
        write_claims(conn, &self.temp, claims)?;
        // No write-back while the file is committed, switched to WAL and
        // synced below; a page it failed to write fails the load.
        if let Some(write_back) = self.write_back.take() {
            write_back
                .finish()
                .map_err(io_err(&self.temp, "write the loaded file to disk"))?;
        }
        let conn = self.conn.take().ok_or_else(|| self.ended())?;
        let temp = self.temp.clone();
        let err = |op| {
            let temp = temp.clone();
            move |e| db_err(&temp, op, e)
        };
        let head = self.head;
        for table in ["chain_head", "verified_head"] {
            conn.execute(
                &format!("UPDATE {table} SET position = ?1, hash = ?2 WHERE id = 1"),
                params![to_sql(head.position), &head.hash.0[..]],
            )
            .map_err(err("record the chain head"))?;
        }
        conn.execute_batch("COMMIT")
            .map_err(err("commit the load"))?;
        // The file is left as every store is: in WAL mode, with normal
        // locking, SQLite's own checks passing.
        conn.pragma_update(None, "locking_mode", "NORMAL")
            .map_err(err("finish the load"))?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(err("finish the load"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(ReadError::Backend {
                path: temp.clone(),
                operation: "finish the load",
                source: format!("SQLite kept journal mode {mode:?} instead of WAL").into(),
            }
            .into());
        }
        conn.close()
            .map_err(|(_, e)| db_err(&temp, "close the loaded file", e))?;
        // Closing the last connection checkpoints and removes `-wal` and
        // `-shm`; only the file itself is linked into place.
        let linked = fs::File::open(&temp)
            .and_then(|f| f.sync_all())
            .and_then(|()| fs::hard_link(&temp, &self.target));
        self.remove_temp();
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(OpenError::AlreadyExists {
                    path: self.target.clone(),
                });
            }
            Err(e) => return Err(io_err(&self.target, "put the loaded file in place")(e).into()),
        }
        fsync_dir(&self.target);
        SqliteStore::open(&self.target)
    }

    fn remove_temp(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = fs::remove_file(sibling(&self.temp, suffix));
        }
    }
}

/// Writes every claim of the load into the claims table, in its key order.
///
/// The claims are checked as the batches come (against [`Known`]), but
/// written only when the load finishes, sorted, so that the table's one
/// b-tree (keyed by kind, number and claim) only ever grows at its end.
/// Written as they came, each went to a random place (a new action's id
/// is as random as its planning date among those of the items around
/// it): a sixth of the storing thread's time at a million items, against
/// a few seconds here (docs/performance.md).
fn write_claims(
    conn: &Connection,
    temp: &Path,
    claims: foldhash::HashMap<Claim, StreamId>,
) -> Result<(), OpenError> {
    let mut claims: Vec<(Claim, StreamId)> = claims.into_iter().collect();
    // `Claim`'s order is the table's key order: kinds in the order of
    // their codes, references by number, actions by id (a UUID's bytes
    // sort as its text does, and every action's text has the same prefix).
    claims.sort_unstable();
    let err = |op| move |e| db_err(temp, op, e);
    // Many rows to a statement: a claim is a small row, and SQLite's work
    // per statement run is then a large part of writing one.
    let sql = format!(
        "INSERT INTO claims (claim, kind, number, stream) VALUES {}",
        vec!["(?, ?, ?, ?)"; CLAIMS_PER_INSERT].join(", ")
    );
    let mut many = conn.prepare(&sql).map_err(err("index claims"))?;
    let mut one = EventRows::prepare(conn, temp)?;
    // Each text is formatted into one buffer and bound from it (SQLite
    // copies what is bound), not allocated claim by claim.
    let mut text = String::new();
    let fmt_err = |e: std::fmt::Error| ReadError::Backend {
        path: temp.to_owned(),
        operation: "index claims",
        source: Box::new(e),
    };
    for chunk in claims.chunks(CLAIMS_PER_INSERT) {
        if chunk.len() < CLAIMS_PER_INSERT {
            for (claim, stream) in chunk {
                one.write_claim(*claim, &stream.to_string())?;
            }
            continue;
        }
        for (i, (claim, stream)) in chunk.iter().enumerate() {
            let at = 4 * i;
            text.clear();
            write!(text, "{claim}").map_err(fmt_err)?;
            many.raw_bind_parameter(at + 1, text.as_str())
                .and_then(|()| many.raw_bind_parameter(at + 2, claim_kind(*claim)))
                .and_then(|()| many.raw_bind_parameter(at + 3, i64::from(claim.number())))
                .map_err(err("index claims"))?;
            text.clear();
            write!(text, "{stream}").map_err(fmt_err)?;
            many.raw_bind_parameter(at + 4, text.as_str())
                .map_err(err("index claims"))?;
        }
        many.raw_execute().map_err(err("index claims"))?;
    }
    Ok(())
}

/// The rows of a prepared batch's events as planned, to be written many to
/// a statement once the whole batch is planned: SQLite's work per
/// statement run is a large part of writing one event. The bodies stay in
/// the [`PreparedBatch`]; a stream's text is kept once for each run of its
/// events.
#[derive(Default)]
struct EventBuffer {
    /// Position, sequence, chain hash, and where the stream's text is in
    /// `streams`.
    rows: Vec<(u64, u64, [u8; 32], Range<usize>)>,
    streams: String,
}

impl EventBuffer {
    fn clear(&mut self) {
        self.rows.clear();
        self.streams.clear();
    }

    fn push(&mut self, p: &PlannedRow<'_>) {
        let last = self.rows.last().map(|r| r.3.clone());
        let stream = match last {
            Some(range) if self.streams.get(range.clone()) == Some(p.stream) => range,
            _ => {
                let start = self.streams.len();
                self.streams.push_str(p.stream);
                start..self.streams.len()
            }
        };
        self.rows.push((p.position, p.sequence, p.hash.0, stream));
    }

    /// Writes the rows, the `k`th with the `k`th body of `prepared`.
    fn write(
        &self,
        conn: &Connection,
        path: &Path,
        prepared: &PreparedBatch,
    ) -> Result<(), ReadError> {
        let err = |e| db_err(path, "append", e);
        let (many, one) = (events_insert(EVENTS_PER_INSERT), events_insert(1));
        let mut k = 0;
        for chunk in self.rows.chunks(EVENTS_PER_INSERT) {
            // A whole statement's worth, or the rest one by one.
            let (sql, per_run) = if chunk.len() == EVENTS_PER_INSERT {
                (&many, EVENTS_PER_INSERT)
            } else {
                (&one, 1)
            };
            let mut stmt = conn.prepare_cached(sql).map_err(err)?;
            for run in chunk.chunks(per_run) {
                for (i, (position, sequence, hash, stream)) in run.iter().enumerate() {
                    let body = prepared.body(k).ok_or_else(|| ReadError::Backend {
                        path: path.to_owned(),
                        operation: "append",
                        source: format!("the prepared batch has no body for its event {k}").into(),
                    })?;
                    k += 1;
                    let stream = self.streams.get(stream.clone()).unwrap_or_default();
                    let at = 5 * i;
                    stmt.raw_bind_parameter(at + 1, to_sql(*position))
                        .and_then(|()| stmt.raw_bind_parameter(at + 2, stream))
                        .and_then(|()| stmt.raw_bind_parameter(at + 3, to_sql(*sequence)))
                        .and_then(|()| stmt.raw_bind_parameter(at + 4, body))
                        .and_then(|()| stmt.raw_bind_parameter(at + 5, &hash[..]))
                        .map_err(err)?;
                }
                stmt.raw_execute().map_err(err)?;
            }
        }
        Ok(())
    }
}

/// What [`BulkLoad::append_inner`] appends.
#[derive(Clone, Copy)]
enum Input<'b> {
    Batch(&'b AppendBatch),
    Prepared(&'b PreparedBatch),
}

/// Events written by one run of [`EventBuffer::write`]'s insert statement.
const EVENTS_PER_INSERT: usize = 32;

/// An insert of `rows` events.
fn events_insert(rows: usize) -> String {
    format!(
        "INSERT INTO events (position, stream, sequence, body, hash) VALUES {}",
        vec!["(?, ?, ?, ?, ?)"; rows].join(", ")
    )
}

/// Claims written by one run of [`write_claims`]'s insert statement.
const CLAIMS_PER_INSERT: usize = 128;

/// A thread that, while a load runs, writes the dirty pages of its file to
/// disk (`fdatasync`) and then drops them from the operating system's page
/// cache (`posix_fadvise` with `POSIX_FADV_DONTNEED`), every
/// [`WRITE_BACK_EVERY`]; on Linux and Android, and nowhere else.
///
/// A load writes each page of its file once and keeps the pages it goes
/// back to in SQLite's own cache, so the kernel's copy of the file buys it
/// nothing and costs it dearly: at 1,000,000 items (a 12.8 GB file),
/// copying into an ever-growing page cache was a third of the storing
/// thread's time on a 2-core virtual machine, and it pushed everything
/// else out of the cache (docs/performance.md). Pages written back and
/// dropped are reused for the next ones instead.
///
/// A failure to write the file stops the thread and fails the load at its
/// next append or in [`BulkLoad::finish`]: the kernel reports a failed
/// write once, to the first sync that asks, so the later sync in `finish`
/// would not see it.
/// Dropping it stops the thread and waits for it.
struct WriteBack {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl WriteBack {
    /// Starts writing `path` back; `None` where the platform has no
    /// `posix_fadvise`, or if the file cannot be opened or the thread
    /// started (the load then runs as it would without).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn start(path: &Path) -> Option<Self> {
        let file = fs::File::open(path).ok()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new()
            .name("isms-load-write-back".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(WRITE_BACK_EVERY)
                {
                    // Only clean pages can be dropped: sync first. The
                    // advice is only advice; its failure changes nothing.
                    file.sync_data()?;
                    let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
                }
                Ok(())
            })
            .ok()?;
        Some(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn start(_path: &Path) -> Option<Self> {
        None
    }

    /// Whether the thread stopped by itself, which it does only when a
    /// sync fails.
    fn stopped_early(&self) -> bool {
        self.thread
            .as_ref()
            .is_some_and(thread::JoinHandle::is_finished)
    }

    /// Stops the thread, waits for it, and returns the failure that
    /// stopped it early, if one did.
    fn finish(mut self) -> std::io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> std::io::Result<()> {
        drop(self.stop.take());
        match self.thread.take().map(thread::JoinHandle::join) {
            None | Some(Ok(Ok(()))) => Ok(()),
            Some(Ok(Err(e))) => Err(e),
            Some(Err(_)) => Err(std::io::Error::other("the write-back thread panicked")),
        }
    }
}

impl Drop for WriteBack {
    fn drop(&mut self) {
        // A load being dropped is thrown away: what its file failed no
        // longer matters.
        let _ = self.stop_and_join();
    }
}

/// What each batch of a load fills and empties again, kept from one batch
/// to the next: a run's vectors are megabytes, and new ones for each batch
/// were pages the operating system had to hand over zeroed each time.
#[derive(Default)]
struct Scratch {
    /// What a batch placed, noted into [`Known`] once the whole batch
    /// passed.
    planned: Vec<(StreamId, u64, Option<Claim>)>,
    /// A prepared batch's events' rows, written once it is planned.
    buffer: EventBuffer,
}

impl Known {
    /// Notes a placed event's claim and, given its sequence, its stream's
    /// version.
    fn note_parts(&mut self, stream: StreamId, sequence: Option<u64>, claim: Option<Claim>) {
        if let Some(sequence) = sequence {
            self.versions.insert(stream, sequence);
        }
        if let Some(c) = claim {
            self.claims.insert(c, stream);
            let slot = match c {
                Claim::Nonconformity(_) => Some(0),
                Claim::Improvement(_) => Some(1),
                Claim::Action(_) => None,
            };
            if let Some(k) = slot {
                self.last_numbers[k] = self.last_numbers[k].max(c.number());
            }
        }
    }
}

impl Drop for BulkLoad {
    fn drop(&mut self) {
        // An unfinished or failed load leaves nothing: the write-back
        // stops and the connection is closed before the file is removed.
        drop(self.write_back.take());
        drop(self.conn.take());
        // After a finish that linked the file into place there is nothing
        // left to remove; after one that failed, this is its file.
        self.remove_temp();
    }
}

impl std::fmt::Debug for BulkLoad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkLoad")
            .field("target", &self.target)
            .field("temp", &self.temp)
            .field("head", &self.head)
            .field("failed", &self.failed)
            .finish()
    }
}

/// Removes the temporary files of earlier loads into `target` that ended
/// without finishing or dropping (a kill, Ctrl-C, a crash): each would
/// otherwise stay beside the target, as large as the register it was
/// filling. A file is removed only if its name is `<target>.loading-`
/// followed by digits, it is empty or an SQLite file of ours (or not yet
/// marked as anyone's), and no connection holds a lock on it: a running
/// load holds an exclusive lock from its first write to its last. Returns
/// what was removed; a file that cannot be checked or removed is left.
fn remove_abandoned(target: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (target.parent(), target.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut prefix = name.to_os_string();
    prefix.push(".loading-");
    let Some(prefix) = prefix.to_str() else {
        return Vec::new();
    };
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(prefix)) else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        if is_abandoned_load(&path) && fs::remove_file(&path).is_ok() {
            // A load killed while finishing may have left WAL files.
            for suffix in ["-wal", "-shm", "-journal"] {
                let _ = fs::remove_file(sibling(&path, suffix));
            }
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// Whether `path` is a load's file (empty, or SQLite with our application
/// id or none yet) that no connection holds.
fn is_abandoned_load(path: &Path) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.file_type().is_file() {
        return false;
    }
    if meta.len() > 0 {
        let mut header = [0u8; 100];
        let read = fs::File::open(path).and_then(|mut f| {
            use std::io::Read;
            f.read_exact(&mut header)
        });
        if read.is_err() || &header[..16] != b"SQLite format 3\0" {
            return false;
        }
        let id = i32::from_be_bytes([header[68], header[69], header[70], header[71]]);
        if id != 0 && id != crate::APPLICATION_ID {
            return false;
        }
    }
    // A running load holds an exclusive lock: taking one here fails at
    // once (no busy timeout) while it runs.
    let Ok(conn) = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) else {
        return false;
    };
    let free = conn.execute_batch("BEGIN EXCLUSIVE; ROLLBACK").is_ok();
    drop(conn);
    free
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use std::path::Path;
    use std::{fs, thread};

    use super::{WRITE_BACK_EVERY, WriteBack};

    /// `/dev/null` cannot be synced (`EINVAL`): a stand-in for a disk that
    /// fails a write, which the kernel reports once, to this thread's sync.
    #[test]
    fn a_write_back_that_fails_says_so_when_it_finishes() {
        let write_back = WriteBack::start(Path::new("/dev/null")).expect("started");
        thread::sleep(WRITE_BACK_EVERY * 2);
        assert!(write_back.stopped_early(), "a failed sync stops the thread");
        let err = write_back.finish().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{err}");
    }

    #[test]
    fn a_write_back_of_a_file_finishes_cleanly() {
        let path = std::env::temp_dir().join(format!("isms-write-back-{}", std::process::id()));
        fs::write(&path, b"pages").unwrap();
        let write_back = WriteBack::start(&path).expect("started");
        thread::sleep(WRITE_BACK_EVERY * 2);
        assert!(!write_back.stopped_early());
        write_back.finish().unwrap();
        fs::remove_file(&path).unwrap();
    }
}
