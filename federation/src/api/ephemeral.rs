//! Ephemeral updates (never sequenced) carried by a transaction: typing, delivered/read
//! positions coalesced per room, presence. Every user an update names must be on the server
//! that sends it ([`Ephemeral::check_origin`]): a server speaks only for its own users.
//!
//! ```json
//! {"type": "typing", "room_id": "!r:hs1", "user_id": "@bob:hs2", "typing": true}
//! {"type": "receipts", "room_id": "!r:hs1", "updates": [{"user_id": "@bob:hs2", "delivered_up_to": 41, "read_up_to": 40, "ts": 1700000000000}]}
//! {"type": "presence", "user_id": "@bob:hs2", "online": false, "last_seen": 1700000000000}
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{ErrorCode, ProtocolError};
use crate::{RoomId, ServerName, UserId};

/// Most position updates in one `receipts` update.
pub const MAX_RECEIPT_UPDATES: usize = 1_000;

/// A member's cumulative positions in a room: every event with `seq` up to them was delivered
/// to (read by) one of their devices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptUpdate {
    pub user_id: UserId,
    pub delivered_up_to: u64,
    pub read_up_to: u64,
    /// When the positions last moved, ms since the Unix epoch.
    pub ts: i64,
}

/// One ephemeral update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum Ephemeral {
    /// A member started or stopped typing (a start lapses after a few seconds unless renewed).
    Typing {
        room_id: RoomId,
        user_id: UserId,
        typing: bool,
    },
    /// Members' positions in one room, coalesced: one entry per member, the latest.
    Receipts {
        room_id: RoomId,
        updates: Vec<ReceiptUpdate>,
    },
    /// A user came online or went away; `last_seen` is `null` while online or when hidden.
    Presence {
        user_id: UserId,
        online: bool,
        last_seen: Option<i64>,
    },
}

/// Why an ephemeral update was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EphemeralError {
    /// The update speaks for a user of another server.
    #[error("{user_id} is not a user of {origin}")]
    WrongOrigin { user_id: UserId, origin: ServerName },
    /// A `receipts` update with too many entries, or one user twice.
    #[error("malformed receipts: {reason}")]
    Malformed { reason: &'static str },
}

impl ProtocolError for EphemeralError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::WrongOrigin { .. } => ErrorCode::WrongOrigin,
            Self::Malformed { .. } => ErrorCode::MalformedRequest,
        }
    }
}

impl Ephemeral {
    /// The users the update speaks for.
    pub fn users(&self) -> Vec<&UserId> {
        match self {
            Self::Typing { user_id, .. } | Self::Presence { user_id, .. } => vec![user_id],
            Self::Receipts { updates, .. } => updates.iter().map(|u| &u.user_id).collect(),
        }
    }

    /// The room it is about, if any (presence is about a user, wherever they are).
    pub fn room_id(&self) -> Option<&RoomId> {
        match self {
            Self::Typing { room_id, .. } | Self::Receipts { room_id, .. } => Some(room_id),
            Self::Presence { .. } => None,
        }
    }

    /// Checks that `origin`, the authenticated sender, speaks only for its own users, and
    /// that a receipts update is coalesced (each member once) and bounded.
    pub fn check_origin(&self, origin: &ServerName) -> Result<(), EphemeralError> {
        if let Self::Receipts { updates, .. } = self {
            if updates.len() > MAX_RECEIPT_UPDATES {
                return Err(EphemeralError::Malformed {
                    reason: "too many updates",
                });
            }
            let distinct: std::collections::BTreeSet<&UserId> =
                updates.iter().map(|u| &u.user_id).collect();
            if distinct.len() != updates.len() {
                return Err(EphemeralError::Malformed {
                    reason: "a member is listed twice",
                });
            }
        }
        match self.users().into_iter().find(|u| u.server_name() != origin) {
            Some(user) => Err(EphemeralError::WrongOrigin {
                user_id: user.clone(),
                origin: origin.clone(),
            }),
            None => Ok(()),
        }
    }
}
