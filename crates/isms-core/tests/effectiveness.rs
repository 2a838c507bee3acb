//! Clause 10.2 d) done right: effectiveness checks that react to
//! recurrences, failures recorded when they happen, watch windows anchored
//! on the fix, checks in order or recorded as missed, early ends by the
//! verifier; plus the 10.2 b) record of similar nonconformities,
//! segregated approvals, and the recording time and roles on every event.
//!
//! Each finding of issue 16 is reproduced here as it was walked through
//! the register (the test failed before the rule existed).

use chrono::Duration;
use isms_core::*;

use crate::support::{Desk, actor, at, day, id};

/// NC-0001 with two actions done (completed on 2026-02-14) and a six-month
/// watch window from 2026-03-01 verified by dave.
fn watched(desk: &mut Desk) -> NonconformityId {
    let maria = actor("maria");
    let nc = desk.report(
        &maria,
        "Unauthorised access to the HR share",
        Source::Incident,
        Severity::Major,
        &["iso27001:2022/A.5.15"],
    );
    desk.contain(&maria, nc, "Locked the share");
    desk.advance(Duration::days(3));
    desk.analyse(
        &maria,
        nc,
        RootCauseCategory::Process,
        "Leavers kept access",
    );
    let review = desk.plan(&maria, nc, "Review share access", "bob", day(2026, 2, 15));
    desk.now = at(2026, 2, 14);
    desk.complete(&actor("bob"), nc, review);
    assert_eq!(desk.nc(nc).state, NcState::Implemented);
    desk.plan_verification(
        &maria,
        nc,
        VerificationSchedule::watch_window(day(2026, 3, 1), Period::months(6)),
        "dave",
    );
    nc
}

fn record(check: u32, passed: bool, nc: NonconformityId) -> Command {
    Command::RecordVerification {
        nonconformity: nc,
        check,
        passed,
        notes: None,
        evidence: vec![],
    }
}

#[test]
fn a_recurrence_in_month_two_of_the_watch_window_reopens_the_item() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let nc = watched(&mut desk);
    desk.now = at(2026, 5, 20);
    let again = desk.report(
        &actor("maria"),
        "HR share accessed by a leaver again",
        Source::Incident,
        Severity::Major,
        &["iso27001:2022/A.5.15"],
    );
    desk.run(
        &actor("maria"),
        Command::LinkRecurrence {
            nonconformity: again,
            recurrence_of: nc,
        },
    );
    let d = desk.run(
        &actor("maria"),
        Command::RecordRecurrence {
            nonconformity: nc,
            recurrence: again,
        },
    );
    assert_eq!(d.events.len(), 2, "the recurrence and the conclusion");
    let first = desk.nc(nc);
    assert_eq!(first.state, NcState::Ineffective, "concluded at once");
    assert_eq!(first.recurrences.len(), 1);
    assert_eq!(first.recurrences[0].recurrence, again);
    assert_eq!(
        desk.nc(again).recurrence_of,
        Some(nc),
        "shown on both items"
    );
    assert!(
        first.conclusions.last().is_some_and(|c| !c.effective),
        "the attempt is recorded as ineffective"
    );
    // The window's end can no longer pass it.
    desk.now = at(2026, 9, 1);
    let err = desk
        .try_run(&actor("dave"), record(0, true, nc))
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::TransitionNotAllowed { .. }),
        "{err}"
    );
    // Containment may be recorded again, then the next attempt's analysis.
    desk.contain(&actor("maria"), nc, "Disabled the leaver's remaining token");
    desk.analyse(
        &actor("maria"),
        nc,
        RootCauseCategory::Technology,
        "Tokens outlive the account",
    );
    assert_eq!(desk.nc(nc).attempt, 2);
    assert_eq!(desk.nc(nc).state, NcState::Analysed);
    // Recording the same recurrence twice is refused.
    let err = desk
        .try_run(
            &actor("maria"),
            Command::RecordRecurrence {
                nonconformity: nc,
                recurrence: again,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::RecurrenceAlreadyRecorded { .. }),
        "{err}"
    );
    desk.check();
}

