//! Convo's federation protocol: identifiers, server signing keys and signatures.
//!
//! This crate is pure protocol. It knows nothing of HTTP servers or databases, so any client,
//! bot or peer implementation can depend on it.

#[macro_use]
mod macros;

pub mod identifiers;
pub mod keys;

pub use identifiers::{EventId, IdError, RoomId, ServerName, UserId};
pub use keys::{KeyError, KeyId, ServerSigningKey, verify};
