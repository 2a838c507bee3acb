//! The seed document's three example actions, end to end, each with its
//! follow-up schedule; the failed-backup case includes an ineffective
//! verification that sends the nonconformity back to root-cause analysis.

use chrono::Duration;
use isms_core::*;

use crate::support::{Desk, actor, at, day};

#[test]
fn unauthorised_access_incident_verified_by_six_months_without_recurrence() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let (maria, bob, carol, dave) = (actor("maria"), actor("bob"), actor("carol"), actor("dave"));
    let nc = desk.report(
        &maria,
        "Unauthorised access to the HR share",
        Source::Incident,
        Severity::Major,
        &[
            "iso27001:2022/A.5.15",
            "iso27001:2022/A.5.18",
            "iso27001:2022/A.6.3",
        ],
    );
    assert_eq!(desk.nc(nc).reference.to_string(), "NC-0001");

    // Major: analysis before containment is refused under the default policy.
    desk.advance(Duration::hours(1));
    let err = desk
        .try_run(
            &maria,
            Command::AnalyseRootCause {
                nonconformity: nc,
                method: AnalysisMethod::FiveWhys,
                causes: vec![RootCause {
                    category: RootCauseCategory::Process,
                    statement: "x".into(),
                }],
                similar: vec![],
                similar_notes: None,
                decision: ActionDecision::ActionRequired,
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::ContainmentRequired {
                severity: Severity::Major,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains(" is major: "),
        "the severity reads as the documents spell it: {err}"
    );

    desk.contain(
        &maria,
        nc,
        "Revoked the leaked credentials and locked the share",
    );
    desk.advance(Duration::days(3));
    desk.analyse(
        &maria,
        nc,
        RootCauseCategory::Process,
        "Leavers' access was not removed on exit",
    );
    let review = desk.plan(
        &maria,
        nc,
        "Review access controls on all shares",
        "bob",
        day(2026, 2, 15),
    );
    let retrain = desk.plan(
        &maria,
        nc,
        "Retrain staff on access requests",
        "carol",
        day(2026, 2, 28),
    );
    // The verifier may not own an action (A.5.3).
    let err = desk
        .try_run(
            &maria,
            Command::PlanVerification {
                nonconformity: nc,
                method: "watch access logs".into(),
                criteria: "no unauthorised access".into(),
                schedule: VerificationSchedule::watch_window(day(2026, 3, 1), Period::months(6)),
                verifier: crate::support::id("bob"),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("segregation of duties"), "{err}");

    desk.advance(Duration::days(20));
    desk.complete(&bob, nc, review);
    assert_eq!(desk.nc(nc).state, NcState::ActionsPlanned);
    desk.advance(Duration::days(10));
    desk.complete(&carol, nc, retrain);
    assert_eq!(desk.nc(nc).state, NcState::Implemented);

    desk.plan_verification(
        &maria,
        nc,
        VerificationSchedule::watch_window(day(2026, 3, 1), Period::months(6)),
        "dave",
    );
    // The watch window ends on 1 September: not before.
    let checks = desk.nc(nc).verification_checks(at(2026, 8, 31));
    assert_eq!(
        checks,
        vec![DueCheck {
            index: 0,
            due: day(2026, 9, 1),
            state: CheckState::Upcoming
        }]
    );
    desk.now = at(2026, 8, 31);
    let err = desk
        .try_run(
            &dave,
            Command::RecordVerification {
                nonconformity: nc,
                check: 0,
                passed: true,
                notes: None,
                evidence: vec![isms_core::EvidenceRef::document("restore test log")],
            },
        )
        .unwrap_err();
    assert!(matches!(err, DecisionError::CheckNotYetDue { .. }), "{err}");
    assert_eq!(
        desk.nc(nc).verification_checks(at(2026, 9, 2))[0].state,
        CheckState::Overdue
    );

    desk.now = at(2026, 9, 1);
    assert_eq!(
        desk.nc(nc).verification_checks(desk.now)[0].state,
        CheckState::Due
    );
    // Only the planned verifier records results.
    let err = desk
        .try_run(
            &maria,
            Command::RecordVerification {
                nonconformity: nc,
                check: 0,
                passed: true,
                notes: None,
                evidence: vec![isms_core::EvidenceRef::document("restore test log")],
            },
        )
        .unwrap_err();
    assert!(matches!(err, DecisionError::NotTheVerifier { .. }), "{err}");
    let d = desk.verify(&dave, nc, 0, true);
    assert_eq!(d.events.len(), 2, "result and the effective conclusion");
    assert_eq!(desk.nc(nc).state, NcState::Effective);

    // Segregated approvals: maria owns the nonconformity, so the ISMS
    // manager approves its closure.
    desk.close(
        &actor("isms-manager"),
        nc,
        vec![IsmsChange {
            kind: IsmsChangeKind::Procedure,
            description: "Leaver procedure now removes share access".into(),
            requirement: Some("iso27001:2022/A.5.18".parse().unwrap()),
            document: None,
        }],
    );
    let n = desk.nc(nc);
    assert_eq!(n.state, NcState::Closed);
    let states: Vec<_> = n.history.iter().map(|t| t.to).collect();
    assert_eq!(
        states,
        [
            NcState::Reported,
            NcState::Contained,
            NcState::Analysed,
            NcState::ActionsPlanned,
            NcState::Implemented,
            NcState::Effective,
            NcState::Closed
        ]
    );
    desk.check();
}

#[test]
fn outdated_procedure_audited_quarterly_with_a_reschedule() {
    let mut desk = Desk::new(at(2026, 2, 2));
    let (omar, erin, audit) = (actor("omar"), actor("erin"), actor("internal-audit"));
    let nc = desk.report(
        &audit,
        "Access review procedure out of date",
        Source::InternalAudit,
        Severity::Minor,
        &["iso27001:2022/7.5.3", "iso27001:2022/A.5.37"],
    );
    // Minor: analysis may go ahead without containment.
    desk.advance(Duration::days(2));
    desk.analyse(
        &omar,
        nc,
        RootCauseCategory::Governance,
        "No owner for the procedure's review cycle",
    );
    let update = desk.plan(
        &omar,
        nc,
        "Update procedure to reflect current risk",
        "erin",
        day(2026, 3, 1),
    );
    desk.advance(Duration::days(20));
    desk.run(
        &omar,
        Command::RescheduleAction {
            nonconformity: nc,
            action: update,
            due: day(2026, 3, 31),
            reason: "Waiting for the new IAM rollout".into(),
        },
    );
    let a = desk.nc(nc).action(update).unwrap();
    assert_eq!((a.original_due, a.due), (day(2026, 3, 1), day(2026, 3, 31)));
    assert_eq!(
        a.due_as_of(at(2026, 2, 10)),
        day(2026, 3, 1),
        "before the reschedule the old date was in force"
    );
    // Rescheduling to the same date is refused.
    let err = desk
        .try_run(
            &omar,
            Command::RescheduleAction {
                nonconformity: nc,
                action: update,
                due: day(2026, 3, 31),
                reason: "again".into(),
            },
        )
        .unwrap_err();
    assert!(matches!(err, DecisionError::SameDueDate { .. }));

    desk.plan_verification(
        &omar,
        nc,
        VerificationSchedule::recurring_count(day(2026, 6, 30), Period::months(3), 4),
        "internal-audit",
    );
    // Closing before implementation names the open action.
    let err = desk
        .try_run(
            &omar,
            Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: nc,
                isms_changes: vec![],
                notes: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot close NC-0001: it is actions_planned; allowed now: record_containment, plan_action, start_action, \
         reschedule_action, complete_action, cancel_action, plan_verification, link_recurrence, \
         change_extensions, record_recurrence, change_links, record_incident_reporting, record_report_submission"
    );
    desk.advance(Duration::days(30));
    desk.complete(&erin, nc, update);

    let expect = [
        day(2026, 6, 30),
        day(2026, 9, 30),
        day(2026, 12, 30),
        day(2027, 3, 30),
    ];
    for (i, due) in expect.iter().enumerate() {
        desk.now = due.and_hms_opt(9, 0, 0).unwrap().and_utc();
        let d = desk.verify(&audit, nc, i as u32, true);
        let concluded = d
            .events
            .iter()
            .any(|e| matches!(e.payload, EventPayload::EffectivenessConcluded { .. }));
        assert_eq!(concluded, i == 3, "only the fourth audit concludes");
    }
    assert_eq!(desk.nc(nc).state, NcState::Effective);
    desk.close(&omar, nc, vec![]);
    desk.check();
}

#[test]
fn failed_backup_ineffective_then_effective_with_monthly_restore_tests() {
    let mut desk = Desk::new(at(2026, 4, 6));
    desk.policy.closure_approver_role = Some(Role::new("isms_manager").unwrap());
    let ops = actor("ops-lead");
    let (sam, vera) = (actor("sam"), actor("vera"));
    let manager = actor("maria").with_role(Role::new("isms_manager").unwrap());
    let nc = desk.report(
        &ops,
        "Nightly backup failed for 3 nights",
        Source::Monitoring,
        Severity::Major,
        &["iso27001:2022/A.8.13"],
    );
    assert_eq!(
        desk.nc(nc).requirements[0].to_string(),
        "iso27001:2022/A.8.13"
    );
    desk.contain(&ops, nc, "Ran a manual full backup and checked it");
    desk.analyse(
        &ops,
        nc,
        RootCauseCategory::Technology,
        "Single backup target with no alerting",
    );
    let redundant = desk.plan(
        &ops,
        nc,
        "Implement redundant backup target",
        "sam",
        day(2026, 5, 1),
    );
    let monitoring = desk.plan(
        &ops,
        nc,
        "Alert on failed backup jobs",
        "sam",
        day(2026, 5, 1),
    );
    desk.plan_verification(
        &ops,
        nc,
        VerificationSchedule::recurring_count(day(2026, 6, 1), Period::months(1), 6),
        "vera",
    );
    desk.advance(Duration::days(14));
    desk.complete(&sam, nc, redundant);
    desk.complete(&sam, nc, monitoring);
    assert_eq!(desk.nc(nc).state, NcState::Implemented);

    desk.now = at(2026, 6, 1);
    desk.verify(&vera, nc, 0, true);
    desk.now = at(2026, 7, 1);
    let d = desk.verify(&vera, nc, 1, false);
    assert!(d.events.iter().any(|e| matches!(
        e.payload,
        EventPayload::EffectivenessConcluded {
            effective: false,
            ..
        }
    )));
    let n = desk.nc(nc);
    assert_eq!(n.state, NcState::Ineffective);
    assert_eq!(n.attempt, 1);
    // Ineffective: closing is refused; analysis is due again.
    let err = desk
        .try_run(
            &manager,
            Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: nc,
                isms_changes: vec![],
                notes: None,
            },
        )
        .unwrap_err();
    assert!(matches!(
        err,
        DecisionError::TransitionNotAllowed {
            state: NcState::Ineffective,
            ..
        }
    ));

    desk.advance(Duration::days(2));
    desk.analyse(
        &ops,
        nc,
        RootCauseCategory::Supplier,
        "Restore fails: the backup tool's vendor changed the format",
    );
    assert_eq!(desk.nc(nc).attempt, 2);
    let fix = desk.plan(
        &ops,
        nc,
        "Pin the backup format and test restores automatically",
        "sam",
        day(2026, 7, 20),
    );
    desk.advance(Duration::days(10));
    desk.complete(&sam, nc, fix);
    desk.plan_verification(
        &ops,
        nc,
        VerificationSchedule::recurring_count(day(2026, 8, 1), Period::months(1), 6),
        "vera",
    );
    let dates = desk
        .nc(nc)
        .current_plan()
        .unwrap()
        .schedule
        .check_dates()
        .unwrap();
    assert_eq!(dates.last(), Some(&day(2027, 1, 1)));
    for (i, date) in dates.iter().enumerate() {
        desk.now = date.and_hms_opt(8, 0, 0).unwrap().and_utc();
        desk.verify(&vera, nc, i as u32, true);
    }
    assert_eq!(desk.nc(nc).state, NcState::Effective);
    // The policy's approver role is required to close.
    let err = desk
        .try_run(
            &ops,
            Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: nc,
                isms_changes: vec![],
                notes: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::ApproverRoleMissing { .. }),
        "{err}"
    );
    desk.close(&manager, nc, vec![]);
    let n = desk.nc(nc);
    assert_eq!(
        n.conclusions
            .iter()
            .map(|c| c.effective)
            .collect::<Vec<_>>(),
        [false, true]
    );
    assert_eq!(n.analyses.len(), 2);
    assert_eq!(
        n.actions.iter().map(|a| a.attempt).collect::<Vec<_>>(),
        [1, 1, 2]
    );
    desk.check();

    // A later failure is linked as a recurrence of the closed one.
    desk.advance(Duration::days(40));
    let again = desk.report(
        &ops,
        "Backup failed again",
        Source::Monitoring,
        Severity::Minor,
        &["iso27001:2022/A.8.13"],
    );
    desk.run(
        &ops,
        Command::LinkRecurrence {
            nonconformity: again,
            recurrence_of: nc,
        },
    );
    assert_eq!(desk.nc(again).recurrence_of, Some(nc));
    let err = desk
        .try_run(
            &ops,
            Command::LinkRecurrence {
                nonconformity: nc,
                recurrence_of: again,
            },
        )
        .unwrap_err();
    assert!(matches!(
        err,
        DecisionError::TransitionNotAllowed {
            state: NcState::Closed,
            ..
        }
    ));
    desk.check();
}

