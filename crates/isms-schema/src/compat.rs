//! The compatibility check: a structural diff between two versions of a schema that
//! finds the changes that can make a document valid under the old schema invalid under
//! the new one, and the release rule built on it (see `docs/schemas/README.md`).
//!
//! The diff walks both schemas from the root in step, following local `$ref`s, and
//! names each change by the file and the schema path it was found at, with `$ref`s
//! flattened (`/properties/nonconformities/items/properties/severity`), so that a
//! renamed definition is not a change but a removed enum value is.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

/// A change that can reject documents the old schema accepted.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BreakingKind {
    /// A whole schema file was removed from the bundle.
    RemovedSchema,
    /// A property was removed.
    RemovedProperty(String),
    /// A property became required.
    NewlyRequired(String),
    /// A value of a closed vocabulary was removed.
    RemovedEnumValue(Value),
    /// A value that was free is now restricted to a list (`enum` added).
    AddedEnum,
    /// A branch of a `oneOf`/`anyOf` (an event type, a command, a tagged variant) was removed.
    RemovedVariant(String),
    /// The allowed JSON types shrank.
    ChangedType {
        /// The types before.
        from: Vec<String>,
        /// The types after.
        to: Vec<String>,
    },
    /// A `const` was added or changed.
    ChangedConst {
        /// Before (`null` when there was none).
        from: Value,
        /// After.
        to: Value,
    },
    /// A `pattern` was added or changed (patterns cannot be compared, so any change counts).
    TightenedPattern {
        /// Before.
        from: Option<String>,
        /// After.
        to: String,
    },
    /// A `format` was added or changed.
    TightenedFormat {
        /// Before.
        from: Option<String>,
        /// After.
        to: String,
    },
    /// A numeric, length, count or uniqueness bound was added or tightened.
    TightenedBound {
        /// The keyword (`maxLength`, `minimum`, ...).
        keyword: String,
        /// Before.
        from: Option<Value>,
        /// After.
        to: Value,
    },
    /// `additionalProperties` became `false`: unknown fields are now rejected.
    AdditionalPropertiesClosed,
    /// A subschema was added to `allOf` (every document must now match it too).
    AddedAllOf,
}

impl fmt::Display for BreakingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BreakingKind::RemovedSchema => write!(f, "schema file removed"),
            BreakingKind::RemovedProperty(p) => write!(f, "property `{p}` removed"),
            BreakingKind::NewlyRequired(p) => write!(f, "property `{p}` is now required"),
            BreakingKind::RemovedEnumValue(v) => write!(f, "enum value {v} removed"),
            BreakingKind::AddedEnum => write!(f, "values restricted to an enum"),
            BreakingKind::RemovedVariant(v) => write!(f, "variant {v} removed"),
            BreakingKind::ChangedType { from, to } => {
                write!(f, "type changed from {from:?} to {to:?}")
            }
            BreakingKind::ChangedConst { from, to } => {
                write!(f, "const changed from {from} to {to}")
            }
            BreakingKind::TightenedPattern { from, to } => {
                write!(f, "pattern changed from {from:?} to {to:?}")
            }
            BreakingKind::TightenedFormat { from, to } => {
                write!(f, "format changed from {from:?} to {to:?}")
            }
            BreakingKind::TightenedBound { keyword, from, to } => {
                write!(f, "`{keyword}` tightened from {from:?} to {to}")
            }
            BreakingKind::AdditionalPropertiesClosed => {
                write!(f, "additionalProperties turned false")
            }
            BreakingKind::AddedAllOf => write!(f, "allOf gained a subschema"),
        }
    }
}

/// One breaking change, located.
#[derive(Clone, Debug, PartialEq)]
pub struct BreakingChange {
    /// The schema file (`register.json`).
    pub file: String,
    /// The schema path with `$ref`s flattened (`/properties/events/items`).
    pub path: String,
    /// What changed.
    pub kind: BreakingKind,
}

