//! The review pack: every number, series and table row of the report,
//! computed once from a register as of an instant, then rendered as HTML or
//! Markdown.

use std::cmp::Reverse;

use chrono::{DateTime, NaiveDate, Utc};
use isms_core::{
    ImprovementSource, ImprovementState, IsmsChangeKind, NcState, Priority, Register, Severity,
};
use isms_kpi::{Detail, KpiId, KpiReport, KpiView, MAX_WINDOW_DAYS, OpenItem, Window};

use crate::error::ReportError;
use crate::options::{Paper, ReportOptions};
use crate::series::{
    AgeingBar, BacklogPoint, ParetoBar, PointCount, RateSeries, ThemeCount, ThemeProjection,
    ageing_series, backlog_series, nis2_series, pareto_series, rank_by_risk, rate_series,
    theme_series,
};

/// One open nonconformity in an item table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemRow {
    /// `NC-0042`.
    pub reference: String,
    /// Its title (user text: escape before display).
    pub title: String,
    /// Major or minor.
    pub severity: Severity,
    /// Its state at `T`.
    pub state: NcState,
    /// Its owner (user text).
    pub owner: String,
    /// Its age at `T` in whole days.
    pub age_days: i64,
    /// Open corrective actions at `T`.
    pub open_actions: u32,
    /// Overdue corrective actions at `T`.
    pub overdue_actions: u32,
    /// Overdue effectiveness checks at `T`.
    pub overdue_checks: u32,
    /// Days the most overdue action or check is past its date (0: none).
    pub days_overdue: i64,
    /// A deadline imposed from outside (an authority), if any.
    pub external_deadline: Option<NaiveDate>,
}

/// A table with at most [`ReportOptions::max_rows`] rows, and how many
/// rows there were in all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table<T> {
    /// The rows shown, in order.
    pub rows: Vec<T>,
    /// How many rows there were before the cut.
    pub total: usize,
}

impl<T> Table<T> {
    fn cut(mut rows: Vec<T>, max: usize) -> Self {
        let total = rows.len();
        rows.truncate(max);
        Self { rows, total }
    }

    /// Rows left out of the table.
    pub fn omitted(&self) -> usize {
        self.total - self.rows.len()
    }
}

/// A nonconformity whose effectiveness was concluded negative in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IneffectiveRow {
    /// `NC-0042`.
    pub reference: String,
    /// Its title (user text).
    pub title: String,
    /// Which analysis attempt was found ineffective.
    pub attempt: u32,
    /// When it was concluded ineffective.
    pub concluded_at: DateTime<Utc>,
}

/// A nonconformity reported in the period and linked by `T` as a repeat of
/// an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecurrenceRow {
    /// `NC-0042`.
    pub reference: String,
    /// Its title (user text).
    pub title: String,
    /// The earlier nonconformity's reference (`NC-0007`), if it is in the register.
    pub recurrence_of: Option<String>,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
}

/// An improvement opportunity (10.1) in the improvement tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImprovementRow {
    /// `IMP-0003`.
    pub reference: String,
    /// Its title (user text).
    pub title: String,
    /// Where it came from.
    pub source: ImprovementSource,
    /// Its priority.
    pub priority: Priority,
    /// Its state at `T`.
    pub state: ImprovementState,
    /// When it was proposed.
    pub proposed_at: DateTime<Utc>,
    /// When it was realised, if by `T`.
    pub realised_at: Option<DateTime<Utc>>,
    /// Its target date, if any.
    pub due: Option<NaiveDate>,
    /// The measured effect, for realised ones (user text).
    pub measured_effect: Option<String>,
}

/// A change to the ISMS (10.2 e) made on closing a nonconformity or
/// realising an improvement in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeRow {
    /// When: the closure or realisation.
    pub at: DateTime<Utc>,
    /// The nonconformity or improvement it came from (`NC-0042`, `IMP-0003`).
    pub from: String,
    /// What kind of thing changed.
    pub kind: IsmsChangeKind,
    /// What changed (user text).
    pub description: String,
    /// The requirement or control concerned, if any.
    pub requirement: Option<String>,
}

