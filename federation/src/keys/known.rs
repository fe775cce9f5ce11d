//! [`KnownKeys`]: what a server knows of another's keys, merged from every document it
//! fetched, and [`KeyProvider`]: where verification asks for a key.
//!
//! A key is usable at a time `t` (when the thing it signed was signed) if it was current then
//! (`t <= valid_until_ts` of the newest document that listed it as current) or, once retired,
//! if `t < expired_ts`. Keys are never forgotten when a newer document leaves them out, so
//! events signed before a rotation keep verifying.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::document::{KeyDocumentError, OldVerifyKey, ServerKeys, VerifyKey};
use super::{KeyId, PublicKey};
use crate::ServerName;
use crate::error::{ErrorCode, ProtocolError};

/// At most this many keys are kept per server; beyond it, the ones that stopped being
/// usable first are dropped.
pub const MAX_KNOWN_KEYS: usize = 64;

/// One key of a server, and until when it verifies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownKey {
    pub key: PublicKey,
    /// The newest `valid_until_ts` of a document that listed the key as current.
    pub valid_until_ts: i64,
    /// When the server retired the key, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired_ts: Option<i64>,
}

impl KnownKey {
    /// Whether something signed at `at_ms` may be verified with this key.
    pub fn usable_at(&self, at_ms: i64) -> bool {
        match self.expired_ts {
            Some(expired_ts) => at_ms < expired_ts,
            None => at_ms <= self.valid_until_ts,
        }
    }

    /// The last time at which it is usable.
    fn last_usable(&self) -> i64 {
        self.expired_ts
            .map_or(self.valid_until_ts, |expired| expired.saturating_sub(1))
    }
}

/// Everything known about one server's keys: what the homeserver stores per peer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownKeys {
    pub server_name: ServerName,
    pub keys: BTreeMap<KeyId, KnownKey>,
}

/// Why a key cannot be had for verification.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyLookupError {
    /// The server has published no key with this id (after one refetch, where allowed).
    #[error("{server} has no key {key_id}")]
    UnknownKey { server: ServerName, key_id: KeyId },
    /// The key exists but was not valid at the time of signing.
    #[error("key {key_id} of {server} was not valid at {at_ms}")]
    KeyExpired {
        server: ServerName,
        key_id: KeyId,
        at_ms: i64,
    },
    /// The server's keys could not be fetched (down, unreachable, or its document refused).
    #[error("the keys of {server} could not be fetched: {reason}")]
    KeysUnavailable { server: ServerName, reason: String },
    /// Our own key storage failed.
    #[error("key storage failed: {0}")]
    Storage(String),
}

impl ProtocolError for KeyLookupError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownKey { .. } => ErrorCode::UnknownKey,
            Self::KeyExpired { .. } => ErrorCode::KeyExpired,
            Self::KeysUnavailable { .. } => ErrorCode::KeysUnavailable,
            Self::Storage(_) => ErrorCode::InternalError,
        }
    }

    fn public_message(&self) -> String {
        match self {
            Self::Storage(_) => "internal error".to_owned(),
            Self::KeysUnavailable { server, .. } => {
                format!("the keys of {server} could not be fetched")
            }
            other => other.to_string(),
        }
    }
}

/// Where a verification gets the key `server` signed with at `at_ms`.
pub trait KeyProvider: Send + Sync {
    fn key_at(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> impl Future<Output = Result<PublicKey, KeyLookupError>> + Send;
}

impl<P: KeyProvider> KeyProvider for &P {
    fn key_at(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> impl Future<Output = Result<PublicKey, KeyLookupError>> + Send {
        (**self).key_at(server, key_id, at_ms)
    }
}

impl<P: KeyProvider> KeyProvider for std::sync::Arc<P> {
    fn key_at(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> impl Future<Output = Result<PublicKey, KeyLookupError>> + Send {
        (**self).key_at(server, key_id, at_ms)
    }
}

impl KnownKeys {
    /// Nothing known yet of `server_name`'s keys.
    pub fn new(server_name: ServerName) -> Self {
        Self {
            server_name,
            keys: BTreeMap::new(),
        }
    }

    /// What a verified document says (see [`KnownKeys::merge`]).
    pub fn from_document(document: &ServerKeys) -> Result<Self, KeyDocumentError> {
        let mut known = Self::new(document.server_name.clone());
        known.merge(document, document.valid_until_ts)?;
        Ok(known)
    }

