//! Export then import gives back the same nonconformities.

use isms_core::{NcState, Register};
use isms_oscal::{PoamOptions, derive_uuid, export_poam, import_poam};
use serde_json::Value;

use crate::support::{generated, seed};

fn round_trip(register: &Register) -> (Value, isms_oscal::Imported) {
    let doc = export_poam(register, &PoamOptions::default()).expect("export");
    let text = serde_json::to_string_pretty(&doc).unwrap();
    let imported = import_poam(&text).expect("import");
    (doc, imported)
}

#[test]
fn seed_scenarios_round_trip_exactly() {
    let register = seed();
    let (_, imported) = round_trip(&register);
    assert_eq!(imported.report.skipped, vec![], "nothing skipped");
    assert_eq!(imported.report.items, 3);
    assert_eq!(imported.report.exact_items, 3);
    assert_eq!(
        imported.register.nonconformities(),
        register.nonconformities()
    );
}

#[test]
fn generated_registers_round_trip_exactly() {
    for seed in [1, 2, 3] {
        let register = generated(300, seed);
        let (_, imported) = round_trip(&register);
        assert_eq!(imported.report.skipped, vec![], "seed {seed}");
        assert_eq!(
            imported.register.nonconformities(),
            register.nonconformities(),
            "seed {seed}"
        );
        // The registers span the lifecycle, so the round trip covers it.
        let states: std::collections::BTreeSet<NcState> =
            register.nonconformities().iter().map(|n| n.state).collect();
        assert!(states.contains(&NcState::Closed) && states.contains(&NcState::Rejected));
        assert!(states.len() >= 5, "seed {seed}: only {states:?}");
    }
}

#[test]
fn same_register_gives_the_same_bytes() {
    let register = generated(200, 9);
    let a =
        serde_json::to_string(&export_poam(&register, &PoamOptions::default()).unwrap()).unwrap();
    let b =
        serde_json::to_string(&export_poam(&register.clone(), &PoamOptions::default()).unwrap())
            .unwrap();
    assert_eq!(a, b);
    // The poam-item uuid is the documented derivation from the nonconformity id.
    let doc: Value = serde_json::from_str(&a).unwrap();
    let nc = &register.nonconformities()[0];
    assert_eq!(
        doc["plan-of-action-and-milestones"]["poam-items"][0]["uuid"],
        derive_uuid(&format!("nonconformity/{}", nc.id)).to_string()
    );
}

#[test]
fn a_register_exported_in_two_parts_imports_back_into_one() {
    use isms_oscal::{export_poam_selection, plan_import_into};
    let register = generated(300, 5);
    let ncs = register.nonconformities();
    let (first, second) = ncs.split_at(ncs.len() / 2);
    let options = PoamOptions::default();
    let a = export_poam_selection(first, &options).unwrap();
    let b = export_poam_selection(second, &options).unwrap();

    let mut imported = import_poam(&a.to_string()).unwrap().register;
    let plan = plan_import_into(&b, &imported).unwrap();
    let (_, report) = plan
        .execute(&mut imported, &isms_core::Policy::permissive())
        .unwrap();
    // References from the second part into the first resolve in the register.
    assert_eq!(report.skipped, vec![]);
    assert_eq!(imported.nonconformities(), register.nonconformities());
    // Whereas the second part alone reports what it points at outside itself.
    let alone = import_poam(&b.to_string()).unwrap();
    let outside = second
        .iter()
        .flat_map(|n| {
            n.analyses
                .iter()
                .flat_map(|a| a.similar.iter())
                .chain(&n.recurrence_of)
        })
        .count();
    assert!(outside > 0, "the fixture has references across the split");
    assert_eq!(
        alone
            .report
            .skipped
            .iter()
            .filter(|s| matches!(s.reason, isms_oscal::SkipReason::UnknownNonconformity { .. }))
            .count(),
        second
            .iter()
            .flat_map(|n| n.analyses.iter().flat_map(|a| a.similar.iter()).chain(&n.recurrence_of))
            .filter(|id| !second.iter().any(|n| n.id == **id))
            .count()
            + second
                .iter()
                .filter(|n| matches!(&n.rejection, Some(r) if matches!(r.reason, isms_core::RejectionReason::Duplicate { of } if !second.iter().any(|m| m.id == of))))
                .count()
    );
}

