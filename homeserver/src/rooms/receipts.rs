//! Delivery and read receipts: the owner of the members' positions (`room_members`'s
//! `delivered_up_to` and `read_up_to`) and of the `receipt_log`. Devices report cumulative
//! positions per room; this task gathers them for a short interval, keeps only the highest
//! per member and room, writes them in one transaction (with the time each position was
//! reached, for ticks' times), and tells each room's members once what moved. Readers' own
//! devices hear their new unread count, so reading on one device clears it on all of them.
//!
//! On shutdown ([`Receipts::stop`]) it takes no new receipts and writes those it holds.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convo_federation::{RoomId, UserId};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::fanout::{Fanout, PositionUpdate};
use super::members::MemberDirectory;
use super::store;
use crate::db::multi_row::{SqlCache, chunks};
use crate::db::{Db, now_ms};

/// Receipts waiting for the aggregator before new ones are dropped (they are cumulative, so a
/// later one makes up for a dropped one).
const QUEUE: usize = 65_536;

#[derive(Debug)]
struct Update {
    room_id: RoomId,
    user_id: UserId,
    delivered: i64,
    read: i64,
}

/// A handle to the receipts task.
#[derive(Clone, Debug)]
pub struct Receipts {
    updates: mpsc::Sender<Update>,
    stop: Arc<watch::Sender<bool>>,
    /// Read positions accepted and not yet written, so that an answer never reports a lower
    /// position than one already accepted.
    unwritten: Arc<Mutex<HashMap<(RoomId, UserId), i64>>>,
}

/// What the receipts task needs.
struct ReceiptsTask {
    pub db: Db,
    /// The handle's unwritten read positions (filled by `start`).
    unwritten: Arc<Mutex<HashMap<(RoomId, UserId), i64>>>,
    pub fanout: Arc<dyn Fanout>,
    pub members: Arc<MemberDirectory>,
    pub flush: Duration,
}

impl std::fmt::Debug for ReceiptsTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiptsTask")
            .field("flush", &self.flush)
            .finish_non_exhaustive()
    }
}

impl Receipts {
    pub fn start(
        db: Db,
        fanout: Arc<dyn Fanout>,
        members: Arc<MemberDirectory>,
        flush: Duration,
    ) -> (Self, JoinHandle<()>) {
        let (updates, rx) = mpsc::channel(QUEUE);
        let (stop, stopping) = watch::channel(false);
        let unwritten = Arc::new(Mutex::new(HashMap::new()));
        let task = ReceiptsTask {
            db,
            unwritten: unwritten.clone(),
            fanout,
            members,
            flush,
        };
        let handle = tokio::spawn(run(task, rx, stopping));
        (
            Self {
                updates,
                stop: Arc::new(stop),
                unwritten,
            },
            handle,
        )
    }

    /// The highest read position accepted for `user_id` in `room_id` and not yet written.
    pub fn unwritten_read(&self, room_id: &RoomId, user_id: &UserId) -> Option<i64> {
        let unwritten = self.unwritten.lock().unwrap_or_else(|e| e.into_inner());
        unwritten.get(&(room_id.clone(), user_id.clone())).copied()
    }

    /// `user_id` has received everything in `room_id` up to `seq`.
    pub fn delivered(&self, room_id: &RoomId, user_id: &UserId, seq: i64) {
        self.push(room_id, user_id, seq, 0);
    }

    /// `user_id` has read everything in `room_id` up to `seq` (which implies received).
    pub fn read(&self, room_id: &RoomId, user_id: &UserId, seq: i64) {
        {
            let mut unwritten = self.unwritten.lock().unwrap_or_else(|e| e.into_inner());
            let highest = unwritten
                .entry((room_id.clone(), user_id.clone()))
                .or_default();
            *highest = (*highest).max(seq);
        }
        self.push(room_id, user_id, seq, seq);
    }