#[test]
fn a_recurrence_can_only_point_at_a_later_item_and_leaves_an_unverified_one_in_place() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let ann = actor("ann");
    let earlier = desk.report(
        &ann,
        "Badge lost",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    let later = desk.report(
        &ann,
        "Badge lost again",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    let err = desk
        .try_run(
            &ann,
            Command::RecordRecurrence {
                nonconformity: later,
                recurrence: earlier,
            },
        )
        .unwrap_err();
    assert!(matches!(err, DecisionError::BadRecurrence { .. }), "{err}");
    let d = desk.run(
        &ann,
        Command::RecordRecurrence {
            nonconformity: earlier,
            recurrence: later,
        },
    );
    assert_eq!(
        d.events.len(),
        1,
        "no verification under way: nothing to conclude"
    );
    assert_eq!(desk.nc(earlier).state, NcState::Reported);
    desk.check();
}

#[test]
fn a_failure_may_be_recorded_inside_the_window_a_pass_only_at_its_end() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let nc = watched(&mut desk);
    let dave = actor("dave");
    // Before the window opens nothing is recorded against it.
    desk.now = at(2026, 2, 20);
    let err = desk.try_run(&dave, record(0, false, nc)).unwrap_err();
    assert!(matches!(err, DecisionError::WindowNotOpen { .. }), "{err}");
    // In month 2 a pass is refused, a failure goes through.
    desk.now = at(2026, 5, 20);
    let err = desk.try_run(&dave, record(0, true, nc)).unwrap_err();
    assert!(matches!(err, DecisionError::CheckNotYetDue { .. }), "{err}");
    desk.run(&dave, record(0, false, nc));
    assert_eq!(desk.nc(nc).state, NcState::Ineffective);
    desk.check();
}

#[test]
fn an_ad_hoc_failed_restore_test_before_the_monthly_date_concludes_ineffective() {
    let mut desk = Desk::new(at(2026, 1, 5));
    let ops = actor("ops-lead");
    let nc = desk.report(
        &ops,
        "Backup failed",
        Source::Monitoring,
        Severity::Minor,
        &[],
    );
    desk.analyse(
        &ops,
        nc,
        RootCauseCategory::Technology,
        "Job never monitored",
    );
    let fix = desk.plan(&ops, nc, "Alert on failed jobs", "sam", day(2026, 1, 20));
    desk.now = at(2026, 1, 19);
    desk.complete(&actor("sam"), nc, fix);
    desk.plan_verification(
        &ops,
        nc,
        VerificationSchedule::recurring_count(day(2026, 1, 31), Period::months(1), 6),
        "vera",
    );
    desk.now = at(2026, 1, 31);
    desk.verify(&actor("vera"), nc, 0, true);
    desk.now = at(2026, 2, 10);
    desk.verify(&actor("vera"), nc, 1, false);
    assert_eq!(desk.nc(nc).state, NcState::Ineffective);
    desk.check();
}

#[test]
fn a_watch_window_starts_no_earlier_than_the_fix() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let maria = actor("maria");
    let nc = desk.report(&maria, "Share open", Source::Incident, Severity::Minor, &[]);
    desk.analyse(&maria, nc, RootCauseCategory::Process, "No review");
    let review = desk.plan(&maria, nc, "Review", "bob", day(2026, 3, 1));
    // Planned ahead, before the fix: accepted for now.
    desk.plan_verification(
        &maria,
        nc,
        VerificationSchedule::watch_window(day(2026, 1, 20), Period::months(1)),
        "dave",
    );
    desk.now = at(2026, 2, 25);
    desk.complete(&actor("bob"), nc, review);
    // The window opened before the fix: no result can be recorded.
    desk.now = at(2026, 2, 26);
    let err = desk
        .try_run(&actor("dave"), record(0, true, nc))
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::WindowBeforeCompletion { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("2026-02-25"), "{err}");
    // Re-planning with the same early window is refused too; from the fix on it is accepted.
    let plan = |start| Command::PlanVerification {
        nonconformity: nc,
        method: "watch".into(),
        criteria: "no repeat".into(),
        schedule: VerificationSchedule::watch_window(start, Period::days(7)),
        verifier: id("dave"),
    };
    let err = desk.try_run(&maria, plan(day(2026, 2, 24))).unwrap_err();
    assert!(
        matches!(err, DecisionError::WindowBeforeCompletion { .. }),
        "{err}"
    );
    desk.run(&maria, plan(day(2026, 2, 25)));
    desk.now = at(2026, 3, 4);
    desk.verify(&actor("dave"), nc, 0, true);
    assert_eq!(desk.nc(nc).state, NcState::Effective);
    desk.check();
}

