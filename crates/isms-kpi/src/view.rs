//! The compact, columnar view of a register that every KPI runs over.
//!
//! Built once from a [`Register`]: instants become `i64` nanoseconds since
//! the Unix epoch, dates `i32` days since 1970-01-01, enums `u8`, and the
//! nested lists (history, analyses, plans, actions, reschedules) flat
//! vectors addressed through start offsets. A KPI is then a tight pass over
//! a few columns, filtering on `<= T` for as-of correctness.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, NaiveDate, Utc};
use isms_core::facts::{PlanFacts, ResultFacts};
use isms_core::{
    ActionStatus, Day, FactsError, ImprovementFacts, NcFacts, NcFactsVisitor, NcState, Register,
    RequirementRef, RootCauseCategory, Severity, Stamp, decode_nc,
};

/// "Never happened" (or "after any instant"): the largest nanosecond count.
pub(crate) const NEVER: i64 = i64::MAX;
/// "Before any instant".
pub(crate) const ALWAYS: i64 = i64::MIN;
/// Nanoseconds per day.
pub(crate) const NS_PER_DAY: i64 = 86_400_000_000_000;

/// Nanoseconds since the Unix epoch. Instants outside 1677-09-21 ..
/// 2262-04-11 (the `i64` nanosecond range) are clamped just inside it, so
/// that the sentinels stay distinct; a register with such dates is not a
/// realistic one, but it never panics.
pub(crate) fn ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt()
        .unwrap_or(if t.timestamp() < 0 {
            ALWAYS + 1
        } else {
            NEVER - 1
        })
        .clamp(ALWAYS + 1, NEVER - 1)
}

/// Days since 1970-01-01 of an instant in nanoseconds (UTC calendar date).
pub(crate) fn day_of(t_ns: i64) -> i32 {
    t_ns.div_euclid(NS_PER_DAY) as i32
}

/// Days since 1970-01-01 of a date.
pub(crate) fn day_number(d: NaiveDate) -> i32 {
    // 719_163 days from 0001-01-01 (CE day 1) to 1970-01-01.
    d.num_days_from_ce() - 719_163
}

use chrono::Datelike as _;

pub(crate) const STATE_COUNT: usize = NcState::ALL.len();

pub(crate) fn state_code(s: NcState) -> u8 {
    NcState::ALL.iter().position(|x| *x == s).unwrap_or(0) as u8
}

pub(crate) fn severity_code(s: Severity) -> u8 {
    match s {
        Severity::Major => 0,
        Severity::Minor => 1,
    }
}

