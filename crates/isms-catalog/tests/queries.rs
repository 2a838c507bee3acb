//! Resolution, hierarchy, direct and transitive mappings, coverage.

use isms_catalog::{Catalog, Certainty, Relationship, TransitiveOptions};

#[test]
fn resolves_canonical_and_loose_spellings() {
    let cat = Catalog::shipped();
    let canonical = cat.resolve("iso27001:2022/A.8.13").unwrap().reference();
    for (fw, item) in [
        ("iso27001:2022", "A.8.13"),
        ("iso27001:2022", "8.13"),
        ("iso27001:2022", "A 8.13"),
        ("iso27001:2022", "a.8.13"),
        ("iso27001:2022", "A8.13"),
        ("iso27001", "Annex A 8.13"),
        ("ISO 27001:2022", " A.8.13 "),
        ("ISO/IEC 27001:2022", "A.8.13"),
    ] {
        assert_eq!(
            cat.resolve_parts(fw, item).unwrap().reference(),
            canonical,
            "{fw} / {item}"
        );
    }
    assert_eq!(
        cat.resolve("ISO/IEC 27001:2022/A 8.13")
            .unwrap()
            .reference(),
        canonical
    );
    let c = cat.resolve_parts("nis2", "Article 21(2)(c)").unwrap();
    assert_eq!(c.reference().to_string(), "nis2/21.2.c");
    assert_eq!(
        cat.resolve_parts("NIS2", "Art. 21(4)")
            .unwrap()
            .reference()
            .to_string(),
        "nis2/21.4"
    );
    assert_eq!(
        cat.resolve("nis2-ir/3.2.1")
            .unwrap()
            .reference()
            .to_string(),
        "nis2-ir:2024-2690/3.2.1"
    );
    assert_eq!(
        cat.resolve("cis/17.8").unwrap().reference().to_string(),
        "cis:v8/17.8"
    );
    assert_eq!(
        cat.resolve("iso27002/A.5.1")
            .unwrap()
            .reference()
            .to_string(),
        "iso27002:2022/5.1"
    );
    assert_eq!(
        cat.resolve("iso27001:2013/12.3.1")
            .unwrap()
            .reference()
            .to_string(),
        "iso27001:2013/A.12.3.1"
    );
}

#[test]
fn exact_ids_win_over_loose_ones() {
    // "8.1" is a clause of ISO/IEC 27001:2022 (Operational planning and control); the
    // Annex A control needs its "A." prefix.
    let cat = Catalog::shipped();
    assert_eq!(
        cat.resolve("iso27001:2022/8.1").unwrap().title(),
        Some("Operational planning and control")
    );
    assert_eq!(
        cat.resolve("iso27001:2022/A.8.1").unwrap().title(),
        Some("User end point devices")
    );
}

#[test]
fn hierarchy() {
    let cat = Catalog::shipped();
    let ten = cat.resolve("iso27001:2022/10").unwrap();
    let kids: Vec<String> = ten
        .children()
        .iter()
        .map(|c| c.item().id.to_string())
        .collect();
    assert_eq!(kids, ["10.1", "10.2"]);
    let anc: Vec<String> = cat
        .resolve("iso27001:2022/7.5.3")
        .unwrap()
        .ancestors()
        .iter()
        .map(|a| a.item().id.to_string())
        .collect();
    assert_eq!(anc, ["7.5", "7"]);
    assert_eq!(
        cat.resolve("iso27001:2022/A.5").unwrap().children().len(),
        37
    );
    assert_eq!(cat.resolve("cis:v8/17").unwrap().children().len(), 9);
    let point: Vec<String> = cat
        .resolve("nis2-ir:2024-2690/9.2.c.iv")
        .unwrap()
        .ancestors()
        .iter()
        .map(|a| a.item().id.to_string())
        .collect();
    assert_eq!(point, ["9.2.c", "9.2", "9"]);
    assert_eq!(
        cat.resolve("nis2/21.2.c")
            .unwrap()
            .parent()
            .unwrap()
            .item()
            .id
            .as_str(),
        "21.2"
    );
}

