//! Readable tables and the JSON printer.
//!
//! Text from the register reaches a terminal only through
//! [`terminal_safe`]: a line break in a title would print a forged row in
//! `nc list`, an escape sequence could rewrite the screen, and a
//! bidirectional control could make a title read as something it does not
//! say. JSON output is left to serde_json, which escapes control
//! characters in strings.

use std::borrow::Cow;
use std::fmt::Write as _;

use isms_core::{Event, EventPayload, Improvement, Nonconformity};
use isms_kpi::{KpiReport, Measure, Status, Unit};

use crate::error::CliError;
use crate::parse::name_of;

/// `text` as a terminal should show it, on one line: control characters
/// (line breaks and tabs included), bidirectional controls and marks, and
/// invisible format characters written as escapes (`\n`, `\t`, `\r`,
/// `\u{1b}`, `\u{202e}`, `\u{200b}`), everything else as it is.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    use isms_core::text::needs_escape_on_terminal;
    if !text.chars().any(needs_escape_on_terminal) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape_on_terminal(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// As [`terminal_safe`], keeping the line breaks of a message of several
/// lines (an error with one problem per line).
pub fn terminal_safe_lines(text: &str) -> String {
    text.split('\n')
        .map(terminal_safe)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Columns padded to their widest cell; the last column is not padded.
/// Every cell is shown with [`terminal_safe`], so a row is one line.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cow<'_, str>>> = rows
        .iter()
        .map(|r| r.iter().map(|c| terminal_safe(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let cells: Vec<&str> = cells.collect();
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let pad = widths[i] - cell.chars().count();
                let _ = write!(text, "{cell}{}  ", " ".repeat(pad));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in &rows {
        line(&mut row.iter().map(|c| c.as_ref()));
    }
    out
}

/// Pretty JSON on stdout.
///
/// When the command read a register whose chain did not verify
/// (`--allow-unverified`, [`mark_unverified`]), the output is wrapped:
/// `{"unverified": {"problem": ...}, "output": VALUE}`. A program that
/// expects the usual shape then fails on it rather than take data that may
/// have been changed outside `isms` for the register's own.
pub fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let text = match UNVERIFIED.get() {
        None => serde_json::to_string_pretty(value),
        Some(problem) => serde_json::to_string_pretty(&serde_json::json!({
            "unverified": { "problem": problem },
            "output": value,
        })),
    }
    .map_err(|e| CliError::Other(format!("cannot serialise the output: {e}")))?;
    println!("{text}");
    Ok(())
}

/// What was wrong with the chain of the register this invocation read
/// with `--allow-unverified`: set once, by the session, for every JSON
/// output of the process to carry ([`print_json`]).
static UNVERIFIED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Marks every later JSON output of this process as unverified (the first
/// problem found is the one said).
pub fn mark_unverified(problem: &str) {
    let _ = UNVERIFIED.set(problem.to_owned());
}

/// A KPI value as a person reads it.
pub fn measure(value: &Measure, unit: Unit) -> String {
    match value {
        Measure::NoData => "no data".into(),
        Measure::Count { count } => count.to_string(),
        Measure::Ratio {
            numerator,
            denominator,
            ratio,
        } => format!("{:.1} % ({numerator}/{denominator})", ratio * 100.0),
        Measure::Days { days } => {
            let _ = unit;
            format!("{days:.1} days")
        }
    }
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Green => "GREEN",
        Status::Amber => "AMBER",
        Status::Red => "RED",
        Status::NoData => "no data",
        Status::NoTarget => "-",
    }
}

fn threshold(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.0} %", value * 100.0),
        Unit::Days => format!("{value:.0} days"),
        _ => format!("{value}"),
    }
}

/// The KPI dashboard.
pub fn kpi_dashboard(report: &KpiReport) -> String {
    let rows: Vec<Vec<String>> = report
        .kpis
        .iter()
        .map(|k| {
            let target = k.target.map_or("-".into(), |t| {
                format!(
                    "green {}, amber {}",
                    threshold(t.green, k.unit),
                    threshold(t.amber, k.unit)
                )
            });
            vec![
                k.name.clone(),
                measure(&k.value, k.unit),
                status(k.status).into(),
                target,
            ]
        })
        .collect();
    let mut out = format!(
        "KPIs as of {} over {} days (from {})\n\n",
        report.as_of.format("%Y-%m-%d %H:%M UTC"),
        report.window_days,
        report.window_start.format("%Y-%m-%d"),
    );
    out.push_str(&table(&["KPI", "value", "status", "target"], &rows));
    let count = |s: Status| report.kpis.iter().filter(|k| k.status == s).count();
    let _ = writeln!(
        out,
        "\n{} green, {} amber, {} red (definitions: docs/kpis.md)",
        count(Status::Green),
        count(Status::Amber),
        count(Status::Red)
    );
    out
}

/// One row per nonconformity.
pub fn nc_rows(items: &[&Nonconformity]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|nc| {
            vec![
                nc.reference.to_string(),
                name_of(&nc.state),
                name_of(&nc.severity),
                nc.reported_at.format("%Y-%m-%d").to_string(),
                nc.owner.to_string(),
                nc.title.clone(),
            ]
        })
        .collect();
    table(
        &["ref", "state", "severity", "reported", "owner", "title"],
        &rows,
    )
}

