//! Deciding on a proposal: is the sender allowed, does the target exist, and what does the
//! action change. The answer is a [`Plan`]: the event's type and content and its effects,
//! which the sequencer writes once the event has its sequence number.

use convo_federation::UserId;
use serde_json::{Value, json};

use super::state::{MemberState, RoomState};
use super::tx::WriterTx;
use crate::error::{Error, ErrorCode};
use crate::rooms::model::{Action, Role, RoomKind};

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
        column: &'static str,
        value: Option<String>,
    },
    DeleteRoom,
    Edit {
        event_id: String,
        content: Value,
    },
    Tombstone {
        event_id: String,
    },
    SetReaction {
        target: String,
        emoji: String,
    },
    RemoveReaction {
        target: String,
    },
}

#[derive(Debug)]
pub struct Plan {
    pub kind: &'static str,
    pub content: Value,
    pub effects: Vec<Effect>,
    /// Users who receive the event although they are not joined after it (the removed).
    pub also_notify: Vec<UserId>,
}

impl Plan {
    fn new(kind: &'static str, content: Value) -> Self {
        Self {
            kind,
            content,
            effects: Vec::new(),
            also_notify: Vec::new(),
        }
    }

    fn with(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
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
        if room.members.contains_key(sender) {
            Error::new(
                ErrorCode::NotAMember,
                "you are no longer a member of this room",
            )
        } else {
            Error::new(ErrorCode::RoomNotFound, "no such room")
        }
    })
}

fn message_content(text: &str) -> Value {
    json!({ "text": text })
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
    Ok(Plan::new("message", message_content(text)))
}

/// Decides on `action` by `sender` in the room whose state is `room`. The outer `Result` is
/// the database failing; the inner one is the action being refused.
pub async fn decide(
    tx: &mut WriterTx,
    room_id: &str,
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
    Ok(match action {
        Action::Message { text, reply_to } => {
            let mut content = message_content(text);
            if let Some(target) = reply_to {
                match visible_target(tx, room_id, me.joined_seq, target.as_str()).await? {
                    Ok(_) => content["reply_to"] = json!(target.as_str()),
                    Err(err) => return Ok(Err(err)),
                }
            }
            Ok(Plan::new("message", content))
        }
        Action::Edit { target, text } => {
            match visible_target(tx, room_id, me.joined_seq, target.as_str()).await? {
                Err(err) => Err(err),
                Ok(found) if found.sender != sender.as_str() => {
                    refuse(ErrorCode::Forbidden, "only the sender can edit a message")
                }
                Ok(found) => {
                    // Only the text changes; what the message answers stays.
                    let mut content = found.content;
                    content["text"] = json!(text);
                    Ok(Plan::new(
                        "message.edit",
                        json!({ "target": target.as_str(), "text": text }),
                    )
                    .with(Effect::Edit {
                        event_id: target.to_string(),
                        content,
                    }))
                }
            }
        }
        Action::Delete { target } => {
            match visible_target(tx, room_id, me.joined_seq, target.as_str()).await? {
                Err(err) => Err(err),
                Ok(found)
                    if found.sender != sender.as_str() && !(is_group && me.role >= Role::Admin) =>
                {
                    refuse(
                        ErrorCode::Forbidden,
                        "only the sender or a group admin can delete a message for everyone",
                    )
                }
                Ok(_) => Ok(
                    Plan::new("message.delete", json!({ "target": target.as_str() })).with(
                        Effect::Tombstone {
                            event_id: target.to_string(),
                        },
                    ),
                ),
            }
        }
        Action::React { target, emoji } => {
            match visible_target(tx, room_id, me.joined_seq, target.as_str()).await? {
                Err(err) => Err(err),
                Ok(_) => {
                    let effect = if emoji.is_empty() {
                        Effect::RemoveReaction {
                            target: target.to_string(),
                        }
                    } else {
                        Effect::SetReaction {
                            target: target.to_string(),
                            emoji: emoji.clone(),
                        }
                    };
                    Ok(Plan::new(
                        "message.reaction",
                        json!({ "target": target.as_str(), "emoji": emoji }),
                    )
                    .with(effect))
                }
            }
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
                Ok(Plan::new(
                    "room.member",
                    json!({ "action": "add", "user_id": user.as_str() }),
                )
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
                let mut plan = Plan::new(
                    "room.member",
                    json!({ "action": "remove", "user_id": user.as_str() }),
                )
                .with(Effect::Leave { user: user.clone() });
                plan.also_notify.push(user.clone());
                Ok(plan)
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
                let mut plan = Plan::new(
                    "room.member",
                    json!({ "action": "role", "user_id": user.as_str(), "role": role.as_str() }),
                )
                .with(Effect::SetRole {
                    user: user.clone(),
                    role: *role,
                });
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
                let mut content = json!({ "action": "leave", "user_id": sender.as_str() });
                let mut plan_effects = vec![Effect::Leave {
                    user: sender.clone(),
                }];
                if me.role == Role::Owner
                    && let Some(next) = room.successor(sender)
                {
                    content["new_owner"] = json!(next.as_str());
                    plan_effects.push(Effect::SetRole {
                        user: next,
                        role: Role::Owner,
                    });
                }
                let mut plan = Plan::new("room.member", content);
                plan.effects = plan_effects;
                plan.also_notify.push(sender.clone());
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
                let mut content = json!({});
                let mut plan = Plan::new("room.settings", Value::Null);
                for (column, value) in [
                    ("name", &change.name),
                    ("topic", &change.topic),
                    ("avatar_url", &change.avatar_url),
                ] {
                    if let Some(value) = value {
                        content[column] = json!(value);
                        plan = plan.with(Effect::Settings {
                            column,
                            value: value.clone(),
                        });
                    }
                }
                if plan.effects.is_empty() {
                    refuse(ErrorCode::InvalidRequest, "nothing to change")
                } else {
                    plan.content = content;
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
                let mut plan = Plan::new("room.deleted", json!({})).with(Effect::DeleteRoom);
                for (user, _) in room.joined() {
                    plan = plan.with(Effect::Leave { user: user.clone() });
                    plan.also_notify.push(user.clone());
                }
                Ok(plan)
            }
        }
    })
}

/// A message in this room that a member who joined at `joined_seq` can see, not deleted.
async fn visible_target(
    tx: &mut WriterTx,
    room_id: &str,
    joined_seq: i64,
    event_id: &str,
) -> Result<Result<super::tx::Target, Error>, sqlx::Error> {
    let not_found = || Error::new(ErrorCode::EventNotFound, "no such message in this room");
    Ok(match tx.find_target(event_id).await? {
        Some(target)
            if target.room_id == room_id
                && target.seq >= joined_seq
                && target.kind == "message" =>
        {
            if target.deleted {
                Err(Error::new(
                    ErrorCode::EventNotFound,
                    "that message was deleted",
                ))
            } else {
                Ok(target)
            }
        }
        _ => Err(not_found()),
    })
}
