//! Text the core refuses at every boundary: bidirectional controls, and
//! text with nothing visible in it; and what it keeps accepting.

use isms_core::{Command, DecisionError, ReportNonconformity, Severity, Source};

use crate::support::{Desk, actor, at};

fn report(desk: &mut Desk, title: &str, description: &str) -> Result<(), DecisionError> {
    let id = desk.nc_id();
    let who = actor("auditor");
    desk.try_run(
        &who,
        Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id,
            title: title.into(),
            description: description.into(),
            source: Source::InternalAudit,
            severity: Severity::Minor,
            requirements: vec![],
            owner: who.id.clone(),
            detected_at: desk.now,
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        }),
    )
    .map(|_| ())
}

#[track_caller]
fn refused_text(result: Result<(), DecisionError>, field: &str, problem: &str) {
    match result {
        Err(DecisionError::BadText {
            field: f,
            problem: p,
        }) => {
            assert_eq!(f, field);
            assert!(p.contains(problem), "{p}");
        }
        other => panic!("expected a text refusal of {field}, got {other:?}"),
    }
}

#[test]
fn bidirectional_overrides_and_isolates_are_refused() {
    let mut desk = Desk::new(at(2026, 3, 2));
    for c in [
        '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2069}',
    ] {
        let title = format!("Invoice {c}fdp.exe");
        refused_text(
            report(&mut desk, &title, "ok"),
            "title",
            "bidirectional control",
        );
        refused_text(
            report(&mut desk, "ok", &format!("seen in {c}log")),
            "description",
            &format!("U+{:04X}", u32::from(c)),
        );
    }
}

#[test]
fn text_with_nothing_visible_is_refused() {
    let mut desk = Desk::new(at(2026, 3, 2));
    for title in [
        "\u{200b}",
        " \u{200b}\u{200c} ",
        "\u{feff}",
        "\u{2060}\u{00ad}",
        "\u{3164}",
        "\u{200e}",
    ] {
        refused_text(
            report(&mut desk, title, "ok"),
            "title",
            "no visible character",
        );
    }
    refused_text(
        report(&mut desk, "ok", "\u{200d}\n\u{200b}"),
        "description",
        "no visible character",
    );
}

#[test]
fn joiners_marks_and_scripts_stay_accepted() {
    let mut desk = Desk::new(at(2026, 3, 2));
    for title in [
        "Backups not tested",
        "क्‍ष policy missing",             // a zero-width joiner inside a word
        "שרת הגיבוי\u{200f} not tested", // a right-to-left mark
        "Zugriff auf Lohn\u{00ad}daten", // a soft hyphen inside a word
    ] {
        report(&mut desk, title, "Found in the audit.").unwrap();
    }
    assert_eq!(desk.register.nonconformities().len(), 4);
}
