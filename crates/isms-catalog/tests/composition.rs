//! The composition table and its laws, and reversing mapping sets.

use isms_catalog::{
    Certainty, Crosswalk, Mapping, Provenance, Rationale, Relationship, RelationshipSet, Strength,
    compose,
};
use proptest::prelude::*;

fn rel() -> impl Strategy<Value = Relationship> {
    proptest::sample::select(Relationship::ALL.to_vec())
}

fn rel_set() -> impl Strategy<Value = RelationshipSet> {
    proptest::collection::vec(rel(), 1..4).prop_map(|v| RelationshipSet::try_from(v).unwrap())
}

/// Brute force over a small universe: every relationship two non-empty subsets of
/// {0..4} can have. Used to check that the table is exactly what set algebra allows.
fn relation_of(a: u8, b: u8) -> Relationship {
    if a == b {
        Relationship::Equal
    } else if a & b == a {
        Relationship::SubsetOf
    } else if a & b == b {
        Relationship::SupersetOf
    } else if a & b != 0 {
        Relationship::IntersectsWith
    } else {
        Relationship::NoRelationship
    }
}

#[test]
fn table_equals_set_algebra_on_a_finite_universe() {
    for r1 in Relationship::ALL {
        for r2 in Relationship::ALL {
            let mut seen = RelationshipSet::EMPTY;
            for a in 1u8..32 {
                for b in 1u8..32 {
                    if relation_of(a, b) != *r1 {
                        continue;
                    }
                    for c in 1u8..32 {
                        if relation_of(b, c) == *r2 {
                            seen = seen.union(RelationshipSet::single(relation_of(a, c)));
                        }
                    }
                }
            }
            assert_eq!(compose(*r1, *r2), seen, "{r1} then {r2}");
        }
    }
}

#[test]
fn documented_examples() {
    let s = |r| RelationshipSet::single(r);
    use Relationship::*;
    assert_eq!(compose(Equal, SubsetOf), s(SubsetOf));
    assert_eq!(
        compose(SubsetOf, SubsetOf).summary(),
        (SubsetOf, Certainty::Exact)
    );
    assert_eq!(
        compose(SubsetOf, SupersetOf).summary(),
        (IntersectsWith, Certainty::AtBest)
    );
    assert_eq!(
        compose(SupersetOf, SubsetOf).summary(),
        (IntersectsWith, Certainty::Overlapping)
    );
    assert_eq!(
        compose(IntersectsWith, SubsetOf).summary(),
        (IntersectsWith, Certainty::Overlapping)
    );
    assert_eq!(
        compose(SubsetOf, NoRelationship).summary(),
        (NoRelationship, Certainty::Exact)
    );
}

proptest! {
    #[test]
    fn equal_is_identity(r in rel()) {
        prop_assert_eq!(compose(Relationship::Equal, r), RelationshipSet::single(r));
        prop_assert_eq!(compose(r, Relationship::Equal), RelationshipSet::single(r));
    }

    #[test]
    fn composition_is_associative(a in rel_set(), b in rel_set(), c in rel_set()) {
        prop_assert_eq!(a.then(b).then(c), a.then(b.then(c)));
    }

    #[test]
    fn converse_reverses_composition(a in rel_set(), b in rel_set()) {
        prop_assert_eq!(a.then(b).converse(), b.converse().then(a.converse()));
    }

    #[test]
    fn composition_never_empties(a in rel_set(), b in rel_set()) {
        prop_assert!(!a.then(b).is_empty());
    }

    #[test]
    fn reverse_of_reverse_is_original(cw in crosswalk()) {
        prop_assert_eq!(cw.reversed().reversed(), cw.clone());
        for (m, r) in cw.mappings.iter().zip(cw.reversed().mappings.iter()) {
            prop_assert_eq!(&r.source, &m.target);
            prop_assert_eq!(r.relationship, m.relationship.converse());
        }
    }

    #[test]
    fn serde_round_trip(cw in crosswalk()) {
        let json = serde_json::to_string(&cw).unwrap();
        let back: Crosswalk = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, cw);
    }
}

fn mapping() -> impl Strategy<Value = Mapping> {
    let id = "[A-Z]?[0-9]{1,2}(\\.[0-9a-z]{1,2}){0,2}";
    (
        proptest::sample::select(vec!["iso27001:2022", "nis2", "cis:v8", "x-user:1"]),
        id,
        proptest::sample::select(vec!["iso27001:2022", "nis2", "cis:v8", "x-user:1"]),
        id,
        rel(),
        proptest::sample::select(Rationale::ALL.to_vec()),
        proptest::option::of(0i64..=10),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(f1, i1, f2, i2, relationship, rationale, strength, inferred, reversed)| Mapping {
                source: format!("{f1}/{i1}").parse().unwrap(),
                target: format!("{f2}/{i2}").parse().unwrap(),
                relationship,
                rationale,
                strength: strength.map(|s| Strength::new(s).unwrap()),
                provenance: Provenance {
                    source: "test".into(),
                    licence: "test".into(),
                    inferred,
                    note: None,
                },
                reversed,
            },
        )
}

fn crosswalk() -> impl Strategy<Value = Crosswalk> {
    proptest::collection::vec(mapping(), 0..20).prop_map(|mappings| Crosswalk {
        id: "generated".into(),
        name: "generated".into(),
        description: None,
        mappings,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Transitive results contain every direct result, for any shipped item and target.
    #[test]
    fn transitive_contains_direct(fw_index in 0usize..6, item_index in 0usize..500, target_index in 0usize..6) {
        let cat = isms_catalog::Catalog::shipped();
        let fw = &cat.frameworks()[fw_index];
        let item = &fw.items[item_index % fw.items.len()];
        let target = cat.frameworks()[target_index].id.to_string();
        let from = format!("{}/{}", fw.id, item.id);
        let direct = cat.mappings(&from, &target).unwrap();
        let trans = cat.transitive_mappings(&from, &target, &isms_catalog::TransitiveOptions::default()).unwrap();
        for d in direct.iter().filter(|d| d.relationship != Relationship::NoRelationship) {
            prop_assert!(trans.iter().any(|p| p.steps == [d.clone()]), "{} -> {} missing", from, d.target);
        }
        for p in &trans {
            prop_assert_eq!(&p.target.framework, &cat.frameworks()[target_index].id);
            prop_assert_eq!(p.possible.summary(), (p.relationship, p.certainty));
        }
    }
}
