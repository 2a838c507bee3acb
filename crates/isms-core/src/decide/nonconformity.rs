//! Decisions on a nonconformity (10.2): one function per command.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::command::{Command, ReportNonconformity};
use crate::context::{Context, RegisterContext};
use crate::decide::{
    Decision, Emitter, MAX_ITEMS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, check_changes, check_extensions,
    check_limit, check_links, check_opt_text, check_text, next_number,
};
use crate::error::{DecisionError, Subject};
use crate::event::{EventPayload, StreamId};
use crate::ids::{ActionId, ActionRef, ActorId, NcRef, NonconformityId, RefKind};
use crate::item::{attempt_start, verified_effective};
use crate::model::{
    ActionDecision, ActionStatus, AnalysisMethod, CorrectiveAction, EvidenceRef, ExternalLink,
    IsmsChange, Nonconformity, RejectionReason, RootCause,
};
use crate::policy::PolicyWarning;
use crate::risk::{MAX_RISK_REVIEW_DAYS, RiskAcceptanceTerms};
use crate::schedule::VerificationSchedule;
use crate::workflow::{NcCommandKind, NcState, nc_commands_allowed, nc_rule};

/// A command on a nonconformity that does not exist yet: only a report.
pub(super) fn decide_new(
    command: &Command,
    register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    match command {
        Command::ReportNonconformity(r) => report(r, register, ctx),
        other => {
            let id = match other.target() {
                crate::CommandTarget::Nonconformity(id, _) => id.to_string(),
                crate::CommandTarget::Improvement(id, _) => id.to_string(),
            };
            Err(DecisionError::UnknownNonconformity { id })
        }
    }
}

fn report(
    r: &ReportNonconformity,
    register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let number = next_number(register.last_number(RefKind::Nonconformity))?;
    check_text("title", &r.title, MAX_TITLE_CHARS)?;
    check_text("description", &r.description, MAX_TEXT_CHARS)?;
    if r.detected_at > ctx.at {
        return Err(DecisionError::DetectedInFuture {
            detected_at: r.detected_at,
            at: ctx.at,
        });
    }
    let mut seen = HashSet::new();
    for req in &r.requirements {
        if !seen.insert(req) {
            return Err(DecisionError::DuplicateRequirement {
                requirement: req.to_string(),
            });
        }
    }
    let reference =
        NcRef::new(number).map_err(|_| DecisionError::RegisterFull { max: MAX_ITEMS })?;
    if let Some(deadline) = r.external_deadline {
        let detected = ctx.policy.local_date(r.detected_at);
        if deadline < detected {
            return Err(DecisionError::DateBeforeDetection {
                reference,
                field: "external_deadline",
                date: deadline,
                detected,
            });
        }
    }
    check_links(&r.links)?;
    check_extensions(&r.extensions)?;
    crate::decide::check_audit(register, r.audit.as_ref())?;
    let mut em = Emitter::new(ctx, StreamId::Nonconformity(r.id), 0);
    em.emit(EventPayload::NonconformityReported {
        reference,
        title: r.title.clone(),
        description: r.description.clone(),
        source: r.source,
        severity: r.severity,
        requirements: r.requirements.clone(),
        owner: r.owner.clone(),
        detected_at: r.detected_at,
        external_deadline: r.external_deadline,
        links: r.links.clone(),
        extensions: r.extensions.clone(),
        audit: r.audit.clone(),
    });
    Ok(em.finish())
}

/// One decision on an existing nonconformity: what every command's
/// function reads.
struct Step<'a, 'c, 'p, R: ?Sized> {
    nc: &'a Nonconformity,
    reference: NcRef,
    kind: NcCommandKind,
    register: &'a R,
    ctx: &'c Context<'p>,
}