/// One row per improvement.
pub fn improvement_rows(items: &[Improvement]) -> String {
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|i| {
            vec![
                i.reference.to_string(),
                name_of(&i.state),
                name_of(&i.priority),
                i.proposed_at.format("%Y-%m-%d").to_string(),
                i.owner.to_string(),
                i.title.clone(),
            ]
        })
        .collect();
    table(
        &["ref", "state", "priority", "proposed", "owner", "title"],
        &rows,
    )
}

/// A nonconformity in full.
pub fn nc_detail(nc: &Nonconformity) -> String {
    let t = |s: &str| terminal_safe(s).into_owned();
    let mut o = String::new();
    let _ = writeln!(o, "{}  {}", nc.reference, t(&nc.title));
    let _ = writeln!(o, "  id:           {}", nc.id);
    let _ = writeln!(
        o,
        "  state:        {} (attempt {})",
        name_of(&nc.state),
        nc.attempt
    );
    let _ = writeln!(
        o,
        "  severity:     {}   source: {}",
        name_of(&nc.severity),
        name_of(&nc.source)
    );
    let _ = writeln!(o, "  owner:        {}", t(nc.owner.as_str()));
    let _ = writeln!(
        o,
        "  reported:     {} by {}",
        nc.reported_at.to_rfc3339(),
        t(nc.reported_by.as_str())
    );
    if !nc.requirements.is_empty() {
        let reqs: Vec<String> = nc.requirements.iter().map(ToString::to_string).collect();
        let _ = writeln!(o, "  requirements: {}", reqs.join(", "));
    }
    if nc.description != nc.title {
        let _ = writeln!(o, "  description:  {}", t(&nc.description));
    }
    if !nc.extensions.is_empty() {
        let _ = writeln!(o, "  extensions:   {}", extension_fields(&nc.extensions));
    }
    if let Some(a) = &nc.audit {
        let _ = writeln!(o, "  audit:        {a}");
    }
    if !nc.links.is_empty() {
        let links: Vec<String> = nc.links.iter().map(|l| t(&l.to_string())).collect();
        let _ = writeln!(o, "  links:        {}", links.join(", "));
    }
    for c in &nc.corrections {
        let _ = writeln!(
            o,
            "  contained:    {} ({})",
            t(&c.action_taken),
            c.at.to_rfc3339()
        );
    }
    for a in &nc.analyses {
        let causes: Vec<String> = a
            .causes
            .iter()
            .map(|c| format!("{}: {}", name_of(&c.category), t(&c.statement)))
            .collect();
        let _ = writeln!(
            o,
            "  analysis {}:   {} ({})",
            a.attempt,
            causes.join("; "),
            name_of(&a.method)
        );
    }
    if !nc.actions.is_empty() {
        let _ = writeln!(o, "  actions:");
        for a in &nc.actions {
            let _ = writeln!(
                o,
                "    {}  {:<11} due {}  {}  ({})",
                a.reference,
                name_of(&a.status),
                a.due,
                t(&a.description),
                t(a.owner.as_str())
            );
            evidence_lines(&mut o, &a.evidence);
        }
    }
    for p in &nc.verification_plans {
        let _ = writeln!(
            o,
            "  verification (attempt {}): {} by {}, criteria: {}",
            p.attempt,
            t(&p.method),
            t(p.verifier.as_str()),
            t(&p.criteria)
        );
        if let Ok(dates) = p.schedule.check_dates() {
            let checks: Vec<String> = dates
                .iter()
                .enumerate()
                .map(|(i, d)| format!("{i} on {d}"))
                .collect();
            let _ = writeln!(o, "    checks: {}", checks.join(", "));
        }
    }
    for r in &nc.verification_results {
        let _ = writeln!(
            o,
            "    check {} (attempt {}): {}",
            r.check,
            r.attempt,
            if r.passed { "passed" } else { "failed" }
        );
        evidence_lines(&mut o, &r.evidence);
    }
    if let Some(c) = &nc.closure {
        let _ = writeln!(
            o,
            "  closed:       {} by {}",
            c.at.to_rfc3339(),
            t(c.by.as_str())
        );
        for ch in &c.isms_changes {
            let _ = writeln!(
                o,
                "    ISMS change: {}: {}",
                name_of(&ch.kind),
                t(&ch.description)
            );
        }
    }
    if let Some(r) = &nc.rejection {
        let _ = writeln!(
            o,
            "  rejected:     {} ({})",
            t(&r.explanation),
            r.at.to_rfc3339()
        );
    }
    if let Some(ra) = &nc.risk_acceptance {
        let _ = writeln!(
            o,
            "  risk accepted: {} by {} at its {}, review by {}",
            ra.at.to_rfc3339(),
            t(ra.accepted_by.as_str()),
            ra.decision.as_str(),
            ra.review_by
        );
        let _ = writeln!(o, "    residual risk: {}", t(&ra.residual_risk));
    }
    reporting_lines(&mut o, nc);
    o
}

