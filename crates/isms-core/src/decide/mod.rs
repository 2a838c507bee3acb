//! The pure decision: a command on one item, in a context, becomes the
//! events that record it or a typed refusal. One function per command, in
//! [`nonconformity`] and [`improvement`]; the checks they share are here.

mod improvement;
mod nonconformity;
mod reporting;

use chrono::{DateTime, Utc};

use crate::command::{Command, CommandTarget};
use crate::context::{Context, RegisterContext};
use crate::error::DecisionError;
use crate::event::{Event, EventPayload, StreamId};
use crate::ids::{EventId, NcRef};
use crate::item::ItemRef;
use crate::model::{Extensions, ExternalLink, IsmsChange};
use crate::policy::{Enforcement, PolicyWarning, TimeLimit};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest other free text, in characters.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// The most items of one kind a register holds (references stay 4+ digits wide).
pub const MAX_ITEMS: u32 = 99_999_999;

/// What `decide` accepted: the events to append, and any policy warnings.
/// Serialises as `{"events": [...], "warnings": [...]}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Events to append, in order (at least one, all of the command's
    /// target stream, continuing its sequence).
    pub events: Vec<Event>,
    /// Things the policy flags without refusing.
    #[serde(default)]
    pub warnings: Vec<PolicyWarning>,
}

/// Pure decision on one item: the events that record `command`, or why it
/// is refused.
///
/// `item` is the current state of the item the command targets (see
/// [`Command::target`]), folded from that item's stream alone with
/// [`crate::Item::from_events`]; `None` when the stream is empty, which
/// only a creation (report, proposal) accepts. `register` answers the few
/// questions about other items that some rules ask ([`RegisterContext`];
/// [`crate::Lookups::for_command`] lists them per command). Nothing else
/// is read, so a store loads one stream and a handful of index rows per
/// command, whatever the size of the register.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use isms_core::*;
///
/// let policy = Policy::default();
/// let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
/// let alice = Actor::named("alice")?;
/// let id = NonconformityId::v7(at, 0x5eed);
/// let report = ReportNonconformity::new(id, "Backup restore never tested",
///     "No restore test on record for the file server.", Source::InternalAudit,
///     Severity::Minor, ActorId::new("ops-lead")?, at)
///     .requirement("iso27001:2022/A.8.13".parse()?)
///     .into();
/// // The register already holds 41 nonconformities: the facts say so.
/// let facts = RegisterFacts { last_nc_number: 41, ..RegisterFacts::default() };
/// let decision = decide(None, &report, &facts, &Context::new(at, alice, &policy))?;
///
/// let item = Item::from_events(&decision.events).unwrap();
/// let Item::Nonconformity(nc) = item else { unreachable!() };
/// assert_eq!(nc.reference.to_string(), "NC-0042");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// A [`DecisionError`] naming the broken rule; nothing is produced.
pub fn decide(
    item: Option<ItemRef<'_>>,
    command: &Command,
    register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let target = command.target();
    let stream = command.stream();
    if let Some(item) = item
        && item.stream() != stream
    {
        return Err(DecisionError::WrongItem {
            expected: stream.to_string(),
            given: item.stream().to_string(),
        });
    }
    let backdated = check_backdating(ctx)?;
    let mut decision = match (target, item) {
        (CommandTarget::Nonconformity(_, _), Some(ItemRef::Nonconformity(nc))) => {
            nonconformity::decide(nc, command, register, ctx)
        }
        (CommandTarget::Nonconformity(_, _), _) => {
            nonconformity::decide_new(command, register, ctx)
        }
        (CommandTarget::Improvement(_, _), Some(ItemRef::Improvement(imp))) => {
            improvement::decide(imp, command, register, ctx)
        }
        (CommandTarget::Improvement(_, _), _) => improvement::decide_new(command, register, ctx),
    }?;
    decision.warnings.extend(backdated);
    Ok(decision)
}