impl<R: RegisterContext + ?Sized> Step<'_, '_, '_, R> {
    fn date_after_detection(
        &self,
        field: &'static str,
        date: NaiveDate,
    ) -> Result<(), DecisionError> {
        let detected = self.ctx.policy.local_date(self.nc.detected_at);
        if date < detected {
            Err(DecisionError::DateBeforeDetection {
                reference: self.reference,
                field,
                date,
                detected,
            })
        } else {
            Ok(())
        }
    }

    fn open_action(
        &self,
        action: ActionId,
        allowed: &[ActionStatus],
    ) -> Result<&CorrectiveAction, DecisionError> {
        let a = self
            .nc
            .action(action)
            .ok_or_else(|| DecisionError::UnknownAction {
                reference: self.reference,
                action: action.to_string(),
            })?;
        if allowed.contains(&a.status) {
            Ok(a)
        } else {
            Err(DecisionError::ActionNotOpen {
                reference: self.reference,
                action: a.reference,
                status: a.status,
                command: self.kind,
            })
        }
    }

    /// Segregation of duties (Annex A 5.3): `who` may not verify where they
    /// own a corrective action that was not cancelled.
    fn verifier_owns_no_action(&self, who: &ActorId) -> Result<(), DecisionError> {
        if !self.ctx.policy.segregation_of_duties {
            return Ok(());
        }
        match self
            .nc
            .actions
            .iter()
            .find(|a| a.status != ActionStatus::Cancelled && a.owner == *who)
        {
            Some(a) => Err(DecisionError::SegregationOfDuties {
                reference: self.reference,
                actor: who.clone(),
                action: a.reference,
            }),
            None => Ok(()),
        }
    }

    /// Another nonconformity this one refers to: it must exist and differ.
    fn other(&self, id: NonconformityId) -> Result<crate::NcSummary, DecisionError> {
        if id == self.nc.id {
            return Err(DecisionError::SelfReference {
                reference: self.reference,
            });
        }
        self.register
            .nonconformity(id)
            .ok_or_else(|| DecisionError::UnknownNonconformity { id: id.to_string() })
    }
}