/// A register laid out for KPI evaluation: built once with
/// [`KpiView::new`], then queried as of any instant with
/// [`KpiView::report`] or the single-KPI methods.
///
/// It holds no text besides the interned requirement references, so it is a
/// fraction of the register's size (about 0.4 KiB per nonconformity).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KpiView {
    // Nonconformities, in register order.
    pub(crate) reported: Vec<i64>,
    pub(crate) severity: Vec<u8>,
    pub(crate) closed: Vec<i64>,
    pub(crate) rejected: Vec<i64>,
    /// `min(closed, rejected)`: when it stopped being open.
    pub(crate) ended: Vec<i64>,
    pub(crate) contained: Vec<i64>,
    pub(crate) first_conclusion: Vec<i64>,
    pub(crate) first_effective: Vec<bool>,
    pub(crate) recurrence_linked: Vec<i64>,
    /// Time of the last state change; at or after it the state is `final_state`.
    pub(crate) settled: Vec<i64>,
    pub(crate) final_state: Vec<u8>,
    pub(crate) hist_start: Vec<u32>,
    pub(crate) hist_at: Vec<i64>,
    pub(crate) hist_state: Vec<u8>,
    pub(crate) req_start: Vec<u32>,
    pub(crate) req_ids: Vec<u32>,
    pub(crate) requirements: Vec<RequirementRef>,
    // Analyses per nonconformity, and their root causes flattened.
    pub(crate) analysis_start: Vec<u32>,
    pub(crate) analysis_at: Vec<i64>,
    pub(crate) cause_at: Vec<i64>,
    pub(crate) cause_category: Vec<u8>,
    // Verification plans per nonconformity, and their checks.
    pub(crate) plan_start: Vec<u32>,
    pub(crate) plan_at: Vec<i64>,
    pub(crate) plan_attempt: Vec<u32>,
    pub(crate) check_start: Vec<u32>,
    pub(crate) check_due: Vec<i32>,
    /// When the check's result, or its record as missed, was recorded
    /// (`NEVER` if neither, or if the plan was superseded before any result).
    pub(crate) check_result: Vec<i64>,
    // Corrective actions, in register order; those of nonconformity `i`
    // are `action_start[i]..action_start[i + 1]`.
    pub(crate) action_start: Vec<u32>,
    pub(crate) action_planned: Vec<i64>,
    pub(crate) action_done: Vec<i64>,
    pub(crate) action_finished: Vec<i64>,
    pub(crate) action_original_due: Vec<i32>,
    pub(crate) action_final_due: Vec<i32>,
    pub(crate) action_first_resched: Vec<i64>,
    pub(crate) action_last_resched: Vec<i64>,
    pub(crate) resched_start: Vec<u32>,
    pub(crate) resched_at: Vec<i64>,
    pub(crate) resched_to: Vec<i32>,
    // Improvements.
    pub(crate) improvement_proposed: Vec<i64>,
    pub(crate) improvement_realised: Vec<i64>,
    // Regulatory reporting clocks of every nonconformity, flattened.
    pub(crate) clocks: Vec<crate::reporting::ClockRow>,
}

/// [`ns`] of a facts stamp: integer arithmetic only, with the same clamping.
fn stamp_ns(t: Stamp) -> i64 {
    t.unix_nanos()
        .unwrap_or(if t.unix_seconds() < 0 {
            ALWAYS + 1
        } else {
            NEVER - 1
        })
        .clamp(ALWAYS + 1, NEVER - 1)
}

fn opt_stamp_ns(t: Option<Stamp>) -> i64 {
    t.map_or(NEVER, stamp_ns)
}

