//! The lifecycles as data: states, command kinds and the transition tables.
//!
//! [`NC_TRANSITIONS`] and [`IMPROVEMENT_TRANSITIONS`] are the single source
//! of truth for which command may run in which state and where it may lead.
//! `decide` refuses anything not in the table, the property tests check
//! every accepted command against it, and [`render_workflow_markdown`]
//! draws it into `docs/workflow.md`.

use std::fmt;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Lifecycle state of a nonconformity.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NcState {
    /// Recorded; nothing done yet.
    Reported,
    /// Correction and containment recorded (10.2 a).
    Contained,
    /// Root cause analysed and action decided (10.2 b).
    Analysed,
    /// Corrective actions planned and under way (10.2 c).
    ActionsPlanned,
    /// Every corrective action done or cancelled; effectiveness is being
    /// verified (10.2 d).
    Implemented,
    /// Verified ineffective: root-cause analysis must be repeated.
    Ineffective,
    /// Verified effective: may be closed.
    Effective,
    /// Closed with its ISMS changes (10.2 e). Terminal.
    Closed,
    /// Rejected as not a nonconformity or a duplicate. Terminal.
    Rejected,
}

impl NcState {
    /// Every state, in lifecycle order.
    pub const ALL: [NcState; 9] = [
        NcState::Reported,
        NcState::Contained,
        NcState::Analysed,
        NcState::ActionsPlanned,
        NcState::Implemented,
        NcState::Ineffective,
        NcState::Effective,
        NcState::Closed,
        NcState::Rejected,
    ];

    /// Closed or rejected: no transition leaves these states.
    pub const fn is_terminal(self) -> bool {
        matches!(self, NcState::Closed | NcState::Rejected)
    }

    /// The snake_case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            NcState::Reported => "reported",
            NcState::Contained => "contained",
            NcState::Analysed => "analysed",
            NcState::ActionsPlanned => "actions_planned",
            NcState::Implemented => "implemented",
            NcState::Ineffective => "ineffective",
            NcState::Effective => "effective",
            NcState::Closed => "closed",
            NcState::Rejected => "rejected",
        }
    }
}

impl fmt::Display for NcState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lifecycle state of an improvement opportunity (10.1).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ImprovementState {
    /// Proposed, awaiting a decision.
    Proposed,
    /// Approved for implementation.
    Approved,
    /// Being implemented.
    InProgress,
    /// Implemented. Terminal, but its measured effect may still be recorded.
    Realised,
    /// Not pursued. Terminal.
    Rejected,
}

impl ImprovementState {
    /// Every state, in lifecycle order.
    pub const ALL: [ImprovementState; 5] = [
        ImprovementState::Proposed,
        ImprovementState::Approved,
        ImprovementState::InProgress,
        ImprovementState::Realised,
        ImprovementState::Rejected,
    ];

    /// Realised or rejected.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            ImprovementState::Realised | ImprovementState::Rejected
        )
    }

    /// The snake_case name used in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            ImprovementState::Proposed => "proposed",
            ImprovementState::Approved => "approved",
            ImprovementState::InProgress => "in_progress",
            ImprovementState::Realised => "realised",
            ImprovementState::Rejected => "rejected",
        }
    }
}

