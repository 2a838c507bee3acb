//! Errors, one enum per concern. Each variant names the rule that was broken
//! and carries the offending values, so its message needs no lookup.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::ids::{ActionRef, ActorId, ImprovementRef, NcRef, RefKind, Role};
use crate::model::{ActionStatus, Severity};
use crate::workflow::{ImprovementCommandKind, ImprovementState, NcCommandKind, NcState};

/// A malformed identifier, human reference or name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// Not a UUID.
    #[error(
        "{value:?} is not a valid {kind} (expected a UUID such as 0190f5c2-7b1e-7c3a-9d4e-2f6a8b0c1d2e)"
    )]
    NotAUuid {
        /// Which identifier was expected.
        kind: &'static str,
        /// The input.
        value: String,
    },
    /// Not a usable audit id.
    #[error(
        "{value:?} is not a valid audit id: use 1 to 40 ASCII letters, digits, '-', '_', '.' or '/', starting with a letter or digit (e.g. IA-2026-1)"
    )]
    BadAuditId {
        /// The input.
        value: String,
    },
    /// Not a human reference of the expected kind.
    #[error("{value:?} is not a valid {} reference (expected {}-<number>, e.g. {}-0007)", kind.prefix(), kind.prefix(), kind.prefix())]
    BadReference {
        /// Which reference was expected.
        kind: RefKind,
        /// The input.
        value: String,
    },
    /// References are numbered from 1.
    #[error("{}-0 is not a valid reference: numbers start at 1", kind.prefix())]
    ZeroReference {
        /// Which reference.
        kind: RefKind,
    },
    /// An actor or role name that breaks the naming rules.
    #[error(
        "{kind} name {value:?} {problem}; use 1 to 128 characters with no control characters or surrounding spaces"
    )]
    BadName {
        /// `actor` or `role`.
        kind: &'static str,
        /// The input.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Not a SHA-256 digest.
    #[error("{value:?} is not a SHA-256 digest (expected 64 lower-case hexadecimal digits)")]
    BadDigest {
        /// The input.
        value: String,
    },
}

/// A malformed requirement reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// No `/` between framework and item.
    #[error(
        "requirement reference {input:?} has no '/': write FRAMEWORK[:VERSION]/ITEM, e.g. iso27001:2022/A.8.13 or nis2/21.2.c"
    )]
    MissingSlash {
        /// The input.
        input: String,
    },
    /// A part breaks the grammar.
    #[error(
        "requirement reference {input:?}: the {part} {problem} (grammar: FRAMEWORK[:VERSION]/ITEM, e.g. iso27001:2022/A.8.13)"
    )]
    Malformed {
        /// The input.
        input: String,
        /// `framework`, `version` or `item`.
        part: &'static str,
        /// What is wrong.
        problem: String,
    },
}

/// A verification schedule that cannot be carried out. Serialised with a
/// `problem` tag (`{"problem": "bad_period", "count": 0}`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScheduleError {
    /// A period of zero or more than 1000 units.
    #[error("a schedule period of {count} units is not allowed: use 1 to 1000")]
    BadPeriod {
        /// The count given.
        count: u32,
    },
    /// Zero checks or too many.
    #[error("a recurring schedule with {count} checks is not allowed: use 1 to {max}")]
    BadCount {
        /// The count given (or reached).
        count: u32,
        /// The maximum.
        max: u32,
    },
    /// The end precedes the start.
    #[error("the schedule ends on {until}, before its first check on {first}")]
    EndsBeforeStart {
        /// First check.
        first: NaiveDate,
        /// End date.
        until: NaiveDate,
    },
    /// Longer than allowed.
    #[error("the schedule runs from {from} to {to}, longer than {max_days} days")]
    TooLong {
        /// Start.
        from: NaiveDate,
        /// End.
        to: NaiveDate,
        /// The limit.
        max_days: i64,
    },
    /// Past the end of the calendar.
    #[error("the schedule starting {from} runs past the end of the supported calendar")]
    OutOfCalendar {
        /// Start.
        from: NaiveDate,
    },
}

