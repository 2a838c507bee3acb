//! The dispatch point for exchange formats: every `--format` value of
//! `isms export` and every file type `isms import` recognises is one
//! variant here, so adding CSV, XLSX or OSCAL is a variant and two match
//! arms, not a change to the commands.

use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use clap::ValueEnum;
use isms_core::replay::{self, Replayer, Step};
use isms_core::{Command, Event, Policy, Register};
use isms_schema::{Provenance, RegisterDocument};

use crate::error::CliError;

/// The most bytes `isms import` reads of a register document or an OSCAL
/// POA&M: 64 MiB, the limit of [`isms_oscal::MAX_POAM_BYTES`] and of a
/// spreadsheet ([`isms_io::MAX_FILE_BYTES`]). Parsed, checked and replayed,
/// a document takes about nine times its size in memory, so the cap keeps an
/// import under 1 GB; the register document of 5,000 nonconformities with
/// their whole history is 56 MB.
pub const MAX_DOCUMENT_BYTES: u64 = isms_oscal::MAX_POAM_BYTES;

/// What `isms export` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The register document of the schema bundle (`register.json`).
    Json,
    /// Two CSV files: `STEM-nonconformities.csv` and `STEM-actions.csv`.
    Csv,
    /// One XLSX workbook with a nonconformities and an actions sheet.
    Xlsx,
    /// An OSCAL plan-of-action-and-milestones (one poam-item per
    /// nonconformity).
    OscalPoam,
}

/// What `isms catalog export` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CatalogExportFormat {
    /// An OSCAL mapping-collection of the crosswalks.
    OscalMapping,
    /// One framework as an OSCAL catalog (needs --framework).
    OscalCatalog,
}

/// What `isms import` can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// The register document.
    Json,
    /// A spreadsheet (CSV or XLSX), read by `isms-io`.
    Spreadsheet,
    /// An OSCAL plan-of-action-and-milestones (JSON).
    OscalPoam,
}

/// A document read by `isms import`: the events to store, the register they
/// fold to, and what the import did not take over as it stands (one line
/// each, with its JSON path).
#[derive(Debug)]
pub struct Loaded {
    /// The events, in order.
    pub events: Vec<Event>,
    /// Their fold.
    pub register: Register,
    /// What was skipped, defaulted or dropped.
    pub notes: Vec<String>,
    /// Where the document says it came from, if it says.
    pub provenance: Option<Provenance>,
}

impl ImportFormat {
    /// The format of a file, from its content first, then its name.
    pub fn detect(path: &Path, bytes: &[u8]) -> Result<Self, CliError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') {
            // Both are JSON: the POA&M root tells them apart.
            let poam = serde_json::from_slice::<serde_json::Value>(bytes)
                .is_ok_and(|v| isms_oscal::is_poam(&v));
            return Ok(if poam {
                ImportFormat::OscalPoam
            } else {
                ImportFormat::Json
            });
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Ok(ImportFormat::Json),
            Some("csv" | "xlsx" | "txt" | "tsv") => Ok(ImportFormat::Spreadsheet),
            _ if bytes.starts_with(b"PK\x03\x04") => Ok(ImportFormat::Spreadsheet),
            _ => Err(CliError::Usage(format!(
                "{}: not a format isms can import (expected a register document, JSON, or a .csv/.xlsx spreadsheet)",
                path.display()
            ))),
        }
    }
}

