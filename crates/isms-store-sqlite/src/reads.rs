//! Reads served by the projections, and their upkeep: listing items with
//! filters, streaming KPI facts, rebuilding, and the deep check.

use isms_core::{Improvement, ImprovementFacts, Item, NcFacts, Nonconformity};
use isms_store::{Facts, ItemFilter, ItemKind, ReadError, VerifyError};
use rusqlite::TransactionBehavior;
use rusqlite::types::Value;

use crate::projection;
use crate::store::{SqliteStore, db_err};

/// SQLite's page cache during a scan of every KPI facts row (`cache_size`
/// in KiB when negative): 2 MiB, SQLite's own default.
const SCAN_CACHE_SIZE: i64 = -2_000;

impl SqliteStore {
    /// Builds the projections (item states, KPI facts) again from the log,
    /// in one transaction: what a migration does once, and the repair after
    /// [`SqliteStore::check_projections`] found a difference. `progress`
    /// hears how many items are done. Returns the number of items.
    ///
    /// # Errors
    /// A [`ReadError`] naming the file, or the position of an event that
    /// does not decode (the log itself is then damaged: `verify` it).
    pub fn rebuild_projections(&mut self, progress: &mut dyn FnMut(u64)) -> Result<u64, ReadError> {
        let path = self.path.clone();
        let err = |e| db_err(&path, "rebuild the projections", e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let items = projection::rebuild(&tx, &path, progress)?;
        tx.commit().map_err(err)?;
        Ok(items)
    }

    /// Compares every projected row with a fresh fold of the log (the deep
    /// verification): the first difference is a
    /// [`VerifyError::ProjectionMismatch`] naming the item and what differs.
    /// Returns the number of items checked.
    ///
    /// # Errors
    /// The mismatch, or a [`ReadError`] naming the file.
    pub fn check_projections(&self) -> Result<u64, VerifyError> {
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| db_err(&self.path, "check the projections", e))?;
        let items = projection::check(&tx, &self.path)?;
        tx.finish()
            .map_err(|e| db_err(&self.path, "check the projections", e))?;
        self.check_unchanged()?;
        Ok(items)
    }

    pub(crate) fn list_projected(
        &self,
        filter: &ItemFilter,
        visit: &mut dyn FnMut(Item),
    ) -> Result<(), ReadError> {
        let kind = match filter.kind {
            ItemKind::Nonconformity => 1,
            ItemKind::Improvement => 2,
        };
        let mut sql = String::from("SELECT position, body FROM items WHERE kind = ?1");
        let mut args: Vec<Value> = vec![Value::Integer(kind)];
        let mut condition = |column: &str, op: &str, value: Value| {
            args.push(value);
            sql.push_str(&format!(" AND {column} {op} ?{}", args.len()));
        };
        let state = match filter.kind {
            ItemKind::Nonconformity => filter.nc_state.map(|s| s.as_str()),
            ItemKind::Improvement => filter.improvement_state.map(|s| s.as_str()),
        };
        if let Some(state) = state {
            condition("state", "=", Value::Text(state.to_owned()));
        }
        if let Some(owner) = &filter.owner {
            condition("owner", "=", Value::Text(owner.to_string()));
        }
        if let Some(severity) = filter.severity {
            condition("severity", "IS", Value::Text(severity.as_str().to_owned()));
        }
        if let Some(by) = filter.due_by {
            condition("next_due", "<=", Value::Text(by.to_string()));
        }
        sql.push_str(" ORDER BY number");
        let err = |e| db_err(&self.path, "list items", e);
        let mut stmt = self.conn.prepare(&sql).map_err(err)?;
        let mut rows = stmt.query(rusqlite::params_from_iter(args)).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let position: i64 = row.get(0).map_err(err)?;
            let text = row
                .get_ref(1)
                .map_err(err)?
                .as_str()
                .map_err(|e| err(e.into()))?;
            let corrupt = |e: serde_json::Error| ReadError::Projection {
                projection: "items",
                subject: format!("the item at position {position}"),
                detail: format!("its stored state does not decode ({e})"),
            };
            let item = match filter.kind {
                ItemKind::Nonconformity => Item::Nonconformity(
                    serde_json::from_str::<Nonconformity>(text).map_err(corrupt)?,
                ),
                ItemKind::Improvement => {
                    Item::Improvement(serde_json::from_str::<Improvement>(text).map_err(corrupt)?)
                }
            };
            visit(item);
        }
        self.check_unchanged()
    }

    pub(crate) fn read_projected_facts(
        &self,
        visit: &mut dyn FnMut(Facts),
    ) -> Result<(), ReadError> {
        // One thread: a second one decoding chunks was measured slower
        // (the decoded facts are freed on the visiting thread, and glibc's
        // allocator pays for every cross-thread free).
        let err = |e| db_err(&self.path, "read KPI facts", e);
        let mut stmt = self
            .conn
            .prepare("SELECT kind, number, facts FROM kpi_facts ORDER BY kind, number")
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let kind: i64 = row.get(0).map_err(err)?;
            let number: i64 = row.get(1).map_err(err)?;
            let bytes = row
                .get_ref(2)
                .map_err(err)?
                .as_blob()
                .map_err(|e| err(e.into()))?;
            visit(decode_facts(kind, number, bytes)?);
        }
        self.check_unchanged()
    }
}

