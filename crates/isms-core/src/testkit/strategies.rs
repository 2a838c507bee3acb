//! Strategies for every domain value, command and policy.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;

use crate::command::{Command, ProposeImprovement, ReportNonconformity};
use crate::evidence::{FileEvidence, Sha256Digest};
use crate::ids::{ActionId, Actor, ActorId, ImprovementId, NonconformityId, Role};
use crate::model::{
    ActionDecision, AnalysisMethod, EvidenceRef, Extensions, ExternalLink, ImprovementSource,
    IsmsChange, IsmsChangeKind, LinkKind, Priority, RejectionReason, RootCause, RootCauseCategory,
    Severity, Source,
};
use crate::policy::{Enforcement, Policy, TimeLimit};
use crate::reference::RequirementRef;
use crate::schedule::{Period, PeriodUnit, RecurrenceEnd, VerificationSchedule};

/// The actor names the strategies draw from: few, so that the same person
/// shows up in several roles and segregation of duties gets exercised.
pub const ACTORS: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];

/// The role name used as closure approver in the policies [`policy`]
/// generates. Scenarios never assume it: they take every role from the
/// policy under test ([`policy_roles`]).
pub const APPROVER_ROLE: &str = "isms_manager";

/// Every role the policy names (today the closure approver role), so that
/// generated actors hold the product's own role names.
pub fn policy_roles(policy: &Policy) -> Vec<Role> {
    let mut roles: Vec<Role> = policy.closure_approver_role.iter().cloned().collect();
    if let Some(r) = &policy.risk_acceptor_role
        && !roles.contains(r)
    {
        roles.push(r.clone());
    }
    roles
}

/// The role name used as risk acceptor in the policies [`policy`]
/// generates (when it names one apart from the closure approver).
pub const RISK_ACCEPTOR_ROLE: &str = "risk_owner";

/// An actor from `names` holding each of the policy's roles half the time.
pub fn actor_under(policy: &Policy, names: Vec<ActorId>) -> impl Strategy<Value = Actor> + use<> {
    let roles = policy_roles(policy);
    let n = roles.len();
    (select(names), proptest::collection::vec(any::<bool>(), n)).prop_map(move |(id, holds)| {
        roles
            .iter()
            .zip(holds)
            .filter(|(_, h)| *h)
            .fold(Actor::new(id), |a, (r, _)| a.with_role(r.clone()))
    })
}

/// [`ACTORS`] as ids.
pub fn actor_ids() -> Vec<ActorId> {
    ACTORS
        .iter()
        .map(|n| ActorId::new(*n).expect("valid constant name"))
        .collect()
}

/// An actor id from [`ACTORS`].
pub fn actor_id() -> impl Strategy<Value = ActorId> {
    select(&ACTORS[..]).prop_map(|n| ActorId::new(n).expect("valid constant name"))
}

/// An actor from [`ACTORS`], holding the approver role half the time.
pub fn actor() -> impl Strategy<Value = Actor> {
    (actor_id(), any::<bool>()).prop_map(|(id, approver)| {
        let a = Actor::new(id);
        if approver {
            a.with_role(Role::new(APPROVER_ROLE).expect("valid constant name"))
        } else {
            a
        }
    })
}

/// Any valid actor name (for round-trip tests), including non-ASCII.
pub fn any_actor_id() -> impl Strategy<Value = ActorId> {
    "[a-zA-Z0-9._@éü-]{1,40}".prop_map(|s| ActorId::new(s).expect("pattern yields valid names"))
}

/// A nonconformity id (any UUID).
pub fn nonconformity_id() -> impl Strategy<Value = NonconformityId> {
    any::<u128>().prop_map(|n| NonconformityId::from_uuid(uuid::Uuid::from_u128(n)))
}

/// An action id (any UUID).
pub fn action_id() -> impl Strategy<Value = ActionId> {
    any::<u128>().prop_map(|n| ActionId::from_uuid(uuid::Uuid::from_u128(n)))
}

