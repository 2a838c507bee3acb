//! The calendar of `isms due`, read back by an independent RFC 5545 parser
//! (the `ical` crate): every entry one event, its fields intact, and the
//! same uids when written again.

use std::io::BufReader;

use chrono::{Duration, TimeZone, Utc};
use isms_core::{ActorId, DueAt, DueEntry, DueKind};
use isms_report::render_ical;
use proptest::prelude::*;

fn entry(uid: &str, title: &str, due: DueAt) -> DueEntry {
    let deadline = match due {
        DueAt::Instant(t) => t,
        DueAt::Date(d) => d.and_hms_opt(0, 0, 0).unwrap().and_utc() + Duration::days(1),
    };
    DueEntry {
        kind: DueKind::CorrectiveAction,
        uid: uid.into(),
        reference: "NC-0001".into(),
        title: title.into(),
        subject: format!("A-1 {title}"),
        owner: ActorId::new("it-lead").unwrap(),
        due,
        deadline,
        overdue: false,
        provisional: false,
        sequence: 4,
    }
}

/// One property as the parser gives it: name, parameters, value.
type Property = (String, Option<Vec<(String, Vec<String>)>>, Option<String>);

/// Every event's properties, unfolded by the parser.
fn parse(ics: &str) -> Vec<Vec<Property>> {
    let mut reader = ical::IcalParser::new(BufReader::new(ics.as_bytes()));
    let calendar = reader.next().expect("one calendar").expect("it parses");
    assert!(reader.next().is_none(), "one calendar only");
    calendar
        .events
        .into_iter()
        .map(|e| {
            e.properties
                .into_iter()
                .map(|p| (p.name, p.params, p.value))
                .collect()
        })
        .collect()
}

fn value<'a>(event: &'a [Property], name: &str) -> Option<&'a str> {
    event
        .iter()
        .find(|(n, ..)| n == name)
        .and_then(|(_, _, v)| v.as_deref())
}

/// Undoes RFC 5545 text escaping (the parser hands values over as written).
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn an_independent_parser_reads_every_event_and_a_rewrite_keeps_the_uids() {
    let stamp = Utc.with_ymd_and_hms(2026, 1, 12, 11, 0, 0).unwrap();
    let clock = Utc.with_ymd_and_hms(2026, 1, 13, 8, 30, 0).unwrap();
    let long = "Review access controls across every department and site ".repeat(3);
    let entries = vec![
        entry(
            "nonconformity/a/clock/nis2/early_warning",
            "Unauthorised access, HR; share\\x",
            DueAt::Instant(clock),
        ),
        entry(
            "nonconformity/a/action/b",
            &long,
            DueAt::Date(chrono::NaiveDate::from_ymd_opt(2026, 1, 30).unwrap()),
        ),
    ];
    let ics = render_ical(&entries, stamp);
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !ics.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF"
    );
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
    }
    let events = parse(&ics);
    assert_eq!(events.len(), 2);
    assert_eq!(value(&events[0], "DTSTART"), Some("20260113T083000Z"));
    assert_eq!(value(&events[0], "DTSTAMP"), Some("20260112T110000Z"));
    assert_eq!(
        unescape(value(&events[0], "SUMMARY").unwrap()),
        "NC-0001 A-1 Unauthorised access, HR; share\\x"
    );
    assert_eq!(value(&events[1], "DTSTART"), Some("20260130"));
    assert_eq!(value(&events[1], "DTEND"), Some("20260131"));
    let params = events[1]
        .iter()
        .find(|(n, ..)| n == "DTSTART")
        .and_then(|(_, p, _)| p.clone())
        .unwrap();
    assert_eq!(params, vec![("VALUE".to_owned(), vec!["DATE".to_owned()])]);
    // The long title came back whole from the folded lines.
    assert!(unescape(value(&events[1], "DESCRIPTION").unwrap()).contains(long.trim_end()));

    // Written again a day later: the same uids, a new stamp.
    let again = render_ical(&entries, stamp + Duration::days(1));
    let uids = |evs: &[Vec<_>]| -> Vec<String> {
        evs.iter()
            .map(|e| value(e, "UID").unwrap().to_owned())
            .collect()
    };
    let events_again = parse(&again);
    assert_eq!(uids(&events), uids(&events_again));
    assert_eq!(
        uids(&events)[0],
        "nonconformity/a/clock/nis2/early_warning@isms"
    );
    assert_ne!(
        value(&events_again[0], "DTSTAMP"),
        value(&events[0], "DTSTAMP")
    );
}

proptest! {
    /// Whatever the text, the calendar parses, every physical line is at
    /// most 75 octets, and the text comes back (less control characters,
    /// and less white space at its very end, which this parser trims).
    #[test]
    fn any_text_survives(title in "\\PC{0,200}", extra in "[,;\\\\\n\r\t a-zé€😀]{0,40}") {
        let title = format!("{title}{extra}");
        let when = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let ics = render_ical(&[entry("u/1", &title, DueAt::Instant(when))], when);
        for line in ics.split("\r\n") {
            prop_assert!(line.len() <= 75);
        }
        let events = parse(&ics);
        prop_assert_eq!(events.len(), 1);
        let summary = unescape(value(&events[0], "SUMMARY").unwrap_or_default());
        let expected: String = format!("NC-0001 A-1 {title}")
            .replace("\r\n", "\n")
            .replace('\r', "\n")
            .chars()
            .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
            .collect();
        // A line break is escaped (\\n), so it is not trimmed.
        prop_assert_eq!(
            summary.as_str(),
            expected.trim_end_matches(|c: char| c.is_whitespace() && c != '\n')
        );
    }
}
