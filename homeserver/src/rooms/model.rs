//! What rooms are made of: kinds, roles, the actions members take, and committed events as
//! they are stored and sent to clients.

use std::sync::Arc;

use convo_federation::{EventId, RoomId, UserId};
use serde::Serialize;
use serde_json::Value;

/// A one-to-one chat or a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomKind {
    Direct,
    Group,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "direct" => Some(Self::Direct),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

/// A member's role. Order matters: a higher role may act on lower ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

/// Settings that can change; `Some(None)` clears one.
#[derive(Clone, Debug, Default)]
pub struct SettingsChange {
    pub name: Option<Option<String>>,
    pub topic: Option<Option<String>>,
    pub avatar_url: Option<Option<String>>,
}

/// Something a member asks a room to do. Each accepted action becomes one event.
#[derive(Clone, Debug)]
pub enum Action {
    Message {
        text: String,
        reply_to: Option<EventId>,
    },
    Edit {
        target: EventId,
        text: String,
    },
    Delete {
        target: EventId,
    },
    /// `emoji` empty removes the sender's reaction.
    React {
        target: EventId,
        emoji: String,
    },
    AddMember {
        user: UserId,
    },
    RemoveMember {
        user: UserId,
    },
    SetRole {
        user: UserId,
        role: Role,
    },
    Leave,
    Settings(SettingsChange),
    DeleteGroup,
}

/// A request to the sequencer to append an action to a room.
#[derive(Clone, Debug)]
pub struct Proposal {
    pub room_id: RoomId,
    pub sender: UserId,
    /// Client transaction id: a retry with the same one returns the first result.
    pub txn_id: Option<String>,
    pub action: Action,
}

/// A request to create a room with its first members.
#[derive(Clone, Debug)]
pub struct NewRoom {
    pub room_id: RoomId,
    pub kind: RoomKind,
    pub creator: UserId,
    /// Members added at creation (not the creator).
    pub members: Vec<UserId>,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub avatar_url: Option<String>,
    /// For direct chats: the key that makes a second direct chat between the same two
    /// people impossible.
    pub direct_key: Option<String>,
}

/// An event as stored and as clients receive it.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub event_id: String,
    pub room_id: String,
    /// Position in the room: gap-free, from 1.
    pub seq: i64,
    /// Position in this server's stream, which devices resume from.
    pub pos: i64,
    pub sender: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub content: Value,
    /// Server time of acceptance, ms since the Unix epoch.
    pub ts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub txn_id: Option<String>,
}

/// A committed event with who may see it and what it changed, for fan-out.
#[derive(Debug)]
pub struct Committed {
    pub event: Event,
    /// The event serialised once, shared by every recipient.
    pub json: Arc<str>,
    /// Users who receive it: the joined members after the event, plus anyone it removed.
    pub recipients: Vec<UserId>,
    /// Members who muted the room (no notifications for them).
    pub muted: Vec<UserId>,
    /// Whether this answer repeats an earlier commit (same transaction id).
    pub duplicate: bool,
}
