//! The KPI computations: one tight pass over a few columns of the
//! [`KpiView`] each, as of the instant of a [`Window`]. Each returns a
//! typed result that the report wraps with its metadata.

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use isms_core::{IanaTimeZone, NcState, RequirementRef, RootCauseCategory, Severity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::KpiError;
use crate::projection::RequirementProjection;
use crate::view::{KpiView, NEVER, NS_PER_DAY, STATE_COUNT, day_of, ns};

/// The longest window accepted, in days (100 years).
pub const MAX_WINDOW_DAYS: u32 = 36_600;
/// The default window: the last 365 days.
pub const DEFAULT_WINDOW_DAYS: u32 = 365;

/// The instant `T` a KPI is evaluated as of, and the window `[T - W, T]`
/// (both ends included) that flow KPIs count over, with the time zone whose
/// calendar decides what is overdue and what was done on time (UTC unless
/// [`Window::in_zone`] says otherwise: give it the policy's time zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    as_of: DateTime<Utc>,
    days: u32,
    t: i64,
    start: i64,
    today: i32,
    zone: IanaTimeZone,
}

impl Window {
    /// The window of `days` days ending at `as_of`.
    ///
    /// Errors if `days` is 0 or above [`MAX_WINDOW_DAYS`], or if the window
    /// does not fit the nanosecond range (1677-09-21 to 2262-04-11).
    pub fn new(as_of: DateTime<Utc>, days: u32) -> Result<Self, KpiError> {
        if days == 0 || days > MAX_WINDOW_DAYS {
            return Err(KpiError::BadWindow {
                days,
                max: MAX_WINDOW_DAYS,
            });
        }
        let start_time = as_of - Duration::days(i64::from(days));
        let (Some(t), Some(start)) = (
            as_of.timestamp_nanos_opt(),
            start_time.timestamp_nanos_opt(),
        ) else {
            return Err(KpiError::OutOfRange { as_of, days });
        };
        Ok(Self {
            as_of,
            days,
            t,
            start,
            today: day_of(t),
            zone: IanaTimeZone::UTC,
        })
    }

    /// The same window on the calendar of `zone` (the organisation's time
    /// zone, `Policy::time_zone`): `T`'s date, and the date each action was
    /// completed on, are dates there.
    #[must_use]
    pub fn in_zone(mut self, zone: IanaTimeZone) -> Self {
        self.zone = zone;
        self.today = crate::view::day_number(zone.date_of(self.as_of));
        self
    }

    /// The time zone of the window's calendar.
    pub fn zone(&self) -> IanaTimeZone {
        self.zone
    }

    /// Days since 1970-01-01 of the calendar date of `t_ns` in the window's
    /// zone.
    fn day_of(&self, t_ns: i64) -> i32 {
        if self.zone.is_utc() {
            return day_of(t_ns);
        }
        let at = Utc.timestamp_nanos(t_ns);
        crate::view::day_number(self.zone.date_of(at))
    }

    /// The default window (365 days) ending at `as_of`.
    pub fn year_to(as_of: DateTime<Utc>) -> Result<Self, KpiError> {
        Self::new(as_of, DEFAULT_WINDOW_DAYS)
    }

    /// `T`.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// `W`, in days.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// `T - W`.
    pub fn start(&self) -> DateTime<Utc> {
        self.as_of - Duration::days(i64::from(self.days))
    }

    /// `T - W` and `T` in nanoseconds, as [`Window::contains`] compares.
    pub(crate) fn bounds_ns(&self) -> (i64, i64) {
        (self.start, self.t)
    }

    #[inline]
    fn contains(&self, x: i64) -> bool {
        self.start <= x && x <= self.t
    }
}

/// One nonconformity open at `T`, from [`KpiView::open_items`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OpenItem {
    /// Its position in [`isms_core::Register::nonconformities`] (the
    /// register the view was built from).
    pub index: usize,
    /// Its severity.
    pub severity: Severity,
    /// Its state at `T`.
    pub state: NcState,
    /// Its age at `T` in whole days: `floor((T - reported_at) / 86 400 s)`.
    pub age_days: i64,
    /// Its corrective actions planned at or before `T`, neither done nor
    /// cancelled at `T`.
    pub open_actions: u32,
    /// Those of them whose due date in force at `T` is before `T`'s date.
    pub overdue_actions: u32,
    /// Checks of its verification plan in force at `T` dated before `T`'s
    /// date without a result recorded by `T`.
    pub overdue_checks: u32,
    /// How many days the most overdue of those actions and checks is past
    /// its date (`T`'s date minus the due date); 0 when nothing is overdue.
    pub days_overdue: i64,
}

/// A count for one severity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SeverityCount {
    /// The severity.
    pub severity: Severity,
    /// How many.
    pub count: u64,
}

/// A count for one lifecycle state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StateCount {
    /// The state.
    pub state: NcState,
    /// How many.
    pub count: u64,
}

/// `open_nonconformities`: what is open at `T`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OpenNonconformities {
    /// Nonconformities reported at or before `T` (the population).
    pub reported: u64,
    /// Of these, neither closed nor rejected at `T`.
    pub open: u64,
    /// Open ones by severity (major, minor); sums to `open`.
    pub by_severity: Vec<SeverityCount>,
    /// Open ones by their state at `T`, every open state listed in
    /// lifecycle order; sums to `open`.
    pub by_state: Vec<StateCount>,
}

/// An age bucket of open nonconformities.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgeBucket {
    /// 0 to 30 whole days old.
    Days0To30,
    /// 31 to 90 whole days old.
    Days31To90,
    /// 91 to 180 whole days old.
    Days91To180,
    /// More than 180 whole days old.
    Over180Days,
}

impl AgeBucket {
    /// Every bucket, youngest first.
    pub const ALL: [AgeBucket; 4] = [
        AgeBucket::Days0To30,
        AgeBucket::Days31To90,
        AgeBucket::Days91To180,
        AgeBucket::Over180Days,
    ];

    /// The bucket of an age in whole days.
    pub fn of(age_days: i64) -> Self {
        match age_days {
            ..=30 => AgeBucket::Days0To30,
            31..=90 => AgeBucket::Days31To90,
            91..=180 => AgeBucket::Days91To180,
            _ => AgeBucket::Over180Days,
        }
    }
}

/// A count for one age bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AgeBucketCount {
    /// The bucket.
    pub bucket: AgeBucket,
    /// How many open nonconformities fall in it.
    pub count: u64,
}