impl fmt::Display for ImprovementState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of command on a nonconformity.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NcCommandKind {
    /// Report a new nonconformity.
    Report,
    /// Record correction and containment (10.2 a).
    RecordContainment,
    /// Record root-cause analysis and the action decision (10.2 b).
    AnalyseRootCause,
    /// Plan a corrective action (10.2 c).
    PlanAction,
    /// Record that work on an action started.
    StartAction,
    /// Change an action's due date, with a reason.
    RescheduleAction,
    /// Record an action as done, with evidence.
    CompleteAction,
    /// Cancel an action, with a reason.
    CancelAction,
    /// Plan the verification of effectiveness (10.2 d).
    PlanVerification,
    /// Record the result of one scheduled check.
    RecordVerification,
    /// Close with the ISMS changes made (10.2 e).
    Close,
    /// Reject as not a nonconformity or a duplicate.
    Reject,
    /// Link as a recurrence of an earlier nonconformity.
    LinkRecurrence,
    /// Change the embedding product's extension fields.
    ChangeExtensions,
    /// Record on the earlier nonconformity that a later one repeats it.
    RecordRecurrence,
    /// Record a scheduled check as missed, with a reason.
    RecordMissedCheck,
    /// End a recurring verification schedule early, with a reason.
    EndVerification,
    /// Add or remove links into the embedding product (risks, incidents...).
    ChangeLinks,
    /// Record or correct an incident's regulatory reporting (awareness,
    /// significance, regime, requests).
    RecordIncidentReporting,
    /// Record a report sent to an authority.
    RecordReportSubmission,
}

impl NcCommandKind {
    /// Every kind.
    pub const ALL: [NcCommandKind; 20] = [
        NcCommandKind::Report,
        NcCommandKind::RecordContainment,
        NcCommandKind::AnalyseRootCause,
        NcCommandKind::PlanAction,
        NcCommandKind::StartAction,
        NcCommandKind::RescheduleAction,
        NcCommandKind::CompleteAction,
        NcCommandKind::CancelAction,
        NcCommandKind::PlanVerification,
        NcCommandKind::RecordVerification,
        NcCommandKind::Close,
        NcCommandKind::Reject,
        NcCommandKind::LinkRecurrence,
        NcCommandKind::ChangeExtensions,
        NcCommandKind::RecordRecurrence,
        NcCommandKind::RecordMissedCheck,
        NcCommandKind::EndVerification,
        NcCommandKind::ChangeLinks,
        NcCommandKind::RecordIncidentReporting,
        NcCommandKind::RecordReportSubmission,
    ];

    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            NcCommandKind::Report => "report",
            NcCommandKind::RecordContainment => "record_containment",
            NcCommandKind::AnalyseRootCause => "analyse_root_cause",
            NcCommandKind::PlanAction => "plan_action",
            NcCommandKind::StartAction => "start_action",
            NcCommandKind::RescheduleAction => "reschedule_action",
            NcCommandKind::CompleteAction => "complete_action",
            NcCommandKind::CancelAction => "cancel_action",
            NcCommandKind::PlanVerification => "plan_verification",
            NcCommandKind::RecordVerification => "record_verification",
            NcCommandKind::Close => "close",
            NcCommandKind::Reject => "reject",
            NcCommandKind::LinkRecurrence => "link_recurrence",
            NcCommandKind::ChangeExtensions => "change_extensions",
            NcCommandKind::RecordRecurrence => "record_recurrence",
            NcCommandKind::RecordMissedCheck => "record_missed_check",
            NcCommandKind::EndVerification => "end_verification",
            NcCommandKind::ChangeLinks => "change_links",
            NcCommandKind::RecordIncidentReporting => "record_incident_reporting",
            NcCommandKind::RecordReportSubmission => "record_report_submission",
        }
    }
}

impl fmt::Display for NcCommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kinds of command on an improvement opportunity.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ImprovementCommandKind {
    /// Propose an improvement.
    Propose,
    /// Approve it.
    Approve,
    /// Start implementing it.
    Start,
    /// Record it as realised, with the ISMS changes.
    Realise,
    /// Reject it.
    Reject,
    /// Record the measured effect of a realised improvement.
    RecordEffect,
    /// Change the embedding product's extension fields.
    ChangeExtensions,
}

impl ImprovementCommandKind {
    /// Every kind.
    pub const ALL: [ImprovementCommandKind; 7] = [
        ImprovementCommandKind::Propose,
        ImprovementCommandKind::Approve,
        ImprovementCommandKind::Start,
        ImprovementCommandKind::Realise,
        ImprovementCommandKind::Reject,
        ImprovementCommandKind::RecordEffect,
        ImprovementCommandKind::ChangeExtensions,
    ];

