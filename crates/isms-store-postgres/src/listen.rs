//! [`Listener`]: learning of new events without polling (`LISTEN/NOTIFY`).

use std::path::PathBuf;
use std::time::Duration;

use isms_store::{OpenError, ReadError};
use postgres::Client;
use postgres::fallible_iterator::FallibleIterator;

use crate::register::RegisterId;
use crate::store::{label_of, pg_err};

/// A connection listening for appends to one register.
///
/// Every append sends, in its transaction, a notification on the
/// register's channel ([`RegisterId::channel`]) whose payload is the new
/// head position. PostgreSQL delivers it only when the append commits, so
/// a listener never hears of an event it cannot read. Notifications carry
/// no event data; read them with `Selection::After(last_seen)`.
///
/// Channels are not covered by row-level security: a role that knows a
/// register's id can hear that it moved (not what was appended).
pub struct Listener {
    client: Client,
    label: PathBuf,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener")
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl Listener {
    /// Connects and starts listening to `register`.
    ///
    /// # Errors
    /// [`ReadError::Backend`] when the server cannot be reached.
    pub fn connect(url: &str, register: &RegisterId) -> Result<Self, OpenError> {
        let (mut client, label) = crate::tls::open(url, |config| label_of(config, register))?;
        client
            .batch_execute(&format!("LISTEN \"{}\"", register.channel()))
            .map_err(|e| pg_err(&label, "listen", e))?;
        Ok(Self { client, label })
    }

    /// Waits up to `timeout` for appends; returns the highest head position
    /// announced (all notifications already queued are taken), or `None`
    /// when nothing was appended meanwhile.
    ///
    /// # Errors
    /// [`ReadError::Backend`] when the connection fails.
    pub fn wait(&mut self, timeout: Duration) -> Result<Option<u64>, ReadError> {
        let mut newest = None;
        let mut note = |payload: &str| {
            if let Ok(p) = payload.parse::<u64>() {
                newest = Some(newest.map_or(p, |n: u64| n.max(p)));
            }
        };
        let mut notifications = self.client.notifications();
        let first = notifications
            .timeout_iter(timeout)
            .next()
            .map_err(|e| pg_err(&self.label, "wait for events", e))?;
        if let Some(n) = first {
            note(n.payload());
        }
        let mut pending = notifications.iter();
        while let Some(n) = pending
            .next()
            .map_err(|e| pg_err(&self.label, "wait for events", e))?
        {
            note(n.payload());
        }
        Ok(newest)
    }
}
