//! Signed events. [`SignedEvent`]: an event body as its origin server signed it (what a member's
//! server proposes to the room's host). [`Pdu`]: the same event once the host sequenced it,
//! with its `seq` and the host's countersignature (what the host fans out and serves).
//!
//! ```json
//! {
//!   "event_id": "$<base64url sha256 of the canonical body>",
//!   "body": { "room_id": "!r:hs1", "sender": "@bob:hs2", "type": "message",
//!             "content": { "text": "hi" }, "origin_ts": 1700000000000, "nonce": "AAAAAAAAAAAA" },
//!   "signatures": { "hs2": { "ed25519:a": "<sig over the canonical body>" } },
//!   "seq": 42,
//!   "host": "hs1",
//!   "host_signatures": { "ed25519:b": "<sig over {event_id, host, room_id, seq}>" }
//! }
//! ```
//!
//! The origin (the sender's server, always) signs the canonical JSON (RFC 8785) of `body`,
//! the same bytes the event id hashes. The host signs the canonical JSON of
//! `{"event_id", "host", "room_id", "seq"}`: it vouches for the event's place in the room,
//! not for its content, which the origin's signature covers. The last three fields are a
//! `Pdu`'s only.
//!
//! Both types refuse unknown fields, and a `body` must be exactly the protocol's form: a field
//! the protocol does not define, an identifier not in normal form (`@bob:HS2`), or a `null`
//! where a field is absent make it malformed, so what is verified, stored and relayed is
//! exactly what the origin signed.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::{EventBody, canonical_json};
use crate::keys::{KeyId, ServerSigningKey};
use crate::signatures::Signatures;
use crate::{EventId, RoomId, ServerName};

/// The largest `seq` (2^53 - 1: every JSON implementation reads it exactly).
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// An event body with its id and its origin server's signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEvent {
    pub event_id: EventId,
    #[serde(deserialize_with = "exact_body")]
    pub body: EventBody,
    pub signatures: Signatures,
}

/// An event the room's host sequenced: the signed event, its `seq`, and the host's
/// countersignature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pdu {
    pub event_id: EventId,
    #[serde(deserialize_with = "exact_body")]
    pub body: EventBody,
    pub signatures: Signatures,
    /// The event's place in the room: gap-free, from 1.
    pub seq: u64,
    /// The server that sequenced it: the room's host.
    pub host: ServerName,
    /// The host's signatures of `{event_id, host, room_id, seq}`, by key id.
    pub host_signatures: BTreeMap<KeyId, String>,
}

/// Reads an event body, refusing anything that would not serialise back to the same
/// canonical JSON (see the module's documentation).
fn exact_body<'de, D: Deserializer<'de>>(deserializer: D) -> Result<EventBody, D::Error> {
    use serde::de::Error as _;
    let value = serde_json::Value::deserialize(deserializer)?;
    let body = EventBody::deserialize(&value).map_err(D::Error::custom)?;
    let typed = canonical_json(&body).map_err(D::Error::custom)?;
    let received = canonical_json(&value).map_err(D::Error::custom)?;
    if typed != received {
        return Err(D::Error::custom(
            "event body is not in the protocol's exact form \
             (a field it does not define, a null for an absent field, or an identifier not in normal form)",
        ));
    }
    Ok(body)
}

/// The bytes the origin signs: the canonical body.
pub(super) fn origin_signed_bytes(body: &EventBody) -> Vec<u8> {
    canonical_json(body).expect("an event body always serialises")
}

/// The bytes the host signs.
pub(super) fn host_signed_bytes(
    event_id: &EventId,
    host: &ServerName,
    room_id: &RoomId,
    seq: u64,
) -> Vec<u8> {
    #[derive(Serialize)]
    struct Sequenced<'a> {
        event_id: &'a EventId,
        host: &'a ServerName,
        room_id: &'a RoomId,
        seq: u64,
    }
    canonical_json(&Sequenced {
        event_id,
        host,
        room_id,
        seq,
    })
    .expect("a sequencing always serialises")
}

impl SignedEvent {
    /// Signs `body` as `origin` with `key`. The sender must be one of `origin`'s users:
    /// a server signs only its own users' events.
    pub fn sign(
        body: EventBody,
        origin: &ServerName,
        key: &ServerSigningKey,
    ) -> Result<Self, super::EventError> {
        if body.sender.server_name() != origin {
            return Err(super::EventError::WrongOrigin {
                sender: body.sender.clone(),
                origin: origin.clone(),
            });
        }
        let mut signatures = Signatures::new();
        signatures.insert(
            origin.clone(),
            key.key_id().clone(),
            key.sign(&origin_signed_bytes(&body)),
        );
        Ok(Self {
            event_id: body.event_id(),
            body,
            signatures,
        })
    }

    /// Parses a signed event, with a precise error.
    pub fn from_json(json: &str) -> Result<Self, super::EventError> {
        serde_json::from_str(json).map_err(super::EventError::malformed)
    }

    /// The server whose signature the event needs: its sender's.
    pub fn origin(&self) -> &ServerName {
        self.body.sender.server_name()
    }
}

impl Pdu {
    /// Countersigns `event` as the room's `host`, giving it `seq` (1..=[`MAX_SEQ`]).
    ///
    /// # Panics
    ///
    /// If `seq` is 0 or above [`MAX_SEQ`]: the sequencer never hands those out.
    pub fn sequence(
        event: SignedEvent,
        seq: u64,
        host: ServerName,
        key: &ServerSigningKey,
    ) -> Self {
        assert!((1..=MAX_SEQ).contains(&seq), "seq {seq} out of range");
        let bytes = host_signed_bytes(&event.event_id, &host, &event.body.room_id, seq);
        let host_signatures = BTreeMap::from([(key.key_id().clone(), key.sign(&bytes))]);
        Self {
            event_id: event.event_id,
            body: event.body,
            signatures: event.signatures,
            seq,
            host,
            host_signatures,
        }
    }

    /// Parses a sequenced event, with a precise error.
    pub fn from_json(json: &str) -> Result<Self, super::EventError> {
        serde_json::from_str(json).map_err(super::EventError::malformed)
    }

    /// The event as its origin signed it, without the host's part.
    pub fn signed_event(&self) -> SignedEvent {
        SignedEvent {
            event_id: self.event_id.clone(),
            body: self.body.clone(),
            signatures: self.signatures.clone(),
        }
    }

    /// The server whose signature the event needs besides the host's: its sender's.
    pub fn origin(&self) -> &ServerName {
        self.body.sender.server_name()
    }
}
