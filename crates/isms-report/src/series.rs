//! The numbers behind each chart and table, as pure functions from the KPI
//! engine's results to plain series. Nothing here draws, formats or
//! escapes; the renderers do that. Each function is unit-tested on
//! hand-made inputs.

use std::cmp::Reverse;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use isms_catalog::{Catalog, ItemKind, Theme};
use isms_core::{IanaTimeZone, RequirementRef, RootCauseCategory, Severity};
use isms_kpi::{
    AgeBucket, Ageing, BacklogTrend, KpiId, KpiReport, KpiView, Measure, OpenItem,
    RequirementCounts, RequirementProjection, RootCausePareto, Status, Targets,
};

use crate::error::ReportError;

/// One month of the backlog trend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BacklogPoint {
    /// The calendar month, `YYYY-MM`, in the organisation's time zone.
    pub month: String,
    /// Nonconformities reported in the month (within the period).
    pub opened: u64,
    /// Closed in the month.
    pub closed: u64,
    /// Rejected in the month.
    pub rejected: u64,
    /// Open at the end of the month (at `T` for the last month).
    pub open_at_end: u64,
}

/// The backlog trend chart's series: one point per month of the period.
pub fn backlog_series(trend: &BacklogTrend) -> Vec<BacklogPoint> {
    trend
        .months
        .iter()
        .map(|m| BacklogPoint {
            month: m.month.clone(),
            opened: m.opened,
            closed: m.closed,
            rejected: m.rejected,
            open_at_end: m.open_at_end,
        })
        .collect()
}

/// One ageing bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgeingBar {
    /// The bucket.
    pub bucket: AgeBucket,
    /// Its label, `0-30 days` ... `over 180 days`.
    pub label: &'static str,
    /// Open nonconformities of that age at `T`.
    pub count: u64,
}

/// The label of an age bucket.
pub const fn age_bucket_label(bucket: AgeBucket) -> &'static str {
    match bucket {
        AgeBucket::Days0To30 => "0-30 days",
        AgeBucket::Days31To90 => "31-90 days",
        AgeBucket::Days91To180 => "91-180 days",
        AgeBucket::Over180Days => "over 180 days",
    }
}

/// The ageing chart's series: the four buckets in order, empty ones
/// included.
pub fn ageing_series(ageing: &Ageing) -> Vec<AgeingBar> {
    AgeBucket::ALL
        .iter()
        .map(|b| AgeingBar {
            bucket: *b,
            label: age_bucket_label(*b),
            count: ageing
                .buckets
                .iter()
                .filter(|c| c.bucket == *b)
                .map(|c| c.count)
                .sum(),
        })
        .collect()
}

/// One bar of the root-cause Pareto.
#[derive(Clone, Debug, PartialEq)]
pub struct ParetoBar {
    /// The category.
    pub category: RootCauseCategory,
    /// Its label.
    pub label: &'static str,
    /// Root causes of that category recorded in the period.
    pub count: u64,
    /// This and every bar before it, as a percentage of all causes (0 to 100).
    pub cumulative_percent: f64,
}

/// The label of a root-cause category.
pub const fn category_label(c: RootCauseCategory) -> &'static str {
    match c {
        RootCauseCategory::People => "People",
        RootCauseCategory::Process => "Process",
        RootCauseCategory::Technology => "Technology",
        RootCauseCategory::Supplier => "Supplier",
        RootCauseCategory::Governance => "Governance",
        RootCauseCategory::Environment => "Environment",
    }
}

/// The Pareto chart's series, in the KPI's order (count descending).
pub fn pareto_series(pareto: &RootCausePareto) -> Vec<ParetoBar> {
    pareto
        .rows
        .iter()
        .map(|r| ParetoBar {
            category: r.category,
            label: category_label(r.category),
            count: r.count,
            cumulative_percent: r.cumulative_share * 100.0,
        })
        .collect()
}

