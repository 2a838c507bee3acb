//! The compact facts of an item: every instant, date, state and category a
//! measurement of the improvement process needs, without the free text.
//!
//! A store keeps these beside each item's state (in the same transaction
//! as the append), so that KPIs over a million nonconformities are computed
//! from about a hundred bytes per item instead of a fold of the whole log.
//! [`NcFacts::from`] derives them from a [`Nonconformity`]; the binary
//! encoding ([`NcFacts::encode`], [`NcFacts::decode`]) is versioned and
//! exact (instants to the nanosecond), so a decoded value equals the value
//! derived again from the events.
//!
//! ```
//! use isms_core::*;
//! # use chrono::{TimeZone, Utc};
//! # let policy = Policy::default();
//! # let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! # let mut register = Register::new();
//! # let id = NonconformityId::v7_from_parts(1_772_442_000_000, [5; 10]);
//! # register.execute(&Command::ReportNonconformity(ReportNonconformity {
//! #     id, title: "Badge reader offline".into(), description: "Door 3.".into(),
//! #     source: Source::Monitoring, severity: Severity::Major,
//! #     requirements: vec!["iso27001:2022/A.7.2".parse()?], owner: ActorId::new("fm")?,
//! #     detected_at: at, external_deadline: None, links: vec![], extensions: Default::default(), audit: None,
//! # }), &Context::new(at, Actor::new(ActorId::new("alice")?), &policy))?;
//! let nc = register.nonconformity(id).unwrap();
//! let facts = NcFacts::from(nc);
//! let mut bytes = Vec::new();
//! facts.encode(&mut bytes);
//! assert_eq!(NcFacts::decode(&bytes)?, facts);
//! assert!(bytes.len() < 64);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, NaiveDate, Utc};

use crate::model::{ActionStatus, Improvement, Nonconformity, RootCauseCategory, Severity};
use crate::reference::RequirementRef;
use crate::schedule::{Period, PeriodUnit, RecurrenceEnd, VerificationSchedule};
use crate::workflow::{ImprovementState, NcState};

/// The newest encoding version this build writes (the first byte of an
/// encoding). Version 2 adds a nonconformity's missed checks after its
/// actions; version 3 adds its regulatory reporting clocks after those.
/// A nonconformity without clocks is still written as version 2, so the
/// bytes a store already holds stay what a fresh encoding gives; versions
/// 1 and 2 decode.
pub const FACTS_VERSION: u8 = 3;

/// An instant as facts keep it: seconds and nanoseconds since the Unix
/// epoch (UTC). Exact for every `DateTime<Utc>`, and turned into a count of
/// nanoseconds with two integer operations, which is what measurements do
/// with it a million times over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    secs: i64,
    nanos: u32,
}

/// Seconds of `DateTime::<Utc>::MIN_UTC` and `MAX_UTC` (a test checks them
/// against chrono).
const MIN_SECS: i64 = -8_334_601_228_800;
const MAX_SECS: i64 = 8_210_266_876_799;

impl Stamp {
    /// The stamp of an instant.
    pub fn of(t: DateTime<Utc>) -> Self {
        Stamp {
            secs: t.timestamp(),
            nanos: t.timestamp_subsec_nanos(),
        }
    }

    /// The instant again.
    pub fn to_datetime(self) -> DateTime<Utc> {
        // Every stamp comes from a `DateTime` or was range-checked on decoding.
        DateTime::from_timestamp(self.secs, self.nanos).unwrap_or_default()
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.secs
    }

    /// Nanoseconds since the Unix epoch, if they fit in an `i64` (from
    /// 1677-09-21 to 2262-04-11).
    pub fn unix_nanos(self) -> Option<i64> {
        self.secs
            .checked_mul(1_000_000_000)
            .and_then(|n| n.checked_add(i64::from(self.nanos)))
    }
}

impl From<DateTime<Utc>> for Stamp {
    fn from(t: DateTime<Utc>) -> Self {
        Stamp::of(t)
    }
}

/// A calendar date as facts keep it: days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i32);

/// Days of `NaiveDate::MIN` and `MAX` since 1970-01-01 (a test checks them).
const MIN_DAY: i32 = -96_465_292;
const MAX_DAY: i32 = 95_026_236;

impl Day {
    /// The day of a date.
    pub fn of(d: NaiveDate) -> Self {
        Day(d.to_epoch_days())
    }

    /// The date again.
    pub fn to_date(self) -> NaiveDate {
        // Every day comes from a `NaiveDate` or was range-checked on decoding.
        NaiveDate::from_epoch_days(self.0).unwrap_or_default()
    }

    /// Days since 1970-01-01.
    pub fn epoch_days(self) -> i32 {
        self.0
    }
}

impl From<NaiveDate> for Day {
    fn from(d: NaiveDate) -> Self {
        Day::of(d)
    }
}