/// `ageing`: open nonconformities at `T` by age.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Ageing {
    /// Open nonconformities at `T` (the population).
    pub open: u64,
    /// By age bucket, youngest first; sums to `open`.
    pub buckets: Vec<AgeBucketCount>,
    /// Open for more than 90 whole days (the last two buckets).
    pub older_than_90_days: u64,
}

/// Summary of a set of durations, in (fractional) days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DurationStats {
    /// How many durations (the population).
    pub count: u64,
    /// Arithmetic mean; `None` without data.
    pub mean_days: Option<f64>,
    /// Median (50th percentile, linear interpolation); `None` without data.
    pub median_days: Option<f64>,
    /// 90th percentile (linear interpolation); `None` without data.
    pub p90_days: Option<f64>,
}

/// `overdue_actions` and `overdue_action_rate`: open actions at `T`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OverdueActions {
    /// Actions planned at or before `T`, neither done nor cancelled at `T`.
    pub open: u64,
    /// Of these, due (as of `T`) before `T`'s date.
    pub overdue: u64,
}

/// `on_time_action_completion_rate`: actions completed in the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ActionTimeliness {
    /// Actions completed in the window (the population).
    pub completed: u64,
    /// Completed on or before their original due date.
    pub on_time_original: u64,
    /// Completed on or before the due date in force at `T`.
    pub on_time_current: u64,
    /// Rescheduled at least once (at or before `T`).
    pub rescheduled: u64,
    /// `on_time_original / completed`; `None` without data.
    pub on_time_original_rate: Option<f64>,
    /// `on_time_current / completed`; `None` without data.
    pub on_time_current_rate: Option<f64>,
}

/// `effectiveness_rate`: first-time-right.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FirstTimeRight {
    /// Nonconformities whose first effectiveness conclusion fell in the window.
    pub concluded: u64,
    /// Of these, concluded effective at that first conclusion.
    pub effective: u64,
}

/// `repeat_nonconformity_rate`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Recurrences {
    /// Nonconformities reported in the window (the population).
    pub reported: u64,
    /// Of these, linked as a recurrence of an earlier one at or before `T`.
    pub recurrences: u64,
}

/// `overdue_verifications`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OverdueVerifications {
    /// Open nonconformities with a verification plan in force at `T` for an
    /// attempt not yet concluded.
    pub nonconformities: u64,
    /// Checks of those plans dated before `T`'s date (the population).
    pub checks_due: u64,
    /// Of these, without a result, or a record that the check was missed,
    /// at `T`.
    pub overdue: u64,
}

/// One row of the root-cause Pareto.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ParetoRow {
    /// The category.
    pub category: RootCauseCategory,
    /// Root causes of this category.
    pub count: u64,
    /// `count / total`.
    pub share: f64,
    /// Sum of the shares of this row and every row above it.
    pub cumulative_share: f64,
}

/// `root_cause_pareto`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RootCausePareto {
    /// Root causes recorded in the window (the population).
    pub causes: u64,
    /// Categories with at least one cause, by count descending (ties in
    /// category declaration order).
    pub rows: Vec<ParetoRow>,
}

/// A count for one requirement reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementCount {
    /// The reference, canonical text (`iso27001:2022/A.8.13`).
    pub requirement: String,
    /// Nonconformities that breach it.
    pub count: u64,
}

/// The same counts projected onto another framework.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectedCounts {
    /// The framework projected onto (as given, e.g. `nis2`).
    pub framework: String,
    /// Per item of that framework: nonconformities with at least one
    /// requirement that maps to it (each counted once per item).
    pub rows: Vec<RequirementCount>,
    /// Nonconformities none of whose requirements maps onto the framework.
    pub unmapped: u64,
}

/// `by_requirement`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequirementCounts {
    /// Nonconformities reported in the window (the population).
    pub nonconformities: u64,
    /// Per requirement reference, count descending then reference
    /// ascending. A nonconformity counts once for each of its references.
    pub rows: Vec<RequirementCount>,
    /// The projection, when one was asked for.
    pub projection: Option<ProjectedCounts>,
}

/// One calendar month of the backlog trend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BacklogMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Reported in the month (within the window, at or before `T`).
    pub opened: u64,
    /// Closed in the month (within the window, at or before `T`).
    pub closed: u64,
    /// Rejected in the month (within the window, at or before `T`).
    pub rejected: u64,
    /// Open at the end of the month, or at `T` for the month holding `T`.
    pub open_at_end: u64,
}

/// `backlog_trend`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BacklogTrend {
    /// Every calendar month from the one holding `T - W` to the one holding `T`.
    pub months: Vec<BacklogMonth>,
}

/// `improvements_realised` and `improvement_cycle_time` (10.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Improvements {
    /// Improvements proposed at or before `T`.
    pub proposed_to_date: u64,
    /// Improvements proposed in the window.
    pub proposed: u64,
    /// Improvements realised in the window.
    pub realised: u64,
    /// From proposal to realisation, for those realised in the window.
    pub cycle_time: DurationStats,
}

/// The quantiles `q = num/den` of `v`, given in ascending order, by linear
/// interpolation between the closest ranks (Hyndman and Fan type 7, the
/// default of numpy and pandas): with the values sorted ascending as
/// `x[0..n]`, `h = (n - 1) q`, and the result
/// `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`, in days.
/// Exact rational arithmetic for `h`; `v` is reordered. Each selection
/// after the first searches only the values at or above the previous
/// rank (a selection leaves them to its right).
fn quantiles<const K: usize>(v: &mut [i64], qs: [(usize, usize); K]) -> [Option<f64>; K] {
    let n = v.len();
    let mut out = [None; K];
    if n == 0 {
        return out;
    }
    let mut base = 0;
    for (slot, (num, den)) in out.iter_mut().zip(qs) {
        let h_num = (n - 1) * num;
        let lo = (h_num / den).max(base);
        let frac = (h_num % den) as f64 / den as f64;
        let (_, x_lo, right) = v[base..].select_nth_unstable(lo - base);
        let x_lo = *x_lo;
        let x_hi = if frac > 0.0 {
            right.iter().copied().min().unwrap_or(x_lo)
        } else {
            x_lo
        };
        *slot = Some((x_lo as f64 + frac * (x_hi - x_lo) as f64) / NS_PER_DAY as f64);
        base = lo;
    }
    out
}

/// Mean, median and 90th percentile of durations in nanoseconds.
pub(crate) fn duration_stats(v: &mut [i64]) -> DurationStats {
    let count = v.len() as u64;
    if v.is_empty() {
        return DurationStats {
            count,
            mean_days: None,
            median_days: None,
            p90_days: None,
        };
    }
    // An integer sum: the mean does not depend on the order of the values.
    let sum: i128 = v.iter().map(|&x| i128::from(x)).sum();
    let mean = sum as f64 / v.len() as f64 / NS_PER_DAY as f64;
    let [median_days, p90_days] = quantiles(v, [(1, 2), (9, 10)]);
    DurationStats {
        count,
        mean_days: Some(mean),
        median_days,
        p90_days,
    }
}

