//! Server signing keys: ed25519 keys with `ed25519:<id>` ids, their key file, and verification.
//!
//! Public keys and signatures travel as unpadded standard base64, as in Matrix.

mod error;
mod key_file;
mod key_id;
mod signing_key;
mod verify;

pub use error::KeyError;
pub use key_id::KeyId;
pub use signing_key::ServerSigningKey;
pub use verify::{decode_public_key, verify, verify_with_key};
