//! The synthetic-register generator: every item is carried through its
//! lifecycle by commands that [`Register::execute`] validates, so a
//! generated register obeys the same workflow rules as a real one.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use isms_core::{
    ActionDecision, ActionId, Actor, ActorId, AnalysisMethod, Command, Context, Event, EvidenceRef,
    ImprovementId, ImprovementSource, IsmsChange, IsmsChangeKind, MAX_ITEMS, NonconformityId,
    Period, Policy, Priority, ProposeImprovement, Register, RejectionReason, ReportNonconformity,
    RequirementRef, RootCause, Severity, Source, VerificationSchedule,
};

use crate::error::GenError;
use crate::rng::Rng;
use crate::vocab::{
    ACTIONS, CAUSES, IMPROVEMENT_SOURCES, IMPROVEMENTS, NIS2_EXTRA, SOURCES, TOPICS,
};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// The longest span the generator accepts, in days (100 years).
pub const MAX_SPAN_DAYS: u32 = 36_600;

/// The shares that give a generated register its shape. Every field is a
/// probability in `[0, 1]`; the defaults are what an ISMS of a few years'
/// standing typically shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Shape {
    /// Share of major nonconformities. Default 0.25.
    pub major: f64,
    /// Share rejected (not a nonconformity, or a duplicate). Default 0.04.
    pub rejected: f64,
    /// Share of minor nonconformities with a containment record (majors
    /// always have one: the default policy requires it). Default 0.6.
    pub contained_minor: f64,
    /// Share abandoned after containment: they stay open and age. Default 0.02.
    pub stalled: f64,
    /// Share of first analyses that decide no action is needed. Default 0.04.
    pub no_action: f64,
    /// Share of corrective actions completed after their original due date. Default 0.25.
    pub late: f64,
    /// Share of late actions that were rescheduled first (on-time actions are
    /// rescheduled at a twelfth of this rate). Default 0.6.
    pub rescheduled_when_late: f64,
    /// Share of actions (other than the first of an attempt) cancelled. Default 0.05.
    pub cancelled: f64,
    /// Share of first verification attempts found ineffective (half of it
    /// for second attempts, none for third). Default 0.17.
    pub ineffective: f64,
    /// Share of nonconformities linked as a recurrence of an earlier closed
    /// one. Default 0.07.
    pub recurrence: f64,
    /// Share of verification plans recorded ahead, while actions are still
    /// open. Default 0.15.
    pub plan_ahead: f64,
}

impl Default for Shape {
    fn default() -> Self {
        Self {
            major: 0.25,
            rejected: 0.04,
            contained_minor: 0.6,
            stalled: 0.02,
            no_action: 0.04,
            late: 0.25,
            rescheduled_when_late: 0.6,
            cancelled: 0.05,
            ineffective: 0.17,
            recurrence: 0.07,
            plan_ahead: 0.15,
        }
    }
}

impl Shape {
    fn validate(&self) -> Result<(), GenError> {
        let shares = [
            ("major", self.major),
            ("rejected", self.rejected),
            ("contained_minor", self.contained_minor),
            ("stalled", self.stalled),
            ("no_action", self.no_action),
            ("late", self.late),
            ("rescheduled_when_late", self.rescheduled_when_late),
            ("cancelled", self.cancelled),
            ("ineffective", self.ineffective),
            ("recurrence", self.recurrence),
            ("plan_ahead", self.plan_ahead),
        ];
        for (name, value) in shares {
            if !(0.0..=1.0).contains(&value) {
                return Err(GenError::BadShare { name, value });
            }
        }
        Ok(())
    }
}

/// What to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// How many nonconformities (reported evenly over the span).
    pub nonconformities: usize,
    /// The seed: the same seed gives the same register, on every platform.
    pub seed: u64,
    /// When the register starts (the first report is at or after it).
    pub start: DateTime<Utc>,
    /// How long the register runs, in days. Nothing is recorded after
    /// `start + span_days`, so recent items are still open at the end.
    pub span_days: u32,
    /// Improvement opportunities (10.1) per 100 nonconformities. Default 10.
    pub improvements_per_100: u32,
    /// Keep the events in [`Generated::events`] (costs memory: about twice
    /// the register at scale). Default `false`.
    pub keep_events: bool,
    /// The shares that shape the register.
    pub shape: Shape,
}

impl GeneratorConfig {
    /// `nonconformities` over three years from 1 January 2023, seeded with
    /// `seed`, with the default shape and no events kept.
    pub fn new(nonconformities: usize, seed: u64) -> Self {
        Self {
            nonconformities,
            seed,
            start: Utc
                .with_ymd_and_hms(2023, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            span_days: 3 * 365,
            improvements_per_100: 10,
            keep_events: false,
            shape: Shape::default(),
        }
    }

    /// The same configuration, keeping the events.
    #[must_use]
    pub fn with_events(mut self) -> Self {
        self.keep_events = true;
        self
    }

    /// The instant after which nothing is recorded.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::days(i64::from(self.span_days))
    }
}

