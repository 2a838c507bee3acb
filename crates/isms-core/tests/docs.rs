//! Generated documentation stays current.

use std::path::PathBuf;

fn workspace_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

#[test]
fn docs_are_current() {
    let path = workspace_file("docs/workflow.md");
    let fresh = isms_core::render_workflow_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/workflow.md is stale; regenerate with: UPDATE_DOCS=1 cargo test -p isms-core --features proptest docs_are_current"
    );
}

#[test]
fn every_state_is_reachable_and_terminals_have_no_exit() {
    use isms_core::{NC_TRANSITIONS, NcState};
    for state in NcState::ALL {
        let reachable = NC_TRANSITIONS.iter().any(|r| r.to.contains(&state));
        assert!(reachable, "{state} is unreachable");
        // Recording an incident's reporting stays in any state, a terminal
        // one included (a final report can fall due after closure): an exit
        // is a rule that leads somewhere else.
        let exits = NC_TRANSITIONS
            .iter()
            .filter(|r| r.from == Some(state) && r.to != [state])
            .count();
        assert_eq!(exits == 0, state.is_terminal(), "{state}");
    }
    // Each (state, command) pair appears at most once.
    for (i, a) in NC_TRANSITIONS.iter().enumerate() {
        for b in &NC_TRANSITIONS[i + 1..] {
            assert!(
                !(a.from == b.from && a.command == b.command),
                "duplicate rule {:?} {:?}",
                a.from,
                a.command
            );
        }
    }
}
