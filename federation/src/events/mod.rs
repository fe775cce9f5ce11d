//! Room events as the protocol defines them: their typed content, their canonical form,
//! their content-addressed id, and their signatures.
//!
//! An event's id is `$` + unpadded base64url of the SHA-256 of its canonical JSON (RFC 8785)
//! without signatures or the host's sequencing fields ([`EventBody`]). Any server that holds
//! the same event computes the same id. The origin signs the same canonical bytes
//! ([`SignedEvent`]); the room's host countersigns the event's place, its `seq` ([`Pdu`]).

mod body;
mod canonical;
mod content;
mod signed;
mod verify;

#[cfg(test)]
mod signed_tests;

pub use body::{EventBody, event_id};
pub use canonical::{canonical_json, canonical_sha256};
pub use content::{
    DeleteContent, EditContent, EventContent, EventKind, MemberContent, MessageContent,
    ReactionContent, Role, RoomCreatedContent, RoomDeletedContent, RoomKind, SettingsContent,
    UnknownKind,
};
pub use signed::{MAX_SEQ, Pdu, SignedEvent};
pub use verify::{
    EventError, check_origin_ts, verify_pdu, verify_pdu_from, verify_proposal, verify_signed_event,
};