/// Counts of what was generated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenerationStats {
    /// Commands executed.
    pub commands: u64,
    /// Events recorded.
    pub events: u64,
    /// Nonconformities reported.
    pub nonconformities: usize,
    /// Corrective actions planned.
    pub actions: usize,
    /// Improvements proposed.
    pub improvements: usize,
}

/// A generated register.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The register.
    pub register: Register,
    /// Its events, grouped by stream (each stream in order), if
    /// [`GeneratorConfig::keep_events`] was set; otherwise empty.
    pub events: Vec<Event>,
    /// The end of the span: nothing is recorded after it.
    pub end: DateTime<Utc>,
    /// What was generated.
    pub stats: GenerationStats,
}

/// Generates a register of the configured size and shape. Deterministic:
/// the same configuration gives an equal register.
///
/// Errors on a configuration out of range; [`GenError::Refused`] would mean
/// a generator bug (the core refused a command it built).
pub fn generate(config: &GeneratorConfig) -> Result<Generated, GenError> {
    run(config, None)
}

/// Generates the register of [`generate`] and hands its events to `sink`
/// as they are recorded, instead of keeping them all: in log order, in runs
/// of at least `run_events` events (a run ends where an item's story ends,
/// so it may hold an item's events and later events of earlier items, such
/// as a recurrence recorded on one that was closed). Memory holds the
/// register and one run, whatever the size; [`Generated::events`] is empty.
/// The events are the ones [`generate`] keeps with
/// [`GeneratorConfig::keep_events`], in the same order. Each run comes with
/// the register as it stands after it: every item the run creates is there,
/// folded from exactly the run's events of its stream (a store can lay out
/// its rows without folding them again).
///
/// Each run is lent: `sink` takes the events it wants out of the vector
/// (`drain(..)`, say), and whatever it leaves is dropped before the next
/// run is recorded into the same vector. A run of 20,000 events is several
/// megabytes, and a new vector for each was memory the operating system
/// had to hand over, zeroed, again and again.
///
/// `sink` returns `false` to stop; generation then ends with
/// [`GenError::Stopped`] and the caller keeps its own reason.
///
/// The run's events are copies of those the register applied; a receiver
/// that only needs to read each event once (to serialise it) uses
/// [`generate_to`], which lends each event before the register takes it.
///
/// # Errors
/// As [`generate`], and [`GenError::Stopped`].
pub fn generate_into(
    config: &GeneratorConfig,
    run_events: usize,
    sink: &mut dyn FnMut(&mut Vec<Event>, &Register) -> bool,
) -> Result<Generated, GenError> {
    let run_events = run_events.max(1);
    let mut runs = Runs {
        // Every run is recorded into the same vector, sized once: growing
        // one from empty copies each event several times.
        events: Vec::with_capacity(run_events + run_events.div_ceil(4)),
        sink,
    };
    run(config, Some((run_events, &mut runs)))
}

/// What [`generate_to`] hands its events to.
pub trait RunSink {
    /// An event as it is decided, before the generator's register applies
    /// it. The register then takes the event itself, so a sink keeps what
    /// it needs of it (its serialised body, or a copy).
    fn event(&mut self, event: &Event);

    /// The end of a run (see [`generate_into`]), with the register as it
    /// stands after it: every item the run created is there, folded from
    /// exactly the run's events of its stream. `false` stops the
    /// generation with [`GenError::Stopped`].
    fn end_run(&mut self, register: &Register) -> bool;
}

/// [`generate_into`] for a sink that reads each event once as it is
/// decided ([`RunSink::event`]) and hears where each run ends: no event is
/// copied for it, and none is kept to be freed later. The events, the runs
/// and the register are those of [`generate_into`].
///
/// # Errors
/// As [`generate_into`].
pub fn generate_to(
    config: &GeneratorConfig,
    run_events: usize,
    sink: &mut dyn RunSink,
) -> Result<Generated, GenError> {
    run(config, Some((run_events.max(1), sink)))
}

/// [`generate_into`]'s runs, as a [`RunSink`].
struct Runs<'s> {
    events: Vec<Event>,
    sink: &'s mut dyn FnMut(&mut Vec<Event>, &Register) -> bool,
}

impl RunSink for Runs<'_> {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }

    fn end_run(&mut self, register: &Register) -> bool {
        let go_on = (self.sink)(&mut self.events, register);
        self.events.clear();
        go_on
    }
}