/// The facts of one nonconformity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NcFacts {
    /// Its reference number (`NC-0042` is 42).
    pub number: u32,
    /// Major or minor.
    pub severity: Severity,
    /// Its current state.
    pub state: NcState,
    /// When it was reported.
    pub reported_at: Stamp,
    /// Every state it entered, with when, in order (the report first).
    pub history: Vec<(NcState, Stamp)>,
    /// The requirements it breaches.
    pub requirements: Vec<RequirementRef>,
    /// When containment was first recorded.
    pub contained_at: Option<Stamp>,
    /// Every effectiveness conclusion: when, and whether effective.
    pub conclusions: Vec<(Stamp, bool)>,
    /// When it was closed.
    pub closed_at: Option<Stamp>,
    /// When it was rejected.
    pub rejected_at: Option<Stamp>,
    /// When it was linked as a recurrence of an earlier nonconformity.
    pub recurrence_linked_at: Option<Stamp>,
    /// Every root-cause analysis: when, and the category of each cause.
    pub analyses: Vec<(Stamp, Vec<RootCauseCategory>)>,
    /// Every verification plan.
    pub plans: Vec<PlanFacts>,
    /// Every recorded verification result.
    pub results: Vec<ResultFacts>,
    /// Every corrective action, in order of planning.
    pub actions: Vec<ActionFacts>,
    /// Every check recorded as missed (empty in a version 1 encoding).
    pub missed: Vec<ResultFacts>,
    /// Its regulatory reporting clocks (empty before version 3).
    pub clocks: Vec<ClockFacts>,
}

/// The facts of one regulatory reporting clock (see
/// [`crate::reporting::ReportingClock`]): what a KPI as of `T` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClockFacts {
    /// When the incident's reporting was first recorded.
    pub recorded_at: Stamp,
    /// The deadline once the anchor report is sent (or the only one).
    pub due: Option<Stamp>,
    /// The deadline while the anchor report's submission is not recorded.
    pub provisional_due: Option<Stamp>,
    /// When the anchor report's submission was recorded.
    pub anchor_recorded_at: Option<Stamp>,
    /// When the first report of this kind was sent.
    pub submitted_at: Option<Stamp>,
    /// When that submission was recorded.
    pub submission_recorded_at: Option<Stamp>,
}

impl ClockFacts {
    /// The deadline in force at `t` (as [`crate::ReportingClock::due_as_of`]).
    pub fn due_as_of(&self, t: Stamp) -> Option<Stamp> {
        match self.anchor_recorded_at {
            Some(r) if r > t => self.provisional_due,
            _ => self.due,
        }
    }
}

/// The facts of one verification plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanFacts {
    /// When it was recorded.
    pub at: Stamp,
    /// The analysis attempt it verifies.
    pub attempt: u32,
    /// When the checks fall.
    pub schedule: VerificationSchedule,
}

/// The facts of one recorded verification result, or of a check recorded
/// as missed (then `passed` is `false`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResultFacts {
    /// When it was recorded.
    pub at: Stamp,
    /// The attempt it belongs to.
    pub attempt: u32,
    /// The check's index in its plan's schedule.
    pub check: u32,
    /// Whether it passed.
    pub passed: bool,
}

/// The facts of one corrective action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionFacts {
    /// When it was planned.
    pub planned_at: Stamp,
    /// Its status now.
    pub status: ActionStatus,
    /// When it was completed (done).
    pub completed_at: Option<Stamp>,
    /// When it was cancelled.
    pub cancelled_at: Option<Stamp>,
    /// The due date first planned.
    pub original_due: Day,
    /// Every reschedule: when, and the new due date.
    pub reschedules: Vec<(Stamp, Day)>,
}

/// The facts of one improvement opportunity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImprovementFacts {
    /// Its reference number (`IMP-0007` is 7).
    pub number: u32,
    /// Its current state.
    pub state: ImprovementState,
    /// When it was proposed.
    pub proposed_at: Stamp,
    /// When it was first realised.
    pub realised_at: Option<Stamp>,
}

/// An encoding of facts that does not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FactsError {
    /// The bytes end in the middle of a value.
    #[error("the facts end after {at} bytes in the middle of {what}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Where the bytes ended.
        at: usize,
    },
    /// A version this build does not read.
    #[error(
        "facts encoding version {found} is not one this build reads (1 to {FACTS_VERSION}); rebuild the projections"
    )]
    Version {
        /// The version found.
        found: u8,
    },
    /// A value out of its range.
    #[error("the facts hold an invalid {what} ({value}) at byte {at}")]
    Invalid {
        /// What was being read.
        what: &'static str,
        /// The value.
        value: u64,
        /// Where.
        at: usize,
    },
    /// Bytes left after the last value.
    #[error("{left} bytes follow the facts")]
    Trailing {
        /// How many.
        left: usize,
    },
}

