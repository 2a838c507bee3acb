//! The README's walk-through is real: its commands are run as written and
//! their output compared with what the README shows (the random UUID and
//! the chain hash that follows from it are masked).

use std::path::PathBuf;

use crate::support::{Scratch, command};

/// Splits a command line on spaces, keeping double-quoted words whole.
pub(crate) fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut word));
                    any = false;
                }
            }
            _ => {
                word.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(word);
    }
    out
}

fn mask(text: &str) -> String {
    text.lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("  id:") {
                format!(
                    "  id:{}",
                    " ".repeat(rest.len() - rest.trim_start().len()) + "<uuid>"
                )
            } else if let Some(i) = l.find("chain head ") {
                let tail = &l[i + 11..];
                let end = tail.find(' ').unwrap_or(tail.len());
                format!("{}chain head <hash>{}", &l[..i], &tail[end..])
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_readme_walk_through_runs_as_written() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let start = readme
        .find("## Five minutes with one nonconformity")
        .unwrap();
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];

    // (command, expected output) pairs from the ```console blocks.
    let mut steps: Vec<(String, String)> = Vec::new();
    for block in section.split("```console\n").skip(1) {
        let block = &block[..block.find("```").unwrap()];
        let mut lines = block.lines().peekable();
        while let Some(line) = lines.next() {
            let Some(cmd) = line.strip_prefix("$ ") else {
                continue;
            };
            let mut cmd = cmd.to_owned();
            while cmd.ends_with('\\') {
                cmd.pop();
                cmd.push_str(lines.next().unwrap().trim());
                cmd.push(' ');
            }
            let mut expected = Vec::new();
            while let Some(next) = lines.peek() {
                if next.starts_with("$ ") {
                    break;
                }
                expected.push(lines.next().unwrap());
            }
            steps.push((cmd, expected.join("\n").trim_end().to_owned()));
        }
    }
    assert!(steps.len() >= 12, "{steps:?}");

    let s = Scratch::new("readme");
    let mut env: Vec<(String, String)> = Vec::new();
    for (cmd, expected) in steps {
        let w = words(&cmd);
        if w[0] == "export" {
            for kv in &w[1..] {
                let (k, v) = kv.split_once('=').unwrap();
                env.push((k.into(), v.into()));
            }
            continue;
        }
        assert_eq!(w[0], "isms", "{cmd}");
        let out = command(s.dir())
            .envs(env.iter().map(|(k, v)| (k, v)))
            .args(&w[1..])
            .output()
            .unwrap();
        let mut got = String::from_utf8(out.stdout).unwrap();
        got.push_str(&String::from_utf8(out.stderr).unwrap());
        assert_eq!(mask(got.trim_end()), mask(&expected), "$ {cmd}");
    }
}
