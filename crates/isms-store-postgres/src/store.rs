//! [`PgStore`]: the [`EventStore`] of one register in a PostgreSQL database.

use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::path::PathBuf;

use isms_core::{Claim, Event, Item, RefKind, StreamId};
use isms_store::append::{AppendState, PlannedEvent, plan_append};
use isms_store::projection::{ItemRow, Touched, decode_facts, decode_item};
use isms_store::{
    AppendBatch, AppendError, Appended, ChainHash, ChainHead, CheckpointSigner, EventStore, Facts,
    ItemFilter, ItemKind, OpenError, ReadError, RecordedRequest, RequestId, RequestRecord,
    Selection, StoredEvent, Verified, VerifyError,
};
use postgres::error::SqlState;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;
use postgres::{Client, Config, Statement};

use crate::admin::check_schema;
use crate::register::RegisterId;

/// The event store of one register, on one connection.
///
/// The session works inside its register: it sets `isms.register` when it
/// connects, every statement names the register, and row-level security
/// refuses the rows of every other register to a role that was not granted
/// them ([`crate::Admin::grant`]), whatever SQL is sent.
pub struct PgStore {
    pub(crate) client: RefCell<Session>,
    pub(crate) register: RegisterId,
    pub(crate) label: PathBuf,
    /// Signs a checkpoint of the new head in every append's transaction.
    pub(crate) signer: Option<CheckpointSigner>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("register", &self.register)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// A connection with its prepared statements.
pub(crate) struct Session {
    pub(crate) client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl Session {
    pub(crate) fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }
}

/// Where a store is, for messages: `postgres://user@host:port/db?register=NAME`
/// (never the password).
pub(crate) fn label_of(config: &Config, register: &RegisterId) -> PathBuf {
    let mut label = server_label(config).into_os_string();
    label.push(format!("?register={register}"));
    PathBuf::from(label)
}

/// Where a database is, for messages: `postgres://user@host:port/db`
/// (never the password).
pub(crate) fn server_label(config: &Config) -> PathBuf {
    let user = config.get_user().unwrap_or("");
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_default();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config.get_dbname().unwrap_or("");
    PathBuf::from(format!("postgres://{user}@{host}:{port}/{db}"))
}

/// A PostgreSQL failure as a [`ReadError`] (the medium failing).
pub(crate) fn pg_err(
    label: &std::path::Path,
    operation: &'static str,
    e: postgres::Error,
) -> ReadError {
    ReadError::Backend {
        path: label.to_owned(),
        operation,
        source: Box::new(ServerError(e)),
    }
}

/// A `postgres::Error` whose message is the server's (its own `Display`
/// says only "db error").
#[derive(Debug)]
pub struct ServerError(pub postgres::Error);

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.as_db_error() {
            Some(db) => write!(f, "{} (SQLSTATE {})", db.message(), db.code().code()),
            None => match std::error::Error::source(&self.0) {
                Some(cause) => write!(f, "{}: {cause}", self.0),
                None => write!(f, "{}", self.0),
            },
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

pub(crate) fn to_sql(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn from_sql(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn claim_kind(claim: Claim) -> i16 {
    match claim {
        Claim::Nonconformity(_) => 1,
        Claim::Improvement(_) => 2,
        Claim::Action(_) => 3,
    }
}

const HEAD_FOR_UPDATE: &str =
    "SELECT head_position, head_hash FROM isms.registers WHERE register = $1 FOR UPDATE";
pub(crate) const HEAD: &str =
    "SELECT head_position, head_hash FROM isms.registers WHERE register = $1";
const STREAM_VERSION: &str = "SELECT coalesce(max(sequence), 0)::bigint FROM isms.events
     WHERE register = $1 AND stream = $2";
const CLAIM_HOLDER: &str = "SELECT stream FROM isms.claims WHERE register = $1 AND claim = $2";
const LAST_NUMBER: &str =
    "SELECT coalesce(max(number), 0) FROM isms.claims WHERE register = $1 AND kind = $2";
const REQUEST_SEEN: &str = "SELECT 1 FROM isms.requests WHERE register = $1 AND request_id = $2";
const INSERT_EVENTS: &str =
    "INSERT INTO isms.events (register, position, stream, sequence, body, hash)
     SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])";
const INSERT_CLAIMS: &str = "INSERT INTO isms.claims (register, claim, kind, number, stream)
     SELECT $1, * FROM unnest($2::text[], $3::smallint[], $4::integer[], $5::text[])";
const STREAM_BODIES: &str = "SELECT position, body FROM isms.events
     WHERE register = $1 AND stream = $2 ORDER BY sequence";
const UPSERT_ITEM: &str = "INSERT INTO isms.items
     (register, stream, kind, number, state, owner, severity, next_due, version, position, body)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (register, stream) DO UPDATE SET
         kind = excluded.kind, number = excluded.number, state = excluded.state,
         owner = excluded.owner, severity = excluded.severity, next_due = excluded.next_due,
         version = excluded.version, position = excluded.position, body = excluded.body";
const UPSERT_FACTS: &str = "INSERT INTO isms.kpi_facts (register, kind, number, facts)
     VALUES ($1, $2, $3, $4)
     ON CONFLICT (register, kind, number) DO UPDATE SET facts = excluded.facts";
const MOVE_HEAD: &str =
    "UPDATE isms.registers SET head_position = $2, head_hash = $3 WHERE register = $1";
const RECORD_REQUEST: &str = "INSERT INTO isms.requests
     (register, request_id, fingerprint, first_position, last_position, warnings)
     VALUES ($1, $2, $3, $4, $5, $6)";
const NOTIFY: &str = "SELECT pg_notify($1, $2)";
pub(crate) const INSERT_CHECKPOINT: &str =
    "INSERT INTO isms.checkpoints (register, position, key_id, body) VALUES ($1, $2, $3, $4)
     ON CONFLICT DO NOTHING";

impl PgStore {
    /// Connects to the database at `url` (a libpq URL or key-value string,
    /// `postgres://app@db.example/isms`) and works inside `register`. TLS
    /// follows `sslmode` and `sslrootcert` in the string, as in libpq
    /// ([`crate::SslMode`]; `prefer` when not given).
    ///
    /// # Errors
    /// [`ReadError::Backend`] (as [`OpenError::Storage`]) when the server
    /// cannot be reached or refuses the login, or TLS fails (its `source`
    /// is then a [`crate::TlsError`]); [`OpenError::NotOurDatabase`]
    /// when the database has no
    /// isms schema (run [`crate::Admin::migrate`]);
    /// [`OpenError::NewerSchema`] / [`OpenError::OlderSchemaReadOnly`]
    /// when its schema is not the one this build writes;
    /// [`OpenError::NotFound`] when the register does not exist or this
    /// role may not work in it.
    pub fn connect(url: &str, register: &RegisterId) -> Result<Self, OpenError> {
        let (client, label) = crate::tls::open(url, |config| label_of(config, register))?;
        Self::from_client(client, register, label)
    }

    /// Works inside `register` on a connection the caller opened (from its
    /// own pool, with its own TLS). `label` names the store in messages.
    ///
    /// # Errors
    /// As [`PgStore::connect`].
    pub fn from_client(
        mut client: Client,
        register: &RegisterId,
        label: PathBuf,
    ) -> Result<Self, OpenError> {
        check_schema(&mut client, &label)?;
        client
            .execute(
                "SELECT set_config('isms.register', $1, false)",
                &[&register.as_str()],
            )
            .map_err(|e| pg_err(&label, "choose the register", e))?;
        let found = client
            .query_opt(HEAD, &[&register.as_str()])
            .map_err(|e| pg_err(&label, "open the register", e))?;
        if found.is_none() {
            return Err(OpenError::NotFound { path: label });
        }
        Ok(Self {
            client: RefCell::new(Session {
                client,
                statements: HashMap::new(),
            }),
            register: register.clone(),
            label,
            signer: None,
        })
    }

    /// Whether this connection is encrypted, as the server sees it
    /// (`pg_stat_ssl` of this session): what `sslmode` obtained.
    ///
    /// # Errors
    /// A [`ReadError`] naming the store.
    pub fn encrypted(&self) -> Result<bool, ReadError> {
        let mut session = self.session()?;
        let row = session
            .client
            .query_one(
                "SELECT coalesce((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .map_err(self.err("ask whether the connection is encrypted"))?;
        row.try_get(0)
            .map_err(self.err("ask whether the connection is encrypted"))
    }

    /// The register this store works in.
    pub fn register(&self) -> &RegisterId {
        &self.register
    }

    /// Where the store is, for messages (`postgres://user@host:port/db?register=NAME`).
    pub fn label(&self) -> &std::path::Path {
        &self.label
    }

    pub(crate) fn session(&self) -> Result<RefMut<'_, Session>, ReadError> {
        self.client.try_borrow_mut().map_err(|e| ReadError::Backend {
            path: self.label.clone(),
            operation: "use the connection (it is busy with a read whose callback called the store again)",
            source: Box::new(e),
        })
    }

    pub(crate) fn err(
        &self,
        operation: &'static str,
    ) -> impl Fn(postgres::Error) -> ReadError + '_ {
        move |e| pg_err(&self.label, operation, e)
    }

    /// Hands every `kpi_facts` row of the register to `visit` still
    /// encoded, in the order of kind and number (the SQLite store's
    /// `read_encoded_facts`): the KPI view decodes the bytes into its
    /// columns without building per-item values.
    ///
    /// # Errors
    /// A [`ReadError`] naming the store, or naming the row whose bytes
    /// `visit` refused.
    pub fn read_encoded_facts(
        &self,
        visit: &mut isms_store::projection::EncodedFactsVisitor<'_>,
    ) -> Result<(), ReadError> {
        self.walk_facts(&mut |kind, bytes| visit(kind, bytes).map_err(|e| e.to_string()))
    }

    /// Hands every `kpi_facts` row of the register, in the order of kind
    /// and number, to `visit`: the item's kind and its encoded facts. A row
    /// of no known kind, or one `visit` refuses (its reason), is a
    /// [`ReadError::Projection`] naming the row.
    fn walk_facts(&self, visit: &mut RowVisitor<'_>) -> Result<(), ReadError> {
        let mut session = self.session()?;
        let stmt = session
            .statement(
                "SELECT kind, number, facts FROM isms.kpi_facts WHERE register = $1
                 ORDER BY kind, number",
            )
            .map_err(self.err("read KPI facts"))?;
        let mut rows = session
            .client
            .query_raw(&stmt, [self.register.as_str()])
            .map_err(self.err("read KPI facts"))?;
        while let Some(row) = rows.next().map_err(self.err("read KPI facts"))? {
            let kind: i16 = row.try_get(0).map_err(self.err("read KPI facts"))?;
            let number: i32 = row.try_get(1).map_err(self.err("read KPI facts"))?;
            let bytes: &[u8] = row.try_get(2).map_err(self.err("read KPI facts"))?;
            let refused = match ItemKind::from_code(i64::from(kind)) {
                Some(item_kind) => visit(item_kind, bytes).err(),
                None => Some(format!("{kind} is not a kind of item")),
            };
            if let Some(detail) = refused {
                return Err(ReadError::Projection {
                    projection: "kpi_facts",
                    subject: format!("item {kind}/{number}"),
                    detail,
                });
            }
        }
        Ok(())
    }

    /// The highest nonconformity and improvement numbers with KPI facts
    /// (0 when none), so that a reader can size its columns up front.
    ///
    /// # Errors
    /// A [`ReadError`] naming the store.
    pub fn facts_size_hint(&self) -> Result<(u64, u64), ReadError> {
        let mut session = self.session()?;
        let row = session
            .client
            .query_one(
                "SELECT coalesce(max(number) FILTER (WHERE kind = 1), 0)::bigint,
                        coalesce(max(number) FILTER (WHERE kind = 2), 0)::bigint
                 FROM isms.kpi_facts WHERE register = $1",
                &[&self.register.as_str()],
            )
            .map_err(self.err("read KPI facts"))?;
        let ncs: i64 = row.try_get(0).map_err(self.err("read KPI facts"))?;
        let improvements: i64 = row.try_get(1).map_err(self.err("read KPI facts"))?;
        Ok((
            u64::try_from(ncs).unwrap_or(0),
            u64::try_from(improvements).unwrap_or(0),
        ))
    }

    /// Builds the projections (item states, KPI facts) of this register
    /// again from its log, in one transaction; returns the number of items.
    ///
    /// # Errors
    /// A [`ReadError`] naming the store, or the position of an event that
    /// does not decode.
    pub fn rebuild_projections(&mut self) -> Result<u64, ReadError> {
        let label = self.label.clone();
        let register = self.register.as_str().to_owned();
        let err = |op| {
            let label = label.clone();
            move |e| pg_err(&label, op, e)
        };
        let session = self.client.get_mut();
        let mut tx = session
            .client
            .transaction()
            .map_err(err("rebuild the projections"))?;
        tx.query(HEAD_FOR_UPDATE, &[&register])
            .map_err(err("lock the register"))?;
        tx.execute("DELETE FROM isms.items WHERE register = $1", &[&register])
            .map_err(err("empty the projections"))?;
        tx.execute(
            "DELETE FROM isms.kpi_facts WHERE register = $1",
            &[&register],
        )
        .map_err(err("empty the projections"))?;
        let mut items: Vec<(StreamId, Item, u64)> = Vec::new();
        let mut current: Option<(StreamId, Option<Item>, u64)> = None;
        {
            let rows = tx
                .query_raw(
                    "SELECT position, stream, body FROM isms.events WHERE register = $1
                     ORDER BY stream, sequence",
                    [&register],
                )
                .map_err(err("fold the log"))?;
            let mut rows = rows;
            while let Some(row) = rows.next().map_err(err("fold the log"))? {
                let position = from_sql(row.try_get(0).map_err(err("fold the log"))?);
                let stream: &str = row.try_get(1).map_err(err("fold the log"))?;
                let stream: StreamId = stream.parse().map_err(|_| ReadError::Malformed {
                    position,
                    detail: format!("the stream {stream:?} is not a stream id"),
                })?;
                let body: &str = row.try_get(2).map_err(err("fold the log"))?;
                let event: Event = serde_json::from_str(body)
                    .map_err(|source| ReadError::Undecodable { position, source })?;
                match &mut current {
                    Some((s, item, last)) if *s == stream => {
                        isms_core::apply_owned(item, event);
                        *last = (*last).max(position);
                    }
                    _ => {
                        if let Some((s, Some(item), last)) = current.take() {
                            items.push((s, item, last));
                        }
                        let mut item = None;
                        isms_core::apply_owned(&mut item, event);
                        current = Some((stream, item, position));
                    }
                }
            }
        }
        if let Some((s, Some(item), last)) = current {
            items.push((s, item, last));
        }
        let upsert_item = tx
            .prepare(UPSERT_ITEM)
            .map_err(err("rebuild the projections"))?;
        let upsert_facts = tx
            .prepare(UPSERT_FACTS)
            .map_err(err("rebuild the projections"))?;
        for (stream, item, position) in &items {
            write_item(
                &mut tx,
                &upsert_item,
                &upsert_facts,
                &register,
                *stream,
                item,
                *position,
            )
            .map_err(|e| match e {
                Written::Db(e) => pg_err(&label, "rebuild the projections", e),
                Written::Encode(e) => unencodable(*stream, &e),
            })?;
        }
        tx.commit().map_err(err("commit the rebuilt projections"))?;
        Ok(items.len() as u64)
    }

    /// Compares every projected row of this register with a fresh fold of
    /// its log: the first difference is a [`VerifyError::ProjectionMismatch`]
    /// naming the item. Returns the number of items checked.
    ///
    /// # Errors
    /// The mismatch, or a [`ReadError`] naming the store.
    pub fn check_projections(&self) -> Result<u64, VerifyError> {
        let register = self.fold(Selection::All)?;
        let mut expected: HashMap<(i16, u32), ItemRow> = HashMap::new();
        let items = register
            .nonconformities()
            .iter()
            .map(|nc| Item::Nonconformity(nc.clone()))
            .chain(
                register
                    .improvements()
                    .iter()
                    .map(|imp| Item::Improvement(imp.clone())),
            );
        for item in items {
            let row = ItemRow::of(&item).map_err(|e| VerifyError::ProjectionMismatch {
                projection: "items",
                subject: item.stream().to_string(),
                detail: format!("the item folded from the log does not serialise ({e})"),
            })?;
            expected.insert((row.kind.code(), row.number), row);
        }
        let mismatch =
            |projection, subject: String, detail: String| VerifyError::ProjectionMismatch {
                projection,
                subject,
                detail,
            };
        let mut session = self.session()?;
        let rows = session
            .client
            .query(
                "SELECT i.kind, i.number, i.state, i.owner, i.severity, i.next_due, i.version,
                        i.body, f.facts, i.stream
                 FROM isms.items i LEFT JOIN isms.kpi_facts f
                   ON f.register = i.register AND f.kind = i.kind AND f.number = i.number
                 WHERE i.register = $1",
                &[&self.register.as_str()],
            )
            .map_err(self.err("check the projections"))?;
        let checked = rows.len() as u64;
        for row in rows {
            let get = |e| pg_err(&self.label, "check the projections", e);
            let kind: i16 = row.try_get(0).map_err(get)?;
            let number: i32 = row.try_get(1).map_err(get)?;
            let stream: String = row.try_get(9).map_err(get)?;
            let key = (kind, u32::try_from(number).unwrap_or(0));
            let Some(want) = expected.remove(&key) else {
                return Err(mismatch(
                    "items",
                    stream,
                    "the row has no item in the log".into(),
                ));
            };
            let got = (
                row.try_get::<_, String>(2).map_err(get)?,
                row.try_get::<_, String>(3).map_err(get)?,
                row.try_get::<_, Option<String>>(4).map_err(get)?,
                row.try_get::<_, Option<String>>(5).map_err(get)?,
                from_sql(row.try_get(6).map_err(get)?),
                row.try_get::<_, String>(7).map_err(get)?,
            );
            let exp = (
                want.state.to_owned(),
                want.owner.clone(),
                want.severity.map(str::to_owned),
                want.next_due.clone(),
                want.version,
                want.body.clone(),
            );
            if got != exp {
                return Err(mismatch(
                    "items",
                    stream,
                    "the stored state differs from the item folded from the log".into(),
                ));
            }
            let facts: Option<Vec<u8>> = row.try_get(8).map_err(get)?;
            if facts.as_deref() != Some(&want.facts[..]) {
                return Err(mismatch(
                    "kpi_facts",
                    stream,
                    if facts.is_none() {
                        "its row is missing".into()
                    } else {
                        "the stored facts differ from the item's".into()
                    },
                ));
            }
        }
        if let Some(((kind, number), _)) = expected.into_iter().next() {
            return Err(mismatch(
                "items",
                format!("item {kind}/{number}"),
                "its row is missing".into(),
            ));
        }
        Ok(checked)
    }
}

/// Why writing a projected row failed.
enum Written {
    Db(postgres::Error),
    Encode(serde_json::Error),
}

/// Upserts one item's rows in both projections.
fn write_item(
    tx: &mut postgres::Transaction<'_>,
    upsert_item: &Statement,
    upsert_facts: &Statement,
    register: &str,
    stream: StreamId,
    item: &Item,
    position: u64,
) -> Result<(), Written> {
    let row = ItemRow::of(item).map_err(Written::Encode)?;
    let number = i32::try_from(row.number).unwrap_or(i32::MAX);
    tx.execute(
        upsert_item,
        &[
            &register,
            &stream.to_string(),
            &row.kind.code(),
            &number,
            &row.state,
            &row.owner,
            &row.severity,
            &row.next_due,
            &to_sql(row.version),
            &to_sql(position),
            &row.body,
        ],
    )
    .map_err(Written::Db)?;
    tx.execute(
        upsert_facts,
        &[&register, &row.kind.code(), &number, &row.facts],
    )
    .map_err(Written::Db)?;
    Ok(())
}

/// Stream versions and claims as [`plan_append`] sees them, inside the
/// append's transaction (the register's head row is locked).
struct TxState<'a, 'c> {
    tx: &'a mut postgres::Transaction<'c>,
    version: &'a Statement,
    holder: &'a Statement,
    last_number: &'a Statement,
    register: &'a str,
    label: &'a std::path::Path,
}

impl AppendState for TxState<'_, '_> {
    fn stream_version(&mut self, stream: StreamId) -> Result<u64, ReadError> {
        let row = self
            .tx
            .query_one(self.version, &[&self.register, &stream.to_string()])
            .map_err(|e| pg_err(self.label, "read stream version", e))?;
        Ok(from_sql(row.try_get(0).map_err(|e| {
            pg_err(self.label, "read stream version", e)
        })?))
    }

