//! The rooms service's reads from the database: room state for the sequencer, history and
//! the event stream, the room list, details, receipts. (Room events and membership are
//! written by the sequencer's transaction; per-member view settings by `rooms::personal`;
//! positions by `rooms::receipts`.)

mod details;
mod events;
mod members;
mod receipts;
mod room_list;

use sqlx::Row;

use super::model::{Event, EventContent, EventKind};
use crate::db::Db;
use crate::with_db;
pub use details::{RoomDetails, RoomView, room_details, room_view_at, views_when_left};
pub use events::{
    EventPlace, Page, Reactions, StoredEvent, events_since, find_event, history, reactions_between,
};
pub use members::{
    Membership, contacts, joined_members, load_room_state, membership, unread_count,
};
pub use receipts::{
    MemberPosition, MessageReceipt, member_positions, message_receipts, message_senders,
};
pub use room_list::{RoomSummary, list_rooms};

/// The columns [`event_from_row`] reads.
pub const EVENT_COLUMNS: &str = "event_id, room_id, seq, stream_pos, sender, kind, content, origin_ts, txn_id, nonce, deleted_at";

/// The condition that finds the event whose id is `$1`: through the index of `event_key`,
/// its first 12 characters (migration 0004), then the whole id in the rows found. A macro, so
/// that `concat!` can build whole statements with it.
#[macro_export]
macro_rules! event_id_is_1 {
    () => {
        "event_key = substr($1, 1, 12) AND event_id = $1"
    };
}

/// The `event_key` stored with an event: the first 12 characters of its id, as SQL's
/// `substr(event_id, 1, 12)` counts them.
pub fn event_key(event_id: &str) -> &str {
    event_id
        .char_indices()
        .nth(12)
        .map_or(event_id, |(end, _)| &event_id[..end])
}

/// A value read from the database that does not parse (an id, a kind, content) is a decode
/// error, as a wrong column type would be.
pub fn decode<T, E>(parsed: Result<T, E>) -> Result<T, sqlx::Error>
where
    E: std::error::Error + Send + Sync + 'static,
{
    parsed.map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Builds an [`Event`] from a row with [`EVENT_COLUMNS`] (prefixed or not).
pub fn event_from_row<R: Row>(row: &R) -> Result<Event, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database>,
{
    use convo_federation::{EventId, RoomId, UserId};
    let kind = decode(EventKind::parse(&row.try_get::<String, _>("kind")?))?;
    let deleted = row.try_get::<Option<i64>, _>("deleted_at")?.is_some();
    let content = match deleted {
        true => None,
        false => Some(decode(EventContent::from_parts(
            kind,
            &row.try_get::<String, _>("content")?,
        ))?),
    };
    Ok(Event {
        event_id: decode(EventId::parse(&row.try_get::<String, _>("event_id")?))?,
        room_id: decode(RoomId::parse(&row.try_get::<String, _>("room_id")?))?,
        seq: row.try_get("seq")?,
        pos: row.try_get("stream_pos")?,
        sender: decode(UserId::parse(&row.try_get::<String, _>("sender")?))?,
        kind,
        content,
        ts: row.try_get("origin_ts")?,
        txn_id: row.try_get("txn_id")?,
        nonce: row.try_get("nonce")?,
    })
}

pub async fn max_stream_pos(db: &Db) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => {
        let row = sqlx::query("SELECT COALESCE(MAX(stream_pos), 0) AS pos FROM events").fetch_one(pool).await?;
        row.try_get::<i64, _>("pos")
    })
}

pub async fn max_seq(db: &Db, room_id: &convo_federation::RoomId) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE room_id = $1")
            .bind(room_id.as_str())
            .fetch_one(pool)
            .await?
            .try_get::<i64, _>("seq")
    })
}

#[cfg(test)]
mod tests {
    use super::event_key;

    #[test]
    fn event_keys_are_the_first_twelve_characters_as_sql_counts_them() {
        let id = "$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde";
        assert_eq!(event_key(id), "$AbCdEfGhIjK");
        assert_eq!(event_key("$short"), "$short");
        assert_eq!(event_key(""), "");
        // substr counts characters, not bytes.
        assert_eq!(event_key("$ééééééééééééé"), "$ééééééééééé");
    }
}