fn run(
    config: &GeneratorConfig,
    sink: Option<(usize, &mut dyn RunSink)>,
) -> Result<Generated, GenError> {
    if config.nonconformities > MAX_ITEMS as usize {
        return Err(GenError::TooMany {
            requested: config.nonconformities,
            max: MAX_ITEMS,
        });
    }
    if config.span_days == 0 || config.span_days > MAX_SPAN_DAYS {
        return Err(GenError::BadSpan {
            days: config.span_days,
            max: MAX_SPAN_DAYS,
        });
    }
    config.shape.validate()?;
    let start = config.start.timestamp();
    let span = i64::from(config.span_days) * DAY;
    let mut engine = Engine::new(config, start + span)?;
    let run_events = match sink {
        Some((run_events, sink)) => {
            engine.sink = Some(sink);
            run_events
        }
        None => usize::MAX,
    };
    // A run ends where an item's story ends.
    let hand_over = |engine: &mut Engine<'_>, last: bool| -> Result<(), GenError> {
        if let Some(sink) = engine.sink.as_deref_mut()
            && engine.run_len > 0
            && (last || engine.run_len >= run_events)
        {
            engine.run_len = 0;
            if !sink.end_run(&engine.register) {
                return Err(GenError::Stopped);
            }
        }
        Ok(())
    };
    let n = config.nonconformities as i64;
    let slot = if n > 0 { (span / n).max(1) } else { span };
    for k in 0..n {
        let r = start + span * k / n.max(1) + engine.rng.range(0, slot - 1);
        engine.nonconformity(r.min(start + span))?;
        hand_over(&mut engine, false)?;
    }
    let m = (config.nonconformities as u64 * u64::from(config.improvements_per_100) / 100) as i64;
    for k in 0..m {
        let p = start + span * k / m.max(1) + engine.rng.range(0, (span / m.max(1)).max(1) - 1);
        engine.improvement(p.min(start + span))?;
        hand_over(&mut engine, false)?;
    }
    hand_over(&mut engine, true)?;
    Ok(Generated {
        stats: GenerationStats {
            commands: engine.commands,
            events: engine.events_recorded,
            nonconformities: engine.register.nonconformities().len(),
            actions: engine.actions,
            improvements: engine.register.improvements().len(),
        },
        register: engine.register,
        events: engine.events,
        end: ts(start + span, config.start)?,
    })
}

fn ts(seconds: i64, start: DateTime<Utc>) -> Result<DateTime<Utc>, GenError> {
    DateTime::from_timestamp(seconds, 0).ok_or(GenError::OutOfCalendar { seconds, start })
}

fn date(seconds: i64) -> NaiveDate {
    DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .date_naive()
}

fn date_secs(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp()
}

fn millis(seconds: i64) -> u64 {
    u64::try_from(seconds.saturating_mul(1000)).unwrap_or(0)
}

/// One step of an action timeline, sorted by time before execution.
struct Step {
    at: i64,
    order: u32,
    command: Command,
    actor: Actor,
}

/// The generator's working state.
struct Engine<'s> {
    register: Register,
    rng: Rng,
    policy: Policy,
    shape: Shape,
    start: DateTime<Utc>,
    end: i64,
    /// Whether to keep every event in `events` (without a sink).
    keep: bool,
    events: Vec<Event>,
    /// Where the events go as they are decided, if anywhere.
    sink: Option<&'s mut dyn RunSink>,
    /// Events handed to the sink since the last run ended.
    run_len: usize,
    commands: u64,
    events_recorded: u64,
    actions: usize,
    requirements: Vec<RequirementRef>,
    source_weights: Vec<u32>,
    nis2: Vec<RequirementRef>,
    reporters: Vec<Actor>,
    owners: Vec<ActorId>,
    owner_actors: Vec<Actor>,
    verifiers: Vec<Actor>,
    managers: Vec<Actor>,
    /// Every nonconformity reported so far, with its report time.
    reported: Vec<(i64, NonconformityId)>,
    /// Closed nonconformities with their closure time (recurrence targets).
    closed: Vec<(i64, NonconformityId)>,
}

fn actors(prefix: &str, n: usize) -> Result<Vec<Actor>, GenError> {
    (1..=n)
        .map(|i| Ok(Actor::new(ActorId::new(format!("{prefix}{i:03}"))?)))
        .collect()
}

impl<'s> Engine<'s> {
    fn new(config: &GeneratorConfig, end: i64) -> Result<Self, GenError> {
        let owner_actors = actors("owner-", 240)?;
        Ok(Self {
            // Sized once: a million items' storage grown by doubling is
            // copied again at every doubling.
            register: Register::with_capacity(
                config.nonconformities,
                // At most what numbering allows: a larger share fails there.
                (config.nonconformities as u64 * u64::from(config.improvements_per_100) / 100)
                    .min(u64::from(MAX_ITEMS)) as usize,
                config.nonconformities * 3,
            ),
            rng: Rng::new(config.seed),
            policy: Policy::default(),
            shape: config.shape.clone(),
            start: config.start,
            end,
            keep: config.keep_events,
            events: Vec::new(),
            sink: None,
            run_len: 0,
            commands: 0,
            events_recorded: 0,
            actions: 0,
            requirements: TOPICS
                .iter()
                .map(|(_, r)| r.parse())
                .collect::<Result<_, _>>()?,
            source_weights: SOURCES.iter().map(|s| s.1).collect(),
            nis2: NIS2_EXTRA
                .iter()
                .map(|r| r.parse())
                .collect::<Result<_, _>>()?,
            reporters: actors("reporter-", 60)?,
            owners: owner_actors.iter().map(|a| a.id.clone()).collect(),
            owner_actors,
            verifiers: actors("verifier-", 30)?,
            managers: actors("isms-manager-", 5)?,
            reported: Vec::with_capacity(config.nonconformities),
            closed: Vec::new(),
        })
    }

