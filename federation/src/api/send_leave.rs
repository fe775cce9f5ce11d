//! `PUT /_convo/federation/v1/send_leave/{room_id}/{event_id}`: a member's server sends its
//! user's signed `room.member` `leave`; the host sequences it and answers with it. (A leave
//! needs no template: its content is fixed by who leaves.)

use serde::{Deserialize, Serialize};

use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::events::{Pdu, SignedEvent};
use crate::{EventId, Raw, RoomId};

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub room_id: RoomId,
    pub event_id: EventId,
    pub event: SignedEvent,
}

/// The answer: the leave as the host sequenced it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    pub event: Raw<Pdu>,
}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Put;
    const PATH: &'static str = "/_convo/federation/v1/send_leave/{room_id}/{event_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!(
            "{PREFIX}/send_leave/{}/{}",
            encode_segment(self.room_id.as_str()),
            encode_segment(self.event_id.as_str())
        )
    }

    fn body(&self) -> Result<Option<Vec<u8>>, serde_json::Error> {
        serde_json::to_vec(&self.event).map(Some)
    }
}
