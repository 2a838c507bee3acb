//! Import: tables to rows, rows to nonconformities, nonconformities to
//! commands, commands through `isms_core::decide` on a copy of the
//! register; every problem collected; a plan (and the events to append in
//! one batch) only when there is none.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Utc};
use isms_core::replay::{self, ReplayError, Replayer};
use isms_core::{
    ActionDecision, ActionId, ActionStatus, Actor, ActorId, AnalysisMethod, Command, Event,
    EvidenceRef, IanaTimeZone, NcRef, NcState, Nonconformity, NonconformityId, Policy, Register,
    RejectionReason, ReportNonconformity, RequirementRef, RootCause, VerificationSchedule,
};
use isms_store::{
    AppendBatch, AppendError, Appended, EventStore, ExpectedVersion, Numbering, StreamAppend,
};

use crate::columns::{
    Column, ColumnKind, ColumnMapping, FixedValue, MappedHeader, MappingFile, MatchedBy,
    column_letters, match_header,
};
use crate::error::{FileError, ImportError, Location, Problem, ProblemKind, Problems};
use crate::parse::{
    DateOrder, Stamp, day_start, parse_date, parse_schedule, parse_stamp, split_list,
};
use crate::preset::{Vocabularies, WordRule};
use crate::read::{Budget, Encoding, Raw, Table, read_tables};
use crate::words::{ACTION_STATUS, CATEGORY, METHOD, NC_STATE, OUTCOME, Outcome, SEVERITY, SOURCE};

/// The extension field that keeps a file's own reference (`CAR-2024-017`)
/// on a nonconformity created from it, so that a later import of the same
/// file updates it instead of creating another.
pub const IMPORT_REFERENCE: &str = "import_reference";

/// Text recorded where the core needs words the spreadsheet did not have
/// (a verification method or criteria, a reschedule or cancellation reason).
pub const NOT_RECORDED: &str = "not recorded in the imported spreadsheet";

/// The source of a new nonconformity when no input has a Source column
/// and no fixed value gives one: `self identified`, the one source that
/// claims nothing the register cannot show (an audit, an incident, an
/// authority's order each bring duties and figures of their own).
pub const DEFAULT_SOURCE: isms_core::Source = isms_core::Source::SelfIdentified;

/// One input file.
#[derive(Clone, Copy, Debug)]
pub struct Input<'a> {
    /// Its name, used in every message.
    pub name: &'a str,
    /// Its contents.
    pub bytes: &'a [u8],
}

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Explicit header mappings for headers the synonyms do not cover
    /// (and fixed values), for every input without one of its own.
    pub mapping: MappingFile,
    /// Each input's own mapping file, by position in the inputs: input `i`
    /// uses `input_mappings[i]` when it is `Some`, [`Self::mapping`]
    /// otherwise.
    pub input_mappings: Vec<Option<MappingFile>>,
    /// Fixed values for every input (`--set`), beside the fixed values of
    /// each input's mapping file. A column may have one fixed value per
    /// input, and only when the input lacks that column.
    pub fixed: Vec<FixedValue>,
    /// The order of day and month in dates such as `03/04/2026`; without
    /// it such dates are refused as ambiguous (unless one part is above 12).
    pub date_order: Option<DateOrder>,
    /// The encoding of CSV files.
    pub encoding: Encoding,
    /// The policy the commands are decided under.
    pub policy: Policy,
    /// Who records the steps the spreadsheet names no actor for
    /// (containment, analysis, planning, closure...).
    pub actor: Actor,
    /// Entropy for the identifiers of new nonconformities, actions and
    /// events (the library has no random source: pass a random value).
    pub entropy: u64,
    /// Words added to the vocabulary columns (a preset's `[vocabulary]`),
    /// read before the register's own.
    pub vocabularies: Vocabularies,
    /// An action cell holds one action per line, each with an optional
    /// trailing `[status]` (a preset's `action_lines`).
    pub action_lines: bool,
    /// Import each nonconformity up to the furthest step its data
    /// supports, and report per row what was not recorded and which column
    /// would carry it ([`PlannedItem::not_recorded`]), instead of refusing
    /// the file for a missing root cause, containment, verifier and the
    /// like. Bad values (a date, an unknown word) still refuse the file.
    /// Every preset turns it on.
    pub migrate: bool,
    /// The positions of the inputs that are a preset's companion file
    /// ([`crate::Preset::companion`]): their rows describe the actions the
    /// other files' action cells name, matched by the action's text.
    pub companions: Vec<usize>,
}

impl ImportOptions {
    /// Defaults: no mapping file, no date order, UTF-8, the default policy,
    /// `actor` for unattributed steps, entropy 0.
    pub fn new(actor: Actor) -> Self {
        Self {
            mapping: MappingFile::new(),
            input_mappings: Vec::new(),
            fixed: Vec::new(),
            date_order: None,
            encoding: Encoding::Utf8,
            policy: Policy::default(),
            actor,
            entropy: 0,
            vocabularies: Vocabularies::new(),
            action_lines: false,
            migrate: false,
            companions: Vec::new(),
        }
    }
}

/// Which part of the import is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Reading a file (`done` files of `total`).
    Reading,
    /// Checking rows (`done` of `total` rows).
    Checking,
    /// Deciding commands (`done` of `total` nonconformities).
    Deciding,
}

/// A progress report, for a progress bar: the library never prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The stage.
    pub stage: Stage,
    /// Units done.
    pub done: usize,
    /// Units in the stage.
    pub total: usize,
}

/// What the import will do to one nonconformity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedItem {
    /// The reference in the file (or `row N` when there is none).
    pub file_reference: String,
    /// Its reference in the register after the import.
    pub reference: NcRef,
    /// Whether it is new (otherwise it is updated).
    pub created: bool,
    /// The commands, in order (`report`, `plan_action`, ...).
    pub commands: Vec<&'static str>,
    /// Where it is first described.
    pub location: Location,
    /// What the rows say that was not recorded, and which column would
    /// carry what is missing ([`ImportOptions::migrate`]).
    pub not_recorded: Vec<NotRecorded>,
    /// Words read by a preset's assumption (`undefined` read as `minor`),
    /// each with its place.
    pub assumed: Vec<String>,
}

/// A step the rows describe but the import did not record, because the
/// data for it (or for a step before it) is missing: where, what, why, and
/// the column that would carry what is missing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotRecorded {
    /// The row, and the cell when the file has the column.
    pub location: Location,
    /// What was not recorded (`record the root-cause analysis`).
    pub step: &'static str,
    /// The column whose value would let it be recorded.
    pub column: Column,
    /// Why, in words.
    pub why: String,
}

impl fmt::Display for NotRecorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: not recorded: {}: {} (column {} would carry it)",
            self.location,
            self.step,
            self.why,
            self.column.header()
        )
    }
}

/// The outcome of a successful check: what would be written. Nothing has
/// been written; [`ImportPlan::append_to`] writes it in one atomic batch.
#[derive(Clone, Debug)]
pub struct ImportPlan {
    /// Every header and the column it fed.
    pub mapping: ColumnMapping,
    /// One entry per nonconformity created or updated.
    pub items: Vec<PlannedItem>,
    /// The events, grouped by stream, in order.
    pub batch: AppendBatch,
    /// The register as it will be after the import.
    pub register: Register,
    /// Things worth knowing that do not stop the import.
    pub notes: Vec<String>,
    /// Rows not imported at all, with why (a preset's `skip:` word, such
    /// as CISO Assistant's `info` severity).
    pub skipped: Vec<NotRecorded>,
}

impl ImportPlan {
    /// Nonconformities created.
    pub fn created(&self) -> usize {
        self.items.iter().filter(|i| i.created).count()
    }

    /// Nonconformities updated.
    pub fn updated(&self) -> usize {
        self.items
            .iter()
            .filter(|i| !i.created && !i.commands.is_empty())
            .count()
    }

    /// Events to append.
    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.batch.appends.iter().flat_map(|a| a.events.iter())
    }

    /// Appends every event in one batch: all or nothing. A store that
    /// changed since the plan was made refuses it with a conflict, and
    /// nothing is written.
    pub fn append_to(&self, store: &mut impl EventStore) -> Result<Option<Appended>, AppendError> {
        if self.batch.is_empty() {
            return Ok(None);
        }
        store.append(&self.batch).map(Some)
    }
}

impl fmt::Display for ImportPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} nonconformit{} to create, {} to update, {} events",
            self.created(),
            if self.created() == 1 { "y" } else { "ies" },
            self.updated(),
            self.batch.len()
        )?;
        for item in &self.items {
            if item.commands.is_empty() {
                continue;
            }
            writeln!(
                f,
                "  {} {} ({}): {}",
                if item.created { "create" } else { "update" },
                item.reference,
                item.location,
                item.commands.join(", ")
            )?;
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        for item in &self.items {
            for a in &item.assumed {
                writeln!(f, "  assumed: {a}")?;
            }
            for n in &item.not_recorded {
                writeln!(f, "  {} {n}", item.reference)?;
            }
        }
        for s in &self.skipped {
            writeln!(f, "  skipped: {s}")?;
        }
        Ok(())
    }
}

