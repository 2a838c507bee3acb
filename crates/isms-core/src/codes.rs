//! Stable rule codes: one short name per rule, on every refusal
//! ([`DecisionError::code`]), every schedule problem
//! ([`ScheduleError::code`]) and every policy warning
//! ([`PolicyWarning::code`]).
//!
//! A code names the rule, not the message: messages may be reworded, a code
//! never changes meaning and is never given to another rule. A product maps
//! codes to its own texts, HTTP statuses or translations
//! (`docs/embedding.md` renders a refusal as RFC 9457 problem details). The
//! list is [`RULE_CODES`]; `docs/rule-codes.md` is rendered from it and a
//! test keeps it current, and another test fails if a code ever issued
//! disappears or changes kind.
//!
//! A code is the serialised tag of its value: `code` on a [`DecisionError`],
//! `problem` inside an `invalid_schedule` refusal, `kind` on a
//! [`PolicyWarning`]. The policy time limits are one rule that can either
//! warn or refuse, so `time_limit_exceeded` is both a warning and a refusal.

use crate::error::{DecisionError, ScheduleError};
use crate::policy::PolicyWarning;

/// What a code can come out as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleOutcome {
    /// A refusal: `decide` returns a [`DecisionError`] and nothing is recorded.
    Refusal,
    /// A problem of a verification schedule, inside the refusal
    /// `invalid_schedule` (its `problem` field).
    ScheduleProblem,
    /// A warning: the command is accepted and the [`crate::Decision`]
    /// carries a [`PolicyWarning`].
    Warning,
    /// A policy rule that warns or refuses, as the policy says.
    WarningOrRefusal,
}

impl RuleOutcome {
    /// The word used in `docs/rule-codes.md`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RuleOutcome::Refusal => "refusal",
            RuleOutcome::ScheduleProblem => "schedule problem",
            RuleOutcome::Warning => "warning",
            RuleOutcome::WarningOrRefusal => "warning or refusal",
        }
    }
}

/// One entry of the code registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleCode {
    /// The code: lower-case ASCII words joined by `_`.
    pub code: &'static str,
    /// How the rule shows.
    pub outcome: RuleOutcome,
    /// What the rule says, in one line.
    pub summary: &'static str,
}

const fn refusal(code: &'static str, summary: &'static str) -> RuleCode {
    RuleCode {
        code,
        outcome: RuleOutcome::Refusal,
        summary,
    }
}

const fn schedule(code: &'static str, summary: &'static str) -> RuleCode {
    RuleCode {
        code,
        outcome: RuleOutcome::ScheduleProblem,
        summary,
    }
}

