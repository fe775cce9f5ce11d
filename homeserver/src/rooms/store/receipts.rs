//! Receipt reads: the other members' delivered/read positions in a user's rooms, and when a
//! message reached each member (from the receipt log).

use std::collections::BTreeMap;

use convo_federation::{RoomId, UserId};
use sqlx::Row;

use super::decode;
use crate::db::Db;
use crate::with_db;

/// Another member's positions: every message with a seq at or below `delivered_up_to` has
/// reached one of their devices; at or below `read_up_to`, they have read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPosition {
    pub user_id: UserId,
    pub delivered_up_to: i64,
    pub read_up_to: i64,
}

/// The positions of the other joined members of every room `user_id` is joined in, by room
/// (one query for all rooms).
pub async fn member_positions(
    db: &Db,
    user_id: &UserId,
) -> Result<BTreeMap<RoomId, Vec<MemberPosition>>, sqlx::Error> {
    let rows: Vec<(String, String, i64, i64)> = with_db!(db, pool => {
        sqlx::query(
            "SELECT o.room_id, o.user_id, o.delivered_up_to, o.read_up_to
             FROM room_members m JOIN room_members o ON o.room_id = m.room_id
             WHERE m.user_id = $1 AND m.joined AND o.joined AND o.user_id <> $1
             ORDER BY o.room_id, o.user_id",
        )
        .bind(user_id.as_str())
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .collect::<Result<_, _>>()?
    });
    let mut out: BTreeMap<RoomId, Vec<MemberPosition>> = BTreeMap::new();
    for (room, user, delivered_up_to, read_up_to) in rows {
        out.entry(decode(RoomId::parse(&room))?)
            .or_default()
            .push(MemberPosition {
                user_id: decode(UserId::parse(&user))?,
                delivered_up_to,
                read_up_to,
            });
    }
    Ok(out)
}

/// Per member of a room (other than `sender`) who could see message `seq`: when it first
/// reached one of their devices and when they first read it (from the receipt log).
#[derive(Debug, Clone)]
pub struct MessageReceipt {
    pub user_id: UserId,
    pub delivered_at: Option<i64>,
    pub read_at: Option<i64>,
}

pub async fn message_receipts(
    db: &Db,
    room_id: &RoomId,
    seq: i64,
    sender: &UserId,
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
        .bind(room_id.as_str())
        .bind(seq)
        .bind(sender.as_str())
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| {
            Ok(MessageReceipt {
                user_id: decode(UserId::parse(&r.try_get::<String, _>("user_id")?))?,
                delivered_at: r.try_get("delivered_at")?,
                read_at: r.try_get("read_at")?,
            })
        })
        .collect()
    })
}

/// The senders of the messages (not deleted) of `room_id` with a seq in `(after, up_to]`, by
/// seq; `None` if there are more than `max` of them.
pub async fn message_senders(
    db: &Db,
    room_id: &RoomId,
    after: i64,
    up_to: i64,
    max: u32,
) -> Result<Option<Vec<(i64, UserId)>>, sqlx::Error> {
    let rows: Vec<(i64, String)> = with_db!(db, pool => {
        sqlx::query(
            "SELECT seq, sender FROM events
             WHERE room_id = $1 AND seq > $2 AND seq <= $3 AND kind = 'message' AND deleted_at IS NULL
             ORDER BY seq LIMIT $4",
        )
        .bind(room_id.as_str())
        .bind(after)
        .bind(up_to)
        .bind(i64::from(max) + 1)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, _>>()?
    });
    if rows.len() > max as usize {
        return Ok(None);
    }
    rows.into_iter()
        .map(|(seq, sender)| Ok((seq, decode(UserId::parse(&sender))?)))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
