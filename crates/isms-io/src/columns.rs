//! The columns a spreadsheet of the register has, their synonyms, and how a
//! file's header row is matched to them (the column-mapping step).

use std::collections::HashMap;
use std::fmt;

use crate::error::FileError;

/// What a column holds, which decides how its cells are written and read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnKind {
    /// Free text or a word from a fixed vocabulary.
    Text,
    /// A calendar date (`2026-03-31`).
    Date,
    /// An instant (`2026-03-02T09:00:00Z`); a date alone is accepted on import.
    DateTime,
    /// A whole number.
    Number,
}

macro_rules! columns {
    ($( $(#[$doc:meta])* $variant:ident = $key:literal, $header:literal, $kind:ident, $action:literal, [$($syn:literal),* $(,)?]; )*) => {
        /// A column of the register's spreadsheet form. Nonconformity columns
        /// come first; action columns (`is_action`) only appear on the actions
        /// sheet.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Column {
            $( $(#[$doc])* $variant, )*
        }

        impl Column {
            /// Every column, in export order.
            pub const ALL: &'static [Column] = &[$(Column::$variant),*];

            /// The name used in mapping files (`due_date`).
            pub const fn key(self) -> &'static str {
                match self { $(Column::$variant => $key,)* }
            }

            /// The header the export writes (`Due date`).
            pub const fn header(self) -> &'static str {
                match self { $(Column::$variant => $header,)* }
            }

            /// What the column holds.
            pub const fn kind(self) -> ColumnKind {
                match self { $(Column::$variant => ColumnKind::$kind,)* }
            }

            /// Whether it describes a corrective action rather than the nonconformity.
            pub const fn is_action(self) -> bool {
                match self { $(Column::$variant => $action,)* }
            }

            /// Other headers recognised as this column (matched after
            /// normalisation: case, spaces and punctuation are ignored).
            pub const fn synonyms(self) -> &'static [&'static str] {
                match self { $(Column::$variant => &[$($syn),*],)* }
            }
        }
    };
}