#[test]
fn no_action_decision_needs_justification_and_still_verifies_the_correction() {
    let mut desk = Desk::new(at(2026, 5, 4));
    let (ann, ben) = (actor("ann"), actor("ben"));
    let nc = desk.report(
        &ann,
        "Visitor badge not returned",
        Source::SelfIdentified,
        Severity::Minor,
        &["iso27001:2022/A.7.2"],
    );
    let justification = |s: &str| ActionDecision::NoActionRequired {
        justification: s.into(),
        approved_by: crate::support::id("ben"),
    };
    let analyse = |decision| Command::AnalyseRootCause {
        nonconformity: nc,
        method: AnalysisMethod::Other,
        causes: vec![RootCause {
            category: RootCauseCategory::People,
            statement: "one-off lapse".into(),
        }],
        similar: vec![],
        similar_notes: Some("no other visitor badge is missing".into()),
        decision,
    };
    let err = desk
        .try_run(&ann, analyse(justification("   ")))
        .unwrap_err();
    assert!(matches!(
        err,
        DecisionError::EmptyField {
            field: "decision.justification"
        }
    ));
    desk.run(
        &ann,
        analyse(justification("Single lapse; badge deactivated at once")),
    );
    assert_eq!(desk.nc(nc).state, NcState::Implemented);
    // No actions may be planned after that decision.
    let action = desk.action_id();
    let err = desk
        .try_run(
            &ann,
            Command::PlanAction {
                nonconformity: nc,
                action,
                description: "x".into(),
                owner: crate::support::id("ann"),
                due: day(2026, 6, 1),
                late_justification: None,
            },
        )
        .unwrap_err();
    assert!(matches!(err, DecisionError::TransitionNotAllowed { .. }));
    desk.plan_verification(&ann, nc, VerificationSchedule::once(day(2026, 5, 4)), "ben");
    desk.verify(&ben, nc, 0, true);
    desk.close(&actor("isms-manager"), nc, vec![]);
    desk.check();
}
