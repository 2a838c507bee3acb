//! `isms nc links` and risk acceptance on `nc close` / `nc reject` (issue
//! 19, part 3): links added and removed with typed refusals; an accepted
//! residual risk recorded only by the holder of the policy's risk acceptor
//! role, shown by `nc show`, exported to OSCAL as an approved deviation and
//! imported back.

use serde_json::json;

use crate::support::{Scratch, db_bytes};

const POLICY: &str = r#"
risk_acceptor_role = "risk_owner"

[roles]
risk_owner = ["ciso"]
"#;

fn setup(name: &str) -> (Scratch, String) {
    let s = Scratch::new(name);
    s.isms(&["init"]).ok();
    std::fs::write(s.path("policy.toml"), POLICY).unwrap();
    s.isms(&[
        "policy",
        "set",
        "policy.toml",
        "--at",
        "2026-01-01T00:00:00Z",
    ])
    .ok();
    let out = s
        .isms(&[
            "nc",
            "report",
            "--title",
            "Guest Wi-Fi reaches the print room",
            "--source",
            "monitoring",
            "--severity",
            "minor",
            "--at",
            "2026-03-02T09:00:00Z",
        ])
        .ok();
    let nc = out.split(':').next().unwrap().to_owned();
    (s, nc)
}

fn reject<'a>(nc: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "nc",
        "reject",
        nc,
        "--explanation",
        "The print room is outside the segmentation requirement",
        "--at",
        "2026-03-05T09:00:00Z",
    ];
    args.extend_from_slice(extra);
    args
}

const ACCEPT: [&str; 4] = [
    "--accept-risk",
    "Guests may print; the printers hold no confidential jobs",
    "--review-by",
    "2027-03-31",
];

#[test]
fn links_are_added_removed_and_refused_with_their_rule() {
    let (s, nc) = setup("risk-links");
    let out = s
        .isms(&[
            "nc",
            "links",
            &nc,
            "--add",
            "risk:RISK-0042",
            "--add",
            "asset:printer-3",
            "--at",
            "2026-03-03T09:00:00Z",
        ])
        .ok();
    assert!(out.contains("change_links recorded"), "{out}");
    let shown = s.isms(&["nc", "show", &nc]).ok();
    assert!(
        shown.contains("links:        risk:RISK-0042, asset:printer-3"),
        "{shown}"
    );

    let before = db_bytes(&s.db());
    let err = s
        .isms(&["nc", "links", &nc, "--remove", "risk:RISK-9"])
        .fails(3);
    assert!(err.contains("has no link to risk:RISK-9"), "{err}");
    let err = s
        .isms(&["nc", "links", &nc, "--add", "risk:RISK-0042"])
        .fails(3);
    assert!(err.contains("already links to risk:RISK-0042"), "{err}");
    let err = s
        .isms(&["nc", "links", &nc, "--add", "threat:T-1"])
        .fails(2);
    assert!(err.contains("not one of incident, audit, risk"), "{err}");
    let err = s.isms(&["nc", "links", &nc]).fails(3);
    assert!(err.contains("names no link"), "{err}");
    assert_eq!(db_bytes(&s.db()), before, "a refusal writes nothing");

    s.isms(&[
        "nc",
        "links",
        &nc,
        "--remove",
        "asset:printer-3",
        "--at",
        "2026-03-04T09:00:00Z",
    ])
    .ok();
    let json = s.isms(&["nc", "show", &nc, "--json"]).json();
    assert_eq!(
        json["links"],
        json!([{"kind": "risk", "id": "RISK-0042"}]),
        "{json}"
    );
}

#[test]
fn only_the_risk_acceptor_role_accepts_a_risk_and_the_poam_shows_it() {
    let (s, nc) = setup("risk-accept");
    s.isms(&[
        "nc",
        "links",
        &nc,
        "--add",
        "risk:RISK-0042",
        "--at",
        "2026-03-03T09:00:00Z",
    ])
    .ok();

    // The acceptance needs both its statement and its review date.
    let err = s
        .isms(&reject(&nc, &["--accept-risk", "Guests may print"]))
        .fails(2);
    assert!(err.contains("--review-by"), "{err}");

    // tester holds no role: refused, nothing written.
    let before = db_bytes(&s.db());
    let err = s.isms(&reject(&nc, &ACCEPT)).fails(3);
    assert!(err.contains("requires the role risk_owner"), "{err}");
    assert_eq!(db_bytes(&s.db()), before);
    // A review date not after the decision is refused too.
    let err = s
        .isms_as(
            "ciso",
            &reject(
                &nc,
                &[
                    "--accept-risk",
                    "Guests may print",
                    "--review-by",
                    "2026-03-05",
                ],
            ),
        )
        .fails(3);
    assert!(err.contains("is not after today"), "{err}");

    // ciso holds it (the policy's roles table): recorded and shown.
    s.isms_as("ciso", &reject(&nc, &ACCEPT)).ok();
    let shown = s.isms(&["nc", "show", &nc]).ok();
    assert!(
        shown.contains(
            "risk accepted: 2026-03-05T09:00:00+00:00 by ciso at its rejection, review by 2027-03-31"
        ),
        "{shown}"
    );
    assert!(shown.contains("residual risk: Guests may print"), "{shown}");
    let json = s.isms(&["nc", "show", &nc, "--json"]).json();
    assert_eq!(json["risk_acceptance"]["review_by"], "2027-03-31");
    assert_eq!(json["risk_acceptance"]["accepted_by"], "ciso");

    // The POA&M says so, and imports back into a register with the same item.
    let file = s.path("poam.json");
    s.isms(&[
        "export",
        "--format",
        "oscal-poam",
        "--out",
        file.to_str().unwrap(),
    ])
    .ok();
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let risk = &doc["plan-of-action-and-milestones"]["risks"][0];
    assert_eq!(risk["status"], "deviation-approved");
    let copy = Scratch::new("risk-accept-copy");
    copy.isms(&["import", file.to_str().unwrap()]).ok();
    assert_eq!(
        copy.isms(&["nc", "show", &nc, "--json"]).json()["risk_acceptance"],
        json["risk_acceptance"]
    );
}