#[test]
fn direct_mappings_in_both_directions() {
    let cat = Catalog::shipped();
    let fwd = cat
        .mappings("iso27001:2013/A.12.3.1", "iso27001:2022")
        .unwrap();
    assert_eq!(fwd.len(), 1);
    assert!(!fwd[0].reversed);
    let back = cat
        .mappings("iso27001:2022/A.8.13", "iso27001:2013")
        .unwrap();
    assert_eq!(back.len(), 1);
    assert!(back[0].reversed);
    assert_eq!(back[0], fwd[0].reversed());
    // Merged control: Annex B pairs both 2013 controls with it; a correspondence reads
    // the same both ways (`intersects_with` is its own converse).
    let merged = cat
        .mappings("iso27001:2022/A.5.1", "iso27001:2013")
        .unwrap();
    assert_eq!(merged.len(), 2);
    assert!(
        merged
            .iter()
            .all(|m| m.relationship == Relationship::IntersectsWith && m.reversed)
    );
    let ir = cat
        .mappings("iso27001:2022/A.8.13", "nis2-ir:2024-2690")
        .unwrap();
    let ids: Vec<String> = ir.iter().map(|m| m.target.item.to_string()).collect();
    assert_eq!(ids, ["4.2"]);
    assert_eq!(ir[0].provenance.licence, isms_catalog::ENISA_LICENCE);
}

#[test]
fn transitive_mappings_compose_and_record_the_path() {
    let cat = Catalog::shipped();
    let paths = cat
        .transitive_mappings(
            "iso27001:2022/A.8.13",
            "nis2",
            &TransitiveOptions::default(),
        )
        .unwrap();
    // Direct edge (ENISA lifted) and the path through the Regulation's 4.2.
    let to_c: Vec<_> = paths
        .iter()
        .filter(|p| p.target.to_string() == "nis2/21.2.c")
        .collect();
    assert_eq!(to_c.len(), 2, "{to_c:#?}");
    assert_eq!(to_c[0].steps.len(), 1);
    assert_eq!(to_c[0].relationship, Relationship::IntersectsWith);
    assert_eq!(to_c[0].certainty, Certainty::Exact);
    let via = to_c[1];
    assert_eq!(via.steps.len(), 2);
    assert_eq!(via.pivots()[0].as_str(), "nis2-ir:2024-2690");
    assert_eq!(
        via.steps[0].target, via.steps[1].source,
        "steps are chained"
    );
    // intersects_with then subset_of: the items certainly overlap.
    assert_eq!(
        (via.relationship, via.certainty),
        (Relationship::IntersectsWith, Certainty::Overlapping)
    );
}

#[test]
fn n_to_n_is_carried_fully() {
    let cat = Catalog::shipped();
    // A.8.8 has two 2013 predecessors, one of which (A.18.2.3) also leads to A.5.36.
    let back = cat
        .transitive_mappings(
            "iso27001:2013/A.18.2.3",
            "iso27001:2022",
            &TransitiveOptions::default(),
        )
        .unwrap();
    let targets: Vec<String> = back.iter().map(|p| p.target.item.to_string()).collect();
    assert!(targets.contains(&"A.5.36".to_owned()) && targets.contains(&"A.8.8".to_owned()));
    // Every IR subsection ENISA links to A.5.21 is reached, not only the first.
    let direct = cat.mappings("iso27001:2022/A.5.21", "nis2-ir").unwrap();
    assert!(direct.len() > 1);
    let trans = cat
        .transitive_mappings(
            "iso27001:2022/A.5.21",
            "nis2-ir",
            &TransitiveOptions::default(),
        )
        .unwrap();
    for d in &direct {
        assert!(
            trans.iter().any(|p| p.steps == [d.clone()]),
            "missing {}",
            d.target
        );
    }
}