/// An item with four quarterly checks from 2026-03-31, verified by vera.
fn quarterly(desk: &mut Desk) -> NonconformityId {
    let omar = actor("omar");
    let nc = desk.report(
        &omar,
        "Procedure stale",
        Source::InternalAudit,
        Severity::Minor,
        &[],
    );
    desk.analyse(&omar, nc, RootCauseCategory::Governance, "No owner");
    let a = desk.plan(&omar, nc, "Assign owner", "erin", day(2026, 3, 1));
    desk.complete(&actor("erin"), nc, a);
    desk.plan_verification(
        &omar,
        nc,
        VerificationSchedule::recurring_count(day(2026, 3, 31), Period::months(3), 4),
        "vera",
    );
    nc
}

#[test]
fn checks_are_recorded_in_order_or_as_missed_with_a_reason() {
    let mut desk = Desk::new(at(2026, 2, 2));
    let nc = quarterly(&mut desk);
    let vera = actor("vera");
    desk.now = at(2026, 7, 1);
    // Check 1 before check 0: refused.
    let err = desk.try_run(&vera, record(1, true, nc)).unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::CheckOutOfOrder {
                check: 1,
                next: 0,
                ..
            }
        ),
        "{err}"
    );
    let missed = |check, reason: &str| Command::RecordMissedCheck {
        nonconformity: nc,
        check,
        reason: reason.into(),
    };
    // A missed check needs a reason and only its own verifier.
    let err = desk.try_run(&vera, missed(0, " ")).unwrap_err();
    assert!(matches!(err, DecisionError::EmptyField { .. }), "{err}");
    let err = desk
        .try_run(&actor("omar"), missed(0, "auditor ill"))
        .unwrap_err();
    assert!(matches!(err, DecisionError::NotTheVerifier { .. }), "{err}");
    desk.run(&vera, missed(0, "auditor ill in March"));
    desk.run(&vera, record(1, true, nc));
    // Not yet due: a check cannot be missed before its date.
    let err = desk.try_run(&vera, missed(2, "skip")).unwrap_err();
    assert!(matches!(err, DecisionError::CheckNotYetDue { .. }), "{err}");
    desk.now = at(2026, 10, 1);
    desk.run(&vera, record(2, true, nc));
    // The last check cannot be skipped.
    desk.now = at(2027, 1, 5);
    let err = desk.try_run(&vera, missed(3, "skip")).unwrap_err();
    assert!(
        matches!(err, DecisionError::LastCheckMissed { .. }),
        "{err}"
    );
    desk.run(&vera, record(3, true, nc));
    let n = desk.nc(nc);
    assert_eq!(n.state, NcState::Effective);
    assert_eq!(n.missed_checks.len(), 1);
    assert_eq!(n.verification_checks(at(2027, 1, 6)).len(), 4);
    assert!(
        n.verification_checks(at(2027, 1, 6))
            .iter()
            .all(|c| c.state == CheckState::Done)
    );
    desk.close(&actor("isms-manager"), nc, vec![]);
    desk.check();
}

#[test]
fn the_verifier_may_end_a_recurring_schedule_early_with_a_reason() {
    let mut desk = Desk::new(at(2026, 2, 2));
    let nc = quarterly(&mut desk);
    let vera = actor("vera");
    let end = |reason: &str| Command::EndVerification {
        nonconformity: nc,
        reason: reason.into(),
    };
    desk.now = at(2026, 4, 1);
    let err = desk.try_run(&vera, end("enough")).unwrap_err();
    assert!(
        matches!(err, DecisionError::CannotEndVerification { problem, .. } if problem.contains("no check has passed")),
        "{err}"
    );
    desk.run(&vera, record(0, true, nc));
    desk.now = at(2026, 7, 1);
    desk.run(&vera, record(1, true, nc));
    let err = desk.try_run(&actor("omar"), end("enough")).unwrap_err();
    assert!(matches!(err, DecisionError::NotTheVerifier { .. }), "{err}");
    // Under a policy that forbids it, refused.
    desk.policy.early_end_allowed = false;
    let err = desk.try_run(&vera, end("enough")).unwrap_err();
    assert!(
        matches!(err, DecisionError::CannotEndVerification { .. }),
        "{err}"
    );
    desk.policy.early_end_allowed = true;
    desk.run(
        &vera,
        end("two clean quarters; the annual audit programme (9.2) covers the rest"),
    );
    let n = desk.nc(nc);
    assert_eq!(n.state, NcState::Effective);
    assert_eq!(n.verification_ends[0].checks_recorded, 2);
    assert_eq!(n.next_due(), None, "the remaining checks are no longer due");
    desk.close(&actor("isms-manager"), nc, vec![]);
    desk.check();
}

