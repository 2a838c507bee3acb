//! The invariant checker: the rules of clause 10 restated as checks on a
//! state, independent of how `decide` enforces them. The state-machine
//! property test runs it after every step, and embedding products can run
//! it in their own property tests.

use std::fmt;

use chrono::{DateTime, Utc};

use crate::ids::{ActionRef, ActorId, NcRef};
use crate::item::verified_effective;
use crate::model::{ActionDecision, ActionStatus, Nonconformity, Transition};
use crate::policy::Policy;
use crate::register::Register;
use crate::workflow::{ImprovementState, NcState};

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// Closed (or verified effective) without a passing verification of
    /// every check at or after the last completion.
    NotVerifiedEffective {
        /// The nonconformity.
        reference: NcRef,
        /// Its state.
        state: NcState,
    },
    /// Closed, effective or implemented with an action still open.
    ActionOpen {
        /// The nonconformity.
        reference: NcRef,
        /// The open action.
        action: ActionRef,
        /// Its state.
        state: NcState,
    },
    /// Implemented or later without any action done although action was required.
    NoActionDone {
        /// The nonconformity.
        reference: NcRef,
        /// Its state.
        state: NcState,
    },
    /// A transition out of a terminal state.
    LeftTerminalState {
        /// The nonconformity or improvement reference, as text.
        reference: String,
        /// The terminal state left.
        from: String,
        /// Where it went.
        to: String,
    },
    /// Time went backwards within an item.
    TimeWentBackwards {
        /// The item, as text.
        reference: String,
        /// What was recorded out of order.
        what: &'static str,
        /// Its time.
        at: DateTime<Utc>,
        /// The earlier time it precedes.
        after: DateTime<Utc>,
    },
    /// A verifier owns an action they verify.
    SegregationOfDuties {
        /// The nonconformity.
        reference: NcRef,
        /// The verifier.
        actor: ActorId,
        /// The action.
        action: ActionRef,
    },
    /// A result recorded by someone other than the planned verifier.
    WrongVerifier {
        /// The nonconformity.
        reference: NcRef,
        /// Who recorded.
        actor: ActorId,
    },
    /// The state disagrees with the history.
    StateMismatch {
        /// The item, as text.
        reference: String,
    },
    /// Human references are not numbered 1, 2, 3... in order.
    BadNumbering {
        /// The item, as text.
        reference: String,
        /// Its position.
        position: usize,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::NotVerifiedEffective { reference, state } => {
                write!(
                    f,
                    "{reference} is {state} without a passing verification after the last completion"
                )
            }
            Violation::ActionOpen {
                reference,
                action,
                state,
            } => {
                write!(f, "{reference} is {state} while action {action} is open")
            }
            Violation::NoActionDone { reference, state } => {
                write!(
                    f,
                    "{reference} is {state} although action was required and none is done"
                )
            }
            Violation::LeftTerminalState {
                reference,
                from,
                to,
            } => {
                write!(f, "{reference} left terminal state {from} for {to}")
            }
            Violation::TimeWentBackwards {
                reference,
                what,
                at,
                after,
            } => {
                write!(f, "{reference}: {what} at {at} precedes {after}")
            }
            Violation::SegregationOfDuties {
                reference,
                actor,
                action,
            } => {
                write!(f, "{reference}: verifier {actor} owns action {action}")
            }
            Violation::WrongVerifier { reference, actor } => {
                write!(
                    f,
                    "{reference}: a result was recorded by {actor}, who is not the planned verifier"
                )
            }
            Violation::StateMismatch { reference } => {
                write!(f, "{reference}: state disagrees with history")
            }
            Violation::BadNumbering {
                reference,
                position,
            } => {
                write!(f, "{reference} stands at position {position}")
            }
        }
    }
}

/// Checks every rule of clause 10 (and of `policy` where it can be seen in
/// the state) on `register`. Returns every violation found.
///
/// ```
/// use isms_core::{check_invariants, Policy, Register};
/// assert!(check_invariants(&Register::new(), &Policy::default()).is_ok());
/// ```
pub fn check_invariants(register: &Register, policy: &Policy) -> Result<(), Vec<Violation>> {
    let mut out = Vec::new();
    for (i, nc) in register.nonconformities().iter().enumerate() {
        if nc.reference.number() as usize != i + 1 {
            out.push(Violation::BadNumbering {
                reference: nc.reference.to_string(),
                position: i + 1,
            });
        }
        check_nc(nc, policy, &mut out);
    }
    for (i, imp) in register.improvements().iter().enumerate() {
        let reference = imp.reference.to_string();
        if imp.reference.number() as usize != i + 1 {
            out.push(Violation::BadNumbering {
                reference: reference.clone(),
                position: i + 1,
            });
        }
        check_history(
            &reference,
            &imp.history,
            imp.state,
            ImprovementState::is_terminal,
            &mut out,
        );
        if imp.last_event_at < imp.proposed_at {
            out.push(Violation::TimeWentBackwards {
                reference,
                what: "last event",
                at: imp.last_event_at,
                after: imp.proposed_at,
            });
        }
    }
    if out.is_empty() { Ok(()) } else { Err(out) }
}

/// The history ends in the current state, never goes back in time and
/// never leaves a terminal state.
fn check_history<S: Copy + PartialEq + fmt::Display>(
    reference: &str,
    history: &[Transition<S>],
    state: S,
    terminal: impl Fn(S) -> bool,
    out: &mut Vec<Violation>,
) {
    if history.last().map(|t| t.to) != Some(state) {
        out.push(Violation::StateMismatch {
            reference: reference.to_owned(),
        });
    }
    for w in history.windows(2) {
        if w[1].at < w[0].at {
            out.push(Violation::TimeWentBackwards {
                reference: reference.to_owned(),
                what: "state change",
                at: w[1].at,
                after: w[0].at,
            });
        }
        if terminal(w[0].to) {
            out.push(Violation::LeftTerminalState {
                reference: reference.to_owned(),
                from: w[0].to.to_string(),
                to: w[1].to.to_string(),
            });
        }
    }
}

