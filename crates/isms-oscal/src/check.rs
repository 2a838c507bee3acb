//! The OSCAL constraints that the JSON Schemas do not check.
//!
//! OSCAL's Metaschema states rules that its generated JSON Schemas cannot
//! express or do not carry: uuid references must name an object of the same
//! document, date-times must carry a time zone, tokens may not contain spaces
//! or colons, arrays are never empty (an absent array is written instead),
//! and one-line fields hold one line. [`check_document`] walks any OSCAL JSON
//! document and reports every breach with its JSON path. The exporters run it
//! on what they write and refuse to return a document that breaks a rule.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::Value;

/// One breach of an OSCAL constraint, with where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConstraintViolation {
    /// A `*-uuid` or `party-uuids` reference names no object of the document.
    #[error(
        "{path}: uuid reference {uuid} names no object in this document; add the object or remove the reference"
    )]
    DanglingUuid {
        /// JSON path of the reference.
        path: String,
        /// The uuid referenced.
        uuid: String,
    },
    /// A uuid reference names an object of the wrong kind (a `risk-uuid`
    /// naming a mitigating factor, say).
    #[error("{path}: {uuid} should name an object of {expected} but names one of {found}")]
    WrongTarget {
        /// JSON path of the reference.
        path: String,
        /// The uuid referenced.
        uuid: String,
        /// The array the target should be in (`risks`).
        expected: &'static str,
        /// The array it is in (`mitigating-factors`).
        found: String,
    },
    /// Two objects carry the same uuid.
    #[error("{path}: uuid {uuid} is also used at {first}; every object needs its own uuid")]
    DuplicateUuid {
        /// JSON path of the second object's uuid.
        path: String,
        /// The uuid.
        uuid: String,
        /// JSON path of the first object's uuid.
        first: String,
    },
    /// A `role-id` names no role in `metadata.roles`.
    #[error("{path}: role-id {role_id:?} is not defined in metadata.roles")]
    DanglingRoleId {
        /// JSON path of the reference.
        path: String,
        /// The role id.
        role_id: String,
    },
    /// A date-time without a time zone (or not a date-time at all).
    #[error(
        "{path}: {value:?} is not a date-time with a time zone (write e.g. 2026-03-02T09:00:00Z)"
    )]
    DateTimeWithoutZone {
        /// JSON path of the value.
        path: String,
        /// The value.
        value: String,
    },
    /// A token (prop name, role id, class, target id...) that is not an
    /// OSCAL token.
    #[error("{path}: {value:?} is not an OSCAL token: {problem}")]
    BadToken {
        /// JSON path of the value.
        path: String,
        /// The value.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// An empty array (OSCAL leaves the member out instead).
    #[error("{path}: empty array; leave the member out instead")]
    EmptyArray {
        /// JSON path of the array.
        path: String,
    },
    /// A one-line field (title, prop value, name) holding a line break.
    #[error("{path}: a one-line field contains a line break")]
    NewlineInLine {
        /// JSON path of the value.
        path: String,
    },
}

impl ConstraintViolation {
    /// The JSON path of the breach.
    pub fn path(&self) -> &str {
        match self {
            ConstraintViolation::DanglingUuid { path, .. }
            | ConstraintViolation::WrongTarget { path, .. }
            | ConstraintViolation::DuplicateUuid { path, .. }
            | ConstraintViolation::DanglingRoleId { path, .. }
            | ConstraintViolation::DateTimeWithoutZone { path, .. }
            | ConstraintViolation::BadToken { path, .. }
            | ConstraintViolation::EmptyArray { path }
            | ConstraintViolation::NewlineInLine { path } => path,
        }
    }
}

/// Keys whose values are date-times with a time zone in the OSCAL models
/// this crate reads and writes.
const DATE_TIME_KEYS: [&str; 8] = [
    "collected",
    "expires",
    "deadline",
    "start",
    "end",
    "date",
    "last-modified",
    "published",
];

/// Keys whose values are OSCAL tokens wherever they appear.
const TOKEN_KEYS: [&str; 5] = [
    "role-id",
    "class",
    "target-id",
    "relationship",
    "status-change",
];

/// Keys whose values are one line wherever they appear.
const LINE_KEYS: [&str; 2] = ["title", "short-name"];

/// Checks `document` (a whole OSCAL JSON document) against the constraints
/// above. Returns every breach in document order; empty when it conforms.
pub fn check_document(document: &Value) -> Vec<ConstraintViolation> {
    let mut walker = Walker {
        uuids: HashMap::new(),
        roles: HashSet::new(),
        violations: Vec::new(),
    };
    let mut path = String::from("$");
    walker.collect_definitions(document, &mut path, "");
    path.truncate(1);
    walker.check(document, &mut path, Parent::Root);
    walker.violations
}

/// Which array the object a reference names must sit in; references not
/// listed (`actor-uuid`, `subject-uuid`...) may name any object.
fn expected_kind(key: &str) -> Option<&'static str> {
    Some(match key {
        "risk-uuid" => "risks",
        "observation-uuid" => "observations",
        "finding-uuid" => "findings",
        "party-uuid" | "party-uuids" => "parties",
        "task-uuid" => "tasks",
        "response-uuid" => "remediations",
        _ => return None,
    })
}

