//! Spreadsheet dates are the organisation's calendar dates
//! (`Policy::time_zone`): a date written where an instant is asked for is
//! that day in the organisation's zone, and an instant read where a date is
//! asked for gives its date there. West of UTC, midnight UTC is the day
//! before; east of it, an evening instant is already the next day.

use chrono::{NaiveDate, TimeZone, Utc};
use isms_core::{Actor, ActorId, NcState, Policy, Register};
use isms_io::{ImportOptions, Input, plan_import};

fn options(zone: &str) -> ImportOptions {
    let mut o = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
    o.policy = Policy {
        time_zone: zone.parse().unwrap(),
        ..Policy::default()
    };
    o
}

const HEADER: &str = "Title,Severity,Source,Owner,Detected,Containment,Root cause,Root cause category,Similar nonconformities,Action,Action owner,Due date,Status,Completed,Verification method,Verification criteria,Verifier,Verification result,Verification date,NC status\r\n";

/// One nonconformity whose single check passed on `verified`, a date.
fn effective_on(verified: &str, due: &str) -> String {
    format!(
        "{HEADER}Restore never tested,minor,internal audit,ops,2026-06-01,Ran one restore,No restore test,process,none found,Add a restore test,ops,{due},done,2026-06-15T10:00:00Z,Restore test,Full restore,auditor,effective,{verified},effective\r\n"
    )
}

#[test]
fn a_check_dated_by_day_passes_on_that_local_day() {
    for zone in [
        "America/Los_Angeles",
        "Pacific/Auckland",
        "Australia/Sydney",
        "UTC",
    ] {
        let csv = effective_on("2026-06-30", "2026-06-20");
        let plan = plan_import(
            &Register::new(),
            &[Input {
                name: "r.csv",
                bytes: csv.as_bytes(),
            }],
            &options(zone),
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("{zone}: {e}"));
        let nc = &plan.register.nonconformities()[0];
        assert_eq!(nc.state, NcState::Effective, "{zone}");
        let z: isms_core::IanaTimeZone = zone.parse().unwrap();
        // Detected "2026-06-01" is 1 June there, whatever the offset.
        assert_eq!(
            z.date_of(nc.detected_at).to_string(),
            "2026-06-01",
            "{zone}"
        );
        assert_eq!(
            z.start_of(NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()),
            Some(nc.detected_at)
        );
    }
}

#[test]
fn an_instant_where_a_date_is_asked_is_its_local_date() {
    // Due "2026-06-20T20:00:00-07:00" is 21 June 03:00 UTC: the 20th in Los
    // Angeles, where the due date is that day.
    let csv = effective_on("2026-06-30", "2026-06-20T20:00:00-07:00");
    let plan = plan_import(
        &Register::new(),
        &[Input {
            name: "r.csv",
            bytes: csv.as_bytes(),
        }],
        &options("America/Los_Angeles"),
        &mut |_| {},
    )
    .unwrap();
    let action = &plan.register.nonconformities()[0].actions[0];
    assert_eq!(action.due, NaiveDate::from_ymd_opt(2026, 6, 20).unwrap());
    // And 09:00 on 21 June in Auckland (+12) is 20 June 21:00 UTC.
    let csv = effective_on("2026-06-30", "2026-06-21T09:00:00+12:00");
    let plan = plan_import(
        &Register::new(),
        &[Input {
            name: "r.csv",
            bytes: csv.as_bytes(),
        }],
        &options("Pacific/Auckland"),
        &mut |_| {},
    )
    .unwrap();
    let action = &plan.register.nonconformities()[0].actions[0];
    assert_eq!(action.due, NaiveDate::from_ymd_opt(2026, 6, 21).unwrap());
}

#[test]
fn a_day_starts_at_local_midnight_on_both_sides_of_a_dst_change() {
    // Los Angeles moved from PST (-8) to PDT (-7) on 8 March 2026.
    let csv = "Title,Severity,Source,Owner,Detected\r\n\
               Before,minor,monitoring,ops,2026-03-07\r\n\
               After,minor,monitoring,ops,2026-03-09\r\n";
    let plan = plan_import(
        &Register::new(),
        &[Input {
            name: "r.csv",
            bytes: csv.as_bytes(),
        }],
        &options("America/Los_Angeles"),
        &mut |_| {},
    )
    .unwrap();
    let detected: Vec<_> = plan
        .register
        .nonconformities()
        .iter()
        .map(|n| n.detected_at)
        .collect();
    assert_eq!(
        detected,
        [
            Utc.with_ymd_and_hms(2026, 3, 7, 8, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(2026, 3, 9, 7, 0, 0).unwrap()
        ]
    );
}
