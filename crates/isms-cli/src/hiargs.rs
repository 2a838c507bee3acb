//! From parsed arguments to library values: the [`Command`] a writing
//! subcommand runs, with the item it targets and its `--at`. Parsing is
//! clap's (`cli.rs`); running, printing and exit codes are `commands.rs`'s;
//! this layer only resolves references (`NC-0007`, `A-2`) in the store,
//! parses the domain's words and dates, and builds the command (ripgrep's
//! split between low-level and high-level arguments).

use crate::backend::Store;
use isms_core::{
    ActionDecision, Command, ExternalLink, ImprovementId, NonconformityId, ProposeImprovement,
    RejectionReason, ReportNonconformity, RiskAcceptanceTerms, VerificationSchedule,
};

use crate::cli::{ImprovementCommand, NcCommand, RiskAcceptanceArgs};
use crate::commands::{actor_or, evidence};
use crate::error::CliError;
use crate::parse::{self, enum_value};
use crate::session::{self, Session};

/// A command ready to run: the command, the `--at` text, and the item.
pub type Built<Id> = (Command, Option<String>, Id);

/// The last due date `nc list` / `improvement list` select on the
/// organisation's date `today` (`Session::today`, in the policy's time
/// zone): `--overdue` is anything due before today, `--due-within N` is
/// anything due by today + N days; `None` without either.
pub fn due_by(
    filter: &crate::cli::ListFilter,
    today: chrono::NaiveDate,
) -> Result<Option<chrono::NaiveDate>, CliError> {
    if filter.overdue {
        return Ok(today.pred_opt());
    }
    match &filter.due_within {
        Some(text) => {
            let days = parse::window_days(text)?;
            Ok(today.checked_add_days(chrono::Days::new(u64::from(days))))
        }
        None => Ok(None),
    }
}

fn not_a_write() -> CliError {
    CliError::Other("a reading subcommand has no command to record".into())
}

/// A `--requirement` looked up in the catalogue: an unknown framework or
/// item is refused (exit 2) with the known frameworks or the nearest items
/// ("did you mean iso27001:2022/A.8.13?"); a known one is stored in the
/// catalogue's spelling, so that KPIs by requirement and the NIS2
/// projection count it under one name.
fn requirement(s: &Session, text: &str) -> Result<isms_core::RequirementRef, CliError> {
    let resolved = s
        .catalog()
        .resolve(text)
        .map_err(|e| CliError::Usage(format!("--requirement {text}: {e}")))?;
    let canonical = resolved.reference().to_string();
    canonical
        .parse()
        .map_err(|e| CliError::Usage(format!("--requirement {text} ({canonical}): {e}")))
}

