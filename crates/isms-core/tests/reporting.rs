//! Regulatory reporting clocks: the record of awareness and significance,
//! the reports sent, the refusals with their codes, and properties of the
//! derived clocks.

use chrono::{DateTime, Duration, TimeZone, Utc};
use isms_core::*;
use proptest::prelude::*;

use crate::support::{Desk, actor, at};

fn incident(desk: &mut Desk, source: Source) -> NonconformityId {
    desk.report(
        &actor("maria"),
        "Unauthorised access to the HR share",
        source,
        Severity::Major,
        &["iso27001:2022/A.5.15"],
    )
}

fn code(r: Result<Decision, DecisionError>) -> &'static str {
    r.map(|_| ()).unwrap_err().code()
}

#[test]
fn nis2_clocks_are_exact_instants_and_the_final_report_runs_from_the_notification() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let maria = actor("maria");
    let nc = incident(&mut desk, Source::Incident);
    let aware = Utc.with_ymd_and_hms(2026, 1, 12, 8, 30, 0).unwrap();
    desk.advance(Duration::hours(1));
    desk.run(&maria, Command::record_incident_reporting(nc, aware, true));
    let clocks = reporting_clocks(desk.nc(nc));
    let kinds: Vec<&str> = clocks.iter().map(|c| c.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "early_warning",
            "incident_notification",
            "intermediate_report",
            "final_report"
        ]
    );
    assert_eq!(clocks[0].due, Some(aware + Duration::hours(24)));
    assert_eq!(clocks[1].due, Some(aware + Duration::hours(72)));
    assert_eq!(clocks[2].due, None, "no intermediate report requested");
    // Before the notification is sent, the final report counts from the
    // notification's deadline (15 January 08:30 + one month).
    assert!(clocks[3].provisional);
    assert_eq!(
        clocks[3].due,
        Some(Utc.with_ymd_and_hms(2026, 2, 15, 8, 30, 0).unwrap())
    );
    assert_eq!(clocks[0].status(desk.now), ClockStatus::Running);

    // The notification goes out after 50 hours: the final report is due one
    // calendar month later, to the second.
    desk.advance(Duration::hours(60));
    let sent = aware + Duration::hours(50);
    desk.run(
        &maria,
        Command::record_report_submission(nc, "incident_notification", "CSIRT-DE", sent),
    );
    let clocks = reporting_clocks(desk.nc(nc));
    assert_eq!(
        clocks[3].due,
        Some(Utc.with_ymd_and_hms(2026, 2, 14, 10, 30, 0).unwrap())
    );
    assert!(!clocks[3].provisional);
    assert_eq!(clocks[1].status(desk.now), ClockStatus::MetOnTime);
    // The early warning was never sent: overdue.
    assert_eq!(clocks[0].status(desk.now), ClockStatus::Overdue);
    // As of before the notification was recorded, it was still running.
    assert_eq!(
        clocks[1].status(aware + Duration::hours(51)),
        ClockStatus::Running
    );
}