    /// The snake_case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ImprovementCommandKind::Propose => "propose",
            ImprovementCommandKind::Approve => "approve",
            ImprovementCommandKind::Start => "start",
            ImprovementCommandKind::Realise => "realise",
            ImprovementCommandKind::Reject => "reject",
            ImprovementCommandKind::RecordEffect => "record_effect",
            ImprovementCommandKind::ChangeExtensions => "change_extensions",
        }
    }
}

impl fmt::Display for ImprovementCommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a transition table: in state `from` (`None`: the item does
/// not exist yet), `command` is allowed and leaves the item in one of `to`.
/// Which of `to` depends on the item (for example completing the last open
/// action moves to `implemented`, completing another stays put).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TransitionRule<S: 'static, K: 'static> {
    /// State before (`None` for creation).
    pub from: Option<S>,
    /// The command.
    pub command: K,
    /// The possible states after.
    pub to: &'static [S],
    /// When the rule applies, in words (for the docs).
    pub note: &'static str,
}

use ImprovementCommandKind as IK;
use ImprovementState as IS;
use NcCommandKind as K;
use NcState as S;

const OPEN_NC: [S; 7] = [
    S::Reported,
    S::Contained,
    S::Analysed,
    S::ActionsPlanned,
    S::Implemented,
    S::Ineffective,
    S::Effective,
];

macro_rules! rule {
    ($from:expr, $cmd:expr, [$($to:expr),*], $note:expr) => {
        TransitionRule { from: $from, command: $cmd, to: &[$($to),*], note: $note }
    };
}