impl From<&Nonconformity> for NcFacts {
    fn from(nc: &Nonconformity) -> Self {
        NcFacts {
            number: nc.reference.number(),
            severity: nc.severity,
            state: nc.state,
            reported_at: nc.reported_at.into(),
            history: nc.history.iter().map(|t| (t.to, t.at.into())).collect(),
            requirements: nc.requirements.clone(),
            contained_at: nc.corrections.first().map(|c| c.at.into()),
            conclusions: nc
                .conclusions
                .iter()
                .map(|c| (c.at.into(), c.effective))
                .collect(),
            closed_at: nc.closure.as_ref().map(|c| c.at.into()),
            rejected_at: nc.rejection.as_ref().map(|r| r.at.into()),
            recurrence_linked_at: nc.recurrence_of.and(nc.recurrence_linked_at).map(Stamp::of),
            analyses: nc
                .analyses
                .iter()
                .map(|a| (a.at.into(), a.causes.iter().map(|c| c.category).collect()))
                .collect(),
            plans: nc
                .verification_plans
                .iter()
                .map(|p| PlanFacts {
                    at: p.at.into(),
                    attempt: p.attempt,
                    schedule: p.schedule,
                })
                .collect(),
            results: nc
                .verification_results
                .iter()
                .map(|r| ResultFacts {
                    at: r.at.into(),
                    attempt: r.attempt,
                    check: r.check,
                    passed: r.passed,
                })
                .collect(),
            missed: nc
                .missed_checks
                .iter()
                .map(|m| ResultFacts {
                    at: m.at.into(),
                    attempt: m.attempt,
                    check: m.check,
                    passed: false,
                })
                .collect(),
            clocks: crate::reporting::reporting_clocks(nc)
                .iter()
                .map(|c| ClockFacts {
                    recorded_at: c.recorded_at.into(),
                    due: c.due.map(Stamp::of),
                    provisional_due: c.provisional_due.map(Stamp::of),
                    anchor_recorded_at: c.anchor_recorded_at.map(Stamp::of),
                    submitted_at: c.submitted_at.map(Stamp::of),
                    submission_recorded_at: c.submission_recorded_at.map(Stamp::of),
                })
                .collect(),
            actions: nc
                .actions
                .iter()
                .map(|a| ActionFacts {
                    planned_at: a.planned_at.into(),
                    status: a.status,
                    completed_at: a.completed_at.map(Stamp::of),
                    cancelled_at: a.cancelled_at.map(Stamp::of),
                    original_due: a.original_due.into(),
                    reschedules: a
                        .reschedules
                        .iter()
                        .map(|r| (r.at.into(), r.to.into()))
                        .collect(),
                })
                .collect(),
        }
    }
}

impl From<&Improvement> for ImprovementFacts {
    fn from(imp: &Improvement) -> Self {
        ImprovementFacts {
            number: imp.reference.number(),
            state: imp.state,
            proposed_at: imp.proposed_at.into(),
            realised_at: imp.first_reached(ImprovementState::Realised).map(Stamp::of),
        }
    }
}

impl NcFacts {
    /// Appends the binary encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer(out);
        w.byte(if self.clocks.is_empty() {
            2
        } else {
            FACTS_VERSION
        });
        w.uint(u64::from(self.number));
        w.byte(code_of(&Severity::ALL, self.severity));
        w.byte(code_of(&NcState::ALL, self.state));
        w.instant(self.reported_at);
        w.uint(self.history.len() as u64);
        for (state, at) in &self.history {
            w.byte(code_of(&NcState::ALL, *state));
            w.instant(*at);
        }
        w.uint(self.requirements.len() as u64);
        for r in &self.requirements {
            w.text(r.as_str());
        }
        w.opt_instant(self.contained_at);
        w.uint(self.conclusions.len() as u64);
        for (at, effective) in &self.conclusions {
            w.instant(*at);
            w.byte(u8::from(*effective));
        }
        w.opt_instant(self.closed_at);
        w.opt_instant(self.rejected_at);
        w.opt_instant(self.recurrence_linked_at);
        w.uint(self.analyses.len() as u64);
        for (at, causes) in &self.analyses {
            w.instant(*at);
            w.uint(causes.len() as u64);
            for c in causes {
                w.byte(code_of(&RootCauseCategory::ALL, *c));
            }
        }
        w.uint(self.plans.len() as u64);
        for p in &self.plans {
            w.instant(p.at);
            w.uint(u64::from(p.attempt));
            w.schedule(&p.schedule);
        }
        w.uint(self.results.len() as u64);
        for r in &self.results {
            w.instant(r.at);
            w.uint(u64::from(r.attempt));
            w.uint(u64::from(r.check));
            w.byte(u8::from(r.passed));
        }
        w.uint(self.actions.len() as u64);
        for a in &self.actions {
            w.instant(a.planned_at);
            w.byte(code_of(&ACTION_STATUSES, a.status));
            w.opt_instant(a.completed_at);
            w.opt_instant(a.cancelled_at);
            w.date(a.original_due);
            w.uint(a.reschedules.len() as u64);
            for (at, to) in &a.reschedules {
                w.instant(*at);
                w.date(*to);
            }
        }
        w.uint(self.missed.len() as u64);
        for m in &self.missed {
            w.instant(m.at);
            w.uint(u64::from(m.attempt));
            w.uint(u64::from(m.check));
        }
        if !self.clocks.is_empty() {
            w.uint(self.clocks.len() as u64);
            for c in &self.clocks {
                w.instant(c.recorded_at);
                w.opt_instant(c.due);
                w.opt_instant(c.provisional_due);
                w.opt_instant(c.anchor_recorded_at);
                w.opt_instant(c.submitted_at);
                w.opt_instant(c.submission_recorded_at);
            }
        }
    }

    /// Decodes what [`NcFacts::encode`] wrote.
    ///
    /// # Errors
    /// A [`FactsError`] naming what does not decode and where.
    pub fn decode(bytes: &[u8]) -> Result<Self, FactsError> {
        let mut collect = Collect::default();
        decode_nc(bytes, &mut collect)?;
        Ok(collect.facts)
    }
}

