//! Running the binary in a scratch directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// A scratch directory with a database path, removed on drop.
pub(crate) struct Scratch {
    dir: PathBuf,
    /// `--db` when it is not the file in `dir` (a PostgreSQL URL).
    db: Option<PathBuf>,
}

impl Scratch {
    pub(crate) fn new(name: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "isms-cli-test-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self { dir, db: None }
    }

    /// A scratch directory whose `--db` is `db` (a PostgreSQL URL).
    pub(crate) fn with_db(name: &str, db: &str) -> Self {
        let mut scratch = Self::new(name);
        scratch.db = Some(PathBuf::from(db));
        scratch
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(|| self.path("register.db"))
    }

    /// `isms --db <db> --as tester ARGS`, in the scratch directory.
    pub(crate) fn isms(&self, args: &[&str]) -> Run {
        self.isms_as("tester", args)
    }

    pub(crate) fn isms_as(&self, actor: &str, args: &[&str]) -> Run {
        self.run(self.isms_command("--as", actor).args(args), args)
    }

    /// `isms --db <db> --as tester ARGS` as a command to adjust (environment,
    /// standard streams, user) before running it with [`Scratch::run`].
    pub(crate) fn isms_command(&self, as_flag: &str, actor: &str) -> Command {
        let mut c = command(&self.dir);
        c.arg("--db").arg(self.db()).args([as_flag, actor]);
        c
    }

    /// Runs a command made by [`Scratch::isms_command`] (with `args` added).
    pub(crate) fn run(&self, command: &mut Command, args: &[&str]) -> Run {
        Run::from(command.output().unwrap(), args)
    }

    /// `isms --db <db> --as tester ARGS` on another database file.
    pub(crate) fn isms_on(&self, db: &Path, args: &[&str]) -> Run {
        let mut c = command(&self.dir);
        c.arg("--db").arg(db).args(["--as", "tester"]).args(args);
        self.run(&mut c, args)
    }

    /// Reports one minor nonconformity titled `title`; returns its reference.
    pub(crate) fn report(&self, title: &str) -> String {
        let out = self
            .isms(&[
                "nc",
                "report",
                "--title",
                title,
                "--source",
                "monitoring",
                "--severity",
                "minor",
            ])
            .ok();
        out.split(':').next().unwrap_or_default().to_owned()
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The binary with a clean environment (no `$ISMS_DB` or `$ISMS_ACTOR`
/// from the developer's shell).
pub(crate) fn command(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_isms"));
    c.current_dir(dir)
        .env_remove("ISMS_DB")
        .env_remove("ISMS_ACTOR")
        .env_remove("ISMS_SIGNING_KEY")
        .env_remove("ISMS_PUBLIC_KEY")
        .env_remove("ISMS_EXTENSIONS_SCHEMA")
        .env_remove("ISMS_USER_FRAMEWORKS");
    c
}

/// What a run printed and how it ended.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    args: String,
}

impl Run {
    fn from(o: Output, args: &[&str]) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8(o.stdout).unwrap(),
            stderr: String::from_utf8(o.stderr).unwrap(),
            args: args.join(" "),
        }
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub(crate) fn ok(self) -> String {
        assert_eq!(
            self.code, 0,
            "isms {} failed:\n{}{}",
            self.args, self.stdout, self.stderr
        );
        self.stdout
    }

    /// Asserts this exit code and returns stderr.
    #[track_caller]
    pub(crate) fn fails(self, code: i32) -> String {
        assert_eq!(
            self.code, code,
            "isms {}: expected exit {code}:\n{}{}",
            self.args, self.stdout, self.stderr
        );
        self.stderr
    }

    /// stdout as JSON.
    #[track_caller]
    pub(crate) fn json(self) -> serde_json::Value {
        let out = self.ok();
        serde_json::from_str(&out).unwrap()
    }
}

/// The bytes of the database and its WAL, to show that nothing changed.
pub(crate) fn db_bytes(db: &Path) -> (Vec<u8>, Vec<u8>) {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    (
        std::fs::read(db).unwrap(),
        std::fs::read(PathBuf::from(wal)).unwrap_or_default(),
    )
}
