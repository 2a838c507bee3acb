//! The database, the actor and the clock of one invocation; opening the
//! store, addressing items, and running commands through the handler.

use std::collections::HashMap;
use std::fs::File;
use std::fs::TryLockError;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, SubsecRound as _, Utc};
use isms_core::{
    ActionId, ActionRef, Actor, ActorId, Command, Event, Improvement, ImprovementId,
    ImprovementRef, Item, NcRef, Nonconformity, NonconformityId, Policy, PolicyWarning, StreamId,
};
use isms_store::{
    AppendBatch, CommandHandler, EventStore, ExpectedVersion, Invocation, Outcome, Selection,
    StreamAppend,
};
use isms_store::{CheckpointSigner, OpenError, PublicKey};
use isms_store_sqlite::{MigrationProgress, Options, SqliteStore};

use crate::backend::{Store, Target};

use crate::error::{CliError, io};
use crate::parse;

/// The register file when neither `--db` nor `$ISMS_DB` says.
pub const DEFAULT_DB: &str = "isms.db";

/// One invocation's settings.
pub struct Session {
    /// The database file.
    pub db: PathBuf,
    /// Whether the user named the database (`--db` or `$ISMS_DB`).
    pub db_given: bool,
    actor: Option<String>,
    /// The instant the invocation started, to the second.
    pub now: DateTime<Utc>,
    /// `--signing-key` / `$ISMS_SIGNING_KEY`.
    pub signing_key: Option<PathBuf>,
    /// `--public-key` / `$ISMS_PUBLIC_KEY`.
    pub public_key: Option<String>,
    /// `--allow-unverified`.
    pub allow_unverified: bool,
    /// Set when a read went on over a chain that does not verify
    /// (`--allow-unverified`): what was wrong, for the output to say so.
    unverified: std::cell::RefCell<Option<String>>,
    /// The shipped catalogue with the user's frameworks, when any are
    /// loaded (`None`: the shipped one).
    catalog: Option<isms_catalog::Catalog>,
    /// The policy in force now, read from the register once.
    policy: std::cell::OnceCell<Policy>,
}

/// A store opened for writing one command.
pub struct Writer {
    /// The handler over the store.
    pub handler: CommandHandler<Store>,
}

impl Session {
    /// From the global options.
    ///
    /// # Errors
    /// `$ISMS_NOW` set to something that is not an instant.
    pub fn new(db: Option<PathBuf>, actor: Option<String>) -> Result<Self, CliError> {
        Ok(Self {
            db_given: db.is_some(),
            db: db.unwrap_or_else(|| PathBuf::from(DEFAULT_DB)),
            actor,
            now: recording_clock()?,
            signing_key: None,
            public_key: None,
            allow_unverified: false,
            unverified: std::cell::RefCell::new(None),
            catalog: None,
            policy: std::cell::OnceCell::new(),
        })
    }

    /// The same session resolving requirement references against the
    /// shipped catalogue plus the frameworks in `files`.
    ///
    /// # Errors
    /// A framework file that is missing, too large, invalid or whose key is
    /// taken ([`crate::catalogs::load`]).
    pub fn with_user_frameworks(mut self, files: &[PathBuf]) -> Result<Self, CliError> {
        self.catalog = crate::catalogs::load(files)?;
        Ok(self)
    }

    /// The catalogue requirement references are resolved against.
    pub fn catalog(&self) -> &isms_catalog::Catalog {
        self.catalog
            .as_ref()
            .unwrap_or_else(|| isms_catalog::Catalog::shipped())
    }

    /// The same session with the checkpoint options of the command line.
    pub fn with_keys(
        mut self,
        signing_key: Option<PathBuf>,
        public_key: Option<String>,
        allow_unverified: bool,
    ) -> Self {
        self.signing_key = signing_key;
        self.public_key = public_key;
        self.allow_unverified = allow_unverified;
        self
    }

    /// The signing key, when one is given; a missing or malformed file is
    /// an error (a write must not go unsigned because of a typo).
    pub fn signer(&self) -> Result<Option<CheckpointSigner>, CliError> {
        let Some(path) = &self.signing_key else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(crate::error::input(path))?;
        CheckpointSigner::from_key_file(&text)
            .map(Some)
            .map_err(|e| CliError::InvalidInput {
                file: path.clone(),
                problems: vec![e.to_string()],
            })
    }