fn offset(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

/// Builds a [`KpiView`] one item at a time, from facts streamed out of a
/// store: nothing but the view itself is held.
///
/// ```
/// use isms_kpi::{KpiView, KpiViewBuilder};
///
/// let mut builder = KpiViewBuilder::default();
/// // for each row of the store's facts: builder.push_nonconformity(&facts);
/// let view: KpiView = builder.finish();
/// assert_eq!(view.nonconformity_count(), 0);
/// ```
#[derive(Debug, Default)]
pub struct KpiViewBuilder {
    view: KpiView,
    interned: HashMap<Box<str>, u32, BuildHasherDefault<Fnv>>,
    item: ItemScratch,
}

/// The nonconformity being added: its one-value columns (pushed when it is
/// complete), its plans and results (paired up at the end), and where its
/// rows start in the list columns (to take them back if its facts turn out
/// not to decode).
#[derive(Debug, Default)]
struct ItemScratch {
    reported: i64,
    severity: u8,
    state: u8,
    settled: i64,
    contained: i64,
    first_conclusion: i64,
    first_effective: bool,
    closed: i64,
    rejected: i64,
    recurrence_linked: i64,
    analysis_at: i64,
    plans: Vec<PlanFacts>,
    results: Vec<ResultFacts>,
    hist: usize,
    req: usize,
    interned: usize,
    analyses: usize,
    causes: usize,
    actions: usize,
    reschedules: usize,
    clocks: Vec<crate::reporting::ClockRow>,
}
/// FNV-1a: the interned references are a few hundred short, trusted
/// strings looked up once per requirement of every item, where SipHash's
/// protection against crafted keys buys nothing and costs a tenth of the
/// build.
#[derive(Clone, Copy, Debug)]
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

impl KpiViewBuilder {
    /// A builder with room for `nonconformities` items and `actions`
    /// corrective actions.
    pub fn with_capacity(nonconformities: usize, actions: usize) -> Self {
        let n = nonconformities;
        KpiViewBuilder {
            view: KpiView {
                reported: Vec::with_capacity(n),
                severity: Vec::with_capacity(n),
                closed: Vec::with_capacity(n),
                rejected: Vec::with_capacity(n),
                ended: Vec::with_capacity(n),
                contained: Vec::with_capacity(n),
                first_conclusion: Vec::with_capacity(n),
                first_effective: Vec::with_capacity(n),
                recurrence_linked: Vec::with_capacity(n),
                settled: Vec::with_capacity(n),
                final_state: Vec::with_capacity(n),
                hist_start: Vec::with_capacity(n + 1),
                hist_at: Vec::with_capacity(n * 7),
                hist_state: Vec::with_capacity(n * 7),
                req_start: Vec::with_capacity(n + 1),
                req_ids: Vec::with_capacity(n * 3 / 2),
                analysis_start: Vec::with_capacity(n + 1),
                plan_start: Vec::with_capacity(n + 1),
                check_start: Vec::with_capacity(n + 1),
                action_start: Vec::with_capacity(n + 1),
                action_planned: Vec::with_capacity(actions),
                action_done: Vec::with_capacity(actions),
                action_finished: Vec::with_capacity(actions),
                action_original_due: Vec::with_capacity(actions),
                action_final_due: Vec::with_capacity(actions),
                action_first_resched: Vec::with_capacity(actions),
                action_last_resched: Vec::with_capacity(actions),
                resched_start: Vec::with_capacity(actions + 1),
                ..KpiView::default()
            },
            interned: HashMap::default(),
            item: ItemScratch::default(),
        }
    }

    /// Adds the next nonconformity (in register order).
    pub fn push_nonconformity(&mut self, nc: &NcFacts) {
        self.begin_item();
        if nc.visit(self) {
            self.end_item();
        } else {
            self.drop_item();
        }
    }

    /// Adds the next nonconformity (in register order) from its encoded
    /// facts ([`NcFacts::encode`]), decoded straight into the view's
    /// columns: the same as [`KpiViewBuilder::push_nonconformity`] of the
    /// decoded facts, without building them.
    ///
    /// # Errors
    /// The [`FactsError`] of facts that do not decode; the view is then as
    /// it was before the call.
    pub fn push_encoded_nonconformity(&mut self, bytes: &[u8]) -> Result<(), FactsError> {
        self.begin_item();
        match decode_nc(bytes, self) {
            Ok(()) => {
                self.end_item();
                Ok(())
            }
            Err(e) => {
                self.drop_item();
                Err(e)
            }
        }
    }

    /// Adds the next improvement (in register order) from its encoded
    /// facts ([`ImprovementFacts::encode`]).
    ///
    /// # Errors
    /// The [`FactsError`] of facts that do not decode (nothing is added).
    pub fn push_encoded_improvement(&mut self, bytes: &[u8]) -> Result<(), FactsError> {
        self.push_improvement(&ImprovementFacts::decode(bytes)?);
        Ok(())
    }

    /// Notes where the next item's rows start in the list columns.
    fn begin_item(&mut self) {
        let v = &self.view;
        let it = &mut self.item;
        it.hist = v.hist_at.len();
        it.req = v.req_ids.len();
        it.interned = v.requirements.len();
        it.analyses = v.analysis_at.len();
        it.causes = v.cause_at.len();
        it.actions = v.action_planned.len();
        it.reschedules = v.resched_at.len();
        it.clocks.clear();
    }

    /// Pushes the one-value columns of the item the visitor calls built,
    /// and its verification checks.
    fn end_item(&mut self) {
        let v = &mut self.view;
        let it = &mut self.item;
        v.reported.push(it.reported);
        v.severity.push(it.severity);
        v.closed.push(it.closed);
        v.rejected.push(it.rejected);
        v.ended.push(it.closed.min(it.rejected));
        v.contained.push(it.contained);
        v.first_conclusion.push(it.first_conclusion);
        v.first_effective.push(it.first_effective);
        v.recurrence_linked.push(it.recurrence_linked);
        v.settled.push(it.settled);
        v.final_state.push(it.state);
        v.hist_start.push(offset(it.hist));
        v.req_start.push(offset(it.req));
        v.analysis_start.push(offset(it.analyses));
        v.action_start.push(offset(it.actions));
        v.clocks.append(&mut it.clocks);

        v.plan_start.push(offset(v.plan_at.len()));
        for (i, p) in it.plans.iter().enumerate() {
            v.plan_at.push(stamp_ns(p.at));
            v.plan_attempt.push(p.attempt);
            v.check_start.push(offset(v.check_due.len()));
            // Results are recorded against the plan in force, and a plan can
            // only be replaced before the first result: so every result of an
            // attempt belongs to the attempt's last plan.
            let last_of_attempt = it.plans[i + 1..].iter().all(|q| q.attempt != p.attempt);
            for (k, due) in p
                .schedule
                .check_dates()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                v.check_due.push(day_number(due));
                let result = if last_of_attempt {
                    it.results
                        .iter()
                        .filter(|r| r.attempt == p.attempt && r.check as usize == k)
                        .map(|r| stamp_ns(r.at))
                        .min()
                        .unwrap_or(NEVER)
                } else {
                    NEVER
                };
                v.check_result.push(result);
            }
        }
    }

    /// Takes back the rows of an item whose facts did not decode.
    fn drop_item(&mut self) {
        let v = &mut self.view;
        let it = &self.item;
        v.hist_at.truncate(it.hist);
        v.hist_state.truncate(it.hist);
        v.req_ids.truncate(it.req);
        for r in v.requirements.drain(it.interned..) {
            self.interned.remove(r.as_str());
        }
        v.analysis_at.truncate(it.analyses);
        v.cause_at.truncate(it.causes);
        v.cause_category.truncate(it.causes);
        v.action_planned.truncate(it.actions);
        v.action_done.truncate(it.actions);
        v.action_finished.truncate(it.actions);
        v.action_original_due.truncate(it.actions);
        v.action_final_due.truncate(it.actions);
        v.action_first_resched.truncate(it.actions);
        v.action_last_resched.truncate(it.actions);
        v.resched_start.truncate(it.actions);
        v.resched_at.truncate(it.reschedules);
        v.resched_to.truncate(it.reschedules);
    }

    /// Adds the next improvement (in register order).
    pub fn push_improvement(&mut self, imp: &ImprovementFacts) {
        self.view
            .improvement_proposed
            .push(stamp_ns(imp.proposed_at));
        self.view
            .improvement_realised
            .push(opt_stamp_ns(imp.realised_at));
    }

    /// The view.
    pub fn finish(mut self) -> KpiView {
        let v = &mut self.view;
        v.hist_start.push(offset(v.hist_at.len()));
        v.req_start.push(offset(v.req_ids.len()));
        v.analysis_start.push(offset(v.analysis_at.len()));
        v.plan_start.push(offset(v.plan_at.len()));
        v.check_start.push(offset(v.check_due.len()));
        v.resched_start.push(offset(v.resched_at.len()));
        v.action_start.push(offset(v.action_planned.len()));
        self.view
    }
}