/// The incident's reporting record, its clocks and the reports sent.
fn reporting_lines(o: &mut String, nc: &Nonconformity) {
    let t = |s: &str| terminal_safe(s).into_owned();
    let Some(rep) = &nc.incident_reporting else {
        return;
    };
    let _ = writeln!(
        o,
        "  incident:     aware {}, {} ({}){}",
        rep.aware_at.to_rfc3339(),
        if rep.significant {
            "significant"
        } else {
            "not significant"
        },
        t(&rep.regime.id),
        if rep.corrections > 0 {
            format!(", corrected {} times", rep.corrections)
        } else {
            String::new()
        }
    );
    for c in isms_core::reporting_clocks(nc) {
        let due = c
            .due
            .map_or_else(|| "not started".to_owned(), |d| d.to_rfc3339());
        let sent = c
            .submitted_at
            .map(|s| format!(", sent {}", s.to_rfc3339()))
            .unwrap_or_default();
        let provisional = if c.provisional { " (provisional)" } else { "" };
        let verdict = match (c.submitted_at, c.due) {
            (Some(sent), Some(due)) if sent <= due => "on time",
            (Some(_), Some(_)) => "late",
            (None, Some(_)) => "open",
            _ => "",
        };
        let _ = writeln!(
            o,
            "    {:<22} due {due}{provisional}{sent} {verdict}",
            t(&c.kind)
        );
    }
    for s in &nc.submissions {
        let reference = s
            .reference
            .as_deref()
            .map(|r| format!(" (reference {})", t(r)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "    report sent: {} to {} at {}{reference}",
            t(&s.kind),
            t(&s.recipient),
            s.submitted_at.to_rfc3339()
        );
    }
}

/// One line per piece of evidence, under the action or check it backs: a
/// document reference as given, a file with its size, digest, the time it
/// was attached and whether a copy is kept.
fn evidence_lines(o: &mut String, evidence: &[isms_core::EvidenceRef]) {
    for e in evidence {
        let line = match e {
            isms_core::EvidenceRef::Document(r) => format!("reference {}", terminal_safe(r)),
            isms_core::EvidenceRef::File(f) => format!(
                "file {} ({} bytes, sha256:{}, attached {}{})",
                terminal_safe(&f.name),
                f.size,
                f.sha256,
                f.attached_at.to_rfc3339(),
                if f.kept { ", copy kept" } else { "" }
            ),
        };
        let _ = writeln!(o, "        evidence: {line}");
    }
}

/// What a nonconformity's links and verification record add to
/// [`nc_detail`]: the recurrence link both ways, missed checks and an early
/// end of the schedule, with other items named by `reference`.
pub fn nc_links(
    nc: &Nonconformity,
    reference: &dyn Fn(isms_core::NonconformityId) -> String,
) -> String {
    let mut o = String::new();
    if let Some(earlier) = nc.recurrence_of {
        let _ = writeln!(o, "  recurrence of: {}", reference(earlier));
    }
    for r in &nc.recurrences {
        let _ = writeln!(
            o,
            "  recurred as:  {} (attempt {}, recorded {})",
            reference(r.recurrence),
            r.attempt,
            r.at.to_rfc3339()
        );
    }
    for m in &nc.missed_checks {
        let _ = writeln!(
            o,
            "    check {} (attempt {}): missed: {}",
            m.check, m.attempt, m.reason
        );
    }
    for e in &nc.verification_ends {
        let _ = writeln!(
            o,
            "    schedule ended early after {} checks (attempt {}): {}",
            e.checks_recorded, e.attempt, e.reason
        );
    }
    for a in &nc.analyses {
        let similar: Vec<String> = a.similar.iter().map(|id| reference(*id)).collect();
        match (similar.is_empty(), &a.similar_notes) {
            (false, notes) => {
                let _ = writeln!(
                    o,
                    "  similar (analysis {}): {}{}",
                    a.attempt,
                    similar.join(", "),
                    notes.as_ref().map(|n| format!("; {n}")).unwrap_or_default()
                );
            }
            (true, Some(notes)) => {
                let _ = writeln!(o, "  similar (analysis {}): none found; {notes}", a.attempt);
            }
            (true, None) => {}
        }
    }
    o
}

/// An improvement in full.
pub fn improvement_detail(i: &Improvement) -> String {
    let t = |s: &str| terminal_safe(s).into_owned();
    let mut o = String::new();
    let _ = writeln!(o, "{}  {}", i.reference, t(&i.title));
    let _ = writeln!(o, "  id:        {}", i.id);
    let _ = writeln!(o, "  state:     {}", name_of(&i.state));
    let _ = writeln!(
        o,
        "  priority:  {}   source: {}",
        name_of(&i.priority),
        name_of(&i.source)
    );
    let _ = writeln!(o, "  owner:     {}", t(i.owner.as_str()));
    let _ = writeln!(o, "  benefit:   {}", t(&i.expected_benefit));
    if let Some(e) = &i.measured_effect {
        let _ = writeln!(o, "  effect:    {}", t(e));
    }
    if !i.extensions.is_empty() {
        let _ = writeln!(o, "  extensions: {}", extension_fields(&i.extensions));
    }
    o
}

/// Extension fields on one line, `name=JSON` by name, terminal-safe.
fn extension_fields(fields: &isms_core::Extensions) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    terminal_safe(&parts.join(", ")).into_owned()
}

