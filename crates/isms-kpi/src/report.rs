//! The KPI catalogue (ids, names, units, directions, definitions) and the
//! report that carries every KPI's value, population, detail and status.

use std::fmt;
use std::num::NonZeroUsize;

use chrono::{DateTime, Utc};
use isms_core::Register;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compute::{
    ActionTimeliness, Ageing, AgeingPass, BacklogPass, BacklogTrend, DEFAULT_WINDOW_DAYS,
    DurationEnd, DurationPass, DurationStats, FirstTimeRight, FirstTimeRightPass, Improvements,
    OpenNonconformities, OpenPass, OverdueActionPass, OverdueActions, OverdueVerificationPass,
    OverdueVerifications, RecurrencePass, Recurrences, RequirementCounts, RequirementPass,
    RootCausePareto, TimelinessPass, Window, chunk, fork_join,
};
use crate::error::KpiError;
use crate::projection::RequirementProjection;
use crate::targets::{Status, Target, Targets};
use crate::view::KpiView;

/// What a KPI's value is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A number of items.
    Count,
    /// A share between 0 and 1.
    Ratio,
    /// Fractional days (seconds / 86 400).
    Days,
}

/// Which way is better.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher values are better.
    HigherIsBetter,
    /// Lower values are better.
    LowerIsBetter,
    /// Neither: a breakdown to read, not a score.
    Neutral,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::HigherIsBetter => "higher is better",
            Direction::LowerIsBetter => "lower is better",
            Direction::Neutral => "neutral",
        })
    }
}

macro_rules! kpis {
    ($( $variant:ident = $id:literal, $name:literal, $unit:ident, $dir:ident, $def:literal; )*) => {
        /// The stable identifier of a KPI (its JSON name never changes).
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
            JsonSchema,
        )]
        #[serde(rename_all = "snake_case")]
        pub enum KpiId {
            $(
                #[doc = $name]
                $variant,
            )*
        }

        impl KpiId {
            /// Every KPI, in report order.
            pub const ALL: &'static [KpiId] = &[$(KpiId::$variant),*];

            /// The stable identifier (`time_to_close`).
            pub const fn as_str(self) -> &'static str {
                match self { $(KpiId::$variant => $id,)* }
            }

            /// The human name.
            pub const fn name(self) -> &'static str {
                match self { $(KpiId::$variant => $name,)* }
            }

            /// The unit of its value.
            pub const fn unit(self) -> Unit {
                match self { $(KpiId::$variant => Unit::$unit,)* }
            }

            /// Which way is better.
            pub const fn direction(self) -> Direction {
                match self { $(KpiId::$variant => Direction::$dir,)* }
            }

            /// The exact definition, as implemented.
            pub const fn definition(self) -> &'static str {
                match self { $(KpiId::$variant => $def,)* }
            }
        }
    };
}

