//! Deciding on a proposal: is the sender allowed, does the target exist, and what does the
//! action change. The answer is a [`Plan`]: the event's content and its effects, which the
//! sequencer writes once the event has its sequence number. A new room is decided here too
//! ([`create_room`]): its `room.created` event and one `room.member` event per member added.

use convo_federation::events::{
    DeleteContent, EditContent, MemberContent, MessageContent, ReactionContent, RoomCreatedContent,
    RoomDeletedContent, SettingsContent,
};
use convo_federation::{EventId, UserId};

use super::state::{MemberState, RoomState};
use super::tx::{Setting, WriterTx};
use crate::error::{Error, ErrorCode};
use crate::rooms::model::{Action, EventContent, EventKind, NewRoom, Role, RoomKind};

/// What an accepted action does besides appending its event.
#[derive(Debug, Clone)]
pub enum Effect {
    Join {
        user: UserId,
        role: Role,
    },
    Leave {
        user: UserId,
    },
    SetRole {
        user: UserId,
        role: Role,
    },
    Settings {
        setting: Setting,
        value: Option<String>,
    },
    DeleteRoom,
    /// The target message now shows `content`.
    Edit {
        target: EventId,
        content: EventContent,
    },
    Tombstone {
        target: EventId,
    },
    SetReaction {
        target: EventId,
        emoji: String,
    },
    RemoveReaction {
        target: EventId,
    },
}

#[derive(Debug)]
pub struct Plan {
    pub content: EventContent,
    pub effects: Vec<Effect>,
    /// Users who receive the event although they are not joined after it (the removed).
    pub also_notify: Vec<UserId>,
}

impl Plan {
    fn new(content: EventContent) -> Self {
        Self {
            content,
            effects: Vec::new(),
            also_notify: Vec::new(),
        }
    }

    fn with(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }

    fn notifying(mut self, user: UserId) -> Self {
        self.also_notify.push(user);
        self
    }
}

fn refuse(code: ErrorCode, message: &str) -> Result<Plan, Error> {
    Err(Error::new(code, message))
}

/// The sender's membership, if they may act in the room at all.
fn membership<'a>(room: &'a RoomState, sender: &UserId) -> Result<&'a MemberState, Error> {
    if room.deleted {
        return Err(Error::new(
            ErrorCode::RoomNotFound,
            "this group was deleted",
        ));
    }
    room.member(sender).ok_or_else(|| {
        if room.ever_member(sender) {
            Error::new(
                ErrorCode::NotAMember,
                "you are no longer a member of this room",
            )
        } else {
            Error::new(ErrorCode::RoomNotFound, "no such room")
        }
    })
}

fn message(text: &str, reply_to: Option<EventId>) -> EventContent {
    EventContent::Message(MessageContent {
        text: text.to_owned(),
        reply_to,
    })
}

/// Whether [`plain_message`] can decide on `action`: a text message that refers to no other
/// event, so deciding needs only the room's state and writing it is one event row.
pub fn is_plain_message(action: &Action) -> bool {
    matches!(action, Action::Message { reply_to: None, .. })
}

/// Decides on a text message without a reply: the same answer [`decide`] gives, without the
/// database.
pub fn plain_message(room: &RoomState, sender: &UserId, text: &str) -> Result<Plan, Error> {
    membership(room, sender)?;
    Ok(Plan::new(message(text, None)))
}

/// The events that create `room`: `room.created` (the creator joins, as owner of a group),
/// then one `room.member` addition per member.
pub fn create_room(room: &NewRoom) -> Vec<Plan> {
    let creator_role = match room.kind {
        RoomKind::Group => Role::Owner,
        RoomKind::Direct => Role::Member,
    };
    let created = Plan::new(EventContent::RoomCreated(RoomCreatedContent {
        kind: room.kind,
        name: room.name.clone(),
        topic: room.topic.clone(),
        avatar_url: room.avatar_url.clone(),
    }))
    .with(Effect::Join {
        user: room.creator.clone(),
        role: creator_role,
    });
    let added = room.members.iter().map(|member| {
        Plan::new(EventContent::Member(MemberContent::Add {
            user_id: member.clone(),
        }))
        .with(Effect::Join {
            user: member.clone(),
            role: Role::Member,
        })
    });
    std::iter::once(created).chain(added).collect()
}