    /// The keys whose checkpoints are trusted: `--public-key` and the
    /// signing key's public half.
    pub fn trusted_keys(&self) -> Result<Vec<PublicKey>, CliError> {
        let mut keys = Vec::new();
        if let Some(text) = &self.public_key {
            keys.push(
                PublicKey::from_hex(text)
                    .map_err(|e| CliError::Usage(format!("--public-key: {e}")))?,
            );
        }
        if let Some(signer) = self.signer()? {
            keys.push(signer.public_key());
        }
        Ok(keys)
    }

    /// What was wrong with the chain when a read went on anyway
    /// (`--allow-unverified`), if it did.
    pub fn unverified(&self) -> Option<String> {
        self.unverified.borrow().clone()
    }

    /// Where an export made now comes from: `head`, the latest
    /// `checkpoint`, and whether the chain verified (it did unless a check
    /// went on over a failure with `--allow-unverified`).
    pub fn provenance(
        &self,
        head: isms_store::ChainHead,
        checkpoint: Option<&isms_store::Checkpoint>,
    ) -> isms_schema::Provenance {
        let problem = self.unverified();
        isms_schema::Provenance {
            head_position: head.position,
            head_hash: head.hash.to_string(),
            checkpoint: checkpoint.map(|c| isms_schema::ProvenanceCheckpoint {
                position: c.position,
                hash: c.hash.to_string(),
                at: c.at,
                key_id: c.key_id.clone(),
                public_key: c.public_key.to_string(),
                signature: String::from(c.signature),
            }),
            verified: problem.is_none(),
            problem,
            exported_at: self.now,
        }
    }

    /// The incremental check of the chain every read and write runs first
    /// (from the latest checkpoint to the head). A read with
    /// `--allow-unverified` goes on over tampering, saying so on stderr.
    fn check_chain(&self, store: &Store, reading: bool) -> Result<(), CliError> {
        let result = store.verify_tail(&self.trusted_keys()?).map(|_| ());
        self.allow(result, reading)
    }

    /// For a read of the whole log (an export): the whole chain, from the
    /// first event, as it costs no more than the read itself; an edit
    /// before the latest checkpoint is refused too.
    pub fn check_whole_chain(&self, store: &Store) -> Result<(), CliError> {
        let result = store.verify().map(|_| ());
        self.allow(result, true)
    }