kpis! {
    OpenNonconformities = "open_nonconformities", "Open nonconformities", Count, LowerIsBetter,
        "Nonconformities reported at or before T whose state at T (from the recorded transition history) is neither closed nor rejected. Value: their number. Population: nonconformities reported at or before T. Detail: the open ones by severity and by lifecycle state at T; both breakdowns sum to the value.";
    Ageing = "ageing", "Ageing of open nonconformities", Ratio, LowerIsBetter,
        "Nonconformities open at T by age, where age in whole days is floor((T - reported_at) / 86 400 s), in the buckets 0-30, 31-90, 91-180 and more than 180 days. Value: the share of open nonconformities older than 90 whole days (the last two buckets). Population: nonconformities open at T. No data when none is open.";
    TimeToContain = "time_to_contain", "Time to contain", Days, LowerIsBetter,
        "Nonconformities whose first correction (10.2 a) was recorded in the window [T - W, T]: the time from report to that first correction, in fractional days. Value: the median. Detail: count, mean, median and 90th percentile (linear interpolation between closest ranks). Population: those nonconformities. No data when there are none.";
    TimeToClose = "time_to_close", "Time to close", Days, LowerIsBetter,
        "Nonconformities closed in the window [T - W, T] (a closure at exactly T counts; rejections do not): the time from report to closure, in fractional days. Value: the median. Detail: count, mean, median and 90th percentile (linear interpolation between closest ranks). Population: those nonconformities. No data when there are none.";
    OverdueActions = "overdue_actions", "Overdue corrective actions", Count, LowerIsBetter,
        "Corrective actions planned at or before T, neither done nor cancelled at T, whose due date in force at T (the original due date as moved by the reschedules recorded at or before T) is before T's date (in the organisation's time zone). An action due on T's date is not overdue; one due the day before is. Value: their number. Population: the open actions (planned at or before T, neither done nor cancelled at T).";
    OverdueActionRate = "overdue_action_rate", "Overdue action rate", Ratio, LowerIsBetter,
        "Overdue corrective actions (as in overdue_actions) divided by all open corrective actions at T (planned at or before T, neither done nor cancelled at T). Population: the open actions. No data when no action is open.";
    OnTimeActionCompletionRate = "on_time_action_completion_rate", "On-time action completion rate", Ratio, HigherIsBetter,
        "Corrective actions completed in the window [T - W, T]: the share whose completion date (in the organisation's time zone) is on or before their ORIGINAL due date, so that a reschedule never turns a late action into an on-time one. Detail: the same share against the due date in force at T, and how many were rescheduled at least once. Population: actions completed in the window. No data when none was.";
    EffectivenessRate = "effectiveness_rate", "Effectiveness rate (first-time-right)", Ratio, HigherIsBetter,
        "Nonconformities whose first effectiveness conclusion (10.2 d) fell in the window [T - W, T]: the share concluded effective at that first conclusion. A nonconformity found ineffective first and effective later counts as not first-time-right. Population: those nonconformities. No data when there are none.";
    RepeatNonconformityRate = "repeat_nonconformity_rate", "Repeat nonconformity rate", Ratio, LowerIsBetter,
        "Nonconformities reported in the window [T - W, T]: the share linked, at or before T, as a recurrence of an earlier nonconformity. Population: nonconformities reported in the window. No data when none was.";
    OverdueVerifications = "overdue_verifications", "Overdue effectiveness checks", Count, LowerIsBetter,
        "Scheduled effectiveness checks dated before T's date (in the organisation's time zone) with no result recorded at or before T. The checks counted are those of the verification plan in force at T (the latest recorded at or before T, for the analysis attempt in force at T) of each nonconformity whose state at T is analysed, actions_planned or implemented, that is with an attempt under way and not yet concluded. A check dated T's date is not overdue. Value: their number. Population: the checks of those plans dated before T's date.";
    RootCausePareto = "root_cause_pareto", "Root-cause Pareto", Count, Neutral,
        "Root causes of the analyses recorded in the window [T - W, T], counted by category (each cause once), in descending order of count (ties in the order people, process, technology, supplier, governance, environment), with each category's share of all causes and the cumulative share. Value and population: the number of root causes.";
    ByRequirement = "by_requirement", "Nonconformities by requirement", Count, Neutral,
        "Nonconformities reported in the window [T - W, T] per requirement reference, count descending then reference ascending; a nonconformity counts once for each reference it breaches. With a projection onto another framework: the same nonconformities per item of that framework, each counted once per item however many of its references map to it, and the number with no mapped item. Value and population: nonconformities reported in the window.";
    BacklogTrend = "backlog_trend", "Backlog trend", Count, LowerIsBetter,
        "Per calendar month (in the organisation's time zone) from the month holding T - W to the month holding T: nonconformities reported, closed and rejected in the month (counting only instants in the window [T - W, T]), and open at the end of the month (at T for the month holding T). Value: open at T. Population: nonconformities reported at or before T.";
    ImprovementsRealised = "improvements_realised", "Improvements realised", Count, HigherIsBetter,
        "Improvement opportunities (10.1) that reached the realised state in the window [T - W, T]. Population: improvements proposed at or before T. Detail: also the number proposed in the window and the cycle time.";
    ImprovementCycleTime = "improvement_cycle_time", "Improvement cycle time", Days, LowerIsBetter,
        "Improvements realised in the window [T - W, T]: the time from proposal to realisation, in fractional days. Value: the median. Detail: count, mean, median and 90th percentile (linear interpolation between closest ranks). Population: those improvements. No data when there are none.";
    ReportingOnTimeRate = "reporting_on_time_rate", "Regulatory reports on time", Ratio, HigherIsBetter,
        "Regulatory reporting clocks (an incident nonconformity recorded as significant, under its clock regime, NIS2 Article 23(4) by default: early warning, incident notification, final report, and an intermediate report once requested) that came to an end in the window [T - W, T]: met by the first report of their kind whose submission was recorded in the window, or not met at T with their deadline in the window and before T. A clock exists from the first recording of the incident's reporting (the record in force at T counts, corrections included); a clock that runs from another report's submission takes its deadline from that submission once it is recorded at or before T, else from the other report's own deadline. Value: the share met by a report sent at or before the deadline (exact instants, not dates). Detail: on time, late, missed, and the clocks running at T. Population: those clocks. No data when there are none.";
    ReportingClocksRunning = "reporting_clocks_running", "Regulatory clocks running", Count, LowerIsBetter,
        "Regulatory reporting clocks (as in reporting_on_time_rate) started at or before T (recorded at or before T, with a deadline in force at T) and not met by a report whose submission was recorded at or before T. Value: their number. Detail: how many of them are past their deadline at T. Population: the clocks started at or before T.";
}