pub(super) fn decide(
    nc: &Nonconformity,
    command: &Command,
    register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let crate::CommandTarget::Nonconformity(_, kind) = command.target() else {
        return unreachable_target();
    };
    let reference = nc.reference;
    if kind == NcCommandKind::Report {
        return Err(DecisionError::DuplicateId {
            id: nc.id.to_string(),
        });
    }
    if nc_rule(Some(nc.state), kind).is_none() {
        return Err(DecisionError::TransitionNotAllowed {
            reference,
            state: nc.state,
            command: kind,
            allowed: nc_commands_allowed(nc.state),
        });
    }
    if ctx.at < nc.last_event_at {
        return Err(DecisionError::TimeWentBackwards {
            subject: Subject::Nonconformity(reference),
            at: ctx.at,
            last: nc.last_event_at,
        });
    }
    let s = Step {
        nc,
        reference,
        kind,
        register,
        ctx,
    };
    let mut em = Emitter::new(ctx, StreamId::Nonconformity(nc.id), nc.version);
    match command {
        Command::RecordContainment {
            action_taken,
            consequences,
            late_justification,
            ..
        } => contain(&s, &mut em, action_taken, consequences, late_justification)?,
        Command::AnalyseRootCause {
            method,
            causes,
            similar,
            similar_notes,
            decision,
            ..
        } => analyse(
            &s,
            &mut em,
            *method,
            causes,
            similar,
            similar_notes,
            decision,
        )?,
        Command::PlanAction {
            action,
            description,
            owner,
            due,
            late_justification,
            ..
        } => plan_action(
            &s,
            &mut em,
            *action,
            description,
            owner,
            *due,
            late_justification,
        )?,
        Command::StartAction { action, .. } => {
            s.open_action(*action, &[ActionStatus::Planned])?;
            em.emit(EventPayload::ActionStarted { action: *action });
        }
        Command::RescheduleAction {
            action,
            due,
            reason,
            ..
        } => reschedule_action(&s, &mut em, *action, *due, reason)?,
        Command::CompleteAction {
            action, evidence, ..
        } => {
            let a = s.open_action(*action, &[ActionStatus::Planned, ActionStatus::InProgress])?;
            check_evidence(evidence)?;
            if evidence.is_empty()
                && s.ctx
                    .policy
                    .evidence_required_for_completion
                    .contains(&s.nc.severity)
            {
                return Err(DecisionError::EvidenceRequired {
                    reference: s.reference,
                    severity: s.nc.severity,
                    what: format!("the completion of action {}", a.reference),
                });
            }
            em.emit(EventPayload::ActionCompleted {
                action: *action,
                evidence: evidence.clone(),
            });
        }
        Command::CancelAction { action, reason, .. } => {
            s.open_action(*action, &[ActionStatus::Planned, ActionStatus::InProgress])?;
            check_text("reason", reason, MAX_TEXT_CHARS)?;
            em.emit(EventPayload::ActionCancelled {
                action: *action,
                reason: reason.clone(),
            });
        }
        Command::PlanVerification {
            method,
            criteria,
            schedule,
            verifier,
            ..
        } => plan_verification(&s, &mut em, method, criteria, schedule, verifier)?,
        Command::RecordVerification {
            check,
            passed,
            notes,
            evidence,
            ..
        } => record_verification(&s, &mut em, *check, *passed, notes, evidence)?,
        Command::CloseNonconformity {
            isms_changes,
            notes,
            risk_acceptance,
            ..
        } => close(&s, &mut em, isms_changes, notes, risk_acceptance.as_ref())?,
        Command::RejectNonconformity {
            reason,
            explanation,
            risk_acceptance,
            ..
        } => {
            check_text("explanation", explanation, MAX_TEXT_CHARS)?;
            if let RejectionReason::Duplicate { of } = reason {
                s.other(*of)?;
            }
            if let Some(terms) = risk_acceptance {
                check_risk_acceptance(&s, terms)?;
            }
            em.emit(EventPayload::NonconformityRejected {
                reason: reason.clone(),
                explanation: explanation.clone(),
                risk_acceptance: risk_acceptance.clone(),
            });
        }
        Command::ChangeNonconformityLinks { add, remove, .. } => {
            change_links(&s, &mut em, add, remove)?;
        }
        Command::LinkRecurrence { recurrence_of, .. } => {
            link_recurrence(&s, &mut em, *recurrence_of)?;
        }
        Command::ChangeNonconformityExtensions { set, remove, .. } => {
            crate::decide::change_extensions(
                &mut em,
                Subject::Nonconformity(reference),
                set,
                remove,
            )?;
        }
        Command::RecordRecurrence { recurrence, .. } => {
            record_recurrence(&s, &mut em, *recurrence)?;
        }
        Command::RecordMissedCheck { check, reason, .. } => {
            record_missed_check(&s, &mut em, *check, reason)?;
        }
        Command::EndVerification { reason, .. } => end_verification(&s, &mut em, reason)?,
        Command::RecordIncidentReporting {
            regime,
            aware_at,
            significant,
            requests,
            ..
        } => super::reporting::record(
            nc,
            reference,
            ctx,
            &mut em,
            regime,
            *aware_at,
            *significant,
            requests,
        )?,
        Command::RecordReportSubmission {
            kind,
            recipient,
            submitted_at,
            reference: sent,
            ..
        } => super::reporting::submit(
            nc,
            reference,
            ctx,
            &mut em,
            kind,
            recipient,
            *submitted_at,
            sent.as_ref(),
        )?,
        // Reports are refused above; improvement commands never target a
        // nonconformity (`Command::target`).
        _ => return unreachable_target(),
    }
    Ok(em.finish())
}

/// A command whose target does not match the function it reached; `decide`
/// dispatches on `Command::target`, so this is never returned.
fn unreachable_target<T>() -> Result<T, DecisionError> {
    Err(DecisionError::WrongItem {
        expected: "a nonconformity command".into(),
        given: "an improvement command".into(),
    })
}

