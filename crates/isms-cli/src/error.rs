//! What can go wrong, how it is shown and which exit code it gives.

use std::path::PathBuf;
use std::time::Duration;

use isms_core::DecisionError;
use isms_store::{
    AppendError, BackupError, HandleError, OpenError, ReadError, StoreError, VerifyError,
};

/// Exit codes, documented in `isms --help` and `docs/cli.md`.
pub mod exit {
    /// Any other error.
    pub const OTHER: u8 = 1;
    /// Bad command line or argument value.
    pub const USAGE: u8 = 2;
    /// A workflow rule refused the command; nothing was recorded.
    pub const REFUSED: u8 = 3;
    /// The item, file or catalogue entry does not exist.
    pub const NOT_FOUND: u8 = 4;
    /// The store or a file could not be read or written.
    pub const STORE: u8 = 5;
    /// The register does not verify: the log, its index or a checkpoint
    /// was changed, or the file is damaged.
    pub const TAMPERED: u8 = 6;
    /// An input document is invalid.
    pub const INVALID_INPUT: u8 = 7;
}

/// An error of the command-line tool; the libraries' errors are wrapped,
/// never flattened, so their messages reach the user as written.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An argument value that does not parse.
    #[error("{0}")]
    Usage(String),
    /// The core refused the command.
    #[error("refused: {0}")]
    Refused(#[from] DecisionError),
    /// Something addressed does not exist.
    #[error("{what} not found{hint}")]
    NotFound {
        /// What was looked for.
        what: String,
        /// What to do, starting with "; " (or empty).
        hint: String,
    },
    /// A catalogue reference that does not resolve.
    #[error("{0}")]
    Catalog(#[from] isms_catalog::ResolveError),
    /// The store failed, refused or found the log changed (whichever
    /// operation: opening, reading, appending, verifying, backing up).
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Writers kept colliding.
    #[error("{0}")]
    Handle(HandleError),
    /// Another process held the write lock longer than the timeout.
    #[error(
        "{}: another process has held the write lock for more than {} s; nothing was written",
        path.display(), timeout.as_secs()
    )]
    LockTimeout {
        /// The lock file.
        path: PathBuf,
        /// How long this process waited.
        timeout: Duration,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// An input document with every problem found.
    #[error("{file}: {} problem(s), nothing was imported:\n{}", .problems.len(), .problems.join("\n"))]
    InvalidInput {
        /// The file.
        file: PathBuf,
        /// One line per problem, each starting with its JSON path.
        problems: Vec<String>,
    },
    /// A policy file that is not a policy (`isms policy set`).
    #[error("{file}: not a policy, nothing was recorded: {problem}")]
    InvalidPolicyFile {
        /// The file.
        file: PathBuf,
        /// What is wrong, with its line and column where known.
        problem: String,
    },
    /// A kept evidence copy is missing or does not hash to its name.
    #[error("kept evidence does not verify:\n{}", .problems.join("\n"))]
    EvidenceDamaged {
        /// One line per copy.
        problems: Vec<String>,
    },
    /// A backup or a restore that was done, with kept evidence copies it
    /// could not bring along.
    #[error(
        "{done}; but these kept evidence copies are not in {}:\n{}",
        .folder.display(),
        .problems.join("\n")
    )]
    EvidenceNotCarried {
        /// What was done (the register backed up or restored, verified).
        done: String,
        /// The evidence folder the copies should be in.
        folder: PathBuf,
        /// One line per copy.
        problems: Vec<String>,
    },
    /// Anything else, said in full.
    #[error("{0}")]
    Other(String),
}

impl From<HandleError> for CliError {
    fn from(e: HandleError) -> Self {
        match e {
            HandleError::Refused(d) => CliError::Refused(d),
            HandleError::Read(e) => CliError::Store(e.into()),
            HandleError::Append(e) => CliError::Store(e.into()),
            other => CliError::Handle(other),
        }
    }
}