impl fmt::Display for KpiId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A KPI's headline value. An empty population gives [`Measure::NoData`]
/// for ratios and durations (never a division by zero or a NaN); a count
/// over an empty population is 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// The population is empty.
    NoData,
    /// A number of items.
    Count {
        /// The number.
        count: u64,
    },
    /// A share, with its parts (`denominator` is never 0).
    Ratio {
        /// The part.
        numerator: u64,
        /// The whole.
        denominator: u64,
        /// `numerator / denominator`, between 0 and 1.
        ratio: f64,
    },
    /// Fractional days.
    Days {
        /// The number of days.
        days: f64,
    },
}

impl Measure {
    /// `numerator / denominator`, or no data when the denominator is 0.
    pub fn ratio(numerator: u64, denominator: u64) -> Self {
        if denominator == 0 {
            Measure::NoData
        } else {
            Measure::Ratio {
                numerator,
                denominator,
                ratio: numerator as f64 / denominator as f64,
            }
        }
    }

    /// A number of days, or no data.
    pub fn days(days: Option<f64>) -> Self {
        days.map_or(Measure::NoData, |days| Measure::Days { days })
    }

    /// The value as a number (`None` for no data).
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Measure::NoData => None,
            Measure::Count { count } => Some(count as f64),
            Measure::Ratio { ratio, .. } => Some(ratio),
            Measure::Days { days } => Some(days),
        }
    }
}

/// The detail behind a KPI's headline value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Detail {
    /// Open nonconformities by severity and state.
    Open(OpenNonconformities),
    /// Open nonconformities by age.
    Ageing(Ageing),
    /// A duration summary.
    Durations(DurationStats),
    /// Open and overdue actions.
    OverdueActions(OverdueActions),
    /// Completed actions against their due dates.
    ActionTimeliness(ActionTimeliness),
    /// First effectiveness conclusions.
    FirstTimeRight(FirstTimeRight),
    /// Recurrences among reported nonconformities.
    Recurrences(Recurrences),
    /// Overdue checks.
    OverdueVerifications(OverdueVerifications),
    /// Root causes by category.
    Pareto(RootCausePareto),
    /// Nonconformities by requirement.
    Requirements(RequirementCounts),
    /// Per-month backlog.
    Backlog(BacklogTrend),
    /// Improvement flow and cycle time.
    Improvements(Improvements),
    /// Regulatory reporting clocks.
    Reporting(crate::reporting::ReportingClocks),
}

