//! Room events as the protocol defines them: their typed content, their canonical form and
//! their content-addressed id.
//!
//! An event's id is `$` + unpadded base64url of the SHA-256 of its canonical JSON (RFC 8785)
//! without signatures or the host's sequencing fields ([`EventBody`]). Any server that holds
//! the same event computes the same id.

mod body;
mod canonical;
mod content;

pub use body::{EventBody, event_id};
pub use canonical::{canonical_json, canonical_sha256};
pub use content::{
    DeleteContent, EditContent, EventContent, EventKind, MemberContent, MessageContent,
    ReactionContent, Role, RoomCreatedContent, RoomDeletedContent, RoomKind, SettingsContent,
    UnknownKind,
};
