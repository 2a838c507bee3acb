//! `isms nc incident`, `isms nc report-sent` and `isms due` end to end: the
//! seed's unauthorised-access incident raised as a significant NIS2
//! incident, its three clocks in the due list and the calendar, the reports
//! sent, the KPIs that count them, and the refusals.

use crate::support::{Run, Scratch};

/// `isms ARGS` with the clock pinned at `now`.
fn at(s: &Scratch, now: &str, args: &[&str]) -> Run {
    let mut c = s.isms_command("--as", "maria");
    c.env("ISMS_NOW", now).args(args);
    s.run(&mut c, args)
}

fn seed(s: &Scratch) {
    s.isms(&["init"]).ok();
    s.isms(&[
        "nc",
        "report",
        "--title",
        "Unauthorised access to the HR share",
        "--source",
        "incident",
        "--severity",
        "major",
        "--requirement",
        "iso27001:2022/A.5.15",
        "--owner",
        "it-lead",
        "--at",
        "2026-01-12T09:00:00Z",
    ])
    .ok();
    s.isms(&[
        "nc",
        "incident",
        "NC-0001",
        "--aware-at",
        "2026-01-12T08:30:00Z",
        "--significant",
        "--at",
        "2026-01-12T10:00:00Z",
    ])
    .ok();
}

#[test]
fn the_seed_incident_shows_three_clocks_and_the_kpis_count_its_reports() {
    let s = Scratch::new("due-seed");
    seed(&s);
    let due = at(&s, "2026-01-12T11:00:00Z", &["due", "--json"]).json();
    let rows: Vec<(String, String)> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["subject"].as_str().unwrap().to_owned(),
                e["deadline"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (
                "Early warning (nis2/23.4.a)".to_owned(),
                "2026-01-13T08:30:00Z".to_owned()
            ),
            (
                "Incident notification (nis2/23.4.b)".to_owned(),
                "2026-01-15T08:30:00Z".to_owned()
            ),
            (
                "Final report (nis2/23.4.d)".to_owned(),
                "2026-02-15T08:30:00Z".to_owned()
            ),
        ]
    );
    assert!(
        due.as_array()
            .unwrap()
            .iter()
            .all(|e| e["owner"] == "it-lead")
    );
    let table = at(&s, "2026-01-12T11:00:00Z", &["due", "--within", "1d"]).ok();
    assert!(table.contains("Early warning"), "{table}");
    assert!(!table.contains("Incident notification"), "{table}");

    // The early warning on time, the notification on time, the final report late.
    for (kind, sent, recorded) in [
        (
            "early_warning",
            "2026-01-12T20:00:00Z",
            "2026-01-12T20:15:00Z",
        ),
        (
            "incident_notification",
            "2026-01-14T16:00:00Z",
            "2026-01-15T10:00:00Z",
        ),
        (
            "final_report",
            "2026-02-20T11:00:00Z",
            "2026-02-20T12:00:00Z",
        ),
    ] {
        s.isms(&[
            "nc",
            "report-sent",
            "NC-0001",
            "--kind",
            kind,
            "--to",
            "CSIRT-DE",
            "--sent-at",
            sent,
            "--reference",
            "CASE-7",
            "--at",
            recorded,
        ])
        .ok();
    }
    let left = at(&s, "2026-03-01T00:00:00Z", &["due", "--json"]).json();
    assert_eq!(left.as_array().unwrap().len(), 0, "{left}");
    let kpis = at(&s, "2026-03-01T00:00:00Z", &["kpi", "--json"]).json();
    let rate = kpis["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "reporting_on_time_rate")
        .unwrap();
    // Hand count: early warning 11.5 h after awareness (due 24 h), the
    // notification at 55.5 h (due 72 h), the final report on 02-20 (due one
    // month after the notification, 02-14 16:00): 2 of 3 on time.
    assert_eq!(rate["value"]["numerator"], 2, "{rate}");
    assert_eq!(rate["value"]["denominator"], 3, "{rate}");
    assert_eq!(rate["detail"]["late"], 1);
    let show = s.isms(&["nc", "show", "NC-0001"]).ok();
    assert!(
        show.contains("incident:     aware 2026-01-12T08:30:00+00:00, significant (nis2)"),
        "{show}"
    );
    assert!(show.contains("final_report"), "{show}");
    assert!(show.contains(" late"), "{show}");
    let report = s.path("review.md");
    at(
        &s,
        "2026-03-01T00:00:00Z",
        &["report", "--out", report.to_str().unwrap()],
    )
    .ok();
    let md = std::fs::read_to_string(&report).unwrap();
    assert!(
        md.contains("| Regulatory reports on time | 66.7 % | 2 of 3 |"),
        "{md}"
    );
    assert!(md.contains("Final report (`nis2/23.4.d`)"));
}