/// Reads the inputs, maps their columns, checks every row and decides every
/// command on a copy of `register`. Returns the plan, or every problem found.
/// Writes nothing; progress goes to `progress`.
pub fn plan_import(
    register: &Register,
    inputs: &[Input<'_>],
    options: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportPlan, ImportError> {
    let mut replayer = Replayer::new(&options.policy, u128::from(options.entropy) << 64);
    plan_import_with(register, inputs, options, &mut replayer, progress)
}

/// As [`plan_import`], deciding every command with `replayer` (the core's
/// shared import mechanism) instead of one made from
/// [`ImportOptions::policy`] and [`ImportOptions::entropy`]: the way to add a
/// check of the caller's own to every step ([`Replayer::with_check`]); a
/// step it refuses is a [`ProblemKind::Checked`] at the step's cell.
///
/// # Errors
/// As [`plan_import`].
pub fn plan_import_with(
    register: &Register,
    inputs: &[Input<'_>],
    options: &ImportOptions,
    replayer: &mut Replayer<'_, '_, Location>,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportPlan, ImportError> {
    let mapping_of = |i: usize| {
        options
            .input_mappings
            .get(i)
            .and_then(Option::as_ref)
            .unwrap_or(&options.mapping)
    };
    check_fixed_values(options, inputs.len(), &mapping_of)?;
    let mut tables = Vec::new();
    let mut table_mappings = Vec::new();
    let mut companion_tables: Vec<bool> = Vec::new();
    let mut budget = Budget::default();
    for (i, input) in inputs.iter().enumerate() {
        progress(Progress {
            stage: Stage::Reading,
            done: i,
            total: inputs.len(),
        });
        let read = read_tables(
            input.name,
            input.bytes,
            options.encoding,
            mapping_of(i),
            &mut budget,
        )?;
        table_mappings.extend(std::iter::repeat_n(mapping_of(i), read.len()));
        companion_tables.extend(std::iter::repeat_n(
            options.companions.contains(&i),
            read.len(),
        ));
        tables.extend(read);
    }
    let mut table_fixed = Vec::with_capacity(tables.len());
    for ((t, m), companion) in tables
        .iter_mut()
        .zip(&table_mappings)
        .zip(&companion_tables)
    {
        // A companion file describes actions: fixed values are for the
        // nonconformities' files.
        table_fixed.push(if *companion {
            Vec::new()
        } else {
            add_fixed_values(t, m, &options.fixed)?
        });
    }
    progress(Progress {
        stage: Stage::Reading,
        done: inputs.len(),
        total: inputs.len(),
    });
    let mut problems = Problems::default();
    let mut mapping = ColumnMapping::default();
    let mut layouts = Vec::with_capacity(tables.len());
    for ((t, m), fixed) in tables.iter().zip(&table_mappings).zip(&table_fixed) {
        layouts.push(map_table(t, m, fixed, &mut mapping, &mut problems)?);
    }
    let default_source = !layouts.iter().any(|l| l.pos(Column::Source).is_some());
    let groups = group_rows(
        &tables,
        &layouts,
        &companion_tables,
        &mut problems,
        progress,
    );
    let companion_rows = companion_index(&tables, &layouts, &companion_tables);
    let creates = groups.iter().any(|g| match g.ncref {
        Some(r) => register.nonconformity_by_ref(r).is_none(),
        // Matched by title when migrating: it may create, so the columns a
        // new item needs are checked.
        None => {
            (options.migrate && g.by_title)
                || !register.nonconformities().iter().any(|n| {
                    n.extensions.get(IMPORT_REFERENCE).and_then(|v| v.as_str())
                        == Some(g.key.as_str())
                })
        }
    });
    if creates {
        let before = problems.len();
        check_required(&tables, &layouts, &mut problems);
        if problems.len() > before {
            // Every new row would fail for the same reason: say it once.
            return Err(ImportError::Problems(problems.into_list()));
        }
    }
    let mut importer = Importer {
        options,
        replayer,
        register: register.clone(),
        original: register,
        problems,
        notes: Vec::new(),
        ids: HashMap::new(),
        by_import_ref: register
            .nonconformities()
            .iter()
            .filter_map(|n| {
                n.extensions
                    .get(IMPORT_REFERENCE)
                    .and_then(|v| v.as_str())
                    .map(|s| (s.to_owned(), n.id))
            })
            .collect(),
        counter: 0,
        appends: Vec::new(),
        items: Vec::new(),
        default_source,
        default_source_used: false,
        companion_rows,
        by_title: if options.migrate {
            titles_of(register)
        } else {
            HashMap::new()
        },
        skipped: Vec::new(),
    };
    let total = groups.len();
    for (i, g) in groups.iter().enumerate() {
        if i % 1024 == 0 {
            progress(Progress {
                stage: Stage::Deciding,
                done: i,
                total,
            });
        }
        importer.import_group(&tables, &layouts, g);
    }
    progress(Progress {
        stage: Stage::Deciding,
        done: total,
        total,
    });
    if !importer.problems.is_empty() {
        return Err(ImportError::Problems(importer.problems.into_list()));
    }
    if importer.default_source_used {
        importer.notes.push(format!(
            "no input has a Source column: new nonconformities were given the source {:?} \
             (the default; give another with --set source=... or `source := ...` in a mapping file)",
            SOURCE.word(DEFAULT_SOURCE)
        ));
    }
    Ok(ImportPlan {
        mapping,
        items: importer.items,
        batch: AppendBatch {
            appends: importer.appends,
            request: None,
            // The plan was decided on the register as it was; a reference
            // taken meanwhile refuses the whole import, never renumbers it.
            numbering: Numbering::AsDecided,
        },
        register: importer.register,
        notes: importer.notes,
        skipped: importer.skipped,
    })
}

/// Where each column is in one table.
struct Layout {
    /// Position (0-based) of each column, indexed by `Column as usize`.
    positions: Vec<Option<usize>>,
    /// Position of the header read when a column's own cell is empty (a
    /// preset's `[fallback]`), indexed the same way.
    fallbacks: Vec<Option<usize>>,
    has_actions: bool,
}

impl Layout {
    fn pos(&self, c: Column) -> Option<usize> {
        self.positions[c as usize]
    }
}

fn table_location(t: &Table, row: Option<usize>, column: Option<(usize, &str)>) -> Location {
    let first_fixed = t.headers.len() - t.fixed;
    Location {
        file: t.file.clone(),
        sheet: t.sheet.clone(),
        row,
        // A fixed value has no column letter: position 0, and its header
        // names where it was given.
        column: column.map(|(p, h)| (if p >= first_fixed { 0 } else { p + 1 }, h.to_owned())),
    }
}

/// Checks every fixed value as a cell of its column would be parsed: a
/// bad one is refused before any file is read, naming where it was given.
fn check_fixed_values<'m>(
    options: &ImportOptions,
    inputs: usize,
    mapping_of: &dyn Fn(usize) -> &'m MappingFile,
) -> Result<(), ImportError> {
    for (i, f) in options.fixed.iter().enumerate() {
        if let Some(first) = options.fixed[..i].iter().find(|g| g.column == f.column) {
            return Err(ImportError::Fixed {
                fixed: f.clone(),
                problem: format!(
                    "the column {} already has a fixed value ({:?}); give it once",
                    f.column.key(),
                    first.value
                ),
            });
        }
    }
    let from_files = (0..inputs.max(1)).flat_map(|i| mapping_of(i).fixed());
    for f in options.fixed.iter().chain(from_files) {
        check_fixed(f, options.date_order).map_err(|k| ImportError::Fixed {
            fixed: f.clone(),
            problem: k.to_string(),
        })?;
    }
    Ok(())
}

/// One fixed value, read as its column reads a cell.
fn check_fixed(f: &FixedValue, order: Option<DateOrder>) -> Result<(), ProblemKind> {
    let v = f.value.as_str();
    if let Some(ch) = v
        .chars()
        .find(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
    {
        return Err(ProblemKind::ControlCharacter {
            code: u32::from(ch),
        });
    }
    let raw = Raw::Text(v.to_owned());
    // Words, names and numbers are read trimmed, as a cell's text is.
    let v = v.trim();
    let bad = |detail: String| ProblemKind::BadValue {
        value: v.to_owned(),
        detail,
    };
    match f.column {
        Column::Source => SOURCE.parse(v).map(drop),
        Column::Severity => SEVERITY.parse(v).map(drop),
        Column::NcStatus => NC_STATE.parse(v).map(drop),
        Column::AnalysisMethod => METHOD.parse(v).map(drop),
        Column::VerificationResult => OUTCOME.parse(v).map(drop),
        Column::ActionStatus => ACTION_STATUS.parse(v).map(drop),
        Column::RootCauseCategory => split_list(v)
            .into_iter()
            .try_for_each(|w| CATEGORY.parse(w).map(drop)),
        Column::Requirements => split_list(v).into_iter().try_for_each(|p| {
            p.parse::<RequirementRef>()
                .map(drop)
                .map_err(|e| bad(e.to_string()))
        }),
        Column::Owner
        | Column::ReportedBy
        | Column::ActionOwner
        | Column::Verifier
        | Column::NoActionApprover => ActorId::new(v.to_owned())
            .map(drop)
            .map_err(|e| bad(e.to_string())),
        c => match c.kind() {
            // Only whether it reads: the zone changes which date, not that.
            ColumnKind::Date => parse_date(&raw, order, isms_core::IanaTimeZone::UTC).map(drop),
            ColumnKind::DateTime => parse_stamp(&raw, order).map(drop),
            ColumnKind::Number => match v.parse::<u32>() {
                Ok(_) => Ok(()),
                Err(_) => Err(bad("expected a whole number".into())),
            },
            ColumnKind::Text => Ok(()),
        },
    }
}

/// Adds the fixed values that apply to table `t` (its mapping file's and
/// the `--set` ones) as columns of their own; refuses one for a column the
/// table has, or a column given a fixed value twice. Returns the columns
/// added, in order.
fn add_fixed_values(
    t: &mut Table,
    mapping: &MappingFile,
    set: &[FixedValue],
) -> Result<Vec<Column>, ImportError> {
    let mut added: Vec<(Column, String)> = Vec::new();
    for f in mapping.fixed().iter().chain(set) {
        if let Some((_, first)) = added.iter().find(|(c, _)| *c == f.column) {
            return Err(ImportError::Fixed {
                fixed: f.clone(),
                problem: format!(
                    "the column {} also has a fixed value from {first}; give it once",
                    f.column.key()
                ),
            });
        }
        if let Some((i, h)) = t
            .headers
            .iter()
            .enumerate()
            .find(|(_, h)| match_header(h, mapping).0 == Some(f.column))
        {
            return Err(ImportError::Fixed {
                fixed: f.clone(),
                problem: format!(
                    "{}{} has the column {} (column {}, {h:?}); a fixed value is only for a column \
                     the file lacks: drop the fixed value, or map that header to `ignore` in a mapping file",
                    t.file,
                    t.sheet
                        .as_ref()
                        .map(|s| format!(", sheet {s:?}"))
                        .unwrap_or_default(),
                    f.column.header(),
                    column_letters(i + 1)
                ),
            });
        }
        added.push((f.column, f.to_string()));
    }
    for (f, (_, label)) in mapping.fixed().iter().chain(set).zip(&added) {
        t.add_fixed(label.clone(), &Raw::Text(f.value.clone()));
    }
    Ok(added.into_iter().map(|(c, _)| c).collect())
}

fn map_table(
    t: &Table,
    mapping_file: &MappingFile,
    fixed: &[Column],
    mapping: &mut ColumnMapping,
    problems: &mut Problems,
) -> Result<Layout, FileError> {
    let mut positions = vec![None; Column::ALL.len()];
    let mut fallbacks = vec![None; Column::ALL.len()];
    let source = match &t.sheet {
        Some(s) => format!("{} [{s}]", t.file),
        None => t.file.clone(),
    };
    let first_fixed = t.headers.len() - t.fixed;
    for (i, h) in t.headers.iter().enumerate() {
        let (column, matched_by) = match i.checked_sub(first_fixed) {
            Some(k) => (fixed.get(k).copied(), MatchedBy::Fixed),
            None => match mapping_file.fallback_of(h) {
                Some(c) => (Some(c), MatchedBy::Fallback),
                None => match_header(h, mapping_file),
            },
        };
        if matched_by == MatchedBy::Fallback {
            if let Some(c) = column {
                fallbacks[c as usize].get_or_insert(i);
            }
        } else if let Some(c) = column {
            if let Some(first) = positions[c as usize] {
                problems.push(Problem {
                    location: table_location(t, Some(t.header_row), Some((i, h))),
                    kind: ProblemKind::Inconsistent {
                        detail: format!(
                            "maps to the column {} like the header {:?} in column {}; map one of them to `ignore` in a mapping file",
                            c.key(),
                            t.headers[first],
                            crate::columns::column_letters(first + 1)
                        ),
                    },
                });
            } else {
                positions[c as usize] = Some(i);
            }
        }
        mapping.headers.push(MappedHeader {
            source: source.clone(),
            header: h.clone(),
            position: i + 1,
            column,
            matched_by,
        });
    }
    if positions.iter().all(Option::is_none) {
        let found: String = t
            .headers
            .iter()
            .take(6)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(FileError::NoHeader {
            file: t.file.clone(),
            sheet: t
                .sheet
                .as_ref()
                .map(|s| format!(", sheet {s:?}"))
                .unwrap_or_default(),
            found: format!("{found:?}"),
        });
    }
    let has_actions = positions[Column::Action as usize].is_some()
        || positions[Column::ActionRef as usize].is_some();
    Ok(Layout {
        positions,
        fallbacks,
        has_actions,
    })
}

fn check_required(tables: &[Table], layouts: &[Layout], problems: &mut Problems) {
    let any = |c: Column| layouts.iter().any(|l| l.pos(c).is_some());
    let Some(first) = tables.first() else { return };
    let mut missing = Vec::new();
    // Source has a default (DEFAULT_SOURCE).
    for c in [Column::Title, Column::Severity] {
        if !any(c) {
            missing.push(c);
        }
    }
    if !any(Column::Owner) && !any(Column::ActionOwner) {
        missing.push(Column::Owner);
    }
    if !any(Column::Detected) && !any(Column::Reported) {
        missing.push(Column::Detected);
    }
    for column in missing {
        problems.push(Problem {
            location: table_location(first, Some(first.header_row), None),
            kind: ProblemKind::MissingColumn { column },
        });
    }
}

/// A reference to one data row.
#[derive(Clone, Copy, Debug)]
struct RowRef {
    table: usize,
    row: usize,
}

/// The rows that describe one nonconformity.
struct Group {
    key: String,
    /// No reference in the file: when migrating, matched by title.
    by_title: bool,
    ncref: Option<NcRef>,
    /// Rows carrying its columns (the first one is where it is described).
    rows: Vec<RowRef>,
    /// Rows describing one action each.
    actions: Vec<RowRef>,
    order: usize,
}

fn cell<'t>(
    tables: &'t [Table],
    layouts: &[Layout],
    r: RowRef,
    c: Column,
) -> Option<(usize, &'t Raw)> {
    let layout = &layouts[r.table];
    let t = &tables[r.table];
    let own = layout
        .pos(c)
        .and_then(|pos| Some((pos, t.cell(&t.rows[r.row].1, pos)?)))
        .filter(|(_, raw)| !raw.is_blank());
    own.or_else(|| {
        let pos = layout.fallbacks[c as usize]?;
        let raw = t.cell(&t.rows[r.row].1, pos)?;
        (!raw.is_blank()).then_some((pos, raw))
    })
}

fn group_rows(
    tables: &[Table],
    layouts: &[Layout],
    companions: &[bool],
    problems: &mut Problems,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Group> {
    let total: usize = tables.iter().map(|t| t.rows.len()).sum();
    let mut done = 0;
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut nc_rows_seen: HashMap<String, usize> = HashMap::new();
    let mut actions_seen: HashMap<(String, String), usize> = HashMap::new();
    for (ti, t) in tables.iter().enumerate() {
        let layout = &layouts[ti];
        let companion = companions.get(ti).copied().unwrap_or(false);
        for (ri, (row_no, cells)) in t.rows.iter().enumerate() {
            done += 1;
            if done % 4096 == 0 {
                progress(Progress {
                    stage: Stage::Checking,
                    done,
                    total,
                });
            }
            // Cell-level checks on every mapped cell. A row with such a
            // problem is reported cell by cell and not interpreted further.
            let mut bad_row = false;
            for pos in layout.positions.iter().chain(&layout.fallbacks) {
                let Some(pos) = *pos else { continue };
                let Some(raw) = t.cell(cells, pos) else {
                    continue;
                };
                let kind = match raw {
                    Raw::Formula(f) => Some(ProblemKind::Formula { formula: f.clone() }),
                    Raw::Error(e) => Some(ProblemKind::CellError { value: e.clone() }),
                    Raw::Text(s) => s
                        .chars()
                        .find(|ch| ch.is_control() && !matches!(ch, '\n' | '\r' | '\t'))
                        .map(|ch| ProblemKind::ControlCharacter {
                            code: u32::from(ch),
                        }),
                    _ => None,
                };
                if let Some(kind) = kind {
                    bad_row = true;
                    problems.push(Problem {
                        location: table_location(t, Some(*row_no), Some((pos, &t.headers[pos]))),
                        kind,
                    });
                }
            }
            if bad_row || companion {
                continue;
            }
            let r = RowRef { table: ti, row: ri };
            let reference = cell(tables, layouts, r, Column::Reference)
                .map(|(_, raw)| raw.display().trim().to_owned());
            let ncref = reference.as_deref().and_then(|s| s.parse::<NcRef>().ok());
            let key = match (&ncref, &reference) {
                (Some(n), _) => n.to_string(),
                (None, Some(s)) => s.clone(),
                (None, None) => format!("{} row {row_no}", t.file),
            };
            if !layout.has_actions
                && let Some(first) = nc_rows_seen.insert(key.clone(), *row_no)
            {
                let pos = layout.pos(Column::Reference).unwrap_or(0);
                problems.push(Problem {
                    location: table_location(t, Some(*row_no), Some((pos, &t.headers[pos]))),
                    kind: ProblemKind::DuplicateReference {
                        reference: key.clone(),
                        first_row: first,
                    },
                });
                continue;
            }
            let gi = *index.entry(key.clone()).or_insert_with(|| {
                groups.push(Group {
                    key: key.clone(),
                    by_title: reference.is_none(),
                    ncref,
                    rows: Vec::new(),
                    actions: Vec::new(),
                    order: groups.len(),
                });
                groups.len() - 1
            });
            let g = &mut groups[gi];
            g.rows.push(r);
            if layout.has_actions {
                if let Some((pos, raw)) = cell(tables, layouts, r, Column::ActionRef) {
                    let action = raw.display().trim().to_uppercase();
                    if let Some(first) = actions_seen.insert((key.clone(), action.clone()), *row_no)
                    {
                        problems.push(Problem {
                            location: table_location(
                                t,
                                Some(*row_no),
                                Some((pos, &t.headers[pos])),
                            ),
                            kind: ProblemKind::DuplicateAction {
                                reference: key.clone(),
                                action,
                                first_row: first,
                            },
                        });
                        continue;
                    }
                }
                if cell(tables, layouts, r, Column::Action).is_some()
                    || cell(tables, layouts, r, Column::ActionRef).is_some()
                {
                    g.actions.push(r);
                }
            }
        }
    }
    // New items are reported in reference order, so that an export
    // imported into an empty register keeps its references.
    groups.sort_by_key(|g| (g.ncref.map_or(u32::MAX, |n| n.number()), g.order));
    groups
}

/// The rows of the companion tables by their action's text (normalised);
/// the first row of a text wins.
fn companion_index(
    tables: &[Table],
    layouts: &[Layout],
    companions: &[bool],
) -> HashMap<String, RowRef> {
    let mut index = HashMap::new();
    for (ti, t) in tables.iter().enumerate() {
        if !companions.get(ti).copied().unwrap_or(false) {
            continue;
        }
        for ri in 0..t.rows.len() {
            let r = RowRef { table: ti, row: ri };
            if let Some((_, raw)) = cell(tables, layouts, r, Column::Action) {
                index
                    .entry(crate::columns::normalise(&raw.display()))
                    .or_insert(r);
            }
        }
    }
    index
}

/// The register's nonconformities by title (trimmed); `None` for a title
/// two of them share.
fn titles_of(register: &Register) -> HashMap<String, Option<NonconformityId>> {
    let mut titles: HashMap<String, Option<NonconformityId>> = HashMap::new();
    for n in register.nonconformities() {
        titles
            .entry(n.title.trim().to_owned())
            .and_modify(|e| *e = None)
            .or_insert(Some(n.id));
    }
    titles
}

/// A step: one command, when, by whom, and where it comes from.
struct Step {
    order: u8,
    key: DateTime<Utc>,
    stamp: Option<Stamp>,
    /// Steps the import times itself: never earlier than the item's last event.
    floating: bool,
    actor: Actor,
    command: Command,
    what: &'static str,
    location: Location,
}

struct Importer<'a, 'r, 'p, 'c> {
    options: &'a ImportOptions,
    /// The core's shared import mechanism: every step is decided there.
    replayer: &'r mut Replayer<'p, 'c, Location>,
    register: Register,
    original: &'a Register,
    problems: Problems,
    notes: Vec<String>,
    /// Nonconformities created or matched so far, by file key.
    ids: HashMap<String, NonconformityId>,
    by_import_ref: HashMap<String, NonconformityId>,
    counter: u64,
    appends: Vec<StreamAppend>,
    items: Vec<PlannedItem>,
    /// No input has a Source column: new items get [`DEFAULT_SOURCE`].
    default_source: bool,
    default_source_used: bool,
    /// A companion file's rows by their action's text (normalised).
    companion_rows: HashMap<String, RowRef>,
    /// Nonconformities by title, for rows without a reference when
    /// migrating (`None`: the title is not unique).
    by_title: HashMap<String, Option<NonconformityId>>,
    skipped: Vec<NotRecorded>,
}

/// Reads a group's cells, collecting problems with their location.
struct Reader<'g> {
    tables: &'g [Table],
    layouts: &'g [Layout],
    rows: &'g [RowRef],
    order: Option<DateOrder>,
    /// The organisation's time zone, whose calendar the dates are.
    zone: IanaTimeZone,
    problems: Problems,
    /// A preset's added words.
    vocab: &'g Vocabularies,
    /// Words read by a preset's assumption, with their place.
    assumed: Vec<String>,
    /// A preset's `skip:` word: the row is not imported.
    skip: Option<NotRecorded>,
}

impl<'g> Reader<'g> {
    fn loc(&self, r: RowRef, pos: Option<usize>) -> Location {
        let t = &self.tables[r.table];
        table_location(
            t,
            Some(t.rows[r.row].0),
            pos.map(|p| (p, t.headers[p].as_str())),
        )
    }

    /// The location of column `c` (its first row with a value, or the first row).
    fn loc_of(&self, c: Column) -> Location {
        for &r in self.rows {
            if let Some((pos, _)) = cell(self.tables, self.layouts, r, c) {
                return self.loc(r, Some(pos));
            }
        }
        let r = self.rows[0];
        self.loc(r, self.layouts[r.table].pos(c))
    }

    /// The value of column `c` over the rows, checking that they agree.
    fn raw(&mut self, c: Column) -> Option<&'g Raw> {
        let mut found: Option<(RowRef, &'g Raw)> = None;
        for &r in self.rows {
            let Some((pos, raw)) = cell(self.tables, self.layouts, r, c) else {
                continue;
            };
            match found {
                None => found = Some((r, raw)),
                Some((fr, first)) => {
                    if !same_value(first, raw) {
                        let loc = self.loc(r, Some(pos));
                        self.problems.push(Problem {
                            location: loc,
                            kind: ProblemKind::Conflicting {
                                first_row: self.tables[fr.table].rows[fr.row].0,
                                first: first.display(),
                                second: raw.display(),
                            },
                        });
                    }
                }
            }
        }
        found.map(|(_, raw)| raw)
    }

    fn fail(&mut self, c: Column, kind: ProblemKind) {
        let location = self.loc_of(c);
        self.problems.push(Problem { location, kind });
    }

    /// The value of `parsed`, or `None` with its problem recorded at `c`.
    fn or_fail<T>(&mut self, c: Column, parsed: Result<T, ProblemKind>) -> Option<T> {
        parsed.map_err(|kind| self.fail(c, kind)).ok()
    }

    fn text(&mut self, c: Column) -> Option<String> {
        let raw = self.raw(c)?;
        let s = match raw {
            Raw::Text(s) => s.trim().to_owned(),
            Raw::Number(n) => n.to_string(),
            Raw::DateTime(t) => t.to_string(),
            _ => return None,
        };
        Some(s)
    }

    fn word<T: Copy + PartialEq>(
        &mut self,
        c: Column,
        v: &crate::words::Vocabulary<T>,
    ) -> Option<T> {
        let s = self.text(c)?;
        self.word_in(c, c, v, &s)
    }

    /// `text` (from column `c`, or part of its cell) read as a word of `v`,
    /// the preset's words first.
    fn word_in<T: Copy + PartialEq>(
        &mut self,
        c: Column,
        at: Column,
        v: &crate::words::Vocabulary<T>,
        text: &str,
    ) -> Option<T> {
        let vocab = self.vocab;
        let word = match vocab.rule(c, text) {
            None => text,
            Some(WordRule::Means(w)) => w.as_str(),
            Some(WordRule::Assume(w)) => {
                self.assumed.push(format!(
                    "{}: {text:?} read as {w} (the preset's assumption; give the {} to record another)",
                    self.loc_of(at),
                    c.header().to_lowercase()
                ));
                w.as_str()
            }
            Some(WordRule::Skip(why)) => {
                if self.skip.is_none() {
                    self.skip = Some(NotRecorded {
                        location: self.loc_of(at),
                        step: "import the row",
                        column: c,
                        why: format!("{text:?}: {why}"),
                    });
                }
                return None;
            }
        };
        let parsed = v.parse(word);
        self.or_fail(at, parsed)
    }

    fn stamp(&mut self, c: Column) -> Option<Stamp> {
        let raw = self.raw(c)?;
        let parsed = parse_stamp(raw, self.order);
        self.or_fail(c, parsed)
    }

    fn date(&mut self, c: Column) -> Option<chrono::NaiveDate> {
        let raw = self.raw(c)?;
        let parsed = parse_date(raw, self.order, self.zone);
        self.or_fail(c, parsed)
    }

    fn number(&mut self, c: Column) -> Option<u32> {
        let raw = self.raw(c)?;
        let n = match raw {
            Raw::Number(n) => Some(*n),
            Raw::Text(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        match n {
            Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX) => Some(n as u32),
            _ => {
                self.fail(
                    c,
                    ProblemKind::BadValue {
                        value: raw.display(),
                        detail: "expected a whole number".into(),
                    },
                );
                None
            }
        }
    }

    fn audit(&mut self, c: Column) -> Option<isms_core::AuditId> {
        self.parsed_text(c, str::parse::<isms_core::AuditId>)
    }

    fn actor(&mut self, c: Column) -> Option<ActorId> {
        self.parsed_text(c, |s| ActorId::new(s.to_owned()))
    }

    /// The text of `c` read by `parse`; what it refuses is a bad value that
    /// quotes the text.
    fn parsed_text<T, E: std::fmt::Display>(
        &mut self,
        c: Column,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let s = self.text(c)?;
        let parsed = parse(&s).map_err(|e| ProblemKind::BadValue {
            value: s.clone(),
            detail: e.to_string(),
        });
        self.or_fail(c, parsed)
    }
}

fn same_value(a: &Raw, b: &Raw) -> bool {
    match (a, b) {
        (Raw::Text(x), Raw::Text(y)) => x.trim() == y.trim(),
        _ => a == b,
    }
}

/// One action as a row describes it.
struct ActionRow {
    existing: Option<ActionId>,
    id: ActionId,
    description: Option<String>,
    owner: Option<ActorId>,
    planned: Option<Stamp>,
    original_due: Option<chrono::NaiveDate>,
    due: Option<chrono::NaiveDate>,
    reschedule_reason: Option<String>,
    status: ActionStatus,
    started: Option<Stamp>,
    completed: Option<Stamp>,
    evidence: Vec<EvidenceRef>,
    cancelled: Option<Stamp>,
    cancel_reason: Option<String>,
    location: Location,
    due_location: Location,
}

impl Importer<'_, '_, '_, '_> {
    fn next_entropy(&mut self) -> [u8; 10] {
        self.counter += 1;
        let mut e = [0u8; 10];
        e[..8].copy_from_slice(&self.options.entropy.to_le_bytes());
        e[8..].copy_from_slice(&(self.counter as u16).to_le_bytes());
        // The counter's high bits go into the entropy's first bytes, so that
        // more than 65,536 identifiers stay distinct.
        let hi = (self.counter >> 16).to_le_bytes();
        for (i, b) in hi.iter().enumerate().take(6) {
            e[i] ^= b;
        }
        e
    }

    fn resolve_nc(&self, text: &str) -> Option<NonconformityId> {
        let t = text.trim();
        if let Ok(r) = t.parse::<NcRef>() {
            if let Some(id) = self.ids.get(&r.to_string()) {
                return Some(*id);
            }
            return self.original.nonconformity_by_ref(r).map(|n| n.id);
        }
        self.ids
            .get(t)
            .or_else(|| self.by_import_ref.get(t))
            .copied()
    }

    #[allow(clippy::too_many_lines)]
    fn import_group(&mut self, tables: &[Table], layouts: &[Layout], g: &Group) {
        let zone = self.options.policy.time_zone;
        let mut rd = Reader {
            tables,
            layouts,
            rows: &g.rows,
            order: self.options.date_order,
            zone: self.options.policy.time_zone,
            problems: Problems::default(),
            vocab: &self.options.vocabularies,
            assumed: Vec::new(),
            skip: None,
        };
        let first_loc = rd.loc(g.rows[0], None);
        let title = rd.text(Column::Title);
        let existing: Option<Nonconformity> = match g.ncref {
            Some(r) => self.original.nonconformity_by_ref(r).cloned(),
            None => self
                .by_import_ref
                .get(&g.key)
                .copied()
                .or_else(|| {
                    // Without a reference, a migration matches by title.
                    g.by_title
                        .then(|| {
                            self.by_title
                                .get(title.as_deref()?.trim())
                                .copied()
                                .flatten()
                        })
                        .flatten()
                })
                .and_then(|id| self.original.nonconformity(id))
                .cloned(),
        };
        let ex = existing.as_ref();
        let migrate = self.options.migrate;
        // What a migration leaves out, with the lifecycle stage it cuts at.
        let mut gaps: Vec<(u8, NotRecorded)> = Vec::new();

        // The nonconformity's own columns.
        let description = rd.text(Column::Description);
        let source = rd.word(Column::Source, &SOURCE);
        let severity = rd.word(Column::Severity, &SEVERITY);
        let requirements: Vec<RequirementRef> = match rd.text(Column::Requirements) {
            None => Vec::new(),
            Some(s) => split_list(&s)
                .into_iter()
                .filter_map(|p| match p.parse::<RequirementRef>() {
                    Ok(r) => Some(r),
                    Err(e) => {
                        rd.fail(
                            Column::Requirements,
                            ProblemKind::BadValue {
                                value: p.to_owned(),
                                detail: e.to_string(),
                            },
                        );
                        None
                    }
                })
                .collect(),
        };
        let reported_by = rd.actor(Column::ReportedBy);
        let owner = rd.actor(Column::Owner);
        let detected = rd.stamp(Column::Detected);
        let reported = rd.stamp(Column::Reported);
        let external_deadline = rd.date(Column::ExternalDeadline);
        let stated_word = rd.text(Column::NcStatus);
        let stated = rd.word(Column::NcStatus, &NC_STATE);
        let containment = rd.text(Column::Containment);
        let contained = rd.stamp(Column::Contained);
        let method = rd.word(Column::AnalysisMethod, &METHOD);
        let categories = rd.text(Column::RootCauseCategory);
        let causes_text = rd.text(Column::RootCause);
        let similar_check = rd.text(Column::SimilarCheck);
        let analysed = rd.stamp(Column::Analysed);
        let justification = rd.text(Column::NoActionJustification);
        let approver = rd.actor(Column::NoActionApprover);
        let v_method = rd.text(Column::VerificationMethod);
        let v_criteria = rd.text(Column::VerificationCriteria);
        let follow_up = rd.text(Column::FollowUp);
        let verifier = rd.actor(Column::Verifier);
        let v_planned = rd.stamp(Column::VerificationPlanned);
        let checks = rd.number(Column::ChecksRecorded);
        let outcome = rd.word(Column::VerificationResult, &OUTCOME);
        let v_date = rd.stamp(Column::VerificationDate);
        let v_evidence: Vec<EvidenceRef> = rd
            .text(Column::VerificationEvidence)
            .map(|s| evidence_of(&s))
            .unwrap_or_default();
        let closed = rd.stamp(Column::Closed);
        let rejected = rd.stamp(Column::Rejected);
        let rejection_reason = rd.text(Column::RejectionReason);
        let rejection_explanation = rd.text(Column::RejectionExplanation);
        let recurrence_of = rd.text(Column::RecurrenceOf);
        let audit = rd.audit(Column::Audit);

        let actions = self.read_actions(tables, layouts, g, ex, &mut rd);

        if let Some(skip) = rd.skip.take() {
            // A row a preset says is not a nonconformity: reported, not
            // imported (its bad cells still refuse the file).
            if rd.problems.is_empty() {
                self.skipped.push(skip);
            } else {
                self.problems.append(&mut rd.problems);
            }
            return;
        }
        let mut problems = std::mem::take(&mut rd.problems);
        let fail = |problems: &mut Problems, location: Location, kind: ProblemKind| {
            problems.push(Problem { location, kind });
        };
        // A missing value for a later step: a gap when migrating (that step
        // and every later one are not recorded), a refusal otherwise.
        let gap = |problems: &mut Problems,
                   gaps: &mut Vec<(u8, NotRecorded)>,
                   stage: u8,
                   column: Column,
                   location: Location,
                   step: &'static str,
                   why: &'static str| {
            if migrate {
                gaps.push((
                    stage,
                    NotRecorded {
                        location,
                        step,
                        column,
                        why: why.to_owned(),
                    },
                ));
            } else {
                problems.push(Problem {
                    location,
                    kind: ProblemKind::MissingValue { why },
                });
            }
        };

        let opts = self.options;
        let mut steps: Vec<Step> = Vec::new();
        let nc_id = match ex {
            Some(n) => n.id,
            None => NonconformityId::v7_from_parts(
                reported
                    .or(detected)
                    .map_or(0, |s| s.key(zone).timestamp_millis().max(0) as u64),
                self.next_entropy(),
            ),
        };
        let default_actor = opts.actor.clone();
        let step = |order: u8,
                    stamp: Option<Stamp>,
                    actor: &Actor,
                    command: Command,
                    what: &'static str,
                    location: Location| Step {
            order,
            key: DateTime::<Utc>::MIN_UTC,
            stamp,
            floating: false,
            actor: actor.clone(),
            command,
            what,
            location,
        };

        if ex.is_none() {
            let source = source.or_else(|| {
                self.default_source.then(|| {
                    self.default_source_used = true;
                    DEFAULT_SOURCE
                })
            });
            let owner = owner
                .clone()
                .or_else(|| actions.first().and_then(|a| a.owner.clone()));
            let at = reported.or(detected);
            let present = |rd: &mut Reader<'_>, c: Column| rd.raw(c).is_some();
            let checks = [
                (
                    title.is_none() && !present(&mut rd, Column::Title),
                    Column::Title,
                    "every nonconformity needs a title",
                ),
                (
                    source.is_none() && !present(&mut rd, Column::Source),
                    Column::Source,
                    "every nonconformity needs a source",
                ),
                (
                    severity.is_none() && !present(&mut rd, Column::Severity),
                    Column::Severity,
                    "every nonconformity needs a severity (major or minor)",
                ),
                (
                    owner.is_none() && !present(&mut rd, Column::Owner),
                    Column::Owner,
                    "every nonconformity needs an owner",
                ),
                (
                    at.is_none()
                        && !present(&mut rd, Column::Detected)
                        && !present(&mut rd, Column::Reported),
                    Column::Detected,
                    "every nonconformity needs its detection date",
                ),
            ];
            for (missing, c, why) in checks {
                if missing {
                    fail(
                        &mut problems,
                        rd.loc_of(c),
                        ProblemKind::MissingValue { why },
                    );
                }
            }
            if let (Some(title), Some(source), Some(severity), Some(owner), Some(at)) =
                (title.clone(), source, severity, owner, at)
            {
                let mut extensions = isms_core::Extensions::new();
                if g.ncref.is_none()
                    && cell(tables, layouts, g.rows[0], Column::Reference).is_some()
                {
                    extensions.insert(
                        IMPORT_REFERENCE.to_owned(),
                        serde_json::Value::String(g.key.clone()),
                    );
                }
                let reporter = reported_by
                    .clone()
                    .map_or_else(|| default_actor.clone(), Actor::new);
                steps.push(step(
                    0,
                    Some(at),
                    &reporter,
                    Command::ReportNonconformity(ReportNonconformity {
                        audit: audit.clone(),
                        id: nc_id,
                        description: description.clone().unwrap_or_else(|| title.clone()),
                        title,
                        source,
                        severity,
                        requirements,
                        owner,
                        detected_at: detected.unwrap_or(at).key(zone),
                        external_deadline,
                        links: Vec::new(),
                        extensions,
                    }),
                    "report the nonconformity",
                    first_loc.clone(),
                ));
            }
        }
        if let Some(of) = &recurrence_of
            && ex.is_none_or(|n| n.recurrence_of.is_none())
        {
            match self.resolve_nc(of) {
                Some(other) => steps.push(step(
                    1,
                    None,
                    &default_actor,
                    Command::LinkRecurrence {
                        nonconformity: nc_id,
                        recurrence_of: other,
                    },
                    "link the recurrence",
                    rd.loc_of(Column::RecurrenceOf),
                )),
                None => fail(
                    &mut problems,
                    rd.loc_of(Column::RecurrenceOf),
                    ProblemKind::UnknownNonconformity {
                        reference: of.clone(),
                    },
                ),
            }
        }
        let containment_given = containment.is_some();
        if let Some(text) = containment
            && ex.is_none_or(|n| n.corrections.is_empty())
        {
            steps.push(step(
                2,
                contained,
                &default_actor,
                Command::RecordContainment {
                    nonconformity: nc_id,
                    action_taken: text,
                    consequences: None,
                    late_justification: None,
                },
                "record the containment",
                rd.loc_of(Column::Containment),
            ));
        }
        if (causes_text.is_some() || categories.is_some() || justification.is_some())
            && ex.is_none_or(|n| n.analyses.is_empty())
        {
            let mut statements: Vec<&str> = causes_text
                .as_deref()
                .map(|s| s.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
                .unwrap_or_default();
            // Without a category column, a cause written "Category:
            // statement" gives its own category.
            let mut own: Vec<Option<isms_core::RootCauseCategory>> = Vec::new();
            if categories.is_none() {
                for line in &mut statements {
                    let Some((word, statement)) = crate::cells::cause_category(line) else {
                        own.push(None);
                        continue;
                    };
                    let c = rd.word_in(
                        Column::RootCauseCategory,
                        Column::RootCause,
                        &CATEGORY,
                        word,
                    );
                    if c.is_some() {
                        *line = statement;
                    }
                    own.push(c);
                }
                problems.append(&mut rd.problems);
            }
            let cats: Vec<_> = categories
                .as_deref()
                .map(|s| {
                    split_list(s)
                        .into_iter()
                        .filter_map(|w| match CATEGORY.parse(w) {
                            Ok(c) => Some(c),
                            Err(k) => {
                                fail(&mut problems, rd.loc_of(Column::RootCauseCategory), k);
                                None
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            let causes: Option<Vec<RootCause>> = if statements.is_empty() {
                gap(
                    &mut problems,
                    &mut gaps,
                    ST_ANALYSIS,
                    Column::RootCause,
                    rd.loc_of(Column::RootCause),
                    "record the root-cause analysis",
                    "a root-cause analysis needs the root cause in words",
                );
                None
            } else if !own.is_empty() && own.iter().all(Option::is_some) {
                Some(
                    statements
                        .iter()
                        .zip(own.iter().flatten())
                        .map(|(s, c)| RootCause {
                            category: *c,
                            statement: (*s).to_owned(),
                        })
                        .collect(),
                )
            } else if cats.len() == statements.len() {
                Some(
                    statements
                        .iter()
                        .zip(&cats)
                        .map(|(s, c)| RootCause {
                            category: *c,
                            statement: (*s).to_owned(),
                        })
                        .collect(),
                )
            } else if cats.len() == 1 {
                Some(
                    statements
                        .iter()
                        .map(|s| RootCause {
                            category: cats[0],
                            statement: (*s).to_owned(),
                        })
                        .collect(),
                )
            } else {
                if categories.is_none() {
                    gap(
                        &mut problems,
                        &mut gaps,
                        ST_ANALYSIS,
                        Column::RootCauseCategory,
                        rd.loc_of(Column::RootCauseCategory),
                        "record the root-cause analysis",
                        "a root cause needs its category (people, process, technology, supplier, governance, environment), in its column or written `Category: statement`",
                    );
                } else if !cats.is_empty() {
                    fail(
                        &mut problems,
                        rd.loc_of(Column::RootCauseCategory),
                        ProblemKind::Inconsistent {
                            detail: format!(
                                "{} categories for {} root causes; give one category, or one per cause line",
                                cats.len(),
                                statements.len()
                            ),
                        },
                    );
                }
                None
            };
            let decision = match (&justification, &approver) {
                (None, _) => Some(ActionDecision::ActionRequired),
                (Some(j), Some(a)) => Some(ActionDecision::NoActionRequired {
                    justification: j.clone(),
                    approved_by: a.clone(),
                }),
                (Some(_), None) => {
                    gap(
                        &mut problems,
                        &mut gaps,
                        ST_ANALYSIS,
                        Column::NoActionApprover,
                        rd.loc_of(Column::NoActionApprover),
                        "record the root-cause analysis",
                        "a decision that no action is needed must name who approved it",
                    );
                    None
                }
            };
            if let (Some(causes), Some(decision)) = (causes, decision) {
                steps.push(step(
                    3,
                    analysed,
                    &default_actor,
                    Command::AnalyseRootCause {
                        nonconformity: nc_id,
                        method: method.unwrap_or(AnalysisMethod::Other),
                        causes,
                        similar: Vec::new(),
                        similar_notes: similar_check.clone(),
                        decision,
                    },
                    "record the root-cause analysis",
                    rd.loc_of(Column::RootCause),
                ));
            }
        }
        let nc_owner = owner.clone().or_else(|| ex.map(|n| n.owner.clone()));
        let mut finishing = Vec::new();
        for a in &actions {
            let current = a.existing.and_then(|id| ex.and_then(|n| n.action(id)));
            let id = a.existing.unwrap_or(a.id);
            if current.is_none() {
                let Some(description) = a.description.clone() else {
                    gap(
                        &mut problems,
                        &mut gaps,
                        ST_VERIFY,
                        Column::Action,
                        a.location.clone(),
                        "plan the corrective action",
                        "a corrective action needs its description",
                    );
                    continue;
                };
                let Some(owner) = a.owner.clone().or_else(|| nc_owner.clone()) else {
                    gap(
                        &mut problems,
                        &mut gaps,
                        ST_VERIFY,
                        Column::ActionOwner,
                        a.location.clone(),
                        "plan the corrective action",
                        "a corrective action needs an owner (Action owner or Owner)",
                    );
                    continue;
                };
                let Some(first_due) = a.original_due.or(a.due) else {
                    gap(
                        &mut problems,
                        &mut gaps,
                        ST_VERIFY,
                        Column::Due,
                        a.due_location.clone(),
                        "plan the corrective action",
                        "a corrective action needs a due date",
                    );
                    continue;
                };
                steps.push(step(
                    4,
                    a.planned,
                    &default_actor,
                    Command::PlanAction {
                        nonconformity: nc_id,
                        action: id,
                        description,
                        owner,
                        due: first_due,
                        late_justification: None,
                    },
                    "plan the corrective action",
                    a.due_location.clone(),
                ));
                if let Some(d) = a.due
                    && d != first_due
                {
                    steps.push(step(
                        4,
                        None,
                        &default_actor,
                        Command::RescheduleAction {
                            nonconformity: nc_id,
                            action: id,
                            due: d,
                            reason: a
                                .reschedule_reason
                                .clone()
                                .unwrap_or_else(|| NOT_RECORDED.to_owned()),
                        },
                        "reschedule the corrective action",
                        a.due_location.clone(),
                    ));
                }
            } else if let (Some(cur), Some(d)) = (current, a.due)
                && !cur.status.is_finished()
                && cur.due != d
            {
                steps.push(step(
                    4,
                    None,
                    &default_actor,
                    Command::RescheduleAction {
                        nonconformity: nc_id,
                        action: id,
                        due: d,
                        reason: a
                            .reschedule_reason
                            .clone()
                            .unwrap_or_else(|| NOT_RECORDED.to_owned()),
                    },
                    "reschedule the corrective action",
                    a.due_location.clone(),
                ));
            }
            let cur_status = current.map_or(ActionStatus::Planned, |c| c.status);
            if cur_status == ActionStatus::Planned
                && (a.started.is_some() || a.status == ActionStatus::InProgress)
            {
                steps.push(step(
                    4,
                    a.started,
                    &default_actor,
                    Command::StartAction {
                        nonconformity: nc_id,
                        action: id,
                    },
                    "start the corrective action",
                    a.location.clone(),
                ));
            }
            if !cur_status.is_finished() {
                match a.status {
                    ActionStatus::Done => finishing.push(step(
                        6,
                        a.completed,
                        &default_actor,
                        Command::CompleteAction {
                            nonconformity: nc_id,
                            action: id,
                            evidence: a.evidence.clone(),
                        },
                        "complete the corrective action",
                        a.location.clone(),
                    )),
                    ActionStatus::Cancelled => finishing.push(step(
                        6,
                        a.cancelled,
                        &default_actor,
                        Command::CancelAction {
                            nonconformity: nc_id,
                            action: id,
                            reason: a
                                .cancel_reason
                                .clone()
                                .unwrap_or_else(|| NOT_RECORDED.to_owned()),
                        },
                        "cancel the corrective action",
                        a.location.clone(),
                    )),
                    _ => {}
                }
            }
        }
        steps.append(&mut finishing);

        // Verification.
        let has_plan = ex.is_some_and(|n| n.current_plan().is_some());
        let wants_verification = follow_up.is_some()
            || verifier.is_some()
            || v_date.is_some()
            || matches!(outcome, Some(Outcome::Effective | Outcome::Ineffective));
        let mut phrase_method: Option<String> = None;
        let mut schedule: Option<VerificationSchedule> =
            ex.and_then(|n| n.current_plan()).map(|p| p.schedule);
        let mut verifier_actor = ex
            .and_then(|n| n.current_plan())
            .map(|p| Actor::new(p.verifier.clone()));
        if wants_verification && !has_plan {
            let sched = match &follow_up {
                Some(s) => match parse_schedule(s, self.options.date_order, zone) {
                    Ok(x) => Some(x),
                    Err(k) => match crate::cells::follow_up_phrase(s) {
                        // A phrase ("Test restoration monthly") is anchored on
                        // the latest due or completion date of the actions.
                        Some(phrase) => match follow_up_anchor(&actions, ex, zone) {
                            Some(anchor) => {
                                phrase_method = phrase.method.clone();
                                let sched = phrase.schedule(anchor);
                                if sched.is_none() {
                                    fail(&mut problems, rd.loc_of(Column::FollowUp), k);
                                }
                                sched
                            }
                            None => {
                                gap(
                                    &mut problems,
                                    &mut gaps,
                                    ST_VERIFY,
                                    Column::Due,
                                    rd.loc_of(Column::FollowUp),
                                    "plan the verification",
                                    "a follow-up written in words is anchored on the latest due date of the corrective actions, and none has one",
                                );
                                None
                            }
                        },
                        None => {
                            fail(&mut problems, rd.loc_of(Column::FollowUp), k);
                            None
                        }
                    },
                },
                None => match v_date {
                    Some(d) => Some(VerificationSchedule::once(match d {
                        Stamp::Exact(t) => zone.date_of(t),
                        Stamp::Day(d) => d,
                    })),
                    None => {
                        gap(
                            &mut problems,
                            &mut gaps,
                            ST_VERIFY,
                            Column::FollowUp,
                            rd.loc_of(Column::FollowUp),
                            "plan the verification",
                            "a verification needs its follow-up schedule or its date",
                        );
                        None
                    }
                },
            };
            if verifier.is_none() {
                gap(
                    &mut problems,
                    &mut gaps,
                    ST_VERIFY,
                    Column::Verifier,
                    rd.loc_of(Column::Verifier),
                    "plan the verification",
                    "a verification of effectiveness needs its verifier",
                );
            }
            if let (Some(sched), Some(v)) = (sched, verifier.clone()) {
                steps.push(step(
                    5,
                    v_planned,
                    &default_actor,
                    Command::PlanVerification {
                        nonconformity: nc_id,
                        method: v_method
                            .clone()
                            .or_else(|| phrase_method.clone())
                            .unwrap_or_else(|| NOT_RECORDED.to_owned()),
                        criteria: v_criteria
                            .clone()
                            .unwrap_or_else(|| NOT_RECORDED.to_owned()),
                        schedule: sched,
                        verifier: v.clone(),
                    },
                    "plan the verification",
                    rd.loc_of(Column::Verifier),
                ));
                schedule = Some(sched);
                verifier_actor = Some(Actor::new(v));
            }
        }
        if let (Some(sched), Some(vact)) = (schedule, verifier_actor) {
            let dates = sched.check_dates().unwrap_or_default();
            let recorded = ex.map(|n| n.current_results().count() as u32).unwrap_or(0);
            let wanted = match outcome {
                Some(Outcome::Effective) => Some(checks.unwrap_or(dates.len() as u32)),
                Some(Outcome::Ineffective) => Some(checks.unwrap_or(recorded + 1).max(1)),
                Some(Outcome::Pending) | None => checks,
            };
            if let Some(wanted) = wanted {
                if wanted as usize > dates.len() {
                    fail(
                        &mut problems,
                        rd.loc_of(Column::ChecksRecorded),
                        ProblemKind::Inconsistent {
                            detail: format!(
                                "{wanted} checks recorded, but the follow-up schedule has {}",
                                dates.len()
                            ),
                        },
                    );
                } else if outcome == Some(Outcome::Effective) && (wanted as usize) < dates.len() {
                    fail(
                        &mut problems,
                        rd.loc_of(Column::VerificationResult),
                        ProblemKind::Inconsistent {
                            detail: format!(
                                "effective after {wanted} of {} scheduled checks; effectiveness is concluded when every check has passed",
                                dates.len()
                            ),
                        },
                    );
                } else {
                    for i in recorded..wanted {
                        let last = i + 1 == wanted;
                        let passed = !(last && outcome == Some(Outcome::Ineffective));
                        let (stamp, floating) = if last && v_date.is_some() {
                            (v_date, false)
                        } else {
                            (Some(Stamp::Exact(day_start(dates[i as usize], zone))), true)
                        };
                        let mut s = step(
                            7,
                            stamp,
                            &vact,
                            Command::RecordVerification {
                                nonconformity: nc_id,
                                check: i,
                                passed,
                                notes: None,
                                evidence: v_evidence.clone(),
                            },
                            "record the verification result",
                            rd.loc_of(Column::VerificationResult),
                        );
                        s.floating = floating;
                        steps.push(s);
                    }
                }
            }
        }
        if closed.is_some() && ex.is_none_or(|n| n.state != NcState::Closed) {
            steps.push(step(
                8,
                closed,
                &default_actor,
                Command::CloseNonconformity {
                    risk_acceptance: None,
                    nonconformity: nc_id,
                    isms_changes: Vec::new(),
                    notes: None,
                },
                "close the nonconformity",
                rd.loc_of(Column::Closed),
            ));
        }
        if (rejected.is_some() || rejection_reason.is_some())
            && ex.is_none_or(|n| n.state != NcState::Rejected)
        {
            let reason = match rejection_reason.as_deref().map(str::trim) {
                None => Some(RejectionReason::NotANonconformity),
                Some(r) => {
                    let lower = r.to_lowercase();
                    if crate::columns::normalise(&lower) == "notanonconformity" {
                        Some(RejectionReason::NotANonconformity)
                    } else if let Some(of) = lower.strip_prefix("duplicate of ") {
                        match self.resolve_nc(of) {
                            Some(of) => Some(RejectionReason::Duplicate { of }),
                            None => {
                                fail(
                                    &mut problems,
                                    rd.loc_of(Column::RejectionReason),
                                    ProblemKind::UnknownNonconformity {
                                        reference: of.trim().to_uppercase(),
                                    },
                                );
                                None
                            }
                        }
                    } else {
                        fail(
                            &mut problems,
                            rd.loc_of(Column::RejectionReason),
                            ProblemKind::UnknownWord {
                                what: "rejection reason",
                                value: r.to_owned(),
                                accepted: "not a nonconformity, duplicate of NC-0003".into(),
                            },
                        );
                        None
                    }
                }
            };
            match (reason, &rejection_explanation) {
                (Some(reason), Some(explanation)) => steps.push(step(
                    9,
                    rejected,
                    &default_actor,
                    Command::RejectNonconformity {
                        risk_acceptance: None,
                        nonconformity: nc_id,
                        reason,
                        explanation: explanation.clone(),
                    },
                    "reject the nonconformity",
                    rd.loc_of(Column::Rejected),
                )),
                (_, None) => gap(
                    &mut problems,
                    &mut gaps,
                    ST_NONE,
                    Column::RejectionExplanation,
                    rd.loc_of(Column::RejectionExplanation),
                    "reject the nonconformity",
                    "a rejection needs its explanation",
                ),
                _ => {}
            }
        }

        if migrate {
            self.migration_steps(
                &mut steps,
                &mut gaps,
                MigrationFacts {
                    ex,
                    severity,
                    has_containment: containment_given,
                    stated,
                    stated_word: stated_word.as_deref(),
                    rejection_given: rejected.is_some() || rejection_reason.is_some(),
                    nc_id,
                    status_location: rd.loc_of(Column::NcStatus),
                    root_cause_location: rd.loc_of(Column::RootCause),
                    containment_location: rd.loc_of(Column::Containment),
                    similar_location: rd.loc_of(Column::SimilarCheck),
                },
            );
        }
        if !problems.is_empty() {
            self.problems.append(&mut problems);
            return;
        }

        // Order the steps in time, keeping the lifecycle order for steps
        // without a time of their own and for equal times.
        let floor = ex.map_or(DateTime::<Utc>::MIN_UTC, |n| n.last_event_at);
        let mut last_key = floor;
        let mut last_finish = floor;
        steps.sort_by_key(|s| s.order);
        for s in &mut steps {
            let mut key = s.stamp.map_or(last_key, |x| x.key(zone)).max(floor);
            if s.order == 7 {
                key = key.max(last_finish);
            }
            if s.order == 6 {
                last_finish = last_finish.max(key);
            }
            s.key = key;
            last_key = key;
        }
        // Nothing may come before the report.
        if let Some(report_key) = steps.iter().find(|s| s.order == 0).map(|s| s.key) {
            for s in &mut steps {
                s.key = s.key.max(report_key);
            }
        }
        steps.sort_by_key(|s| s.key);

        let mut cursor = floor;
        let mut events: Vec<Event> = Vec::new();
        let mut commands = Vec::with_capacity(steps.len());
        let version_before = self
            .register
            .stream_version(isms_core::StreamId::Nonconformity(nc_id));
        for s in steps {
            let at = match (s.stamp, s.floating) {
                (Some(Stamp::Exact(t)), false) => t,
                (Some(Stamp::Exact(t)), true) => t.max(cursor),
                (Some(Stamp::Day(d)), _) => {
                    if zone.date_of(cursor) == d {
                        cursor
                    } else {
                        day_start(d, zone)
                    }
                }
                (None, _) => cursor.max(s.key),
            };
            let step = replay::Step {
                at,
                actor: s.actor,
                command: s.command,
                origin: s.location,
            };
            match self.replayer.step(&mut self.register, &step) {
                Ok(d) => {
                    events.extend(d.events);
                    commands.push(replay::command_name(&step.command));
                    cursor = cursor.max(at);
                }
                Err(e) => {
                    let kind = match e {
                        ReplayError::Refused { source, .. } => ProblemKind::Refused {
                            step: s.what,
                            error: source,
                        },
                        ReplayError::Checked { problem, .. } => ProblemKind::Checked {
                            step: s.what,
                            problem,
                        },
                        other => ProblemKind::Checked {
                            step: s.what,
                            problem: other.to_string(),
                        },
                    };
                    self.problems.push(Problem {
                        location: step.origin,
                        kind,
                    });
                    return;
                }
            }
        }
        let Some(nc) = self.register.nonconformity(nc_id) else {
            return;
        };
        // A row that changes nothing (an older export of an item that moved
        // on since) is not checked against the current state.
        let mut not_recorded: Vec<NotRecorded> = gaps.into_iter().map(|(_, n)| n).collect();
        if migrate {
            if let Some(stated) = stated
                && stated != nc.state
            {
                not_recorded.push(NotRecorded {
                    location: rd.loc_of(Column::NcStatus),
                    step: "reach the stated status",
                    column: Column::NcStatus,
                    why: format!(
                        "the file says {}, the data recorded takes it to {}",
                        NC_STATE.word(stated),
                        NC_STATE.word(nc.state)
                    ),
                });
            }
        } else if let Some(stated) = stated
            && stated != nc.state
            && !commands.is_empty()
        {
            let hint = match stated {
                NcState::Closed if nc.state != NcState::Effective => "; closure needs every action done or cancelled and a passing verification (Verification result, Verification date, Verifier)".to_owned(),
                _ => String::new(),
            };
            self.problems.push(Problem {
                location: rd.loc_of(Column::NcStatus),
                kind: ProblemKind::StatusMismatch {
                    stated: NC_STATE.word(stated).to_owned(),
                    reached: NC_STATE.word(nc.state).to_owned(),
                    hint,
                },
            });
            return;
        }
        if ex.is_none()
            && let Some(r) = g.ncref
            && r != nc.reference
        {
            self.notes.push(format!(
                "{} in the file becomes {} (references are numbered by the register)",
                r, nc.reference
            ));
        }
        self.ids.insert(g.key.clone(), nc_id);
        let reference = nc.reference;
        if !events.is_empty() {
            self.appends.push(StreamAppend {
                stream: isms_core::StreamId::Nonconformity(nc_id),
                expected: ExpectedVersion::from_version(version_before),
                events,
            });
        }
        self.items.push(PlannedItem {
            file_reference: g.key.clone(),
            reference,
            created: ex.is_none(),
            commands,
            location: first_loc,
            not_recorded,
            assumed: std::mem::take(&mut rd.assumed),
        });
    }
}

/// The pieces of evidence in a cell, separated by `;` or line breaks: text
/// of a file record's shape is that file record
/// ([`EvidenceRef::from_summary`]), anything else a document reference.
fn evidence_of(cell: &str) -> Vec<EvidenceRef> {
    cell.split([';', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(EvidenceRef::from_summary)
        .collect()
}

impl Importer<'_, '_, '_, '_> {
    /// The group's corrective actions, one per action row, or one per line
    /// of its action cell with [`ImportOptions::action_lines`], each
    /// completed from the companion file's row of the same text; problems
    /// and assumptions go to `rd`.
    fn read_actions(
        &mut self,
        tables: &[Table],
        layouts: &[Layout],
        g: &Group,
        ex: Option<&Nonconformity>,
        rd: &mut Reader<'_>,
    ) -> Vec<ActionRow> {
        let zone = self.options.policy.time_zone;
        let mut actions = Vec::new();
        for &r in &g.actions {
            let mut ar = Reader {
                tables,
                layouts,
                rows: std::slice::from_ref(&r),
                order: self.options.date_order,
                zone: self.options.policy.time_zone,
                problems: Problems::default(),
                vocab: &self.options.vocabularies,
                assumed: Vec::new(),
                skip: None,
            };
            let aref = ar.text(Column::ActionRef);
            if let Some(a) = ar.number(Column::Attempt)
                && a > 1
            {
                ar.fail(
                        Column::Attempt,
                        ProblemKind::Inconsistent {
                            detail: format!(
                                "the action answers root-cause analysis attempt {a}; a spreadsheet cannot rebuild the history of repeated analyses, so only attempt 1 can be imported (move such registers with the register document instead)"
                            ),
                        },
                    );
            }
            let completed = ar.stamp(Column::Completed);
            let cancelled = ar.stamp(Column::Cancelled);
            let row_started = ar.stamp(Column::Started);
            let row_status = ar.word(Column::ActionStatus, &ACTION_STATUS);
            let description = ar.text(Column::Action);
            let row_owner = ar.actor(Column::ActionOwner);
            let planned = ar.stamp(Column::ActionPlanned);
            let original_due = ar.date(Column::OriginalDue);
            let row_due = ar.date(Column::Due);
            let reschedule_reason = ar.text(Column::RescheduleReason);
            let row_evidence = ar
                .text(Column::Evidence)
                .map(|s| evidence_of(&s))
                .unwrap_or_default();
            let cancel_reason = ar.text(Column::CancelReason);
            let location = ar.loc(r, layouts[r.table].pos(Column::Action));
            let due_location = ar.loc(
                r,
                layouts[r.table]
                    .pos(Column::OriginalDue)
                    .filter(|_| original_due.is_some())
                    .or(layouts[r.table].pos(Column::Due)),
            );
            // One action per line when the preset says so, each with the
            // status in its trailing brackets.
            let lines: Vec<(Option<String>, Option<String>)> = match &description {
                Some(d) if self.options.action_lines => crate::cells::action_lines(d)
                    .into_iter()
                    .map(|(t, st)| (Some(t.to_owned()), st.map(str::to_owned)))
                    .collect(),
                _ => vec![(description.clone(), None)],
            };
            let single = lines.len() == 1;
            for (text, bracket) in lines {
                // The companion file's row for this action, if any: it
                // gives what the line does not (owner, due date, status...).
                let companion: Option<RowRef> = text.as_deref().and_then(|t| {
                    self.companion_rows
                        .get(&crate::columns::normalise(t))
                        .copied()
                });
                let companion_rows: Vec<RowRef> = companion.into_iter().collect();
                let mut cr = Reader {
                    tables,
                    layouts,
                    rows: &companion_rows,
                    order: self.options.date_order,
                    zone: self.options.policy.time_zone,
                    problems: Problems::default(),
                    vocab: &self.options.vocabularies,
                    assumed: Vec::new(),
                    skip: None,
                };
                let (c_owner, c_due, c_status, c_started, c_evidence) = if companion.is_some() {
                    (
                        cr.actor(Column::ActionOwner),
                        cr.date(Column::Due),
                        cr.word(Column::ActionStatus, &ACTION_STATUS),
                        cr.stamp(Column::Started),
                        cr.text(Column::Evidence).map(|s| evidence_of(&s)),
                    )
                } else {
                    (None, None, None, None, None)
                };
                ar.problems.append(&mut cr.problems);
                ar.assumed.append(&mut cr.assumed);
                let bracket_status = bracket.as_deref().and_then(|b| {
                    ar.word_in(Column::ActionStatus, Column::Action, &ACTION_STATUS, b)
                });
                let started = row_started.or(c_started);
                let status =
                    bracket_status
                        .or(c_status)
                        .or(row_status)
                        .unwrap_or(if completed.is_some() {
                            ActionStatus::Done
                        } else if cancelled.is_some() {
                            ActionStatus::Cancelled
                        } else if started.is_some() {
                            ActionStatus::InProgress
                        } else {
                            ActionStatus::Planned
                        });
                if completed.is_some() && status != ActionStatus::Done {
                    ar.fail(
                        Column::Completed,
                        ProblemKind::Inconsistent {
                            detail: format!(
                                "a completion date is given but the status is {}",
                                ACTION_STATUS.word(status)
                            ),
                        },
                    );
                }
                // An action of the register is this one when the file names
                // its reference, or, without one, when its text is the same.
                let existing_action = match (&aref, single) {
                    (Some(s), true) => s
                        .parse::<isms_core::ActionRef>()
                        .ok()
                        .and_then(|r| ex?.action_by_ref(r).map(|a| a.id)),
                    _ => text.as_deref().and_then(|t| {
                        ex?.actions
                            .iter()
                            .find(|a| a.description.trim() == t.trim())
                            .map(|a| a.id)
                    }),
                };
                let entropy = self.next_entropy();
                actions.push(ActionRow {
                    existing: existing_action,
                    id: ActionId::v7_from_parts(
                        planned.map_or(0, |s| s.key(zone).timestamp_millis().max(0) as u64),
                        entropy,
                    ),
                    description: text,
                    owner: c_owner.or_else(|| row_owner.clone()),
                    planned,
                    original_due,
                    due: c_due.or(row_due),
                    reschedule_reason: reschedule_reason.clone(),
                    status,
                    started,
                    completed,
                    evidence: c_evidence.unwrap_or_else(|| row_evidence.clone()),
                    cancelled,
                    cancel_reason: cancel_reason.clone(),
                    location: location.clone(),
                    due_location: due_location.clone(),
                });
            }
            rd.problems.append(&mut ar.problems);
            rd.assumed.append(&mut ar.assumed);
        }
        actions
    }
}

/// Lifecycle stages a migration cuts at: a gap at one stage leaves that
/// stage and every later one unrecorded.
const ST_ANALYSIS: u8 = 2;
const ST_ACTIONS: u8 = 3;
const ST_VERIFY: u8 = 5;
/// A gap that leaves only its own step out (a rejection without its
/// explanation), and the stage of steps no gap cuts.
const ST_NONE: u8 = 9;

/// The lifecycle stage of a step's `order`.
fn stage_of(order: u8) -> u8 {
    match order {
        0 | 1 => 0,
        2 => 1,
        3 => ST_ANALYSIS,
        4 => ST_ACTIONS,
        6 => 4,
        5 | 7 => ST_VERIFY,
        8 => 6,
        _ => ST_NONE,
    }
}

/// What [`Importer::migration_steps`] needs to know of a group.
struct MigrationFacts<'a> {
    ex: Option<&'a Nonconformity>,
    severity: Option<isms_core::Severity>,
    has_containment: bool,
    stated: Option<NcState>,
    stated_word: Option<&'a str>,
    rejection_given: bool,
    nc_id: NonconformityId,
    status_location: Location,
    root_cause_location: Location,
    containment_location: Location,
    similar_location: Location,
}

/// The date a follow-up written in words is anchored on: the latest due
/// date or completion date of the item's corrective actions (those of the
/// file and those already recorded), so that the checks start no earlier
/// than the actions could be finished.
fn follow_up_anchor(
    actions: &[ActionRow],
    ex: Option<&Nonconformity>,
    zone: IanaTimeZone,
) -> Option<chrono::NaiveDate> {
    let day = |s: Stamp| match s {
        Stamp::Exact(t) => zone.date_of(t),
        Stamp::Day(d) => d,
    };
    let from_file = actions.iter().flat_map(|a| {
        [a.due.or(a.original_due), a.completed.map(day)]
            .into_iter()
            .flatten()
    });
    let recorded = ex.into_iter().flat_map(|n| {
        n.actions.iter().flat_map(|a| {
            [Some(a.due), a.completed_at.map(|t| zone.date_of(t))]
                .into_iter()
                .flatten()
        })
    });
    from_file.chain(recorded).max()
}

impl Importer<'_, '_, '_, '_> {
    /// When migrating: the steps a stated status implies (a rejection),
    /// the gaps only the rules would find (a containment the policy
    /// requires first, actions without an analysis), and the cut: every
    /// step from the earliest gap's stage on is left out and reported.
    fn migration_steps(
        &mut self,
        steps: &mut Vec<Step>,
        gaps: &mut Vec<(u8, NotRecorded)>,
        f: MigrationFacts<'_>,
    ) {
        let ex = f.ex;
        if f.stated == Some(NcState::Rejected)
            && !f.rejection_given
            && ex.is_none_or(|n| n.state != NcState::Rejected)
        {
            steps.push(Step {
                order: 9,
                key: DateTime::<Utc>::MIN_UTC,
                stamp: None,
                floating: false,
                actor: self.options.actor.clone(),
                command: Command::RejectNonconformity {
                    risk_acceptance: None,
                    nonconformity: f.nc_id,
                    reason: RejectionReason::NotANonconformity,
                    explanation: format!(
                        "rejected in the imported file (status {:?}), which gives no explanation",
                        f.stated_word.unwrap_or("rejected")
                    ),
                },
                what: "reject the nonconformity",
                location: f.status_location.clone(),
            });
        }
        let severity = f.severity.or(ex.map(|n| n.severity));
        let analysis_planned = steps.iter().any(|s| s.order == 3);
        if let Some(sev) = severity
            && self.options.policy.containment_required_for.contains(&sev)
            && !f.has_containment
            && ex.is_none_or(|n| n.corrections.is_empty())
            && analysis_planned
        {
            gaps.push((
                ST_ANALYSIS,
                NotRecorded {
                    location: f.containment_location,
                    step: "record the root-cause analysis",
                    column: Column::Containment,
                    why: format!(
                        "the policy requires the containment of a {} nonconformity before its root-cause analysis",
                        SEVERITY.word(sev)
                    ),
                },
            ));
        }
        let similar_missing = steps.iter().any(|s| {
            matches!(&s.command, Command::AnalyseRootCause { similar, similar_notes, .. }
                if similar.is_empty() && similar_notes.is_none())
        });
        if similar_missing && self.options.policy.similar_check_required {
            gaps.push((
                ST_ANALYSIS,
                NotRecorded {
                    location: f.similar_location,
                    step: "record the root-cause analysis",
                    column: Column::SimilarCheck,
                    why: "the policy requires the check for similar nonconformities (10.2 b) with the analysis"
                        .to_owned(),
                },
            ));
        }
        // Evidence the policy requires for a completion or a passed check.
        if let Some(sev) = severity {
            let policy = &self.options.policy;
            let missing = |s: &Step| match &s.command {
                Command::CompleteAction { evidence, .. } => {
                    evidence.is_empty() && policy.evidence_required_for_completion.contains(&sev)
                }
                Command::RecordVerification {
                    passed: true,
                    evidence,
                    ..
                } => {
                    evidence.is_empty() && policy.evidence_required_for_verification.contains(&sev)
                }
                _ => false,
            };
            if let Some(s) = steps.iter().filter(|s| missing(s)).min_by_key(|s| s.order) {
                let (stage, column) = if s.order == 6 {
                    (4, Column::Evidence)
                } else {
                    (ST_VERIFY, Column::VerificationEvidence)
                };
                gaps.push((
                    stage,
                    NotRecorded {
                        location: s.location.clone(),
                        step: s.what,
                        column,
                        why: format!(
                            "the policy requires evidence for this step of a {} nonconformity",
                            SEVERITY.word(sev)
                        ),
                    },
                ));
            }
        }
        let plans_actions = steps
            .iter()
            .any(|s| matches!(s.command, Command::PlanAction { .. }));
        if plans_actions
            && !analysis_planned
            && ex.is_none_or(|n| n.analyses.is_empty())
            && !gaps.iter().any(|(st, _)| *st <= ST_ACTIONS)
        {
            gaps.push((
                ST_ACTIONS,
                NotRecorded {
                    location: f.root_cause_location,
                    step: "plan the corrective actions",
                    column: Column::RootCause,
                    why: "corrective actions follow a root-cause analysis, and the row has no root cause"
                        .to_owned(),
                },
            ));
        }
        let Some((cut, first)) = gaps
            .iter()
            .filter(|(st, _)| *st < ST_NONE)
            .min_by_key(|(st, _)| *st)
            .map(|(st, n)| (*st, n.clone()))
        else {
            return;
        };
        let mut kept = Vec::with_capacity(steps.len());
        for s in steps.drain(..) {
            if stage_of(s.order) < cut {
                kept.push(s);
            } else if s.what == first.step
                || gaps
                    .iter()
                    .any(|(_, g)| g.step == s.what && g.location == s.location)
            {
                // Already reported, with its own reason.
            } else {
                gaps.push((
                    ST_NONE,
                    NotRecorded {
                        location: s.location,
                        step: s.what,
                        column: first.column,
                        why: format!("it follows `{}`, which was not recorded", first.step),
                    },
                ));
            }
        }
        *steps = kept;
    }
}
