//! Delivery and read receipts. Devices report cumulative positions per room; this task
//! gathers them for a short interval, keeps only the highest per member and room, writes them
//! in one transaction (with the time each position was reached, for ticks' times), and sends
//! each room's members one `receipts` frame listing what moved. Readers' own devices get an
//! `unread` frame, so reading on one device clears the count on all of them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use convo_federation::UserId;
use serde_json::json;
use tokio::sync::mpsc;

use super::Hub;
use crate::db::multi_row::{SqlCache, chunks};
use crate::db::{Db, now_ms};
use crate::rooms::store;

/// Receipts waiting for the aggregator before new ones are dropped (they are cumulative, so a
/// later one makes up for a dropped one).
const QUEUE: usize = 65_536;

#[derive(Debug)]
struct Update {
    room_id: String,
    user_id: String,
    delivered: i64,
    read: i64,
}

/// A handle to the receipts task.
#[derive(Clone, Debug)]
pub struct Receipts {
    updates: mpsc::Sender<Update>,
}

impl Receipts {
    pub fn start(db: Db, hub: Arc<Hub>, flush: Duration) -> Self {
        let (updates, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, hub, flush, rx));
        Self { updates }
    }

    /// `user_id` has received everything in `room_id` up to `seq`.
    pub fn delivered(&self, room_id: &str, user_id: &UserId, seq: i64) {
        self.push(room_id, user_id, seq, 0);
    }

    /// `user_id` has read everything in `room_id` up to `seq` (which implies received).
    pub fn read(&self, room_id: &str, user_id: &UserId, seq: i64) {
        self.push(room_id, user_id, seq, seq);
    }

    fn push(&self, room_id: &str, user_id: &UserId, delivered: i64, read: i64) {
        let update = Update {
            room_id: room_id.to_owned(),
            user_id: user_id.to_string(),
            delivered,
            read,
        };
        if self.updates.try_send(update).is_err() {
            tracing::warn!("receipt queue full; a receipt was dropped");
        }
    }
}

async fn run(db: Db, hub: Arc<Hub>, flush: Duration, mut rx: mpsc::Receiver<Update>) {
    let mut buffer = Vec::new();
    while let Some(first) = rx.recv().await {
        buffer.push(first);
        tokio::time::sleep(flush).await;
        while let Ok(update) = rx.try_recv() {
            buffer.push(update);
        }
        // (room, user) → (delivered, read): the highest of each.
        let mut merged: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
        for update in buffer.drain(..) {
            let entry = merged.entry((update.room_id, update.user_id)).or_default();
            entry.0 = entry.0.max(update.delivered).max(update.read);
            entry.1 = entry.1.max(update.read);
        }
        match write(&db, &merged).await {
            Ok(moved) => announce(&db, &hub, moved).await,
            Err(err) => tracing::error!(cause = %err, "could not store receipts"),
        }
    }
}

/// What changed for one member of one room.
struct Moved {
    room_id: String,
    user_id: String,
    delivered_up_to: i64,
    read_up_to: i64,
    delivered_moved: bool,
    read_moved: bool,
    ts: i64,
}

