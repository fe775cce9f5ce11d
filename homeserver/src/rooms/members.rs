//! Who is joined in each room, for everything that is not the sequencer (typing, receipts,
//! membership checks of ephemeral requests): a bounded cache filled from the database on a
//! miss and kept current by the sequencer, which sets a room's list after each commit that
//! changes it, before the proposer hears of it.
//!
//! A reader that loads a list from the database only inserts it if no newer one arrived
//! meanwhile ([`moka::sync::Cache::entry`]'s `or_insert_with`); the sequencer always
//! overwrites. So a list read before a change can never replace the list after it.

use std::sync::Arc;

use convo_federation::{RoomId, UserId};
use moka::sync::Cache;

use super::store;
use crate::db::Db;

#[derive(Clone, Debug)]
pub struct MemberDirectory {
    db: Db,
    joined: Cache<RoomId, Arc<[UserId]>>,
}

impl MemberDirectory {
    pub fn new(db: Db, capacity: u64) -> Self {
        Self {
            db,
            joined: Cache::new(capacity.max(1)),
        }
    }

    /// The joined members of `room` (empty for a room that does not exist).
    pub async fn joined(&self, room: &RoomId) -> Result<Arc<[UserId]>, sqlx::Error> {
        if let Some(members) = self.joined.get(room) {
            return Ok(members);
        }
        let loaded: Arc<[UserId]> = store::joined_members(&self.db, room).await?.into();
        Ok(self
            .joined
            .entry(room.clone())
            .or_insert_with(|| loaded)
            .into_value())
    }

    /// Whether `user` is joined in `room`.
    pub async fn is_joined(&self, room: &RoomId, user: &UserId) -> Result<bool, sqlx::Error> {
        Ok(self.joined(room).await?.contains(user))
    }

    /// The sequencer committed a change of `room`'s members.
    pub(super) fn set(&self, room: &RoomId, members: Arc<[UserId]>) {
        self.joined.insert(room.clone(), members);
    }
}
