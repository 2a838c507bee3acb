//! Rewrites that make the generated schemas portable across validators.
//!
//! - A `oneOf` whose branches are all string constants (what schemars writes for a
//!   documented unit enum) becomes one `enum`, and the branches' descriptions are
//!   listed in the parent's description: form builders and other validators understand
//!   `enum` directly, and an error then names the field rather than every branch.
//! - schemars' own integer formats (`uint32`, `int64`, ...) are not JSON Schema formats;
//!   strict validators reject them. They become `minimum`/`maximum` bounds, and the
//!   float formats (`double`, `float`) are dropped.

use serde_json::{Map, Value, json};

/// Applies every rewrite, recursively.
pub(crate) fn portable(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                portable(v);
            }
            enum_from_constants(map);
            integer_format(map);
        }
        Value::Array(items) => items.iter_mut().for_each(portable),
        _ => {}
    }
}

fn enum_from_constants(map: &mut Map<String, Value>) {
    let Some(Value::Array(branches)) = map.get("oneOf") else {
        return;
    };
    let mut values = Vec::with_capacity(branches.len());
    let mut notes = Vec::with_capacity(branches.len());
    for b in branches {
        let Some(b) = b.as_object() else { return };
        let Some(Value::String(c)) = b.get("const") else {
            return;
        };
        if b.keys()
            .any(|k| !matches!(k.as_str(), "const" | "type" | "description"))
        {
            return;
        }
        if b.get("type").is_some_and(|t| t != "string") {
            return;
        }
        values.push(Value::String(c.clone()));
        if let Some(Value::String(d)) = b.get("description") {
            notes.push(format!("- `{c}`: {}", d.replace('\n', " ")));
        }
    }
    if values.is_empty() {
        return;
    }
    map.remove("oneOf");
    map.insert("type".into(), json!("string"));
    map.insert("enum".into(), Value::Array(values));
    if !notes.is_empty() {
        let list = notes.join("\n");
        let text = match map.get("description") {
            Some(Value::String(d)) => format!("{d}\n\n{list}"),
            _ => list,
        };
        map.insert("description".into(), Value::String(text));
    }
}

fn integer_format(map: &mut Map<String, Value>) {
    let Some(Value::String(format)) = map.get("format") else {
        return;
    };
    let bounds: Option<(Value, Value)> = match format.as_str() {
        "uint8" => Some((json!(0), json!(u8::MAX))),
        "uint16" => Some((json!(0), json!(u16::MAX))),
        "uint32" | "uint" => Some((json!(0), json!(u32::MAX))),
        "uint64" => Some((json!(0), json!(u64::MAX))),
        "int8" => Some((json!(i8::MIN), json!(i8::MAX))),
        "int16" => Some((json!(i16::MIN), json!(i16::MAX))),
        "int32" | "int" => Some((json!(i32::MIN), json!(i32::MAX))),
        "int64" => Some((json!(i64::MIN), json!(i64::MAX))),
        "float" | "double" => {
            map.remove("format");
            return;
        }
        _ => return,
    };
    let Some((min, max)) = bounds else { return };
    map.remove("format");
    let tighter =
        |old: Option<&Value>, new: Value, pick_max: bool| match old.and_then(Value::as_f64) {
            Some(o) => {
                let n = new.as_f64().unwrap_or(o);
                if (pick_max && o >= n) || (!pick_max && o <= n) {
                    old.cloned().unwrap_or(new)
                } else {
                    new
                }
            }
            None => new,
        };
    let min = tighter(map.get("minimum"), min, true);
    let max = tighter(map.get("maximum"), max, false);
    map.insert("minimum".into(), min);
    map.insert("maximum".into(), max);
}