    /// Takes no more receipts; the task writes the ones it holds and ends.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    fn push(&self, room_id: &RoomId, user_id: &UserId, delivered: i64, read: i64) {
        let update = Update {
            room_id: room_id.clone(),
            user_id: user_id.clone(),
            delivered,
            read,
        };
        if self.updates.try_send(update).is_err() {
            tracing::warn!("receipt queue full or closed; a receipt was dropped");
        }
    }
}

async fn run(task: ReceiptsTask, mut rx: mpsc::Receiver<Update>, mut stop: watch::Receiver<bool>) {
    let mut buffer = Vec::new();
    let mut stopping = false;
    loop {
        let first = tokio::select! {
            first = rx.recv() => first,
            _ = stop.wait_for(|stop| *stop), if !stopping => {
                stopping = true;
                rx.close();
                continue;
            }
        };
        let Some(first) = first else { break };
        buffer.push(first);
        if !stopping {
            // Gather for a moment, unless told to stop meanwhile.
            tokio::select! {
                () = tokio::time::sleep(task.flush) => {}
                _ = stop.wait_for(|stop| *stop) => {}
            }
        }
        while let Ok(update) = rx.try_recv() {
            buffer.push(update);
        }
        // (room, user) → (delivered, read): the highest of each.
        let mut merged: BTreeMap<(RoomId, UserId), (i64, i64)> = BTreeMap::new();
        for update in buffer.drain(..) {
            let entry = merged.entry((update.room_id, update.user_id)).or_default();
            entry.0 = entry.0.max(update.delivered).max(update.read);
            entry.1 = entry.1.max(update.read);
        }
        let written = write(&task.db, &merged).await;
        {
            // Written (or failed for good): positions no higher than these are no longer
            // waiting.
            let mut unwritten = task.unwritten.lock().unwrap_or_else(|e| e.into_inner());
            for (key, (_, read)) in &merged {
                if unwritten.get(key).is_some_and(|highest| highest <= read) {
                    unwritten.remove(key);
                }
            }
        }
        match written {
            Ok(moved) => announce(&task, moved).await,
            Err(err) => tracing::error!(cause = %err, "could not store receipts"),
        }
    }
    tracing::debug!("receipts stopped");
}

/// What changed for one member of one room.
struct Moved {
    room_id: RoomId,
    user_id: UserId,
    delivered_up_to: i64,
    read_up_to: i64,
    delivered_moved: bool,
    read_moved: bool,
    /// The positions before: messages with a seq above these and at or below the new ones
    /// got a tick.
    old_delivered: i64,
    old_read: i64,
    /// Still a member: the room hears of it. (One who left keeps reading what they saw;
    /// only their own devices hear of that.)
    joined: bool,
    ts: i64,
}

/// Stores the merged positions where they move forward, with a few multi-row statements:
/// this runs beside the sequencer, and the shorter it holds the write lock the better.
async fn write(
    db: &Db,
    merged: &BTreeMap<(RoomId, UserId), (i64, i64)>,
) -> Result<Vec<Moved>, sqlx::Error> {
    use sqlx::Row as _;
    static CURRENT: SqlCache = SqlCache::new();
    static UPDATE: SqlCache = SqlCache::new();
    static LOG: SqlCache = SqlCache::new();
    let now = now_ms();
    let pairs: Vec<&(RoomId, UserId)> = merged.keys().collect();
    let mut tx = crate::db::WriteTx::begin(db).await?;
    let params = tx.params();
    let mut moved = Vec::new();
    for chunk in chunks(&pairs, params) {
        let sql = CURRENT.get(params, chunk.len(), 2, |rows| {
            format!(
                "WITH wanted (room_id, user_id) AS (VALUES {rows})
                 SELECT m.room_id, m.user_id, m.delivered_up_to, m.read_up_to, m.joined
                 FROM wanted JOIN room_members m
                     ON m.room_id = wanted.room_id AND m.user_id = wanted.user_id"
            )
        });
        let rows = crate::on_tx!(&mut tx, conn => {
            let mut query = sqlx::query(sql);
            for &(room_id, user_id) in chunk {
                query = query.bind(room_id.as_str()).bind(user_id.as_str());
            }
            let mut rows = Vec::new();
            for row in query.fetch_all(conn).await? {
                rows.push((
                    row.try_get::<String, _>("room_id")?,
                    row.try_get::<String, _>("user_id")?,
                    row.try_get::<i64, _>("delivered_up_to")?,
                    row.try_get::<i64, _>("read_up_to")?,
                    row.try_get::<bool, _>("joined")?,
                ));
            }
            rows
        });
        for (room_id, user_id, old_delivered, old_read, joined) in rows {
            let key = (
                store::decode(RoomId::parse(&room_id))?,
                store::decode(UserId::parse(&user_id))?,
            );
            let Some(&(delivered, read)) = merged.get(&key) else {
                continue;
            };
            let (room_id, user_id) = key;
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
                old_delivered,
                old_read,
                joined,
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
                query = query.bind(m.room_id.as_str()).bind(m.user_id.as_str()).bind(m.delivered_up_to).bind(m.read_up_to);
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
                query = query.bind(m.room_id.as_str()).bind(m.user_id.as_str()).bind(*kind).bind(*up_to).bind(m.ts);
            }
            query.execute(conn).await?;
        });
    }
    tx.commit().await?;
    Ok(moved)
}

