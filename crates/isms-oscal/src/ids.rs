//! Deterministic OSCAL identifiers.
//!
//! OSCAL wants UUID version 4 or 5 everywhere; the register's identifiers are
//! UUID v7. Every OSCAL uuid this crate writes is a UUID v5 (name-based,
//! SHA-1) in the namespace [`uuid_namespace`], named by a path that spells
//! out what the object is, for example `nonconformity/<id>/risk`. The same
//! register therefore always gives the same uuids, and a later export of the
//! same nonconformity gives its poam-item the same uuid ("per-subject"
//! identity, as OSCAL recommends).

use uuid::Uuid;

/// The namespace URI of this project's OSCAL extensions: every `prop` whose
/// meaning OSCAL does not define carries `"ns": NS`.
///
/// A URN rather than an `https` URL: it is stable and names this project
/// without pretending to be a resolvable web page.
pub const NS: &str = "urn:isms-improvement:oscal:1";

/// The UUID v5 namespace every derived uuid is named in: `UUID v5(URL
/// namespace, NS)`.
pub fn uuid_namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_URL, NS.as_bytes())
}

/// The uuid of the OSCAL object named `name` (see the module docs for the
/// names used).
pub fn derive_uuid(name: &str) -> Uuid {
    Uuid::new_v5(&uuid_namespace(), name.as_bytes())
}

/// Derives uuids with the namespace computed once (the export derives
/// several per nonconformity).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deriver(Uuid);

impl Deriver {
    pub(crate) fn new() -> Self {
        Self(uuid_namespace())
    }

    pub(crate) fn uuid(&self, name: &str) -> String {
        Uuid::new_v5(&self.0, name.as_bytes()).to_string()
    }
}

/// Turns any identifier into an OSCAL token (`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`):
/// characters outside ASCII letters, digits, `.`, `-` and `_` become `-`,
/// and a leading `_` is added when the first character is not an ASCII
/// letter. ASCII only, so that the result is a token whatever Unicode
/// version the reader's regex engine knows.
/// `iso27001:2022/7.5.3` becomes `iso27001-2022-7.5.3`; `7.5.3` becomes `_7.5.3`.
pub fn tokenise(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 1);
    if !s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) {
        out.push('_');
    }
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
            out.push(c);
        } else {
            out.push('-');
        }
    }
    out
}