fn contain<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    action_taken: &str,
    consequences: &Option<String>,
    late_justification: &Option<String>,
) -> Result<(), DecisionError> {
    check_text("action_taken", action_taken, MAX_TEXT_CHARS)?;
    check_opt_text("consequences", consequences.as_ref())?;
    check_opt_text("late_justification", late_justification.as_ref())?;
    if s.nc.corrections.is_empty()
        && let Some(w) = check_limit(
            s.ctx.policy.max_days_to_contain,
            s.nc.reported_at,
            s.ctx.at,
            "containment",
            s.reference,
            late_justification.as_ref(),
        )?
    {
        em.warnings.push(w);
    }
    em.emit(EventPayload::ContainmentRecorded {
        action_taken: action_taken.to_owned(),
        consequences: consequences.clone(),
        late_justification: late_justification.clone(),
    });
    Ok(())
}

fn analyse<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    method: AnalysisMethod,
    causes: &[RootCause],
    similar: &[NonconformityId],
    similar_notes: &Option<String>,
    decision: &ActionDecision,
) -> Result<(), DecisionError> {
    let nc = s.nc;
    if nc.state == NcState::Reported && s.ctx.policy.containment_required_for.contains(&nc.severity)
    {
        return Err(DecisionError::ContainmentRequired {
            reference: s.reference,
            severity: nc.severity,
        });
    }
    if causes.is_empty() {
        return Err(DecisionError::NoRootCause {
            reference: s.reference,
        });
    }
    for c in causes {
        check_text("causes[].statement", &c.statement, MAX_TEXT_CHARS)?;
    }
    for &other in similar {
        s.other(other)?;
    }
    check_opt_text("similar_notes", similar_notes.as_ref())?;
    if s.ctx.policy.similar_check_required && similar.is_empty() && similar_notes.is_none() {
        return Err(DecisionError::SimilarCheckMissing {
            reference: s.reference,
        });
    }
    if let ActionDecision::NoActionRequired {
        justification,
        approved_by,
    } = decision
    {
        check_text("decision.justification", justification, MAX_TEXT_CHARS)?;
        if s.ctx.policy.segregated_approvals {
            let conflict = if *approved_by == nc.owner {
                Some("owns it")
            } else if *approved_by == s.ctx.actor.id {
                Some("proposed the decision")
            } else {
                None
            };
            if let Some(conflict) = conflict {
                return Err(DecisionError::ApprovalNotSegregated {
                    subject: Subject::Nonconformity(s.reference),
                    what: "the no-action decision",
                    actor: approved_by.clone(),
                    conflict,
                });
            }
        }
    }
    em.emit(EventPayload::RootCauseAnalysed {
        attempt: nc.attempt + 1,
        method,
        causes: causes.to_vec(),
        similar: similar.to_vec(),
        similar_notes: similar_notes.clone(),
        decision: decision.clone(),
    });
    Ok(())
}

fn plan_action<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    action: ActionId,
    description: &str,
    owner: &ActorId,
    due: NaiveDate,
    late_justification: &Option<String>,
) -> Result<(), DecisionError> {
    let nc = s.nc;
    let reference = s.reference;
    if !matches!(
        nc.current_analysis().map(|a| &a.decision),
        Some(ActionDecision::ActionRequired)
    ) {
        return Err(DecisionError::NoActionDecided { reference });
    }
    if nc.action(action).is_some() || s.register.action_exists(action) {
        return Err(DecisionError::DuplicateId {
            id: action.to_string(),
        });
    }
    check_text("description", description, MAX_TEXT_CHARS)?;
    check_opt_text("late_justification", late_justification.as_ref())?;
    s.date_after_detection("due", due)?;
    let action_ref = ActionRef::new(nc.actions.len() as u32 + 1)
        .map_err(|_| DecisionError::RegisterFull { max: MAX_ITEMS })?;
    if s.ctx.policy.segregation_of_duties
        && let Some(plan) = nc.current_plan()
        && plan.verifier == *owner
    {
        return Err(DecisionError::SegregationOfDuties {
            reference,
            actor: owner.clone(),
            action: action_ref,
        });
    }
    if nc.current_actions().next().is_none()
        && let Some(w) = check_limit(
            s.ctx.policy.max_days_to_plan,
            attempt_start(nc),
            s.ctx.at,
            "planning",
            reference,
            late_justification.as_ref(),
        )?
    {
        em.warnings.push(w);
    }
    warn_after_external_deadline(nc, em, due);
    em.emit(EventPayload::ActionPlanned {
        action,
        reference: action_ref,
        description: description.to_owned(),
        owner: owner.clone(),
        due,
        late_justification: late_justification.clone(),
    });
    Ok(())
}

