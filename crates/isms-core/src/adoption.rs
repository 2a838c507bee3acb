//! The policy as part of the register: each adoption is an event of the
//! register's own stream ([`StreamId::Policy`]), so the policy in force at
//! any past instant is evidence, and every decision is taken under the
//! policy in force at its effective time.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use isms_core::*;
//!
//! let at = |m| Utc.with_ymd_and_hms(2026, m, 1, 9, 0, 0).unwrap();
//! let base = Policy::default();
//! let mut register = Register::new();
//! let strict = Policy { max_backdating: Some(TimeLimit { days: 7, enforcement: Enforcement::Refuse }), ..Policy::default() };
//! let adopt = AdoptPolicy::new(strict.clone()).reason("Management review 2026-1");
//! register.adopt_policy(&adopt, &Context::new(at(4), Actor::named("ciso")?, &base))?;
//!
//! // Before April the default was in force; from April on, the new one.
//! assert_eq!(register.policies().policy_at(at(3), &base), &base);
//! assert_eq!(register.policies().policy_at(at(5), &base), &strict);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::context::Context;
use crate::decide::{Decision, Emitter, check_backdating, check_opt_text};
use crate::error::{DecisionError, Subject};
use crate::event::{Event, EventPayload, StreamId};
use crate::ids::{ActorId, Role};
use crate::policy::Policy;

/// Adopt a policy for the register, effective at the context's time.
///
/// Decided by [`decide_policy`]: the policy must pass
/// [`Policy::validate`] (`invalid_policy`), the actor must hold the policy
/// approver role if the policy in force names one
/// (`policy_approver_role_missing`), and adoptions are recorded in the
/// order of their effective times (`time_went_backwards`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptPolicy {
    /// The policy.
    pub policy: Policy,
    /// Why (a management decision, a review).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AdoptPolicy {
    /// Adopt `policy`, with no reason given.
    pub fn new(policy: Policy) -> Self {
        Self {
            policy,
            reason: None,
        }
    }

    /// The same command with a reason.
    #[must_use]
    pub fn reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }
}

/// One recorded adoption: the policy, from when, by whom, why.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct PolicyAdoption {
    /// Its sequence in the policy stream, from 1.
    pub sequence: u64,
    /// Its effective time: the policy is in force from here on.
    #[serde(serialize_with = "crate::json_time::utc")]
    pub at: DateTime<Utc>,
    /// When it was recorded by the caller's clock, if the caller gave it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[serde(serialize_with = "crate::json_time::utc_opt")]
    pub recorded_at: Option<DateTime<Utc>>,
    /// Who adopted it.
    pub actor: ActorId,
    /// The roles the actor held, as recorded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    /// The policy.
    pub policy: Policy,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Every policy adopted for a register, in the order recorded (which is
/// also the order of their effective times, as [`decide_policy`] keeps it).
/// Folded from the [`StreamId::Policy`] stream; other events are ignored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyHistory {
    adoptions: Vec<PolicyAdoption>,
}

impl PolicyHistory {
    /// No adoption: the caller's base policy is in force throughout.
    pub fn new() -> Self {
        Self::default()
    }

    /// Folds the policy events among `events`.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Self {
        let mut h = Self::new();
        for e in events {
            h.apply(e);
        }
        h
    }

    /// Applies one event; an event of another stream, or of another type,
    /// changes nothing.
    pub fn apply(&mut self, event: &Event) {
        if event.stream == StreamId::Policy {
            self.apply_owned(event.clone());
        }
    }

    /// [`PolicyHistory::apply`] for an owned event.
    pub fn apply_owned(&mut self, event: Event) {
        if event.stream != StreamId::Policy {
            return;
        }
        if let EventPayload::PolicyAdopted { policy, reason } = event.payload {
            self.adoptions.push(PolicyAdoption {
                sequence: event.sequence,
                at: event.at,
                recorded_at: event.recorded_at,
                actor: event.actor,
                roles: event.roles,
                policy: *policy,
                reason,
            });
        }
    }

    /// Every adoption, in order.
    pub fn adoptions(&self) -> &[PolicyAdoption] {
        &self.adoptions
    }

    /// The number of adoptions: the policy stream's version.
    pub fn version(&self) -> u64 {
        self.adoptions.last().map_or(0, |a| a.sequence)
    }

    /// The adoption in force at `at`: the last one whose effective time is
    /// at or before it (`None` before the first: the base policy).
    pub fn in_force_at(&self, at: DateTime<Utc>) -> Option<&PolicyAdoption> {
        let n = self.adoptions.partition_point(|a| a.at <= at);
        n.checked_sub(1).map(|i| &self.adoptions[i])
    }

    /// The policy in force at `at`, or `base` before the first adoption
    /// (a register that never adopted one runs under the caller's base
    /// policy, usually [`Policy::default`]).
    pub fn policy_at<'a>(&'a self, at: DateTime<Utc>, base: &'a Policy) -> &'a Policy {
        self.in_force_at(at).map_or(base, |a| &a.policy)
    }
}

/// Decides the adoption of a policy: the event that records it, or why it
/// is refused. `history` is the register's policy stream folded;
/// `ctx.policy` is the policy in force at `ctx.at` (its approver role and
/// back-dating limit apply to the adoption itself).
///
/// # Errors
/// `invalid_policy`, `policy_approver_role_missing`,
/// `time_went_backwards`, `bad_text` / `empty_field` for the reason, or
/// `backdated`.
pub fn decide_policy(
    history: &PolicyHistory,
    command: &AdoptPolicy,
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let backdated = check_backdating(ctx)?;
    if let Some(last) = history.adoptions().last()
        && ctx.at < last.at
    {
        return Err(DecisionError::TimeWentBackwards {
            subject: Subject::Policy,
            at: ctx.at,
            last: last.at,
        });
    }
    check_opt_text("reason", command.reason.as_ref())?;
    command
        .policy
        .validate()
        .map_err(|problem| DecisionError::InvalidPolicy { problem })?;
    if let Some(role) = &ctx.policy.policy_approver_role
        && !ctx.actor.has_role(role)
    {
        return Err(DecisionError::PolicyApproverRoleMissing {
            actor: ctx.actor.id.clone(),
            role: role.clone(),
        });
    }
    let mut em = Emitter::new(ctx, StreamId::Policy, history.version());
    em.emit(EventPayload::PolicyAdopted {
        policy: Box::new(command.policy.clone()),
        reason: command.reason.clone(),
    });
    em.warnings.extend(backdated);
    Ok(em.finish())
}