#[test]
fn depth_and_pivots_bound_the_walk() {
    let cat = Catalog::shipped();
    let one = TransitiveOptions {
        max_depth: 1,
        pivots: None,
    };
    let paths = cat
        .transitive_mappings("iso27001:2022/A.8.13", "nis2", &one)
        .unwrap();
    assert!(paths.iter().all(|p| p.steps.len() == 1));
    let direct = cat.mappings("iso27001:2022/A.8.13", "nis2").unwrap();
    assert_eq!(paths.len(), direct.len());
    let only_2013 = TransitiveOptions {
        max_depth: 3,
        pivots: Some(vec!["iso27001:2013".parse().unwrap()]),
    };
    let paths = cat
        .transitive_mappings("iso27001:2022/A.8.13", "nis2", &only_2013)
        .unwrap();
    assert!(
        paths.iter().all(|p| p.steps.len() == 1),
        "no path runs through the Regulation"
    );
    let zero = TransitiveOptions {
        max_depth: 0,
        pivots: None,
    };
    assert!(
        cat.transitive_mappings("iso27001:2022/A.8.13", "nis2", &zero)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn old_register_migrates_through_2022_to_nis2() {
    let cat = Catalog::shipped();
    let paths = cat
        .transitive_mappings(
            "iso27001:2013/A.12.3.1",
            "nis2",
            &TransitiveOptions::default(),
        )
        .unwrap();
    let p = paths
        .iter()
        .find(|p| p.target.to_string() == "nis2/21.2.c")
        .unwrap();
    assert_eq!(p.steps[0].target.to_string(), "iso27001:2022/A.8.13");
    // Annex B's correspondence then ENISA's pointer: two intersections say nothing
    // certain about the ends, so the path claims intersects_with at best, never more.
    assert_eq!(
        (p.relationship, p.certainty),
        (Relationship::IntersectsWith, Certainty::AtBest)
    );
}

#[test]
fn coverage_of_a_register() {
    let cat = Catalog::shipped();
    let refs = [
        "iso27001:2022/A.8.13",
        "iso27001:2022/A.5.24",
        "iso27001:2022/10.2",
    ];
    let cov = cat
        .coverage(refs, "nis2", &TransitiveOptions::default())
        .unwrap();
    let touched: Vec<String> = cov
        .touched
        .iter()
        .map(|c| c.item.item.to_string())
        .collect();
    for t in ["21.2.b", "21.2.c", "21.4", "23.1"] {
        assert!(touched.contains(&t.to_owned()), "{t} in {touched:?}");
    }
    let total = cat.framework("nis2").unwrap().items.len();
    assert_eq!(cov.touched.len() + cov.untouched.len(), total);
    assert!(cov.ratio() > 0.0 && cov.ratio() < 1.0);
    for c in &cov.touched {
        assert_eq!(c.relationship, c.paths[0].relationship);
        assert!(c.paths.iter().all(|p| p.target == c.item));
    }
}

#[test]
fn clause_ten_names_its_related_controls_without_mapping_to_them() {
    let cat = Catalog::shipped();
    let ten = cat.resolve("iso27001:2022/10").unwrap();
    let annex_a: Vec<String> = ten
        .related()
        .iter()
        .filter(|r| r.item.framework.as_str() == "iso27001:2022")
        .map(|r| r.item.item.to_string())
        .collect();
    assert_eq!(
        annex_a,
        ["A.5.4", "A.5.27", "A.5.35", "A.5.36", "A.6.4", "A.8.13"]
    );
    assert!(
        ten.related()
            .iter()
            .any(|r| r.item.to_string() == "cis:v8/17")
    );
    assert!(cat.mappings("iso27001:2022/10", "cis").unwrap().is_empty());
    assert!(
        cat.transitive_mappings("iso27001:2022/10", "nis2", &TransitiveOptions::default())
            .unwrap()
            .is_empty()
    );
}
