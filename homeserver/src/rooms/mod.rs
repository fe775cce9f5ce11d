//! Rooms: direct chats and groups, their members and messages. Every change goes through the
//! [`Sequencer`]; this service validates what clients send, checks who may read what, and
//! answers reads from the database.

pub mod model;
pub mod sequencer;
pub mod store;

use std::sync::Arc;

use convo_federation::{EventId, RoomId, ServerName, UserId};

use crate::accounts::{Accounts, validate};
use crate::config::RoomsConfig;
use crate::db::Db;
use crate::error::{Error, ErrorCode, Result};
use model::{Action, Committed, NewRoom, Proposal, RoomKind, SettingsChange};
pub use sequencer::{Created, Fanout, Sequencer};
use store::{Membership, Page, RoomDetails, RoomSummary, StoredEvent};

/// Longest client transaction id.
pub const TXN_ID_MAX: usize = 64;
pub const ROOM_NAME_MAX: usize = 64;
pub const ROOM_TOPIC_MAX: usize = 512;

/// The rooms service.
#[derive(Clone, Debug)]
pub struct Rooms {
    db: Db,
    sequencer: Sequencer,
    accounts: Accounts,
    server_name: ServerName,
    config: RoomsConfig,
}

/// A page of history with the reactions to its messages.
#[derive(Debug)]
pub struct HistoryPage {
    pub events: Vec<StoredEvent>,
    /// event id → emoji → users
    pub reactions:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>>,
    pub membership: Membership,
}

impl Rooms {
    pub fn new(
        db: Db,
        sequencer: Sequencer,
        accounts: Accounts,
        server_name: ServerName,
        config: RoomsConfig,
    ) -> Self {
        Self {
            db,
            sequencer,
            accounts,
            server_name,
            config,
        }
    }