/// Every rule code, refusals first. Append new codes; never remove or
/// rename one (a test compares this list with every code ever issued).
pub const RULE_CODES: &[RuleCode] = &[
    refusal(
        "unknown_nonconformity",
        "the command names a nonconformity the register does not hold",
    ),
    refusal(
        "unknown_improvement",
        "the command names an improvement the register does not hold",
    ),
    refusal(
        "wrong_item",
        "the state given to `decide` is another item's than the command's target (a caller's bug)",
    ),
    refusal(
        "duplicate_id",
        "the identifier of a new item or action is already used",
    ),
    refusal(
        "transition_not_allowed",
        "the transition table does not allow this command in the nonconformity's state",
    ),
    refusal(
        "improvement_transition_not_allowed",
        "the transition table does not allow this command in the improvement's state",
    ),
    refusal(
        "time_went_backwards",
        "the command is dated before the item's last event",
    ),
    refusal(
        "detected_in_future",
        "a nonconformity is reported as detected after the time of reporting",
    ),
    refusal("empty_field", "a required text is empty or blank"),
    refusal(
        "bad_text",
        "a text is too long or contains control characters",
    ),
    refusal(
        "duplicate_requirement",
        "the same requirement is listed twice",
    ),
    refusal(
        "date_before_detection",
        "a due date, deadline or check date lies before the detection date",
    ),
    refusal(
        "containment_required",
        "the policy requires containment before root-cause analysis for this severity",
    ),
    refusal("no_root_cause", "a root-cause analysis names no root cause"),
    refusal(
        "no_action_decided",
        "an action is planned although the analysis decided no action is required",
    ),
    refusal(
        "unknown_action",
        "the nonconformity has no corrective action with this id",
    ),
    refusal(
        "action_not_open",
        "the corrective action's status does not allow the command (done or cancelled)",
    ),
    refusal(
        "same_due_date",
        "a reschedule names the due date already in force",
    ),
    refusal(
        "action_still_open",
        "closure while a corrective action is neither done nor cancelled",
    ),
    refusal(
        "not_verified_effective",
        "closure without a passing verification dated at or after the last completion",
    ),
    refusal(
        "segregation_of_duties",
        "the verifier owns a corrective action of the nonconformity (ISO/IEC 27001 A.5.3)",
    ),
    refusal(
        "no_verification_plan",
        "a verification result without a plan for the current attempt",
    ),
    refusal(
        "not_the_verifier",
        "a verification result recorded by someone other than the planned verifier",
    ),
    refusal(
        "verification_started",
        "re-planning verification after results were recorded for the attempt",
    ),
    refusal(
        "no_such_check",
        "the verification schedule has no check with this index",
    ),
    refusal("check_already_recorded", "the check already has a result"),
    refusal(
        "check_not_yet_due",
        "a check recorded before its date (in the organisation's time zone)",
    ),
    refusal(
        "invalid_schedule",
        "the verification schedule cannot be carried out; `problem` says why",
    ),
    refusal(
        "approver_role_missing",
        "the actor closing lacks the approver role the policy requires",
    ),
    RuleCode {
        code: "time_limit_exceeded",
        outcome: RuleOutcome::WarningOrRefusal,
        summary: "a policy time limit (containment, planning) is exceeded; refused without a late justification in `refuse` mode",
    },
    refusal("self_reference", "a nonconformity is linked to itself"),
    refusal(
        "bad_recurrence",
        "a recurrence link to a nonconformity reported later or rejected",
    ),
    refusal(
        "already_linked",
        "the nonconformity is already linked as a recurrence",
    ),
    refusal(
        "register_full",
        "the register holds the maximum number of items of this kind",
    ),
    refusal(
        "bad_extension_name",
        "an extension field name is empty, longer than 64 characters or has control characters",
    ),
    refusal(
        "nothing_to_change",
        "a change of extension fields names no field to set or remove",
    ),
    schedule("bad_period", "a period of zero or more than 1000 units"),
    schedule(
        "bad_count",
        "a recurring schedule with no checks or too many",
    ),
    schedule(
        "ends_before_start",
        "the schedule ends before its first check",
    ),
    schedule("too_long", "the schedule spans more days than allowed"),
    schedule(
        "out_of_calendar",
        "the schedule runs past the end of the supported calendar",
    ),
    RuleCode {
        code: "due_after_external_deadline",
        outcome: RuleOutcome::Warning,
        summary: "an action is due after the deadline set from outside (by an authority, a customer)",
    },
    refusal(
        "check_out_of_order",
        "verification checks are recorded in schedule order (a skipped one as missed, with a reason)",
    ),
    refusal(
        "window_not_open",
        "nothing is recorded against a watch window before it opens",
    ),
    refusal(
        "window_before_completion",
        "a watch window opens no earlier than the attempt's last action completion",
    ),
    refusal(
        "last_check_missed",
        "the last check of a schedule cannot be recorded as missed",
    ),
    refusal(
        "cannot_end_verification",
        "a schedule is ended early only if recurring, with checks left, after a passed check, and the policy allows it",
    ),
    refusal(
        "recurrence_already_recorded",
        "the same later nonconformity is recorded as a recurrence only once",
    ),
    refusal(
        "similar_check_missing",
        "10.2 b): the analysis lists the similar nonconformities found or notes that none were (if the policy requires it)",
    ),
    refusal(
        "approval_not_segregated",
        "the approver of a no-action decision, an improvement or a closure is neither its owner nor its proposer (if the policy requires it)",
    ),
    RuleCode {
        code: "backdated",
        outcome: RuleOutcome::WarningOrRefusal,
        summary: "the effective time lies further before the recording time than the policy allows",
    },
    refusal(
        "invalid_policy",
        "a policy adopted for the register has a time limit over ten years, or requires a role its roles table gives to nobody",
    ),
    refusal(
        "policy_approver_role_missing",
        "the actor adopting a policy lacks the policy approver role the policy in force requires",
    ),
    refusal(
        "evidence_required",
        "a corrective action is completed, or a passed verification result recorded, only with evidence, for the severities the policy names",
    ),
    refusal(
        "not_an_incident",
        "reporting clocks are recorded only on a nonconformity raised from an incident",
    ),
    refusal(
        "invalid_clock_regime",
        "a clock regime with a bad name, a duplicate kind, an anchor that is not an earlier kind, or a missing or surplus period",
    ),
    refusal(
        "aware_in_future",
        "the awareness instant lies after the time of the record",
    ),
    refusal(
        "bad_report_request",
        "a report request names a kind that is not sent on request, or its deadline is not after the request, or the request lies outside awareness and the record's time",
    ),
    refusal(
        "reporting_unchanged",
        "the reporting record given equals the one in force",
    ),
    refusal(
        "no_incident_reporting",
        "a report submission before the incident's awareness and significance are recorded",
    ),
    refusal(
        "unknown_report_kind",
        "the report kind is not one of the recorded regime's",
    ),
    refusal(
        "submission_before_awareness",
        "a report sent before the organisation became aware of the incident",
    ),
    refusal(
        "submission_in_future",
        "a report recorded as sent after the time of the record",
    ),
    refusal(
        "report_not_required",
        "a report submission for an incident recorded as not significant",
    ),
    refusal(
        "report_not_requested",
        "a report sent only on request, with no request recorded",
    ),
    refusal(
        "report_before_anchor",
        "a report whose clock starts on another report's submission, sent before that one",
    ),
    refusal(
        "risk_acceptor_role_missing",
        "the actor accepting a residual risk (with a closure or rejection) holds the role the policy requires for it (risk acceptor, else closure approver)",
    ),
    refusal(
        "bad_risk_review",
        "a risk acceptance is reviewed after the decision's date and at most three years later",
    ),
    refusal(
        "link_already_present",
        "a link is added to a nonconformity only once",
    ),
    refusal(
        "link_not_present",
        "only a link the nonconformity has is removed",
    ),
    refusal(
        "no_link_change",
        "a change of links adds or removes at least one",
    ),
    refusal(
        "audit_exists",
        "an audit or review is recorded once under its id",
    ),
    refusal(
        "unknown_audit",
        "a nonconformity or improvement names only an audit the register holds",
    ),
];

