//! `IdError`: why a string is not a valid identifier.

use thiserror::Error;

/// Why a string was rejected as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdError {
    /// The input was the empty string.
    #[error("identifier is empty")]
    Empty,
    /// The identifier does not start with its type's sigil (`@` user, `!` room, `$` event).
    #[error("identifier must start with '{expected}'")]
    MissingSigil {
        /// The sigil this identifier type requires.
        expected: char,
    },
    /// A user or room id has no `:server_name` part.
    #[error("identifier has no ':server_name' part")]
    MissingServerName,
    /// The localpart of a user id is empty, too long or has a forbidden character.
    #[error("invalid user localpart: {reason}")]
    InvalidLocalpart {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The server name is not a DNS hostname, IPv4 literal or bracketed IPv6 literal.
    #[error("invalid server name: {reason}")]
    InvalidServerName {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The port of a server name is not a number in 1..=65535 written without leading zeros.
    #[error("invalid port: must be a number from 1 to 65535 without leading zeros")]
    InvalidPort,
    /// The identifier is longer than its type allows.
    #[error("identifier is too long (at most {max} bytes)")]
    TooLong {
        /// The maximum length in bytes.
        max: usize,
    },
    /// The opaque part of a room id is empty, too long or not alphanumeric.
    #[error("invalid room id: {reason}")]
    InvalidOpaqueId {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An event id is not `$` followed by the unpadded base64url of a 32-byte digest.
    #[error("invalid event id: {reason}")]
    InvalidEventId {
        /// What is wrong with it.
        reason: &'static str,
    },
}
