//! The projections: derived tables written in the same transaction as the
//! events they reflect, so that no crash can leave them behind the log.
//!
//! - `items`: one row per nonconformity or improvement, its current state
//!   as JSON (what `nc show --json` and `nc list` print) and the columns
//!   lists filter on (state, owner, severity, next due date), with the
//!   stream version and chain position the row reflects;
//! - `kpi_facts`: the item's compact facts ([`isms_core::NcFacts`]), keyed
//!   by kind and number so that a KPI scan reads them in register order.
//!
//! Both are derived, not evidence: they are not hashed, `rebuild` makes
//! them again from the log, and `check` compares them with a fresh fold.

use std::fmt::Write as _;
use std::path::Path;

use isms_core::{Event, Item, StreamId};
use isms_store::append::PreparedBatch;
use isms_store::projection::{ItemRow, Touched};
use isms_store::{ReadError, VerifyError};
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::db_err;

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Writes (inserts or replaces) one item's rows.
pub(crate) fn write_item(
    conn: &Connection,
    path: &Path,
    stream: StreamId,
    item: &Item,
    position: u64,
) -> Result<(), ReadError> {
    let row = ItemRow::of(item).map_err(|e| ReadError::Projection {
        projection: "items",
        subject: stream.to_string(),
        detail: format!("its state could not be serialised: {e}"),
    })?;
    write_row(conn, path, stream, &row, position)
}

/// Writes (inserts or replaces) one item's rows, laid out already.
pub(crate) fn write_row(
    conn: &Connection,
    path: &Path,
    stream: StreamId,
    r: &ItemRow,
    position: u64,
) -> Result<(), ReadError> {
    write_rows(conn, path, &[(stream, r, position)])
}

/// Item rows written by one run of [`write_rows`]' many-row statements.
const ITEMS_PER_INSERT: usize = 16;

/// The upsert of `rows` items' rows, or of their KPI facts.
fn rows_upsert(facts: bool, rows: usize) -> String {
    if facts {
        format!(
            "INSERT INTO kpi_facts (kind, number, facts) VALUES {}
             ON CONFLICT (kind, number) DO UPDATE SET facts = excluded.facts",
            vec!["(?, ?, ?)"; rows].join(", ")
        )
    } else {
        format!(
            "INSERT INTO items (stream, kind, number, state, owner, severity, next_due, version, position, body)
             VALUES {}
             ON CONFLICT (stream) DO UPDATE SET
                 kind = excluded.kind, number = excluded.number, state = excluded.state,
                 owner = excluded.owner, severity = excluded.severity, next_due = excluded.next_due,
                 version = excluded.version, position = excluded.position, body = excluded.body",
            vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"; rows].join(", ")
        )
    }
}

/// Writes (inserts or replaces) the rows of items laid out already, in
/// order: [`ITEMS_PER_INSERT`] to a statement, the rest one by one. The
/// statement's own work is a large part of writing one item's rows, as it
/// is of writing one event (a bulk load writes a whole run's new items).
pub(crate) fn write_rows(
    conn: &Connection,
    path: &Path,
    rows: &[(StreamId, &ItemRow, u64)],
) -> Result<(), ReadError> {
    let err = |e| db_err(path, "update the projections", e);
    let mut text = String::new();
    for chunk in rows.chunks(ITEMS_PER_INSERT) {
        let per_run = if chunk.len() == ITEMS_PER_INSERT {
            ITEMS_PER_INSERT
        } else {
            1
        };
        let mut items = conn
            .prepare_cached(&rows_upsert(false, per_run))
            .map_err(err)?;
        let mut facts = conn
            .prepare_cached(&rows_upsert(true, per_run))
            .map_err(err)?;
        for run in chunk.chunks(per_run) {
            for (i, (stream, r, position)) in run.iter().enumerate() {
                let kind = i64::from(r.kind.code());
                let (at, fat) = (10 * i, 3 * i);
                text.clear();
                write!(text, "{stream}").map_err(|e| ReadError::Projection {
                    projection: "items",
                    subject: stream.to_string(),
                    detail: format!("its stream could not be written as text: {e}"),
                })?;
                items
                    .raw_bind_parameter(at + 1, text.as_str())
                    .and_then(|()| items.raw_bind_parameter(at + 2, kind))
                    .and_then(|()| items.raw_bind_parameter(at + 3, r.number))
                    .and_then(|()| items.raw_bind_parameter(at + 4, r.state))
                    .and_then(|()| items.raw_bind_parameter(at + 5, r.owner.as_str()))
                    .and_then(|()| items.raw_bind_parameter(at + 6, r.severity))
                    .and_then(|()| items.raw_bind_parameter(at + 7, r.next_due.as_deref()))
                    .and_then(|()| items.raw_bind_parameter(at + 8, to_i64(r.version)))
                    .and_then(|()| items.raw_bind_parameter(at + 9, to_i64(*position)))
                    .and_then(|()| items.raw_bind_parameter(at + 10, r.body.as_str()))
                    .and_then(|()| facts.raw_bind_parameter(fat + 1, kind))
                    .and_then(|()| facts.raw_bind_parameter(fat + 2, r.number))
                    .and_then(|()| facts.raw_bind_parameter(fat + 3, &r.facts[..]))
                    .map_err(err)?;
            }
            items.raw_execute().map_err(err)?;
            facts.raw_execute().map_err(err)?;
        }
    }
    Ok(())
}