    /// Runs `command` at `at` (seconds) as `actor`. `Ok(false)` when `at`
    /// is past the end of the span: the item stops there, still open.
    fn exec(&mut self, command: &Command, at: i64, actor: Actor) -> Result<bool, GenError> {
        // No draw past the end, as before side streams existed.
        if at > self.end {
            return Ok(false);
        }
        let entropy = self.rng.next_u128();
        self.exec_with(command, at, actor, entropy)
    }

    /// [`Engine::exec`] with the event entropy given, so that a side stream
    /// of draws (the incident reporting) leaves the main one as it was.
    fn exec_with(
        &mut self,
        command: &Command,
        at: i64,
        actor: Actor,
        entropy: u128,
    ) -> Result<bool, GenError> {
        if at > self.end {
            return Ok(false);
        }
        let when = ts(at, self.start)?;
        let ctx = Context::new(when, actor, &self.policy).with_entropy(entropy);
        let decision = self
            .register
            .decide(command, &ctx)
            .map_err(|source| GenError::Refused {
                command: format!("{:?}", command.target()),
                at: when,
                source,
            })?;
        self.commands += 1;
        self.events_recorded += decision.events.len() as u64;
        // Applied as `Register::execute` applies them, each event moved
        // into the register once the sink has read it.
        for e in decision.events {
            if let Some(sink) = self.sink.as_deref_mut() {
                sink.event(&e);
                self.run_len += 1;
            } else if self.keep {
                self.events.push(e.clone());
            }
            self.register.apply_owned(e);
        }
        Ok(true)
    }

    fn reporter(&mut self) -> Actor {
        let i = self.rng.below(self.reporters.len() as u64) as usize;
        self.reporters[i].clone()
    }

    fn manager(&mut self) -> Actor {
        let i = self.rng.below(self.managers.len() as u64) as usize;
        self.managers[i].clone()
    }

    /// A manager other than `not` (the next one in the list).
    fn other_manager(&mut self, not: &Actor) -> Actor {
        let i = self
            .managers
            .iter()
            .position(|m| m.id == not.id)
            .map_or(0, |i| (i + 1) % self.managers.len());
        self.managers[i].clone()
    }

    fn verifier(&mut self) -> Actor {
        let i = self.rng.below(self.verifiers.len() as u64) as usize;
        self.verifiers[i].clone()
    }

    fn owner(&mut self) -> usize {
        self.rng.below(self.owners.len() as u64) as usize
    }

    fn earlier_reported(&mut self) -> Option<NonconformityId> {
        let n = self.reported.len() as u64;
        // Mostly recent ones: similar findings cluster in time.
        let back = self.rng.below(n.min(2_000)) + 1;
        n.checked_sub(back).map(|i| self.reported[i as usize].1)
    }

    fn closed_before(&mut self, at: i64) -> Option<NonconformityId> {
        let n = self.closed.len() as u64;
        for _ in 0..6 {
            let back = self.rng.below(n.min(5_000)) + 1;
            let i = n.checked_sub(back)?;
            let (closed_at, id) = self.closed[i as usize];
            if closed_at <= at {
                return Some(id);
            }
        }
        None
    }

