//! A user's room list in a fixed few queries, whatever the number of rooms: one for every
//! room's membership, last visible message and unread count; one for what the rooms they left
//! looked like when they left; one for the other members' receipt positions.

use convo_federation::{RoomId, UserId};
use sqlx::Row;

use super::decode;
use super::details::views_when_left;
use super::events::StoredEvent;
use super::members::Membership;
use super::receipts::{MemberPosition, member_positions};
use crate::db::Db;
use crate::rooms::model::{Role, RoomKind};
use crate::with_db;

/// One row of a user's room list.
#[derive(Debug, Clone)]
pub struct RoomSummary {
    pub room_id: RoomId,
    pub kind: RoomKind,
    /// Settings: current, or as they were when the user left.
    pub name: Option<String>,
    pub topic: Option<String>,
    pub avatar_url: Option<String>,
    pub membership: Membership,
    /// Direct chats: the other person.
    pub peer: Option<UserId>,
    /// The newest message the user can see.
    pub last_message: Option<StoredEvent>,
    /// The newest seq the user can see.
    pub last_seq: i64,
    pub unread_count: i64,
    /// The other joined members' delivered/read positions (none once the user left).
    pub positions: Vec<MemberPosition>,
}

/// Every room's row: membership, settings, last visible message, unread count.
const LIST: &str = "
WITH mine AS (
    SELECT m.room_id, m.role, m.joined, m.joined_at, m.joined_seq, m.left_seq, m.cleared_seq,
           m.hidden, m.muted, m.delivered_up_to, m.read_up_to,
           CASE WHEN m.joined_seq > m.cleared_seq + 1 THEN m.joined_seq ELSE m.cleared_seq + 1 END AS lo,
           COALESCE(m.left_seq, 9223372036854775807) AS hi
    FROM room_members m WHERE m.user_id = $1
), listed AS (
    SELECT mine.*,
        (SELECT e.seq FROM events e
         WHERE e.room_id = mine.room_id AND e.kind = 'message' AND e.seq >= mine.lo AND e.seq <= mine.hi
           AND e.event_id NOT IN (SELECT h.event_id FROM hidden_events h WHERE h.user_id = $1)
         ORDER BY e.seq DESC LIMIT 1) AS last_message_seq,
        (SELECT COUNT(*) FROM events e
         WHERE e.room_id = mine.room_id AND e.kind = 'message'
           AND e.seq >= CASE WHEN mine.lo > mine.read_up_to + 1 THEN mine.lo ELSE mine.read_up_to + 1 END
           AND e.seq <= mine.hi AND e.sender <> $1 AND e.deleted_at IS NULL
           AND e.event_id NOT IN (SELECT h.event_id FROM hidden_events h WHERE h.user_id = $1)) AS unread_count,
        (SELECT COALESCE(MAX(e.seq), 0) FROM events e WHERE e.room_id = mine.room_id) AS last_seq
    FROM mine
)
SELECT listed.*, r.kind AS room_kind, r.name, r.topic, r.avatar_url,
       (SELECT MIN(o.user_id) FROM room_members o WHERE o.room_id = listed.room_id AND o.user_id <> $1) AS peer,
       e.event_id, e.seq, e.stream_pos, e.sender, e.kind, e.content, e.origin_ts, e.txn_id, e.nonce,
       e.deleted_at, e.edited_at
FROM listed JOIN rooms r ON r.room_id = listed.room_id
LEFT JOIN events e ON e.room_id = listed.room_id AND e.seq = listed.last_message_seq";

/// The rooms `user_id` is or was in and has not deleted for themselves (a deleted chat comes
/// back when something new arrives), most recently active first.
pub async fn list_rooms(db: &Db, user_id: &UserId) -> Result<Vec<RoomSummary>, sqlx::Error> {
    let mut summaries = with_db!(db, pool => {
        let rows = sqlx::query(LIST).bind(user_id.as_str()).fetch_all(pool).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let membership = Membership {
                role: decode(Role::try_from(row.try_get::<String, _>("role")?))?,
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
            let kind = RoomKind::parse(&row.try_get::<String, _>("room_kind")?)
                .ok_or_else(|| sqlx::Error::Decode("unknown room kind".into()))?;
            let last_message = match row.try_get::<Option<String>, _>("event_id")? {
                Some(_) => Some(StoredEvent::from_row(&row)?),
                None => None,
            };
            let peer = match kind {
                RoomKind::Direct => row
                    .try_get::<Option<String>, _>("peer")?
                    .map(|peer| decode(UserId::parse(&peer)))
                    .transpose()?,
                RoomKind::Group => None,
            };
            let last_seq = row.try_get::<i64, _>("last_seq")?.min(membership.last_visible());
            out.push(RoomSummary {
                room_id: decode(RoomId::parse(&row.try_get::<String, _>("room_id")?))?,
                kind,
                name: row.try_get("name")?,
                topic: row.try_get("topic")?,
                avatar_url: row.try_get("avatar_url")?,
                peer,
                membership,
                last_message,
                last_seq,
                unread_count: row.try_get("unread_count")?,
                positions: Vec::new(),
            });
        }
        out
    });
    // A chat deleted for me comes back only with a message newer than the deletion (its
    // last message is searched from there on); edits and reactions do not bring it back.
    summaries.retain(|s| !s.membership.hidden || s.last_message.is_some());
    if summaries.iter().any(|s| !s.membership.joined) {
        let mut left = views_when_left(db, user_id).await?;
        for summary in summaries.iter_mut().filter(|s| !s.membership.joined) {
            let view = left.remove(&summary.room_id).unwrap_or_default();
            summary.name = view.name;
            summary.topic = view.topic;
            summary.avatar_url = view.avatar_url;
        }
    }
    let mut positions = member_positions(db, user_id).await?;
    for summary in summaries.iter_mut().filter(|s| s.membership.joined) {
        summary.positions = positions.remove(&summary.room_id).unwrap_or_default();
    }
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