/// The months of the period `[as_of - window_days, as_of]` on the calendar
/// of `zone` (the organisation's time zone, `Policy::time_zone`), from the
/// one holding the start to the one holding `as_of` (the months of the
/// backlog trend), each with its end instant: the last nanosecond before
/// the next month starts in `zone`, or `as_of` for the month holding it.
/// Empty if the window is out of range.
pub fn month_ends(
    as_of: DateTime<Utc>,
    window_days: u32,
    zone: IanaTimeZone,
) -> Vec<(String, DateTime<Utc>)> {
    let Some(start) = as_of.checked_sub_signed(Duration::days(i64::from(window_days))) else {
        return Vec::new();
    };
    let (first, last) = (zone.date_of(start), zone.date_of(as_of));
    let (mut y, mut m) = (first.year(), first.month());
    let mut out = Vec::new();
    while (y, m) <= (last.year(), last.month()) {
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let Some(next) = NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| zone.start_of(d)) else {
            break;
        };
        let end = (next - Duration::nanoseconds(1)).min(as_of);
        out.push((format!("{y:04}-{m:02}"), end));
        (y, m) = (ny, nm);
    }
    out
}

/// A rate at one instant, with its parts and its status against the target.
#[derive(Clone, Debug, PartialEq)]
pub struct RatePoint {
    /// The calendar month, `YYYY-MM`.
    pub month: String,
    /// The instant it was evaluated as of (the month's end, or `T`).
    pub as_of: DateTime<Utc>,
    /// The part.
    pub numerator: u64,
    /// The whole (0: no data).
    pub denominator: u64,
    /// The rate in percent (0 to 100), `None` when there is no data.
    pub percent: Option<f64>,
    /// Its status against the target.
    pub status: Status,
}

/// The two rate charts' series: on-time action completion and
/// effectiveness (first-time-right), as they read at each month end.
#[derive(Clone, Debug, PartialEq)]
pub struct RateSeries {
    /// The trailing window of each point, in days.
    pub trend_window_days: u32,
    /// `on_time_action_completion_rate` at each month end.
    pub on_time: Vec<RatePoint>,
    /// `effectiveness_rate` at each month end.
    pub effectiveness: Vec<RatePoint>,
}

fn rate_point(month: &str, as_of: DateTime<Utc>, report: &KpiReport, id: KpiId) -> RatePoint {
    let kpi = report.get(id);
    let (numerator, denominator, percent) = match kpi.map(|k| &k.value) {
        Some(Measure::Ratio {
            numerator,
            denominator,
            ratio,
        }) => (*numerator, *denominator, Some(ratio * 100.0)),
        _ => (0, 0, None),
    };
    RatePoint {
        month: month.to_owned(),
        as_of,
        numerator,
        denominator,
        percent,
        status: kpi.map_or(Status::NoData, |k| k.status),
    }
}

/// Evaluates the on-time and effectiveness rates as of each month end of
/// the period in `zone` (see [`month_ends`]), each over the trailing
/// `trend_window_days` and judged on `zone`'s calendar, with one
/// [`KpiView`] for all months.
pub fn rate_series(
    view: &KpiView,
    as_of: DateTime<Utc>,
    window_days: u32,
    trend_window_days: u32,
    targets: &Targets,
    zone: IanaTimeZone,
) -> Result<RateSeries, ReportError> {
    let options = isms_kpi::ReportOptions {
        window_days: trend_window_days,
        targets: targets.clone(),
        time_zone: zone,
        ..isms_kpi::ReportOptions::default()
    };
    let mut series = RateSeries {
        trend_window_days,
        on_time: Vec::new(),
        effectiveness: Vec::new(),
    };
    for (month, end) in month_ends(as_of, window_days, zone) {
        let report = view.report(end, &options)?;
        series.on_time.push(rate_point(
            &month,
            end,
            &report,
            KpiId::OnTimeActionCompletionRate,
        ));
        series
            .effectiveness
            .push(rate_point(&month, end, &report, KpiId::EffectivenessRate));
    }
    Ok(series)
}

