//! A room event as history shows it (`GET /rooms/{room_id}/messages`, the room list's last
//! message): a tagged union on `type`, each variant with the content of its type, and what
//! happened to it since (edited, deleted for everyone, reactions).

use std::collections::BTreeMap;

use convo_federation::UserId;
use poem_openapi::{Object, Union};

use super::Nullable;
use super::content::{
    DeleteContent, EditContent, EventContentDoc, MemberContent, MessageContent, ReactionContent,
    RoomCreatedContent, RoomDeletedContent, SettingsContent,
};
use crate::rooms::model::EventKind;
use crate::rooms::store::StoredEvent;

/// One emoji and who reacted with it (one reaction per user and message).
#[derive(Debug, Clone, Object)]
pub struct Reaction {
    pub emoji: String,
    pub users: Vec<String>,
}

/// Declares one object per event type with the fields every event has, and the union of
/// them, tagged by `type`.
macro_rules! room_events {
    ($( $(#[doc = $doc:literal])* $variant:ident($content:ident) as $kind:ident = $tag:literal ),* $(,)?) => {
        $(
            $(#[doc = $doc])*
            #[derive(Debug, Clone, Object)]
            pub struct $variant {
                pub event_id: String,
                pub room_id: String,
                /// Position in the room: gap-free from 1.
                pub seq: i64,
                /// Position in this server's stream (what a device resumes from).
                pub pos: i64,
                pub sender: String,
                /// `null` once removed: a message deleted for everyone, and its edits and
                /// reaction events.
                pub content: Nullable<$content>,
                /// Server time of acceptance, ms since the Unix epoch.
                pub ts: i64,
                /// The sender's transaction id, in the sender's own view; `null` for others
                /// and for events made without one.
                pub txn_id: Nullable<String>,
                /// Messages: when last edited; `null` if never.
                pub edited_at: Nullable<i64>,
                /// True once the content was removed (deleted for everyone).
                pub deleted: bool,
                /// Reactions to a message, one per user (empty for other events).
                pub reactions: Vec<Reaction>,
            }
        )*

        /// A room event. `type` tells which, and what its `content` holds.
        #[derive(Debug, Clone, Union)]
        #[oai(discriminator_name = "type", one_of)]
        pub enum RoomEvent {
            $( #[oai(mapping = $tag)] $kind($variant), )*
        }

        impl RoomEvent {
            /// The event as `viewer` sees it, with the reactions to it.
            pub fn new(
                stored: StoredEvent,
                reactions: Option<&BTreeMap<String, Vec<UserId>>>,
                viewer: &UserId,
            ) -> Self {
                let event = stored.event;
                let reactions = reactions
                    .into_iter()
                    .flatten()
                    .map(|(emoji, users)| Reaction {
                        emoji: emoji.clone(),
                        users: users.iter().map(|u| u.to_string()).collect(),
                    })
                    .collect();
                let txn_id = event.txn_id.filter(|_| event.sender == *viewer);
                let content = event.content.as_ref().map(EventContentDoc::from);
                match event.kind {
                    $(
                        EventKind::$kind => Self::$kind($variant {
                            event_id: event.event_id.into(),
                            room_id: event.room_id.into(),
                            seq: event.seq,
                            pos: event.pos,
                            sender: event.sender.into(),
                            content: match content {
                                Some(EventContentDoc::$kind(c)) => Some(c),
                                _ => None,
                            }
                            .into(),
                            ts: event.ts,
                            txn_id: txn_id.into(),
                            edited_at: stored.edited_at.into(),
                            deleted: stored.deleted_at.is_some(),
                            reactions,
                        }),
                    )*
                }
            }

            /// The event's seq.
            pub fn seq(&self) -> i64 {
                match self {
                    $( Self::$kind(e) => e.seq, )*
                }
            }
        }
    };
}

room_events! {
    /// A text message.
    MessageEvent(MessageContent) as Message = "message",
    /// An edit of a message (the message itself shows the new text).
    EditEvent(EditContent) as Edit = "message.edit",
    /// A message deleted for everyone.
    DeleteEvent(DeleteContent) as Delete = "message.delete",
    /// A reaction set or taken back.
    ReactionEvent(ReactionContent) as Reaction = "message.reaction",
    /// The room was created.
    RoomCreatedEvent(RoomCreatedContent) as RoomCreated = "room.created",
    /// Membership or a role changed.
    MemberEvent(MemberContent) as Member = "room.member",
    /// Group settings changed.
    SettingsEvent(SettingsContent) as Settings = "room.settings",
    /// The group was deleted.
    RoomDeletedEvent(RoomDeletedContent) as RoomDeleted = "room.deleted",
}
