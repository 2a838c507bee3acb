//! Typed identifiers: UUID v7 newtypes for items and events, human references
//! (`NC-0007`, `IMP-0003`, `A-2`), and validated actor and role names.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::IdError;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            JsonSchema,
        )]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID. Any version is accepted; UUID v7 is recommended
            /// because it sorts by creation time.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The wrapped UUID.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }

            /// A UUID v7 built from a Unix time in milliseconds and 10 bytes of
            /// caller-supplied entropy. Deterministic: the core never draws
            /// random numbers itself.
            pub fn v7_from_parts(unix_millis: u64, entropy: [u8; 10]) -> Self {
                Self(uuid::Builder::from_unix_timestamp_millis(unix_millis, &entropy).into_uuid())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError::NotAUuid {
                    kind: stringify!($name),
                    value: s.to_owned(),
                })
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }
    };
}

uuid_id!(
    /// Identifies one nonconformity for ever (its event stream id).
    NonconformityId
);
uuid_id!(
    /// Identifies one corrective action, unique across the register.
    ActionId
);
uuid_id!(
    /// Identifies one improvement opportunity (10.1) for ever.
    ImprovementId
);
uuid_id!(
    /// Identifies one event.
    EventId
);

/// Which register a human reference belongs to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// `NC-0001`: a nonconformity.
    Nonconformity,
    /// `IMP-0001`: an improvement opportunity.
    Improvement,
    /// `A-1`: a corrective action, numbered within its nonconformity.
    Action,
}

impl RefKind {
    /// The prefix before the dash.
    pub const fn prefix(self) -> &'static str {
        match self {
            RefKind::Nonconformity => "NC",
            RefKind::Improvement => "IMP",
            RefKind::Action => "A",
        }
    }
}

macro_rules! human_ref {
    ($(#[$doc:meta])* $name:ident, $kind:expr, $prefix:literal, $width:expr, $example:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The reference with this number (numbers start at 1).
            pub fn new(number: u32) -> Result<Self, IdError> {
                if number == 0 {
                    return Err(IdError::ZeroReference { kind: $kind });
                }
                Ok(Self(number))
            }

            /// The number after the dash.
            pub const fn number(&self) -> u32 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}-{:0width$}", $prefix, self.0, width = $width)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            /// Accepts the canonical form and forgiving spellings: the
            /// prefix in any case, the dash optional, leading zeros optional.
            fn from_str(s: &str) -> Result<Self, IdError> {
                let bad = || IdError::BadReference { kind: $kind, value: s.to_owned() };
                let t = s.trim();
                let prefix: &str = $prefix;
                if t.len() <= prefix.len() || !t.is_char_boundary(prefix.len()) {
                    return Err(bad());
                }
                let (head, tail) = t.split_at(prefix.len());
                if !head.eq_ignore_ascii_case(prefix) {
                    return Err(bad());
                }
                let digits = tail.strip_prefix('-').unwrap_or(tail);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let n: u32 = digits.parse().map_err(|_| bad())?;
                Self::new(n)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "pattern": concat!("^", $prefix, "-[0-9]*[1-9][0-9]*$"),
                    "examples": [$example],
                    "description": concat!("Human reference such as `", $example, "`: the prefix, a dash and a number from 1.")
                })
            }
        }
    };
}

human_ref!(
    /// The human reference of a nonconformity, `NC-0007`: its number in the
    /// register, in order of reporting.
    NcRef, RefKind::Nonconformity, "NC", 4, "NC-0007"
);
human_ref!(
    /// The human reference of an improvement opportunity, `IMP-0003`.
    ImprovementRef, RefKind::Improvement, "IMP", 4, "IMP-0003"
);
human_ref!(
    /// The human reference of a corrective action within its
    /// nonconformity, `A-2`: the order in which actions were planned.
    ActionRef, RefKind::Action, "A", 1, "A-2"
);

/// Checks a name used for actors and roles: 1 to 128 characters, no
/// whitespace at either end, no control characters.
fn check_name(kind: &'static str, s: &str) -> Result<(), IdError> {
    let problem = if s.is_empty() {
        Some("is empty")
    } else if s.chars().count() > 128 {
        Some("is longer than 128 characters")
    } else if s.trim() != s {
        Some("has leading or trailing whitespace")
    } else if s.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(IdError::BadName {
            kind,
            value: s.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
        // Serialised by borrowing the text (not `into = "String"`, which clones it
        // for every event written).
        #[serde(try_from = "String")]
        pub struct $name(String);

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 128,
                    // Control characters (Unicode Cc) spelled as ranges rather than `\p{Cc}`,
                    // which ECMA-262 without the `u` flag and Python's `re` do not know.
                    "pattern": "^[^\\s\\x00-\\x1F\\x7F-\\x9F]([^\\x00-\\x1F\\x7F-\\x9F]*[^\\s\\x00-\\x1F\\x7F-\\x9F])?$",
                    "description": concat!("The ", $kind, " name: 1 to 128 characters, no control characters, no surrounding whitespace.")
                })
            }
        }

        impl $name {
            /// Validates and wraps a name.
            pub fn new(name: impl Into<String>) -> Result<Self, IdError> {
                let name = name.into();
                check_name($kind, &name)?;
                Ok(Self(name))
            }

            /// The name as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::new(s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

name_type!(
    /// Who acts: a user name, an e-mail address or a service account,
    /// as the embedding product identifies people. Compared exactly.
    ActorId,
    "actor"
);
name_type!(
    /// A role the embedding product grants an actor (for example
    /// `isms_manager`); the policy can require one for closure.
    Role,
    "role"
);

/// An acting party and the roles the caller vouches for. The core does no
/// authentication: the embedding product decides who is acting and with
/// which roles, and the core applies the workflow rules to that.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Who acts.
    pub id: ActorId,
    /// Roles granted to this actor by the caller.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub roles: std::collections::BTreeSet<Role>,
}

impl Actor {
    /// An actor with no roles.
    pub fn new(id: ActorId) -> Self {
        Self {
            id,
            roles: Default::default(),
        }
    }

    /// The same actor with one more role.
    #[must_use]
    pub fn with_role(mut self, role: Role) -> Self {
        self.roles.insert(role);
        self
    }

    /// Whether the actor holds `role`.
    pub fn has_role(&self, role: &Role) -> bool {
        self.roles.contains(role)
    }
}
