//! The seed document's three examples as named scenarios, run end to end
//! through the core: the demo, the docs and the tests reuse them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use isms_core::{
    ActionDecision, ActionId, Actor, ActorId, AnalysisMethod, Command, Context, Event, EvidenceRef,
    ImprovementId, ImprovementSource, IsmsChange, IsmsChangeKind, NonconformityId, Period, Policy,
    Priority, ProposeImprovement, Register, ReportNonconformity, RootCause, RootCauseCategory,
    Severity, Source, VerificationSchedule,
};

use crate::error::GenError;

/// The register after the three seed scenarios, with the identifiers a
/// demo needs to point at them.
#[derive(Clone, Debug)]
pub struct SeedScenarios {
    /// The register holding the three nonconformities and the improvement.
    pub register: Register,
    /// Every event, in the order recorded (chronological: replaying them
    /// gives the same register).
    pub events: Vec<Event>,
    /// (1) Unauthorised access incident: review access controls and retrain
    /// staff; verified by a six-month watch for recurrence. Closed.
    pub unauthorised_access: NonconformityId,
    /// (2) Outdated procedure: update it to reflect current risk; compliance
    /// audited quarterly, four times. Closed.
    pub outdated_procedure: NonconformityId,
    /// (3) Failed backup (ISO/IEC 27001:2022 A.8.13): redundant backup and
    /// monitoring; restoration tested monthly, six times. The second test
    /// fails, which sends it back to root-cause analysis; the second attempt
    /// passes all six tests. Closed.
    pub failed_backup: NonconformityId,
    /// The improvement (10.1) the incident's post-incident review proposed:
    /// quarterly access recertification. Realised.
    pub access_recertification: ImprovementId,
    /// When the last event was recorded.
    pub last_event_at: DateTime<Utc>,
}

struct Runner {
    register: Register,
    policy: Policy,
    events: Vec<Event>,
    entropy: u128,
}

impl Runner {
    fn run(&mut self, command: Command, at: DateTime<Utc>, actor: &str) -> Result<(), GenError> {
        let actor = Actor::new(ActorId::new(actor)?);
        self.entropy += 1 << 20;
        let ctx = Context::new(at, actor, &self.policy).with_entropy(self.entropy);
        let decision =
            self.register
                .execute(&command, &ctx)
                .map_err(|source| GenError::Refused {
                    command: format!("{:?}", command.target()),
                    at,
                    source,
                })?;
        self.events.extend(decision.events);
        Ok(())
    }
}

fn id_bytes(tag: u8) -> [u8; 10] {
    [tag, 0x5e, 0xed, 0, 0, 0, 0, 0, 0, tag]
}

fn millis(t: DateTime<Utc>) -> u64 {
    u64::try_from(t.timestamp_millis()).unwrap_or(0)
}

fn report(
    id: NonconformityId,
    title: &str,
    source: Source,
    severity: Severity,
    requirements: &[&str],
    owner: &str,
    detected_at: DateTime<Utc>,
) -> Result<Command, GenError> {
    Ok(Command::ReportNonconformity(ReportNonconformity {
        audit: None,
        id,
        title: title.into(),
        description: title.into(),
        source,
        severity,
        requirements: requirements
            .iter()
            .map(|r| r.parse())
            .collect::<Result<_, _>>()?,
        owner: ActorId::new(owner)?,
        detected_at,
        external_deadline: None,
        links: Vec::new(),
        extensions: Default::default(),
    }))
}

fn analyse(nc: NonconformityId, causes: &[(RootCauseCategory, &str)]) -> Command {
    Command::AnalyseRootCause {
        nonconformity: nc,
        method: AnalysisMethod::FiveWhys,
        causes: causes
            .iter()
            .map(|(category, statement)| RootCause {
                category: *category,
                statement: (*statement).into(),
            })
            .collect(),
        similar: Vec::new(),
        similar_notes: Some("No similar nonconformity found in the register".into()),
        decision: ActionDecision::ActionRequired,
    }
}