/// The policy's back-dating limit: how far the effective time may lie
/// before the recording time the caller gave.
pub(crate) fn check_backdating(ctx: &Context<'_>) -> Result<Option<PolicyWarning>, DecisionError> {
    let (Some(recorded_at), Some(limit)) = (ctx.recorded_at, ctx.policy.max_backdating) else {
        return Ok(None);
    };
    let days = (recorded_at - ctx.at).num_days();
    if days <= i64::from(limit.days) {
        return Ok(None);
    }
    match limit.enforcement {
        Enforcement::Refuse => Err(DecisionError::BackdatedTooFar {
            at: ctx.at,
            recorded_at,
            days,
            limit_days: limit.days,
        }),
        Enforcement::Warn => Ok(Some(PolicyWarning::Backdated {
            limit_days: limit.days,
            days,
        })),
    }
}

/// Collects the events of one decision, numbering them in their stream.
pub(crate) struct Emitter<'c, 'p> {
    ctx: &'c Context<'p>,
    stream: StreamId,
    next_sequence: u64,
    events: Vec<Event>,
    pub(crate) warnings: Vec<PolicyWarning>,
}

impl<'c, 'p> Emitter<'c, 'p> {
    /// An emitter for `stream`, which is at `version` now.
    pub(crate) fn new(ctx: &'c Context<'p>, stream: StreamId, version: u64) -> Self {
        Emitter {
            ctx,
            stream,
            next_sequence: version + 1,
            events: Vec::with_capacity(2),
            warnings: Vec::new(),
        }
    }

    pub(crate) fn emit(&mut self, payload: EventPayload) {
        let millis = u64::try_from(self.ctx.at.timestamp_millis()).unwrap_or(0);
        let sequence = self.next_sequence;
        self.events.push(Event {
            id: EventId::v7_from_parts(
                millis,
                event_entropy(self.stream, sequence, self.ctx.entropy),
            ),
            stream: self.stream,
            sequence,
            at: self.ctx.at,
            actor: self.ctx.actor.id.clone(),
            recorded_at: self.ctx.recorded_at,
            roles: self.ctx.actor.roles.iter().cloned().collect(),
            payload,
        });
        self.next_sequence += 1;
    }

    pub(crate) fn finish(self) -> Decision {
        Decision {
            events: self.events,
            warnings: self.warnings,
        }
    }
}

/// The 80 bits after an event id's timestamp: a stable mix of the stream,
/// the sequence and the caller's entropy. A log never holds two events with
/// the same stream and sequence, so two events of one log get the same id
/// only if the 74 bits a UUID v7 keeps of this collide (about one chance in
/// 10^22 per pair), whatever entropy the caller gives, even none; the
/// register document (`isms-schema`) still refuses a log with a repeated id.
fn event_entropy(stream: StreamId, sequence: u64, entropy: u128) -> [u8; 10] {
    let (tag, id) = match stream {
        StreamId::Nonconformity(id) => (1u64, id.as_uuid().as_u128()),
        StreamId::Improvement(id) => (2u64, id.as_uuid().as_u128()),
        StreamId::Policy => (3u64, 0),
        StreamId::Audits => (4u64, 0),
    };
    let words = [
        tag,
        id as u64,
        (id >> 64) as u64,
        sequence,
        entropy as u64,
        (entropy >> 64) as u64,
    ];
    let (mut a, mut b) = (0x243f_6a88_85a3_08d3_u64, 0x1319_8a2e_0370_7344_u64);
    for w in words {
        a = mix(a ^ w);
        b = mix(b.wrapping_add(w).rotate_left(17) ^ a);
    }
    let mut out = [0u8; 10];
    out[..8].copy_from_slice(&a.to_le_bytes());
    out[8..].copy_from_slice(&b.to_le_bytes()[..2]);
    out
}

/// SplitMix64's finaliser: a bijection that spreads every input bit.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub(crate) fn check_text(field: &'static str, s: &str, max: usize) -> Result<(), DecisionError> {
    if s.trim().is_empty() {
        return Err(DecisionError::EmptyField { field });
    }
    let n = s.chars().count();
    if n > max {
        return Err(DecisionError::BadText {
            field,
            problem: format!("has {n} characters; the limit is {max}"),
        });
    }
    if let Some(c) = s
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(DecisionError::BadText {
            field,
            problem: format!("contains the control character {c:?}"),
        });
    }
    if let Some(c) = s.chars().find(|&c| crate::text::is_bidi_control(c)) {
        return Err(DecisionError::BadText {
            field,
            problem: format!(
                "contains the bidirectional control U+{:04X}, which makes text display in \
                 another order than it is stored",
                u32::from(c)
            ),
        });
    }
    if !crate::text::has_visible_char(s) {
        return Err(DecisionError::BadText {
            field,
            problem: "has no visible character (only spaces and invisible characters)".into(),
        });
    }
    Ok(())
}

