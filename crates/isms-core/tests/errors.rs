//! Bad input gets a typed, specific error; parsing never panics.

use isms_core::*;
use proptest::prelude::*;

use crate::support::{Desk, actor, at};

#[test]
fn requirement_references_parse_and_explain() {
    let r: RequirementRef = "nis2/21.2.c".parse().unwrap();
    assert_eq!(
        (r.framework(), r.version(), r.item()),
        ("nis2", None, "21.2.c")
    );
    let r: RequirementRef = "cis:v8/17.8".parse().unwrap();
    assert_eq!(r.framework_key(), "cis:v8");
    assert_eq!(
        RequirementRef::new("iso27001", Some("2022"), "10.2")
            .unwrap()
            .to_string(),
        "iso27001:2022/10.2"
    );

    let e = "A.8.13".parse::<RequirementRef>().unwrap_err();
    assert!(matches!(e, ReferenceError::MissingSlash { .. }));
    assert!(
        e.to_string().contains("iso27001:2022/A.8.13"),
        "the message shows the expected form: {e}"
    );
    let e = "iso27001:2022/A 8.13"
        .parse::<RequirementRef>()
        .unwrap_err();
    assert!(
        matches!(e, ReferenceError::Malformed { part: "item", .. }),
        "{e}"
    );
    let e = "9iso/A.1".parse::<RequirementRef>().unwrap_err();
    assert!(
        matches!(
            e,
            ReferenceError::Malformed {
                part: "framework",
                ..
            }
        ),
        "{e}"
    );
    let e = "iso27001:/A.1".parse::<RequirementRef>().unwrap_err();
    assert!(
        matches!(
            e,
            ReferenceError::Malformed {
                part: "version",
                ..
            }
        ),
        "{e}"
    );
    assert!("iso27001:2022/".parse::<RequirementRef>().is_err());
}

#[test]
fn human_references_accept_loose_spellings_only_of_their_kind() {
    assert_eq!("nc-7".parse::<NcRef>().unwrap().to_string(), "NC-0007");
    assert_eq!("NC0012".parse::<NcRef>().unwrap().number(), 12);
    assert!(matches!(
        "NC-0".parse::<NcRef>(),
        Err(IdError::ZeroReference { .. })
    ));
    assert!(matches!(
        "IMP-3".parse::<NcRef>(),
        Err(IdError::BadReference { .. })
    ));
    assert!("NC-99999999999".parse::<NcRef>().is_err());
    assert!("NC-".parse::<NcRef>().is_err());
    assert!("é".parse::<NcRef>().is_err());
    assert_eq!("A-2".parse::<ActionRef>().unwrap().to_string(), "A-2");
}

#[test]
fn names_are_checked() {
    assert!(ActorId::new("").is_err());
    assert!(ActorId::new(" bob").is_err());
    assert!(ActorId::new("bo\u{7}b").is_err());
    assert!(ActorId::new("x".repeat(129)).is_err());
    let e = ActorId::new("").unwrap_err();
    assert_eq!(
        e.to_string(),
        "actor name \"\" is empty; use 1 to 128 characters with no control characters or surrounding spaces"
    );
    assert!(serde_json::from_str::<ActorId>("\"\"").is_err());
}

