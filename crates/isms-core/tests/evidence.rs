//! Evidence records (issue 16, part 7): document references and file
//! records, the policy rule that requires evidence, and events stored before
//! file records existed.

use chrono::Duration;
use isms_core::*;
use proptest::prelude::*;

use crate::support::{Desk, actor, at, day};

const HEX: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn file(name: &str) -> EvidenceRef {
    EvidenceRef::File(FileEvidence {
        sha256: HEX.parse().unwrap(),
        size: 4,
        name: name.into(),
        attached_at: at(2026, 3, 1),
        kept: false,
    })
}

/// An nonconformity of `severity` with one planned action owned by bob.
fn planned(desk: &mut Desk, severity: Severity) -> (NonconformityId, ActionId) {
    let maria = actor("maria");
    let nc = desk.report(
        &maria,
        "Backup job failed silently",
        Source::Monitoring,
        severity,
        &["iso27001:2022/A.8.13"],
    );
    desk.contain(&maria, nc, "Ran the backup by hand");
    desk.analyse(&maria, nc, RootCauseCategory::Technology, "No alerting");
    let a = desk.plan(&maria, nc, "Alert on failed jobs", "bob", day(2026, 3, 1));
    (nc, a)
}

fn complete(nc: NonconformityId, action: ActionId, evidence: Vec<EvidenceRef>) -> Command {
    Command::CompleteAction {
        nonconformity: nc,
        action,
        evidence,
    }
}

fn verify(nc: NonconformityId, passed: bool, evidence: Vec<EvidenceRef>) -> Command {
    Command::RecordVerification {
        nonconformity: nc,
        check: 0,
        passed,
        notes: None,
        evidence,
    }
}

#[test]
fn by_default_a_major_nonconformity_needs_evidence_and_a_minor_one_does_not() {
    let mut desk = Desk::new(at(2026, 2, 1));
    let (major, a) = planned(&mut desk, Severity::Major);
    let err = desk
        .try_run(&actor("bob"), complete(major, a, vec![]))
        .unwrap_err();
    assert_eq!(err.code(), "evidence_required");
    assert!(
        err.to_string()
            .contains("the completion of action A-1 of NC-0001 needs evidence"),
        "{err}"
    );
    desk.run(
        &actor("bob"),
        complete(major, a, vec![file("alert-test.log")]),
    );
    assert_eq!(desk.nc(major).state, NcState::Implemented);

    let (minor, b) = planned(&mut desk, Severity::Minor);
    desk.run(&actor("bob"), complete(minor, b, vec![]));
    assert_eq!(desk.nc(minor).state, NcState::Implemented);
}

#[test]
fn a_file_record_whose_name_is_a_path_is_refused() {
    let mut desk = Desk::new(at(2026, 2, 1));
    let (nc, a) = planned(&mut desk, Severity::Minor);
    for name in ["logs/alert.log", "..", "C:\\evidence\\a.pdf", " "] {
        let err = desk
            .try_run(&actor("bob"), complete(nc, a, vec![file(name)]))
            .unwrap_err();
        assert!(
            matches!(
                err,
                DecisionError::BadText {
                    field: "evidence[].name",
                    ..
                } | DecisionError::EmptyField {
                    field: "evidence[].name"
                }
            ),
            "{name}: {err}"
        );
    }
}

#[test]
fn events_stored_before_file_records_existed_still_decode_byte_for_byte() {
    // Two events as the register wrote them before schema 1.3.0, when
    // evidence was free text only (taken from a register of that version).
    let stored = [
        r#"{"id":"01954f3e-5a00-7000-8000-00000000a001","stream":{"kind":"nonconformity","id":"01954f3e-5a00-7000-8000-000000000001"},"sequence":5,"at":"2026-03-27T16:00:00Z","actor":"ops-lead","payload":{"type":"action_completed.v1","action":"01954f3e-5a00-7000-8000-0000000000a1","evidence":["procedure BK-02 v4","ticket/CHG-1042"]}}"#,
        r#"{"id":"01954f3e-5a00-7000-8000-00000000a002","stream":{"kind":"nonconformity","id":"01954f3e-5a00-7000-8000-000000000001"},"sequence":7,"at":"2026-06-30T14:00:00Z","actor":"internal-audit","payload":{"type":"verification_recorded.v1","attempt":1,"check":0,"passed":true,"notes":"restore took 40 minutes","evidence":["RESTORE-TEST-7"]}}"#,
    ];
    let completed: Event = serde_json::from_str(stored[0]).unwrap();
    let EventPayload::ActionCompleted { evidence, .. } = &completed.payload else {
        panic!("{completed:?}")
    };
    assert_eq!(
        evidence,
        &[
            EvidenceRef::document("procedure BK-02 v4"),
            EvidenceRef::document("ticket/CHG-1042")
        ]
    );
    let verified: Event = serde_json::from_str(stored[1]).unwrap();
    let EventPayload::VerificationRecorded { evidence, .. } = &verified.payload else {
        panic!("{verified:?}")
    };
    assert_eq!(evidence, &[EvidenceRef::document("RESTORE-TEST-7")]);
    // Written again, they are the same bytes: a chain hash taken over the
    // old text and one taken over the re-serialised event agree.
    assert_eq!(serde_json::to_string(&completed).unwrap(), stored[0]);
    assert_eq!(serde_json::to_string(&verified).unwrap(), stored[1]);
}

