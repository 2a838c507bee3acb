//! Turning stored rows back into events, on a second thread for big reads.
//!
//! Reading a log has three costs of similar size: stepping SQLite through
//! the rows, decoding each JSON body, and whatever the caller does with the
//! event (usually `Register::apply_owned`). The first and last must happen on
//! the caller's thread (the connection and the visitor are not `Send`); the
//! decoding need not. [`read_rows`] therefore copies rows into chunks, hands
//! each chunk to a decoding thread and visits the decoded events of one
//! chunk while the next one is being decoded. Events still reach the visitor
//! one by one, in log order, and an undecodable row stops the read at the
//! same event, with the same error, as decoding inline would.
//!
//! Reads that fit in one chunk (one stream, a short range) are decoded
//! inline: no thread is started for them.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use chrono::{DateTime, Utc};
use isms_core::Event;
use isms_store::{ChainHash, ReadError, StoredEvent};

/// Rows per chunk: large enough that the hand-over costs nothing, small
/// enough (about 1.5 MB of JSON) that little is held in memory.
const CHUNK_ROWS: usize = 4096;

/// Chunks that may wait on either side of the decoding thread.
const CHUNKS_IN_FLIGHT: usize = 2;

/// One row as SQLite hands it over, borrowed from the current step.
pub(crate) struct Row<'a> {
    pub(crate) position: u64,
    pub(crate) hash: &'a [u8],
    pub(crate) body: &'a str,
}

/// Steps the statement once: passes the row, while it is borrowed, to the
/// closure it is given and returns `Ok(true)`, or returns `Ok(false)` at
/// the end.
pub(crate) type NextRow<'s> = dyn FnMut(&mut dyn FnMut(Row<'_>)) -> Result<bool, ReadError> + 's;

/// Rows copied out of SQLite, not yet decoded: one buffer for all bodies
/// and one for all hashes, so a chunk is a handful of allocations.
#[derive(Default)]
struct RawRows {
    positions: Vec<u64>,
    hashes: Vec<u8>,
    hash_ends: Vec<usize>,
    bodies: String,
    body_ends: Vec<usize>,
}

impl RawRows {
    fn with_capacity(rows: usize) -> Self {
        Self {
            positions: Vec::with_capacity(rows),
            hashes: Vec::with_capacity(rows * 32),
            hash_ends: Vec::with_capacity(rows),
            bodies: String::with_capacity(rows * 400),
            body_ends: Vec::with_capacity(rows),
        }
    }

    fn len(&self) -> usize {
        self.positions.len()
    }

    fn push(&mut self, row: &Row<'_>) {
        self.positions.push(row.position);
        self.hashes.extend_from_slice(row.hash);
        self.hash_ends.push(self.hashes.len());
        self.bodies.push_str(row.body);
        self.body_ends.push(self.bodies.len());
    }

    /// Decodes the rows in order into `out`; stops at the first row that
    /// does not decode and returns its error (the rows before it are in
    /// `out`).
    fn decode_into(&self, out: &mut Vec<StoredEvent>) -> Result<(), ReadError> {
        let (mut hash_start, mut body_start) = (0, 0);
        for (i, &position) in self.positions.iter().enumerate() {
            let (hash_end, body_end) = (self.hash_ends[i], self.body_ends[i]);
            out.push(decode(
                position,
                &self.hashes[hash_start..hash_end],
                &self.bodies[body_start..body_end],
            )?);
            hash_start = hash_end;
            body_start = body_end;
        }
        Ok(())
    }
}

/// Decodes one stored row: the JSON body into an [`Event`], the hash blob
/// into a [`ChainHash`].
pub(crate) fn decode(position: u64, hash: &[u8], body: &str) -> Result<StoredEvent, ReadError> {
    let event: Event =
        serde_json::from_str(body).map_err(|source| ReadError::Undecodable { position, source })?;
    let hash = <[u8; 32]>::try_from(hash)
        .map(ChainHash)
        .map_err(|_| ReadError::Malformed {
            position,
            detail: format!("the hash has {} bytes instead of 32", hash.len()),
        })?;
    Ok(StoredEvent {
        position,
        hash,
        event,
    })
}