/// The first instant of month `m` of year `y` on the calendar of `zone`.
fn month_start(zone: IanaTimeZone, y: i32, m: u32) -> Option<DateTime<Utc>> {
    zone.start_of(chrono::NaiveDate::from_ymd_opt(y, m, 1)?)
}

fn next_month(y: i32, m: u32) -> (i32, u32) {
    if m == 12 { (y + 1, 1) } else { (y, m + 1) }
}

/// One nonconformity as a walk over the register meets it (see
/// [`NcPass`]): its index, report and end instants, and its state at `T`
/// when it is open at `T` and a pass of the walk asked for it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Nc {
    pub(crate) i: usize,
    pub(crate) reported: i64,
    pub(crate) ended: i64,
    /// `Some` exactly when the item is open at `T` (reported at or before
    /// it, not ended) and `NEEDS_STATE` is set.
    pub(crate) state: Option<u8>,
}

impl Nc {
    /// Open at `T`: reported at or before it and not ended.
    #[inline]
    fn open(&self, t: i64) -> bool {
        self.reported <= t && self.ended > t
    }
}

/// A KPI's per-nonconformity part: it visits every nonconformity once, in
/// register order, and keeps what it counts. Each KPI method runs its own
/// pass alone; [`KpiView::report`] runs all of them together in one walk,
/// so that the columns every KPI reads (report and end instants, the state
/// at `T`) are read and worked out once. The two give the same numbers by
/// construction: they are the same code.
pub(crate) trait NcPass {
    /// Whether the walk should work out the state at `T` of open items.
    const NEEDS_STATE: bool = false;
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc);
}

/// A pass that can run over contiguous chunks of the index range on
/// separate threads and be put back together: walking `0..n` is the same
/// as walking `0..k` with a pass and `k..n` with its fork, then merging the
/// fork into it. [`KpiView::report`] relies on it to use the machine's
/// cores with results identical, bit for bit, to one walk.
pub(crate) trait Split: Sized {
    /// An empty pass with the same configuration (the window's months, the
    /// projection's targets): what `self` was before its walk.
    fn fork(&self) -> Self;
    /// Adds what `later` counted over the chunk that follows `self`'s, so
    /// that anything kept in walk order (durations) stays in walk order.
    fn merge(&mut self, later: Self);
}

/// Chunk `k` of `0..len` cut into `parts` contiguous chunks whose lengths
/// differ by one at most (the first `len % parts` are the longer ones);
/// chunks are empty when `parts > len` leaves nothing for them.
pub(crate) fn chunk(len: usize, parts: usize, k: usize) -> Range<usize> {
    let parts = parts.max(1);
    let (size, longer) = (len / parts, len % parts);
    let start = k * size + k.min(longer);
    start..start + size + usize::from(k < longer)
}

/// Chunks per thread in [`fork_join`]. Threads take chunks one at a time
/// as they finish the last, so that one that drew cheap items (old, settled
/// nonconformities) takes more of them while another works through costly
/// ones (open or active in the window, at the register's end): with one
/// chunk per thread, the last thread took twice as long as the first over
/// the benchmark's register.
const CHUNKS_PER_THREAD: usize = 8;

/// Runs `work(fork, k, parts)` for each chunk `k` in `0..parts` on
/// `threads` threads (the calling one and `threads - 1` spawned), each
/// chunk with a fresh fork of `pass`, then merges the forks into `pass` in
/// chunk order. With one thread, nothing is spawned and `work(pass, 0, 1)`
/// walks everything. A thread the system refuses to start is not an
/// error: the others take its chunks.
///
/// A chunk's pass lives on the stack of the thread walking it until the
/// chunk is done: passes side by side in one vector would put counters
/// that two threads bump on every item in the same cache line.
pub(crate) fn fork_join<P, F>(pass: &mut P, threads: usize, work: F)
where
    P: Split + Send + Sync,
    F: Fn(&mut P, usize, usize) + Sync,
{
    if threads <= 1 {
        work(pass, 0, 1);
        return;
    }
    let parts = threads * CHUNKS_PER_THREAD;
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<P>>> = Mutex::new((0..parts).map(|_| None).collect());
    let template = &*pass;
    let drain = || {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= parts {
                break;
            }
            let mut part = template.fork();
            work(&mut part, k, parts);
            done.lock().unwrap_or_else(PoisonError::into_inner)[k] = Some(part);
        }
    };
    std::thread::scope(|scope| {
        for k in 1..threads {
            // A refused thread leaves its chunks to the others.
            let _ = std::thread::Builder::new()
                .name(format!("isms-kpi-{k}"))
                .spawn_scoped(scope, drain);
        }
        drain();
    });
    // Every chunk was walked: the scope joined every thread, and a panic
    // in one would have propagated out of it.
    let done = done.into_inner().unwrap_or_else(PoisonError::into_inner);
    debug_assert!(done.iter().all(Option::is_some));
    for part in done.into_iter().flatten() {
        pass.merge(part);
    }
}

/// Adds `later` to `into` element by element (arrays of per-bucket counts).
fn add_each<T: Copy + std::ops::AddAssign>(into: &mut [T], later: &[T]) {
    for (x, y) in into.iter_mut().zip(later) {
        *x += *y;
    }
}

/// `NcPass` and `Split` for a tuple of passes: each type parameter is
/// named with the binding of the later half's member in `merge`.
macro_rules! tuple_pass {
    ($($p:ident $later:ident),+) => {
        impl<$($p: NcPass),+> NcPass for ($($p,)+) {
            const NEEDS_STATE: bool = $($p::NEEDS_STATE)||+;
            #[inline(always)]
            #[allow(non_snake_case)]
            fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
                let ($($p,)+) = self;
                $($p.visit(v, w, nc);)+
            }
        }

        impl<$($p: Split),+> Split for ($($p,)+) {
            #[allow(non_snake_case)]
            fn fork(&self) -> Self {
                let ($($p,)+) = self;
                ($($p.fork(),)+)
            }

            #[allow(non_snake_case)]
            fn merge(&mut self, later: Self) {
                let ($($p,)+) = self;
                let ($($later,)+) = later;
                $($p.merge($later);)+
            }
        }
    };
}
tuple_pass!(A a);
tuple_pass!(A a, B b);
tuple_pass!(A a, B b, C c, D d, E e, F f, G g, H h, I i);

