//! Loading user frameworks and crosswalks from CSV and JSON.

use isms_catalog::load::{self, CrosswalkInfo, FrameworkInfo};
use isms_catalog::{Catalog, LoadError, Provenance, Relationship, TransitiveOptions};

fn info() -> FrameworkInfo {
    FrameworkInfo {
        id: "acme-policy:2025".parse().unwrap(),
        name: "ACME security policy".into(),
        version: "2025".into(),
        publisher: "ACME".into(),
        licence: "internal".into(),
        attribution: None,
        source: None,
    }
}

fn cw_info() -> CrosswalkInfo {
    CrosswalkInfo {
        id: "acme-to-iso".into(),
        name: "ACME policy to ISO 27001".into(),
        description: None,
        provenance: Provenance {
            source: "ACME ISMS team".into(),
            licence: "internal".into(),
            inferred: false,
            note: None,
        },
    }
}

const FRAMEWORK_CSV: &str = "id,parent,kind,title\nBK,,section,Backups\nBK-1,BK,requirement,Daily backup\nBK-2,BK,requirement,Monthly restore test\n";

#[test]
fn framework_and_crosswalk_from_csv_extend_the_catalogue() {
    let fw = load::framework_from_csv("acme.csv", FRAMEWORK_CSV, info()).unwrap();
    assert_eq!(fw.items.len(), 3);
    let with_fw = Catalog::builder()
        .with_user_framework(fw.clone())
        .build()
        .unwrap();
    let csv = "source,target,relationship,rationale,strength\n\
               acme-policy:2025/BK-1,ISO 27001/A 8.13,subset_of,functional,8\n\
               acme-policy:2025/BK-2,iso27001:2022/A.8.13,subset_of,functional,\n";
    let cw = load::crosswalk_from_csv("acme-map.csv", csv, cw_info(), &with_fw).unwrap();
    assert_eq!(
        cw.mappings[0].target.to_string(),
        "iso27001:2022/A.8.13",
        "stored canonical"
    );
    assert_eq!(cw.mappings[0].strength.unwrap().get(), 8);
    let cat = Catalog::builder()
        .with_user_framework(fw)
        .with_user_mappings(cw)
        .build()
        .unwrap();
    assert!(!cat.is_shipped("acme-policy:2025").unwrap());
    assert!(cat.is_shipped("nis2").unwrap());
    // The user's requirement now reaches NIS2 through ISO 27001.
    let paths = cat
        .transitive_mappings(
            "acme-policy:2025/BK-1",
            "nis2",
            &TransitiveOptions::default(),
        )
        .unwrap();
    let p = paths
        .iter()
        .find(|p| p.target.to_string() == "nis2/21.2.c")
        .unwrap();
    assert_eq!(p.steps.len(), 2);
    // subset_of then intersects_with: at best.
    assert_eq!(p.relationship, Relationship::IntersectsWith);
    // And the reverse edge is derived: A.8.13 is a superset of BK-1.
    let back = cat
        .mappings("iso27001:2022/A.8.13", "acme-policy:2025")
        .unwrap();
    assert!(
        back.iter()
            .all(|m| m.relationship == Relationship::SupersetOf && m.reversed)
    );
    // Shipped data is untouched.
    assert_eq!(
        cat.crosswalks().len(),
        Catalog::shipped().crosswalks().len() + 1
    );
}

#[test]
fn json_round_trip_of_framework_and_crosswalk() {
    let fw = load::framework_from_csv("acme.csv", FRAMEWORK_CSV, info()).unwrap();
    let json = serde_json::to_string_pretty(&fw).unwrap();
    assert_eq!(load::framework_from_json("acme.json", &json).unwrap(), fw);
    let with_fw = Catalog::builder().with_user_framework(fw).build().unwrap();
    let cw_json = r#"{"id":"acme-to-iso","name":"x","mappings":[
        {"source":"acme-policy:2025/BK-1","target":"iso27001/8.13","relationship":"subset_of",
         "rationale":"functional","strength":7,"provenance":{"source":"me","licence":"CC0","inferred":false}}]}"#;
    let cw = load::crosswalk_from_json("map.json", cw_json, &with_fw).unwrap();
    assert_eq!(cw.mappings[0].target.to_string(), "iso27001:2022/A.8.13");
    // Shipped documents are exchangeable as JSON too.
    let nis2 = Catalog::shipped().framework("nis2").unwrap();
    let back =
        load::framework_from_json("nis2.json", &serde_json::to_string(nis2).unwrap()).unwrap();
    assert_eq!(&back, nis2);
}