pub(crate) fn check_opt_text(field: &'static str, s: Option<&String>) -> Result<(), DecisionError> {
    s.map_or(Ok(()), |s| check_text(field, s, MAX_TEXT_CHARS))
}

pub(crate) fn check_extensions(ext: &Extensions) -> Result<(), DecisionError> {
    ext.keys().try_for_each(|name| check_extension_name(name))
}

fn check_extension_name(name: &str) -> Result<(), DecisionError> {
    let bad = name.is_empty()
        || name.chars().count() > crate::extensions::MAX_EXTENSION_NAME_CHARS
        || name.chars().any(char::is_control);
    if bad {
        return Err(DecisionError::BadExtensionName {
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// A change of an item's extension fields: at least one name, every name
/// usable; recorded as asked (`removed` first, then `set`).
pub(crate) fn change_extensions(
    em: &mut Emitter<'_, '_>,
    subject: crate::error::Subject,
    set: &Extensions,
    remove: &[String],
) -> Result<(), DecisionError> {
    if set.is_empty() && remove.is_empty() {
        return Err(DecisionError::NothingToChange { subject });
    }
    check_extensions(set)?;
    remove.iter().try_for_each(|n| check_extension_name(n))?;
    em.emit(EventPayload::ExtensionsChanged {
        set: set.clone(),
        removed: remove.to_vec(),
    });
    Ok(())
}

/// A named audit is one the register holds.
pub(crate) fn check_audit(
    register: &(impl RegisterContext + ?Sized),
    audit: Option<&crate::audit::AuditId>,
) -> Result<(), DecisionError> {
    match audit {
        Some(a) if !register.audit_exists(a) => {
            Err(DecisionError::UnknownAudit { audit: a.clone() })
        }
        _ => Ok(()),
    }
}

pub(crate) fn check_links(links: &[ExternalLink]) -> Result<(), DecisionError> {
    for l in links {
        check_text("links[].id", &l.id, MAX_TITLE_CHARS)?;
    }
    Ok(())
}

pub(crate) fn check_changes(changes: &[IsmsChange]) -> Result<(), DecisionError> {
    for c in changes {
        check_text("isms_changes[].description", &c.description, MAX_TEXT_CHARS)?;
    }
    Ok(())
}

/// The number the next item of a kind gets, after `last`.
pub(crate) fn next_number(last: u32) -> Result<u32, DecisionError> {
    last.checked_add(1)
        .filter(|&n| n <= MAX_ITEMS)
        .ok_or(DecisionError::RegisterFull { max: MAX_ITEMS })
}

/// Applies a time limit: `Ok(None)` within it, a warning in `warn` mode, a
/// refusal in `refuse` mode unless a justification is given.
pub(crate) fn check_limit(
    limit: Option<TimeLimit>,
    from: DateTime<Utc>,
    at: DateTime<Utc>,
    what: &'static str,
    reference: NcRef,
    justification: Option<&String>,
) -> Result<Option<PolicyWarning>, DecisionError> {
    let Some(limit) = limit else { return Ok(None) };
    let elapsed = (at - from).num_days();
    if elapsed <= i64::from(limit.days) {
        return Ok(None);
    }
    match limit.enforcement {
        Enforcement::Refuse if justification.is_none() => Err(DecisionError::TimeLimitExceeded {
            reference,
            what,
            limit_days: limit.days,
            elapsed_days: elapsed,
        }),
        _ => Ok(Some(PolicyWarning::TimeLimitExceeded {
            what: what.to_owned(),
            limit_days: limit.days,
            elapsed_days: elapsed,
        })),
    }
}