    /// `result` of a check, or the read going on over it with
    /// `--allow-unverified` (saying so on stderr).
    pub fn allow(
        &self,
        result: Result<(), isms_store::VerifyError>,
        reading: bool,
    ) -> Result<(), CliError> {
        match result {
            Ok(()) => Ok(()),
            Err(e) if reading && self.allow_unverified && e.is_tampering() => {
                eprintln!(
                    "isms: UNVERIFIED OUTPUT: the register does not verify ({e}); what follows may show data changed outside isms"
                );
                crate::output::mark_unverified(&e.to_string());
                self.unverified.borrow_mut().get_or_insert(e.to_string());
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// After a write: checks the chain from the last checked head to the
    /// new one (the events just written, when the write started from a
    /// checked chain), records the new head as checked, and signs a
    /// checkpoint of it when a signing key is given.
    pub fn seal(&self, store: &mut Store) -> Result<(), CliError> {
        let head = store.verify_tail(&self.trusted_keys()?)?.head;
        if let Some(signer) = self.signer()? {
            let latest = store.latest_checkpoint()?;
            if latest.is_none_or(|c| c.head() != head) {
                store.record_checkpoint(&signer.sign(head, Utc::now()))?;
            }
        }
        store.record_verified(head)?;
        Ok(())
    }

    /// The acting party: `--as`, `$ISMS_ACTOR`, else the OS user name.
    pub fn actor(&self) -> Result<ActorId, CliError> {
        let name = self
            .actor
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("USERNAME").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                CliError::Usage("who is acting? pass --as NAME or set $ISMS_ACTOR".into())
            })?;
        ActorId::new(name).map_err(|e| CliError::Usage(format!("--as: {e}")))
    }

    /// The policy in force in the register now (its latest adoption at or
    /// before this invocation, `isms policy set`; the default policy for a
    /// register that never adopted one, or one that does not exist yet),
    /// whose time zone (`Policy::time_zone`) every calendar date the
    /// command line takes or judges is in: a date given for `--at`, "today"
    /// for `--overdue`, the months and overdue items of `kpi` and
    /// `report`, the policy imports are decided under. Every use goes
    /// through here; the register is read once per invocation. Commands
    /// themselves are decided under the policy in force at their own
    /// effective time ([`Session::writer`]).
    pub fn policy(&self) -> Result<Policy, CliError> {
        if let Some(p) = self.policy.get() {
            return Ok(p.clone());
        }
        let policy = match self.target()? {
            Target::File(path) if !path.exists() => Policy::default(),
            _ => {
                let store = self.open_unchecked()?;
                crate::policy::history(&store)?
                    .policy_at(self.now, &Policy::default())
                    .clone()
            }
        };
        Ok(self.policy.get_or_init(|| policy).clone())
    }

    /// The organisation's calendar date at the start of this invocation.
    pub fn today(&self, policy: &Policy) -> chrono::NaiveDate {
        policy.local_date(self.now)
    }

    /// `--at`, or now; a date alone is the start of that day in the
    /// policy's time zone.
    pub fn at(&self, at: Option<&str>) -> Result<DateTime<Utc>, CliError> {
        match at {
            None => Ok(self.now),
            Some(t) => parse::instant("--at", t, self.policy()?.time_zone),
        }
    }

    /// Opens the existing store (migrating an older schema, and saying so
    /// on stderr while it builds new tables from the log).
    pub fn open(&self) -> Result<Store, CliError> {
        Store::open(&self.target()?, open_sqlite)
    }

    /// `--db` as output and messages show it: a server URL with its
    /// password, if any, as `***`.
    pub fn db_shown(&self) -> String {
        crate::backend::redact(&self.db.to_string_lossy())
    }

    /// Where the register is: a file, or a register on a PostgreSQL server.
    pub fn target(&self) -> Result<Target, CliError> {
        Target::of(&self.db)
    }

    /// [`Session::open`], then the incremental check of the chain: a write
    /// never goes onto a chain that does not verify.
    pub fn open_checked(&self) -> Result<Store, CliError> {
        let store = self.open()?;
        self.check_chain(&store, false)?;
        Ok(store)
    }

    /// [`Session::open_unchecked`], then the incremental check of the
    /// chain from the latest checkpoint to the head: every reading command
    /// refuses a broken chain (exit 6) unless `--allow-unverified`.
    pub fn open_read(&self) -> Result<Store, CliError> {
        let store = self.open_unchecked()?;
        self.check_chain(&store, true)?;
        Ok(store)
    }

    /// Opens the existing store for reading only: the register is never
    /// changed, no lock file is needed, and a register in a read-only
    /// folder, or on read-only media, can be read (see
    /// `SqliteStore::open_with` for SQLite's `-wal` and `-shm` files). An
    /// older schema needs one read-write open to migrate; that is tried
    /// then, as [`Session::open`] would. No check of the chain: for
    /// `verify` and `backup`, which check it all.
    pub fn open_unchecked(&self) -> Result<Store, CliError> {
        Store::open(&self.target()?, |path| {
            let options = Options::default().read_only(true);
            match SqliteStore::open_with(path, options) {
                Err(OpenError::OlderSchemaReadOnly { .. }) => open_sqlite(path),
                other => Ok(other?),
            }
        })
    }

    /// Opens the existing store for one command. No lock is taken: the
    /// handler reads only the target item and the facts the command needs,
    /// and the store's append refuses a stale decision (the item moved on),
    /// upon which the handler decides again; a new item's reference is
    /// given out by the store inside the append. Concurrent writers on
    /// different items never wait for each other beyond the store's commit.
    pub fn writer(&self) -> Result<Writer, CliError> {
        let mut store = self.open_checked()?;
        store.sign_appends(self.signer()?);
        Ok(Writer {
            // The base: the policy before the register's first adoption.
            // The handler decides each command under the one in force at
            // its effective time.
            handler: CommandHandler::new(store, Policy::default()),
        })
    }

    /// The inter-process lock beside the database (`<db>.lock`), held by
    /// the commands that replace or fill a whole register (`generate`,
    /// `import`, `restore`, `rebuild`), so that two of them do not
    /// interleave.
    /// Single commands do not take it (see [`Session::writer`]).
    ///
    /// Waits at most [`lock_timeout`] for another process to release it,
    /// then gives up with [`CliError::LockTimeout`] (exit 5).
    ///
    /// A register on PostgreSQL has no file beside it: `None`. Its appends
    /// are serialised by the server (one lock per register), and a command
    /// that needs an empty register checks that in its own append.
    pub fn lock(&self) -> Result<Option<File>, CliError> {
        if let Target::Postgres { .. } = self.target()? {
            return Ok(None);
        }
        let timeout = lock_timeout()?;
        let mut name = self.db.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = self.db.with_file_name(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(&path))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(file)),
                Err(TryLockError::WouldBlock) if start.elapsed() < timeout => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(CliError::LockTimeout { path, timeout });
                }
                Err(TryLockError::Error(e)) => return Err(io(&path)(e)),
            }
        }
    }

    /// Runs one command as the actor at `at`; prints policy warnings.
    pub fn execute(
        &self,
        writer: &mut Writer,
        command: Command,
        at: Option<&str>,
    ) -> Result<Outcome, CliError> {
        let invocation = self.invocation(writer, self.at(at)?)?;
        let outcome = writer.handler.handle(&command, &invocation)?;
        self.seal(writer.handler.store_mut())?;
        print_warnings(&outcome.warnings);
        Ok(outcome)
    }

    /// The invocation of a command effective at `at`: the actor with the
    /// roles the policy in force at `at` gives it (its `roles` table; the
    /// command line knows no other source of roles), fresh entropy, and
    /// the recording time.
    pub fn invocation(&self, writer: &Writer, at: DateTime<Utc>) -> Result<Invocation, CliError> {
        let policies = writer.handler.policies()?;
        let actor = policies
            .policy_at(at, writer.handler.policy())
            .grant_roles(Actor::new(self.actor()?));
        Ok(Invocation::new(actor, at)
            .with_entropy(entropy())
            .with_recorded_at(self.now))
    }
}

