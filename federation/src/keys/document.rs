//! [`ServerKeys`]: the self-signed key document a server publishes at
//! `GET /_convo/federation/v1/keys`.
//!
//! ```json
//! {
//!   "server_name": "hs1.example",
//!   "verify_keys": { "ed25519:k2": { "key": "<unpadded base64>" } },
//!   "old_verify_keys": { "ed25519:k1": { "key": "<unpadded base64>", "expired_ts": 1700000000000 } },
//!   "valid_until_ts": 1700604800000,
//!   "signatures": { "hs1.example": { "ed25519:k2": "<unpadded base64>" } }
//! }
//! ```
//!
//! Every current key signs the canonical JSON (RFC 8785) of the document without its
//! `signatures`. `valid_until_ts` says until when peers may use the document without fetching
//! it again (and until when its current keys sign); an old key verifies what was signed
//! before its `expired_ts`, so events signed before a rotation still verify.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::{KeyId, PublicKey, ServerSigningKey};
use crate::ServerName;
use crate::error::{ErrorCode, ProtocolError};
use crate::events::canonical_json;
use crate::signatures::{MAX_SIGNATURES_PER_SERVER, Signatures};

/// At most this many old keys are accepted in one document.
pub const MAX_OLD_KEYS: usize = 64;

/// A current key of a key document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyKey {
    pub key: PublicKey,
}

/// A key the server no longer signs with, still good for what it signed before `expired_ts`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OldVerifyKey {
    pub key: PublicKey,
    /// When the server stopped signing with it, ms since the Unix epoch.
    pub expired_ts: i64,
}

/// A server's published keys. Every field is required; unknown fields are refused (this is
/// signed data: nothing unsigned may ride along).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerKeys {
    pub server_name: ServerName,
    pub verify_keys: BTreeMap<KeyId, VerifyKey>,
    pub old_verify_keys: BTreeMap<KeyId, OldVerifyKey>,
    pub valid_until_ts: i64,
    pub signatures: Signatures,
}

/// Why a key document was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyDocumentError {
    /// The document names another server than the one it was fetched from.
    #[error("key document is for {found}, not {expected}")]
    WrongServer {
        expected: ServerName,
        found: ServerName,
    },
    /// The document has no current key.
    #[error("key document has no current key")]
    NoVerifyKeys,
    /// More keys than a server needs: refused rather than stored.
    #[error("key document lists too many keys")]
    TooManyKeys,
    /// A key id is listed both as current and as old.
    #[error("key {key_id} is listed both as current and as old")]
    KeyIdInBothLists { key_id: KeyId },
    /// `valid_until_ts` has passed: the document is stale.
    #[error("key document expired at {valid_until_ts}")]
    Expired { valid_until_ts: i64 },
    /// A current key did not sign the document.
    #[error("key document is not signed by its key {key_id}")]
    MissingSelfSignature { key_id: KeyId },
    /// A current key's signature of the document does not verify.
    #[error("self-signature by {key_id} does not verify")]
    BadSelfSignature { key_id: KeyId },
    /// A key id we know names a different public key now: key ids are never reused.
    #[error("key {key_id} of {server} changed its public key")]
    KeyChanged { server: ServerName, key_id: KeyId },
}

impl ProtocolError for KeyDocumentError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::WrongServer { .. } => ErrorCode::WrongOrigin,
            Self::MissingSelfSignature { .. } => ErrorCode::NotSignedByOrigin,
            Self::BadSelfSignature { .. } | Self::KeyChanged { .. } => ErrorCode::BadSignature,
            Self::Expired { .. } => ErrorCode::KeyExpired,
            Self::NoVerifyKeys | Self::TooManyKeys | Self::KeyIdInBothLists { .. } => {
                ErrorCode::MalformedRequest
            }
        }
    }
}

/// What the signatures cover: the document without them.
#[derive(Serialize)]
struct Unsigned<'a> {
    server_name: &'a ServerName,
    verify_keys: &'a BTreeMap<KeyId, VerifyKey>,
    old_verify_keys: &'a BTreeMap<KeyId, OldVerifyKey>,
    valid_until_ts: i64,
}