/// An improvement id (any UUID).
pub fn improvement_id() -> impl Strategy<Value = ImprovementId> {
    any::<u128>().prop_map(|n| ImprovementId::from_uuid(uuid::Uuid::from_u128(n)))
}

/// An instant between 2020 and 2030, to the second.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_577_836_800i64..1_893_456_000i64)
        .prop_map(|s| Utc.timestamp_opt(s, 0).single().unwrap_or_default())
}

/// A date between 2020 and 2030.
pub fn date() -> impl Strategy<Value = NaiveDate> {
    instant().prop_map(|t| t.date_naive())
}

/// Free text as people type it: letters, digits, punctuation, accents and
/// the occasional newline. Text the core refuses (bidirectional controls,
/// nothing visible) is tested on its own in `tests/text.rs`, so that the
/// scenarios built from this reach every lifecycle state.
pub fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 ,.;:!?'\"()éèüßø€-]{0,20}[A-Za-z0-9éü]{1,10}( ?\n?[A-Za-z0-9 .,]{0,20})?"
}

/// A requirement reference of one of the shipped frameworks' shapes.
pub fn requirement_ref() -> impl Strategy<Value = RequirementRef> {
    prop_oneof![
        (5u32..=8, 1u32..=37).prop_map(|(t, c)| format!("iso27001:2022/A.{t}.{c}")),
        (4u32..=10, 1u32..=3).prop_map(|(c, s)| format!("iso27001:2022/{c}.{s}")),
        select(&["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"][..])
            .prop_map(|p| format!("nis2/21.2.{p}")),
        (1u32..=18, 1u32..=14).prop_map(|(c, s)| format!("cis:v8/{c}.{s}")),
    ]
    .prop_map(|s| s.parse().expect("generated references are well-formed"))
}