#[test]
fn every_reporting_rule_refuses_with_its_code_and_changes_nothing() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let maria = actor("maria");
    let audit = incident(&mut desk, Source::InternalAudit);
    let nc = incident(&mut desk, Source::Incident);
    desk.advance(Duration::hours(2));
    let now = desk.now;
    let aware = now - Duration::hours(1);
    assert_eq!(
        code(desk.try_run(
            &maria,
            Command::record_incident_reporting(audit, aware, true)
        )),
        "not_an_incident"
    );
    assert_eq!(
        code(desk.try_run(
            &maria,
            Command::record_report_submission(nc, "early_warning", "CSIRT", now)
        )),
        "no_incident_reporting"
    );
    assert_eq!(
        code(desk.try_run(
            &maria,
            Command::record_incident_reporting(nc, now + Duration::seconds(1), true)
        )),
        "aware_in_future"
    );
    let mut broken = Command::record_incident_reporting(nc, aware, true);
    if let Command::RecordIncidentReporting { regime, .. } = &mut broken {
        regime.rules[0].within = None;
    }
    assert_eq!(code(desk.try_run(&maria, broken)), "invalid_clock_regime");
    let mut bad_request = Command::record_incident_reporting(nc, aware, true);
    if let Command::RecordIncidentReporting { requests, .. } = &mut bad_request {
        requests.push(ReportRequest {
            kind: "early_warning".into(),
            requested_at: now,
            due: now + Duration::hours(4),
        });
    }
    assert_eq!(
        code(desk.try_run(&maria, bad_request)),
        "bad_report_request"
    );

    // Not significant: nothing is due.
    desk.run(&maria, Command::record_incident_reporting(nc, aware, false));
    assert!(reporting_clocks(desk.nc(nc)).is_empty());
    assert_eq!(
        code(desk.try_run(&maria, Command::record_incident_reporting(nc, aware, false))),
        "reporting_unchanged"
    );
    assert_eq!(
        code(desk.try_run(
            &maria,
            Command::record_report_submission(nc, "early_warning", "CSIRT", now)
        )),
        "report_not_required"
    );
    // Corrected: significant after all.
    desk.run(&maria, Command::record_incident_reporting(nc, aware, true));
    assert_eq!(
        desk.nc(nc).incident_reporting.as_ref().unwrap().corrections,
        1
    );
    for (kind, sent, expected) in [
        ("warning", now, "unknown_report_kind"),
        (
            "early_warning",
            aware - Duration::minutes(1),
            "submission_before_awareness",
        ),
        (
            "early_warning",
            now + Duration::minutes(1),
            "submission_in_future",
        ),
        ("intermediate_report", now, "report_not_requested"),
        ("final_report", now, "report_before_anchor"),
    ] {
        assert_eq!(
            code(desk.try_run(
                &maria,
                Command::record_report_submission(nc, kind, "CSIRT", sent)
            )),
            expected,
            "{kind}"
        );
    }
    assert_eq!(
        code(desk.try_run(
            &maria,
            Command::record_report_submission(nc, "early_warning", "", now)
        )),
        "empty_field"
    );
    desk.run(
        &maria,
        Command::record_report_submission(nc, "early_warning", "CSIRT", now),
    );
    // A correction that would strand a recorded report is refused.
    desk.advance(Duration::minutes(10));
    let later = desk.now;
    assert_eq!(
        code(desk.try_run(
            &maria,
            Command::record_incident_reporting(nc, aware, true).with_aware(later)
        )),
        "submission_before_awareness"
    );
    let mut other = Command::record_incident_reporting(nc, aware, true);
    if let Command::RecordIncidentReporting { regime, .. } = &mut other {
        regime.rules[0].kind = "first_warning".into();
    }
    assert_eq!(code(desk.try_run(&maria, other)), "unknown_report_kind");
}

/// A small extension used above: the same command with another awareness.
trait WithAware {
    fn with_aware(self, aware: DateTime<Utc>) -> Command;
}

impl WithAware for Command {
    fn with_aware(mut self, aware: DateTime<Utc>) -> Command {
        if let Command::RecordIncidentReporting { aware_at, .. } = &mut self {
            *aware_at = aware;
        }
        self
    }
}

#[test]
fn reporting_survives_the_closure_and_replays_from_the_log() {
    let mut desk = Desk::new(at(2026, 1, 12));
    let maria = actor("maria");
    let nc = incident(&mut desk, Source::Incident);
    desk.advance(Duration::hours(1));
    desk.run(
        &maria,
        Command::record_incident_reporting(nc, desk.now - Duration::minutes(30), true),
    );
    desk.run(
        &maria,
        Command::RejectNonconformity {
            nonconformity: nc,
            reason: RejectionReason::NotANonconformity,
            explanation: "handled as an incident only".into(),
            risk_acceptance: None,
        },
    );
    desk.advance(Duration::hours(2));
    let now = desk.now;
    desk.run(
        &maria,
        Command::record_report_submission(nc, "early_warning", "CSIRT", now),
    );
    let folded = Item::from_events(
        desk.events
            .iter()
            .filter(|e| e.stream == StreamId::Nonconformity(nc)),
    )
    .unwrap();
    assert_eq!(folded.as_ref(), ItemRef::Nonconformity(desk.nc(nc)));
    let json = serde_json::to_string(desk.nc(nc)).unwrap();
    let back: Nonconformity = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, desk.nc(nc));
}

