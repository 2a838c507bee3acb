//! No input makes the POA&M import panic: arbitrary text, arbitrary JSON
//! under the POA&M root, and real exports with any node replaced by any
//! value. Each ends in an import or a typed error; text above
//! `MAX_POAM_BYTES` is refused before it is parsed.

use isms_oscal::{ImportError, MAX_POAM_BYTES, PoamOptions, export_poam, import_poam};
use proptest::prelude::*;
use serde_json::Value;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        ".{0,30}".prop_map(Value::from),
        Just(Value::from("2026-01-05T10:00:00Z")),
        Just(Value::from("+999999-01-01T00:00:00Z")),
        Just(Value::from("0193c5a0-0000-7000-8000-000000000000")),
        Just(Value::from("\u{1b}[2J")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("props".to_owned()),
                    Just("name".to_owned()),
                    Just("value".to_owned()),
                    Just("ns".to_owned()),
                    Just("uuid".to_owned()),
                    ".{0,10}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn replace_node(doc: &mut Value, pick: usize, with: Value) {
    fn count(v: &Value) -> usize {
        1 + match v {
            Value::Array(a) => a.iter().map(count).sum(),
            Value::Object(o) => o.values().map(count).sum(),
            _ => 0,
        }
    }
    fn walk(v: &mut Value, n: &mut usize, with: &mut Option<Value>) {
        if *n == 0 {
            if let Some(w) = with.take() {
                *v = w;
            }
            return;
        }
        *n -= 1;
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, n, with)),
            Value::Object(o) => o.values_mut().for_each(|x| walk(x, n, with)),
            _ => {}
        }
    }
    let mut n = pick % count(doc);
    walk(doc, &mut n, &mut Some(with));
}

fn seed_poam() -> Value {
    let seed = isms_gen::seed_scenarios("2026-01-05T09:00:00Z".parse().unwrap()).unwrap();
    export_poam(&seed.register, &PoamOptions::default()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(128),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_is_an_import_or_an_error(text in ".{0,300}") {
        let _ = import_poam(&text);
    }

    #[test]
    fn arbitrary_json_under_the_root(root in json_value()) {
        let doc = serde_json::json!({ "plan-of-action-and-milestones": root });
        let _ = import_poam(&doc.to_string());
    }

    #[test]
    fn a_real_poam_with_any_node_replaced(pick in any::<usize>(), with in json_value()) {
        let mut doc = seed_poam();
        replace_node(&mut doc, pick, with);
        if let Ok(imported) = import_poam(&doc.to_string()) {
            for nc in imported.register.nonconformities() {
                prop_assert!(nc.title.chars().count() <= isms_core::MAX_TITLE_CHARS);
            }
        }
    }
}

#[test]
fn text_above_the_cap_is_refused_before_it_is_parsed() {
    let text = " ".repeat(usize::try_from(MAX_POAM_BYTES).unwrap() + 1);
    match import_poam(&text) {
        Err(ImportError::TooLarge { bytes, limit }) => {
            assert_eq!(bytes, MAX_POAM_BYTES + 1);
            assert_eq!(limit, MAX_POAM_BYTES);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}
