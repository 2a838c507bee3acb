//! Computing the clause-10 KPIs from your own data.
//!
//! ```text
//! cargo run --example kpis_from_your_data
//! ```
//!
//! Most organisations already track nonconformities somewhere: a ticket tool,
//! a spreadsheet. This example takes such an export (a small CSV inline
//! below, one row per finding, an empty cell meaning "not yet"), turns each
//! row into the commands that record its history at the dates in the row,
//! and computes the KPI report with `isms-kpi` as of one instant, printed as a
//! red/amber/green dashboard.
//!
//! The rows go through the same rules as any other input: a row whose history
//! breaks one (here a major finding analysed before it was contained) stops
//! at that step with a typed error, and the import says which row and why.

#![allow(clippy::print_stdout)] // an example program: printing is its job

use std::error::Error;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use isms::core::*;
use isms::kpi::{KpiId, KpiView, Measure, ReportOptions, Status, Unit};
use serde::Deserialize;

/// The host's export. Enum columns use the core's serde names.
const EXPORT: &str = "\
ticket,title,severity,source,requirement,reported,contained,analysed,cause,action_owner,action_due,action_done,verify_on,effective,closed
SEC-100,Patch window missed on mail servers,minor,monitoring,iso27001:2022/A.8.8,2025-05-05,,2025-05-19,process,sysops,2025-06-30,2025-06-25,2025-08-01,true,2025-08-04
SEC-101,Shared admin password on the firewall,major,incident,iso27001:2022/A.5.17,2025-06-02,2025-06-02,2025-06-09,people,netops,2025-07-15,2025-07-10,2025-08-15,true,2025-08-20
SEC-102,Access review procedure out of date,minor,internal_audit,iso27001:2022/A.5.18,2025-07-14,,2025-07-28,governance,iam-team,2025-09-30,2025-10-20,2025-12-01,true,2025-12-05
SEC-103,Nightly backup failed unnoticed,major,monitoring,iso27001:2022/A.8.13,2025-09-08,2025-09-08,2025-09-15,technology,sam,2025-10-15,2025-10-10,2025-11-10,false,
SEC-104,Supplier works without an NDA,minor,supplier,iso27001:2022/A.5.20,2025-11-03,,2025-11-17,supplier,procurement,2026-01-31,,,,
SEC-105,Unencrypted laptop found in the field,major,self_identified,iso27001:2022/A.8.1,2026-01-12,2026-01-13,2026-01-20,process,desktop,2026-02-28,2026-02-20,2026-03-20,true,2026-03-25
SEC-106,VPN logging switched off,major,external_audit,iso27001:2022/A.8.15,2026-02-16,,2026-02-23,technology,netops,2026-03-31,,,,
SEC-107,Visitor log not kept at reception,minor,internal_audit,iso27001:2022/A.7.2,2026-03-09,,,,,,,,,
";

/// One row of the export.
#[derive(Debug, Deserialize)]
struct Row {
    ticket: String,
    title: String,
    severity: Severity,
    source: Source,
    requirement: RequirementRef,
    reported: NaiveDate,
    contained: Option<NaiveDate>,
    analysed: Option<NaiveDate>,
    cause: Option<RootCauseCategory>,
    action_owner: Option<String>,
    action_due: Option<NaiveDate>,
    action_done: Option<NaiveDate>,
    verify_on: Option<NaiveDate>,
    effective: Option<bool>,
    closed: Option<NaiveDate>,
}

const VERIFIER: &str = "internal-audit";

/// Office hours on a date: the export has dates only.
fn at(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc()
}

/// A stable identifier from the ticket number, so that re-running the import
/// gives the same register (a product would keep a ticket-to-UUID map).
fn entropy(ticket: &str, salt: u8) -> [u8; 10] {
    let mut bytes = [salt; 10];
    for (b, c) in bytes.iter_mut().zip(ticket.bytes().rev()) {
        *b ^= c;
    }
    bytes
}

/// One recorded step: when, by whom, what.
type Step = (DateTime<Utc>, String, Command);

