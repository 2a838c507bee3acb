//! The Markdown output, pinned: the seed document's examples and a small
//! generated register, as of fixed instants.

use isms_report::{ReportOptions, render_markdown};

use crate::support::{generated, seeds};

#[test]
fn seed_scenarios_markdown() {
    let (register, t) = seeds();
    let options = ReportOptions {
        organisation: Some("Seed examples".to_owned()),
        window_days: 730,
        ..ReportOptions::default()
    };
    insta::assert_snapshot!(render_markdown(&register, t, &options).unwrap());
}

#[test]
fn small_generated_register_markdown() {
    let (register, end) = generated(150, 7, 400);
    let options = ReportOptions {
        max_rows: 8,
        ..ReportOptions::default()
    };
    insta::assert_snapshot!(render_markdown(&register, end, &options).unwrap());
}
