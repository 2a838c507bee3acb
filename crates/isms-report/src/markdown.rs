//! The Markdown rendering, for wikis: the same sections as the HTML, each
//! chart replaced by its text alternative and its data table. Every user
//! string is escaped with [`escape_markdown`].

use std::fmt::Write as _;

use isms_kpi::KpiId;

use crate::escape::escape_markdown as m;
use crate::pack::{ItemRow, ReviewPack, Table};
use crate::text::{self, TILE_KPIS};

/// Renders the pack as Markdown.
pub(crate) fn render(pack: &ReviewPack) -> String {
    let mut s = String::with_capacity(64 * 1024);
    if let Some(problem) = &pack.unverified {
        let _ = writeln!(
            s,
            "> **UNVERIFIED**: the register this report was made from does not verify ({}). \
             Its figures may rest on data changed outside the register's own commands.\n",
            m(problem)
        );
    }
    let _ = writeln!(s, "# {}\n", m(&pack.title));
    if let Some(org) = &pack.organisation {
        let _ = writeln!(s, "**{}**\n", m(org));
    }
    let _ = writeln!(
        s,
        "As of **{}**. Period: {} to {} ({} days).\n",
        text::instant(pack.as_of()),
        text::date(pack.period_start(), pack.time_zone),
        text::date(pack.as_of(), pack.time_zone),
        pack.kpis.window_days
    );

    s.push_str("## Summary\n\n");
    let rows: Vec<Vec<String>> = TILE_KPIS
        .iter()
        .filter_map(|id| pack.kpi(*id))
        .map(|k| {
            vec![
                m(&k.name),
                m(&text::value(k)),
                m(&text::value_basis(k)),
                format!(
                    "{} {}",
                    text::status_symbol(k.status),
                    text::status_word(k.status)
                ),
                m(&text::target(k)),
            ]
        })
        .collect();
    table(
        &mut s,
        &["KPI", "Value", "Basis", "Status", "Target"],
        &rows,
    );

    s.push_str("## Backlog and ageing\n\n");
    chart_head(&mut s, "Backlog trend", &backlog_description(pack));
    let rows: Vec<Vec<String>> = pack
        .backlog
        .iter()
        .map(|p| {
            vec![
                m(&p.month),
                p.opened.to_string(),
                p.closed.to_string(),
                p.rejected.to_string(),
                p.open_at_end.to_string(),
            ]
        })
        .collect();
    table(
        &mut s,
        &["Month", "Opened", "Closed", "Rejected", "Open at end"],
        &rows,
    );
    s.push_str("### Ageing of open nonconformities\n\n");
    let rows: Vec<Vec<String>> = pack
        .ageing
        .iter()
        .map(|b| vec![b.label.to_owned(), b.count.to_string()])
        .collect();
    table(&mut s, &["Age", "Open nonconformities"], &rows);

    s.push_str("## Open and overdue nonconformities\n\n");
    s.push_str("Sorted by risk: major before minor, then by days overdue, then by age.\n\n");
    let _ = writeln!(s, "### Overdue ({} nonconformities)\n", pack.overdue.total);
    items(&mut s, &pack.overdue);
    let _ = writeln!(
        s,
        "### Open, not overdue ({} nonconformities)\n",
        pack.open.total
    );
    items(&mut s, &pack.open);

    s.push_str("## Effectiveness and recurrence\n\n");
    for (kpi, points) in [
        (KpiId::OnTimeActionCompletionRate, &pack.rates.on_time),
        (KpiId::EffectivenessRate, &pack.rates.effectiveness),
    ] {
        let k = pack.kpi(kpi);
        let _ = writeln!(
            s,
            "### {} at each month end (trailing {} days; {})\n",
            m(k.map_or(kpi.name(), |k| k.name.as_str())),
            pack.rates.trend_window_days,
            m(&k.map_or_else(|| "no target".to_owned(), text::target))
        );
        let rows: Vec<Vec<String>> = points
            .iter()
            .map(|p| {
                vec![
                    m(&p.month),
                    p.percent
                        .map_or("no data".to_owned(), |v| format!("{v:.1} %")),
                    format!("{} of {}", p.numerator, p.denominator),
                    text::status_word(p.status).to_owned(),
                ]
            })
            .collect();
        table(&mut s, &["Month end", "Rate", "Basis", "Status"], &rows);
    }
    let _ = writeln!(
        s,
        "### Verified ineffective in the period ({})\n",
        pack.ineffective.total
    );
    let rows: Vec<Vec<String>> = pack
        .ineffective
        .rows
        .iter()
        .map(|r| {
            vec![
                m(&r.reference),
                m(&r.title),
                r.attempt.to_string(),
                text::date(r.concluded_at, pack.time_zone),
            ]
        })
        .collect();
    maybe_table(
        &mut s,
        &["Ref", "Title", "Attempt", "Concluded"],
        &rows,
        &pack.ineffective,
    );
    let _ = writeln!(
        s,
        "### Repeat nonconformities reported in the period ({})\n",
        pack.recurrences.total
    );
    let rows: Vec<Vec<String>> = pack
        .recurrences
        .rows
        .iter()
        .map(|r| {
            vec![
                m(&r.reference),
                m(&r.title),
                m(r.recurrence_of.as_deref().unwrap_or("(not in register)")),
                text::date(r.reported_at, pack.time_zone),
            ]
        })
        .collect();
    maybe_table(
        &mut s,
        &["Ref", "Title", "Repeat of", "Reported"],
        &rows,
        &pack.recurrences,
    );
    s.push_str("### Root causes (Pareto)\n\n");
    let rows: Vec<Vec<String>> = pack
        .pareto
        .iter()
        .map(|b| {
            vec![
                b.label.to_owned(),
                b.count.to_string(),
                format!("{:.1} %", b.cumulative_percent),
            ]
        })
        .collect();
    table(
        &mut s,
        &["Category", "Root causes", "Cumulative share"],
        &rows,
    );

    s.push_str("## Requirements breached\n\n### Nonconformities by Annex A theme\n\n");
    let rows: Vec<Vec<String>> = pack
        .themes
        .iter()
        .map(|t| vec![m(&t.label), t.count.to_string()])
        .collect();
    table(&mut s, &["Theme", "Nonconformities"], &rows);
    let _ = writeln!(
        s,
        "### Nonconformities projected onto NIS2 Article 21(2)\n\n{} of the period's nonconformities map to no NIS2 provision.\n",
        pack.nis2_unmapped
    );
    let rows: Vec<Vec<String>> = pack
        .nis2
        .iter()
        .map(|p| vec![m(&p.point), m(&p.title), p.count.to_string()])
        .collect();
    table(&mut s, &["Point", "Title", "Nonconformities"], &rows);
    s.push_str("### Most frequent requirements\n\n");
    let rows: Vec<Vec<String>> = pack
        .top_requirements
        .iter()
        .map(|(r, title, n)| {
            vec![
                format!("`{r}`"),
                m(title.as_deref().unwrap_or("")),
                n.to_string(),
            ]
        })
        .collect();
    table(&mut s, &["Requirement", "Title", "Nonconformities"], &rows);

    s.push_str("## Continual improvement (10.1)\n\n");
    let _ = writeln!(
        s,
        "### Realised in the period ({})\n",
        pack.improvements_realised.total
    );
    let rows: Vec<Vec<String>> = pack
        .improvements_realised
        .rows
        .iter()
        .map(|r| {
            vec![
                m(&r.reference),
                m(&r.title),
                text::improvement_source(r.source).to_owned(),
                text::priority(r.priority).to_owned(),
                r.realised_at
                    .map(|t| text::date(t, pack.time_zone))
                    .unwrap_or_default(),
                m(r.measured_effect.as_deref().unwrap_or("")),
            ]
        })
        .collect();
    maybe_table(
        &mut s,
        &[
            "Ref",
            "Title",
            "Source",
            "Priority",
            "Realised",
            "Measured effect",
        ],
        &rows,
        &pack.improvements_realised,
    );
    let _ = writeln!(
        s,
        "### Proposed and under way ({})\n",
        pack.improvements_open.total
    );
    let rows: Vec<Vec<String>> = pack
        .improvements_open
        .rows
        .iter()
        .map(|r| {
            vec![
                m(&r.reference),
                m(&r.title),
                text::improvement_source(r.source).to_owned(),
                text::priority(r.priority).to_owned(),
                text::improvement_state(r.state).to_owned(),
                r.due.map(|d| d.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    maybe_table(
        &mut s,
        &["Ref", "Title", "Source", "Priority", "State", "Due"],
        &rows,
        &pack.improvements_open,
    );

    let _ = writeln!(
        s,
        "## Regulatory reporting\n\n{} reporting clocks of significant incidents (NIS2 Article 23 unless a regime of one's own): running at T, or met by a report recorded in the period. Deadlines are exact instants (UTC).\n",
        pack.clocks.total
    );
    let rows: Vec<Vec<String>> = pack
        .clocks
        .rows
        .iter()
        .map(|c| {
            vec![
                m(&c.reference),
                m(&c.title),
                format!(
                    "{}{}",
                    m(&c.report),
                    c.provision
                        .as_deref()
                        .map(|p| format!(" (`{p}`)"))
                        .unwrap_or_default()
                ),
                format!(
                    "{}{}",
                    text::instant(c.due),
                    if c.provisional { " (provisional)" } else { "" }
                ),
                c.sent.map(text::instant).unwrap_or_default(),
                text::clock_status(c.status).to_owned(),
            ]
        })
        .collect();
    maybe_table(
        &mut s,
        &["Ref", "Title", "Report", "Due", "Sent", "Status"],
        &rows,
        &pack.clocks,
    );

    let _ = writeln!(
        s,
        "## Changes to the ISMS (10.2 e)\n\n{} changes recorded on closing nonconformities and realising improvements in the period.\n",
        pack.changes.total
    );
    let rows: Vec<Vec<String>> = pack
        .changes
        .rows
        .iter()
        .map(|c| {
            vec![
                text::date(c.at, pack.time_zone),
                m(&c.from),
                text::change_kind(c.kind).to_owned(),
                m(&c.description),
                c.requirement
                    .as_deref()
                    .map(|r| format!("`{r}`"))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    maybe_table(
        &mut s,
        &["Date", "From", "Kind", "Change", "Requirement"],
        &rows,
        &pack.changes,
    );

    let _ = writeln!(
        s,
        "## Period and definitions\n\nAs of (T): {}. Period (W = {} days): {} to {}. The definitions are those of `docs/kpis.md`.\n",
        text::instant(pack.as_of()),
        pack.kpis.window_days,
        text::instant(pack.period_start()),
        text::instant(pack.as_of()),
    );
    for c in text::conventions(pack.time_zone) {
        let _ = writeln!(s, "- {}", m(&c));
    }
    s.push('\n');
    for k in &pack.kpis.kpis {
        let _ = writeln!(
            s,
            "- **{}** (`{}`): {} Target: {}.",
            m(&k.name),
            k.id.as_str(),
            m(&k.definition),
            m(&text::target(k))
        );
    }
    s
}

fn backlog_description(pack: &ReviewPack) -> String {
    let opened: u64 = pack.backlog.iter().map(|p| p.opened).sum();
    let closed: u64 = pack.backlog.iter().map(|p| p.closed).sum();
    let open = pack.backlog.last().map_or(0, |p| p.open_at_end);
    format!("{opened} opened and {closed} closed in the period; {open} open at the end.")
}

fn chart_head(s: &mut String, title: &str, description: &str) {
    let _ = writeln!(s, "### {title}\n\n{description}\n");
}

fn items(s: &mut String, t: &Table<ItemRow>) {
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            vec![
                m(&r.reference),
                m(&r.title),
                text::severity(r.severity).to_owned(),
                text::nc_state(r.state).to_owned(),
                m(&r.owner),
                r.age_days.to_string(),
                format!("{} of {}", r.overdue_actions, r.open_actions),
                r.overdue_checks.to_string(),
                r.days_overdue.to_string(),
                r.external_deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    maybe_table(
        s,
        &[
            "Ref",
            "Title",
            "Severity",
            "State",
            "Owner",
            "Age (days)",
            "Overdue actions",
            "Overdue checks",
            "Days overdue",
            "External deadline",
        ],
        &rows,
        t,
    );
}

fn maybe_table<T>(s: &mut String, head: &[&str], rows: &[Vec<String>], t: &Table<T>) {
    if t.total == 0 {
        s.push_str("None.\n\n");
        return;
    }
    table(s, head, rows);
    if t.omitted() > 0 {
        let _ = writeln!(
            s,
            "{} of {} shown; {} more not listed.\n",
            t.rows.len(),
            t.total,
            t.omitted()
        );
    }
}

/// A pipe table; cells must already be escaped.
fn table(s: &mut String, head: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(s, "| {} |", head.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(head.len()));
    for r in rows {
        let _ = writeln!(s, "| {} |", r.join(" | "));
    }
    s.push('\n');
}
