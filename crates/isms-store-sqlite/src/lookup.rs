//! Finding one item's stream by its human reference, without reading the
//! log: the `claims` index of schema version 3.

use isms_core::{Claim, ImprovementRef, NcRef, StreamId};
use isms_store::{EventStore, ReadError};

use crate::store::SqliteStore;

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
    /// A text that is no reference finds nothing.
    ///
    /// # Errors
    /// A [`ReadError`] naming the file when SQLite fails, or
    /// [`ReadError::Corrupt`] when the index holds a stream id that does
    /// not parse.
    pub fn find_stream_by_reference(&self, reference: &str) -> Result<Option<StreamId>, ReadError> {
        let claim = if let Ok(r) = reference.parse::<NcRef>() {
            Claim::Nonconformity(r)
        } else if let Ok(r) = reference.parse::<ImprovementRef>() {
            Claim::Improvement(r)
        } else {
            return Ok(None);
        };
        // Exactly as recorded: `nc-1` names nothing here (the CLI accepts
        // loose spellings and asks with the canonical one).
        if claim.to_string() != reference {
            return Ok(None);
        }
        let found = self.find_claim(claim)?;
        self.check_unchanged()?;
        Ok(found)
    }
}