fn plan_action(
    nc: NonconformityId,
    action: ActionId,
    description: &str,
    owner: &str,
    due: NaiveDate,
) -> Result<Command, GenError> {
    Ok(Command::PlanAction {
        nonconformity: nc,
        action,
        description: description.into(),
        owner: ActorId::new(owner)?,
        due,
        late_justification: None,
    })
}

fn complete(nc: NonconformityId, action: ActionId, evidence: &str) -> Command {
    Command::CompleteAction {
        nonconformity: nc,
        action,
        evidence: vec![EvidenceRef::document(evidence)],
    }
}

fn plan_verification(
    nc: NonconformityId,
    method: &str,
    criteria: &str,
    schedule: VerificationSchedule,
    verifier: &str,
) -> Result<Command, GenError> {
    Ok(Command::PlanVerification {
        nonconformity: nc,
        method: method.into(),
        criteria: criteria.into(),
        schedule,
        verifier: ActorId::new(verifier)?,
    })
}

fn check(nc: NonconformityId, index: u32, passed: bool, notes: &str) -> Command {
    Command::RecordVerification {
        nonconformity: nc,
        check: index,
        passed,
        notes: Some(notes.into()),
        evidence: vec![EvidenceRef::document(format!("check record {index}"))],
    }
}

fn change(
    kind: IsmsChangeKind,
    description: &str,
    requirement: &str,
) -> Result<IsmsChange, GenError> {
    Ok(IsmsChange {
        kind,
        description: description.into(),
        requirement: Some(requirement.parse()?),
        document: None,
    })
}

/// Records every check of `schedule` on its date at 10:00, passing except
/// the check at `fail` (which ends the attempt, ineffective).
fn run_checks(
    r: &mut Runner,
    nc: NonconformityId,
    schedule: &VerificationSchedule,
    verifier: &str,
    fail: Option<u32>,
) -> Result<DateTime<Utc>, GenError> {
    let mut last = None;
    for (i, d) in schedule.check_dates()?.into_iter().enumerate() {
        let i = i as u32;
        let at = d.and_hms_opt(10, 0, 0).unwrap_or_default().and_utc();
        let passed = fail != Some(i);
        let notes = if passed {
            "Criteria met"
        } else {
            "Restore incomplete: database volumes missing"
        };
        r.run(check(nc, i, passed, notes), at, verifier)?;
        last = Some(at);
        if !passed {
            break;
        }
    }
    last.ok_or(GenError::Schedule(isms_core::ScheduleError::BadCount {
        count: 0,
        max: isms_core::MAX_CHECKS,
    }))
}

/// Runs the seed document's three examples end to end from `start` (each
/// reported a few days apart, every follow-up on its schedule), plus the
/// improvement the incident's review proposed. Everything goes through
/// [`Register::execute`] under the default [`Policy`], including one
/// ineffective verification that sends the backup nonconformity back to
/// root-cause analysis.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use isms_core::NcState;
/// let s = isms_gen::seed_scenarios(Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap())?;
/// let backup = s.register.nonconformity(s.failed_backup).unwrap();
/// assert_eq!(backup.state, NcState::Closed);
/// assert_eq!(backup.attempt, 2); // one ineffective verification
/// assert_eq!(backup.requirements[0].to_string(), "iso27001:2022/A.8.13");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn seed_scenarios(start: DateTime<Utc>) -> Result<SeedScenarios, GenError> {
    seed_scenarios_onto(Register::new(), start)
}

