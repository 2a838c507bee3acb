//! The register in memory: every nonconformity and improvement, folded
//! from events, for callers that hold everything (tests, the testkit, the
//! generator, imports). It is a convenience over the item-level
//! [`crate::decide`] and [`crate::apply`]: it answers the register facts
//! ([`RegisterContext`]) from its own maps and decides each command on the
//! one item the command targets.

use crate::adoption::{AdoptPolicy, PolicyHistory, decide_policy};
use crate::audit::{AuditBook, AuditId, RecordAudit, decide_audit};
use crate::hash::{IdMap, IdSet};

use crate::command::Command;
use crate::context::{Context, NcSummary, RegisterContext};
use crate::decide::{Decision, decide};
use crate::error::DecisionError;
use crate::event::{Event, EventPayload, StreamId};
use crate::ids::{ActionId, ImprovementId, ImprovementRef, NcRef, NonconformityId, RefKind};
use crate::item::{ItemRef, apply_improvement_event, apply_nonconformity_event};
use crate::model::{Improvement, Nonconformity};

/// The improvement register: nonconformities (10.2) and improvement
/// opportunities (10.1), folded from events.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use isms_core::*;
///
/// let policy = Policy::default();
/// let alice = Actor::new(ActorId::new("alice")?);
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
/// let mut register = Register::new();
/// let id = NonconformityId::v7_from_parts(1, [0; 10]);
/// let report = Command::ReportNonconformity(ReportNonconformity {
///     id,
///     title: "Backup job failed for 3 nights".into(),
///     description: "Nightly backup of the file server failed unnoticed.".into(),
///     source: Source::Monitoring,
///     severity: Severity::Major,
///     requirements: vec!["iso27001:2022/A.8.13".parse()?],
///     owner: ActorId::new("bob")?,
///     detected_at: at,
///     external_deadline: None,
///     links: vec![],
///     extensions: Default::default(),
///     audit: None,
/// });
/// let decision = register.execute(&report, &Context::new(at, alice, &policy))?;
/// assert_eq!(decision.events.len(), 1);
/// let nc = register.nonconformity(id).unwrap();
/// assert_eq!(nc.reference.to_string(), "NC-0001");
/// assert_eq!(nc.state, NcState::Reported);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Register {
    nonconformities: Vec<Nonconformity>,
    nc_index: IdMap<NonconformityId, u32>,
    improvements: Vec<Improvement>,
    imp_index: IdMap<ImprovementId, u32>,
    actions: IdSet<ActionId>,
    last_nc_number: u32,
    last_improvement_number: u32,
    events_applied: u64,
    policies: PolicyHistory,
    audits: AuditBook,
}

impl Register {
    /// An empty register.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty register with room for this many nonconformities,
    /// improvements and corrective actions: a caller that knows how large
    /// the register will grow (a generator, a bulk import) saves copying
    /// every item each time the storage doubles.
    ///
    /// ```
    /// let register = isms_core::Register::with_capacity(1_000, 100, 2_500);
    /// assert!(register.nonconformities().is_empty());
    /// ```
    pub fn with_capacity(nonconformities: usize, improvements: usize, actions: usize) -> Self {
        let mut r = Self::new();
        r.nonconformities.reserve_exact(nonconformities);
        r.nc_index.reserve(nonconformities);
        r.improvements.reserve_exact(improvements);
        r.imp_index.reserve(improvements);
        r.actions.reserve(actions);
        r
    }