/// One KPI as of an instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Kpi {
    /// Stable identifier.
    pub id: KpiId,
    /// Human name.
    pub name: String,
    /// Unit of the value.
    pub unit: Unit,
    /// Which way is better.
    pub direction: Direction,
    /// The exact definition.
    pub definition: String,
    /// The headline value.
    pub value: Measure,
    /// How many items the value was computed over.
    pub population: u64,
    /// The target it is judged against, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    /// Green, amber or red against the target.
    pub status: Status,
    /// The numbers behind the value.
    pub detail: Detail,
}

/// Every KPI as of `as_of`, over the window `[as_of - window_days, as_of]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct KpiReport {
    /// `T`: only what was recorded at or before it counts.
    pub as_of: DateTime<Utc>,
    /// `W`, in days.
    pub window_days: u32,
    /// `T - W`.
    pub window_start: DateTime<Utc>,
    /// The KPIs, in the order of [`KpiId::ALL`].
    pub kpis: Vec<Kpi>,
}

impl KpiReport {
    /// The KPI with this id.
    pub fn get(&self, id: KpiId) -> Option<&Kpi> {
        self.kpis.iter().find(|k| k.id == id)
    }
}

/// Nonconformities per thread when [`ReportOptions::threads`] is automatic:
/// a view of fewer than twice as many is walked on one thread. Measured on
/// generated registers (`examples/suite_profile.rs`, figures in
/// `docs/performance.md`): below that, a second thread gains little on a
/// quiet machine (starting it costs tens of microseconds) and loses when
/// another process holds a core.
pub const NONCONFORMITIES_PER_THREAD: usize = 25_000;

/// How to evaluate: the window, the targets, an optional projection of
/// requirements onto another framework, and how many threads to use.
#[derive(Clone)]
pub struct ReportOptions<'a> {
    /// `W`, in days. Default 365.
    pub window_days: u32,
    /// The targets. Default: [`Targets::default`].
    pub targets: Targets,
    /// Project `by_requirement` onto this framework through this mapping
    /// (e.g. the catalogue and `"nis2"`). Default: none.
    pub projection: Option<(&'a dyn RequirementProjection, &'a str)>,
    /// The organisation's time zone (`Policy::time_zone`): overdue and on
    /// time are judged on its calendar. Default UTC.
    pub time_zone: isms_core::IanaTimeZone,
    /// How many threads [`KpiView::report`] walks the view on: the
    /// nonconformities, and the corrective actions, are cut into contiguous
    /// chunks (a few per thread, taken one at a time by whichever thread is
    /// free) and the partial counts merged in chunk order, so that the
    /// report is the same, bit for bit, whatever the number. `Some(n)` uses
    /// exactly `n` threads however small the view (`Some(1)`: one walk on
    /// the calling thread, no thread spawned). Default `None`, automatic:
    /// one thread per [`NONCONFORMITIES_PER_THREAD`] nonconformities, at
    /// least one and at most [`std::thread::available_parallelism`] (1 if
    /// unknown).
    pub threads: Option<NonZeroUsize>,
}

impl Default for ReportOptions<'_> {
    fn default() -> Self {
        Self {
            window_days: DEFAULT_WINDOW_DAYS,
            targets: Targets::default(),
            projection: None,
            time_zone: isms_core::IanaTimeZone::UTC,
            threads: None,
        }
    }
}

impl fmt::Debug for ReportOptions<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportOptions")
            .field("window_days", &self.window_days)
            .field("targets", &self.targets)
            .field("projection", &self.projection.map(|(_, fw)| fw))
            .field("time_zone", &self.time_zone)
            .field("threads", &self.threads)
            .finish()
    }
}

