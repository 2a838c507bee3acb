//! # isms
//!
//! The command-line tool of the isms workspace: an ISO/IEC 27001:2022
//! clause 10 register (nonconformities, corrective actions, effectiveness
//! checks, improvements) in one SQLite file, with KPIs, the
//! management-review report, the catalogue, exchange and backup.
//!
//! ```text
//! isms demo                                 # a register to look at
//! isms nc report --title "Restore never tested" --source internal_audit --severity minor
//! isms nc show NC-0001 --history
//! isms kpi --json
//! ```
//!
//! The tool is thin on purpose: every rule is `isms_core::decide`'s, every
//! write goes through `isms_store::CommandHandler` (optimistic concurrency,
//! the hash chain), every number comes from `isms-kpi`. This crate parses
//! arguments, addresses items by reference, prints, and maps errors to exit
//! codes. The full reference is `docs/cli.md`, rendered from the clap
//! definitions by the hidden `isms cli-reference` command.

// A command-line tool prints on purpose.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod commands;
mod error;
mod formats;
mod output;
mod outputs;
mod parse;
mod reference;
mod session;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The command's own error comes first; a failure to write standard
    // output only when the command itself went well.
    let outcome = commands::run(cli);
    let flushed = outputs::finish();
    match outcome.and_then(|code| flushed.map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("isms: {e}");
            if let Some(advice) = e.advice() {
                eprintln!("  {advice}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}
