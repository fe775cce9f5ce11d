//! A device's ticks: *delivered* when it reports the events it received, *read* when its
//! user reads a chat. Both are cumulative room positions (`seq`s), checked here and handed to
//! the receipts task, which writes and announces them.

use convo_federation::{RoomId, UserId};

use super::{Rooms, store};
use crate::error::{Error, ErrorCode, Result};

impl Rooms {
    /// `user`'s device has received `room_id`'s events up to `seq`.
    pub fn delivered(&self, room_id: &RoomId, user: &UserId, seq: i64) {
        self.receipts.delivered(room_id, user, seq);
    }

    /// Moves the read position, never backwards; a `seq` past the last event the member can
    /// see is clamped to it. Returns the read position now.
    pub async fn mark_read(&self, user: &UserId, room_id: &RoomId, seq: i64) -> Result<i64> {
        if seq < 0 {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                "seq must not be negative",
            ));
        }
        let membership = self.membership(user, room_id).await?;
        let last = store::max_seq(&self.db, room_id)
            .await?
            .min(membership.last_visible());
        let seq = seq.min(last);
        if seq > membership.read_up_to {
            self.receipts.read(room_id, user, seq);
        }
        // Positions accepted just before this one may not be written yet.
        let accepted = self.receipts.unwritten_read(room_id, user).unwrap_or(0);
        Ok(seq.max(membership.read_up_to).max(accepted))
    }
}