impl BreakingChange {
    /// `file#path`: what `docs/schemas/CHANGELOG.md` must mention for the change.
    pub fn key(&self) -> String {
        format!("{}#{}", self.file, self.path)
    }
}

impl fmt::Display for BreakingChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key(), self.kind)
    }
}

/// The breaking changes from `old` to `new`, two versions of the schema file `file`.
pub fn compare_schemas(file: &str, old: &Value, new: &Value) -> Vec<BreakingChange> {
    let mut walk = Walk {
        file,
        old_root: old,
        new_root: new,
        seen: HashSet::new(),
        out: Vec::new(),
    };
    walk.node(old, new, String::new());
    walk.out
}

/// The breaking changes between two bundles given as file name to content; a file of
/// `old` missing from `new` is [`BreakingKind::RemovedSchema`]. Files only in `new` are
/// additions, never breaking. `index.json` is not a schema and is skipped.
pub fn compare_bundles(
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
) -> Vec<BreakingChange> {
    let mut out = Vec::new();
    for (name, old_schema) in old {
        if name == "index.json" {
            continue;
        }
        match new.get(name) {
            Some(new_schema) => out.extend(compare_schemas(name, old_schema, new_schema)),
            None => out.push(BreakingChange {
                file: name.clone(),
                path: String::new(),
                kind: BreakingKind::RemovedSchema,
            }),
        }
    }
    out
}

/// Why a bundle may not be released as it is.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum CompatError {
    /// A version is not `MAJOR.MINOR.PATCH`.
    #[error("{0:?} is not a MAJOR.MINOR.PATCH version")]
    BadVersion(String),
    /// The version went down.
    #[error("the bundle version {current} is lower than the released {released}")]
    VersionWentDown {
        /// The bundle's version.
        current: String,
        /// The last released version.
        released: String,
    },
    /// The bundle differs from the release of the same version.
    #[error(
        "the bundle differs from the released {version} in {files:?}; released bundles never change: bump SCHEMA_VERSION (minor for compatible changes, major for breaking ones), add a CHANGELOG.md section and copy the bundle to docs/schemas/released/<new version>/"
    )]
    ReleasedBundleChanged {
        /// The version.
        version: String,
        /// The files that differ.
        files: Vec<String>,
    },
    /// Breaking changes without a new major version.
    #[error(
        "breaking changes need a new major version (released {released}, bundle {current}):\n{}",
        .changes.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n")
    )]
    BreakingWithoutMajor {
        /// The bundle's version.
        current: String,
        /// The last released version.
        released: String,
        /// The changes.
        changes: Vec<String>,
    },
    /// `CHANGELOG.md` has no section for the bundle's version.
    #[error("docs/schemas/CHANGELOG.md has no `## {version}` section")]
    MissingChangelogSection {
        /// The bundle's version.
        version: String,
    },
    /// Breaking changes not listed in the changelog.
    #[error(
        "the `## {version}` section of docs/schemas/CHANGELOG.md does not list these breaking changes (by their file#path key):\n{}",
        .changes.iter().map(|c| format!("  {c}")).collect::<Vec<_>>().join("\n")
    )]
    UnlistedBreakingChanges {
        /// The bundle's version.
        version: String,
        /// The changes not listed.
        changes: Vec<String>,
    },
}

/// Parses `MAJOR.MINOR.PATCH`.
///
/// # Errors
/// [`CompatError::BadVersion`].
pub fn parse_version(v: &str) -> Result<(u64, u64, u64), CompatError> {
    let bad = || CompatError::BadVersion(v.to_owned());
    let mut parts = v.split('.').map(|p| {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            Err(bad())
        } else {
            p.parse::<u64>().map_err(|_| bad())
        }
    });
    let (Some(a), Some(b), Some(c), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    Ok((a?, b?, c?))
}

