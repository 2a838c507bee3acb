//! Realistic event streams for tests, benchmarks and stress tools of any
//! backend, produced by the real core (`Register::execute`), never written
//! by hand: each nonconformity is reported, contained, analysed, given a
//! corrective action that is started and completed, verified effective and
//! closed (10 events).

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use isms_core::{
    ActionDecision, ActionId, Actor, ActorId, AnalysisMethod, Command, Context, DecisionError,
    Event, EvidenceRef, Extensions, ImprovementId, ImprovementSource, NonconformityId, Policy,
    Priority, ProposeImprovement, Register, ReportNonconformity, RootCause, RootCauseCategory,
    Severity, Source, VerificationSchedule,
};

/// Events per [`Workload::lifecycle`].
pub const LIFECYCLE_EVENTS: usize = 10;

fn actor(name: &str) -> Actor {
    // The names below are valid actor names.
    Actor::new(ActorId::new(name).unwrap_or_else(|_| unreachable!()))
}

/// A generator of nonconformities and their histories.
#[derive(Clone, Debug)]
pub struct Workload {
    register: Register,
    policy: Policy,
    clock: DateTime<Utc>,
    counter: u64,
    salt: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Self::new()
    }
}

impl Workload {
    /// An empty workload starting on 5 January 2026.
    pub fn new() -> Self {
        Self {
            register: Register::new(),
            policy: Policy::default(),
            clock: Utc
                .with_ymd_and_hms(2026, 1, 5, 8, 0, 0)
                .single()
                .unwrap_or_default(),
            counter: 0,
            salt: 0,
        }
    }

    /// The same workload with identifiers salted by `salt`, so that two
    /// generators (two writer processes) never make the same ids.
    #[must_use]
    pub fn with_salt(mut self, salt: u64) -> Self {
        self.salt = salt;
        self
    }

