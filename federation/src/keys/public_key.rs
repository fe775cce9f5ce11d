//! [`PublicKey`]: a published ed25519 public key, unpadded standard base64 on the wire.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ed25519_dalek::VerifyingKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{KeyError, decode_public_key, verify_with_key};

/// An ed25519 public key that is a valid, non-weak curve point (checked when parsed).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Parses unpadded standard base64 of 32 bytes.
    pub fn parse(b64: &str) -> Result<Self, KeyError> {
        decode_public_key(b64).map(Self)
    }

    /// The key as published: unpadded standard base64.
    pub fn to_base64(&self) -> String {
        STANDARD_NO_PAD.encode(self.0.as_bytes())
    }

    /// The key itself.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.0
    }

    /// Checks `signature_b64` over `message` (strict: no malleable signatures).
    pub fn verify(&self, message: &[u8], signature_b64: &str) -> Result<(), KeyError> {
        verify_with_key(&self.0, message, signature_b64)
    }
}

impl From<VerifyingKey> for PublicKey {
    fn from(key: VerifyingKey) -> Self {
        Self(key)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublicKey").field(&self.to_base64()).finish()
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerSigningKey;

    #[test]
    fn round_trips_and_verifies() {
        let key = ServerSigningKey::generate();
        let public = key.public_key();
        let json = serde_json::to_string(&public).unwrap();
        assert_eq!(json, format!("\"{}\"", key.public_key_base64()));
        let back: PublicKey = serde_json::from_str(&json).unwrap();
        assert_eq!(back, public);
        back.verify(b"m", &key.sign(b"m")).unwrap();
        assert!(matches!(
            back.verify(b"n", &key.sign(b"m")),
            Err(KeyError::SignatureInvalid)
        ));
        let weak = format!("\"{}\"", STANDARD_NO_PAD.encode([0u8; 32]));
        assert!(serde_json::from_str::<PublicKey>(&weak).is_err());
    }
}