/// Stores the merged positions where they move forward, with a few multi-row statements:
/// this runs beside the sequencer, and the shorter it holds the write lock the better.
async fn write(
    db: &Db,
    merged: &BTreeMap<(String, String), (i64, i64)>,
) -> Result<Vec<Moved>, sqlx::Error> {
    use sqlx::Row as _;
    static CURRENT: SqlCache = SqlCache::new();
    static UPDATE: SqlCache = SqlCache::new();
    static LOG: SqlCache = SqlCache::new();
    let now = now_ms();
    let pairs: Vec<(&String, &String)> = merged.keys().map(|(r, u)| (r, u)).collect();
    let mut tx = crate::db::WriteTx::begin(db).await?;
    let params = tx.params();
    let mut moved = Vec::new();
    for chunk in chunks(&pairs, params) {
        let sql = CURRENT.get(params, chunk.len(), 2, |rows| {
            format!(
                "WITH wanted (room_id, user_id) AS (VALUES {rows})
                 SELECT m.room_id, m.user_id, m.delivered_up_to, m.read_up_to
                 FROM wanted JOIN room_members m
                     ON m.room_id = wanted.room_id AND m.user_id = wanted.user_id AND m.joined"
            )
        });
        let rows = crate::on_tx!(&mut tx, conn => {
            let mut query = sqlx::query(sql);
            for (room_id, user_id) in chunk {
                query = query.bind(*room_id).bind(*user_id);
            }
            let mut rows = Vec::new();
            for row in query.fetch_all(conn).await? {
                rows.push((
                    row.try_get::<String, _>("room_id")?,
                    row.try_get::<String, _>("user_id")?,
                    row.try_get::<i64, _>("delivered_up_to")?,
                    row.try_get::<i64, _>("read_up_to")?,
                ));
            }
            rows
        });
        for (room_id, user_id, old_delivered, old_read) in rows {
            let Some(&(delivered, read)) = merged.get(&(room_id.clone(), user_id.clone())) else {
                continue;
            };
            let delivered_up_to = old_delivered.max(delivered);
            let read_up_to = old_read.max(read);
            if delivered_up_to == old_delivered && read_up_to == old_read {
                continue;
            }
            moved.push(Moved {
                room_id,
                user_id,
                delivered_up_to,
                read_up_to,
                delivered_moved: delivered_up_to > old_delivered,
                read_moved: read_up_to > old_read,
                ts: now,
            });
        }
    }
    for chunk in chunks(&moved, params) {
        let sql = UPDATE.get(params, chunk.len(), 4, |rows| {
            format!(
                "WITH moved (room_id, user_id, delivered_up_to, read_up_to) AS (VALUES {rows})
                 UPDATE room_members SET delivered_up_to = moved.delivered_up_to,
                     read_up_to = moved.read_up_to
                 FROM moved
                 WHERE room_members.room_id = moved.room_id AND room_members.user_id = moved.user_id"
            )
        });
        crate::on_tx!(&mut tx, conn => {
            let mut query = sqlx::query(sql);
            for m in chunk {
                query = query.bind(&m.room_id).bind(&m.user_id).bind(m.delivered_up_to).bind(m.read_up_to);
            }
            query.execute(conn).await?;
        });
    }
    let log: Vec<(&Moved, &'static str, i64)> = moved
        .iter()
        .flat_map(|m| {
            let delivered = m
                .delivered_moved
                .then_some((m, "delivered", m.delivered_up_to));
            let read = m.read_moved.then_some((m, "read", m.read_up_to));
            delivered.into_iter().chain(read)
        })
        .collect();
    for chunk in chunks(&log, params) {
        let sql = LOG.get(params, chunk.len(), 5, |rows| {
            format!(
                "{} receipt_log (room_id, user_id, kind, up_to, ts) VALUES {rows}
                 ON CONFLICT DO NOTHING",
                params.insert_into()
            )
        });
        crate::on_tx!(&mut tx, conn => {
            let mut query = sqlx::query(sql);
            for (m, kind, up_to) in chunk {
                query = query.bind(&m.room_id).bind(&m.user_id).bind(*kind).bind(*up_to).bind(m.ts);
            }
            query.execute(conn).await?;
        });
    }
    tx.commit().await?;
    Ok(moved)
}

async fn announce(db: &Db, hub: &Hub, moved: Vec<Moved>) {
    let mut by_room: BTreeMap<&str, Vec<&Moved>> = BTreeMap::new();
    for m in &moved {
        by_room.entry(&m.room_id).or_default().push(m);
    }
    for (room_id, updates) in by_room {
        let members = match store::joined_members(db, room_id).await {
            Ok(members) => members
                .into_iter()
                .filter_map(|m| UserId::parse(&m).ok())
                .collect::<Vec<_>>(),
            Err(err) => {
                tracing::error!(cause = %err, "cannot load room members for receipts");
                continue;
            }
        };
        let frame: Arc<str> = Arc::from(
            json!({
                "type": "receipts",
                "room_id": room_id,
                "updates": updates.iter().map(|m| json!({
                    "user_id": m.user_id,
                    "delivered_up_to": m.delivered_up_to,
                    "read_up_to": m.read_up_to,
                    "ts": m.ts,
                })).collect::<Vec<_>>(),
            })
            .to_string(),
        );
        hub.send_to_users(&members, &frame, None);
    }
    for m in moved.iter().filter(|m| m.read_moved) {
        let Ok(user) = UserId::parse(&m.user_id) else {
            continue;
        };
        let unread = match store::membership(db, &m.room_id, &m.user_id).await {
            Ok(Some(membership)) => store::unread_count(db, &m.room_id, &m.user_id, &membership)
                .await
                .unwrap_or(0),
            _ => 0,
        };
        let frame: Arc<str> = Arc::from(
            json!({ "type": "unread", "room_id": m.room_id, "read_up_to": m.read_up_to, "unread_count": unread }).to_string(),
        );
        hub.send_to_users([&user], &frame, None);
    }
}
