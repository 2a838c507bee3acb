//! Reads larger than one decoding chunk (4,096 rows) go through the
//! two-thread pipeline: the events must arrive whole, once each, in log
//! order, and a bad row must stop the read exactly where inline decoding
//! would.

use isms_store::{EventStore, ReadError, Selection, StoredEvent};
use isms_store_sqlite::SqliteStore;

use crate::support::{TempDir, filled_file, raw};

/// 1,000 lifecycles of 10 events: three chunks, the last one partial.
const LIFECYCLES: usize = 1000;

fn read_all(store: &SqliteStore, selection: Selection) -> (Vec<StoredEvent>, Option<ReadError>) {
    let mut seen = Vec::new();
    let result = store.read(selection, &mut |e| seen.push(e));
    (seen, result.err())
}

#[test]
fn a_big_read_returns_every_event_once_in_log_order() {
    let dir = TempDir::new("bigread");
    let path = filled_file(&dir, "s.isms", LIFECYCLES);
    let store = SqliteStore::open(&path).unwrap();
    let (all, err) = read_all(&store, Selection::All);
    assert!(err.is_none(), "{err:?}");
    let total = store.head().unwrap().position;
    assert!(
        total > 2 * 4096,
        "the store must span several chunks: {total}"
    );
    let positions: Vec<u64> = all.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=total).collect::<Vec<_>>());

    // The same events, read one stream at a time (each read fits one chunk
    // and is decoded inline), put back in log order.
    let mut streams: Vec<_> = all.iter().map(|e| e.event.stream).collect();
    streams.sort_unstable_by_key(|s| s.to_string());
    streams.dedup();
    let mut by_stream: Vec<StoredEvent> = streams
        .iter()
        .flat_map(|s| store.load_stream(*s).unwrap())
        .collect();
    by_stream.sort_by_key(|e| e.position);
    assert_eq!(by_stream, all);

    // A time filter over a big read keeps exactly the events at or before
    // the instant.
    let instant = all[all.len() / 2].event.at;
    let (as_of, err) = read_all(&store, Selection::AsOf(instant));
    assert!(err.is_none(), "{err:?}");
    let expected: Vec<&StoredEvent> = all.iter().filter(|e| e.event.at <= instant).collect();
    assert_eq!(as_of.iter().collect::<Vec<_>>(), expected);
    assert!(!as_of.is_empty() && as_of.len() < all.len());

    // And a range that starts inside one chunk and ends inside another.
    let (range, err) = read_all(
        &store,
        Selection::Positions {
            from: 4000,
            to: 9000,
        },
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(range.as_slice(), &all[3999..9000]);
}

#[test]
fn an_undecodable_row_stops_a_big_read_at_that_row() {
    // One position in the first chunk, one in a later chunk, the last row.
    for bad in [100_i64, 6000, 10_000] {
        let dir = TempDir::new("bigread-bad");
        let path = filled_file(&dir, "s.isms", LIFECYCLES);
        let conn = raw(&path);
        conn.execute_batch(&format!(
            "DROP TRIGGER events_no_update;
             UPDATE events SET body = '{{\"not\": \"an event\"}}' WHERE position = {bad};"
        ))
        .unwrap();
        assert_eq!(conn.changes(), 1);
        drop(conn);

        let store = SqliteStore::open(&path).unwrap();
        let (seen, err) = read_all(&store, Selection::All);
        match err {
            Some(ReadError::Undecodable { position, .. }) => {
                assert_eq!(position, bad as u64)
            }
            other => panic!("row {bad}: expected Undecodable, got {other:?}"),
        }
        let positions: Vec<u64> = seen.iter().map(|e| e.position).collect();
        assert_eq!(positions, (1..bad as u64).collect::<Vec<_>>(), "row {bad}");
        assert!(matches!(
            store.fold(Selection::All),
            Err(ReadError::Undecodable { position, .. }) if position == bad as u64
        ));
    }
}
