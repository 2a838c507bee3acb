//! The checker catches each constraint the JSON Schema leaves out, on
//! documents broken on purpose, and finds nothing in what the exporters write.

use isms_oscal::{ConstraintViolation as V, PoamOptions, check_document, export_poam};
use serde_json::{Value, json};

use crate::support::seed;

fn exported() -> Value {
    export_poam(&seed(), &PoamOptions::default()).unwrap()
}

fn violations_after(edit: impl FnOnce(&mut Value)) -> Vec<V> {
    let mut doc = exported();
    edit(&mut doc);
    check_document(&doc)
}

const ITEM: &str = "/plan-of-action-and-milestones/poam-items/0";

#[test]
fn exported_documents_conform() {
    assert_eq!(check_document(&exported()), vec![]);
}

#[test]
fn a_dangling_uuid_reference_is_caught_with_its_path() {
    let v = violations_after(|d| {
        *d.pointer_mut(&format!("{ITEM}/related-risks/0/risk-uuid"))
            .unwrap() = json!("11111111-1111-4111-8111-111111111111");
    });
    assert_eq!(
        v,
        vec![V::DanglingUuid {
            path: "$.plan-of-action-and-milestones.poam-items[0].related-risks[0].risk-uuid".into(),
            uuid: "11111111-1111-4111-8111-111111111111".into(),
        }]
    );
}

#[test]
fn a_reference_to_the_wrong_kind_of_object_is_caught() {
    let mut doc = exported();
    let obs = doc
        .pointer(&format!("{ITEM}/related-observations/0/observation-uuid"))
        .cloned()
        .unwrap();
    *doc.pointer_mut(&format!("{ITEM}/related-risks/0/risk-uuid"))
        .unwrap() = obs.clone();
    let v = check_document(&doc);
    assert!(
        matches!(&v[..], [V::WrongTarget { expected: "risks", found, uuid, .. }] if found == "observations" && *uuid == obs),
        "{v:?}"
    );
}

#[test]
fn a_party_uuid_in_party_uuids_is_checked() {
    let v = violations_after(|d| {
        let tasks = d
            .pointer_mut("/plan-of-action-and-milestones/risks/0/remediations/0/tasks/0/responsible-roles/0/party-uuids")
            .unwrap();
        tasks
            .as_array_mut()
            .unwrap()
            .push(json!("22222222-2222-4222-8222-222222222222"));
    });
    assert!(
        matches!(&v[..], [V::DanglingUuid { path, .. }] if path.ends_with("party-uuids[1]")),
        "{v:?}"
    );
}

#[test]
fn duplicate_uuids_are_caught() {
    let v = violations_after(|d| {
        let risk = d
            .pointer("/plan-of-action-and-milestones/risks/0/uuid")
            .cloned()
            .unwrap();
        *d.pointer_mut("/plan-of-action-and-milestones/risks/1/uuid")
            .unwrap() = risk;
    });
    // The second risk loses its own uuid: a duplicate, and the reference to
    // it dangles.
    assert!(
        v.iter().any(|x| matches!(x, V::DuplicateUuid { .. })),
        "{v:?}"
    );
    assert!(
        v.iter().any(|x| matches!(x, V::DanglingUuid { .. })),
        "{v:?}"
    );
}

#[test]
fn a_role_id_must_be_defined() {
    let v = violations_after(|d| {
        *d.pointer_mut(&format!("{ITEM}/origins/0/actors/0/role-id"))
            .unwrap() = json!("auditor");
    });
    assert!(
        matches!(&v[..], [V::DanglingRoleId { role_id, .. }] if role_id == "auditor"),
        "{v:?}"
    );
}

#[test]
fn date_times_need_a_time_zone() {
    for bad in ["2026-01-05T09:00:00", "2026-01-05", "yesterday"] {
        let v = violations_after(|d| {
            *d.pointer_mut("/plan-of-action-and-milestones/observations/0/collected")
                .unwrap() = json!(bad);
        });
        assert_eq!(
            v,
            vec![V::DateTimeWithoutZone {
                path: "$.plan-of-action-and-milestones.observations[0].collected".into(),
                value: bad.into()
            }]
        );
    }
    // With an offset it is fine.
    let v = violations_after(|d| {
        *d.pointer_mut("/plan-of-action-and-milestones/observations/0/collected")
            .unwrap() = json!("2026-01-05T09:00:00-04:00");
    });
    assert_eq!(v, vec![]);
}

#[test]
fn tokens_have_no_spaces_or_colons() {
    for (bad, problem) in [
        ("two words", "it contains whitespace"),
        ("ns:name", "it contains a colon"),
        ("9lives", "it must start with a letter or an underscore"),
        ("a/b", "it may hold only letters, digits, '.', '-' and '_'"),
        ("", "it is empty"),
    ] {
        let v = violations_after(|d| {
            *d.pointer_mut(&format!("{ITEM}/props/0/name")).unwrap() = json!(bad);
        });
        assert_eq!(
            v,
            vec![V::BadToken {
                path: "$.plan-of-action-and-milestones.poam-items[0].props[0].name".into(),
                value: bad.into(),
                problem,
            }]
        );
    }
    let v = violations_after(|d| {
        *d.pointer_mut(&format!("{ITEM}/props/0/name")).unwrap() = json!("Prüfung_2");
    });
    assert_eq!(v, vec![], "Unicode letters are token characters");
}

#[test]
fn empty_arrays_are_caught() {
    let v = violations_after(|d| {
        d.pointer_mut(ITEM)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("links".into(), json!([]));
    });
    assert_eq!(
        v,
        vec![V::EmptyArray {
            path: "$.plan-of-action-and-milestones.poam-items[0].links".into()
        }]
    );
}

#[test]
fn one_line_fields_hold_one_line() {
    for pointer in [
        format!("{ITEM}/title"),
        format!("{ITEM}/props/1/value"),
        "/plan-of-action-and-milestones/metadata/parties/0/name".to_owned(),
    ] {
        let v = violations_after(|d| {
            *d.pointer_mut(&pointer).unwrap() = json!("first line\nsecond line");
        });
        assert!(
            matches!(&v[..], [V::NewlineInLine { .. }]),
            "{pointer}: {v:?}"
        );
    }
    // A description is multi-line by definition.
    let v = violations_after(|d| {
        *d.pointer_mut(&format!("{ITEM}/description")).unwrap() = json!("one\ntwo");
    });
    assert_eq!(v, vec![]);
}

#[test]
fn a_title_with_a_line_break_is_exported_on_one_line_and_kept_exactly() {
    use isms_core::*;
    let policy = Policy::default();
    let at = crate::support::start();
    let mut register = Register::new();
    let id = NonconformityId::v7_from_parts(1, [3; 10]);
    register
        .execute(
            &Command::ReportNonconformity(ReportNonconformity {
                audit: None,
                id,
                title: "Backups\nnot tested".into(),
                description: "No restore test.".into(),
                source: Source::Monitoring,
                severity: Severity::Minor,
                requirements: vec![],
                owner: ActorId::new("ops").unwrap(),
                detected_at: at,
                external_deadline: None,
                links: vec![],
                extensions: Default::default(),
            }),
            &Context::new(at, Actor::new(ActorId::new("audit").unwrap()), &policy),
        )
        .unwrap();
    let doc = export_poam(&register, &PoamOptions::default()).unwrap();
    assert_eq!(
        doc.pointer(&format!("{ITEM}/title")).unwrap(),
        "Backups not tested"
    );
    let back = isms_oscal::import_poam(&doc.to_string()).unwrap();
    assert_eq!(back.register.nonconformities(), register.nonconformities());
}
