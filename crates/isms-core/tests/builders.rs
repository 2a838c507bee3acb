//! The constructors build what the long form builds, and each optional
//! setter changes exactly the commands `accepts_field` names.

use chrono::{TimeZone, Utc};
use isms_core::*;

use crate::support::day;

fn all_commands() -> Vec<Command> {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let nc = NonconformityId::v7(at, 1);
    let other = NonconformityId::v7(at, 2);
    let action = ActionId::v7(at, 3);
    let imp = ImprovementId::v7(at, 4);
    let who = ActorId::new("bob").unwrap();
    let cause = RootCause::new(RootCauseCategory::Process, "no restore test");
    vec![
        ReportNonconformity::new(
            nc,
            "t",
            "d",
            Source::Incident,
            Severity::Major,
            who.clone(),
            at,
        )
        .into(),
        Command::record_containment(nc, "isolated"),
        Command::analyse_root_cause(nc, AnalysisMethod::FiveWhys, vec![cause.clone()]),
        Command::analyse_root_cause_no_action(
            nc,
            AnalysisMethod::Other,
            vec![cause],
            "one-off",
            who.clone(),
        ),
        Command::plan_action(nc, action, "fix", who.clone(), day(2026, 4, 1)),
        Command::start_action(nc, action),
        Command::reschedule_action(nc, action, day(2026, 5, 1), "supplier late"),
        Command::complete_action(nc, action),
        Command::cancel_action(nc, action, "superseded"),
        Command::plan_verification(
            nc,
            "restore test",
            "full restore",
            VerificationSchedule::once(day(2026, 6, 1)),
            who.clone(),
        ),
        Command::record_verification(nc, 0, true),
        Command::close(nc),
        Command::reject(
            nc,
            RejectionReason::Duplicate { of: other },
            "same as other",
        ),
        Command::link_recurrence(nc, other),
        Command::record_recurrence(other, nc),
        Command::record_missed_check(nc, 0, "auditor ill"),
        Command::end_verification(nc, "two clean quarters"),
        ProposeImprovement::new(
            imp,
            ImprovementSource::Feedback,
            "t",
            "d",
            "b",
            Priority::Low,
            who,
        )
        .into(),
        Command::record_incident_reporting(nc, at, true),
        Command::record_report_submission(nc, "early_warning", "CSIRT", at),
        Command::approve_improvement(imp),
        Command::start_improvement(imp),
        Command::realise_improvement(imp),
        Command::reject_improvement(imp, "no budget"),
        Command::record_improvement_effect(imp, "fewer incidents"),
        Command::change_extensions(nc).set("ticket", "SEC-1"),
        Command::change_improvement_extensions(imp).remove("budget"),
        Command::change_links(nc, vec![ExternalLink::new(LinkKind::Risk, "R-7")], vec![]),
    ]
}

#[test]
fn every_command_kind_has_a_constructor() {
    let kinds: std::collections::BTreeSet<String> = all_commands()
        .iter()
        .map(|c| match c.target() {
            CommandTarget::Nonconformity(_, k) => k.to_string(),
            CommandTarget::Improvement(_, k) => format!("improvement {k}"),
        })
        .collect();
    assert_eq!(
        kinds.len(),
        NcCommandKind::ALL.len() + ImprovementCommandKind::ALL.len(),
        "{kinds:?}"
    );
}

/// A named optional-field setter, applied to every kind of command.
type Setter = (&'static str, fn(Command) -> Command);

#[test]
fn setters_change_exactly_the_commands_that_carry_the_field() {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let setters: Vec<Setter> = vec![
        ("consequences", |c| c.with_consequences("x")),
        ("late_justification", |c| c.with_late_justification("x")),
        ("similar", |c| {
            c.with_similar(NonconformityId::v7(Utc.timestamp_opt(0, 0).unwrap(), 9))
        }),
        ("similar_notes", |c| c.with_similar_notes("x")),
        ("evidence", |c| c.with_evidence("ticket/1")),
        ("notes", |c| c.with_notes("x")),
        ("isms_changes", |c| {
            c.with_isms_change(IsmsChange::new(IsmsChangeKind::Procedure, "x"))
        }),
        ("measured_effect", |c| c.with_measured_effect("x")),
    ];
    let mut carried = 0;
    for command in all_commands() {
        for (field, set) in &setters {
            let changed = set(command.clone()) != command;
            assert_eq!(
                changed,
                command.accepts_field(field),
                "{field} on {:?}",
                command.target()
            );
            carried += usize::from(changed);
        }
    }
    assert_eq!(carried, 14, "the optional fields of all commands");
    let _ = at;
}

#[test]
fn the_one_line_report_equals_the_long_form() {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let id = NonconformityId::v7(at, 7);
    let owner = ActorId::new("ops-lead").unwrap();
    let short = ReportNonconformity::new(
        id,
        "T",
        "D",
        Source::InternalAudit,
        Severity::Minor,
        owner.clone(),
        at,
    )
    .requirement("nis2/21.2.c".parse().unwrap())
    .external_deadline(day(2026, 4, 1))
    .link(LinkKind::Incident, "INC-1")
    .extension("ticket", "SEC-1");
    let long = ReportNonconformity {
        audit: None,
        id,
        title: "T".into(),
        description: "D".into(),
        source: Source::InternalAudit,
        severity: Severity::Minor,
        requirements: vec!["nis2/21.2.c".parse().unwrap()],
        owner,
        detected_at: at,
        external_deadline: Some(day(2026, 4, 1)),
        links: vec![ExternalLink {
            kind: LinkKind::Incident,
            id: "INC-1".into(),
        }],
        extensions: [("ticket".to_owned(), serde_json::json!("SEC-1"))].into(),
    };
    assert_eq!(short, long);
}

#[test]
fn v7_ids_carry_the_callers_time_and_entropy() {
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let a = NonconformityId::v7(at, 1).as_uuid();
    let b = NonconformityId::v7(at, 2).as_uuid();
    assert_ne!(a, b);
    assert_eq!(a.get_version_num(), 7);
    let (secs, nanos) = a.get_timestamp().unwrap().to_unix();
    assert_eq!(secs as i64, at.timestamp());
    assert_eq!(nanos, 0);
    // Before 1970 counts as 1970, never a panic.
    let early = Utc.with_ymd_and_hms(1960, 1, 1, 0, 0, 0).unwrap();
    assert_eq!(
        ActionId::v7(early, 5)
            .as_uuid()
            .get_timestamp()
            .unwrap()
            .to_unix()
            .0,
        0
    );
}