/// Decides on `action` by `sender` in the room whose state is `room`. The outer `Result` is
/// the database failing; the inner one is the action being refused.
pub async fn decide(
    tx: &mut WriterTx,
    room_id: &convo_federation::RoomId,
    room: &RoomState,
    sender: &UserId,
    action: &Action,
    max_members: usize,
) -> Result<Result<Plan, Error>, sqlx::Error> {
    let me = match membership(room, sender) {
        Ok(me) => me,
        Err(refused) => return Ok(Err(refused)),
    };
    let is_group = room.kind == RoomKind::Group;
    let group_only = || {
        refuse(
            ErrorCode::Forbidden,
            "direct chats have no members to manage or settings to change",
        )
    };
    // The message an action refers to, if the sender can see it and it is not deleted.
    let target = match action {
        Action::Message {
            reply_to: Some(target),
            ..
        }
        | Action::Edit { target, .. }
        | Action::Delete { target }
        | Action::React { target, .. } => {
            match visible_target(tx, room_id, me.joined_seq, target).await? {
                Ok(found) => Some(found),
                Err(err) => return Ok(Err(err)),
            }
        }
        _ => None,
    };
    Ok(match action {
        Action::Message { text, reply_to } => Ok(Plan::new(message(text, reply_to.clone()))),
        Action::Edit { target: id, text } => match target {
            Some(found) if found.sender != *sender => {
                refuse(ErrorCode::Forbidden, "only the sender can edit a message")
            }
            // Only the text changes; what the message answers stays.
            Some(found) => {
                let reply_to = match found.content {
                    Some(EventContent::Message(old)) => old.reply_to,
                    _ => None,
                };
                Ok(Plan::new(EventContent::Edit(EditContent {
                    target: id.clone(),
                    text: text.clone(),
                }))
                .with(Effect::Edit {
                    target: id.clone(),
                    content: message(text, reply_to),
                }))
            }
            None => unreachable!("an edit has a target"),
        },
        Action::Delete { target: id } => match target {
            Some(found) if found.sender != *sender && !(is_group && me.role >= Role::Admin) => {
                refuse(
                    ErrorCode::Forbidden,
                    "only the sender or a group admin can delete a message for everyone",
                )
            }
            _ => Ok(
                Plan::new(EventContent::Delete(DeleteContent { target: id.clone() }))
                    .with(Effect::Tombstone { target: id.clone() }),
            ),
        },
        Action::React { target: id, emoji } => {
            let effect = if emoji.is_empty() {
                Effect::RemoveReaction { target: id.clone() }
            } else {
                Effect::SetReaction {
                    target: id.clone(),
                    emoji: emoji.clone(),
                }
            };
            Ok(Plan::new(EventContent::Reaction(ReactionContent {
                target: id.clone(),
                emoji: emoji.clone(),
            }))
            .with(effect))
        }
        Action::AddMember { user } => {
            if !is_group {
                group_only()
            } else if me.role < Role::Admin {
                refuse(ErrorCode::Forbidden, "only group admins can add members")
            } else if room.member(user).is_some() {
                refuse(ErrorCode::AlreadyMember, "already a member")
            } else if room.joined_count() >= max_members {
                refuse(
                    ErrorCode::RoomFull,
                    "the group has reached its member limit",
                )
            } else {
                Ok(Plan::new(EventContent::Member(MemberContent::Add {
                    user_id: user.clone(),
                }))
                .with(Effect::Join {
                    user: user.clone(),
                    role: Role::Member,
                }))
            }
        }
        Action::RemoveMember { user } => {
            let target = room.member(user);
            if !is_group {
                group_only()
            } else if user == sender {
                refuse(
                    ErrorCode::InvalidRequest,
                    "to remove yourself, leave the group",
                )
            } else if target.is_none() {
                refuse(ErrorCode::NotAMember, "that user is not a member")
            } else if me.role < Role::Admin || target.is_some_and(|t| t.role >= me.role) {
                refuse(ErrorCode::Forbidden, "you cannot remove this member")
            } else {
                Ok(Plan::new(EventContent::Member(MemberContent::Remove {
                    user_id: user.clone(),
                }))
                .with(Effect::Leave { user: user.clone() })
                .notifying(user.clone()))
            }
        }
        Action::SetRole { user, role } => {
            let target = room.member(user);
            if !is_group {
                group_only()
            } else if me.role != Role::Owner {
                refuse(ErrorCode::Forbidden, "only the owner can change roles")
            } else if target.is_none() {
                refuse(ErrorCode::NotAMember, "that user is not a member")
            } else if user == sender {
                refuse(
                    ErrorCode::InvalidRequest,
                    "give ownership to someone else instead",
                )
            } else {
                let mut plan = Plan::new(EventContent::Member(MemberContent::Role {
                    user_id: user.clone(),
                    role: *role,
                }))
                .with(Effect::SetRole {
                    user: user.clone(),
                    role: *role,
                });
                // Ownership passes on: the old owner becomes an admin.
                if *role == Role::Owner {
                    plan = plan.with(Effect::SetRole {
                        user: sender.clone(),
                        role: Role::Admin,
                    });
                }
                Ok(plan)
            }
        }
        Action::Leave => {
            if !is_group {
                group_only()
            } else {
                let new_owner = (me.role == Role::Owner)
                    .then(|| room.successor(sender))
                    .flatten();
                let mut plan = Plan::new(EventContent::Member(MemberContent::Leave {
                    user_id: sender.clone(),
                    new_owner: new_owner.clone(),
                }))
                .with(Effect::Leave {
                    user: sender.clone(),
                })
                .notifying(sender.clone());
                if let Some(next) = new_owner {
                    // Ownership passes on: the group keeps one owner, and the one who left is
                    // no longer it.
                    plan = plan
                        .with(Effect::SetRole {
                            user: next,
                            role: Role::Owner,
                        })
                        .with(Effect::SetRole {
                            user: sender.clone(),
                            role: Role::Member,
                        });
                }
                Ok(plan)
            }
        }
        Action::Settings(change) => {
            if !is_group {
                group_only()
            } else if me.role < Role::Admin {
                refuse(
                    ErrorCode::Forbidden,
                    "only group admins can change settings",
                )
            } else {
                let content = SettingsContent {
                    name: change.name.clone(),
                    topic: change.topic.clone(),
                    avatar_url: change.avatar_url.clone(),
                };
                let effects: Vec<Effect> = [
                    (Setting::Name, &change.name),
                    (Setting::Topic, &change.topic),
                    (Setting::AvatarUrl, &change.avatar_url),
                ]
                .into_iter()
                .filter_map(|(setting, value)| {
                    value
                        .clone()
                        .map(|value| Effect::Settings { setting, value })
                })
                .collect();
                if effects.is_empty() {
                    refuse(ErrorCode::InvalidRequest, "nothing to change")
                } else {
                    let mut plan = Plan::new(EventContent::Settings(content));
                    plan.effects = effects;
                    Ok(plan)
                }
            }
        }
        Action::DeleteGroup => {
            if !is_group {
                group_only()
            } else if me.role != Role::Owner {
                refuse(ErrorCode::Forbidden, "only the owner can delete the group")
            } else {
                let mut plan = Plan::new(EventContent::RoomDeleted(RoomDeletedContent {}))
                    .with(Effect::DeleteRoom);
                for (user, _) in room.joined() {
                    plan = plan
                        .with(Effect::Leave { user: user.clone() })
                        .notifying(user.clone());
                }
                Ok(plan)
            }
        }
    })
}

/// A message in this room that a member who joined at `joined_seq` can see, not deleted.
async fn visible_target(
    tx: &mut WriterTx,
    room_id: &convo_federation::RoomId,
    joined_seq: i64,
    event_id: &EventId,
) -> Result<Result<super::tx::Target, Error>, sqlx::Error> {
    Ok(match tx.find_target(event_id).await? {
        Some(target)
            if target.room_id == *room_id
                && target.seq >= joined_seq
                && target.kind == EventKind::Message =>
        {
            if target.content.is_none() {
                Err(Error::new(
                    ErrorCode::EventNotFound,
                    "that message was deleted",
                ))
            } else {
                Ok(target)
            }
        }
        _ => Err(Error::new(
            ErrorCode::EventNotFound,
            "no such message in this room",
        )),
    })
}
