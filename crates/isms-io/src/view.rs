//! The spreadsheet view of a register: what the export writes, cell by
//! cell. It is also the definition of "the same register" for the round
//! trip: two registers are the same as far as a spreadsheet can tell when
//! their views are equal.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use isms_core::{ActionDecision, CorrectiveAction, Nonconformity, Register, RejectionReason};

use crate::columns::{Column, REPEATED_ON_ACTIONS};
use crate::words::{ACTION_STATUS, CATEGORY, METHOD, NC_STATE, OUTCOME, Outcome, SEVERITY, SOURCE};

/// One cell of the view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    /// Nothing recorded.
    Empty,
    /// Text or a vocabulary word.
    Text(String),
    /// A calendar date.
    Date(NaiveDate),
    /// An instant, to the second.
    DateTime(DateTime<Utc>),
    /// A whole number.
    Number(u32),
}

impl Cell {
    /// The cell as CSV writes it: ISO 8601 for dates (`2026-03-31`) and
    /// instants (`2026-03-02T09:00:00Z`).
    pub fn to_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(t) => t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Cell::Number(n) => n.to_string(),
        }
    }

    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    fn at(t: DateTime<Utc>) -> Cell {
        Cell::DateTime(t.trunc_subsecs(0))
    }

    fn opt<T>(v: Option<T>, f: impl FnOnce(T) -> Cell) -> Cell {
        v.map_or(Cell::Empty, f)
    }
}

/// The register as two tables: one row per nonconformity, and one row per
/// corrective action with its nonconformity's columns repeated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterView {
    /// Rows of the nonconformities sheet, cells in [`Column::nonconformity_columns`] order.
    pub nonconformities: Vec<Vec<Cell>>,
    /// Rows of the actions sheet, cells in [`action_sheet_columns`] order.
    pub actions: Vec<Vec<Cell>>,
}

/// The columns of the nonconformities sheet.
pub fn nonconformity_sheet_columns() -> Vec<Column> {
    Column::nonconformity_columns().collect()
}

/// The columns of the actions sheet: the repeated nonconformity columns,
/// then the action's.
pub fn action_sheet_columns() -> Vec<Column> {
    REPEATED_ON_ACTIONS
        .iter()
        .copied()
        .chain(Column::ALL.iter().copied().filter(|c| c.is_action()))
        .collect()
}

impl RegisterView {
    /// The view of a register (improvement opportunities are not part of it).
    pub fn of(register: &Register) -> Self {
        let mut nonconformities = Vec::with_capacity(register.nonconformities().len());
        let mut actions = Vec::new();
        let nc_columns = nonconformity_sheet_columns();
        let repeated: Vec<usize> = REPEATED_ON_ACTIONS
            .iter()
            .filter_map(|c| nc_columns.iter().position(|x| x == c))
            .collect();
        let width = action_sheet_columns().len();
        for nc in register.nonconformities() {
            let cells = nc_cells(register, nc);
            for a in &nc.actions {
                let mut row = Vec::with_capacity(width);
                row.extend(repeated.iter().map(|&i| cells[i].clone()));
                action_cells(a, &mut row);
                actions.push(row);
            }
            nonconformities.push(cells);
        }
        Self {
            nonconformities,
            actions,
        }
    }
}

fn reference_of(register: &Register, id: isms_core::NonconformityId) -> String {
    register
        .nonconformity(id)
        .map_or_else(|| id.to_string(), |n| n.reference.to_string())
}

