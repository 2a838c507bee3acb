//! `isms audit add|list|show`: audits and management reviews as the named
//! sources of findings, kept in the register's audit stream.

use std::process::ExitCode;

use isms_core::{Audit, AuditBook, AuditId, Improvement, Item, Nonconformity, RecordAudit};
use isms_store::{EventStore, ItemFilter, ItemKind, Selection};
use serde::Serialize;

use crate::cli::{AuditAddArgs, AuditCommand};
use crate::commands::actor_or;
use crate::error::CliError;
use crate::output::{self, print_json, terminal_safe};
use crate::parse::{self, enum_value, name_of};
use crate::session::Session;

/// Runs `isms audit ...`.
pub fn run(s: &Session, command: AuditCommand) -> Result<ExitCode, CliError> {
    match command {
        AuditCommand::Add(args) => add(s, &args),
        AuditCommand::List { json } => {
            let store = s.open_read()?;
            let book = book(&store)?;
            if json.json {
                print_json(&book.audits())?;
            } else {
                print!("{}", rows(book.audits()));
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Show { id, json } => {
            let store = s.open_read()?;
            let id = audit_id(&id)?;
            let book = book(&store)?;
            let audit = book.audit(&id).ok_or_else(|| CliError::NotFound {
                what: format!("audit {id}"),
                hint: "; `isms audit list` shows the audits recorded".into(),
            })?;
            let (ncs, imps) = findings(&store, &id)?;
            if json.json {
                print_json(&Shown {
                    audit,
                    nonconformities: &ncs,
                    improvements: &imps,
                })?;
            } else {
                print!("{}", detail(audit, &ncs, &imps));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Reads an audit id argument.
pub fn audit_id(text: &str) -> Result<AuditId, CliError> {
    text.parse()
        .map_err(|e: isms_core::IdError| CliError::Usage(e.to_string()))
}

/// The register's audits, folded from its audit stream.
pub fn book(store: &impl EventStore) -> Result<AuditBook, CliError> {
    let mut book = AuditBook::new();
    store.read(Selection::Stream(isms_core::StreamId::Audits), &mut |e| {
        book.apply_owned(e.event);
    })?;
    Ok(book)
}

/// The nonconformities and improvements that name `audit`, from the
/// store's item projections, in order of reference.
pub fn findings(
    store: &impl EventStore,
    audit: &AuditId,
) -> Result<(Vec<Nonconformity>, Vec<Improvement>), CliError> {
    let mut ncs = Vec::new();
    let mut imps = Vec::new();
    for kind in [ItemKind::Nonconformity, ItemKind::Improvement] {
        let filter = ItemFilter {
            kind,
            ..ItemFilter::default()
        };
        store.list_items(&filter, &mut |item| match item {
            Item::Nonconformity(nc) if nc.audit.as_ref() == Some(audit) => ncs.push(nc),
            Item::Improvement(imp) if imp.audit.as_ref() == Some(audit) => imps.push(imp),
            _ => {}
        })?;
    }
    Ok((ncs, imps))
}

/// `audit show --json`.
#[derive(Serialize)]
struct Shown<'a> {
    audit: &'a Audit,
    nonconformities: &'a [Nonconformity],
    improvements: &'a [Improvement],
}

fn add(s: &Session, args: &AuditAddArgs) -> Result<ExitCode, CliError> {
    let record = RecordAudit::new(
        audit_id(&args.id)?,
        enum_value("--kind", &args.kind)?,
        args.scope.clone(),
        parse::date("--date", &args.date)?,
        actor_or(s, args.lead.clone())?,
    );
    let at = s.at(args.when.at.as_deref())?;
    let mut writer = s.writer()?;
    let invocation = s.invocation(&writer, at)?;
    let outcome = writer.handler.record_audit(&record, &invocation)?;
    s.seal(writer.handler.store_mut())?;
    crate::session::print_warnings(&outcome.warnings);
    println!("audit {} recorded", record.id);
    Ok(ExitCode::SUCCESS)
}

fn rows(audits: &[Audit]) -> String {
    let rows: Vec<Vec<String>> = audits
        .iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                name_of(&a.kind),
                a.date.to_string(),
                terminal_safe(a.lead.as_str()).into_owned(),
                terminal_safe(&a.scope).into_owned(),
            ]
        })
        .collect();
    output::table(&["id", "kind", "date", "lead", "scope"], &rows)
}

fn detail(audit: &Audit, ncs: &[Nonconformity], imps: &[Improvement]) -> String {
    use std::fmt::Write;
    let t = |s: &str| terminal_safe(s).into_owned();
    let mut o = String::new();
    let _ = writeln!(o, "{}  {}", audit.id, t(&audit.scope));
    let _ = writeln!(o, "  kind:     {}", name_of(&audit.kind));
    let _ = writeln!(o, "  date:     {}", audit.date);
    let _ = writeln!(o, "  lead:     {}", t(audit.lead.as_str()));
    let open = ncs.iter().filter(|n| !n.state.is_terminal()).count();
    let _ = writeln!(
        o,
        "  findings: {} nonconformities ({open} open), {} improvements",
        ncs.len(),
        imps.len()
    );
    if !ncs.is_empty() {
        let _ = writeln!(o);
        let refs: Vec<&Nonconformity> = ncs.iter().collect();
        o.push_str(&output::nc_rows(&refs));
    }
    if !imps.is_empty() {
        let _ = writeln!(o);
        o.push_str(&output::improvement_rows(imps));
    }
    o
}
