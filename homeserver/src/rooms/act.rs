//! Changing rooms: creating groups and direct chats, acting in a room (through the
//! sequencer), muting, and a member's own deletions ("delete for me").

use std::sync::Arc;

use convo_federation::{EventId, RoomId, UserId};

use super::input::{self, optional};
use super::model::{Action, Committed, NewRoom, Proposal, RoomKind};
use super::{Created, Rooms, personal, store};
use crate::accounts::validate;
use crate::error::{Error, ErrorCode, Result};

impl Rooms {
    /// An active local account, or `USER_NOT_FOUND`. (Users on other servers come with federation.)
    async fn existing_user(&self, user: &UserId) -> Result<()> {
        if *user.server_name() != self.server_name {
            return Err(Error::new(
                ErrorCode::UserNotFound,
                "users on other servers are not reachable yet",
            ));
        }
        match self.accounts.get(user).await? {
            Some(account) if account.deactivated_at.is_none() => Ok(()),
            _ => Err(Error::new(
                ErrorCode::UserNotFound,
                format!("no such user: {user}"),
            )),
        }
    }

    /// Creates a group owned by `creator` with `members` added.
    pub async fn create_group(
        &self,
        creator: &UserId,
        name: &str,
        topic: Option<&str>,
        avatar_url: Option<&str>,
        members: Vec<UserId>,
    ) -> Result<RoomId> {
        let name = input::group_name(name)?;
        let topic = optional(topic, input::topic)?;
        let avatar_url = optional(avatar_url, validate::avatar_url)?;
        let mut unique = Vec::new();
        for member in members {
            if member != *creator && !unique.contains(&member) {
                self.existing_user(&member).await?;
                unique.push(member);
            }
        }
        if unique.len() + 1 > self.config.max_members {
            return Err(Error::new(
                ErrorCode::RoomFull,
                format!("a group has at most {} members", self.config.max_members),
            ));
        }
        let created = self
            .sequencer
            .create(NewRoom {
                room_id: RoomId::new_random(&self.server_name),
                kind: RoomKind::Group,
                creator: creator.clone(),
                members: unique,
                name: Some(name),
                topic,
                avatar_url,
                direct_key: None,
            })
            .await?;
        match created {
            Created::New { room_id, .. } | Created::Existing(room_id) => Ok(room_id),
        }
    }

    /// The direct chat between `me` and `other`, created if there is none. True if created.
    /// Either of the two finds it the same way: opening it again returns the same room.
    pub async fn open_direct(&self, me: &UserId, other: &UserId) -> Result<(RoomId, bool)> {
        if me == other {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                "a direct chat needs someone else",
            ));
        }
        self.existing_user(other).await?;
        let mut pair = [me.as_str(), other.as_str()];
        pair.sort_unstable();
        let created = self
            .sequencer
            .create(NewRoom {
                room_id: RoomId::new_random(&self.server_name),
                kind: RoomKind::Direct,
                creator: me.clone(),
                members: vec![other.clone()],
                name: None,
                topic: None,
                avatar_url: None,
                direct_key: Some(pair.join(" ")),
            })
            .await?;
        Ok(match created {
            Created::New { room_id, .. } => (room_id, true),
            Created::Existing(room_id) => {
                // Opening it again brings a chat deleted "for me" back into the list.
                personal::unhide_chat(&self.db, &room_id, me).await?;
                (room_id, false)
            }
        })
    }

    /// Checks and sends an action; answers once its event is committed.
    pub async fn act(
        &self,
        sender: &UserId,
        room_id: &RoomId,
        txn_id: Option<String>,
        action: Action,
    ) -> Result<Arc<Committed>> {
        input::txn_id(txn_id.as_deref())?;
        if let Action::AddMember { user } = &action {
            self.existing_user(user).await?;
        }
        let action = self.checked(action)?;
        self.sequencer
            .propose(Proposal {
                room_id: room_id.clone(),
                sender: sender.clone(),
                txn_id,
                action,
            })
            .await
    }

    /// As [`Self::act`], for actions that need no check against other accounts (messages,
    /// edits, deletes, reactions, settings, leaving): queued at once, so that one client's
    /// actions reach the room in the order it made them. The future answers once committed.
    pub fn act_now(
        &self,
        sender: &UserId,
        room_id: &RoomId,
        txn_id: Option<String>,
        action: Action,
    ) -> Result<impl Future<Output = Result<Arc<Committed>>> + Send + use<>> {
        input::txn_id(txn_id.as_deref())?;
        if matches!(action, Action::AddMember { .. }) {
            return Err(Error::internal(
                "adding a member checks the account: use `act`",
            ));
        }
        let action = self.checked(action)?;
        self.sequencer.propose_now(Proposal {
            room_id: room_id.clone(),
            sender: sender.clone(),
            txn_id,
            action,
        })
    }

    pub async fn set_muted(&self, user: &UserId, room_id: &RoomId, muted: bool) -> Result<()> {
        self.sequencer
            .set_muted(room_id.clone(), user.clone(), muted)
            .await
    }

    /// "Delete chat for me": hides it and clears the caller's history of it.
    pub async fn delete_for_me(&self, user: &UserId, room_id: &RoomId) -> Result<()> {
        let membership = self.membership(user, room_id).await?;
        let last = store::max_seq(&self.db, room_id)
            .await?
            .min(membership.last_visible());
        Ok(personal::clear_chat(&self.db, room_id, user, last).await?)
    }

    /// "Delete for me" of one message the caller can see.
    pub async fn delete_message_for_me(
        &self,
        user: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
    ) -> Result<()> {
        let membership = self.membership(user, room_id).await?;
        match store::find_event(&self.db, event_id).await? {
            Some(found)
                if found.room_id == *room_id
                    && found.seq >= membership.first_visible()
                    && found.seq <= membership.last_visible() =>
            {
                Ok(personal::hide_event(&self.db, user, event_id).await?)
            }
            _ => Err(Error::new(
                ErrorCode::EventNotFound,
                "no such message in this room",
            )),
        }
    }
}
