//! Reads for clients, limited to what the caller may see: from when they joined (or cleared
//! the chat) until they left, and of a room they left, its state when they left.

use convo_federation::{EventId, RoomId, UserId};

use super::Rooms;
use super::model::EventKind;
use super::store::{self, Membership, Page, Reactions, RoomDetails, RoomSummary, StoredEvent};
use crate::error::{Error, ErrorCode, Result};

/// A page of history with the reactions to its messages.
#[derive(Debug)]
pub struct HistoryPage {
    pub events: Vec<StoredEvent>,
    pub reactions: Reactions,
    pub membership: Membership,
}

impl Rooms {
    /// The caller's membership, present or past; `ROOM_NOT_FOUND` if they were never in it.
    pub async fn membership(&self, user: &UserId, room_id: &RoomId) -> Result<Membership> {
        store::membership(&self.db, room_id, user)
            .await?
            .ok_or_else(|| Error::new(ErrorCode::RoomNotFound, "no such room"))
    }

    /// A page of the history the caller may see.
    pub async fn history(
        &self,
        user: &UserId,
        room_id: &RoomId,
        page: Page,
        limit: u32,
    ) -> Result<HistoryPage> {
        let membership = self.membership(user, room_id).await?;
        let limit = limit.clamp(1, self.config.max_history_page);
        let (from, to) = (membership.first_visible(), membership.last_visible());
        let events = store::history(&self.db, room_id, user, from, to, page, limit).await?;
        let reactions = match (events.first(), events.last()) {
            (Some(first), Some(last)) => {
                store::reactions_between(&self.db, room_id, first.event.seq, last.event.seq).await?
            }
            _ => Default::default(),
        };
        Ok(HistoryPage {
            events,
            reactions,
            membership,
        })
    }

    /// The caller's chats, most recently active first.
    pub async fn list(&self, user: &UserId) -> Result<Vec<RoomSummary>> {
        Ok(store::list_rooms(&self.db, user).await?)
    }

    /// Settings and members, for anyone who is or was a member: as they are, or for one who
    /// left, as they were when they left.
    pub async fn details(&self, user: &UserId, room_id: &RoomId) -> Result<RoomDetails> {
        let membership = self.membership(user, room_id).await?;
        let as_of = (!membership.joined).then_some(membership.last_visible());
        store::room_details(&self.db, room_id, as_of)
            .await?
            .ok_or_else(|| Error::new(ErrorCode::RoomNotFound, "no such room"))
    }

    /// Who has a message delivered and read, and when (for its sender's ticks in groups).
    pub async fn receipts(
        &self,
        user: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
    ) -> Result<Vec<store::MessageReceipt>> {
        let membership = self.membership(user, room_id).await?;
        match store::find_event(&self.db, event_id).await? {
            Some(found)
                if found.room_id == *room_id
                    && found.kind == EventKind::Message
                    && found.seq >= membership.first_visible()
                    && found.seq <= membership.last_visible() =>
            {
                Ok(store::message_receipts(&self.db, room_id, found.seq, &found.sender).await?)
            }
            _ => Err(Error::new(
                ErrorCode::EventNotFound,
                "no such message in this room",
            )),
        }
    }
}

impl Rooms {
    /// The people `user` shares a joined room with (for presence).
    pub async fn contacts(&self, user: &UserId) -> Result<Vec<UserId>> {
        Ok(store::contacts(&self.db, user).await?)
    }
}
