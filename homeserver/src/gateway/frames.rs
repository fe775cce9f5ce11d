//! The JSON of every frame the server pushes (documented in `openapi/asyncapi.yaml`): room
//! events as the stream carries them, and the ephemeral frames (receipts, unread, typing,
//! presence). Requests' answers (`ack`, `error`) are in `protocol.rs`.

use convo_federation::{EventId, RoomId, UserId};
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::rooms::PositionUpdate;
use crate::rooms::model::{Event, EventContent};

/// An event as the stream carries it (`StreamEvent` in `openapi/asyncapi.yaml`): live, as it
/// was committed; in a catch-up, as it is now: the content of a message deleted for everyone
/// since (and of its edits and reactions) is `null`, and an edited message has its newest
/// text. `txn_id` only on the sender's own devices' copies, absent from the others.
#[derive(Serialize)]
struct StreamEvent<'a> {
    event_id: &'a EventId,
    room_id: &'a RoomId,
    seq: i64,
    pos: i64,
    sender: &'a UserId,
    #[serde(rename = "type")]
    kind: &'static str,
    content: Option<ContentOnly<'a>>,
    ts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    txn_id: Option<&'a str>,
}

/// An event's content object without its type.
struct ContentOnly<'a>(&'a EventContent);

impl Serialize for ContentOnly<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_content(serializer)
    }
}

/// The event's JSON object; with its `txn_id` if `own` (for the sender's devices).
pub fn event_json(event: &Event, own: bool) -> String {
    let stream = StreamEvent {
        event_id: &event.event_id,
        room_id: &event.room_id,
        seq: event.seq,
        pos: event.pos,
        sender: &event.sender,
        kind: event.kind.as_str(),
        content: event.content.as_ref().map(ContentOnly),
        ts: event.ts,
        txn_id: if own { event.txn_id.as_deref() } else { None },
    };
    serde_json::to_string(&stream).expect("an event always serialises")
}

/// `{"type":"event","event":…}`, and with `"notify":true` for a new message to notify.
pub fn event_frame(event_json: &str, notify: bool) -> String {
    if notify {
        format!(r#"{{"type":"event","notify":true,"event":{event_json}}}"#)
    } else {
        format!(r#"{{"type":"event","event":{event_json}}}"#)
    }
}

/// `event_json` of an event without its `txn_id`, given it: the same object with it.
pub fn with_txn_id(event_json: &str, txn_id: &str) -> String {
    let body = event_json.strip_suffix('}').unwrap_or(event_json);
    let txn_id = serde_json::to_string(txn_id).expect("a string always serialises");
    format!(r#"{body},"txn_id":{txn_id}}}"#)
}

pub fn receipts(room_id: &RoomId, updates: &[PositionUpdate]) -> String {
    json!({
        "type": "receipts",
        "room_id": room_id.as_str(),
        "updates": updates.iter().map(|u| json!({
            "user_id": u.user_id.as_str(),
            "delivered_up_to": u.delivered_up_to,
            "read_up_to": u.read_up_to,
            "ts": u.ts,
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

pub fn unread(room_id: &RoomId, read_up_to: i64, unread_count: i64) -> String {
    json!({ "type": "unread", "room_id": room_id.as_str(), "read_up_to": read_up_to, "unread_count": unread_count })
        .to_string()
}

pub fn typing(room_id: &RoomId, user: &UserId, typing: bool) -> String {
    json!({ "type": "typing", "room_id": room_id.as_str(), "user_id": user.as_str(), "typing": typing })
        .to_string()
}

/// Someone's presence; `last_seen` is `null` while online, and when they were never seen or
/// hide it.
pub fn presence(user: &UserId, online: bool, last_seen: Option<i64>) -> serde_json::Value {
    json!({ "type": "presence", "user_id": user.as_str(), "online": online, "last_seen": last_seen })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_txn_id_joins_the_object_it_belongs_to() {
        let json = r#"{"event_id":"$x","seq":1}"#;
        let own = with_txn_id(json, "t\"1");
        let value: serde_json::Value = serde_json::from_str(&own).unwrap();
        assert_eq!(
            value,
            json!({ "event_id": "$x", "seq": 1, "txn_id": "t\"1" })
        );
        let frame: serde_json::Value = serde_json::from_str(&event_frame(&own, true)).unwrap();
        assert_eq!(frame["notify"], true);
        assert_eq!(frame["event"]["txn_id"], "t\"1");
    }
}
