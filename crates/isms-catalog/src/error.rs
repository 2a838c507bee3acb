//! Error types, one per concern.

use thiserror::Error;

/// Joins suggestions as "A, B or C" for messages.
pub(crate) fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn did_you_mean(items: &[String]) -> String {
    if items.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", or_list(items))
    }
}

/// A framework key, item identifier or reference that is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdError {
    /// The framework key breaks the key syntax.
    #[error(
        "invalid framework key {given:?}: use lower-case letters, digits and ':' '-' '.' '_', for example iso27001:2022"
    )]
    InvalidFrameworkId {
        /// The key as given.
        given: String,
    },
    /// The item identifier breaks the identifier syntax.
    #[error(
        "invalid item identifier {given:?}: use 1 to 64 characters without spaces or '/', for example A.8.13"
    )]
    InvalidItemId {
        /// The identifier as given.
        given: String,
    },
    /// The reference is not of the form `FRAMEWORK/ITEM`.
    #[error("malformed reference {given:?}: {reason}")]
    MalformedReference {
        /// The reference as given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A value outside its allowed range or vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ValueError {
    /// A mapping strength outside 0 to 10.
    #[error(
        "mapping strength {value} is outside 0-10; use a whole number from 0 (weakest) to 10 (strongest)"
    )]
    StrengthOutOfRange {
        /// The strength as given.
        value: i64,
    },
    /// A word that is not in the closed vocabulary of its kind.
    #[error("unknown {kind} {given:?}; expected one of {}", expected.join(", "))]
    UnknownLabel {
        /// What kind of value was expected (for example "relationship").
        kind: &'static str,
        /// The word as given.
        given: String,
        /// The accepted words.
        expected: Vec<String>,
    },
    /// A reporting period that is not an ISO 8601 duration of hours, days or months.
    #[error("invalid period {given:?}: use an ISO 8601 duration such as PT24H, P3D or P1M")]
    InvalidPeriod {
        /// The period as given.
        given: String,
    },
}

/// A reference that the catalogue cannot resolve.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// No framework has this key or alias.
    #[error("unknown framework {given:?}; known frameworks: {}", known.join(", "))]
    UnknownFramework {
        /// The framework as given.
        given: String,
        /// The canonical keys the catalogue holds.
        known: Vec<String>,
    },
    /// The framework exists but has no such item.
    #[error("unknown item {given} in {framework}{}", did_you_mean(suggestions))]
    UnknownItem {
        /// The framework searched.
        framework: String,
        /// The item as given.
        given: String,
        /// Identifiers of near matches, best first (may be empty).
        suggestions: Vec<String>,
    },
    /// The reference cannot be split into framework and item.
    #[error(
        "malformed reference {given:?}: {reason}; write FRAMEWORK/ITEM, for example iso27001:2022/A.8.13 or nis2/21.2.c"
    )]
    MalformedReference {
        /// The reference as given.
        given: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// A framework or crosswalk that cannot join a catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CatalogError {
    /// A framework with this key (or a key that is already an alias) is in the catalogue.
    #[error(
        "framework {framework} is already in the catalogue{}; give your framework its own key (loaded data never replaces shipped data)",
        if *shipped { " as shipped data" } else { "" }
    )]
    DuplicateFramework {
        /// The key in conflict.
        framework: String,
        /// Whether the existing framework is shipped data.
        shipped: bool,
    },
    /// Two items of one framework share an identifier.
    #[error("item {item} appears twice in framework {framework}; identifiers must be unique")]
    DuplicateItem {
        /// The framework.
        framework: String,
        /// The repeated identifier.
        item: String,
    },
    /// An item names a parent that is not in its framework (or the parents form a loop).
    #[error(
        "item {item} in framework {framework} has parent {parent}, which is not an item of that framework or forms a loop"
    )]
    UnknownParent {
        /// The framework.
        framework: String,
        /// The child item.
        item: String,
        /// The parent as given.
        parent: String,
    },
    /// A crosswalk with this identifier is already in the catalogue.
    #[error("crosswalk {crosswalk} is already in the catalogue; give your mapping set its own id")]
    DuplicateCrosswalk {
        /// The identifier in conflict.
        crosswalk: String,
    },
    /// A mapping points to a framework or item that the catalogue does not hold.
    #[error("mapping {index} of crosswalk {crosswalk} points to a missing item: {source}")]
    DanglingMapping {
        /// The crosswalk.
        crosswalk: String,
        /// Position of the mapping in the crosswalk (0-based).
        index: usize,
        /// Why the endpoint does not resolve.
        source: ResolveError,
    },
    /// An annotation names a framework or item that the catalogue does not hold.
    #[error("the annotation on {subject} names an item that is not in the catalogue: {source}")]
    DanglingAnnotation {
        /// The annotated item as given.
        subject: String,
        /// Position of the item in the annotation's list (0-based), or `None` for the
        /// subject itself.
        index: Option<u32>,
        /// Why it does not resolve (the error names the reference).
        source: ResolveError,
    },
    /// The same pair (in either direction) appears twice in one crosswalk.
    #[error(
        "crosswalk {crosswalk} maps {source_ref} and {target_ref} twice (mappings {first} and {second}); keep one row per pair, reverse edges are derived"
    )]
    DuplicatePair {
        /// The crosswalk.
        crosswalk: String,
        /// One end of the pair.
        source_ref: String,
        /// The other end.
        target_ref: String,
        /// Position of the first occurrence.
        first: usize,
        /// Position of the repeat.
        second: usize,
    },
    /// The data compiled into the crate is damaged (a bug in this crate).
    #[error("shipped data file {file}, line {line}: {message}")]
    ShippedData {
        /// The data file.
        file: &'static str,
        /// The line in it.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// A user file that cannot be loaded. Every variant names the file; row-level
/// problems also name the line (1-based, counting the header) and the field.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Io {
        /// The file.
        file: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The CSV is not well formed (quoting, field counts, encoding).
    #[error("{file}, line {line}: malformed CSV: {message}")]
    Csv {
        /// The file.
        file: String,
        /// The line.
        line: u64,
        /// What the CSV reader reported.
        message: String,
    },
    /// A required column is missing from the CSV header.
    #[error("{file}, line 1: missing column {column:?}; the header must name {}", required.join(","))]
    MissingColumn {
        /// The file.
        file: String,
        /// The missing column.
        column: String,
        /// The required columns.
        required: Vec<String>,
    },
    /// The JSON does not fit the documented shape.
    #[error("{file}, line {line}, column {column}: {message}")]
    Json {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// The column.
        column: usize,
        /// What the JSON reader reported (it names the field).
        message: String,
    },
    /// A field holds a value that is not allowed.
    #[error("{file}, {}field {field} = {value:?}: {reason}", line.map(|l| format!("line {l}, ")).unwrap_or_default())]
    InvalidField {
        /// The file.
        file: String,
        /// The line, when known (CSV rows; JSON values are named by path in `field`).
        line: Option<u64>,
        /// The field (CSV column name or JSON path such as `mappings[3].target`).
        field: String,
        /// The value as given.
        value: String,
        /// Why it is refused and what to write instead.
        reason: String,
    },
}