/// The release rule. With `released` the last released bundle and `current` the bundle
/// now generated:
///
/// 1. the current version is not lower than the released one;
/// 2. at the same version, the bundles are identical (a release never changes);
/// 3. at a new version, `changelog` has a `## <version>` heading;
/// 4. breaking changes ([`compare_bundles`]) need a higher major version, and each must
///    be listed by its `file#path` key in that version's section of the changelog.
///
/// # Errors
/// The first rule broken, as a [`CompatError`] that says how to fix it.
pub fn check_release(
    released_version: &str,
    released: &BTreeMap<String, Value>,
    current_version: &str,
    current: &BTreeMap<String, Value>,
    changelog: &str,
) -> Result<(), CompatError> {
    let old = parse_version(released_version)?;
    let new = parse_version(current_version)?;
    if new < old {
        return Err(CompatError::VersionWentDown {
            current: current_version.to_owned(),
            released: released_version.to_owned(),
        });
    }
    if new == old {
        let mut files: Vec<String> = released
            .keys()
            .chain(current.keys())
            .filter(|k| released.get(*k) != current.get(*k))
            .cloned()
            .collect();
        files.dedup();
        if files.is_empty() {
            return Ok(());
        }
        return Err(CompatError::ReleasedBundleChanged {
            version: current_version.to_owned(),
            files,
        });
    }
    let Some(section) = changelog_section(changelog, current_version) else {
        return Err(CompatError::MissingChangelogSection {
            version: current_version.to_owned(),
        });
    };
    let changes = compare_bundles(released, current);
    if changes.is_empty() {
        return Ok(());
    }
    if new.0 <= old.0 {
        return Err(CompatError::BreakingWithoutMajor {
            current: current_version.to_owned(),
            released: released_version.to_owned(),
            changes: changes.iter().map(ToString::to_string).collect(),
        });
    }
    let unlisted: Vec<String> = changes
        .iter()
        .filter(|c| !section.contains(&c.key()))
        .map(ToString::to_string)
        .collect();
    if unlisted.is_empty() {
        Ok(())
    } else {
        Err(CompatError::UnlistedBreakingChanges {
            version: current_version.to_owned(),
            changes: unlisted,
        })
    }
}

/// The text under `## <version>` up to the next `## ` heading.
fn changelog_section<'a>(changelog: &'a str, version: &str) -> Option<&'a str> {
    let heading = format!("## {version}");
    let mut start = None;
    let mut offset = 0;
    for line in changelog.split_inclusive('\n') {
        let trimmed = line.trim_end();
        if let Some(s) = start {
            if trimmed.starts_with("## ") {
                return Some(&changelog[s..offset]);
            }
        } else if trimmed == heading || trimmed.starts_with(&format!("{heading} ")) {
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    start.map(|s| &changelog[s..])
}

const ANNOTATIONS: [&str; 7] = [
    "description",
    "title",
    "default",
    "examples",
    "$comment",
    "deprecated",
    "readOnly",
];

struct Walk<'a> {
    file: &'a str,
    old_root: &'a Value,
    new_root: &'a Value,
    seen: HashSet<(String, String)>,
    out: Vec<BreakingChange>,
}

fn resolve<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    root.pointer(pointer)
}

fn types(v: &Map<String, Value>) -> Option<Vec<String>> {
    match v.get("type")? {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => None,
    }
}

/// A key that identifies a `oneOf`/`anyOf` branch across versions: the value of its tag
/// (`const` of a property), else its `$ref`, else its own `const`, else its position.
fn branch_key(root: &Value, branch: &Value, index: usize) -> String {
    let deref = |b: &Value| -> Value {
        match b.get("$ref").and_then(Value::as_str) {
            Some(r) => resolve(root, r).cloned().unwrap_or(Value::Null),
            None => b.clone(),
        }
    };
    for candidate in [branch.clone(), deref(branch)] {
        if let Some(props) = candidate.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                if let Some(c) = p.get("const") {
                    return format!("{name}={c}");
                }
            }
        }
        if let Some(c) = candidate.get("const") {
            return format!("const={c}");
        }
    }
    if let Some(r) = branch.get("$ref").and_then(Value::as_str) {
        return r.to_owned();
    }
    if branch.get("type") == Some(&Value::String("null".into())) {
        return "null".into();
    }
    format!("#{index}")
}