impl NcFacts {
    /// Hands these facts to `visitor` in the order [`decode_nc`] would
    /// (see [`NcFactsVisitor`]), so that a reader built for encoded facts
    /// takes decoded ones the same way. Stops with `false` if the visitor
    /// refuses a requirement.
    pub fn visit(&self, visitor: &mut impl NcFactsVisitor) -> bool {
        visitor.start(self.number, self.severity, self.state, self.reported_at);
        for (state, at) in &self.history {
            visitor.transition(*state, *at);
        }
        for r in &self.requirements {
            if !visitor.requirement(r.as_str()) {
                return false;
            }
        }
        visitor.contained(self.contained_at);
        for (at, effective) in &self.conclusions {
            visitor.conclusion(*at, *effective);
        }
        visitor.outcome(self.closed_at, self.rejected_at, self.recurrence_linked_at);
        for (at, causes) in &self.analyses {
            visitor.analysis(*at);
            for c in causes {
                visitor.cause(*c);
            }
        }
        for p in &self.plans {
            visitor.plan(*p);
        }
        for r in &self.results {
            visitor.result(*r);
        }
        for a in &self.actions {
            visitor.action(
                a.planned_at,
                a.status,
                a.completed_at,
                a.cancelled_at,
                a.original_due,
            );
            for (at, to) in &a.reschedules {
                visitor.reschedule(*at, *to);
            }
        }
        for m in &self.missed {
            visitor.missed(*m);
        }
        for c in &self.clocks {
            visitor.clock(*c);
        }
        true
    }
}

/// A reader of encoded nonconformity facts that keeps its own layout (a
/// KPI view's columns, say): [`decode_nc`] hands it every value in the
/// encoding's order, so nothing is allocated on the way. The calls for one
/// item always come as: [`start`](NcFactsVisitor::start), a
/// [`transition`](NcFactsVisitor::transition) per history entry, a
/// [`requirement`](NcFactsVisitor::requirement) each,
/// [`contained`](NcFactsVisitor::contained), a
/// [`conclusion`](NcFactsVisitor::conclusion) each,
/// [`outcome`](NcFactsVisitor::outcome), for each analysis
/// [`analysis`](NcFactsVisitor::analysis) then its
/// [`cause`](NcFactsVisitor::cause)s, a [`plan`](NcFactsVisitor::plan)
/// each, a [`result`](NcFactsVisitor::result) each, and for each action
/// [`action`](NcFactsVisitor::action) then its
/// [`reschedule`](NcFactsVisitor::reschedule)s. When decoding fails the
/// calls stop where the bytes went wrong; the visitor then holds part of an
/// item, which it must discard.
pub trait NcFactsVisitor {
    /// The item's number, severity, current state and report.
    fn start(&mut self, number: u32, severity: Severity, state: NcState, reported_at: Stamp);
    /// One state it entered, in order (the report first).
    fn transition(&mut self, state: NcState, at: Stamp);
    /// One requirement it breaches, as text; `false` refuses the text as
    /// not a requirement reference (decoding then fails with
    /// [`FactsError::Invalid`]).
    fn requirement(&mut self, text: &str) -> bool;
    /// When containment was first recorded.
    fn contained(&mut self, at: Option<Stamp>);
    /// One effectiveness conclusion, in order.
    fn conclusion(&mut self, at: Stamp, effective: bool);
    /// When it was closed, rejected, linked as a recurrence.
    fn outcome(
        &mut self,
        closed_at: Option<Stamp>,
        rejected_at: Option<Stamp>,
        recurrence_linked_at: Option<Stamp>,
    );
    /// One root-cause analysis; its causes follow.
    fn analysis(&mut self, at: Stamp);
    /// One cause of the analysis last announced.
    fn cause(&mut self, category: RootCauseCategory);
    /// One verification plan.
    fn plan(&mut self, plan: PlanFacts);
    /// One recorded verification result.
    fn result(&mut self, result: ResultFacts);
    /// One corrective action (its reschedules follow).
    fn action(
        &mut self,
        planned_at: Stamp,
        status: ActionStatus,
        completed_at: Option<Stamp>,
        cancelled_at: Option<Stamp>,
        original_due: Day,
    );
    /// One reschedule of the action last announced.
    fn reschedule(&mut self, at: Stamp, to: Day);
    /// One check recorded as missed (after the actions; none from a
    /// version 1 encoding). By default ignored.
    fn missed(&mut self, missed: ResultFacts) {
        let _ = missed;
    }
    /// One regulatory reporting clock (after the missed checks; none
    /// before version 3). By default ignored.
    fn clock(&mut self, clock: ClockFacts) {
        let _ = clock;
    }
}

