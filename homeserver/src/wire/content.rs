//! Event content as the OpenAPI document describes it: one object per event type, mirroring
//! `convo_federation::events` field for field (a test checks that both serialise alike).

use convo_federation::events::{self as protocol, EventContent};
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, Union};

/// `direct` or `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum RoomKind {
    Direct,
    Group,
}

impl From<protocol::RoomKind> for RoomKind {
    fn from(kind: protocol::RoomKind) -> Self {
        match kind {
            protocol::RoomKind::Direct => Self::Direct,
            protocol::RoomKind::Group => Self::Group,
        }
    }
}

/// A member's role: `owner`, `admin` or `member`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl From<protocol::Role> for Role {
    fn from(role: protocol::Role) -> Self {
        match role {
            protocol::Role::Owner => Self::Owner,
            protocol::Role::Admin => Self::Admin,
            protocol::Role::Member => Self::Member,
        }
    }
}

/// `message`: a text message, possibly answering another.
#[derive(Debug, Clone, Object)]
pub struct MessageContent {
    pub text: String,
    /// The event id of the message this one answers.
    #[oai(skip_serializing_if_is_none)]
    pub reply_to: Option<String>,
}

/// `message.edit`: a new text for one of the sender's messages.
#[derive(Debug, Clone, Object)]
pub struct EditContent {
    /// The edited message's event id.
    pub target: String,
    pub text: String,
}

/// `message.delete`: a message deleted for everyone.
#[derive(Debug, Clone, Object)]
pub struct DeleteContent {
    /// The deleted message's event id.
    pub target: String,
}

/// `message.reaction`: the sender's reaction to a message; an empty emoji takes it back.
#[derive(Debug, Clone, Object)]
pub struct ReactionContent {
    /// The message's event id.
    pub target: String,
    pub emoji: String,
}

/// `room.created`: the first event of every room; the creator joins with it (as the owner of
/// a group). Fields the group was created without are absent.
#[derive(Debug, Clone, Object)]
pub struct RoomCreatedContent {
    pub kind: RoomKind,
    #[oai(skip_serializing_if_is_none)]
    pub name: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub topic: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub avatar_url: Option<String>,
}

/// The sender added `user_id` (at a group's creation: the creator added them).
#[derive(Debug, Clone, Object)]
pub struct MemberAdded {
    pub user_id: String,
}

/// An admin removed `user_id`.
#[derive(Debug, Clone, Object)]
pub struct MemberRemoved {
    pub user_id: String,
}

/// The owner gave `user_id` a role; with `owner`, ownership passed on and the sender became
/// an admin.
#[derive(Debug, Clone, Object)]
pub struct MemberRole {
    pub user_id: String,
    pub role: Role,
}

/// `user_id` left; when the owner leaves, `new_owner` takes over.
#[derive(Debug, Clone, Object)]
pub struct MemberLeft {
    pub user_id: String,
    #[oai(skip_serializing_if_is_none)]
    pub new_owner: Option<String>,
}

/// `room.member`: a change of membership or role, told by `action`.
#[derive(Debug, Clone, Union)]
#[oai(discriminator_name = "action", one_of)]
pub enum MemberContent {
    #[oai(mapping = "add")]
    Add(MemberAdded),
    #[oai(mapping = "remove")]
    Remove(MemberRemoved),
    #[oai(mapping = "role")]
    Role(MemberRole),
    #[oai(mapping = "leave")]
    Leave(MemberLeft),
}

/// `room.settings`: group settings that changed. An absent field did not change; `null`
/// cleared it (the name is never cleared).
#[derive(Debug, Clone, Object)]
pub struct SettingsContent {
    #[oai(nullable)]
    pub name: MaybeUndefined<String>,
    #[oai(nullable)]
    pub topic: MaybeUndefined<String>,
    #[oai(nullable)]
    pub avatar_url: MaybeUndefined<String>,
}

/// `room.deleted`: the owner deleted the group; nothing more happens in it.
#[derive(Debug, Clone, Object)]
pub struct RoomDeletedContent {}

/// Any event's content, by type (for code that handles all of them alike).
#[derive(Debug, Clone)]
pub enum EventContentDoc {
    Message(MessageContent),
    Edit(EditContent),
    Delete(DeleteContent),
    Reaction(ReactionContent),
    RoomCreated(RoomCreatedContent),
    Member(MemberContent),
    Settings(SettingsContent),
    RoomDeleted(RoomDeletedContent),
}

fn maybe(value: Option<Option<String>>) -> MaybeUndefined<String> {
    match value {
        None => MaybeUndefined::Undefined,
        Some(None) => MaybeUndefined::Null,
        Some(Some(value)) => MaybeUndefined::Value(value),
    }
}

impl From<&EventContent> for EventContentDoc {
    fn from(content: &EventContent) -> Self {
        match content.clone() {
            EventContent::Message(c) => Self::Message(MessageContent {
                text: c.text,
                reply_to: c.reply_to.map(String::from),
            }),
            EventContent::Edit(c) => Self::Edit(EditContent {
                target: c.target.into(),
                text: c.text,
            }),
            EventContent::Delete(c) => Self::Delete(DeleteContent {
                target: c.target.into(),
            }),
            EventContent::Reaction(c) => Self::Reaction(ReactionContent {
                target: c.target.into(),
                emoji: c.emoji,
            }),
            EventContent::RoomCreated(c) => Self::RoomCreated(RoomCreatedContent {
                kind: c.kind.into(),
                name: c.name,
                topic: c.topic,
                avatar_url: c.avatar_url,
            }),
            EventContent::Member(c) => Self::Member(match c {
                protocol::MemberContent::Add { user_id } => MemberContent::Add(MemberAdded {
                    user_id: user_id.into(),
                }),
                protocol::MemberContent::Remove { user_id } => {
                    MemberContent::Remove(MemberRemoved {
                        user_id: user_id.into(),
                    })
                }
                protocol::MemberContent::Role { user_id, role } => {
                    MemberContent::Role(MemberRole {
                        user_id: user_id.into(),
                        role: role.into(),
                    })
                }
                protocol::MemberContent::Leave { user_id, new_owner } => {
                    MemberContent::Leave(MemberLeft {
                        user_id: user_id.into(),
                        new_owner: new_owner.map(String::from),
                    })
                }
            }),
            EventContent::Settings(c) => Self::Settings(SettingsContent {
                name: maybe(c.name),
                topic: maybe(c.topic),
                avatar_url: maybe(c.avatar_url),
            }),
            EventContent::RoomDeleted(_) => Self::RoomDeleted(RoomDeletedContent {}),
        }
    }
}
