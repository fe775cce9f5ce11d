//! The rooms service's reads: room state for the sequencer, history, the room list, details
//! and receipts. (Writes go through the sequencer's transaction.)

use std::collections::BTreeMap;

use convo_federation::{RoomId, UserId};
use sqlx::Row;

use super::model::{Event, Role, RoomKind};
use super::sequencer::{MemberState, RoomState};
use crate::db::Db;
use crate::{with_db, with_writer};

pub const EVENT_COLUMNS: &str =
    "event_id, room_id, seq, stream_pos, sender, kind, content, origin_ts, txn_id";

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

/// Builds an [`Event`] from a row with [`EVENT_COLUMNS`].
pub fn event_from_row<R: Row>(row: &R) -> Result<Event, sqlx::Error>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let content: String = row.try_get("content")?;
    Ok(Event {
        event_id: row.try_get("event_id")?,
        room_id: row.try_get("room_id")?,
        seq: row.try_get("seq")?,
        pos: row.try_get("stream_pos")?,
        sender: row.try_get("sender")?,
        kind: row.try_get("kind")?,
        content: serde_json::from_str(&content).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
        ts: row.try_get("origin_ts")?,
        txn_id: row.try_get("txn_id")?,
    })
}

pub async fn max_stream_pos(db: &Db) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => {
        let row = sqlx::query("SELECT COALESCE(MAX(stream_pos), 0) AS pos FROM events").fetch_one(pool).await?;
        row.try_get::<i64, _>("pos")
    })
}

pub async fn load_room_state(db: &Db, room_id: &RoomId) -> Result<Option<RoomState>, sqlx::Error> {
    with_db!(db, pool => {
        let Some(room) = sqlx::query(
            "SELECT kind, deleted_at, (SELECT COALESCE(MAX(seq), 0) FROM events WHERE room_id = $1) AS last_seq
             FROM rooms WHERE room_id = $1",
        )
        .bind(room_id.as_str())
        .fetch_optional(pool)
        .await?
        else {
            return Ok(None);
        };
        let rows = sqlx::query("SELECT user_id, role, joined, joined_at, joined_seq, muted FROM room_members WHERE room_id = $1")
            .bind(room_id.as_str())
            .fetch_all(pool)
            .await?;
        let mut members = BTreeMap::new();
        for row in rows {
            let user: String = row.try_get("user_id")?;
            let role: String = row.try_get("role")?;
            let (Ok(user), Some(role)) = (UserId::parse(&user), Role::parse(&role)) else {
                continue;
            };
            members.insert(
                user,
                MemberState {
                    role,
                    joined: row.try_get("joined")?,
                    joined_at: row.try_get("joined_at")?,
                    joined_seq: row.try_get("joined_seq")?,
                    muted: row.try_get("muted")?,
                },
            );
        }
        let kind: String = room.try_get("kind")?;
        Ok(Some(RoomState {
            kind: RoomKind::parse(&kind).unwrap_or(RoomKind::Group),
            last_seq: room.try_get("last_seq")?,
            deleted: room.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
            members,
        }))
    })
}

/// A user's membership row: what they may see of a room.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    pub role: String,
    pub joined: bool,
    pub joined_at: i64,
    pub joined_seq: i64,
    pub left_seq: Option<i64>,
    pub cleared_seq: i64,
    pub hidden: bool,
    pub muted: bool,
    pub delivered_up_to: i64,
    pub read_up_to: i64,
}

impl Membership {
    /// The lowest seq this member may read.
    pub fn first_visible(&self) -> i64 {
        self.joined_seq.max(self.cleared_seq + 1)
    }

    /// The highest seq this member may read.
    pub fn last_visible(&self) -> i64 {
        self.left_seq.unwrap_or(i64::MAX)
    }
}

pub async fn membership(
    db: &Db,
    room_id: &str,
    user_id: &str,
) -> Result<Option<Membership>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query_as::<_, Membership>(
            "SELECT role, joined, joined_at, joined_seq, left_seq, cleared_seq, hidden, muted, delivered_up_to, read_up_to
             FROM room_members WHERE room_id = $1 AND user_id = $2",
        )
        .bind(room_id)
        .bind(user_id)
        .fetch_optional(pool)
        .await
    })
}

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

