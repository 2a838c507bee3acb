//! Requirement references are looked up in the catalogue where they enter:
//! an unknown framework or item is refused with exit 2 and what does exist,
//! a known one is stored in the catalogue's spelling (issue 16: junk such as
//! `iso27001:2022/A.99.99` used to be stored and counted by the KPIs).

use crate::support::Scratch;

fn report(s: &Scratch, requirement: &str) -> crate::support::Run {
    s.isms(&[
        "nc",
        "report",
        "--title",
        "Backup not tested",
        "--source",
        "internal_audit",
        "--severity",
        "minor",
        "--requirement",
        requirement,
        "--at",
        "2026-03-02T09:00:00Z",
    ])
}

#[test]
fn unknown_requirements_are_refused_with_what_exists() {
    let s = Scratch::new("requirements");
    s.isms(&["init"]).ok();
    let err = report(&s, "iso27001:2022/A.99.99").fails(2);
    assert!(
        err.contains("unknown item A.99.99 in iso27001:2022"),
        "{err}"
    );
    let err = report(&s, "foo:bar/xyz").fails(2);
    assert!(err.contains("unknown framework \"foo:bar\""), "{err}");
    assert!(
        err.contains("iso27001:2022"),
        "the known frameworks are listed: {err}"
    );
    let err = report(&s, "nis2:2022/21.2.i").fails(2);
    assert!(err.contains("unknown framework \"nis2:2022\""), "{err}");
    let err = report(&s, "iso27001:2022/A.8.1x").fails(2);
    assert!(err.contains("did you mean A.8.1,"), "{err}");
    // Nothing was recorded by the refusals.
    assert_eq!(
        s.isms(&["nc", "list", "--json"]).json(),
        serde_json::json!([])
    );
    // A loose spelling of a real control is stored as the catalogue writes it.
    report(&s, "ISO 27001:2022/A 8.13").ok();
    let nc = s.isms(&["nc", "show", "NC-0001", "--json"]).json();
    assert_eq!(
        nc["requirements"],
        serde_json::json!(["iso27001:2022/A.8.13"])
    );
}