/// Each operation's error reaches the user through [`StoreError`].
macro_rules! through_store_error {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::Store(e.into())
            }
        }
    )*};
}
through_store_error!(OpenError, ReadError, AppendError, VerifyError, BackupError);

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => exit::USAGE,
            CliError::Refused(_) => exit::REFUSED,
            CliError::NotFound { .. } | CliError::Catalog(_) => exit::NOT_FOUND,
            CliError::Store(e) => store_exit_code(e),
            CliError::Io { .. } | CliError::Handle(_) | CliError::LockTimeout { .. } => exit::STORE,
            CliError::InvalidInput { .. } | CliError::InvalidPolicyFile { .. } => {
                exit::INVALID_INPUT
            }
            CliError::EvidenceDamaged { .. } | CliError::EvidenceNotCarried { .. } => {
                exit::TAMPERED
            }
            CliError::Other(_) => exit::OTHER,
        }
    }

    /// What the user can do about it, if there is something general to say.
    pub fn advice(&self) -> Option<String> {
        match self {
            CliError::Refused(e)
                if matches!(e.code(), "invalid_policy" | "policy_approver_role_missing")
                    || matches!(
                        e,
                        DecisionError::TimeWentBackwards {
                            subject: isms_core::Subject::Policy,
                            ..
                        }
                    ) =>
            {
                Some(
                    "nothing was recorded; `isms policy show` shows the policy in force and who \
                     adopted it, docs/workflow.md the rules of an adoption"
                        .into(),
                )
            }
            CliError::Refused(_) => Some(
                "nothing was recorded; `isms nc show REF` shows the item's state, \
                 docs/workflow.md which command may follow which"
                    .into(),
            ),
            CliError::Store(StoreError::Open(OpenError::NotFound { path })) => Some(format!(
                "create it with `isms --db {} init`, or point --db / $ISMS_DB at an existing register",
                path.display()
            )),
            CliError::Store(
                StoreError::Verify(
                    VerifyError::ChainBroken { .. }
                    | VerifyError::Undecodable { .. }
                    | VerifyError::ClaimIndex { .. }
                    | VerifyError::Checkpoint { .. }
                    | VerifyError::Integrity { .. },
                )
                | StoreError::Read(ReadError::Malformed { .. }),
            ) => Some(
                "the event log was changed outside isms; restore a verified backup with `isms restore --from FILE`"
                    .into(),
            ),
            CliError::Store(
                StoreError::Verify(VerifyError::ProjectionMismatch { .. })
                | StoreError::Read(ReadError::Projection { .. }),
            ) => Some(
                "the log itself verifies; `isms rebuild` builds the projections again from it"
                    .into(),
            ),
            CliError::Catalog(_) => Some(
                "`isms catalog frameworks` lists the frameworks, `isms catalog list FRAMEWORK` their items"
                    .into(),
            ),
            CliError::Store(e) if matches!(e.storage(), Some(ReadError::Busy { .. })) => {
                Some("another process is writing; try again".into())
            }
            CliError::Handle(_) => Some("another process is writing; try again".into()),
            CliError::LockTimeout { .. } => Some(format!(
                "try again later, or wait longer with {}=SECONDS (default {})",
                crate::session::LOCK_TIMEOUT_VAR,
                crate::session::DEFAULT_LOCK_TIMEOUT.as_secs()
            )),
            CliError::Store(StoreError::Backup(BackupError::Diverges(_))) => Some(
                "pass --force to restore it anyway; the register it replaces is kept beside it"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// The exit code of a store error: tampering 6 (of the register, or of a
/// backup to restore from), a missing file 4 (the database, or a backup to
/// restore from), a path that must be new but exists or a restore that
/// would drop events 2, the rest 5.
fn store_exit_code(e: &StoreError) -> u8 {
    match e {
        StoreError::Verify(v) | StoreError::Backup(BackupError::Verify(v)) if v.is_tampering() => {
            exit::TAMPERED
        }
        // The copy of the register does not verify: the register itself
        // (the copy is taken page for page) is damaged or was changed.
        StoreError::Backup(BackupError::Unverified { source, .. }) if matches!(&**source, StoreError::Verify(v) if v.is_tampering()) => {
            exit::TAMPERED
        }
        StoreError::Open(OpenError::NotFound { .. })
        | StoreError::Backup(BackupError::Open(OpenError::NotFound { .. })) => exit::NOT_FOUND,
        // Refused for what the backup is: the same code as that error on
        // its own (a backup that does not verify is tampering, 6, as
        // `isms verify` says of it).
        StoreError::Backup(BackupError::RestoreRefused { source, .. }) => store_exit_code(source),
        StoreError::Open(OpenError::AlreadyExists { .. })
        | StoreError::Backup(BackupError::AlreadyExists { .. } | BackupError::Diverges(_)) => {
            exit::USAGE
        }
        _ => match e.storage() {
            Some(ReadError::Malformed { .. } | ReadError::Projection { .. }) => exit::TAMPERED,
            _ => exit::STORE,
        },
    }
}

/// Shorthand for file errors.
pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
    let path = path.into();
    move |source| CliError::Io { path, source }
}

/// Shorthand for errors reading an input file: a missing one is "not
/// found" (exit 4), like a missing item; other failures are file errors.
pub fn input(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> CliError {
    let path = path.into();
    move |source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            CliError::NotFound {
                what: format!("input file {}", path.display()),
                hint: "; check the path".into(),
            }
        } else {
            CliError::Io { path, source }
        }
    }
}