struct Walker<'d> {
    /// uuid (lower case) -> (path of the definition, array it sits in).
    uuids: HashMap<Cow<'d, str>, (String, &'d str)>,
    roles: HashSet<&'d str>,
    violations: Vec<ConstraintViolation>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Parent<'a> {
    Root,
    /// Inside the array held by this key.
    ArrayOf(&'a str),
    /// Inside the object held by this key.
    Object(&'a str),
}

/// `s` in lower case, borrowed when it already is (uuids usually are).
fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

impl<'d> Walker<'d> {
    fn collect_definitions(&mut self, v: &'d Value, path: &mut String, array: &'d str) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    if k == "uuid" {
                        if let Value::String(u) = child {
                            let key = lower(u);
                            if let Some((first, _)) = self.uuids.get(&key) {
                                self.violations.push(ConstraintViolation::DuplicateUuid {
                                    path: path.clone(),
                                    uuid: u.clone(),
                                    first: first.clone(),
                                });
                            } else {
                                self.uuids.insert(key, (path.clone(), array));
                            }
                        }
                    } else if k == "roles"
                        && let Value::Array(roles) = child
                    {
                        for r in roles {
                            if let Some(Value::String(id)) = r.get("id") {
                                self.roles.insert(id);
                            }
                        }
                    }
                    if let Value::Array(items) = child {
                        for (i, item) in items.iter().enumerate() {
                            let len = path.len();
                            push_index(path, i);
                            self.collect_definitions(item, path, k);
                            path.truncate(len);
                        }
                    } else {
                        self.collect_definitions(child, path, "");
                    }
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    let len = path.len();
                    push_index(path, i);
                    self.collect_definitions(child, path, "");
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn check(&mut self, v: &Value, path: &mut String, parent: Parent<'_>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    let len = path.len();
                    path.push('.');
                    path.push_str(k);
                    self.check_member(k, child, path, parent);
                    self.check(child, path, Parent::Object(k));
                    path.truncate(len);
                }
            }
            Value::Array(items) => {
                let key = match parent {
                    Parent::Object(k) => k,
                    _ => "",
                };
                if items.is_empty() {
                    self.violations
                        .push(ConstraintViolation::EmptyArray { path: path.clone() });
                }
                for (i, child) in items.iter().enumerate() {
                    let len = path.len();
                    push_index(path, i);
                    if key == "party-uuids" {
                        self.check_reference(key, child, path);
                    }
                    self.check(child, path, Parent::ArrayOf(key));
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }

    fn check_member(&mut self, key: &str, v: &Value, path: &str, parent: Parent<'_>) {
        let Value::String(s) = v else { return };
        if key.ends_with("-uuid") {
            self.check_reference(key, v, path);
        }
        if key == "role-id" && !self.roles.contains(s.as_str()) {
            self.violations.push(ConstraintViolation::DanglingRoleId {
                path: path.to_owned(),
                role_id: s.clone(),
            });
        }
        if DATE_TIME_KEYS.contains(&key) && !is_zoned_date_time(s) {
            self.violations
                .push(ConstraintViolation::DateTimeWithoutZone {
                    path: path.to_owned(),
                    value: s.clone(),
                });
        }
        let in_props = parent == Parent::ArrayOf("props");
        let is_token = TOKEN_KEYS.contains(&key)
            || (in_props && key == "name")
            || (key == "id" && matches!(parent, Parent::ArrayOf("roles" | "controls" | "groups")));
        if is_token && let Some(problem) = token_problem(s) {
            self.violations.push(ConstraintViolation::BadToken {
                path: path.to_owned(),
                value: s.clone(),
                problem,
            });
        }
        let one_line = LINE_KEYS.contains(&key)
            || (in_props && key == "value")
            || (parent == Parent::ArrayOf("parties") && key == "name");
        if one_line && s.contains(['\n', '\r']) {
            self.violations.push(ConstraintViolation::NewlineInLine {
                path: path.to_owned(),
            });
        }
    }

    fn check_reference(&mut self, key: &str, v: &Value, path: &str) {
        let Value::String(u) = v else { return };
        match self.uuids.get(&lower(u)) {
            None => self.violations.push(ConstraintViolation::DanglingUuid {
                path: path.to_owned(),
                uuid: u.clone(),
            }),
            Some((_, found)) => {
                if let Some(expected) = expected_kind(key)
                    && *found != expected
                {
                    self.violations.push(ConstraintViolation::WrongTarget {
                        path: path.to_owned(),
                        uuid: u.clone(),
                        expected,
                        found: (*found).to_owned(),
                    });
                }
            }
        }
    }
}

fn push_index(path: &mut String, i: usize) {
    use std::fmt::Write;
    let _ = write!(path, "[{i}]");
}

/// An RFC 3339 date-time, which always carries `Z` or an offset.
fn is_zoned_date_time(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// What keeps `s` from being an OSCAL token, if anything.
fn token_problem(s: &str) -> Option<&'static str> {
    let Some(first) = s.chars().next() else {
        return Some("it is empty");
    };
    if s.chars().any(char::is_whitespace) {
        Some("it contains whitespace")
    } else if s.contains(':') {
        Some("it contains a colon")
    } else if !(first.is_alphabetic() || first == '_') {
        Some("it must start with a letter or an underscore")
    } else if s
        .chars()
        .any(|c| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        Some("it may hold only letters, digits, '.', '-' and '_'")
    } else {
        None
    }
}