impl<'a> ReportOptions<'a> {
    /// The same options with a projection onto `framework`.
    #[must_use]
    pub fn with_projection(
        mut self,
        projection: &'a dyn RequirementProjection,
        framework: &'a str,
    ) -> Self {
        self.projection = Some((projection, framework));
        self
    }

    /// The same options with exactly `threads` threads (see
    /// [`ReportOptions::threads`]); `NonZeroUsize::MIN` walks on the
    /// calling thread alone.
    #[must_use]
    pub fn with_threads(mut self, threads: NonZeroUsize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The number of threads to walk a view of `nonconformities` on.
    fn threads_for(&self, nonconformities: usize) -> usize {
        match self.threads {
            Some(n) => n.get(),
            None if nonconformities < 2 * NONCONFORMITIES_PER_THREAD => 1,
            None => std::thread::available_parallelism()
                .map_or(1, NonZeroUsize::get)
                .min(nonconformities / NONCONFORMITIES_PER_THREAD),
        }
    }
}

fn kpi(id: KpiId, value: Measure, population: u64, detail: Detail, targets: &Targets) -> Kpi {
    let target = targets.get(id);
    let status = match (target, value.as_f64()) {
        (None, _) => Status::NoTarget,
        (Some(_), None) => Status::NoData,
        (Some(t), Some(v)) => t.status(id.direction(), v),
    };
    Kpi {
        id,
        name: id.name().to_owned(),
        unit: id.unit(),
        direction: id.direction(),
        definition: id.definition().to_owned(),
        value,
        population,
        target,
        status,
        detail,
    }
}

impl KpiView {
    /// Every KPI as of `as_of`.
    ///
    /// Errors only on a window out of range ([`KpiError`]).
    pub fn report(
        &self,
        as_of: DateTime<Utc>,
        options: &ReportOptions<'_>,
    ) -> Result<KpiReport, KpiError> {
        let w = Window::new(as_of, options.window_days)?.in_zone(options.time_zone);
        let tg = &options.targets;
        let mut kpis = Vec::with_capacity(KpiId::ALL.len());

        // Every per-nonconformity KPI in one walk over the register, and
        // every per-action KPI in one walk over the actions, each cut into
        // chunks walked on threads of their own.
        let nc_passes = (
            OpenPass::default(),
            AgeingPass::default(),
            DurationPass::new(DurationEnd::Contained),
            DurationPass::new(DurationEnd::Closed),
            FirstTimeRightPass::default(),
            RecurrencePass::default(),
            OverdueVerificationPass::default(),
            RequirementPass::new(self, options.projection),
            BacklogPass::new(&w),
        );
        let action_passes = (OverdueActionPass::default(), TimelinessPass::default());
        let mut passes = (nc_passes, action_passes);
        let (ncs, actions) = (self.nonconformity_count(), self.action_count());
        let threads = options.threads_for(ncs);
        fork_join(
            &mut passes,
            threads,
            |(nc_passes, action_passes), k, parts| {
                self.walk_range(&w, nc_passes, chunk(ncs, parts, k));
                self.walk_actions_range(&w, action_passes, chunk(actions, parts, k));
            },
        );
        let ((open, ageing, contain, close, ftr, rec, ver, reqs, trend), (overdue, timely)) =
            passes;
        let open = open.finish();
        kpis.push(kpi(
            KpiId::OpenNonconformities,
            Measure::Count { count: open.open },
            open.reported,
            Detail::Open(open),
            tg,
        ));
        let ageing = ageing.finish();
        kpis.push(kpi(
            KpiId::Ageing,
            Measure::ratio(ageing.older_than_90_days, ageing.open),
            ageing.open,
            Detail::Ageing(ageing),
            tg,
        ));
        for (id, stats) in [
            (KpiId::TimeToContain, contain.finish()),
            (KpiId::TimeToClose, close.finish()),
        ] {
            kpis.push(kpi(
                id,
                Measure::days(stats.median_days),
                stats.count,
                Detail::Durations(stats),
                tg,
            ));
        }
        let overdue = overdue.0;
        kpis.push(kpi(
            KpiId::OverdueActions,
            Measure::Count {
                count: overdue.overdue,
            },
            overdue.open,
            Detail::OverdueActions(overdue.clone()),
            tg,
        ));
        kpis.push(kpi(
            KpiId::OverdueActionRate,
            Measure::ratio(overdue.overdue, overdue.open),
            overdue.open,
            Detail::OverdueActions(overdue),
            tg,
        ));
        let timely = timely.finish();
        kpis.push(kpi(
            KpiId::OnTimeActionCompletionRate,
            Measure::ratio(timely.on_time_original, timely.completed),
            timely.completed,
            Detail::ActionTimeliness(timely),
            tg,
        ));
        let ftr = ftr.finish();
        kpis.push(kpi(
            KpiId::EffectivenessRate,
            Measure::ratio(ftr.effective, ftr.concluded),
            ftr.concluded,
            Detail::FirstTimeRight(ftr),
            tg,
        ));
        let rec = rec.finish();
        kpis.push(kpi(
            KpiId::RepeatNonconformityRate,
            Measure::ratio(rec.recurrences, rec.reported),
            rec.reported,
            Detail::Recurrences(rec),
            tg,
        ));
        let ver = ver.finish();
        kpis.push(kpi(
            KpiId::OverdueVerifications,
            Measure::Count { count: ver.overdue },
            ver.checks_due,
            Detail::OverdueVerifications(ver),
            tg,
        ));
        let pareto = self.root_cause_pareto(&w);
        kpis.push(kpi(
            KpiId::RootCausePareto,
            Measure::Count {
                count: pareto.causes,
            },
            pareto.causes,
            Detail::Pareto(pareto),
            tg,
        ));
        let reqs = reqs.finish(self);
        kpis.push(kpi(
            KpiId::ByRequirement,
            Measure::Count {
                count: reqs.nonconformities,
            },
            reqs.nonconformities,
            Detail::Requirements(reqs),
            tg,
        ));
        let trend = trend.finish();
        let open_now = trend.months.last().map_or(0, |m| m.open_at_end);
        kpis.push(kpi(
            KpiId::BacklogTrend,
            Measure::Count { count: open_now },
            kpis[0].population,
            Detail::Backlog(trend),
            tg,
        ));
        let imp = self.improvements(&w);
        kpis.push(kpi(
            KpiId::ImprovementsRealised,
            Measure::Count {
                count: imp.realised,
            },
            imp.proposed_to_date,
            Detail::Improvements(imp.clone()),
            tg,
        ));
        kpis.push(kpi(
            KpiId::ImprovementCycleTime,
            Measure::days(imp.cycle_time.median_days),
            imp.realised,
            Detail::Improvements(imp),
            tg,
        ));
        let clocks = self.reporting_clocks(&w);
        kpis.push(kpi(
            KpiId::ReportingOnTimeRate,
            Measure::ratio(clocks.on_time, clocks.ended_in_window),
            clocks.ended_in_window,
            Detail::Reporting(clocks.clone()),
            tg,
        ));
        kpis.push(kpi(
            KpiId::ReportingClocksRunning,
            Measure::Count {
                count: clocks.running,
            },
            clocks.started,
            Detail::Reporting(clocks),
            tg,
        ));
        Ok(KpiReport {
            as_of,
            window_days: w.days(),
            window_start: w.start(),
            kpis,
        })
    }
}

/// Lays out `register` and evaluates every KPI as of `as_of`: the one-call
/// way. To evaluate several instants, build a [`KpiView`] once and call
/// [`KpiView::report`] for each.
pub fn evaluate(
    register: &Register,
    as_of: DateTime<Utc>,
    options: &ReportOptions<'_>,
) -> Result<KpiReport, KpiError> {
    KpiView::new(register).report(as_of, options)
}
