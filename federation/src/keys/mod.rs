//! Server signing keys: ed25519 keys with `ed25519:<id>` ids, their key file, verification,
//! the self-signed key document servers publish, what is known of other servers' keys, and
//! the cache that fetches them.
//!
//! Public keys and signatures travel as unpadded standard base64, as in Matrix.

mod cache;
#[cfg(test)]
mod cache_tests;
mod document;
mod error;
mod key_file;
mod key_id;
mod known;
mod public_key;
mod signing_key;
mod verify;

pub use cache::{BoxError, KeyCache, KeyCacheConfig, KeyFetcher, KeyStore, MemoryKeyStore};
pub use document::{KeyDocumentError, MAX_OLD_KEYS, OldVerifyKey, ServerKeys, VerifyKey};
pub use error::KeyError;
pub use key_id::KeyId;
pub use known::{KeyLookupError, KeyProvider, KnownKey, KnownKeys, MAX_KNOWN_KEYS, StaticKeys};
pub use public_key::PublicKey;
pub use signing_key::ServerSigningKey;
pub use verify::{decode_public_key, verify, verify_with_key};
