//! Validated identifier newtypes: server names, users, rooms and events.
//!
//! Every identifier is parsed once at the edge of the program ("parse, don't validate"); a value of
//! one of these types is always well formed. All of them serialise as plain strings and validate
//! when deserialised.

mod error;
mod event_id;
mod room_id;
mod server_name;
mod user_id;

pub use error::IdError;
pub use event_id::EventId;
pub use room_id::RoomId;
pub use server_name::ServerName;
pub use user_id::{UserId, validate_localpart};

/// Maximum length in bytes of a whole user or room identifier.
pub const MAX_ID_LEN: usize = 255;

/// What a user or room id holds: the whole id, with the server name in lowercase, and the
/// parsed server name, kept so that `server_name()` is free.
#[derive(Debug)]
struct Parts {
    full: String,
    server: ServerName,
}
