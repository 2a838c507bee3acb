//! `isms report` and `isms demo` write the management-review report.

use crate::support::{Scratch, command};

#[test]
fn report_writes_html_with_seven_charts_and_markdown() {
    let s = Scratch::new("report");
    crate::scenarios::seed_register(&s);
    let html = s.path("review.html");
    let out = s
        .isms(&[
            "report",
            "--as-of",
            "2027-01-31",
            "--window",
            "730d",
            "--paper",
            "letter",
            "--out",
            html.to_str().unwrap(),
        ])
        .ok();
    assert!(out.contains("review.html"));
    let text = std::fs::read_to_string(&html).unwrap();
    assert_eq!(text.matches("<svg class=\"chart\"").count(), 7);
    assert!(text.contains("Nightly backup failed for three nights") || text.contains("NC-000"));
    assert!(
        text.contains("size: letter"),
        "the paper option reaches the CSS"
    );

    let md = s.path("review.md");
    s.isms(&[
        "report",
        "--as-of",
        "2027-01-31",
        "--out",
        md.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.starts_with("# "), "{}", &text[..80.min(text.len())]);
    assert!(!text.contains("<svg"));

    let err = s
        .isms(&["report", "--out", s.path("review.pdf").to_str().unwrap()])
        .fails(2);
    assert!(err.contains("review.pdf"), "{err}");
}

#[test]
fn demo_builds_a_register_prints_kpis_and_writes_the_report() {
    let s = Scratch::new("demo");
    let out = command(s.dir())
        .args(["demo", "--count", "120"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Effectiveness rate"), "{stdout}");
    assert!(
        stdout.contains("NC-0121") && stdout.contains("NC-0123"),
        "{stdout}"
    );
    assert!(stdout.contains("isms-demo.db"));
    assert!(stdout.contains("isms-demo-review.html"));
    let html = std::fs::read_to_string(s.path("isms-demo-review.html")).unwrap();
    assert_eq!(html.matches("<svg class=\"chart\"").count(), 7);

    // The register is a real one: it verifies and its items can be shown.
    let run = |args: &[&str]| {
        command(s.dir())
            .args(["--db", "isms-demo.db"])
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["verify"]).status.success());
    let shown = run(&["nc", "show", "NC-0123"]);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("Nightly backup failed"));

    // A second demo does not overwrite without --force.
    let again = command(s.dir())
        .args(["demo", "--count", "10"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let forced = command(s.dir())
        .args(["demo", "--count", "10", "--force"])
        .output()
        .unwrap();
    assert!(forced.status.success());
    assert!(String::from_utf8_lossy(&forced.stdout).contains("13 nonconformities"));
}