impl ServerKeys {
    /// The document of `server_name` with `current` keys (each signs it) and `old` ones.
    pub fn new_signed(
        server_name: ServerName,
        current: &[&ServerSigningKey],
        old_verify_keys: BTreeMap<KeyId, OldVerifyKey>,
        valid_until_ts: i64,
    ) -> Self {
        let verify_keys = current
            .iter()
            .map(|key| {
                let public = VerifyKey {
                    key: key.public_key(),
                };
                (key.key_id().clone(), public)
            })
            .collect();
        let mut document = Self {
            server_name,
            verify_keys,
            old_verify_keys,
            valid_until_ts,
            signatures: Signatures::new(),
        };
        let bytes = document.signed_bytes();
        for key in current {
            document.signatures.insert(
                document.server_name.clone(),
                key.key_id().clone(),
                key.sign(&bytes),
            );
        }
        document
    }

    /// The bytes the signatures cover.
    pub fn signed_bytes(&self) -> Vec<u8> {
        canonical_json(&Unsigned {
            server_name: &self.server_name,
            verify_keys: &self.verify_keys,
            old_verify_keys: &self.old_verify_keys,
            valid_until_ts: self.valid_until_ts,
        })
        .expect("a key document always serialises")
    }

    /// Checks that this is `expected`'s current, self-signed document: every current key
    /// signed it. Signatures of other servers or keys are not looked at (a notary may
    /// countersign a document some day); they are not trusted either.
    pub fn verify(&self, expected: &ServerName, now_ms: i64) -> Result<(), KeyDocumentError> {
        if &self.server_name != expected {
            return Err(KeyDocumentError::WrongServer {
                expected: expected.clone(),
                found: self.server_name.clone(),
            });
        }
        if self.verify_keys.is_empty() {
            return Err(KeyDocumentError::NoVerifyKeys);
        }
        if self.verify_keys.len() > MAX_SIGNATURES_PER_SERVER
            || self.old_verify_keys.len() > MAX_OLD_KEYS
        {
            return Err(KeyDocumentError::TooManyKeys);
        }
        if let Some(key_id) = self
            .verify_keys
            .keys()
            .find(|id| self.old_verify_keys.contains_key(*id))
        {
            return Err(KeyDocumentError::KeyIdInBothLists {
                key_id: key_id.clone(),
            });
        }
        if self.valid_until_ts <= now_ms {
            return Err(KeyDocumentError::Expired {
                valid_until_ts: self.valid_until_ts,
            });
        }
        let bytes = self.signed_bytes();
        let own = self.signatures.by(&self.server_name);
        for (key_id, VerifyKey { key }) in &self.verify_keys {
            let signature = own.and_then(|sigs| sigs.get(key_id)).ok_or_else(|| {
                KeyDocumentError::MissingSelfSignature {
                    key_id: key_id.clone(),
                }
            })?;
            key.verify(&bytes, signature)
                .map_err(|_| KeyDocumentError::BadSelfSignature {
                    key_id: key_id.clone(),
                })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn server() -> ServerName {
        ServerName::parse("hs1.example").unwrap()
    }

    fn key(version: &str, seed: u8) -> ServerSigningKey {
        ServerSigningKey::from_seed(KeyId::ed25519(version).unwrap(), &[seed; 32])
    }

    fn document() -> ServerKeys {
        let old = key("k1", 1);
        let old_keys = BTreeMap::from([(
            old.key_id().clone(),
            OldVerifyKey {
                key: old.public_key(),
                expired_ts: NOW - 1_000,
            },
        )]);
        ServerKeys::new_signed(server(), &[&key("k2", 2)], old_keys, NOW + 86_400_000)
    }

    #[test]
    fn a_signed_document_verifies_and_its_fixture_round_trips() {
        let doc = document();
        doc.verify(&server(), NOW).unwrap();
        let value = serde_json::to_value(&doc).unwrap();
        assert_eq!(
            value,
            json!({
                "server_name": "hs1.example",
                "verify_keys": { "ed25519:k2": { "key": key("k2", 2).public_key_base64() } },
                "old_verify_keys": { "ed25519:k1": { "key": key("k1", 1).public_key_base64(), "expired_ts": NOW - 1_000 } },
                "valid_until_ts": NOW + 86_400_000,
                "signatures": { "hs1.example": { "ed25519:k2": doc.signatures.by(&server()).unwrap()[&KeyId::ed25519("k2").unwrap()] } },
            })
        );
        let back: ServerKeys = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), value);
        back.verify(&server(), NOW).unwrap();
    }

