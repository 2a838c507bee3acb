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

// This crate's `println!`, `print!`, `eprintln!` and `eprint!` shadow the
// standard library's, which panic when a pipe's reader has gone (`isms nc
// list | head -1` ended with exit 101). These write through
// `outputs::print_out` / `print_err` instead: a closed pipe drops the rest
// of that stream and the command still ends with its own exit code. They
// are defined before the modules so that every module uses them.
macro_rules! println {
    () => {
        $crate::outputs::print_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::outputs::print_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::outputs::print_out(format_args!($($arg)*))
    };
}
macro_rules! eprintln {
    () => {
        $crate::outputs::print_err(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::outputs::print_err(format_args!("{}\n", format_args!($($arg)*)))
    };
}
macro_rules! eprint {
    ($($arg:tt)*) => {
        $crate::outputs::print_err(format_args!($($arg)*))
    };
}

mod audit;
mod backend;
mod catalogs;
mod cli;
mod commands;
mod error;
mod evidence;
mod extensions;
mod formats;
mod hiargs;
mod output;
mod outputs;
mod parse;
mod policy;
mod reference;
mod reporting;
mod session;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

// mimalloc rather than the system allocator: `isms generate` allocates on its
// generating thread and frees on its storing thread, and glibc's arenas
// serialise those frees behind a lock (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic is a bug, never an answer to input; should one slip through,
    // the process still ends with a code of the table (1, "any other
    // error") after the panic message, rather than Rust's 101.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| commands::run(cli)))
        .unwrap_or_else(|_| {
            Err(error::CliError::Other(
                "internal error (the message above); please report it".into(),
            ))
        });
    // The command's own error comes first; a failure to write standard
    // output only when the command itself went well.
    let flushed = outputs::finish();
    match outcome.and_then(|code| flushed.map(|()| code)) {
        Ok(code) => code,
        Err(e) => {
            // Messages quote input (a cell, a title, a file name): shown
            // terminal-safe, one problem per line.
            eprintln!("isms: {}", output::terminal_safe_lines(&e.to_string()));
            if let Some(advice) = e.advice() {
                eprintln!("  {}", output::terminal_safe_lines(&advice));
            }
            ExitCode::from(e.exit_code())
        }
    }
}
