//! `docs/cli.md`, rendered from the clap definitions: every command's
//! `--help`, the exit codes and the JSON outputs. A test compares the
//! committed file with this rendering; regenerate with
//! `cargo run -p isms-cli -- cli-reference > docs/cli.md`.

use std::fmt::Write as _;

use clap::CommandFactory as _;

use crate::cli::Cli;

const INTRO: &str = "\
# `isms` command reference

Generated from the clap definitions by `isms cli-reference`; do not edit by hand.
Regenerate with `cargo run -p isms-cli -- cli-reference > docs/cli.md` (a test in
`crates/isms-cli/tests/` fails when this file and `isms --help` disagree).

Every item is addressed by its human reference (`NC-0007`, `IMP-0003`; case and leading
zeros do not matter) or by its UUID; corrective actions by `A-1`, `A-2`, ... within their
nonconformity. Times are RFC 3339 (`2026-03-02T09:00:00Z`) or a date (`2026-03-02`, the start
of that day in the policy's time zone), from 1900-01-01 to 2150-12-31 in UTC (the range every
output format carries; others are refused with exit 2). Calendar dates (due and check dates,
today for `--overdue` and `--due-within`, the months and overdue items of `kpi` and `report`)
are the organisation's, in the policy's time zone (`time_zone`, an IANA name; UTC by default).
Errors go to stderr with a line saying what to do.

## Exit codes

| code | meaning |
|---|---|
| 0 | done (for `verify`: the chain is intact) |
| 1 | any other error (an internal error is a bug: please report it) |
| 2 | bad command line or argument value, including a time outside 1900-01-01..2150-12-31, a path the command must not write to (see Outputs; an existing file for `init` and `backup`) and a `restore` that needs `--force` |
| 3 | refused by a workflow rule; nothing was recorded |
| 4 | the item, file (database, input file, backup to restore), framework or catalogue entry does not exist |
| 5 | the store or a file could not be read or written (including another process holding the write lock longer than `$ISMS_LOCK_TIMEOUT`) |
| 6 | the register does not verify: the event log, its reference index or a checkpoint was changed, the file is damaged, or a kept evidence copy (`<db>.evidence/`) is missing or altered |
| 7 | an input document is invalid or refused by the rules (every problem is listed with its place: JSON path, `/events/N`, or file, sheet, row and column), or larger than its import limit (checked before reading) |

A pipe closed by its reader (`isms nc list | head -1`), on standard output or standard error,
is not an error: the rest of that output is dropped quietly and the command runs to its end,
so the exit code is still the command's own.

## JSON outputs

`--json` prints exactly one JSON value on stdout. Where a schema of the bundle
(`docs/schemas/`, `urn:isms-improvement:schema:<name>:1`) describes it, that is the contract;
the other shapes are the serde form of the named Rust type and are listed here.