columns! {
    /// The nonconformity's reference (`NC-0007`, or the file's own identifier).
    Reference = "reference", "Reference", Text, false,
        ["ref", "nc", "nc ref", "nc reference", "nc number", "nc no", "nc id", "id", "no", "number",
         "issue id", "issue no", "issue number", "finding id", "finding no", "finding number", "car no", "car number"];
    /// Short title.
    Title = "title", "Title", Text, false,
        ["issue", "finding", "nonconformity", "non-conformity", "nonconformance", "non-conformance",
         "summary", "subject", "problem", "issue title", "finding title", "nonconformity title"];
    /// What was found (defaults to the title when the column is absent).
    Description = "description", "Description", Text, false,
        ["details", "detail", "issue description", "finding description", "observation",
         "nonconformity description", "description of nonconformity"];
    /// Where it came from.
    Source = "source", "Source", Text, false,
        ["origin", "source type", "raised through", "source of finding", "detected through"];
    /// Major or minor.
    Severity = "severity", "Severity", Text, false,
        ["grade", "classification", "nc type", "finding type", "type", "rating", "nc grade", "nc category"];
    /// Requirement references, separated by `;` or new lines.
    Requirements = "requirements", "Requirements", Text, false,
        ["requirement", "clause", "clauses", "control", "controls", "iso clause", "annex a control",
         "standard clause", "requirement reference"];
    /// Who reported it.
    ReportedBy = "reported_by", "Reported by", Text, false,
        ["reporter", "raised by", "identified by", "auditor", "logged by"];
    /// Who owns its handling.
    Owner = "owner", "Owner", Text, false,
        ["responsible", "responsible person", "nc owner", "process owner", "accountable", "assigned to", "assignee"];
    /// When it was detected.
    Detected = "detected", "Detected", DateTime, false,
        ["detected on", "date detected", "detection date", "date found", "found on", "date identified",
         "identified on", "date of finding", "finding date", "date"];
    /// When it was reported (defaults to the detection time).
    Reported = "reported", "Reported", DateTime, false,
        ["reported on", "date reported", "report date", "date raised", "raised on", "opened", "date opened",
         "open date", "created", "date created", "date logged", "logged on"];
    /// A deadline imposed from outside.
    ExternalDeadline = "external_deadline", "External deadline", Date, false,
        ["authority deadline", "regulator deadline", "imposed deadline"];
    /// The lifecycle state (checked against what the other columns produce).
    NcStatus = "nc_status", "NC status", Text, false,
        ["nc state", "state", "overall status", "issue status", "finding status", "nonconformity status"];
    /// The first correction and containment recorded (10.2 a).
    Containment = "containment", "Containment", Text, false,
        ["correction", "containment action", "immediate action", "immediate correction", "correction taken", "interim action"];
    /// When it was recorded.
    Contained = "contained", "Contained", DateTime, false,
        ["contained on", "correction date", "date contained", "containment date"];
    /// Method of root-cause analysis.
    AnalysisMethod = "analysis_method", "Analysis method", Text, false,
        ["rca method", "root cause method", "method of analysis"];
    /// Root-cause categories, one per cause, separated by `;`.
    RootCauseCategory = "root_cause_category", "Root cause category", Text, false,
        ["cause category", "rca category", "category of cause", "root cause type"];
    /// Root-cause statements, one per line.
    RootCause = "root_cause", "Root cause", Text, false,
        ["root cause statement", "cause", "root causes", "rca", "root cause analysis", "rca result"];
    /// What the check for similar nonconformities found (10.2 b): the
    /// similar cases, or that none were found.
    SimilarCheck = "similar_check", "Similar nonconformities", Text, false,
        ["similar", "similar cases", "similar issues", "similar nonconformities found", "similar check"];
    /// When the analysis was recorded.
    Analysed = "analysed", "Analysed", DateTime, false,
        ["analysed on", "analyzed", "analyzed on", "rca date", "analysis date", "date analysed", "date analyzed"];
    /// Why no corrective action is needed, when that was decided.
    NoActionJustification = "no_action_justification", "No-action justification", Text, false,
        ["justification", "why no action"];
    /// Who approved the no-action decision.
    NoActionApprover = "no_action_approver", "No-action approver", Text, false,
        ["no action approved by"];
    /// How effectiveness is checked.
    VerificationMethod = "verification_method", "Verification method", Text, false,
        ["effectiveness check method", "how verified", "effectiveness method"];
    /// What counts as effective.
    VerificationCriteria = "verification_criteria", "Verification criteria", Text, false,
        ["effectiveness criteria", "success criteria", "acceptance criteria"];
    /// The follow-up schedule (`every 1 month from 2026-01-31, 6 times`).
    FollowUp = "follow_up", "Follow-up", Text, false,
        ["follow up schedule", "verification schedule", "effectiveness review", "schedule", "follow up plan"];
    /// Who verifies.
    Verifier = "verifier", "Verifier", Text, false,
        ["verified by", "checked by", "effectiveness verifier", "reviewer"];
    /// When the verification was planned.
    VerificationPlanned = "verification_planned", "Verification planned", DateTime, false,
        ["verification planned on"];
    /// How many scheduled checks have a result.
    ChecksRecorded = "checks_recorded", "Checks recorded", Number, false,
        ["checks done", "checks"];
    /// `effective`, `ineffective` or `pending`.
    VerificationResult = "verification_result", "Verification result", Text, false,
        ["effectiveness", "effective", "effectiveness result", "verification outcome", "verification"];
    /// When the last check was recorded.
    VerificationDate = "verification_date", "Verification date", DateTime, false,
        ["verified on", "date verified", "effectiveness check date", "verification done on"];
    /// Evidence of the last recorded check, separated by `;`: document
    /// references as given, files as `NAME (N bytes, sha256:HEX, attached
    /// TIME)`. On import it backs every check the row records.
    VerificationEvidence = "verification_evidence", "Verification evidence", Text, false,
        ["evidence of verification", "verification proof", "effectiveness evidence"];
    /// When it was closed.
    Closed = "closed", "Closed", DateTime, false,
        ["closed on", "closure date", "date closed", "close date", "closed date"];
    /// When it was rejected.
    Rejected = "rejected", "Rejected", DateTime, false,
        ["rejected on", "rejection date", "date rejected"];
    /// `not a nonconformity` or `duplicate of NC-0003`.
    RejectionReason = "rejection_reason", "Rejection reason", Text, false,
        ["reason for rejection"];
    /// The rejection in words.
    RejectionExplanation = "rejection_explanation", "Rejection explanation", Text, false,
        ["rejection notes", "rejection comment"];
    /// The earlier nonconformity this one repeats.
    RecurrenceOf = "recurrence_of", "Recurrence of", Text, false,
        ["repeat of", "recurrence", "repeat finding of"];
    /// The action's reference within its nonconformity (`A-2`).
    ActionRef = "action_ref", "Action ref", Text, true,
        ["action reference", "action no", "action number", "action id", "action nr"];
    /// Which root-cause analysis attempt the action answers.
    Attempt = "attempt", "Attempt", Number, true,
        ["analysis attempt"];
    /// What will be done.
    Action = "action", "Action", Text, true,
        ["corrective action", "action description", "actions", "corrective actions", "measure",
         "planned action", "corrective action description", "remediation"];
    /// Who is responsible for the action (defaults to the owner).
    ActionOwner = "action_owner", "Action owner", Text, true,
        ["action responsible", "actionee", "action by", "action assignee", "responsible for action"];
    /// When the action was planned.
    ActionPlanned = "action_planned", "Action planned", DateTime, true,
        ["planned", "planned on", "action date", "action created"];
    /// The due date first agreed.
    OriginalDue = "original_due_date", "Original due date", Date, true,
        ["original due", "original deadline", "original target date", "initial due date"];
    /// The due date in force.
    Due = "due_date", "Due date", Date, true,
        ["target date", "deadline", "due", "current due date", "due by", "target", "target completion date", "revised due date"];
    /// Why the due date changed.
    RescheduleReason = "reschedule_reason", "Reschedule reason", Text, true,
        ["reason for extension", "extension reason", "delay reason"];
    /// Planned, in progress, done or cancelled.
    ActionStatus = "status", "Status", Text, true,
        ["action status", "progress", "action state"];
    /// When work started.
    Started = "started", "Started", DateTime, true,
        ["started on", "start date", "date started"];
    /// When the action was completed.
    Completed = "completed", "Completed", DateTime, true,
        ["completion date", "completed on", "date completed", "done date", "implemented on", "implementation date"];
    /// Evidence of implementation, separated by `;`: document references
    /// as given, files as `NAME (N bytes, sha256:HEX, attached TIME)`.
    Evidence = "evidence", "Evidence", Text, true,
        ["evidence of implementation", "proof", "evidence reference"];
    /// When the action was cancelled.
    Cancelled = "cancelled", "Cancelled", DateTime, true,
        ["cancelled on", "canceled", "canceled on", "cancellation date"];
    /// Why it was cancelled.
    CancelReason = "cancellation_reason", "Cancellation reason", Text, true,
        ["cancel reason", "reason for cancellation"];
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.header())
    }
}