/// The three seed scenarios run on top of an existing register (the
/// demo's generated history), so that they take the next references in
/// it. [`SeedScenarios::register`] is the combined register;
/// [`SeedScenarios::events`] holds only the scenarios' events.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let history = isms_gen::generate(&isms_gen::GeneratorConfig::new(20, 1))?;
/// let s = isms_gen::seed_scenarios_onto(
///     history.register,
///     Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
/// )?;
/// let access = s.register.nonconformity(s.unauthorised_access).unwrap();
/// assert_eq!(access.reference.to_string(), "NC-0021");
/// assert_eq!(s.register.nonconformities().len(), 23);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`GenError::Refused`] if the core refuses a step, which happens only
/// when `register` already holds the scenarios' identifiers.
pub fn seed_scenarios_onto(
    register: Register,
    start: DateTime<Utc>,
) -> Result<SeedScenarios, GenError> {
    let day = |d: i64, h: i64| start + Duration::days(d) + Duration::hours(h);
    let mut r = Runner {
        register,
        policy: Policy::default(),
        events: Vec::new(),
        entropy: 0,
    };
    let manager = "isms-manager";
    let auditor = "internal-auditor";

    // (1) Unauthorised access incident.
    let access = NonconformityId::v7_from_parts(millis(day(0, 10)), id_bytes(1));
    r.run(
        report(
            access,
            "Unauthorised access to the HR share",
            Source::Incident,
            Severity::Major,
            &[
                "iso27001:2022/A.5.15",
                "iso27001:2022/A.5.18",
                "nis2/21.2.i",
            ],
            "it-ops-lead",
            day(0, 8),
        )?,
        day(0, 10),
        "soc-analyst",
    )?;
    // A significant incident under NIS2: aware at 08:00, the early warning
    // and the notification go out on time, the final report a week late.
    r.run(
        Command::record_incident_reporting(access, day(0, 8), true),
        day(0, 11),
        "it-ops-lead",
    )?;
    r.run(
        Command::RecordContainment {
            nonconformity: access,
            action_taken: "Disabled the account and revoked its sessions".into(),
            consequences: Some("HR informed; no data left the company".into()),
            late_justification: None,
        },
        day(0, 14),
        "it-ops-lead",
    )?;
    r.run(
        Command::record_report_submission(access, "early_warning", "CSIRT", day(0, 19)),
        day(0, 20),
        "it-ops-lead",
    )?;
    r.run(
        Command::record_report_submission(access, "incident_notification", "CSIRT", day(2, 9)),
        day(2, 9),
        "it-ops-lead",
    )?;
    r.run(
        analyse(
            access,
            &[
                (
                    RootCauseCategory::Process,
                    "Access rights not reviewed after a role change",
                ),
                (
                    RootCauseCategory::People,
                    "Staff shared credentials to get work done",
                ),
            ],
        ),
        day(3, 10),
        "it-ops-lead",
    )?;
    let review = ActionId::v7_from_parts(millis(day(4, 9)), id_bytes(11));
    let retrain = ActionId::v7_from_parts(millis(day(4, 10)), id_bytes(12));
    r.run(
        plan_action(
            access,
            review,
            "Review access controls",
            "iam-lead",
            day(30, 0).date_naive(),
        )?,
        day(4, 9),
        manager,
    )?;
    r.run(
        plan_action(
            access,
            retrain,
            "Retrain staff",
            "hr-training",
            day(45, 0).date_naive(),
        )?,
        day(4, 10),
        manager,
    )?;
    r.run(
        Command::StartAction {
            nonconformity: access,
            action: review,
        },
        day(5, 9),
        "iam-lead",
    )?;
    r.run(
        complete(access, review, "IAM-REVIEW-2026-01"),
        day(25, 16),
        "iam-lead",
    )?;
    r.run(
        Command::record_report_submission(access, "final_report", "CSIRT", day(38, 9)),
        day(38, 10),
        "it-ops-lead",
    )?;
    r.run(
        complete(access, retrain, "LMS-REPORT-CREDENTIALS"),
        day(40, 15),
        "hr-training",
    )?;
    // The window opens on the day the last action was completed (not before).
    let watch = VerificationSchedule::watch_window(day(40, 15).date_naive(), Period::months(6));
    r.run(
        plan_verification(
            access,
            "Review of access logs and incident records",
            "No recurrence of unauthorised access",
            watch,
            auditor,
        )?,
        day(41, 9),
        manager,
    )?;
    let last = run_checks(&mut r, access, &watch, auditor, None)?;
    r.run(
        Command::CloseNonconformity {
            risk_acceptance: None,
            nonconformity: access,
            isms_changes: vec![
                change(
                    IsmsChangeKind::Control,
                    "Access review after every role change",
                    "iso27001:2022/A.5.18",
                )?,
                change(
                    IsmsChangeKind::Training,
                    "Credential handling in the annual training",
                    "iso27001:2022/A.6.3",
                )?,
            ],
            notes: None,
        },
        last + Duration::days(2),
        manager,
    )?;
    let recert = ImprovementId::v7_from_parts(millis(day(45, 9)), id_bytes(21));
    r.run(
        Command::ProposeImprovement(ProposeImprovement {
            audit: None,
            id: recert,
            source: ImprovementSource::PostIncidentReview,
            nonconformity: Some(access),
            title: "Quarterly access recertification".into(),
            description: "Managers confirm their team's access every quarter".into(),
            expected_benefit: "Stale access found within three months".into(),
            priority: Priority::High,
            owner: ActorId::new("iam-lead")?,
            due: Some(day(150, 0).date_naive()),
            links: Vec::new(),
            extensions: Default::default(),
        }),
        day(45, 9),
        manager,
    )?;
    // Segregated approvals: the manager proposed it, the CISO approves it.
    r.run(
        Command::ApproveImprovement {
            improvement: recert,
        },
        day(50, 9),
        "ciso",
    )?;
    r.run(
        Command::StartImprovement {
            improvement: recert,
        },
        day(55, 9),
        "iam-lead",
    )?;
    r.run(
        Command::RealiseImprovement {
            improvement: recert,
            isms_changes: vec![change(
                IsmsChangeKind::Procedure,
                "Quarterly recertification procedure",
                "iso27001:2022/A.5.18",
            )?],
            measured_effect: None,
        },
        day(120, 9),
        "iam-lead",
    )?;

    // (2) Outdated procedure.
    let procedure = NonconformityId::v7_from_parts(millis(day(10, 10)), id_bytes(2));
    r.run(
        report(
            procedure,
            "Access review procedure out of date",
            Source::InternalAudit,
            Severity::Minor,
            &["iso27001:2022/7.5.3", "iso27001:2022/A.5.37"],
            "process-owner",
            day(10, 9),
        )?,
        day(10, 10),
        auditor,
    )?;
    r.run(
        analyse(
            procedure,
            &[(RootCauseCategory::Process, "No review cycle for procedures")],
        ),
        day(14, 10),
        "process-owner",
    )?;
    let update = ActionId::v7_from_parts(millis(day(15, 9)), id_bytes(13));
    r.run(
        plan_action(
            procedure,
            update,
            "Update procedure to reflect current risk",
            "process-owner",
            day(40, 0).date_naive(),
        )?,
        day(15, 9),
        manager,
    )?;
    r.run(
        complete(procedure, update, "DOC-ACR-v3"),
        day(35, 11),
        "process-owner",
    )?;
    let quarterly = VerificationSchedule::recurring_count(
        day(35, 0).date_naive() + chrono::Months::new(3),
        Period::months(3),
        4,
    );
    r.run(
        plan_verification(
            procedure,
            "Compliance audit of access reviews",
            "Reviews follow the current procedure",
            quarterly,
            "quality-auditor",
        )?,
        day(36, 9),
        manager,
    )?;
    let last = run_checks(&mut r, procedure, &quarterly, "quality-auditor", None)?;
    r.run(
        Command::CloseNonconformity {
            risk_acceptance: None,
            nonconformity: procedure,
            isms_changes: vec![change(
                IsmsChangeKind::Procedure,
                "Annual review cycle for procedures",
                "iso27001:2022/7.5.3",
            )?],
            notes: None,
        },
        last + Duration::days(3),
        manager,
    )?;

    // (3) Failed backup, with an ineffective first verification.
    let backup = NonconformityId::v7_from_parts(millis(day(20, 7)), id_bytes(3));
    r.run(
        report(
            backup,
            "Nightly backup failed for three nights",
            Source::Monitoring,
            Severity::Major,
            &["iso27001:2022/A.8.13", "nis2/21.2.c"],
            "infra-lead",
            day(20, 6),
        )?,
        day(20, 7),
        "monitoring-bot",
    )?;
    r.run(
        Command::RecordContainment {
            nonconformity: backup,
            action_taken: "Ran a manual backup and checked it".into(),
            consequences: None,
            late_justification: None,
        },
        day(20, 11),
        "infra-lead",
    )?;
    r.run(
        analyse(
            backup,
            &[(
                RootCauseCategory::Technology,
                "One backup target and no failure alert",
            )],
        ),
        day(23, 10),
        "infra-lead",
    )?;
    let redundant = ActionId::v7_from_parts(millis(day(24, 9)), id_bytes(14));
    let monitoring = ActionId::v7_from_parts(millis(day(24, 10)), id_bytes(15));
    r.run(
        plan_action(
            backup,
            redundant,
            "Implement redundant backup",
            "backup-admin",
            day(50, 0).date_naive(),
        )?,
        day(24, 9),
        manager,
    )?;
    r.run(
        plan_action(
            backup,
            monitoring,
            "Monitor backup jobs",
            "infra-lead",
            day(50, 0).date_naive(),
        )?,
        day(24, 10),
        manager,
    )?;
    r.run(
        complete(backup, redundant, "CHG-BACKUP-2"),
        day(45, 16),
        "backup-admin",
    )?;
    r.run(
        complete(backup, monitoring, "CHG-ALERT-7"),
        day(48, 16),
        "infra-lead",
    )?;
    let monthly = VerificationSchedule::recurring_count(
        day(48, 0).date_naive() + chrono::Months::new(1),
        Period::months(1),
        6,
    );
    r.run(
        plan_verification(
            backup,
            "Test restoration",
            "Full restore within four hours",
            monthly,
            auditor,
        )?,
        day(49, 9),
        manager,
    )?;
    let failed = run_checks(&mut r, backup, &monthly, auditor, Some(1))?;
    r.run(
        analyse(
            backup,
            &[
                (
                    RootCauseCategory::Technology,
                    "Replication skipped database volumes",
                ),
                (
                    RootCauseCategory::Process,
                    "Restore tests not in the change checklist",
                ),
            ],
        ),
        failed + Duration::days(3),
        "infra-lead",
    )?;
    let volumes = ActionId::v7_from_parts(millis(failed + Duration::days(4)), id_bytes(16));
    r.run(
        plan_action(
            backup,
            volumes,
            "Include database volumes in replication",
            "backup-admin",
            (failed + Duration::days(18)).date_naive(),
        )?,
        failed + Duration::days(4),
        manager,
    )?;
    let fixed = failed + Duration::days(14);
    r.run(
        complete(backup, volumes, "CHG-BACKUP-3"),
        fixed,
        "backup-admin",
    )?;
    let monthly2 = VerificationSchedule::recurring_count(
        fixed.date_naive() + chrono::Months::new(1),
        Period::months(1),
        6,
    );
    r.run(
        plan_verification(
            backup,
            "Test restoration",
            "Full restore within four hours",
            monthly2,
            auditor,
        )?,
        fixed + Duration::days(1),
        manager,
    )?;
    let last = run_checks(&mut r, backup, &monthly2, auditor, None)?;
    r.run(
        Command::CloseNonconformity {
            risk_acceptance: None,
            nonconformity: backup,
            isms_changes: vec![
                change(
                    IsmsChangeKind::Control,
                    "Redundant, monitored backup",
                    "iso27001:2022/A.8.13",
                )?,
                change(
                    IsmsChangeKind::Procedure,
                    "Restore test in the change checklist",
                    "iso27001:2022/A.8.32",
                )?,
            ],
            notes: None,
        },
        last + Duration::days(2),
        manager,
    )?;

    let mut events = r.events;
    events.sort_by_key(|e| e.at);
    let last_event_at = events.last().map_or(start, |e| e.at);
    Ok(SeedScenarios {
        register: r.register,
        events,
        unauthorised_access: access,
        outdated_procedure: procedure,
        failed_backup: backup,
        access_recertification: recert,
        last_event_at,
    })
}
