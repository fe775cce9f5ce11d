//! `GET /_convo/federation/v1/make_join/{room_id}/{user_id}`: asks the room's host for the
//! join event to sign. The host answers with the body it will accept (sender `user_id`,
//! content `room.member` `add` of `user_id`); the joining server checks it is that, signs it
//! and sends it with [`send_join`](super::send_join).

use serde::{Deserialize, Serialize};

use super::{FederationEndpoint, Method, PREFIX, encode_segment};
use crate::events::EventBody;
use crate::{RoomId, UserId};

/// The request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub room_id: RoomId,
    pub user_id: UserId,
}

/// The answer: the event to sign.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Response {
    pub event: EventBody,
}

impl FederationEndpoint for Request {
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/_convo/federation/v1/make_join/{room_id}/{user_id}";
    type Response = Response;

    fn uri(&self) -> String {
        format!(
            "{PREFIX}/make_join/{}/{}",
            encode_segment(self.room_id.as_str()),
            encode_segment(self.user_id.as_str())
        )
    }
}
