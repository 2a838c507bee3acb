//! [`Admin`]: what the owning role does: migrations, registers, grants.

use std::path::{Path, PathBuf};

use isms_store::{OpenError, ReadError};
use postgres::Client;
use postgres::error::SqlState;

use crate::register::RegisterId;
use crate::schema::{MIGRATIONS, ROLE_PRIVILEGES, SCHEMA_VERSION};
use crate::store::pg_err;

/// A connection of the role that owns the `isms` schema: it migrates the
/// schema, creates and drops registers and says which role may work in
/// which. Applications connect as other roles ([`crate::PgStore`]); the
/// owner is not bound by row-level security.
pub struct Admin {
    client: Client,
    label: PathBuf,
}

impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

/// Checks that the database holds the schema this build writes.
pub(crate) fn check_schema(client: &mut Client, label: &Path) -> Result<(), OpenError> {
    let found = schema_version(client, label)?;
    match found {
        None => Err(OpenError::NotOurDatabase {
            path: label.to_owned(),
            detail:
                "the database has no isms schema; run the migrations (`isms init`) as its owner"
                    .into(),
        }),
        Some(v) if v > SCHEMA_VERSION => Err(OpenError::NewerSchema {
            path: label.to_owned(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Some(v) if v < SCHEMA_VERSION => Err(OpenError::OlderSchemaReadOnly {
            path: label.to_owned(),
            found: v,
            supported: SCHEMA_VERSION,
        }),
        Some(_) => Ok(()),
    }
}

/// The highest migration applied, or `None` without an isms schema.
fn schema_version(client: &mut Client, label: &Path) -> Result<Option<u32>, ReadError> {
    match client.query_one(
        "SELECT coalesce(max(version), 0) FROM isms.schema_version",
        &[],
    ) {
        Ok(row) => {
            let v: i32 = row
                .try_get(0)
                .map_err(|e| pg_err(label, "read the schema version", e))?;
            Ok(Some(u32::try_from(v).unwrap_or(0)))
        }
        Err(e)
            if e.code() == Some(&SqlState::UNDEFINED_TABLE)
                || e.code() == Some(&SqlState::INVALID_SCHEMA_NAME) =>
        {
            Ok(None)
        }
        Err(e) => Err(pg_err(label, "read the schema version", e)),
    }
}

impl Admin {
    /// Connects as the owning role.
    ///
    /// # Errors
    /// [`ReadError::Backend`] when the server cannot be reached.
    pub fn connect(url: &str) -> Result<Self, ReadError> {
        let (client, label) = crate::tls::open(url, crate::store::server_label)?;
        Ok(Self { client, label })
    }

    /// Brings the schema to [`SCHEMA_VERSION`], one migration per
    /// transaction, each recorded in `isms.schema_version`; returns the
    /// version. An advisory lock keeps two migrating processes apart.
    ///
    /// # Errors
    /// [`OpenError::NewerSchema`] when a newer build migrated the
    /// database (nothing is changed); [`ReadError::Backend`] otherwise.
    pub fn migrate(&mut self) -> Result<u32, OpenError> {
        let label = self.label.clone();
        let err = |op| {
            let label = label.clone();
            move |e| pg_err(&label, op, e)
        };
        let mut tx = self.client.transaction().map_err(err("begin migration"))?;
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(7365031);
             CREATE SCHEMA IF NOT EXISTS isms;
             CREATE TABLE IF NOT EXISTS isms.schema_version (
                 version    integer     PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             );",
        )
        .map_err(err("prepare migration"))?;
        let row = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM isms.schema_version",
                &[],
            )
            .map_err(err("read the schema version"))?;
        let found: i32 = row.try_get(0).map_err(err("read the schema version"))?;
        let found = u32::try_from(found).unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(OpenError::NewerSchema {
                path: label.clone(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.batch_execute(sql).map_err(err("migrate"))?;
            tx.execute(
                "INSERT INTO isms.schema_version (version) VALUES ($1)",
                &[&version],
            )
            .map_err(err("record the migration"))?;
        }
        tx.commit().map_err(err("commit migration"))?;
        Ok(SCHEMA_VERSION)
    }

    /// Creates an empty register.
    ///
    /// # Errors
    /// [`OpenError::AlreadyExists`] when it exists; [`ReadError::Backend`]
    /// otherwise.
    pub fn create_register(&mut self, register: &RegisterId) -> Result<(), OpenError> {
        match self.client.execute(
            "INSERT INTO isms.registers (register) VALUES ($1)",
            &[&register.as_str()],
        ) {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                Err(OpenError::AlreadyExists {
                    path: self.register_label(register),
                })
            }
            Err(e) => Err(pg_err(&self.label, "create the register", e).into()),
        }
    }

    /// Whether the register exists.
    ///
    /// # Errors
    /// [`ReadError::Backend`].
    pub fn register_exists(&mut self, register: &RegisterId) -> Result<bool, ReadError> {
        Ok(self
            .client
            .query_opt(
                "SELECT 1 FROM isms.registers WHERE register = $1",
                &[&register.as_str()],
            )
            .map_err(|e| pg_err(&self.label, "look up the register", e))?
            .is_some())
    }

    /// Lets `role` work in `register` (and only there, unless granted
    /// more): the table privileges a store needs and the row in
    /// `isms.register_access` that row-level security tests.
    ///
    /// # Errors
    /// [`ReadError::Backend`], for instance when the role does not exist.
    pub fn grant(&mut self, register: &RegisterId, role: &str) -> Result<(), ReadError> {
        let quoted = format!("\"{}\"", role.replace('"', "\"\""));
        let label = self.label.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| pg_err(&label, "grant", e))?;
        // Concurrent GRANTs on the same tables collide in the catalogue.
        tx.batch_execute("SELECT pg_advisory_xact_lock(7365032)")
            .map_err(|e| pg_err(&label, "grant privileges", e))?;
        tx.batch_execute(&ROLE_PRIVILEGES.replace("{role}", &quoted))
            .map_err(|e| pg_err(&label, "grant privileges", e))?;
        tx.execute(
            "INSERT INTO isms.register_access (role_name, register) VALUES ($1, $2)
             ON CONFLICT DO NOTHING",
            &[&role, &register.as_str()],
        )
        .map_err(|e| pg_err(&label, "grant the register", e))?;
        tx.commit().map_err(|e| pg_err(&label, "grant", e))
    }

    /// Deletes a register with all its events, claims, requests,
    /// checkpoints and projections, in one transaction. This is the one way rows leave the
    /// log; keep a dump (`pg_dump`) or a register document first.
    ///
    /// # Errors
    /// [`ReadError::Backend`].
    pub fn drop_register(&mut self, register: &RegisterId) -> Result<(), ReadError> {
        let label = self.label.clone();
        let err = |e| pg_err(&label, "drop the register", e);
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute(
            "SELECT set_config('isms.dropping_register', $1, true)",
            &[&register.as_str()],
        )
        .map_err(err)?;
        for table in [
            "kpi_facts",
            "items",
            "requests",
            "claims",
            "checkpoints",
            "events",
            "register_access",
        ] {
            tx.execute(
                &format!("DELETE FROM isms.{table} WHERE register = $1"),
                &[&register.as_str()],
            )
            .map_err(err)?;
        }
        tx.execute(
            "DELETE FROM isms.registers WHERE register = $1",
            &[&register.as_str()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// The connection, for what this type does not cover (creating roles
    /// in tests, `COPY`).
    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    fn register_label(&self, register: &RegisterId) -> PathBuf {
        PathBuf::from(format!("{}?register={register}", self.label.display()))
    }
}
