//! What a decision needs besides the item it is about: when, who, under
//! which policy ([`Context`]), and the few facts about the rest of the
//! register that some rules look at ([`RegisterContext`]).
//!
//! The aggregate is the item (one nonconformity or one improvement). A
//! command is decided on that item's state alone, plus these facts:
//!
//! | fact | asked by |
//! |---|---|
//! | the highest reference number taken, per kind | reporting, proposing (the next reference) |
//! | a nonconformity's reference and state | root-cause analysis (similar cases), rejection as a duplicate, recurrence links (both sides), proposing an improvement from a nonconformity |
//! | whether a corrective-action id is taken | planning an action |
//! | whether an audit is recorded | reporting, proposing with an audit named |
//!
//! Each is one index look-up in a database. A store that cannot answer
//! look-ups from inside `decide` (they may fail, they may need a
//! transaction) asks [`Lookups::for_command`] what the command needs,
//! fetches exactly that into a [`RegisterFacts`] value
//! ([`RegisterFacts::gather`] does it over any [`FactSource`]), and
//! decides on the value.

use std::convert::Infallible;

use chrono::{DateTime, Utc};

use crate::audit::AuditId;
use crate::command::Command;
use crate::ids::{ActionId, Actor, NcRef, NonconformityId, RefKind};
use crate::item::ItemRef;
use crate::model::RejectionReason;
use crate::policy::Policy;
use crate::workflow::NcState;

/// When, who, under which policy, and the caller's entropy for event ids.
/// The core has no clock and no random source of its own, so that every
/// outcome is reproducible.
#[derive(Clone, Debug)]
pub struct Context<'p> {
    /// When the command is executed (recorded on every event it produces).
    pub at: DateTime<Utc>,
    /// Who executes it, with the roles the caller vouches for.
    pub actor: Actor,
    /// The organisation's policy.
    pub policy: &'p Policy,
    /// Extra entropy mixed into event identifiers. Event ids are unique
    /// without it (they are derived from the stream and the sequence, which
    /// a log never repeats); a random value makes them unpredictable too.
    pub entropy: u128,
    /// When the command is recorded, from the caller's clock, when the
    /// caller gives it: stored beside the effective time `at` on every
    /// event, so that back-dating shows, and checked against the policy's
    /// back-dating limit. `None` records no separate time.
    pub recorded_at: Option<DateTime<Utc>>,
}

impl<'p> Context<'p> {
    /// A context at `at` for `actor` under `policy`, with no extra entropy.
    pub fn new(at: DateTime<Utc>, actor: Actor, policy: &'p Policy) -> Self {
        Self {
            at,
            actor,
            policy,
            entropy: 0,
            recorded_at: None,
        }
    }

    /// The same context recorded at `recorded_at` by the caller's clock.
    #[must_use]
    pub fn with_recorded_at(mut self, recorded_at: DateTime<Utc>) -> Self {
        self.recorded_at = Some(recorded_at);
        self
    }

    /// The same context with this extra entropy for event ids.
    #[must_use]
    pub fn with_entropy(mut self, entropy: u128) -> Self {
        self.entropy = entropy;
        self
    }
}

/// What `decide` needs to know of another nonconformity: enough to link to
/// it and to name it in a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NcSummary {
    /// Its human reference.
    pub reference: NcRef,
    /// Its current state.
    pub state: NcState,
}

/// The facts about the rest of the register that `decide` may ask for.
/// Every method is an index look-up; none needs the whole register.
///
/// [`crate::Register`] implements it over memory and [`RegisterFacts`]
/// over facts fetched beforehand; a product that keeps items in its own
/// database usually fetches a [`RegisterFacts`] (see the module docs).
pub trait RegisterContext {
    /// The highest reference number taken by an item of this kind (0 when
    /// none): the next item gets this plus one. Only
    /// [`RefKind::Nonconformity`] and [`RefKind::Improvement`] are asked;
    /// actions are numbered within their nonconformity.
    fn last_number(&self, kind: RefKind) -> u32;

    /// The nonconformity with this id, if the register holds it.
    fn nonconformity(&self, id: NonconformityId) -> Option<NcSummary>;

    /// Whether a corrective action with this id exists on any
    /// nonconformity (action ids are unique across the register).
    fn action_exists(&self, id: ActionId) -> bool;

    /// Whether the register holds the audit with this id (its audit
    /// stream). The default answers no: a context that knows no audits
    /// refuses every finding that names one.
    fn audit_exists(&self, id: &AuditId) -> bool {
        let _ = id;
        false
    }
}

/// A fallible source of the same facts, for stores whose look-ups can fail
/// (a database). Every [`RegisterContext`] is one that never fails.
pub trait FactSource {
    /// What a failed look-up returns.
    type Error;

    /// As [`RegisterContext::last_number`].
    fn last_number(&self, kind: RefKind) -> Result<u32, Self::Error>;

    /// As [`RegisterContext::nonconformity`].
    fn nonconformity(&self, id: NonconformityId) -> Result<Option<NcSummary>, Self::Error>;

    /// As [`RegisterContext::action_exists`].
    fn action_exists(&self, id: ActionId) -> Result<bool, Self::Error>;

    /// As [`RegisterContext::audit_exists`]; the default answers no.
    ///
    /// # Errors
    /// The source's failure.
    fn audit_exists(&self, id: &AuditId) -> Result<bool, Self::Error> {
        let _ = id;
        Ok(false)
    }
}

impl<T: RegisterContext + ?Sized> FactSource for T {
    type Error = Infallible;

    fn last_number(&self, kind: RefKind) -> Result<u32, Infallible> {
        Ok(RegisterContext::last_number(self, kind))
    }

