//! Risk links and risk acceptance (issue 19, part 3): a closure or rejection
//! may accept the residual risk, only by an actor holding the role the
//! policy names for it; links are added and removed with their own rules;
//! `accepted_risks` lists every acceptance with its review date.

use chrono::{Duration, NaiveDate};
use isms_core::testkit::strategies;
use isms_core::*;
use proptest::prelude::*;

use crate::support::{Desk, actor, at, day};

fn role(name: &str) -> Role {
    Role::new(name).unwrap()
}

fn terms(review_by: NaiveDate) -> RiskAcceptanceTerms {
    RiskAcceptanceTerms::new(
        "The legacy file server keeps weekly backups until its retirement in 2027",
        review_by,
    )
}

/// A desk whose one minor nonconformity is verified effective on
/// 2026-06-30, owned by `ops-lead`; `policy` is in force.
fn effective(policy: Policy) -> (Desk, NonconformityId) {
    let mut desk = Desk::new(at(2026, 3, 2));
    desk.policy = policy;
    let ops = actor("ops-lead");
    let nc = desk.report(
        &ops,
        "Restore of the file server never tested",
        Source::InternalAudit,
        Severity::Minor,
        &["iso27001:2022/A.8.13"],
    );
    desk.advance(Duration::days(1));
    desk.analyse(
        &ops,
        nc,
        RootCauseCategory::Process,
        "No restore test in the procedure",
    );
    let a = desk.plan(&ops, nc, "Add a restore test", "ops-lead", day(2026, 3, 31));
    desk.advance(Duration::days(10));
    desk.complete(&ops, nc, a);
    desk.plan_verification(
        &ops,
        nc,
        VerificationSchedule::once(day(2026, 6, 30)),
        "internal-audit",
    );
    desk.now = at(2026, 6, 30);
    desk.verify(&actor("internal-audit"), nc, 0, true);
    assert_eq!(desk.nc(nc).state, NcState::Effective);
    (desk, nc)
}

fn close_accepting(nc: NonconformityId, review_by: NaiveDate) -> Command {
    Command::close(nc).with_risk_acceptance(terms(review_by))
}

fn risk_policy() -> Policy {
    Policy {
        risk_acceptor_role: Some(role("risk_owner")),
        ..Policy::default()
    }
}

#[test]
fn a_policy_without_a_role_for_it_requires_none_as_for_a_closure() {
    let (mut desk, nc) = effective(Policy::default());
    desk.run(&actor("maria"), close_accepting(nc, day(2027, 3, 31)));
    let acceptance = desk.nc(nc).risk_acceptance.clone().unwrap();
    assert_eq!(acceptance.accepted_by, actor("maria").id);
    desk.check();
}

#[test]
fn only_the_risk_acceptor_role_closes_with_an_accepted_risk() {
    let (mut desk, nc) = effective(risk_policy());
    let manager = actor("maria");
    let err = desk
        .try_run(&manager, close_accepting(nc, day(2027, 3, 31)))
        .unwrap_err();
    assert_eq!(
        err,
        DecisionError::RiskAcceptorRoleMissing {
            reference: desk.nc(nc).reference,
            actor: manager.id.clone(),
            role: role("risk_owner"),
        }
    );
    assert_eq!(desk.nc(nc).state, NcState::Effective);

    let ciso = actor("ciso").with_role(role("risk_owner"));
    let decision = desk.run(&ciso, close_accepting(nc, day(2027, 3, 31)));
    assert_eq!(decision.events[0].roles, vec![role("risk_owner")]);
    let item = desk.nc(nc);
    assert_eq!(item.state, NcState::Closed);
    assert_eq!(
        item.risk_acceptance,
        Some(RiskAcceptance {
            residual_risk: terms(day(2027, 3, 31)).residual_risk,
            review_by: day(2027, 3, 31),
            decision: RiskDecision::Closure,
            accepted_by: ciso.id.clone(),
            at: at(2026, 6, 30),
        })
    );
    desk.check();
}

#[test]
fn without_a_risk_acceptor_role_the_closure_approver_accepts() {
    let policy = Policy {
        closure_approver_role: Some(role("isms_manager")),
        ..Policy::default()
    };
    let (mut desk, nc) = effective(policy);
    let err = desk
        .try_run(
            &actor("ciso").with_role(role("risk_owner")),
            close_accepting(nc, day(2027, 1, 1)),
        )
        .unwrap_err();
    // The closure approver check comes first and names its own role.
    assert_eq!(err.code(), "approver_role_missing");
    desk.run(
        &actor("maria").with_role(role("isms_manager")),
        close_accepting(nc, day(2027, 1, 1)),
    );
    assert_eq!(desk.nc(nc).state, NcState::Closed);
}