/// `open_nonconformities`, one item at a time.
#[derive(Default)]
pub(crate) struct OpenPass {
    reported: u64,
    by_severity: [u64; 2],
    by_state: [u64; STATE_COUNT],
}

impl NcPass for OpenPass {
    const NEEDS_STATE: bool = true;
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        if nc.reported > w.t {
            return;
        }
        self.reported += 1;
        if nc.ended <= w.t {
            return;
        }
        self.by_severity[v.severity[nc.i] as usize & 1] += 1;
        if let Some(s) = nc.state {
            self.by_state[s as usize % STATE_COUNT] += 1;
        }
    }
}

impl Split for OpenPass {
    fn fork(&self) -> Self {
        Self::default()
    }

    fn merge(&mut self, later: Self) {
        let Self {
            reported,
            by_severity,
            by_state,
        } = later;
        self.reported += reported;
        add_each(&mut self.by_severity, &by_severity);
        add_each(&mut self.by_state, &by_state);
    }
}

impl OpenPass {
    pub(crate) fn finish(self) -> OpenNonconformities {
        OpenNonconformities {
            reported: self.reported,
            open: self.by_severity.iter().sum(),
            by_severity: Severity::ALL
                .iter()
                .zip(self.by_severity)
                .map(|(s, count)| SeverityCount {
                    severity: *s,
                    count,
                })
                .collect(),
            by_state: NcState::ALL
                .iter()
                .zip(self.by_state)
                .filter(|(s, _)| !s.is_terminal())
                .map(|(s, count)| StateCount { state: *s, count })
                .collect(),
        }
    }
}

/// `ageing`, one item at a time.
#[derive(Default)]
pub(crate) struct AgeingPass {
    buckets: [u64; 4],
}

impl NcPass for AgeingPass {
    #[inline(always)]
    fn visit(&mut self, _: &KpiView, w: &Window, nc: &Nc) {
        if !nc.open(w.t) {
            return;
        }
        let age = (w.t - nc.reported) / NS_PER_DAY;
        let b = match age {
            ..=30 => 0,
            31..=90 => 1,
            91..=180 => 2,
            _ => 3,
        };
        self.buckets[b] += 1;
    }
}

impl Split for AgeingPass {
    fn fork(&self) -> Self {
        Self::default()
    }

    fn merge(&mut self, later: Self) {
        add_each(&mut self.buckets, &later.buckets);
    }
}

impl AgeingPass {
    pub(crate) fn finish(self) -> Ageing {
        Ageing {
            open: self.buckets.iter().sum(),
            older_than_90_days: self.buckets[2] + self.buckets[3],
            buckets: AgeBucket::ALL
                .iter()
                .zip(self.buckets)
                .map(|(b, count)| AgeBucketCount { bucket: *b, count })
                .collect(),
        }
    }
}

/// Which instant a [`DurationPass`] measures to from the report.
#[derive(Clone, Copy)]
pub(crate) enum DurationEnd {
    Contained,
    Closed,
}

/// `time_to_contain` or `time_to_close`: the durations from report to an
/// instant that fell in the window.
pub(crate) struct DurationPass {
    end: DurationEnd,
    durations: Vec<i64>,
}

impl DurationPass {
    pub(crate) fn new(end: DurationEnd) -> Self {
        Self {
            end,
            durations: Vec::new(),
        }
    }

    pub(crate) fn finish(mut self) -> DurationStats {
        duration_stats(&mut self.durations)
    }
}

impl Split for DurationPass {
    fn fork(&self) -> Self {
        Self::new(self.end)
    }

    /// Appends `later`'s durations: they stay in walk order (the
    /// statistics do not depend on it, but nothing is left to chance).
    fn merge(&mut self, mut later: Self) {
        self.durations.append(&mut later.durations);
    }
}

impl NcPass for DurationPass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        let end = match self.end {
            DurationEnd::Contained => v.contained[nc.i],
            DurationEnd::Closed => v.closed[nc.i],
        };
        if w.contains(end) {
            self.durations.push(end.saturating_sub(nc.reported));
        }
    }
}

/// `effectiveness_rate` (first-time-right), one item at a time.
#[derive(Default)]
pub(crate) struct FirstTimeRightPass(FirstTimeRight);

impl NcPass for FirstTimeRightPass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        if w.contains(v.first_conclusion[nc.i]) {
            self.0.concluded += 1;
            self.0.effective += u64::from(v.first_effective[nc.i]);
        }
    }
}

impl Split for FirstTimeRightPass {
    fn fork(&self) -> Self {
        Self::default()
    }

    fn merge(&mut self, later: Self) {
        let FirstTimeRight {
            concluded,
            effective,
        } = later.0;
        self.0.concluded += concluded;
        self.0.effective += effective;
    }
}

impl FirstTimeRightPass {
    pub(crate) fn finish(self) -> FirstTimeRight {
        self.0
    }
}

/// `repeat_nonconformity_rate`, one item at a time.
#[derive(Default)]
pub(crate) struct RecurrencePass(Recurrences);

impl NcPass for RecurrencePass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        if w.contains(nc.reported) {
            self.0.reported += 1;
            self.0.recurrences += u64::from(v.recurrence_linked[nc.i] <= w.t);
        }
    }
}

impl Split for RecurrencePass {
    fn fork(&self) -> Self {
        Self::default()
    }

    fn merge(&mut self, later: Self) {
        let Recurrences {
            reported,
            recurrences,
        } = later.0;
        self.0.reported += reported;
        self.0.recurrences += recurrences;
    }
}

impl RecurrencePass {
    pub(crate) fn finish(self) -> Recurrences {
        self.0
    }
}

/// `overdue_verifications`, one item at a time.
#[derive(Default)]
pub(crate) struct OverdueVerificationPass(OverdueVerifications);

impl NcPass for OverdueVerificationPass {
    const NEEDS_STATE: bool = true;
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        // A plan is in force only in an open state; the walk gave it.
        let Some(p) = v.plan_in_force_in(nc.i, w.t, nc.state) else {
            return;
        };
        let r = &mut self.0;
        r.nonconformities += 1;
        for c in v.check_start[p] as usize..v.check_start[p + 1] as usize {
            if v.check_due[c] < w.today {
                r.checks_due += 1;
                r.overdue += u64::from(v.check_result[c] > w.t);
            }
        }
    }
}

impl Split for OverdueVerificationPass {
    fn fork(&self) -> Self {
        Self::default()
    }

    fn merge(&mut self, later: Self) {
        let OverdueVerifications {
            nonconformities,
            checks_due,
            overdue,
        } = later.0;
        self.0.nonconformities += nonconformities;
        self.0.checks_due += checks_due;
        self.0.overdue += overdue;
    }
}

