//! [`Raw<T>`]: a value of the wire kept as the exact JSON it arrived as, parsed on demand.
//!
//! Lists of signed things (a transaction's events, a join's history) are carried as `Raw`, so
//! that one malformed or forged item is rejected alone, with its own error, instead of failing
//! the whole request; and so that what is relayed is byte for byte what was received.

use std::fmt;
use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The JSON of a `T`, not yet parsed.
pub struct Raw<T> {
    json: Box<RawValue>,
    _type: PhantomData<fn() -> T>,
}

impl<T> Raw<T> {
    /// Wraps JSON text (which must be valid JSON; it is not checked against `T`).
    pub fn from_json(json: Box<RawValue>) -> Self {
        Self {
            json,
            _type: PhantomData,
        }
    }

    /// The JSON text, exactly as received.
    pub fn json(&self) -> &RawValue {
        &self.json
    }

    /// The JSON text, exactly as received.
    pub fn as_str(&self) -> &str {
        self.json.get()
    }
}

impl<T: Serialize> Raw<T> {
    /// The JSON of `value`.
    pub fn new(value: &T) -> Result<Self, serde_json::Error> {
        Ok(Self::from_json(serde_json::value::to_raw_value(value)?))
    }
}

impl<T: DeserializeOwned> Raw<T> {
    /// Parses the JSON as a `T`.
    pub fn parse(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.json.get())
    }
}

impl<T> Clone for Raw<T> {
    fn clone(&self) -> Self {
        Self::from_json(self.json.clone())
    }
}

impl<T> fmt::Debug for Raw<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Raw").field(&self.json.get()).finish()
    }
}

impl<T> PartialEq for Raw<T> {
    fn eq(&self, other: &Self) -> bool {
        self.json.get() == other.json.get()
    }
}

impl<T> Eq for Raw<T> {}

impl<T> Serialize for Raw<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

impl<'de, T> Deserialize<'de> for Raw<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Self::from_json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Item {
        n: u32,
    }

    #[test]
    fn keeps_the_exact_text_and_parses_on_demand() {
        let list: Vec<Raw<Item>> = serde_json::from_str(r#"[{"n": 1}, {"n": "x"}]"#).unwrap();
        assert_eq!(list[0].as_str(), r#"{"n": 1}"#);
        assert_eq!(list[0].parse().unwrap(), Item { n: 1 });
        assert!(list[1].parse().is_err(), "one bad item fails alone");
        assert_eq!(
            serde_json::to_string(&list).unwrap(),
            r#"[{"n": 1},{"n": "x"}]"#
        );
        let made = Raw::new(&Item { n: 2 }).unwrap();
        assert_eq!(made.as_str(), r#"{"n":2}"#);
        assert_eq!(made.clone(), made);
    }
}
