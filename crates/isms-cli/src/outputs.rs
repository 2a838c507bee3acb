//! Where the tool's output goes, and how it gets there without harm.
//!
//! **The console.** [`print_out`] and [`print_err`], behind this crate's own
//! `println!`, `print!`, `eprintln!` and `eprint!` (defined in `main.rs`),
//! never panic. When the reader of a pipe has gone (`isms nc list | head
//! -1`), the rest of that stream is dropped and the command runs to its
//! end, so the exit code still says whether it did its work: quietly, as
//! if the output had gone to `/dev/null`. Any other failure to write
//! standard output (a full disk behind `>`) is reported when the command
//! ends ([`finish`], exit 5).
//!
//! **Files named by `--out` and `--to`** ([`destination`], [`write_output`]):
//!
//! - `-` is standard output;
//! - a FIFO or a character device (`/dev/null`, a terminal, a process
//!   substitution's `/dev/fd/63`) is opened and written through, never
//!   replaced;
//! - a symbolic link is followed only to a FIFO or a character device; a
//!   link to a regular file, a directory or nothing is refused, so that a
//!   link planted where a file will be written cannot send the output over
//!   another file;
//! - a regular file is written whole: into a new temporary file beside it,
//!   synced, then renamed into place, so that an existing file is replaced
//!   only by a complete one (keeping its permissions) and a reader never
//!   sees half of one. `backup` refuses an existing file instead
//!   ([`exists`]; the store links its verified copy into place only while
//!   the name is free);
//! - a directory, a block device or a socket is refused.
//!
//! Refusals are usage errors (exit 2): the command line names a path the
//! command must not write to.

use std::fs::{self, File, Metadata, Permissions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{CliError, io};

/// Set once standard output's reader has gone (or writing it failed):
/// later output is dropped.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);
/// Set once standard error cannot be written: later messages are dropped.
static STDERR_GONE: AtomicBool = AtomicBool::new(false);
/// The first failure to write standard output that is not a closed pipe.
static STDOUT_ERROR: Mutex<Option<io::Error>> = Mutex::new(None);

/// What standard output is called in messages.
const STDOUT_NAME: &str = "(standard output)";

/// Standard output as a writer that never fails on a closed pipe: once the
/// reader has gone, everything written is accepted and dropped. Other
/// errors are remembered for [`finish`] and end the output too.
pub struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if STDOUT_GONE.load(Ordering::Relaxed) {
            return Ok(buf.len());
        }
        match io::stdout().lock().write(buf) {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                stdout_failed(e);
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if STDOUT_GONE.load(Ordering::Relaxed) {
            return Ok(());
        }
        if let Err(e) = io::stdout().lock().flush() {
            stdout_failed(e);
        }
        Ok(())
    }
}

fn stdout_failed(e: io::Error) {
    STDOUT_GONE.store(true, Ordering::Relaxed);
    if e.kind() != io::ErrorKind::BrokenPipe
        && let Ok(mut first) = STDOUT_ERROR.lock()
    {
        first.get_or_insert(e);
    }
}

/// Writes formatted text to standard output (see the module docs).
pub fn print_out(args: std::fmt::Arguments<'_>) {
    // `Stdout` swallows every error, remembering it for `finish`.
    let _ = Stdout.write_fmt(args);
}

/// Writes formatted text to standard error; once that fails (a closed
/// pipe), later messages are dropped. There is nowhere left to report it.
pub fn print_err(args: std::fmt::Arguments<'_>) {
    if STDERR_GONE.load(Ordering::Relaxed) {
        return;
    }
    if io::stderr().lock().write_fmt(args).is_err() {
        STDERR_GONE.store(true, Ordering::Relaxed);
    }
}

/// Flushes standard output at the end of a command; a failure to write it
/// other than a closed pipe is an error (exit 5), so that `isms export >
/// /dev/full` does not look like success.
pub fn finish() -> Result<(), CliError> {
    let _ = Stdout.flush();
    let first = STDOUT_ERROR.lock().ok().and_then(|mut e| e.take());
    match first {
        Some(source) => Err(CliError::Io {
            path: STDOUT_NAME.into(),
            source,
        }),
        None => Ok(()),
    }
}

/// Whether a path names standard output.
pub fn is_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// What an output path names, once looked at.
#[derive(Debug)]
pub enum Destination {
    /// `-`: standard output.
    Stdout,
    /// A FIFO or a character device, directly or through symbolic links:
    /// opened and written, never replaced.
    Stream,
    /// Nothing: a new regular file.
    New,
    /// An existing regular file, with its metadata (for its permissions).
    Existing(Metadata),
}

