//! `GET /_convo/federation/v1/state/{room_id}`: the room's current state snapshot, from its
//! host, for a server that takes part in the room (after an invite, or to recover).

use super::snapshot::RoomSnapshot;
use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::RoomId;

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub room_id: RoomId,
}

/// The answer.
pub type Response = RoomSnapshot;

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/_convo/federation/v1/state/{room_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!("{PREFIX}/state/{}", encode_segment(self.room_id.as_str()))
    }
}
