//! Running commands against a store: load, decide, append with the
//! expected version, retry on conflict, and answer a repeated request id
//! with its earlier outcome.

use chrono::{DateTime, Utc};
use isms_core::{
    Actor, Command, Context, Decision, Item, Lookups, Policy, PolicyWarning, RegisterFacts, decide,
};

use crate::chain::fingerprint;
use crate::error::{AppendError, HandleError};
use crate::store::EventStore;
use crate::types::{
    AppendBatch, ExpectedVersion, RecordedRequest, RequestId, RequestRecord, Selection,
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
}

impl Invocation {
    /// An invocation without a request id and with zero entropy.
    pub fn new(actor: Actor, at: DateTime<Utc>) -> Self {
        Self {
            actor,
            at,
            entropy: 0,
            request: None,
        }
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

/// Runs commands against an [`EventStore`] under a [`Policy`], one item
/// at a time: for each command it loads the target item's stream and the
/// few register facts the command needs, decides, and appends with the
/// item's version as the expected version. Nothing register-wide is held
/// or read, so a command costs the same on a register of a hundred items
/// or of a million.
///
/// The handler holds no rule of its own: `isms_core::decide` accepts or
/// refuses, the store appends or reports a conflict (another writer moved
/// the stream, or took the reference this decision gave a new item), and
/// the handler decides again on fresh state.
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

    /// Decides `command` on the store's current state without appending:
    /// the item it targets (`None` before creation) and the decision.
    ///
    /// # Errors
    /// The refusal, or the store's failure to read.
    pub fn decide(
        &self,
        command: &Command,
        invocation: &Invocation,
    ) -> Result<(Option<Item>, Decision), HandleError> {
        let item = self.store.load_item(command.stream())?;
        let current = item.as_ref().map(Item::as_ref);
        let needs = Lookups::for_command(command, current);
        let facts = RegisterFacts::gather(&needs, &self.store.facts())?;
        let ctx = Context::new(invocation.at, invocation.actor.clone(), &self.policy)
            .with_entropy(invocation.entropy);
        let decision = decide(current, command, &facts, &ctx)?;
        Ok((item, decision))
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
        let record = match &invocation.request {
            Some(id) => {
                let fingerprint = fingerprint(command).map_err(AppendError::from)?;
                if let Some(recorded) = self.store.find_request(id)? {
                    return self.replay(recorded, fingerprint);
                }
                Some((id.clone(), fingerprint))
            }
            None => None,
        };
        let stream = command.stream();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let (item, decision) = self.decide(command, invocation)?;
            if decision.events.is_empty() {
                return Ok(Outcome {
                    events: Vec::new(),
                    warnings: decision.warnings,
                    replayed: false,
                    attempts,
                });
            }
            let expected = ExpectedVersion::from_version(item.as_ref().map_or(0, Item::version));
            let batch = AppendBatch {
                appends: vec![StreamAppend {
                    stream,
                    expected,
                    events: decision.events,
                }],
                request: record.as_ref().map(|(id, fingerprint)| RequestRecord {
                    id: id.clone(),
                    fingerprint: *fingerprint,
                    warnings: decision.warnings.clone(),
                }),
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