/// Up to `limit` events of a room between `from` and `to` (seq, inclusive), leaving out the
/// ones `user_id` deleted for themselves. Returned in ascending seq order.
/// A stored event with what happened to it since (messages only).
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub event: Event,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
}

pub async fn history(
    db: &Db,
    room_id: &str,
    user_id: &str,
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
        "SELECT {EVENT_COLUMNS}, edited_at, deleted_at FROM events
         WHERE room_id = $1 AND seq >= $2 AND seq <= $3 AND {bound}
           AND event_id NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $5)
         ORDER BY seq {order} LIMIT $6"
    );
    let mut events = with_db!(db, pool => {
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(room_id)
            .bind(from)
            .bind(to)
            .bind(value)
            .bind(user_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok::<_, sqlx::Error>(StoredEvent {
                    event: event_from_row(row)?,
                    edited_at: row.try_get("edited_at")?,
                    deleted_at: row.try_get("deleted_at")?,
                })
            })
            .collect::<Result<Vec<_>, _>>()?
    });
    events.sort_by_key(|e| e.event.seq);
    Ok(events)
}

/// Reactions to the messages of `room_id` with seq in `from..=to`: event id → emoji → users.
pub async fn reactions_between(
    db: &Db,
    room_id: &str,
    from: i64,
    to: i64,
) -> Result<BTreeMap<String, BTreeMap<String, Vec<String>>>, sqlx::Error> {
    let rows: Vec<(String, String, String)> = with_db!(db, pool => {
        sqlx::query(
            "SELECT r.target_event_id, r.emoji, r.user_id FROM reactions r
             JOIN events e ON e.event_id = r.target_event_id
             WHERE e.room_id = $1 AND e.seq >= $2 AND e.seq <= $3
             ORDER BY r.target_event_id, r.emoji, r.user_id",
        )
        .bind(room_id)
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("target_event_id")?, r.try_get("emoji")?, r.try_get("user_id")?)))
        .collect::<Result<_, _>>()?
    });
    let mut out: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for (event_id, emoji, user) in rows {
        out.entry(event_id)
            .or_default()
            .entry(emoji)
            .or_default()
            .push(user);
    }
    Ok(out)
}

/// One row of a user's room list.
#[derive(Debug, Clone)]
pub struct RoomSummary {
    pub room_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub avatar_url: Option<String>,
    pub membership: Membership,
    /// Direct chats: the other person.
    pub peer: Option<String>,
    pub last_message: Option<StoredEvent>,
    pub last_seq: i64,
    pub unread_count: i64,
}

