//! Identifiers from clients, parsed at the edge into the protocol's newtypes, with the error
//! a client gets for a bad one. REST handlers and the gateway both use these.

use convo_federation::{EventId, RoomId, UserId};

use crate::error::{Error, ErrorCode, Result};

pub fn room_id(raw: &str) -> Result<RoomId> {
    RoomId::parse(raw)
        .map_err(|e| Error::new(ErrorCode::InvalidRequest, format!("not a room id: {e}")))
}

pub fn event_id(raw: &str) -> Result<EventId> {
    EventId::parse(raw)
        .map_err(|e| Error::new(ErrorCode::InvalidRequest, format!("not an event id: {e}")))
}

pub fn user_id(raw: &str) -> Result<UserId> {
    UserId::parse(raw)
        .map_err(|e| Error::new(ErrorCode::InvalidUserId, format!("not a user id: {e}")))
}