/// The nonconformity lifecycle. A command in a state not listed here is
/// refused with [`crate::DecisionError::TransitionNotAllowed`].
pub const NC_TRANSITIONS: &[TransitionRule<NcState, NcCommandKind>] = &[
    rule!(None, K::Report, [S::Reported], "new nonconformity"),
    rule!(
        Some(S::Reported),
        K::RecordContainment,
        [S::Contained],
        "first correction"
    ),
    rule!(
        Some(S::Contained),
        K::RecordContainment,
        [S::Contained],
        "further correction"
    ),
    rule!(
        Some(S::Analysed),
        K::RecordContainment,
        [S::Analysed],
        "further correction"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::RecordContainment,
        [S::ActionsPlanned],
        "further correction"
    ),
    rule!(
        Some(S::Ineffective),
        K::RecordContainment,
        [S::Ineffective],
        "further correction"
    ),
    rule!(
        Some(S::Reported),
        K::AnalyseRootCause,
        [S::Analysed, S::Implemented],
        "only if the policy does not require containment for this severity; implemented when no action is required"
    ),
    rule!(
        Some(S::Contained),
        K::AnalyseRootCause,
        [S::Analysed, S::Implemented],
        "implemented when no action is required"
    ),
    rule!(
        Some(S::Ineffective),
        K::AnalyseRootCause,
        [S::Analysed, S::Implemented],
        "a new attempt"
    ),
    rule!(
        Some(S::Analysed),
        K::PlanAction,
        [S::ActionsPlanned],
        "only if action is required"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::PlanAction,
        [S::ActionsPlanned],
        "another action"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::StartAction,
        [S::ActionsPlanned],
        "planned action"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::RescheduleAction,
        [S::ActionsPlanned],
        "open action, new date and reason"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::CompleteAction,
        [S::ActionsPlanned, S::Implemented],
        "implemented when every action is done or cancelled"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::CancelAction,
        [S::ActionsPlanned, S::Implemented, S::Analysed],
        "implemented when the rest are finished and one is done; analysed when every action is cancelled"
    ),
    rule!(
        Some(S::Analysed),
        K::PlanVerification,
        [S::Analysed],
        "plan ahead"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::PlanVerification,
        [S::ActionsPlanned],
        "plan ahead"
    ),
    rule!(
        Some(S::Implemented),
        K::PlanVerification,
        [S::Implemented],
        "until the first result"
    ),
    rule!(
        Some(S::Implemented),
        K::RecordVerification,
        [S::Implemented, S::Effective, S::Ineffective],
        "by the verifier, in schedule order; a failure at any time (from a watch window's start), a pass on or after the check's date; a failed check concludes ineffective, the last check passed effective"
    ),
    rule!(
        Some(S::Effective),
        K::Close,
        [S::Closed],
        "with the approver role if the policy asks; a risk acceptance with the risk acceptor role"
    ),
    rule!(
        Some(S::Reported),
        K::Reject,
        [S::Rejected],
        "with a reason; a risk acceptance with the risk acceptor role"
    ),
    rule!(
        Some(S::Contained),
        K::Reject,
        [S::Rejected],
        "with a reason; a risk acceptance with the risk acceptor role"
    ),
    rule!(
        Some(S::Reported),
        K::LinkRecurrence,
        [S::Reported],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::Contained),
        K::LinkRecurrence,
        [S::Contained],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::Analysed),
        K::LinkRecurrence,
        [S::Analysed],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::LinkRecurrence,
        [S::ActionsPlanned],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::Implemented),
        K::LinkRecurrence,
        [S::Implemented],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::Ineffective),
        K::LinkRecurrence,
        [S::Ineffective],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::Effective),
        K::LinkRecurrence,
        [S::Effective],
        "to an earlier nonconformity"
    ),
    rule!(
        Some(S::Reported),
        K::ChangeExtensions,
        [S::Reported],
        "the product's own fields"
    ),
    rule!(
        Some(S::Contained),
        K::ChangeExtensions,
        [S::Contained],
        "the product's own fields"
    ),
    rule!(
        Some(S::Analysed),
        K::ChangeExtensions,
        [S::Analysed],
        "the product's own fields"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::ChangeExtensions,
        [S::ActionsPlanned],
        "the product's own fields"
    ),
    rule!(
        Some(S::Implemented),
        K::ChangeExtensions,
        [S::Implemented],
        "the product's own fields"
    ),
    rule!(
        Some(S::Ineffective),
        K::ChangeExtensions,
        [S::Ineffective],
        "the product's own fields"
    ),
    rule!(
        Some(S::Effective),
        K::ChangeExtensions,
        [S::Effective],
        "the product's own fields"
    ),
    rule!(
        Some(S::Reported),
        K::RecordRecurrence,
        [S::Reported],
        "a later nonconformity repeats this one"
    ),
    rule!(
        Some(S::Contained),
        K::RecordRecurrence,
        [S::Contained],
        "a later nonconformity repeats this one"
    ),
    rule!(
        Some(S::Analysed),
        K::RecordRecurrence,
        [S::Analysed],
        "a later nonconformity repeats this one"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::RecordRecurrence,
        [S::ActionsPlanned],
        "a later nonconformity repeats this one"
    ),
    rule!(
        Some(S::Implemented),
        K::RecordRecurrence,
        [S::Ineffective],
        "during verification: the attempt is concluded ineffective at once"
    ),
    rule!(
        Some(S::Ineffective),
        K::RecordRecurrence,
        [S::Ineffective],
        "a later nonconformity repeats this one"
    ),
    rule!(
        Some(S::Effective),
        K::RecordRecurrence,
        [S::Ineffective],
        "before closure: the attempt is concluded ineffective after all"
    ),
    rule!(
        Some(S::Implemented),
        K::RecordMissedCheck,
        [S::Implemented],
        "by the verifier, on or after the check's date, with a reason; never the last check"
    ),
    rule!(
        Some(S::Implemented),
        K::EndVerification,
        [S::Effective],
        "by the verifier, on a recurring schedule with checks left, after at least one passed check, if the policy allows"
    ),
    rule!(
        Some(S::Reported),
        K::ChangeLinks,
        [S::Reported],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::Contained),
        K::ChangeLinks,
        [S::Contained],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::Analysed),
        K::ChangeLinks,
        [S::Analysed],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::ChangeLinks,
        [S::ActionsPlanned],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::Implemented),
        K::ChangeLinks,
        [S::Implemented],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::Ineffective),
        K::ChangeLinks,
        [S::Ineffective],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::Effective),
        K::ChangeLinks,
        [S::Effective],
        "risk, incident, audit, asset links"
    ),
    rule!(
        Some(S::Reported),
        K::RecordIncidentReporting,
        [S::Reported],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Reported),
        K::RecordReportSubmission,
        [S::Reported],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Contained),
        K::RecordIncidentReporting,
        [S::Contained],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Contained),
        K::RecordReportSubmission,
        [S::Contained],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Analysed),
        K::RecordIncidentReporting,
        [S::Analysed],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Analysed),
        K::RecordReportSubmission,
        [S::Analysed],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::RecordIncidentReporting,
        [S::ActionsPlanned],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::ActionsPlanned),
        K::RecordReportSubmission,
        [S::ActionsPlanned],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Implemented),
        K::RecordIncidentReporting,
        [S::Implemented],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Implemented),
        K::RecordReportSubmission,
        [S::Implemented],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Ineffective),
        K::RecordIncidentReporting,
        [S::Ineffective],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Ineffective),
        K::RecordReportSubmission,
        [S::Ineffective],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Effective),
        K::RecordIncidentReporting,
        [S::Effective],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Effective),
        K::RecordReportSubmission,
        [S::Effective],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Closed),
        K::RecordIncidentReporting,
        [S::Closed],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Closed),
        K::RecordReportSubmission,
        [S::Closed],
        "a report sent under the recorded regime"
    ),
    rule!(
        Some(S::Rejected),
        K::RecordIncidentReporting,
        [S::Rejected],
        "incident nonconformities; deadlines outlive the item's handling"
    ),
    rule!(
        Some(S::Rejected),
        K::RecordReportSubmission,
        [S::Rejected],
        "a report sent under the recorded regime"
    ),
];