    #[test]
    fn the_signature_covers_the_canonical_document_without_signatures() {
        let doc = document();
        let mut value = serde_json::to_value(&doc).unwrap();
        value.as_object_mut().unwrap().remove("signatures");
        assert_eq!(doc.signed_bytes(), canonical_json(&value).unwrap());
    }

    #[test]
    fn every_rejection() {
        let other = ServerName::parse("hs2.example").unwrap();
        assert!(matches!(
            document().verify(&other, NOW),
            Err(KeyDocumentError::WrongServer { .. })
        ));
        assert!(matches!(
            document().verify(&server(), NOW + 86_400_000),
            Err(KeyDocumentError::Expired { .. })
        ));

        let mut tampered = document();
        tampered.valid_until_ts += 1;
        assert!(matches!(
            tampered.verify(&server(), NOW),
            Err(KeyDocumentError::BadSelfSignature { .. })
        ));

        let mut unsigned = document();
        unsigned.signatures = Signatures::new();
        assert!(matches!(
            unsigned.verify(&server(), NOW),
            Err(KeyDocumentError::MissingSelfSignature { .. })
        ));

        // Someone else's key listed (and the document signed again by k2): k3 did not sign.
        let mut added = document();
        let intruder = key("k3", 3);
        added.verify_keys.insert(
            intruder.key_id().clone(),
            VerifyKey {
                key: intruder.public_key(),
            },
        );
        let k2 = key("k2", 2);
        let bytes = added.signed_bytes();
        added
            .signatures
            .insert(server(), k2.key_id().clone(), k2.sign(&bytes));
        assert!(matches!(
            added.verify(&server(), NOW),
            Err(KeyDocumentError::MissingSelfSignature { key_id }) if key_id.as_str() == "ed25519:k3"
        ));

        let mut none = document();
        none.verify_keys.clear();
        assert_eq!(
            none.verify(&server(), NOW),
            Err(KeyDocumentError::NoVerifyKeys)
        );

        let k2 = key("k2", 2);
        let both = ServerKeys::new_signed(
            server(),
            &[&k2],
            BTreeMap::from([(
                k2.key_id().clone(),
                OldVerifyKey {
                    key: k2.public_key(),
                    expired_ts: NOW,
                },
            )]),
            NOW + 1_000,
        );
        assert!(matches!(
            both.verify(&server(), NOW),
            Err(KeyDocumentError::KeyIdInBothLists { .. })
        ));

        let keys: Vec<ServerSigningKey> = (0..5).map(|i| key(&format!("m{i}"), i)).collect();
        let refs: Vec<&ServerSigningKey> = keys.iter().collect();
        let many = ServerKeys::new_signed(server(), &refs, BTreeMap::new(), NOW + 1_000);
        assert_eq!(
            many.verify(&server(), NOW),
            Err(KeyDocumentError::TooManyKeys)
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let mut value: Value = serde_json::to_value(document()).unwrap();
        value["unsigned_extra"] = json!(1);
        assert!(serde_json::from_value::<ServerKeys>(value).is_err());
        let mut value: Value = serde_json::to_value(document()).unwrap();
        value["verify_keys"]["ed25519:k2"]["note"] = json!("x");
        assert!(serde_json::from_value::<ServerKeys>(value).is_err());
        let mut value: Value = serde_json::to_value(document()).unwrap();
        value.as_object_mut().unwrap().remove("old_verify_keys");
        assert!(serde_json::from_value::<ServerKeys>(value).is_err());
    }
}
