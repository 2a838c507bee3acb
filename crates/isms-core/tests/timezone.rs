//! Calendar dates are the organisation's: the policy's IANA time zone turns
//! every instant into a date before a rule compares it with a due date,
//! check date or detection date. Checked on the finding (Sydney),
//! across both DST changes in Berlin, and on both sides of the date line.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use isms_core::testkit::strategies::{TIME_ZONES, time_zone};
use isms_core::*;
use proptest::prelude::*;

use crate::support::{Desk, actor, day};

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

/// A nonconformity with its action done and a single check due on `due`,
/// under a policy in `zone`; returns the desk and the nonconformity.
fn awaiting_check(zone: &str, due: NaiveDate) -> (Desk, NonconformityId) {
    let mut desk = Desk::new(utc(2026, 1, 5, 12, 0));
    desk.policy.time_zone = zone.parse().unwrap();
    let (ops, auditor) = (actor("ops"), actor("auditor"));
    let nc = desk.report(
        &ops,
        "Restore never tested",
        Source::InternalAudit,
        Severity::Minor,
        &["iso27001:2022/A.8.13"],
    );
    desk.analyse(
        &ops,
        nc,
        RootCauseCategory::Process,
        "no restore test in the procedure",
    );
    let action = desk.plan(&ops, nc, "add a restore test", "ops", day(2026, 1, 20));
    desk.complete(&ops, nc, action);
    desk.plan_verification(&ops, nc, VerificationSchedule::once(due), "auditor");
    let _ = auditor;
    (desk, nc)
}

/// Records check 0 at `at`: `Ok` or the refusal.
fn check_at(zone: &str, due: NaiveDate, at: DateTime<Utc>) -> Result<Decision, DecisionError> {
    let (mut desk, nc) = awaiting_check(zone, due);
    desk.now = at;
    desk.try_run(&actor("auditor"), Command::record_verification(nc, 0, true))
}

fn accepted(zone: &str, due: NaiveDate, at: DateTime<Utc>) -> bool {
    match check_at(zone, due, at) {
        Ok(_) => true,
        Err(DecisionError::CheckNotYetDue { .. }) => false,
        Err(e) => panic!("unexpected refusal: {e}"),
    }
}

#[test]
fn a_check_at_0830_in_sydney_on_its_date_is_on_time() {
    // 2 March 2026, 08:30 in Sydney (UTC+11) is still 1 March in UTC.
    let due = day(2026, 3, 2);
    let at = utc(2026, 3, 1, 21, 30);
    assert!(accepted("Australia/Sydney", due, at));
    // Under a UTC policy the same instant is the day before: refused, with
    // the UTC date named.
    match check_at("UTC", due, at) {
        Err(e @ DecisionError::CheckNotYetDue { .. }) => {
            assert_eq!(e.code(), "check_not_yet_due");
            assert!(
                e.to_string().contains("cannot be recorded on 2026-03-01"),
                "{e}"
            );
        }
        other => panic!("expected check_not_yet_due, got {other:?}"),
    }
}

#[test]
fn berlin_midnight_across_both_dst_changes() {
    // Spring forward on Sunday 29 March 2026: midnight is still CET (+1).
    let due = day(2026, 3, 29);
    assert!(!accepted("Europe/Berlin", due, utc(2026, 3, 28, 22, 59)));
    assert!(accepted("Europe/Berlin", due, utc(2026, 3, 28, 23, 0)));
    // Fall back on Sunday 25 October 2026: midnight is still CEST (+2).
    let due = day(2026, 10, 25);
    assert!(!accepted("Europe/Berlin", due, utc(2026, 10, 24, 21, 59)));
    assert!(accepted("Europe/Berlin", due, utc(2026, 10, 24, 22, 0)));
    // The day after the change starts an hour later in UTC (winter time, +1).
    let due = day(2026, 10, 26);
    assert!(!accepted("Europe/Berlin", due, utc(2026, 10, 25, 22, 59)));
    assert!(accepted("Europe/Berlin", due, utc(2026, 10, 25, 23, 0)));
}

#[test]
fn both_sides_of_the_date_line() {
    let due = day(2026, 3, 2);
    // Kiritimati is UTC+14: its 2 March starts at 10:00 UTC on 1 March.
    assert!(!accepted("Pacific/Kiritimati", due, utc(2026, 3, 1, 9, 59)));
    assert!(accepted("Pacific/Kiritimati", due, utc(2026, 3, 1, 10, 0)));
    // Pago Pago is UTC-11: its 2 March starts at 11:00 UTC on 2 March.
    assert!(!accepted("Pacific/Pago_Pago", due, utc(2026, 3, 2, 10, 59)));
    assert!(accepted("Pacific/Pago_Pago", due, utc(2026, 3, 2, 11, 0)));
}