impl OverdueVerificationPass {
    pub(crate) fn finish(self) -> OverdueVerifications {
        self.0
    }
}

/// `by_requirement`, one item at a time, with the projection's targets of
/// each interned requirement worked out before the walk (and shared by the
/// forks of the pass).
pub(crate) struct RequirementPass {
    counts: Vec<u64>,
    target_names: Arc<Vec<RequirementRef>>,
    targets: Arc<Vec<Vec<u32>>>,
    projected: Vec<u64>,
    stamp: Vec<u32>,
    unmapped: u64,
    nonconformities: u64,
    framework: Option<String>,
}

impl RequirementPass {
    pub(crate) fn new(v: &KpiView, projection: Option<(&dyn RequirementProjection, &str)>) -> Self {
        // Targets of each interned reference, interned in turn.
        let mut target_names: Vec<RequirementRef> = Vec::new();
        let mut targets: Vec<Vec<u32>> = Vec::new();
        if let Some((p, framework)) = projection {
            let mut index = std::collections::HashMap::new();
            for r in &v.requirements {
                let mut ids: Vec<u32> = p
                    .project(r, framework)
                    .into_iter()
                    .map(|x| {
                        *index.entry(x.clone()).or_insert_with(|| {
                            target_names.push(x);
                            (target_names.len() - 1) as u32
                        })
                    })
                    .collect();
                ids.sort_unstable();
                ids.dedup();
                targets.push(ids);
            }
        }
        Self {
            counts: vec![0u64; v.requirements.len()],
            projected: vec![0u64; target_names.len()],
            stamp: vec![u32::MAX; target_names.len()],
            target_names: Arc::new(target_names),
            targets: Arc::new(targets),
            unmapped: 0,
            nonconformities: 0,
            framework: projection.map(|(_, framework)| framework.to_owned()),
        }
    }

    pub(crate) fn finish(self, v: &KpiView) -> RequirementCounts {
        let rows = |names: &[RequirementRef], counts: &[u64]| {
            let mut rows: Vec<RequirementCount> = names
                .iter()
                .zip(counts)
                .filter(|(_, c)| **c > 0)
                .map(|(r, c)| RequirementCount {
                    requirement: r.to_string(),
                    count: *c,
                })
                .collect();
            rows.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| a.requirement.cmp(&b.requirement))
            });
            rows
        };
        RequirementCounts {
            nonconformities: self.nonconformities,
            rows: rows(&v.requirements, &self.counts),
            projection: self.framework.map(|framework| ProjectedCounts {
                framework,
                rows: rows(&self.target_names, &self.projected),
                unmapped: self.unmapped,
            }),
        }
    }
}

/// Per chunk, `stamp` starts afresh: it holds the index of the last item
/// that counted each target, and an item lies in one chunk only, so an item
/// still counts once per target; the counts then add up.
impl Split for RequirementPass {
    fn fork(&self) -> Self {
        Self {
            counts: vec![0; self.counts.len()],
            target_names: Arc::clone(&self.target_names),
            targets: Arc::clone(&self.targets),
            projected: vec![0; self.projected.len()],
            stamp: vec![u32::MAX; self.stamp.len()],
            unmapped: 0,
            nonconformities: 0,
            framework: self.framework.clone(),
        }
    }

    fn merge(&mut self, later: Self) {
        add_each(&mut self.counts, &later.counts);
        add_each(&mut self.projected, &later.projected);
        self.unmapped += later.unmapped;
        self.nonconformities += later.nonconformities;
    }
}

impl NcPass for RequirementPass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        if !w.contains(nc.reported) {
            return;
        }
        let i = nc.i;
        self.nonconformities += 1;
        let reqs = &v.req_ids[v.req_start[i] as usize..v.req_start[i + 1] as usize];
        let mut mapped = false;
        for &r in reqs {
            self.counts[r as usize] += 1;
            if let Some(ts) = self.targets.get(r as usize) {
                for &x in ts {
                    mapped = true;
                    if self.stamp[x as usize] != i as u32 {
                        self.stamp[x as usize] = i as u32;
                        self.projected[x as usize] += 1;
                    }
                }
            }
        }
        self.unmapped += u64::from(!mapped);
    }
}

/// `backlog_trend`, one item at a time: the calendar months of the window,
/// and per month the items opened, closed and rejected in it and a
/// difference array of the items open at its end.
pub(crate) struct BacklogPass {
    labels: Arc<Vec<String>>,
    months: Arc<MonthIndex>,
    opened: Vec<u64>,
    closed: Vec<u64>,
    rejected: Vec<u64>,
    diff: Vec<i64>,
}

impl BacklogPass {
    pub(crate) fn new(w: &Window) -> Self {
        let first = w.zone.date_of(w.start());
        let last = w.zone.date_of(w.as_of());
        let (mut y, mut m) = (first.year(), first.month());
        let mut labels = Vec::new();
        // Start of each month, then the end bound X_m = min(next start - 1 ns, T).
        let mut starts = Vec::new();
        let mut ends = Vec::new();
        while (y, m) <= (last.year(), last.month()) {
            let (ny, nm) = next_month(y, m);
            let (Some(s), Some(e)) = (month_start(w.zone, y, m), month_start(w.zone, ny, nm))
            else {
                break;
            };
            labels.push(format!("{y:04}-{m:02}"));
            starts.push(ns(s));
            ends.push((ns(e) - 1).min(w.t));
            (y, m) = (ny, nm);
        }
        let n = labels.len();
        Self {
            labels: Arc::new(labels),
            months: Arc::new(MonthIndex::new(starts.first().copied(), ends, w.t)),
            opened: vec![0; n],
            closed: vec![0; n],
            rejected: vec![0; n],
            diff: vec![0; n + 1],
        }
    }

    pub(crate) fn finish(self) -> BacklogTrend {
        let mut open = 0i64;
        let (opened, closed, rejected, diff) = (self.opened, self.closed, self.rejected, self.diff);
        let months = self
            .labels
            .iter()
            .enumerate()
            .map(|(k, month)| {
                open += diff[k];
                BacklogMonth {
                    month: month.clone(),
                    opened: opened[k],
                    closed: closed[k],
                    rejected: rejected[k],
                    open_at_end: open.max(0) as u64,
                }
            })
            .collect();
        BacklogTrend { months }
    }
}

impl Split for BacklogPass {
    fn fork(&self) -> Self {
        let n = self.labels.len();
        Self {
            labels: Arc::clone(&self.labels),
            months: Arc::clone(&self.months),
            opened: vec![0; n],
            closed: vec![0; n],
            rejected: vec![0; n],
            diff: vec![0; n + 1],
        }
    }

