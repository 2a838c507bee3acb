//! The catalogue requirement references are resolved against: the shipped
//! one, plus the frameworks the user loads (`--user-framework FILE`,
//! repeatable, or `$ISMS_USER_FRAMEWORKS`, comma-separated). The same
//! catalogue checks `--requirement` arguments and every imported step
//! ([`crate::formats::import_check`]), so a reference an argument would
//! refuse is refused in a file too.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use isms_catalog::{Catalog, ResolveError};

use crate::error::{CliError, input};

/// The largest framework file read, in bytes (16 MiB: a framework of
/// about a hundred thousand items).
pub const MAX_FRAMEWORK_BYTES: u64 = 16 << 20;

/// The shipped catalogue when `paths` is empty, else the shipped one with
/// the framework of each file added (the JSON form of
/// `isms_catalog::Framework`, `docs/catalog.md`).
///
/// # Errors
/// A missing file (exit 4); a file that is too large, not a framework
/// document, or whose key is taken (exit 7, naming the file and field).
pub fn load(paths: &[PathBuf]) -> Result<Option<Catalog>, CliError> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut builder = Catalog::builder();
    for path in paths {
        let text = read(path)?;
        let framework = isms_catalog::load::framework_from_json(&path.display().to_string(), &text)
            .map_err(|e| invalid(path, e.to_string()))?;
        builder = builder.with_user_framework(framework);
    }
    builder.build().map(Some).map_err(|e| {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        invalid(Path::new(&names.join(", ")), e.to_string())
    })
}

fn invalid(path: &Path, problem: String) -> CliError {
    CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![problem],
    }
}

/// Reads a framework file, refusing it by its size before reading and
/// reading at most the limit (a FIFO or device never runs memory out).
fn read(path: &Path) -> Result<String, CliError> {
    let too_large = |size: String| {
        invalid(
            path,
            format!(
                "the framework file has {size} bytes; a framework file may have at most \
                 {MAX_FRAMEWORK_BYTES}; nothing was read"
            ),
        )
    };
    if let Ok(meta) = std::fs::metadata(path)
        && meta.is_file()
        && meta.len() > MAX_FRAMEWORK_BYTES
    {
        return Err(too_large(meta.len().to_string()));
    }
    let file = std::fs::File::open(path).map_err(input(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_FRAMEWORK_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(input(path))?;
    if bytes.len() as u64 > MAX_FRAMEWORK_BYTES {
        return Err(too_large(format!("more than {MAX_FRAMEWORK_BYTES}")));
    }
    String::from_utf8(bytes).map_err(|e| invalid(path, format!("not UTF-8 text: {e}")))
}

/// Why `reference` does not resolve, with the nearest items written as
/// full references ("did you mean iso27001:2022/A.8.13?"), so the
/// suggestion can be pasted back as it is.
pub fn unresolved(reference: &str, error: &ResolveError) -> String {
    match error {
        ResolveError::UnknownItem {
            framework,
            given,
            suggestions,
        } => {
            let near: Vec<String> = suggestions
                .iter()
                .map(|s| format!("{framework}/{s}"))
                .collect();
            let hint = match near.as_slice() {
                [] => format!("; `isms catalog list {framework}` lists its items"),
                [one] => format!("; did you mean {one}?"),
                [init @ .., last] => format!("; did you mean {} or {last}?", init.join(", ")),
            };
            format!("requirement {reference}: unknown item {given} in {framework}{hint}")
        }
        other => format!("requirement {reference}: {other}"),
    }
}

/// Checks that `reference` names an item of `catalog` in the catalogue's
/// own spelling: a reference stored otherwise would be counted apart from
/// the same item by the KPIs and the NIS2 projection.
///
/// # Errors
/// What is wrong, with what exists instead.
pub fn check_requirement(catalog: &Catalog, reference: &str) -> Result<(), String> {
    let found = catalog
        .resolve(reference)
        .map_err(|e| unresolved(reference, &e))?;
    let canonical = found.reference().to_string();
    if canonical == reference {
        Ok(())
    } else {
        Err(format!(
            "requirement {reference} is written {canonical} in the catalogue; write it so, \
             so that it is counted as one item"
        ))
    }
}
