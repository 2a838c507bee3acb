//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use isms_core::Event;
use isms_store::workload::Workload;
use isms_store::{AppendBatch, EventStore, ExpectedVersion, StreamAppend};
use isms_store_sqlite::SqliteStore;

/// A directory removed on drop.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "isms-store-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub(crate) fn path(&self) -> &Path {
        &self.0
    }

    pub(crate) fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `n` whole lifecycles appended, one batch each; returns all events.
pub(crate) fn fill(store: &mut SqliteStore, workload: &mut Workload, n: usize) -> Vec<Event> {
    let mut all = Vec::new();
    for _ in 0..n {
        let events = workload.lifecycle(Default::default()).unwrap();
        all.extend(events.iter().cloned());
        store
            .append(&AppendBatch {
                appends: vec![StreamAppend {
                    stream: events[0].stream,
                    expected: ExpectedVersion::NoStream,
                    events,
                }],
                ..AppendBatch::default()
            })
            .unwrap();
    }
    all
}

/// A store file with `n` lifecycles in it, closed.
pub(crate) fn filled_file(dir: &TempDir, name: &str, n: usize) -> PathBuf {
    let path = dir.file(name);
    let mut store = SqliteStore::create(&path).unwrap();
    fill(&mut store, &mut Workload::new(), n);
    store.close().unwrap();
    path
}

/// A raw connection that bypasses the store, as the sqlite3 shell would.
pub(crate) fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

/// Starts `isms-store-stress ARGS` and waits for its `ready` line: the
/// child is then writing, and a test may kill it.
pub(crate) fn started_stress(args: &[&str], what: &str) -> std::process::Child {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(stress_bin())
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "ready", "{what} did not start");
    child
}

pub(crate) fn stress_bin() -> &'static str {
    env!("CARGO_BIN_EXE_isms-store-stress")
}

/// A small xorshift generator seeded from the clock; the seed is printed
/// so that a failing run can be told apart.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn seeded() -> Self {
        // ISMS_TEST_SEED replays a failing run (the seed is printed below).
        let seed = std::env::var("ISMS_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            })
            | 1;
        eprintln!("rng seed {seed}");
        Self(seed)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