/// Most messages looked at to find whose ticks moved; past that (a member catching up on a
/// long history), every member of the room is told.
const TICKED_MAX: u32 = 10_000;

/// Tells each member the positions that moved past one of *their* messages (a tick of theirs
/// changed), and each reader's devices their new unread count.
async fn announce(task: &ReceiptsTask, moved: Vec<Moved>) {
    let mut by_room: BTreeMap<&RoomId, Vec<&Moved>> = BTreeMap::new();
    for m in moved.iter().filter(|m| m.joined) {
        by_room.entry(&m.room_id).or_default().push(m);
    }
    for (room_id, movers) in by_room {
        let lo = movers
            .iter()
            .map(|m| m.old_read.min(m.old_delivered))
            .min()
            .unwrap_or(0);
        let hi = movers
            .iter()
            .map(|m| m.delivered_up_to.max(m.read_up_to))
            .max()
            .unwrap_or(0);
        let senders = match store::message_senders(&task.db, room_id, lo, hi, TICKED_MAX).await {
            Ok(senders) => senders,
            Err(err) => {
                tracing::error!(cause = %err, "cannot find whose ticks moved");
                continue;
            }
        };
        let members = match task.members.joined(room_id).await {
            Ok(members) => members,
            Err(err) => {
                tracing::error!(cause = %err, "cannot load room members for receipts");
                continue;
            }
        };
        for member in members.iter() {
            let updates: Vec<PositionUpdate> = movers
                .iter()
                .filter(|m| m.user_id != *member)
                .filter(|m| match &senders {
                    // Any of this member's messages between the mover's old and new position.
                    Some(senders) => senders.iter().any(|(seq, sender)| {
                        sender == member
                            && ((*seq > m.old_delivered && *seq <= m.delivered_up_to)
                                || (*seq > m.old_read && *seq <= m.read_up_to))
                    }),
                    None => true,
                })
                .map(|m| PositionUpdate {
                    user_id: m.user_id.clone(),
                    delivered_up_to: m.delivered_up_to,
                    read_up_to: m.read_up_to,
                    ts: m.ts,
                })
                .collect();
            if !updates.is_empty() {
                task.fanout.receipts(room_id, member, &updates);
            }
        }
    }
    for m in moved.iter().filter(|m| m.read_moved) {
        let unread = match store::membership(&task.db, &m.room_id, &m.user_id).await {
            Ok(Some(membership)) => {
                store::unread_count(&task.db, &m.room_id, &m.user_id, &membership)
                    .await
                    .unwrap_or(0)
            }
            _ => 0,
        };
        task.fanout
            .unread(&m.user_id, &m.room_id, m.read_up_to, unread);
    }
}
