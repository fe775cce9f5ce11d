//! [`Signatures`]: who signed a value with which key, `{server: {key_id: signature}}`, in a
//! fixed order (ordered maps: the same value always serialises to the same bytes).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ServerName;
use crate::keys::KeyId;

/// At most this many signatures of one server on one value are looked at; more is refused
/// (a server has one current key, and a few during a rotation).
pub const MAX_SIGNATURES_PER_SERVER: usize = 4;

/// `{"hs1.example": {"ed25519:abc": "<unpadded base64 signature>"}}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signatures(BTreeMap<ServerName, BTreeMap<KeyId, String>>);

impl Signatures {
    /// No signatures.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `server`'s signature with `key_id`.
    pub fn insert(&mut self, server: ServerName, key_id: KeyId, signature: String) {
        self.0.entry(server).or_default().insert(key_id, signature);
    }

    /// `server`'s signatures, by key id.
    pub fn by(&self, server: &ServerName) -> Option<&BTreeMap<KeyId, String>> {
        self.0.get(server).filter(|sigs| !sigs.is_empty())
    }

    /// The servers that signed, in order.
    pub fn servers(&self) -> impl Iterator<Item = &ServerName> {
        self.0.keys()
    }

    /// Whether nobody signed.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(BTreeMap::is_empty)
    }

    /// Every `(server, key id, signature)`, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&ServerName, &KeyId, &str)> {
        self.0.iter().flat_map(|(server, sigs)| {
            sigs.iter()
                .map(move |(key_id, sig)| (server, key_id, sig.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_in_order_whatever_the_insertion_order() {
        let mut sigs = Signatures::new();
        let b = ServerName::parse("b.example").unwrap();
        let a = ServerName::parse("a.example").unwrap();
        sigs.insert(b.clone(), KeyId::parse("ed25519:z").unwrap(), "s1".into());
        sigs.insert(a.clone(), KeyId::parse("ed25519:y").unwrap(), "s2".into());
        sigs.insert(b.clone(), KeyId::parse("ed25519:a").unwrap(), "s3".into());
        assert_eq!(
            serde_json::to_string(&sigs).unwrap(),
            r#"{"a.example":{"ed25519:y":"s2"},"b.example":{"ed25519:a":"s3","ed25519:z":"s1"}}"#
        );
        assert_eq!(sigs.by(&b).unwrap().len(), 2);
        assert_eq!(sigs.iter().count(), 3);
        assert!(!sigs.is_empty());
        let back: Signatures =
            serde_json::from_str(&serde_json::to_string(&sigs).unwrap()).unwrap();
        assert_eq!(back, sigs);
    }

    #[test]
    fn an_empty_entry_is_no_signature() {
        let sigs: Signatures = serde_json::from_str(r#"{"a.example":{}}"#).unwrap();
        assert!(sigs.is_empty());
        assert!(sigs.by(&ServerName::parse("a.example").unwrap()).is_none());
        assert!(serde_json::from_str::<Signatures>(r#"{"bad_name":{}}"#).is_err());
        assert!(serde_json::from_str::<Signatures>(r#"{"a.example":{"rsa:x":"s"}}"#).is_err());
    }
}