/// The improvement lifecycle.
pub const IMPROVEMENT_TRANSITIONS: &[TransitionRule<ImprovementState, ImprovementCommandKind>] = &[
    rule!(None, IK::Propose, [IS::Proposed], "new opportunity"),
    rule!(
        Some(IS::Proposed),
        IK::Approve,
        [IS::Approved],
        "decision to pursue"
    ),
    rule!(
        Some(IS::Approved),
        IK::Start,
        [IS::InProgress],
        "work starts"
    ),
    rule!(Some(IS::Approved), IK::Realise, [IS::Realised], "quick win"),
    rule!(
        Some(IS::InProgress),
        IK::Realise,
        [IS::Realised],
        "with the ISMS changes"
    ),
    rule!(
        Some(IS::Proposed),
        IK::Reject,
        [IS::Rejected],
        "with a reason"
    ),
    rule!(
        Some(IS::Approved),
        IK::Reject,
        [IS::Rejected],
        "with a reason"
    ),
    rule!(
        Some(IS::InProgress),
        IK::Reject,
        [IS::Rejected],
        "with a reason"
    ),
    rule!(
        Some(IS::Realised),
        IK::RecordEffect,
        [IS::Realised],
        "the one change allowed after realisation"
    ),
    rule!(
        Some(IS::Proposed),
        IK::ChangeExtensions,
        [IS::Proposed],
        "the product's own fields"
    ),
    rule!(
        Some(IS::Approved),
        IK::ChangeExtensions,
        [IS::Approved],
        "the product's own fields"
    ),
    rule!(
        Some(IS::InProgress),
        IK::ChangeExtensions,
        [IS::InProgress],
        "the product's own fields"
    ),
];