#[test]
fn bad_input_gets_a_typed_error_with_its_path() {
    use isms_oscal::{ImportError, is_poam};
    // Not JSON.
    assert!(matches!(import_poam("{"), Err(ImportError::Json(_))));
    // JSON, but the project's own register document or anything else.
    let other = serde_json::json!({"schema_version": "1.0.0", "nonconformities": []});
    assert!(!is_poam(&other));
    assert!(matches!(
        import_poam(&other.to_string()),
        Err(ImportError::NotAPoam(_))
    ));
    // A prop of ours with a malformed value names the prop.
    let mut doc = export_poam(&seed(), &PoamOptions::default()).unwrap();
    assert!(is_poam(&doc));
    let props = doc
        .pointer_mut("/plan-of-action-and-milestones/poam-items/1/props")
        .unwrap()
        .as_array_mut()
        .unwrap();
    let i = props.iter().position(|p| p["name"] == "severity").unwrap();
    props[i]["value"] = Value::from("catastrophic");
    match import_poam(&doc.to_string()) {
        Err(ImportError::BadValue { path, problem }) => {
            assert_eq!(
                path,
                format!("$.plan-of-action-and-milestones.poam-items[1].props[{i}].value")
            );
            assert!(problem.contains("catastrophic"), "{problem}");
        }
        other => panic!("expected BadValue, got {other:?}"),
    }
}

#[test]
fn a_refused_command_names_the_item_and_the_rule() {
    use isms_oscal::ImportError;
    // Two poam-items for the same nonconformity: the second report is refused
    // by the core (duplicate id), not silently merged.
    let mut doc = export_poam(&seed(), &PoamOptions::default()).unwrap();
    let items = doc
        .pointer_mut("/plan-of-action-and-milestones/poam-items")
        .unwrap()
        .as_array_mut()
        .unwrap();
    let copy = items[0].clone();
    items.push(copy);
    match import_poam(&doc.to_string()) {
        Err(ImportError::Refused(e)) => {
            assert_eq!(e.origin(), "$.plan-of-action-and-milestones.poam-items[3]");
            assert_eq!(e.command(), "report");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn unknown_content_in_our_own_items_is_reported_not_dropped() {
    let mut doc = export_poam(&seed(), &PoamOptions::default()).unwrap();
    let item = doc
        .pointer_mut("/plan-of-action-and-milestones/poam-items/0")
        .unwrap()
        .as_object_mut()
        .unwrap();
    item.insert("remarks".into(), Value::from("added by another tool"));
    item["props"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "name": "colour", "ns": isms_oscal::NS, "value": "red"
        }));
    let risk = doc
        .pointer_mut("/plan-of-action-and-milestones/risks/0")
        .unwrap()
        .as_object_mut()
        .unwrap();
    risk.insert(
        "threat-ids".into(),
        serde_json::json!([{"system": "https://example.org", "id": "T1"}]),
    );
    risk.insert(
        "props".into(),
        serde_json::json!([{"name": "owner-unit", "value": "ops"}]),
    );
    let imported = import_poam(&doc.to_string()).unwrap();
    let paths: Vec<&str> = imported
        .report
        .skipped
        .iter()
        .map(|s| s.path.as_str())
        .collect();
    assert!(paths.contains(&"$.plan-of-action-and-milestones.poam-items[0].remarks"));
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("$.plan-of-action-and-milestones.poam-items[0].props["))
    );
    assert!(paths.contains(&"$.plan-of-action-and-milestones.risks[0].threat-ids"));
    assert!(paths.contains(&"$.plan-of-action-and-milestones.risks[0].props[0]"));
    // Everything else still round-trips.
    assert_eq!(
        imported.register.nonconformities(),
        seed().nonconformities()
    );
}

