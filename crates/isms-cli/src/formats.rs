//! The dispatch point for exchange formats: every `--format` value of
//! `isms export` and every file type `isms import` recognises is one
//! variant here, so adding CSV, XLSX or OSCAL is a variant and two match
//! arms, not a change to the commands.

use std::path::Path;

use clap::ValueEnum;
use isms_core::{Event, Register};
use isms_schema::RegisterDocument;

use crate::error::CliError;

/// What `isms export` can write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The register document of the schema bundle (`register.json`).
    Json,
    /// Two CSV files: `STEM-nonconformities.csv` and `STEM-actions.csv`.
    Csv,
    /// One XLSX workbook with a nonconformities and an actions sheet.
    Xlsx,
}

/// What `isms import` can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportFormat {
    /// The register document.
    Json,
    /// A spreadsheet (CSV or XLSX), read by `isms-io`.
    Spreadsheet,
}

impl ImportFormat {
    /// The format of a file, from its content first, then its name.
    pub fn detect(path: &Path, bytes: &[u8]) -> Result<Self, CliError> {
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') {
            return Ok(ImportFormat::Json);
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
/// the suffix to put before the extension of `--out` (CSV is two files).
pub fn export_files(
    format: ExportFormat,
    events: Vec<Event>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(&'static str, Vec<u8>)>, CliError> {
    let spreadsheet = |e: isms_io::FileError| CliError::Other(e.to_string());
    let register = || Register::from_events(events.iter());
    match format {
        ExportFormat::Json => Ok(vec![("", export(format, events, at)?)]),
        ExportFormat::Csv => {
            let csv = isms_io::export_csv(&register()).map_err(spreadsheet)?;
            Ok(vec![
                ("-nonconformities", csv.nonconformities),
                ("-actions", csv.actions),
            ])
        }
        ExportFormat::Xlsx => Ok(vec![(
            "",
            isms_io::export_xlsx(&register()).map_err(spreadsheet)?,
        )]),
    }
}

/// Writes the register's events in `format` (a single-file format).
pub fn export(
    format: ExportFormat,
    events: Vec<Event>,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, CliError> {
    match format {
        ExportFormat::Json => {
            let document = RegisterDocument::from_events(events)
                .map_err(|e| CliError::Other(format!("the stored log is not exportable: {e}")))?
                .with_generated_at(at);
            let mut out = serde_json::to_vec_pretty(&document)
                .map_err(|e| CliError::Other(format!("cannot serialise the register: {e}")))?;
            out.push(b'\n');
            Ok(out)
        }
        ExportFormat::Csv | ExportFormat::Xlsx => Err(CliError::Usage(format!(
            "{format:?} is written with export_files"
        ))),
    }
}

/// Reads a document in `format`: the events to store and the register they
/// fold to, or every problem found (each with its JSON path).
pub fn import(
    format: ImportFormat,
    path: &Path,
    bytes: &[u8],
) -> Result<(Vec<Event>, Register), CliError> {
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
            let register = document
                .to_register()
                .map_err(|e| invalid(vec![e.to_string()]))?;
            Ok((document.events, register))
        }
        ImportFormat::Spreadsheet => Err(CliError::Usage(format!(
            "{}: a spreadsheet is imported with the spreadsheet import",
            path.display()
        ))),
    }
}