    fn merge(&mut self, later: Self) {
        add_each(&mut self.opened, &later.opened);
        add_each(&mut self.closed, &later.closed);
        add_each(&mut self.rejected, &later.rejected);
        add_each(&mut self.diff, &later.diff);
    }
}

impl NcPass for BacklogPass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, nc: &Nc) {
        let Some(trend_start) = self.months.start else {
            return;
        };
        let (r, e) = (nc.reported, nc.ended);
        if r > w.t || e < trend_start {
            return;
        }
        let months = self.labels.len();
        let month_of = |x: i64| self.months.first_end_at_or_after(x).min(months - 1);
        if w.contains(r) {
            self.opened[month_of(r)] += 1;
        }
        let c = v.closed[nc.i];
        if w.contains(c) {
            self.closed[month_of(c)] += 1;
        }
        let j = v.rejected[nc.i];
        if w.contains(j) {
            self.rejected[month_of(j)] += 1;
        }
        // Open at the end of month k when reported <= X_k < ended.
        let from = self.months.first_end_at_or_after(r);
        let to = if e == NEVER {
            months
        } else {
            self.months.first_end_at_or_after(e)
        };
        if from < to {
            self.diff[from] += 1;
            self.diff[to] -= 1;
        }
    }
}

/// The month of an instant among the backlog trend's months, found with a
/// table of days instead of a search per instant: `ends[k]` is the last
/// nanosecond of month `k` (the last one cut at `T`), and
/// `first_end_at_or_after(x)` is the first `k` with `ends[k] >= x`
/// (`ends.len()` if none).
///
/// `day_first[d]` holds that answer for the first nanosecond of UTC day
/// `d` (counted from the UTC day holding the first month's start). A month
/// starts at a local midnight, so a UTC day holds at most one month end,
/// and the answer for any `x` of day `d` is `day_first[d]` or the next.
struct MonthIndex {
    start: Option<i64>,
    base: i64,
    t: i64,
    ends: Vec<i64>,
    day_first: Vec<u32>,
}

impl MonthIndex {
    fn new(start: Option<i64>, ends: Vec<i64>, t: i64) -> Self {
        let base = start.map_or(0, |s| s.div_euclid(NS_PER_DAY) * NS_PER_DAY);
        let mut day_first = Vec::new();
        if start.is_some() && t >= base {
            let days = (t - base) / NS_PER_DAY + 1;
            let mut k = 0usize;
            for d in 0..days {
                let day_start = base + d * NS_PER_DAY;
                while k < ends.len() && ends[k] < day_start {
                    k += 1;
                }
                day_first.push(k as u32);
            }
        }
        Self {
            start,
            base,
            t,
            ends,
            day_first,
        }
    }

    #[inline(always)]
    fn first_end_at_or_after(&self, x: i64) -> usize {
        if x > self.t {
            // The last end is `T` itself.
            return self.ends.partition_point(|&e| e < x);
        }
        if x < self.base {
            return 0;
        }
        let d = ((x - self.base) / NS_PER_DAY) as usize;
        let Some(&k) = self.day_first.get(d) else {
            return self.ends.partition_point(|&e| e < x);
        };
        let k = k as usize;
        if k < self.ends.len() && self.ends[k] < x {
            k + 1
        } else {
            k
        }
    }
}

/// A KPI's per-action part, as [`NcPass`] is per nonconformity.
pub(crate) trait ActionPass {
    fn visit(&mut self, v: &KpiView, w: &Window, a: usize);
}

impl<A: ActionPass, B: ActionPass> ActionPass for (A, B) {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, a: usize) {
        self.0.visit(v, w, a);
        self.1.visit(v, w, a);
    }
}

/// `overdue_actions` / `overdue_action_rate`, one action at a time.
#[derive(Default)]
pub(crate) struct OverdueActionPass(pub(crate) OverdueActions);

impl ActionPass for OverdueActionPass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, a: usize) {
        if v.action_planned[a] > w.t || v.action_finished[a] <= w.t {
            return;
        }
        self.0.open += 1;
        if v.due_at(a, w.t) < w.today {
            self.0.overdue += 1;
        }
    }
}

impl Split for OverdueActionPass {
    fn fork(&self) -> Self {
        Self::default()
    }

    fn merge(&mut self, later: Self) {
        let OverdueActions { open, overdue } = later.0;
        self.0.open += open;
        self.0.overdue += overdue;
    }
}

/// `on_time_action_completion_rate`, one action at a time.
#[derive(Default)]
pub(crate) struct TimelinessPass(ActionTimeliness);

impl ActionPass for TimelinessPass {
    #[inline(always)]
    fn visit(&mut self, v: &KpiView, w: &Window, a: usize) {
        let done = v.action_done[a];
        if !w.contains(done) {
            return;
        }
        let day = w.day_of(done);
        let r = &mut self.0;
        r.completed += 1;
        r.on_time_original += u64::from(day <= v.action_original_due[a]);
        r.on_time_current += u64::from(day <= v.due_at(a, w.t));
        r.rescheduled += u64::from(v.action_first_resched[a] <= w.t);
    }
}

impl Split for TimelinessPass {
    fn fork(&self) -> Self {
        Self::default()
    }

    /// The rates are left to [`TimelinessPass::finish`], after the merge.
    fn merge(&mut self, later: Self) {
        let ActionTimeliness {
            completed,
            on_time_original,
            on_time_current,
            rescheduled,
            on_time_original_rate: _,
            on_time_current_rate: _,
        } = later.0;
        let r = &mut self.0;
        r.completed += completed;
        r.on_time_original += on_time_original;
        r.on_time_current += on_time_current;
        r.rescheduled += rescheduled;
    }
}

impl TimelinessPass {
    pub(crate) fn finish(self) -> ActionTimeliness {
        let mut r = self.0;
        if r.completed > 0 {
            r.on_time_original_rate = Some(r.on_time_original as f64 / r.completed as f64);
            r.on_time_current_rate = Some(r.on_time_current as f64 / r.completed as f64);
        }
        r
    }
}

impl KpiView {
    /// Visits every nonconformity once with `pass`, working out the state
    /// at `T` of each open one if the pass needs it.
    pub(crate) fn walk<P: NcPass>(&self, w: &Window, pass: &mut P) {
        self.walk_range(w, pass, 0..self.reported.len());
    }