impl NcFactsVisitor for KpiViewBuilder {
    fn start(&mut self, _number: u32, severity: Severity, state: NcState, reported_at: Stamp) {
        let reported = stamp_ns(reported_at);
        let it = &mut self.item;
        it.reported = reported;
        it.severity = severity_code(severity);
        it.state = state_code(state);
        it.settled = reported;
        it.first_conclusion = NEVER;
        it.first_effective = false;
        it.plans.clear();
        it.results.clear();
    }

    fn transition(&mut self, state: NcState, at: Stamp) {
        let at = stamp_ns(at);
        self.view.hist_at.push(at);
        self.view.hist_state.push(state_code(state));
        self.item.settled = at;
    }

    fn requirement(&mut self, text: &str) -> bool {
        let id = match self.interned.get(text) {
            Some(&id) => id,
            None => {
                let Ok(r) = text.parse::<RequirementRef>() else {
                    return false;
                };
                let id = offset(self.view.requirements.len());
                self.view.requirements.push(r);
                self.interned.insert(text.into(), id);
                id
            }
        };
        self.view.req_ids.push(id);
        true
    }

    fn contained(&mut self, at: Option<Stamp>) {
        self.item.contained = opt_stamp_ns(at);
    }

    fn conclusion(&mut self, at: Stamp, effective: bool) {
        if self.item.first_conclusion == NEVER {
            self.item.first_conclusion = stamp_ns(at);
            self.item.first_effective = effective;
        }
    }

