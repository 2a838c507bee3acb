//! The due list: every kind in one list, soonest first, its filters, and
//! stable uids.

use chrono::{Duration, TimeZone, Utc};
use isms_core::*;
use proptest::prelude::*;

use crate::support::{Desk, actor, at, day};

/// The seed's unauthorised-access incident, raised as a significant NIS2
/// incident, with two corrective actions, a monthly check plan, and an
/// improvement.
fn seed_desk() -> (Desk, NonconformityId) {
    let mut desk = Desk::new(at(2026, 1, 12));
    let (maria, it) = (actor("maria"), actor("it-lead"));
    let nc = desk.report(
        &maria,
        "Unauthorised access to the HR share",
        Source::Incident,
        Severity::Major,
        &["iso27001:2022/A.5.15"],
    );
    let aware = Utc.with_ymd_and_hms(2026, 1, 12, 8, 30, 0).unwrap();
    desk.run(&maria, Command::record_incident_reporting(nc, aware, true));
    desk.contain(&maria, nc, "Access revoked");
    desk.analyse(&maria, nc, RootCauseCategory::Process, "No access review");
    desk.plan(
        &maria,
        nc,
        "Review access controls",
        "it-lead",
        day(2026, 1, 30),
    );
    desk.plan(&maria, nc, "Retrain staff", "hr-lead", day(2026, 2, 13));
    desk.plan_verification(
        &maria,
        nc,
        VerificationSchedule::Recurring {
            first: day(2026, 3, 1),
            every: Period {
                count: 1,
                unit: PeriodUnit::Months,
            },
            end: RecurrenceEnd::After { count: 2 },
        },
        "auditor",
    );
    let _ = it;
    (desk, nc)
}

fn list(desk: &Desk, query: DueQuery) -> Vec<DueEntry> {
    let mut due = DueList::new(query, &desk.policy);
    for nc in desk.register.nonconformities() {
        due.push(ItemRef::Nonconformity(nc));
    }
    for imp in desk.register.improvements() {
        due.push(ItemRef::Improvement(imp));
    }
    due.finish()
}

#[test]
fn the_seed_incident_shows_its_three_clocks_beside_actions_and_checks() {
    let (desk, _) = seed_desk();
    let now = desk.now;
    let all = list(&desk, DueQuery::new(now));
    let row: Vec<(DueKind, &str, String)> = all
        .iter()
        .map(|e| (e.kind, e.subject.as_str(), e.deadline.to_rfc3339()))
        .collect();
    assert_eq!(
        row,
        vec![
            (
                DueKind::ReportingClock,
                "Early warning (nis2/23.4.a)",
                "2026-01-13T08:30:00+00:00".into()
            ),
            (
                DueKind::ReportingClock,
                "Incident notification (nis2/23.4.b)",
                "2026-01-15T08:30:00+00:00".into()
            ),
            (
                DueKind::CorrectiveAction,
                "A-1 Review access controls",
                "2026-01-31T00:00:00+00:00".into()
            ),
            (
                DueKind::CorrectiveAction,
                "A-2 Retrain staff",
                "2026-02-14T00:00:00+00:00".into()
            ),
            (
                DueKind::ReportingClock,
                "Final report (nis2/23.4.d)",
                "2026-02-15T08:30:00+00:00".into()
            ),
            (
                DueKind::EffectivenessCheck,
                "check 0 of 2: review of records",
                "2026-03-02T00:00:00+00:00".into()
            ),
            (
                DueKind::EffectivenessCheck,
                "check 1 of 2: review of records",
                "2026-04-02T00:00:00+00:00".into()
            ),
        ]
    );
    assert!(all[4].provisional);
    assert!(all.iter().all(|e| !e.overdue));

    // Within 7 days: the two first clocks. For hr-lead: one action.
    let mut week = DueQuery::new(now);
    week.within = Some(Duration::days(7));
    assert_eq!(list(&desk, week).len(), 2);
    let mut hr = DueQuery::new(now);
    hr.owner = Some(ActorId::new("hr-lead").unwrap());
    let hr = list(&desk, hr);
    assert_eq!(hr.len(), 1);
    assert_eq!(hr[0].subject, "A-2 Retrain staff");
}

#[test]
fn sent_reports_leave_the_list_and_overdue_ones_are_marked() {
    let (mut desk, nc) = seed_desk();
    let maria = actor("maria");
    desk.advance(Duration::hours(10));
    let now = desk.now;
    desk.run(
        &maria,
        Command::record_report_submission(nc, "early_warning", "CSIRT", now),
    );
    let before: Vec<String> = list(&desk, DueQuery::new(now))
        .into_iter()
        .map(|e| e.uid)
        .collect();
    // Four days on: the notification is overdue; the early warning is gone.
    desk.advance(Duration::days(4));
    let mut overdue = DueQuery::new(desk.now);
    overdue.overdue_only = true;
    let late = list(&desk, overdue);
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].subject, "Incident notification (nis2/23.4.b)");
    assert!(late[0].overdue);
    // The uids are the same whenever the list is made.
    let after: Vec<String> = list(&desk, DueQuery::new(desk.now))
        .into_iter()
        .map(|e| e.uid)
        .collect();
    assert_eq!(before, after);
    assert!(!after.iter().any(|u| u.ends_with("/early_warning")));
    assert!(
        after
            .iter()
            .any(|u| u.ends_with("/clock/nis2/final_report"))
    );
}

proptest! {
    /// Whatever the query, the list is sorted by deadline, every entry
    /// passes the filters, uids are unique, and narrowing a query only
    /// removes entries.
    #[test]
    fn the_list_is_sorted_filtered_and_unique(
        hours in 0i64..24 * 120,
        within_days in proptest::option::of(0i64..60),
        overdue_only in any::<bool>(),
        owner in proptest::option::of(prop_oneof![Just("it-lead"), Just("hr-lead"), Just("auditor"), Just("maria")]),
    ) {
        let (desk, _) = seed_desk();
        let now = desk.now + Duration::hours(hours);
        let mut q = DueQuery::new(now);
        q.within = within_days.map(Duration::days);
        q.overdue_only = overdue_only;
        q.owner = owner.map(|o| ActorId::new(o).unwrap());
        let got = list(&desk, q.clone());
        let all = list(&desk, DueQuery::new(now));
        prop_assert!(got.windows(2).all(|w| w[0].deadline <= w[1].deadline));
        let mut uids: Vec<&str> = all.iter().map(|e| e.uid.as_str()).collect();
        uids.sort_unstable();
        uids.dedup();
        prop_assert_eq!(uids.len(), all.len());
        for e in &got {
            prop_assert!(all.contains(e));
            prop_assert!(!overdue_only || e.overdue);
            prop_assert_eq!(e.overdue, e.deadline <= now && (e.kind != DueKind::ReportingClock || e.deadline < now));
            if let Some(o) = &q.owner { prop_assert_eq!(&e.owner, o); }
            if let Some(w) = q.within { prop_assert!(e.deadline <= now + w); }
        }
    }
}