/// Projects a requirement reference onto the ISO/IEC 27001:2022 Annex A
/// theme of its control (Organizational, People, Physical, Technological),
/// using the catalogue's theme data: Annex A and ISO/IEC 27002:2022
/// controls carry their theme; anything else (clauses 4 to 10, other
/// frameworks) projects nowhere. Used with the `by_requirement` KPI, so
/// that a nonconformity counts once per theme however many of its
/// controls share it.
#[derive(Clone, Debug)]
pub struct ThemeProjection<'c> {
    catalog: &'c Catalog,
    themes: Vec<(Theme, RequirementRef, String)>,
}

impl<'c> ThemeProjection<'c> {
    /// The projection through `catalog`'s `iso27001:2022` themes.
    pub fn new(catalog: &'c Catalog) -> Self {
        let mut themes = Vec::new();
        if let Ok(fw) = catalog.framework("iso27001:2022") {
            for item in fw.items.iter().filter(|i| i.kind == ItemKind::Theme) {
                let theme = fw
                    .items
                    .iter()
                    .find(|c| c.parent.as_ref() == Some(&item.id))
                    .and_then(|c| c.theme());
                let reference = format!("iso27001:2022/{}", item.id.as_str()).parse();
                if let (Some(theme), Ok(reference)) = (theme, reference) {
                    let title = item.title.clone().unwrap_or_else(|| theme.to_string());
                    themes.push((theme, reference, title));
                }
            }
        }
        Self { catalog, themes }
    }

    /// The themes found in the catalogue, in its order, with the reference
    /// of each theme's Annex A clause and its title.
    pub fn themes(&self) -> &[(Theme, RequirementRef, String)] {
        &self.themes
    }
}

impl RequirementProjection for ThemeProjection<'_> {
    fn project(&self, reference: &RequirementRef, _target: &str) -> Vec<RequirementRef> {
        let theme = self
            .catalog
            .resolve(reference.as_str())
            .ok()
            .and_then(|r| r.item().theme());
        self.themes
            .iter()
            .filter(|(t, _, _)| Some(*t) == theme)
            .map(|(_, r, _)| r.clone())
            .collect()
    }
}

/// Nonconformities of one Annex A theme (or of none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThemeCount {
    /// The theme; `None` for nonconformities that breach no Annex A control.
    pub theme: Option<Theme>,
    /// `Organizational` ... or `No Annex A control`.
    pub label: String,
    /// Nonconformities reported in the period that breach a control of it.
    pub count: u64,
}

/// The theme chart's series: each theme of `projection` in order, then the
/// nonconformities that breach no Annex A control. `counts` is the
/// `by_requirement` result projected through `projection`.
pub fn theme_series(
    counts: &RequirementCounts,
    projection: &ThemeProjection<'_>,
) -> Vec<ThemeCount> {
    let rows = counts.projection.as_ref();
    let mut out: Vec<ThemeCount> = projection
        .themes()
        .iter()
        .map(|(theme, reference, _)| ThemeCount {
            theme: Some(*theme),
            label: theme.to_string(),
            count: rows
                .and_then(|p| p.rows.iter().find(|r| r.requirement == reference.as_str()))
                .map_or(0, |r| r.count),
        })
        .collect();
    out.push(ThemeCount {
        theme: None,
        label: "No Annex A control".to_owned(),
        count: rows.map_or(counts.nonconformities, |p| p.unmapped),
    });
    out
}

/// Nonconformities projected onto one point of NIS2 Article 21(2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointCount {
    /// `21(2)(a)` ... `21(2)(j)`.
    pub point: String,
    /// The catalogue reference, `nis2/21.2.a`.
    pub reference: String,
    /// The catalogue's short title of the point.
    pub title: String,
    /// Nonconformities reported in the period whose requirements map to it.
    pub count: u64,
}

