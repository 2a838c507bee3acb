//! Embedding the core in another product: commands in, events out.
//!
//! ```text
//! cargo run --example embed_core
//! ```
//!
//! The host here is a stand-in for a GRC product. It keeps the register's
//! events in its own storage (a JSON-lines file in a temporary directory), and
//! runs every change the same way:
//!
//! 1. build a [`Command`] and a [`Context`] (the time, the acting party and the
//!    organisation's [`Policy`]: the core has no clock of its own);
//! 2. ask the pure decision ([`Register::decide`], which runs [`decide`] on the
//!    command's item with the register as its context) for the events, or a
//!    typed [`DecisionError`];
//! 3. persist the events, then apply them to the in-memory [`Register`].
//!
//! It shows two refused commands with the rule each broke, two policy warnings
//! that let a command through but flag it, and the register rebuilt from the
//! stored events with [`Register::from_events`], equal to the live one.

#![allow(clippy::print_stdout)] // an example program: printing is its job

use std::error::Error;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use isms::core::*;

/// Why the host could not run a command: the domain refused it, or the
/// host's own storage failed. The domain error is kept whole, so the caller
/// can match on the rule that was broken.
#[derive(Debug)]
enum HostError {
    Refused(DecisionError),
    Storage(std::io::Error),
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostError::Refused(e) => write!(f, "refused: {e}"),
            HostError::Storage(e) => write!(f, "event log: {e}"),
        }
    }
}

impl Error for HostError {}

/// The host's side: its policy, its event log and the state folded from it.
struct Host {
    policy: Policy,
    log: PathBuf,
    register: Register,
    commands_run: u128,
}