/// A regulatory reporting clock (NIS2 Article 23 and the like) of an
/// incident nonconformity: running at `T`, or met in the period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClockRow {
    /// The nonconformity (`NC-0042`).
    pub reference: String,
    /// Its title (user text).
    pub title: String,
    /// The report (`Early warning`; from the regime, user text for a
    /// regime of one's own).
    pub report: String,
    /// The provision (`nis2/23.4.a`).
    pub provision: Option<String>,
    /// Its deadline in force at `T`.
    pub due: DateTime<Utc>,
    /// Counted from the deadline of the report it follows, not yet sent.
    pub provisional: bool,
    /// When the report was sent, if it was by `T`.
    pub sent: Option<DateTime<Utc>>,
    /// Where it stands at `T`.
    pub status: isms_core::ClockStatus,
}

/// Everything the report shows, computed from a register as of `T`.
#[derive(Clone, Debug)]
pub struct ReviewPack {
    /// The report's title (user text).
    pub title: String,
    /// The organisation (user text).
    pub organisation: Option<String>,
    /// What was wrong with the register's chain, when the report was made
    /// from one that did not verify ([`crate::ReportOptions::unverified`]).
    pub unverified: Option<String>,
    /// The paper the print stylesheet targets.
    pub paper: Paper,
    /// The organisation's time zone: the dates shown, the months of the
    /// charts and what is overdue are on its calendar.
    pub time_zone: isms_core::IanaTimeZone,
    /// Every KPI as of `T` over the period, with status.
    pub kpis: KpiReport,
    /// The backlog trend, per month of the period.
    pub backlog: Vec<BacklogPoint>,
    /// Open nonconformities by age at `T`.
    pub ageing: Vec<AgeingBar>,
    /// Root causes recorded in the period, by category.
    pub pareto: Vec<ParetoBar>,
    /// The on-time and effectiveness rates at each month end.
    pub rates: RateSeries,
    /// Nonconformities of the period by Annex A theme.
    pub themes: Vec<ThemeCount>,
    /// Nonconformities of the period projected onto NIS2 Article 21(2).
    pub nis2: Vec<PointCount>,
    /// Nonconformities of the period with none of their requirements
    /// mapping to any NIS2 provision.
    pub nis2_unmapped: u64,
    /// The most frequent requirement references of the period, with their
    /// catalogue titles where known.
    pub top_requirements: Vec<(String, Option<String>, u64)>,
    /// Open nonconformities with something overdue, ranked by risk.
    pub overdue: Table<ItemRow>,
    /// Other open nonconformities, ranked by risk.
    pub open: Table<ItemRow>,
    /// Effectiveness concluded negative in the period.
    pub ineffective: Table<IneffectiveRow>,
    /// Repeat nonconformities reported in the period.
    pub recurrences: Table<RecurrenceRow>,
    /// Improvements realised in the period.
    pub improvements_realised: Table<ImprovementRow>,
    /// Improvements proposed, approved or in progress at `T`, high
    /// priority first.
    pub improvements_open: Table<ImprovementRow>,
    /// ISMS changes made in the period.
    pub changes: Table<ChangeRow>,
    /// ISMS changes made in the period, by kind (kinds with none left out).
    pub changes_by_kind: Vec<(IsmsChangeKind, u64)>,
    /// Regulatory reporting clocks running at `T` or met in the period,
    /// soonest deadline first.
    pub clocks: Table<ClockRow>,
}