impl DecisionError {
    /// The stable code of the broken rule (see [`RULE_CODES`]). It is also
    /// the `code` tag of the serialised error.
    ///
    /// ```
    /// use isms_core::DecisionError;
    /// let e = DecisionError::EmptyField { field: "title" };
    /// assert_eq!(e.code(), "empty_field");
    /// assert_eq!(serde_json::to_value(&e)?["code"], "empty_field");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub const fn code(&self) -> &'static str {
        use DecisionError as E;
        match self {
            E::UnknownNonconformity { .. } => "unknown_nonconformity",
            E::UnknownImprovement { .. } => "unknown_improvement",
            E::WrongItem { .. } => "wrong_item",
            E::DuplicateId { .. } => "duplicate_id",
            E::TransitionNotAllowed { .. } => "transition_not_allowed",
            E::ImprovementTransitionNotAllowed { .. } => "improvement_transition_not_allowed",
            E::TimeWentBackwards { .. } => "time_went_backwards",
            E::DetectedInFuture { .. } => "detected_in_future",
            E::EmptyField { .. } => "empty_field",
            E::BadText { .. } => "bad_text",
            E::DuplicateRequirement { .. } => "duplicate_requirement",
            E::DateBeforeDetection { .. } => "date_before_detection",
            E::ContainmentRequired { .. } => "containment_required",
            E::NoRootCause { .. } => "no_root_cause",
            E::NoActionDecided { .. } => "no_action_decided",
            E::UnknownAction { .. } => "unknown_action",
            E::ActionNotOpen { .. } => "action_not_open",
            E::SameDueDate { .. } => "same_due_date",
            E::ActionStillOpen { .. } => "action_still_open",
            E::NotVerifiedEffective { .. } => "not_verified_effective",
            E::SegregationOfDuties { .. } => "segregation_of_duties",
            E::NoVerificationPlan { .. } => "no_verification_plan",
            E::NotTheVerifier { .. } => "not_the_verifier",
            E::VerificationStarted { .. } => "verification_started",
            E::NoSuchCheck { .. } => "no_such_check",
            E::CheckAlreadyRecorded { .. } => "check_already_recorded",
            E::CheckNotYetDue { .. } => "check_not_yet_due",
            E::Schedule(_) => "invalid_schedule",
            E::ApproverRoleMissing { .. } => "approver_role_missing",
            E::TimeLimitExceeded { .. } => "time_limit_exceeded",
            E::SelfReference { .. } => "self_reference",
            E::BadRecurrence { .. } => "bad_recurrence",
            E::AlreadyLinked { .. } => "already_linked",
            E::RegisterFull { .. } => "register_full",
            E::BadExtensionName { .. } => "bad_extension_name",
            E::NothingToChange { .. } => "nothing_to_change",
            E::CheckOutOfOrder { .. } => "check_out_of_order",
            E::WindowNotOpen { .. } => "window_not_open",
            E::WindowBeforeCompletion { .. } => "window_before_completion",
            E::LastCheckMissed { .. } => "last_check_missed",
            E::CannotEndVerification { .. } => "cannot_end_verification",
            E::RecurrenceAlreadyRecorded { .. } => "recurrence_already_recorded",
            E::SimilarCheckMissing { .. } => "similar_check_missing",
            E::ApprovalNotSegregated { .. } => "approval_not_segregated",
            E::BackdatedTooFar { .. } => "backdated",
            E::InvalidPolicy { .. } => "invalid_policy",
            E::PolicyApproverRoleMissing { .. } => "policy_approver_role_missing",
            E::EvidenceRequired { .. } => "evidence_required",
            E::NotAnIncident { .. } => "not_an_incident",
            E::InvalidClockRegime { .. } => "invalid_clock_regime",
            E::AwareInFuture { .. } => "aware_in_future",
            E::BadReportRequest { .. } => "bad_report_request",
            E::ReportingUnchanged { .. } => "reporting_unchanged",
            E::NoIncidentReporting { .. } => "no_incident_reporting",
            E::UnknownReportKind { .. } => "unknown_report_kind",
            E::SubmissionBeforeAwareness { .. } => "submission_before_awareness",
            E::SubmissionInFuture { .. } => "submission_in_future",
            E::ReportNotRequired { .. } => "report_not_required",
            E::ReportNotRequested { .. } => "report_not_requested",
            E::ReportBeforeAnchor { .. } => "report_before_anchor",
            E::RiskAcceptorRoleMissing { .. } => "risk_acceptor_role_missing",
            E::BadRiskReview { .. } => "bad_risk_review",
            E::LinkAlreadyPresent { .. } => "link_already_present",
            E::LinkNotPresent { .. } => "link_not_present",
            E::NoLinkChange { .. } => "no_link_change",
            E::AuditExists { .. } => "audit_exists",
            E::UnknownAudit { .. } => "unknown_audit",
        }
    }
}

