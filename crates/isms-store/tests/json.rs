//! `isms_store::json` writes what `serde_json` writes, byte for byte: stored
//! bodies are hashed, and a body written by one must equal the other's.

use std::collections::BTreeMap;

use isms_core::testkit::strategies;
use isms_store::json;
use proptest::prelude::*;
use serde::Serialize;
use serde_json::Value;

/// Both writers' output for `value`: the bytes, or the error's text.
fn both<T: ?Sized + Serialize>(value: &T) -> (Result<Vec<u8>, String>, Result<Vec<u8>, String>) {
    let mut ours = b"prefix ".to_vec();
    let ours = json::to_writer(&mut ours, value)
        .map(|()| ours.split_off(b"prefix ".len()))
        .map_err(|e| e.to_string());
    let theirs = serde_json::to_vec(value).map_err(|e| e.to_string());
    (ours, theirs)
}

fn assert_same<T: ?Sized + Serialize>(value: &T) {
    let (ours, theirs) = both(value);
    assert!(theirs.is_ok(), "serde_json refused the value: {theirs:?}");
    assert_eq!(
        ours.as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned()),
        theirs
            .as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    );
    assert_eq!(ours, theirs);
}

/// Strings heavy in what JSON escapes or must pass through untouched:
/// controls, quotes, backslashes, DEL, slashes, multi-byte characters.
fn tricky_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::collection::vec(
            prop_oneof![
                (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap_or('x')),
                Just('"'),
                Just('\\'),
                Just('/'),
                Just('\u{7f}'),
                Just('é'),
                Just('€'),
                Just('😀'),
                proptest::char::range('a', 'z'),
            ],
            0..40
        )
        .prop_map(|cs| cs.into_iter().collect()),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        tricky_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::from),
            proptest::collection::btree_map(tricky_string(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_json_value_is_written_as_serde_json_writes_it(v in value()) {
        let (ours, theirs) = both(&v);
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn any_text_displayed_in_pieces_is_written_as_serde_json_writes_it(s in tricky_string()) {
        let (ours, theirs) = both(&Displayed(s));
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn any_command_is_written_as_serde_json_writes_it(c in strategies::command()) {
        let (ours, theirs) = both(&c);
        prop_assert_eq!(ours, theirs);
    }

    #[test]
    fn any_policy_is_written_as_serde_json_writes_it(p in strategies::policy()) {
        let (ours, theirs) = both(&p);
        prop_assert_eq!(ours, theirs);
    }
}

proptest! {
    // Each case generates a register: fewer cases, each of many events.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn every_event_and_item_of_a_generated_register_is_written_as_serde_json_writes_it(
        seed in any::<u64>(),
        count in 1usize..60,
    ) {
        let config = isms_gen::GeneratorConfig::new(count, seed).with_events();
        let generated = isms_gen::generate(&config).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert!(!generated.events.is_empty());
        for e in &generated.events {
            let (ours, theirs) = both(e);
            prop_assert_eq!(ours, theirs);
            prop_assert_eq!(
                isms_store::event_body(e).map_err(|e| e.to_string()),
                serde_json::to_string(e).map_err(|e| e.to_string())
            );
        }
        for nc in generated.register.nonconformities() {
            let (ours, theirs) = both(nc);
            prop_assert_eq!(ours, theirs);
        }
        for imp in generated.register.improvements() {
            let (ours, theirs) = both(imp);
            prop_assert_eq!(ours, theirs);
        }
    }
}

/// Every shape serde has, each as `serde_json` writes it.
#[derive(Serialize)]
enum Shape {
    Unit,
    Newtype(String),
    Tuple(i8, Option<u16>),
    Struct { a: char, b: Vec<Shape> },
}

#[derive(Serialize)]
#[serde(tag = "type")]
enum Tagged {
    Plain { n: u32 },
    Inner(Inner),
}

#[derive(Serialize)]
struct Inner {
    text: String,
    #[serde(flatten)]
    more: BTreeMap<String, Value>,
}

#[derive(Serialize)]
struct UnitStruct;

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Wrapper(String);

#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
enum KeyVariant {
    First,
    Second,
}

struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// Text serialised with `collect_str` (as chrono's timestamps are), its
/// `Display` writing one character at a time.
struct Displayed(String);

impl std::fmt::Display for Displayed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.chars().try_for_each(|c| write!(f, "{c}"))
    }
}

