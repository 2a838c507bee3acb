//! Evidence on the command line: `--evidence` as a document reference or a
//! file, the file's fingerprint, the copy kept beside the register, and the
//! check `isms verify` makes of kept copies.
//!
//! The core never reads a file: this module hashes it and hands the core a
//! [`FileEvidence`] record, which `decide` checks like any other input.
//!
//! Which form a value takes: `file:PATH`, or a value that starts with `/`,
//! `./` or `../`, is a file; `ref:TEXT`, or a value with a URL scheme
//! (`https://...`), is a document reference; any other value is a document
//! reference unless it names something that exists here, which is refused
//! as ambiguous (say `file:` or `ref:`), so that a typo never turns a file
//! into a reference or the other way round.
//!
//! Kept copies (`--keep-evidence`) live in `<db>.evidence/sha256/ab/cdef...`
//! (the digest's first two hex digits, then the other 62). A copy is written
//! to a temporary file in `<db>.evidence/tmp/` while it is hashed (so the
//! digest is the one of the bytes kept, even if the source changes
//! meanwhile), flushed to disk, then hard-linked to its name, which never
//! replaces an existing file: a copy already there with the same digest is
//! the same content, one with another digest is damage, named and refused.
//! A copy written for a command the rules then refuse stays, unreferenced;
//! it does no harm (its name is its content) and the next attach reuses it.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use isms_core::{EventPayload, EvidenceRef, FileEvidence, NcRef, Sha256Digest, StreamId};
use sha2::{Digest, Sha256};

use crate::error::CliError;

/// What one `--evidence` value is.
#[derive(Debug, PartialEq, Eq)]
pub enum EvidenceArg {
    /// A reference kept as text.
    Document(String),
    /// A file to fingerprint.
    File(PathBuf),
}

/// Sorts a `--evidence` value into a document reference or a file path
/// (the rules are in the module's documentation).
pub fn parse_arg(text: &str) -> Result<EvidenceArg, CliError> {
    if let Some(path) = text.strip_prefix("file:") {
        if path.is_empty() {
            return Err(CliError::Usage(
                "--evidence file: names no file; write file:PATH".into(),
            ));
        }
        return Ok(EvidenceArg::File(PathBuf::from(path)));
    }
    if let Some(reference) = text.strip_prefix("ref:") {
        return Ok(EvidenceArg::Document(reference.to_owned()));
    }
    if ["/", "./", "../"].iter().any(|p| text.starts_with(p)) {
        return Ok(EvidenceArg::File(PathBuf::from(text)));
    }
    let has_scheme = text.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    if !has_scheme && !text.is_empty() && fs::symlink_metadata(text).is_ok() {
        return Err(CliError::Usage(format!(
            "--evidence {text:?} is ambiguous: it is a document reference, but also names a file \
             here; write file:{text} (or ./{text}) to attach the file, or ref:{text} to keep the \
             text as a reference"
        )));
    }
    Ok(EvidenceArg::Document(text.to_owned()))
}

/// The folder of kept copies of a register file: `<db>.evidence`.
pub fn folder_of(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".evidence");
    PathBuf::from(name)
}

/// Where the kept copy with this digest lives in `folder`.
pub fn kept_path(folder: &Path, digest: &Sha256Digest) -> PathBuf {
    let hex = digest.as_str();
    folder.join("sha256").join(&hex[..2]).join(&hex[2..])
}

/// Turns `--evidence` values into evidence records: references as given,
/// files fingerprinted at `now`, and copied into `keep` (the register's
/// evidence folder) when it is given.
pub fn attach(
    values: Vec<String>,
    now: DateTime<Utc>,
    keep: Option<&Path>,
) -> Result<Vec<EvidenceRef>, CliError> {
    values
        .into_iter()
        .map(|v| match parse_arg(&v)? {
            EvidenceArg::Document(r) => Ok(EvidenceRef::Document(r)),
            EvidenceArg::File(path) => attach_file(&path, now, keep).map(EvidenceRef::File),
        })
        .collect()
}

