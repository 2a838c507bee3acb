//! Data-integrity tests: exact counts, unique ids, endpoints, known facts.

use std::collections::{HashMap, HashSet};

use isms_catalog::{
    Catalog, ControlType, CybersecurityConcept, ImplementationGroup, ItemKind, Relationship,
    SecurityProperty, Theme,
};

fn count(fw: &str, kind: ItemKind) -> usize {
    Catalog::shipped()
        .framework(fw)
        .unwrap()
        .items
        .iter()
        .filter(|i| i.kind == kind)
        .count()
}

#[test]
fn fresh_build_equals_cached_catalogue() {
    let fresh = Catalog::build_shipped().unwrap();
    assert_eq!(fresh.frameworks(), Catalog::shipped().frameworks());
    assert_eq!(fresh.crosswalks(), Catalog::shipped().crosswalks());
    assert_eq!(fresh.annotations(), Catalog::shipped().annotations());
}

#[test]
fn iso27001_2022_counts() {
    assert_eq!(count("iso27001:2022", ItemKind::Clause), 41);
    assert_eq!(count("iso27001:2022", ItemKind::Theme), 4);
    assert_eq!(count("iso27001:2022", ItemKind::Control), 93);
    let fw = Catalog::shipped().framework("iso27001:2022").unwrap();
    let mut per_theme: HashMap<Theme, usize> = HashMap::new();
    let mut new = Vec::new();
    for item in &fw.items {
        if let Some(isms_catalog::ItemDetails::AnnexAControl { theme, new_in_2022 }) = &item.details
        {
            *per_theme.entry(*theme).or_default() += 1;
            if *new_in_2022 {
                new.push(item.id.to_string());
            }
        }
    }
    assert_eq!(per_theme[&Theme::Organizational], 37);
    assert_eq!(per_theme[&Theme::People], 8);
    assert_eq!(per_theme[&Theme::Physical], 14);
    assert_eq!(per_theme[&Theme::Technological], 34);
    assert_eq!(
        new,
        [
            "A.5.7", "A.5.23", "A.5.30", "A.7.4", "A.8.9", "A.8.10", "A.8.11", "A.8.12", "A.8.16",
            "A.8.23", "A.8.28"
        ]
    );
}

#[test]
fn other_framework_counts() {
    assert_eq!(count("iso27002:2022", ItemKind::Control), 93);
    assert_eq!(count("iso27002:2022", ItemKind::Theme), 4);
    assert_eq!(count("iso27001:2013", ItemKind::Clause), 14);
    assert_eq!(count("iso27001:2013", ItemKind::Objective), 35);
    assert_eq!(count("iso27001:2013", ItemKind::Control), 114);
    assert_eq!(count("cis:v8", ItemKind::Control), 18);
    assert_eq!(count("cis:v8", ItemKind::Safeguard), 153);
    assert_eq!(count("nis2", ItemKind::Article), 5);
    assert_eq!(
        count("nis2", ItemKind::Paragraph) + count("nis2", ItemKind::Point),
        40
    );
    assert_eq!(count("nis2-ir:2024-2690", ItemKind::Section), 13);
    assert_eq!(count("nis2-ir:2024-2690", ItemKind::Subsection), 47);
    assert_eq!(
        Catalog::shipped()
            .framework("nis2-ir:2024-2690")
            .unwrap()
            .items
            .len(),
        437
    );
}

#[test]
fn ids_unique_and_parents_in_framework() {
    for fw in Catalog::shipped().frameworks() {
        let ids: HashSet<&str> = fw.items.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids.len(), fw.items.len(), "{}", fw.id);
        for item in &fw.items {
            if let Some(p) = &item.parent {
                assert!(
                    ids.contains(p.as_str()),
                    "{} {} parent {}",
                    fw.id,
                    item.id,
                    p
                );
            }
        }
    }
    let cws: HashSet<&str> = Catalog::shipped()
        .crosswalks()
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(cws.len(), Catalog::shipped().crosswalks().len());
}

#[test]
fn every_mapping_endpoint_exists_and_pairs_are_unique() {
    let cat = Catalog::shipped();
    for cw in cat.crosswalks() {
        let mut pairs = HashSet::new();
        for m in &cw.mappings {
            let s = cat.resolve_ref(&m.source).unwrap();
            let t = cat.resolve_ref(&m.target).unwrap();
            assert_eq!(
                s.reference(),
                m.source,
                "endpoint not canonical in {}",
                cw.id
            );
            assert_eq!(
                t.reference(),
                m.target,
                "endpoint not canonical in {}",
                cw.id
            );
            let key = if m.source <= m.target {
                (&m.source, &m.target)
            } else {
                (&m.target, &m.source)
            };
            assert!(pairs.insert(key), "duplicate pair {key:?} in {}", cw.id);
        }
    }
}