/// Decodes what [`NcFacts::encode`] wrote into `visitor`, value by value
/// (see [`NcFactsVisitor`]); [`NcFacts::decode`] is this with a visitor
/// that collects the values.
///
/// # Errors
/// A [`FactsError`] naming what does not decode and where.
pub fn decode_nc(bytes: &[u8], visitor: &mut impl NcFactsVisitor) -> Result<(), FactsError> {
    let mut r = Reader { bytes, at: 0 };
    let version = r.version()?;
    let number = r.u32("number")?;
    let severity = r.code(&Severity::ALL, "severity")?;
    let state = r.code(&NcState::ALL, "state")?;
    let reported_at = r.instant()?;
    visitor.start(number, severity, state, reported_at);
    for _ in 0..r.count("history")? {
        let state = r.code(&NcState::ALL, "state")?;
        visitor.transition(state, r.instant()?);
    }
    for _ in 0..r.count("requirements")? {
        let at = r.at;
        let text = r.text()?;
        if !visitor.requirement(text) {
            return Err(FactsError::Invalid {
                what: "requirement reference",
                value: text.len() as u64,
                at,
            });
        }
    }
    visitor.contained(r.opt_instant()?);
    for _ in 0..r.count("conclusions")? {
        let at = r.instant()?;
        visitor.conclusion(at, r.flag()?);
    }
    let closed_at = r.opt_instant()?;
    let rejected_at = r.opt_instant()?;
    let recurrence_linked_at = r.opt_instant()?;
    visitor.outcome(closed_at, rejected_at, recurrence_linked_at);
    for _ in 0..r.count("analyses")? {
        visitor.analysis(r.instant()?);
        for _ in 0..r.count("causes")? {
            visitor.cause(r.code(&RootCauseCategory::ALL, "cause")?);
        }
    }
    for _ in 0..r.count("plans")? {
        visitor.plan(PlanFacts {
            at: r.instant()?,
            attempt: r.u32("attempt")?,
            schedule: r.schedule()?,
        });
    }
    for _ in 0..r.count("results")? {
        visitor.result(ResultFacts {
            at: r.instant()?,
            attempt: r.u32("attempt")?,
            check: r.u32("check")?,
            passed: r.flag()?,
        });
    }
    for _ in 0..r.count("actions")? {
        let planned_at = r.instant()?;
        let status = r.code(&ACTION_STATUSES, "action status")?;
        let completed_at = r.opt_instant()?;
        let cancelled_at = r.opt_instant()?;
        let original_due = r.date()?;
        visitor.action(planned_at, status, completed_at, cancelled_at, original_due);
        for _ in 0..r.count("reschedules")? {
            let at = r.instant()?;
            visitor.reschedule(at, r.date()?);
        }
    }
    if version >= 2 {
        for _ in 0..r.count("missed checks")? {
            visitor.missed(ResultFacts {
                at: r.instant()?,
                attempt: r.u32("attempt")?,
                check: r.u32("check")?,
                passed: false,
            });
        }
    }
    if version >= 3 {
        for _ in 0..r.count("clocks")? {
            visitor.clock(ClockFacts {
                recorded_at: r.instant()?,
                due: r.opt_instant()?,
                provisional_due: r.opt_instant()?,
                anchor_recorded_at: r.opt_instant()?,
                submitted_at: r.opt_instant()?,
                submission_recorded_at: r.opt_instant()?,
            });
        }
    }
    r.end()
}

/// The visitor behind [`NcFacts::decode`]: collects the values.
struct Collect {
    facts: NcFacts,
}

impl Default for Collect {
    fn default() -> Self {
        Collect {
            facts: NcFacts {
                number: 0,
                severity: Severity::Minor,
                state: NcState::ALL[0],
                reported_at: Stamp { secs: 0, nanos: 0 },
                history: Vec::new(),
                requirements: Vec::new(),
                contained_at: None,
                conclusions: Vec::new(),
                closed_at: None,
                rejected_at: None,
                recurrence_linked_at: None,
                analyses: Vec::new(),
                plans: Vec::new(),
                results: Vec::new(),
                actions: Vec::new(),
                missed: Vec::new(),
                clocks: Vec::new(),
            },
        }
    }
}

impl NcFactsVisitor for Collect {
    fn start(&mut self, number: u32, severity: Severity, state: NcState, reported_at: Stamp) {
        let f = &mut self.facts;
        f.number = number;
        f.severity = severity;
        f.state = state;
        f.reported_at = reported_at;
    }

    fn transition(&mut self, state: NcState, at: Stamp) {
        self.facts.history.push((state, at));
    }

    fn requirement(&mut self, text: &str) -> bool {
        match text.parse() {
            Ok(r) => {
                self.facts.requirements.push(r);
                true
            }
            Err(_) => false,
        }
    }

    fn contained(&mut self, at: Option<Stamp>) {
        self.facts.contained_at = at;
    }

    fn conclusion(&mut self, at: Stamp, effective: bool) {
        self.facts.conclusions.push((at, effective));
    }

