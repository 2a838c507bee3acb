//! `isms due`, and the arguments of `nc incident` that are files or pairs:
//! a clock regime file and a report request.

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use isms_core::{ClockRegime, DueEntry, DueList, DueQuery, IanaTimeZone, Item, ReportRequest};
use isms_store::{EventStore, ItemFilter, ItemKind};

use crate::cli::DueArgs;
use crate::error::{CliError, input};
use crate::output::{print_json, table, terminal_safe};
use crate::outputs::{self, Destination};
use crate::parse;
use crate::session::Session;

/// A clock regime file (`--regime`): JSON of a `ClockRegime`, validated.
/// A file that is not one is exit 7, naming the problem.
pub fn regime_file(path: &Path) -> Result<ClockRegime, CliError> {
    let text = std::fs::read_to_string(path).map_err(input(path))?;
    ClockRegime::from_json(&text).map_err(|e| CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![e.to_string()],
    })
}

/// A `--request KIND=TIMESTAMP`: received at `at`, due at the timestamp.
pub fn request(
    text: &str,
    at: DateTime<Utc>,
    zone: IanaTimeZone,
) -> Result<ReportRequest, CliError> {
    let (kind, due) = text.split_once('=').ok_or_else(|| {
        CliError::Usage(format!(
            "--request {text}: write KIND=TIMESTAMP, e.g. intermediate_report=2026-01-20T12:00:00Z"
        ))
    })?;
    Ok(ReportRequest {
        kind: kind.trim().to_owned(),
        requested_at: at,
        due: parse::instant("--request", due.trim(), zone)?,
    })
}

/// `isms due`: every item from the store's projections through a
/// [`DueList`], printed as a table or JSON, and written as a calendar.
pub fn due(s: &Session, args: &DueArgs) -> Result<ExitCode, CliError> {
    // Look at the calendar's path before reading anything: a refusal
    // costs nothing then.
    let ical = match &args.ical {
        Some(path) => {
            match outputs::destination(path)? {
                Destination::Existing(_) if !args.force => {
                    return Err(CliError::Usage(format!(
                        "{} exists; give --force to replace it (a calendar written again keeps every entry's UID, so importing it updates the events)",
                        path.display()
                    )));
                }
                _ => {}
            }
            Some(path.as_path())
        }
        None => None,
    };
    let policy = s.policy()?;
    let mut query = DueQuery::new(s.now);
    query.overdue_only = args.overdue;
    query.within = args
        .within
        .as_deref()
        .map(|t| parse::window_days(t).map(|d| Duration::days(i64::from(d))))
        .transpose()?;
    query.owner = args
        .owner
        .as_deref()
        .map(|o| isms_core::ActorId::new(o).map_err(|e| CliError::Usage(format!("--owner: {e}"))))
        .transpose()?;
    let store = s.open_read()?;
    let mut list = DueList::new(query, &policy);
    for kind in [ItemKind::Nonconformity, ItemKind::Improvement] {
        let filter = ItemFilter {
            kind,
            ..ItemFilter::default()
        };
        store.list_items(&filter, &mut |item: Item| list.push(item.as_ref()))?;
    }
    let entries = list.finish();
    if let Some(path) = ical {
        let text = isms_report::render_ical(&entries, s.now);
        outputs::write_output(path, text.as_bytes())?;
        if outputs::is_stdout(path) {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if args.json.json {
        print_json(&entries)?;
    } else {
        print!("{}", rows(&entries, policy.time_zone));
        if let Some(path) = ical {
            println!("wrote {} entries to {}", entries.len(), path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One row per entry: the deadline (a date as it is, an instant in the
/// policy's time zone), overdue or not, the kind, item, owner and what.
fn rows(entries: &[DueEntry], zone: IanaTimeZone) -> String {
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| {
            let due = match e.due {
                isms_core::DueAt::Date(d) => d.to_string(),
                isms_core::DueAt::Instant(t) => t
                    .with_timezone(&zone.tz())
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string(),
            };
            let flag = match (e.overdue, e.provisional) {
                (true, _) => "OVERDUE",
                (false, true) => "provisional",
                (false, false) => "",
            };
            vec![
                due,
                flag.to_owned(),
                e.kind.as_str().to_owned(),
                e.reference.clone(),
                terminal_safe(e.owner.as_str()).into_owned(),
                terminal_safe(&e.subject).into_owned(),
            ]
        })
        .collect();
    if rows.is_empty() {
        return "nothing due\n".to_owned();
    }
    table(&["due", "", "kind", "ref", "owner", "what"], &rows)
}