#[test]
fn a_review_date_lies_after_today_and_within_three_years() {
    let (mut desk, nc) = effective(risk_policy());
    let ciso = actor("ciso").with_role(role("risk_owner"));
    for (review_by, words) in [
        (day(2026, 6, 30), "is not after today"),
        (day(2026, 1, 1), "is not after today"),
        (day(2029, 7, 4), "more than three years"),
    ] {
        let err = desk
            .try_run(&ciso, close_accepting(nc, review_by))
            .unwrap_err();
        assert_eq!(err.code(), "bad_risk_review", "{review_by}");
        assert!(err.to_string().contains(words), "{err}");
    }
    // 2026-06-30 plus 1098 days is the last day allowed.
    desk.run(&ciso, close_accepting(nc, day(2029, 7, 2)));
    desk.check();
}

#[test]
fn the_residual_risk_is_stated() {
    let (mut desk, nc) = effective(risk_policy());
    let ciso = actor("ciso").with_role(role("risk_owner"));
    let blank = Command::close(nc)
        .with_risk_acceptance(RiskAcceptanceTerms::new("  \u{200b} ", day(2027, 1, 1)));
    let err = desk.try_run(&ciso, blank).unwrap_err();
    assert_eq!(err.code(), "bad_text");
    assert!(err.to_string().contains("risk_acceptance.residual_risk"));
}

#[test]
fn a_rejection_accepts_a_risk_with_the_role() {
    let mut desk = Desk::new(at(2026, 3, 2));
    desk.policy = risk_policy();
    let ops = actor("ops-lead");
    let nc = desk.report(
        &ops,
        "Guest Wi-Fi reaches the printer network",
        Source::SelfIdentified,
        Severity::Minor,
        &[],
    );
    let reject = Command::reject(
        nc,
        RejectionReason::NotANonconformity,
        "The segmentation requirement excludes the print room",
    )
    .with_risk_acceptance(terms(day(2026, 9, 1)));
    assert_eq!(
        desk.try_run(&ops, reject.clone()).unwrap_err().code(),
        "risk_acceptor_role_missing"
    );
    desk.run(&ops.clone().with_role(role("risk_owner")), reject);
    let item = desk.nc(nc);
    assert_eq!(item.state, NcState::Rejected);
    let acceptance = item.risk_acceptance.as_ref().unwrap();
    assert_eq!(acceptance.decision, RiskDecision::Rejection);
    assert_eq!(acceptance.accepted_by, ops.id);
    desk.check();
}

#[test]
fn accepted_risks_lists_each_acceptance_soonest_review_first() {
    let mut desk = Desk::new(at(2026, 3, 2));
    desk.policy = risk_policy();
    let owner = actor("ciso").with_role(role("risk_owner"));
    let mut ids = Vec::new();
    for (title, review_by) in [
        ("Printer VLAN", Some(day(2026, 12, 31))),
        ("Legacy FTP", Some(day(2026, 4, 30))),
        ("No acceptance", None),
    ] {
        let nc = desk.report(&owner, title, Source::SelfIdentified, Severity::Minor, &[]);
        if title == "Legacy FTP" {
            desk.run(
                &owner,
                Command::change_links(
                    nc,
                    vec![
                        ExternalLink::new(LinkKind::Risk, "RISK-0042"),
                        ExternalLink::new(LinkKind::Asset, "ftp01"),
                    ],
                    vec![],
                ),
            );
        }
        let mut reject = Command::reject(nc, RejectionReason::NotANonconformity, "out of scope");
        if let Some(review_by) = review_by {
            reject = reject.with_risk_acceptance(terms(review_by));
        }
        desk.run(&owner, reject);
        ids.push(nc);
    }
    let risks = accepted_risks(desk.register.nonconformities());
    let refs: Vec<String> = risks.iter().map(|r| r.reference.to_string()).collect();
    assert_eq!(refs, ["NC-0002", "NC-0001"]);
    assert_eq!(risks[0].risks, ["RISK-0042"]);
    assert_eq!(risks[0].title, "Legacy FTP");
    assert!(risks[1].risks.is_empty());
    // Due on its date, overdue the day after.
    assert!(!risks[0].review_due(day(2026, 4, 29)));
    assert!(risks[0].review_due(day(2026, 4, 30)));
    assert!(!risks[0].review_overdue(day(2026, 4, 30)));
    assert!(risks[0].review_overdue(day(2026, 5, 1)));
    let due_in_june: Vec<_> = risks
        .iter()
        .filter(|r| r.review_due(day(2026, 6, 1)))
        .map(|r| r.nonconformity)
        .collect();
    assert_eq!(due_in_june, [ids[1]]);
}