    fn outcome(
        &mut self,
        closed_at: Option<Stamp>,
        rejected_at: Option<Stamp>,
        recurrence_linked_at: Option<Stamp>,
    ) {
        let f = &mut self.facts;
        f.closed_at = closed_at;
        f.rejected_at = rejected_at;
        f.recurrence_linked_at = recurrence_linked_at;
    }

    fn analysis(&mut self, at: Stamp) {
        self.facts.analyses.push((at, Vec::new()));
    }

    fn cause(&mut self, category: RootCauseCategory) {
        if let Some((_, causes)) = self.facts.analyses.last_mut() {
            causes.push(category);
        }
    }

    fn plan(&mut self, plan: PlanFacts) {
        self.facts.plans.push(plan);
    }

    fn result(&mut self, result: ResultFacts) {
        self.facts.results.push(result);
    }

    fn missed(&mut self, missed: ResultFacts) {
        self.facts.missed.push(missed);
    }

    fn clock(&mut self, clock: ClockFacts) {
        self.facts.clocks.push(clock);
    }

    fn action(
        &mut self,
        planned_at: Stamp,
        status: ActionStatus,
        completed_at: Option<Stamp>,
        cancelled_at: Option<Stamp>,
        original_due: Day,
    ) {
        self.facts.actions.push(ActionFacts {
            planned_at,
            status,
            completed_at,
            cancelled_at,
            original_due,
            reschedules: Vec::new(),
        });
    }

    fn reschedule(&mut self, at: Stamp, to: Day) {
        if let Some(a) = self.facts.actions.last_mut() {
            a.reschedules.push((at, to));
        }
    }
}

impl ImprovementFacts {
    /// Appends the binary encoding to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let mut w = Writer(out);
        // Improvements gained nothing after version 2: their bytes stay as stored.
        w.byte(2);
        w.uint(u64::from(self.number));
        w.byte(code_of(&ImprovementState::ALL, self.state));
        w.instant(self.proposed_at);
        w.opt_instant(self.realised_at);
    }

    /// Decodes what [`ImprovementFacts::encode`] wrote.
    ///
    /// # Errors
    /// A [`FactsError`] naming what does not decode and where.
    pub fn decode(bytes: &[u8]) -> Result<Self, FactsError> {
        let mut r = Reader { bytes, at: 0 };
        r.version()?;
        let facts = ImprovementFacts {
            number: r.u32("number")?,
            state: r.code(&ImprovementState::ALL, "state")?,
            proposed_at: r.instant()?,
            realised_at: r.opt_instant()?,
        };
        r.end()?;
        Ok(facts)
    }
}

const ACTION_STATUSES: [ActionStatus; 4] = [
    ActionStatus::Planned,
    ActionStatus::InProgress,
    ActionStatus::Done,
    ActionStatus::Cancelled,
];

const PERIOD_UNITS: [PeriodUnit; 3] = [PeriodUnit::Days, PeriodUnit::Weeks, PeriodUnit::Months];

/// The index of `value` in `all`: the stable code of an enum value. Every
/// list above holds every variant, so the index always exists.
fn code_of<T: PartialEq>(all: &[T], value: T) -> u8 {
    all.iter().position(|v| *v == value).unwrap_or(0) as u8
}

struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// LEB128.
    fn uint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    /// Zigzag, then LEB128.
    fn int(&mut self, v: i64) {
        self.uint(((v << 1) ^ (v >> 63)) as u64);
    }

    fn instant(&mut self, t: Stamp) {
        self.int(t.secs);
        self.uint(u64::from(t.nanos));
    }

    fn opt_instant(&mut self, t: Option<Stamp>) {
        match t {
            None => self.byte(0),
            Some(t) => {
                self.byte(1);
                self.instant(t);
            }
        }
    }

    fn date(&mut self, d: Day) {
        self.int(i64::from(d.0));
    }

    fn text(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn period(&mut self, p: Period) {
        self.uint(u64::from(p.count));
        self.byte(code_of(&PERIOD_UNITS, p.unit));
    }

    fn schedule(&mut self, s: &VerificationSchedule) {
        match *s {
            VerificationSchedule::Once { on } => {
                self.byte(0);
                self.date(on.into());
            }
            VerificationSchedule::Recurring { first, every, end } => {
                self.byte(1);
                self.date(first.into());
                self.period(every);
                match end {
                    RecurrenceEnd::After { count } => {
                        self.byte(0);
                        self.uint(u64::from(count));
                    }
                    RecurrenceEnd::Until { date } => {
                        self.byte(1);
                        self.date(date.into());
                    }
                }
            }
            VerificationSchedule::WatchWindow { start, length } => {
                self.byte(2);
                self.date(start.into());
                self.period(length);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self, what: &'static str) -> Result<u8, FactsError> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or(FactsError::Truncated { what, at: self.at })?;
        self.at += 1;
        Ok(b)
    }

    /// The version byte: this build's, or an older one it still reads.
    fn version(&mut self) -> Result<u8, FactsError> {
        match self.byte("version")? {
            found @ (1 | 2 | FACTS_VERSION) => Ok(found),
            found => Err(FactsError::Version { found }),
        }
    }

    fn end(&self) -> Result<(), FactsError> {
        match self.bytes.len() - self.at {
            0 => Ok(()),
            left => Err(FactsError::Trailing { left }),
        }
    }

    /// LEB128; one-byte values (most counts, codes and nanoseconds of
    /// whole seconds) take the short way.
    /// LEB128; one-byte values (most counts, codes, and the nanoseconds
    /// of whole seconds) take the short way. (Reading longer values a word
    /// at a time was tried: more instructions in all, for the error
    /// plumbing around it.)
    #[inline]
    fn uint(&mut self, what: &'static str) -> Result<u64, FactsError> {
        if let Some(&b) = self.bytes.get(self.at)
            && b < 0x80
        {
            self.at += 1;
            return Ok(u64::from(b));
        }
        self.uint_long(what)
    }

    fn uint_long(&mut self, what: &'static str) -> Result<u64, FactsError> {
        let start = self.at;
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte(what)?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(FactsError::Invalid {
            what,
            value: v,
            at: start,
        })
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, FactsError> {
        let at = self.at;
        let v = self.uint(what)?;
        u32::try_from(v).map_err(|_| FactsError::Invalid { what, value: v, at })
    }

    fn int(&mut self, what: &'static str) -> Result<i64, FactsError> {
        let v = self.uint(what)?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    fn flag(&mut self) -> Result<bool, FactsError> {
        let at = self.at;
        match self.byte("flag")? {
            0 => Ok(false),
            1 => Ok(true),
            v => Err(FactsError::Invalid {
                what: "flag",
                value: u64::from(v),
                at,
            }),
        }
    }

    fn code<T: Copy>(&mut self, all: &[T], what: &'static str) -> Result<T, FactsError> {
        let at = self.at;
        let b = self.byte(what)?;
        all.get(usize::from(b)).copied().ok_or(FactsError::Invalid {
            what,
            value: u64::from(b),
            at,
        })
    }

    fn instant(&mut self) -> Result<Stamp, FactsError> {
        let at = self.at;
        let secs = self.int("instant")?;
        let nanos = self.u32("instant")?;
        if !(MIN_SECS..=MAX_SECS).contains(&secs) || nanos >= 2_000_000_000 {
            return Err(FactsError::Invalid {
                what: "instant",
                value: secs as u64,
                at,
            });
        }
        Ok(Stamp { secs, nanos })
    }

    fn opt_instant(&mut self) -> Result<Option<Stamp>, FactsError> {
        Ok(if self.flag()? {
            Some(self.instant()?)
        } else {
            None
        })
    }

    fn date(&mut self) -> Result<Day, FactsError> {
        let at = self.at;
        let days = self.int("date")?;
        i32::try_from(days)
            .ok()
            .filter(|d| (MIN_DAY..=MAX_DAY).contains(d))
            .map(Day)
            .ok_or(FactsError::Invalid {
                what: "date",
                value: days as u64,
                at,
            })
    }

    fn text(&mut self) -> Result<&'a str, FactsError> {
        let at = self.at;
        let len = self.uint("text length")?;
        let bytes = self.bytes;
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| self.at.checked_add(l))
            .filter(|&e| e <= bytes.len())
            .ok_or(FactsError::Truncated { what: "text", at })?;
        let s = std::str::from_utf8(&bytes[self.at..end]).map_err(|_| FactsError::Invalid {
            what: "text",
            value: len,
            at,
        })?;
        self.at = end;
        Ok(s)
    }

    /// The length of a list; checked against the bytes left (every
    /// element takes at least one byte), so a corrupt length cannot make a
    /// reader loop or allocate beyond the input's size.
    fn count(&mut self, what: &'static str) -> Result<u64, FactsError> {
        let at = self.at;
        let n = self.uint(what)?;
        let left = (self.bytes.len() - self.at) as u64;
        if n > left {
            return Err(FactsError::Invalid { what, value: n, at });
        }
        Ok(n)
    }

    fn period(&mut self) -> Result<Period, FactsError> {
        Ok(Period {
            count: self.u32("period")?,
            unit: self.code(&PERIOD_UNITS, "period unit")?,
        })
    }

    fn schedule(&mut self) -> Result<VerificationSchedule, FactsError> {
        let at = self.at;
        Ok(match self.byte("schedule")? {
            0 => VerificationSchedule::Once {
                on: self.date()?.to_date(),
            },
            1 => {
                let first = self.date()?.to_date();
                let every = self.period()?;
                let end = match self.byte("recurrence end")? {
                    0 => RecurrenceEnd::After {
                        count: self.u32("count")?,
                    },
                    1 => RecurrenceEnd::Until {
                        date: self.date()?.to_date(),
                    },
                    v => {
                        return Err(FactsError::Invalid {
                            what: "recurrence end",
                            value: u64::from(v),
                            at: self.at - 1,
                        });
                    }
                };
                VerificationSchedule::Recurring { first, every, end }
            }
            2 => VerificationSchedule::WatchWindow {
                start: self.date()?.to_date(),
                length: self.period()?,
            },
            v => {
                return Err(FactsError::Invalid {
                    what: "schedule",
                    value: u64::from(v),
                    at,
                });
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version 1 encoding (written before missed checks were facts) still
    /// decodes, with no missed checks; version 2 keeps them.
    #[test]
    fn version_1_encodings_still_decode() {
        let mut c = Collect::default();
        c.facts.number = 7;
        c.facts.missed.push(ResultFacts {
            at: Stamp {
                secs: 100,
                nanos: 5,
            },
            attempt: 1,
            check: 0,
            passed: false,
        });
        let facts = c.facts;
        let mut v2 = Vec::new();
        facts.encode(&mut v2);
        assert_eq!(v2[0], 2);
        assert_eq!(NcFacts::decode(&v2).unwrap(), facts);
        let mut without = facts.clone();
        without.missed.clear();
        let mut v1 = Vec::new();
        without.encode(&mut v1);
        // Version 1 is version 2 without the trailing count of missed checks.
        assert_eq!(v1.pop(), Some(0));
        v1[0] = 1;
        assert_eq!(NcFacts::decode(&v1).unwrap(), without);
        v1[0] = 4;
        assert!(matches!(
            NcFacts::decode(&v1),
            Err(FactsError::Version { found: 4 })
        ));
    }

    /// Clocks make a version 3 encoding; without them the bytes are
    /// version 2's, as stores already hold them.
    #[test]
    fn clocks_are_version_3_and_round_trip() {
        let stamp = |secs| Stamp { secs, nanos: 7 };
        let mut c = Collect::default();
        c.facts.number = 9;
        let mut plain = Vec::new();
        c.facts.encode(&mut plain);
        assert_eq!(plain[0], 2);
        c.facts.clocks.push(ClockFacts {
            recorded_at: stamp(10),
            due: Some(stamp(86_410)),
            provisional_due: None,
            anchor_recorded_at: None,
            submitted_at: Some(stamp(50)),
            submission_recorded_at: Some(stamp(60)),
        });
        c.facts.clocks.push(ClockFacts {
            recorded_at: stamp(10),
            due: None,
            provisional_due: Some(stamp(3_000_000)),
            anchor_recorded_at: Some(stamp(70)),
            submitted_at: None,
            submission_recorded_at: None,
        });
        let facts = c.facts;
        let mut v3 = Vec::new();
        facts.encode(&mut v3);
        assert_eq!(v3[0], 3);
        assert_eq!(NcFacts::decode(&v3).unwrap(), facts);
        // Every truncation is a typed error.
        for end in 0..v3.len() {
            assert!(NcFacts::decode(&v3[..end]).is_err());
        }
        assert_eq!(facts.clocks[1].due_as_of(stamp(69)), Some(stamp(3_000_000)));
        assert_eq!(facts.clocks[1].due_as_of(stamp(70)), None);
    }

    #[test]
    fn the_ranges_are_chronos() {
        assert_eq!(DateTime::<Utc>::MIN_UTC.timestamp(), MIN_SECS);
        assert_eq!(DateTime::<Utc>::MAX_UTC.timestamp(), MAX_SECS);
        assert_eq!(NaiveDate::MIN.to_epoch_days(), MIN_DAY);
        assert_eq!(NaiveDate::MAX.to_epoch_days(), MAX_DAY);
        for t in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
            assert_eq!(Stamp::of(t).to_datetime(), t);
        }
    }

    /// The varint reader reads every length the same whether the value
    /// ends the input or more bytes follow, and refuses eleven-byte
    /// encodings and truncated ones.
    #[test]
    fn varints_read_the_same_near_the_end_and_far_from_it() {
        let values = [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            1_772_442_000,
            u64::from(u32::MAX),
            1 << 35,
            (1 << 42) + 5,
            1 << 49,
            (1 << 56) - 1,
            1 << 56,
            (1 << 63) - 1,
            1 << 63,
            u64::MAX,
        ];
        for v in values {
            let mut bytes = Vec::new();
            Writer(&mut bytes).uint(v);
            let len = bytes.len();
            let mut near = Reader {
                bytes: &bytes,
                at: 0,
            };
            assert_eq!(near.uint("v"), Ok(v));
            assert_eq!(near.at, len);
            let mut padded = bytes.clone();
            padded.extend_from_slice(&[0xff; 12]);
            let mut far = Reader {
                bytes: &padded,
                at: 0,
            };
            assert_eq!(far.uint("v"), Ok(v));
            assert_eq!(far.at, len);
            if len > 1 {
                let mut cut = Reader {
                    bytes: &bytes[..len - 1],
                    at: 0,
                };
                assert!(matches!(cut.uint("v"), Err(FactsError::Truncated { .. })));
            }
            for signed in [v as i64, (v as i64).wrapping_neg()] {
                let mut bytes = Vec::new();
                Writer(&mut bytes).int(signed);
                bytes.extend_from_slice(&[0; 10]);
                assert_eq!(
                    Reader {
                        bytes: &bytes,
                        at: 0
                    }
                    .int("v"),
                    Ok(signed)
                );
            }
        }
        let endless = [0x80u8; 11];
        for input in [&endless[..], &endless[..10]] {
            let mut far = Reader {
                bytes: input,
                at: 0,
            };
            assert!(far.uint("v").is_err(), "{} bytes", input.len());
        }
    }
}