    fn outcome(
        &mut self,
        closed_at: Option<Stamp>,
        rejected_at: Option<Stamp>,
        recurrence_linked_at: Option<Stamp>,
    ) {
        self.item.closed = opt_stamp_ns(closed_at);
        self.item.rejected = opt_stamp_ns(rejected_at);
        self.item.recurrence_linked = opt_stamp_ns(recurrence_linked_at);
    }

    fn analysis(&mut self, at: Stamp) {
        let at = stamp_ns(at);
        self.view.analysis_at.push(at);
        self.item.analysis_at = at;
    }

    fn cause(&mut self, category: RootCauseCategory) {
        self.view.cause_at.push(self.item.analysis_at);
        self.view.cause_category.push(category as u8);
    }

    fn plan(&mut self, plan: PlanFacts) {
        self.item.plans.push(plan);
    }

    fn result(&mut self, result: ResultFacts) {
        self.item.results.push(result);
    }

    // A check recorded as missed, with its reason, is accounted for: the
    // check columns treat it like a result (it is neither due nor overdue
    // after it is recorded), and nothing else reads `results`.
    fn missed(&mut self, missed: ResultFacts) {
        self.item.results.push(missed);
    }

    fn clock(&mut self, clock: isms_core::ClockFacts) {
        self.item.clocks.push(crate::reporting::ClockRow {
            recorded: stamp_ns(clock.recorded_at),
            due: opt_stamp_ns(clock.due),
            provisional_due: opt_stamp_ns(clock.provisional_due.or(clock.due)),
            anchor_recorded: opt_stamp_ns(clock.anchor_recorded_at),
            submitted: opt_stamp_ns(clock.submitted_at),
            submission_recorded: opt_stamp_ns(clock.submission_recorded_at),
        });
    }

    fn action(
        &mut self,
        planned_at: Stamp,
        status: ActionStatus,
        completed_at: Option<Stamp>,
        cancelled_at: Option<Stamp>,
        original_due: Day,
    ) {
        let v = &mut self.view;
        v.action_planned.push(stamp_ns(planned_at));
        let done = if status == ActionStatus::Done {
            opt_stamp_ns(completed_at)
        } else {
            NEVER
        };
        let cancelled = if status == ActionStatus::Cancelled {
            opt_stamp_ns(cancelled_at)
        } else {
            NEVER
        };
        v.action_done.push(done);
        v.action_finished.push(done.min(cancelled));
        v.action_original_due.push(original_due.epoch_days());
        v.action_final_due.push(original_due.epoch_days());
        v.action_first_resched.push(NEVER);
        v.action_last_resched.push(ALWAYS);
        v.resched_start.push(offset(v.resched_at.len()));
    }

