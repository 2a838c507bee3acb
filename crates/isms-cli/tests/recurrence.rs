//! Linking a recurrence records two halves, one on each item, in two
//! appends: `RecurrenceLinked` on the later item, then `RecurrenceRecorded`
//! on the earlier one while it is open. A run that stops between them
//! leaves the first alone; running the command again completes the link.

use chrono::{TimeZone, Utc};
use isms_core::{Actor, ActorId, Command, NonconformityId, Policy};
use isms_store::{CommandHandler, Invocation};
use isms_store_sqlite::SqliteStore;

use crate::support::Scratch;

fn report(s: &Scratch, title: &str, at: &str) {
    s.isms(&[
        "nc",
        "report",
        "--title",
        title,
        "--source",
        "incident",
        "--severity",
        "minor",
        "--at",
        at,
    ])
    .ok();
}

fn id(s: &Scratch, nc: &str) -> NonconformityId {
    serde_json::from_value(s.isms(&["nc", "show", nc, "--json"]).json()["id"].clone()).unwrap()
}

#[test]
fn a_link_left_half_recorded_is_completed_by_running_the_command_again() {
    let s = Scratch::new("half-link");
    s.isms(&["init"]).ok();
    report(&s, "Leaver kept VPN access", "2026-03-02T09:00:00Z");
    report(&s, "Leaver kept VPN access again", "2026-04-10T09:00:00Z");
    let (earlier, later) = (id(&s, "NC-0001"), id(&s, "NC-0002"));

    // The first half only, as a run that stopped after its first append.
    let store = SqliteStore::open(s.db()).unwrap();
    let mut handler = CommandHandler::new(store, Policy::default());
    let who = Invocation::new(
        Actor::new(ActorId::new("tester").unwrap()),
        Utc.with_ymd_and_hms(2026, 4, 10, 10, 0, 0).unwrap(),
    )
    .with_entropy(7);
    handler
        .handle(
            &Command::LinkRecurrence {
                nonconformity: later,
                recurrence_of: earlier,
            },
            &who,
        )
        .unwrap();
    drop(handler);
    let before = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    let recorded = |nc: &serde_json::Value| nc["recurrences"].as_array().map_or(0, Vec::len);
    assert_eq!(recorded(&before), 0, "{before}");

    // Running the command again records the missing half, once.
    let out = s
        .isms(&[
            "nc",
            "link-recurrence",
            "NC-0002",
            "--of",
            "NC-0001",
            "--at",
            "2026-04-10T10:05:00Z",
        ])
        .ok();
    assert!(
        out.contains("NC-0001: recurrence NC-0002 recorded"),
        "{out}"
    );
    let after = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    let recurrences = after["recurrences"].as_array().unwrap();
    assert_eq!(recurrences.len(), 1, "{after}");
    assert_eq!(recurrences[0]["recurrence"], serde_json::json!(later));

    // With both halves recorded, a third run is refused and changes nothing.
    let bytes = crate::support::db_bytes(&s.db());
    s.isms(&["nc", "link-recurrence", "NC-0002", "--of", "NC-0001"])
        .fails(3);
    assert_eq!(crate::support::db_bytes(&s.db()), bytes);
    s.isms(&["verify"]).ok();
}