/// The nonconformity columns the actions sheet repeats in front of each
/// action: enough to filter and sort actions by their nonconformity; the
/// rest is on the nonconformities sheet, joined by the reference.
pub const REPEATED_ON_ACTIONS: &[Column] = &[
    Column::Reference,
    Column::Title,
    Column::Source,
    Column::Severity,
    Column::Requirements,
    Column::Owner,
    Column::Detected,
    Column::NcStatus,
    Column::RootCauseCategory,
    Column::VerificationResult,
    Column::Closed,
];

impl Column {
    /// The nonconformity columns (the nonconformities sheet).
    pub fn nonconformity_columns() -> impl Iterator<Item = Column> {
        Column::ALL.iter().copied().filter(|c| !c.is_action())
    }

    /// The column with this mapping-file key or header, if any.
    pub fn from_name(name: &str) -> Option<Column> {
        let n = normalise(name);
        Column::ALL
            .iter()
            .copied()
            .find(|c| normalise(c.key()) == n || normalise(c.header()) == n)
    }
}

/// A header with case, whitespace and punctuation removed: `Due-Date ` and
/// `due_date` both become `duedate`.
pub fn normalise(header: &str) -> String {
    header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// How a header was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchedBy {
    /// It is the column's own header or key.
    Name,
    /// It is one of the column's synonyms.
    Synonym,
    /// The mapping file said so.
    MappingFile,
    /// Not in the file: a fixed value (`--set`, a `:=` line of a mapping
    /// file, or the documented default) fills the column on every row.
    Fixed,
    /// No column: the header is ignored.
    Ignored,
    /// A preset's `[columns]` table said so.
    Preset,
    /// Read for its column on rows whose own cell is empty (a preset's
    /// `[fallback]`, such as `eta` for `due_date`).
    Fallback,
}

