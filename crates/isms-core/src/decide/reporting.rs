//! Decisions on an incident's regulatory reporting (see
//! [`crate::reporting`]): the record of awareness and significance, and the
//! reports sent.

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::decide::{Emitter, MAX_TITLE_CHARS, check_opt_text, check_text};
use crate::error::DecisionError;
use crate::event::EventPayload;
use crate::ids::NcRef;
use crate::model::{Nonconformity, Source};
use crate::reporting::{
    ClockAnchor, ClockRegime, IncidentReporting, MAX_REPORT_REQUESTS, MAX_SUBMISSIONS,
    ReportRequest,
};

/// `record_incident_reporting`: a first record or a correction.
#[allow(clippy::too_many_arguments)] // the command's four fields and the step's four parts
pub(super) fn record(
    nc: &Nonconformity,
    reference: NcRef,
    ctx: &Context<'_>,
    em: &mut Emitter<'_, '_>,
    regime: &ClockRegime,
    aware_at: DateTime<Utc>,
    significant: bool,
    requests: &[ReportRequest],
) -> Result<(), DecisionError> {
    if nc.source != Source::Incident {
        return Err(DecisionError::NotAnIncident {
            reference,
            origin: nc.source,
        });
    }
    regime
        .validate()
        .map_err(|problem| DecisionError::InvalidClockRegime { problem })?;
    if aware_at > ctx.at {
        return Err(DecisionError::AwareInFuture {
            reference,
            aware_at,
            at: ctx.at,
        });
    }
    check_requests(reference, ctx, regime, aware_at, requests)?;
    // A correction must leave every report already recorded valid.
    for s in &nc.submissions {
        if regime.rule(&s.kind).is_none() {
            return Err(unknown_kind(reference, regime, &s.kind));
        }
        if s.submitted_at < aware_at {
            return Err(DecisionError::SubmissionBeforeAwareness {
                reference,
                kind: s.kind.clone(),
                submitted_at: s.submitted_at,
                aware_at,
            });
        }
    }
    if let Some(IncidentReporting {
        regime: r,
        aware_at: a,
        significant: sig,
        requests: q,
        ..
    }) = &nc.incident_reporting
        && r == regime
        && *a == aware_at
        && *sig == significant
        && q.as_slice() == requests
    {
        return Err(DecisionError::ReportingUnchanged { reference });
    }
    em.emit(EventPayload::IncidentReportingRecorded {
        regime: regime.clone(),
        aware_at,
        significant,
        requests: requests.to_vec(),
    });
    Ok(())
}

fn check_requests(
    reference: NcRef,
    ctx: &Context<'_>,
    regime: &ClockRegime,
    aware_at: DateTime<Utc>,
    requests: &[ReportRequest],
) -> Result<(), DecisionError> {
    let bad = |kind: &str, problem: String| DecisionError::BadReportRequest {
        reference,
        kind: kind.chars().take(70).collect(),
        problem,
    };
    if requests.len() > MAX_REPORT_REQUESTS {
        return Err(bad(
            "",
            format!(
                "list holds {} requests; at most {MAX_REPORT_REQUESTS}",
                requests.len()
            ),
        ));
    }
    for q in requests {
        match regime.rule(&q.kind) {
            None => return Err(unknown_kind(reference, regime, &q.kind)),
            Some(rule) if rule.starts != ClockAnchor::Request => {
                return Err(bad(
                    &q.kind,
                    "is not for a report sent on request: its clock starts by itself".into(),
                ));
            }
            Some(_) => {}
        }
        if q.due <= q.requested_at {
            return Err(bad(
                &q.kind,
                format!(
                    "sets a deadline {} not after the request {}",
                    q.due, q.requested_at
                ),
            ));
        }
        if q.requested_at < aware_at || q.requested_at > ctx.at {
            return Err(bad(
                &q.kind,
                format!(
                    "was received at {}, outside awareness ({aware_at}) to the record's time ({})",
                    q.requested_at, ctx.at
                ),
            ));
        }
    }
    Ok(())
}

fn unknown_kind(reference: NcRef, regime: &ClockRegime, kind: &str) -> DecisionError {
    DecisionError::UnknownReportKind {
        reference,
        kind: kind.chars().take(70).collect(),
        regime: regime.id.clone(),
        known: regime.rules.iter().map(|r| r.kind.clone()).collect(),
    }
}

/// `record_report_submission`.
#[allow(clippy::too_many_arguments)] // the command's four fields and the step's four parts
pub(super) fn submit(
    nc: &Nonconformity,
    reference: NcRef,
    ctx: &Context<'_>,
    em: &mut Emitter<'_, '_>,
    kind: &str,
    recipient: &str,
    submitted_at: DateTime<Utc>,
    sent_reference: Option<&String>,
) -> Result<(), DecisionError> {
    let Some(rep) = &nc.incident_reporting else {
        return Err(DecisionError::NoIncidentReporting { reference });
    };
    let Some(rule) = rep.regime.rule(kind) else {
        return Err(unknown_kind(reference, &rep.regime, kind));
    };
    if !rep.significant {
        return Err(DecisionError::ReportNotRequired {
            reference,
            kind: kind.to_owned(),
        });
    }
    check_text("recipient", recipient, MAX_TITLE_CHARS)?;
    check_opt_text("reference", sent_reference)?;
    if submitted_at > ctx.at {
        return Err(DecisionError::SubmissionInFuture {
            reference,
            kind: kind.to_owned(),
            submitted_at,
            at: ctx.at,
        });
    }
    if submitted_at < rep.aware_at {
        return Err(DecisionError::SubmissionBeforeAwareness {
            reference,
            kind: kind.to_owned(),
            submitted_at,
            aware_at: rep.aware_at,
        });
    }
    match &rule.starts {
        ClockAnchor::Awareness => {}
        ClockAnchor::Request => {
            if !rep.requests.iter().any(|q| q.kind == kind) {
                return Err(DecisionError::ReportNotRequested {
                    reference,
                    kind: kind.to_owned(),
                });
            }
        }
        ClockAnchor::Submission(anchor) => {
            let sent = nc
                .submissions
                .iter()
                .any(|s| &s.kind == anchor && s.submitted_at <= submitted_at);
            if !sent {
                return Err(DecisionError::ReportBeforeAnchor {
                    reference,
                    kind: kind.to_owned(),
                    anchor: anchor.clone(),
                    submitted_at,
                });
            }
        }
    }
    if nc.submissions.len() >= MAX_SUBMISSIONS {
        return Err(DecisionError::RegisterFull {
            max: MAX_SUBMISSIONS as u32,
        });
    }
    em.emit(EventPayload::ReportSubmitted {
        kind: kind.to_owned(),
        recipient: recipient.to_owned(),
        submitted_at,
        reference: sent_reference.cloned(),
    });
    Ok(())
}