#[test]
fn an_accepted_risk_is_due_for_review_from_its_acceptor_in_the_due_list() {
    let (mut desk, nc) = effective(risk_policy());
    desk.run(
        &actor("ops-lead"),
        Command::change_links(
            nc,
            vec![ExternalLink::new(LinkKind::Risk, "RISK-0007")],
            vec![],
        ),
    );
    let ciso = actor("ciso").with_role(role("risk_owner"));
    desk.run(&ciso, close_accepting(nc, day(2027, 3, 31)));
    let due = |as_of, owner: Option<&str>, overdue_only| {
        let mut query = DueQuery::new(as_of);
        query.owner = owner.map(|o| ActorId::new(o).unwrap());
        query.overdue_only = overdue_only;
        let mut list = DueList::new(query, &desk.policy);
        for n in desk.register.nonconformities() {
            list.push(ItemRef::Nonconformity(n));
        }
        list.finish()
    };
    // The item is closed; its accepted risk is what stays due.
    let entries = due(at(2027, 3, 31), None, false);
    assert_eq!(entries.len(), 1, "{entries:?}");
    let e = &entries[0];
    assert_eq!(e.kind, DueKind::RiskReview);
    assert_eq!(e.kind.as_str(), "risk_review");
    assert_eq!(e.uid, format!("nonconformity/{nc}/risk-review"));
    assert_eq!(e.owner, ciso.id);
    assert_eq!(e.due, DueAt::Date(day(2027, 3, 31)));
    assert!(e.subject.contains("RISK-0007"), "{}", e.subject);
    // Due on its date (UTC policy), overdue from the next day on.
    assert!(!e.overdue);
    assert!(due(at(2027, 4, 1), None, false)[0].overdue);
    assert_eq!(due(at(2027, 4, 1), None, true).len(), 1);
    assert!(due(at(2027, 3, 31), None, true).is_empty());
    // Filtered by owner like any entry.
    assert_eq!(due(at(2027, 4, 1), Some("ciso"), false).len(), 1);
    assert!(due(at(2027, 4, 1), Some("ops-lead"), false).is_empty());
}

#[test]
fn links_are_added_and_removed_with_typed_refusals() {
    let mut desk = Desk::new(at(2026, 3, 2));
    let ops = actor("ops-lead");
    let nc = desk.report(
        &ops,
        "Stale admin accounts",
        Source::Monitoring,
        Severity::Minor,
        &[],
    );
    let reference = desk.nc(nc).reference;
    let risk = ExternalLink::new(LinkKind::Risk, "RISK-7");
    let incident = ExternalLink::new(LinkKind::Incident, "INC-12");

    let err = desk
        .try_run(&ops, Command::change_links(nc, vec![], vec![]))
        .unwrap_err();
    assert_eq!(err, DecisionError::NoLinkChange { reference });

    desk.run(
        &ops,
        Command::change_links(nc, vec![risk.clone(), incident.clone()], vec![]),
    );
    assert_eq!(desk.nc(nc).links, [risk.clone(), incident.clone()]);

    let err = desk
        .try_run(&ops, Command::change_links(nc, vec![risk.clone()], vec![]))
        .unwrap_err();
    assert_eq!(
        err,
        DecisionError::LinkAlreadyPresent {
            reference,
            link: "risk:RISK-7".into()
        }
    );
    let other = ExternalLink::new(LinkKind::Risk, "RISK-8");
    let err = desk
        .try_run(&ops, Command::change_links(nc, vec![], vec![other.clone()]))
        .unwrap_err();
    assert_eq!(err.code(), "link_not_present");
    assert!(err.to_string().contains("risk:RISK-8"), "{err}");
    // The same link twice in one list is refused too.
    let err = desk
        .try_run(
            &ops,
            Command::change_links(nc, vec![other.clone(), other.clone()], vec![]),
        )
        .unwrap_err();
    assert_eq!(err.code(), "link_already_present");
    let err = desk
        .try_run(
            &ops,
            Command::change_links(
                nc,
                vec![ExternalLink::new(LinkKind::Risk, "\u{202e}x")],
                vec![],
            ),
        )
        .unwrap_err();
    assert_eq!(err.code(), "bad_text");

    // Remove first, then add: a link can be replaced in one change.
    desk.run(
        &ops,
        Command::change_links(nc, vec![other.clone()], vec![risk.clone()]),
    );
    assert_eq!(desk.nc(nc).links, [incident.clone(), other.clone()]);
    // Removing and adding the same link in one change moves it to the end.
    desk.run(
        &ops,
        Command::change_links(nc, vec![incident.clone()], vec![incident.clone()]),
    );
    assert_eq!(desk.nc(nc).links, [other.clone(), incident.clone()]);
    desk.check();

    // A terminal item's links are kept as they were.
    desk.run(
        &ops,
        Command::reject(nc, RejectionReason::NotANonconformity, "test data"),
    );
    let err = desk
        .try_run(&ops, Command::change_links(nc, vec![], vec![incident]))
        .unwrap_err();
    assert_eq!(err.code(), "transition_not_allowed");
}