fn check_nc(nc: &Nonconformity, policy: &Policy, out: &mut Vec<Violation>) {
    let reference = nc.reference;
    let text = reference.to_string();
    check_history(&text, &nc.history, nc.state, NcState::is_terminal, out);
    // Every recorded time lies between the report and the last event.
    let mut times: Vec<(&'static str, DateTime<Utc>)> = Vec::new();
    times.extend(nc.corrections.iter().map(|c| ("correction", c.at)));
    times.extend(nc.analyses.iter().map(|a| ("analysis", a.at)));
    for a in &nc.actions {
        times.push(("action planned", a.planned_at));
        times.extend(a.started_at.map(|t| ("action started", t)));
        times.extend(a.completed_at.map(|t| ("action completed", t)));
        times.extend(a.cancelled_at.map(|t| ("action cancelled", t)));
        times.extend(a.reschedules.iter().map(|r| ("reschedule", r.at)));
        if a.completed_at.is_some_and(|c| c < a.planned_at) {
            out.push(Violation::TimeWentBackwards {
                reference: text.clone(),
                what: "action completed",
                at: a.completed_at.unwrap_or(a.planned_at),
                after: a.planned_at,
            });
        }
    }
    times.extend(
        nc.verification_plans
            .iter()
            .map(|p| ("verification plan", p.at)),
    );
    times.extend(
        nc.verification_results
            .iter()
            .map(|r| ("verification result", r.at)),
    );
    times.extend(nc.conclusions.iter().map(|c| ("conclusion", c.at)));
    times.extend(nc.closure.as_ref().map(|c| ("closure", c.at)));
    times.extend(nc.rejection.as_ref().map(|r| ("rejection", r.at)));
    for (what, at) in times {
        if at < nc.reported_at || at > nc.last_event_at {
            out.push(Violation::TimeWentBackwards {
                reference: text.clone(),
                what,
                at,
                after: nc.reported_at,
            });
        }
    }
    // A result of an attempt is never earlier than a completion of that attempt.
    for r in &nc.verification_results {
        if let Some(c) = nc
            .actions
            .iter()
            .filter(|a| a.attempt == r.attempt)
            .filter_map(|a| a.completed_at)
            .max()
            && r.at < c
        {
            out.push(Violation::TimeWentBackwards {
                reference: text.clone(),
                what: "verification result",
                at: r.at,
                after: c,
            });
        }
    }
    // Implemented and later: every action of the attempt finished, one done
    // if action was required.
    if matches!(
        nc.state,
        NcState::Implemented | NcState::Effective | NcState::Closed
    ) {
        for a in nc.current_actions() {
            if !a.status.is_finished() {
                out.push(Violation::ActionOpen {
                    reference,
                    action: a.reference,
                    state: nc.state,
                });
            }
        }
        let action_required = matches!(
            nc.current_analysis().map(|a| &a.decision),
            Some(ActionDecision::ActionRequired)
        );
        if action_required && !nc.current_actions().any(|a| a.status == ActionStatus::Done) {
            out.push(Violation::NoActionDone {
                reference,
                state: nc.state,
            });
        }
        if nc.current_analysis().is_none() {
            out.push(Violation::StateMismatch {
                reference: text.clone(),
            });
        }
    }
    if matches!(nc.state, NcState::Effective | NcState::Closed) {
        if let Some(a) = nc.actions.iter().find(|a| !a.status.is_finished()) {
            out.push(Violation::ActionOpen {
                reference,
                action: a.reference,
                state: nc.state,
            });
        }
        if !verified_effective(nc) {
            out.push(Violation::NotVerifiedEffective {
                reference,
                state: nc.state,
            });
        }
    }
    if (nc.state == NcState::Closed) != nc.closure.is_some()
        || (nc.state == NcState::Rejected) != nc.rejection.is_some()
    {
        out.push(Violation::StateMismatch {
            reference: text.clone(),
        });
    }
    // Verification: results by the planned verifier, and segregation of duties.
    // A re-plan before the first result supersedes the earlier plan of the
    // same attempt, so only the last plan of each attempt counts.
    let plans = nc.verification_plans.iter().enumerate().filter(|(i, p)| {
        !nc.verification_plans[i + 1..]
            .iter()
            .any(|later| later.attempt == p.attempt)
    });
    for (_, plan) in plans {
        let owners = nc
            .actions
            .iter()
            .filter(|a| a.attempt == plan.attempt && a.status != ActionStatus::Cancelled);
        let results: Vec<_> = nc
            .verification_results
            .iter()
            .filter(|r| r.attempt == plan.attempt)
            .collect();
        if policy.segregation_of_duties {
            for a in owners {
                if a.owner == plan.verifier || results.iter().any(|r| r.by == a.owner) {
                    out.push(Violation::SegregationOfDuties {
                        reference,
                        actor: a.owner.clone(),
                        action: a.reference,
                    });
                }
            }
        }
    }
    for r in &nc.verification_results {
        let plan = nc
            .verification_plans
            .iter()
            .rev()
            .find(|p| p.attempt == r.attempt && p.at <= r.at);
        if plan.is_none_or(|p| p.verifier != r.by) {
            out.push(Violation::WrongVerifier {
                reference,
                actor: r.by.clone(),
            });
        }
    }
}