fn warn_after_external_deadline(nc: &Nonconformity, em: &mut Emitter<'_, '_>, due: NaiveDate) {
    if let Some(deadline) = nc.external_deadline
        && due > deadline
    {
        em.warnings
            .push(PolicyWarning::DueAfterExternalDeadline { due, deadline });
    }
}

fn reschedule_action<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    action: ActionId,
    due: NaiveDate,
    reason: &str,
) -> Result<(), DecisionError> {
    let a = s.open_action(action, &[ActionStatus::Planned, ActionStatus::InProgress])?;
    check_text("reason", reason, MAX_TEXT_CHARS)?;
    if a.due == due {
        return Err(DecisionError::SameDueDate {
            reference: s.reference,
            action: a.reference,
            due,
        });
    }
    s.date_after_detection("due", due)?;
    warn_after_external_deadline(s.nc, em, due);
    em.emit(EventPayload::ActionRescheduled {
        action,
        from: a.due,
        to: due,
        reason: reason.to_owned(),
    });
    Ok(())
}

fn plan_verification<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    method: &str,
    criteria: &str,
    schedule: &VerificationSchedule,
    verifier: &ActorId,
) -> Result<(), DecisionError> {
    check_text("method", method, MAX_TEXT_CHARS)?;
    check_text("criteria", criteria, MAX_TEXT_CHARS)?;
    let dates = schedule.check_dates()?;
    if let Some(first) = dates.first() {
        s.date_after_detection("schedule", *first)?;
    }
    window_after_completion(s, schedule)?;
    if s.nc.checks_recorded() > 0 {
        return Err(DecisionError::VerificationStarted {
            reference: s.reference,
        });
    }
    s.verifier_owns_no_action(verifier)?;
    em.emit(EventPayload::VerificationPlanned {
        attempt: s.nc.attempt,
        method: method.to_owned(),
        criteria: criteria.to_owned(),
        schedule: *schedule,
        verifier: verifier.clone(),
    });
    Ok(())
}