fn io_error(path: &Path, source: io::Error) -> CliError {
    if source.kind() == io::ErrorKind::NotFound {
        CliError::NotFound {
            what: format!("evidence file {}", path.display()),
            hint: "; check the path (a document reference that is not a file: write ref:TEXT)"
                .into(),
        }
    } else {
        CliError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

fn attach_file(
    path: &Path,
    now: DateTime<Utc>,
    keep: Option<&Path>,
) -> Result<FileEvidence, CliError> {
    let meta = fs::metadata(path).map_err(|e| io_error(path, e))?;
    if meta.is_dir() {
        return Err(CliError::Usage(format!(
            "--evidence {}: is a directory; attach its files one by one, or an archive of it",
            path.display()
        )));
    }
    if !meta.is_file() {
        return Err(CliError::Usage(format!(
            "--evidence {}: is not a regular file (a pipe or a device has no fixed content to fingerprint)",
            path.display()
        )));
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "--evidence {}: the file name is not UTF-8 text; rename the file",
                path.display()
            ))
        })?
        .to_owned();
    let mut source = File::open(path).map_err(|e| io_error(path, e))?;
    let (sha256, size, kept) = match keep {
        None => {
            let (digest, size) =
                hash(&mut source, &mut io::sink()).map_err(|e| io_error(path, e))?;
            (digest, size, false)
        }
        Some(folder) => {
            let (digest, size) = keep_copy(&mut source, path, folder)?;
            (digest, size, true)
        }
    };
    Ok(FileEvidence {
        sha256,
        size,
        name,
        attached_at: now,
        kept,
    })
}

/// Hashes `from` while writing it to `to`; the digest and the byte count.
fn hash(from: &mut impl Read, to: &mut impl Write) -> io::Result<(Sha256Digest, u64)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        size += n as u64;
    }
    let digest = Sha256Digest::new(hex::encode(hasher.finalize()))
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok((digest, size))
}

/// Copies `source` into the folder under its digest, never replacing a
/// file; the digest and size of the bytes kept.
fn keep_copy(
    source: &mut File,
    path: &Path,
    folder: &Path,
) -> Result<(Sha256Digest, u64), CliError> {
    keep_checked(source, path, folder, None)
}

/// [`keep_copy`], refusing (and keeping nothing) when the bytes read are
/// not the `expected` digest and size.
fn keep_checked(
    source: &mut File,
    path: &Path,
    folder: &Path,
    expected: Option<(&Sha256Digest, u64)>,
) -> Result<(Sha256Digest, u64), CliError> {
    let tmp_dir = folder.join("tmp");
    fs::create_dir_all(&tmp_dir).map_err(|e| io_error(&tmp_dir, e))?;
    let tmp = tmp_dir.join(format!("{:032x}", crate::session::entropy()));
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| io_error(&tmp, e))?;
    let result = (|| {
        let (digest, size) = hash(source, &mut out).map_err(|e| io_error(path, e))?;
        if let Some((want, want_size)) = expected
            && (digest != *want || size != want_size)
        {
            return Err(CliError::EvidenceDamaged {
                problems: vec![format!(
                    "{} was altered: it has sha256:{digest} and {size} bytes, recorded \
                     sha256:{want} and {want_size} bytes; it was not copied",
                    path.display()
                )],
            });
        }
        out.sync_all().map_err(|e| io_error(&tmp, e))?;
        let target = kept_path(folder, &digest);
        let parent = target.parent().unwrap_or(folder);
        fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
        match fs::hard_link(&tmp, &target) {
            Ok(()) => {
                // The folder entry itself, so that the copy survives a crash.
                if let Ok(dir) = File::open(parent) {
                    let _ = dir.sync_all();
                }
                Ok((digest, size))
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                match rehash(&target).map_err(|e| io_error(&target, e))? {
                    (d, _) if d == digest => Ok((digest, size)),
                    (d, _) => Err(CliError::EvidenceDamaged {
                        problems: vec![format!(
                            "{}: the kept copy named sha256:{digest} holds content with sha256:{d}; \
                             it was left as it is and nothing was recorded",
                            target.display()
                        )],
                    }),
                }
            }
            Err(e) => Err(io_error(&target, e)),
        }
    })();
    let _ = fs::remove_file(&tmp);
    result
}

fn rehash(path: &Path) -> io::Result<(Sha256Digest, u64)> {
    hash(&mut File::open(path)?, &mut io::sink())
}

/// The outcome of re-hashing the kept copies a log names.
#[derive(Debug, Default)]
pub struct KeptCheck {
    /// Distinct kept copies the log names and found intact.
    pub intact: usize,
    /// One line per missing or altered copy.
    pub problems: Vec<String>,
}

/// Collects, from a log read in order, every kept file record with where
/// it was recorded; [`KeptCopies::check`] then re-hashes them.
#[derive(Debug, Default)]
pub struct KeptCopies {
    references: BTreeMap<StreamId, NcRef>,
    wanted: BTreeMap<Sha256Digest, (FileEvidence, String)>,
}

impl KeptCopies {
    /// Notes one event.
    pub fn visit(&mut self, position: u64, event: &isms_core::Event) {
        let evidence = match &event.payload {
            EventPayload::NonconformityReported { reference, .. } => {
                self.references.insert(event.stream, *reference);
                return;
            }
            EventPayload::ActionCompleted { evidence, .. }
            | EventPayload::VerificationRecorded { evidence, .. } => evidence,
            _ => return,
        };
        for f in evidence
            .iter()
            .filter_map(EvidenceRef::file)
            .filter(|f| f.kept)
        {
            let item = self
                .references
                .get(&event.stream)
                .map_or_else(|| event.stream.to_string(), ToString::to_string);
            self.wanted
                .entry(f.sha256.clone())
                .or_insert_with(|| (f.clone(), format!("{item}, event at position {position}")));
        }
    }

