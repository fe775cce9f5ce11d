//! Convo's federation protocol: identifiers, room events (typed content, canonical form,
//! content-addressed ids), server signing keys and signatures.
//!
//! This crate is pure protocol. It knows nothing of HTTP servers or databases, so any client,
//! bot or peer implementation can depend on it.

#[macro_use]
mod macros;

pub mod events;
pub mod identifiers;
pub mod keys;

pub use events::{EventBody, EventContent, EventKind};
pub use identifiers::{EventId, IdError, RoomId, ServerName, UserId};
pub use keys::{KeyError, KeyId, ServerSigningKey, verify};