impl Serialize for Displayed {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A `Display` that fails after writing part of its text.
struct FailingDisplay;

impl std::fmt::Display for FailingDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("half")?;
        Err(std::fmt::Error)
    }
}

impl Serialize for FailingDisplay {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[test]
fn a_display_that_fails_is_an_error_and_leaves_the_output_as_it_was() {
    let mut out = b"[1,".to_vec();
    let err = json::to_writer(&mut out, &FailingDisplay).expect_err("the Display failed");
    assert!(err.to_string().contains("Display"), "{err}");
    assert_eq!(out, b"[1,");
}

#[test]
fn timestamps_are_written_as_serde_json_writes_them() {
    use chrono::{DateTime, TimeZone, Utc};
    let at: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 12, 7, 3, 4, 5).unwrap();
    assert_same(&at);
    assert_same(&(at + chrono::Duration::nanoseconds(123_456_789)));
    assert_same(&vec![
        Displayed("a\"b\\c\u{1}".into()),
        Displayed(String::new()),
    ]);
}

#[test]
fn every_shape_of_serde_is_written_as_serde_json_writes_it() {
    assert_same(&Shape::Unit);
    assert_same(&Shape::Newtype("a \"quoted\" \\ path\n".into()));
    assert_same(&Shape::Tuple(-128, None));
    assert_same(&Shape::Tuple(127, Some(65535)));
    assert_same(&Shape::Struct {
        a: '\u{1}',
        b: vec![Shape::Unit, Shape::Struct { a: 'é', b: vec![] }],
    });
    assert_same(&Tagged::Plain { n: 7 });
    let mut more = BTreeMap::new();
    more.insert("x_extra".to_owned(), Value::from(vec![1.5, -0.0]));
    more.insert("\u{7f}".to_owned(), Value::Null);
    assert_same(&Tagged::Inner(Inner {
        text: "tab\there".into(),
        more,
    }));
    assert_same(&UnitStruct);
    assert_same(&Wrapper("😀".into()));
    assert_same(&());
    assert_same(&(1u8, "two", 3.25f32));
    assert_same(&[i128::MIN, i128::MAX]);
    assert_same(&[u128::MAX]);
    assert_same(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, 5e-324]);
    assert_same(&Bytes(&[0, 1, 255]));
    assert_same(&Bytes(&[]));
    assert_same(&Vec::<u8>::new());
    assert_same(&BTreeMap::<String, u8>::new());
    assert_same("");
    assert_same(&'"');
}

#[test]
fn map_keys_are_written_as_serde_json_writes_them() {
    assert_same(&BTreeMap::from([(-3i32, 1), (40, 2)]));
    assert_same(&BTreeMap::from([(u64::MAX, "max")]));
    assert_same(&BTreeMap::from([(i128::MIN, 0)]));
    assert_same(&BTreeMap::from([(false, 0), (true, 1)]));
    assert_same(&BTreeMap::from([(Some(7u8), 0)]));
    assert_same(&BTreeMap::from([(Some("optional \"key\""), 0)]));
    assert_same(&BTreeMap::from([('\n', 0), ('k', 1)]));
    assert_same(&BTreeMap::from([
        (KeyVariant::First, 0),
        (KeyVariant::Second, 1),
    ]));
    let mut floats = serde_json::Map::new();
    floats.insert("1.5".into(), Value::Null);
    assert_same(&floats);
    struct FloatKey(f64);
    impl Serialize for FloatKey {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(&self.0, &1)?;
            m.end()
        }
    }
    assert_same(&FloatKey(2.5));
    assert_same(&BTreeMap::from([(Wrapper("newtype \"key\"".into()), 0)]));
}

#[test]
fn a_key_serde_json_refuses_is_refused_alike() {
    for (ours, theirs) in [
        both(&BTreeMap::from([(vec![1u8], 0)])),
        both(&BTreeMap::from([(None::<u8>, 0)])),
        both(&BTreeMap::from([((), 0)])),
    ] {
        assert!(theirs.is_err(), "serde_json accepted the key: {theirs:?}");
        assert_eq!(ours, theirs);
    }
    struct NanKey;
    impl Serialize for NanKey {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut m = s.serialize_map(Some(1))?;
            m.serialize_entry(&f64::NAN, &1)?;
            m.end()
        }
    }
    let (ours, theirs) = both(&NanKey);
    assert!(theirs.is_err());
    assert_eq!(ours, theirs);
}