/// The shape of one exported nonconformity (the seed's failed backup: two
/// analysis attempts, a failed and then passing monthly restore test) is API:
/// a change shows up here for review.
#[test]
fn shape_of_an_exported_nonconformity() {
    let doc = export_poam(&seed(), &PoamOptions::default()).unwrap();
    let poam = &doc["plan-of-action-and-milestones"];
    let item = &poam["poam-items"][2];
    let risk_uuid = &item["related-risks"][0]["risk-uuid"];
    let risk = poam["risks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| &r["uuid"] == risk_uuid)
        .unwrap();
    insta::assert_json_snapshot!("failed_backup_poam_item", item);
    insta::assert_json_snapshot!("failed_backup_risk", risk);
    insta::assert_json_snapshot!("metadata", poam["metadata"]);
}

/// An analysis and a containment recorded at the same instant, the analysis
/// first (a minor nonconformity needs no containment before its analysis):
/// the item goes from reported to analysed and never through contained,
/// and the import replays them in that order, not in lifecycle order.
#[test]
fn an_analysis_and_a_containment_at_the_same_instant_keep_their_order() {
    use isms_core::*;
    let policy = Policy::default();
    let t0 = crate::support::start();
    let t1 = t0 + chrono::Duration::hours(3);
    let owner = ActorId::new("ops").unwrap();
    let who = Actor::new(owner.clone());
    let id = NonconformityId::v7_from_parts(1, [5; 10]);
    let mut register = Register::new();
    let mut run = |at, command: Command| {
        register
            .execute(&command, &Context::new(at, who.clone(), &policy))
            .unwrap();
    };
    run(
        t0,
        Command::ReportNonconformity(ReportNonconformity {
            audit: None,
            id,
            title: "Restore never tested".into(),
            description: "No restore test on record.".into(),
            source: Source::InternalAudit,
            severity: Severity::Minor,
            requirements: vec![],
            owner: owner.clone(),
            detected_at: t0,
            external_deadline: None,
            links: vec![],
            extensions: Default::default(),
        }),
    );
    run(
        t1,
        Command::AnalyseRootCause {
            nonconformity: id,
            method: AnalysisMethod::FiveWhys,
            causes: vec![RootCause {
                category: RootCauseCategory::Process,
                statement: "No restore procedure".into(),
            }],
            similar: vec![],
            similar_notes: Some("No other restore is scheduled anywhere.".into()),
            decision: ActionDecision::ActionRequired,
        },
    );
    run(
        t1,
        Command::RecordContainment {
            nonconformity: id,
            action_taken: "Ran a restore by hand".into(),
            consequences: None,
            late_justification: None,
        },
    );
    let states: Vec<NcState> = register.nonconformities()[0]
        .history
        .iter()
        .map(|t| t.to)
        .collect();
    assert_eq!(states, [NcState::Reported, NcState::Analysed]);
    let doc = export_poam(&register, &PoamOptions::default()).unwrap();
    let imported = isms_oscal::import_poam(&doc.to_string()).unwrap();
    assert_eq!(imported.report.skipped, vec![]);
    assert_eq!(
        imported.register.nonconformities(),
        register.nonconformities()
    );
}

/// The effectiveness events of issue 16 travel in the POA&M and come back
/// through the rules: a check recorded as missed, a recurring schedule
/// ended early, and a recurrence recorded on the earlier item while its
/// watch window was open (which concluded that attempt ineffective).
#[test]
fn missed_checks_early_ends_and_recorded_recurrences_round_trip() {
    use chrono::Duration;
    use isms_core::*;
    let policy = Policy::default();
    let t0 = crate::support::start();
    let day = |n: i64| t0 + Duration::days(n);
    let date = |n: i64| day(n).date_naive();
    let (ops, audit) = (ActorId::new("ops").unwrap(), ActorId::new("audit").unwrap());
    let ids: Vec<NonconformityId> = (1..=3u8)
        .map(|i| NonconformityId::v7_from_parts(u64::from(i), [i; 10]))
        .collect();
    let mut register = Register::new();
    let mut run = |at, by: &ActorId, command: Command| {
        register
            .execute(&command, &Context::new(at, Actor::new(by.clone()), &policy))
            .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    };
    // Two items carried to verification: a recurring restore test on the
    // first, a six-month watch window on the second.
    for (k, id) in ids[..2].iter().enumerate() {
        let report = ReportNonconformity::new(
            *id,
            format!("Finding {k}"),
            "Found in the audit.",
            Source::InternalAudit,
            Severity::Minor,
            ops.clone(),
            day(0),
        );
        run(day(0), &ops, Command::ReportNonconformity(report));
        run(
            day(1),
            &ops,
            Command::analyse_root_cause(
                *id,
                AnalysisMethod::FiveWhys,
                vec![RootCause::new(RootCauseCategory::Process, "No procedure")],
            )
            .with_similar_notes("None found elsewhere."),
        );
        let action = ActionId::v7(day(2), k as u128);
        run(
            day(2),
            &ops,
            Command::plan_action(*id, action, "Write the procedure", ops.clone(), date(20)),
        );
        run(day(10), &ops, Command::complete_action(*id, action));
        let schedule = if k == 0 {
            VerificationSchedule::recurring_count(date(40), Period::months(1), 4)
        } else {
            VerificationSchedule::watch_window(date(10), Period::months(6))
        };
        run(
            day(11),
            &ops,
            Command::plan_verification(*id, "Restore test", "Restores", schedule, audit.clone()),
        );
    }
    let [first, second, later] = [ids[0], ids[1], ids[2]];
    // First item: check 0 missed, check 1 passed, the rest left to 9.2.
    run(
        day(45),
        &audit,
        Command::record_missed_check(first, 0, "Test server down for maintenance"),
    );
    run(
        day(72),
        &audit,
        Command::record_verification(first, 1, true),
    );
    run(
        day(73),
        &audit,
        Command::end_verification(
            first,
            "Two clean quarters; the audit programme covers the rest",
        ),
    );
    // Second item: the same finding again in month 2 of its window.
    let again = ReportNonconformity::new(
        later,
        "Finding 1 again",
        "Seen again.",
        Source::Incident,
        Severity::Minor,
        ops.clone(),
        day(60),
    );
    run(day(60), &ops, Command::ReportNonconformity(again));
    run(day(60), &ops, Command::link_recurrence(later, second));
    run(day(60), &ops, Command::record_recurrence(second, later));

    let ncs = register.nonconformities();
    assert_eq!(ncs[0].missed_checks.len(), 1);
    assert_eq!(ncs[0].verification_ends.len(), 1);
    assert_eq!(ncs[0].state, NcState::Effective);
    assert_eq!(ncs[1].recurrences.len(), 1);
    assert_eq!(
        ncs[1].state,
        NcState::Ineffective,
        "the recurrence reopened it"
    );

    let (doc, imported) = round_trip(&register);
    let text = doc.to_string();
    for name in ["missed-check", "verification-end", "recurrence"] {
        assert!(text.contains(&format!("\"name\":\"{name}\"")), "{name}");
    }
    assert_eq!(isms_oscal::check_document(&doc), vec![]);
    if let Some(dir) = crate::schema::oscal_dir() {
        let v = crate::schema::validator(&dir, "oscal_poam_schema.json");
        crate::schema::assert_valid(&v, &doc, "a POA&M with the effectiveness events");
    }
    assert_eq!(imported.report.skipped, vec![]);
    assert_eq!(
        imported.register.nonconformities(),
        register.nonconformities()
    );
}