    fn reschedule(&mut self, at: Stamp, to: Day) {
        let v = &mut self.view;
        let at = stamp_ns(at);
        let first = v.resched_start.last().map(|&s| s as usize) == Some(v.resched_at.len());
        v.resched_at.push(at);
        v.resched_to.push(to.epoch_days());
        if let (Some(f), Some(l), Some(d)) = (
            v.action_first_resched.last_mut(),
            v.action_last_resched.last_mut(),
            v.action_final_due.last_mut(),
        ) {
            if first {
                *f = at;
            }
            *l = at;
            *d = to.epoch_days();
        }
    }
}

impl KpiView {
    /// Lays out `register` for KPI evaluation. Linear in the register's
    /// size; never fails (a malformed verification schedule counts as one
    /// without checks, as in the core). The same as [`KpiView::from_facts`]
    /// over the facts of every item.
    pub fn new(register: &Register) -> Self {
        let ncs = register.nonconformities();
        let actions: usize = ncs.iter().map(|nc| nc.actions.len()).sum();
        let mut b = KpiViewBuilder::with_capacity(ncs.len(), actions);
        for nc in ncs {
            b.push_nonconformity(&NcFacts::from(nc));
        }
        for imp in register.improvements() {
            b.push_improvement(&ImprovementFacts::from(imp));
        }
        b.finish()
    }