impl Host {
    fn submit(
        &mut self,
        command: &Command,
        at: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Decision, HostError> {
        self.commands_run += 1;
        // Event ids are UUID v7: time from `at`, the rest from this entropy.
        // A product passes random bits; a counter keeps the example repeatable.
        let ctx = Context::new(at, actor.clone(), &self.policy).with_entropy(self.commands_run);
        // The register in memory answers the few register-wide facts a rule
        // needs; a host with a database would load only the target item and
        // those facts (see the `own_store` example).
        let decision = self
            .register
            .decide(command, &ctx)
            .map_err(HostError::Refused)?;
        // Persist first, apply second: the state never runs ahead of the evidence.
        let mut lines = String::new();
        for event in &decision.events {
            lines += &serde_json::to_string(event).map_err(|e| HostError::Storage(e.into()))?;
            lines.push('\n');
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(HostError::Storage)?;
        file.write_all(lines.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(HostError::Storage)?;
        for event in &decision.events {
            self.register.apply(event);
        }
        Ok(decision)
    }
}

/// Reads the host's event log back, one JSON event per line.
fn load(log: &Path) -> Result<Vec<Event>, Box<dyn Error>> {
    let mut events = Vec::new();
    for (n, line) in BufReader::new(File::open(log)?).lines().enumerate() {
        let event: Event = serde_json::from_str(&line?)
            .map_err(|e| format!("{}:{}: {e}", log.display(), n + 1))?;
        events.push(event);
    }
    Ok(events)
}

fn lines_in(log: &Path) -> Result<usize, Box<dyn Error>> {
    Ok(fs::read_to_string(log)?.lines().count())
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::temp_dir().join(format!("isms-embed-core-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    let log = dir.join("events.jsonl");
    let _ = fs::remove_file(&log);

    // The organisation's policy: defaults (major findings contained before
    // analysis, segregation of duties) plus a one-day containment target that
    // only warns.
    let policy = Policy {
        max_days_to_contain: Some(TimeLimit {
            days: 1,
            enforcement: Enforcement::Warn,
        }),
        ..Policy::default()
    };
    let mut host = Host {
        policy,
        log: log.clone(),
        register: Register::new(),
        commands_run: 0,
    };
    let ciso = Actor::named("ciso")?;
    let ops = Actor::named("ops-lead")?;
    let day = |d: u32| -> Result<DateTime<Utc>, Box<dyn Error>> {
        Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0)
            .single()
            .ok_or_else(|| format!("no such day 2026-03-{d}").into())
    };

    // 1. A supervisory authority orders a fix by 30 April (NIS2 Article 21(4)).
    let nc = NonconformityId::v7(day(2)?, 1);
    let deadline = NaiveDate::from_ymd_opt(2026, 4, 30).ok_or("bad deadline")?;
    let report = ReportNonconformity::new(
        nc,
        "Backups of the customer database never restore-tested",
        "The authority's audit found no restore test on record.",
        Source::AuthorityOrder,
        Severity::Major,
        ops.id.clone(),
        day(2)? - Duration::hours(2),
    )
    .requirement("iso27001:2022/A.8.13".parse()?)
    .requirement("nis2/21.2.c".parse()?)
    .external_deadline(deadline)
    .into();
    host.submit(&report, day(2)?, &ciso)?;
    let reference = host
        .register
        .nonconformity(nc)
        .ok_or("reported nonconformity missing")?
        .reference;
    println!(
        "Reported {reference}; the log holds {} event(s)",
        lines_in(&log)?
    );

    // 2. Refused: a major finding must be contained before its root cause is analysed.
    let cause = RootCause::new(
        RootCauseCategory::Process,
        "Restore tests were never scheduled",
    );
    let analyse = Command::analyse_root_cause(nc, AnalysisMethod::FiveWhys, vec![cause])
        .with_similar_notes("Other databases checked: same gap on the HR system");
    match host.submit(&analyse, day(3)?, &ops) {
        Err(HostError::Refused(e @ DecisionError::ContainmentRequired { .. })) => {
            println!("\nAnalysis before containment refused: {e}");
        }
        other => return Err(format!("expected ContainmentRequired, got {other:?}").into()),
    }
    assert_eq!(lines_in(&log)?, 1, "a refused command stores nothing");

    // 3. Contained three days after the report: accepted, with a warning.
    let contain = Command::record_containment(
        nc,
        "Ran a full restore of last night's backup to a scratch server",
    )
    .with_consequences("None found: the restore succeeded");
    let decision = host.submit(&contain, day(5)?, &ops)?;
    println!("\nContainment accepted, with warnings:");
    for w in &decision.warnings {
        println!("  {}", serde_json::to_string(w)?);
    }
    assert_eq!(
        decision.warnings,
        vec![PolicyWarning::TimeLimitExceeded {
            what: "containment".into(),
            limit_days: 1,
            elapsed_days: 3
        }]
    );

    // 4. Analysed, then an action due after the authority's deadline: a warning too.
    host.submit(&analyse, day(6)?, &ops)?;
    let action = ActionId::v7(day(6)?, 2);
    let due = NaiveDate::from_ymd_opt(2026, 5, 15).ok_or("bad due date")?;
    let plan = Command::plan_action(
        nc,
        action,
        "Schedule a monthly restore test with a checklist",
        ActorId::new("dba")?,
        due,
    );
    let decision = host.submit(&plan, day(6)?, &ops)?;
    println!("Action planned, with warnings:");
    for w in &decision.warnings {
        println!("  {}", serde_json::to_string(w)?);
    }
    assert_eq!(
        decision.warnings,
        vec![PolicyWarning::DueAfterExternalDeadline { due, deadline }]
    );

    // 5. Refused: closing before the action is done and verified effective.
    // The error names the state and what is allowed in it.
    let close = Command::close(nc);
    match host.submit(&close, day(7)?, &ciso) {
        Err(HostError::Refused(
            e @ DecisionError::TransitionNotAllowed {
                state: NcState::ActionsPlanned,
                ..
            },
        )) => println!("\nClose refused: {e}"),
        other => return Err(format!("expected TransitionNotAllowed, got {other:?}").into()),
    }

    // 6. Rebuild the register from the host's storage: the same state.
    let events = load(&log)?;
    let rebuilt = Register::from_events(&events);
    assert_eq!(rebuilt, host.register);
    let stored = rebuilt.nonconformity(nc).ok_or("missing after rebuild")?;
    println!(
        "\nRebuilt from {} ({} events): {} is {}, action {} due {}",
        log.display(),
        events.len(),
        stored.reference,
        stored.state,
        stored.actions[0].reference,
        stored.actions[0].due
    );
    for event in &events {
        println!(
            "  #{} {} {:<28} by {}",
            event.sequence,
            event.at.format("%Y-%m-%d %H:%M"),
            event.payload.type_name(),
            event.actor
        );
    }
    assert_eq!(events.len(), 4);
    assert_eq!(stored.state, NcState::ActionsPlanned);

    fs::remove_dir_all(&dir)?;
    Ok(())
}
