//! Loading a user's own frameworks and crosswalks from CSV or JSON.
//!
//! The formats are documented in `docs/catalog.md`; the JSON shapes are the serde
//! forms of [`Framework`] and [`Crosswalk`] (JSON Schema via `schemars::schema_for!`).
//! Loaders check every row and name file, line and field in their errors; add the result
//! to a catalogue with [`crate::CatalogBuilder`], which refuses anything that would
//! replace shipped data.

use std::collections::HashMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::LoadError;
use crate::id::{FrameworkId, ItemId, ItemRef};
use crate::mapping::{Crosswalk, Mapping, Provenance, Rationale, Relationship, Strength};
use crate::model::{Framework, Item};
use crate::vocab::ItemKind;

/// What a framework CSV cannot say for itself: the framework's own facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FrameworkInfo {
    /// The key for references, for example `acme-policy:2025`.
    pub id: FrameworkId,
    /// Name.
    pub name: String,
    /// Version or edition.
    pub version: String,
    /// Publisher.
    pub publisher: String,
    /// Licence of the data.
    pub licence: String,
    /// Attribution to keep with the data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// Where the data comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// What a crosswalk CSV cannot say for itself: its id, name and default provenance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CrosswalkInfo {
    /// Unique id of the set.
    pub id: String,
    /// Name of the set.
    pub name: String,
    /// What the set is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Provenance of rows that do not name their own.
    pub provenance: Provenance,
}

/// Reads a file into memory, for the loaders below.
///
/// # Errors
/// [`LoadError::Io`] naming the file.
pub fn read(path: impl AsRef<Path>) -> Result<String, LoadError> {
    let path = path.as_ref();
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        file: path.display().to_string(),
        source,
    })
}

fn invalid(
    file: &str,
    line: Option<u64>,
    field: &str,
    value: &str,
    reason: impl Into<String>,
) -> LoadError {
    LoadError::InvalidField {
        file: file.to_owned(),
        line,
        field: field.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

struct CsvRows {
    headers: Vec<String>,
    rows: Vec<(u64, csv::StringRecord)>,
}

fn read_csv(file: &str, text: &str, required: &[&str]) -> Result<CsvRows, LoadError> {
    let csv_err = |e: csv::Error| LoadError::Csv {
        file: file.to_owned(),
        line: e.position().map_or(1, csv::Position::line),
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_err)?
        .iter()
        .map(str::to_owned)
        .collect();
    for col in required {
        if !headers.iter().any(|h| h == col) {
            return Err(LoadError::MissingColumn {
                file: file.to_owned(),
                column: (*col).to_owned(),
                required: required.iter().map(|c| (*c).to_owned()).collect(),
            });
        }
    }
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(csv_err)?;
        rows.push((rec.position().map_or(0, csv::Position::line), rec));
    }
    Ok(CsvRows { headers, rows })
}

impl CsvRows {
    fn get<'r>(&self, rec: &'r csv::StringRecord, col: &str) -> &'r str {
        self.headers
            .iter()
            .position(|h| h == col)
            .and_then(|i| rec.get(i))
            .unwrap_or("")
    }
}

fn non_empty(s: &str) -> Option<String> {
    if s.is_empty() {
        None
    } else {
        Some(s.to_owned())
    }
}