/// Looks at what `path` names, refusing what no output may be written to
/// (see the module docs).
pub fn destination(path: &Path) -> Result<Destination, CliError> {
    if is_stdout(path) {
        return Ok(Destination::Stdout);
    }
    let here = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Destination::New),
        Err(e) => return Err(io(path)(e)),
    };
    if here.file_type().is_symlink() {
        // Follow the link to see what it leads to; only a stream is taken.
        return match fs::metadata(path) {
            Ok(target) if is_stream(&target) => Ok(Destination::Stream),
            Ok(target) => Err(refuse_link(path, kind_of(&target))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(refuse_link(path, "nothing")),
            Err(e) => Err(io(path)(e)),
        };
    }
    if is_stream(&here) {
        return Ok(Destination::Stream);
    }
    if here.is_file() {
        return Ok(Destination::Existing(here));
    }
    Err(CliError::Usage(format!(
        "{} is {}; isms writes to a regular file, a FIFO, a character device or - (standard output)",
        path.display(),
        kind_of(&here)
    )))
}

fn refuse_link(path: &Path, target: &str) -> CliError {
    CliError::Usage(format!(
        "{} is a symbolic link to {target}; isms follows a link only to a FIFO or a character device, \
         so that a planted link cannot send output over another file: name the file itself \
         (or - for standard output)",
        path.display()
    ))
}

#[cfg(unix)]
fn is_stream(m: &Metadata) -> bool {
    use std::os::unix::fs::FileTypeExt as _;
    m.file_type().is_fifo() || m.file_type().is_char_device()
}

#[cfg(not(unix))]
fn is_stream(_: &Metadata) -> bool {
    false
}

fn kind_of(m: &Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        let t = m.file_type();
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
    }
    if m.is_dir() {
        "a directory"
    } else if m.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// Writes `bytes` to the output `path` names, replacing an existing
/// regular file whole (see the module docs).
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    match destination(path)? {
        Destination::Stdout | Destination::Stream => stream_into(path, &mut io::Cursor::new(bytes)),
        Destination::New => write_whole(path, bytes, None),
        Destination::Existing(meta) => write_whole(path, bytes, Some(meta.permissions())),
    }
}

/// The refusal of a command that never replaces a file.
pub fn exists(path: &Path, command: &str) -> CliError {
    CliError::Usage(format!(
        "{} exists; {command} never replaces a file: choose a new name, or move the file away first",
        path.display()
    ))
}

/// Copies `from` into standard output or the FIFO or character device at
/// `path`, opened for writing without truncating or creating anything.
pub fn stream_into(path: &Path, from: &mut dyn Read) -> Result<(), CliError> {
    if is_stdout(path) {
        io::copy(from, &mut Stdout).map_err(io(STDOUT_NAME))?;
        return Ok(());
    }
    let mut file = File::options().write(true).open(path).map_err(io(path))?;
    // The path was looked at before it was opened; if it was swapped for a
    // link to a regular file meanwhile, nothing has been written to it yet.
    let opened = file.metadata().map_err(io(path))?;
    if !is_stream(&opened) {
        return Err(CliError::Usage(format!(
            "{} changed into {} while isms opened it; nothing was written",
            path.display(),
            kind_of(&opened)
        )));
    }
    io::copy(from, &mut file).map_err(io(path))?;
    file.flush().map_err(io(path))
}

/// Writes a regular file whole: a new temporary file beside it, synced,
/// then renamed over `path` (which replaces a link put there meanwhile, never
/// what it points to).
fn write_whole(
    path: &Path,
    bytes: &[u8],
    permissions: Option<Permissions>,
) -> Result<(), CliError> {
    let (tmp, mut file) = temporary_beside(path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| match permissions {
            Some(p) => file.set_permissions(p),
            None => Ok(()),
        })
        .and_then(|()| file.sync_all());
    drop(file);
    match written.and_then(|()| fs::rename(&tmp, path)) {
        Ok(()) => {
            sync_parent(path);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(io(path)(e))
        }
    }
}

/// A new file beside `path` (`.NAME.tmp-PID-N`), created exclusively so
/// that nothing already there, a planted link included, is ever opened.
fn temporary_beside(path: &Path) -> Result<(PathBuf, File), CliError> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut last = None;
    for n in 0..100 {
        let tmp = path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()));
        match File::options().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(io(&tmp)(e)),
        }
    }
    Err(io(path)(last.unwrap_or_else(|| {
        io::Error::other("no free temporary name")
    })))
}

/// Makes a rename durable; best effort where a directory cannot be opened.
fn sync_parent(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("isms-outputs-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_new_file_appears_whole_and_leaves_no_temporary_file() {
        let dir = scratch("new");
        let out = dir.join("a.json");
        write_output(&out, b"{}").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"{}");
        write_output(&out, b"[]").unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"[]");
        let names: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dash_is_standard_output_and_a_directory_is_refused() {
        assert!(matches!(
            destination(Path::new("-")),
            Ok(Destination::Stdout)
        ));
        let dir = scratch("dir");
        let err = destination(&dir).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
