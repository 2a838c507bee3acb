//! Crosswalks as an OSCAL mapping collection, frameworks as catalogs.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use isms_catalog::{Catalog, Rationale, Relationship};
use isms_oscal::{
    CatalogOptions, ExportError, MappingOptions, export_catalog, export_mapping_collection,
    relationship_value, tokenise,
};
use serde_json::Value;

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

#[test]
fn relationship_values_follow_ir_8477_and_oscal() {
    use Rationale::*;
    use Relationship::*;
    assert_eq!(relationship_value(Equal, Syntactic), "equal-to");
    assert_eq!(relationship_value(Equal, Semantic), "equivalent-to");
    assert_eq!(relationship_value(Equal, Functional), "equivalent-to");
    assert_eq!(relationship_value(SubsetOf, Semantic), "subset-of");
    assert_eq!(relationship_value(SupersetOf, Functional), "superset-of");
    assert_eq!(
        relationship_value(IntersectsWith, Syntactic),
        "intersects-with"
    );
    assert_eq!(
        relationship_value(NoRelationship, Semantic),
        "no-relationship"
    );
}

#[test]
fn every_stored_edge_becomes_exactly_one_map() {
    let catalog = Catalog::shipped();
    let doc = export_mapping_collection(&MappingOptions::new(catalog, at())).unwrap();
    let mappings = doc["mapping-collection"]["mappings"].as_array().unwrap();
    let maps: Vec<&Value> = mappings
        .iter()
        .flat_map(|m| m["maps"].as_array().unwrap())
        .collect();
    let edges: usize = catalog.crosswalks().iter().map(|c| c.mappings.len()).sum();
    assert_eq!(maps.len(), edges);
    // Relationship counts agree edge for edge.
    let mut expected: BTreeMap<&str, usize> = BTreeMap::new();
    for m in catalog.crosswalks().iter().flat_map(|c| &c.mappings) {
        *expected
            .entry(relationship_value(m.relationship, m.rationale))
            .or_default() += 1;
    }
    let mut got: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &maps {
        *got.entry(m["relationship"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(got, expected);
    // The backup control's 2013 -> 2022 edge is there, with its rationale.
    let first = catalog
        .crosswalks()
        .iter()
        .flat_map(|c| &c.mappings)
        .next()
        .unwrap();
    let m = maps
        .iter()
        .find(|m| {
            m["sources"][0]["id-ref"] == tokenise(first.source.item.as_str())
                && m["targets"][0]["id-ref"] == tokenise(first.target.item.as_str())
        })
        .unwrap();
    assert_eq!(
        m["matching-rationale"],
        serde_json::to_value(first.rationale).unwrap()
    );
}

#[test]
fn a_selection_of_crosswalks_and_an_empty_one() {
    let catalog = Catalog::shipped();
    let id = catalog.crosswalks()[0].id.clone();
    let mut options = MappingOptions::new(catalog, at());
    options.crosswalks = Some(vec![id.clone()]);
    let doc = export_mapping_collection(&options).unwrap();
    for m in doc["mapping-collection"]["mappings"].as_array().unwrap() {
        let props = m["props"].as_array().unwrap();
        assert!(
            props
                .iter()
                .any(|p| p["name"] == "crosswalk-id" && p["value"] == id.as_str())
        );
    }
    options.crosswalks = Some(vec!["no-such-crosswalk".into()]);
    assert!(matches!(
        export_mapping_collection(&options),
        Err(ExportError::NoMappings { .. })
    ));
}

#[test]
fn iso_catalog_holds_identifiers_and_titles_only() {
    let catalog = Catalog::shipped();
    let options = CatalogOptions {
        last_modified: at(),
        version: None,
    };
    let doc = export_catalog(catalog, "iso27001:2022", &options).unwrap();
    let text = doc.to_string();
    // A.8.13 is there by id and title...
    assert!(text.contains("\"A.8.13\"") && text.contains("Information backup"));
    // ...and nothing but ids, titles, classes and labels: no prose parts.
    assert!(!text.contains("\"prose\""));
    let fw = catalog.framework("iso27001:2022").unwrap();
    let mut ids = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>) {
        for key in ["groups", "controls"] {
            for n in v[key].as_array().into_iter().flatten() {
                out.push(n["id"].as_str().unwrap().to_owned());
                walk(n, out);
            }
        }
    }
    walk(&doc["catalog"], &mut ids);
    assert_eq!(ids.len(), fw.items.len(), "every item once");
    assert!(matches!(
        export_catalog(catalog, "iso9001:2015", &options),
        Err(ExportError::UnknownFramework(_))
    ));
}
