//! [`RoomSnapshot`]: a room's state compactly (settings, members and roles) as of a `seq`,
//! what a joining server needs to show the room at once; and [`HistoryPage`], its latest
//! events.
//!
//! Settings that are not set are `null`, never left out (the fixture round-trips).

use serde::{Deserialize, Serialize};

use crate::events::{Pdu, Role, RoomKind};
use crate::{Raw, RoomId, ServerName, UserId};

/// A member and their role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotMember {
    pub user_id: UserId,
    pub role: Role,
}

/// A room's state as of `seq`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSnapshot {
    pub room_id: RoomId,
    /// The room's host: the one sequencer, where sends go.
    pub host: ServerName,
    /// The state includes every event up to this one.
    pub seq: u64,
    pub kind: RoomKind,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub avatar_url: Option<String>,
    /// The joined members, ordered by user id.
    pub members: Vec<SnapshotMember>,
}

/// Sequenced events in ascending `seq`, without gaps between them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryPage {
    pub events: Vec<Raw<Pdu>>,
    /// Whether older events exist (fetch them by backfill).
    pub more_before: bool,
}

/// What a newly participating server learns of a room: a summary to show it in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomSummary {
    pub room_id: RoomId,
    pub host: ServerName,
    pub kind: RoomKind,
    pub name: Option<String>,
    pub avatar_url: Option<String>,
    pub member_count: u64,
}
