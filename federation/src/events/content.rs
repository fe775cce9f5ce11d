//! What room events say: one content type per event type, as a tagged union. On the wire an
//! event's content is `{"type": "<kind>", "content": {…}}`; the types here fix every field.

use serde::{Deserialize, Deserializer, Serialize};

use crate::{EventId, UserId};

/// A one-to-one chat or a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoomKind {
    Direct,
    Group,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "direct" => Some(Self::Direct),
            "group" => Some(Self::Group),
            _ => None,
        }
    }
}

impl TryFrom<String> for RoomKind {
    type Error = UnknownKind;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or(UnknownKind(s))
    }
}

/// A member's role. Order matters: a higher role may act on lower ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Member,
    Admin,
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Admin => "admin",
            Self::Owner => "owner",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "member" => Some(Self::Member),
            "admin" => Some(Self::Admin),
            "owner" => Some(Self::Owner),
            _ => None,
        }
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownKind;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s).ok_or(UnknownKind(s))
    }
}

/// A text message, possibly answering another.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageContent {
    pub text: String,
    /// The message this one answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<EventId>,
}

/// A new text for one of the sender's messages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditContent {
    pub target: EventId,
    pub text: String,
}

/// A message deleted for everyone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteContent {
    pub target: EventId,
}

/// The sender's reaction to a message; an empty `emoji` takes it back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReactionContent {
    pub target: EventId,
    pub emoji: String,
}

/// The first event of every room. Fields a group was created without are absent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomCreatedContent {
    pub kind: RoomKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// A change of membership or role, told by what happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum MemberContent {
    /// The sender added `user_id` (or the room's creator, at creation).
    Add { user_id: UserId },
    /// An admin removed `user_id`.
    Remove { user_id: UserId },
    /// The owner gave `user_id` a role (ownership passes on with `owner`).
    Role { user_id: UserId, role: Role },
    /// `user_id` left; when the owner leaves, `new_owner` takes over.
    Leave {
        user_id: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_owner: Option<UserId>,
    },
}

impl MemberContent {
    /// The member the change is about.
    pub fn user_id(&self) -> &UserId {
        match self {
            Self::Add { user_id }
            | Self::Remove { user_id }
            | Self::Role { user_id, .. }
            | Self::Leave { user_id, .. } => user_id,
        }
    }
}

/// Group settings that changed: an absent field did not change, `null` cleared it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsContent {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub name: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub topic: Option<Option<String>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub avatar_url: Option<Option<String>>,
}

/// A field that is present, possibly `null`: `Some(None)` for `null`, `Some(Some(v))` for a
/// value (absent fields take the `default`, `None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The owner deleted the group; nothing more happens in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoomDeletedContent {}

/// Every kind of room event, as its `type` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Message,
    Edit,
    Delete,
    Reaction,
    RoomCreated,
    Member,
    Settings,
    RoomDeleted,
}

/// A name (event type, role, room kind) no version of the protocol defines.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown name {0:?}")]
pub struct UnknownKind(pub String);

impl EventKind {
    /// Every kind, in the order of the protocol's documents.
    pub const ALL: [EventKind; 8] = [
        Self::Message,
        Self::Edit,
        Self::Delete,
        Self::Reaction,
        Self::RoomCreated,
        Self::Member,
        Self::Settings,
        Self::RoomDeleted,
    ];

    /// The event's `type` on the wire and in storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Edit => "message.edit",
            Self::Delete => "message.delete",
            Self::Reaction => "message.reaction",
            Self::RoomCreated => "room.created",
            Self::Member => "room.member",
            Self::Settings => "room.settings",
            Self::RoomDeleted => "room.deleted",
        }
    }

    pub fn parse(s: &str) -> Result<Self, UnknownKind> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event's type and content together: `{"type": "message", "content": {"text": "hi"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "content")]