/// Brings the rows of every stream `batch` touched up to date, inside the
/// append's transaction (after its events were inserted). A new stream's
/// rows are those a prepared batch laid out, or its item folded from the
/// batch itself; a continued one, or a new one a batch built event by event
/// has no rows for, is folded from the log, which now holds the new events
/// too.
pub(crate) fn update(
    conn: &Connection,
    path: &Path,
    touched: &Touched,
    prepared: Option<&PreparedBatch>,
) -> Result<(), ReadError> {
    // A prepared batch's new items' rows are written many at a time, in
    // their order, before any other new item's: a continued item's row is
    // replaced where it is, so every new row takes the row id it would
    // have taken written one by one.
    let mut laid_out = Vec::new();
    for (stream, first_sequence, last_position) in touched.streams() {
        let new = first_sequence == 1;
        if let Some(row) = prepared.and_then(|p| p.created_row(stream)).filter(|_| new) {
            laid_out.push((stream, row, last_position));
            continue;
        }
        if new {
            // Written where it would have been, after the rows before it.
            write_rows(conn, path, &laid_out)?;
            laid_out.clear();
        }
        let folded;
        let item = match touched.created(stream).filter(|_| new) {
            Some(item) => Some(item),
            None => {
                folded = fold_stream(conn, path, stream)?;
                folded.as_ref()
            }
        };
        if let Some(item) = item {
            write_item(conn, path, stream, item, last_position)?;
        }
    }
    write_rows(conn, path, &laid_out)
}

fn fold_stream(
    conn: &Connection,
    path: &Path,
    stream: StreamId,
) -> Result<Option<Item>, ReadError> {
    let err = |e| db_err(path, "fold a stream for the projections", e);
    let mut stmt = conn
        .prepare_cached(
            "SELECT position, body FROM events WHERE stream = CAST(?1 AS TEXT) ORDER BY sequence",
        )
        .map_err(err)?;
    let mut rows = stmt.query([stream.to_string()]).map_err(err)?;
    let mut item = None;
    while let Some(row) = rows.next().map_err(err)? {
        let position: i64 = row.get(0).map_err(err)?;
        let body = row.get_ref(1).map_err(err)?;
        let text = body.as_str().map_err(|e| err(e.into()))?;
        let event: Event = serde_json::from_str(text).map_err(|source| ReadError::Undecodable {
            position: u64::try_from(position).unwrap_or(0),
            source,
        })?;
        isms_core::apply_owned(&mut item, event);
    }
    Ok(item)
}

/// Visits every stream of the log folded into its item, with the position
/// of its last event, one stream at a time (the log is read in stream
/// order through its `(stream, sequence)` index, so memory holds one item).
pub(crate) fn each_item<E: From<ReadError>>(
    conn: &Connection,
    path: &Path,
    visit: &mut dyn FnMut(StreamId, Option<Item>, u64) -> Result<(), E>,
) -> Result<u64, E> {
    let err = |e| db_err(path, "fold the log", e);
    let mut stmt = conn
        .prepare("SELECT position, stream, body FROM events ORDER BY stream, sequence")
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    let mut current: Option<(StreamId, Option<Item>, u64)> = None;
    let mut streams = 0u64;
    while let Some(row) = rows.next().map_err(err)? {
        let position: i64 = row.get(0).map_err(err)?;
        let position = u64::try_from(position).unwrap_or(0);
        let stream_text = row
            .get_ref(1)
            .map_err(err)?
            .as_str()
            .map_err(|e| err(e.into()))?;
        let stream: StreamId = stream_text.parse().map_err(|e| ReadError::Malformed {
            position,
            detail: format!("the stream {stream_text:?} is not a stream id: {e}"),
        })?;
        let text = row
            .get_ref(2)
            .map_err(err)?
            .as_str()
            .map_err(|e| err(e.into()))?;
        let event: Event = serde_json::from_str(text)
            .map_err(|source| ReadError::Undecodable { position, source })?;
        match &mut current {
            Some((s, item, last)) if *s == stream => {
                isms_core::apply_owned(item, event);
                *last = (*last).max(position);
            }
            _ => {
                if let Some((s, item, last)) = current.take() {
                    visit(s, item, last)?;
                    streams += 1;
                }
                let mut item = None;
                isms_core::apply_owned(&mut item, event);
                current = Some((stream, item, position));
            }
        }
    }
    if let Some((s, item, last)) = current {
        visit(s, item, last)?;
        streams += 1;
    }
    Ok(streams)
}