/// Writes the register's events in `format`: the files to write, each with
/// the suffix to put before the extension of `--out` (CSV is three: the
/// nonconformities, the actions and the provenance). Every format carries
/// `provenance`: the register document as its `provenance`, CSV as a third
/// file, XLSX as a third sheet, OSCAL as metadata props.
pub fn export_files(
    format: ExportFormat,
    events: Vec<Event>,
    at: chrono::DateTime<chrono::Utc>,
    provenance: &Provenance,
) -> Result<Vec<(&'static str, Vec<u8>)>, CliError> {
    let spreadsheet = |e: isms_io::FileError| CliError::Other(e.to_string());
    let register = || Register::from_events(events.iter());
    let fields = provenance.to_fields();
    match format {
        ExportFormat::Json => {
            let document = RegisterDocument::from_events(events)
                .map_err(|e| CliError::Other(format!("the stored log is not exportable: {e}")))?
                .with_generated_at(at)
                .with_provenance(provenance.clone());
            let mut out = serde_json::to_vec_pretty(&document)
                .map_err(|e| CliError::Other(format!("cannot serialise the register: {e}")))?;
            out.push(b'\n');
            Ok(vec![("", out)])
        }
        ExportFormat::Csv => {
            let csv = isms_io::export_csv_with(&register(), &fields).map_err(spreadsheet)?;
            let mut files = vec![
                ("-nonconformities", csv.nonconformities),
                ("-actions", csv.actions),
            ];
            files.extend(csv.provenance.map(|p| ("-provenance", p)));
            Ok(files)
        }
        ExportFormat::Xlsx => Ok(vec![(
            "",
            isms_io::export_xlsx_with(&register(), &fields).map_err(spreadsheet)?,
        )]),
        ExportFormat::OscalPoam => {
            let register = Register::from_events(&events);
            let options = isms_oscal::PoamOptions {
                provenance: fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
                ..isms_oscal::PoamOptions::default()
            };
            let document = isms_oscal::export_poam(&register, &options)
                .map_err(|e| CliError::Other(format!("cannot export an OSCAL POA&M: {e}")))?;
            Ok(vec![("", to_json(&document)?)])
        }
    }
}

/// Writes the shipped catalogue in `format`: every crosswalk touching
/// `framework` (all without it), or the framework itself.
pub fn export_catalog(
    format: CatalogExportFormat,
    framework: Option<&str>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, CliError> {
    let catalog = isms_catalog::Catalog::shipped();
    if let Some(f) = framework {
        catalog.framework(f).map_err(CliError::Catalog)?;
    }
    let document = match format {
        CatalogExportFormat::OscalMapping => {
            let mut options = isms_oscal::MappingOptions::new(catalog, at);
            if let Some(f) = framework {
                options.crosswalks = Some(
                    catalog
                        .crosswalks()
                        .iter()
                        .filter(|c| {
                            c.mappings.iter().any(|m| {
                                m.source.framework.to_string() == f
                                    || m.target.framework.to_string() == f
                            })
                        })
                        .map(|c| c.id.clone())
                        .collect(),
                );
            }
            isms_oscal::export_mapping_collection(&options)
        }
        CatalogExportFormat::OscalCatalog => {
            let f = framework.ok_or_else(|| {
                CliError::Usage("--format oscal-catalog needs --framework".into())
            })?;
            let options = isms_oscal::CatalogOptions {
                last_modified: at,
                version: None,
            };
            isms_oscal::export_catalog(catalog, f, &options)
        }
    }
    .map_err(|e| CliError::Other(format!("cannot export OSCAL: {e}")))?;
    to_json(&document)
}

fn to_json(document: &serde_json::Value) -> Result<Vec<u8>, CliError> {
    let mut out = serde_json::to_vec_pretty(document)
        .map_err(|e| CliError::Other(format!("cannot serialise the document: {e}")))?;
    out.push(b'\n');
    Ok(out)
}

/// Reads a document in `format`: the events to store and the register they
/// fold to, or every problem found (each with its JSON path).
pub fn import(
    format: ImportFormat,
    path: &Path,
    bytes: &[u8],
    policy: &Policy,
    catalog: &isms_catalog::Catalog,
) -> Result<Loaded, CliError> {
    let invalid = |problems: Vec<String>| CliError::InvalidInput {
        file: path.to_owned(),
        problems,
    };
    match format {
        ImportFormat::Json => {
            let value: serde_json::Value = serde_json::from_slice(bytes)
                .map_err(|e| invalid(vec![format!("(document): not JSON: {e}")]))?;
            // Every schema violation first, each with its path; then the
            // checks the schema cannot express (the log and the fold).
            let validator = isms_schema::DocumentValidator::new(
                isms_schema::DocumentKind::Register,
                isms_schema::Direction::Input,
            )
            .map_err(|e| CliError::Other(e.to_string()))?;
            if let Err(e) = validator.validate(&value) {
                return Err(match e {
                    isms_schema::ValidationError::Invalid { violations, .. } => {
                        invalid(violations.iter().map(ToString::to_string).collect())
                    }
                    other => CliError::Other(other.to_string()),
                });
            }
            let document: RegisterDocument = serde_json::from_value(value)
                .map_err(|e| invalid(vec![format!("(document): {e}")]))?;
            // The claimed state must be the fold of the log...
            document
                .to_register()
                .map_err(|e| invalid(vec![e.to_string()]))?;
            // ...and the log must follow from commands the rules accept.
            let mut register = Register::new();
            let mut replayer = Replayer::new(policy, 0).with_check(import_check(catalog));
            let events = replay::replay_log(&mut register, &document.events, &mut replayer)
                .map_err(|e| invalid(vec![e.to_string()]))?;
            Ok(Loaded {
                events,
                register,
                notes: Vec::new(),
                provenance: document.provenance,
            })
        }
        ImportFormat::OscalPoam => {
            let text = std::str::from_utf8(bytes)
                .map_err(|e| invalid(vec![format!("(document): not UTF-8: {e}")]))?;
            let provenance = oscal_provenance(text).map_err(|e| {
                invalid(vec![format!(
                    "plan-of-action-and-milestones.metadata.props: {e}"
                )])
            })?;
            // The whole document is read and executed in memory first: any
            // failure here leaves the store untouched.
            let mut replayer = Replayer::new(policy, 0).with_check(import_check(catalog));
            let imported = isms_oscal::import_poam_with(text, &mut replayer)
                .map_err(|e| invalid(vec![e.to_string()]))?;
            Ok(Loaded {
                events: imported.events,
                register: imported.register,
                notes: imported
                    .report
                    .skipped
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                provenance,
            })
        }
        ImportFormat::Spreadsheet => Err(CliError::Usage(format!(
            "{}: a spreadsheet is imported with the spreadsheet import",
            path.display()
        ))),
    }
}

/// The provenance props of a POA&M, if it has any.
fn oscal_provenance(text: &str) -> Result<Option<Provenance>, isms_schema::ProvenanceError> {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        // Not JSON: the importer says so, with its own message.
        return Ok(None);
    };
    provenance_of(&isms_oscal::read_provenance(&value))
}