#[test]
fn only_a_recurring_schedule_can_be_ended_early() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let nc = watched(&mut desk);
    desk.now = at(2026, 9, 1);
    let err = desk
        .try_run(
            &actor("dave"),
            Command::EndVerification {
                nonconformity: nc,
                reason: "enough".into(),
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::CannotEndVerification { .. }),
        "{err}"
    );
}

fn analysis(nc: NonconformityId, notes: Option<&str>, decision: ActionDecision) -> Command {
    Command::AnalyseRootCause {
        nonconformity: nc,
        method: AnalysisMethod::FiveWhys,
        causes: vec![RootCause {
            category: RootCauseCategory::Process,
            statement: "no check".into(),
        }],
        similar: vec![],
        similar_notes: notes.map(Into::into),
        decision,
    }
}

#[test]
fn the_check_for_similar_nonconformities_is_recorded_under_10_2_b() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let ann = actor("ann");
    let nc = desk.report(
        &ann,
        "Badge lost",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    let other = desk.report(
        &ann,
        "Key lost",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    let err = desk
        .try_run(&ann, analysis(nc, None, ActionDecision::ActionRequired))
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::SimilarCheckMissing { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("10.2 b)"), "{err}");
    // Similar items found: accepted without notes.
    let mut found = analysis(nc, None, ActionDecision::ActionRequired);
    if let Command::AnalyseRootCause { similar, .. } = &mut found {
        similar.push(other);
    }
    desk.run(&ann, found);
    // "None found" with notes: accepted.
    desk.run(
        &ann,
        analysis(
            other,
            Some("none found: checked the key and badge logs"),
            ActionDecision::ActionRequired,
        ),
    );
    // A policy that does not require it accepts neither.
    let third = desk.report(
        &ann,
        "Card lost",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    desk.policy.similar_check_required = false;
    desk.run(&ann, analysis(third, None, ActionDecision::ActionRequired));
    desk.check();
}

#[test]
fn approvals_are_segregated_by_default() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let alice = actor("alice");
    let nc = desk.report(
        &alice,
        "Badge lost",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    let no_action = |by: &str| ActionDecision::NoActionRequired {
        justification: "one-off".into(),
        approved_by: id(by),
    };
    // --as alice ... --approved-by alice: the owner and analyst approves herself.
    let err = desk
        .try_run(&alice, analysis(nc, Some("none"), no_action("alice")))
        .unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::ApprovalNotSegregated {
                what: "the no-action decision",
                ..
            }
        ),
        "{err}"
    );
    // The analyst (not the owner) approving her own decision: refused too.
    let err = desk
        .try_run(&actor("bob"), analysis(nc, Some("none"), no_action("bob")))
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::ApprovalNotSegregated { .. }),
        "{err}"
    );
    desk.run(&alice, analysis(nc, Some("none"), no_action("carol")));
    desk.plan_verification(
        &alice,
        nc,
        VerificationSchedule::once(day(2026, 1, 12)),
        "dave",
    );
    desk.verify(&actor("dave"), nc, 0, true);
    let close = Command::CloseNonconformity {
        risk_acceptance: None,
        nonconformity: nc,
        isms_changes: vec![],
        notes: None,
    };
    let err = desk.try_run(&alice, close.clone()).unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::ApprovalNotSegregated {
                what: "the closure",
                ..
            }
        ),
        "{err}"
    );
    desk.run(&actor("carol"), close);

    // Improvements: neither the proposer nor the owner approves.
    let imp = ImprovementId::from_uuid(uuid::Uuid::from_u128(77));
    desk.run(
        &alice,
        Command::ProposeImprovement(ProposeImprovement {
            audit: None,
            id: imp,
            source: ImprovementSource::Feedback,
            nonconformity: None,
            title: "Badge kiosk".into(),
            description: "A kiosk returns badges".into(),
            expected_benefit: "fewer lost badges".into(),
            priority: Priority::Low,
            owner: id("bob"),
            due: None,
            links: vec![],
            extensions: Default::default(),
        }),
    );
    for who in ["alice", "bob"] {
        let err = desk
            .try_run(
                &actor(who),
                Command::ApproveImprovement { improvement: imp },
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                DecisionError::ApprovalNotSegregated {
                    what: "the improvement",
                    ..
                }
            ),
            "{who}: {err}"
        );
    }
    desk.run(
        &actor("carol"),
        Command::ApproveImprovement { improvement: imp },
    );

    // The policy may waive it.
    desk.policy.segregated_approvals = false;
    let imp2 = ImprovementId::from_uuid(uuid::Uuid::from_u128(78));
    desk.run(
        &alice,
        Command::ProposeImprovement(ProposeImprovement {
            audit: None,
            id: imp2,
            source: ImprovementSource::Feedback,
            nonconformity: None,
            title: "Second kiosk".into(),
            description: "Another kiosk".into(),
            expected_benefit: "fewer lost badges".into(),
            priority: Priority::Low,
            owner: id("alice"),
            due: None,
            links: vec![],
            extensions: Default::default(),
        }),
    );
    desk.run(&alice, Command::ApproveImprovement { improvement: imp2 });
    desk.check();
}