    fn claim_holder(&mut self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        let row = self
            .tx
            .query_opt(self.holder, &[&self.register, &claim.to_string()])
            .map_err(|e| pg_err(self.label, "look up a claim", e))?;
        row.map(|r| parse_holder(self.label, claim, &r)).transpose()
    }

    fn last_number(&mut self, kind: RefKind) -> Result<u32, ReadError> {
        // Read under the register's head lock, so it counts every append
        // committed before this one and none can commit before this one.
        let err = |e| pg_err(self.label, "read the last reference number", e);
        let row = self
            .tx
            .query_one(self.last_number, &[&self.register, &ref_kind(kind)])
            .map_err(err)?;
        let n: i32 = row.try_get(0).map_err(err)?;
        Ok(u32::try_from(n).unwrap_or(0))
    }
}

/// The `kind` column of the claims index for a reference kind.
fn ref_kind(kind: RefKind) -> i16 {
    match kind {
        RefKind::Nonconformity => 1,
        RefKind::Improvement => 2,
        RefKind::Action => 3,
    }
}

fn parse_holder(
    label: &std::path::Path,
    claim: Claim,
    row: &postgres::Row,
) -> Result<StreamId, ReadError> {
    let s: String = row
        .try_get(0)
        .map_err(|e| pg_err(label, "look up a claim", e))?;
    s.parse().map_err(|_| ReadError::Corrupt {
        path: label.to_owned(),
        detail: format!("the claims index maps {claim} to {s:?}, which is not a stream id"),
    })
}

/// The new rows of an append, gathered so that each table gets one
/// statement.
#[derive(Default)]
struct NewRows {
    positions: Vec<i64>,
    streams: Vec<String>,
    sequences: Vec<i64>,
    bodies: Vec<String>,
    hashes: Vec<Vec<u8>>,
    claims: Vec<String>,
    claim_kinds: Vec<i16>,
    claim_numbers: Vec<i32>,
    claim_streams: Vec<String>,
}

impl NewRows {
    fn push(&mut self, p: &PlannedEvent<'_>) {
        self.positions.push(to_sql(p.position));
        self.streams.push(p.stream.to_owned());
        self.sequences.push(to_sql(p.event.sequence));
        self.bodies.push(p.body.to_owned());
        self.hashes.push(p.hash.0.to_vec());
        if let Some(c) = p.claim {
            self.claims.push(c.to_string());
            self.claim_kinds.push(claim_kind(c));
            self.claim_numbers
                .push(i32::try_from(c.number()).unwrap_or(i32::MAX));
            self.claim_streams.push(p.stream.to_owned());
        }
    }
}

impl EventStore for PgStore {
    fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
        if batch.is_empty() {
            return Err(AppendError::EmptyAppend);
        }
        let label = self.label.clone();
        let register = self.register.as_str();
        let channel = self.register.channel();
        let session = self.client.get_mut();
        let err = |op| {
            let label = label.clone();
            move |e| pg_err(&label, op, e)
        };
        let st = |session: &mut Session, sql| session.statement(sql).map_err(err("prepare"));
        let head_for_update = st(session, HEAD_FOR_UPDATE)?;
        let version = st(session, STREAM_VERSION)?;
        let holder = st(session, CLAIM_HOLDER)?;
        let last_number = st(session, LAST_NUMBER)?;
        let request_seen = st(session, REQUEST_SEEN)?;
        let insert_events = st(session, INSERT_EVENTS)?;
        let insert_claims = st(session, INSERT_CLAIMS)?;
        let bodies = st(session, STREAM_BODIES)?;
        let upsert_item = st(session, UPSERT_ITEM)?;
        let upsert_facts = st(session, UPSERT_FACTS)?;
        let move_head = st(session, MOVE_HEAD)?;
        let record_request = st(session, RECORD_REQUEST)?;
        let notify = st(session, NOTIFY)?;
        let insert_checkpoint = st(session, INSERT_CHECKPOINT)?;