#[test]
fn the_detection_date_is_local_too() {
    // Detected at 23:00 UTC on 1 March: 2 March in Sydney. A deadline of
    // 1 March lies before detection there, not in UTC.
    let detected = utc(2026, 3, 1, 23, 0);
    let report = |zone: &str| {
        let policy = Policy {
            time_zone: zone.parse().unwrap(),
            ..Policy::default()
        };
        let ctx = Context::new(
            detected + Duration::hours(1),
            Actor::named("ops").unwrap(),
            &policy,
        );
        let cmd = ReportNonconformity::new(
            NonconformityId::v7(detected, 1),
            "t",
            "d",
            Source::Incident,
            Severity::Minor,
            ActorId::new("ops").unwrap(),
            detected,
        )
        .external_deadline(day(2026, 3, 1))
        .into();
        Register::new().execute(&cmd, &ctx).map(|_| ())
    };
    assert!(report("UTC").is_ok());
    match report("Australia/Sydney") {
        Err(DecisionError::DateBeforeDetection { detected, .. }) => {
            assert_eq!(detected, day(2026, 3, 2))
        }
        other => panic!("expected date_before_detection, got {other:?}"),
    }
}

#[test]
fn the_time_zone_is_an_iana_name_in_the_policy_json() {
    let policy = Policy {
        time_zone: "Australia/Sydney".parse().unwrap(),
        ..Policy::default()
    };
    let json = serde_json::to_value(&policy).unwrap();
    assert_eq!(json["time_zone"], "Australia/Sydney");
    assert_eq!(serde_json::from_value::<Policy>(json).unwrap(), policy);
    // UTC, the default, is left out, so policies written before stay as they were.
    let json = serde_json::to_value(Policy::default()).unwrap();
    assert!(json.get("time_zone").is_none(), "{json}");
    let e = serde_json::from_value::<Policy>(serde_json::json!({"time_zone": "Europe/Atlantis"}))
        .unwrap_err();
    assert!(e.to_string().contains("not an IANA time-zone name"), "{e}");
    assert!(matches!(
        "australia/sydney".parse::<IanaTimeZone>(),
        Err(TimeZoneError::Unknown { .. })
    ));
}

#[test]
fn every_test_zone_is_in_the_database() {
    for name in TIME_ZONES {
        assert_eq!(name.parse::<IanaTimeZone>().unwrap().name(), name);
    }
}

#[test]
fn overdue_checks_follow_the_local_calendar() {
    let schedule = VerificationSchedule::once(day(2026, 3, 2));
    let states = |zone: &str, at| {
        let z: IanaTimeZone = zone.parse().unwrap();
        schedule.check_states_on(z.date_of(at), |_| false).unwrap()[0].state
    };
    let at = utc(2026, 3, 2, 13, 30); // 00:30 on 3 March in Sydney
    assert_eq!(states("UTC", at), CheckState::Due);
    assert_eq!(states("Australia/Sydney", at), CheckState::Overdue);
}

/// The ends of the calendar have a date in every zone, never a panic (an
/// importer's "nothing before" floor is `DateTime::MIN_UTC`).
#[test]
fn the_ends_of_the_calendar_have_a_date_in_every_zone() {
    for name in TIME_ZONES {
        let z: IanaTimeZone = name.parse().unwrap();
        assert_eq!(
            z.date_of(DateTime::<Utc>::MIN_UTC),
            DateTime::<Utc>::MIN_UTC.date_naive()
        );
        assert_eq!(
            z.date_of(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC.date_naive()
        );
    }
}

proptest! {
    /// The date of an instant is the date of its local time there.
    #[test]
    fn date_of_is_the_local_date(zone in time_zone(), secs in -2_000_000_000i64..6_000_000_000) {
        let at = DateTime::<Utc>::from_timestamp(secs, 0).unwrap();
        prop_assert_eq!(zone.date_of(at), at.with_timezone(&zone.tz()).date_naive());
    }

    /// A day starts where the date changes: the first instant of a date is
    /// on it, the instant before is on the day before, in every test zone,
    /// on any date including DST-change days.
    #[test]
    fn start_of_a_day_is_where_the_date_changes(zone in time_zone(), days in 0i64..4000) {
        let date = day(2020, 1, 1) + chrono::Days::new(days as u64);
        let start = zone.start_of(date).unwrap();
        prop_assert_eq!(zone.date_of(start), date);
        prop_assert_eq!(zone.date_of(start - Duration::seconds(1)), date.pred_opt().unwrap());
        let end = zone.end_of(date).unwrap();
        prop_assert!(end > start);
        prop_assert_eq!(zone.date_of(end - Duration::seconds(1)), date);
    }
}
