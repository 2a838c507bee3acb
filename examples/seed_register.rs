//! Walks the seed document's three example nonconformities through their
//! whole lifecycle and prints the register.
//!
//! ```text
//! cargo run --example seed_register
//! ```
//!
//! | Issue                        | Corrective action                          | Follow-up                          |
//! |------------------------------|--------------------------------------------|------------------------------------|
//! | Unauthorised access incident | Review access controls, retrain staff      | Verify no recurrence over 6 months |
//! | Outdated procedure           | Update procedure to reflect current risk   | Audit compliance quarterly         |
//! | Failed backup                | Implement redundant backup and monitoring  | Test restoration monthly           |
//!
//! The failed backup's first verification fails, which sends it back to
//! root-cause analysis: the register keeps both attempts as evidence.

#![allow(clippy::print_stdout)] // an example program: printing is its job

use std::error::Error;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use isms::catalog::Catalog;
use isms::core::*;

/// Runs commands against an in-memory register with a moving clock.
struct Office {
    register: Register,
    policy: Policy,
    now: DateTime<Utc>,
    counter: u64,
    events: Vec<Event>,
}

impl Office {
    fn run(&mut self, who: &str, command: Command) -> Result<Decision, Box<dyn Error>> {
        self.counter += 1;
        let actor = Actor::new(ActorId::new(who)?).with_role(Role::new("isms_manager")?);
        let ctx =
            Context::new(self.now, actor, &self.policy).with_entropy(u128::from(self.counter));
        let decision = self.register.execute(&command, &ctx)?;
        self.events.extend(decision.events.iter().cloned());
        Ok(decision)
    }

    fn id(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn at(&mut self, date: NaiveDate) {
        self.now = date.and_hms_opt(9, 30, 0).unwrap_or_default().and_utc();
    }
}

/// Ten bytes of entropy for a UUID v7 from a counter (the core draws no
/// random numbers of its own; a product would pass random bytes here).
fn entropy(n: u64) -> [u8; 10] {
    let mut bytes = [0u8; 10];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    bytes
}

fn date(y: i32, m: u32, d: u32) -> Result<NaiveDate, Box<dyn Error>> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("bad date {y}-{m}-{d}").into())
}