/// The event log of one item.
///
/// The effective time is `at`; when the event was written down at another
/// time by the caller's clock, `recorded` shows it (empty when the same or
/// not known), so back-dating is visible. `roles` lists the roles the actor
/// held (the column is left out when no event records any).
pub fn history(events: &[Event]) -> String {
    let any_roles = events.iter().any(|e| !e.roles.is_empty());
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let recorded = e
                .recorded_at
                .filter(|r| *r != e.at)
                .map(|r| r.to_rfc3339())
                .unwrap_or_default();
            let roles: Vec<String> = e.roles.iter().map(ToString::to_string).collect();
            let mut row = vec![
                e.sequence.to_string(),
                e.at.to_rfc3339(),
                recorded,
                e.actor.to_string(),
            ];
            if any_roles {
                row.push(roles.join(","));
            }
            row.push(payload_type(&e.payload));
            row
        })
        .collect();
    if any_roles {
        table(&["seq", "at", "recorded", "actor", "roles", "event"], &rows)
    } else {
        table(&["seq", "at", "recorded", "actor", "event"], &rows)
    }
}

fn payload_type(p: &EventPayload) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_every_column_but_the_last() {
        let t = table(
            &["ref", "title"],
            &[
                vec!["NC-0001".into(), "a".into()],
                vec!["X".into(), "long title".into()],
            ],
        );
        assert_eq!(t, "ref      title\nNC-0001  a\nX        long title\n");
    }

    #[test]
    fn a_line_break_in_a_cell_does_not_make_a_row() {
        let t = table(
            &["ref", "title"],
            &[vec![
                "NC-0001".into(),
                "Backups\nNC-0002  closed  all fine\u{1b}[2J\u{202e}".into(),
            ]],
        );
        assert_eq!(t.lines().count(), 2, "{t}");
        assert!(
            t.contains("Backups\\nNC-0002  closed  all fine\\u{1b}[2J\\u{202e}"),
            "{t}"
        );
        assert_eq!(terminal_safe("plain"), Cow::Borrowed("plain"));
        assert_eq!(terminal_safe("a\tb\u{200b}"), "a\\tb\\u{200b}");
        assert_eq!(terminal_safe_lines("one\u{1b}\ntwo"), "one\\u{1b}\ntwo");
    }

    #[test]
    fn measures_read_as_people_write_them() {
        assert_eq!(measure(&Measure::ratio(2, 3), Unit::Ratio), "66.7 % (2/3)");
        assert_eq!(measure(&Measure::NoData, Unit::Ratio), "no data");
        assert_eq!(measure(&Measure::days(Some(1.25)), Unit::Days), "1.2 days");
    }
}