impl ReviewPack {
    /// `T`.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.kpis.as_of
    }

    /// `T - W`, the start of the period.
    pub fn period_start(&self) -> DateTime<Utc> {
        self.kpis.window_start
    }

    /// Computes the pack for `register` as of `as_of`.
    ///
    /// Errors when an option is out of range or the KPIs cannot be
    /// evaluated as asked; never panics on any register.
    pub fn compute(
        register: &Register,
        as_of: DateTime<Utc>,
        options: &ReportOptions<'_>,
    ) -> Result<Self, ReportError> {
        check_options(options)?;
        let view = KpiView::new(register);
        let kpi_options = isms_kpi::ReportOptions {
            window_days: options.window_days,
            targets: options.targets.clone(),
            time_zone: options.time_zone,
            ..isms_kpi::ReportOptions::default()
        }
        .with_projection(options.catalog, "nis2");
        let kpis = view.report(as_of, &kpi_options)?;
        let window = Window::new(as_of, options.window_days)?.in_zone(options.time_zone);
        let start = kpis.window_start;
        let in_period = |t: DateTime<Utc>| start <= t && t <= as_of;

        let mut backlog = Vec::new();
        let mut ageing = Vec::new();
        let mut pareto = Vec::new();
        let mut nis2 = Vec::new();
        let mut nis2_unmapped = 0;
        let mut top_requirements = Vec::new();
        for kpi in &kpis.kpis {
            match &kpi.detail {
                Detail::Backlog(t) => backlog = backlog_series(t),
                Detail::Ageing(a) => ageing = ageing_series(a),
                Detail::Pareto(p) => pareto = pareto_series(p),
                Detail::Requirements(r) => {
                    nis2 = nis2_series(r, options.catalog);
                    nis2_unmapped = r.projection.as_ref().map_or(0, |p| p.unmapped);
                    top_requirements = r
                        .rows
                        .iter()
                        .take(options.max_rows)
                        .map(|row| {
                            let title = options
                                .catalog
                                .resolve(&row.requirement)
                                .ok()
                                .and_then(|x| x.title().map(str::to_owned));
                            (row.requirement.clone(), title, row.count)
                        })
                        .collect();
                }
                _ => {}
            }
        }
        let theme_projection = ThemeProjection::new(options.catalog);
        let themes = theme_series(
            &view.by_requirement(&window, Some((&theme_projection, "iso27001:2022"))),
            &theme_projection,
        );
        let rates = rate_series(
            &view,
            as_of,
            options.window_days,
            options.trend_window_days,
            &options.targets,
            options.time_zone,
        )?;

        // Open items, ranked by risk.
        let ncs = register.nonconformities();
        let mut items: Vec<OpenItem> = view.open_items(&window);
        rank_by_risk(&mut items);
        let (late, on_track): (Vec<OpenItem>, Vec<OpenItem>) =
            items.into_iter().partition(|i| i.days_overdue > 0);
        let row = |i: &OpenItem| {
            let nc = ncs.get(i.index);
            ItemRow {
                reference: nc.map(|n| n.reference.to_string()).unwrap_or_default(),
                title: nc.map(|n| n.title.clone()).unwrap_or_default(),
                severity: i.severity,
                state: i.state,
                owner: nc.map(|n| n.owner.to_string()).unwrap_or_default(),
                age_days: i.age_days,
                open_actions: i.open_actions,
                overdue_actions: i.overdue_actions,
                overdue_checks: i.overdue_checks,
                days_overdue: i.days_overdue,
                external_deadline: nc.and_then(|n| n.external_deadline),
            }
        };
        let max = options.max_rows;
        let overdue = Table {
            total: late.len(),
            rows: late.iter().take(max).map(row).collect(),
        };
        let open = Table {
            total: on_track.len(),
            rows: on_track.iter().take(max).map(row).collect(),
        };

        // Effectiveness and recurrence in the period.
        let mut ineffective = Vec::new();
        let mut recurrences = Vec::new();
        let mut changes = Vec::new();
        for nc in ncs {
            for c in nc
                .conclusions
                .iter()
                .filter(|c| !c.effective && in_period(c.at))
            {
                ineffective.push(IneffectiveRow {
                    reference: nc.reference.to_string(),
                    title: nc.title.clone(),
                    attempt: c.attempt,
                    concluded_at: c.at,
                });
            }
            if let (Some(of), Some(linked)) = (nc.recurrence_of, nc.recurrence_linked_at)
                && linked <= as_of
                && in_period(nc.reported_at)
            {
                recurrences.push(RecurrenceRow {
                    reference: nc.reference.to_string(),
                    title: nc.title.clone(),
                    recurrence_of: register.nonconformity(of).map(|e| e.reference.to_string()),
                    reported_at: nc.reported_at,
                });
            }
            if let Some(closure) = nc.closure.as_ref().filter(|c| in_period(c.at)) {
                for ch in &closure.isms_changes {
                    changes.push(ChangeRow {
                        at: closure.at,
                        from: nc.reference.to_string(),
                        kind: ch.kind,
                        description: ch.description.clone(),
                        requirement: ch.requirement.as_ref().map(ToString::to_string),
                    });
                }
            }
        }
        ineffective.sort_by_key(|r| Reverse(r.concluded_at));
        recurrences.sort_by_key(|r| Reverse(r.reported_at));

        // Improvements (10.1).
        let mut realised = Vec::new();
        let mut under_way = Vec::new();
        for imp in register.improvements() {
            let Some(state) = imp.state_as_of(as_of) else {
                continue;
            };
            let realised_at = imp
                .first_reached(ImprovementState::Realised)
                .filter(|t| *t <= as_of);
            let r = ImprovementRow {
                reference: imp.reference.to_string(),
                title: imp.title.clone(),
                source: imp.source,
                priority: imp.priority,
                state,
                proposed_at: imp.proposed_at,
                realised_at,
                due: imp.due,
                measured_effect: imp.measured_effect.clone(),
            };
            match realised_at {
                Some(at) if in_period(at) => {
                    for ch in &imp.isms_changes {
                        changes.push(ChangeRow {
                            at,
                            from: r.reference.clone(),
                            kind: ch.kind,
                            description: ch.description.clone(),
                            requirement: ch.requirement.as_ref().map(ToString::to_string),
                        });
                    }
                    realised.push(r);
                }
                _ if !state.is_terminal() => under_way.push(r),
                _ => {}
            }
        }
        realised.sort_by_key(|r| Reverse(r.realised_at));
        under_way.sort_by(|a, b| {
            (a.priority, a.due.is_none(), a.due, &a.reference).cmp(&(
                b.priority,
                b.due.is_none(),
                b.due,
                &b.reference,
            ))
        });
        changes.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.from.cmp(&b.from)));
        let mut changes_by_kind: Vec<(IsmsChangeKind, u64)> = Vec::new();
        for c in &changes {
            match changes_by_kind.iter_mut().find(|(k, _)| *k == c.kind) {
                Some((_, n)) => *n += 1,
                None => changes_by_kind.push((c.kind, 1)),
            }
        }
        changes_by_kind.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

        let mut clocks = Vec::new();
        for nc in ncs {
            for c in isms_core::reporting_clocks(nc) {
                let Some(due) = c.due_as_of(as_of).filter(|_| c.recorded_at <= as_of) else {
                    continue;
                };
                let status = c.status(as_of);
                let sent = c.submitted_at.filter(|_| {
                    matches!(
                        status,
                        isms_core::ClockStatus::MetOnTime | isms_core::ClockStatus::MetLate
                    )
                });
                let met_in_period = c.submission_recorded_at.is_some_and(in_period);
                if sent.is_some() && !met_in_period {
                    continue;
                }
                clocks.push(ClockRow {
                    reference: nc.reference.to_string(),
                    title: nc.title.clone(),
                    report: c.title.clone(),
                    provision: c.provision.as_ref().map(ToString::to_string),
                    due,
                    provisional: c.provisional && c.anchor_recorded_at.is_none_or(|r| r > as_of),
                    sent,
                    status,
                });
            }
        }
        clocks.sort_by(|a, b| {
            a.due
                .cmp(&b.due)
                .then_with(|| a.reference.cmp(&b.reference))
        });

        Ok(Self {
            title: options.title.clone(),
            organisation: options.organisation.clone(),
            unverified: options.unverified.clone(),
            paper: options.paper,
            time_zone: options.time_zone,
            kpis,
            backlog,
            ageing,
            pareto,
            rates,
            themes,
            nis2,
            nis2_unmapped,
            top_requirements,
            overdue,
            open,
            ineffective: Table::cut(ineffective, max),
            recurrences: Table::cut(recurrences, max),
            improvements_realised: Table::cut(realised, max),
            improvements_open: Table::cut(under_way, max),
            changes: Table::cut(changes, max),
            changes_by_kind,
            clocks: Table::cut(clocks, max),
        })
    }

    /// The KPI with this id.
    pub fn kpi(&self, id: KpiId) -> Option<&isms_kpi::Kpi> {
        self.kpis.get(id)
    }
}

fn check_options(options: &ReportOptions<'_>) -> Result<(), ReportError> {
    for (option, value) in [
        ("window_days", options.window_days),
        ("trend_window_days", options.trend_window_days),
    ] {
        if value == 0 || value > MAX_WINDOW_DAYS {
            return Err(ReportError::BadOption {
                option,
                value: value.to_string(),
                expected: "1 to 36600 days",
            });
        }
    }
    if options.max_rows == 0 {
        return Err(ReportError::BadOption {
            option: "max_rows",
            value: "0".to_owned(),
            expected: "at least 1 row",
        });
    }
    Ok(())
}
