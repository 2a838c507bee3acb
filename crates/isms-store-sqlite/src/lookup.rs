//! Finding one item's stream by its human reference, without reading the
//! log: the `stream_refs` index of schema version 2.

use isms_core::StreamId;
use isms_store::StoreError;
use rusqlite::OptionalExtension;

use crate::store::{SqliteStore, db_err};

impl SqliteStore {
    /// The stream of the nonconformity or improvement with this human
    /// reference (`NC-0007`, `IMP-0002`, exactly as recorded in its
    /// reporting or proposing event), or `None` if no such item was
    /// recorded. One index look-up: read the item with
    /// `Selection::Stream` afterwards.
    ///
    /// ```
    /// use isms_store::{ExpectedVersion, Selection, workload::Workload};
    /// use isms_store_sqlite::{EventStore, SqliteStore};
    ///
    /// let mut store = SqliteStore::open_in_memory()?;
    /// let events = Workload::new().lifecycle(Default::default())?;
    /// let stream = events[0].stream;
    /// store.append_to_stream(stream, ExpectedVersion::NoStream, events)?;
    ///
    /// assert_eq!(store.find_stream_by_reference("NC-0001")?, Some(stream));
    /// assert_eq!(store.find_stream_by_reference("NC-0002")?, None);
    /// let history = store.load(Selection::Stream(stream))?;
    /// assert_eq!(history[0].event.sequence, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// A [`StoreError`] naming the file when SQLite fails, or
    /// [`StoreError::Corrupt`] when the index holds a stream id that does
    /// not parse.
    pub fn find_stream_by_reference(
        &self,
        reference: &str,
    ) -> Result<Option<StreamId>, StoreError> {
        let stream: Option<String> = self
            .conn
            .prepare_cached("SELECT stream FROM stream_refs WHERE reference = ?1")
            .and_then(|mut stmt| stmt.query_row([reference], |r| r.get(0)).optional())
            .map_err(|e| db_err(&self.path, "find stream by reference", e))?;
        self.check_unchanged()?;
        stream
            .map(|s| {
                s.parse().map_err(|_| StoreError::Corrupt {
                    path: self.path.clone(),
                    detail: format!(
                        "stream_refs maps {reference} to {s:?}, which is not a stream id"
                    ),
                })
            })
            .transpose()
    }
}
