//! `isms policy show` and `isms policy set FILE`: the policy in force, kept
//! in the register as events of its own stream, and the policy file format
//! (TOML or JSON, the bundle's `policy` schema).

use std::path::Path;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use isms_core::{AdoptPolicy, Enforcement, Policy, PolicyAdoption, PolicyHistory, TimeLimit};
use isms_store::{EventStore, Selection};
use serde::Serialize;

use crate::cli::{PolicyCommand, PolicySetArgs, PolicyShowArgs};
use crate::error::CliError;
use crate::output::{self, print_json};
use crate::session::{self, Session};

/// The largest policy file read, in bytes (a policy is a few hundred).
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// Runs `isms policy ...`.
pub fn run(s: &Session, command: PolicyCommand) -> Result<ExitCode, CliError> {
    match command {
        PolicyCommand::Show(args) => show(s, &args),
        PolicyCommand::Set(args) => set(s, &args),
    }
}

/// The register's policies, folded from its policy stream.
pub fn history(store: &impl EventStore) -> Result<PolicyHistory, CliError> {
    let mut history = PolicyHistory::new();
    store.read(Selection::Stream(isms_core::StreamId::Policy), &mut |e| {
        history.apply_owned(e.event);
    })?;
    Ok(history)
}

/// `policy show --json`: the policy in force at `at` and its adoption
/// (`null` when the register never adopted one before `at`).
#[derive(Serialize)]
struct Shown<'a> {
    at: DateTime<Utc>,
    policy: &'a Policy,
    adopted: Option<&'a PolicyAdoption>,
}

fn show(s: &Session, args: &PolicyShowArgs) -> Result<ExitCode, CliError> {
    let at = s.at(args.at.as_deref())?;
    let store = s.open_read()?;
    let history = history(&store)?;
    let base = Policy::default();
    let adopted = history.in_force_at(at);
    let policy = adopted.map_or(&base, |a| &a.policy);
    if args.json.json {
        print_json(&Shown {
            at,
            policy,
            adopted,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    match adopted {
        Some(a) => {
            let recorded = a
                .recorded_at
                .filter(|r| *r != a.at)
                .map(|r| format!(", recorded {}", r.to_rfc3339()))
                .unwrap_or_default();
            println!(
                "policy in force at {}: adopted {} by {}{recorded} (adoption {} of {})",
                at.to_rfc3339(),
                a.at.to_rfc3339(),
                output::terminal_safe(a.actor.as_str()),
                a.sequence,
                history.version()
            );
            if let Some(reason) = &a.reason {
                println!("  reason: {}", output::terminal_safe(reason));
            }
        }
        None if history.version() == 0 => println!(
            "policy in force at {}: the default policy (this register has adopted none; \
             `isms policy set FILE` adopts one)",
            at.to_rfc3339()
        ),
        None => println!(
            "policy in force at {}: the default policy (the first adoption takes effect {})",
            at.to_rfc3339(),
            history.adoptions()[0].at.to_rfc3339()
        ),
    }
    print!("{}", describe(policy));
    Ok(ExitCode::SUCCESS)
}

/// Every field of a policy, one per line, in the policy file's key names.
fn describe(p: &Policy) -> String {
    let limit = |l: Option<TimeLimit>| match l {
        None => "none".to_owned(),
        Some(TimeLimit { days, enforcement }) => format!(
            "{days} days ({})",
            match enforcement {
                Enforcement::Warn => "warn",
                Enforcement::Refuse => "refuse",
            }
        ),
    };
    let role = |r: &Option<isms_core::Role>| {
        r.as_ref().map_or("none".to_owned(), |r| {
            output::terminal_safe(r.as_str()).into_owned()
        })
    };
    let severities: Vec<&str> = p
        .containment_required_for
        .iter()
        .map(|s| s.as_str())
        .collect();
    let mut out = String::new();
    let mut line = |key: &str, value: String| out.push_str(&format!("  {key:<28}{value}\n"));
    line("segregation_of_duties", p.segregation_of_duties.to_string());
    line(
        "containment_required_for",
        if severities.is_empty() {
            "none".to_owned()
        } else {
            severities.join(", ")
        },
    );
    line("closure_approver_role", role(&p.closure_approver_role));
    line("max_days_to_contain", limit(p.max_days_to_contain));
    line("max_days_to_plan", limit(p.max_days_to_plan));
    line(
        "similar_check_required",
        p.similar_check_required.to_string(),
    );
    line("segregated_approvals", p.segregated_approvals.to_string());
    line("early_end_allowed", p.early_end_allowed.to_string());
    line("max_backdating", limit(p.max_backdating));
    line("time_zone", p.time_zone.to_string());
    line("policy_approver_role", role(&p.policy_approver_role));
    line("risk_acceptor_role", role(&p.risk_acceptor_role));
    if p.roles.is_empty() {
        line("roles", "none".to_owned());
    } else {
        for (r, holders) in &p.roles {
            let names: Vec<String> = holders
                .iter()
                .map(|h| output::terminal_safe(h.as_str()).into_owned())
                .collect();
            line(
                &format!("roles.{}", output::terminal_safe(r.as_str())),
                names.join(", "),
            );
        }
    }
    out
}

fn set(s: &Session, args: &PolicySetArgs) -> Result<ExitCode, CliError> {
    let policy = read_policy_file(&args.file)?;
    let at = s.at(args.when.at.as_deref())?;
    let mut writer = s.writer()?;
    let invocation = s.invocation(&writer, at)?;
    let adopt = AdoptPolicy {
        policy,
        reason: args.reason.clone(),
    };
    let outcome = writer.handler.adopt_policy(&adopt, &invocation)?;
    s.seal(writer.handler.store_mut())?;
    session::print_warnings(&outcome.warnings);
    let sequence = outcome.events.first().map_or(0, |e| e.event.sequence);
    println!(
        "policy adopted (adoption {sequence}), in force from {}",
        at.to_rfc3339()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads a policy file: TOML (`.toml`) or JSON (`.json`; another name is
/// read as JSON when it starts with `{`, else as TOML). Unknown keys and
/// wrong types are refused (exit 7) with the place and what to do.
pub fn read_policy_file(path: &Path) -> Result<Policy, CliError> {
    let invalid = |problem: String| CliError::InvalidPolicyFile {
        file: path.to_owned(),
        problem,
    };
    let meta = std::fs::metadata(path).map_err(crate::error::input(path))?;
    if !meta.is_file() {
        return Err(invalid(
            "not a regular file; name a TOML or JSON policy file".into(),
        ));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(invalid(format!(
            "the file has {} bytes; a policy file takes at most {MAX_POLICY_BYTES}",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(crate::error::input(path))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| invalid(format!("not UTF-8 text ({e}); save the policy as UTF-8")))?;
    const ADVICE: &str = "the keys and values a policy takes are in docs/workflow.md and the \
                          bundle's `policy` schema (`isms schema --out DIR`)";
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let json = match extension.as_deref() {
        Some("json") => true,
        Some("toml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    if json {
        serde_json::from_str(text).map_err(|e| {
            invalid(format!(
                "(JSON) line {}, column {}: {}; {ADVICE}",
                e.line(),
                e.column(),
                strip_position(&e.to_string())
            ))
        })
    } else {
        toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let before = &text[..span.start.min(text.len())];
                    let line = before.matches('\n').count() + 1;
                    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            invalid(format!(
                "(TOML) {place}{}; {ADVICE}",
                e.message().trim_end()
            ))
        })
    }
}

/// serde_json's message without its trailing " at line L column C".
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}
