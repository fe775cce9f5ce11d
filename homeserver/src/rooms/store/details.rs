//! A room's settings and members: as they are now, or as they were at a given `seq`, rebuilt
//! from the room's state events (`room.created`, `room.member`, `room.settings`,
//! `room.deleted`). A member who left keeps seeing the room as it was when they left.

use std::collections::BTreeMap;

use convo_federation::events::MemberContent;
use convo_federation::{RoomId, UserId};
use sqlx::Row;

use super::{EVENT_COLUMNS, decode, event_from_row};
use crate::db::Db;
use crate::rooms::model::{EventContent, Role, RoomKind};
use crate::with_db;

/// A room's settings and current members.
#[derive(Debug, Clone)]
pub struct RoomDetails {
    pub room_id: RoomId,
    pub kind: RoomKind,
    pub created_by: UserId,
    pub created_at: i64,
    pub view: RoomView,
}

/// What can change about a room: its settings and who is in it with which role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomView {
    pub name: Option<String>,
    pub topic: Option<String>,
    pub avatar_url: Option<String>,
    /// (user, role, joined at): owner first, then admins, then by join time.
    pub members: Vec<(UserId, Role, i64)>,
}

impl RoomView {
    fn sort(&mut self) {
        self.members
            .sort_by(|(a, a_role, a_at), (b, b_role, b_at)| {
                (std::cmp::Reverse(*a_role), a_at, a).cmp(&(std::cmp::Reverse(*b_role), b_at, b))
            });
    }
}

/// The room's details now, or (`as_of`) as they were right after that seq.
pub async fn room_details(
    db: &Db,
    room_id: &RoomId,
    as_of: Option<i64>,
) -> Result<Option<RoomDetails>, sqlx::Error> {
    let room = with_db!(db, pool => {
        sqlx::query("SELECT kind, name, topic, avatar_url, created_by, created_at FROM rooms WHERE room_id = $1")
            .bind(room_id.as_str())
            .fetch_optional(pool)
            .await?
            .map(|room| {
                Ok::<_, sqlx::Error>((
                    RoomKind::parse(&room.try_get::<String, _>("kind")?)
                        .ok_or_else(|| sqlx::Error::Decode("unknown room kind".into()))?,
                    decode(UserId::parse(&room.try_get::<String, _>("created_by")?))?,
                    room.try_get::<i64, _>("created_at")?,
                    RoomView {
                        name: room.try_get("name")?,
                        topic: room.try_get("topic")?,
                        avatar_url: room.try_get("avatar_url")?,
                        members: Vec::new(),
                    },
                ))
            })
            .transpose()?
    });
    let Some((kind, created_by, created_at, current)) = room else {
        return Ok(None);
    };
    let view = match as_of {
        Some(seq) => room_view_at(db, room_id, seq).await?,
        None => {
            let mut view = current;
            view.members = current_members(db, room_id).await?;
            view.sort();
            view
        }
    };
    Ok(Some(RoomDetails {
        room_id: room_id.clone(),
        kind,
        created_by,
        created_at,
        view,
    }))
}

async fn current_members(
    db: &Db,
    room_id: &RoomId,
) -> Result<Vec<(UserId, Role, i64)>, sqlx::Error> {
    with_db!(db, pool => {
        sqlx::query("SELECT user_id, role, joined_at FROM room_members WHERE room_id = $1 AND joined")
            .bind(room_id.as_str())
            .fetch_all(pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    decode(UserId::parse(&r.try_get::<String, _>("user_id")?))?,
                    Role::parse(&r.try_get::<String, _>("role")?)
                        .ok_or_else(|| sqlx::Error::Decode("unknown role".into()))?,
                    r.try_get("joined_at")?,
                ))
            })
            .collect()
    })
}

/// The room's settings and members right after event `seq`, from its state events.
pub async fn room_view_at(db: &Db, room_id: &RoomId, seq: i64) -> Result<RoomView, sqlx::Error> {
    // The `kind IN (…)` term is the partial index's own (migration 0006).
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events
         WHERE room_id = $1 AND seq <= $2
           AND kind IN ('room.created', 'room.member', 'room.settings', 'room.deleted')
         ORDER BY seq"
    );
    let events = with_db!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(room_id.as_str())
            .bind(seq)
            .fetch_all(pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?
    });
    let mut view = RoomView::default();
    for event in events {
        if let Some(content) = event.content {
            apply(&mut view, &event.sender, event.ts, content);
        }
    }
    view.sort();
    Ok(view)
}

/// The view of every room `user_id` has left, as it was when they left (one query).
pub async fn views_when_left(
    db: &Db,
    user_id: &UserId,
) -> Result<BTreeMap<RoomId, RoomView>, sqlx::Error> {
    let columns = EVENT_COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM room_members m JOIN events e ON e.room_id = m.room_id
         WHERE m.user_id = $1 AND NOT m.joined AND e.seq <= m.left_seq
           AND e.kind IN ('room.created', 'room.member', 'room.settings', 'room.deleted')
         ORDER BY e.room_id, e.seq"
    );
    let events = with_db!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(user_id.as_str())
            .fetch_all(pool)
            .await?
            .iter()
            .map(event_from_row)
            .collect::<Result<Vec<_>, _>>()?
    });
    let mut views: BTreeMap<RoomId, RoomView> = BTreeMap::new();
    for event in events {
        if let Some(content) = event.content {
            let view = views.entry(event.room_id.clone()).or_default();
            apply(view, &event.sender, event.ts, content);
        }
    }
    views.values_mut().for_each(RoomView::sort);
    Ok(views)
}

/// What one state event does to the view (the same changes the sequencer's effects make).
fn apply(view: &mut RoomView, sender: &UserId, ts: i64, content: EventContent) {
    let set_role = |view: &mut RoomView, user: &UserId, role: Role| {
        if let Some(member) = view.members.iter_mut().find(|(u, _, _)| u == user) {
            member.1 = role;
        }
    };
    match content {
        EventContent::RoomCreated(created) => {
            view.name = created.name;
            view.topic = created.topic;
            view.avatar_url = created.avatar_url;
            let role = match created.kind {
                RoomKind::Group => Role::Owner,
                RoomKind::Direct => Role::Member,
            };
            view.members = vec![(sender.clone(), role, ts)];
        }
        EventContent::Member(MemberContent::Add { user_id }) => {
            view.members.retain(|(u, _, _)| *u != user_id);
            view.members.push((user_id, Role::Member, ts));
        }
        EventContent::Member(MemberContent::Remove { user_id }) => {
            view.members.retain(|(u, _, _)| *u != user_id);
        }
        EventContent::Member(MemberContent::Leave { user_id, new_owner }) => {
            view.members.retain(|(u, _, _)| *u != user_id);
            if let Some(owner) = new_owner {
                set_role(view, &owner, Role::Owner);
            }
        }
        EventContent::Member(MemberContent::Role { user_id, role }) => {
            set_role(view, &user_id, role);
            if role == Role::Owner {
                set_role(view, sender, Role::Admin);
            }
        }
        EventContent::Settings(change) => {
            if let Some(name) = change.name {
                view.name = name;
            }
            if let Some(topic) = change.topic {
                view.topic = topic;
            }
            if let Some(avatar_url) = change.avatar_url {
                view.avatar_url = avatar_url;
            }
        }
        EventContent::RoomDeleted(_) => view.members.clear(),
        _ => {}
    }
}