    /// Lays out the facts a store keeps (in register order: by reference
    /// number) for KPI evaluation, without a register.
    pub fn from_facts<'a>(
        nonconformities: impl IntoIterator<Item = &'a NcFacts>,
        improvements: impl IntoIterator<Item = &'a ImprovementFacts>,
    ) -> Self {
        let mut b = KpiViewBuilder::default();
        for nc in nonconformities {
            b.push_nonconformity(nc);
        }
        for imp in improvements {
            b.push_improvement(imp);
        }
        b.finish()
    }

    /// Number of nonconformities in the view.
    pub fn nonconformity_count(&self) -> usize {
        self.reported.len()
    }

    /// Number of corrective actions in the view.
    pub fn action_count(&self) -> usize {
        self.action_planned.len()
    }

    /// Number of improvement opportunities in the view.
    pub fn improvement_count(&self) -> usize {
        self.improvement_proposed.len()
    }

    /// Approximate heap size of the view in bytes (the sum of its vectors'
    /// capacities; the interned references' text is not counted).
    pub fn heap_bytes(&self) -> usize {
        fn b<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        b(&self.reported)
            + b(&self.severity)
            + b(&self.closed)
            + b(&self.rejected)
            + b(&self.ended)
            + b(&self.contained)
            + b(&self.first_conclusion)
            + b(&self.first_effective)
            + b(&self.recurrence_linked)
            + b(&self.settled)
            + b(&self.final_state)
            + b(&self.hist_start)
            + b(&self.hist_at)
            + b(&self.hist_state)
            + b(&self.req_start)
            + b(&self.req_ids)
            + b(&self.requirements)
            + b(&self.analysis_start)
            + b(&self.analysis_at)
            + b(&self.cause_at)
            + b(&self.cause_category)
            + b(&self.plan_start)
            + b(&self.plan_at)
            + b(&self.plan_attempt)
            + b(&self.check_start)
            + b(&self.check_due)
            + b(&self.check_result)
            + b(&self.action_start)
            + b(&self.action_planned)
            + b(&self.action_done)
            + b(&self.action_finished)
            + b(&self.action_original_due)
            + b(&self.action_final_due)
            + b(&self.action_first_resched)
            + b(&self.action_last_resched)
            + b(&self.resched_start)
            + b(&self.resched_at)
            + b(&self.resched_to)
            + b(&self.improvement_proposed)
            + b(&self.improvement_realised)
            + b(&self.clocks)
    }

    /// The state of nonconformity `i` at `t` (nanoseconds), as a code into
    /// [`NcState::ALL`]; `None` if it was not yet reported.
    #[inline]
    pub(crate) fn state_at(&self, i: usize, t: i64) -> Option<u8> {
        if self.reported[i] > t {
            return None;
        }
        if self.settled[i] <= t {
            return Some(self.final_state[i]);
        }
        let (s, e) = (self.hist_start[i] as usize, self.hist_start[i + 1] as usize);
        let k = self.hist_at[s..e].partition_point(|&at| at <= t);
        // k >= 1: the first transition is the report, at `reported <= t`.
        Some(self.hist_state[s + k.max(1) - 1])
    }

    /// The due date (day number) of action `a` in force at `t`.
    #[inline]
    pub(crate) fn due_at(&self, a: usize, t: i64) -> i32 {
        if self.action_last_resched[a] <= t {
            return self.action_final_due[a];
        }
        if self.action_first_resched[a] > t {
            return self.action_original_due[a];
        }
        let (s, e) = (
            self.resched_start[a] as usize,
            self.resched_start[a + 1] as usize,
        );
        let k = self.resched_at[s..e].partition_point(|&at| at <= t);
        if k == 0 {
            self.action_original_due[a]
        } else {
            self.resched_to[s + k - 1]
        }
    }

    /// Reads every column the full suite reads, once, and folds them into a
    /// number: the floor a KPI suite cannot beat (the benchmark compares the
    /// suite against it).
    pub fn scan_floor(&self) -> i64 {
        self.floor_sums(1, 0).into_iter().fold(0, |acc, x| acc ^ x)
    }

    /// [`KpiView::scan_floor`] on `threads` threads, each folding a
    /// contiguous chunk of every column (the same number): the floor of a
    /// suite that uses as many.
    pub fn scan_floor_on(&self, threads: std::num::NonZeroUsize) -> i64 {
        let parts = threads.get();
        let mut sums = [0i64; FLOOR_COLUMNS];
        std::thread::scope(|scope| {
            let handles: Vec<_> = (1..parts)
                .map(|k| scope.spawn(move || self.floor_sums(parts, k)))
                .collect();
            let mut add = |part: [i64; FLOOR_COLUMNS]| {
                for (s, x) in sums.iter_mut().zip(part) {
                    *s = s.wrapping_add(x);
                }
            };
            add(self.floor_sums(parts, 0));
            for h in handles {
                add(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
        });
        sums.into_iter().fold(0, |acc, x| acc ^ x)
    }

    /// The wrapping sum of chunk `k` of `parts` of each column the suite
    /// reads.
    fn floor_sums(&self, parts: usize, k: usize) -> [i64; FLOOR_COLUMNS] {
        fn fold<T: Copy + Into<i64>>(v: &[T], parts: usize, k: usize) -> i64 {
            v[crate::compute::chunk(v.len(), parts, k)]
                .iter()
                .fold(0i64, |acc, &x| acc.wrapping_add(x.into()))
        }
        [
            fold(&self.reported, parts, k),
            fold(&self.closed, parts, k),
            fold(&self.rejected, parts, k),
            fold(&self.ended, parts, k),
            fold(&self.contained, parts, k),
            fold(&self.first_conclusion, parts, k),
            fold(&self.recurrence_linked, parts, k),
            fold(&self.settled, parts, k),
            fold(&self.final_state, parts, k),
            fold(&self.severity, parts, k),
            fold(&self.cause_at, parts, k),
            fold(&self.cause_category, parts, k),
            fold(&self.action_planned, parts, k),
            fold(&self.action_done, parts, k),
            fold(&self.action_finished, parts, k),
            fold(&self.action_original_due, parts, k),
            fold(&self.action_final_due, parts, k),
            fold(&self.action_first_resched, parts, k),
            fold(&self.action_last_resched, parts, k),
            fold(&self.improvement_proposed, parts, k),
            fold(&self.improvement_realised, parts, k),
        ]
    }
}

/// How many columns [`KpiView::scan_floor`] reads.
const FLOOR_COLUMNS: usize = 21;