/// One header of one file and the column it was mapped to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MappedHeader {
    /// The file (and sheet) it was found in.
    pub source: String,
    /// The header as written in the file.
    pub header: String,
    /// Its position, from 1 (spreadsheet column letters are in the message).
    pub position: usize,
    /// The column it feeds, if any.
    pub column: Option<Column>,
    /// How it was matched.
    pub matched_by: MatchedBy,
}

/// The mapping that was used: every header of every input, and what it
/// became. Its `Display` is the table a command-line tool prints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMapping {
    /// Every header, in file order.
    pub headers: Vec<MappedHeader>,
}

impl fmt::Display for ColumnMapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for h in &self.headers {
            let how = match h.matched_by {
                MatchedBy::Name => "name",
                MatchedBy::Synonym => "synonym",
                MatchedBy::MappingFile => "mapping file",
                MatchedBy::Fixed => "fixed value",
                MatchedBy::Ignored => "ignored",
                MatchedBy::Fallback => "fallback when empty",
                MatchedBy::Preset => "preset",
            };
            if h.matched_by == MatchedBy::Fixed
                && let Some(c) = h.column
            {
                writeln!(f, "{} {} -> {} (fixed value)", h.source, h.header, c.key())?;
                continue;
            }
            match h.column {
                Some(c) => writeln!(
                    f,
                    "{} column {} {:?} -> {} ({how})",
                    h.source,
                    column_letters(h.position),
                    h.header,
                    c.key()
                )?,
                None => writeln!(
                    f,
                    "{} column {} {:?} -> (ignored)",
                    h.source,
                    column_letters(h.position),
                    h.header
                )?,
            }
        }
        Ok(())
    }
}

/// Spreadsheet letters of a 1-based column number: 1 is `A`, 27 is `AA`.
pub fn column_letters(mut n: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        out.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// An explicit mapping from a file's headers to columns, for headers the
/// synonyms do not cover. The text format, one entry a line:
///
/// ```text
/// # comments and blank lines are ignored
/// Our ref      = reference
/// Problem      = title
/// Priority     = ignore
/// ```
///
/// The left side is the header as written (matched case- and
/// punctuation-insensitively), the right side a column key from
/// `docs/spreadsheets.md` or `ignore`.
///
/// A line `column_key := value` gives a column the file lacks a fixed
/// value (`source := internal audit`): every row of the file reads that
/// value, as if the cell held it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MappingFile {
    entries: HashMap<String, Option<Column>>,
    fixed: Vec<FixedValue>,
    /// Headers read for a column when that column's own cell is empty
    /// (a preset's `[fallback]`: `due_date = "eta"`), normalised.
    fallbacks: Vec<(Column, String)>,
    /// Headers (normalised) whose entry came from a preset, for the
    /// mapping the import returns.
    from_preset: std::collections::HashSet<String>,
    /// Only the headers listed here are read (a preset's companion file,
    /// whose other headers must not be taken for synonyms).
    only_listed: bool,
    /// The sheet read from a workbook, instead of the default choice.
    pub(crate) sheet: Option<String>,
    /// The exporting tool writes `'` before text that starts with a
    /// formula character, in workbooks too: take it off.
    pub(crate) strip_formula_quote: bool,
}

/// Where a fixed value comes from, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixedOrigin {
    /// A command-line argument (`--set source=...`).
    Argument,
    /// A `:=` line of a mapping file.
    MappingFile {
        /// The mapping file's name.
        file: String,
        /// The line, from 1.
        line: usize,
    },
}

/// A value for a column the file lacks, read on every row as if its cell
/// held it: the same parsing and rules as a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixedValue {
    /// The column it fills.
    pub column: Column,
    /// The value, as a cell would hold it.
    pub value: String,
    /// Where it was given.
    pub origin: FixedOrigin,
}