    /// A workload continuing after these events (for example those
    /// already in a store).
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut w = Self::new();
        w.catch_up(events);
        w
    }

    /// Applies events another writer appended, so that what this workload
    /// generates next continues after them (references included).
    pub fn catch_up<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) {
        for e in events {
            self.register.apply(e);
            self.clock = self.clock.max(e.at);
            self.counter += 1;
        }
    }

    /// The register the generated events fold into.
    pub fn register(&self) -> &Register {
        &self.register
    }

    fn next_entropy(&mut self) -> u128 {
        self.counter += 1;
        u128::from(self.counter) << 64 | u128::from(self.salt)
    }

    fn run(
        &mut self,
        command: &Command,
        who: &Actor,
        at: DateTime<Utc>,
        out: &mut Vec<Event>,
    ) -> Result<(), DecisionError> {
        let entropy = self.next_entropy();
        let ctx = Context::new(at, who.clone(), &self.policy).with_entropy(entropy);
        out.extend(self.register.execute(command, &ctx)?.events);
        Ok(())
    }

    /// A command reporting a new nonconformity, carrying `extensions`.
    pub fn report_command(&mut self, extensions: Extensions) -> Command {
        let entropy = self.next_entropy().to_le_bytes();
        let mut bytes = [0u8; 10];
        bytes.copy_from_slice(&entropy[..10]);
        let millis = u64::try_from(self.clock.timestamp_millis()).unwrap_or(0);
        let n = self.register.nonconformities().len();
        Command::ReportNonconformity(ReportNonconformity {
            id: NonconformityId::v7_from_parts(millis, bytes),
            title: format!("Backup job failed (case {})", n + 1),
            description: "The nightly backup of the file server failed three nights in a row \
                          and nobody noticed; restoration was never tested."
                .into(),
            source: Source::ALL[n % Source::ALL.len()],
            severity: if n.is_multiple_of(3) {
                Severity::Major
            } else {
                Severity::Minor
            },
            requirements: vec![
                "iso27001:2022/A.8.13"
                    .parse()
                    .unwrap_or_else(|_| unreachable!()),
            ],
            owner: actor("omar").id,
            detected_at: self.clock,
            external_deadline: None,
            links: vec![],
            extensions,
        })
    }

    /// A command proposing a new improvement (from a management review,
    /// no nonconformity named), with ids salted like the reports'.
    pub fn improvement_command(&mut self) -> Command {
        let entropy = self.next_entropy().to_le_bytes();
        let mut bytes = [0u8; 10];
        bytes.copy_from_slice(&entropy[..10]);
        let millis = u64::try_from(self.clock.timestamp_millis()).unwrap_or(0);
        let n = self.register.improvements().len();
        Command::ProposeImprovement(ProposeImprovement::new(
            ImprovementId::v7_from_parts(millis, bytes),
            ImprovementSource::ManagementReview,
            format!("Automate the restore test (proposal {})", n + 1),
            "Run a scripted restoration of the file server every month and report the result.",
            "Backups that cannot be restored are found within a month.",
            Priority::Medium,
            actor("omar").id,
        ))
    }

    /// Reports one nonconformity; returns its id and event.
    pub fn report(
        &mut self,
        extensions: Extensions,
    ) -> Result<(NonconformityId, Vec<Event>), DecisionError> {
        self.clock += Duration::seconds(1);
        let command = self.report_command(extensions);
        let Command::ReportNonconformity(r) = &command else {
            unreachable!()
        };
        let id = r.id;
        let mut out = Vec::with_capacity(1);
        let at = self.clock;
        self.run(&command, &actor("maria"), at, &mut out)?;
        Ok((id, out))
    }

    /// A whole life of a new nonconformity, from report to closure: 10
    /// events of one stream.
    pub fn lifecycle(&mut self, extensions: Extensions) -> Result<Vec<Event>, DecisionError> {
        let (nc, mut out) = self.report(extensions)?;
        let t0 = self.clock;
        let day = |d: i64| t0 + Duration::days(d);
        let date = |d: i64| day(d).date_naive();
        let maria = actor("maria");
        let omar = actor("omar");
        let vera = actor("vera");
        self.run(
            &Command::RecordContainment {
                nonconformity: nc,
                action_taken: "Ran the backup by hand and checked the copy.".into(),
                consequences: Some("No data lost.".into()),
                late_justification: None,
            },
            &omar,
            t0 + Duration::hours(1),
            &mut out,
        )?;
        self.run(
            &Command::AnalyseRootCause {
                nonconformity: nc,
                method: AnalysisMethod::FiveWhys,
                causes: vec![RootCause {
                    category: RootCauseCategory::Technology,
                    statement: "Backup failures raised no alert.".into(),
                }],
                similar: vec![],
                similar_notes: Some("Checked the other backup jobs: same gap.".into()),
                decision: ActionDecision::ActionRequired,
            },
            &omar,
            day(1),
            &mut out,
        )?;
        let action = ActionId::v7_from_parts(u64::try_from(t0.timestamp_millis()).unwrap_or(0), {
            let mut b = [0u8; 10];
            b.copy_from_slice(&self.next_entropy().to_be_bytes()[6..]);
            b
        });
        self.run(
            &Command::PlanAction {
                nonconformity: nc,
                action,
                description: "Add monitoring and a redundant backup target.".into(),
                owner: omar.id.clone(),
                due: date(30),
                late_justification: None,
            },
            &omar,
            day(1),
            &mut out,
        )?;
        self.run(
            &Command::StartAction {
                nonconformity: nc,
                action,
            },
            &omar,
            day(2),
            &mut out,
        )?;
        self.run(
            &Command::CompleteAction {
                nonconformity: nc,
                action,
                evidence: vec![EvidenceRef::document("CHG-1042")],
            },
            &omar,
            day(10),
            &mut out,
        )?;
        let check_on: NaiveDate = date(40);
        self.run(
            &Command::PlanVerification {
                nonconformity: nc,
                method: "Test restoration".into(),
                criteria: "A file restores intact from each target.".into(),
                schedule: VerificationSchedule::once(check_on),
                verifier: vera.id.clone(),
            },
            &maria,
            day(10),
            &mut out,
        )?;
        self.run(
            &Command::RecordVerification {
                nonconformity: nc,
                check: 0,
                passed: true,
                notes: None,
                evidence: vec![EvidenceRef::document("RESTORE-TEST-7")],
            },
            &vera,
            day(40),
            &mut out,
        )?;
        self.run(
            &Command::CloseNonconformity {
                nonconformity: nc,
                isms_changes: vec![],
                notes: Some("Monitoring in place.".into()),
            },
            &maria,
            day(41),
            &mut out,
        )?;
        Ok(out)
    }

    /// A command recording a further correction on an existing, contained
    /// nonconformity (a command that can repeat, for contention tests).
    pub fn containment_command(nonconformity: NonconformityId, text: &str) -> Command {
        Command::RecordContainment {
            nonconformity,
            action_taken: text.to_owned(),
            consequences: None,
            late_justification: None,
        }
    }
}
