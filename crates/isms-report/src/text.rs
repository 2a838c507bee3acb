//! Words and numbers as the report prints them, shared by both renderers.
//! Nothing here escapes: callers escape user text, these return only
//! fixed vocabulary and numbers.

use chrono::{DateTime, Utc};
use isms_core::{
    IanaTimeZone, ImprovementSource, ImprovementState, IsmsChangeKind, NcState, Priority, Severity,
};
use isms_kpi::{Direction, Kpi, KpiId, Measure, Status, Target, Unit};

/// KPIs shown as tiles in the summary (the breakdowns are charts instead).
pub(crate) const TILE_KPIS: [KpiId; 14] = [
    KpiId::OpenNonconformities,
    KpiId::Ageing,
    KpiId::TimeToContain,
    KpiId::TimeToClose,
    KpiId::OverdueActions,
    KpiId::OverdueActionRate,
    KpiId::OnTimeActionCompletionRate,
    KpiId::EffectivenessRate,
    KpiId::RepeatNonconformityRate,
    KpiId::OverdueVerifications,
    KpiId::ImprovementsRealised,
    KpiId::ImprovementCycleTime,
    KpiId::ReportingOnTimeRate,
    KpiId::ReportingClocksRunning,
];

/// A clock's standing, in words.
pub(crate) fn clock_status(s: isms_core::ClockStatus) -> &'static str {
    match s {
        isms_core::ClockStatus::Running => "running",
        isms_core::ClockStatus::Overdue => "OVERDUE",
        isms_core::ClockStatus::MetOnTime => "sent on time",
        isms_core::ClockStatus::MetLate => "sent LATE",
        isms_core::ClockStatus::NotStarted => "not started",
    }
}

pub(crate) fn status_word(s: Status) -> &'static str {
    match s {
        Status::Green => "GREEN",
        Status::Amber => "AMBER",
        Status::Red => "RED",
        Status::NoData => "NO DATA",
        Status::NoTarget => "NO TARGET",
    }
}

/// A symbol that differs by shape, for readers who cannot tell the colours.
pub(crate) fn status_symbol(s: Status) -> &'static str {
    match s {
        Status::Green => "\u{2714}",    // heavy check mark
        Status::Amber => "\u{25B2}",    // triangle
        Status::Red => "\u{2716}",      // heavy multiplication x
        Status::NoData => "\u{2013}",   // en dash
        Status::NoTarget => "\u{25CB}", // circle
    }
}

pub(crate) fn status_class(s: Status) -> &'static str {
    match s {
        Status::Green => "green",
        Status::Amber => "amber",
        Status::Red => "red",
        Status::NoData => "nodata",
        Status::NoTarget => "notarget",
    }
}

pub(crate) fn in_unit(unit: Unit, x: f64) -> String {
    match unit {
        Unit::Count => format!("{x:.0}"),
        Unit::Ratio => format!("{:.1} %", x * 100.0),
        Unit::Days => format!("{x:.1} days"),
    }
}

pub(crate) fn value(kpi: &Kpi) -> String {
    match kpi.value {
        Measure::NoData => "no data".to_owned(),
        Measure::Count { count } => count.to_string(),
        Measure::Ratio { ratio, .. } => in_unit(Unit::Ratio, ratio),
        Measure::Days { days } => in_unit(Unit::Days, days),
    }
}

/// `18 of 25` for a ratio, `over 40 closed` for a duration, else empty.
pub(crate) fn value_basis(kpi: &Kpi) -> String {
    match kpi.value {
        Measure::Ratio {
            numerator,
            denominator,
            ..
        } => format!("{numerator} of {denominator}"),
        Measure::Days { .. } | Measure::NoData if kpi.unit == Unit::Days => {
            format!("median of {}", kpi.population)
        }
        _ => String::new(),
    }
}

pub(crate) fn target(kpi: &Kpi) -> String {
    match kpi.target {
        None => "no target".to_owned(),
        Some(t) => target_text(kpi.unit, kpi.direction, t),
    }
}

