//! `isms audit add|list|show`, `--audit` on `nc report` and `improvement
//! propose`, and `isms kpi --audit` (issue 19, part 4).

use crate::support::{Scratch, db_bytes};

fn report(s: &Scratch, title: &str, audit: Option<&str>) -> crate::support::Run {
    let mut args = vec![
        "nc",
        "report",
        "--title",
        title,
        "--source",
        "internal_audit",
        "--severity",
        "minor",
        "--at",
        "2026-04-20T09:00:00Z",
    ];
    if let Some(a) = audit {
        args.extend(["--audit", a]);
    }
    s.isms(&args)
}

fn reference(run: crate::support::Run) -> String {
    run.ok().split(':').next().unwrap().to_owned()
}

#[test]
fn an_audit_lists_its_findings_and_their_states() {
    let s = Scratch::new("audit-show");
    s.isms(&["init"]).ok();
    let out = s
        .isms(&[
            "audit",
            "add",
            "IA-2026-1",
            "--kind",
            "internal_audit",
            "--scope",
            "Backup and restore, data centre 1",
            "--date",
            "2026-04-14",
            "--lead",
            "internal-audit",
            "--at",
            "2026-04-17T09:00:00Z",
        ])
        .ok();
    assert_eq!(out.trim(), "audit IA-2026-1 recorded");

    // Recorded once; an unknown audit is refused; a bad id is a usage error.
    let before = db_bytes(&s.db());
    let err = s
        .isms(&[
            "audit",
            "add",
            "IA-2026-1",
            "--kind",
            "other",
            "--scope",
            "again",
            "--date",
            "2026-04-15",
        ])
        .fails(3);
    assert!(err.contains("already holds the audit IA-2026-1"), "{err}");
    let err = report(&s, "Stray", Some("IA-2099-9")).fails(3);
    assert!(err.contains("holds no audit IA-2099-9"), "{err}");
    let err = report(&s, "Stray", Some("bad id")).fails(2);
    assert!(err.contains("not a valid audit id"), "{err}");
    assert_eq!(db_bytes(&s.db()), before, "refusals write nothing");

    let first = reference(report(&s, "Restore never tested", Some("IA-2026-1")));
    let second = reference(report(&s, "Backup job alerts off", Some("IA-2026-1")));
    reference(report(&s, "Unrelated finding", None));
    s.isms(&[
        "nc",
        "reject",
        &second,
        "--explanation",
        "Alerts are on; the auditor saw a test system",
        "--at",
        "2026-04-21T09:00:00Z",
    ])
    .ok();
    s.isms(&[
        "improvement",
        "propose",
        "--title",
        "Quarterly restore drills",
        "--benefit",
        "Tested backups",
        "--priority",
        "high",
        "--source",
        "audit",
        "--audit",
        "IA-2026-1",
        "--at",
        "2026-04-22T09:00:00Z",
    ])
    .ok();

    let shown = s.isms(&["audit", "show", "IA-2026-1"]).ok();
    assert!(
        shown.contains("IA-2026-1  Backup and restore, data centre 1"),
        "{shown}"
    );
    assert!(shown.contains("kind:     internal_audit"), "{shown}");
    assert!(
        shown.contains("findings: 2 nonconformities (1 open), 1 improvements"),
        "{shown}"
    );
    assert!(shown.contains(&format!("{first}  reported")), "{shown}");
    assert!(shown.contains(&format!("{second}  rejected")), "{shown}");
    assert!(!shown.contains("Unrelated"), "{shown}");
    let json = s.isms(&["audit", "show", "IA-2026-1", "--json"]).json();
    assert_eq!(json["audit"]["lead"], "internal-audit");
    assert_eq!(json["nonconformities"].as_array().unwrap().len(), 2);
    assert_eq!(json["improvements"][0]["audit"], "IA-2026-1");
    let list = s.isms(&["audit", "list", "--json"]).json();
    assert_eq!(list[0]["id"], "IA-2026-1");
    assert_eq!(list[0]["date"], "2026-04-14");
    let nc = s.isms(&["nc", "show", &first]).ok();
    assert!(nc.contains("audit:        IA-2026-1"), "{nc}");
    let err = s.isms(&["audit", "show", "IA-1999-1"]).fails(4);
    assert!(err.contains("audit IA-1999-1 not found"), "{err}");

    // The KPIs of the audit's findings only: 2 reported, 1 open.
    let kpis = s
        .isms(&[
            "kpi",
            "--audit",
            "IA-2026-1",
            "--as-of",
            "2026-05-01",
            "--json",
        ])
        .json();
    let open = kpis["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "open_nonconformities")
        .unwrap();
    assert_eq!(open["value"]["count"], 1, "{open}");
    let all = s.isms(&["kpi", "--as-of", "2026-05-01", "--json"]).json();
    let open_all = all["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "open_nonconformities")
        .unwrap();
    assert_eq!(open_all["value"]["count"], 2, "{open_all}");
    s.isms(&["kpi", "--audit", "IA-1999-1"]).fails(4);

    // The register document carries the audit and the findings' links.
    s.isms(&["export", "--format", "json", "--out", "register.json"])
        .ok();
    let copy = s.path("copy.db");
    s.isms_on(&copy, &["import", "register.json"]).ok();
    let shown_copy = s
        .isms_on(&copy, &["audit", "show", "IA-2026-1", "--json"])
        .json();
    assert_eq!(shown_copy, json);
    s.isms(&["verify", "--deep"]).ok();
}