/// The rule for `command` in `from`, if the table has one.
pub fn nc_rule(
    from: Option<NcState>,
    command: NcCommandKind,
) -> Option<&'static TransitionRule<NcState, NcCommandKind>> {
    NC_TRANSITIONS
        .iter()
        .find(|r| r.from == from && r.command == command)
}

/// The rule for `command` in `from`, if the table has one.
pub fn improvement_rule(
    from: Option<ImprovementState>,
    command: ImprovementCommandKind,
) -> Option<&'static TransitionRule<ImprovementState, ImprovementCommandKind>> {
    IMPROVEMENT_TRANSITIONS
        .iter()
        .find(|r| r.from == from && r.command == command)
}

/// The commands allowed on a nonconformity in `state`.
pub fn nc_commands_allowed(state: NcState) -> Vec<NcCommandKind> {
    NC_TRANSITIONS
        .iter()
        .filter(|r| r.from == Some(state))
        .map(|r| r.command)
        .collect()
}

/// The commands allowed on an improvement in `state`.
pub fn improvement_commands_allowed(state: ImprovementState) -> Vec<ImprovementCommandKind> {
    IMPROVEMENT_TRANSITIONS
        .iter()
        .filter(|r| r.from == Some(state))
        .map(|r| r.command)
        .collect()
}

/// Whether a nonconformity in `state` is open (neither closed nor rejected).
pub fn is_open(state: NcState) -> bool {
    OPEN_NC.contains(&state)
}

fn render_table<S: fmt::Display + Copy + PartialEq, K: fmt::Display + Copy>(
    out: &mut String,
    rules: &[TransitionRule<S, K>],
    terminal: impl Fn(S) -> bool,
    states: &[S],
) {
    out.push_str("```mermaid\nstateDiagram-v2\n");
    for r in rules {
        for to in r.to {
            match r.from {
                None => {
                    let _ = writeln!(out, "    [*] --> {to}: {}", r.command);
                }
                Some(from) if from == *to => {
                    let _ = writeln!(out, "    {from} --> {to}: {}", r.command);
                }
                Some(from) => {
                    let _ = writeln!(out, "    {from} --> {to}: {}", r.command);
                }
            }
        }
    }
    for s in states {
        if terminal(*s) {
            let _ = writeln!(out, "    {s} --> [*]");
        }
    }
    out.push_str("```\n\n| from | command | to | when |\n|---|---|---|---|\n");
    for r in rules {
        let from = r
            .from
            .map_or_else(|| "(new)".to_owned(), |s| format!("`{s}`"));
        let to: Vec<String> = r.to.iter().map(|s| format!("`{s}`")).collect();
        let _ = writeln!(
            out,
            "| {from} | `{}` | {} | {} |",
            r.command,
            to.join(", "),
            r.note
        );
    }
}

