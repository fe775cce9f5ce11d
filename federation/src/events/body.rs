//! [`EventBody`]: an event as its origin server builds it, and the id that names it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt as _;
use serde::{Deserialize, Serialize};

use super::EventContent;
use super::canonical::canonical_sha256;
use crate::{EventId, RoomId, UserId};

/// An event as its origin server builds it, before any server signs it or the room's host
/// gives it a `seq`: exactly the fields its id is the hash of. The `nonce` makes two
/// otherwise identical events (the same text sent twice in one millisecond) two events.
///
/// On the wire: `{"room_id", "sender", "type", "content", "origin_ts", "nonce"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBody {
    pub room_id: RoomId,
    pub sender: UserId,
    #[serde(flatten)]
    pub content: EventContent,
    /// When the origin server accepted it, ms since the Unix epoch.
    pub origin_ts: i64,
    pub nonce: String,
}

impl EventBody {
    /// A random nonce: 9 bytes as 12 characters of base64url.
    pub fn new_nonce() -> String {
        URL_SAFE_NO_PAD.encode(rand::rng().random::<[u8; 9]>())
    }

    /// The event's id: the digest of its canonical JSON.
    pub fn event_id(&self) -> EventId {
        event_id(
            &self.room_id,
            &self.sender,
            &self.content,
            self.origin_ts,
            &self.nonce,
        )
    }
}

/// The id of the event with these fields ([`EventBody::event_id`] without owning them).
pub fn event_id(
    room_id: &RoomId,
    sender: &UserId,
    content: &EventContent,
    origin_ts: i64,
    nonce: &str,
) -> EventId {
    #[derive(Serialize)]
    struct Canonical<'a> {
        room_id: &'a RoomId,
        sender: &'a UserId,
        #[serde(flatten)]
        content: &'a EventContent,
        origin_ts: i64,
        nonce: &'a str,
    }
    let digest = canonical_sha256(&Canonical {
        room_id,
        sender,
        content,
        origin_ts,
        nonce,
    })
    .expect("an event body always serialises");
    EventId::from_digest(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{MessageContent, canonical_json};
    use serde_json::json;
    use sha2::{Digest, Sha256};

    fn body() -> EventBody {
        EventBody {
            room_id: RoomId::parse("!Room1:example.org").unwrap(),
            sender: UserId::parse("@alice:example.org").unwrap(),
            content: EventContent::Message(MessageContent {
                text: "héllo".into(),
                reply_to: None,
            }),
            origin_ts: 1_700_000_000_000,
            nonce: "AAAAAAAAAAAA".into(),
        }
    }

    #[test]
    fn the_canonical_form_is_fixed_byte_for_byte() {
        let bytes = canonical_json(&body()).unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            r#"{"content":{"text":"héllo"},"nonce":"AAAAAAAAAAAA","origin_ts":1700000000000,"room_id":"!Room1:example.org","sender":"@alice:example.org","type":"message"}"#
        );
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        assert_eq!(body().event_id(), EventId::from_digest(&digest));
        // A known answer (computed apart from this code, with Python's hashlib), so that an
        // accidental change of the canonical form shows.
        assert_eq!(
            body().event_id().as_str(),
            "$VeaVqPImgweZodFStWsBkcyTQJQqEejXrH6L-ki7mQc"
        );
    }

    #[test]
    fn the_id_does_not_depend_on_key_order_or_spelling() {
        let reordered = json!({
            "type": "message", "sender": "@alice:example.org", "nonce": "AAAAAAAAAAAA",
            "origin_ts": 1_700_000_000_000i64, "content": { "text": "h\u{e9}llo" }, "room_id": "!Room1:example.org",
        });
        let parsed: EventBody = serde_json::from_value(reordered).unwrap();
        assert_eq!(parsed.event_id(), body().event_id());
        let value: serde_json::Value = serde_json::from_str(
            r#"{"type":"message","sender":"@alice:example.org","nonce":"AAAAAAAAAAAA","origin_ts":1700000000000,"content":{"text":"h\u00e9llo"},"room_id":"!Room1:example.org"}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&value).unwrap(),
            canonical_json(&body()).unwrap()
        );
    }

    #[test]
    fn any_change_changes_the_id() {
        let base = body().event_id();
        let mut other = body();
        other.nonce = "AAAAAAAAAAAB".into();
        assert_ne!(other.event_id(), base);
        let mut other = body();
        other.origin_ts += 1;
        assert_ne!(other.event_id(), base);
        let mut other = body();
        other.sender = UserId::parse("@bob:example.org").unwrap();
        assert_ne!(other.event_id(), base);
    }

    #[test]
    fn round_trips_through_json() {
        let value = serde_json::to_value(body()).unwrap();
        assert_eq!(value["type"], "message");
        assert_eq!(value["content"], json!({ "text": "héllo" }));
        let back: EventBody = serde_json::from_value(value).unwrap();
        assert_eq!(back, body());
        assert_eq!(EventBody::new_nonce().len(), 12);
        assert_ne!(EventBody::new_nonce(), EventBody::new_nonce());
    }
}
