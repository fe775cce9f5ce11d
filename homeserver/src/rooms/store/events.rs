//! Event reads: pages of a room's history, reactions, single events, and a user's stream
//! since a position (what a reconnecting device missed).

use std::collections::BTreeMap;

use convo_federation::{EventId, RoomId, UserId};
use sqlx::Row;

use super::{EVENT_COLUMNS, decode, event_from_row};
use crate::db::Db;
use crate::rooms::model::{Event, EventKind};
use crate::with_db;

/// Which page of history.
#[derive(Debug, Clone, Copy)]
pub enum Page {
    /// The newest events.
    Latest,
    /// Events with seq below this, newest first.
    Before(i64),
    /// Events with seq above this, oldest first.
    After(i64),
}

/// A stored event with what happened to it since (messages only).
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub event: Event,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

impl StoredEvent {
    pub(super) fn from_row<R: Row>(row: &R) -> Result<Self, sqlx::Error>
    where
        for<'r> &'r str: sqlx::ColumnIndex<R>,
        for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<i64>: sqlx::Decode<'r, R::Database>,
    {
        Ok(Self {
            event: event_from_row(row)?,
            edited_at: row.try_get("edited_at")?,
            deleted_at: row.try_get("deleted_at")?,
        })
    }
}

/// Up to `limit` events of a room between `from` and `to` (seq, inclusive), leaving out the
/// messages `user_id` deleted for themselves and their edits and reactions. Returned in
/// ascending seq order.
pub async fn history(
    db: &Db,
    room_id: &RoomId,
    user_id: &UserId,
    from: i64,
    to: i64,
    page: Page,
    limit: u32,
) -> Result<Vec<StoredEvent>, sqlx::Error> {
    let (bound, order, value) = match page {
        Page::Latest => ("seq <= $4", "DESC", to),
        Page::Before(seq) => ("seq < $4", "DESC", seq),
        Page::After(seq) => ("seq > $4", "ASC", seq),
    };
    let sql = format!(
        "SELECT {EVENT_COLUMNS}, edited_at FROM events
         WHERE room_id = $1 AND seq >= $2 AND seq <= $3 AND {bound}
           AND event_id NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $5)
           AND (relates_to IS NULL OR relates_to NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $5))
         ORDER BY seq {order} LIMIT $6"
    );
    let mut events = with_db!(db, pool => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(room_id.as_str())
            .bind(from)
            .bind(to)
            .bind(value)
            .bind(user_id.as_str())
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        rows.iter().map(StoredEvent::from_row).collect::<Result<Vec<_>, _>>()?
    });
    events.sort_by_key(|e| e.event.seq);
    Ok(events)
}

/// Who reacted how: emoji → users, per message.
pub type Reactions = BTreeMap<EventId, BTreeMap<String, Vec<UserId>>>;

/// Reactions to the messages of `room_id` with seq in `from..=to`.
pub async fn reactions_between(
    db: &Db,
    room_id: &RoomId,
    from: i64,
    to: i64,
) -> Result<Reactions, sqlx::Error> {
    let rows: Vec<(String, String, String)> = with_db!(db, pool => {
        sqlx::query(
            "SELECT r.target_event_id, r.emoji, r.user_id FROM reactions r
             JOIN events e ON e.event_id = r.target_event_id
             WHERE e.room_id = $1 AND e.seq >= $2 AND e.seq <= $3
             ORDER BY r.target_event_id, r.emoji, r.user_id",
        )
        .bind(room_id.as_str())
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("target_event_id")?, r.try_get("emoji")?, r.try_get("user_id")?)))
        .collect::<Result<_, _>>()?
    });
    let mut out = Reactions::new();
    for (event_id, emoji, user) in rows {
        out.entry(decode(EventId::parse(&event_id))?)
            .or_default()
            .entry(emoji)
            .or_default()
            .push(decode(UserId::parse(&user))?);
    }
    Ok(out)
}

/// Where an event is and what it is.
#[derive(Debug, Clone)]
pub struct EventPlace {
    pub room_id: RoomId,
    pub seq: i64,
    pub kind: EventKind,
    pub sender: UserId,
}

/// Looks an event up by id.
pub async fn find_event(db: &Db, event_id: &EventId) -> Result<Option<EventPlace>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query(concat!("SELECT room_id, seq, kind, sender FROM events WHERE ", crate::event_id_is_1!()))
            .bind(event_id.as_str())
            .fetch_optional(pool)
            .await?
            .map(|r| {
                Ok(EventPlace {
                    room_id: decode(RoomId::parse(&r.try_get::<String, _>("room_id")?))?,
                    seq: r.try_get("seq")?,
                    kind: decode(EventKind::parse(&r.try_get::<String, _>("kind")?))?,
                    sender: decode(UserId::parse(&r.try_get::<String, _>("sender")?))?,
                })
            })
            .transpose()
    })
}

/// Events a user may see with stream position above `since`, in stream order, at most `limit`.
pub async fn events_since(
    db: &Db,
    user_id: &UserId,
    since: i64,
    limit: u32,
) -> Result<Vec<Event>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM events e JOIN room_members m ON m.room_id = e.room_id AND m.user_id = $1
         WHERE e.stream_pos > $2 AND e.seq >= m.joined_seq AND (m.left_seq IS NULL OR e.seq <= m.left_seq)
           AND e.seq > m.cleared_seq
         ORDER BY e.stream_pos LIMIT $3",
        EVENT_COLUMNS
            .split(", ")
            .map(|c| format!("e.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    with_db!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id.as_str())
            .bind(since)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    })
}
