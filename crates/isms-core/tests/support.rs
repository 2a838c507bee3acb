//! A small driver for example-based tests: one clock, named actors, and
//! helpers that build commands with readable defaults.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use isms_core::*;

pub fn actor(name: &str) -> Actor {
    Actor::new(ActorId::new(name).unwrap())
}

pub fn id(name: &str) -> ActorId {
    ActorId::new(name).unwrap()
}

pub fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 10, 0, 0).unwrap()
}

/// A register plus a policy, a moving clock and a counter for ids.
pub struct Desk {
    pub register: Register,
    pub policy: Policy,
    pub now: DateTime<Utc>,
    pub events: Vec<Event>,
    next: u64,
}

impl Desk {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            register: Register::new(),
            policy: Policy::default(),
            now,
            events: Vec::new(),
            next: 1,
        }
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    fn fresh(&mut self) -> u128 {
        self.next += 1;
        u128::from(self.next) << 64 | 0xABCD
    }

    pub fn nc_id(&mut self) -> NonconformityId {
        NonconformityId::from_uuid(uuid::Uuid::from_u128(self.fresh()))
    }

    pub fn action_id(&mut self) -> ActionId {
        ActionId::from_uuid(uuid::Uuid::from_u128(self.fresh()))
    }

    pub fn try_run(&mut self, who: &Actor, command: Command) -> Result<Decision, DecisionError> {
        let entropy = self.fresh();
        let ctx = Context::new(self.now, who.clone(), &self.policy).with_entropy(entropy);
        let before = self.register.clone();
        let result = self.register.execute(&command, &ctx);
        match &result {
            Ok(d) => self.events.extend(d.events.iter().cloned()),
            Err(_) => assert_eq!(
                before, self.register,
                "a refused command changed the register"
            ),
        }
        result
    }

    pub fn run(&mut self, who: &Actor, command: Command) -> Decision {
        match self.try_run(who, command.clone()) {
            Ok(d) => d,
            Err(e) => panic!("command refused: {e}\n{command:?}"),
        }
    }

    pub fn report(
        &mut self,
        who: &Actor,
        title: &str,
        source: Source,
        severity: Severity,
        reqs: &[&str],
    ) -> NonconformityId {
        let nc = self.nc_id();
        self.run(
            who,
            Command::ReportNonconformity(ReportNonconformity {
                audit: None,
                id: nc,
                title: title.into(),
                description: format!("{title}: found during routine work"),
                source,
                severity,
                requirements: reqs.iter().map(|r| r.parse().unwrap()).collect(),
                owner: who.id.clone(),
                detected_at: self.now - Duration::hours(2),
                external_deadline: None,
                links: vec![],
                extensions: Default::default(),
            }),
        );
        nc
    }

    pub fn contain(&mut self, who: &Actor, nc: NonconformityId, what: &str) {
        self.run(
            who,
            Command::RecordContainment {
                nonconformity: nc,
                action_taken: what.into(),
                consequences: None,
                late_justification: None,
            },
        );
    }

    pub fn analyse(
        &mut self,
        who: &Actor,
        nc: NonconformityId,
        cause: RootCauseCategory,
        statement: &str,
    ) {
        self.run(
            who,
            Command::AnalyseRootCause {
                nonconformity: nc,
                method: AnalysisMethod::FiveWhys,
                causes: vec![RootCause {
                    category: cause,
                    statement: statement.into(),
                }],
                similar: vec![],
                similar_notes: Some("checked the other sites: none affected".into()),
                decision: ActionDecision::ActionRequired,
            },
        );
    }

    pub fn plan(
        &mut self,
        who: &Actor,
        nc: NonconformityId,
        what: &str,
        owner: &str,
        due: NaiveDate,
    ) -> ActionId {
        let action = self.action_id();
        self.run(
            who,
            Command::PlanAction {
                nonconformity: nc,
                action,
                description: what.into(),
                owner: id(owner),
                due,
                late_justification: None,
            },
        );
        action
    }

    pub fn complete(&mut self, who: &Actor, nc: NonconformityId, action: ActionId) {
        self.run(
            who,
            Command::CompleteAction {
                nonconformity: nc,
                action,
                evidence: vec![EvidenceRef::document("ticket/CHG-1")],
            },
        );
    }

    pub fn plan_verification(
        &mut self,
        who: &Actor,
        nc: NonconformityId,
        schedule: VerificationSchedule,
        verifier: &str,
    ) {
        self.run(
            who,
            Command::PlanVerification {
                nonconformity: nc,
                method: "review of records".into(),
                criteria: "no repeat of the finding".into(),
                schedule,
                verifier: id(verifier),
            },
        );
    }

    pub fn verify(
        &mut self,
        who: &Actor,
        nc: NonconformityId,
        check: u32,
        passed: bool,
    ) -> Decision {
        self.run(
            who,
            Command::RecordVerification {
                nonconformity: nc,
                check,
                passed,
                notes: None,
                evidence: vec![EvidenceRef::document("verification record")],
            },
        )
    }

    pub fn close(&mut self, who: &Actor, nc: NonconformityId, changes: Vec<IsmsChange>) {
        self.run(
            who,
            Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: nc,
                isms_changes: changes,
                notes: None,
            },
        );
    }

    pub fn nc(&self, id: NonconformityId) -> &Nonconformity {
        self.register.nonconformity(id).unwrap()
    }

    /// Rebuilding from the events gives the live state, and every invariant holds.
    pub fn check(&self) {
        assert_eq!(Register::from_events(&self.events), self.register);
        if let Err(v) = check_invariants(&self.register, &self.policy) {
            panic!("invariants broken: {v:?}");
        }
    }
}