/// Prints a decision's policy warnings on stderr.
pub fn print_warnings(warnings: &[PolicyWarning]) {
    for w in warnings {
        eprintln!("warning: {}", warning_text(w));
    }
}

/// Opens a SQLite register read-write, migrating an older schema.
fn open_sqlite(path: &Path) -> Result<SqliteStore, CliError> {
    let options = Options::default().progress(migration_progress);
    Ok(SqliteStore::open_with(path, options)?)
}

/// Prints how a schema migration goes: once when a version starts, every
/// 100,000 events, items or claims, and when it is done.
fn migration_progress(p: MigrationProgress) {
    if p.finished {
        eprintln!(
            "isms: migrated the register to schema version {} ({} {})",
            p.version,
            p.done,
            p.counting()
        );
    } else if p.done == 0 {
        eprintln!(
            "isms: migrating the register to schema version {}...",
            p.version
        );
    } else if p.done.is_multiple_of(100_000) {
        eprintln!(
            "isms:   schema version {}: {} {} done",
            p.version,
            p.done,
            p.counting()
        );
    }
}

/// The environment variable that sets the clock `isms` reads (see
/// [`recording_clock`]).
pub const NOW_VAR: &str = "ISMS_NOW";

/// Now, by the clock `isms` reads: the system clock to the second, or
/// `$ISMS_NOW` (an RFC 3339 instant) for reproducible runs. It is the
/// default `--at` and the recording time kept on every event beside the
/// effective time.
pub fn recording_clock() -> Result<DateTime<Utc>, CliError> {
    match std::env::var(NOW_VAR) {
        Ok(text) if !text.trim().is_empty() => {
            // The clock's date, before any register (and its policy) is open.
            parse::instant(
                &format!("${NOW_VAR}"),
                text.trim(),
                isms_core::IanaTimeZone::UTC,
            )
        }
        _ => Ok(Utc::now().trunc_subsecs(0)),
    }
}

/// The default of [`lock_timeout`].
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a writer waits for another process's write lock:
/// `$ISMS_LOCK_TIMEOUT` seconds (a whole number, `0` for not at all), else
/// [`DEFAULT_LOCK_TIMEOUT`].
pub fn lock_timeout() -> Result<Duration, CliError> {
    let Some(text) = std::env::var_os(LOCK_TIMEOUT_VAR) else {
        return Ok(DEFAULT_LOCK_TIMEOUT);
    };
    text.to_str()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .ok_or_else(|| {
            CliError::Usage(format!(
                "${LOCK_TIMEOUT_VAR}: {text:?} is not a number of seconds; write e.g. {LOCK_TIMEOUT_VAR}=120"
            ))
        })
}