fn nc_cells(register: &Register, nc: &Nonconformity) -> Vec<Cell> {
    let analysis = nc.analyses.last();
    let plan = nc.verification_plans.last();
    let results: Vec<_> = plan
        .map(|p| {
            nc.verification_results
                .iter()
                .filter(|r| r.attempt == p.attempt)
                .collect()
        })
        .unwrap_or_default();
    let outcome =
        plan.map(
            |p| match nc.conclusions.iter().rev().find(|c| c.attempt == p.attempt) {
                Some(c) if c.effective => Outcome::Effective,
                Some(_) => Outcome::Ineffective,
                None => Outcome::Pending,
            },
        );
    let no_action = analysis.and_then(|a| match &a.decision {
        ActionDecision::NoActionRequired {
            justification,
            approved_by,
        } => Some((justification.clone(), approved_by.to_string())),
        ActionDecision::ActionRequired => None,
    });
    let first_correction = nc.corrections.first();
    let mut row = Vec::with_capacity(Column::ALL.len());
    for c in Column::nonconformity_columns() {
        let cell = match c {
            Column::Reference => Cell::text(nc.reference.to_string()),
            Column::Title => Cell::text(nc.title.clone()),
            Column::Description => Cell::text(nc.description.clone()),
            Column::Source => Cell::text(SOURCE.word(nc.source)),
            Column::Severity => Cell::text(SEVERITY.word(nc.severity)),
            Column::Requirements => Cell::text(
                nc.requirements
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Column::ReportedBy => Cell::text(nc.reported_by.to_string()),
            Column::Owner => Cell::text(nc.owner.to_string()),
            Column::Detected => Cell::at(nc.detected_at),
            Column::Reported => Cell::at(nc.reported_at),
            Column::ExternalDeadline => Cell::opt(nc.external_deadline, Cell::Date),
            Column::NcStatus => Cell::text(NC_STATE.word(nc.state)),
            Column::Containment => {
                Cell::opt(first_correction, |c| Cell::text(c.action_taken.clone()))
            }
            Column::Contained => Cell::opt(first_correction, |c| Cell::at(c.at)),
            Column::AnalysisMethod => Cell::opt(analysis, |a| Cell::text(METHOD.word(a.method))),
            Column::RootCauseCategory => Cell::opt(analysis, |a| {
                Cell::text(
                    a.causes
                        .iter()
                        .map(|c| CATEGORY.word(c.category))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            }),
            Column::RootCause => Cell::opt(analysis, |a| {
                Cell::text(
                    a.causes
                        .iter()
                        .map(|c| c.statement.as_str())
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            }),
            Column::SimilarCheck => Cell::opt(analysis, |a| match &a.similar_notes {
                Some(notes) => Cell::text(notes.clone()),
                None if !a.similar.is_empty() => Cell::text(format!(
                    "{} similar nonconformities listed in the register",
                    a.similar.len()
                )),
                None => Cell::Empty,
            }),
            Column::Analysed => Cell::opt(analysis, |a| Cell::at(a.at)),
            Column::NoActionJustification => {
                Cell::opt(no_action.as_ref(), |n| Cell::text(n.0.clone()))
            }
            Column::NoActionApprover => Cell::opt(no_action.as_ref(), |n| Cell::text(n.1.clone())),
            Column::VerificationMethod => Cell::opt(plan, |p| Cell::text(p.method.clone())),
            Column::VerificationCriteria => Cell::opt(plan, |p| Cell::text(p.criteria.clone())),
            Column::FollowUp => Cell::opt(plan, |p| Cell::text(p.schedule.to_string())),
            Column::Verifier => Cell::opt(plan, |p| Cell::text(p.verifier.to_string())),
            Column::VerificationPlanned => Cell::opt(plan, |p| Cell::at(p.at)),
            Column::ChecksRecorded => Cell::opt(plan, |_| Cell::Number(results.len() as u32)),
            Column::VerificationResult => Cell::opt(outcome, |o| Cell::text(OUTCOME.word(o))),
            Column::VerificationDate => Cell::opt(results.last(), |r| Cell::at(r.at)),
            Column::VerificationEvidence => {
                Cell::opt(results.last().filter(|r| !r.evidence.is_empty()), |r| {
                    Cell::text(evidence_text(&r.evidence))
                })
            }
            Column::Closed => Cell::opt(nc.closure.as_ref(), |c| Cell::at(c.at)),
            Column::Rejected => Cell::opt(nc.rejection.as_ref(), |r| Cell::at(r.at)),
            Column::RejectionReason => Cell::opt(nc.rejection.as_ref(), |r| {
                Cell::text(match r.reason {
                    RejectionReason::NotANonconformity => "not a nonconformity".to_owned(),
                    RejectionReason::Duplicate { of } => {
                        format!("duplicate of {}", reference_of(register, of))
                    }
                })
            }),
            Column::RejectionExplanation => {
                Cell::opt(nc.rejection.as_ref(), |r| Cell::text(r.explanation.clone()))
            }
            Column::RecurrenceOf => Cell::opt(nc.recurrence_of, |id| {
                Cell::text(reference_of(register, id))
            }),
            Column::Audit => Cell::opt(nc.audit.as_ref(), |a| Cell::text(a.to_string())),
            _ => Cell::Empty,
        };
        row.push(cell);
    }
    row
}

fn action_cells(a: &CorrectiveAction, row: &mut Vec<Cell>) {
    for c in Column::ALL.iter().copied().filter(|c| c.is_action()) {
        let cell = match c {
            Column::ActionRef => Cell::text(a.reference.to_string()),
            Column::Attempt => Cell::Number(a.attempt),
            Column::Action => Cell::text(a.description.clone()),
            Column::ActionOwner => Cell::text(a.owner.to_string()),
            Column::ActionPlanned => Cell::at(a.planned_at),
            Column::OriginalDue => Cell::Date(a.original_due),
            Column::Due => Cell::Date(a.due),
            Column::RescheduleReason => {
                Cell::opt(a.reschedules.last(), |r| Cell::text(r.reason.clone()))
            }
            Column::ActionStatus => Cell::text(ACTION_STATUS.word(a.status)),
            Column::Started => Cell::opt(a.started_at, Cell::at),
            Column::Completed => Cell::opt(a.completed_at, Cell::at),
            Column::Evidence => Cell::text(evidence_text(&a.evidence)),
            Column::Cancelled => Cell::opt(a.cancelled_at, Cell::at),
            Column::CancelReason => Cell::opt(a.cancel_reason.as_ref(), |r| Cell::text(r.clone())),
            _ => Cell::Empty,
        };
        row.push(cell);
    }
}

/// Evidence in one cell: each piece's summary, joined by `; `.
fn evidence_text(evidence: &[isms_core::EvidenceRef]) -> String {
    evidence
        .iter()
        .map(isms_core::EvidenceRef::summary)
        .collect::<Vec<_>>()
        .join("; ")
}