/// Which item a refused command was about, for messages. Serialised as its
/// human reference (`"NC-0007"`, `"IMP-0003"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A nonconformity.
    Nonconformity(NcRef),
    /// An improvement.
    Improvement(ImprovementRef),
    /// The register's policy stream.
    Policy,
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Subject::Nonconformity(r) => r.fmt(f),
            Subject::Improvement(r) => r.fmt(f),
            Subject::Policy => f.write_str("the register's policy"),
        }
    }
}

/// Why `decide` refused a command. A refused command changes nothing.
///
/// Every variant has a stable rule code ([`DecisionError::code`], listed in
/// `docs/rule-codes.md`). It serialises with that code as its `code` tag and
/// the variant's fields beside it:
/// `{"code": "segregation_of_duties", "reference": "NC-0001", ...}`.
#[derive(Clone, Debug, PartialEq, thiserror::Error, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DecisionError {
    /// No nonconformity with this identifier.
    #[error("no nonconformity with id {id} in this register")]
    UnknownNonconformity {
        /// The identifier given.
        id: String,
    },
    /// No improvement with this identifier.
    #[error("no improvement with id {id} in this register")]
    UnknownImprovement {
        /// The identifier given.
        id: String,
    },
    /// `decide` was given the state of another item than the one the
    /// command targets (a caller's bug: load the target's stream).
    #[error(
        "the command targets {expected} but the state of {given} was given; load the target's stream"
    )]
    WrongItem {
        /// The stream the command targets.
        expected: String,
        /// The stream of the state given.
        given: String,
    },
    /// The identifier is already used.
    #[error("id {id} is already used in this register: generate a new one")]
    DuplicateId {
        /// The identifier.
        id: String,
    },
    /// The command is not allowed in the nonconformity's state.
    #[error(
        "cannot {command} {reference}: it is {state}; allowed now: {}",
        list(allowed)
    )]
    TransitionNotAllowed {
        /// The nonconformity.
        reference: NcRef,
        /// Its state.
        state: NcState,
        /// The command refused.
        command: NcCommandKind,
        /// What would be allowed.
        allowed: Vec<NcCommandKind>,
    },
    /// The command is not allowed in the improvement's state.
    #[error(
        "cannot {command} {reference}: it is {state}; allowed now: {}",
        list(allowed)
    )]
    ImprovementTransitionNotAllowed {
        /// The improvement.
        reference: ImprovementRef,
        /// Its state.
        state: ImprovementState,
        /// The command refused.
        command: ImprovementCommandKind,
        /// What would be allowed.
        allowed: Vec<ImprovementCommandKind>,
    },
    /// Events on one item must not go back in time.
    #[error(
        "cannot record at {at} on {subject}: its last event is at {last}, and history must not go backwards"
    )]
    TimeWentBackwards {
        /// The item.
        subject: Subject,
        /// The command's time.
        at: DateTime<Utc>,
        /// The item's last event time.
        last: DateTime<Utc>,
    },
    /// Detection cannot lie in the future.
    #[error("detected_at {detected_at} is after the time of reporting {at}")]
    DetectedInFuture {
        /// Detection time.
        detected_at: DateTime<Utc>,
        /// Report time.
        at: DateTime<Utc>,
    },
    /// A required text is empty.
    #[error("{field} must not be empty")]
    EmptyField {
        /// Which field.
        field: &'static str,
    },
    /// A text is too long or contains control characters.
    #[error("{field} {problem}")]
    BadText {
        /// Which field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The same requirement listed twice.
    #[error("requirement {requirement} is listed twice")]
    DuplicateRequirement {
        /// The duplicate.
        requirement: String,
    },
    /// A date before the nonconformity was detected.
    #[error("{field} {date} is before {reference} was detected ({detected})")]
    DateBeforeDetection {
        /// The nonconformity.
        reference: NcRef,
        /// Which date.
        field: &'static str,
        /// The date given.
        date: NaiveDate,
        /// Detection date.
        detected: NaiveDate,
    },
    /// Containment first, for this severity.
    #[error(
        "{reference} is {severity}: the policy requires containment to be recorded before root-cause analysis"
    )]
    ContainmentRequired {
        /// The nonconformity.
        reference: NcRef,
        /// Its severity.
        severity: Severity,
    },
    /// Root-cause analysis needs at least one cause.
    #[error("root-cause analysis of {reference} names no root cause: record at least one")]
    NoRootCause {
        /// The nonconformity.
        reference: NcRef,
    },
    /// The analysis decided no action is needed.
    #[error("cannot plan an action on {reference}: its analysis decided no action is required")]
    NoActionDecided {
        /// The nonconformity.
        reference: NcRef,
    },
    /// The action does not belong to this nonconformity.
    #[error("{reference} has no corrective action with id {action}")]
    UnknownAction {
        /// The nonconformity.
        reference: NcRef,
        /// The identifier given.
        action: String,
    },
    /// The action is not in a state that allows this.
    #[error("cannot {command} action {action} of {reference}: it is {status:?}")]
    ActionNotOpen {
        /// The nonconformity.
        reference: NcRef,
        /// The action.
        action: ActionRef,
        /// Its status.
        status: ActionStatus,
        /// The command refused.
        command: NcCommandKind,
    },
    /// Rescheduling to the date already in force.
    #[error("action {action} of {reference} is already due on {due}")]
    SameDueDate {
        /// The nonconformity.
        reference: NcRef,
        /// The action.
        action: ActionRef,
        /// The date.
        due: NaiveDate,
    },
    /// An open action blocks closure.
    #[error("cannot close {reference}: action {action} is still open (due {due})")]
    ActionStillOpen {
        /// The nonconformity.
        reference: NcRef,
        /// The open action.
        action: ActionRef,
        /// Its due date.
        due: NaiveDate,
    },
    /// Closure needs a passing verification after the last completion.
    #[error(
        "cannot close {reference}: no passing verification of effectiveness dated at or after the last completion"
    )]
    NotVerifiedEffective {
        /// The nonconformity.
        reference: NcRef,
    },
    /// Segregation of duties (Annex A 5.3).
    #[error(
        "{actor} cannot verify {reference}: they own action {action} (segregation of duties, ISO/IEC 27001 A.5.3); choose another verifier or waive it in the policy"
    )]
    SegregationOfDuties {
        /// The nonconformity.
        reference: NcRef,
        /// The actor who would verify their own work.
        actor: ActorId,
        /// The action they own.
        action: ActionRef,
    },
    /// No plan to record results against.
    #[error(
        "{reference} has no verification plan for the current attempt: plan verification first"
    )]
    NoVerificationPlan {
        /// The nonconformity.
        reference: NcRef,
    },
    /// Only the planned verifier records results.
    #[error("{actor} is not the verifier of {reference} ({verifier} is)")]
    NotTheVerifier {
        /// The nonconformity.
        reference: NcRef,
        /// Who tried.
        actor: ActorId,
        /// The planned verifier.
        verifier: ActorId,
    },
    /// The plan cannot change once results exist.
    #[error(
        "cannot re-plan verification of {reference}: results are already recorded for this attempt"
    )]
    VerificationStarted {
        /// The nonconformity.
        reference: NcRef,
    },
    /// No such check in the schedule.
    #[error("{reference}'s schedule has {checks} checks (0 to {}); there is no check {check}", checks.saturating_sub(1))]
    NoSuchCheck {
        /// The nonconformity.
        reference: NcRef,
        /// The index given.
        check: u32,
        /// How many checks there are.
        checks: u32,
    },
    /// A check already has a result.
    #[error("check {check} of {reference} already has a result")]
    CheckAlreadyRecorded {
        /// The nonconformity.
        reference: NcRef,
        /// The check.
        check: u32,
    },
    /// A check cannot be recorded before its date.
    #[error(
        "check {check} of {reference} is scheduled for {due}; it cannot be recorded on {today}"
    )]
    CheckNotYetDue {
        /// The nonconformity.
        reference: NcRef,
        /// The check.
        check: u32,
        /// Its date.
        due: NaiveDate,
        /// The command's date.
        today: NaiveDate,
    },
    /// An invalid schedule.
    #[error("invalid verification schedule: {0}")]
    #[serde(rename = "invalid_schedule")]
    Schedule(#[from] ScheduleError),
    /// The policy requires an approver role.
    #[error("{actor} cannot close {reference}: the policy requires the role {role}")]
    ApproverRoleMissing {
        /// The nonconformity.
        reference: NcRef,
        /// Who tried.
        actor: ActorId,
        /// The role required.
        role: Role,
    },
    /// A time limit enforced as a refusal.
    #[error(
        "{what} on {reference} after {elapsed_days} days exceeds the policy limit of {limit_days} days: give a late_justification"
    )]
    TimeLimitExceeded {
        /// The nonconformity.
        reference: NcRef,
        /// `containment` or `planning`.
        what: &'static str,
        /// The limit.
        limit_days: u32,
        /// Days elapsed.
        elapsed_days: i64,
    },
    /// A nonconformity cannot point at itself.
    #[error("{reference} cannot be linked to itself")]
    SelfReference {
        /// The nonconformity.
        reference: NcRef,
    },
    /// Recurrence must point at an earlier nonconformity.
    #[error("{reference} cannot be a recurrence of {other}: {problem}")]
    BadRecurrence {
        /// The nonconformity.
        reference: NcRef,
        /// The target.
        other: NcRef,
        /// Why not.
        problem: &'static str,
    },
    /// Already linked.
    #[error("{reference} is already linked as a recurrence of {other}")]
    AlreadyLinked {
        /// The nonconformity.
        reference: NcRef,
        /// The existing link.
        other: NcRef,
    },
    /// The register is full.
    #[error("the register has reached its maximum of {max} items of this kind")]
    RegisterFull {
        /// The limit.
        max: u32,
    },
    /// A change of extension fields that names none.
    #[error("the change of {subject}'s extension fields names no field to set or remove")]
    NothingToChange {
        /// The item.
        subject: Subject,
    },
    /// The extension field name is not usable.
    #[error(
        "extension field name {name:?} is not allowed: use 1 to 64 characters with no control characters"
    )]
    BadExtensionName {
        /// The name.
        name: String,
    },
    /// Checks are recorded in schedule order.
    #[error(
        "check {check} of {reference} cannot be recorded before check {next}: record check {next}'s result, or record it as missed with a reason"
    )]
    CheckOutOfOrder {
        /// The nonconformity.
        reference: NcRef,
        /// The check given.
        check: u32,
        /// The next check to record.
        next: u32,
    },
    /// A failure inside a watch window cannot come before the window opens.
    #[error(
        "the watch window of {reference} opens on {start}; nothing can be recorded against it on {today}"
    )]
    WindowNotOpen {
        /// The nonconformity.
        reference: NcRef,
        /// The window's first day.
        start: NaiveDate,
        /// The command's date.
        today: NaiveDate,
    },
    /// A watch window must start no earlier than the attempt's last action
    /// completion.
    #[error(
        "the watch window of {reference} starts on {start}, before the last corrective action was completed on {completed}: plan the verification again with a window from {completed}"
    )]
    WindowBeforeCompletion {
        /// The nonconformity.
        reference: NcRef,
        /// The window's first day.
        start: NaiveDate,
        /// The last completion's date.
        completed: NaiveDate,
    },
    /// The last check of a schedule cannot be skipped.
    #[error(
        "check {check} is the last check of {reference} and cannot be recorded as missed: record its result, or end the schedule early"
    )]
    LastCheckMissed {
        /// The nonconformity.
        reference: NcRef,
        /// The check.
        check: u32,
    },
    /// A schedule cannot be ended early here.
    #[error("the verification of {reference} cannot be ended early: {problem}")]
    CannotEndVerification {
        /// The nonconformity.
        reference: NcRef,
        /// Why not.
        problem: &'static str,
    },
    /// The recurrence is already recorded.
    #[error("{other} is already recorded as a recurrence of {reference}")]
    RecurrenceAlreadyRecorded {
        /// The earlier nonconformity.
        reference: NcRef,
        /// The later one.
        other: NcRef,
    },
    /// 10.2 b): the analysis must say whether similar nonconformities exist.
    #[error(
        "the analysis of {reference} does not say whether similar nonconformities exist or could occur (10.2 b): list the similar ones found, or record that none were found with notes"
    )]
    SimilarCheckMissing {
        /// The nonconformity.
        reference: NcRef,
    },
    /// Segregated approvals: the approver is the proposer or the owner.
    #[error(
        "{actor} cannot approve {what} of {subject}: {actor} {conflict}, and the policy requires another approver"
    )]
    ApprovalNotSegregated {
        /// The item.
        subject: Subject,
        /// What is approved: `the no-action decision`, `the improvement`, `the closure`.
        what: &'static str,
        /// The would-be approver.
        actor: ActorId,
        /// Why they may not: `owns it`, `proposed it`.
        conflict: &'static str,
    },
    /// The effective time lies too far before the recording time (the
    /// policy's back-dating limit in `refuse` mode; code `backdated`, as the
    /// warning of the same rule in `warn` mode).
    #[serde(rename = "backdated")]
    #[error(
        "the command is dated {at}, {days} days before it is recorded ({recorded_at}); the policy allows {limit_days} days of back-dating"
    )]
    BackdatedTooFar {
        /// The effective time given.
        at: DateTime<Utc>,
        /// When it is recorded.
        recorded_at: DateTime<Utc>,
        /// Days between them.
        days: i64,
        /// The policy's limit.
        limit_days: u32,
    },
    /// A policy adopted for the register fails [`crate::Policy::validate`].
    #[error("the policy cannot be adopted: {problem}")]
    InvalidPolicy {
        /// What is wrong, naming the field.
        problem: String,
    },
    /// The policy in force requires a role to adopt a new policy.
    #[error(
        "{actor} cannot adopt a policy: the policy in force requires the role {role} (its roles table says who holds it)"
    )]
    PolicyApproverRoleMissing {
        /// Who tried.
        actor: ActorId,
        /// The role required.
        role: Role,
    },
    /// The policy requires evidence for this step at this severity.
    #[error(
        "{what} of {reference} needs evidence: the policy requires it for {severity} nonconformities; give a document reference or a file record"
    )]
    EvidenceRequired {
        /// The nonconformity.
        reference: NcRef,
        /// Its severity.
        severity: Severity,
        /// The step: `the completion of action A-1`, `the passed check 2`.
        what: String,
    },
    /// The actor lacks the role the policy requires to accept a risk.
    #[error(
        "{actor} cannot accept the residual risk of {reference}: the policy requires the role {role} (its roles table says who holds it)"
    )]
    RiskAcceptorRoleMissing {
        /// The nonconformity.
        reference: NcRef,
        /// Who tried.
        actor: ActorId,
        /// The role required.
        role: Role,
    },
    /// A risk acceptance's review date is not usable.
    #[error(
        "the risk acceptance of {reference} is to be reviewed by {review_by}, which {problem} (today is {today})"
    )]
    BadRiskReview {
        /// The nonconformity.
        reference: NcRef,
        /// The review date given.
        review_by: NaiveDate,
        /// The decision's date in the policy's time zone.
        today: NaiveDate,
        /// What is wrong: not after today, too far ahead.
        problem: &'static str,
    },
    /// A link to add is already on the item (or listed twice).
    #[error("{reference} already links to {link}: nothing to add")]
    LinkAlreadyPresent {
        /// The nonconformity.
        reference: NcRef,
        /// The link, `kind:id`.
        link: String,
    },
    /// A link to remove is not on the item (or listed twice).
    #[error(
        "{reference} has no link to {link}: nothing to remove (`isms nc show` lists its links)"
    )]
    LinkNotPresent {
        /// The nonconformity.
        reference: NcRef,
        /// The link, `kind:id`.
        link: String,
    },
    /// A change of links that names none.
    #[error("the change of {reference}'s links names no link to add or remove")]
    NoLinkChange {
        /// The nonconformity.
        reference: NcRef,
    },
    /// An audit id already recorded.
    #[error("the register already holds the audit {audit}: give the new one another id")]
    AuditExists {
        /// The id.
        audit: crate::audit::AuditId,
    },
    /// A finding names an audit the register does not hold.
    #[error("the register holds no audit {audit}: record it first (`isms audit add`)")]
    UnknownAudit {
        /// The id.
        audit: crate::audit::AuditId,
    },
    /// Regulatory reporting applies to incident nonconformities only.
    #[error(
        "{reference} comes from {}, not from an incident: reporting clocks apply to nonconformities raised from an incident (report it with source incident)",
        serde_json::to_value(origin).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
    )]
    NotAnIncident {
        /// The nonconformity.
        reference: NcRef,
        /// Its source.
        origin: crate::model::Source,
    },
    /// A clock regime that fails [`crate::ClockRegime::validate`].
    #[error("invalid clock regime: {problem}")]
    InvalidClockRegime {
        /// What is wrong, naming the rule.
        problem: String,
    },
    /// Awareness cannot lie after the time the record is made.
    #[error(
        "{reference}: awareness at {aware_at} lies after the record's time {at}; record it once the organisation is aware"
    )]
    AwareInFuture {
        /// The nonconformity.
        reference: NcRef,
        /// The awareness instant given.
        aware_at: DateTime<Utc>,
        /// The command's time.
        at: DateTime<Utc>,
    },
    /// A report request that does not fit the regime.
    #[error("{reference}: the request for {kind:?} {problem}")]
    BadReportRequest {
        /// The nonconformity.
        reference: NcRef,
        /// The kind requested.
        kind: String,
        /// What is wrong.
        problem: String,
    },
    /// The same reporting record again.
    #[error("{reference}: the reporting record is unchanged; give what differs")]
    ReportingUnchanged {
        /// The nonconformity.
        reference: NcRef,
    },
    /// A submission before the incident's reporting is recorded.
    #[error(
        "{reference} has no reporting record: record awareness and significance first (`isms nc incident`)"
    )]
    NoIncidentReporting {
        /// The nonconformity.
        reference: NcRef,
    },
    /// A report kind the recorded regime does not know.
    #[error("{reference}: {kind:?} is not a report kind of regime {regime}; known: {}", known.join(", "))]
    UnknownReportKind {
        /// The nonconformity.
        reference: NcRef,
        /// The kind given.
        kind: String,
        /// The regime.
        regime: String,
        /// Its kinds.
        known: Vec<String>,
    },
    /// A report sent before the organisation became aware of the incident.
    #[error(
        "{reference}: {kind} sent at {submitted_at} lies before awareness at {aware_at}; correct the awareness or the submission time"
    )]
    SubmissionBeforeAwareness {
        /// The nonconformity.
        reference: NcRef,
        /// The kind.
        kind: String,
        /// When it was sent.
        submitted_at: DateTime<Utc>,
        /// When the organisation became aware.
        aware_at: DateTime<Utc>,
    },
    /// A report recorded as sent after the time of the record.
    #[error(
        "{reference}: {kind} sent at {submitted_at} lies after the record's time {at}; record a report once it is sent"
    )]
    SubmissionInFuture {
        /// The nonconformity.
        reference: NcRef,
        /// The kind.
        kind: String,
        /// When it was sent.
        submitted_at: DateTime<Utc>,
        /// The command's time.
        at: DateTime<Utc>,
    },
    /// The incident is recorded as not significant: no report is due.
    #[error(
        "{reference}: the incident is recorded as not significant, so no {kind} is due; correct the significance first"
    )]
    ReportNotRequired {
        /// The nonconformity.
        reference: NcRef,
        /// The kind.
        kind: String,
    },
    /// A report sent only on request, without a recorded request.
    #[error(
        "{reference}: {kind} is sent on request, and no request is recorded; record the request with its deadline first"
    )]
    ReportNotRequested {
        /// The nonconformity.
        reference: NcRef,
        /// The kind.
        kind: String,
    },
    /// A report whose clock starts on another report's submission, sent
    /// before that one.
    #[error(
        "{reference}: {kind} follows {anchor}, which has not been sent by {submitted_at}; record {anchor} first"
    )]
    ReportBeforeAnchor {
        /// The nonconformity.
        reference: NcRef,
        /// The kind.
        kind: String,
        /// The kind it follows.
        anchor: String,
        /// When it was sent.
        submitted_at: DateTime<Utc>,
    },
}

fn list<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "nothing (terminal state)".to_owned();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
