//! Audits and management reviews as named sources (issue 19, part 4): an
//! audit is recorded once in the register's audit stream, findings name
//! only audits the register holds (through the register context, so that
//! item-level decisions agree with whole-register ones), and the register
//! document replays audits like every other event.

use chrono::NaiveDate;
use isms_core::replay::{LogError, LogPlace, ReplayError, Replayer, replay_log};
use isms_core::*;
use proptest::prelude::*;

use crate::support::{actor, at, id};

fn audit_id(s: &str) -> AuditId {
    s.parse().unwrap()
}

fn record(name: &str) -> RecordAudit {
    RecordAudit::new(
        audit_id(name),
        AuditKind::InternalAudit,
        "Backup and restore, data centre 1",
        NaiveDate::from_ymd_opt(2026, 4, 14).unwrap(),
        id("internal-audit"),
    )
}

fn nc(n: u128) -> NonconformityId {
    NonconformityId::from_uuid(uuid::Uuid::from_u128(
        0x0190_0000_0000_7000_8000_0000_0000_0000 | n,
    ))
}

fn report(n: u128, audit: Option<&str>) -> Command {
    let mut r = ReportNonconformity::new(
        nc(n),
        "Restore never tested",
        "Found by the audit.",
        Source::InternalAudit,
        Severity::Minor,
        id("ops-lead"),
        at(2026, 4, 15),
    );
    if let Some(a) = audit {
        r = r.audit(audit_id(a));
    }
    r.into()
}

#[test]
fn audit_ids_are_short_names() {
    for good in ["IA-2026-1", "MR-2026/Q2", "ext.iso.2026", "7"] {
        assert_eq!(audit_id(good).to_string(), good);
    }
    for bad in ["", "-IA", "IA 2026", "IA\u{7}", &"A".repeat(41), "ÄUDIT"] {
        let err = bad.parse::<AuditId>().unwrap_err();
        assert!(err.to_string().contains("not a valid audit id"), "{err}");
    }
    assert!(serde_json::from_str::<AuditId>("\"a b\"").is_err());
}

#[test]
fn an_audit_is_recorded_once_and_findings_name_only_recorded_audits() {
    let policy = Policy::default();
    let ctx = |d| Context::new(at(2026, 4, d), actor("alice"), &policy);
    let mut register = Register::new();

    let err = register
        .execute(&report(1, Some("IA-2026-1")), &ctx(15))
        .unwrap_err();
    assert_eq!(
        err,
        DecisionError::UnknownAudit {
            audit: audit_id("IA-2026-1")
        }
    );
    assert!(err.to_string().contains("isms audit add"), "{err}");
    assert!(register.nonconformities().is_empty());

    let decision = register
        .record_audit(&record("IA-2026-1"), &ctx(14))
        .unwrap();
    assert_eq!(decision.events[0].stream, StreamId::Audits);
    assert_eq!(decision.events[0].payload.type_name(), "audit_recorded.v1");
    let err = register
        .record_audit(&record("IA-2026-1"), &ctx(14))
        .unwrap_err();
    assert_eq!(err.code(), "audit_exists");
    let mut blank = record("IA-2026-2");
    blank.scope = " ".into();
    assert_eq!(
        register.record_audit(&blank, &ctx(14)).unwrap_err().code(),
        "empty_field"
    );

    register
        .execute(&report(1, Some("IA-2026-1")), &ctx(15))
        .unwrap();
    register.execute(&report(2, None), &ctx(15)).unwrap();
    let proposal = ProposeImprovement::new(
        ImprovementId::from_uuid(uuid::Uuid::from_u128(9)),
        ImprovementSource::Audit,
        "Restore drills",
        "Quarterly restore drills",
        "Tested backups",
        Priority::High,
        id("ops-lead"),
    )
    .audit(audit_id("IA-2026-1"));
    register.execute(&proposal.into(), &ctx(16)).unwrap();

    assert_eq!(
        register.nonconformity(nc(1)).unwrap().audit,
        Some(audit_id("IA-2026-1"))
    );
    assert_eq!(register.nonconformity(nc(2)).unwrap().audit, None);
    assert_eq!(
        register.improvements()[0].audit,
        Some(audit_id("IA-2026-1"))
    );
    let audit = register.audits().audit(&audit_id("IA-2026-1")).unwrap();
    assert_eq!(audit.kind, AuditKind::InternalAudit);
    assert_eq!(audit.recorded_by, id("alice"));
    assert_eq!(register.stream_version(StreamId::Audits), 1);
    assert_eq!("audits".parse::<StreamId>().unwrap(), StreamId::Audits);
    assert_eq!(StreamId::Audits.to_string(), "audits");
}

