//! `PUT /_convo/federation/v1/invite/{room_id}/{event_id}`: the room's host tells a server
//! that one of its users was added to a room it does not take part in yet: the sequenced
//! `room.member` event and a summary of the room. The server then joins the room's traffic
//! (fetching the state with [`get_room_state`](super::get_room_state)). The answer is `{}`,
//! or an error (`UNKNOWN_USER`, `DENIED_SERVER`, …).

use serde::{Deserialize, Serialize};

use super::snapshot::RoomSummary;
use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::events::Pdu;
use crate::{EventId, Raw, RoomId};

/// The request body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Invite {
    /// The sequenced event that added the user.
    pub event: Raw<Pdu>,
    pub room: RoomSummary,
}

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub room_id: RoomId,
    pub event_id: EventId,
    pub invite: Invite,
}

/// The answer: nothing (`{}`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Put;
    const PATH: &'static str = "/_convo/federation/v1/invite/{room_id}/{event_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!(
            "{PREFIX}/invite/{}/{}",
            encode_segment(self.room_id.as_str()),
            encode_segment(self.event_id.as_str())
        )
    }

    fn body(&self) -> Result<Option<Vec<u8>>, serde_json::Error> {
        serde_json::to_vec(&self.invite).map(Some)
    }
}