impl ScheduleError {
    /// The stable code of the schedule problem (the `problem` field of an
    /// `invalid_schedule` refusal).
    pub const fn code(&self) -> &'static str {
        match self {
            ScheduleError::BadPeriod { .. } => "bad_period",
            ScheduleError::BadCount { .. } => "bad_count",
            ScheduleError::EndsBeforeStart { .. } => "ends_before_start",
            ScheduleError::TooLong { .. } => "too_long",
            ScheduleError::OutOfCalendar { .. } => "out_of_calendar",
        }
    }
}

impl PolicyWarning {
    /// The stable code of the flagged rule (see [`RULE_CODES`]); also the
    /// warning's serialised `kind`.
    pub const fn code(&self) -> &'static str {
        match self {
            PolicyWarning::TimeLimitExceeded { .. } => "time_limit_exceeded",
            PolicyWarning::DueAfterExternalDeadline { .. } => "due_after_external_deadline",
            PolicyWarning::Backdated { .. } => "backdated",
        }
    }
}

/// `docs/rule-codes.md`: every code with its outcome and rule.
pub fn render_rule_codes_markdown() -> String {
    let mut out = String::from(
        "# Rule codes\n\n\
         <!-- Generated from isms_core::RULE_CODES; do not edit. Regenerate with\n\
         UPDATE_DOCS=1 cargo test -p isms-core --features proptest rule_codes -->\n\n\
         Every refusal of `decide` (`DecisionError::code`), every problem of a verification\n\
         schedule (`ScheduleError::code`, the `problem` field of an `invalid_schedule` refusal)\n\
         and every policy warning (`PolicyWarning::code`) carries one of these codes. A code\n\
         names a rule: it never changes meaning, is never removed and is never given to another\n\
         rule; messages may be reworded. Serialised, the code is the `code` field of a refusal\n\
         and the `kind` field of a warning.\n\n\
         | code | outcome | rule |\n|---|---|---|\n",
    );
    for c in RULE_CODES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.code,
            c.outcome.as_str(),
            c.summary
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;
    use crate::error::Subject;
    use crate::ids::{ActionRef, ActorId, ImprovementRef, NcRef, Role};
    use crate::model::{ActionStatus, Severity};
    use crate::workflow::{ImprovementCommandKind, ImprovementState, NcCommandKind, NcState};

    /// One value of every variant. `position` below is an exhaustive match
    /// (no wildcard), so a new variant fails to compile here until it has a
    /// sample, a code and a registry entry.
    fn samples() -> Vec<DecisionError> {
        use DecisionError as E;
        let r = NcRef::new(1).unwrap();
        let a = ActionRef::new(1).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let who = ActorId::new("alice").unwrap();
        vec![
            E::UnknownNonconformity { id: "x".into() },
            E::UnknownImprovement { id: "x".into() },
            E::WrongItem {
                expected: "a".into(),
                given: "b".into(),
            },
            E::DuplicateId { id: "x".into() },
            E::TransitionNotAllowed {
                reference: r,
                state: NcState::Closed,
                command: NcCommandKind::Close,
                allowed: vec![],
            },
            E::ImprovementTransitionNotAllowed {
                reference: ImprovementRef::new(1).unwrap(),
                state: ImprovementState::Rejected,
                command: ImprovementCommandKind::Approve,
                allowed: vec![],
            },
            E::TimeWentBackwards {
                subject: Subject::Nonconformity(r),
                at,
                last: at,
            },
            E::DetectedInFuture {
                detected_at: at,
                at,
            },
            E::EmptyField { field: "title" },
            E::BadText {
                field: "title",
                problem: "too long".into(),
            },
            E::DuplicateRequirement {
                requirement: "nis2/21.2.c".into(),
            },
            E::DateBeforeDetection {
                reference: r,
                field: "due",
                date: day,
                detected: day,
            },
            E::ContainmentRequired {
                reference: r,
                severity: Severity::Major,
            },
            E::NoRootCause { reference: r },
            E::NoActionDecided { reference: r },
            E::UnknownAction {
                reference: r,
                action: "x".into(),
            },
            E::ActionNotOpen {
                reference: r,
                action: a,
                status: ActionStatus::Done,
                command: NcCommandKind::CompleteAction,
            },
            E::SameDueDate {
                reference: r,
                action: a,
                due: day,
            },
            E::ActionStillOpen {
                reference: r,
                action: a,
                due: day,
            },
            E::NotVerifiedEffective { reference: r },
            E::SegregationOfDuties {
                reference: r,
                actor: who.clone(),
                action: a,
            },
            E::NoVerificationPlan { reference: r },
            E::NotTheVerifier {
                reference: r,
                actor: who.clone(),
                verifier: who.clone(),
            },
            E::VerificationStarted { reference: r },
            E::NoSuchCheck {
                reference: r,
                check: 3,
                checks: 1,
            },
            E::CheckAlreadyRecorded {
                reference: r,
                check: 0,
            },
            E::CheckNotYetDue {
                reference: r,
                check: 0,
                due: day,
                today: day,
            },
            E::Schedule(ScheduleError::BadPeriod { count: 0 }),
            E::ApproverRoleMissing {
                reference: r,
                actor: who,
                role: Role::new("grc_admin").unwrap(),
            },
            E::TimeLimitExceeded {
                reference: r,
                what: "containment",
                limit_days: 1,
                elapsed_days: 2,
            },
            E::SelfReference { reference: r },
            E::BadRecurrence {
                reference: r,
                other: r,
                problem: "it was rejected",
            },
            E::AlreadyLinked {
                reference: r,
                other: r,
            },
            E::RegisterFull { max: 1 },
            E::BadExtensionName {
                name: String::new(),
            },
            E::NothingToChange {
                subject: Subject::Nonconformity(r),
            },
            E::CheckOutOfOrder {
                reference: r,
                check: 1,
                next: 0,
            },
            E::WindowNotOpen {
                reference: r,
                start: day,
                today: day,
            },
            E::WindowBeforeCompletion {
                reference: r,
                start: day,
                completed: day,
            },
            E::LastCheckMissed {
                reference: r,
                check: 0,
            },
            E::CannotEndVerification {
                reference: r,
                problem: "no check has passed yet",
            },
            E::RecurrenceAlreadyRecorded {
                reference: r,
                other: r,
            },
            E::SimilarCheckMissing { reference: r },
            E::ApprovalNotSegregated {
                subject: Subject::Nonconformity(r),
                what: "the closure",
                actor: ActorId::new("alice").unwrap(),
                conflict: "owns it",
            },
            E::BackdatedTooFar {
                at,
                recorded_at: at,
                days: 8,
                limit_days: 7,
            },
            E::InvalidPolicy {
                problem: "max_days_to_plan.days is 40000".into(),
            },
            E::PolicyApproverRoleMissing {
                actor: ActorId::new("bob").unwrap(),
                role: Role::new("ciso").unwrap(),
            },
            E::EvidenceRequired {
                reference: r,
                severity: Severity::Major,
                what: "the completion of action A-1".into(),
            },
            E::NotAnIncident {
                reference: r,
                origin: crate::model::Source::InternalAudit,
            },
            E::InvalidClockRegime {
                problem: "the report kind x is listed twice".into(),
            },
            E::AwareInFuture {
                reference: r,
                aware_at: at,
                at,
            },
            E::BadReportRequest {
                reference: r,
                kind: "early_warning".into(),
                problem: "is not sent on request".into(),
            },
            E::ReportingUnchanged { reference: r },
            E::NoIncidentReporting { reference: r },
            E::UnknownReportKind {
                reference: r,
                kind: "warning".into(),
                regime: "nis2".into(),
                known: vec!["early_warning".into()],
            },
            E::SubmissionBeforeAwareness {
                reference: r,
                kind: "early_warning".into(),
                submitted_at: at,
                aware_at: at,
            },
            E::SubmissionInFuture {
                reference: r,
                kind: "early_warning".into(),
                submitted_at: at,
                at,
            },
            E::ReportNotRequired {
                reference: r,
                kind: "early_warning".into(),
            },
            E::ReportNotRequested {
                reference: r,
                kind: "intermediate_report".into(),
            },
            E::ReportBeforeAnchor {
                reference: r,
                kind: "final_report".into(),
                anchor: "incident_notification".into(),
                submitted_at: at,
            },
            E::RiskAcceptorRoleMissing {
                reference: r,
                actor: ActorId::new("bob").unwrap(),
                role: Role::new("risk_owner").unwrap(),
            },
            E::BadRiskReview {
                reference: r,
                review_by: day,
                today: day,
                problem: "is not after today",
            },
            E::LinkAlreadyPresent {
                reference: r,
                link: "risk:R-1".into(),
            },
            E::LinkNotPresent {
                reference: r,
                link: "risk:R-1".into(),
            },
            E::NoLinkChange { reference: r },
            E::AuditExists {
                audit: "IA-2026-1".parse().unwrap(),
            },
            E::UnknownAudit {
                audit: "IA-2026-1".parse().unwrap(),
            },
        ]
    }

    fn position(e: &DecisionError) -> usize {
        use DecisionError as E;
        match e {
            E::UnknownNonconformity { .. } => 0,
            E::UnknownImprovement { .. } => 1,
            E::WrongItem { .. } => 2,
            E::DuplicateId { .. } => 3,
            E::TransitionNotAllowed { .. } => 4,
            E::ImprovementTransitionNotAllowed { .. } => 5,
            E::TimeWentBackwards { .. } => 6,
            E::DetectedInFuture { .. } => 7,
            E::EmptyField { .. } => 8,
            E::BadText { .. } => 9,
            E::DuplicateRequirement { .. } => 10,
            E::DateBeforeDetection { .. } => 11,
            E::ContainmentRequired { .. } => 12,
            E::NoRootCause { .. } => 13,
            E::NoActionDecided { .. } => 14,
            E::UnknownAction { .. } => 15,
            E::ActionNotOpen { .. } => 16,
            E::SameDueDate { .. } => 17,
            E::ActionStillOpen { .. } => 18,
            E::NotVerifiedEffective { .. } => 19,
            E::SegregationOfDuties { .. } => 20,
            E::NoVerificationPlan { .. } => 21,
            E::NotTheVerifier { .. } => 22,
            E::VerificationStarted { .. } => 23,
            E::NoSuchCheck { .. } => 24,
            E::CheckAlreadyRecorded { .. } => 25,
            E::CheckNotYetDue { .. } => 26,
            E::Schedule(_) => 27,
            E::ApproverRoleMissing { .. } => 28,
            E::TimeLimitExceeded { .. } => 29,
            E::SelfReference { .. } => 30,
            E::BadRecurrence { .. } => 31,
            E::AlreadyLinked { .. } => 32,
            E::RegisterFull { .. } => 33,
            E::BadExtensionName { .. } => 34,
            E::NothingToChange { .. } => 35,
            E::CheckOutOfOrder { .. } => 36,
            E::WindowNotOpen { .. } => 37,
            E::WindowBeforeCompletion { .. } => 38,
            E::LastCheckMissed { .. } => 39,
            E::CannotEndVerification { .. } => 40,
            E::RecurrenceAlreadyRecorded { .. } => 41,
            E::SimilarCheckMissing { .. } => 42,
            E::ApprovalNotSegregated { .. } => 43,
            E::BackdatedTooFar { .. } => 44,
            E::InvalidPolicy { .. } => 45,
            E::PolicyApproverRoleMissing { .. } => 46,
            E::EvidenceRequired { .. } => 47,
            E::NotAnIncident { .. } => 48,
            E::InvalidClockRegime { .. } => 49,
            E::AwareInFuture { .. } => 50,
            E::BadReportRequest { .. } => 51,
            E::ReportingUnchanged { .. } => 52,
            E::NoIncidentReporting { .. } => 53,
            E::UnknownReportKind { .. } => 54,
            E::SubmissionBeforeAwareness { .. } => 55,
            E::SubmissionInFuture { .. } => 56,
            E::ReportNotRequired { .. } => 57,
            E::ReportNotRequested { .. } => 58,
            E::ReportBeforeAnchor { .. } => 59,
            E::RiskAcceptorRoleMissing { .. } => 60,
            E::BadRiskReview { .. } => 61,
            E::LinkAlreadyPresent { .. } => 62,
            E::LinkNotPresent { .. } => 63,
            E::NoLinkChange { .. } => 64,
            E::AuditExists { .. } => 65,
            E::UnknownAudit { .. } => 66,
        }
    }

    fn schedule_samples() -> Vec<ScheduleError> {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        vec![
            ScheduleError::BadPeriod { count: 0 },
            ScheduleError::BadCount { count: 0, max: 1 },
            ScheduleError::EndsBeforeStart {
                first: day,
                until: day,
            },
            ScheduleError::TooLong {
                from: day,
                to: day,
                max_days: 1,
            },
            ScheduleError::OutOfCalendar { from: day },
        ]
    }

    fn registered(code: &str, outcomes: &[RuleOutcome]) -> bool {
        RULE_CODES
            .iter()
            .any(|c| c.code == code && outcomes.contains(&c.outcome))
    }

    #[test]
    fn every_refusal_has_a_registered_code_that_is_its_serialised_tag() {
        let samples = samples();
        let positions: BTreeSet<usize> = samples.iter().map(position).collect();
        assert_eq!(positions.len(), samples.len(), "one sample per variant");
        assert_eq!(positions.last().copied(), Some(samples.len() - 1));
        let refusals = [RuleOutcome::Refusal, RuleOutcome::WarningOrRefusal];
        let mut codes = BTreeSet::new();
        for e in &samples {
            let code = e.code();
            assert!(registered(code, &refusals), "{code} is not in RULE_CODES");
            assert!(codes.insert(code), "two variants share the code {code}");
            let json = serde_json::to_value(e).unwrap();
            assert_eq!(json["code"], code, "{json}");
        }
        // And no refusal code in the registry lacks a variant.
        for c in RULE_CODES.iter().filter(|c| refusals.contains(&c.outcome)) {
            assert!(codes.contains(c.code), "{} has no variant", c.code);
        }
    }

    #[test]
    fn every_schedule_problem_and_warning_has_a_registered_code() {
        let mut codes = BTreeSet::new();
        for e in schedule_samples() {
            assert!(registered(e.code(), &[RuleOutcome::ScheduleProblem]));
            assert!(codes.insert(e.code()));
            let json = serde_json::to_value(DecisionError::Schedule(e.clone())).unwrap();
            assert_eq!(json["code"], "invalid_schedule");
            assert_eq!(json["problem"], e.code(), "{json}");
        }
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let warnings = [
            PolicyWarning::TimeLimitExceeded {
                what: "planning".into(),
                limit_days: 1,
                elapsed_days: 2,
            },
            PolicyWarning::DueAfterExternalDeadline {
                due: day,
                deadline: day,
            },
            PolicyWarning::Backdated {
                limit_days: 7,
                days: 8,
            },
        ];
        for w in warnings {
            let outcomes = [RuleOutcome::Warning, RuleOutcome::WarningOrRefusal];
            assert!(registered(w.code(), &outcomes), "{}", w.code());
            assert_eq!(serde_json::to_value(&w).unwrap()["kind"], w.code());
        }
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for c in RULE_CODES {
            assert!(seen.insert(c.code), "{} is listed twice", c.code);
            assert!(
                !c.code.is_empty() && c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                c.code
            );
        }
    }
}
