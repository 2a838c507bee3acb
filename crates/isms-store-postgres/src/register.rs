//! Register ids: which register of a shared database a session works in.

use std::fmt;
use std::str::FromStr;

/// The id of one register in a shared database (one per organisation):
/// 1 to 40 characters, lowercase ASCII letters, digits, `_` and `-`,
/// starting with a letter or digit. The shape lets the id name a
/// notification channel and appear in a URL without quoting.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegisterId(String);

/// A text that is not a register id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{value:?} is not a register id: use 1 to 40 lowercase letters, digits, `_` or `-`, starting with a letter or digit"
)]
pub struct InvalidRegisterId {
    /// The text given.
    pub value: String,
}

impl RegisterId {
    /// Validates a register id.
    ///
    /// ```
    /// use isms_store_postgres::RegisterId;
    /// assert_eq!(RegisterId::new("acme-gmbh")?.as_str(), "acme-gmbh");
    /// assert!(RegisterId::new("Acme GmbH").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`InvalidRegisterId`] naming the text.
    pub fn new(id: impl Into<String>) -> Result<Self, InvalidRegisterId> {
        let id = id.into();
        let ok_char =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
        let ok = (1..=40).contains(&id.len())
            && id.chars().all(ok_char)
            && id
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if ok {
            Ok(Self(id))
        } else {
            Err(InvalidRegisterId { value: id })
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `LISTEN` channel on which appends to this register are
    /// announced: `isms_events.<register>` (quote it as an identifier).
    pub fn channel(&self) -> String {
        format!("isms_events.{}", self.0)
    }
}

impl fmt::Display for RegisterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for RegisterId {
    type Err = InvalidRegisterId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}
