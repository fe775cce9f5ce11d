//! A room list entry, as `GET /rooms` answers and the gateway's snapshot carries it: one
//! type, so that both give the same shape.

use convo_federation::UserId;
use poem_openapi::Object;

use super::Nullable;
use super::content::{Role, RoomKind};
use super::event::RoomEvent;
use crate::rooms::store;

/// Another member's receipt positions: every message with a seq at or below
/// `delivered_up_to` has reached one of their devices (✓✓); at or below `read_up_to`, they
/// read it (blue).
#[derive(Debug, Clone, Object)]
pub struct MemberPosition {
    pub user_id: String,
    pub delivered_up_to: i64,
    pub read_up_to: i64,
}

/// One of my chats.
#[derive(Debug, Clone, Object)]
pub struct RoomSummary {
    pub room_id: String,
    pub kind: RoomKind,
    /// Groups: the name (as it was when I left, if I left); `null` for direct chats (as are
    /// topic and avatar when not set).
    pub name: Nullable<String>,
    pub topic: Nullable<String>,
    pub avatar_url: Nullable<String>,
    /// Direct chats: the other person; `null` for groups.
    pub peer: Nullable<String>,
    pub role: Role,
    /// False once I left or was removed (I keep what I saw until then).
    pub joined: bool,
    pub muted: bool,
    /// The newest message I can see; `null` if none.
    pub last_message: Nullable<RoomEvent>,
    /// The newest seq I can see.
    pub last_seq: i64,
    /// Messages from others after my read position (not deleted, not deleted for me).
    pub unread_count: i64,
    /// My read position (a seq).
    pub read_up_to: i64,
    /// The other members' delivered/read positions, to draw ticks of my messages (empty
    /// once I left).
    pub receipts: Vec<MemberPosition>,
}

impl RoomSummary {
    pub fn new(summary: store::RoomSummary, viewer: &UserId) -> Self {
        Self {
            room_id: summary.room_id.into(),
            kind: summary.kind.into(),
            name: summary.name.into(),
            topic: summary.topic.into(),
            avatar_url: summary.avatar_url.into(),
            peer: summary.peer.map(String::from).into(),
            role: summary.membership.role.into(),
            joined: summary.membership.joined,
            muted: summary.membership.muted,
            last_message: summary
                .last_message
                .map(|m| RoomEvent::new(m, None, viewer))
                .into(),
            last_seq: summary.last_seq,
            unread_count: summary.unread_count,
            read_up_to: summary.membership.read_up_to,
            receipts: summary
                .positions
                .into_iter()
                .map(|p| MemberPosition {
                    user_id: p.user_id.into(),
                    delivered_up_to: p.delivered_up_to,
                    read_up_to: p.read_up_to,
                })
                .collect(),
        }
    }
}
