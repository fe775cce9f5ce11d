//! Convo's federation protocol: identifiers, room events (typed content, canonical form,
//! content-addressed ids, the origin's signature and the host's countersignature), server
//! keys (the self-signed key document, rotation, the key cache), signed server-to-server
//! requests, discovery, the HTTPS client, the wire types of every federation endpoint and
//! their error codes.
//!
//! This crate is pure protocol. It knows nothing of HTTP servers or databases, so any client,
//! bot or peer implementation can depend on it; what to do with a verified event is the
//! homeserver's business.

#[macro_use]
mod macros;

pub mod api;
pub mod client;
pub mod clock;
pub mod discovery;
pub mod error;
pub mod events;
pub mod identifiers;
pub mod keys;
pub mod raw;
pub mod request;
pub mod signatures;

pub use error::{ErrorBody, ErrorCode, ProtocolError, RemoteErrorBody};
pub use events::{EventBody, EventContent, EventKind};
pub use identifiers::{EventId, IdError, RoomId, ServerName, UserId};
pub use keys::{KeyError, KeyId, ServerSigningKey, verify};
pub use raw::Raw;
pub use signatures::Signatures;
