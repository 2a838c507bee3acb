//! Running commands against a store: load, decide, append with the
//! expected version, retry on conflict, and answer a repeated request id
//! with its earlier outcome.

use chrono::{DateTime, Utc};
use isms_core::{
    Actor, AdoptPolicy, Command, Context, Decision, Item, Lookups, Policy, PolicyHistory,
    PolicyWarning, RegisterFacts, StreamId, decide, decide_policy,
};

use crate::chain::fingerprint;
use crate::error::{AppendError, HandleError};
use crate::store::EventStore;
use crate::types::{
    AppendBatch, ExpectedVersion, Numbering, RecordedRequest, RequestId, RequestRecord, Selection,
    StoredEvent, StreamAppend,
};

/// Who runs a command, when, and under which request id.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// The acting party.
    pub actor: Actor,
    /// When the command runs (the store takes no clock of its own either).
    pub at: DateTime<Utc>,
    /// Entropy for event ids (random in production).
    pub entropy: u128,
    /// A client-supplied id that makes the command idempotent.
    pub request: Option<RequestId>,
    /// When the command is recorded by the caller's clock, kept on every
    /// event beside the effective time `at` (see `isms_core::Context`).
    pub recorded_at: Option<DateTime<Utc>>,
}

impl Invocation {
    /// An invocation without a request id and with zero entropy.
    pub fn new(actor: Actor, at: DateTime<Utc>) -> Self {
        Self {
            actor,
            at,
            entropy: 0,
            request: None,
            recorded_at: None,
        }
    }

    /// The same invocation recorded at `recorded_at` by the caller's clock.
    #[must_use]
    pub fn with_recorded_at(mut self, recorded_at: DateTime<Utc>) -> Self {
        self.recorded_at = Some(recorded_at);
        self
    }

    /// The same invocation with a request id.
    #[must_use]
    pub fn with_request(mut self, request: RequestId) -> Self {
        self.request = Some(request);
        self
    }

    /// The same invocation with entropy for event ids.
    #[must_use]
    pub fn with_entropy(mut self, entropy: u128) -> Self {
        self.entropy = entropy;
        self
    }
}

/// What an accepted command did.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The events it appended, as stored.
    pub events: Vec<StoredEvent>,
    /// Policy warnings of the decision.
    pub warnings: Vec<PolicyWarning>,
    /// `true` when the request id had been applied before and this is the
    /// earlier outcome, returned without appending.
    pub replayed: bool,
    /// How many times the command was decided (1 without conflicts).
    pub attempts: u32,
}

/// Runs commands against an [`EventStore`] under the policy in force (the
/// register's latest adoption at the command's time, else the handler's
/// base [`Policy`]), one item at a time: for each command it loads the target item's stream and the
/// few register facts the command needs, decides, and appends with the
/// item's version as the expected version. Nothing register-wide is held
/// or read, so a command costs the same on a register of a hundred items
/// or of a million.
///
/// The handler holds no rule of its own: `isms_core::decide` accepts or
/// refuses, the store appends or reports a conflict (another writer moved
/// the stream), and the handler decides again on fresh state. A new item's
/// reference is not a conflict: the handler appends with
/// [`Numbering::Assign`], so the store numbers it under its write lock and
/// writers creating items at once never decide twice for a number.
#[derive(Debug)]
pub struct CommandHandler<S> {
    store: S,
    policy: Policy,
    max_attempts: u32,
}

impl<S: EventStore> CommandHandler<S> {
    /// Decides at most this many times per command by default.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

    /// A handler over `store`. Reads nothing yet.
    pub fn new(store: S, policy: Policy) -> Self {
        Self {
            store,
            policy,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
        }
    }

