//! Presets: what a known exporting tool's files need to import, as data.
//! A preset is a TOML file (format in `docs/spreadsheets.md`): the header
//! map, fixed values, fallback columns, the sheet, the words of each
//! vocabulary, the cell rules, and an optional companion file read beside
//! the main one. The shipped ones are compiled in ([`Preset::shipped`]); a
//! user's is read the same way ([`Preset::parse`]). A preset becomes the
//! [`MappingFile`]s and [`ImportOptions`] of the one import mechanism.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use crate::columns::{Column, FixedOrigin, FixedValue, MappingFile, normalise};
use crate::error::{FileError, ProblemKind};
use crate::import::ImportOptions;
use crate::words::{ACTION_STATUS, CATEGORY, METHOD, NC_STATE, OUTCOME, SEVERITY, SOURCE};

/// The presets shipped inside the library: name and TOML text.
pub const SHIPPED_PRESETS: &[(&str, &str)] = &[
    (
        "ciso-assistant",
        include_str!("../presets/ciso-assistant.toml"),
    ),
    (
        "seed-register",
        include_str!("../presets/seed-register.toml"),
    ),
];

/// What a word of a vocabulary column means under a preset (a `[vocabulary]`
/// entry): one of the register's words, an assumption reported per row, or
/// "this row is not imported" with the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WordRule {
    /// The register's word (`critical = "major"`).
    Means(String),
    /// The register's word, assumed for a word that says nothing
    /// (`undefined = "assume minor"`): imported, and reported per row.
    Assume(String),
    /// The row is not imported; the reason is reported per row
    /// (`info = "skip: an observation, not a nonconformity; ..."`).
    Skip(String),
}

/// The words a preset adds to the vocabulary columns (severity, source,
/// statuses, root-cause category, analysis method, verification result),
/// read before the register's own words.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vocabularies {
    rules: HashMap<(Column, String), WordRule>,
}

impl Vocabularies {
    /// No added words.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `word` for `column` with the rule written as in a preset
    /// (`major`, `assume minor`, `skip: why`). Later entries replace
    /// earlier ones for the same word (a user's over a preset's).
    ///
    /// # Errors
    /// What is wrong, in words: a column without a vocabulary, or a
    /// meaning that is not one of the column's words.
    pub fn insert(&mut self, column: Column, word: &str, rule: &str) -> Result<(), String> {
        let rule = rule.trim();
        let parsed = if let Some(reason) = rule.strip_prefix("skip:") {
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(format!(
                    "{word:?} = {rule:?}: give the reason after `skip:`"
                ));
            }
            WordRule::Skip(reason.to_owned())
        } else if let Some(w) = rule.strip_prefix("assume ") {
            check_word(column, w.trim()).map_err(|e| format!("{word:?} = {rule:?}: {e}"))?;
            WordRule::Assume(w.trim().to_owned())
        } else {
            check_word(column, rule).map_err(|e| format!("{word:?} = {rule:?}: {e}"))?;
            WordRule::Means(rule.to_owned())
        };
        if normalise(word).is_empty() && word.trim().is_empty() {
            return Err("an empty word".into());
        }
        self.rules.insert((column, key(word)), parsed);
        Ok(())
    }

    /// The rule for `text` in `column`, if the preset has one.
    pub fn rule(&self, column: Column, text: &str) -> Option<&WordRule> {
        if self.rules.is_empty() {
            return None;
        }
        self.rules.get(&(column, key(text)))
    }

    /// Every entry, sorted, for documentation.
    pub fn entries(&self) -> Vec<(Column, String, WordRule)> {
        let mut v: Vec<_> = self
            .rules
            .iter()
            .map(|((c, w), r)| (*c, w.clone(), r.clone()))
            .collect();
        v.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        v
    }
}

/// Words are compared as headers are (case, spaces and punctuation
/// ignored), except a word of punctuation only (`--`), kept as written.
fn key(word: &str) -> String {
    let n = normalise(word);
    if n.is_empty() {
        word.trim().to_owned()
    } else {
        n
    }
}

/// Whether `word` is one of `column`'s own words.
fn check_word(column: Column, word: &str) -> Result<(), ProblemKind> {
    match column {
        Column::Source => SOURCE.parse(word).map(drop),
        Column::Severity => SEVERITY.parse(word).map(drop),
        Column::NcStatus => NC_STATE.parse(word).map(drop),
        Column::AnalysisMethod => METHOD.parse(word).map(drop),
        Column::RootCauseCategory => CATEGORY.parse(word).map(drop),
        Column::VerificationResult => OUTCOME.parse(word).map(drop),
        Column::ActionStatus => ACTION_STATUS.parse(word).map(drop),
        other => Err(ProblemKind::BadValue {
            value: other.key().to_owned(),
            detail: "this column has no vocabulary; vocabularies are for source, severity, \
                     nc_status, analysis_method, root_cause_category, verification_result and status"
                .into(),
        }),
    }
}

/// The companion file a preset reads beside the main one (`--with FILE`):
/// its rows describe the actions the main file's action cells name, matched
/// by the action's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Companion {
    /// What the file is, in words.
    pub title: String,
    /// Where its layout comes from (the exporting code).
    pub origin: String,
    /// Its header map: only the headers listed are read.
    pub mapping: MappingFile,
}

