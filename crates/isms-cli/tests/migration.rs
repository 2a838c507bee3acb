//! Migration from registers kept elsewhere (issue 20): `--from` presets,
//! `--with` companion files, the report of what was not recorded (also as
//! `--json`), a second import that records nothing, and the README's
//! section run as written.

use std::path::PathBuf;

use crate::readme::words;
use crate::support::{Scratch, command};

/// `expected` (lines, `...` for any run of lines) matches `got`.
fn matches(expected: &str, got: &str) -> bool {
    let got: Vec<&str> = got.trim_end().lines().collect();
    let mut at = 0;
    let mut skipping = false;
    for line in expected.trim_end().lines() {
        if line == "..." {
            skipping = true;
            continue;
        }
        if skipping {
            match got[at..].iter().position(|g| *g == line) {
                Some(k) => at += k + 1,
                None => return false,
            }
            skipping = false;
        } else {
            if got.get(at) != Some(&line) {
                return false;
            }
            at += 1;
        }
    }
    skipping || at == got.len()
}

#[test]
fn the_readme_migration_runs_as_written() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let start = readme
        .find("## Bringing the register you already keep")
        .unwrap();
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    let s = Scratch::new("readme-migration");
    let text = section.split("```text\n").nth(1).unwrap();
    let text = &text[..text.find("```").unwrap()];
    std::fs::write(s.path("register.csv"), text).unwrap();

    let mut env: Vec<(String, String)> = Vec::new();
    let mut ran = 0;
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
            let w = words(&cmd);
            if w[0] == "export" {
                for kv in &w[1..] {
                    let (k, v) = kv.split_once('=').unwrap();
                    env.push((k.into(), v.into()));
                }
                continue;
            }
            let out = command(s.dir())
                .envs(env.iter().map(|(k, v)| (k, v)))
                .args(&w[1..])
                .output()
                .unwrap();
            assert!(out.status.success(), "$ {cmd}");
            let got = String::from_utf8(out.stdout).unwrap();
            let expected = expected.join("\n");
            assert!(
                matches(&expected, &got),
                "$ {cmd}\nexpected:\n{expected}\ngot:\n{got}"
            );
            ran += 1;
        }
    }
    assert_eq!(ran, 3);
}

fn xlsx(sheet: &str, rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

const FINDINGS: &[&[&str]] = &[
    &[
        "ref_id",
        "name",
        "description",
        "status",
        "severity",
        "priority",
        "folder",
        "filtering_labels",
        "applied_controls",
        "evidences",
        "vulnerabilities",
        "observation",
        "created_at",
        "eta",
        "due_date",
    ],
    &[
        "F-001",
        "VPN accepts password-only logins",
        "",
        "in_progress",
        "high",
        "P1",
        "Global",
        "",
        "Enforce MFA on VPN [in progress]",
        "",
        "",
        "",
        "2026-01-12 09:30:00",
        "",
        "2026-03-01",
    ],
    &[
        "F-002",
        "Login banner text",
        "",
        "identified",
        "info",
        "",
        "Global",
        "",
        "",
        "",
        "",
        "",
        "2026-01-16 10:00:00",
        "",
        "",
    ],
];

const CONTROLS: &str = "\u{feff}ref_id;name;description;status;eta;owner;evidences\r\n\
AC-1;Enforce MFA on VPN;Second factor;in_progress;2026-02-28;net-admin;\r\n";

#[test]
fn ciso_assistant_exports_import_with_the_preset_and_again_record_nothing() {
    let s = Scratch::new("ciso");
    s.isms(&["init"]).ok();
    std::fs::write(s.path("findings.xlsx"), xlsx("Findings", FINDINGS)).unwrap();
    std::fs::write(s.path("controls.csv"), CONTROLS).unwrap();
    let args = [
        "import",
        "findings.xlsx",
        "--from",
        "ciso-assistant",
        "--with",
        "controls.csv",
        "--set",
        "owner=ciso",
        "--json",
    ];
    let out = s.isms(&args).json();
    assert_eq!(out["written"], true);
    assert_eq!(out["created"], 1);
    // The info finding is reported, not imported.
    assert_eq!(out["skipped"][0]["column"], "severity");
    assert_eq!(out["skipped"][0]["at"]["row"], 3);
    assert_eq!(out["skipped"][0]["at"]["column"], "E");
    // No root cause in CISO Assistant's export: the control is not planned,
    // and the report names the column that would carry it.
    let item = &out["items"][0];
    assert_eq!(item["state"], "reported");
    let gaps = item["not_recorded"].as_array().unwrap();
    assert!(
        gaps.iter()
            .any(|g| g["column"] == "root_cause" && g["step"] == "plan the corrective actions"),
        "{gaps:?}"
    );
    assert!(
        gaps.iter().any(|g| g["column"] == "nc_status"
            && g["why"].as_str().unwrap().contains("says actions planned")),
        "{gaps:?}"
    );
    let again = s.isms(&args).json();
    assert_eq!(again["events"], 0);
    assert_eq!(again["created"], 0);
}

#[test]
fn preset_arguments_are_checked() {
    let s = Scratch::new("preset-args");
    s.isms(&["init"]).ok();
    std::fs::write(s.path("r.csv"), "Issue;Owner\r\nx;y\r\n").unwrap();
    // --with needs --from; an unknown preset is a usage error.
    s.isms(&["import", "r.csv", "--with", "r.csv"]).fails(2);
    let err = s.isms(&["import", "r.csv", "--from", "nope"]).fails(2);
    assert!(err.contains("ciso-assistant, seed-register"), "{err}");
    // The seed register has no companion file.
    s.isms(&[
        "import",
        "r.csv",
        "--from",
        "seed-register",
        "--with",
        "r.csv",
    ])
    .fails(2);
    // A preset file that does not read is bad input, named.
    std::fs::write(s.path("bad.toml"), "name = \"x\"\nsurprise = 1\n").unwrap();
    let err = s.isms(&["import", "r.csv", "--from", "bad.toml"]).fails(7);
    assert!(err.contains("preset bad.toml: "), "{err}");
}
