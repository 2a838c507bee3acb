//! Decisions on an improvement opportunity (10.1).

use crate::command::{Command, CommandTarget, ProposeImprovement};
use crate::context::{Context, RegisterContext};
use crate::decide::{
    Decision, Emitter, MAX_ITEMS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, check_changes, check_extensions,
    check_links, check_opt_text, check_text, next_number,
};
use crate::error::{DecisionError, Subject};
use crate::event::{EventPayload, StreamId};
use crate::ids::{ImprovementRef, RefKind};
use crate::model::Improvement;
use crate::workflow::{ImprovementCommandKind, improvement_commands_allowed, improvement_rule};

/// A command on an improvement that does not exist yet: only a proposal.
pub(super) fn decide_new(
    command: &Command,
    register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    match (command, command.target()) {
        (Command::ProposeImprovement(p), _) => propose(p, register, ctx),
        (_, CommandTarget::Improvement(id, _)) => {
            Err(DecisionError::UnknownImprovement { id: id.to_string() })
        }
        (_, CommandTarget::Nonconformity(id, _)) => {
            Err(DecisionError::UnknownNonconformity { id: id.to_string() })
        }
    }
}

fn propose(
    p: &ProposeImprovement,
    register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let number = next_number(register.last_number(RefKind::Improvement))?;
    let reference =
        ImprovementRef::new(number).map_err(|_| DecisionError::RegisterFull { max: MAX_ITEMS })?;
    check_text("title", &p.title, MAX_TITLE_CHARS)?;
    check_text("description", &p.description, MAX_TEXT_CHARS)?;
    check_text("expected_benefit", &p.expected_benefit, MAX_TEXT_CHARS)?;
    if let Some(nc) = p.nonconformity
        && register.nonconformity(nc).is_none()
    {
        return Err(DecisionError::UnknownNonconformity { id: nc.to_string() });
    }
    check_links(&p.links)?;
    check_extensions(&p.extensions)?;
    crate::decide::check_audit(register, p.audit.as_ref())?;
    let mut em = Emitter::new(ctx, StreamId::Improvement(p.id), 0);
    em.emit(EventPayload::ImprovementProposed {
        reference,
        source: p.source,
        nonconformity: p.nonconformity,
        title: p.title.clone(),
        description: p.description.clone(),
        expected_benefit: p.expected_benefit.clone(),
        priority: p.priority,
        owner: p.owner.clone(),
        due: p.due,
        links: p.links.clone(),
        extensions: p.extensions.clone(),
        audit: p.audit.clone(),
    });
    Ok(em.finish())
}

pub(super) fn decide(
    imp: &Improvement,
    command: &Command,
    _register: &(impl RegisterContext + ?Sized),
    ctx: &Context<'_>,
) -> Result<Decision, DecisionError> {
    let CommandTarget::Improvement(_, kind) = command.target() else {
        return Err(DecisionError::WrongItem {
            expected: "an improvement command".into(),
            given: "a nonconformity command".into(),
        });
    };
    if kind == ImprovementCommandKind::Propose {
        return Err(DecisionError::DuplicateId {
            id: imp.id.to_string(),
        });
    }
    if improvement_rule(Some(imp.state), kind).is_none() {
        return Err(DecisionError::ImprovementTransitionNotAllowed {
            reference: imp.reference,
            state: imp.state,
            command: kind,
            allowed: improvement_commands_allowed(imp.state),
        });
    }
    if ctx.at < imp.last_event_at {
        return Err(DecisionError::TimeWentBackwards {
            subject: Subject::Improvement(imp.reference),
            at: ctx.at,
            last: imp.last_event_at,
        });
    }
    let mut em = Emitter::new(ctx, StreamId::Improvement(imp.id), imp.version);
    match command {
        Command::ApproveImprovement { .. } => {
            if ctx.policy.segregated_approvals {
                let conflict = if ctx.actor.id == imp.proposed_by {
                    Some("proposed it")
                } else if ctx.actor.id == imp.owner {
                    Some("owns it")
                } else {
                    None
                };
                if let Some(conflict) = conflict {
                    return Err(DecisionError::ApprovalNotSegregated {
                        subject: Subject::Improvement(imp.reference),
                        what: "the improvement",
                        actor: ctx.actor.id.clone(),
                        conflict,
                    });
                }
            }
            em.emit(EventPayload::ImprovementApproved {});
        }
        Command::StartImprovement { .. } => em.emit(EventPayload::ImprovementStarted {}),
        Command::RealiseImprovement {
            isms_changes,
            measured_effect,
            ..
        } => {
            check_changes(isms_changes)?;
            check_opt_text("measured_effect", measured_effect.as_ref())?;
            em.emit(EventPayload::ImprovementRealised {
                isms_changes: isms_changes.clone(),
                measured_effect: measured_effect.clone(),
            });
        }
        Command::RejectImprovement { reason, .. } => {
            check_text("reason", reason, MAX_TEXT_CHARS)?;
            em.emit(EventPayload::ImprovementRejected {
                reason: reason.clone(),
            });
        }
        Command::RecordImprovementEffect {
            measured_effect, ..
        } => {
            check_text("measured_effect", measured_effect, MAX_TEXT_CHARS)?;
            em.emit(EventPayload::ImprovementEffectRecorded {
                measured_effect: measured_effect.clone(),
            });
        }
        Command::ChangeImprovementExtensions { set, remove, .. } => {
            crate::decide::change_extensions(
                &mut em,
                Subject::Improvement(imp.reference),
                set,
                remove,
            )?;
        }
        // Proposals are refused above as duplicates; nonconformity
        // commands never target an improvement (`Command::target`).
        _ => {}
    }
    Ok(em.finish())
}