    /// The key `key_id` if it is usable at `at_ms`.
    pub fn key_at(&self, key_id: &KeyId, at_ms: i64) -> Result<PublicKey, KeyLookupError> {
        match self.keys.get(key_id) {
            Some(known) if known.usable_at(at_ms) => Ok(known.key),
            Some(_) => Err(KeyLookupError::KeyExpired {
                server: self.server_name.clone(),
                key_id: key_id.clone(),
                at_ms,
            }),
            None => Err(KeyLookupError::UnknownKey {
                server: self.server_name.clone(),
                key_id: key_id.clone(),
            }),
        }
    }

    /// Takes in a document that was verified ([`ServerKeys::verify`]), its current keys valid
    /// until `valid_until_ts` (the document's, or less when the cache caps it). Keys it does
    /// not list are kept as they were. A key id that now names a different public key is
    /// refused and nothing changes.
    pub fn merge(
        &mut self,
        document: &ServerKeys,
        valid_until_ts: i64,
    ) -> Result<(), KeyDocumentError> {
        let changed = |key_id: &KeyId, key: &PublicKey| {
            self.keys.get(key_id).is_some_and(|known| known.key != *key)
        };
        let reused = document
            .verify_keys
            .iter()
            .map(|(id, VerifyKey { key })| (id, key))
            .chain(
                document
                    .old_verify_keys
                    .iter()
                    .map(|(id, OldVerifyKey { key, .. })| (id, key)),
            )
            .find(|(id, key)| changed(id, key));
        if let Some((key_id, _)) = reused {
            return Err(KeyDocumentError::KeyChanged {
                server: self.server_name.clone(),
                key_id: key_id.clone(),
            });
        }
        for (key_id, VerifyKey { key }) in &document.verify_keys {
            let entry = self.keys.entry(key_id.clone()).or_insert(KnownKey {
                key: *key,
                valid_until_ts,
                expired_ts: None,
            });
            entry.valid_until_ts = entry.valid_until_ts.max(valid_until_ts);
            entry.expired_ts = None;
        }
        for (key_id, OldVerifyKey { key, expired_ts }) in &document.old_verify_keys {
            let entry = self.keys.entry(key_id.clone()).or_insert(KnownKey {
                key: *key,
                valid_until_ts: *expired_ts,
                expired_ts: None,
            });
            entry.expired_ts = Some(*expired_ts);
        }
        while self.keys.len() > MAX_KNOWN_KEYS {
            let oldest = self
                .keys
                .iter()
                .min_by_key(|(_, known)| known.last_usable())
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                self.keys.remove(&id);
            }
        }
        Ok(())
    }
}

/// Keys given up front, never fetched: our own, pinned peers, tests.
#[derive(Clone, Debug, Default)]
pub struct StaticKeys(BTreeMap<ServerName, KnownKeys>);

impl StaticKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds everything a verified document says.
    pub fn insert_document(&mut self, document: &ServerKeys) -> Result<(), KeyDocumentError> {
        let known = self
            .0
            .entry(document.server_name.clone())
            .or_insert_with(|| KnownKeys::new(document.server_name.clone()));
        known.merge(document, document.valid_until_ts)
    }

    /// Adds what is known of a server's keys.
    pub fn insert(&mut self, keys: KnownKeys) {
        self.0.insert(keys.server_name.clone(), keys);
    }