#[test]
fn every_event_carries_its_recording_time_and_the_actors_roles() {
    let policy = Policy::default();
    let effective = at(2026, 3, 2);
    let recorded = effective + Duration::days(2);
    let manager = actor("maria").with_role(Role::new("isms_manager").unwrap());
    let ctx = Context::new(effective, manager, &policy).with_recorded_at(recorded);
    let mut register = Register::new();
    let id = NonconformityId::from_uuid(uuid::Uuid::from_u128(5));
    let report = Command::ReportNonconformity(ReportNonconformity {
        audit: None,
        id,
        title: "Badge lost".into(),
        description: "A badge was lost".into(),
        source: Source::SelfIdentified,
        severity: Severity::Minor,
        requirements: vec![],
        owner: crate::support::id("maria"),
        detected_at: effective,
        external_deadline: None,
        links: vec![],
        extensions: Default::default(),
    });
    let d = register.execute(&report, &ctx).unwrap();
    let e = &d.events[0];
    assert_eq!(e.at, effective);
    assert_eq!(e.recorded_at, Some(recorded));
    assert_eq!(e.roles, vec![Role::new("isms_manager").unwrap()]);
    assert!(d.warnings.is_empty(), "no back-dating limit by default");
    // The body round-trips, and an event written before the fields existed
    // still decodes (no recorded_at, no roles).
    let json = serde_json::to_string(e).unwrap();
    assert!(json.contains("\"recorded_at\""), "{json}");
    let back: Event = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, e);
    let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
    old.as_object_mut().unwrap().remove("recorded_at");
    old.as_object_mut().unwrap().remove("roles");
    let old: Event = serde_json::from_value(old).unwrap();
    assert_eq!(old.recorded_at, None);
    assert!(old.roles.is_empty());
}

#[test]
fn back_dating_beyond_the_policy_limit_warns_or_is_refused() {
    let effective = at(2026, 3, 2);
    let report = |n: u128| {
        Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id: NonconformityId::from_uuid(uuid::Uuid::from_u128(n)),
            title: "Badge lost".into(),
            description: "A badge was lost".into(),
            source: Source::SelfIdentified,
            severity: Severity::Minor,
            requirements: vec![],
            owner: id("maria"),
            detected_at: effective,
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        })
    };
    let recorded = effective + Duration::days(8) + Duration::hours(1);
    let mut policy = Policy {
        max_backdating: Some(TimeLimit {
            days: 7,
            enforcement: Enforcement::Warn,
        }),
        ..Policy::default()
    };
    let mut register = Register::new();
    let ctx = Context::new(effective, actor("maria"), &policy).with_recorded_at(recorded);
    let d = register.execute(&report(1), &ctx).unwrap();
    assert_eq!(
        d.warnings,
        vec![PolicyWarning::Backdated {
            limit_days: 7,
            days: 8
        }]
    );
    policy.max_backdating = Some(TimeLimit {
        days: 7,
        enforcement: Enforcement::Refuse,
    });
    let ctx = Context::new(effective, actor("maria"), &policy).with_recorded_at(recorded);
    let err = register.execute(&report(2), &ctx).unwrap_err();
    assert!(
        matches!(
            err,
            DecisionError::BackdatedTooFar {
                days: 8,
                limit_days: 7,
                ..
            }
        ),
        "{err}"
    );
    // Exactly at the limit: accepted without a warning.
    let ctx = Context::new(effective, actor("maria"), &policy)
        .with_recorded_at(effective + Duration::days(7) + Duration::hours(23));
    assert!(
        register
            .execute(&report(3), &ctx)
            .unwrap()
            .warnings
            .is_empty()
    );
}