/// The rooms `user_id` is or was in and has not deleted for themselves (a deleted chat comes
/// back when something new arrives), most recently active first.
pub async fn list_rooms(db: &Db, user_id: &str) -> Result<Vec<RoomSummary>, sqlx::Error> {
    let mut summaries = with_db!(db, pool => {
        let rows = sqlx::query(
            "SELECT r.room_id, r.kind, r.name, r.topic, r.avatar_url,
                    m.role, m.joined, m.joined_at, m.joined_seq, m.left_seq, m.cleared_seq, m.hidden, m.muted,
                    m.delivered_up_to, m.read_up_to,
                    (SELECT COALESCE(MAX(seq), 0) FROM events e WHERE e.room_id = r.room_id) AS last_seq,
                    (SELECT MIN(o.user_id) FROM room_members o WHERE o.room_id = r.room_id AND o.user_id <> $1) AS peer
             FROM room_members m JOIN rooms r ON r.room_id = m.room_id
             WHERE m.user_id = $1",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let membership = Membership {
                role: row.try_get("role")?,
                joined: row.try_get("joined")?,
                joined_at: row.try_get("joined_at")?,
                joined_seq: row.try_get("joined_seq")?,
                left_seq: row.try_get("left_seq")?,
                cleared_seq: row.try_get("cleared_seq")?,
                hidden: row.try_get("hidden")?,
                muted: row.try_get("muted")?,
                delivered_up_to: row.try_get("delivered_up_to")?,
                read_up_to: row.try_get("read_up_to")?,
            };
            let kind: String = row.try_get("kind")?;
            let last_seq: i64 = row.try_get("last_seq")?;
            let visible_last = last_seq.min(membership.last_visible());
            out.push(RoomSummary {
                room_id: row.try_get("room_id")?,
                peer: if kind == "direct" { row.try_get("peer")? } else { None },
                kind,
                name: row.try_get("name")?,
                topic: row.try_get("topic")?,
                avatar_url: row.try_get("avatar_url")?,
                membership,
                last_message: None,
                last_seq: visible_last,
                unread_count: 0,
            });
        }
        out
    });
    for summary in &mut summaries {
        let m = &summary.membership;
        let (from, to) = (m.first_visible(), m.last_visible());
        let unread_from = from.max(m.read_up_to + 1);
        let (last, unread) = with_db!(db, pool => {
            let last = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS}, edited_at, deleted_at FROM events
                 WHERE room_id = $1 AND kind = 'message' AND seq >= $2 AND seq <= $3
                   AND event_id NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $4)
                 ORDER BY seq DESC LIMIT 1"
            )))
            .bind(&summary.room_id)
            .bind(from)
            .bind(to)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
            .map(|row| {
                Ok::<_, sqlx::Error>(StoredEvent {
                    event: event_from_row(&row)?,
                    edited_at: row.try_get("edited_at")?,
                    deleted_at: row.try_get("deleted_at")?,
                })
            })
            .transpose()?;
            let unread: i64 = sqlx::query(
                "SELECT COUNT(*) AS n FROM events
                 WHERE room_id = $1 AND kind = 'message' AND seq >= $2 AND seq <= $3 AND sender <> $4
                   AND event_id NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $4)
                   AND deleted_at IS NULL",
            )
            .bind(&summary.room_id)
            .bind(unread_from)
            .bind(to)
            .bind(user_id)
            .fetch_one(pool)
            .await?
            .try_get("n")?;
            (last, unread)
        });
        summary.last_message = last;
        summary.unread_count = unread;
    }
    // A chat deleted for me comes back only with a message newer than the deletion (its
    // last message is searched from there on); edits and reactions do not bring it back.
    summaries.retain(|s| !s.membership.hidden || s.last_message.is_some());
    summaries.sort_by(|a, b| {
        let ts = |s: &RoomSummary| {
            s.last_message
                .as_ref()
                .map_or(s.membership.joined_at, |m| m.event.ts)
        };
        ts(b).cmp(&ts(a)).then_with(|| a.room_id.cmp(&b.room_id))
    });
    Ok(summaries)
}

/// A room's settings and its current members.
#[derive(Debug, Clone)]
pub struct RoomDetails {
    pub room_id: String,
    pub kind: String,
    pub name: Option<String>,
    pub topic: Option<String>,
    pub avatar_url: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    /// (user id, role, joined at), owner first, then by join time.
    pub members: Vec<(String, String, i64)>,
}

pub async fn room_details(db: &Db, room_id: &str) -> Result<Option<RoomDetails>, sqlx::Error> {
    with_db!(db, pool => {
        let Some(room) = sqlx::query("SELECT kind, name, topic, avatar_url, created_by, created_at FROM rooms WHERE room_id = $1")
            .bind(room_id)
            .fetch_optional(pool)
            .await?
        else {
            return Ok(None);
        };
        let members = sqlx::query(
            "SELECT user_id, role, joined_at FROM room_members WHERE room_id = $1 AND joined
             ORDER BY CASE role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, joined_at, user_id",
        )
        .bind(room_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("user_id")?, r.try_get("role")?, r.try_get("joined_at")?)))
        .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(RoomDetails {
            room_id: room_id.to_owned(),
            kind: room.try_get("kind")?,
            name: room.try_get("name")?,
            topic: room.try_get("topic")?,
            avatar_url: room.try_get("avatar_url")?,
            created_by: room.try_get("created_by")?,
            created_at: room.try_get("created_at")?,
            members,
        }))
    })
}

/// "Delete chat for me": hides the room and clears the user's history up to `up_to`.
pub async fn clear_for_user(
    db: &Db,
    room_id: &str,
    user_id: &str,
    up_to: i64,
) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        sqlx::query("UPDATE room_members SET hidden = TRUE, cleared_seq = $3 WHERE room_id = $1 AND user_id = $2")
            .bind(room_id)
            .bind(user_id)
            .bind(up_to)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// "Delete for me" of one message.