/// Loads a framework from CSV with columns `id,title` (required) and `parent,kind,summary`
/// (optional). `kind` is one of the [`ItemKind`] words (default `requirement`).
///
/// # Errors
/// A [`LoadError`] naming file, line and field: malformed CSV, missing column, invalid or
/// repeated id, unknown parent, unknown kind.
pub fn framework_from_csv(
    file: &str,
    text: &str,
    info: FrameworkInfo,
) -> Result<Framework, LoadError> {
    let csv = read_csv(file, text, &["id", "title"])?;
    let mut items = Vec::with_capacity(csv.rows.len());
    let mut lines: HashMap<String, u64> = HashMap::new();
    for (line, rec) in &csv.rows {
        let line = *line;
        let id_text = csv.get(rec, "id");
        let id = ItemId::new(id_text)
            .map_err(|e| invalid(file, Some(line), "id", id_text, e.to_string()))?;
        if let Some(first) = lines.insert(id_text.to_owned(), line) {
            return Err(invalid(
                file,
                Some(line),
                "id",
                id_text,
                format!("repeats the id on line {first}; ids must be unique"),
            ));
        }
        let parent_text = csv.get(rec, "parent");
        let parent = match parent_text {
            "" => None,
            p => Some(
                ItemId::new(p)
                    .map_err(|e| invalid(file, Some(line), "parent", p, e.to_string()))?,
            ),
        };
        let kind = match csv.get(rec, "kind") {
            "" => ItemKind::Requirement,
            k => k.parse().map_err(|e: crate::error::ValueError| {
                invalid(file, Some(line), "kind", k, e.to_string())
            })?,
        };
        items.push((
            line,
            Item {
                id,
                parent,
                kind,
                title: non_empty(csv.get(rec, "title")),
                summary: non_empty(csv.get(rec, "summary")),
                details: None,
            },
        ));
    }
    for (line, item) in &items {
        if let Some(p) = &item.parent
            && (!lines.contains_key(p.as_str()) || p == &item.id)
        {
            return Err(invalid(
                file,
                Some(*line),
                "parent",
                p.as_str(),
                "no item with this id in the file; list the parent as its own row",
            ));
        }
    }
    Ok(Framework {
        id: info.id,
        name: info.name,
        version: info.version,
        publisher: info.publisher,
        licence: info.licence,
        attribution: info.attribution,
        source: info.source,
        items: items.into_iter().map(|(_, i)| i).collect(),
    })
}

fn json_error(file: &str, e: &serde_json::Error) -> LoadError {
    LoadError::Json {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    }
}

/// Loads a framework from its JSON form (the serde shape of [`Framework`]).
///
/// # Errors
/// [`LoadError::Json`] (line, column and the field in the message) or
/// [`LoadError::InvalidField`] with a JSON path such as `items[3].parent`.
pub fn framework_from_json(file: &str, text: &str) -> Result<Framework, LoadError> {
    let fw: Framework = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, item) in fw.items.iter().enumerate() {
        if let Some(first) = seen.insert(item.id.as_str(), i) {
            return Err(invalid(
                file,
                None,
                &format!("items[{i}].id"),
                item.id.as_str(),
                format!("repeats items[{first}].id; ids must be unique"),
            ));
        }
    }
    for (i, item) in fw.items.iter().enumerate() {
        if let Some(p) = &item.parent
            && (!seen.contains_key(p.as_str()) || p == &item.id)
        {
            return Err(invalid(
                file,
                None,
                &format!("items[{i}].parent"),
                p.as_str(),
                "no item with this id in the framework",
            ));
        }
    }
    Ok(fw)
}

fn endpoint(
    catalog: &Catalog,
    file: &str,
    line: Option<u64>,
    field: &str,
    value: &str,
) -> Result<ItemRef, LoadError> {
    catalog
        .resolve(value)
        .map(|r| r.reference())
        .map_err(|e| invalid(file, line, field, value, e.to_string()))
}