    pub fn config(&self) -> &RoomsConfig {
        &self.config
    }

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
        let name = validate::text(name, "name", ROOM_NAME_MAX)?;
        if name.is_empty() {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                "a group needs a name",
            ));
        }
        let topic = optional(topic, |t| validate::text(t, "topic", ROOM_TOPIC_MAX))?;
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
        let room_id = RoomId::new_random(&self.server_name);
        let created = self
            .sequencer
            .create(NewRoom {
                room_id,
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
                self.unhide(&room_id, me).await?;
                (room_id, false)
            }
        })
    }

    async fn unhide(&self, room_id: &RoomId, user: &UserId) -> Result<()> {
        crate::with_writer!(&self.db, pool => {
            sqlx::query("UPDATE room_members SET hidden = FALSE WHERE room_id = $1 AND user_id = $2")
                .bind(room_id.as_str())
                .bind(user.as_str())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Checks and sends an action. Message texts are trimmed and bounded here.
    pub async fn act(
        &self,
        sender: &UserId,
        room_id: &RoomId,
        txn_id: Option<String>,
        action: Action,
    ) -> Result<Arc<Committed>> {
        if let Some(txn_id) = &txn_id
            && (txn_id.is_empty()
                || txn_id.chars().count() > TXN_ID_MAX
                || txn_id.chars().any(char::is_control))
        {
            return Err(Error::new(
                ErrorCode::InvalidRequest,
                format!(
                    "txn_id must be 1 to {TXN_ID_MAX} characters, none of them control characters"
                ),
            ));
        }
        let action = match action {
            Action::Message { text, reply_to } => Action::Message {
                text: self.message_text(&text)?,
                reply_to,
            },
            Action::Edit { target, text } => Action::Edit {
                target,
                text: self.message_text(&text)?,
            },
            Action::React { target, emoji } => {
                let emoji = emoji.trim().to_owned();
                if emoji.chars().count() > 16
                    || emoji.chars().any(|c| c.is_control() || c.is_whitespace())
                {
                    return Err(Error::new(
                        ErrorCode::InvalidRequest,
                        "a reaction is one emoji (at most 16 characters)",
                    ));
                }
                Action::React { target, emoji }
            }
            Action::AddMember { user } => {
                self.existing_user(&user).await?;
                Action::AddMember { user }
            }
            Action::Settings(change) => Action::Settings(SettingsChange {
                // A group always has a name: an empty one is refused, not cleared.
                name: match change.name {
                    Some(Some(v)) => {
                        let name = validate::text(&v, "name", ROOM_NAME_MAX)?;
                        if name.is_empty() {
                            return Err(Error::new(
                                ErrorCode::InvalidRequest,
                                "a group needs a name",
                            ));
                        }
                        Some(Some(name))
                    }
                    Some(None) => {
                        return Err(Error::new(
                            ErrorCode::InvalidRequest,
                            "a group needs a name",
                        ));
                    }
                    None => None,
                },
                topic: clearable(change.topic, |v| validate::text(v, "topic", ROOM_TOPIC_MAX))?,
                avatar_url: clearable(change.avatar_url, validate::avatar_url)?,
            }),
            other => other,
        };
        self.sequencer
            .propose(Proposal {
                room_id: room_id.clone(),
                sender: sender.clone(),
                txn_id,
                action,
            })
            .await
    }

    fn message_text(&self, text: &str) -> Result<String> {
        let text = text.trim();
        let max = self.config.max_message_length;
        if text.is_empty() || text.chars().count() > max {
            return Err(Error::new(
                ErrorCode::InvalidMessage,
                format!("a message has 1 to {max} characters"),
            ));
        }
        Ok(text.to_owned())
    }

    /// The caller's membership, present or past; `ROOM_NOT_FOUND` if they were never in it.
    pub async fn membership(&self, user: &UserId, room_id: &RoomId) -> Result<Membership> {
        store::membership(&self.db, room_id.as_str(), user.as_str())
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
        let events = store::history(
            &self.db,
            room_id.as_str(),
            user.as_str(),
            from,
            to,
            page,
            limit,
        )
        .await?;
        let reactions = match (events.first(), events.last()) {
            (Some(first), Some(last)) => {
                store::reactions_between(
                    &self.db,
                    room_id.as_str(),
                    first.event.seq,
                    last.event.seq,
                )
                .await?
            }
            _ => Default::default(),
        };
        Ok(HistoryPage {
            events,
            reactions,
            membership,
        })
    }

    pub async fn list(&self, user: &UserId) -> Result<Vec<RoomSummary>> {
        Ok(store::list_rooms(&self.db, user.as_str()).await?)
    }

    /// Settings and members, for anyone who is or was a member.
    pub async fn details(&self, user: &UserId, room_id: &RoomId) -> Result<RoomDetails> {
        self.membership(user, room_id).await?;
        store::room_details(&self.db, room_id.as_str())
            .await?
            .ok_or_else(|| Error::new(ErrorCode::RoomNotFound, "no such room"))
    }

    /// "Delete chat for me": hides it and clears the caller's history of it.
    pub async fn delete_for_me(&self, user: &UserId, room_id: &RoomId) -> Result<()> {
        let membership = self.membership(user, room_id).await?;
        let last = store::max_seq(&self.db, room_id.as_str())
            .await?
            .min(membership.last_visible());
        Ok(store::clear_for_user(&self.db, room_id.as_str(), user.as_str(), last).await?)
    }

    /// "Delete for me" of one message the caller can see.
    pub async fn delete_message_for_me(
        &self,
        user: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
    ) -> Result<()> {
        let membership = self.membership(user, room_id).await?;
        match store::find_event(&self.db, event_id.as_str()).await? {
            Some((room, seq, _, _))
                if room == room_id.as_str()
                    && seq >= membership.first_visible()
                    && seq <= membership.last_visible() =>
            {
                Ok(store::hide_event(&self.db, user.as_str(), event_id.as_str()).await?)
            }
            _ => Err(Error::new(
                ErrorCode::EventNotFound,
                "no such message in this room",
            )),
        }
    }

    pub async fn set_muted(&self, user: &UserId, room_id: &RoomId, muted: bool) -> Result<()> {
        self.sequencer
            .set_muted(room_id.clone(), user.clone(), muted)
            .await
    }
}

fn optional(value: Option<&str>, check: impl Fn(&str) -> Result<String>) -> Result<Option<String>> {
    match value {
        Some(v) if !v.trim().is_empty() => check(v).map(Some),
        _ => Ok(None),
    }
}

fn clearable(
    value: Option<Option<String>>,
    check: impl Fn(&str) -> Result<String>,
) -> Result<Option<Option<String>>> {
    match value {
        None => Ok(None),
        Some(None) => Ok(Some(None)),
        Some(Some(v)) if v.trim().is_empty() => Ok(Some(None)),
        Some(Some(v)) => check(&v).map(|v| Some(Some(v))),
    }
}

impl Rooms {
    /// Who has a message delivered and read, and when (for its sender's ticks in groups).
    pub async fn receipts(
        &self,
        user: &UserId,
        room_id: &RoomId,
        event_id: &EventId,
    ) -> Result<Vec<store::MessageReceipt>> {
        let membership = self.membership(user, room_id).await?;
        match store::find_event(&self.db, event_id.as_str()).await? {
            Some((room, seq, kind, sender))
                if room == room_id.as_str()
                    && kind == "message"
                    && seq >= membership.first_visible()
                    && seq <= membership.last_visible() =>
            {
                Ok(store::message_receipts(&self.db, room_id.as_str(), seq, &sender).await?)
            }
            _ => Err(Error::new(
                ErrorCode::EventNotFound,
                "no such message in this room",
            )),
        }
    }
}