#[test]
fn the_register_context_is_asked_for_the_audit_a_finding_names() {
    let command = report(1, Some("IA-2026-1"));
    let needs = Lookups::for_command(&command, None);
    assert_eq!(needs.audits, vec![audit_id("IA-2026-1")]);
    assert!(
        Lookups::for_command(&report(1, None), None)
            .audits
            .is_empty()
    );

    let mut register = Register::new();
    let policy = Policy::default();
    let ctx = Context::new(at(2026, 4, 15), actor("alice"), &policy);
    register.record_audit(&record("IA-2026-1"), &ctx).unwrap();
    // Gathered facts answer exactly what the command asks, and decide as
    // the whole register does.
    let facts = RegisterFacts::gather(&needs, &register).unwrap();
    assert_eq!(facts.audits, vec![audit_id("IA-2026-1")]);
    let item_level = decide(None, &command, &facts, &ctx).unwrap();
    assert_eq!(item_level, register.decide(&command, &ctx).unwrap());
    // Facts gathered without the audit refuse it.
    let empty = RegisterFacts::default();
    assert_eq!(
        decide(None, &command, &empty, &ctx).unwrap_err().code(),
        "unknown_audit"
    );
}

#[test]
fn the_register_document_replays_audits_and_refuses_a_finding_before_its_audit() {
    let policy = Policy::default();
    let ctx = |d| Context::new(at(2026, 4, d), actor("alice"), &policy);
    let mut register = Register::new();
    let mut log = Vec::new();
    log.extend(
        register
            .record_audit(&record("IA-2026-1"), &ctx(14))
            .unwrap()
            .events,
    );
    log.extend(
        register
            .execute(&report(1, Some("IA-2026-1")), &ctx(15))
            .unwrap()
            .events,
    );
    let mut copy = Register::new();
    let mut replayer: Replayer<'_, '_, LogPlace> = Replayer::new(&policy, 0);
    let events = replay_log(&mut copy, &log, &mut replayer).unwrap();
    assert_eq!(events, log);
    assert_eq!(copy, register);

    // The finding first: its audit is not yet recorded.
    let swapped = vec![log[1].clone(), log[0].clone()];
    let mut copy = Register::new();
    let mut replayer: Replayer<'_, '_, LogPlace> = Replayer::new(&policy, 0);
    match replay_log(&mut copy, &swapped, &mut replayer) {
        Err(LogError::Refused(ReplayError::Refused { source, .. })) => {
            assert_eq!(source.code(), "unknown_audit")
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any audit id text: accepted exactly by the documented rule, and an
    /// accepted one serialises to itself.
    #[test]
    fn audit_id_rule(s in "[A-Za-z0-9 ./_\\-é]{0,45}") {
        let expected = !s.is_empty()
            && s.len() <= 40
            && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        match s.parse::<AuditId>() {
            Ok(a) => {
                prop_assert!(expected);
                let json = serde_json::to_string(&a).unwrap();
                prop_assert_eq!(serde_json::from_str::<AuditId>(&json).unwrap(), a);
            }
            Err(_) => prop_assert!(!expected),
        }
    }

    /// Whatever audits are recorded, a report naming one is accepted
    /// exactly when that audit was recorded; a refusal changes nothing.
    #[test]
    fn findings_name_recorded_audits_only(
        recorded in proptest::collection::btree_set(0u8..6, 0..4),
        named in proptest::option::of(0u8..6),
    ) {
        let policy = Policy::default();
        let ctx = Context::new(at(2026, 4, 20), actor("alice"), &policy);
        let mut register = Register::new();
        for n in &recorded {
            register.record_audit(&record(&format!("IA-{n}")), &ctx).unwrap();
        }
        let before = register.clone();
        let name = named.map(|n| format!("IA-{n}"));
        let result = register.execute(&report(1, name.as_deref()), &ctx);
        let expected = named.is_none_or(|n| recorded.contains(&n));
        prop_assert_eq!(result.is_ok(), expected, "{:?}", result);
        if !expected {
            prop_assert_eq!(&register, &before);
        }
        prop_assert_eq!(Register::from_events(&[]).audits().audits().len(), 0);
    }
}