/// Loads a crosswalk from CSV with columns `source,target,relationship,rationale`
/// (required) and `strength,note,provenance_source,licence,inferred` (optional; empty
/// cells fall back to `info.provenance`). Endpoints are full references resolved against
/// `catalog` (aliases and loose spellings allowed) and stored in canonical form.
///
/// # Errors
/// A [`LoadError`] naming file, line and field: unknown framework or item, unknown
/// relationship or rationale, strength outside 0-10, a pair listed twice.
pub fn crosswalk_from_csv(
    file: &str,
    text: &str,
    info: CrosswalkInfo,
    catalog: &Catalog,
) -> Result<Crosswalk, LoadError> {
    let csv = read_csv(
        file,
        text,
        &["source", "target", "relationship", "rationale"],
    )?;
    let mut mappings = Vec::with_capacity(csv.rows.len());
    let mut pairs: HashMap<(ItemRef, ItemRef), u64> = HashMap::new();
    for (line, rec) in &csv.rows {
        let l = Some(*line);
        let field = |name: &str| csv.get(rec, name);
        let source = endpoint(catalog, file, l, "source", field("source"))?;
        let target = endpoint(catalog, file, l, "target", field("target"))?;
        let relationship: Relationship =
            field("relationship")
                .parse()
                .map_err(|e: crate::error::ValueError| {
                    invalid(
                        file,
                        l,
                        "relationship",
                        field("relationship"),
                        e.to_string(),
                    )
                })?;
        let rationale: Rationale =
            field("rationale")
                .parse()
                .map_err(|e: crate::error::ValueError| {
                    invalid(file, l, "rationale", field("rationale"), e.to_string())
                })?;
        let strength = match field("strength") {
            "" => None,
            s => {
                let n: i64 = s.parse().map_err(|_| {
                    invalid(file, l, "strength", s, "not a whole number; use 0 to 10")
                })?;
                Some(Strength::new(n).map_err(|e| invalid(file, l, "strength", s, e.to_string()))?)
            }
        };
        let inferred = match field("inferred") {
            "" => info.provenance.inferred,
            "true" => true,
            "false" => false,
            other => return Err(invalid(file, l, "inferred", other, "use true or false")),
        };
        let provenance = Provenance {
            source: non_empty(field("provenance_source"))
                .unwrap_or_else(|| info.provenance.source.clone()),
            licence: non_empty(field("licence")).unwrap_or_else(|| info.provenance.licence.clone()),
            inferred,
            note: non_empty(field("note")).or_else(|| info.provenance.note.clone()),
        };
        let key = if source <= target {
            (source.clone(), target.clone())
        } else {
            (target.clone(), source.clone())
        };
        if let Some(first) = pairs.insert(key, *line) {
            return Err(invalid(
                file,
                l,
                "target",
                field("target"),
                format!(
                    "the pair {source} / {target} is already on line {first}; keep one row per pair (reverse edges are derived)"
                ),
            ));
        }
        mappings.push(Mapping {
            source,
            target,
            relationship,
            rationale,
            strength,
            provenance,
            reversed: false,
        });
    }
    Ok(Crosswalk {
        id: info.id,
        name: info.name,
        description: info.description,
        mappings,
    })
}

/// Loads a crosswalk from its JSON form (the serde shape of [`Crosswalk`]); endpoints are
/// resolved against `catalog` and stored in canonical form.
///
/// # Errors
/// [`LoadError::Json`] (for example a strength of 11 or an unknown relationship, with line
/// and column) or [`LoadError::InvalidField`] with a path such as `mappings[2].target`.
pub fn crosswalk_from_json(
    file: &str,
    text: &str,
    catalog: &Catalog,
) -> Result<Crosswalk, LoadError> {
    let loose: LooseCrosswalk = serde_json::from_str(text).map_err(|e| json_error(file, &e))?;
    let mut mappings = Vec::with_capacity(loose.mappings.len());
    let mut pairs: HashMap<(ItemRef, ItemRef), usize> = HashMap::new();
    for (i, m) in loose.mappings.into_iter().enumerate() {
        // Endpoints as the CSV loader takes them: resolved against the catalogue,
        // aliases and loose spellings included, stored in canonical form.
        let source = endpoint(
            catalog,
            file,
            None,
            &format!("mappings[{i}].source"),
            &m.source,
        )?;
        let target = endpoint(
            catalog,
            file,
            None,
            &format!("mappings[{i}].target"),
            &m.target,
        )?;
        let key = if source <= target {
            (source.clone(), target.clone())
        } else {
            (target.clone(), source.clone())
        };
        if let Some(first) = pairs.insert(key, i) {
            return Err(invalid(
                file,
                None,
                &format!("mappings[{i}]"),
                &format!("{source} / {target}"),
                format!(
                    "the pair is already mappings[{first}]; keep one entry per pair (reverse edges are derived)"
                ),
            ));
        }
        mappings.push(Mapping {
            source,
            target,
            relationship: m.relationship,
            rationale: m.rationale,
            strength: m.strength,
            provenance: m.provenance,
            reversed: m.reversed,
        });
    }
    Ok(Crosswalk {
        id: loose.id,
        name: loose.name,
        description: loose.description,
        mappings,
    })
}

/// [`Crosswalk`] as a file may spell it: endpoints are text for the catalogue to
/// resolve, as in CSV. Every other field is read as the typed form reads it.
#[derive(Deserialize)]
struct LooseCrosswalk {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    mappings: Vec<LooseMapping>,
}

/// [`Mapping`] with text endpoints.
#[derive(Deserialize)]
struct LooseMapping {
    source: String,
    target: String,
    relationship: Relationship,
    rationale: Rationale,
    #[serde(default)]
    strength: Option<Strength>,
    provenance: Provenance,
    #[serde(default)]
    reversed: bool,
}
