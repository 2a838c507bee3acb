//! `isms verify` exits 0 only on an intact chain.

use crate::support::Scratch;

#[test]
fn verify_fails_after_an_event_payload_is_rewritten() {
    let s = Scratch::new("tamper");
    s.isms(&["init"]).ok();
    for title in ["First finding", "Second finding"] {
        s.isms(&[
            "nc",
            "report",
            "--title",
            title,
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ])
        .ok();
    }
    assert!(s.isms(&["verify"]).ok().starts_with("intact: 2 events"));

    {
        let conn = rusqlite::Connection::open(s.db()).unwrap();
        conn.execute_batch(
            "DROP TRIGGER events_no_update;
             UPDATE events SET body = replace(body, 'First finding', 'Nothing found') WHERE position = 1;",
        )
        .unwrap();
        assert_eq!(conn.changes(), 1);
    }
    let err = s.isms(&["verify"]).fails(6);
    assert!(
        err.contains("broken at position 1 "),
        "names the edited row: {err}"
    );
    assert!(err.contains("restore"), "says what to do: {err}");
    // The rewritten title is what a reader would now see: the chain is what tells.
    let shown = s.isms(&["nc", "show", "NC-0001"]).ok();
    assert!(shown.contains("Nothing found"));
}
