//! Identifiers: framework keys, item identifiers and full references.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::IdError;

/// The key of a framework, such as `iso27001:2022`, `nis2` or `cis:v8`.
///
/// Keys are lower-case ASCII letters, digits and the punctuation `:` `-` `.` `_`;
/// they never contain `/` (which separates the framework from the item in a reference).
/// Aliases such as `ISO 27001` are accepted by [`crate::Catalog::framework`], not here.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^[a-z0-9:._-]{1,64}$"))]
pub struct FrameworkId(Arc<str>);

impl FrameworkId {
    /// Checks and wraps a framework key.
    ///
    /// # Errors
    /// [`IdError::InvalidFrameworkId`] when the key is empty, longer than 64 characters or
    /// holds a character other than `a-z`, `0-9`, `:`, `-`, `.`, `_`.
    pub fn new(key: &str) -> Result<Self, IdError> {
        let ok = !key.is_empty()
            && key.len() <= 64
            && key.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b':' | b'-' | b'.' | b'_')
            });
        if ok {
            Ok(Self(Arc::from(key)))
        } else {
            Err(IdError::InvalidFrameworkId {
                given: key.to_owned(),
            })
        }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The identifier of an item inside its framework, such as `A.8.13`, `21.2.c` or `17.8`.
///
/// Identifiers are 1 to 64 printable characters without whitespace or `/`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
// Control characters as ranges, not `\p{Cc}`, for validators without Unicode classes.
// `maxLength` counts characters where `new` counts bytes: the schema is looser there.
#[schemars(extend("pattern" = "^[^\\s/\\x00-\\x1F\\x7F-\\x9F]+$", "minLength" = 1, "maxLength" = 64))]
pub struct ItemId(Arc<str>);

impl ItemId {
    /// Checks and wraps an item identifier.
    ///
    /// # Errors
    /// [`IdError::InvalidItemId`] when the identifier is empty, longer than 64 characters,
    /// or holds whitespace, a control character or `/`.
    pub fn new(id: &str) -> Result<Self, IdError> {
        let ok = !id.is_empty()
            && id.len() <= 64
            && id
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && c != '/');
        if ok {
            Ok(Self(Arc::from(id)))
        } else {
            Err(IdError::InvalidItemId {
                given: id.to_owned(),
            })
        }
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($t:ty) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }
        impl FromStr for $t {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }
        impl TryFrom<String> for $t {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(&s)
            }
        }
        impl From<$t> for String {
            fn from(v: $t) -> String {
                v.0.to_string()
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
string_newtype_impls!(FrameworkId);
string_newtype_impls!(ItemId);

/// A full reference to an item: framework key and item identifier, written
/// `FRAMEWORK[:VERSION]/ITEM`, for example `iso27001:2022/A.8.13` or `nis2/21.2.c`.
///
/// Parsing with [`FromStr`] is strict (canonical keys only); use
/// [`crate::Catalog::resolve`] to accept aliases and loose spellings.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(extend("pattern" = "^[a-z0-9:._-]{1,64}/[^\\s/\\x00-\\x1F\\x7F-\\x9F]{1,64}$"))]
pub struct ItemRef {
    /// The framework the item belongs to.
    pub framework: FrameworkId,
    /// The item inside that framework.
    pub item: ItemId,
}

impl ItemRef {
    /// Builds a reference from its two parts.
    pub fn new(framework: FrameworkId, item: ItemId) -> Self {
        Self { framework, item }
    }
}

impl fmt::Display for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.framework, self.item)
    }
}

impl fmt::Debug for ItemRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl FromStr for ItemRef {
    type Err = IdError;
    fn from_str(s: &str) -> Result<Self, IdError> {
        let Some((fw, item)) = s.rsplit_once('/') else {
            return Err(IdError::MalformedReference {
                given: s.to_owned(),
                reason: "expected FRAMEWORK/ITEM, for example iso27001:2022/A.8.13".to_owned(),
            });
        };
        Ok(Self {
            framework: FrameworkId::new(fw)?,
            item: ItemId::new(item)?,
        })
    }
}

impl TryFrom<String> for ItemRef {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        s.parse()
    }
}

impl From<ItemRef> for String {
    fn from(r: ItemRef) -> String {
        r.to_string()
    }
}
