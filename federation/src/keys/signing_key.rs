//! `ServerSigningKey`: a homeserver's ed25519 signing key and its id.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use rand::Rng as _;
use rand::rand_core::UnwrapErr;
use rand::rngs::SysRng;

use super::KeyId;

/// A server's ed25519 signing key together with its key id.
///
/// `Debug` shows the key id and the public key, never the secret.
pub struct ServerSigningKey {
    /// Published with the public key so that peers know which key signed what.
    key_id: KeyId,
    /// The secret key; zeroed on drop by `ed25519-dalek`.
    key: SigningKey,
}

impl ServerSigningKey {
    /// A new key from the operating system's random number generator, with a random key id.
    ///
    /// # Panics
    ///
    /// If the operating system cannot provide random bytes (as `rand::rng()` would).
    pub fn generate() -> Self {
        let mut seed = [0u8; 32];
        UnwrapErr(SysRng).fill_bytes(&mut seed);
        Self::from_seed(KeyId::random(), &seed)
    }

    /// The key with this id and 32-byte secret seed.
    pub fn from_seed(key_id: KeyId, seed: &[u8; 32]) -> Self {
        Self {
            key_id,
            key: SigningKey::from_bytes(seed),
        }
    }

    /// The key id, as in `ed25519:abc123`.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The public half of the key.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public half of the key, as published in the key document.
    pub fn public_key(&self) -> super::PublicKey {
        self.key.verifying_key().into()
    }

    /// The public key as unpadded standard base64, as published to peers.
    pub fn public_key_base64(&self) -> String {
        STANDARD_NO_PAD.encode(self.key.verifying_key().as_bytes())
    }

    /// Signs `message`; returns the signature as unpadded standard base64.
    pub fn sign(&self, message: &[u8]) -> String {
        STANDARD_NO_PAD.encode(self.key.sign(message).to_bytes())
    }

    /// The 32-byte secret seed, for the key file.
    pub(super) fn seed(&self) -> &[u8; 32] {
        self.key.as_bytes()
    }
}

impl fmt::Debug for ServerSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSigningKey")
            .field("key_id", &self.key_id.as_str())
            .field("public_key", &self.public_key_base64())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyError, verify};

    /// RFC 8032 section 7.1, test 1.
    const RFC_SEED: &str = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    const RFC_PUBLIC: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
    const RFC_SIGNATURE: &str = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
                                 5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn rfc_key() -> ServerSigningKey {
        let seed: [u8; 32] = hex(RFC_SEED).try_into().unwrap();
        ServerSigningKey::from_seed(KeyId::ed25519("rfc").unwrap(), &seed)
    }

    #[test]
    fn matches_rfc_8032_vector() {
        let key = rfc_key();
        assert_eq!(
            key.public_key_base64(),
            STANDARD_NO_PAD.encode(hex(RFC_PUBLIC))
        );
        assert_eq!(key.sign(b""), STANDARD_NO_PAD.encode(hex(RFC_SIGNATURE)));
        assert_eq!(key.verifying_key().as_bytes().as_slice(), hex(RFC_PUBLIC));
    }

    #[test]
    fn generated_keys_are_distinct_and_well_formed() {
        let a = ServerSigningKey::generate();
        let b = ServerSigningKey::generate();
        assert_ne!(a.public_key_base64(), b.public_key_base64());
        assert_eq!(a.key_id().version().len(), 6);
        assert_eq!(a.public_key_base64().len(), 43);
        let signature = a.sign(b"hello");
        assert_eq!(signature.len(), 86);
        assert!(!signature.contains('='));
    }

    #[test]
    fn sign_then_verify() {
        let key = ServerSigningKey::generate();
        let signature = key.sign(b"{\"a\":1}");
        verify(&key.public_key_base64(), b"{\"a\":1}", &signature).unwrap();
    }

    #[test]
    fn tampered_message_or_other_key_fails() {
        let key = ServerSigningKey::generate();
        let signature = key.sign(b"{\"a\":1}");
        assert!(matches!(
            verify(&key.public_key_base64(), b"{\"a\":2}", &signature),
            Err(KeyError::SignatureInvalid)
        ));
        let other = ServerSigningKey::generate();
        assert!(matches!(
            verify(&other.public_key_base64(), b"{\"a\":1}", &signature),
            Err(KeyError::SignatureInvalid)
        ));
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = rfc_key();
        let debug = format!("{key:?}");
        assert!(debug.contains("ed25519:rfc"), "{debug}");
        assert!(debug.contains(&key.public_key_base64()), "{debug}");
        assert!(
            !debug.contains(&STANDARD_NO_PAD.encode(hex(RFC_SEED))),
            "{debug}"
        );
        assert!(!debug.to_lowercase().contains(RFC_SEED), "{debug}");
    }
}