    /// Folds events into a new register.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut r = Self::new();
        for e in events {
            r.apply(e);
        }
        r
    }

    /// Folds owned events into a new register, without copying their text:
    /// the fast way to replay a log just loaded from storage.
    pub fn from_events_owned(events: impl IntoIterator<Item = Event>) -> Self {
        let mut r = Self::new();
        for e in events {
            r.apply_owned(e);
        }
        r
    }

    /// A register of items already folded elsewhere (a store's
    /// projections), without their events: the same register the events
    /// would fold into, except that [`Register::events_applied`] counts the
    /// items' versions. Items whose id repeats are kept once (the first).
    pub fn from_items(
        nonconformities: impl IntoIterator<Item = Nonconformity>,
        improvements: impl IntoIterator<Item = Improvement>,
    ) -> Self {
        let mut r = Self::new();
        for nc in nonconformities {
            if r.nc_index.contains_key(&nc.id) {
                continue;
            }
            r.events_applied += nc.version;
            r.last_nc_number = r.last_nc_number.max(nc.reference.number());
            r.actions.extend(nc.actions.iter().map(|a| a.id));
            r.nc_index.insert(nc.id, r.nonconformities.len() as u32);
            r.nonconformities.push(nc);
        }
        for imp in improvements {
            if r.imp_index.contains_key(&imp.id) {
                continue;
            }
            r.events_applied += imp.version;
            r.last_improvement_number = r.last_improvement_number.max(imp.reference.number());
            r.imp_index.insert(imp.id, r.improvements.len() as u32);
            r.improvements.push(imp);
        }
        r
    }

    /// The same register with this policy history (for a register built
    /// [`Register::from_items`], whose projections hold no policy).
    #[must_use]
    pub fn with_policies(mut self, policies: PolicyHistory) -> Self {
        self.events_applied += policies.version();
        self.policies = policies;
        self
    }

    /// Every nonconformity, in order of reporting.
    pub fn nonconformities(&self) -> &[Nonconformity] {
        &self.nonconformities
    }

    /// Every improvement, in order of proposal.
    pub fn improvements(&self) -> &[Improvement] {
        &self.improvements
    }

    /// The nonconformity with this id.
    pub fn nonconformity(&self, id: NonconformityId) -> Option<&Nonconformity> {
        self.nc_index
            .get(&id)
            .map(|&i| &self.nonconformities[i as usize])
    }

    /// The nonconformity with this human reference.
    pub fn nonconformity_by_ref(&self, r: NcRef) -> Option<&Nonconformity> {
        // References are dense when every report went through `decide`;
        // a log with gaps falls back to a scan.
        match self.nonconformities.get(r.number() as usize - 1) {
            Some(nc) if nc.reference == r => Some(nc),
            _ => self.nonconformities.iter().find(|nc| nc.reference == r),
        }
    }

    /// The improvement with this id.
    pub fn improvement(&self, id: ImprovementId) -> Option<&Improvement> {
        self.imp_index
            .get(&id)
            .map(|&i| &self.improvements[i as usize])
    }

    /// The improvement with this human reference.
    pub fn improvement_by_ref(&self, r: ImprovementRef) -> Option<&Improvement> {
        match self.improvements.get(r.number() as usize - 1) {
            Some(imp) if imp.reference == r => Some(imp),
            _ => self.improvements.iter().find(|imp| imp.reference == r),
        }
    }

    /// The item a stream records, borrowed for [`crate::decide`].
    pub fn item(&self, stream: StreamId) -> Option<ItemRef<'_>> {
        match stream {
            StreamId::Nonconformity(id) => self.nonconformity(id).map(ItemRef::Nonconformity),
            StreamId::Improvement(id) => self.improvement(id).map(ItemRef::Improvement),
            StreamId::Policy | StreamId::Audits => None,
        }
    }

    /// The audits and reviews recorded in the register.
    pub fn audits(&self) -> &AuditBook {
        &self.audits
    }

    /// Decides the record of an audit on this register's audits
    /// ([`decide_audit`]) and applies it. On refusal nothing changes.
    ///
    /// # Errors
    /// The refusal, as [`decide_audit`].
    pub fn record_audit(
        &mut self,
        record: &RecordAudit,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        let decision = decide_audit(&self.audits, record, ctx)?;
        for e in &decision.events {
            self.apply(e);
        }
        Ok(decision)
    }

    /// The same register with these audits (for a register built
    /// [`Register::from_items`], whose projections hold no audit).
    #[must_use]
    pub fn with_audits(mut self, audits: AuditBook) -> Self {
        self.events_applied += audits.version();
        self.audits = audits;
        self
    }

    /// The policies adopted for the register, in order.
    pub fn policies(&self) -> &PolicyHistory {
        &self.policies
    }

    /// Decides the adoption of a policy on this register's policy history
    /// ([`decide_policy`]) and applies it. On refusal nothing changes.
    ///
    /// # Errors
    /// The refusal, as [`decide_policy`].
    pub fn adopt_policy(
        &mut self,
        command: &AdoptPolicy,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        let decision = decide_policy(&self.policies, command, ctx)?;
        for e in &decision.events {
            self.apply(e);
        }
        Ok(decision)
    }

    /// Number of events applied so far.
    pub fn events_applied(&self) -> u64 {
        self.events_applied
    }

    /// The version (number of events) of a stream; 0 for a new stream.
    pub fn stream_version(&self, stream: StreamId) -> u64 {
        match stream {
            StreamId::Nonconformity(id) => self.nonconformity(id).map_or(0, |n| n.version),
            StreamId::Improvement(id) => self.improvement(id).map_or(0, |i| i.version),
            StreamId::Policy => self.policies.version(),
            StreamId::Audits => self.audits.version(),
        }
    }

    /// Decides and applies in one step: the usual way to run a command in
    /// memory. On refusal nothing changes.
    ///
    /// # Errors
    /// The refusal, as [`Register::decide`].
    pub fn execute(
        &mut self,
        command: &Command,
        ctx: &Context<'_>,
    ) -> Result<Decision, DecisionError> {
        let decision = self.decide(command, ctx)?;
        for e in &decision.events {
            self.apply(e);
        }
        Ok(decision)
    }

    /// Decides `command` on the item it targets, with this register as the
    /// context: the same as [`crate::decide`] on that item.
    ///
    /// # Errors
    /// A [`DecisionError`] naming the broken rule.
    pub fn decide(&self, command: &Command, ctx: &Context<'_>) -> Result<Decision, DecisionError> {
        decide(self.item(command.stream()), command, self, ctx)
    }

    /// Applies one event. Never fails: an event that does not fit the state
    /// (for example one for an unknown stream, which `decide` never
    /// produces) is counted and otherwise ignored, so that replay of any log
    /// terminates with a well-formed register.
    pub fn apply(&mut self, event: &Event) {
        self.apply_owned(event.clone());
    }

    /// Applies one event it owns: the same as [`Register::apply`], without
    /// copying the event's text (the way to replay a loaded log).
    pub fn apply_owned(&mut self, event: Event) {
        self.events_applied += 1;
        if event.stream == StreamId::Policy {
            self.policies.apply_owned(event);
            return;
        }
        if event.stream == StreamId::Audits {
            self.audits.apply_owned(event);
            return;
        }
        let Event {
            stream,
            sequence,
            at,
            actor,
            payload,
            ..
        } = event;
        match stream {
            StreamId::Nonconformity(id) => {
                let index = self.nc_index.get(&id).copied();
                if let (Some(_), EventPayload::ActionPlanned { action, .. }) = (index, &payload) {
                    self.actions.insert(*action);
                }
                let slot = index.map(|i| &mut self.nonconformities[i as usize]);
                if let Some(nc) = apply_nonconformity_event(slot, id, sequence, at, actor, payload)
                {
                    self.last_nc_number = self.last_nc_number.max(nc.reference.number());
                    self.nc_index.insert(id, self.nonconformities.len() as u32);
                    self.nonconformities.push(nc);
                }
            }
            StreamId::Improvement(id) => {
                let index = self.imp_index.get(&id).copied();
                let slot = index.map(|i| &mut self.improvements[i as usize]);
                if let Some(imp) = apply_improvement_event(slot, id, sequence, at, actor, payload) {
                    self.last_improvement_number =
                        self.last_improvement_number.max(imp.reference.number());
                    self.imp_index.insert(id, self.improvements.len() as u32);
                    self.improvements.push(imp);
                }
            }
            StreamId::Policy | StreamId::Audits => {}
        }
    }
}

impl RegisterContext for Register {
    fn last_number(&self, kind: RefKind) -> u32 {
        match kind {
            RefKind::Nonconformity => self.last_nc_number,
            RefKind::Improvement => self.last_improvement_number,
            RefKind::Action => 0,
        }
    }

    fn nonconformity(&self, id: NonconformityId) -> Option<NcSummary> {
        Register::nonconformity(self, id).map(|nc| NcSummary {
            reference: nc.reference,
            state: nc.state,
        })
    }

    fn action_exists(&self, id: ActionId) -> bool {
        self.actions.contains(&id)
    }

    fn audit_exists(&self, id: &AuditId) -> bool {
        self.audits.audit(id).is_some()
    }
}