fn invalid(err: LoadError) -> (String, Option<u64>, String, String) {
    match err {
        LoadError::InvalidField {
            file,
            line,
            field,
            value,
            ..
        } => (file, line, field, value),
        other => panic!("expected InvalidField, got {other:?}"),
    }
}

#[test]
fn csv_errors_name_file_line_and_field() {
    let cat = Catalog::shipped();
    let base = "source,target,relationship,rationale,strength\n";
    let case = |row: &str| {
        invalid(
            load::crosswalk_from_csv("m.csv", &format!("{base}{row}"), cw_info(), cat).unwrap_err(),
        )
    };
    assert_eq!(
        case("iso27001:2022/A.5.1,nis2/21.2.a,intersects_with,semantic,11\n"),
        ("m.csv".into(), Some(2), "strength".into(), "11".into())
    );
    assert_eq!(
        case("iso27001:2022/A.5.1,nis2/99,intersects_with,semantic,\n").2,
        "target"
    );
    assert_eq!(
        case("iso27001:2022/A.5.1,nis2/20,overlaps,semantic,\n").2,
        "relationship"
    );
    assert_eq!(
        case("iso27001:2022/A.5.1,nis2/20,equal,gut feeling,\n").2,
        "rationale"
    );
    assert_eq!(case("nis9/1,nis2/20,equal,semantic,\n").2, "source");
    let dup = case(
        "iso27001:2022/A.5.1,nis2/20,equal,semantic,\nnis2/20,iso27001:2022/A.5.1,equal,semantic,\n",
    );
    assert_eq!((dup.1, dup.2.as_str()), (Some(3), "target"));
    let err = load::crosswalk_from_csv("m.csv", "source,target\n", cw_info(), cat).unwrap_err();
    assert!(
        matches!(&err, LoadError::MissingColumn { column, .. } if column == "relationship"),
        "{err:?}"
    );
    assert!(err.to_string().starts_with("m.csv, line 1: missing column"));
}

#[test]
fn framework_csv_errors() {
    let err =
        load::framework_from_csv("f.csv", "id,parent,title\nA,,x\nA,,y\n", info()).unwrap_err();
    assert_eq!(
        invalid(err),
        ("f.csv".into(), Some(3), "id".into(), "A".into())
    );
    let err = load::framework_from_csv("f.csv", "id,parent,title\nA,Z,x\n", info()).unwrap_err();
    assert_eq!(invalid(err).2, "parent");
    let err =
        load::framework_from_csv("f.csv", "id,kind,title\nA,chapter,x\n", info()).unwrap_err();
    assert_eq!(invalid(err).2, "kind");
    let err = load::framework_from_csv("f.csv", "id,title\n\"A,x\n", info()).unwrap_err();
    assert!(
        matches!(err, LoadError::Csv { .. } | LoadError::InvalidField { .. }),
        "{err:?}"
    );
}