impl SqliteStore {
    /// Visits every item's KPI facts as stored, still encoded
    /// ([`NcFacts::encode`], [`ImprovementFacts::encode`]), in register
    /// order: nonconformities by number, then improvements. For a reader
    /// that decodes them into its own layout (`isms_kpi::KpiViewBuilder`
    /// does, without building an [`NcFacts`] per item); [`EventStore::read_facts`]
    /// is the decoded equivalent.
    ///
    /// [`EventStore::read_facts`]: isms_store::EventStore::read_facts
    ///
    /// # Errors
    /// A [`ReadError::Projection`] naming the item when `visit` refuses
    /// its bytes or its kind is unknown, or a [`ReadError`] naming the file.
    pub fn read_encoded_facts(&self, visit: &mut EncodedFactsVisitor<'_>) -> Result<(), ReadError> {
        let err = |e| db_err(&self.path, "read KPI facts", e);
        // The scan reads each page once, so the store's page cache (64 MiB,
        // for random look-ups) would only hold pages it never reads again:
        // on a register of a million items that is a seventh of the
        // command's peak memory. A small cache for the scan, then back.
        let cache: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .map_err(err)?;
        self.conn
            .pragma_update(None, "cache_size", SCAN_CACHE_SIZE)
            .map_err(err)?;
        let scanned = self.scan_encoded_facts(visit);
        self.conn
            .pragma_update(None, "cache_size", cache)
            .map_err(err)?;
        scanned?;
        self.check_unchanged()
    }

    fn scan_encoded_facts(&self, visit: &mut EncodedFactsVisitor<'_>) -> Result<(), ReadError> {
        let err = |e| db_err(&self.path, "read KPI facts", e);
        let mut stmt = self
            .conn
            .prepare("SELECT kind, number, facts FROM kpi_facts ORDER BY kind, number")
            .map_err(err)?;
        let mut rows = stmt.query([]).map_err(err)?;
        while let Some(row) = rows.next().map_err(err)? {
            let kind: i64 = row.get(0).map_err(err)?;
            let bytes = row
                .get_ref(2)
                .map_err(err)?
                .as_blob()
                .map_err(|e| err(e.into()))?;
            let item_kind = match kind {
                1 => ItemKind::Nonconformity,
                2 => ItemKind::Improvement,
                _ => ItemKind::Nonconformity,
            };
            let refused = match kind {
                1 | 2 => visit(item_kind, bytes).err().map(|e| e.to_string()),
                other => Some(format!("{other} is not a kind of item")),
            };
            if let Some(detail) = refused {
                let number: i64 = row.get(1).map_err(err)?;
                return Err(ReadError::Projection {
                    projection: "kpi_facts",
                    subject: format!("item {kind}/{number}"),
                    detail,
                });
            }
        }
        Ok(())
    }

    /// How many nonconformities and improvements the KPI facts hold, as
    /// their highest numbers (two index look-ups, not a count of rows):
    /// a size hint for a reader of [`SqliteStore::read_encoded_facts`].
    ///
    /// # Errors
    /// A [`ReadError`] naming the file.
    pub fn facts_size_hint(&self) -> Result<(u64, u64), ReadError> {
        let err = |e| db_err(&self.path, "read KPI facts", e);
        let highest = |kind: i64| -> Result<u64, ReadError> {
            let n: Option<i64> = self
                .conn
                .query_row(
                    "SELECT max(number) FROM kpi_facts WHERE kind = ?1",
                    [kind],
                    |r| r.get(0),
                )
                .map_err(err)?;
            Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
        };
        Ok((highest(1)?, highest(2)?))
    }
}

pub use isms_store::projection::EncodedFactsVisitor;

/// Decodes one `kpi_facts` row.
fn decode_facts(kind: i64, number: i64, bytes: &[u8]) -> Result<Facts, ReadError> {
    let corrupt = |e: isms_core::FactsError| ReadError::Projection {
        projection: "kpi_facts",
        subject: format!("item {kind}/{number}"),
        detail: e.to_string(),
    };
    match kind {
        1 => Ok(Facts::Nonconformity(
            NcFacts::decode(bytes).map_err(corrupt)?,
        )),
        2 => Ok(Facts::Improvement(
            ImprovementFacts::decode(bytes).map_err(corrupt)?,
        )),
        other => Err(ReadError::Projection {
            projection: "kpi_facts",
            subject: format!("item {other}/{number}"),
            detail: format!("{other} is not a kind of item"),
        }),
    }
}
