//! Generating the bundle: one schema per document kind and direction, plus an index.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::BundleError;
use crate::{ID_PREFIX, SCHEMA_MAJOR, SCHEMA_VERSION};

/// Every kind of document the library exchanges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DocumentKind {
    /// A whole register: [`crate::RegisterDocument`].
    Register,
    /// One nonconformity with its history: [`isms_core::Nonconformity`].
    Nonconformity,
    /// One improvement opportunity: [`isms_core::Improvement`].
    Improvement,
    /// One event of the log: [`isms_core::Event`].
    Event,
    /// One command: [`isms_core::Command`].
    Command,
    /// An organisation's workflow policy: [`isms_core::Policy`].
    Policy,
    /// A catalogue framework with its items: [`isms_catalog::Framework`].
    Framework,
    /// A mapping set (crosswalk): [`isms_catalog::Crosswalk`].
    Crosswalk,
    /// A KPI report as of an instant: [`isms_kpi::KpiReport`].
    KpiReport,
}

impl DocumentKind {
    /// Every kind, in the order of the index.
    pub const ALL: [DocumentKind; 9] = [
        DocumentKind::Register,
        DocumentKind::Nonconformity,
        DocumentKind::Improvement,
        DocumentKind::Event,
        DocumentKind::Command,
        DocumentKind::Policy,
        DocumentKind::Framework,
        DocumentKind::Crosswalk,
        DocumentKind::KpiReport,
    ];

    /// The short name used in file names and `$id`s (`register`, `event`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            DocumentKind::Register => "register",
            DocumentKind::Nonconformity => "nonconformity",
            DocumentKind::Improvement => "improvement",
            DocumentKind::Event => "event",
            DocumentKind::Command => "command",
            DocumentKind::Policy => "policy",
            DocumentKind::Framework => "framework",
            DocumentKind::Crosswalk => "crosswalk",
            DocumentKind::KpiReport => "kpi-report",
        }
    }

    /// The Rust type whose serde form the document is.
    pub const fn rust_type(self) -> &'static str {
        match self {
            DocumentKind::Register => "isms_schema::RegisterDocument",
            DocumentKind::Nonconformity => "isms_core::Nonconformity",
            DocumentKind::Improvement => "isms_core::Improvement",
            DocumentKind::Event => "isms_core::Event",
            DocumentKind::Command => "isms_core::Command",
            DocumentKind::Policy => "isms_core::Policy",
            DocumentKind::Framework => "isms_catalog::Framework",
            DocumentKind::Crosswalk => "isms_catalog::Crosswalk",
            DocumentKind::KpiReport => "isms_kpi::KpiReport",
        }
    }

    /// The schema's title.
    pub const fn title(self) -> &'static str {
        match self {
            DocumentKind::Register => "ISMS register document",
            DocumentKind::Nonconformity => "Nonconformity",
            DocumentKind::Improvement => "Improvement opportunity",
            DocumentKind::Event => "Register event",
            DocumentKind::Command => "Register command",
            DocumentKind::Policy => "Workflow policy",
            DocumentKind::Framework => "Catalogue framework",
            DocumentKind::Crosswalk => "Mapping set (crosswalk)",
            DocumentKind::KpiReport => "KPI report",
        }
    }

    /// The kind with this short name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The schema of this kind for one direction, with `$id`, `title` and the bundle's
    /// portability rewrites applied.
    pub fn schema(self, direction: Direction) -> Value {
        use crate::schema_for;
        let mut value = match self {
            DocumentKind::Register => schema_for::<crate::RegisterDocument>(direction),
            DocumentKind::Nonconformity => schema_for::<isms_core::Nonconformity>(direction),
            DocumentKind::Improvement => schema_for::<isms_core::Improvement>(direction),
            DocumentKind::Event => schema_for::<isms_core::Event>(direction),
            DocumentKind::Command => schema_for::<isms_core::Command>(direction),
            DocumentKind::Policy => schema_for::<isms_core::Policy>(direction),
            DocumentKind::Framework => schema_for::<isms_catalog::Framework>(direction),
            DocumentKind::Crosswalk => schema_for::<isms_catalog::Crosswalk>(direction),
            DocumentKind::KpiReport => schema_for::<isms_kpi::KpiReport>(direction),
        };
        finish_root(&mut value, self, direction);
        value
    }
}

/// Which side of the library a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// What the library reads (serde `Deserialize`): omitted fields with defaults are optional.
    Input,
    /// What the library writes (serde `Serialize`): fields it always writes are required.
    Output,
}

/// What a file of the bundle is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileRole {
    /// The schema of a document kind whose input and output schemas are the same.
    InputAndOutput(DocumentKind),
    /// The input schema of a kind whose output schema differs (`<name>.json`).
    Input(DocumentKind),
    /// The output schema of a kind (`<name>.output.json`).
    Output(DocumentKind),
    /// The index of the bundle (`index.json`).
    Index,
}

impl FileRole {
    /// `input_and_output`, `input`, `output` or `index`, as written in the index.
    pub const fn label(self) -> &'static str {
        match self {
            FileRole::InputAndOutput(_) => "input_and_output",
            FileRole::Input(_) => "input",
            FileRole::Output(_) => "output",
            FileRole::Index => "index",
        }
    }
}

/// One file of the bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct SchemaFile {
    /// The file name inside `docs/schemas/` (`register.json`, `event.output.json`, ...).
    pub file_name: String,
    /// What the file is.
    pub role: FileRole,
    /// The schema's `$id` (empty for the index).
    pub id: String,
    /// The content.
    pub json: Value,
}

