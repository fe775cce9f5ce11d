//! What rooms are made of: the actions members take, proposals to the sequencer, and events
//! as they are committed. Kinds, roles and event content are the protocol's
//! (`convo_federation::events`), so that what is stored is what other servers will sign.

use std::sync::Arc;

pub use convo_federation::events::{EventContent, EventKind, Role, RoomKind};
use convo_federation::{EventId, RoomId, UserId};

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

/// A room event as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub event_id: EventId,
    pub room_id: RoomId,
    /// Position in the room: gap-free, from 1.
    pub seq: i64,
    /// Position in this server's stream, which devices resume from.
    pub pos: i64,
    pub sender: UserId,
    pub kind: EventKind,
    /// `None` once removed: a message deleted for everyone, and its edits and reactions.
    pub content: Option<EventContent>,
    /// Server time of acceptance, ms since the Unix epoch (the event body's `origin_ts`).
    pub ts: i64,
    /// The sender's transaction id; only the sender's own devices are told it.
    pub txn_id: Option<String>,
    /// The event body's nonce; `None` for events stored before ids were the protocol's.
    pub nonce: Option<String>,
}

impl Event {
    /// Whether this is a text message whose content is still there.
    pub fn is_message(&self) -> bool {
        self.kind == EventKind::Message
    }
}

/// A committed event with who may see it and what it changed, for fan-out.
#[derive(Debug)]
pub struct Committed {
    pub event: Event,
    /// Users who receive it: the joined members after the event (shared with the room's
    /// state until its membership changes), plus [`Self::also`].
    pub recipients: Arc<[UserId]>,
    /// Users who receive it although they are not joined after it (the removed).
    pub also: Vec<UserId>,
    /// Members who muted the room (no notifications for them).
    pub muted: Arc<[UserId]>,
    /// Whether the event changed who is joined (then `recipients` is the new member list).
    pub members_changed: bool,
    /// Whether this answer repeats an earlier commit (same transaction id).
    pub duplicate: bool,
}

impl Committed {
    /// Everyone who receives the event.
    pub fn all_recipients(&self) -> impl Iterator<Item = &UserId> {
        self.recipients.iter().chain(&self.also)
    }
}