    /// Reports one nonconformity at `r` and carries it as far as its
    /// story goes before the end of the span.
    /// The regulatory reporting of an incident nonconformity, raised after
    /// the post-incident review (33 to 45 days after awareness): half are
    /// recorded, four in five of those as significant, with the early
    /// warning, the notification and the final report already sent (each
    /// late now and then), recorded a minute apart right after the report.
    /// Draws come from a side stream seeded by the item's id, so registers
    /// generated before this existed keep every other value. `Ok(false)`
    /// when the span ends first.
    fn incident_reporting(&mut self, id: NonconformityId, r: i64) -> Result<bool, GenError> {
        let mut side = Rng::new(id.as_uuid().as_u128() as u64 ^ 0x9e37_79b9_7f4a_7c15);
        if !side.chance(0.5) {
            return Ok(true);
        }
        let aware = r - side.range(33 * DAY, 45 * DAY);
        let significant = side.chance(0.8);
        let record = Command::record_incident_reporting(id, ts(aware, self.start)?, significant);
        let who = self.managers[0].clone();
        if !self.exec_with(&record, r + 60, who.clone(), side.next_u128())? {
            return Ok(false);
        }
        if !significant {
            return Ok(true);
        }
        let early_limit = if side.chance(0.9) { 24 } else { 40 };
        let early = aware + side.range(2 * HOUR, early_limit * HOUR);
        let notification_limit = if side.chance(0.85) { 72 } else { 96 };
        let notification = early.max(aware + side.range(30 * HOUR, notification_limit * HOUR));
        let last = (r - 60).max(notification + 3_600);
        let final_report = (notification + side.range(10 * DAY, 34 * DAY)).min(last);
        for (k, (kind, sent)) in [
            ("early_warning", early),
            ("incident_notification", notification),
            ("final_report", final_report),
        ]
        .into_iter()
        .enumerate()
        {
            let submit =
                Command::record_report_submission(id, kind, "CSIRT", ts(sent, self.start)?);
            let at = r + 120 + 60 * k as i64;
            if !self.exec_with(&submit, at, who.clone(), side.next_u128())? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn nonconformity(&mut self, r: i64) -> Result<(), GenError> {
        let id = NonconformityId::v7_from_parts(millis(r), self.rng.bytes10());
        let source = SOURCES[self.rng.weighted(&self.source_weights)].0;
        let major = self.rng.chance(self.shape.major);
        let topic = self.rng.below(TOPICS.len() as u64) as usize;
        let mut requirements = vec![self.requirements[topic].clone()];
        if self.rng.chance(0.2) {
            let extra = self.rng.below(self.nis2.len() as u64) as usize;
            requirements.push(self.nis2[extra].clone());
        } else if self.rng.chance(0.15) {
            let extra = self.rng.below(self.requirements.len() as u64) as usize;
            if self.requirements[extra] != requirements[0] {
                requirements.push(self.requirements[extra].clone());
            }
        }
        let owner = self.owner();
        let detected = r - self.rng.range(0, 3 * DAY);
        let report = Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id,
            title: TOPICS[topic].0.into(),
            description: "Found during routine work.".into(),
            source,
            severity: if major {
                Severity::Major
            } else {
                Severity::Minor
            },
            requirements,
            owner: self.owners[owner].clone(),
            detected_at: ts(detected, self.start)?,
            external_deadline: None,
            links: Vec::new(),
            extensions: Default::default(),
        });
        let reporter = self.reporter();
        if !self.exec(&report, r, reporter)? {
            return Ok(());
        }
        let earlier = self.earlier_reported();
        self.reported.push((r, id));
        let mut now = r;
        if source == Source::Incident {
            // Past the span's end the rest of the item stops there too; its
            // own draws below are taken either way, so that the main stream
            // is the same as without reporting.
            self.incident_reporting(id, r)?;
        }

        if self.rng.chance(self.shape.recurrence) {
            let at = now + self.rng.range(600, 3 * DAY);
            if let Some(previous) = self.closed_before(at) {
                let link = Command::LinkRecurrence {
                    nonconformity: id,
                    recurrence_of: previous,
                };
                let who = self.manager();
                if !self.exec(&link, at, who)? {
                    return Ok(());
                }
                now = at;
            }
        }

        if major || self.rng.chance(self.shape.contained_minor) {
            let at = now
                + if major {
                    self.rng.range(HOUR, 2 * DAY)
                } else {
                    self.rng.range(2 * HOUR, 7 * DAY)
                };
            let contain = Command::RecordContainment {
                nonconformity: id,
                action_taken: "Immediate fix applied".into(),
                consequences: None,
                late_justification: None,
            };
            let who = self.owner_actors[owner].clone();
            if !self.exec(&contain, at, who)? {
                return Ok(());
            }
            now = at;
        }

        if self.rng.chance(self.shape.rejected) {
            let at = now + self.rng.range(DAY, 10 * DAY);
            let reason = match earlier {
                Some(of) if self.rng.chance(0.5) => RejectionReason::Duplicate { of },
                _ => RejectionReason::NotANonconformity,
            };
            let reject = Command::RejectNonconformity {
                risk_acceptance: None,
                nonconformity: id,
                reason,
                explanation: "Reviewed by the ISMS manager".into(),
            };
            let who = self.manager();
            self.exec(&reject, at, who)?;
            return Ok(());
        }
        if self.rng.chance(self.shape.stalled) {
            return Ok(());
        }

        let mut attempt = 0u32;
        loop {
            attempt += 1;
            now += self.rng.range(2 * DAY, 20 * DAY);
            let first = CAUSES[self.rng.weighted(&[35, 25, 20, 8, 8, 4])];
            let mut causes = vec![RootCause {
                category: first.0,
                statement: first.2.into(),
            }];
            if self.rng.chance(0.3) {
                let second = CAUSES[self.rng.weighted(&[35, 25, 20, 8, 8, 4])];
                if second.0 != first.0 {
                    causes.push(RootCause {
                        category: second.0,
                        statement: second.2.into(),
                    });
                }
            }
            let no_action = attempt == 1 && self.rng.chance(self.shape.no_action);
            let manager = self.manager();
            let decision = if no_action {
                ActionDecision::NoActionRequired {
                    justification: "Correction removed the cause".into(),
                    approved_by: manager.id.clone(),
                }
            } else {
                ActionDecision::ActionRequired
            };
            let similar = if self.rng.chance(0.08) {
                earlier.into_iter().collect()
            } else {
                Vec::new()
            };
            let analyse = Command::AnalyseRootCause {
                nonconformity: id,
                method: [
                    AnalysisMethod::FiveWhys,
                    AnalysisMethod::Ishikawa,
                    AnalysisMethod::FiveWhys,
                    AnalysisMethod::FaultTree,
                ][self.rng.below(4) as usize],
                similar_notes: similar
                    .is_empty()
                    .then(|| "No similar nonconformity found in the register".to_owned()),
                causes,
                similar,
                decision,
            };
            let who = self.owner_actors[owner].clone();
            if !self.exec(&analyse, now, who)? {
                return Ok(());
            }

            let mut planned_ahead = false;
            let mut last_completion = now;
            if !no_action {
                let Some((done, ahead)) = self.actions_for(id, now)? else {
                    return Ok(());
                };
                last_completion = done;
                planned_ahead = ahead;
            }

            if !planned_ahead {
                let at = last_completion + self.rng.range(HOUR, 5 * DAY);
                let schedule = self.schedule(date(last_completion));
                let verifier = self.verifier();
                let plan = Command::PlanVerification {
                    nonconformity: id,
                    method: "Review of records".into(),
                    criteria: "No further occurrence".into(),
                    schedule,
                    verifier: verifier.id.clone(),
                };
                let who = self.manager();
                if !self.exec(&plan, at, who)? {
                    return Ok(());
                }
                now = at;
            }
            now = now.max(last_completion);

            // A watch window planned ahead opens no earlier than the fix:
            // when the last action finished after the planned start, the
            // manager re-plans the window from the completion day.
            let late_window = self
                .register
                .nonconformity(id)
                .and_then(|nc| nc.current_plan())
                .and_then(|p| match p.schedule {
                    VerificationSchedule::WatchWindow { start, length }
                        if start < date(last_completion) =>
                    {
                        Some((length, p.verifier.clone()))
                    }
                    _ => None,
                });
            if let Some((length, verifier)) = late_window {
                let at = now + 600;
                let plan = Command::PlanVerification {
                    nonconformity: id,
                    method: "Review of records".into(),
                    criteria: "No further occurrence".into(),
                    schedule: VerificationSchedule::watch_window(date(last_completion), length),
                    verifier,
                };
                let who = self.manager();
                if !self.exec(&plan, at, who)? {
                    return Ok(());
                }
                now = at;
            }

            // Record the checks of the plan in force.
            let (schedule, verifier) = match self
                .register
                .nonconformity(id)
                .and_then(|nc| nc.current_plan())
            {
                Some(p) => (p.schedule, p.verifier.clone()),
                None => return Ok(()),
            };
            let verifier = Actor::new(verifier);
            let dates = schedule.check_dates()?;
            let p_fail = match attempt {
                1 => self.shape.ineffective,
                2 => self.shape.ineffective / 2.0,
                _ => 0.0,
            };
            let fail_at = if self.rng.chance(p_fail) {
                Some(self.rng.below(dates.len() as u64) as usize)
            } else {
                None
            };
            for (i, d) in dates.iter().enumerate() {
                let at = (date_secs(*d) + 9 * HOUR + self.rng.range(0, 5 * DAY)).max(now + 600);
                let passed = fail_at != Some(i);
                let record = Command::RecordVerification {
                    nonconformity: id,
                    check: i as u32,
                    passed,
                    notes: None,
                    evidence: vec![EvidenceRef::Document(format!(
                        "verification record {}/{i}",
                        short(id.as_uuid().as_u128())
                    ))],
                };
                if !self.exec(&record, at, verifier.clone())? {
                    return Ok(());
                }
                now = at;
                if !passed {
                    break;
                }
            }
            if fail_at.is_some() {
                continue;
            }
            let at = now + self.rng.range(DAY, 10 * DAY);
            let isms_changes = if self.rng.chance(0.6) {
                vec![IsmsChange {
                    kind: [
                        IsmsChangeKind::Procedure,
                        IsmsChangeKind::Control,
                        IsmsChangeKind::Training,
                        IsmsChangeKind::RiskAssessment,
                    ][self.rng.below(4) as usize],
                    description: "Updated after the finding".into(),
                    requirement: None,
                    document: None,
                }]
            } else {
                Vec::new()
            };
            let close = Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: id,
                isms_changes,
                notes: None,
            };
            let who = self.manager();
            if self.exec(&close, at, who)? {
                self.closed.push((at, id));
            }
            return Ok(());
        }
    }

    /// A verification schedule starting after `base`: once, monthly three
    /// times, or a three-month watch window.
    fn schedule(&mut self, base: NaiveDate) -> VerificationSchedule {
        let first = base + chrono::Days::new(30);
        match self.rng.weighted(&[55, 25, 20]) {
            0 => VerificationSchedule::once(first),
            1 => VerificationSchedule::recurring_count(first, Period::months(1), 3),
            _ => VerificationSchedule::watch_window(base, Period::months(3)),
        }
    }

    /// Plans, runs and finishes the corrective actions of one attempt,
    /// analysed at `analysed`. Returns the last completion time and whether
    /// the verification was planned ahead, or `None` when the story ran past
    /// the end of the span.
    fn actions_for(
        &mut self,
        id: NonconformityId,
        analysed: i64,
    ) -> Result<Option<(i64, bool)>, GenError> {
        let k = self.rng.weighted(&[20, 35, 33, 12]) + 1;
        let mut steps: Vec<Step> = Vec::with_capacity(k * 3 + 1);
        let mut order = 0u32;
        let mut push = |steps: &mut Vec<Step>, at: i64, command: Command, actor: Actor| {
            steps.push(Step {
                at,
                order,
                command,
                actor,
            });
            order += 1;
        };
        let mut plan_at = analysed;
        let mut plans = Vec::with_capacity(k);
        for _ in 0..k {
            plan_at += self.rng.range(HOUR, DAY);
            let action = ActionId::v7_from_parts(millis(plan_at), self.rng.bytes10());
            let due = date(plan_at + self.rng.range(14, 90) * DAY);
            let owner = self.owner();
            let who = self.manager();
            let plan = Command::PlanAction {
                nonconformity: id,
                action,
                description: ACTIONS[self.rng.below(ACTIONS.len() as u64) as usize].into(),
                owner: self.owners[owner].clone(),
                due,
                late_justification: None,
            };
            push(&mut steps, plan_at, plan, who);
            plans.push((action, due, plan_at, owner));
        }
        self.actions += k;
        let all_planned = plan_at;
        let mut ahead = false;
        if self.rng.chance(self.shape.plan_ahead) {
            let latest_due = plans.iter().map(|p| p.1).max().unwrap_or(date(plan_at));
            let schedule = self.schedule(latest_due);
            let verifier = self.verifier();
            let who = self.manager();
            let plan = Command::PlanVerification {
                nonconformity: id,
                method: "Review of records".into(),
                criteria: "No further occurrence".into(),
                schedule,
                verifier: verifier.id.clone(),
            };
            push(&mut steps, all_planned + 60, plan, who);
            ahead = true;
        }
        let mut last_done = all_planned;
        for (i, &(action, due, planned, owner)) in plans.iter().enumerate() {
            let earliest = all_planned + DAY;
            let due_end = date_secs(due) + 17 * HOUR;
            let owner_actor = self.owner_actors[owner].clone();
            if i > 0 && self.rng.chance(self.shape.cancelled) {
                let at = earliest + self.rng.range(0, 30 * DAY);
                let cancel = Command::CancelAction {
                    nonconformity: id,
                    action,
                    reason: "Superseded by another action".into(),
                };
                push(&mut steps, at, cancel, owner_actor);
                continue;
            }
            let late = self.rng.chance(self.shape.late);
            let resched_p = if late {
                self.shape.rescheduled_when_late
            } else {
                self.shape.rescheduled_when_late / 12.0
            };
            let mut done = if late {
                due_end + self.rng.range(DAY, 45 * DAY)
            } else {
                let span = (due_end - earliest).max(HOUR);
                earliest + span / 5 + self.rng.range(0, span * 4 / 5 - HOUR)
            };
            done = done.max(earliest);
            if self.rng.chance(resched_p) {
                // Moved while still open, before completion: either ahead of
                // the due date or once it has passed.
                let at = if late && self.rng.chance(0.5) {
                    (due_end + self.rng.range(HOUR, 10 * DAY)).min(done - HOUR)
                } else {
                    planned + (done - planned) / 3 + self.rng.range(0, HOUR)
                };
                let to = date(due_end + self.rng.range(14, 60) * DAY);
                let resched = Command::RescheduleAction {
                    nonconformity: id,
                    action,
                    due: to,
                    reason: "Waiting for a supplier".into(),
                };
                push(
                    &mut steps,
                    at.max(planned + 60),
                    resched,
                    owner_actor.clone(),
                );
            }
            if self.rng.chance(0.7) {
                let at = planned + 60 + self.rng.range(0, (done - planned) / 4);
                let start = Command::StartAction {
                    nonconformity: id,
                    action,
                };
                push(&mut steps, at, start, owner_actor.clone());
            }
            let complete = Command::CompleteAction {
                nonconformity: id,
                action,
                evidence: vec![EvidenceRef::Document(format!(
                    "CHG-{}",
                    short(action.as_uuid().as_u128())
                ))],
            };
            push(&mut steps, done, complete, owner_actor);
            last_done = last_done.max(done);
        }
        // The attempt is implemented when its last action finishes, which
        // may be a cancellation after the last completion.
        last_done = steps
            .iter()
            .map(|s| s.at)
            .max()
            .unwrap_or(last_done)
            .max(last_done);
        steps.sort_by_key(|s| (s.at, s.order));
        for s in steps {
            if !self.exec(&s.command, s.at, s.actor)? {
                return Ok(None);
            }
        }
        Ok(Some((last_done, ahead)))
    }

    /// Proposes one improvement at `p` and carries it as far as it goes.
    fn improvement(&mut self, p: i64) -> Result<(), GenError> {
        let id = ImprovementId::v7_from_parts(millis(p), self.rng.bytes10());
        let weights: Vec<u32> = IMPROVEMENT_SOURCES.iter().map(|s| s.1).collect();
        let mut source = IMPROVEMENT_SOURCES[self.rng.weighted(&weights)].0;
        let nonconformity = if source == ImprovementSource::Nonconformity {
            let before = self.reported.partition_point(|(r, _)| *r <= p) as u64;
            if before == 0 {
                source = ImprovementSource::Audit;
                None
            } else {
                Some(self.reported[self.rng.below(before) as usize].1)
            }
        } else {
            None
        };
        let owner = self.owner();
        let manager = self.manager();
        let due = self
            .rng
            .chance(0.8)
            .then(|| date(p + self.rng.range(60, 240) * DAY));
        let propose = Command::ProposeImprovement(ProposeImprovement {
            audit: None,
            id,
            source,
            nonconformity,
            title: IMPROVEMENTS[self.rng.below(IMPROVEMENTS.len() as u64) as usize].into(),
            description: "Make the control cheaper to run".into(),
            expected_benefit: "Fewer findings".into(),
            priority: [Priority::High, Priority::Medium, Priority::Low]
                [self.rng.weighted(&[25, 50, 25])],
            owner: self.owners[owner].clone(),
            due,
            links: Vec::new(),
            extensions: Default::default(),
        });
        if !self.exec(&propose, p, manager.clone())? {
            return Ok(());
        }
        let mut now = p;
        let roll = self.rng.unit();
        if roll < 0.10 {
            let reject = Command::RejectImprovement {
                improvement: id,
                reason: "Cost outweighs benefit".into(),
            };
            let at = now + self.rng.range(5 * DAY, 60 * DAY);
            self.exec(&reject, at, manager)?;
            return Ok(());
        }
        if roll < 0.25 {
            return Ok(());
        }
        now += self.rng.range(3 * DAY, 30 * DAY);
        // Segregated approvals: another manager than the proposer approves.
        let approver = self.other_manager(&manager);
        if !self.exec(
            &Command::ApproveImprovement { improvement: id },
            now,
            approver,
        )? {
            return Ok(());
        }
        if self.rng.chance(0.07) {
            let reject = Command::RejectImprovement {
                improvement: id,
                reason: "Overtaken by events".into(),
            };
            let at = now + self.rng.range(5 * DAY, 60 * DAY);
            self.exec(&reject, at, manager)?;
            return Ok(());
        }
        let owner_actor = self.owner_actors[owner].clone();
        if self.rng.chance(0.75) {
            now += self.rng.range(DAY, 30 * DAY);
            let start = Command::StartImprovement { improvement: id };
            if !self.exec(&start, now, owner_actor.clone())? {
                return Ok(());
            }
        }
        if !self.rng.chance(0.85) {
            return Ok(());
        }
        now += self.rng.range(20 * DAY, 200 * DAY);
        let with_effect = self.rng.chance(0.3);
        let realise = Command::RealiseImprovement {
            improvement: id,
            isms_changes: vec![IsmsChange {
                kind: IsmsChangeKind::Control,
                description: "Control changed".into(),
                requirement: None,
                document: None,
            }],
            measured_effect: with_effect.then(|| "Findings down".into()),
        };
        if !self.exec(&realise, now, owner_actor)? {
            return Ok(());
        }
        if !with_effect && self.rng.chance(0.4) {
            let effect = Command::RecordImprovementEffect {
                improvement: id,
                measured_effect: "Findings down".into(),
            };
            let at = now + self.rng.range(30 * DAY, 120 * DAY);
            self.exec(&effect, at, manager)?;
        }
        Ok(())
    }
}

/// Six hex digits from the random end of an identifier: a plausible ticket
/// number that costs the generator no draw (so registers of a seed stay
/// what they were).
fn short(id: u128) -> String {
    format!("{:06X}", id & 0xFF_FFFF)
}