/// Any value of a closed vocabulary.
macro_rules! enum_strategy {
    ($(#[$doc:meta])* $name:ident, $ty:ty, [$($v:expr),* $(,)?]) => {
        $(#[$doc])*
        pub fn $name() -> impl Strategy<Value = $ty> {
            select(vec![$($v),*])
        }
    };
}

enum_strategy!(
    /// Any source.
    source, Source, [Source::InternalAudit, Source::ExternalAudit, Source::Incident, Source::Monitoring,
    Source::ManagementReview, Source::RiskAssessment, Source::Supplier, Source::Complaint,
    Source::SelfIdentified, Source::AuthorityOrder]
);
enum_strategy!(
    /// Any severity.
    severity, Severity, [Severity::Major, Severity::Minor]
);
enum_strategy!(
    /// Any analysis method.
    analysis_method, AnalysisMethod, [AnalysisMethod::FiveWhys, AnalysisMethod::Ishikawa,
    AnalysisMethod::FaultTree, AnalysisMethod::Other]
);
enum_strategy!(
    /// Any root-cause category.
    root_cause_category, RootCauseCategory, [RootCauseCategory::People, RootCauseCategory::Process,
    RootCauseCategory::Technology, RootCauseCategory::Supplier, RootCauseCategory::Governance,
    RootCauseCategory::Environment]
);
enum_strategy!(
    /// Any improvement source.
    improvement_source, ImprovementSource, [ImprovementSource::Audit, ImprovementSource::ManagementReview,
    ImprovementSource::PostIncidentReview, ImprovementSource::KpiTrend, ImprovementSource::Feedback,
    ImprovementSource::RiskChange, ImprovementSource::Nonconformity]
);
enum_strategy!(
    /// Any priority.
    priority, Priority, [Priority::High, Priority::Medium, Priority::Low]
);
enum_strategy!(
    /// Any ISMS change kind.
    isms_change_kind, IsmsChangeKind, [IsmsChangeKind::Policy, IsmsChangeKind::Procedure,
    IsmsChangeKind::Control, IsmsChangeKind::RiskAssessment, IsmsChangeKind::StatementOfApplicability,
    IsmsChangeKind::Training, IsmsChangeKind::Other]
);
enum_strategy!(
    /// Any link kind.
    link_kind, LinkKind, [LinkKind::Incident, LinkKind::Audit, LinkKind::Risk, LinkKind::Asset,
    LinkKind::Document, LinkKind::Other]
);

/// A root cause.
pub fn root_cause() -> impl Strategy<Value = RootCause> {
    (root_cause_category(), text()).prop_map(|(category, statement)| RootCause {
        category,
        statement,
    })
}

/// An action decision (mostly "action required").
pub fn action_decision() -> impl Strategy<Value = ActionDecision> {
    prop_oneof![
        4 => Just(ActionDecision::ActionRequired),
        1 => (text(), actor_id()).prop_map(|(justification, approved_by)| ActionDecision::NoActionRequired {
            justification,
            approved_by,
        }),
    ]
}

/// An ISMS change.
pub fn isms_change() -> impl Strategy<Value = IsmsChange> {
    (
        isms_change_kind(),
        text(),
        proptest::option::of(requirement_ref()),
    )
        .prop_map(|(kind, description, requirement)| IsmsChange {
            kind,
            description,
            requirement,
            document: None,
        })
}

/// An external link.
pub fn external_link() -> impl Strategy<Value = ExternalLink> {
    (link_kind(), "[A-Z]{2,4}-[0-9]{1,5}").prop_map(|(kind, id)| ExternalLink { kind, id })
}

/// The terms of a risk acceptance: a residual risk statement and any
/// review date (in the past, soon, or years ahead).
pub fn risk_terms() -> impl Strategy<Value = crate::risk::RiskAcceptanceTerms> {
    (text(), date()).prop_map(
        |(residual_risk, review_by)| crate::risk::RiskAcceptanceTerms {
            residual_risk,
            review_by,
        },
    )
}

/// Evidence: document references and file records, none to two of them
/// (none one time in eight, which the policy may refuse). A file's name is
/// sometimes a path, which `decide` refuses.
pub fn evidence() -> impl Strategy<Value = Vec<EvidenceRef>> {
    prop_oneof![
        1 => Just(Vec::new()),
        7 => proptest::collection::vec(evidence_ref(), 1..3),
    ]
}

/// One piece of evidence: a document reference or a file record.
pub fn evidence_ref() -> impl Strategy<Value = EvidenceRef> {
    prop_oneof![
        3 => "(ticket|doc|https://evidence.example)/[a-z0-9]{1,8}".prop_map(EvidenceRef::Document),
        2 => file_evidence().prop_map(EvidenceRef::File),
    ]
}

/// Evidence `decide` accepts: a document reference or a file record with
/// a plain name.
pub fn valid_evidence_ref() -> impl Strategy<Value = EvidenceRef> {
    prop_oneof![
        3 => "(ticket|doc|https://evidence.example)/[a-z0-9]{1,8}".prop_map(EvidenceRef::Document),
        2 => file_record("[a-z0-9_-]{1,12}\\.(pdf|log|png)").prop_map(EvidenceRef::File),
    ]
}

/// A file record: a digest, a size, a name (a path one time in ten, which
/// `decide` refuses) and the time it was attached.
pub fn file_evidence() -> impl Strategy<Value = FileEvidence> {
    prop_oneof![
        9 => file_record("[a-z0-9_-]{1,12}\\.(pdf|log|png)"),
        1 => file_record("(\\.\\./)?[a-z]{1,4}/[a-z]{1,8}\\.pdf"),
    ]
}

fn file_record(name: &'static str) -> impl Strategy<Value = FileEvidence> {
    (
        proptest::array::uniform32(any::<u8>()),
        0u64..1 << 40,
        name,
        0i64..2_000_000_000,
        any::<bool>(),
    )
        .prop_map(|(digest, size, name, secs, kept)| FileEvidence {
            sha256: Sha256Digest::new(
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            )
            .expect("64 lower-case hex digits"),
            size,
            name,
            attached_at: Utc.timestamp_opt(secs, 0).single().expect("in range"),
            kept,
        })
}

/// Extension fields of an embedding product.
pub fn extensions() -> impl Strategy<Value = Extensions> {
    proptest::collection::btree_map(
        "[a-z_]{1,12}",
        prop_oneof![
            any::<i32>().prop_map(serde_json::Value::from),
            any::<bool>().prop_map(serde_json::Value::from),
            "[a-z ]{0,12}".prop_map(serde_json::Value::from),
        ],
        0..3,
    )
}

/// A period of 1 to 6 days, weeks or months.
pub fn period() -> impl Strategy<Value = Period> {
    (
        1u32..=6,
        select(vec![
            PeriodUnit::Days,
            PeriodUnit::Weeks,
            PeriodUnit::Months,
        ]),
    )
        .prop_map(|(count, unit)| Period { count, unit })
}

/// A valid verification schedule starting on `start` (1 to 4 checks).
pub fn schedule_from(start: NaiveDate) -> impl Strategy<Value = VerificationSchedule> {
    prop_oneof![
        (0u64..20).prop_map(move |d| VerificationSchedule::once(start + chrono::Days::new(d))),
        (period(), 1u32..=4).prop_map(move |(every, count)| VerificationSchedule::Recurring {
            first: start,
            every,
            end: RecurrenceEnd::After { count },
        }),
        (period(), 0u32..=3).prop_map(move |(every, k)| {
            let until = every.nth_after(start, k).unwrap_or(start);
            VerificationSchedule::recurring_until(start, every, until)
        }),
        period().prop_map(move |length| VerificationSchedule::watch_window(start, length)),
    ]
}

/// A valid verification schedule starting on any date.
pub fn schedule() -> impl Strategy<Value = VerificationSchedule> {
    date().prop_flat_map(schedule_from)
}

/// A time limit.
pub fn time_limit() -> impl Strategy<Value = TimeLimit> {
    (
        1u32..=60,
        select(vec![Enforcement::Warn, Enforcement::Refuse]),
    )
        .prop_map(|(days, enforcement)| TimeLimit { days, enforcement })
}

/// Time zones that test the calendar's edges: UTC, both sides of the date
/// line (UTC+14, UTC-11), half-hour and quarter-hour offsets, and zones with
/// summer time in either hemisphere.
pub const TIME_ZONES: [&str; 7] = [
    "UTC",
    "Europe/Berlin",
    "Australia/Sydney",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kathmandu",
    "America/St_Johns",
];

/// One of [`TIME_ZONES`].
pub fn time_zone() -> impl Strategy<Value = crate::IanaTimeZone> {
    select(&TIME_ZONES[..]).prop_map(|n| n.parse().expect("names in the IANA database"))
}

/// Any policy.
pub fn policy() -> impl Strategy<Value = Policy> {
    (
        (
            any::<bool>(),
            proptest::collection::btree_set(severity(), 0..=2),
            any::<bool>(),
            proptest::option::of(time_limit()),
            proptest::option::of(time_limit()),
            time_zone(),
        ),
        (
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            proptest::option::of(time_limit()),
        ),
        (
            proptest::collection::btree_set(severity(), 0..=2),
            proptest::collection::btree_set(severity(), 0..=2),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (sod, containment, approver, contain, plan, time_zone),
                (similar, segregated, early_end, backdating),
                (evidence_completion, evidence_verification, risk_acceptor),
            )| Policy {
                risk_acceptor_role: risk_acceptor
                    .then(|| Role::new(RISK_ACCEPTOR_ROLE).expect("valid constant name")),
                evidence_required_for_completion: evidence_completion,
                evidence_required_for_verification: evidence_verification,
                segregation_of_duties: sod,
                containment_required_for: containment.into_iter().collect::<BTreeSet<_>>(),
                closure_approver_role: approver
                    .then(|| Role::new(APPROVER_ROLE).expect("valid constant name")),
                max_days_to_contain: contain,
                max_days_to_plan: plan,
                similar_check_required: similar,
                segregated_approvals: segregated,
                early_end_allowed: early_end,
                max_backdating: backdating,
                time_zone,
                // Who holds which role comes with each actor in the
                // machine's commands, not from the policy.
                policy_approver_role: None,
                roles: Default::default(),
            },
        )
}

/// A report of a new nonconformity with this id, detected at or before `at`.
pub fn report(
    id: NonconformityId,
    at: DateTime<Utc>,
) -> impl Strategy<Value = ReportNonconformity> {
    (
        text(),
        text(),
        source(),
        severity(),
        proptest::collection::btree_set(requirement_ref(), 0..3),
        actor_id(),
        0i64..(30 * 86_400),
        proptest::option::of(0u64..120),
        proptest::collection::vec(external_link(), 0..2),
        (extensions(), unknown_audit()),
    )
        .prop_map(
            move |(
                title,
                description,
                source,
                severity,
                reqs,
                owner,
                before,
                deadline,
                links,
                (extensions, audit),
            )| {
                let detected_at = at - Duration::seconds(before);
                ReportNonconformity {
                    audit,
                    id,
                    title,
                    description,
                    source,
                    severity,
                    requirements: reqs.into_iter().collect(),
                    owner,
                    detected_at,
                    external_deadline: deadline.map(|d| at.date_naive() + chrono::Days::new(d)),
                    links,
                    extensions,
                }
            },
        )
}

/// Now and then (one time in twenty) an audit the generated registers
/// never hold, so that the refusal of an unknown audit is exercised
/// (`unknown_audit`); otherwise none.
pub fn unknown_audit() -> impl Strategy<Value = Option<crate::audit::AuditId>> {
    proptest::option::weighted(
        0.05,
        Just("IA-404".parse().expect("a valid constant audit id")),
    )
}

/// A proposal of a new improvement with this id.
pub fn proposal(
    id: ImprovementId,
    nonconformity: Option<NonconformityId>,
) -> impl Strategy<Value = ProposeImprovement> {
    (
        improvement_source(),
        text(),
        text(),
        text(),
        priority(),
        actor_id(),
        proptest::option::of(date()),
        extensions(),
        unknown_audit(),
    )
        .prop_map(
            move |(
                source,
                title,
                description,
                expected_benefit,
                priority,
                owner,
                due,
                extensions,
                audit,
            )| {
                ProposeImprovement {
                    audit,
                    id,
                    source,
                    nonconformity,
                    title,
                    description,
                    expected_benefit,
                    priority,
                    owner,
                    due,
                    links: vec![],
                    extensions,
                }
            },
        )
}

/// A rejection reason (duplicate of `other` when given).
pub fn rejection_reason(other: Option<NonconformityId>) -> impl Strategy<Value = RejectionReason> {
    match other {
        Some(of) => prop_oneof![
            Just(RejectionReason::NotANonconformity),
            Just(RejectionReason::Duplicate { of })
        ]
        .boxed(),
        None => Just(RejectionReason::NotANonconformity).boxed(),
    }
}

/// Any command, with ids drawn at random (mostly refused when run: use
/// [`super::scenario`] for sequences that reach every state). Useful for
/// serialisation round trips and "a refused command changes nothing".
pub fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        (nonconformity_id(), instant())
            .prop_flat_map(|(id, at)| report(id, at))
            .prop_map(Command::ReportNonconformity),
        (
            nonconformity_id(),
            text(),
            proptest::option::of(text()),
            proptest::option::of(text())
        )
            .prop_map(
                |(nonconformity, action_taken, consequences, late_justification)| {
                    Command::RecordContainment {
                        nonconformity,
                        action_taken,
                        consequences,
                        late_justification,
                    }
                }
            ),
        (
            nonconformity_id(),
            analysis_method(),
            proptest::collection::vec(root_cause(), 0..3),
            action_decision()
        )
            .prop_map(|(nonconformity, method, causes, decision)| {
                Command::AnalyseRootCause {
                    nonconformity,
                    method,
                    causes,
                    similar: vec![],
                    similar_notes: None,
                    decision,
                }
            }),
        (nonconformity_id(), action_id(), text(), actor_id(), date()).prop_map(
            |(nonconformity, action, description, owner, due)| Command::PlanAction {
                nonconformity,
                action,
                description,
                owner,
                due,
                late_justification: None,
            }
        ),
        (nonconformity_id(), action_id()).prop_map(|(nonconformity, action)| {
            Command::StartAction {
                nonconformity,
                action,
            }
        }),
        (nonconformity_id(), action_id(), date(), text()).prop_map(
            |(nonconformity, action, due, reason)| {
                Command::RescheduleAction {
                    nonconformity,
                    action,
                    due,
                    reason,
                }
            }
        ),
        (nonconformity_id(), action_id(), evidence()).prop_map(
            |(nonconformity, action, evidence)| {
                Command::CompleteAction {
                    nonconformity,
                    action,
                    evidence,
                }
            }
        ),
        (nonconformity_id(), action_id(), text()).prop_map(|(nonconformity, action, reason)| {
            Command::CancelAction {
                nonconformity,
                action,
                reason,
            }
        }),
        (nonconformity_id(), text(), text(), schedule(), actor_id()).prop_map(
            |(nonconformity, method, criteria, schedule, verifier)| Command::PlanVerification {
                nonconformity,
                method,
                criteria,
                schedule,
                verifier,
            }
        ),
        (
            nonconformity_id(),
            0u32..5,
            any::<bool>(),
            proptest::option::of(text()),
            evidence()
        )
            .prop_map(|(nonconformity, check, passed, notes, evidence)| {
                Command::RecordVerification {
                    nonconformity,
                    check,
                    passed,
                    notes,
                    evidence,
                }
            }),
        (
            nonconformity_id(),
            proptest::collection::vec(isms_change(), 0..3),
            proptest::option::of(text())
        )
            .prop_map(
                |(nonconformity, isms_changes, notes)| Command::CloseNonconformity {
                    nonconformity,
                    isms_changes,
                    notes,
                    risk_acceptance: None,
                }
            ),
        (
            nonconformity_id(),
            rejection_reason(None),
            text(),
            proptest::option::of(risk_terms())
        )
            .prop_map(|(nonconformity, reason, explanation, risk_acceptance)| {
                Command::RejectNonconformity {
                    nonconformity,
                    reason,
                    explanation,
                    risk_acceptance,
                }
            }),
        (
            nonconformity_id(),
            proptest::collection::vec(external_link(), 0..2),
            proptest::collection::vec(external_link(), 0..2)
        )
            .prop_map(|(nonconformity, add, remove)| {
                Command::ChangeNonconformityLinks {
                    nonconformity,
                    add,
                    remove,
                }
            }),
        (nonconformity_id(), nonconformity_id()).prop_map(|(nonconformity, recurrence_of)| {
            Command::LinkRecurrence {
                nonconformity,
                recurrence_of,
            }
        }),
        improvement_id()
            .prop_flat_map(|id| proposal(id, None))
            .prop_map(Command::ProposeImprovement),
        improvement_id().prop_map(|improvement| Command::ApproveImprovement { improvement }),
        improvement_id().prop_map(|improvement| Command::StartImprovement { improvement }),
        (
            improvement_id(),
            proptest::collection::vec(isms_change(), 0..2),
            proptest::option::of(text())
        )
            .prop_map(|(improvement, isms_changes, measured_effect)| {
                Command::RealiseImprovement {
                    improvement,
                    isms_changes,
                    measured_effect,
                }
            }),
        (improvement_id(), text()).prop_map(|(improvement, reason)| Command::RejectImprovement {
            improvement,
            reason
        }),
        (improvement_id(), text()).prop_map(|(improvement, measured_effect)| {
            Command::RecordImprovementEffect {
                improvement,
                measured_effect,
            }
        }),
    ]
}