impl SchemaFile {
    /// The text written to disk: pretty JSON with a final newline.
    /// Keys are sorted at every level, so the text is the same whichever serde_json
    /// features the build unifies (`preserve_order` or not).
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(&sorted(&self.json)).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// `value` with the keys of every object in sorted order.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// The `$id` of a schema: `urn:isms-improvement:schema:<stem>:<major>`.
pub fn schema_id(stem: &str) -> String {
    format!("{ID_PREFIX}{stem}:{SCHEMA_MAJOR}")
}

fn finish_root(value: &mut Value, kind: DocumentKind, direction: Direction) {
    let Some(root) = value.as_object_mut() else {
        return;
    };
    let stem = match direction {
        Direction::Input => kind.name().to_owned(),
        Direction::Output => format!("{}.output", kind.name()),
    };
    let mut head = Map::new();
    head.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    head.insert("$id".into(), json!(schema_id(&stem)));
    let title = match direction {
        Direction::Input => kind.title().to_owned(),
        Direction::Output => format!("{} (as written)", kind.title()),
    };
    head.insert("title".into(), json!(title));
    head.insert(
        "$comment".into(),
        json!(format!(
            "isms-improvement schema bundle {SCHEMA_VERSION}; serde form of {}; generated by isms-schema, do not edit",
            kind.rust_type()
        )),
    );
    root.remove("$schema");
    root.remove("title");
    let rest = std::mem::take(root);
    head.extend(rest);
    *root = head;
}

/// Generates the whole bundle: for each [`DocumentKind`] its input schema
/// (`<name>.json`) and, where the serialised output differs, its output schema
/// (`<name>.output.json`), then `index.json`.
pub fn bundle() -> Vec<SchemaFile> {
    let mut files = Vec::new();
    let mut entries = Vec::new();
    for kind in DocumentKind::ALL {
        let input = kind.schema(Direction::Input);
        let output = kind.schema(Direction::Output);
        let same = {
            let mut o = output.clone();
            if let (Some(o), Some(i)) = (o.as_object_mut(), input.as_object()) {
                o.insert("$id".into(), i["$id"].clone());
                o.insert("title".into(), i["title"].clone());
            }
            o == input
        };
        let mut push = |role: FileRole, file_name: String, json: Value| {
            let id = json["$id"].as_str().unwrap_or_default().to_owned();
            entries.push(json!({
                "name": kind.name(),
                "file": file_name,
                "$id": id,
                "title": json["title"],
                "role": role.label(),
                "rust_type": kind.rust_type(),
            }));
            files.push(SchemaFile {
                file_name,
                role,
                id,
                json,
            });
        };
        if same {
            push(
                FileRole::InputAndOutput(kind),
                format!("{}.json", kind.name()),
                input,
            );
        } else {
            push(
                FileRole::Input(kind),
                format!("{}.json", kind.name()),
                input,
            );
            push(
                FileRole::Output(kind),
                format!("{}.output.json", kind.name()),
                output,
            );
        }
    }
    files.push(SchemaFile {
        file_name: "index.json".into(),
        role: FileRole::Index,
        id: String::new(),
        json: json!({
            "$comment": "Index of the isms-improvement JSON Schema bundle; generated by isms-schema, do not edit. See README.md for the version policy.",
            "schema_version": SCHEMA_VERSION,
            "json_schema_dialect": "https://json-schema.org/draft/2020-12/schema",
            "id_scheme": format!("{ID_PREFIX}<name>:<major>"),
            "schemas": entries,
        }),
    });
    files
}

/// Writes the bundle into `dir` (created if missing), one file per schema plus
/// `index.json`, and returns the paths written. Other files in `dir` are left alone.
///
/// # Errors
/// [`BundleError::Io`] naming the directory or file that could not be written.
pub fn write_bundle(dir: &Path) -> Result<Vec<PathBuf>, BundleError> {
    std::fs::create_dir_all(dir).map_err(|source| BundleError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut written = Vec::new();
    for file in bundle() {
        let path = dir.join(&file.file_name);
        std::fs::write(&path, file.to_text()).map_err(|source| BundleError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// How a directory differs from a fresh bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Drift {
    /// A file of the bundle is missing from the directory.
    Missing(String),
    /// A file's content differs from the fresh one (compared as JSON, not as text).
    Changed(String),
    /// A `.json` file in the directory is not part of the bundle (a stale schema).
    Stale(String),
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing(n) => write!(f, "{n} is missing"),
            Drift::Changed(n) => write!(f, "{n} differs from the generated schema"),
            Drift::Stale(n) => write!(f, "{n} is not generated any more"),
        }
    }
}

/// Compares the `.json` files directly in `dir` with a fresh bundle (subdirectories,
/// such as `released/`, are ignored). Empty when the directory is current.
///
/// # Errors
/// [`BundleError::Io`] when the directory or a file cannot be read,
/// [`BundleError::NotJson`] when a file is not JSON.
pub fn drift(dir: &Path) -> Result<Vec<Drift>, BundleError> {
    let fresh = bundle();
    let mut out = Vec::new();
    for file in &fresh {
        let path = dir.join(&file.file_name);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let committed: Value = serde_json::from_str(&text)
                    .map_err(|source| BundleError::NotJson { path, source })?;
                if committed != file.json {
                    out.push(Drift::Changed(file.file_name.clone()));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Drift::Missing(file.file_name.clone()));
            }
            Err(source) => return Err(BundleError::Io { path, source }),
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|source| BundleError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut stale = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| BundleError::Io {
            path: dir.to_owned(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && name.ends_with(".json") && !fresh.iter().any(|f| f.file_name == name) {
            stale.push(Drift::Stale(name));
        }
    }
    stale.sort_by_key(ToString::to_string);
    out.extend(stale);
    Ok(out)
}