/// A provenance from field/value pairs, `None` when there are none.
pub fn provenance_of(
    fields: &[(String, String)],
) -> Result<Option<Provenance>, isms_schema::ProvenanceError> {
    if fields.is_empty() {
        return Ok(None);
    }
    Provenance::from_fields(fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map(Some)
}

/// The check every import step passes before the rules decide it (the
/// spreadsheet, register-document and POA&M imports alike): its times lie
/// within the range isms records ([`step_in_range`]), and every requirement
/// reference it records names an item of `catalog`, the one `--requirement`
/// arguments are resolved against (shipped frameworks and the user's), in
/// the catalogue's spelling ([`crate::catalogs::check_requirement`]). A
/// refusal names the step's place in the file, like the rules' own.
pub fn import_check<'c, O>(
    catalog: &'c isms_catalog::Catalog,
) -> impl FnMut(&Step<O>) -> Result<(), String> + 'c {
    move |step| {
        step_in_range(step)?;
        if let Command::ReportNonconformity(r) = &step.command {
            for requirement in &r.requirements {
                crate::catalogs::check_requirement(catalog, requirement.as_str())?;
            }
        }
        Ok(())
    }
}

/// Part of [`import_check`]: the times and dates a step records lie within the range the command line
/// accepts ([`crate::parse::FIRST_DAY`]..=[`crate::parse::LAST_DAY`]), so
/// that an imported register exports to every format as one typed in would.
pub fn step_in_range<O>(step: &Step<O>) -> Result<(), String> {
    let range = crate::parse::FIRST_DAY..=crate::parse::LAST_DAY;
    let day = |t: DateTime<Utc>| t.date_naive();
    let mut dates: Vec<(&str, NaiveDate)> = vec![("time", day(step.at))];
    match &step.command {
        Command::ReportNonconformity(r) => {
            dates.push(("detected_at", day(r.detected_at)));
            dates.extend(r.external_deadline.map(|d| ("external_deadline", d)));
        }
        Command::PlanAction { due, .. } | Command::RescheduleAction { due, .. } => {
            dates.push(("due", *due));
        }
        Command::ProposeImprovement(p) => dates.extend(p.due.map(|d| ("due", d))),
        _ => {}
    }
    match dates.into_iter().find(|(_, d)| !range.contains(d)) {
        Some((what, d)) => Err(format!(
            "its {what} {d} is outside the range isms records, {} to {} (UTC)",
            range.start(),
            range.end()
        )),
        None => Ok(()),
    }
}
