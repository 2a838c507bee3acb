//! The words a spreadsheet uses for the register's vocabularies: the one
//! the export writes, and the others the import accepts.

use isms_core::{ActionStatus, AnalysisMethod, NcState, RootCauseCategory, Severity, Source};

use crate::columns::normalise;
use crate::error::ProblemKind;

/// A vocabulary: values with the word written and the words read.
pub(crate) struct Vocabulary<T: 'static> {
    pub what: &'static str,
    pub entries: &'static [(T, &'static str, &'static [&'static str])],
}

impl<T: Copy + PartialEq> Vocabulary<T> {
    pub fn word(&self, value: T) -> &'static str {
        self.entries
            .iter()
            .find(|e| e.0 == value)
            .map_or("", |e| e.1)
    }

    pub fn parse(&self, text: &str) -> Result<T, ProblemKind> {
        let n = normalise(text);
        self.entries
            .iter()
            .find(|(_, w, syn)| normalise(w) == n || syn.iter().any(|s| normalise(s) == n))
            .map(|e| e.0)
            .ok_or_else(|| ProblemKind::UnknownWord {
                what: self.what,
                value: text.to_owned(),
                accepted: self.accepted(),
            })
    }

    pub fn accepted(&self) -> String {
        self.entries
            .iter()
            .flat_map(|(_, w, syn)| std::iter::once(*w).chain(syn.iter().copied()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

pub(crate) const SEVERITY: Vocabulary<Severity> = Vocabulary {
    what: "severity",
    entries: &[
        (
            Severity::Major,
            "major",
            &["major nonconformity", "major nc", "maj"],
        ),
        (
            Severity::Minor,
            "minor",
            &["minor nonconformity", "minor nc", "min"],
        ),
    ],
};

pub(crate) const SOURCE: Vocabulary<Source> = Vocabulary {
    what: "source",
    entries: &[
        (
            Source::InternalAudit,
            "internal audit",
            &["audit", "ia", "internal"],
        ),
        (
            Source::ExternalAudit,
            "external audit",
            &[
                "certification audit",
                "certification body",
                "surveillance audit",
                "external",
            ],
        ),
        (
            Source::Incident,
            "incident",
            &["security incident", "information security incident"],
        ),
        (
            Source::Monitoring,
            "monitoring",
            &["kpi", "measurement", "monitoring and measurement"],
        ),
        (Source::ManagementReview, "management review", &["mr"]),
        (
            Source::RiskAssessment,
            "risk assessment",
            &["risk", "risk treatment"],
        ),
        (
            Source::Supplier,
            "supplier",
            &["third party", "vendor", "supplier review"],
        ),
        (
            Source::Complaint,
            "complaint",
            &["customer complaint", "feedback"],
        ),
        (
            Source::SelfIdentified,
            "self identified",
            &["self-identified", "internal finding", "staff", "employee"],
        ),
        (
            Source::AuthorityOrder,
            "authority order",
            &[
                "authority",
                "regulator",
                "regulator order",
                "competent authority",
            ],
        ),
    ],
};

pub(crate) const NC_STATE: Vocabulary<NcState> = Vocabulary {
    what: "nonconformity status",
    entries: &[
        (NcState::Reported, "reported", &["new", "raised", "logged"]),
        (NcState::Contained, "contained", &["corrected"]),
        (NcState::Analysed, "analysed", &["analyzed", "rca done"]),
        (
            NcState::ActionsPlanned,
            "actions planned",
            &["action planned", "in progress", "actions in progress"],
        ),
        (
            NcState::Implemented,
            "implemented",
            &["awaiting verification", "to verify"],
        ),
        (NcState::Ineffective, "ineffective", &["not effective"]),
        (NcState::Effective, "effective", &["verified"]),
        (NcState::Closed, "closed", &["complete", "completed"]),
        (
            NcState::Rejected,
            "rejected",
            &["withdrawn", "not a nonconformity"],
        ),
    ],
};

pub(crate) const ACTION_STATUS: Vocabulary<ActionStatus> = Vocabulary {
    what: "action status",
    entries: &[
        (
            ActionStatus::Planned,
            "planned",
            &["open", "not started", "to do", "todo", "new"],
        ),
        (
            ActionStatus::InProgress,
            "in progress",
            &["ongoing", "started", "wip", "in work"],
        ),
        (
            ActionStatus::Done,
            "done",
            &["completed", "complete", "implemented", "finished", "closed"],
        ),
        (
            ActionStatus::Cancelled,
            "cancelled",
            &["canceled", "withdrawn", "dropped"],
        ),
    ],
};

pub(crate) const METHOD: Vocabulary<AnalysisMethod> = Vocabulary {
    what: "analysis method",
    entries: &[
        (
            AnalysisMethod::FiveWhys,
            "five whys",
            &["5 whys", "5why", "5 why"],
        ),
        (
            AnalysisMethod::Ishikawa,
            "ishikawa",
            &["fishbone", "cause and effect"],
        ),
        (
            AnalysisMethod::FaultTree,
            "fault tree",
            &["fta", "fault tree analysis"],
        ),
        (AnalysisMethod::Other, "other", &[]),
    ],
};

pub(crate) const CATEGORY: Vocabulary<RootCauseCategory> = Vocabulary {
    what: "root cause category",
    entries: &[
        (
            RootCauseCategory::People,
            "people",
            &["human", "human error", "competence", "awareness"],
        ),
        (
            RootCauseCategory::Process,
            "process",
            &["procedure", "method"],
        ),
        (
            RootCauseCategory::Technology,
            "technology",
            &["technical", "system", "tool", "tools"],
        ),
        (
            RootCauseCategory::Supplier,
            "supplier",
            &["third party", "vendor", "supplier third party"],
        ),
        (
            RootCauseCategory::Governance,
            "governance",
            &["management", "leadership", "resources"],
        ),
        (
            RootCauseCategory::Environment,
            "environment",
            &["external", "environment external"],
        ),
    ],
};

/// The verification outcome a row states.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Pending,
    Effective,
    Ineffective,
}

pub(crate) const OUTCOME: Vocabulary<Outcome> = Vocabulary {
    what: "verification result",
    entries: &[
        (
            Outcome::Pending,
            "pending",
            &["open", "not yet", "in progress", "scheduled"],
        ),
        (
            Outcome::Effective,
            "effective",
            &["yes", "passed", "pass", "ok", "verified effective"],
        ),
        (
            Outcome::Ineffective,
            "ineffective",
            &["no", "failed", "fail", "not effective"],
        ),
    ],
};
