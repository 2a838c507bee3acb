//! `docs/cli.md` is the rendering of the clap definitions; completions and
//! the man page come from the same definitions.

use std::path::PathBuf;

use crate::support::{Scratch, command};

#[test]
fn docs_cli_md_matches_the_help_texts() {
    let s = Scratch::new("docs");
    let out = command(s.dir()).arg("cli-reference").output().unwrap();
    assert!(out.status.success());
    let rendered = String::from_utf8(out.stdout).unwrap();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/cli.md is out of date: run `cargo run -p isms-cli -- cli-reference > docs/cli.md`"
    );

    // The reference holds every command's own --help text.
    let help = command(s.dir())
        .args(["nc", "verify-plan", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let first = help.lines().next().unwrap();
    assert!(rendered.contains(first), "{first}");
    for sub in [
        "isms nc report",
        "isms improvement realise",
        "isms catalog map",
        "isms report",
    ] {
        assert!(rendered.contains(&format!("## `{sub}`")), "{sub}");
    }
}

#[test]
fn completions_and_man_page_are_generated() {
    let s = Scratch::new("man");
    let bash = command(s.dir())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let bash = String::from_utf8(bash.stdout).unwrap();
    assert!(bash.contains("verify-plan") && bash.contains("link-recurrence"));
    let man = command(s.dir()).arg("man").output().unwrap();
    let man = String::from_utf8(man.stdout).unwrap();
    assert!(
        man.starts_with(".ie") || man.contains(".TH isms"),
        "{}",
        &man[..60]
    );
}