/// Reads every row `next_row` yields, decodes it and calls `visit` with the
/// events recorded at or before `as_of` (all of them when `None`), in order.
///
pub(crate) fn read_rows(
    path: &Path,
    next_row: &mut NextRow<'_>,
    as_of: Option<DateTime<Utc>>,
    visit: &mut dyn FnMut(StoredEvent),
) -> Result<(), ReadError> {
    read_rows_with(decoders(), path, next_row, as_of, visit)
}

/// [`read_rows`] with a given number of decoding threads (at least one).
fn read_rows_with(
    decoders: usize,
    path: &Path,
    next_row: &mut NextRow<'_>,
    as_of: Option<DateTime<Utc>>,
    visit: &mut dyn FnMut(StoredEvent),
) -> Result<(), ReadError> {
    let mut emit = |stored: StoredEvent| {
        // Filtering by time happens here rather than in SQL so that the
        // comparison is chrono's, exact to the nanosecond.
        if as_of.is_none_or(|t| stored.event.at <= t) {
            visit(stored);
        }
    };

    let mut first = RawRows::with_capacity(CHUNK_ROWS);
    let exhausted = fill(next_row, &mut first)?;
    if exhausted {
        return decode_inline(&first, &mut emit);
    }

    std::thread::scope(|scope| {
        let lanes: Vec<Lane> = (0..decoders.max(1))
            .map(|_| {
                let (raw_tx, raw_rx) = sync_channel::<RawRows>(CHUNKS_IN_FLIGHT);
                let (decoded_tx, decoded_rx) = sync_channel::<Decoded>(CHUNKS_IN_FLIGHT);
                scope.spawn(move || decode_chunks(&raw_rx, &decoded_tx));
                (raw_tx, decoded_rx)
            })
            .collect();
        // Dropping the lanes when this closure returns, early or not, ends
        // the decoding threads before the scope joins them.
        pipeline(path, next_row, first, &lanes, &mut emit)
    })
}

/// How many decoding threads a big read uses: one per core beyond the
/// caller's own (whose thread steps SQLite and visits), at least one, and
/// no more than four, past which SQLite and the visitor are the limit.
fn decoders() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .clamp(1, 4)
}

/// The two ends of one decoding thread: chunks go in, decoded chunks come
/// back in the same order.
type Lane = (SyncSender<RawRows>, Receiver<Decoded>);

/// A decoded chunk: its events, and the error that stopped it, if any.
type Decoded = (Vec<StoredEvent>, Option<ReadError>);

