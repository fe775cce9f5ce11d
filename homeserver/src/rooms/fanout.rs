//! What the rooms service tells connected clients about, whoever carries it (the gateway's
//! hub today; other nodes through Redis later): committed events, receipt positions that
//! moved, and a reader's new unread count. The wire format is the carrier's business.

use std::sync::Arc;

use convo_federation::{RoomId, UserId};

use super::model::Committed;

/// A member's positions after they moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionUpdate {
    pub user_id: UserId,
    pub delivered_up_to: i64,
    pub read_up_to: i64,
    /// When they moved, ms since the Unix epoch.
    pub ts: i64,
}

pub trait Fanout: Send + Sync + 'static {
    /// Committed events, in commit order, each to its recipients.
    fn publish(&self, batch: &[Arc<Committed>]);

    /// Other members' positions in `room_id` moved past messages of `to`'s.
    fn receipts(&self, room_id: &RoomId, to: &UserId, updates: &[PositionUpdate]);

    /// `user`'s read position in `room_id` moved (on one of their devices).
    fn unread(&self, user: &UserId, room_id: &RoomId, read_up_to: i64, unread_count: i64);
}
