//! `isms policy show|set` (issue 16, part 5): the policy is recorded in the
//! register, every command is decided under the policy in force at its
//! time, the roles table gives the actor its roles, and bad policy files
//! are refused with exit 7 and nothing written.

use serde_json::json;

use crate::support::{Scratch, db_bytes};

const STRICT: &str = r#"
# Containment first for every severity, a closure approver, a policy approver.
containment_required_for = ["major", "minor"]
closure_approver_role = "approver"
policy_approver_role = "ciso"
max_days_to_contain = { days = 2, enforcement = "warn" }

[roles]
approver = ["maria"]
ciso = ["maria"]
"#;

fn report(s: &Scratch, as_who: &str, at: &str) -> String {
    let out = s
        .isms_as(
            as_who,
            &[
                "nc",
                "report",
                "--title",
                "Visitor log not kept",
                "--source",
                "self_identified",
                "--severity",
                "minor",
                "--at",
                at,
            ],
        )
        .ok();
    out.split(':').next().unwrap_or_default().to_owned()
}

fn analyse(s: &Scratch, nc: &str, at: &str) -> crate::support::Run {
    s.isms(&[
        "nc",
        "analyse",
        nc,
        "--cause",
        "process:Nobody owns the visitor log",
        "--similar-notes",
        "No other site lacks one",
        "--at",
        at,
    ])
}

#[test]
fn a_fresh_register_runs_under_the_default_policy() {
    let s = Scratch::new("policy-default");
    s.isms(&["init"]).ok();
    let shown = s.isms(&["policy", "show", "--json"]).json();
    assert_eq!(shown["adopted"], json!(null));
    assert_eq!(
        shown["policy"],
        serde_json::to_value(isms_core::Policy::default()).unwrap()
    );
    let text = s.isms(&["policy", "show"]).ok();
    assert!(text.contains("the default policy"), "{text}");
    assert!(text.contains("segregation_of_duties       true"), "{text}");
}

#[test]
fn decisions_follow_the_policy_in_force_at_their_time_and_roles_come_from_it() {
    let s = Scratch::new("policy-set");
    s.isms(&["init"]).ok();
    let early = report(&s, "tester", "2026-03-02T09:00:00Z");
    std::fs::write(s.path("strict.toml"), STRICT).unwrap();
    let out = s
        .isms(&[
            "policy",
            "set",
            "strict.toml",
            "--reason",
            "Management review 2026-1",
            "--at",
            "2026-04-01T00:00:00Z",
        ])
        .ok();
    assert!(out.contains("adoption 1"), "{out}");

    // Before April the default is in force: no containment needed for a
    // minor one; from April the adopted policy asks for it.
    analyse(&s, &early, "2026-03-05T09:00:00Z").ok();
    let late = report(&s, "maria", "2026-04-02T09:00:00Z");
    let err = analyse(&s, &late, "2026-04-03T09:00:00Z").fails(3);
    assert!(err.contains("containment"), "{err}");

    // The adoption is shown with its time, actor and reason; before it,
    // the default.
    let shown = s
        .isms(&["policy", "show", "--json", "--at", "2026-05-01"])
        .json();
    assert_eq!(shown["adopted"]["actor"], "tester");
    assert_eq!(shown["adopted"]["at"], "2026-04-01T00:00:00Z");
    assert_eq!(shown["adopted"]["reason"], "Management review 2026-1");
    assert_eq!(shown["policy"]["roles"]["approver"], json!(["maria"]));
    assert_eq!(
        shown["policy"]["containment_required_for"],
        json!(["major", "minor"])
    );
    let before = s
        .isms(&["policy", "show", "--json", "--at", "2026-03-31"])
        .json();
    assert_eq!(before["adopted"], json!(null));
    let text = s.isms(&["policy", "show", "--at", "2026-05-01"]).ok();
    assert!(text.contains("by tester"), "{text}");
    assert!(text.contains("roles.approver"), "{text}");

    // maria's report records the roles the table gives her.
    let history = s.isms(&["nc", "show", &late, "--history", "--json"]).json();
    assert_eq!(history["events"][0]["roles"], json!(["approver", "ciso"]));

    // Only a holder of the policy approver role adopts the next policy.
    std::fs::write(s.path("default.json"), "{}").unwrap();
    let before = db_bytes(&s.db());
    let err = s
        .isms(&["policy", "set", "default.json", "--at", "2026-06-01"])
        .fails(3);
    assert!(err.contains("ciso"), "{err}");
    assert_eq!(db_bytes(&s.db()), before);
    s.isms_as(
        "maria",
        &["policy", "set", "default.json", "--at", "2026-06-01"],
    )
    .ok();
    let now = s
        .isms(&["policy", "show", "--json", "--at", "2026-07-01"])
        .json();
    assert_eq!(now["adopted"]["sequence"], 2);
    assert_eq!(now["adopted"]["roles"], json!(["approver", "ciso"]));

    // The register document carries the policies; imported, they decide
    // the same, and show the same.
    s.isms(&["export", "--format", "json", "--out", "register.json"])
        .ok();
    let copy = s.path("copy.db");
    s.isms_on(&copy, &["import", "register.json"]).ok();
    let shown_copy = s
        .isms_on(&copy, &["policy", "show", "--json", "--at", "2026-05-01"])
        .json();
    assert_eq!(shown_copy, shown);
    s.isms_on(&copy, &["verify"]).ok();
    s.isms(&["verify", "--deep"]).ok();
}