pub(crate) fn target_text(unit: Unit, direction: Direction, t: Target) -> String {
    let op = match direction {
        Direction::HigherIsBetter => "\u{2265}",
        Direction::LowerIsBetter => "\u{2264}",
        Direction::Neutral => "",
    };
    format!(
        "green {op} {}, amber {op} {}",
        in_unit(unit, t.green),
        in_unit(unit, t.amber)
    )
}

/// The organisation's calendar date of `t` (in `zone`).
pub(crate) fn date(t: DateTime<Utc>, zone: IanaTimeZone) -> String {
    zone.date_of(t).format("%Y-%m-%d").to_string()
}

pub(crate) fn instant(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub(crate) fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Major => "MAJOR",
        Severity::Minor => "minor",
    }
}

pub(crate) fn nc_state(s: NcState) -> &'static str {
    match s {
        NcState::Reported => "reported",
        NcState::Contained => "contained",
        NcState::Analysed => "analysed",
        NcState::ActionsPlanned => "actions planned",
        NcState::Implemented => "implemented",
        NcState::Ineffective => "ineffective",
        NcState::Effective => "effective",
        NcState::Closed => "closed",
        NcState::Rejected => "rejected",
    }
}

pub(crate) fn improvement_state(s: ImprovementState) -> &'static str {
    match s {
        ImprovementState::Proposed => "proposed",
        ImprovementState::Approved => "approved",
        ImprovementState::InProgress => "in progress",
        ImprovementState::Realised => "realised",
        ImprovementState::Rejected => "rejected",
    }
}

pub(crate) fn improvement_source(s: ImprovementSource) -> &'static str {
    match s {
        ImprovementSource::Audit => "audit",
        ImprovementSource::ManagementReview => "management review",
        ImprovementSource::PostIncidentReview => "post-incident review",
        ImprovementSource::KpiTrend => "KPI trend",
        ImprovementSource::Feedback => "feedback",
        ImprovementSource::RiskChange => "risk change",
        ImprovementSource::Nonconformity => "nonconformity",
    }
}

pub(crate) fn priority(p: Priority) -> &'static str {
    match p {
        Priority::High => "high",
        Priority::Medium => "medium",
        Priority::Low => "low",
    }
}

pub(crate) fn change_kind(k: IsmsChangeKind) -> &'static str {
    match k {
        IsmsChangeKind::Policy => "policy",
        IsmsChangeKind::Procedure => "procedure",
        IsmsChangeKind::Control => "control",
        IsmsChangeKind::RiskAssessment => "risk assessment",
        IsmsChangeKind::StatementOfApplicability => "Statement of Applicability",
        IsmsChangeKind::Training => "training",
        IsmsChangeKind::Other => "other",
    }
}

/// What the conventions of every KPI are, in a few sentences.
pub(crate) fn conventions(zone: IanaTimeZone) -> [String; 4] {
    [
        "T is the instant the report is as of; the period is the window [T - W, T], both ends included. Only what was recorded at or before T counts: states come from the recorded history, due dates from the reschedules recorded by T.".to_owned(),
        format!("Dates are calendar dates in {zone}, the organisation's time zone (times are UTC); an action or check due on T's date is not yet overdue. Durations are in fractional days; medians and 90th percentiles interpolate linearly between closest ranks."),
        "A ratio or duration over an empty population is \"no data\", never zero. Status: where higher is better, green at or above the green threshold, amber at or above the amber one, otherwise red; where lower is better, the same with at or below.".to_owned(),
        "The on-time and effectiveness charts show, at each month end, the KPI over the trailing window stated on the chart. Annex A themes come from the catalogue's controls; the NIS2 projection follows the catalogue's crosswalks (through Implementing Regulation (EU) 2024/2690 where needed). Titles and owners are as now recorded.".to_owned(),
    ]
}