#[test]
fn crosswalk_sizes() {
    let cat = Catalog::shipped();
    let size = |id: &str| cat.crosswalk(id).unwrap().mappings.len();
    assert_eq!(size("iso27002-2022-to-iso27001-2022"), 93);
    assert_eq!(size("iso27001-2013-to-2022"), 115);
    assert_eq!(size("enisa-iso27001-2022-to-nis2-ir-2024-2690"), 118);
    assert_eq!(size("iso27001-2022-to-nis2"), 114);
    assert_eq!(size("nis2-ir-2024-2690-to-nis2"), 69);
    let inferred = cat
        .crosswalk("iso27001-2022-to-nis2")
        .unwrap()
        .mappings
        .iter()
        .filter(|m| m.provenance.inferred)
        .count();
    assert_eq!(inferred, 12);
}

#[test]
fn correspondence_2013_to_2022_covers_every_old_control() {
    let cat = Catalog::shipped();
    let cw = cat.crosswalk("iso27001-2013-to-2022").unwrap();
    let old: HashSet<String> = cw
        .mappings
        .iter()
        .map(|m| m.source.item.to_string())
        .collect();
    let controls: HashSet<String> = cat
        .framework("iso27001:2013")
        .unwrap()
        .items
        .iter()
        .filter(|i| i.kind == ItemKind::Control)
        .map(|i| i.id.to_string())
        .collect();
    assert_eq!(old, controls);
    let succ = |id: &str| -> Vec<String> {
        let mut v: Vec<String> = cat
            .mappings(&format!("iso27001:2013/{id}"), "iso27001:2022")
            .unwrap()
            .into_iter()
            .map(|m| m.target.item.to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(succ("A.18.2.3"), ["A.5.36", "A.8.8"]);
    for id in ["A.13.2.1", "A.13.2.2", "A.13.2.3"] {
        assert_eq!(succ(id), ["A.5.14"], "{id}");
    }
    assert_eq!(succ("A.12.3.1"), ["A.8.13"]);
    // Only A.18.2.3 has more than one successor.
    let multi: Vec<&String> = controls.iter().filter(|c| succ(c).len() > 1).collect();
    assert_eq!(multi, [&"A.18.2.3".to_owned()]);
    // The 11 new controls are exactly those without predecessor.
    let new_ids: HashSet<String> = cw
        .mappings
        .iter()
        .map(|m| m.target.item.to_string())
        .collect();
    assert_eq!(new_ids.len(), 93 - 11);
}

#[test]
fn the_seed_errors_are_not_repeated() {
    let cat = Catalog::shipped();
    assert_eq!(
        cat.resolve("iso27001:2022/A.8.4").unwrap().title(),
        Some("Access to source code")
    );
    assert_eq!(
        cat.resolve("iso27001:2022/A.8.13").unwrap().title(),
        Some("Information backup")
    );
    assert_eq!(
        cat.resolve("iso27001:2022/10.1").unwrap().title(),
        Some("Continual improvement")
    );
    assert_eq!(
        cat.resolve("iso27001:2022/10.2").unwrap().title(),
        Some("Nonconformity and corrective action")
    );
    // ISO/IEC 27002:2022 has no clause 10.
    assert!(cat.resolve("iso27002:2022/10").is_err());
    let related: Vec<String> = cat
        .resolve("iso27001:2022/10")
        .unwrap()
        .related()
        .iter()
        .map(|r| r.item.to_string())
        .collect();
    assert!(related.contains(&"iso27001:2022/A.8.13".to_owned()));
    assert!(
        !related
            .iter()
            .any(|r| r == "iso27001:2022/A.8.4" || r.starts_with("iso27002"))
    );
    for r in ["nis2/21.2.f", "nis2/21.4", "nis2/20", "cis:v8/17"] {
        assert!(related.contains(&r.to_owned()), "{r}");
    }
}

#[test]
fn iso27002_attribute_totals_match_published_statistics() {
    let fw = Catalog::shipped().framework("iso27002:2022").unwrap();
    let attrs: Vec<_> = fw
        .items
        .iter()
        .filter_map(|i| i.iso27002_attributes())
        .collect();
    assert_eq!(attrs.len(), 93);
    let ct = |v: ControlType| {
        attrs
            .iter()
            .filter(|a| a.control_types.contains(&v))
            .count()
    };
    let sp = |v: SecurityProperty| {
        attrs
            .iter()
            .filter(|a| a.security_properties.contains(&v))
            .count()
    };
    let cc = |v: CybersecurityConcept| {
        attrs
            .iter()
            .filter(|a| a.cybersecurity_concepts.contains(&v))
            .count()
    };
    assert_eq!(
        (
            ct(ControlType::Preventive),
            ct(ControlType::Detective),
            ct(ControlType::Corrective)
        ),
        (83, 13, 14)
    );
    assert_eq!(
        (
            sp(SecurityProperty::Confidentiality),
            sp(SecurityProperty::Integrity),
            sp(SecurityProperty::Availability)
        ),
        (87, 84, 85)
    );
    assert_eq!(
        [
            CybersecurityConcept::Identify,
            CybersecurityConcept::Protect,
            CybersecurityConcept::Detect,
            CybersecurityConcept::Respond,
            CybersecurityConcept::Recover
        ]
        .map(cc),
        [23, 71, 14, 11, 6]
    );
    // Every control has at least one value of each attribute.
    for a in &attrs {
        assert!(
            !a.control_types.is_empty()
                && !a.security_properties.is_empty()
                && !a.cybersecurity_concepts.is_empty()
                && !a.operational_capabilities.is_empty()
                && !a.security_domains.is_empty()
        );
    }
}

#[test]
fn cis_implementation_group_totals() {
    let fw = Catalog::shipped().framework("cis:v8").unwrap();
    let sg: Vec<_> = fw.items.iter().filter_map(|i| i.cis_safeguard()).collect();
    let with = |g| {
        sg.iter()
            .filter(|s| s.implementation_groups.contains(&g))
            .count()
    };
    assert_eq!(
        (
            with(ImplementationGroup::Ig1),
            with(ImplementationGroup::Ig2),
            with(ImplementationGroup::Ig3)
        ),
        (56, 130, 153)
    );
    // No safeguard carries a title (CIS licence).
    assert!(
        fw.items
            .iter()
            .filter(|i| i.kind == ItemKind::Safeguard)
            .all(|i| i.title.is_none() && i.summary.is_none())
    );
}

#[test]
fn nis2_deadlines() {
    let cat = Catalog::shipped();
    let d = |id: &str| {
        cat.resolve(&format!("nis2/{id}"))
            .unwrap()
            .item()
            .deadlines()
            .to_vec()
    };
    let early = &d("23.4.a")[0];
    assert_eq!(early.within.unwrap().to_string(), "PT24H");
    assert_eq!(
        early.within.unwrap().fixed(),
        Some(std::time::Duration::from_secs(24 * 3600))
    );
    assert_eq!(
        early.clock_starts,
        isms_catalog::ClockStart::AwarenessOfSignificantIncident
    );
    assert_eq!(d("23.4.b")[0].within.unwrap().to_string(), "PT72H");
    let fin = &d("23.4.d")[0];
    assert_eq!(fin.within.unwrap().to_string(), "P1M");
    assert_eq!(
        fin.within.unwrap().fixed(),
        None,
        "a month is a calendar month"
    );
    assert_eq!(
        fin.clock_starts,
        isms_catalog::ClockStart::IncidentNotificationSubmitted
    );
    assert!(d("21.4")[0].without_undue_delay && d("21.4")[0].within.is_none());
    assert!(d("32.4.d")[0].set_by_authority);
}

#[test]
fn crosswalk_relationship_mix() {
    let cat = Catalog::shipped();
    let mix = |id: &str| {
        let mut m: HashMap<Relationship, usize> = HashMap::new();
        for x in &cat.crosswalk(id).unwrap().mappings {
            *m.entry(x.relationship).or_default() += 1;
        }
        m
    };
    let old = mix("iso27001-2013-to-2022");
    // Annex B is a correspondence: all 115 pairs intersect, none is claimed equal
    // (58 of them are one-to-one in the table, which the notes record).
    assert_eq!(old.get(&Relationship::IntersectsWith), Some(&115));
    let one_to_one = cat
        .crosswalk("iso27001-2013-to-2022")
        .unwrap()
        .mappings
        .iter()
        .filter(|m| {
            m.provenance
                .note
                .as_deref()
                .is_some_and(|n| n.contains("one-to-one"))
        })
        .count();
    assert_eq!(one_to_one, 58);
    assert!(
        mix("enisa-iso27001-2022-to-nis2-ir-2024-2690")
            .keys()
            .all(|r| *r == Relationship::IntersectsWith)
    );
    assert!(
        mix("iso27002-2022-to-iso27001-2022")
            .keys()
            .all(|r| *r == Relationship::Equal)
    );
}
