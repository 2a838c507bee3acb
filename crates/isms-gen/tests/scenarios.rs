//! The seed document's three examples, end to end.

use chrono::{TimeZone, Utc};
use isms_core::{NcState, PeriodUnit, Policy, Register, VerificationSchedule, check_invariants};
use isms_gen::seed_scenarios;

#[test]
fn the_three_seed_examples_run_end_to_end() {
    let s = seed_scenarios(Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap()).unwrap();
    check_invariants(&s.register, &Policy::default()).unwrap();
    assert_eq!(Register::from_events(&s.events), s.register);

    let access = s.register.nonconformity(s.unauthorised_access).unwrap();
    assert_eq!(access.state, NcState::Closed);
    assert_eq!(access.actions.len(), 2);
    assert!(matches!(
        access.verification_plans[0].schedule,
        VerificationSchedule::WatchWindow { length, .. } if length.count == 6 && length.unit == PeriodUnit::Months
    ));

    let procedure = s.register.nonconformity(s.outdated_procedure).unwrap();
    assert_eq!(procedure.state, NcState::Closed);
    assert_eq!(
        procedure.verification_results.len(),
        4,
        "audited quarterly, four times"
    );

    let backup = s.register.nonconformity(s.failed_backup).unwrap();
    assert_eq!(backup.state, NcState::Closed);
    assert_eq!(backup.requirements[0].as_str(), "iso27001:2022/A.8.13");
    assert_eq!(backup.attempt, 2);
    assert_eq!(
        backup.analyses.len(),
        2,
        "the failed test sent it back to analysis"
    );
    assert!(!backup.conclusions[0].effective && backup.conclusions[1].effective);
    assert!(backup.history.iter().any(|h| h.to == NcState::Ineffective));
    let tests: usize = backup
        .verification_results
        .iter()
        .filter(|r| r.attempt == 2)
        .count();
    assert_eq!(tests, 6, "restoration tested monthly, six times");

    let improvement = s.register.improvement(s.access_recertification).unwrap();
    assert_eq!(improvement.nonconformity, Some(s.unauthorised_access));
    assert_eq!(improvement.state, isms_core::ImprovementState::Realised);
}