impl fmt::Display for FixedValue {
    /// Where it was given: `--set source` or `mapping.txt line 3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            FixedOrigin::Argument => write!(f, "--set {}", self.column.key()),
            FixedOrigin::MappingFile { file, line } => write!(f, "{file} line {line}"),
        }
    }
}

impl FixedValue {
    /// Reads a command-line argument `column=value` (`source=internal
    /// audit`): the column by key or header, the value trimmed.
    ///
    /// # Errors
    /// What is wrong, in words, when there is no `=`, the column is
    /// unknown or the value empty.
    pub fn from_argument(arg: &str) -> Result<Self, String> {
        let Some((column, value)) = arg.split_once('=') else {
            return Err(format!(
                "--set {arg:?} has no '='; write --set column=value (e.g. --set source=\"internal audit\")"
            ));
        };
        let column = Column::from_name(column.trim()).ok_or_else(|| {
            format!(
                "--set {:?}: unknown column; use one of {}",
                column.trim(),
                column_keys()
            )
        })?;
        let value = value.trim();
        if value.is_empty() {
            return Err(format!(
                "--set {}: the value is empty; give the value every row should have",
                column.key()
            ));
        }
        Ok(FixedValue {
            column,
            value: value.to_owned(),
            origin: FixedOrigin::Argument,
        })
    }
}

fn column_keys() -> String {
    Column::ALL
        .iter()
        .map(|c| c.key())
        .collect::<Vec<_>>()
        .join(", ")
}

impl MappingFile {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one entry (`None`: ignore the header).
    #[must_use]
    pub fn with(mut self, header: &str, column: Option<Column>) -> Self {
        self.entries.insert(normalise(header), column);
        self
    }

    /// The fixed values (`column := value` lines), in file order.
    pub fn fixed(&self) -> &[FixedValue] {
        &self.fixed
    }

    /// Reads the header `header` for `column` on rows whose own cell of
    /// `column` is empty (or when the file has no such column).
    #[must_use]
    pub fn with_fallback(mut self, column: Column, header: &str) -> Self {
        self.fallbacks.push((column, normalise(header)));
        self
    }

    /// Whether a header is mapped to `column`.
    pub fn maps(&self, column: Column) -> bool {
        self.entries.values().any(|c| *c == Some(column))
    }

    /// The column a header is the fallback of, if any.
    pub(crate) fn fallback_of(&self, header: &str) -> Option<Column> {
        let n = normalise(header);
        self.fallbacks
            .iter()
            .find(|(_, h)| *h == n)
            .map(|(c, _)| *c)
    }

    /// Reads only the headers this mapping lists; every other header is
    /// ignored, whatever its name.
    #[must_use]
    pub fn only_listed(mut self) -> Self {
        self.only_listed = true;
        self
    }

    /// Reads the sheet `name` from a workbook (instead of the `Actions`
    /// and `Nonconformities` sheets, or the first sheet).
    #[must_use]
    pub fn with_sheet(mut self, name: &str) -> Self {
        self.sheet = Some(name.to_owned());
        self
    }

    /// Takes off the `'` an exporting tool writes before text that starts
    /// with a formula character (`=`, `+`, `-`, `@`), in workbook cells too
    /// (CSV cells always lose it).
    #[must_use]
    pub fn stripping_formula_quote(mut self) -> Self {
        self.strip_formula_quote = true;
        self
    }

    /// This mapping with `over`'s header entries and fixed values added,
    /// `over`'s entry winning for a header both map (a user's mapping file
    /// over a preset's).
    #[must_use]
    pub fn merged(mut self, over: &MappingFile) -> Self {
        for (h, c) in &over.entries {
            self.entries.insert(h.clone(), *c);
            if !over.from_preset.contains(h) {
                self.from_preset.remove(h);
            }
        }
        self.from_preset.extend(over.from_preset.iter().cloned());
        self.fixed.extend(over.fixed.iter().cloned());
        self.fallbacks.extend(over.fallbacks.iter().cloned());
        self.sheet = over.sheet.clone().or(self.sheet);
        self.strip_formula_quote |= over.strip_formula_quote;
        self
    }

