//! Bad input: each problem is a typed error that names it.

use isms_catalog::{
    Catalog, CatalogError, Crosswalk, Framework, IdError, Item, ItemKind, Mapping, Provenance,
    Rationale, Relationship, ResolveError, Strength, ValueError,
};

#[test]
fn unknown_framework() {
    let err = Catalog::shipped().resolve("iso9001/8.5").unwrap_err();
    match &err {
        ResolveError::UnknownFramework { given, known } => {
            assert_eq!(given, "iso9001");
            assert!(known.contains(&"nis2".to_owned()));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("iso9001"));
}

#[test]
fn unknown_item_suggests_near_matches() {
    let err = Catalog::shipped()
        .resolve("iso27001:2022/A.8.44")
        .unwrap_err();
    let ResolveError::UnknownItem {
        framework,
        given,
        suggestions,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (framework.as_str(), given.as_str()),
        ("iso27001:2022", "A.8.44")
    );
    assert!(
        suggestions.contains(&"A.8.4".to_owned()) && suggestions.contains(&"A.8.14".to_owned()),
        "{suggestions:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown item A.8.44 in iso27001:2022; did you mean A.8.4"),
        "{msg}"
    );
}

#[test]
fn malformed_reference() {
    for bad in ["A.8.13", "/A.8.13", "iso27001:2022/", ""] {
        assert!(
            matches!(
                Catalog::shipped().resolve(bad),
                Err(ResolveError::MalformedReference { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(matches!(
        "no slash".parse::<isms_catalog::ItemRef>(),
        Err(IdError::MalformedReference { .. })
    ));
    assert!(matches!(
        "ISO/x".parse::<isms_catalog::ItemRef>(),
        Err(IdError::InvalidFrameworkId { .. })
    ));
}

#[test]
fn strength_outside_range() {
    assert_eq!(
        Strength::new(11),
        Err(ValueError::StrengthOutOfRange { value: 11 })
    );
    assert_eq!(
        Strength::new(-1),
        Err(ValueError::StrengthOutOfRange { value: -1 })
    );
    assert_eq!(Strength::new(10).unwrap().get(), 10);
    let err = serde_json::from_str::<Strength>("12").unwrap_err();
    assert!(err.to_string().contains("outside 0-10"), "{err}");
}

fn user_mapping(source: &str, target: &str) -> Mapping {
    Mapping {
        source: source.parse().unwrap(),
        target: target.parse().unwrap(),
        relationship: Relationship::IntersectsWith,
        rationale: Rationale::Semantic,
        strength: None,
        provenance: Provenance {
            source: "me".into(),
            licence: "CC0".into(),
            inferred: true,
            note: None,
        },
        reversed: false,
    }
}

fn user_set(id: &str, mappings: Vec<Mapping>) -> Crosswalk {
    Crosswalk {
        id: id.into(),
        name: "mine".into(),
        description: None,
        mappings,
    }
}

#[test]
fn mapping_to_missing_item() {
    let err = Catalog::builder()
        .with_user_mappings(user_set(
            "mine",
            vec![user_mapping("iso27001:2022/A.5.1", "nis2/21.2.z")],
        ))
        .build()
        .unwrap_err();
    match &err {
        CatalogError::DanglingMapping {
            crosswalk,
            index,
            source: ResolveError::UnknownItem { given, .. },
        } => {
            assert_eq!(
                (crosswalk.as_str(), *index, given.as_str()),
                ("mine", 0, "21.2.z")
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn duplicate_pair_in_either_direction() {
    let err = Catalog::builder()
        .with_user_mappings(user_set(
            "mine",
            vec![
                user_mapping("iso27001:2022/A.5.1", "nis2/21.2.a"),
                user_mapping("nis2/21.2.a", "iso27001:2022/A.5.1"),
            ],
        ))
        .build()
        .unwrap_err();
    assert!(
        matches!(
            err,
            CatalogError::DuplicatePair {
                first: 0,
                second: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn loaded_data_never_overrides_shipped_data() {
    let fw = |id: &str| Framework {
        id: id.parse().unwrap(),
        name: "x".into(),
        version: "1".into(),
        publisher: "me".into(),
        licence: "CC0".into(),
        attribution: None,
        source: None,
        items: vec![Item {
            id: "1".parse().unwrap(),
            parent: None,
            kind: ItemKind::Requirement,
            title: None,
            summary: None,
            details: None,
        }],
    };
    for taken in ["nis2", "cis", "iso27001"] {
        let err = Catalog::builder()
            .with_user_framework(fw(taken))
            .build()
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::DuplicateFramework { shipped: true, .. }),
            "{taken}: {err:?}"
        );
    }
    let err = Catalog::builder()
        .with_user_mappings(user_set("iso27001-2013-to-2022", vec![]))
        .build()
        .unwrap_err();
    assert!(matches!(err, CatalogError::DuplicateCrosswalk { .. }));
}

#[test]
fn duplicate_item_and_unknown_parent() {
    let item = |id: &str, parent: Option<&str>| Item {
        id: id.parse().unwrap(),
        parent: parent.map(|p| p.parse().unwrap()),
        kind: ItemKind::Requirement,
        title: None,
        summary: None,
        details: None,
    };
    let fw = |items| Framework {
        id: "acme:1".parse().unwrap(),
        name: "x".into(),
        version: "1".into(),
        publisher: "me".into(),
        licence: "CC0".into(),
        attribution: None,
        source: None,
        items,
    };
    let err = Catalog::builder()
        .with_user_framework(fw(vec![item("1", None), item("1", None)]))
        .build()
        .unwrap_err();
    assert!(matches!(&err, CatalogError::DuplicateItem { item, .. } if item == "1"));
    let err = Catalog::builder()
        .with_user_framework(fw(vec![item("1", Some("9"))]))
        .build()
        .unwrap_err();
    assert!(matches!(&err, CatalogError::UnknownParent { parent, .. } if parent == "9"));
    let err = Catalog::builder()
        .with_user_framework(fw(vec![item("1", Some("2")), item("2", Some("1"))]))
        .build()
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::UnknownParent { .. }),
        "a parent loop is refused"
    );
}

#[test]
fn unknown_vocabulary_word() {
    let err = "overlaps".parse::<Relationship>().unwrap_err();
    assert!(matches!(
        &err,
        ValueError::UnknownLabel {
            kind: "relationship",
            ..
        }
    ));
    assert!(err.to_string().contains("intersects_with"));
}