#[test]
fn the_calendar_keeps_its_uids_and_is_not_replaced_without_force() {
    let s = Scratch::new("due-ical");
    seed(&s);
    s.isms(&[
        "nc",
        "contain",
        "NC-0001",
        "--action-taken",
        "Account disabled",
        "--at",
        "2026-01-12T12:00:00Z",
    ])
    .ok();
    let ics = s.path("due.ics");
    let ics_arg = ics.to_str().unwrap();
    at(&s, "2026-01-12T13:00:00Z", &["due", "--ical", ics_arg]).ok();
    let first = std::fs::read_to_string(&ics).unwrap();
    assert!(first.starts_with("BEGIN:VCALENDAR\r\n"));
    assert_eq!(first.matches("BEGIN:VEVENT").count(), 3);
    let err = at(&s, "2026-01-13T13:00:00Z", &["due", "--ical", ics_arg]).fails(2);
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&ics).unwrap(), first, "untouched");
    at(
        &s,
        "2026-01-13T13:00:00Z",
        &["due", "--ical", ics_arg, "--force"],
    )
    .ok();
    let second = std::fs::read_to_string(&ics).unwrap();
    let uids = |t: &str| -> Vec<String> {
        t.split("\r\n")
            .filter(|l| l.starts_with("UID:"))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(uids(&first), uids(&second));
    assert_ne!(first, second, "a new DTSTAMP");
    // The early warning is overdue on the 13th at 13:00.
    assert!(
        second.contains("SUMMARY:OVERDUE: NC-0001 Early warning"),
        "{second}"
    );
}

#[test]
fn refusals_name_the_rule_and_bad_regime_files_are_input_errors() {
    let s = Scratch::new("due-refusals");
    seed(&s);
    let err = s
        .isms(&[
            "nc",
            "report-sent",
            "NC-0001",
            "--kind",
            "weekly",
            "--to",
            "CSIRT",
            "--at",
            "2026-01-12T11:00:00Z",
        ])
        .fails(3);
    assert!(
        err.contains("unknown_report_kind") || err.contains("not a report kind"),
        "{err}"
    );
    let err = s
        .isms(&[
            "nc",
            "report-sent",
            "NC-0001",
            "--kind",
            "final_report",
            "--to",
            "CSIRT",
            "--at",
            "2026-01-12T11:00:00Z",
        ])
        .fails(3);
    assert!(err.contains("incident_notification"), "{err}");
    let audit = s.report("Visitor log not kept");
    let err = s
        .isms(&[
            "nc",
            "incident",
            &audit,
            "--aware-at",
            "2026-01-12T08:00:00Z",
            "--significant",
        ])
        .fails(3);
    assert!(err.contains("not from an incident"), "{err}");
    // A regime of one's own: GDPR Article 33's 72 hours, as data.
    let gdpr = s.path("gdpr.json");
    std::fs::write(
        &gdpr,
        r#"{"id":"gdpr_art33","title":"GDPR Article 33: personal data breach","rules":[
            {"kind":"breach_notification","title":"Notification to the supervisory authority","starts":"awareness","within":"PT72H"}]}"#,
    )
    .unwrap();
    s.isms(&[
        "nc",
        "incident",
        "NC-0001",
        "--regime",
        gdpr.to_str().unwrap(),
        "--at",
        "2026-01-12T12:00:00Z",
    ])
    .ok();
    let due = at(&s, "2026-01-12T13:00:00Z", &["due", "--json"]).json();
    assert_eq!(
        due[0]["uid"].as_str().unwrap().rsplit('/').next(),
        Some("breach_notification")
    );
    assert_eq!(due[0]["deadline"], "2026-01-15T08:30:00Z");
    let bad = s.path("bad.json");
    std::fs::write(
        &bad,
        r#"{"id":"x","title":"x","rules":[{"kind":"a","title":"A","starts":"awareness"}]}"#,
    )
    .unwrap();
    let err = s
        .isms(&[
            "nc",
            "incident",
            "NC-0001",
            "--regime",
            bad.to_str().unwrap(),
        ])
        .fails(7);
    assert!(err.contains("within"), "{err}");
}
