//! The rule-code registry: documented, and never shrinking.
//!
//! `tests/rule_codes.txt` lists every code ever issued with its outcome. A
//! code is issued by appending it there; the test fails when a listed code
//! leaves `RULE_CODES` or changes outcome (a code is never removed or given
//! to another rule), and when `RULE_CODES` has a code the file lacks.

use std::path::PathBuf;

use isms_core::{RULE_CODES, render_rule_codes_markdown};

fn crate_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn rule_codes_doc_is_current() {
    let path = crate_file("../../docs/rule-codes.md");
    let fresh = render_rule_codes_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/rule-codes.md is stale; regenerate with: UPDATE_DOCS=1 cargo test -p isms-core --features proptest rule_codes"
    );
}

#[test]
fn rule_codes_are_never_removed_or_reused() {
    let issued = std::fs::read_to_string(crate_file("tests/rule_codes.txt")).unwrap();
    let issued: Vec<(&str, &str)> = issued
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| l.split_once(' ').expect("CODE OUTCOME per line"))
        .collect();
    for (code, outcome) in &issued {
        let now = RULE_CODES.iter().find(|c| c.code == *code);
        let now = now.unwrap_or_else(|| {
            panic!("rule code {code} was issued and has disappeared from RULE_CODES: codes are never removed")
        });
        assert_eq!(
            now.outcome.as_str().replace(' ', "_"),
            *outcome,
            "rule code {code} changed what it is: a code is never given to another rule"
        );
    }
    for c in RULE_CODES {
        assert!(
            issued.iter().any(|(code, _)| *code == c.code),
            "rule code {} is new: append `{} {}` to crates/isms-core/tests/rule_codes.txt",
            c.code,
            c.code,
            c.outcome.as_str().replace(' ', "_")
        );
    }
}
