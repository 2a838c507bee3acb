//! Requirement references: which requirement a nonconformity breaches.
//!
//! The syntax is `FRAMEWORK[:VERSION]/ITEM`, for example
//! `iso27001:2022/A.8.13`, `iso27001:2022/10.2`, `nis2/21.2.c` (NIS2
//! Article 21(2)(c)), `nis2-ir:2024-2690/3.2.1` or `cis:v8/17.8`. The core only
//! checks the shape; the catalogue (`isms-catalog`) resolves a reference to
//! an item and knows whether it exists.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::ReferenceError;

/// The JSON Schema pattern of a [`RequirementRef`] (also its grammar).
pub const REQUIREMENT_REF_PATTERN: &str =
    r"^[a-z][a-z0-9_-]{0,31}(:[A-Za-z0-9][A-Za-z0-9._-]{0,31})?/[A-Za-z0-9][A-Za-z0-9._()-]{0,63}$";

/// A validated reference to a requirement of some framework.
///
/// `FromStr` accepts the framework in any case and lower-cases it;
/// `Display` writes the canonical form, so `parse(display(r)) == r`.
///
/// ```
/// use isms_core::RequirementRef;
/// let r: RequirementRef = "ISO27001:2022/A.8.13".parse()?;
/// assert_eq!(r.framework(), "iso27001");
/// assert_eq!(r.version(), Some("2022"));
/// assert_eq!(r.item(), "A.8.13");
/// assert_eq!(r.framework_key(), "iso27001:2022");
/// assert_eq!(r.to_string(), "iso27001:2022/A.8.13");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequirementRef {
    text: String,
    slash: u16,
    colon: Option<u16>,
}

impl RequirementRef {
    /// Builds a reference from its parts, validating each.
    pub fn new(framework: &str, version: Option<&str>, item: &str) -> Result<Self, ReferenceError> {
        let text = match version {
            Some(v) => format!("{framework}:{v}/{item}"),
            None => format!("{framework}/{item}"),
        };
        text.parse()
    }

    /// The framework name, lower case (`iso27001`, `nis2`, `cis`).
    pub fn framework(&self) -> &str {
        let end = self.colon.unwrap_or(self.slash) as usize;
        &self.text[..end]
    }

    /// The framework version, if given (`2022`, `v8`).
    pub fn version(&self) -> Option<&str> {
        self.colon
            .map(|c| &self.text[c as usize + 1..self.slash as usize])
    }

    /// `framework:version` (or just `framework`): the catalogue's key.
    pub fn framework_key(&self) -> &str {
        &self.text[..self.slash as usize]
    }

    /// The item within the framework (`A.8.13`, `21.2.c`).
    pub fn item(&self) -> &str {
        &self.text[self.slash as usize + 1..]
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

fn check_part(
    input: &str,
    part: &'static str,
    value: &str,
    max: usize,
    allowed: impl Fn(char) -> bool,
) -> Result<(), ReferenceError> {
    let bad = |problem: String| ReferenceError::Malformed {
        input: input.to_owned(),
        part,
        problem,
    };
    if value.is_empty() {
        return Err(bad("is empty".into()));
    }
    if value.chars().count() > max {
        return Err(bad(format!("is longer than {max} characters")));
    }
    if let Some(c) = value.chars().find(|&c| !allowed(c)) {
        return Err(bad(format!("contains {c:?}, which is not allowed there")));
    }
    if !value.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(bad("must start with a letter or digit".into()));
    }
    Ok(())
}

impl FromStr for RequirementRef {
    type Err = ReferenceError;

    fn from_str(input: &str) -> Result<Self, ReferenceError> {
        let s = input.trim();
        let Some(slash) = s.find('/') else {
            return Err(ReferenceError::MissingSlash {
                input: input.to_owned(),
            });
        };
        let (head, item) = (&s[..slash], &s[slash + 1..]);
        let (framework, version) = match head.find(':') {
            Some(c) => (&head[..c], Some(&head[c + 1..])),
            None => (head, None),
        };
        let framework = framework.to_ascii_lowercase();
        check_part(input, "framework", &framework, 32, |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
        })?;
        if !framework.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(ReferenceError::Malformed {
                input: input.to_owned(),
                part: "framework",
                problem: "must start with a letter".into(),
            });
        }
        if let Some(v) = version {
            check_part(input, "version", v, 32, |c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
            })?;
        }
        check_part(input, "item", item, 64, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '(' | ')')
        })?;
        let text = match version {
            Some(v) => format!("{framework}:{v}/{item}"),
            None => format!("{framework}/{item}"),
        };
        // Lengths are bounded above (32 + 1 + 32), so they fit in u16.
        let colon = version.map(|_| framework.len() as u16);
        let slash = (framework.len() + version.map_or(0, |v| v.len() + 1)) as u16;
        Ok(Self { text, slash, colon })
    }
}

impl fmt::Display for RequirementRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for RequirementRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for RequirementRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for RequirementRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RequirementRef".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": REQUIREMENT_REF_PATTERN,
            "description": "A requirement reference `FRAMEWORK[:VERSION]/ITEM`, e.g. `iso27001:2022/A.8.13`, `nis2/21.2.c`, `cis:v8/17.8`.",
            "examples": ["iso27001:2022/A.8.13", "iso27001:2022/10.2", "nis2/21.2.c", "cis:v8/17"]
        })
    }
}
