//! Outputs go where the user points and replace nothing else: a FIFO, a
//! character device and standard output (`-`) are written through, a
//! symbolic link is followed only to a FIFO or a character device, a
//! regular file is written whole (temporary file, then rename), and
//! `backup` never replaces anything.

use std::fs::{self, File};
use std::os::unix::fs::{FileTypeExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::support::{Run, Scratch, db_bytes};

fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success(), "mkfifo {}", path.display());
}

fn kind(path: &Path) -> String {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_fifo() => "fifo".into(),
        Ok(m) if m.file_type().is_char_device() => "char device".into(),
        Ok(m) if m.file_type().is_symlink() => "symlink".into(),
        Ok(m) if m.is_file() => "regular file".into(),
        Ok(m) => format!("{:?}", m.file_type()),
        Err(e) => format!("nothing ({e})"),
    }
}

/// A `cat` process copying a FIFO into a file. Opening a FIFO blocks until
/// a writer opens it too, so `cat` ends only once `isms` has written and
/// closed it.
struct FifoReader {
    cat: Child,
    into: PathBuf,
}

impl FifoReader {
    fn start(fifo: &Path) -> Self {
        let mut name = fifo.file_name().unwrap().to_os_string();
        name.push(".received");
        let into = fifo.with_file_name(name);
        let cat = Command::new("cat")
            .arg(fifo)
            .stdout(File::create(&into).unwrap())
            .spawn()
            .unwrap();
        Self { cat, into }
    }

    /// What `isms` wrote into the FIFO, after checking that it ran well and
    /// left each path as the kind of file it was (`expect`). When it did
    /// not, nobody will ever open the FIFO for writing, so `cat` is killed
    /// instead of waited for.
    #[track_caller]
    fn received(mut self, run: &Run, expect: &[(&Path, &str)]) -> Vec<u8> {
        let found: Vec<String> = expect.iter().map(|(p, _)| kind(p)).collect();
        let wanted: Vec<&str> = expect.iter().map(|(_, k)| *k).collect();
        if run.code != 0 || found != wanted {
            let _ = self.cat.kill();
            let _ = self.cat.wait();
            panic!(
                "isms exited {} and left {found:?} where {wanted:?} were:\n{}{}",
                run.code, run.stdout, run.stderr
            );
        }
        assert!(self.cat.wait().unwrap().success());
        fs::read(&self.into).unwrap()
    }
}

/// A character device isms may write to without harm: a private
/// `/dev/null` node in the scratch directory when this test may create one
/// (root), else `/dev/null` itself, which an unprivileged isms could not
/// replace even if it tried. `None` where a private node cannot be used
/// (a `nodev` mount).
fn null_device(s: &Scratch) -> Option<PathBuf> {
    let node = s.path("null");
    let made = Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|st| st.success());
    if !made {
        return Some(PathBuf::from("/dev/null"));
    }
    fs::OpenOptions::new()
        .write(true)
        .open(&node)
        .ok()
        .map(|_| node)
}

fn register(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.isms(&["init"]).ok();
    s.report("Restore never tested");
    s.report("Access review overdue");
    s
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn export_into_a_fifo_writes_through_it() {
    let s = register("out-fifo");
    let fifo = s.path("export.fifo");
    mkfifo(&fifo);
    let reader = FifoReader::start(&fifo);
    let run = s.isms(&["export", "--out", arg(&fifo)]);
    let bytes = reader.received(&run, &[(&fifo, "fifo")]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["nonconformities"].as_array().unwrap().len(), 2);
    // No temporary file is left beside it.
    let names: Vec<String> = fs::read_dir(s.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains(".tmp")), "{names:?}");
}

#[test]
fn export_into_a_character_device_leaves_the_device() {
    let s = register("out-dev");
    let Some(device) = null_device(&s) else {
        return; // a nodev mount: no private device node to write to
    };
    s.isms(&["export", "--out", arg(&device)]).ok();
    assert_eq!(kind(&device), "char device");
    s.isms(&["export", "--format", "xlsx", "--out", arg(&device)])
        .ok();
    assert_eq!(kind(&device), "char device");
}

#[test]
fn export_to_dash_writes_standard_output() {
    let s = register("out-dash");
    let doc = s.isms(&["export", "--out", "-"]).json();
    assert_eq!(doc["nonconformities"].as_array().unwrap().len(), 2);
    assert!(!s.path("-").exists());
    let poam = s
        .isms(&["export", "--format", "oscal-poam", "--out", "-"])
        .json();
    assert!(poam.get("plan-of-action-and-milestones").is_some());
    // CSV is two files: standard output cannot take them.
    let err = s
        .isms(&["export", "--format", "csv", "--out", "-"])
        .fails(2);
    assert!(err.contains("two files"), "{err}");
}