    /// The key, if known and usable at `at_ms`.
    pub fn get(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> Result<PublicKey, KeyLookupError> {
        match self.0.get(server) {
            Some(known) => known.key_at(key_id, at_ms),
            None => Err(KeyLookupError::UnknownKey {
                server: server.clone(),
                key_id: key_id.clone(),
            }),
        }
    }
}

impl KeyProvider for StaticKeys {
    async fn key_at(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> Result<PublicKey, KeyLookupError> {
        self.get(server, key_id, at_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerSigningKey;

    const NOW: i64 = 1_700_000_000_000;
    const DAY: i64 = 86_400_000;

    fn server() -> ServerName {
        ServerName::parse("hs1.example").unwrap()
    }

    fn key(version: &str, seed: u8) -> ServerSigningKey {
        ServerSigningKey::from_seed(KeyId::ed25519(version).unwrap(), &[seed; 32])
    }

    #[test]
    fn rotation_keeps_old_keys_for_what_they_signed() {
        let (k1, k2) = (key("k1", 1), key("k2", 2));
        let first = ServerKeys::new_signed(server(), &[&k1], BTreeMap::new(), NOW + DAY);
        let mut known = KnownKeys::from_document(&first).unwrap();
        assert_eq!(known.key_at(k1.key_id(), NOW).unwrap(), k1.public_key());

        // Rotated at NOW + 1 h: k1 is retired, k2 current.
        let retired = NOW + 3_600_000;
        let old = BTreeMap::from([(
            k1.key_id().clone(),
            OldVerifyKey {
                key: k1.public_key(),
                expired_ts: retired,
            },
        )]);
        let second = ServerKeys::new_signed(server(), &[&k2], old, NOW + 2 * DAY);
        known.merge(&second, second.valid_until_ts).unwrap();
        assert!(
            known.key_at(k1.key_id(), retired - 1).is_ok(),
            "old events verify"
        );
        assert!(matches!(
            known.key_at(k1.key_id(), retired),
            Err(KeyLookupError::KeyExpired { .. })
        ));
        assert!(known.key_at(k2.key_id(), NOW + 2 * DAY).is_ok());
        assert!(matches!(
            known.key_at(k2.key_id(), NOW + 2 * DAY + 1),
            Err(KeyLookupError::KeyExpired { .. })
        ));

        // A third document that forgets k1 altogether: it still verifies what it signed.
        let third = ServerKeys::new_signed(server(), &[&k2], BTreeMap::new(), NOW + 3 * DAY);
        known.merge(&third, third.valid_until_ts).unwrap();
        assert!(known.key_at(k1.key_id(), retired - 1).is_ok());
        assert!(known.key_at(k2.key_id(), NOW + 3 * DAY).is_ok());
        let unknown = KeyId::ed25519("nope").unwrap();
        assert!(matches!(
            known.key_at(&unknown, NOW),
            Err(KeyLookupError::UnknownKey { .. })
        ));
    }

    #[test]
    fn a_key_id_never_changes_its_key() {
        let first = ServerKeys::new_signed(server(), &[&key("k1", 1)], BTreeMap::new(), NOW + DAY);
        let mut known = KnownKeys::from_document(&first).unwrap();
        let imposter =
            ServerKeys::new_signed(server(), &[&key("k1", 9)], BTreeMap::new(), NOW + DAY);
        let before = known.clone();
        assert!(matches!(
            known.merge(&imposter, NOW + DAY),
            Err(KeyDocumentError::KeyChanged { .. })
        ));
        assert_eq!(known, before, "nothing changed");
    }

    #[test]
    fn stored_form_round_trips() {
        let k1 = key("k1", 1);
        let doc = ServerKeys::new_signed(server(), &[&k1], BTreeMap::new(), NOW + DAY);
        let mut known = KnownKeys::from_document(&doc).unwrap();
        known.keys.insert(
            KeyId::ed25519("k0").unwrap(),
            KnownKey {
                key: key("k0", 0).public_key(),
                valid_until_ts: NOW,
                expired_ts: Some(NOW - 5),
            },
        );
        let json = serde_json::to_value(&known).unwrap();
        assert_eq!(json["keys"]["ed25519:k0"]["expired_ts"], NOW - 5);
        assert!(json["keys"]["ed25519:k1"].get("expired_ts").is_none());
        let back: KnownKeys = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, known);
        assert_eq!(serde_json::to_value(&back).unwrap(), json);
    }

    #[test]
    fn the_number_of_keys_kept_is_bounded() {
        let mut known = KnownKeys::new(server());
        for i in 0..(MAX_KNOWN_KEYS + 5) {
            let k = key(&format!("k{i}"), i as u8);
            let doc = ServerKeys::new_signed(server(), &[&k], BTreeMap::new(), NOW + i as i64);
            known.merge(&doc, doc.valid_until_ts).unwrap();
        }
        assert_eq!(known.keys.len(), MAX_KNOWN_KEYS);
        assert!(!known.keys.contains_key(&KeyId::ed25519("k0").unwrap()));
        assert!(known.keys.contains_key(&KeyId::ed25519("k68").unwrap()));
    }
}