/// Empties the projections and builds them again from the log; returns the
/// number of items. `progress` hears of every 10,000 items.
pub(crate) fn rebuild(
    conn: &Connection,
    path: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, ReadError> {
    conn.execute_batch("DELETE FROM items; DELETE FROM kpi_facts;")
        .map_err(|e| db_err(path, "empty the projections", e))?;
    let mut done = 0u64;
    each_item(conn, path, &mut |stream, item, position| {
        if let Some(item) = item {
            write_item(conn, path, stream, &item, position)?;
        }
        done += 1;
        if done.is_multiple_of(10_000) {
            progress(done);
        }
        Ok(())
    })?;
    progress(done);
    Ok(done)
}

/// Compares every projected row with a fresh fold of the log; the first
/// difference is a [`VerifyError::ProjectionMismatch`]. Returns the number
/// of items checked.
pub(crate) fn check(conn: &Connection, path: &Path) -> Result<u64, VerifyError> {
    let err = |e| db_err(path, "check the projections", e);
    let mismatch = |projection, subject: String, detail: String| VerifyError::ProjectionMismatch {
        projection,
        subject,
        detail,
    };
    let mut items = 0u64;
    each_item(conn, path, &mut |stream, item, position| {
        let Some(item) = item else {
            return Ok(());
        };
        items += 1;
        let want = ItemRow::of(&item).map_err(|e| {
            mismatch(
                "items",
                stream.to_string(),
                format!("the folded item could not be serialised: {e}"),
            )
        })?;
        type Stored = (
            i64,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            i64,
            i64,
            String,
        );
        let got: Option<Stored> = conn
            .prepare_cached(
                "SELECT kind, number, state, owner, severity, next_due, version, position, body
                 FROM items WHERE stream = ?1",
            )
            .and_then(|mut stmt| {
                stmt.query_row([stream.to_string()], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                        r.get(8)?,
                    ))
                })
                .optional()
            })
            .map_err(err)?;
        let subject = stream.to_string();
        let Some(got) = got else {
            return Err(mismatch("items", subject, "its row is missing".into()));
        };
        let kind = i64::from(want.kind.code());
        let expected: Stored = (
            kind,
            i64::from(want.number),
            want.state.to_owned(),
            want.owner.clone(),
            want.severity.map(str::to_owned),
            want.next_due.clone(),
            to_i64(want.version),
            to_i64(position),
            want.body.clone(),
        );
        if got != expected {
            let detail = describe_difference(&got, &expected);
            return Err(mismatch("items", subject, detail));
        }
        let facts: Option<Vec<u8>> = conn
            .prepare_cached("SELECT facts FROM kpi_facts WHERE kind = ?1 AND number = ?2")
            .and_then(|mut stmt| {
                stmt.query_row(params![kind, want.number], |r| r.get(0))
                    .optional()
            })
            .map_err(err)?;
        if facts.as_deref() != Some(&want.facts[..]) {
            return Err(mismatch(
                "kpi_facts",
                subject,
                if facts.is_none() {
                    "its row is missing".into()
                } else {
                    "the stored facts differ from the item's".into()
                },
            ));
        }
        Ok(())
    })?;
    for table in ["items", "kpi_facts"] {
        let rows: i64 = conn
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(err)?;
        if u64::try_from(rows).unwrap_or(0) != items {
            return Err(mismatch(
                if table == "items" {
                    "items"
                } else {
                    "kpi_facts"
                },
                "all".into(),
                format!("it has {rows} rows for {items} items in the log"),
            ));
        }
    }
    Ok(items)
}

fn describe_difference<T: std::fmt::Debug>(got: &T, expected: &T) -> String {
    let got = format!("{got:?}");
    let expected = format!("{expected:?}");
    let at = got
        .chars()
        .zip(expected.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let clip = |s: &str| {
        s.chars()
            .skip(at.saturating_sub(20))
            .take(80)
            .collect::<String>()
    };
    format!(
        "stored …{}… where the log gives …{}…",
        clip(&got),
        clip(&expected)
    )
}
