//! Parsing JSON and YAML documents strictly: a mapping that repeats a key is an error.
//! (`serde_json::Value` and `serde_yaml` keep the last entry silently, which is how a
//! document with a repeated path hid operations from every parser.)

use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value read without accepting repeated keys.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-compatible value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format!("{v} is not a JSON number")))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Strict::deserialize(deserializer).map(|s| s.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut seen = BTreeSet::new();
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(de::Error::custom(format!("duplicate key `{key}`")));
            }
            let Strict(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Parses YAML (of JSON-compatible values), refusing any mapping with a repeated key.
pub fn yaml(text: &str) -> Result<Value, String> {
    serde_yaml::from_str::<Strict>(text)
        .map(|s| s.0)
        .map_err(|e| e.to_string())
}

/// Parses JSON, refusing any object with a repeated key.
pub fn json(text: &str) -> Result<Value, String> {
    serde_json::from_str::<Strict>(text)
        .map(|s| s.0)
        .map_err(|e| e.to_string())
}

#[test]
fn repeated_keys_are_refused_at_any_depth() {
    assert!(
        json(r#"{"a": 1, "b": {"c": 2, "c": 3}}"#)
            .unwrap_err()
            .contains("`c`")
    );
    assert!(json(r#"{"a": 1, "a": 1}"#).is_err());
    assert!(
        yaml("a: 1\nb:\n  c: 2\n  c: 3\n")
            .unwrap_err()
            .contains("`c`")
    );
    assert!(yaml("paths:\n  /x:\n    get: {}\n  /x:\n    put: {}\n").is_err());
}

#[test]
fn documents_without_repeats_parse_to_their_values() {
    let value = serde_json::json!({"a": [1, -2, 2.5, "x", null, true], "b": {"c": {}}});
    assert_eq!(json(&value.to_string()).unwrap(), value);
    assert_eq!(
        yaml("a: [1, -2, 2.5, x, null, true]\nb:\n  c: {}\n").unwrap(),
        value
    );
}