/// The commands that record one row's history, in order.
fn commands(row: &Row) -> Result<Vec<Step>, Box<dyn Error>> {
    let nc = NonconformityId::v7_from_parts(
        at(row.reported).timestamp_millis() as u64,
        entropy(&row.ticket, 0),
    );
    let owner = row
        .action_owner
        .clone()
        .unwrap_or_else(|| "isms-manager".into());
    let mut out = vec![(
        at(row.reported),
        "isms-manager".to_owned(),
        Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id: nc,
            title: row.title.clone(),
            description: format!("Imported from ticket {}.", row.ticket),
            source: row.source,
            severity: row.severity,
            requirements: vec![row.requirement.clone()],
            owner: ActorId::new(&owner)?,
            detected_at: at(row.reported),
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        }),
    )];
    if let Some(day) = row.contained {
        out.push((
            at(day),
            owner.clone(),
            Command::RecordContainment {
                nonconformity: nc,
                action_taken: "Immediate correction (see ticket)".into(),
                consequences: None,
                late_justification: None,
            },
        ));
    }
    let (Some(day), Some(category)) = (row.analysed, row.cause) else {
        return Ok(out);
    };
    out.push((
        at(day),
        owner.clone(),
        Command::AnalyseRootCause {
            nonconformity: nc,
            method: AnalysisMethod::FiveWhys,
            causes: vec![RootCause {
                category,
                statement: format!("Root cause recorded in ticket {}", row.ticket),
            }],
            similar: vec![],
            similar_notes: Some("Checked for similar cases when the ticket was analysed".into()),
            decision: ActionDecision::ActionRequired,
        },
    ));
    let Some(due) = row.action_due else {
        return Ok(out);
    };
    let action =
        ActionId::v7_from_parts(at(day).timestamp_millis() as u64, entropy(&row.ticket, 1));
    out.push((
        at(day),
        owner.clone(),
        Command::PlanAction {
            nonconformity: nc,
            action,
            description: format!("Corrective action of {}", row.ticket),
            owner: ActorId::new(&owner)?,
            due,
            late_justification: None,
        },
    ));
    let Some(done) = row.action_done else {
        return Ok(out);
    };
    out.push((
        at(done),
        owner.clone(),
        Command::CompleteAction {
            nonconformity: nc,
            action,
            evidence: vec![EvidenceRef::Document(format!("ticket/{}", row.ticket))],
        },
    ));
    let Some(check) = row.verify_on else {
        return Ok(out);
    };
    out.push((
        at(done),
        "isms-manager".to_owned(),
        Command::PlanVerification {
            nonconformity: nc,
            method: "Re-test the control".into(),
            criteria: "The finding does not recur".into(),
            schedule: VerificationSchedule::once(check),
            verifier: ActorId::new(VERIFIER)?,
        },
    ));
    let Some(passed) = row.effective else {
        return Ok(out);
    };
    out.push((
        at(check),
        VERIFIER.to_owned(),
        Command::RecordVerification {
            nonconformity: nc,
            check: 0,
            passed,
            notes: None,
            evidence: vec![EvidenceRef::Document(format!("re-test/{}", row.ticket))],
        },
    ));
    if let Some(day) = row.closed {
        out.push((
            at(day),
            "isms-manager".to_owned(),
            Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: nc,
                isms_changes: vec![],
                notes: None,
            },
        ));
    }
    Ok(out)
}

fn show(value: &Measure) -> String {
    match value {
        Measure::NoData => "no data".into(),
        Measure::Count { count } => count.to_string(),
        Measure::Ratio {
            numerator,
            denominator,
            ratio,
        } => format!("{:.0} % ({numerator}/{denominator})", ratio * 100.0),
        Measure::Days { days } => format!("{days:.1} days"),
    }
}

/// A target threshold in the KPI's unit.
fn threshold(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.0} %", value * 100.0),
        Unit::Days => format!("{value} days"),
        Unit::Count => value.to_string(),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let policy = Policy::default();
    let mut register = Register::new();
    let mut stopped = Vec::new();
    let mut reader = csv::Reader::from_reader(EXPORT.as_bytes());
    for (n, row) in reader.deserialize::<Row>().enumerate() {
        // A malformed row is an error naming its line, not a panic.
        let row = row.map_err(|e| format!("export line {}: {e}", n + 2))?;
        for (when, who, command) in commands(&row)? {
            let ctx = Context::new(when, Actor::new(ActorId::new(&who)?), &policy);
            if let Err(e) = register.execute(&command, &ctx) {
                stopped.push((row.ticket.clone(), e));
                break;
            }
        }
    }
    println!(
        "Imported {} nonconformities ({} events)",
        register.nonconformities().len(),
        register.events_applied()
    );
    for (ticket, e) in &stopped {
        println!("  {ticket} stopped: {e}");
    }
    assert_eq!(stopped.len(), 1);
    assert!(matches!(
        stopped[0].1,
        DecisionError::ContainmentRequired {
            severity: Severity::Major,
            ..
        }
    ));

    // The dashboard as of the end of March 2026, over the default 365-day window.
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 31, 17, 0, 0)
        .single()
        .ok_or("bad instant")?;
    let report = KpiView::new(&register).report(as_of, &ReportOptions::default())?;
    println!(
        "\nKPIs as of {} (window from {})\n",
        report.as_of.format("%Y-%m-%d %H:%M"),
        report.window_start.date_naive()
    );
    for kpi in &report.kpis {
        let light = match kpi.status {
            Status::Green => "GREEN",
            Status::Amber => "AMBER",
            Status::Red => "RED",
            Status::NoData => "no data",
            Status::NoTarget => "",
        };
        let target = kpi
            .target
            .map(|t| {
                format!(
                    "green {}, amber {}",
                    threshold(t.green, kpi.unit),
                    threshold(t.amber, kpi.unit)
                )
            })
            .unwrap_or_default();
        println!(
            "  {light:<7} {:<40} {:<16} {target}",
            kpi.name,
            show(&kpi.value)
        );
    }

    let get = |id| report.get(id).ok_or(format!("KPI {id} missing"));
    // Open at T: SEC-103 (found ineffective), SEC-104, SEC-106 and SEC-107.
    assert_eq!(
        get(KpiId::OpenNonconformities)?.value,
        Measure::Count { count: 4 }
    );
    // SEC-104's action was due on 31 January and is not done.
    assert_eq!(
        get(KpiId::OverdueActions)?.value,
        Measure::Count { count: 1 }
    );
    // First verifications in the window: SEC-103 failed, four passed.
    assert_eq!(get(KpiId::EffectivenessRate)?.value, Measure::ratio(4, 5));
    // SEC-102's action was finished three weeks late.
    assert_eq!(
        get(KpiId::OnTimeActionCompletionRate)?.value,
        Measure::ratio(4, 5)
    );
    Ok(())
}