#[test]
fn a_link_reads_and_prints_as_kind_colon_id() {
    let l = ExternalLink::parse(" Risk : RISK-0042 ").unwrap();
    assert_eq!(l, ExternalLink::new(LinkKind::Risk, "RISK-0042"));
    assert_eq!(l.to_string(), "risk:RISK-0042");
    for bad in ["RISK-0042", "threat:T-1", "risk:", "risk:  "] {
        assert!(ExternalLink::parse(bad).is_err(), "{bad}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any change of links on an item with any links: accepted exactly when
    /// it names something, every removal is present and every addition
    /// absent (after the removals); the links are then the old ones minus
    /// the removed plus the added, and a refusal changes nothing.
    #[test]
    fn link_changes_follow_the_set_rules(
        start in proptest::collection::vec(strategies::external_link(), 0..4),
        add in proptest::collection::vec(strategies::external_link(), 0..3),
        remove_pick in proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        remove_other in proptest::collection::vec(strategies::external_link(), 0..2),
    ) {
        let mut start = start;
        start.dedup();
        let mut uniq = Vec::new();
        for l in start { if !uniq.contains(&l) { uniq.push(l); } }
        let mut desk = Desk::new(at(2026, 3, 2));
        let ops = actor("ops-lead");
        let nc = desk.report(&ops, "Finding", Source::Monitoring, Severity::Minor, &[]);
        if !uniq.is_empty() {
            desk.run(&ops, Command::change_links(nc, uniq.clone(), vec![]));
        }
        let mut remove: Vec<ExternalLink> = if uniq.is_empty() {
            vec![]
        } else {
            remove_pick.iter().map(|i| i.get(&uniq).clone()).collect()
        };
        remove.extend(remove_other);
        let mut expected = uniq.clone();
        let mut ok = !(add.is_empty() && remove.is_empty());
        for l in &remove {
            match expected.iter().position(|x| x == l) {
                Some(i) => { expected.remove(i); }
                None => ok = false,
            }
        }
        for l in &add {
            if expected.contains(l) { ok = false; }
            expected.push(l.clone());
        }
        let result = desk.try_run(&ops, Command::change_links(nc, add, remove));
        prop_assert_eq!(result.is_ok(), ok, "{:?}", result);
        if ok {
            prop_assert_eq!(&desk.nc(nc).links, &expected);
        } else {
            prop_assert_eq!(&desk.nc(nc).links, &uniq);
        }
        desk.check();
    }

    /// A closure accepting a risk goes through exactly when the actor holds
    /// the role the policy requires and the review date is within range;
    /// accepted, the item records it and `accepted_risks` lists it.
    #[test]
    fn risk_acceptance_needs_the_role_and_a_review_date_ahead(
        acceptor_role in any::<bool>(),
        approver_role in any::<bool>(),
        holds in proptest::collection::vec(any::<bool>(), 2),
        offset in -5i64..1_200,
    ) {
        let policy = Policy {
            risk_acceptor_role: acceptor_role.then(|| role("risk_owner")),
            closure_approver_role: approver_role.then(|| role("isms_manager")),
            ..Policy::default()
        };
        let (mut desk, nc) = effective(policy.clone());
        let mut who = actor("ciso");
        if holds[0] { who = who.with_role(role("risk_owner")); }
        if holds[1] { who = who.with_role(role("isms_manager")); }
        let review_by = day(2026, 6, 30) + Duration::days(offset);
        let result = desk.try_run(&who, close_accepting(nc, review_by));
        let approver_ok = !approver_role || holds[1];
        let acceptor_ok = match (acceptor_role, approver_role) {
            (true, _) => holds[0],
            (false, true) => holds[1],
            (false, false) => true,
        };
        let date_ok = (1..=MAX_RISK_REVIEW_DAYS).contains(&offset);
        prop_assert_eq!(result.is_ok(), approver_ok && acceptor_ok && date_ok, "{:?}", result);
        let listed = accepted_risks(desk.register.nonconformities());
        if result.is_ok() {
            prop_assert_eq!(listed.len(), 1);
            prop_assert_eq!(listed[0].acceptance.review_by, review_by);
            prop_assert_eq!(&listed[0].acceptance.accepted_by, &who.id);
        } else {
            prop_assert!(listed.is_empty());
            prop_assert_eq!(desk.nc(nc).state, NcState::Effective);
        }
        desk.check();
    }
}