/// Evidence is text checked like any other: a document reference as a
/// whole, a file record's name, which is a name and not a path.
fn check_evidence(evidence: &[EvidenceRef]) -> Result<(), DecisionError> {
    for e in evidence {
        match e {
            EvidenceRef::Document(r) => check_text("evidence[]", r, MAX_TEXT_CHARS)?,
            EvidenceRef::File(f) => {
                check_text("evidence[].name", &f.name, MAX_FILE_NAME_CHARS)?;
                if f.name.contains(['/', '\\']) || f.name == "." || f.name == ".." {
                    return Err(DecisionError::BadText {
                        field: "evidence[].name",
                        problem: format!(
                            "{:?} is a path; a file record keeps the file's name only",
                            f.name
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// The longest file name a file record keeps, in characters.
const MAX_FILE_NAME_CHARS: usize = 255;

fn record_verification<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    check: u32,
    passed: bool,
    notes: &Option<String>,
    evidence: &[EvidenceRef],
) -> Result<(), DecisionError> {
    let nc = s.nc;
    let reference = s.reference;
    let plan = nc
        .current_plan()
        .ok_or(DecisionError::NoVerificationPlan { reference })?;
    let actor = &s.ctx.actor.id;
    if *actor != plan.verifier {
        return Err(DecisionError::NotTheVerifier {
            reference,
            actor: actor.clone(),
            verifier: plan.verifier.clone(),
        });
    }
    s.verifier_owns_no_action(actor)?;
    let dates = plan.schedule.check_dates()?;
    let checks = dates.len() as u32;
    let Some(due) = dates.get(check as usize).copied() else {
        return Err(DecisionError::NoSuchCheck {
            reference,
            check,
            checks,
        });
    };
    if nc.check_recorded(check) {
        return Err(DecisionError::CheckAlreadyRecorded { reference, check });
    }
    let next = nc.checks_recorded();
    if check != next {
        return Err(DecisionError::CheckOutOfOrder {
            reference,
            check,
            next,
        });
    }
    window_after_completion(s, &plan.schedule)?;
    let today = s.ctx.policy.local_date(s.ctx.at);
    // A pass needs the check's date; a failure (an ad-hoc failed test, a
    // recurrence seen inside the window) may be recorded before it, but not
    // before a watch window opens.
    if passed && today < due {
        return Err(DecisionError::CheckNotYetDue {
            reference,
            check,
            due,
            today,
        });
    }
    if let VerificationSchedule::WatchWindow { start, .. } = plan.schedule
        && today < start
    {
        return Err(DecisionError::WindowNotOpen {
            reference,
            start,
            today,
        });
    }
    check_opt_text("notes", notes.as_ref())?;
    check_evidence(evidence)?;
    if passed
        && evidence.is_empty()
        && s.ctx
            .policy
            .evidence_required_for_verification
            .contains(&nc.severity)
    {
        return Err(DecisionError::EvidenceRequired {
            reference,
            severity: nc.severity,
            what: format!("the passed check {check}"),
        });
    }
    em.emit(EventPayload::VerificationRecorded {
        attempt: nc.attempt,
        check,
        passed,
        notes: notes.clone(),
        evidence: evidence.to_vec(),
    });
    if !passed {
        em.emit(EventPayload::EffectivenessConcluded {
            attempt: nc.attempt,
            effective: false,
        });
    } else if check + 1 == checks {
        em.emit(EventPayload::EffectivenessConcluded {
            attempt: nc.attempt,
            effective: true,
        });
    }
    Ok(())
}

fn close<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    isms_changes: &[IsmsChange],
    notes: &Option<String>,
    risk_acceptance: Option<&RiskAcceptanceTerms>,
) -> Result<(), DecisionError> {
    let nc = s.nc;
    let reference = s.reference;
    if let Some(role) = &s.ctx.policy.closure_approver_role
        && !s.ctx.actor.has_role(role)
    {
        return Err(DecisionError::ApproverRoleMissing {
            reference,
            actor: s.ctx.actor.id.clone(),
            role: role.clone(),
        });
    }
    if s.ctx.policy.segregated_approvals && s.ctx.actor.id == nc.owner {
        return Err(DecisionError::ApprovalNotSegregated {
            subject: Subject::Nonconformity(reference),
            what: "the closure",
            actor: s.ctx.actor.id.clone(),
            conflict: "owns it",
        });
    }
    // Clause 10.2 d) and the table already make these hold; they are
    // checked again here because closure is the one step an auditor will
    // test, and a message that names the open action beats a bare "not
    // allowed".
    if let Some(a) = nc.actions.iter().find(|a| !a.status.is_finished()) {
        return Err(DecisionError::ActionStillOpen {
            reference,
            action: a.reference,
            due: a.due,
        });
    }
    if !verified_effective(nc) {
        return Err(DecisionError::NotVerifiedEffective { reference });
    }
    check_changes(isms_changes)?;
    check_opt_text("notes", notes.as_ref())?;
    if let Some(terms) = risk_acceptance {
        check_risk_acceptance(s, terms)?;
    }
    em.emit(EventPayload::NonconformityClosed {
        isms_changes: isms_changes.to_vec(),
        notes: notes.clone(),
        risk_acceptance: risk_acceptance.cloned(),
    });
    Ok(())
}

/// A risk acceptance (6.1.3, and point 2.3.3 of Implementing Regulation
/// (EU) 2024/2690): the actor holds the role the policy requires for it (if
/// it names one), the
/// residual risk is stated, and the review date lies after today and at
/// most [`MAX_RISK_REVIEW_DAYS`] ahead.
fn check_risk_acceptance<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    terms: &RiskAcceptanceTerms,
) -> Result<(), DecisionError> {
    let reference = s.reference;
    if let Some(role) = s.ctx.policy.risk_acceptance_role()
        && !s.ctx.actor.has_role(role)
    {
        return Err(DecisionError::RiskAcceptorRoleMissing {
            reference,
            actor: s.ctx.actor.id.clone(),
            role: role.clone(),
        });
    }
    check_text(
        "risk_acceptance.residual_risk",
        &terms.residual_risk,
        MAX_TEXT_CHARS,
    )?;
    let today = s.ctx.policy.local_date(s.ctx.at);
    let problem = if terms.review_by <= today {
        Some("is not after today: a review date lies ahead")
    } else if (terms.review_by - today).num_days() > MAX_RISK_REVIEW_DAYS {
        Some("is more than three years ahead: accept for a shorter time and review")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(DecisionError::BadRiskReview {
            reference,
            review_by: terms.review_by,
            today,
            problem,
        }),
        None => Ok(()),
    }
}

/// A change of links: something to change, each link's identifier usable,
/// every link removed present (once), every link added absent after the
/// removals (once).
fn change_links<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    add: &[ExternalLink],
    remove: &[ExternalLink],
) -> Result<(), DecisionError> {
    let reference = s.reference;
    if add.is_empty() && remove.is_empty() {
        return Err(DecisionError::NoLinkChange { reference });
    }
    check_links(add)?;
    let mut links = s.nc.links.clone();
    for link in remove {
        let Some(i) = links.iter().position(|l| l == link) else {
            return Err(DecisionError::LinkNotPresent {
                reference,
                link: link.to_string(),
            });
        };
        links.remove(i);
    }
    for link in add {
        if links.contains(link) {
            return Err(DecisionError::LinkAlreadyPresent {
                reference,
                link: link.to_string(),
            });
        }
        links.push(link.clone());
    }
    em.emit(EventPayload::LinksChanged {
        added: add.to_vec(),
        removed: remove.to_vec(),
    });
    Ok(())
}

fn link_recurrence<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    recurrence_of: NonconformityId,
) -> Result<(), DecisionError> {
    let reference = s.reference;
    let other = s.other(recurrence_of)?;
    if let Some(existing) = s.nc.recurrence_of.and_then(|e| s.register.nonconformity(e)) {
        return Err(DecisionError::AlreadyLinked {
            reference,
            other: existing.reference,
        });
    }
    if other.reference >= reference {
        return Err(DecisionError::BadRecurrence {
            reference,
            other: other.reference,
            problem: "it was reported later",
        });
    }
    if other.state == NcState::Rejected {
        return Err(DecisionError::BadRecurrence {
            reference,
            other: other.reference,
            problem: "it was rejected",
        });
    }
    em.emit(EventPayload::RecurrenceLinked { recurrence_of });
    Ok(())
}

/// A watch window starts no earlier than the day the attempt's last
/// corrective action was completed: watching for recurrence before the fix
/// is in place proves nothing.
fn window_after_completion<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    schedule: &VerificationSchedule,
) -> Result<(), DecisionError> {
    if let VerificationSchedule::WatchWindow { start, .. } = *schedule
        && let Some(completed) = s.nc.last_completion().map(|c| s.ctx.policy.local_date(c))
        && start < completed
    {
        return Err(DecisionError::WindowBeforeCompletion {
            reference: s.reference,
            start,
            completed,
        });
    }
    Ok(())
}

/// The current plan, when `actor` is its verifier and owns no action.
fn verifier_plan<'a, R: RegisterContext + ?Sized>(
    s: &'a Step<'_, '_, '_, R>,
) -> Result<&'a crate::model::VerificationPlan, DecisionError> {
    let reference = s.reference;
    let plan =
        s.nc.current_plan()
            .ok_or(DecisionError::NoVerificationPlan { reference })?;
    let actor = &s.ctx.actor.id;
    if *actor != plan.verifier {
        return Err(DecisionError::NotTheVerifier {
            reference,
            actor: actor.clone(),
            verifier: plan.verifier.clone(),
        });
    }
    s.verifier_owns_no_action(actor)?;
    Ok(plan)
}