pub async fn hide_event(db: &Db, user_id: &str, event_id: &str) -> Result<(), sqlx::Error> {
    with_writer!(db, pool => {
        sqlx::query("INSERT INTO hidden_events (user_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(user_id)
            .bind(event_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Looks an event up by id: (room id, seq, kind).
pub async fn find_event(
    db: &Db,
    event_id: &str,
) -> Result<Option<(String, i64, String, String)>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query(concat!("SELECT room_id, seq, kind, sender FROM events WHERE ", crate::event_id_is_1!()))
            .bind(event_id)
            .fetch_optional(pool)
            .await?
            .map(|r| Ok((r.try_get("room_id")?, r.try_get("seq")?, r.try_get("kind")?, r.try_get("sender")?)))
            .transpose()
    })
}

pub async fn max_seq(db: &Db, room_id: &str) -> Result<i64, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE room_id = $1")
            .bind(room_id)
            .fetch_one(pool)
            .await?
            .try_get::<i64, _>("seq")
    })
}

/// Events a user may see with stream position above `since`, in stream order, at most `limit`.
pub async fn events_since(
    db: &Db,
    user_id: &str,
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
            .bind(user_id)
            .bind(since)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect()
    })
}

/// The users who share at least one room with `user_id` (not counting themselves).
pub async fn contacts(db: &Db, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query(
            "SELECT DISTINCT o.user_id FROM room_members m JOIN room_members o ON o.room_id = m.room_id
             WHERE m.user_id = $1 AND m.joined AND o.joined AND o.user_id <> $1",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| r.try_get("user_id"))
        .collect()
    })
}

/// The joined members of a room.
pub async fn joined_members(db: &Db, room_id: &str) -> Result<Vec<String>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query("SELECT user_id FROM room_members WHERE room_id = $1 AND joined ORDER BY user_id")
            .bind(room_id)
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| r.try_get("user_id"))
            .collect()
    })
}

/// Unread messages for `user_id` in a room, given their membership.
pub async fn unread_count(
    db: &Db,
    room_id: &str,
    user_id: &str,
    m: &Membership,
) -> Result<i64, sqlx::Error> {
    let from = m.first_visible().max(m.read_up_to + 1);
    with_db!(db, pool => {
        sqlx::query(
            "SELECT COUNT(*) AS n FROM events
             WHERE room_id = $1 AND kind = 'message' AND seq >= $2 AND seq <= $3 AND sender <> $4
                   AND event_id NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $4) AND deleted_at IS NULL",
        )
        .bind(room_id)
        .bind(from)
        .bind(m.last_visible())
        .bind(user_id)
        .fetch_one(pool)
        .await?
        .try_get("n")
    })
}

/// Per member of a room (other than `sender`): their delivered/read positions, and when each
/// first reached `seq` (from the receipt log).
#[derive(Debug, Clone)]
pub struct MessageReceipt {
    pub user_id: String,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
}

pub async fn message_receipts(
    db: &Db,
    room_id: &str,
    seq: i64,
    sender: &str,
) -> Result<Vec<MessageReceipt>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query(
            "SELECT m.user_id,
                    (SELECT MIN(l.ts) FROM receipt_log l
                     WHERE l.room_id = m.room_id AND l.user_id = m.user_id AND l.kind = 'delivered' AND l.up_to >= $2) AS delivered_at,
                    (SELECT MIN(l.ts) FROM receipt_log l
                     WHERE l.room_id = m.room_id AND l.user_id = m.user_id AND l.kind = 'read' AND l.up_to >= $2) AS read_at
             FROM room_members m
             WHERE m.room_id = $1 AND m.user_id <> $3 AND m.joined_seq <= $2 AND (m.left_seq IS NULL OR m.left_seq >= $2)
             ORDER BY m.user_id",
        )
        .bind(room_id)
        .bind(seq)
        .bind(sender)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(MessageReceipt {
                user_id: r.try_get("user_id")?,
                delivered_at: r.try_get("delivered_at")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect()
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