| command | output |
|---|---|
| `kpi --json` | `kpi-report` schema |
| `nc list --json` | array of `nonconformity` |
| `nc show --json` | `nonconformity` |
| `nc show --history --json` | object: `nonconformity` (`nonconformity` schema), `events` (array of `event`) |
| `improvement list --json` | array of `improvement` |
| `improvement show --json` | `improvement`; with `--history` an object `improvement`, `events` |
| `export --format json` | `register` (the register document) |
| `catalog list FRAMEWORK --json` | `framework` |
| `catalog frameworks --json` | array of objects `id`, `name`, `version`, `publisher`, `licence` (strings), `items` (count) |
| `catalog show REF --json` | the item (`isms_catalog::Item`: `id`, `parent`, `kind`, `title`, `summary`, `details`) |
| `catalog map REF --to FW --json` | array of mappings as in the `crosswalk` schema's `mappings` |
| `catalog map --transitive --json` | array of `isms_catalog::MappingPath` (`source`, `target`, `steps`, `possible`, `relationship`, `certainty`) |
| `verify --json` | object: `intact` (true), `events` (count), `head` (`position`, `hash` as hex) |
| `policy show --json` | object: `at` (the instant asked), `policy` (`policy` schema: the policy in force then), `adopted` (`null` before the register's first adoption, else `sequence`, `at`, `recorded_at`, `actor`, `roles`, `policy`, `reason`) |
| `import FILE... --json` (spreadsheets) | object: `written` (false with `--dry-run`), `created`, `updated`, `events` (counts), `items` (array: `reference`, `file_reference`, `created`, `state`, `commands`, `not_recorded` (array: `at` (`file`, `sheet`, `row`, `column` letter, `header`), `step`, `column` (key), `why`), `assumed` (strings)), `skipped` (as `not_recorded`), `notes` (strings) |

## Times

Every event keeps two times: the effective time (`--at`, default now) and the time it was
recorded, read from the clock `isms` uses: the system clock, or `$ISMS_NOW` (an RFC 3339
instant) to pin it for reproducible runs and demonstrations. `nc show --history` shows the
recording time wherever it differs from the effective one, so back-dating is visible; the
policy may limit how far back a command may be dated (`max_backdating`, warn or refuse).

## Policy

The policy (segregation of duties, containment before analysis, approver roles, time limits,
back-dating limit, time zone) is part of the register: `isms policy set FILE` records an
adoption, effective from `--at` (default now), and every command is decided under the policy
in force at its own effective time; a register that never adopted one runs under the
defaults (`isms policy show` prints them). A policy file is TOML or JSON with the keys of the
bundle's `policy` schema; a key left out takes its default, an unknown key or a wrong type is
refused (exit 7, with line and column). The file's `[roles]` table names who holds which role
(`approver = [\"maria\"]`): `isms` grants the acting user (`--as`) the roles the policy in force
gives it, each event records them, and `closure_approver_role` and `policy_approver_role`
are checked against them.

## Concurrency

Writers take an exclusive lock on `<db>.lock` from reading the register to appending, so
two `isms` processes never give out the same number; the store's optimistic concurrency
protects each item's history against every other writer. A writer waits for the lock at
most `$ISMS_LOCK_TIMEOUT` seconds (default 30; `0` does not wait), then gives up with
exit 5 and nothing written.

Reading commands take no lock and open the database read-only: they never change it, and a
register in a read-only folder or on read-only media can be read. In a folder they may write
to, SQLite may leave its empty `-wal` and `-shm` files beside the database after a read; the
next writer removes them.

## Outputs

The files named by `--out` (`export`, `report`, `catalog export`, and the files `schema`
writes into its folder) and by `backup --to`:

- `-` is standard output (not for the two files of a CSV export, nor for `report`, whose
  format comes from the file's extension).
- A FIFO or a character device (`/dev/null`, a terminal, the `/dev/fd/63` of a process
  substitution, `/dev/stdout` while that is a terminal or a pipe) is opened and written
  through, never replaced.
- A symbolic link is followed only to a FIFO or a character device. A link to a regular
  file, a directory or nothing is refused (exit 2), so that a link planted where `isms`
  will write cannot send the output over another file: name the file itself.
- A regular file is written whole: into a temporary file beside it, synced, then renamed
  into place, so a reader never sees half of it. An existing file is replaced, keeping its
  permissions; `backup` never replaces one (exit 2).
- A directory, a block device or a socket is refused (exit 2).

`restore` replaces the register only with a backup whose hash chain extends the register's
(it holds every event the register holds); an older backup or another register needs
`--force`. The register it replaces is always kept beside it, `<db>.replaced-<UTC time>`,
and stderr says where.

";

/// The whole reference as Markdown.
pub fn render() -> String {
    let mut out = String::from(INTRO);
    let mut root = Cli::command().term_width(100);
    root.build();
    section(&mut out, &root, "isms");
    out
}

fn section(out: &mut String, cmd: &clap::Command, path: &str) {
    let mut cmd = cmd.clone();
    let _ = writeln!(out, "## `{path}`\n");
    let help = cmd.render_long_help().to_string();
    let _ = writeln!(out, "```text\n{}\n```\n", help.trim_end());
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() || sub.get_name() == "help" {
            continue;
        }
        section(out, sub, &format!("{path} {}", sub.get_name()));
    }
}