fn period() -> impl Strategy<Value = ClockPeriod> {
    prop_oneof![
        (1u32..=8784).prop_map(ClockPeriod::Hours),
        (1u32..=3660).prop_map(ClockPeriod::Days),
        (1u32..=120).prop_map(ClockPeriod::Months),
    ]
}

proptest! {
    /// A period printed parses back to itself, and adding it never goes
    /// backwards; a month lands 28 to 31 days later.
    #[test]
    fn periods_round_trip_and_move_forward(p in period(), secs in 0i64..4_000_000_000) {
        let start = DateTime::from_timestamp(secs, 0).unwrap();
        prop_assert_eq!(p.to_string().parse::<ClockPeriod>().unwrap(), p);
        let end = p.add_to(start).unwrap();
        prop_assert!(end > start);
        if p == ClockPeriod::Months(1) {
            let days = (end - start).num_days();
            prop_assert!((28..=31).contains(&days), "{days}");
        }
    }

    /// No text panics the period parser or the regime reader.
    #[test]
    fn any_text_is_a_period_or_an_error(s in "\\PC{0,12}") {
        let _ = s.parse::<ClockPeriod>();
        let _ = ClockRegime::from_json(&s);
    }

    /// Whatever the awareness and the submissions, the NIS2 clocks keep
    /// their rules: early warning 24 h and notification 72 h after
    /// awareness, the final report one calendar month after the first
    /// notification sent (or after the notification's deadline while none
    /// is), a report met on time exactly when sent by its deadline.
    #[test]
    fn nis2_clocks_follow_article_23(
        aware_mins in 0i64..10_000,
        significant in any::<bool>(),
        sends in proptest::collection::vec((0usize..5, 0i64..20_000), 0..8),
    ) {
        let mut desk = Desk::new(at(2026, 1, 12));
        let maria = actor("maria");
        let nc = incident(&mut desk, Source::Incident);
        desk.advance(Duration::minutes(aware_mins + 1));
        let aware = desk.now - Duration::minutes(aware_mins);
        desk.run(&maria, Command::record_incident_reporting(nc, aware, significant));
        let kinds = ["early_warning", "incident_notification", "intermediate_report", "final_report", "x"];
        for (k, after) in sends {
            desk.advance(Duration::minutes(after));
            let sent = aware + Duration::minutes(after);
            let sent = sent.min(desk.now);
            // Refusals are fine (unknown kind, final before notification,
            // not significant); a panic or a changed register is not.
            let _ = desk.try_run(&maria, Command::record_report_submission(nc, kinds[k], "CSIRT", sent));
        }
        let item = desk.nc(nc);
        let clocks = reporting_clocks(item);
        if !significant {
            prop_assert!(clocks.is_empty());
            prop_assert!(item.submissions.is_empty());
            return Ok(());
        }
        prop_assert_eq!(clocks[0].due, Some(aware + Duration::hours(24)));
        prop_assert_eq!(clocks[1].due, Some(aware + Duration::hours(72)));
        let first_notification = item.submissions.iter()
            .filter(|s| s.kind == "incident_notification")
            .map(|s| s.submitted_at)
            .min();
        let anchor = first_notification.unwrap_or(aware + Duration::hours(72));
        prop_assert_eq!(clocks[3].due, anchor.checked_add_months(chrono::Months::new(1)));
        prop_assert_eq!(clocks[3].provisional, first_notification.is_none());
        // A final report is never recorded before the notification it follows.
        for s in item.submissions.iter().filter(|s| s.kind == "final_report") {
            prop_assert!(first_notification.is_some_and(|n| n <= s.submitted_at));
        }
        for c in &clocks {
            let status = c.status(desk.now);
            match (c.submitted_at, c.due) {
                (Some(sent), Some(due)) => prop_assert_eq!(
                    status,
                    if sent <= due { ClockStatus::MetOnTime } else { ClockStatus::MetLate }
                ),
                (None, Some(due)) => prop_assert_eq!(
                    status,
                    if due < desk.now { ClockStatus::Overdue } else { ClockStatus::Running }
                ),
                (_, None) => prop_assert_eq!(status, ClockStatus::NotStarted),
            }
            prop_assert!(c.submitted_at.is_none_or(|s| s >= aware));
        }
    }
}