/// Renders both transition tables as Markdown with Mermaid state diagrams:
/// the content of `docs/workflow.md`, which a test keeps current.
pub fn render_workflow_markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "# Workflows\n\n\
         Generated from `isms_core::workflow` (`NC_TRANSITIONS`, `IMPROVEMENT_TRANSITIONS`) by \
         `isms_core::render_workflow_markdown()`; a test fails when this file is stale \
         (regenerate with `UPDATE_DOCS=1 cargo test -p isms-core --features proptest docs_are_current`).\n\n\
         A command in a state that is not listed is refused and changes nothing. \
         Transitions marked as staying in the same state record more information \
         (a further correction, another action, a reschedule) without moving the item on.\n\n\
         ## Nonconformity and corrective action (10.2)\n\n",
    );
    render_table(
        &mut out,
        NC_TRANSITIONS,
        NcState::is_terminal,
        &NcState::ALL,
    );
    out.push_str(
        "\nRules that hold whatever the sequence of commands (checked by `check_invariants` and \
         the state-machine property test):\n\n\
         - no closure without every corrective action done or cancelled, at least one done when \
           action was required, and a passing verification dated at or after the last completion;\n\
         - nothing leaves `closed` or `rejected`;\n\
         - timestamps never go backwards within a nonconformity;\n\
         - the verifier is not an owner of a (not cancelled) corrective action of the same \
           nonconformity, unless the policy waives segregation of duties;\n\
         - a refused command changes nothing;\n\
         - the state rebuilt from the events equals the live state.\n\n\
         Effectiveness (10.2 d) and the other rules of issue 16, checked by `decide` and the \
         reference model of the state-machine test:\n\n\
         - a later nonconformity linked as a recurrence (`link_recurrence` on the later one, \
           `record_recurrence` on the earlier one; the CLI records both) concludes a verification \
           under way (`implemented`, or `effective` and not yet closed) ineffective at once: the \
           item goes back to root-cause analysis as its next attempt, and containment may be \
           recorded again;\n\
         - checks are recorded in schedule order; a skipped check is recorded as missed with a \
           reason (`record_missed_check`, on or after its date, never the last check);\n\
         - a failed check may be recorded at any time (an ad-hoc failed test, a recurrence seen \
           inside a watch window, though not before the window opens); a passed check only on or \
           after its date;\n\
         - a watch window opens no earlier than the day the attempt's last corrective action was \
           completed (checked when it is planned and when a result is recorded);\n\
         - the verifier may end a recurring schedule early (`end_verification`) with a reason, \
           after at least one passed check, if the policy allows it (`early_end_allowed`, default \
           on): the attempt is concluded effective and the remaining checks are left to the audit \
           programme (9.2);\n\
         - the analysis records the check for similar nonconformities (10.2 b): the similar ones \
           found, or notes saying none were (policy `similar_check_required`, default on);\n\
         - the approver of a no-action decision, of an improvement and of a closure is neither \
           the item's owner nor the one who proposed it (policy `segregated_approvals`, default \
           on);\n\
         - every event keeps the effective time the caller states (`at`) and, when the caller \
           gives it, the time it was recorded by the caller's clock (`recorded_at`), with the \
           actor's roles; the policy may limit back-dating (`max_backdating`, warn or refuse; \
           default none);\n\
         - completing a corrective action, and recording a passed check, carry evidence (a \
           document reference, or a file record: SHA-256, size, name, time attached) for the \
           severities the policy names (`evidence_required_for_completion`, \
           `evidence_required_for_verification`, default: major nonconformities); a failed check \
           never needs it.\n\n\
         ## The policy in force (register level)\n\n\
         The policy is part of the register: adopting one (`adopt_policy`, `isms policy set`) \
         records a `policy_adopted.v1` event in the register's own stream (`policy`), with the \
         whole policy, who adopted it, when it takes effect and why. Every command is decided \
         under the policy in force at its effective time: the last one adopted at or before it, \
         or the default policy before the first adoption (a register that never adopted one runs \
         under the defaults throughout). A later adoption changes nothing already recorded, and \
         an import replays each event under the policy in force when it was recorded. An \
         adoption is refused when:\n\n\
         - it is dated before the previous adoption (`time_went_backwards`: adoptions follow \
           one another in time);\n\
         - the policy in force names a `policy_approver_role` the actor does not hold \
           (`policy_approver_role_missing`);\n\
         - the new policy sets a time limit over ten years, or requires a role (closure or \
           policy approver) that its `roles` table, when it has one, gives to nobody \
           (`invalid_policy`).\n\n\
         The policy's `roles` table (role to actor names) says who holds which role; a caller \
         that knows no roles of its own (the `isms` command line) grants the actor those roles \
         under the policy in force, and every event records them.\n\n\
         ## Improvement opportunities (10.1)\n\n",
    );
    render_table(
        &mut out,
        IMPROVEMENT_TRANSITIONS,
        ImprovementState::is_terminal,
        &ImprovementState::ALL,
    );
    out
}
