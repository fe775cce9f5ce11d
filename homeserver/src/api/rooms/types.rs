//! Wire types shared by the rooms operations. Events and room list entries are the shapes
//! the gateway sends too (`crate::wire`); ids are parsed by `crate::ids`.

use poem_openapi::Object;

pub use crate::ids::{event_id, room_id, user_id};
use crate::rooms::model::Committed;
pub use crate::wire::{Reaction, RoomEvent};

/// The answer to anything that appends an event: it is stored.
#[derive(Debug, Clone, Object)]
pub struct EventAck {
    pub event_id: String,
    pub room_id: String,
    pub seq: i64,
    pub pos: i64,
    pub ts: i64,
    /// True when this repeats the answer to an earlier request with the same `txn_id`.
    pub duplicate: bool,
}

impl From<&Committed> for EventAck {
    fn from(committed: &Committed) -> Self {
        let event = &committed.event;
        Self {
            event_id: event.event_id.to_string(),
            room_id: event.room_id.to_string(),
            seq: event.seq,
            pos: event.pos,
            ts: event.ts,
            duplicate: committed.duplicate,
        }
    }
}
