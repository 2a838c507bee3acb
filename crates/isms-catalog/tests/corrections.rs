//! The catalogue corrections of issue 16 (part 8), each first written as a failing test:
//! `equal` only where the cited source states identity, and the clause 10 "related
//! controls" list as an annotation that no query walks through.

use isms_catalog::{Catalog, ItemKind, Relationship, TransitiveOptions};

const CLAUSE_10: &str = "iso27001:2022/10";

/// A stored edge claims `equal` on the strength of its source only when the source
/// says so: an `equal` the compiler inferred (`provenance.inferred`) is a claim nobody
/// made. Counted over every shipped crosswalk, it must be none.
#[test]
fn no_equal_edge_without_a_source_stating_identity() {
    let cat = Catalog::shipped();
    let unfounded: Vec<String> = cat
        .shipped_crosswalks()
        .iter()
        .flat_map(|cw| cw.mappings.iter().map(move |m| (cw, m)))
        .filter(|(_, m)| m.relationship == Relationship::Equal && m.provenance.inferred)
        .map(|(cw, m)| format!("{}: {} = {}", cw.id, m.source, m.target))
        .collect();
    assert_eq!(unfounded.len(), 0, "{unfounded:#?}");
}

/// Annex B of ISO/IEC 27002:2022 pairs each 2013 control with the 2022 control(s) that
/// carry its subject on; it does not say the two are the same. Every pair is
/// `intersects_with`, marked inferred, with the pair's shape kept in the note.
#[test]
fn annex_b_pairs_are_correspondences() {
    let cat = Catalog::shipped();
    let cw = cat.crosswalk("iso27001-2013-to-2022").unwrap();
    assert_eq!(cw.mappings.len(), 115);
    for m in &cw.mappings {
        assert_eq!(m.relationship, Relationship::IntersectsWith, "{}", m.source);
        assert!(m.provenance.inferred, "{}", m.source);
        let note = m.provenance.note.as_deref().unwrap_or_default();
        assert!(note.contains("correspondence"), "{}: {note}", m.source);
    }
    let note = |old: &str| {
        cw.mappings
            .iter()
            .find(|m| m.source.to_string() == old)
            .and_then(|m| m.provenance.note.clone())
            .unwrap()
    };
    // The shape of the pair travels as a fact, not as a relationship.
    assert!(note("iso27001:2013/A.12.3.1").contains("one-to-one"));
    assert!(note("iso27001:2013/A.5.1.1").contains("one of 2 2013 controls"));
    assert!(note("iso27001:2013/A.18.2.3").contains("one of 2 2022 controls"));
    // The correspondence from 27002 to 27001:2022 Annex A is a statement of the source.
    assert!(
        cat.crosswalk("iso27002-2022-to-iso27001-2022")
            .unwrap()
            .mappings
            .iter()
            .all(|m| m.relationship == Relationship::Equal && !m.provenance.inferred)
    );
}

/// The source document's list of controls related to clause 10 is context, not a
/// mapping: before the correction, 2013 A.12.3.1 reached NIS2 Article 20 through
/// A.8.13 and clause 10.
#[test]
fn no_transitive_path_passes_through_clause_10() {
    let cat = Catalog::shipped();
    let paths = cat
        .transitive_mappings(
            "iso27001:2013/A.12.3.1",
            "nis2",
            &TransitiveOptions::default(),
        )
        .unwrap();
    assert!(
        !paths.iter().any(|p| p.target.to_string() == "nis2/20"),
        "A.12.3.1 has nothing to do with management body oversight: {paths:#?}"
    );
    // No path from any 2013 control, to any framework, steps on clause 10.
    let controls = cat
        .framework("iso27001:2013")
        .unwrap()
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Control);
    for c in controls {
        let from = format!("iso27001:2013/{}", c.id);
        for target in ["nis2", "cis:v8", "nis2-ir:2024-2690"] {
            for p in cat
                .transitive_mappings(&from, target, &TransitiveOptions::default())
                .unwrap()
            {
                assert!(
                    p.steps
                        .iter()
                        .all(|s| s.source.to_string() != CLAUSE_10
                            && s.target.to_string() != CLAUSE_10),
                    "{from} -> {} passes through clause 10",
                    p.target
                );
            }
        }
    }
    // Clause 10 has no crosswalk edge of the related-controls list at all.
    assert!(cat.crosswalk("clause10-related").is_none());
    assert!(cat.resolve(CLAUSE_10).unwrap().all_mappings().is_empty());
}

/// The list survives, as an annotation on clause 10 that names each item, why it is
/// related, and where the list comes from.
#[test]
fn clause_10_carries_its_related_items_as_an_annotation() {
    let cat = Catalog::shipped();
    let ten = cat.resolve(CLAUSE_10).unwrap();
    let related: Vec<String> = ten.related().iter().map(|r| r.item.to_string()).collect();
    assert_eq!(
        related,
        [
            "iso27001:2022/A.5.4",
            "iso27001:2022/A.5.27",
            "iso27001:2022/A.5.35",
            "iso27001:2022/A.5.36",
            "iso27001:2022/A.6.4",
            "iso27001:2022/A.8.13",
            "nis2/21.2.f",
            "nis2/21.4",
            "nis2/20",
            "cis:v8/17",
        ]
    );
    assert!(ten.related().iter().all(|r| !r.note.is_empty()));
    let annotation = &cat.annotations()[0];
    assert_eq!(annotation.subject.to_string(), CLAUSE_10);
    assert!(annotation.provenance.inferred);
    // The seed's errors stay corrected: A.8.13, not A.8.4; nothing in ISO 27002.
    assert!(
        !related
            .iter()
            .any(|r| r == "iso27001:2022/A.8.4" || r.starts_with("iso27002"))
    );
    // Read from the other side: A.8.13 knows it is named in clause 10's list.
    let backup = cat.resolve("iso27001:2022/A.8.13").unwrap();
    let named_in: Vec<String> = backup
        .related_by()
        .iter()
        .map(|a| a.subject.to_string())
        .collect();
    assert_eq!(named_in, [CLAUSE_10]);
    // Annotations are checked like edges: every item exists.
    for a in cat.annotations() {
        cat.resolve_ref(&a.subject).unwrap();
        for r in &a.related {
            cat.resolve_ref(&r.item).unwrap();
        }
    }
}