#[test]
fn bad_policy_files_are_refused_with_exit_7_and_nothing_is_written() {
    let s = Scratch::new("policy-bad");
    s.isms(&["init"]).ok();
    let before = db_bytes(&s.db());
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "typo.toml",
            "segregation_of_dutys = false\n",
            &["segregation_of_dutys", "line 1", "policy` schema"],
        ),
        (
            "type.toml",
            "containment_required_for = \"major\"\n",
            &["line 1", "sequence"],
        ),
        (
            "unknown.json",
            "{\n  \"roles\": {\"approver\": [\"maria\"]},\n  \"approver\": \"x\"\n}",
            &["approver", "line 3", "unknown field"],
        ),
        (
            "zone.json",
            r#"{"time_zone": "Mars/Olympus"}"#,
            &["Mars/Olympus"],
        ),
        ("broken.toml", "roles = [", &["TOML", "line 1"]),
    ];
    for (name, text, needles) in cases {
        std::fs::write(s.path(name), text).unwrap();
        let err = s.isms(&["policy", "set", name]).fails(7);
        for needle in *needles {
            assert!(err.contains(needle), "{name}: {needle:?} not in {err}");
        }
        assert!(err.contains(name), "{name}: the file is named: {err}");
    }
    // A missing file is not found (4); a policy the rules refuse is 3.
    s.isms(&["policy", "set", "missing.toml"]).fails(4);
    std::fs::write(
        s.path("long.toml"),
        "max_days_to_plan = { days = 40000, enforcement = \"warn\" }\n",
    )
    .unwrap();
    let err = s.isms(&["policy", "set", "long.toml"]).fails(3);
    assert!(err.contains("max_days_to_plan"), "{err}");
    assert_eq!(db_bytes(&s.db()), before);
    assert_eq!(
        s.isms(&["policy", "show", "--json"]).json()["adopted"],
        json!(null)
    );
}

/// The command line's calendar is the time zone of the policy in force:
/// once a register adopts Pacific/Auckland, a date alone given to `--at`
/// is the start of that day there (11:00 UTC the day before, in NZ summer
/// time), and `policy show` says so.
#[test]
fn dates_on_the_command_line_are_in_the_adopted_time_zone() {
    let s = Scratch::new("policy-zone");
    s.isms(&["init"]).ok();
    let utc = report(&s, "tester", "2026-03-02");
    let history = s.isms(&["nc", "show", &utc, "--history", "--json"]).json();
    assert_eq!(history["events"][0]["at"], "2026-03-02T00:00:00Z");

    std::fs::write(s.path("nz.json"), r#"{"time_zone": "Pacific/Auckland"}"#).unwrap();
    s.isms(&["policy", "set", "nz.json", "--at", "2026-03-01T00:00:00Z"])
        .ok();
    let local = report(&s, "tester", "2026-03-02");
    let history = s
        .isms(&["nc", "show", &local, "--history", "--json"])
        .json();
    assert_eq!(history["events"][0]["at"], "2026-03-01T11:00:00Z");
}