    /// Marks every header entry as a preset's (`MatchedBy::Preset`).
    pub(crate) fn mark_preset(&mut self) {
        self.from_preset = self.entries.keys().cloned().collect();
    }

    /// Adds a fixed value (a preset's `[fixed]` table).
    pub(crate) fn push_fixed(&mut self, f: FixedValue) {
        self.fixed.push(f);
    }

    /// Parses the text format; `name` is used in error messages.
    ///
    /// # Errors
    /// [`FileError::BadMappingFile`] naming the line of a malformed entry,
    /// or line 0 for text longer than
    /// [`MAX_MAPPING_FILE_BYTES`](crate::MAX_MAPPING_FILE_BYTES).
    pub fn parse(name: &str, text: &str) -> Result<Self, FileError> {
        if text.len() as u64 > crate::limits::MAX_MAPPING_FILE_BYTES {
            return Err(FileError::BadMappingFile {
                file: name.to_owned(),
                line: 0,
                problem: format!(
                    "the file has {} bytes; a mapping file may have at most {} (one line per header)",
                    text.len(),
                    crate::limits::MAX_MAPPING_FILE_BYTES
                ),
            });
        }
        let mut entries = HashMap::new();
        let mut fixed: Vec<FixedValue> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |problem: String| FileError::BadMappingFile {
                file: name.to_owned(),
                line: i + 1,
                problem,
            };
            if let Some((column, value)) = line.split_once(":=") {
                let column = column.trim();
                let column = Column::from_name(column).ok_or_else(|| {
                    bad(format!(
                        "unknown column {column:?} before ':='; use one of {}",
                        column_keys()
                    ))
                })?;
                let value = value.trim();
                if value.is_empty() {
                    return Err(bad(format!(
                        "the value after ':=' is empty; write `{} := the value every row should have`",
                        column.key()
                    )));
                }
                if let Some(first) = fixed.iter().find(|f| f.column == column) {
                    return Err(bad(format!(
                        "the column {} already has a fixed value ({first})",
                        column.key()
                    )));
                }
                fixed.push(FixedValue {
                    column,
                    value: value.to_owned(),
                    origin: FixedOrigin::MappingFile {
                        file: name.to_owned(),
                        line: i + 1,
                    },
                });
                continue;
            }
            let Some((header, column)) = line.rsplit_once('=') else {
                return Err(bad(format!(
                    "{line:?} has no '='; write `Header in the file = column_key` or `column_key := fixed value`"
                )));
            };
            let header = header.trim();
            if normalise(header).is_empty() {
                return Err(bad("the header before '=' is empty".into()));
            }
            let column = column.trim();
            let target = if column.eq_ignore_ascii_case("ignore") {
                None
            } else {
                Some(Column::from_name(column).ok_or_else(|| {
                    bad(format!(
                        "unknown column {column:?}; use one of {} or `ignore`",
                        column_keys()
                    ))
                })?)
            };
            if entries.insert(normalise(header), target).is_some() {
                return Err(bad(format!("the header {header:?} is mapped twice")));
            }
        }
        Ok(Self {
            entries,
            fixed,
            ..Self::default()
        })
    }

    fn lookup(&self, header: &str) -> Option<Option<Column>> {
        self.entries.get(&normalise(header)).copied()
    }
}

/// Matches one header: the mapping file first, then names, then synonyms.
pub(crate) fn match_header(header: &str, mapping: &MappingFile) -> (Option<Column>, MatchedBy) {
    if let Some(target) = mapping.lookup(header) {
        return (
            target,
            if target.is_none() {
                MatchedBy::Ignored
            } else if mapping.from_preset.contains(&normalise(header)) {
                MatchedBy::Preset
            } else {
                MatchedBy::MappingFile
            },
        );
    }
    let n = normalise(header);
    if n.is_empty() || mapping.only_listed {
        return (None, MatchedBy::Ignored);
    }
    for &c in Column::ALL {
        if normalise(c.key()) == n || normalise(c.header()) == n {
            return (Some(c), MatchedBy::Name);
        }
    }
    for &c in Column::ALL {
        if c.synonyms().iter().any(|s| normalise(s) == n) {
            return (Some(c), MatchedBy::Synonym);
        }
    }
    (None, MatchedBy::Ignored)
}
