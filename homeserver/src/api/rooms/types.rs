//! Wire types shared by the rooms operations.

use convo_federation::{EventId, RoomId, UserId};
use poem_openapi::Object;
use serde_json::Value;

use crate::api::nullable::Nullable;
use crate::error::{Error, ErrorCode, Result};
use crate::rooms::model::Committed;
use crate::rooms::store::StoredEvent;

/// A room event as clients see it.
#[derive(Debug, Clone, Object)]
pub struct RoomEvent {
    pub event_id: String,
    pub room_id: String,
    /// Position in the room: gap-free from 1.
    pub seq: i64,
    /// Position in the server's stream (what a device resumes from).
    pub pos: i64,
    pub sender: String,
    /// `message`, `message.edit`, `message.delete`, `message.reaction`, `room.created`,
    /// `room.member`, `room.settings` or `room.deleted`.
    #[oai(rename = "type")]
    pub kind: String,
    /// Depends on `type`; a deleted message has `{}`.
    pub content: Value,
    /// Server time of acceptance, ms since the Unix epoch.
    pub ts: i64,
    /// The sender's transaction id; `null` for events made without one.
    pub txn_id: Nullable<String>,
    /// Messages: when last edited; `null` if never.
    pub edited_at: Nullable<i64>,
    /// Messages: deleted for everyone.
    pub deleted: bool,
    /// Messages: reactions, one per user.
    pub reactions: Vec<Reaction>,
}

#[derive(Debug, Clone, Object)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<String>,
}

impl RoomEvent {
    pub fn from_stored(
        stored: StoredEvent,
        reactions: Option<&std::collections::BTreeMap<String, Vec<String>>>,
    ) -> Self {
        let event = stored.event;
        Self {
            event_id: event.event_id,
            room_id: event.room_id,
            seq: event.seq,
            pos: event.pos,
            sender: event.sender,
            kind: event.kind,
            content: event.content,
            ts: event.ts,
            txn_id: event.txn_id.into(),
            edited_at: stored.edited_at.into(),
            deleted: stored.deleted_at.is_some(),
            reactions: reactions
                .into_iter()
                .flatten()
                .map(|(emoji, users)| Reaction {
                    emoji: emoji.clone(),
                    users: users.clone(),
                })
                .collect(),
        }
    }
}

/// The answer to anything that appends an event: it is stored.
#[derive(Debug, Clone, Object)]
pub struct EventAck {
    pub event_id: String,
    pub room_id: String,
    pub seq: i64,
    pub pos: i64,
    pub ts: i64,
    /// True when this repeats the answer to an earlier request with the same `txn_id`.
    pub duplicate: bool,
}

impl From<&Committed> for EventAck {
    fn from(committed: &Committed) -> Self {
        let event = &committed.event;
        Self {
            event_id: event.event_id.clone(),
            room_id: event.room_id.clone(),
            seq: event.seq,
            pos: event.pos,
            ts: event.ts,
            duplicate: committed.duplicate,
        }
    }
}

pub fn room_id(raw: &str) -> Result<RoomId> {
    RoomId::parse(raw)
        .map_err(|e| Error::new(ErrorCode::InvalidRequest, format!("not a room id: {e}")))
}

pub fn event_id(raw: &str) -> Result<EventId> {
    EventId::parse(raw)
        .map_err(|e| Error::new(ErrorCode::InvalidRequest, format!("not an event id: {e}")))
}

pub fn user_id(raw: &str) -> Result<UserId> {
    UserId::parse(raw)
        .map_err(|e| Error::new(ErrorCode::InvalidUserId, format!("not a user id: {e}")))
}
