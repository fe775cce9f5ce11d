//! `PUT /_convo/federation/v1/send_join/{room_id}/{event_id}`: the signed join event. The host
//! sequences it and answers with everything the joining server needs to show the room at once:
//! the sequenced join, the room's state snapshot and the latest page of history (older
//! history comes by [`backfill`](super::backfill)).

use serde::{Deserialize, Serialize};

use super::snapshot::{HistoryPage, RoomSnapshot};
use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::events::{Pdu, SignedEvent};
use crate::{EventId, Raw, RoomId};

/// The request: the signed join (its room and id are also in the path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub room_id: RoomId,
    pub event_id: EventId,
    pub event: SignedEvent,
}

/// The answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// The join, as the host sequenced it.
    pub event: Raw<Pdu>,
    /// The room's state including the join.
    pub state: RoomSnapshot,
    /// The latest events, the join among them.
    pub history: HistoryPage,
}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Put;
    const PATH: &'static str = "/_convo/federation/v1/send_join/{room_id}/{event_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!(
            "{PREFIX}/send_join/{}/{}",
            encode_segment(self.room_id.as_str()),
            encode_segment(self.event_id.as_str())
        )
    }

    fn body(&self) -> Result<Option<Vec<u8>>, serde_json::Error> {
        serde_json::to_vec(&self.event).map(Some)
    }
}