impl Walk<'_> {
    fn push(&mut self, path: &str, kind: BreakingKind) {
        self.out.push(BreakingChange {
            file: self.file.to_owned(),
            path: path.to_owned(),
            kind,
        });
    }

    fn node(&mut self, old: &Value, new: &Value, path: String) {
        // Follow references on both sides, remembering pairs to stop on recursive types.
        let old_ref = old.get("$ref").and_then(Value::as_str);
        let new_ref = new.get("$ref").and_then(Value::as_str);
        if old_ref.is_some() || new_ref.is_some() {
            let key = (
                old_ref.unwrap_or("(inline)").to_owned(),
                new_ref.unwrap_or("(inline)").to_owned(),
            );
            if old_ref.is_some() && new_ref.is_some() && !self.seen.insert(key) {
                return;
            }
            let old_target = old_ref.and_then(|r| resolve(self.old_root, r));
            let new_target = new_ref.and_then(|r| resolve(self.new_root, r));
            match (old_target, new_target) {
                (Some(o), Some(n)) => self.node(o, n, path.clone()),
                (Some(o), None) => self.node(o, &strip_ref(new), path.clone()),
                (None, Some(n)) => self.node(&strip_ref(old), n, path.clone()),
                (None, None) => {}
            }
            // Keywords beside the `$ref` (rare) are compared as a node of their own.
            let (o, n) = (strip_ref(old), strip_ref(new));
            if old_ref.is_some() && new_ref.is_some() && has_constraints(&o, &n) {
                self.keywords(&o, &n, &path);
            }
            return;
        }
        self.keywords(old, new, &path);
    }

    fn keywords(&mut self, old: &Value, new: &Value, path: &str) {
        let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
            if old != new && new == &Value::Bool(false) {
                self.push(path, BreakingKind::AddedAllOf);
            }
            return;
        };
        if let Some(to) = types(n) {
            let from = types(o).unwrap_or_default();
            let widened =
                |t: &String| to.contains(t) || (t == "integer" && to.iter().any(|x| x == "number"));
            if from.is_empty() || !from.iter().all(widened) {
                self.push(
                    path,
                    BreakingKind::ChangedType {
                        from,
                        to: to.clone(),
                    },
                );
            }
        }
        match (o.get("enum"), n.get("enum")) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                for v in a.iter().filter(|v| !b.contains(v)) {
                    self.push(path, BreakingKind::RemovedEnumValue(v.clone()));
                }
            }
            (None, Some(_)) => self.push(path, BreakingKind::AddedEnum),
            _ => {}
        }
        if let Some(c) = n.get("const")
            && o.get("const") != Some(c)
        {
            self.push(
                path,
                BreakingKind::ChangedConst {
                    from: o.get("const").cloned().unwrap_or(Value::Null),
                    to: c.clone(),
                },
            );
        }
        if let Some(Value::String(p)) = n.get("pattern")
            && o.get("pattern").and_then(Value::as_str) != Some(p)
        {
            self.push(
                path,
                BreakingKind::TightenedPattern {
                    from: o.get("pattern").and_then(Value::as_str).map(str::to_owned),
                    to: p.clone(),
                },
            );
        }
        if let Some(Value::String(f)) = n.get("format")
            && o.get("format").and_then(Value::as_str) != Some(f)
        {
            self.push(
                path,
                BreakingKind::TightenedFormat {
                    from: o.get("format").and_then(Value::as_str).map(str::to_owned),
                    to: f.clone(),
                },
            );
        }
        self.bounds(o, n, path);
        let old_open = o.get("additionalProperties") != Some(&Value::Bool(false));
        if old_open && n.get("additionalProperties") == Some(&Value::Bool(false)) {
            self.push(path, BreakingKind::AdditionalPropertiesClosed);
        }
        if let (Some(a), Some(b)) = (o.get("additionalProperties"), n.get("additionalProperties"))
            && a.is_object()
            && b.is_object()
        {
            self.node(a, b, format!("{path}/additionalProperties"));
        }
        let required = |m: &Map<String, Value>| -> Vec<String> {
            m.get("required")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let old_required = required(o);
        for r in required(n)
            .into_iter()
            .filter(|r| !old_required.contains(r))
        {
            self.push(path, BreakingKind::NewlyRequired(r));
        }
        let empty = Map::new();
        let old_props = o
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let new_props = n
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (name, old_p) in old_props {
            match new_props.get(name) {
                Some(new_p) => self.node(old_p, new_p, format!("{path}/properties/{name}")),
                None => self.push(path, BreakingKind::RemovedProperty(name.clone())),
            }
        }
        if let (Some(a), Some(b)) = (o.get("items"), n.get("items")) {
            self.node(a, b, format!("{path}/items"));
        }
        if let (Some(Value::Array(a)), Some(Value::Array(b))) =
            (o.get("prefixItems"), n.get("prefixItems"))
        {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                self.node(x, y, format!("{path}/prefixItems/{i}"));
            }
        }
        for keyword in ["oneOf", "anyOf"] {
            let (Some(Value::Array(a)), Some(Value::Array(b))) = (o.get(keyword), n.get(keyword))
            else {
                continue;
            };
            let new_keys: Vec<String> = b
                .iter()
                .enumerate()
                .map(|(i, x)| branch_key(self.new_root, x, i))
                .collect();
            for (i, x) in a.iter().enumerate() {
                let key = branch_key(self.old_root, x, i);
                match new_keys.iter().position(|k| *k == key) {
                    Some(j) => self.node(x, &b[j], format!("{path}/{keyword}[{key}]")),
                    None => self.push(path, BreakingKind::RemovedVariant(key)),
                }
            }
        }
        match (o.get("allOf"), n.get("allOf")) {
            (Some(Value::Array(a)), Some(Value::Array(b))) => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    self.node(x, y, format!("{path}/allOf/{i}"));
                }
                if b.len() > a.len() {
                    self.push(path, BreakingKind::AddedAllOf);
                }
            }
            (None, Some(_)) => self.push(path, BreakingKind::AddedAllOf),
            _ => {}
        }
    }

    fn bounds(&mut self, o: &Map<String, Value>, n: &Map<String, Value>, path: &str) {
        const LOWER: [&str; 5] = [
            "minimum",
            "exclusiveMinimum",
            "minLength",
            "minItems",
            "minProperties",
        ];
        const UPPER: [&str; 5] = [
            "maximum",
            "exclusiveMaximum",
            "maxLength",
            "maxItems",
            "maxProperties",
        ];
        for (keywords, lower) in [(LOWER, true), (UPPER, false)] {
            for k in keywords {
                let Some(to) = n.get(k) else { continue };
                let from = o.get(k);
                let tighter = match (from.and_then(Value::as_f64), to.as_f64()) {
                    (None, _) => true,
                    (Some(a), Some(b)) => {
                        if lower {
                            b > a
                        } else {
                            b < a
                        }
                    }
                    (Some(_), None) => true,
                };
                if tighter {
                    self.push(
                        path,
                        BreakingKind::TightenedBound {
                            keyword: k.to_owned(),
                            from: from.cloned(),
                            to: to.clone(),
                        },
                    );
                }
            }
        }
        if n.get("uniqueItems") == Some(&Value::Bool(true))
            && o.get("uniqueItems") != Some(&Value::Bool(true))
        {
            self.push(
                path,
                BreakingKind::TightenedBound {
                    keyword: "uniqueItems".into(),
                    from: o.get("uniqueItems").cloned(),
                    to: Value::Bool(true),
                },
            );
        }
    }
}

fn strip_ref(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut m = m.clone();
            m.remove("$ref");
            Value::Object(m)
        }
        other => other.clone(),
    }
}

fn has_constraints(o: &Value, n: &Value) -> bool {
    [o, n].iter().any(|v| {
        v.as_object()
            .is_some_and(|m| m.keys().any(|k| !ANNOTATIONS.contains(&k.as_str())))
    })
}