    /// How many distinct kept copies the log names.
    pub fn count(&self) -> usize {
        self.wanted.len()
    }

    /// Copies every kept copy named in the log from the folder `from` into
    /// the folder `to` (a backup's, or a restored register's), checking
    /// each against the digest and size recorded as it is copied. A copy
    /// already in `to` with the right content is counted, never rewritten;
    /// nothing in `to` is replaced. Problems name the item, the event and
    /// the copy: missing or altered in `from`, or damaged in `to`.
    pub fn carry(&self, from: &Path, to: &Path) -> KeptCheck {
        let mut out = KeptCheck::default();
        for (digest, (file, place)) in &self.wanted {
            let target = kept_path(to, digest);
            match rehash(&target) {
                Ok((d, size)) if d == *digest && size == file.size => {
                    out.intact += 1;
                    continue;
                }
                Ok((d, _)) => {
                    out.problems.push(format!(
                        "{place}: {} should hold {} (sha256:{digest}) but holds sha256:{d}; \
                         it was left as it is",
                        target.display(),
                        file.name
                    ));
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    out.problems
                        .push(format!("{place}: {} cannot be read: {e}", target.display()));
                    continue;
                }
            }
            let source = kept_path(from, digest);
            let copied = match File::open(&source) {
                Ok(mut f) => keep_checked(&mut f, &source, to, Some((digest, file.size))),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    out.problems.push(format!(
                        "{place}: the kept copy of {} (sha256:{digest}) is missing: {}",
                        file.name,
                        source.display()
                    ));
                    continue;
                }
                Err(e) => Err(io_error(&source, e)),
            };
            match copied {
                Ok(_) => out.intact += 1,
                Err(CliError::EvidenceDamaged { problems }) => out.problems.extend(
                    problems
                        .into_iter()
                        .map(|p| format!("{place}: the kept copy of {}: {p}", file.name)),
                ),
                Err(e) => out.problems.push(format!(
                    "{place}: the kept copy of {} could not be copied: {e}",
                    file.name
                )),
            }
        }
        out
    }

    /// Re-hashes every kept copy named in the log, in `folder`.
    pub fn check(&self, folder: &Path) -> KeptCheck {
        let mut out = KeptCheck::default();
        for (digest, (file, place)) in &self.wanted {
            let path = kept_path(folder, digest);
            match rehash(&path) {
                Ok((d, size)) if d == *digest && size == file.size => out.intact += 1,
                Ok((d, size)) => out.problems.push(format!(
                    "{place}: the kept copy of {} ({}) was altered: it now has sha256:{d} and {size} bytes, \
                     recorded sha256:{digest} and {} bytes",
                    file.name,
                    path.display(),
                    file.size
                )),
                Err(e) if e.kind() == io::ErrorKind::NotFound => out.problems.push(format!(
                    "{place}: the kept copy of {} (sha256:{digest}) is missing: {}",
                    file.name,
                    path.display()
                )),
                Err(e) => out.problems.push(format!(
                    "{place}: the kept copy of {} cannot be read: {}: {e}",
                    file.name,
                    path.display()
                )),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_sorted_by_their_form() {
        assert_eq!(
            parse_arg("procedure BK-02 v4").unwrap(),
            EvidenceArg::Document("procedure BK-02 v4".into())
        );
        assert_eq!(
            parse_arg("https://wiki.example/page").unwrap(),
            EvidenceArg::Document("https://wiki.example/page".into())
        );
        assert_eq!(
            parse_arg("ref:Cargo.toml").unwrap(),
            EvidenceArg::Document("Cargo.toml".into())
        );
        assert_eq!(
            parse_arg("file:scan.pdf").unwrap(),
            EvidenceArg::File("scan.pdf".into())
        );
        assert_eq!(
            parse_arg("./scan.pdf").unwrap(),
            EvidenceArg::File("./scan.pdf".into())
        );
        assert_eq!(
            parse_arg("/tmp/x").unwrap(),
            EvidenceArg::File("/tmp/x".into())
        );
        // The crate's manifest exists where tests run: ambiguous.
        assert!(matches!(parse_arg("Cargo.toml"), Err(CliError::Usage(_))));
        assert!(matches!(parse_arg("file:"), Err(CliError::Usage(_))));
    }

    #[test]
    fn the_digest_is_the_known_one() {
        let (d, n) = hash(&mut &b"test"[..], &mut io::sink()).unwrap();
        assert_eq!(
            d.as_str(),
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
        );
        assert_eq!(n, 4);
    }
}