fn record_recurrence<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    recurrence: NonconformityId,
) -> Result<(), DecisionError> {
    let reference = s.reference;
    let other = s.other(recurrence)?;
    if s.nc.recurrences.iter().any(|r| r.recurrence == recurrence) {
        return Err(DecisionError::RecurrenceAlreadyRecorded {
            reference,
            other: other.reference,
        });
    }
    if other.reference <= reference {
        return Err(DecisionError::BadRecurrence {
            reference: other.reference,
            other: reference,
            problem: "it was reported later",
        });
    }
    if other.state == NcState::Rejected {
        return Err(DecisionError::BadRecurrence {
            reference: other.reference,
            other: reference,
            problem: "the later one was rejected",
        });
    }
    em.emit(EventPayload::RecurrenceRecorded {
        recurrence,
        attempt: s.nc.attempt,
    });
    // Verification under way (or verified but not yet closed): the
    // recurrence is the verification's answer.
    if matches!(s.nc.state, NcState::Implemented | NcState::Effective) {
        em.emit(EventPayload::EffectivenessConcluded {
            attempt: s.nc.attempt,
            effective: false,
        });
    }
    Ok(())
}

fn record_missed_check<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    check: u32,
    reason: &str,
) -> Result<(), DecisionError> {
    let reference = s.reference;
    let plan = verifier_plan(s)?;
    let dates = plan.schedule.check_dates()?;
    let checks = dates.len() as u32;
    let Some(due) = dates.get(check as usize).copied() else {
        return Err(DecisionError::NoSuchCheck {
            reference,
            check,
            checks,
        });
    };
    if s.nc.check_recorded(check) {
        return Err(DecisionError::CheckAlreadyRecorded { reference, check });
    }
    let next = s.nc.checks_recorded();
    if check != next {
        return Err(DecisionError::CheckOutOfOrder {
            reference,
            check,
            next,
        });
    }
    if check + 1 == checks {
        return Err(DecisionError::LastCheckMissed { reference, check });
    }
    let today = s.ctx.policy.local_date(s.ctx.at);
    if today < due {
        return Err(DecisionError::CheckNotYetDue {
            reference,
            check,
            due,
            today,
        });
    }
    check_text("reason", reason, MAX_TEXT_CHARS)?;
    em.emit(EventPayload::VerificationMissed {
        attempt: s.nc.attempt,
        check,
        reason: reason.to_owned(),
    });
    Ok(())
}