    /// [`Self::walk`] over the nonconformities `range` only, in order.
    pub(crate) fn walk_range<P: NcPass>(&self, w: &Window, pass: &mut P, range: Range<usize>) {
        let t = w.t;
        for i in range {
            let reported = self.reported[i];
            let ended = self.ended[i];
            let state = if P::NEEDS_STATE && reported <= t && ended > t {
                self.state_at(i, t)
            } else {
                None
            };
            pass.visit(
                self,
                w,
                &Nc {
                    i,
                    reported,
                    ended,
                    state,
                },
            );
        }
    }

    fn run<P: NcPass>(&self, w: &Window, mut pass: P) -> P {
        self.walk(w, &mut pass);
        pass
    }

    /// `open_nonconformities` as of the window's `T`.
    pub fn open_nonconformities(&self, w: &Window) -> OpenNonconformities {
        self.run(w, OpenPass::default()).finish()
    }

    /// `ageing` as of the window's `T`. Age in whole days is
    /// `floor((T - reported_at) / 86 400 s)`.
    pub fn ageing(&self, w: &Window) -> Ageing {
        self.run(w, AgeingPass::default()).finish()
    }

    /// `time_to_contain`: from report to the first correction, for
    /// nonconformities whose first correction fell in the window.
    pub fn time_to_contain(&self, w: &Window) -> DurationStats {
        self.run(w, DurationPass::new(DurationEnd::Contained))
            .finish()
    }

    /// `time_to_close`: from report to closure, for nonconformities closed
    /// in the window.
    pub fn time_to_close(&self, w: &Window) -> DurationStats {
        self.run(w, DurationPass::new(DurationEnd::Closed)).finish()
    }

    /// Visits every corrective action once with `pass`.
    pub(crate) fn walk_actions<P: ActionPass>(&self, w: &Window, pass: &mut P) {
        self.walk_actions_range(w, pass, 0..self.action_planned.len());
    }

    /// [`Self::walk_actions`] over the actions `range` only, in order.
    pub(crate) fn walk_actions_range<P: ActionPass>(
        &self,
        w: &Window,
        pass: &mut P,
        range: Range<usize>,
    ) {
        for a in range {
            pass.visit(self, w, a);
        }
    }

    /// `overdue_actions` / `overdue_action_rate` as of the window's `T`.
    pub fn overdue_actions(&self, w: &Window) -> OverdueActions {
        let mut pass = OverdueActionPass::default();
        self.walk_actions(w, &mut pass);
        pass.0
    }

    /// `on_time_action_completion_rate`: actions completed in the window.
    pub fn action_timeliness(&self, w: &Window) -> ActionTimeliness {
        let mut pass = TimelinessPass::default();
        self.walk_actions(w, &mut pass);
        pass.finish()
    }

    /// `effectiveness_rate` (first-time-right).
    pub fn first_time_right(&self, w: &Window) -> FirstTimeRight {
        self.run(w, FirstTimeRightPass::default()).finish()
    }

    /// `repeat_nonconformity_rate`.
    pub fn recurrences(&self, w: &Window) -> Recurrences {
        self.run(w, RecurrencePass::default()).finish()
    }

    /// The verification plan in force at `t` for nonconformity `i`, if its
    /// state at `t` is analysed, actions planned or implemented (an attempt
    /// under way and not concluded: a conclusion moves it on) and the plan
    /// belongs to the attempt in force at `t`.
    fn plan_in_force(&self, i: usize, t: i64) -> Option<usize> {
        if self.plan_start[i] == self.plan_start[i + 1] {
            return None;
        }
        self.plan_in_force_in(i, t, self.state_at(i, t))
    }

    /// [`Self::plan_in_force`] with the state at `t` already known (`None`
    /// for an item not open at `t`: no plan is in force then).
    #[inline]
    pub(crate) fn plan_in_force_in(&self, i: usize, t: i64, state: Option<u8>) -> Option<usize> {
        const ANALYSED: u8 = 2;
        const IMPLEMENTED: u8 = 4;
        let (ps, pe) = (self.plan_start[i] as usize, self.plan_start[i + 1] as usize);
        if ps == pe {
            return None;
        }
        match state {
            Some(s) if (ANALYSED..=IMPLEMENTED).contains(&s) => {}
            _ => return None,
        }
        let (a_s, a_e) = (
            self.analysis_start[i] as usize,
            self.analysis_start[i + 1] as usize,
        );
        let attempt = self.analysis_at[a_s..a_e].partition_point(|&at| at <= t) as u32;
        let in_force = self.plan_at[ps..pe].partition_point(|&at| at <= t);
        if in_force == 0 {
            return None;
        }
        let p = ps + in_force - 1;
        (self.plan_attempt[p] == attempt).then_some(p)
    }

    /// `overdue_verifications` as of the window's `T`.
    pub fn overdue_verifications(&self, w: &Window) -> OverdueVerifications {
        self.run(w, OverdueVerificationPass::default()).finish()
    }

    /// The nonconformities open at the window's `T`, each with the facts
    /// that rank it for attention: severity, state and age at `T`, and its
    /// overdue corrective actions and effectiveness checks, counted exactly
    /// as `overdue_actions` and `overdue_verifications` count them. In
    /// register order; the items behind the `open_nonconformities` count.
    pub fn open_items(&self, w: &Window) -> Vec<OpenItem> {
        let (t, today) = (w.t, w.today);
        let mut out = Vec::new();
        for i in 0..self.reported.len() {
            let r = self.reported[i];
            if r > t || self.ended[i] <= t {
                continue;
            }
            let Some(state) = self.state_at(i, t) else {
                continue;
            };
            let mut item = OpenItem {
                index: i,
                severity: Severity::ALL[self.severity[i] as usize & 1],
                state: NcState::ALL[state as usize % STATE_COUNT],
                age_days: (t - r) / NS_PER_DAY,
                open_actions: 0,
                overdue_actions: 0,
                overdue_checks: 0,
                days_overdue: 0,
            };
            let actions = self.action_start[i] as usize..self.action_start[i + 1] as usize;
            for a in actions {
                if self.action_planned[a] > t || self.action_finished[a] <= t {
                    continue;
                }
                item.open_actions += 1;
                let due = self.due_at(a, t);
                if due < today {
                    item.overdue_actions += 1;
                    item.days_overdue = item.days_overdue.max(i64::from(today - due));
                }
            }
            if let Some(p) = self.plan_in_force(i, t) {
                for c in self.check_start[p] as usize..self.check_start[p + 1] as usize {
                    if self.check_due[c] < today && self.check_result[c] > t {
                        item.overdue_checks += 1;
                        item.days_overdue =
                            item.days_overdue.max(i64::from(today - self.check_due[c]));
                    }
                }
            }
            out.push(item);
        }
        out
    }