        let mut tx = session.client.transaction().map_err(err("begin append"))?;
        // The register's head row, locked until commit: positions and the
        // chain are one sequence per register. Everything read below is
        // read after this lock, so it is what the previous append committed.
        let head_row = tx
            .query_opt(&head_for_update, &[&register])
            .map_err(err("lock the register"))?
            .ok_or_else(|| gone(&label))?;
        let head = head_from(&label, &head_row)?;
        if let Some(r) = &batch.request
            && tx
                .query_opt(&request_seen, &[&register, &r.id.as_str()])
                .map_err(err("look up request"))?
                .is_some()
        {
            return Err(AppendError::DuplicateRequest {
                request: r.id.clone(),
            });
        }
        let mut rows = NewRows::default();
        let mut touched = Touched::default();
        let appended = {
            let mut state = TxState {
                tx: &mut tx,
                version: &version,
                holder: &holder,
                last_number: &last_number,
                register,
                label: &label,
            };
            plan_append(batch, head, &mut state, &mut |p| {
                touched.note(p);
                rows.push(p);
                Ok(())
            })?
        };
        tx.execute(
            &insert_events,
            &[
                &register,
                &rows.positions,
                &rows.streams,
                &rows.sequences,
                &rows.bodies,
                &rows.hashes,
            ],
        )
        .map_err(err("append"))?;
        if !rows.claims.is_empty() {
            tx.execute(
                &insert_claims,
                &[
                    &register,
                    &rows.claims,
                    &rows.claim_kinds,
                    &rows.claim_numbers,
                    &rows.claim_streams,
                ],
            )
            .map_err(|e| {
                // The head lock makes this unreachable between writers of
                // this store; a unique violation still means the key is taken.
                if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
                    AppendError::ReferenceTaken {
                        reference: rows.claims.first().cloned().unwrap_or_default(),
                        stream: batch.appends[0].stream,
                    }
                } else {
                    pg_err(&label, "index claims", e).into()
                }
            })?;
        }
        for (stream, first_sequence, last_position) in touched.streams() {
            let item = if first_sequence == 1 {
                touched.created(stream).cloned()
            } else {
                let mut item = None;
                for row in tx
                    .query(&bodies, &[&register, &stream.to_string()])
                    .map_err(err("fold a stream for the projections"))?
                {
                    let position: i64 = row.try_get(0).map_err(err("fold a stream"))?;
                    let body: &str = row.try_get(1).map_err(err("fold a stream"))?;
                    let event: Event =
                        serde_json::from_str(body).map_err(|source| ReadError::Undecodable {
                            position: from_sql(position),
                            source,
                        })?;
                    isms_core::apply_owned(&mut item, event);
                }
                item
            };
            if let Some(item) = item {
                write_item(
                    &mut tx,
                    &upsert_item,
                    &upsert_facts,
                    register,
                    stream,
                    &item,
                    last_position,
                )
                .map_err(|e| match e {
                    Written::Db(e) => pg_err(&label, "update the projections", e).into(),
                    Written::Encode(e) => AppendError::Encode(e),
                })?;
            }
        }
        tx.execute(
            &move_head,
            &[
                &register,
                &to_sql(appended.last),
                &&appended.head.hash.0[..],
            ],
        )
        .map_err(err("update chain head"))?;
        // Signed under the register's lock, so checkpoints follow the chain,
        // as of the latest instant the batch's events were recorded (the
        // caller's clock: a library reads none).
        if let Some(signer) = &self.signer {
            let at = batch
                .appends
                .iter()
                .flat_map(|a| &a.events)
                .map(|e| e.recorded_at.unwrap_or(e.at))
                .max()
                .unwrap_or_default();
            let checkpoint = signer.sign(appended.head, at);
            let body = serde_json::to_string(&checkpoint)?;
            tx.execute(
                &insert_checkpoint,
                &[
                    &register,
                    &to_sql(checkpoint.position),
                    &checkpoint.key_id,
                    &body,
                ],
            )
            .map_err(err("record a checkpoint"))?;
        }
        if let Some(RequestRecord {
            id,
            fingerprint,
            warnings,
        }) = &batch.request
        {
            let warnings = serde_json::to_string(warnings)?;
            tx.execute(
                &record_request,
                &[
                    &register,
                    &id.as_str(),
                    &&fingerprint.0[..],
                    &to_sql(appended.first),
                    &to_sql(appended.last),
                    &warnings,
                ],
            )
            .map_err(err("record request"))?;
        }
        // Delivered to listeners at commit, never for a rolled-back append.
        tx.execute(&notify, &[&channel, &appended.last.to_string()])
            .map_err(err("announce the append"))?;
        tx.commit().map_err(err("commit append"))?;
        Ok(appended)
    }

    fn read(
        &self,
        selection: Selection,
        visit: &mut dyn FnMut(StoredEvent),
    ) -> Result<(), ReadError> {
        const ALL: &str = "SELECT position, hash, body FROM isms.events
             WHERE register = $1 ORDER BY position";
        const STREAM: &str = "SELECT position, hash, body FROM isms.events
             WHERE register = $1 AND stream = $2 ORDER BY position";
        const RANGE: &str = "SELECT position, hash, body FROM isms.events
             WHERE register = $1 AND position BETWEEN $2 AND $3 ORDER BY position";
        const AFTER: &str = "SELECT position, hash, body FROM isms.events
             WHERE register = $1 AND position > $2 ORDER BY position";
        let register = self.register.as_str();
        let stream_text;
        let (from, to);
        let (sql, args): (&'static str, Vec<&(dyn ToSql + Sync)>) = match selection {
            Selection::All | Selection::AsOf(_) => (ALL, vec![&register]),
            Selection::Stream(s) => {
                stream_text = s.to_string();
                (STREAM, vec![&register, &stream_text])
            }
            Selection::Positions { from: f, to: t } => {
                (from, to) = (to_sql(f), to_sql(t));
                (RANGE, vec![&register, &from, &to])
            }
            Selection::After(p) => {
                from = to_sql(p);
                (AFTER, vec![&register, &from])
            }
        };
        let mut session = self.session()?;
        let stmt = session.statement(sql).map_err(self.err("read"))?;
        let mut rows = session
            .client
            .query_raw(&stmt, args)
            .map_err(self.err("read"))?;
        while let Some(row) = rows.next().map_err(self.err("read"))? {
            let position = from_sql(row.try_get(0).map_err(self.err("read"))?);
            let hash: &[u8] = row.try_get(1).map_err(self.err("read"))?;
            let body: &str = row.try_get(2).map_err(self.err("read"))?;
            let hash = <[u8; 32]>::try_from(hash).map_err(|_| ReadError::Malformed {
                position,
                detail: format!("the hash has {} bytes, not 32", hash.len()),
            })?;
            let event: Event = serde_json::from_str(body)
                .map_err(|source| ReadError::Undecodable { position, source })?;
            if let Selection::AsOf(t) = selection
                && event.at > t
            {
                continue;
            }
            visit(StoredEvent {
                position,
                hash: ChainHash(hash),
                event,
            });
        }
        Ok(())
    }

    fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
        let mut session = self.session()?;
        let stmt = session
            .statement(STREAM_VERSION)
            .map_err(self.err("read stream version"))?;
        let row = session
            .client
            .query_one(&stmt, &[&self.register.as_str(), &stream.to_string()])
            .map_err(self.err("read stream version"))?;
        Ok(from_sql(
            row.try_get(0).map_err(self.err("read stream version"))?,
        ))
    }

    fn head(&self) -> Result<ChainHead, ReadError> {
        let mut session = self.session()?;
        let stmt = session
            .statement(HEAD)
            .map_err(self.err("read chain head"))?;
        let row = session
            .client
            .query_opt(&stmt, &[&self.register.as_str()])
            .map_err(self.err("read chain head"))?
            .ok_or_else(|| gone(&self.label))?;
        head_from(&self.label, &row)
    }

    fn verify(&self) -> Result<Verified, VerifyError> {
        let mut session = self.session()?;
        // One snapshot, so that the chain and the recorded head are seen at
        // the same instant while other sessions append.
        let mut tx = crate::checkpoints::snapshot(&mut session.client, &self.label)?;
        let verified = crate::checkpoints::verify_in(&mut tx, self.register.as_str(), &self.label)?;
        tx.commit().map_err(self.err("verify"))?;
        Ok(verified)
    }

    fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
        let mut session = self.session()?;
        let row = session
            .client
            .query_opt(
                "SELECT fingerprint, first_position, last_position, warnings
                 FROM isms.requests WHERE register = $1 AND request_id = $2",
                &[&self.register.as_str(), &id.as_str()],
            )
            .map_err(self.err("look up request"))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let malformed = || ReadError::Corrupt {
            path: self.label.clone(),
            detail: format!("the record of request {id} is malformed"),
        };
        let fingerprint: &[u8] = row.try_get(0).map_err(self.err("look up request"))?;
        let warnings: &str = row.try_get(3).map_err(self.err("look up request"))?;
        Ok(Some(RecordedRequest {
            record: RequestRecord {
                id: id.clone(),
                fingerprint: ChainHash(<[u8; 32]>::try_from(fingerprint).map_err(|_| malformed())?),
                warnings: serde_json::from_str(warnings).map_err(|_| malformed())?,
            },
            first: from_sql(row.try_get(1).map_err(self.err("look up request"))?),
            last: from_sql(row.try_get(2).map_err(self.err("look up request"))?),
        }))
    }

    fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
        let mut session = self.session()?;
        let stmt = session
            .statement(CLAIM_HOLDER)
            .map_err(self.err("look up a claim"))?;
        let row = session
            .client
            .query_opt(&stmt, &[&self.register.as_str(), &claim.to_string()])
            .map_err(self.err("look up a claim"))?;
        row.map(|r| parse_holder(&self.label, claim, &r))
            .transpose()
    }

    fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
        if kind == RefKind::Action {
            return Ok(0);
        }
        let mut session = self.session()?;
        let stmt = session
            .statement(LAST_NUMBER)
            .map_err(self.err("read the last reference number"))?;
        let row = session
            .client
            .query_one(&stmt, &[&self.register.as_str(), &ref_kind(kind)])
            .map_err(self.err("read the last reference number"))?;
        let n: i32 = row
            .try_get(0)
            .map_err(self.err("read the last reference number"))?;
        Ok(u32::try_from(n).unwrap_or(0))
    }

    fn load_item(&self, stream: StreamId) -> Result<Option<Item>, ReadError> {
        let mut item = None;
        self.read(Selection::Stream(stream), &mut |e| {
            isms_core::apply_owned(&mut item, e.event);
        })?;
        Ok(item)
    }

    fn list_items(
        &self,
        filter: &ItemFilter,
        visit: &mut dyn FnMut(Item),
    ) -> Result<(), ReadError> {
        let register = self.register.as_str();
        let kind = filter.kind.code();
        let state = match filter.kind {
            ItemKind::Nonconformity => filter.nc_state.map(|s| s.as_str()),
            ItemKind::Improvement => filter.improvement_state.map(|s| s.as_str()),
        };
        let owner = filter.owner.as_ref().map(ToString::to_string);
        let severity = filter.severity.map(|s| s.as_str());
        let due_by = filter.due_by.map(|d| d.to_string());
        // A severity filter on improvements (which have none) selects
        // nothing, as `ItemFilter::matches` says.
        let mut session = self.session()?;
        let stmt = session
            .statement(
                "SELECT position, body FROM isms.items
                 WHERE register = $1 AND kind = $2
                   AND ($3::text IS NULL OR state = $3)
                   AND ($4::text IS NULL OR owner = $4)
                   AND ($5::text IS NULL OR severity = $5)
                   AND ($6::text IS NULL OR next_due <= $6)
                 ORDER BY number",
            )
            .map_err(self.err("list items"))?;
        let args: [&(dyn ToSql + Sync); 6] = [&register, &kind, &state, &owner, &severity, &due_by];
        let mut rows = session
            .client
            .query_raw(&stmt, args)
            .map_err(self.err("list items"))?;
        while let Some(row) = rows.next().map_err(self.err("list items"))? {
            let position: i64 = row.try_get(0).map_err(self.err("list items"))?;
            let body: &str = row.try_get(1).map_err(self.err("list items"))?;
            let item = decode_item(filter.kind, body).map_err(|e| ReadError::Projection {
                projection: "items",
                subject: format!("the item at position {position}"),
                detail: format!("its stored state does not decode ({e})"),
            })?;
            visit(item);
        }
        Ok(())
    }

    fn read_facts(&self, visit: &mut dyn FnMut(Facts)) -> Result<(), ReadError> {
        self.walk_facts(&mut |kind, bytes| {
            visit(decode_facts(kind, bytes).map_err(|e| e.to_string())?);
            Ok(())
        })
    }
}

