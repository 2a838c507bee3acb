//! Terminal-safe text: what the register holds is shown so that it cannot
//! forge a row, move the cursor or reorder what a title says; and what no
//! terminal could show honestly is refused at input.

use crate::support::Scratch;

fn report(s: &Scratch, title: &str) -> crate::support::Run {
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
}

#[test]
fn a_title_with_a_line_break_prints_no_forged_row() {
    let s = Scratch::new("terminal-rows");
    s.isms(&["init"]).ok();
    let forged = "Backups\nNC-0099  closed    major     2026-01-01  ceo    all fine";
    report(&s, forged).ok();
    let list = s.isms(&["nc", "list"]).ok();
    assert_eq!(list.lines().count(), 2, "{list}");
    assert!(!list.lines().any(|l| l.starts_with("NC-0099")), "{list}");
    assert!(list.contains("Backups\\nNC-0099"), "{list}");
    // The detail view keeps the title on its line too.
    let show = s.isms(&["nc", "show", "NC-0001"]).ok();
    assert!(!show.lines().any(|l| l.starts_with("NC-0099")), "{show}");
    assert!(show.lines().next().unwrap().ends_with("all fine"), "{show}");
    // JSON keeps the text exactly.
    let json = s.isms(&["nc", "list", "--json"]).json();
    assert_eq!(json[0]["title"], forged);
}

#[test]
fn invisible_characters_in_stored_text_are_shown_escaped() {
    let s = Scratch::new("terminal-invisible");
    s.isms(&["init"]).ok();
    // Accepted (there is a visible character), but shown as escapes.
    report(&s, "Restore\u{200b}test\tmissing\u{200f}").ok();
    let list = s.isms(&["nc", "list"]).ok();
    assert!(
        list.contains("Restore\\u{200b}test\\tmissing\\u{200f}"),
        "{list}"
    );
    assert!(
        !list.contains('\u{200b}') && !list.contains('\t'),
        "{list:?}"
    );
}

#[test]
fn bidirectional_overrides_and_invisible_titles_are_refused() {
    let s = Scratch::new("terminal-refused");
    s.isms(&["init"]).ok();
    let err = report(&s, "Invoice \u{202e}fdp.exe").fails(3);
    assert!(err.contains("bidirectional control U+202E"), "{err}");
    assert!(!err.contains('\u{202e}'), "{err:?}");
    let err = report(&s, " \u{200b}\u{feff} ").fails(3);
    assert!(err.contains("no visible character"), "{err}");
    let err = s
        .isms(&[
            "nc",
            "report",
            "--title",
            "ok",
            "--description",
            "see \u{2067}log",
            "--source",
            "monitoring",
            "--severity",
            "minor",
        ])
        .fails(3);
    assert!(err.contains("description"), "{err}");
    assert!(
        s.isms(&["nc", "list", "--json"])
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
}
