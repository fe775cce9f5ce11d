//! The shapes clients receive from both the REST API and the WebSocket gateway, defined once
//! (poem-openapi objects, so the OpenAPI document describes them and the gateway serialises
//! the same types): room events as history shows them, with typed content per event type,
//! and room list entries. Frames that only the gateway sends live in `gateway::protocol`.

pub mod content;
pub mod event;
pub mod nullable;
pub mod room;

pub use content::EventContentDoc;
pub use event::{Reaction, RoomEvent};
pub use nullable::Nullable;
pub use room::{MemberPosition, RoomSummary};