struct Case<'a> {
    title: &'a str,
    source: Source,
    severity: Severity,
    requirements: &'a [&'a str],
    containment: &'a str,
    cause: (RootCauseCategory, &'a str),
    /// The cause found when an ineffective verification reopens the analysis.
    second_cause: (RootCauseCategory, &'a str),
    actions: &'a [(&'a str, &'a str)],
    schedule: VerificationSchedule,
    verifier: &'a str,
    change: (IsmsChangeKind, &'a str),
}

fn walk(
    office: &mut Office,
    case: &Case<'_>,
    fail_check: Option<u32>,
) -> Result<NonconformityId, Box<dyn Error>> {
    let nc =
        NonconformityId::v7_from_parts(office.now.timestamp_millis() as u64, entropy(office.id()));
    office.run(
        "maria",
        Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id: nc,
            title: case.title.into(),
            description: format!("{}. Recorded from the seed example.", case.title),
            source: case.source,
            severity: case.severity,
            requirements: case
                .requirements
                .iter()
                .map(|r| r.parse())
                .collect::<Result<_, _>>()?,
            owner: ActorId::new("maria")?,
            detected_at: office.now - Duration::hours(3),
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        }),
    )?;
    office.now += Duration::hours(4);
    office.run(
        "maria",
        Command::RecordContainment {
            nonconformity: nc,
            action_taken: case.containment.into(),
            consequences: None,
            late_justification: None,
        },
    )?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        office.now += Duration::days(2);
        office.run(
            "maria",
            Command::AnalyseRootCause {
                nonconformity: nc,
                method: AnalysisMethod::FiveWhys,
                causes: vec![{
                    let (category, statement) = if attempt == 1 {
                        case.cause
                    } else {
                        case.second_cause
                    };
                    RootCause {
                        category,
                        statement: statement.into(),
                    }
                }],
                similar: vec![],
                similar_notes: Some("Checked the other sites and systems: none affected.".into()),
                decision: ActionDecision::ActionRequired,
            },
        )?;
        let mut planned = Vec::new();
        for (what, owner) in case.actions {
            let action =
                ActionId::v7_from_parts(office.now.timestamp_millis() as u64, entropy(office.id()));
            let description = if attempt == 1 {
                (*what).to_owned()
            } else {
                format!("{what} (second attempt)")
            };
            office.run(
                "maria",
                Command::PlanAction {
                    nonconformity: nc,
                    action,
                    description,
                    owner: ActorId::new(*owner)?,
                    due: (office.now + Duration::days(30)).date_naive(),
                    late_justification: None,
                },
            )?;
            planned.push((action, *owner));
        }
        office.now += Duration::days(20);
        for (action, owner) in planned {
            office.run(
                owner,
                Command::CompleteAction {
                    nonconformity: nc,
                    action,
                    evidence: vec![EvidenceRef::Document(format!(
                        "ticket/CHG-{}",
                        office.counter
                    ))],
                },
            )?;
        }
        let first = (office.now + Duration::days(7)).date_naive();
        let schedule = match case.schedule {
            VerificationSchedule::Once { .. } => VerificationSchedule::once(first),
            VerificationSchedule::Recurring { every, end, .. } => {
                VerificationSchedule::Recurring { first, every, end }
            }
            VerificationSchedule::WatchWindow { length, .. } => {
                VerificationSchedule::watch_window(first, length)
            }
        };
        office.run(
            "maria",
            Command::PlanVerification {
                nonconformity: nc,
                method: "Check records and test the control".into(),
                criteria: "The nonconformity does not recur and the control works".into(),
                schedule,
                verifier: ActorId::new(case.verifier)?,
            },
        )?;
        let mut ineffective = false;
        for (i, due) in schedule.check_dates()?.into_iter().enumerate() {
            office.at(due);
            let passed = !(attempt == 1 && fail_check == Some(i as u32));
            office.run(
                case.verifier,
                Command::RecordVerification {
                    nonconformity: nc,
                    check: i as u32,
                    passed,
                    notes: None,
                    evidence: vec![EvidenceRef::Document(format!(
                        "check record {i}, attempt {attempt}"
                    ))],
                },
            )?;
            if !passed {
                ineffective = true;
                break;
            }
        }
        if !ineffective {
            break;
        }
    }
    // Segregated approvals (the default policy): maria owns the
    // nonconformity, so another manager approves its closure.
    office.run(
        "ciso",
        Command::CloseNonconformity {
            risk_acceptance: None,
            nonconformity: nc,
            isms_changes: vec![IsmsChange {
                kind: case.change.0,
                description: case.change.1.into(),
                requirement: None,
                document: None,
            }],
            notes: None,
        },
    )?;
    Ok(nc)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut office = Office {
        register: Register::new(),
        policy: Policy::default(),
        now: Utc
            .with_ymd_and_hms(2026, 1, 12, 9, 0, 0)
            .single()
            .ok_or("bad start time")?,
        counter: 0,
        events: Vec::new(),
    };
    let cases = [
        Case {
            title: "Unauthorised access incident on the HR share",
            source: Source::Incident,
            severity: Severity::Major,
            requirements: &[
                "iso27001:2022/A.5.15",
                "iso27001:2022/A.5.18",
                "iso27001:2022/A.6.3",
            ],
            containment: "Revoked the leaked credentials and locked the share",
            cause: (
                RootCauseCategory::Process,
                "Leavers' access was not removed on exit",
            ),
            second_cause: (RootCauseCategory::People, "Managers did not report leavers"),
            actions: &[
                ("Review access controls", "bob"),
                ("Retrain staff", "carol"),
            ],
            schedule: VerificationSchedule::watch_window(date(2026, 1, 1)?, Period::months(6)),
            verifier: "dave",
            change: (
                IsmsChangeKind::Procedure,
                "Leaver procedure now removes share access the same day",
            ),
        },
        Case {
            title: "Outdated access review procedure",
            source: Source::InternalAudit,
            severity: Severity::Minor,
            requirements: &["iso27001:2022/7.5.3", "iso27001:2022/A.5.37"],
            containment: "Marked the old procedure as under review",
            cause: (
                RootCauseCategory::Governance,
                "No owner for the procedure's review cycle",
            ),
            second_cause: (
                RootCauseCategory::Process,
                "Review cycle not in the document calendar",
            ),
            actions: &[("Update procedure to reflect current risk", "erin")],
            schedule: VerificationSchedule::recurring_count(
                date(2026, 1, 1)?,
                Period::months(3),
                4,
            ),
            verifier: "internal-audit",
            change: (
                IsmsChangeKind::Procedure,
                "Access review procedure v3 with a named owner",
            ),
        },
        Case {
            title: "Failed nightly backup of the file server",
            source: Source::Monitoring,
            severity: Severity::Major,
            requirements: &["iso27001:2022/A.8.13"],
            containment: "Ran a manual full backup and checked it",
            cause: (
                RootCauseCategory::Technology,
                "Single backup target and no alert on failure",
            ),
            second_cause: (
                RootCauseCategory::Supplier,
                "The vendor's update changed the backup format; restores failed",
            ),
            actions: &[
                ("Implement redundant backup", "sam"),
                ("Monitor backup jobs and alert on failure", "sam"),
            ],
            schedule: VerificationSchedule::recurring_count(
                date(2026, 1, 1)?,
                Period::months(1),
                6,
            ),
            verifier: "vera",
            change: (
                IsmsChangeKind::Control,
                "Backup control A.8.13 now has a second target and monitoring",
            ),
        },
    ];
    for (i, case) in cases.iter().enumerate() {
        office.now = Utc
            .with_ymd_and_hms(2026, 1, 12, 9, 0, 0)
            .single()
            .ok_or("bad time")?
            + Duration::days(7 * i as i64);
        // The backup's second monthly restore test fails the first time round.
        walk(&mut office, case, (i == 2).then_some(1))?;
    }

    let catalog = Catalog::shipped();
    println!(
        "Corrective-action register ({} nonconformities, {} events)\n",
        office.register.nonconformities().len(),
        office.events.len()
    );
    for nc in office.register.nonconformities() {
        println!(
            "{}  {}  [{:?}, {:?}]  {}",
            nc.reference, nc.title, nc.severity, nc.source, nc.state
        );
        for r in &nc.requirements {
            let title = catalog
                .resolve(r.as_str())
                .ok()
                .and_then(|item| item.title().map(str::to_owned));
            println!("    breaches {r}  {}", title.unwrap_or_default());
        }
        for a in &nc.analyses {
            for c in &a.causes {
                println!(
                    "    root cause (attempt {}): {:?}: {}",
                    a.attempt, c.category, c.statement
                );
            }
        }
        for a in &nc.actions {
            let done = a
                .completed_at
                .map(|t| t.date_naive().to_string())
                .unwrap_or_default();
            println!(
                "    {} {} (owner {}, due {}, {:?} {done})",
                a.reference, a.description, a.owner, a.due, a.status
            );
        }
        if let Some(plan) = nc.verification_plans.last() {
            println!("    follow-up: {} by {}", plan.schedule, plan.verifier);
        }
        for c in &nc.conclusions {
            println!(
                "    attempt {} verified {} on {}",
                c.attempt,
                if c.effective {
                    "effective"
                } else {
                    "INEFFECTIVE"
                },
                c.at.date_naive()
            );
        }
        if let Some(closure) = &nc.closure {
            for change in &closure.isms_changes {
                println!(
                    "    ISMS change ({:?}): {}",
                    change.kind, change.description
                );
            }
            println!("    closed {} by {}", closure.at.date_naive(), closure.by);
        }
        println!();
    }
    check_invariants(&office.register, &office.policy).map_err(|v| format!("{v:?}"))?;
    if Register::from_events(&office.events) != office.register {
        return Err("the register rebuilt from its events differs from the live one".into());
    }
    println!(
        "All clause-10 invariants hold; the register rebuilt from its events equals the live one."
    );
    Ok(())
}