pub enum EventContent {
    #[serde(rename = "message")]
    Message(MessageContent),
    #[serde(rename = "message.edit")]
    Edit(EditContent),
    #[serde(rename = "message.delete")]
    Delete(DeleteContent),
    #[serde(rename = "message.reaction")]
    Reaction(ReactionContent),
    #[serde(rename = "room.created")]
    RoomCreated(RoomCreatedContent),
    #[serde(rename = "room.member")]
    Member(MemberContent),
    #[serde(rename = "room.settings")]
    Settings(SettingsContent),
    #[serde(rename = "room.deleted")]
    RoomDeleted(RoomDeletedContent),
}

/// Runs `$body` with `$inner` bound to the content struct, whichever the variant.
macro_rules! each_content {
    ($value:expr, $inner:ident => $body:expr) => {
        match $value {
            EventContent::Message($inner) => $body,
            EventContent::Edit($inner) => $body,
            EventContent::Delete($inner) => $body,
            EventContent::Reaction($inner) => $body,
            EventContent::RoomCreated($inner) => $body,
            EventContent::Member($inner) => $body,
            EventContent::Settings($inner) => $body,
            EventContent::RoomDeleted($inner) => $body,
        }
    };
}

impl EventContent {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Message(_) => EventKind::Message,
            Self::Edit(_) => EventKind::Edit,
            Self::Delete(_) => EventKind::Delete,
            Self::Reaction(_) => EventKind::Reaction,
            Self::RoomCreated(_) => EventKind::RoomCreated,
            Self::Member(_) => EventKind::Member,
            Self::Settings(_) => EventKind::Settings,
            Self::RoomDeleted(_) => EventKind::RoomDeleted,
        }
    }

    /// Reads the content of an event of type `kind` from its JSON object alone (as stored).
    pub fn from_parts(kind: EventKind, content: &str) -> Result<Self, serde_json::Error> {
        Ok(match kind {
            EventKind::Message => Self::Message(serde_json::from_str(content)?),
            EventKind::Edit => Self::Edit(serde_json::from_str(content)?),
            EventKind::Delete => Self::Delete(serde_json::from_str(content)?),
            EventKind::Reaction => Self::Reaction(serde_json::from_str(content)?),
            EventKind::RoomCreated => Self::RoomCreated(serde_json::from_str(content)?),
            EventKind::Member => Self::Member(serde_json::from_str(content)?),
            EventKind::Settings => Self::Settings(serde_json::from_str(content)?),
            EventKind::RoomDeleted => Self::RoomDeleted(serde_json::from_str(content)?),
        })
    }

    /// The content object alone, as JSON text (as stored).
    pub fn content_json(&self) -> String {
        each_content!(self, inner => serde_json::to_string(inner))
            .expect("event content always serialises")
    }

    /// Serialises the content object alone (without its `type`).
    pub fn serialize_content<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        each_content!(self, inner => inner.serialize(serializer))
    }

    /// The message this event is about (edits, deletes and reactions), if any.
    pub fn target(&self) -> Option<&EventId> {
        match self {
            Self::Edit(c) => Some(&c.target),
            Self::Delete(c) => Some(&c.target),
            Self::Reaction(c) => Some(&c.target),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const EVENT: &str = "$7cOh2dBoHdSNjNe4jvMEA5XlyICuA3BJKvoBL7kSC3M";

    /// One fixture per event type, as it travels: every field survives a round trip.
    fn fixtures() -> Vec<Value> {
        vec![
            json!({ "type": "message", "content": { "text": "hi" } }),
            json!({ "type": "message", "content": { "text": "yes", "reply_to": EVENT } }),
            json!({ "type": "message.edit", "content": { "target": EVENT, "text": "hi!" } }),
            json!({ "type": "message.delete", "content": { "target": EVENT } }),
            json!({ "type": "message.reaction", "content": { "target": EVENT, "emoji": "👍" } }),
            json!({ "type": "message.reaction", "content": { "target": EVENT, "emoji": "" } }),
            json!({ "type": "room.created", "content": { "kind": "group", "name": "Team", "topic": "Plans", "avatar_url": "https://example.org/t.png" } }),
            json!({ "type": "room.created", "content": { "kind": "group", "name": "Team" } }),
            json!({ "type": "room.created", "content": { "kind": "direct" } }),
            json!({ "type": "room.member", "content": { "action": "add", "user_id": "@bob:example.org" } }),
            json!({ "type": "room.member", "content": { "action": "remove", "user_id": "@bob:example.org" } }),
            json!({ "type": "room.member", "content": { "action": "role", "user_id": "@bob:example.org", "role": "admin" } }),
            json!({ "type": "room.member", "content": { "action": "leave", "user_id": "@ann:example.org" } }),
            json!({ "type": "room.member", "content": { "action": "leave", "user_id": "@ann:example.org", "new_owner": "@bob:example.org" } }),
            json!({ "type": "room.settings", "content": { "name": "New", "topic": null } }),
            json!({ "type": "room.settings", "content": { "avatar_url": "https://example.org/a.png" } }),
            json!({ "type": "room.deleted", "content": {} }),
        ]
    }

    #[test]
    fn every_fixture_round_trips_without_dropping_a_field() {
        for fixture in fixtures() {
            let content: EventContent = serde_json::from_value(fixture.clone())
                .unwrap_or_else(|e| panic!("{fixture}: {e}"));
            assert_eq!(serde_json::to_value(&content).unwrap(), fixture);
            let kind = EventKind::parse(fixture["type"].as_str().unwrap()).unwrap();
            assert_eq!(content.kind(), kind);
            let stored = content.content_json();
            assert_eq!(
                serde_json::from_str::<Value>(&stored).unwrap(),
                fixture["content"]
            );
            assert_eq!(EventContent::from_parts(kind, &stored).unwrap(), content);
        }
    }

    #[test]
    fn every_kind_has_a_fixture_and_a_name() {
        let covered: std::collections::BTreeSet<EventKind> = fixtures()
            .iter()
            .map(|f| EventKind::parse(f["type"].as_str().unwrap()).unwrap())
            .collect();
        assert_eq!(covered.len(), EventKind::ALL.len());
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(EventKind::parse("message.unknown").is_err());
    }

    #[test]
    fn unknown_fields_and_bad_ids_are_refused() {
        let bad = [
            json!({ "type": "message", "content": { "text": "hi", "extra": 1 } }),
            json!({ "type": "message", "content": {} }),
            json!({ "type": "message.edit", "content": { "target": "$short", "text": "x" } }),
            json!({ "type": "room.member", "content": { "action": "add", "user_id": "bob" } }),
            json!({ "type": "room.member", "content": { "action": "dance", "user_id": "@b:x.org" } }),
            json!({ "type": "room.created", "content": { "kind": "channel" } }),
            json!({ "type": "room.deleted", "content": { "why": "x" } }),
            json!({ "type": "room.nope", "content": {} }),
        ];
        for value in bad {
            assert!(
                serde_json::from_value::<EventContent>(value.clone()).is_err(),
                "{value} was accepted"
            );
        }
    }

    #[test]
    fn content_stored_with_nulls_still_reads() {
        // Rooms created before absent fields were left out stored them as `null`.
        let stored = r#"{"kind":"direct","name":null,"topic":null,"avatar_url":null}"#;
        let content = EventContent::from_parts(EventKind::RoomCreated, stored).unwrap();
        assert_eq!(content.content_json(), r#"{"kind":"direct"}"#);
    }

    #[test]
    fn settings_tell_unchanged_from_cleared() {
        let content: SettingsContent =
            serde_json::from_value(json!({ "name": "N", "topic": null })).unwrap();
        assert_eq!(content.name, Some(Some("N".into())));
        assert_eq!(content.topic, Some(None));
        assert_eq!(content.avatar_url, None);
    }
}