    /// The same handler deciding at most `attempts` times (at least once)
    /// before giving up on a contended stream.
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, mutably (appending behind the handler is safe: every
    /// command reads its item afresh).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The policies the register adopted, folded from its policy stream
    /// (one small stream, read per command).
    ///
    /// # Errors
    /// The store's failure to read.
    pub fn policies(&self) -> Result<PolicyHistory, HandleError> {
        let mut history = PolicyHistory::new();
        self.store
            .read(Selection::Stream(StreamId::Policy), &mut |e| {
                history.apply_owned(e.event);
            })?;
        Ok(history)
    }

    /// Decides `command` on the store's current state without appending:
    /// the item it targets (`None` before creation) and the decision,
    /// taken under the policy in force at the invocation's time (the
    /// handler's policy before the register's first adoption).
    ///
    /// # Errors
    /// The refusal, or the store's failure to read.
    pub fn decide(
        &self,
        command: &Command,
        invocation: &Invocation,
    ) -> Result<(Option<Item>, Decision), HandleError> {
        let (item, decision, _) = self.decide_versioned(command, invocation)?;
        Ok((item, decision))
    }

    fn decide_versioned(
        &self,
        command: &Command,
        invocation: &Invocation,
    ) -> Result<(Option<Item>, Decision, u64), HandleError> {
        let policies = self.policies()?;
        let item = self.store.load_item(command.stream())?;
        let current = item.as_ref().map(Item::as_ref);
        let needs = Lookups::for_command(command, current);
        let facts = RegisterFacts::gather(&needs, &self.store.facts())?;
        let policy = policies.policy_at(invocation.at, &self.policy);
        let ctx = context(invocation, policy);
        let decision = decide(current, command, &facts, &ctx)?;
        Ok((item, decision, policies.version()))
    }

    /// Records the adoption of a policy for the register, effective at the
    /// invocation's time, decided by [`decide_policy`] under the policy in
    /// force then; retried on a conflict like [`CommandHandler::handle`].
    ///
    /// # Errors
    /// The refusal (nothing written), the store's failure, or
    /// [`HandleError::TooManyConflicts`].
    pub fn adopt_policy(
        &mut self,
        command: &AdoptPolicy,
        invocation: &Invocation,
    ) -> Result<Outcome, HandleError> {
        let record = self.request_record(command, invocation)?;
        let record = match record {
            Recorded::Earlier(outcome) => return Ok(outcome),
            Recorded::New(record) => record,
        };
        self.run(record, StreamId::Policy, |handler| {
            let policies = handler.policies()?;
            let policy = policies.policy_at(invocation.at, &handler.policy);
            let decision = decide_policy(&policies, command, &context(invocation, policy))?;
            Ok((Vec::new(), policies.version(), decision))
        })
    }

    /// Runs `command`: the earlier outcome if its request id was applied
    /// before; otherwise decide on the item's fresh state and append with
    /// its version as the expected version, deciding again after a
    /// conflict.
    ///
    /// # Errors
    /// The refusal (nothing written), the store's failure, or
    /// [`HandleError::TooManyConflicts`].
    pub fn handle(
        &mut self,
        command: &Command,
        invocation: &Invocation,
    ) -> Result<Outcome, HandleError> {
        let record = match self.request_record(command, invocation)? {
            Recorded::Earlier(outcome) => return Ok(outcome),
            Recorded::New(record) => record,
        };
        let stream = command.stream();
        self.run(record, stream, |handler| {
            let (item, decision, policy_version) = handler.decide_versioned(command, invocation)?;
            // The policy stream is held at the version decided under, so a
            // policy adopted meanwhile makes this a conflict, decided again.
            let guard = StreamAppend {
                stream: StreamId::Policy,
                expected: ExpectedVersion::from_version(policy_version),
                events: Vec::new(),
            };
            Ok((
                vec![guard],
                item.as_ref().map_or(0, Item::version),
                decision,
            ))
        })
    }

    /// The earlier outcome of the invocation's request id, or the record
    /// to store with a new one.
    fn request_record<T: serde::Serialize>(
        &mut self,
        command: &T,
        invocation: &Invocation,
    ) -> Result<Recorded, HandleError> {
        let Some(id) = &invocation.request else {
            return Ok(Recorded::New(None));
        };
        let fingerprint = fingerprint(command).map_err(AppendError::from)?;
        if let Some(recorded) = self.store.find_request(id)? {
            return self.replay(recorded, fingerprint).map(Recorded::Earlier);
        }
        Ok(Recorded::New(Some((id.clone(), fingerprint))))
    }

    /// Decides with `decide` (guards: other streams held at a version;
    /// the stream's version; the decision) and appends, deciding again
    /// after a conflict.
    fn run(
        &mut self,
        record: Option<(RequestId, crate::ChainHash)>,
        stream: StreamId,
        mut decide: impl FnMut(&Self) -> Result<(Vec<StreamAppend>, u64, Decision), HandleError>,
    ) -> Result<Outcome, HandleError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (guards, version, decision) = decide(self)?;
            if decision.events.is_empty() {
                return Ok(Outcome {
                    events: Vec::new(),
                    warnings: decision.warnings,
                    replayed: false,
                    attempts,
                });
            }
            let mut appends = guards;
            appends.push(StreamAppend {
                stream,
                expected: ExpectedVersion::from_version(version),
                events: decision.events,
            });
            let batch = AppendBatch {
                appends,
                request: record.as_ref().map(|(id, fingerprint)| RequestRecord {
                    id: id.clone(),
                    fingerprint: *fingerprint,
                    warnings: decision.warnings.clone(),
                }),
                // A new item's reference is given out by the store under its
                // write lock: writers creating items at once on one register
                // do not refuse each other's numbers.
                numbering: Numbering::Assign,
            };
            match self.store.append(&batch) {
                Ok(appended) => {
                    let events = self.store.load(Selection::Positions {
                        from: appended.first,
                        to: appended.last,
                    })?;
                    return Ok(Outcome {
                        events,
                        warnings: decision.warnings,
                        replayed: false,
                        attempts,
                    });
                }
                Err(
                    AppendError::Conflict { .. }
                    | AppendError::SequenceMismatch { .. }
                    | AppendError::ReferenceTaken { .. },
                ) if attempts < self.max_attempts => {}
                Err(
                    AppendError::Conflict { .. }
                    | AppendError::SequenceMismatch { .. }
                    | AppendError::ReferenceTaken { .. },
                ) => {
                    return Err(HandleError::TooManyConflicts { stream, attempts });
                }
                Err(AppendError::DuplicateRequest { request }) => {
                    // Another process applied the same request meanwhile.
                    let (_, fingerprint) = record.ok_or(AppendError::DuplicateRequest {
                        request: request.clone(),
                    })?;
                    let recorded = self
                        .store
                        .find_request(&request)?
                        .ok_or(AppendError::DuplicateRequest { request })?;
                    return self.replay(recorded, fingerprint);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn replay(
        &mut self,
        recorded: RecordedRequest,
        fingerprint: crate::ChainHash,
    ) -> Result<Outcome, HandleError> {
        if recorded.record.fingerprint != fingerprint {
            return Err(HandleError::RequestReused {
                request: recorded.record.id,
            });
        }
        let events = self.store.load(Selection::Positions {
            from: recorded.first,
            to: recorded.last,
        })?;
        Ok(Outcome {
            events,
            warnings: recorded.record.warnings,
            replayed: true,
            attempts: 0,
        })
    }
}

/// What a request id says before deciding: an earlier outcome, or the
/// record of a new request (`None` without a request id).
enum Recorded {
    Earlier(Outcome),
    New(Option<(RequestId, crate::ChainHash)>),
}

/// The decision context of an invocation under `policy`.
fn context<'p>(invocation: &Invocation, policy: &'p Policy) -> Context<'p> {
    let ctx = Context::new(invocation.at, invocation.actor.clone(), policy)
        .with_entropy(invocation.entropy);
    match invocation.recorded_at {
        Some(recorded_at) => ctx.with_recorded_at(recorded_at),
        None => ctx,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use isms_core::{ActorId, Claim, NonconformityId, RefKind, StreamId};

    use super::*;
    use crate::error::{ReadError, VerifyError};
    use crate::memory::MemoryStore;
    use crate::types::{Appended, ChainHead, Verified};
    use crate::workload::Workload;

    /// A store where another writer slips a correction into the stream
    /// before each of the first `races` appends.
    struct Racy {
        inner: MemoryStore,
        races: u32,
        nc: NonconformityId,
    }

    impl EventStore for Racy {
        fn append(&mut self, batch: &AppendBatch) -> Result<Appended, AppendError> {
            if self.races > 0 {
                self.races -= 1;
                let register = self.inner.fold(Selection::All)?;
                let policy = Policy::default();
                let ctx = Context::new(
                    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
                    Actor::new(ActorId::new("rival").unwrap()),
                    &policy,
                )
                .with_entropy(u128::from(self.races) + 1000);
                let command = Workload::containment_command(self.nc, "rival");
                let events = register.decide(&command, &ctx).unwrap().events;
                self.inner.append(&AppendBatch::single(
                    StreamId::Nonconformity(self.nc),
                    ExpectedVersion::Any,
                    events,
                ))?;
            }
            self.inner.append(batch)
        }
        fn read(
            &self,
            selection: Selection,
            visit: &mut dyn FnMut(StoredEvent),
        ) -> Result<(), ReadError> {
            self.inner.read(selection, visit)
        }
        fn stream_version(&self, stream: StreamId) -> Result<u64, ReadError> {
            self.inner.stream_version(stream)
        }
        fn head(&self) -> Result<ChainHead, ReadError> {
            self.inner.head()
        }
        fn verify(&self) -> Result<Verified, VerifyError> {
            self.inner.verify()
        }
        fn find_request(&self, id: &RequestId) -> Result<Option<RecordedRequest>, ReadError> {
            self.inner.find_request(id)
        }
        fn find_claim(&self, claim: Claim) -> Result<Option<StreamId>, ReadError> {
            self.inner.find_claim(claim)
        }
        fn last_number(&self, kind: RefKind) -> Result<u32, ReadError> {
            self.inner.last_number(kind)
        }
    }

    fn racy(races: u32) -> (Racy, NonconformityId) {
        let mut inner = MemoryStore::new();
        let (nc, events) = Workload::new().report(Default::default()).unwrap();
        inner
            .append_to_stream(events[0].stream, ExpectedVersion::NoStream, events)
            .unwrap();
        (Racy { inner, races, nc }, nc)
    }

    fn invocation(request: &str) -> Invocation {
        Invocation::new(
            Actor::new(ActorId::new("omar").unwrap()),
            Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(),
        )
        .with_request(RequestId::new(request).unwrap())
    }

    #[test]
    fn a_lost_race_is_decided_again_on_fresh_state() {
        let (store, nc) = racy(2);
        let mut handler = CommandHandler::new(store, Policy::default());
        let command = Workload::containment_command(nc, "ours");
        let outcome = handler.handle(&command, &invocation("r1")).unwrap();
        assert_eq!(outcome.attempts, 3);
        // The report, two rival corrections, then ours.
        assert_eq!(outcome.events[0].event.sequence, 4);
        assert_eq!(outcome.events[0].position, 4);
        assert_eq!(
            handler
                .store()
                .stream_version(StreamId::Nonconformity(nc))
                .unwrap(),
            4
        );
        handler.store().verify().unwrap();
        // A retry of the same request after the race is a replay.
        let again = handler.handle(&command, &invocation("r1")).unwrap();
        assert!(again.replayed);
        assert_eq!(again.events, outcome.events);
    }

    #[test]
    fn endless_contention_gives_up_with_a_typed_error_and_records_nothing() {
        let (store, nc) = racy(100);
        let mut handler = CommandHandler::new(store, Policy::default()).with_max_attempts(3);
        let command = Workload::containment_command(nc, "ours");
        let err = handler.handle(&command, &invocation("r1")).unwrap_err();
        assert!(
            matches!(err, HandleError::TooManyConflicts { attempts: 3, .. }),
            "{err}"
        );
        let request = RequestId::new("r1").unwrap();
        assert!(handler.store().find_request(&request).unwrap().is_none());
    }

    #[test]
    fn request_ids_are_validated() {
        assert!(RequestId::new("").is_err());
        assert!(RequestId::new("a\nb").is_err());
        assert!(RequestId::new("x".repeat(129)).is_err());
        assert!(RequestId::new("order-2026-0001").is_ok());
    }
}