#[test]
fn json_errors_name_file_line_and_field() {
    let err = load::crosswalk_from_json(
        "m.json",
        "{\"id\":\"x\",\"name\":\"x\",\"mappings\":[\n{\"source\":\"nis2/20\",\"target\":\"nis2/21.4\",\"relationship\":\"equal\",\n\"rationale\":\"semantic\",\"strength\":42,\"provenance\":{\"source\":\"s\",\"licence\":\"l\",\"inferred\":true}}]}",
        Catalog::shipped(),
    )
    .unwrap_err();
    match &err {
        LoadError::Json {
            file,
            line,
            message,
            ..
        } => {
            assert_eq!((file.as_str(), *line), ("m.json", 3));
            assert!(message.contains("outside 0-10"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let err = load::crosswalk_from_json(
        "m.json",
        r#"{"id":"x","name":"x","mappings":[{"source":"nis2/20","target":"nis2/77","relationship":"equal","rationale":"semantic","provenance":{"source":"s","licence":"l","inferred":true}}]}"#,
        Catalog::shipped(),
    )
    .unwrap_err();
    assert_eq!(invalid(err).2, "mappings[0].target");
    let err = load::framework_from_json("f.json", r#"{"id":"a","name":"a","version":"1","publisher":"p","licence":"l","items":[{"id":"1","kind":"requirement"},{"id":"1","kind":"requirement"}]}"#).unwrap_err();
    assert_eq!(invalid(err).2, "items[1].id");
    let err = load::read("/nonexistent/acme.csv").unwrap_err();
    assert!(err.to_string().contains("/nonexistent/acme.csv"));
}

#[test]
fn json_schemas_generate_for_exchanged_documents() {
    let fw = serde_json::to_value(schemars::schema_for!(isms_catalog::Framework)).unwrap();
    assert!(fw["properties"]["items"].is_object(), "{fw}");
    let cw = serde_json::to_value(schemars::schema_for!(isms_catalog::Crosswalk)).unwrap();
    let text = cw.to_string();
    assert!(
        text.contains("intersects_with") && text.contains("subset_of"),
        "{text}"
    );
    let _ = schemars::schema_for!(isms_catalog::Coverage);
}

/// The issue's finding: a JSON mapping file refused `ISO 27001/A 8.13`, which the CSV
/// loader accepts. Both loaders now take the same spellings (endpoints resolved against
/// the catalogue, vocabulary words in any case with spaces or hyphens) and give the same
/// crosswalk.
#[test]
fn json_and_csv_crosswalks_accept_the_same_spellings() {
    let fw = load::framework_from_csv("acme.csv", FRAMEWORK_CSV, info()).unwrap();
    let cat = Catalog::builder().with_user_framework(fw).build().unwrap();
    let csv = "source,target,relationship,rationale,strength\n\
               acme-policy:2025/BK-1,ISO 27001/A 8.13,Subset Of,Functional,8\n\
               ACME-POLICY:2025/BK-2,iso27001:2022/a.8.13,subset-of,functional,\n";
    let from_csv = load::crosswalk_from_csv("m.csv", csv, cw_info(), &cat).unwrap();
    let provenance = serde_json::to_value(&cw_info().provenance).unwrap();
    let json = serde_json::json!({
        "id": "acme-to-iso",
        "name": "ACME policy to ISO 27001",
        "mappings": [
            {"source": "acme-policy:2025/BK-1", "target": "ISO 27001/A 8.13",
             "relationship": "Subset Of", "rationale": "Functional", "strength": 8,
             "provenance": provenance},
            {"source": "ACME-POLICY:2025/BK-2", "target": "iso27001:2022/a.8.13",
             "relationship": "subset-of", "rationale": "functional",
             "provenance": provenance},
        ]
    });
    let from_json = load::crosswalk_from_json("m.json", &json.to_string(), &cat).unwrap();
    assert_eq!(from_json, from_csv);
    assert_eq!(
        from_json.mappings[0].target.to_string(),
        "iso27001:2022/A.8.13"
    );
    // What a loader writes reads back unchanged (serde names stay canonical).
    let written = serde_json::to_string(&from_json).unwrap();
    assert_eq!(
        load::crosswalk_from_json("again.json", &written, &cat).unwrap(),
        from_json
    );
    // A word neither loader knows is refused by both, naming the field.
    let bad_csv = "source,target,relationship,rationale\nacme-policy:2025/BK-1,ISO 27001/A 8.13,sort of,functional\n";
    let e = load::crosswalk_from_csv("m.csv", bad_csv, cw_info(), &cat).unwrap_err();
    assert!(e.to_string().contains("relationship"), "{e}");
    let bad_json = json.to_string().replace("Subset Of", "sort of");
    let e = load::crosswalk_from_json("m.json", &bad_json, &cat).unwrap_err();
    assert!(matches!(e, LoadError::Json { .. }), "{e}");
    assert!(e.to_string().contains("sort of"), "{e}");
}

#[test]
fn json_and_csv_frameworks_accept_the_same_kind_words() {
    let csv = "id,parent,kind,title\nBK,,Section,Backups\nBK-1,BK,Requirement,Daily backup\n";
    let from_csv = load::framework_from_csv("acme.csv", csv, info()).unwrap();
    let mut json = serde_json::to_value(&from_csv).unwrap();
    json["items"][0]["kind"] = "Section".into();
    json["items"][1]["kind"] = "requirement".into();
    let from_json = load::framework_from_json("acme.json", &json.to_string()).unwrap();
    assert_eq!(from_json, from_csv);
}
