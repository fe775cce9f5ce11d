//! What one member does to their own view of a room, which no one else sees and which is
//! not an event: "delete chat for me" (`room_members.hidden` and `cleared_seq`), opening a
//! deleted direct chat again, and "delete for me" of single messages (`hidden_events`). The
//! owner of those columns and of that table.

use convo_federation::{EventId, RoomId, UserId};

use crate::db::Db;
use crate::with_writer;

/// "Delete chat for me": hides the room and clears the user's history up to `up_to`.
pub async fn clear_chat(
    db: &Db,
    room_id: &RoomId,
    user_id: &UserId,
    up_to: i64,
) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        sqlx::query("UPDATE room_members SET hidden = TRUE, cleared_seq = $3 WHERE room_id = $1 AND user_id = $2")
            .bind(room_id.as_str())
            .bind(user_id.as_str())
            .bind(up_to)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Brings a chat deleted "for me" back into the user's list (its cleared history stays gone).
pub async fn unhide_chat(db: &Db, room_id: &RoomId, user_id: &UserId) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        sqlx::query("UPDATE room_members SET hidden = FALSE WHERE room_id = $1 AND user_id = $2")
            .bind(room_id.as_str())
            .bind(user_id.as_str())
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// "Delete for me" of one message.
pub async fn hide_event(db: &Db, user_id: &UserId, event_id: &EventId) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        sqlx::query("INSERT INTO hidden_events (user_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(user_id.as_str())
            .bind(event_id.as_str())
            .execute(pool)
            .await?;
    });
    Ok(())
}