/// Copies rows into `chunk` until it is full; `true` when the statement
/// has no rows left.
fn fill(next_row: &mut NextRow<'_>, chunk: &mut RawRows) -> Result<bool, ReadError> {
    while chunk.len() < CHUNK_ROWS {
        if !next_row(&mut |row| chunk.push(&row))? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn decode_inline(rows: &RawRows, emit: &mut dyn FnMut(StoredEvent)) -> Result<(), ReadError> {
    let mut out = Vec::with_capacity(rows.len());
    let result = rows.decode_into(&mut out);
    out.into_iter().for_each(&mut *emit);
    result
}

/// The decoding thread: decodes chunks in arrival order until the reader
/// hangs up or a chunk fails.
fn decode_chunks(raw: &Receiver<RawRows>, decoded: &SyncSender<Decoded>) {
    for rows in raw {
        let mut out = Vec::with_capacity(rows.len());
        let error = rows.decode_into(&mut out).err();
        let failed = error.is_some();
        if decoded.send((out, error)).is_err() || failed {
            return;
        }
    }
}

/// The reading thread's side: deals chunks to the decoding threads in
/// turn, reading ahead while they work, and collects the decoded chunks in
/// the same turn, so that events are visited in log order.
fn pipeline(
    path: &Path,
    next_row: &mut NextRow<'_>,
    first: RawRows,
    lanes: &[Lane],
    emit: &mut dyn FnMut(StoredEvent),
) -> Result<(), ReadError> {
    let hung_up = || ReadError::Backend {
        path: path.to_owned(),
        operation: "read",
        source: "a decoding thread stopped unexpectedly".into(),
    };
    let n = lanes.len();
    lanes[0].0.send(first).map_err(|_| hung_up())?;
    let (mut sent, mut received) = (1usize, 0usize);
    let mut exhausted = false;
    while received < sent {
        // Keep every decoding thread busy with up to two chunks.
        while !exhausted && sent - received < 2 * n {
            let mut next = RawRows::with_capacity(CHUNK_ROWS);
            exhausted = fill(next_row, &mut next)?;
            if next.len() > 0 {
                if lanes[sent % n].0.send(next).is_err() {
                    // That thread stopped at a bad row in an earlier chunk:
                    // read no further; its error arrives in turn below.
                    exhausted = true;
                    break;
                }
                sent += 1;
            }
        }
        let (events, error) = lanes[received % n].1.recv().map_err(|_| hung_up())?;
        received += 1;
        events.into_iter().for_each(&mut *emit);
        if let Some(error) = error {
            return Err(error);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use isms_store::workload::Workload;

    /// 10,000 real events as stored rows: three chunks, the last partial.
    fn rows() -> Vec<(u64, Vec<u8>, String)> {
        let mut workload = Workload::new();
        (0..1000)
            .flat_map(|_| workload.lifecycle(Default::default()).unwrap())
            .enumerate()
            .map(|(i, e)| {
                (
                    i as u64 + 1,
                    vec![7; 32],
                    serde_json::to_string(&e).unwrap(),
                )
            })
            .collect()
    }

    fn read(
        decoders: usize,
        rows: &[(u64, Vec<u8>, String)],
    ) -> (Vec<StoredEvent>, Result<(), ReadError>) {
        let mut next = rows.iter();
        let mut next_row = |take: &mut dyn FnMut(Row<'_>)| {
            Ok(next.next().is_some_and(|(position, hash, body)| {
                take(Row {
                    position: *position,
                    hash,
                    body,
                });
                true
            }))
        };
        let mut seen = Vec::new();
        let result = read_rows_with(
            decoders,
            Path::new("test.isms"),
            &mut next_row,
            None,
            &mut |e| seen.push(e),
        );
        (seen, result)
    }

    #[test]
    fn any_number_of_decoders_visits_every_event_in_order() {
        let rows = rows();
        let expected: Vec<Event> = rows
            .iter()
            .map(|(_, _, body)| serde_json::from_str(body).unwrap())
            .collect();
        for decoders in 1..=4 {
            let (seen, result) = read(decoders, &rows);
            result.unwrap();
            let positions: Vec<u64> = seen.iter().map(|e| e.position).collect();
            assert_eq!(positions, (1..=rows.len() as u64).collect::<Vec<_>>());
            let events: Vec<Event> = seen.into_iter().map(|e| e.event).collect();
            assert_eq!(events, expected, "{decoders} decoders");
        }
    }

    #[test]
    fn a_bad_row_stops_every_pipeline_at_that_row() {
        for bad in [1_usize, 4096, 4097, 9999, 10_000] {
            let mut rows = rows();
            rows[bad - 1].2 = "{\"not\": \"an event\"}".to_owned();
            for decoders in 1..=4 {
                let (seen, result) = read(decoders, &rows);
                assert!(
                    matches!(result, Err(ReadError::Undecodable { position, .. }) if position == bad as u64),
                    "row {bad}, {decoders} decoders: {result:?}"
                );
                assert_eq!(seen.len(), bad - 1, "row {bad}, {decoders} decoders");
            }
        }
        // A hash of the wrong length stops the read the same way.
        let mut rows = rows();
        rows[6000].1.pop();
        for decoders in 1..=4 {
            let (seen, result) = read(decoders, &rows);
            assert!(
                matches!(result, Err(ReadError::Malformed { position: 6001, .. })),
                "{decoders} decoders: {result:?}"
            );
            assert_eq!(seen.len(), 6000);
        }
    }
}
