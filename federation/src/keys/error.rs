//! `KeyError`: why a key could not be loaded, stored or used, or a signature did not verify.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

/// Errors about server signing keys and signatures.
///
/// Messages never contain secret key material.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Reading, creating or writing a key file failed.
    #[error("I/O error on signing key file {}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A new key was to be written where a key file already exists; keys are never overwritten.
    #[error("signing key file {} already exists; refusing to overwrite it", path.display())]
    AlreadyExists {
        /// The existing file.
        path: PathBuf,
    },
    /// The contents of a signing key (file format) are not valid.
    #[error("malformed signing key: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// The key file at `path` is not valid.
    #[error("malformed signing key file {}: {reason}", path.display())]
    MalformedFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key uses an algorithm other than ed25519.
    #[error("unsupported key algorithm (only ed25519 is supported)")]
    UnsupportedAlgorithm,
    /// A key id is not `ed25519:` followed by 1 to 32 characters of `A-Z a-z 0-9 _`.
    #[error("invalid key id: {reason}")]
    InvalidKeyId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A public key is not the unpadded base64 of a valid 32-byte ed25519 point.
    #[error("invalid public key: {reason}")]
    PublicKeyInvalid {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A signature is not the unpadded base64 of 64 bytes.
    #[error("malformed signature: {reason}")]
    SignatureMalformed {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A well-formed signature does not verify with the given key and message.
    #[error("signature does not verify")]
    SignatureInvalid,
}
