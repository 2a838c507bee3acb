//! The product's HTTP API, minus the HTTP: a command as JSON in, a status
//! and a JSON body out. A refusal becomes RFC 9457 problem details
//! (`application/problem+json`) from its stable rule code, without a line
//! per error variant.

use chrono::{DateTime, Utc};
use isms_core::{Actor, Command, DecisionError, Event, PolicyWarning, RULE_CODES};
use isms_store::{CommandHandler, HandleError, Invocation, RequestId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::policy::policy;
use crate::store::VecStore;

/// The media type of a [`Problem`].
pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details, with two extension members: the rule `code`
/// and the refusal's own fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:isms-improvement:rule:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The rule in one line (the same for every occurrence of the code).
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, in words.
    pub detail: String,
    /// The request it concerns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The stable rule code (`docs/rule-codes.md`).
    pub code: String,
    /// The refusal as the library serialises it (`code` plus its fields).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub refusal: serde_json::Value,
}

/// The HTTP status for a rule code: 404 for an unknown item, 403 for who
/// may not act, 409 for a state or a history that does not allow it now,
/// 422 for content that breaks a rule.
pub fn status_for(code: &str) -> u16 {
    match code {
        "unknown_nonconformity" | "unknown_improvement" | "unknown_action" => 404,
        "approver_role_missing" | "not_the_verifier" | "segregation_of_duties" => 403,
        "transition_not_allowed"
        | "improvement_transition_not_allowed"
        | "time_went_backwards"
        | "duplicate_id"
        | "verification_started"
        | "check_already_recorded"
        | "check_not_yet_due"
        | "already_linked"
        | "action_not_open"
        | "action_still_open"
        | "not_verified_effective"
        | "no_verification_plan"
        | "register_full" => 409,
        _ => 422,
    }
}

/// The problem details of a refusal.
pub fn problem(refusal: &DecisionError, instance: Option<String>) -> Problem {
    let code = refusal.code();
    let title = RULE_CODES
        .iter()
        .find(|c| c.code == code)
        .map_or(code, |c| c.summary);
    Problem {
        problem_type: format!("urn:isms-improvement:rule:{code}"),
        title: title.to_owned(),
        status: status_for(code),
        detail: refusal.to_string(),
        instance,
        code: code.to_owned(),
        refusal: serde_json::to_value(refusal).unwrap_or_default(),
    }
}

/// A problem the product itself reports (not a rule of the library).
fn own_problem(status: u16, code: &str, title: &str, detail: String) -> Problem {
    Problem {
        problem_type: format!("urn:grc-product:problem:{code}"),
        title: title.to_owned(),
        status,
        detail,
        instance: None,
        code: code.to_owned(),
        refusal: serde_json::Value::Null,
    }
}

/// The problem details of anything the handler returns.
pub fn problem_from(error: &HandleError, instance: Option<String>) -> Problem {
    match error {
        HandleError::Refused(refusal) => problem(refusal, instance),
        HandleError::RequestReused { .. } => own_problem(
            422,
            "request_reused",
            "the request id was used for another command",
            error.to_string(),
        ),
        HandleError::TooManyConflicts { .. } => own_problem(
            503,
            "busy",
            "other writers kept changing the item; retry",
            error.to_string(),
        ),
        other => own_problem(500, "storage", "the store failed", other.to_string()),
    }
}

/// What an accepted command returns: the events recorded and any warnings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Accepted {
    /// The events recorded, in order.
    pub events: Vec<Event>,
    /// What the policy flags without refusing (each with its `kind` code).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<PolicyWarning>,
    /// `true` when the request id was seen before and nothing was recorded.
    #[serde(default)]
    pub replayed: bool,
}

/// The product's API over its own store and policy.
#[derive(Debug)]
pub struct Api {
    handler: CommandHandler<VecStore>,
}

impl Default for Api {
    fn default() -> Self {
        Api::new()
    }
}

impl Api {
    /// An empty register under the product's policy.
    pub fn new() -> Self {
        Api {
            handler: CommandHandler::new(VecStore::new(), policy()),
        }
    }

    /// The store, for reads.
    pub fn store(&self) -> &VecStore {
        self.handler.store()
    }

    /// Runs `command` for `actor` at `at`, with the caller's entropy for
    /// event ids and an optional idempotency key.
    ///
    /// # Errors
    /// The problem details to return.
    pub fn submit(
        &mut self,
        command: &Command,
        actor: Actor,
        at: DateTime<Utc>,
        entropy: u128,
        request: Option<&str>,
    ) -> Result<Accepted, Box<Problem>> {
        let mut invocation = Invocation::new(actor, at).with_entropy(entropy);
        if let Some(key) = request {
            let id = RequestId::new(key).map_err(|e| {
                own_problem(
                    400,
                    "bad_request_id",
                    "the request id is malformed",
                    e.to_string(),
                )
            })?;
            invocation = invocation.with_request(id);
        }
        let outcome = self
            .handler
            .handle(command, &invocation)
            .map_err(|e| Box::new(problem_from(&e, request.map(|r| format!("/requests/{r}")))))?;
        Ok(Accepted {
            events: outcome.events.into_iter().map(|e| e.event).collect(),
            warnings: outcome.warnings,
            replayed: outcome.replayed,
        })
    }

    /// `POST /commands` with a JSON body: the status, the media type and
    /// the JSON response.
    pub fn post(
        &mut self,
        body: &str,
        actor: Actor,
        at: DateTime<Utc>,
        entropy: u128,
    ) -> (u16, &'static str, String) {
        let result = serde_json::from_str::<Command>(body)
            .map_err(|e| {
                Box::new(own_problem(
                    400,
                    "bad_json",
                    "the body is not a command",
                    e.to_string(),
                ))
            })
            .and_then(|command| self.submit(&command, actor, at, entropy, None));
        match result {
            Ok(accepted) => (
                201,
                "application/json",
                serde_json::to_string(&accepted).unwrap_or_default(),
            ),
            Err(problem) => (
                problem.status,
                PROBLEM_JSON,
                serde_json::to_string(&problem).unwrap_or_default(),
            ),
        }
    }
}