/// The NIS2 chart's series: every point of Article 21(2) in the
/// catalogue, in order, empty ones included. `counts` is the
/// `by_requirement` result projected onto `nis2`.
pub fn nis2_series(counts: &RequirementCounts, catalog: &Catalog) -> Vec<PointCount> {
    let Ok(fw) = catalog.framework("nis2") else {
        return Vec::new();
    };
    fw.items
        .iter()
        .filter(|i| i.parent.as_ref().is_some_and(|p| p.as_str() == "21.2"))
        .map(|item| {
            let reference = format!("nis2/{}", item.id.as_str());
            let letter = item.id.as_str().rsplit('.').next().unwrap_or("");
            PointCount {
                point: format!("21(2)({letter})"),
                title: item.title.clone().unwrap_or_default(),
                count: counts
                    .projection
                    .as_ref()
                    .and_then(|p| p.rows.iter().find(|r| r.requirement == reference))
                    .map_or(0, |r| r.count),
                reference,
            }
        })
        .collect()
}

/// Orders open items by risk: major before minor, then most days overdue,
/// then oldest, then register order.
pub fn rank_by_risk(items: &mut [OpenItem]) {
    items.sort_by_key(|i| {
        (
            i.severity != Severity::Major,
            Reverse(i.days_overdue),
            Reverse(i.age_days),
            i.index,
        )
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use isms_kpi::{AgeBucketCount, BacklogMonth, ParetoRow, ProjectedCounts, RequirementCount};

    #[test]
    fn month_ends_cover_the_period_and_stop_at_t() {
        let t = Utc.with_ymd_and_hms(2025, 3, 15, 12, 0, 0).unwrap();
        let ends = month_ends(t, 60, IanaTimeZone::UTC); // from 2025-01-14
        let labels: Vec<&str> = ends.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(labels, ["2025-01", "2025-02", "2025-03"]);
        assert_eq!(
            ends[0].1,
            Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).unwrap() - Duration::nanoseconds(1)
        );
        assert_eq!(
            ends[1].1,
            Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap() - Duration::nanoseconds(1)
        );
        assert_eq!(ends[2].1, t);
        // Across a year end; a one-day window at the first instant of a month.
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let labels: Vec<String> = month_ends(t, 1, IanaTimeZone::UTC)
            .into_iter()
            .map(|(m, _)| m)
            .collect();
        assert_eq!(labels, ["2025-12", "2026-01"]);
        assert_eq!(month_ends(t, 365, IanaTimeZone::UTC).len(), 13);
    }

    #[test]
    fn month_ends_are_local_across_a_dst_change() {
        // Los Angeles: PST (-8) in February, PDT (-7) from 8 March 2026.
        let la: IanaTimeZone = "America/Los_Angeles".parse().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 4, 1, 3, 0, 0).unwrap(); // 20:00 on 31 March there
        let ends = month_ends(t, 40, la);
        let labels: Vec<&str> = ends.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(labels, ["2026-02", "2026-03"]);
        let ns = Duration::nanoseconds(1);
        assert_eq!(
            ends[0].1,
            Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap() - ns
        );
        assert_eq!(ends[1].1, t);
        let ends = month_ends(Utc.with_ymd_and_hms(2026, 4, 2, 0, 0, 0).unwrap(), 40, la);
        assert_eq!(
            ends[1].1,
            Utc.with_ymd_and_hms(2026, 4, 1, 7, 0, 0).unwrap() - ns
        );
        // Auckland: 12:30 UTC on 30 April is 00:30 on 1 May (NZST, +12;
        // summer time ended on 5 April).
        let akl: IanaTimeZone = "Pacific/Auckland".parse().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 4, 30, 12, 30, 0).unwrap();
        let ends = month_ends(t, 40, akl);
        let labels: Vec<&str> = ends.iter().map(|(m, _)| m.as_str()).collect();
        assert_eq!(labels, ["2026-03", "2026-04", "2026-05"]);
        assert_eq!(
            ends[0].1,
            Utc.with_ymd_and_hms(2026, 3, 31, 11, 0, 0).unwrap() - ns
        );
        assert_eq!(
            ends[1].1,
            Utc.with_ymd_and_hms(2026, 4, 30, 12, 0, 0).unwrap() - ns
        );
        // An instant outside the calendar's range gives no months, no panic.
        assert!(month_ends(DateTime::<Utc>::MIN_UTC, 30, akl).is_empty());
    }

    #[test]
    fn backlog_series_copies_every_month() {
        let trend = BacklogTrend {
            months: vec![
                BacklogMonth {
                    month: "2025-01".into(),
                    opened: 5,
                    closed: 2,
                    rejected: 1,
                    open_at_end: 9,
                },
                BacklogMonth {
                    month: "2025-02".into(),
                    opened: 0,
                    closed: 4,
                    rejected: 0,
                    open_at_end: 5,
                },
            ],
        };
        let s = backlog_series(&trend);
        assert_eq!(s.len(), 2);
        assert_eq!(
            s[1],
            BacklogPoint {
                month: "2025-02".into(),
                opened: 0,
                closed: 4,
                rejected: 0,
                open_at_end: 5
            }
        );
    }

    #[test]
    fn ageing_series_has_all_four_buckets_in_order() {
        let ageing = Ageing {
            open: 7,
            older_than_90_days: 4,
            buckets: vec![
                AgeBucketCount {
                    bucket: AgeBucket::Over180Days,
                    count: 4,
                },
                AgeBucketCount {
                    bucket: AgeBucket::Days0To30,
                    count: 3,
                },
            ],
        };
        let s = ageing_series(&ageing);
        let got: Vec<(&str, u64)> = s.iter().map(|b| (b.label, b.count)).collect();
        assert_eq!(
            got,
            [
                ("0-30 days", 3),
                ("31-90 days", 0),
                ("91-180 days", 0),
                ("over 180 days", 4)
            ]
        );
    }

    #[test]
    fn pareto_series_keeps_order_and_gives_cumulative_percent() {
        let pareto = RootCausePareto {
            causes: 8,
            rows: vec![
                ParetoRow {
                    category: RootCauseCategory::Process,
                    count: 5,
                    share: 0.625,
                    cumulative_share: 0.625,
                },
                ParetoRow {
                    category: RootCauseCategory::People,
                    count: 3,
                    share: 0.375,
                    cumulative_share: 1.0,
                },
            ],
        };
        let s = pareto_series(&pareto);
        assert_eq!(s[0].label, "Process");
        assert_eq!(s[0].count, 5);
        assert!((s[0].cumulative_percent - 62.5).abs() < 1e-9);
        assert!((s[1].cumulative_percent - 100.0).abs() < 1e-9);
    }

    fn counts(rows: &[(&str, u64)], unmapped: u64, total: u64) -> RequirementCounts {
        RequirementCounts {
            nonconformities: total,
            rows: Vec::new(),
            projection: Some(ProjectedCounts {
                framework: "x".into(),
                rows: rows
                    .iter()
                    .map(|(r, c)| RequirementCount {
                        requirement: (*r).into(),
                        count: *c,
                    })
                    .collect(),
                unmapped,
            }),
        }
    }

    #[test]
    fn themes_come_from_the_catalogue_and_controls_map_to_them() {
        let p = ThemeProjection::new(Catalog::shipped());
        let names: Vec<String> = p.themes().iter().map(|t| t.0.to_string()).collect();
        assert_eq!(
            names,
            ["Organizational", "People", "Physical", "Technological"]
        );
        let r = |s: &str| s.parse::<RequirementRef>().unwrap();
        let proj = |s: &str| -> Vec<String> {
            p.project(&r(s), "").iter().map(|x| x.to_string()).collect()
        };
        assert_eq!(proj("iso27001:2022/A.8.13"), ["iso27001:2022/A.8"]);
        assert_eq!(proj("iso27001:2022/A.6.3"), ["iso27001:2022/A.6"]);
        assert_eq!(proj("iso27002:2022/7.4"), ["iso27001:2022/A.7"]);
        assert!(proj("iso27001:2022/9.3").is_empty());
        assert!(proj("nis2/21.2.c").is_empty());

        let s = theme_series(
            &counts(&[("iso27001:2022/A.8", 6), ("iso27001:2022/A.5", 2)], 3, 10),
            &p,
        );
        let got: Vec<(&str, u64)> = s.iter().map(|t| (t.label.as_str(), t.count)).collect();
        assert_eq!(
            got,
            [
                ("Organizational", 2),
                ("People", 0),
                ("Physical", 0),
                ("Technological", 6),
                ("No Annex A control", 3)
            ]
        );
    }

    #[test]
    fn nis2_series_lists_points_a_to_j() {
        let s = nis2_series(
            &counts(
                &[("nis2/21.2.c", 4), ("nis2/20.1", 9), ("nis2/21.2.j", 1)],
                0,
                5,
            ),
            Catalog::shipped(),
        );
        let points: Vec<&str> = s.iter().map(|p| p.point.as_str()).collect();
        assert_eq!(
            points,
            [
                "21(2)(a)", "21(2)(b)", "21(2)(c)", "21(2)(d)", "21(2)(e)", "21(2)(f)", "21(2)(g)",
                "21(2)(h)", "21(2)(i)", "21(2)(j)"
            ]
        );
        assert_eq!(s[2].count, 4);
        assert_eq!(s[9].count, 1);
        assert_eq!(s.iter().map(|p| p.count).sum::<u64>(), 5); // Article 20 is not a point
        assert_eq!(s[2].title, "Business continuity and crisis management");
    }

    fn item(index: usize, severity: Severity, days_overdue: i64, age_days: i64) -> OpenItem {
        OpenItem {
            index,
            severity,
            state: isms_core::NcState::ActionsPlanned,
            age_days,
            open_actions: 1,
            overdue_actions: u32::from(days_overdue > 0),
            overdue_checks: 0,
            days_overdue,
        }
    }

    #[test]
    fn risk_ranks_severity_then_days_overdue_then_age() {
        let mut items = vec![
            item(0, Severity::Minor, 90, 200),
            item(1, Severity::Major, 0, 300),
            item(2, Severity::Major, 10, 20),
            item(3, Severity::Major, 10, 40),
            item(4, Severity::Minor, 0, 10),
        ];
        rank_by_risk(&mut items);
        let order: Vec<usize> = items.iter().map(|i| i.index).collect();
        assert_eq!(order, [3, 2, 1, 0, 4]);
    }

    #[test]
    fn rate_series_reads_each_month_end() {
        let start = Utc.with_ymd_and_hms(2025, 1, 6, 0, 0, 0).unwrap();
        let s = isms_gen::seed_scenarios(start).unwrap();
        let view = KpiView::new(&s.register);
        let t = Utc.with_ymd_and_hms(2026, 6, 30, 0, 0, 0).unwrap();
        let r = rate_series(&view, t, 730, 730, &Targets::default(), IanaTimeZone::UTC).unwrap();
        assert_eq!(r.on_time.len(), month_ends(t, 730, IanaTimeZone::UTC).len());
        let last = r.effectiveness.last().unwrap();
        // As in isms-kpi's doctest: two of three first-time-right over two years.
        assert_eq!((last.numerator, last.denominator), (2, 3));
        assert_eq!(last.status, Status::Red);
        // Before anything was concluded, no data rather than 0 %.
        assert_eq!(r.effectiveness[0].percent, None);
        assert_eq!(r.effectiveness[0].status, Status::NoData);
    }
}
