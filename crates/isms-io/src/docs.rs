//! The column reference as Markdown, generated from the code so that
//! `docs/spreadsheets.md` and a command-line help text cannot drift from
//! what the import accepts.

use std::fmt::Write as _;

use crate::columns::{Column, ColumnKind};

/// The columns table: header, mapping-file key, what it holds, and the
/// synonyms the import recognises; then the accepted words of every
/// vocabulary column. Generated; `docs/spreadsheets.md` embeds it.
pub fn columns_markdown() -> String {
    let mut out = String::new();
    out.push_str("| Header (export) | Key (mapping file) | Sheet | Holds | Also recognised |\n");
    out.push_str("|---|---|---|---|---|\n");
    for &c in Column::ALL {
        let kind = match c.kind() {
            ColumnKind::Text => "text",
            ColumnKind::Date => "date",
            ColumnKind::DateTime => "date and time (UTC)",
            ColumnKind::Number => "number",
        };
        let sheet = if c.is_action() {
            "actions"
        } else if crate::columns::REPEATED_ON_ACTIONS.contains(&c) {
            "both"
        } else {
            "nonconformities"
        };
        let synonyms = c
            .synonyms()
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "| {} | `{}` | {sheet} | {kind} | {synonyms} |",
            c.header(),
            c.key()
        );
    }
    out.push_str("\nAccepted words (case, spaces and punctuation are ignored):\n\n");
    out.push_str("| Column | Word written | Also read as the same |\n|---|---|---|\n");
    for (column, words) in crate::vocabularies() {
        for (word, others) in words {
            let others = others
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = writeln!(out, "| {} | `{word}` | {others} |", column.header());
        }
    }
    out
}