    fn nonconformity(&self, id: NonconformityId) -> Result<Option<NcSummary>, Infallible> {
        Ok(RegisterContext::nonconformity(self, id))
    }

    fn action_exists(&self, id: ActionId) -> Result<bool, Infallible> {
        Ok(RegisterContext::action_exists(self, id))
    }

    fn audit_exists(&self, id: &AuditId) -> Result<bool, Infallible> {
        Ok(RegisterContext::audit_exists(self, id))
    }
}

/// The look-ups one command needs, on the item it targets: what a store
/// fetches before deciding. Nothing else is asked by `decide` for that
/// command (a property test checks it against the whole register).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lookups {
    /// The kind whose next reference number is needed (creations only).
    pub numbering: Option<RefKind>,
    /// Nonconformities whose summary is needed.
    pub nonconformities: Vec<NonconformityId>,
    /// Action ids whose existence is needed.
    pub actions: Vec<ActionId>,
    /// Audit ids whose existence is needed.
    pub audits: Vec<AuditId>,
}

impl Lookups {
    /// What deciding `command` on `item` (its target's current state, `None`
    /// before creation) may ask of the register.
    pub fn for_command(command: &Command, item: Option<ItemRef<'_>>) -> Self {
        let mut needs = Lookups::default();
        match command {
            Command::ReportNonconformity(r) => {
                needs.numbering = Some(RefKind::Nonconformity);
                needs.audits.extend(r.audit.clone());
            }
            Command::ProposeImprovement(p) => {
                needs.numbering = Some(RefKind::Improvement);
                needs.nonconformities.extend(p.nonconformity);
                needs.audits.extend(p.audit.clone());
            }
            Command::AnalyseRootCause { similar, .. } => {
                needs.nonconformities.extend(similar.iter().copied());
            }
            Command::PlanAction { action, .. } => needs.actions.push(*action),
            Command::RecordRecurrence { recurrence, .. } => needs.nonconformities.push(*recurrence),
            Command::RejectNonconformity {
                reason: RejectionReason::Duplicate { of },
                ..
            } => needs.nonconformities.push(*of),
            Command::LinkRecurrence { recurrence_of, .. } => {
                needs.nonconformities.push(*recurrence_of);
                if let Some(ItemRef::Nonconformity(nc)) = item {
                    needs.nonconformities.extend(nc.recurrence_of);
                }
            }
            _ => {}
        }
        needs
    }
}

/// Facts fetched for one decision: a [`RegisterContext`] that answers
/// exactly what was gathered. A look-up that was not gathered answers "no
/// such item", so gather with [`Lookups::for_command`] for the command
/// being decided.
///
/// ```
/// use isms_core::*;
///
/// // A product's database answers four kinds of index look-up.
/// struct Db;
/// impl FactSource for Db {
///     type Error = std::io::Error;
///     fn last_number(&self, _: RefKind) -> Result<u32, Self::Error> { Ok(41) }
///     fn nonconformity(&self, _: NonconformityId) -> Result<Option<NcSummary>, Self::Error> { Ok(None) }
///     fn action_exists(&self, _: ActionId) -> Result<bool, Self::Error> { Ok(false) }
/// }
///
/// let needs = Lookups { numbering: Some(RefKind::Nonconformity), ..Lookups::default() };
/// let facts = RegisterFacts::gather(&needs, &Db)?;
/// assert_eq!(RegisterContext::last_number(&facts, RefKind::Nonconformity), 41);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterFacts {
    /// Highest nonconformity number taken.
    pub last_nc_number: u32,
    /// Highest improvement number taken.
    pub last_improvement_number: u32,
    /// Summaries of the nonconformities looked up and found.
    pub nonconformities: Vec<(NonconformityId, NcSummary)>,
    /// Action ids looked up and found.
    pub actions: Vec<ActionId>,
    /// Audit ids looked up and found.
    pub audits: Vec<AuditId>,
}

impl RegisterFacts {
    /// Fetches what `needs` lists from `source`.
    ///
    /// # Errors
    /// The source's first failure.
    pub fn gather<S: FactSource + ?Sized>(needs: &Lookups, source: &S) -> Result<Self, S::Error> {
        let mut facts = RegisterFacts::default();
        match needs.numbering {
            Some(RefKind::Nonconformity) => {
                facts.last_nc_number = source.last_number(RefKind::Nonconformity)?;
            }
            Some(RefKind::Improvement) => {
                facts.last_improvement_number = source.last_number(RefKind::Improvement)?;
            }
            Some(RefKind::Action) | None => {}
        }
        for &id in &needs.nonconformities {
            if let Some(summary) = source.nonconformity(id)? {
                facts.nonconformities.push((id, summary));
            }
        }
        for &id in &needs.actions {
            if source.action_exists(id)? {
                facts.actions.push(id);
            }
        }
        for id in &needs.audits {
            if source.audit_exists(id)? {
                facts.audits.push(id.clone());
            }
        }
        Ok(facts)
    }
}

impl RegisterContext for RegisterFacts {
    fn last_number(&self, kind: RefKind) -> u32 {
        match kind {
            RefKind::Nonconformity => self.last_nc_number,
            RefKind::Improvement => self.last_improvement_number,
            RefKind::Action => 0,
        }
    }

    fn nonconformity(&self, id: NonconformityId) -> Option<NcSummary> {
        self.nonconformities
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, s)| *s)
    }

    fn action_exists(&self, id: ActionId) -> bool {
        self.actions.contains(&id)
    }

    fn audit_exists(&self, id: &AuditId) -> bool {
        self.audits.contains(id)
    }
}
