//! Membership reads: a room's state for the sequencer, one member's row, joined members,
//! the people a user shares rooms with, and unread counts.

use std::collections::BTreeMap;

use convo_federation::{RoomId, UserId};
use sqlx::Row;

use super::decode;
use crate::db::Db;
use crate::rooms::model::{Role, RoomKind};
use crate::rooms::sequencer::{MemberState, RoomState};
use crate::with_db;

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
            let user = decode(UserId::parse(&row.try_get::<String, _>("user_id")?))?;
            let role = Role::parse(&row.try_get::<String, _>("role")?)
                .ok_or_else(|| sqlx::Error::Decode("unknown role".into()))?;
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
        let kind = RoomKind::parse(&room.try_get::<String, _>("kind")?)
            .ok_or_else(|| sqlx::Error::Decode("unknown room kind".into()))?;
        Ok(Some(RoomState::new(
            kind,
            room.try_get("last_seq")?,
            room.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
            members,
        )))
    })
}

/// A user's membership row: what they may see of a room.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Membership {
    #[sqlx(try_from = "String")]
    pub role: Role,
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

/// The columns of [`Membership`], from `room_members`.
pub(super) const MEMBERSHIP_COLUMNS: &str = "role, joined, joined_at, joined_seq, left_seq, cleared_seq, hidden, muted, delivered_up_to, read_up_to";

pub async fn membership(
    db: &Db,
    room_id: &RoomId,
    user_id: &UserId,
) -> Result<Option<Membership>, sqlx::Error> {
    let sql = format!(
        "SELECT {MEMBERSHIP_COLUMNS} FROM room_members WHERE room_id = $1 AND user_id = $2"
    );
    with_db!(db, pool => {
        sqlx::query_as::<_, Membership>(sqlx::AssertSqlSafe(sql))
            .bind(room_id.as_str())
            .bind(user_id.as_str())
            .fetch_optional(pool)
            .await
    })
}

/// The users who share at least one room with `user_id` (not counting themselves).
pub async fn contacts(db: &Db, user_id: &UserId) -> Result<Vec<UserId>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query(
            "SELECT DISTINCT o.user_id FROM room_members m JOIN room_members o ON o.room_id = m.room_id
             WHERE m.user_id = $1 AND m.joined AND o.joined AND o.user_id <> $1
             ORDER BY o.user_id",
        )
        .bind(user_id.as_str())
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| decode(UserId::parse(&r.try_get::<String, _>("user_id")?)))
        .collect()
    })
}

/// The joined members of a room.
pub async fn joined_members(db: &Db, room_id: &RoomId) -> Result<Vec<UserId>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query("SELECT user_id FROM room_members WHERE room_id = $1 AND joined ORDER BY user_id")
            .bind(room_id.as_str())
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| decode(UserId::parse(&r.try_get::<String, _>("user_id")?)))
            .collect()
    })
}

/// Unread messages for `user_id` in a room, given their membership: messages from others
/// after their read position that they can see (not deleted, not hidden by them).
pub async fn unread_count(
    db: &Db,
    room_id: &RoomId,
    user_id: &UserId,
    m: &Membership,
) -> Result<i64, sqlx::Error> {
    let from = m.first_visible().max(m.read_up_to + 1);
    with_db!(db, pool => {
        sqlx::query(
            "SELECT COUNT(*) AS n FROM events
             WHERE room_id = $1 AND kind = 'message' AND seq >= $2 AND seq <= $3 AND sender <> $4
                   AND event_id NOT IN (SELECT event_id FROM hidden_events WHERE user_id = $4) AND deleted_at IS NULL",
        )
        .bind(room_id.as_str())
        .bind(from)
        .bind(m.last_visible())
        .bind(user_id.as_str())
        .fetch_one(pool)
        .await?
        .try_get("n")
    })
}