#[test]
fn a_policy_written_before_the_evidence_fields_reads_as_the_default() {
    let p: Policy = serde_json::from_str(r#"{"segregation_of_duties": false}"#).unwrap();
    assert_eq!(
        p.evidence_required_for_completion,
        [Severity::Major].into_iter().collect()
    );
    let written = serde_json::to_value(Policy::default()).unwrap();
    assert!(written.get("evidence_required_for_completion").is_none());
    let none = Policy {
        evidence_required_for_verification: Default::default(),
        ..Policy::default()
    };
    let back: Policy = serde_json::from_value(serde_json::to_value(&none).unwrap()).unwrap();
    assert_eq!(back, none);
}

fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![Just(Severity::Major), Just(Severity::Minor)]
}

fn severities() -> impl Strategy<Value = std::collections::BTreeSet<Severity>> {
    proptest::collection::btree_set(severity(), 0..=2)
}

proptest! {
    /// Completion and a verification result are refused for lack of
    /// evidence exactly when the policy names the severity (a failed result
    /// never); with evidence, of either kind, they go through.
    #[test]
    fn evidence_is_required_exactly_where_the_policy_says(
        sev in severity(),
        for_completion in severities(),
        for_verification in severities(),
        completion_evidence in proptest::option::of(prop_oneof![
            Just(EvidenceRef::document("CHG-7")),
            Just(file("change.pdf")),
        ]),
        verification_evidence in any::<bool>(),
        passed in any::<bool>(),
    ) {
        let mut desk = Desk::new(at(2026, 2, 1));
        desk.policy.evidence_required_for_completion = for_completion.clone();
        desk.policy.evidence_required_for_verification = for_verification.clone();
        let (nc, a) = planned(&mut desk, sev);
        let given: Vec<_> = completion_evidence.into_iter().collect();
        let refused = given.is_empty() && for_completion.contains(&sev);
        match desk.try_run(&actor("bob"), complete(nc, a, given)) {
            Err(e) => {
                prop_assert!(refused, "refused: {e}");
                prop_assert_eq!(e.code(), "evidence_required");
                desk.run(&actor("bob"), complete(nc, a, vec![EvidenceRef::document("CHG-7")]));
            }
            Ok(_) => prop_assert!(!refused, "accepted without evidence"),
        }
        desk.plan_verification(
            &actor("maria"),
            nc,
            VerificationSchedule::once(day(2026, 3, 10)),
            "dave",
        );
        desk.now = at(2026, 3, 10) + Duration::hours(9);
        let evidence = if verification_evidence { vec![file("restore.log")] } else { vec![] };
        let refused = passed && !verification_evidence && for_verification.contains(&sev);
        match desk.try_run(&actor("dave"), verify(nc, passed, evidence)) {
            Err(e) => {
                prop_assert!(refused, "refused: {e}");
                prop_assert_eq!(e.code(), "evidence_required");
            }
            Ok(_) => {
                prop_assert!(!refused, "a pass accepted without evidence");
                let expected = if passed { NcState::Effective } else { NcState::Ineffective };
                prop_assert_eq!(desk.nc(nc).state, expected);
            }
        }
        desk.check();
    }

    /// What a spreadsheet cell holds reads back as the same evidence.
    #[test]
    fn an_evidence_summary_reads_back(e in isms_core::testkit::strategies::evidence_ref()) {
        prop_assert_eq!(EvidenceRef::from_summary(&e.summary()), e);
    }
}