/// A preset: a known exporting tool's layout and words, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preset {
    /// Its name (`ciso-assistant`).
    pub name: String,
    /// What it reads, in words.
    pub title: String,
    /// Where the layout comes from (the exporting code, file and function).
    pub origin: String,
    /// The main file's header map, fixed values, fallbacks and sheet.
    pub mapping: MappingFile,
    /// The added vocabulary words.
    pub vocabularies: Vocabularies,
    /// An action cell holds one action per line, each with an optional
    /// trailing `[status]`.
    pub action_lines: bool,
    /// The companion file, if the tool exports one.
    pub companion: Option<Companion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PresetToml {
    name: String,
    title: String,
    origin: String,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    strip_formula_quote: bool,
    #[serde(default)]
    action_lines: bool,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    fallback: BTreeMap<String, String>,
    #[serde(default)]
    fixed: BTreeMap<String, String>,
    #[serde(default)]
    vocabulary: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    with: Option<CompanionToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompanionToml {
    title: String,
    origin: String,
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    strip_formula_quote: bool,
    columns: BTreeMap<String, String>,
}

impl Preset {
    /// The shipped preset called `name`, if there is one.
    pub fn shipped(name: &str) -> Option<Preset> {
        let (n, text) = SHIPPED_PRESETS.iter().find(|(n, _)| *n == name)?;
        // The shipped presets are checked by the tests; a failure here
        // would be a build defect, reported as no preset.
        Preset::parse(&format!("(shipped preset {n})"), text).ok()
    }

    /// Reads a preset in the TOML format; `file` names it in messages.
    ///
    /// # Errors
    /// [`FileError::BadPreset`] saying what is wrong and where.
    pub fn parse(file: &str, text: &str) -> Result<Preset, FileError> {
        let bad = |problem: String| FileError::BadPreset {
            file: file.to_owned(),
            problem,
        };
        if text.len() as u64 > crate::limits::MAX_MAPPING_FILE_BYTES {
            return Err(bad(format!(
                "{} bytes; a preset may have at most {}",
                text.len(),
                crate::limits::MAX_MAPPING_FILE_BYTES
            )));
        }
        let t: PresetToml = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut mapping = header_map(&t.columns).map_err(&bad)?;
        for (column, header) in &t.fallback {
            let c = column_named(column).map_err(|e| bad(format!("[fallback] {e}")))?;
            mapping = mapping.with_fallback(c, header);
        }
        for (column, value) in &t.fixed {
            let c = column_named(column).map_err(|e| bad(format!("[fixed] {e}")))?;
            mapping.push_fixed(FixedValue {
                column: c,
                value: value.trim().to_owned(),
                origin: FixedOrigin::MappingFile {
                    file: format!("preset {}", t.name),
                    line: 0,
                },
            });
        }
        if let Some(s) = &t.sheet {
            mapping = mapping.with_sheet(s);
        }
        if t.strip_formula_quote {
            mapping = mapping.stripping_formula_quote();
        }
        let mut vocabularies = Vocabularies::new();
        for (column, words) in &t.vocabulary {
            let c = column_named(column).map_err(|e| bad(format!("[vocabulary.{column}] {e}")))?;
            for (word, rule) in words {
                vocabularies
                    .insert(c, word, rule)
                    .map_err(|e| bad(format!("[vocabulary.{column}] {e}")))?;
            }
        }
        let companion = match t.with {
            None => None,
            Some(w) => {
                let mut m = header_map(&w.columns)
                    .map_err(|e| bad(format!("[with.columns] {e}")))?
                    .only_listed();
                if let Some(s) = &w.sheet {
                    m = m.with_sheet(s);
                }
                if w.strip_formula_quote {
                    m = m.stripping_formula_quote();
                }
                if !m.maps(Column::Action) {
                    return Err(bad(
                        "[with.columns] must map a header to `action`: the companion's rows are \
                         matched to the main file's actions by that text"
                            .into(),
                    ));
                }
                Some(Companion {
                    title: w.title,
                    origin: w.origin,
                    mapping: m,
                })
            }
        };
        Ok(Preset {
            name: t.name,
            title: t.title,
            origin: t.origin,
            mapping,
            vocabularies,
            action_lines: t.action_lines,
            companion,
        })
    }

    /// Sets `options` up for this preset: the main files read with its
    /// mapping (a user's `mapping` given with it adds to it and wins), the
    /// companion files (input positions `companions`) with the companion's,
    /// its words, its cell rules, and the import into the furthest step each
    /// row supports ([`ImportOptions::migrate`]).
    pub fn apply(&self, options: &mut ImportOptions, inputs: usize, companions: &[usize]) {
        let user = std::mem::take(&mut options.mapping);
        let main = self.mapping.clone().merged(&user);
        let user_per_input = std::mem::take(&mut options.input_mappings);
        options.input_mappings = (0..inputs)
            .map(|i| {
                let base = if companions.contains(&i) {
                    self.companion
                        .as_ref()
                        .map_or_else(MappingFile::new, |c| c.mapping.clone())
                } else {
                    main.clone()
                };
                Some(match user_per_input.get(i).and_then(Option::as_ref) {
                    Some(u) => base.merged(u),
                    None => base,
                })
            })
            .collect();
        options.mapping = main;
        options.companions = companions.to_vec();
        let mut vocabularies = self.vocabularies.clone();
        for (c, w, r) in options.vocabularies.entries() {
            vocabularies.rules.insert((c, w), r);
        }
        options.vocabularies = vocabularies;
        options.action_lines |= self.action_lines;
        options.migrate = true;
    }
}

fn column_named(name: &str) -> Result<Column, String> {
    Column::from_name(name).ok_or_else(|| format!("unknown column {name:?}"))
}

fn header_map(columns: &BTreeMap<String, String>) -> Result<MappingFile, String> {
    let mut m = MappingFile::new();
    for (header, column) in columns {
        let target = if column.eq_ignore_ascii_case("ignore") {
            None
        } else {
            Some(column_named(column).map_err(|e| format!("{header:?} = {e}"))?)
        };
        m = m.with(header, target);
    }
    m.mark_preset();
    Ok(m)
}