/// The environment variable that sets [`lock_timeout`].
pub const LOCK_TIMEOUT_VAR: &str = "ISMS_LOCK_TIMEOUT";

/// Fresh randomness for identifiers (the core takes entropy as an argument).
pub fn entropy() -> u128 {
    uuid::Uuid::new_v4().as_u128()
}

/// A new nonconformity id at `at`.
pub fn new_nc_id(at: DateTime<Utc>) -> NonconformityId {
    NonconformityId::v7_from_parts(millis(at), entropy_bytes())
}

/// A new improvement id at `at`.
pub fn new_improvement_id(at: DateTime<Utc>) -> ImprovementId {
    ImprovementId::v7_from_parts(millis(at), entropy_bytes())
}

/// A new action id at `at`.
pub fn new_action_id(at: DateTime<Utc>) -> ActionId {
    ActionId::v7_from_parts(millis(at), entropy_bytes())
}

fn millis(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

fn entropy_bytes() -> [u8; 10] {
    let mut out = [0; 10];
    out.copy_from_slice(&entropy().to_le_bytes()[..10]);
    out
}

fn warning_text(w: &PolicyWarning) -> String {
    match w {
        PolicyWarning::TimeLimitExceeded {
            what,
            limit_days,
            elapsed_days,
        } => format!("{what} took {elapsed_days} days; the policy's limit is {limit_days}"),
        PolicyWarning::DueAfterExternalDeadline { due, deadline } => {
            format!("the action is due {due}, after the external deadline {deadline}")
        }
        PolicyWarning::Backdated { limit_days, days } => format!(
            "the command is dated {days} days before it is recorded; the policy allows {limit_days} days of back-dating (both times are kept)"
        ),
    }
}

/// The nonconformity `text` names (`NC-0007`, `nc7` or a UUID).
pub fn resolve_nc(store: &Store, text: &str) -> Result<NonconformityId, CliError> {
    if let Ok(r) = text.parse::<NcRef>() {
        return match store.find_stream_by_reference(&r.to_string())? {
            Some(StreamId::Nonconformity(id)) => {
                check_indexed(store, &r.to_string(), StreamId::Nonconformity(id))?;
                Ok(id)
            }
            _ => Err(not_found(format!("nonconformity {r}"), store.path())),
        };
    }
    let id: NonconformityId = text.parse().map_err(|_| {
        CliError::Usage(format!(
            "{text:?} is neither a nonconformity reference (NC-0007) nor a UUID"
        ))
    })?;
    if store.stream_version(StreamId::Nonconformity(id))? == 0 {
        return Err(not_found(format!("nonconformity {id}"), store.path()));
    }
    Ok(id)
}

/// The improvement `text` names (`IMP-0003` or a UUID).
pub fn resolve_improvement(store: &Store, text: &str) -> Result<ImprovementId, CliError> {
    if let Ok(r) = text.parse::<ImprovementRef>() {
        return match store.find_stream_by_reference(&r.to_string())? {
            Some(StreamId::Improvement(id)) => {
                check_indexed(store, &r.to_string(), StreamId::Improvement(id))?;
                Ok(id)
            }
            _ => Err(not_found(format!("improvement {r}"), store.path())),
        };
    }
    let id: ImprovementId = text.parse().map_err(|_| {
        CliError::Usage(format!(
            "{text:?} is neither an improvement reference (IMP-0003) nor a UUID"
        ))
    })?;
    if store.stream_version(StreamId::Improvement(id))? == 0 {
        return Err(not_found(format!("improvement {id}"), store.path()));
    }
    Ok(id)
}

/// That the item of the stream the reference index gives for `reference`
/// carries that reference: an index pointed at another stream (changed
/// outside isms; `isms verify` reports it too) would make a command act on
/// the wrong item. Costs one stream read, which the command does anyway.
fn check_indexed(store: &Store, reference: &str, stream: StreamId) -> Result<(), CliError> {
    let found = match store.load_item(stream)? {
        Some(Item::Nonconformity(nc)) => Some(nc.reference.to_string()),
        Some(Item::Improvement(imp)) => Some(imp.reference.to_string()),
        None => None,
    };
    if found.as_deref() == Some(reference) {
        return Ok(());
    }
    Err(isms_store::VerifyError::ClaimIndex {
        claim: reference.to_owned(),
        detail: format!(
            "the index points it at {stream}, whose item is {}",
            found.as_deref().unwrap_or("not recorded")
        ),
    }
    .into())
}

fn not_found(what: String, db: &Path) -> CliError {
    CliError::NotFound {
        what: format!("{what} in {}", db.display()),
        hint: "; `isms nc list` or `isms improvement list` shows what is there".into(),
    }
}

/// The corrective action `text` names within a nonconformity (`A-2` or a UUID).
pub fn resolve_action(
    store: &Store,
    nc: NonconformityId,
    text: &str,
) -> Result<ActionId, CliError> {
    let item = load_nonconformity(store, nc)?;
    let found = if let Ok(r) = text.parse::<ActionRef>() {
        item.actions.iter().find(|a| a.reference == r).map(|a| a.id)
    } else if let Ok(id) = text.parse::<ActionId>() {
        item.actions.iter().find(|a| a.id == id).map(|a| a.id)
    } else {
        return Err(CliError::Usage(format!(
            "--action: {text:?} is neither an action reference (A-2) nor a UUID"
        )));
    };
    found.ok_or_else(|| CliError::NotFound {
        what: format!("action {text} of {}", item.reference),
        hint: format!(
            "; it has {} action(s): `isms nc show {}` lists them",
            item.actions.len(),
            item.reference
        ),
    })
}

/// One nonconformity, folded from its own stream.
pub fn load_nonconformity(store: &Store, id: NonconformityId) -> Result<Nonconformity, CliError> {
    match store.load_item(StreamId::Nonconformity(id))? {
        Some(Item::Nonconformity(nc)) => Ok(nc),
        _ => Err(CliError::Other(format!(
            "nonconformity {id}: its stream has no report"
        ))),
    }
}

/// One improvement, folded from its own stream.
pub fn load_improvement(store: &Store, id: ImprovementId) -> Result<Improvement, CliError> {
    match store.load_item(StreamId::Improvement(id))? {
        Some(Item::Improvement(imp)) => Ok(imp),
        _ => Err(CliError::Other(format!(
            "improvement {id}: its stream has no proposal"
        ))),
    }
}

/// One item's events, in order.
///
/// Each event's row is checked against its predecessor's stored hash (a
/// body edited in place shows there, wherever it is in the log); the
/// incremental check of [`Session::open_read`] covers only the events since
/// the last checked head.
pub fn item_events(s: &Session, store: &Store, stream: StreamId) -> Result<Vec<Event>, CliError> {
    let stored = store.load(Selection::Stream(stream))?;
    let positions: Vec<u64> = stored.iter().map(|e| e.position).collect();
    s.allow(store.verify_positions(&positions), true)?;
    Ok(stored.into_iter().map(|s| s.event).collect())
}

/// One append of `events` (in log order; each stream's events in their
/// order): grouped by stream, keeping the order of first appearance, each
/// stream expected at the version its first event continues (new when that
/// is the first event), so a run may also continue streams stored earlier.
/// `events` is left empty, with its capacity, for the next run.
pub fn batch_of(events: &mut Vec<Event>) -> AppendBatch {
    // A stream's events mostly follow one another: each run of them is
    // placed with one look-up, a new stream's into a vector sized for it.
    let runs: Vec<usize> = events
        .chunk_by(|a, b| a.stream == b.stream)
        .map(<[Event]>::len)
        .collect();
    let mut index: HashMap<StreamId, usize> = HashMap::new();
    let mut batch = AppendBatch::default();
    let mut events = events.drain(..);
    for len in runs {
        let mut run = events.by_ref().take(len).peekable();
        let Some((stream, sequence)) = run.peek().map(|e| (e.stream, e.sequence)) else {
            continue;
        };
        match index.get(&stream).and_then(|&i| batch.appends.get_mut(i)) {
            Some(append) => append.events.extend(run),
            None => {
                index.insert(stream, batch.appends.len());
                let mut events = Vec::with_capacity(len);
                events.extend(run);
                batch.appends.push(StreamAppend {
                    stream,
                    expected: ExpectedVersion::from_version(sequence.saturating_sub(1)),
                    events,
                });
            }
        }
    }
    batch
}

/// Appends whole streams to an empty store, in batches, with progress on a
/// terminal's stderr. Events of one stream must be in their order; streams
/// may interleave (they are grouped, keeping first appearance).
pub fn append_streams(store: &mut Store, events: Vec<Event>, label: &str) -> Result<u64, CliError> {
    let mut index: HashMap<StreamId, usize> = HashMap::new();
    let mut groups: Vec<(StreamId, Vec<Event>)> = Vec::new();
    for e in events {
        match index.get(&e.stream) {
            Some(&i) => groups[i].1.push(e),
            None => {
                index.insert(e.stream, groups.len());
                groups.push((e.stream, vec![e]));
            }
        }
    }
    let total: usize = groups.iter().map(|(_, g)| g.len()).sum();
    let show = std::io::stderr().is_terminal() && total > 50_000;
    const BATCH_EVENTS: usize = 20_000;
    let mut done = 0usize;
    let mut batch = AppendBatch::default();
    let mut in_batch = 0;
    let mut flush = |batch: &mut AppendBatch, in_batch: &mut usize, done: &mut usize| {
        if batch.appends.is_empty() {
            return Ok::<(), CliError>(());
        }
        store.append(batch)?;
        *done += *in_batch;
        *in_batch = 0;
        batch.appends.clear();
        if show {
            eprint!(
                "\r{label}: {done}/{total} events ({:.0} %)",
                *done as f64 * 100.0 / total as f64
            );
        }
        Ok(())
    };
    for (stream, events) in groups {
        in_batch += events.len();
        batch.appends.push(StreamAppend {
            stream,
            expected: ExpectedVersion::NoStream,
            events,
        });
        if in_batch >= BATCH_EVENTS {
            flush(&mut batch, &mut in_batch, &mut done)?;
        }
    }
    flush(&mut batch, &mut in_batch, &mut done)?;
    if show {
        eprintln!();
    }
    Ok(done as u64)
}

#[cfg(test)]
mod tests {
    use isms_core::Event;
    use isms_store::workload::Workload;
    use isms_store::{AppendBatch, ExpectedVersion};
    use proptest::prelude::*;

    use super::batch_of;

    /// Each stream's events with the stream's position in the batch's
    /// order of first appearance, and the version expected of it.
    fn grouped(batch: &AppendBatch) -> Vec<(String, ExpectedVersion, Vec<u64>)> {
        batch
            .appends
            .iter()
            .map(|a| {
                assert!(a.events.iter().all(|e| e.stream == a.stream));
                (
                    a.stream.to_string(),
                    a.expected,
                    a.events.iter().map(|e| e.sequence).collect(),
                )
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// However the streams interleave, each is grouped whole, in order,
        /// in the order streams first appear, expected at the version
        /// before its first event.
        #[test]
        fn a_run_is_grouped_by_stream_in_order_of_first_appearance(
            streams in 1usize..5,
            skip in proptest::collection::vec(0usize..3, 5),
            picks in proptest::collection::vec(0usize..5, 0..80),
        ) {
            let mut workload = Workload::new();
            let mut queues: Vec<std::collections::VecDeque<Event>> = (0..streams)
                .map(|k| {
                    let events = workload.lifecycle(Default::default()).unwrap_or_default();
                    // Some streams start past their first event, as a run
                    // that continues streams stored earlier does.
                    events.into_iter().skip(skip[k]).collect()
                })
                .collect();
            let mut events = Vec::new();
            for p in picks {
                if let Some(e) = queues[p % streams].pop_front() {
                    events.push(e);
                }
            }
            let mut want: Vec<(String, ExpectedVersion, Vec<u64>)> = Vec::new();
            for e in &events {
                let stream = e.stream.to_string();
                match want.iter_mut().find(|w| w.0 == stream) {
                    Some(w) => w.2.push(e.sequence),
                    None => want.push((
                        stream,
                        ExpectedVersion::from_version(e.sequence - 1),
                        vec![e.sequence],
                    )),
                }
            }
            let batch = batch_of(&mut events);
            prop_assert!(events.is_empty());
            prop_assert_eq!(grouped(&batch), want);
        }
    }
}
