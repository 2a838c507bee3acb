//! When the write-ahead log is copied into the database file.
//!
//! SQLite's default copies the log back (a checkpoint) inside the commit
//! that takes the log past 1,000 pages: that commit writes and syncs a
//! few megabytes more than the others, which is most of the difference
//! between a batch append's mean and its median. A writable store instead
//! asks a thread of its own, with its own connection, to run a passive
//! checkpoint once the log passes [`BACKGROUND_AT`] pages, and the commit
//! returns at once. If that thread falls behind (or could not start), the
//! commit that takes the log past [`INLINE_AT`] pages checkpoints inline,
//! as SQLite would, so the log stays bounded.
//!
//! A checkpoint only copies committed pages from the log into the
//! database file; it never changes what a commit made durable, and a
//! process killed in the middle of one leaves a store SQLite recovers
//! (the log is still there). The thread is stopped and joined when the
//! store closes or is dropped.

use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Log pages after which a commit asks the background thread to checkpoint
/// (SQLite's own automatic checkpoint threshold).
pub(crate) const BACKGROUND_AT: i32 = 1_000;

/// Log pages after which a commit checkpoints inline because the
/// background checkpoints have not kept up.
pub(crate) const INLINE_AT: i32 = 16 * BACKGROUND_AT;

#[derive(Debug, Default)]
struct State {
    /// A checkpoint was asked for and has not started yet.
    pending: bool,
    /// The store is closing: the thread ends.
    stop: bool,
    /// The thread ended without being asked (its connection failed):
    /// commits checkpoint inline from [`BACKGROUND_AT`] on.
    failed: bool,
    /// Checkpoints the thread completed (for tests).
    done: u64,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The background checkpointer of one writable store.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Checkpointer {
    /// Installs the policy on `conn` (the store's own connection to
    /// `path`). The thread starts with the first checkpoint asked for, so
    /// a store that never writes much never starts one.
    pub(crate) fn install(
        conn: &mut Connection,
        path: &Path,
        synchronous: &'static str,
    ) -> rusqlite::Result<Self> {
        let shared = Arc::new(Shared::default());
        let thread: Arc<Mutex<Option<JoinHandle<()>>>> = Arc::default();
        let hook_shared = Arc::clone(&shared);
        let hook_thread = Arc::clone(&thread);
        let path = path.to_owned();
        // Replaces SQLite's automatic checkpoint (`wal_autocheckpoint`
        // installs the same hook), so this hook is now the only policy.
        conn.wal_hook(Some(move |wal: &mut rusqlite::hooks::Wal, pages: i32| {
            let failed = hook_shared.lock().failed;
            if pages >= INLINE_AT || (failed && pages >= BACKGROUND_AT) {
                // As SQLite's own hook: a checkpoint that cannot finish now
                // (a reader on an old snapshot) is left for a later commit;
                // the commit itself has succeeded either way.
                let _ = wal.checkpoint();
            } else if pages >= BACKGROUND_AT {
                request(&hook_shared, &hook_thread, &path, synchronous);
            }
            Ok(())
        }))?;
        Ok(Self { shared, thread })
    }

    /// Stops the thread (a checkpoint under way finishes first) and waits
    /// for it.
    pub(crate) fn stop(&self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        let handle = self
            .thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    /// Checkpoints the background thread has completed.
    #[cfg(test)]
    pub(crate) fn completed(&self) -> u64 {
        self.shared.lock().done
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn request(
    shared: &Arc<Shared>,
    thread: &Arc<Mutex<Option<JoinHandle<()>>>>,
    path: &Path,
    synchronous: &'static str,
) {
    {
        let mut state = shared.lock();
        if state.stop {
            return;
        }
        state.pending = true;
    }
    shared.wake.notify_one();
    let mut slot = thread.lock().unwrap_or_else(PoisonError::into_inner);
    if slot.is_none() {
        let for_thread = Arc::clone(shared);
        let path = path.to_owned();
        let spawned = std::thread::Builder::new()
            .name("isms-sqlite-checkpoint".into())
            .spawn(move || run(&for_thread, &path, synchronous));
        match spawned {
            Ok(handle) => *slot = Some(handle),
            Err(_) => shared.lock().failed = true,
        }
    }
}

fn run(shared: &Shared, path: &Path, synchronous: &'static str) {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .and_then(|conn| {
        conn.busy_timeout(Duration::from_millis(100))?;
        // The checkpoint syncs as the store's commits do.
        conn.pragma_update(None, "synchronous", synchronous)?;
        Ok(conn)
    });
    let Ok(conn) = conn else {
        shared.lock().failed = true;
        return;
    };
    loop {
        {
            let mut state = shared.lock();
            while !state.pending && !state.stop {
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if state.stop {
                break;
            }
            state.pending = false;
        }
        // Passive: copies what it can without waiting for the writer or
        // readers; what it cannot is copied by the next one.
        if conn
            .wal_checkpoint_v2(None::<&str>, rusqlite::wal::CheckpointMode::PASSIVE)
            .is_ok()
        {
            shared.lock().done += 1;
        }
    }
    // Closing this connection never ends the log: the store's own
    // connection is still open, and it closes last.
    drop(conn);
}