/// What [`PgStore`]'s walk of `kpi_facts` hands each row to: the item's
/// kind and its encoded facts; an `Err` refuses the row, with the reason.
type RowVisitor<'a> = dyn FnMut(ItemKind, &[u8]) -> Result<(), String> + 'a;

/// The register's row is gone: it was dropped while this store was open.
fn gone(label: &std::path::Path) -> ReadError {
    ReadError::Corrupt {
        path: label.to_owned(),
        detail: "the register no longer exists (it was dropped while the store was open)".into(),
    }
}

/// An item that does not serialise (a serde bug: items always do).
fn unencodable(stream: StreamId, e: &serde_json::Error) -> ReadError {
    ReadError::Projection {
        projection: "items",
        subject: stream.to_string(),
        detail: format!("the item folded from the log does not serialise ({e})"),
    }
}

pub(crate) fn head_from(
    label: &std::path::Path,
    row: &postgres::Row,
) -> Result<ChainHead, ReadError> {
    let position: i64 = row
        .try_get(0)
        .map_err(|e| pg_err(label, "read chain head", e))?;
    let hash: &[u8] = row
        .try_get(1)
        .map_err(|e| pg_err(label, "read chain head", e))?;
    Ok(ChainHead {
        position: from_sql(position),
        hash: ChainHash(<[u8; 32]>::try_from(hash).map_err(|_| ReadError::Corrupt {
            path: label.to_owned(),
            detail: "the recorded chain head is malformed".into(),
        })?),
    })
}