    /// `root_cause_pareto`: root causes recorded in the window.
    pub fn root_cause_pareto(&self, w: &Window) -> RootCausePareto {
        let mut counts = [0u64; RootCauseCategory::ALL.len()];
        for (at, cat) in self.cause_at.iter().zip(&self.cause_category) {
            if w.contains(*at) {
                counts[*cat as usize % counts.len()] += 1;
            }
        }
        let causes: u64 = counts.iter().sum();
        let mut order: Vec<usize> = (0..counts.len()).filter(|&c| counts[c] > 0).collect();
        order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(a.cmp(&b)));
        let mut cumulative = 0u64;
        let rows = order
            .into_iter()
            .map(|c| {
                cumulative += counts[c];
                ParetoRow {
                    category: RootCauseCategory::ALL[c],
                    count: counts[c],
                    share: counts[c] as f64 / causes as f64,
                    cumulative_share: cumulative as f64 / causes as f64,
                }
            })
            .collect();
        RootCausePareto { causes, rows }
    }

    /// `by_requirement`: nonconformities reported in the window per
    /// requirement, and, with a projection, per item of another framework.
    pub fn by_requirement(
        &self,
        w: &Window,
        projection: Option<(&dyn RequirementProjection, &str)>,
    ) -> RequirementCounts {
        self.run(w, RequirementPass::new(self, projection))
            .finish(self)
    }

    /// `backlog_trend`: per calendar month from the one holding `T - W` to
    /// the one holding `T`.
    pub fn backlog_trend(&self, w: &Window) -> BacklogTrend {
        self.run(w, BacklogPass::new(w)).finish()
    }

    /// `improvements_realised` and `improvement_cycle_time` (10.1).
    pub fn improvements(&self, w: &Window) -> Improvements {
        let mut proposed_to_date = 0u64;
        let mut proposed = 0u64;
        let mut cycle = Vec::new();
        for (p, r) in self
            .improvement_proposed
            .iter()
            .zip(&self.improvement_realised)
        {
            proposed_to_date += u64::from(*p <= w.t);
            proposed += u64::from(w.contains(*p));
            if w.contains(*r) {
                cycle.push(r.saturating_sub(*p));
            }
        }
        Improvements {
            proposed_to_date,
            proposed,
            realised: cycle.len() as u64,
            cycle_time: duration_stats(&mut cycle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn window(as_of_s: i64, days: u32, zone: &str) -> Window {
        let as_of = Utc.timestamp_opt(as_of_s, 0).unwrap();
        Window::new(as_of, days)
            .unwrap()
            .in_zone(zone.parse().unwrap())
    }

    /// The chunks tile `0..len` in order, whatever the number of parts,
    /// with lengths one apart at most.
    #[test]
    fn chunks_tile_the_range() {
        for len in 0..40 {
            for parts in 1..12 {
                let chunks: Vec<Range<usize>> = (0..parts).map(|k| chunk(len, parts, k)).collect();
                assert_eq!(chunks[0].start, 0);
                assert_eq!(chunks[parts - 1].end, len);
                for pair in chunks.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start, "{len} in {parts}");
                }
                let lens: Vec<usize> = chunks.iter().map(|c| c.len()).collect();
                let (min, max) = (lens.iter().min().unwrap(), lens.iter().max().unwrap());
                assert!(max - min <= 1, "{len} in {parts}: {lens:?}");
            }
        }
    }

    /// Which chunks a pass walked, in the order the merge put them.
    struct Walked(Vec<usize>);

    impl Split for Walked {
        fn fork(&self) -> Self {
            Walked(Vec::new())
        }

        fn merge(&mut self, mut later: Self) {
            self.0.append(&mut later.0);
        }
    }

    /// Every chunk is walked once, and the merge puts them back in order,
    /// whichever thread took which.
    #[test]
    fn fork_join_merges_every_chunk_in_order() {
        for threads in 1..=5 {
            let mut pass = Walked(Vec::new());
            let parts_seen = std::sync::Mutex::new(Vec::new());
            fork_join(&mut pass, threads, |p, k, parts| {
                p.0.push(k);
                parts_seen.lock().unwrap().push(parts);
            });
            let parts = parts_seen.lock().unwrap()[0];
            assert_eq!(pass.0, (0..parts).collect::<Vec<_>>(), "{threads} threads");
            assert!(parts >= threads);
        }
    }

    proptest! {
        /// The table lookup answers what a binary search over the month
        /// ends answers, for any instant, in zones with daylight saving
        /// time on either side of the date line and far from UTC.
        #[test]
        fn the_month_table_agrees_with_a_search(
            as_of_s in 1_500_000_000i64..2_000_000_000,
            days in 1u32..800,
            zone in prop::sample::select(vec![
                "UTC", "Pacific/Auckland", "Pacific/Kiritimati", "America/Los_Angeles",
                "Australia/Lord_Howe", "Pacific/Pago_Pago", "Europe/Dublin",
            ]),
            probes in prop::collection::vec(-100_000_000i64..2_100_000_000, 1..64),
        ) {
            let w = window(as_of_s, days, zone);
            let pass = BacklogPass::new(&w);
            let ends = &pass.months.ends;
            prop_assert!(!ends.is_empty());
            let mut xs: Vec<i64> = probes.iter().map(|s| s * 1_000_000_000).collect();
            // Every month end, and the nanoseconds either side of it.
            for e in ends {
                xs.extend([e - 1, *e, e + 1]);
            }
            xs.extend([w.t, w.t + 1, w.start, NEVER]);
            for x in xs {
                prop_assert_eq!(
                    pass.months.first_end_at_or_after(x),
                    ends.partition_point(|&e| e < x),
                    "x = {}", x
                );
            }
        }

        /// Quantiles from successive selections equal those read off a
        /// sorted copy.
        #[test]
        fn quantiles_match_a_sorted_copy(mut v in prop::collection::vec(-1_000i64..1_000, 0..200)) {
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let expect = |num: usize, den: usize| {
                if sorted.is_empty() {
                    return None;
                }
                let h = (sorted.len() - 1) * num;
                let (lo, frac) = (h / den, (h % den) as f64 / den as f64);
                let hi = sorted.get(lo + 1).copied().unwrap_or(sorted[lo]);
                Some((sorted[lo] as f64 + frac * (hi - sorted[lo]) as f64) / NS_PER_DAY as f64)
            };
            let got = quantiles(&mut v, [(1, 2), (9, 10), (99, 100)]);
            prop_assert_eq!(got, [expect(1, 2), expect(9, 10), expect(99, 100)]);
        }
    }
}
