//! The HTML rendering: one self-contained file, inline CSS and SVG, no
//! script, no external resource (a Content-Security-Policy forbids them),
//! every user string escaped.

use std::fmt::Write as _;

use isms_kpi::KpiId;

use crate::charts::{
    Chart, ageing_chart, backlog_chart, nis2_chart, pareto_chart, rate_chart, theme_chart,
};
use crate::error::ReportError;
use crate::escape::escape_html as e;
use crate::pack::{ItemRow, ReviewPack, Table};
use crate::text::{self, TILE_KPIS};

const CSS: &str = r#"
:root { --ink:#222; --muted:#555; --rule:#c8c8c8; --green:#1b7f3b; --amber:#b36b00; --red:#b3261e; --grey:#6b6b6b; }
* { box-sizing: border-box; }
body { font-family: system-ui, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto; max-width: 1100px; padding: 24px 32px; line-height: 1.4; font-size: 15px; background: #fff; }
.unverified { border: 4px solid var(--red); background: #fdecea; color: var(--red); padding: 10px 14px; margin-bottom: 16px; font-weight: 700; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 16px; padding-bottom: 8px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; border-bottom: 1px solid var(--rule); padding-bottom: 4px; margin-top: 28px; }
h3 { font-size: 17px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 2px 0; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 10px; }
.tile { border: 1px solid var(--rule); border-left: 10px solid var(--grey); padding: 8px 10px; break-inside: avoid; }
.tile .name { font-size: 13px; color: var(--muted); }
.tile .value { font-size: 24px; font-weight: 700; }
.tile .basis { font-size: 12px; color: var(--muted); }
.tile .status { font-weight: 700; letter-spacing: .05em; }
.tile .target { font-size: 12px; color: var(--muted); }
.tile.green { border-left-color: var(--green); } .tile.green .status { color: var(--green); }
.tile.amber { border-left-color: var(--amber); } .tile.amber .status { color: var(--amber); }
.tile.red { border-left-color: var(--red); } .tile.red .status { color: var(--red); }
figure { margin: 12px 0 20px; break-inside: avoid; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
svg.chart { width: 100%; height: auto; display: block; border: 1px solid var(--rule); }
.charts2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid var(--rule); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
td:first-child { white-space: nowrap; }
details summary { cursor: pointer; font-size: 13px; color: var(--muted); }
.note { font-size: 13px; color: var(--muted); }
.sev-major { font-weight: 700; }
dl.defs dt { font-weight: 700; margin-top: 10px; }
dl.defs dd { margin-left: 0; }
code { font-size: 12px; }
@media (max-width: 800px) { .charts2 { grid-template-columns: 1fr; } }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section { break-before: page; }
  section.first { break-before: auto; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  .charts2 { grid-template-columns: 1fr 1fr; }
}
"#;

/// Renders the pack as one HTML document.
pub(crate) fn render(pack: &ReviewPack) -> Result<String, ReportError> {
    let mut h = String::with_capacity(256 * 1024);
    let title = e(&pack.title);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"isms-report\">\n<title>{title}</title>\n<style>{CSS}\n@page {{ size: {} portrait; margin: 14mm; }}\n</style>\n</head>\n<body>\n",
        pack.paper.css_size()
    );
    header(&mut h, pack);
    summary(&mut h, pack);
    backlog(&mut h, pack)?;
    open_items(&mut h, pack);
    effectiveness(&mut h, pack)?;
    requirements(&mut h, pack)?;
    improvements(&mut h, pack);
    reporting(&mut h, pack);
    changes(&mut h, pack);
    definitions(&mut h, pack);
    h.push_str("</body>\n</html>\n");
    Ok(h)
}

fn header(h: &mut String, pack: &ReviewPack) {
    if let Some(problem) = &pack.unverified {
        let _ = writeln!(
            h,
            "<div class=\"unverified\" role=\"alert\" id=\"unverified\">UNVERIFIED: the register this report was made from does not verify ({}). \
             Its figures may rest on data changed outside the register's own commands.</div>",
            e(problem)
        );
    }
    let _ = write!(h, "<header>\n<h1>{}</h1>\n", e(&pack.title));
    if let Some(org) = &pack.organisation {
        let _ = writeln!(h, "<p class=\"meta\"><strong>{}</strong></p>", e(org));
    }
    let _ = write!(
        h,
        "<p class=\"meta\">As of <strong>{}</strong>. Period: {} to {} ({} days). \
         ISO/IEC 27001:2022 clauses 9.3 (inputs on nonconformities, corrective actions and their trends) and 10.</p>\n</header>\n",
        text::instant(pack.as_of()),
        text::date(pack.period_start(), pack.time_zone),
        text::date(pack.as_of(), pack.time_zone),
        pack.kpis.window_days
    );
}

fn summary(h: &mut String, pack: &ReviewPack) {
    h.push_str("<section id=\"summary\" class=\"first\">\n<h2>Summary</h2>\n");
    h.push_str("<p class=\"note\">Each tile gives the KPI's value as of the report date, its status in words and by symbol (\u{2714} green, \u{25B2} amber, \u{2716} red), and its target.</p>\n<div class=\"tiles\">\n");
    for id in TILE_KPIS {
        let Some(k) = pack.kpi(id) else { continue };
        let _ = writeln!(
            h,
            "<div class=\"tile {}\" id=\"kpi-{}\"><div class=\"name\">{}</div><div class=\"value\">{}</div>\
             <div class=\"basis\">{}</div><div class=\"status\">{} {}</div><div class=\"target\">{}</div></div>",
            text::status_class(k.status),
            id.as_str(),
            e(&k.name),
            e(&text::value(k)),
            e(&text::value_basis(k)),
            text::status_symbol(k.status),
            text::status_word(k.status),
            e(&text::target(k)),
        );
    }
    h.push_str("</div>\n</section>\n");
}

fn figure(h: &mut String, chart: &Chart, head: &[&str], rows: &[Vec<String>]) {
    let _ = write!(
        h,
        "<figure id=\"fig-{}\">\n{}\n<figcaption>{}</figcaption>\n<details><summary>Data behind the chart</summary>\n",
        chart.id,
        chart.svg,
        e(&chart.description)
    );
    table(h, head, rows);
    h.push_str("</details>\n</figure>\n");
}

/// A table; `head` names ending in `#` are right-aligned numbers. Cells
/// must already be escaped.
fn table(h: &mut String, head: &[&str], rows: &[Vec<String>]) {
    h.push_str("<table>\n<thead><tr>");
    let numeric: Vec<bool> = head.iter().map(|c| c.ends_with('#')).collect();
    for c in head {
        let (name, n) = match c.strip_suffix('#') {
            Some(name) => (name, " class=\"n\""),
            None => (*c, ""),
        };
        let _ = write!(h, "<th{n} scope=\"col\">{}</th>", e(name));
    }
    h.push_str("</tr></thead>\n<tbody>\n");
    for r in rows {
        h.push_str("<tr>");
        for (i, cell) in r.iter().enumerate() {
            let n = if numeric.get(i).copied().unwrap_or(false) {
                " class=\"n\""
            } else {
                ""
            };
            let _ = write!(h, "<td{n}>{cell}</td>");
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</tbody>\n</table>\n");
}

fn omitted<T>(h: &mut String, t: &Table<T>) {
    if t.omitted() > 0 {
        let _ = writeln!(
            h,
            "<p class=\"note\">{} of {} shown; {} more not listed.</p>",
            t.rows.len(),
            t.total,
            t.omitted()
        );
    }
}

fn backlog(h: &mut String, pack: &ReviewPack) -> Result<(), ReportError> {
    h.push_str("<section id=\"backlog\">\n<h2>Backlog and ageing</h2>\n");
    let chart = backlog_chart(&pack.backlog, pack.time_zone)?;
    let rows: Vec<Vec<String>> = pack
        .backlog
        .iter()
        .map(|p| {
            vec![
                e(&p.month),
                p.opened.to_string(),
                p.closed.to_string(),
                p.rejected.to_string(),
                p.open_at_end.to_string(),
            ]
        })
        .collect();
    figure(
        h,
        &chart,
        &["Month", "Opened#", "Closed#", "Rejected#", "Open at end#"],
        &rows,
    );
    let chart = ageing_chart(&pack.ageing)?;
    let rows: Vec<Vec<String>> = pack
        .ageing
        .iter()
        .map(|b| vec![e(b.label), b.count.to_string()])
        .collect();
    figure(h, &chart, &["Age", "Open nonconformities#"], &rows);
    h.push_str("</section>\n");
    Ok(())
}

fn item_rows(t: &Table<ItemRow>) -> Vec<Vec<String>> {
    t.rows
        .iter()
        .map(|r| {
            let sev = if r.severity == isms_core::Severity::Major {
                format!(
                    "<span class=\"sev-major\">{}</span>",
                    text::severity(r.severity)
                )
            } else {
                text::severity(r.severity).to_owned()
            };
            vec![
                e(&r.reference),
                e(&r.title),
                sev,
                e(text::nc_state(r.state)),
                e(&r.owner),
                r.age_days.to_string(),
                format!("{} of {}", r.overdue_actions, r.open_actions),
                r.overdue_checks.to_string(),
                r.days_overdue.to_string(),
                r.external_deadline
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect()
}

const ITEM_HEAD: [&str; 10] = [
    "Ref",
    "Title",
    "Severity",
    "State",
    "Owner",
    "Age (days)#",
    "Overdue actions#",
    "Overdue checks#",
    "Days overdue#",
    "External deadline",
];

fn open_items(h: &mut String, pack: &ReviewPack) {
    h.push_str("<section id=\"open-items\">\n<h2>Open and overdue nonconformities</h2>\n");
    h.push_str("<p class=\"note\">Sorted by risk: major before minor, then by days overdue (the most overdue corrective action or effectiveness check), then by age.</p>\n");
    let _ = writeln!(
        h,
        "<h3>Overdue ({} nonconformities)</h3>",
        pack.overdue.total
    );
    if pack.overdue.total == 0 {
        h.push_str("<p>Nothing is overdue.</p>\n");
    } else {
        table(h, &ITEM_HEAD, &item_rows(&pack.overdue));
        omitted(h, &pack.overdue);
    }
    let _ = writeln!(
        h,
        "<h3>Open, not overdue ({} nonconformities)</h3>",
        pack.open.total
    );
    if pack.open.total == 0 {
        h.push_str("<p>None.</p>\n");
    } else {
        table(h, &ITEM_HEAD, &item_rows(&pack.open));
        omitted(h, &pack.open);
    }
    h.push_str("</section>\n");
}

fn rate_rows(points: &[crate::series::RatePoint]) -> Vec<Vec<String>> {
    points
        .iter()
        .map(|p| {
            vec![
                e(&p.month),
                p.percent
                    .map_or("no data".to_owned(), |v| format!("{v:.1} %")),
                format!("{} of {}", p.numerator, p.denominator),
                text::status_word(p.status).to_owned(),
            ]
        })
        .collect()
}

fn effectiveness(h: &mut String, pack: &ReviewPack) -> Result<(), ReportError> {
    h.push_str("<section id=\"effectiveness\">\n<h2>Effectiveness and recurrence</h2>\n");
    let w = pack.rates.trend_window_days;
    for (id, kpi, points) in [
        (
            "on-time-rate",
            KpiId::OnTimeActionCompletionRate,
            &pack.rates.on_time,
        ),
        (
            "effectiveness-rate",
            KpiId::EffectivenessRate,
            &pack.rates.effectiveness,
        ),
    ] {
        let k = pack.kpi(kpi);
        let name = k.map_or(kpi.name(), |k| k.name.as_str());
        let target = k.and_then(|k| k.target);
        let chart = rate_chart(id, name, points, target, w, pack.time_zone)?;
        figure(
            h,
            &chart,
            &["Month end", "Rate", "Basis", "Status"],
            &rate_rows(points),
        );
    }
    let _ = writeln!(
        h,
        "<h3>Verified ineffective in the period ({})</h3>",
        pack.ineffective.total
    );
    if pack.ineffective.total == 0 {
        h.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = pack
            .ineffective
            .rows
            .iter()
            .map(|r| {
                vec![
                    e(&r.reference),
                    e(&r.title),
                    r.attempt.to_string(),
                    text::date(r.concluded_at, pack.time_zone),
                ]
            })
            .collect();
        table(h, &["Ref", "Title", "Attempt#", "Concluded"], &rows);
        omitted(h, &pack.ineffective);
    }
    let _ = writeln!(
        h,
        "<h3>Repeat nonconformities reported in the period ({})</h3>",
        pack.recurrences.total
    );
    if pack.recurrences.total == 0 {
        h.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = pack
            .recurrences
            .rows
            .iter()
            .map(|r| {
                vec![
                    e(&r.reference),
                    e(&r.title),
                    e(r.recurrence_of.as_deref().unwrap_or("(not in register)")),
                    text::date(r.reported_at, pack.time_zone),
                ]
            })
            .collect();
        table(h, &["Ref", "Title", "Repeat of", "Reported"], &rows);
        omitted(h, &pack.recurrences);
    }
    let chart = pareto_chart(&pack.pareto)?;
    let rows: Vec<Vec<String>> = pack
        .pareto
        .iter()
        .map(|b| {
            vec![
                e(b.label),
                b.count.to_string(),
                format!("{:.1} %", b.cumulative_percent),
            ]
        })
        .collect();
    figure(
        h,
        &chart,
        &["Category", "Root causes#", "Cumulative share#"],
        &rows,
    );
    h.push_str("</section>\n");
    Ok(())
}

fn requirements(h: &mut String, pack: &ReviewPack) -> Result<(), ReportError> {
    h.push_str("<section id=\"requirements\">\n<h2>Requirements breached</h2>\n");
    let chart = theme_chart(&pack.themes)?;
    let rows: Vec<Vec<String>> = pack
        .themes
        .iter()
        .map(|t| vec![e(&t.label), t.count.to_string()])
        .collect();
    figure(h, &chart, &["Theme", "Nonconformities#"], &rows);
    let chart = nis2_chart(&pack.nis2, pack.nis2_unmapped)?;
    let rows: Vec<Vec<String>> = pack
        .nis2
        .iter()
        .map(|p| vec![e(&p.point), e(&p.title), p.count.to_string()])
        .collect();
    figure(h, &chart, &["Point", "Title", "Nonconformities#"], &rows);
    h.push_str("<h3>Most frequent requirements</h3>\n");
    let rows: Vec<Vec<String>> = pack
        .top_requirements
        .iter()
        .map(|(r, title, n)| {
            vec![
                format!("<code>{}</code>", e(r)),
                e(title.as_deref().unwrap_or("")),
                n.to_string(),
            ]
        })
        .collect();
    table(h, &["Requirement", "Title", "Nonconformities#"], &rows);
    h.push_str("</section>\n");
    Ok(())
}

fn improvements(h: &mut String, pack: &ReviewPack) {
    h.push_str("<section id=\"improvement\">\n<h2>Continual improvement (10.1)</h2>\n");
    let realised = pack.kpi(KpiId::ImprovementsRealised);
    if let Some(k) = realised {
        let _ = writeln!(
            h,
            "<p>{} improvements realised in the period; {} proposed to date.</p>",
            e(&text::value(k)),
            k.population
        );
    }
    let _ = writeln!(
        h,
        "<h3>Realised in the period ({})</h3>",
        pack.improvements_realised.total
    );
    if pack.improvements_realised.total == 0 {
        h.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = pack
            .improvements_realised
            .rows
            .iter()
            .map(|r| {
                vec![
                    e(&r.reference),
                    e(&r.title),
                    text::improvement_source(r.source).to_owned(),
                    text::priority(r.priority).to_owned(),
                    r.realised_at
                        .map(|t| text::date(t, pack.time_zone))
                        .unwrap_or_default(),
                    e(r.measured_effect.as_deref().unwrap_or("")),
                ]
            })
            .collect();
        table(
            h,
            &[
                "Ref",
                "Title",
                "Source",
                "Priority",
                "Realised",
                "Measured effect",
            ],
            &rows,
        );
        omitted(h, &pack.improvements_realised);
    }
    let _ = writeln!(
        h,
        "<h3>Proposed and under way ({})</h3>",
        pack.improvements_open.total
    );
    if pack.improvements_open.total == 0 {
        h.push_str("<p>None.</p>\n");
    } else {
        let rows: Vec<Vec<String>> = pack
            .improvements_open
            .rows
            .iter()
            .map(|r| {
                vec![
                    e(&r.reference),
                    e(&r.title),
                    text::improvement_source(r.source).to_owned(),
                    text::priority(r.priority).to_owned(),
                    text::improvement_state(r.state).to_owned(),
                    r.due.map(|d| d.to_string()).unwrap_or_default(),
                ]
            })
            .collect();
        table(
            h,
            &["Ref", "Title", "Source", "Priority", "State", "Due"],
            &rows,
        );
        omitted(h, &pack.improvements_open);
    }
    h.push_str("</section>\n");
}

fn reporting(h: &mut String, pack: &ReviewPack) {
    h.push_str("<section id=\"reporting\">\n<h2>Regulatory reporting</h2>\n");
    let _ = writeln!(
        h,
        "<p>{} reporting clocks of significant incidents (NIS2 Article 23 unless a regime of one's own): running at T, or met by a report recorded in the period. Deadlines are exact instants (UTC).</p>",
        pack.clocks.total
    );
    if pack.clocks.total > 0 {
        let rows: Vec<Vec<String>> = pack
            .clocks
            .rows
            .iter()
            .map(|c| {
                vec![
                    e(&c.reference),
                    e(&c.title),
                    format!(
                        "{}{}",
                        e(&c.report),
                        c.provision
                            .as_deref()
                            .map(|p| format!(" (<code>{}</code>)", e(p)))
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
        table(
            h,
            &["Ref", "Title", "Report", "Due", "Sent", "Status"],
            &rows,
        );
        omitted(h, &pack.clocks);
    }
    h.push_str("</section>\n");
}

fn changes(h: &mut String, pack: &ReviewPack) {
    h.push_str("<section id=\"isms-changes\">\n<h2>Changes to the ISMS (10.2 e)</h2>\n");
    let _ = writeln!(
        h,
        "<p>{} changes recorded on closing nonconformities and realising improvements in the period.</p>",
        pack.changes.total
    );
    if !pack.changes_by_kind.is_empty() {
        let rows: Vec<Vec<String>> = pack
            .changes_by_kind
            .iter()
            .map(|(k, n)| vec![text::change_kind(*k).to_owned(), n.to_string()])
            .collect();
        table(h, &["Kind", "Changes#"], &rows);
        let rows: Vec<Vec<String>> = pack
            .changes
            .rows
            .iter()
            .map(|c| {
                vec![
                    text::date(c.at, pack.time_zone),
                    e(&c.from),
                    text::change_kind(c.kind).to_owned(),
                    e(&c.description),
                    c.requirement
                        .as_deref()
                        .map(|r| format!("<code>{}</code>", e(r)))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        table(h, &["Date", "From", "Kind", "Change", "Requirement"], &rows);
        omitted(h, &pack.changes);
    }
    h.push_str("</section>\n");
}

fn definitions(h: &mut String, pack: &ReviewPack) {
    h.push_str("<section id=\"definitions\">\n<h2>Period and definitions</h2>\n");
    let _ = writeln!(
        h,
        "<p>As of (T): <strong>{}</strong>. Period (W = {} days): {} to {}. \
         The definitions below are those of <code>docs/kpis.md</code>, generated from the KPI engine.</p>",
        text::instant(pack.as_of()),
        pack.kpis.window_days,
        text::instant(pack.period_start()),
        text::instant(pack.as_of()),
    );
    h.push_str("<ul>\n");
    for c in text::conventions(pack.time_zone) {
        let _ = writeln!(h, "<li>{}</li>", e(&c));
    }
    h.push_str("</ul>\n<dl class=\"defs\">\n");
    for k in &pack.kpis.kpis {
        let _ = writeln!(
            h,
            "<dt id=\"def-{}\">{} (<code>{}</code>)</dt><dd>{} Target: {}.</dd>",
            k.id.as_str(),
            e(&k.name),
            k.id.as_str(),
            e(&k.definition),
            e(&text::target(k)),
        );
    }
    h.push_str("</dl>\n</section>\n");
}