#[test]
fn a_symbolic_link_to_a_file_is_refused_and_both_are_left_alone() {
    let s = register("out-link");
    let precious = s.path("precious.txt");
    fs::write(&precious, "keep me").unwrap();
    let link = s.path("export.json");
    symlink(&precious, &link).unwrap();
    let err = s.isms(&["export", "--out", arg(&link)]).fails(2);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(kind(&link), "symlink");
    assert_eq!(fs::read_to_string(&precious).unwrap(), "keep me");

    // A dangling link is refused too: it would create a file elsewhere.
    let dangling = s.path("dangling.json");
    symlink(s.path("nowhere.json"), &dangling).unwrap();
    s.isms(&["export", "--out", arg(&dangling)]).fails(2);
    assert_eq!(kind(&dangling), "symlink");
    assert!(!s.path("nowhere.json").exists());

    // The report and the catalogue export follow the same rule.
    s.isms(&["report", "--out", arg(&link)]).fails(2);
    s.isms(&[
        "catalog",
        "export",
        "--format",
        "oscal-mapping",
        "--out",
        arg(&link),
    ])
    .fails(2);
    assert_eq!(fs::read_to_string(&precious).unwrap(), "keep me");
}

#[test]
fn a_symbolic_link_to_a_fifo_is_followed() {
    let s = register("out-link-fifo");
    let fifo = s.path("pipe");
    mkfifo(&fifo);
    let link = s.path("export.json");
    symlink(&fifo, &link).unwrap();
    let reader = FifoReader::start(&fifo);
    let run = s.isms(&["export", "--out", arg(&link)]);
    let bytes = reader.received(&run, &[(&fifo, "fifo"), (&link, "symlink")]);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["nonconformities"].as_array().unwrap().len(), 2);
}

#[test]
fn an_existing_export_file_is_replaced_whole_keeping_its_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let s = register("out-replace");
    let out = s.path("register.json");
    fs::write(&out, "old contents").unwrap();
    fs::set_permissions(&out, fs::Permissions::from_mode(0o600)).unwrap();
    s.isms(&["export", "--out", arg(&out)]).ok();
    let doc: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    assert_eq!(doc["nonconformities"].as_array().unwrap().len(), 2);
    let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A directory is not a file to write.
    let err = s.isms(&["export", "--out", arg(s.dir())]).fails(2);
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn backup_refuses_an_existing_file_and_a_symbolic_link() {
    let s = register("backup-exists");
    let existing = s.path("yesterday.db");
    fs::write(&existing, "yesterday's backup").unwrap();
    let err = s.isms(&["backup", "--to", arg(&existing)]).fails(2);
    assert!(err.contains("exists"), "{err}");
    assert_eq!(fs::read_to_string(&existing).unwrap(), "yesterday's backup");

    let link = s.path("link.db");
    symlink(&existing, &link).unwrap();
    s.isms(&["backup", "--to", arg(&link)]).fails(2);
    assert_eq!(kind(&link), "symlink");
    assert_eq!(fs::read_to_string(&existing).unwrap(), "yesterday's backup");
    // The database is untouched by the refusals; a new name works.
    let before = db_bytes(&s.db());
    s.isms(&["backup", "--to", arg(&s.path("today.db"))]).ok();
    assert_eq!(db_bytes(&s.db()), before);
    let names: Vec<String> = fs::read_dir(s.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("partial")), "{names:?}");
}

#[test]
fn backup_into_a_fifo_or_standard_output_streams_a_verified_copy() {
    let s = register("backup-stream");
    let fifo = s.path("backup.fifo");
    mkfifo(&fifo);
    let reader = FifoReader::start(&fifo);
    let run = s.isms(&["backup", "--to", arg(&fifo)]);
    let bytes = reader.received(&run, &[(&fifo, "fifo")]);
    let copy = Scratch::new("backup-stream-copy");
    fs::write(copy.db(), &bytes).unwrap();
    assert!(copy.isms(&["verify"]).ok().starts_with("intact: 2 events"));

    // `-` is standard output; the summary goes to stderr then.
    let out = s
        .isms_command("--as", "tester")
        .args(["backup", "--to", "-"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(&out.stdout[..16], b"SQLite format 3\0");
    assert!(String::from_utf8_lossy(&out.stderr).contains("verified"));

    if let Some(device) = null_device(&s) {
        s.isms(&["backup", "--to", arg(&device)]).ok();
        assert_eq!(kind(&device), "char device");
    }
}

#[test]
fn schema_onto_an_existing_file_is_a_usage_error() {
    let s = Scratch::new("schema-file");
    let file = s.path("schemas");
    fs::write(&file, "not a directory").unwrap();
    let err = s.isms(&["schema", "--out", arg(&file)]).fails(2);
    assert!(err.contains("not a directory"), "{err}");
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a directory");
}