/// The command a writing `isms nc ...` subcommand records.
pub fn nc_command(
    s: &Session,
    store: &Store,
    c: NcCommand,
) -> Result<Built<NonconformityId>, CliError> {
    Ok(match c {
        NcCommand::Report {
            title,
            description,
            source,
            severity,
            requirements,
            owner,
            detected_at,
            deadline,
            audit,
            when,
        } => {
            let at = s.at(when.at.as_deref())?;
            let id = session::new_nc_id(at);
            let audit = audit.as_deref().map(crate::audit::audit_id).transpose()?;
            let requirements = requirements
                .iter()
                .map(|r| requirement(s, r))
                .collect::<Result<_, _>>()?;
            let command = Command::ReportNonconformity(ReportNonconformity {
                audit,
                id,
                description: description.unwrap_or_else(|| title.clone()),
                title,
                source: enum_value("--source", &source)?,
                severity: enum_value("--severity", &severity)?,
                requirements,
                owner: actor_or(s, owner)?,
                detected_at: detected_at.as_deref().map_or(Ok(at), |t| {
                    parse::instant("--detected-at", t, s.policy()?.time_zone)
                })?,
                external_deadline: deadline
                    .as_deref()
                    .map(|d| parse::date("--deadline", d))
                    .transpose()?,
                links: Vec::new(),
                extensions: Default::default(),
            });
            (command, when.at, id)
        }
        NcCommand::Contain {
            target,
            action_taken,
            consequences,
            late_justification,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let command = Command::RecordContainment {
                nonconformity: id,
                action_taken,
                consequences,
                late_justification,
            };
            (command, when.at, id)
        }
        NcCommand::Analyse {
            target,
            method,
            causes,
            similar,
            similar_notes,
            no_action,
            approved_by,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let similar = similar
                .iter()
                .map(|t| session::resolve_nc(store, t))
                .collect::<Result<_, _>>()?;
            let decision = match no_action {
                Some(justification) => ActionDecision::NoActionRequired {
                    justification,
                    approved_by: actor_or(s, approved_by)?,
                },
                None => ActionDecision::ActionRequired,
            };
            let command = Command::AnalyseRootCause {
                nonconformity: id,
                method: enum_value("--method", &method)?,
                causes: causes
                    .iter()
                    .map(|c| parse::root_cause(c))
                    .collect::<Result<_, _>>()?,
                similar,
                similar_notes,
                decision,
            };
            (command, when.at, id)
        }
        NcCommand::Plan {
            target,
            description,
            owner,
            due,
            late_justification,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let at = s.at(when.at.as_deref())?;
            let command = Command::PlanAction {
                nonconformity: id,
                action: session::new_action_id(at),
                description,
                owner: actor_or(s, owner)?,
                due: parse::date("--due", &due)?,
                late_justification,
            };
            (command, when.at, id)
        }
        NcCommand::Start {
            target,
            action,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let action = session::resolve_action(store, id, &action)?;
            (
                Command::StartAction {
                    nonconformity: id,
                    action,
                },
                when.at,
                id,
            )
        }
        NcCommand::Reschedule {
            target,
            action,
            due,
            reason,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let action = session::resolve_action(store, id, &action)?;
            let command = Command::RescheduleAction {
                nonconformity: id,
                action,
                due: parse::date("--due", &due)?,
                reason,
            };
            (command, when.at, id)
        }
        NcCommand::Complete {
            target,
            action,
            evidence: ev,
            keep_evidence,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let action = session::resolve_action(store, id, &action)?;
            let command = Command::CompleteAction {
                nonconformity: id,
                action,
                evidence: evidence(s, ev, keep_evidence)?,
            };
            (command, when.at, id)
        }
        NcCommand::Cancel {
            target,
            action,
            reason,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let action = session::resolve_action(store, id, &action)?;
            let command = Command::CancelAction {
                nonconformity: id,
                action,
                reason,
            };
            (command, when.at, id)
        }
        NcCommand::VerifyPlan {
            target,
            method,
            criteria,
            verifier,
            once,
            every,
            first,
            count,
            until,
            watch,
            start,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let schedule = match (once, every, watch) {
                (Some(on), None, None) => VerificationSchedule::once(parse::date("--once", &on)?),
                (None, Some(every), None) => {
                    let every = parse::period("--every", &every)?;
                    let first = parse::date("--first", first.as_deref().unwrap_or_default())?;
                    match (count, until) {
                        (Some(n), None) => VerificationSchedule::recurring_count(first, every, n),
                        (None, Some(u)) => VerificationSchedule::recurring_until(
                            first,
                            every,
                            parse::date("--until", &u)?,
                        ),
                        _ => {
                            return Err(CliError::Usage(
                                "--every needs --count N or --until DATE".into(),
                            ));
                        }
                    }
                }
                (None, None, Some(length)) => VerificationSchedule::watch_window(
                    parse::date("--start", start.as_deref().unwrap_or_default())?,
                    parse::period("--watch", &length)?,
                ),
                _ => {
                    return Err(CliError::Usage(
                        "give one schedule: --once DATE, --every PERIOD --first DATE (--count N | --until DATE), or --watch PERIOD --start DATE".into(),
                    ));
                }
            };
            let command = Command::PlanVerification {
                nonconformity: id,
                method,
                criteria,
                schedule,
                verifier: actor_or(s, verifier)?,
            };
            (command, when.at, id)
        }
        NcCommand::Verify {
            target,
            check,
            passed,
            failed: _,
            notes,
            evidence: ev,
            keep_evidence,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let command = Command::RecordVerification {
                nonconformity: id,
                check,
                passed,
                notes,
                evidence: evidence(s, ev, keep_evidence)?,
            };
            (command, when.at, id)
        }
        NcCommand::Close {
            target,
            changes,
            notes,
            risk,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let command = Command::CloseNonconformity {
                risk_acceptance: risk_terms(risk)?,
                nonconformity: id,
                isms_changes: changes
                    .iter()
                    .map(|c| parse::isms_change(c))
                    .collect::<Result<_, _>>()?,
                notes,
            };
            (command, when.at, id)
        }
        NcCommand::Reject {
            target,
            duplicate_of,
            explanation,
            risk,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let reason = match duplicate_of {
                Some(other) => RejectionReason::Duplicate {
                    of: session::resolve_nc(store, &other)?,
                },
                None => RejectionReason::NotANonconformity,
            };
            let command = Command::RejectNonconformity {
                risk_acceptance: risk_terms(risk)?,
                nonconformity: id,
                reason,
                explanation,
            };
            (command, when.at, id)
        }
        NcCommand::Links {
            target,
            add,
            remove,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let links = |flag: &str, texts: Vec<String>| {
                texts
                    .iter()
                    .map(|t| {
                        ExternalLink::parse(t).map_err(|e| CliError::Usage(format!("{flag}: {e}")))
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            let command = Command::ChangeNonconformityLinks {
                nonconformity: id,
                add: links("--add", add)?,
                remove: links("--remove", remove)?,
            };
            (command, when.at, id)
        }
        NcCommand::MissCheck {
            target,
            check,
            reason,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let command = Command::RecordMissedCheck {
                nonconformity: id,
                check,
                reason,
            };
            (command, when.at, id)
        }
        NcCommand::EndVerification {
            target,
            reason,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let command = Command::EndVerification {
                nonconformity: id,
                reason,
            };
            (command, when.at, id)
        }
        NcCommand::LinkRecurrence { target, of, when } => {
            let id = session::resolve_nc(store, &target.item)?;
            let command = Command::LinkRecurrence {
                nonconformity: id,
                recurrence_of: session::resolve_nc(store, &of)?,
            };
            (command, when.at, id)
        }
        NcCommand::Extensions {
            target,
            change,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let current = session::load_nonconformity(store, id)?.extensions;
            let (set, remove) = crate::extensions::change(&change, &current)?;
            let command = Command::ChangeNonconformityExtensions {
                nonconformity: id,
                set,
                remove,
            };
            (command, when.at, id)
        }
        NcCommand::Incident {
            target,
            aware_at,
            significant,
            not_significant,
            regime,
            requests,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let current = session::load_nonconformity(store, id)?.incident_reporting;
            let zone = s.policy()?.time_zone;
            let at = s.at(when.at.as_deref())?;
            let regime = match (regime, &current) {
                (Some(path), _) => crate::reporting::regime_file(&path)?,
                (None, Some(c)) => c.regime.clone(),
                (None, None) => isms_core::ClockRegime::nis2(),
            };
            let aware_at = match (aware_at, &current) {
                (Some(t), _) => parse::instant("--aware-at", &t, zone)?,
                (None, Some(c)) => c.aware_at,
                (None, None) => {
                    return Err(CliError::Usage(
                        "--aware-at is required the first time: when did the organisation become aware of the incident?".into(),
                    ));
                }
            };
            let significant = match (significant, not_significant, &current) {
                (true, _, _) => true,
                (_, true, _) => false,
                (false, false, Some(c)) => c.significant,
                (false, false, None) => {
                    return Err(CliError::Usage(
                        "say --significant or --not-significant the first time (NIS2 Article 23(3))".into(),
                    ));
                }
            };
            let mut all = current.map(|c| c.requests).unwrap_or_default();
            for r in &requests {
                all.push(crate::reporting::request(r, at, zone)?);
            }
            let command = Command::RecordIncidentReporting {
                nonconformity: id,
                regime,
                aware_at,
                significant,
                requests: all,
            };
            (command, when.at, id)
        }
        NcCommand::ReportSent {
            target,
            kind,
            recipient,
            sent_at,
            reference,
            when,
        } => {
            let id = session::resolve_nc(store, &target.item)?;
            let submitted_at = match sent_at {
                Some(t) => parse::instant("--sent-at", &t, s.policy()?.time_zone)?,
                None => s.at(when.at.as_deref())?,
            };
            let command = Command::RecordReportSubmission {
                nonconformity: id,
                kind,
                recipient,
                submitted_at,
                reference,
            };
            (command, when.at, id)
        }
        NcCommand::List { .. } | NcCommand::Show { .. } => return Err(not_a_write()),
    })
}

/// The command a writing `isms improvement ...` subcommand records.
pub fn improvement_command(
    s: &Session,
    store: &Store,
    c: ImprovementCommand,
) -> Result<Built<ImprovementId>, CliError> {
    Ok(match c {
        ImprovementCommand::Propose {
            title,
            description,
            benefit,
            priority,
            source,
            nc,
            owner,
            due,
            audit,
            when,
        } => {
            let at = s.at(when.at.as_deref())?;
            let id = session::new_improvement_id(at);
            let audit = audit.as_deref().map(crate::audit::audit_id).transpose()?;
            let nonconformity = nc
                .as_deref()
                .map(|t| session::resolve_nc(store, t))
                .transpose()?;
            let command = Command::ProposeImprovement(ProposeImprovement {
                audit,
                id,
                source: enum_value("--source", &source)?,
                nonconformity,
                description: description.unwrap_or_else(|| title.clone()),
                title,
                expected_benefit: benefit,
                priority: enum_value("--priority", &priority)?,
                owner: actor_or(s, owner)?,
                due: due
                    .as_deref()
                    .map(|d| parse::date("--due", d))
                    .transpose()?,
                links: Vec::new(),
                extensions: Default::default(),
            });
            (command, when.at, id)
        }
        ImprovementCommand::Approve { target, when } => {
            let id = session::resolve_improvement(store, &target.item)?;
            (Command::ApproveImprovement { improvement: id }, when.at, id)
        }
        ImprovementCommand::Start { target, when } => {
            let id = session::resolve_improvement(store, &target.item)?;
            (Command::StartImprovement { improvement: id }, when.at, id)
        }
        ImprovementCommand::Realise {
            target,
            changes,
            effect,
            when,
        } => {
            let id = session::resolve_improvement(store, &target.item)?;
            let command = Command::RealiseImprovement {
                improvement: id,
                isms_changes: changes
                    .iter()
                    .map(|c| parse::isms_change(c))
                    .collect::<Result<_, _>>()?,
                measured_effect: effect,
            };
            (command, when.at, id)
        }
        ImprovementCommand::Reject {
            target,
            reason,
            when,
        } => {
            let id = session::resolve_improvement(store, &target.item)?;
            (
                Command::RejectImprovement {
                    improvement: id,
                    reason,
                },
                when.at,
                id,
            )
        }
        ImprovementCommand::Effect {
            target,
            measured,
            when,
        } => {
            let id = session::resolve_improvement(store, &target.item)?;
            (
                Command::RecordImprovementEffect {
                    improvement: id,
                    measured_effect: measured,
                },
                when.at,
                id,
            )
        }
        ImprovementCommand::Extensions {
            target,
            change,
            when,
        } => {
            let id = session::resolve_improvement(store, &target.item)?;
            let current = session::load_improvement(store, id)?.extensions;
            let (set, remove) = crate::extensions::change(&change, &current)?;
            let command = Command::ChangeImprovementExtensions {
                improvement: id,
                set,
                remove,
            };
            (command, when.at, id)
        }
        ImprovementCommand::List { .. } | ImprovementCommand::Show { .. } => {
            return Err(not_a_write());
        }
    })
}

/// The terms of `--accept-risk` and `--review-by`, when given (clap makes
/// each require the other).
fn risk_terms(risk: RiskAcceptanceArgs) -> Result<Option<RiskAcceptanceTerms>, CliError> {
    match (risk.accept_risk, risk.review_by) {
        (Some(residual_risk), Some(review_by)) => Ok(Some(RiskAcceptanceTerms::new(
            residual_risk,
            parse::date("--review-by", &review_by)?,
        ))),
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};
    use isms_core::Policy;

    fn filter(overdue: bool, due_within: Option<&str>) -> crate::cli::ListFilter {
        crate::cli::ListFilter {
            owner: None,
            overdue,
            due_within: due_within.map(str::to_owned),
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// `--overdue` and `--due-within` count from the organisation's date,
    /// which differs from UTC's across the date line and moves with DST.
    #[test]
    fn list_filters_count_from_the_local_date() {
        let in_zone = |zone: &str| Policy {
            time_zone: zone.parse().unwrap(),
            ..Policy::default()
        };
        // The session's date at `at` under a policy in `zone`.
        let today = |zone: &str, at| {
            let mut s = Session::new(None, None).unwrap();
            s.now = at;
            s.today(&in_zone(zone))
        };
        // 22:30 UTC on 1 March 2026 is 11:30 on 2 March in Auckland (+13).
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 22, 30, 0).unwrap();
        let akl = today("Pacific/Auckland", at);
        assert_eq!(
            due_by(&filter(true, None), akl).unwrap(),
            Some(day(2026, 3, 1))
        );
        assert_eq!(
            due_by(&filter(false, Some("7d")), akl).unwrap(),
            Some(day(2026, 3, 9))
        );
        assert_eq!(
            due_by(&filter(true, None), today("UTC", at)).unwrap(),
            Some(day(2026, 2, 28))
        );
        // 06:30 UTC on 9 March is 23:30 on 8 March in Los Angeles (PDT, -7,
        // since 10:00 UTC on 8 March): still the 8th there.
        let at = Utc.with_ymd_and_hms(2026, 3, 9, 6, 30, 0).unwrap();
        let la = today("America/Los_Angeles", at);
        assert_eq!(
            due_by(&filter(true, None), la).unwrap(),
            Some(day(2026, 3, 7))
        );
        assert_eq!(due_by(&filter(false, None), la).unwrap(), None);
        assert!(due_by(&filter(false, Some("soon")), la).is_err());
    }
}
