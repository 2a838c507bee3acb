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