fn end_verification<R: RegisterContext + ?Sized>(
    s: &Step<'_, '_, '_, R>,
    em: &mut Emitter<'_, '_>,
    reason: &str,
) -> Result<(), DecisionError> {
    let reference = s.reference;
    let plan = verifier_plan(s)?;
    let refuse = |problem| Err(DecisionError::CannotEndVerification { reference, problem });
    if !s.ctx.policy.early_end_allowed {
        return refuse("the policy does not allow ending a schedule early");
    }
    if !matches!(plan.schedule, VerificationSchedule::Recurring { .. }) {
        return refuse("only a recurring schedule can be ended early");
    }
    let checks = plan.schedule.check_dates()?.len() as u32;
    let recorded = s.nc.checks_recorded();
    if recorded >= checks {
        return refuse("every check is already recorded");
    }
    let last_completion = s.nc.last_completion();
    if !s
        .nc
        .current_results()
        .any(|r| r.passed && last_completion.is_none_or(|c| r.at >= c))
    {
        return refuse("no check has passed yet");
    }
    check_text("reason", reason, MAX_TEXT_CHARS)?;
    em.emit(EventPayload::VerificationEnded {
        attempt: s.nc.attempt,
        checks_recorded: recorded,
        reason: reason.to_owned(),
    });
    em.emit(EventPayload::EffectivenessConcluded {
        attempt: s.nc.attempt,
        effective: true,
    });
    Ok(())
}