#[test]
fn refusals_name_the_rule_and_the_values() {
    let mut desk = Desk::new(at(2026, 3, 2));
    let maria = actor("maria");
    let nc = desk.report(
        &maria,
        "Firewall rule review missed",
        Source::InternalAudit,
        Severity::Minor,
        &[],
    );
    // Unknown ids.
    let ghost = desk.nc_id();
    let err = desk
        .try_run(
            &maria,
            Command::RecordContainment {
                nonconformity: ghost,
                action_taken: "x".into(),
                consequences: None,
                late_justification: None,
            },
        )
        .unwrap_err();
    assert!(matches!(err, DecisionError::UnknownNonconformity { .. }));
    // Duplicate id on report.
    let dup = Command::ReportNonconformity(ReportNonconformity {
        audit: None,
        id: nc,
        title: "again".into(),
        description: "again".into(),
        source: Source::Complaint,
        severity: Severity::Minor,
        requirements: vec![],
        owner: maria.id.clone(),
        detected_at: desk.now,
        external_deadline: None,
        links: vec![],
        extensions: Default::default(),
    });
    assert!(matches!(
        desk.try_run(&maria, dup.clone()),
        Err(DecisionError::DuplicateId { .. })
    ));
    // Detected in the future, duplicate requirements, empty title, control characters.
    let mut future = match dup.clone() {
        Command::ReportNonconformity(r) => r,
        _ => unreachable!(),
    };
    future.id = desk.nc_id();
    future.detected_at = desk.now + chrono::Duration::hours(1);
    assert!(matches!(
        desk.try_run(&maria, Command::ReportNonconformity(future.clone())),
        Err(DecisionError::DetectedInFuture { .. })
    ));
    future.detected_at = desk.now;
    future.requirements = vec![
        "nis2/21.2.c".parse().unwrap(),
        "nis2/21.2.c".parse().unwrap(),
    ];
    assert!(matches!(
        desk.try_run(&maria, Command::ReportNonconformity(future.clone())),
        Err(DecisionError::DuplicateRequirement { .. })
    ));
    future.requirements = vec![];
    future.title = "  ".into();
    assert_eq!(
        desk.try_run(&maria, Command::ReportNonconformity(future.clone()))
            .unwrap_err(),
        DecisionError::EmptyField { field: "title" }
    );
    future.title = "bad\u{0}title".into();
    assert!(matches!(
        desk.try_run(&maria, Command::ReportNonconformity(future.clone())),
        Err(DecisionError::BadText { field: "title", .. })
    ));
    future.title = "t".repeat(MAX_TITLE_CHARS + 1);
    assert!(matches!(
        desk.try_run(&maria, Command::ReportNonconformity(future.clone())),
        Err(DecisionError::BadText { field: "title", .. })
    ));

    // Time must not go backwards on an item.
    desk.advance(chrono::Duration::days(1));
    desk.contain(&maria, nc, "disabled the rule");
    desk.now -= chrono::Duration::hours(1);
    let err = desk
        .try_run(
            &maria,
            Command::RecordContainment {
                nonconformity: nc,
                action_taken: "y".into(),
                consequences: None,
                late_justification: None,
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, DecisionError::TimeWentBackwards { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("NC-0001"));
}

#[test]
fn time_limits_warn_or_refuse_as_the_policy_says() {
    let mut desk = Desk::new(at(2026, 3, 2));
    desk.policy.max_days_to_contain = Some(TimeLimit {
        days: 2,
        enforcement: Enforcement::Refuse,
    });
    let maria = actor("maria");
    let nc = desk.report(
        &maria,
        "Late containment",
        Source::Incident,
        Severity::Major,
        &[],
    );
    desk.advance(chrono::Duration::days(3));
    let cmd = |j: Option<&str>| Command::RecordContainment {
        nonconformity: nc,
        action_taken: "isolated host".into(),
        consequences: None,
        late_justification: j.map(Into::into),
    };
    let err = desk.try_run(&maria, cmd(None)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "containment on NC-0001 after 3 days exceeds the policy limit of 2 days: give a late_justification"
    );
    let d = desk.run(&maria, cmd(Some("host owner on leave")));
    assert!(matches!(
        d.warnings[..],
        [PolicyWarning::TimeLimitExceeded {
            limit_days: 2,
            elapsed_days: 3,
            ..
        }]
    ));

    desk.policy.max_days_to_contain = Some(TimeLimit {
        days: 1,
        enforcement: Enforcement::Warn,
    });
    let nc2 = desk.report(&maria, "Another", Source::Incident, Severity::Major, &[]);
    desk.advance(chrono::Duration::days(5));
    let d = desk.run(
        &maria,
        Command::RecordContainment {
            nonconformity: nc2,
            action_taken: "x".into(),
            consequences: None,
            late_justification: None,
        },
    );
    assert_eq!(d.warnings.len(), 1);
}

proptest! {
    #[test]
    fn parsers_never_panic(s in "\\PC{0,40}") {
        let _ = s.parse::<RequirementRef>();
        let _ = s.parse::<NcRef>();
        let _ = s.parse::<ImprovementRef>();
        let _ = s.parse::<ActionRef>();
        let _ = s.parse::<NonconformityId>();
        let _ = s.parse::<StreamId>();
        let _ = ActorId::new(s.clone());
        let _ = serde_json::from_str::<Command>(&s);
        let _ = serde_json::from_str::<Event>(&s);
    }

    #[test]
    fn refused_commands_change_nothing(c in isms_core::testkit::strategies::command(), who in isms_core::testkit::strategies::actor()) {
        let mut desk = Desk::new(at(2026, 3, 2));
        let maria = actor("maria");
        desk.report(&maria, "Existing", Source::Incident, Severity::Minor, &[]);
        let before = desk.register.clone();
        if desk.try_run(&who, c).is_err() {
            prop_assert_eq!(before, desk.register);
        }
    }
}
